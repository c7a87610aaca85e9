// A --faults spec for a whole run (issue 15): the runner, `npm test` and the grader take one spec for
// every relay, TCP and UDP alike, and each relay gets the toxics of its own protocol.

import { usageError, wholeNumber } from '../cli.ts';
import { t } from '../i18n/index.ts';
import { FaultSpecError, parseFaults } from './faults.ts';
import type { FaultPlan } from './session.ts';
import type { Fault, Protocol } from './types.ts';

export type { FaultPlan } from './session.ts';

/**
 * Parses a --faults spec (the grammar is parseFaults's, in faults.ts) once for TCP and once for
 * UDP, toxic by toxic, so that `slicer` leaves lesson 07's UDP server alone and `loss` its TCP one.
 * A toxic neither protocol has throws FaultSpecError with the relay's own one-line message.
 */
export function parseFaultPlan(spec: string): FaultPlan {
  const plan: FaultPlan = { spec, tcp: [], udp: [] };
  for (const toxic of spec.split('+')) {
    const parsed: Partial<Record<Protocol, Fault[]>> = {};
    const errors: FaultSpecError[] = [];
    for (const protocol of ['tcp', 'udp'] as const) {
      try {
        parsed[protocol] = parseFaults(toxic, protocol);
      } catch (err) {
        if (!(err instanceof FaultSpecError)) throw err;
        errors.push(err);
      }
    }
    // Neither: the message of the protocol the toxic is not foreign to ("'loss' is a UDP toxic" says nothing of loss:p=2).
    if (!parsed.tcp && !parsed.udp) throw errors.find((err) => !/ toxic, not for /.test(err.message)) ?? errors[0]!;
    plan.tcp.push(...(parsed.tcp ?? []));
    plan.udp.push(...(parsed.udp ?? []));
  }
  return plan;
}

/** The spec parsed, or the relay's one-line message and exit 2. */
export function faultPlanOrExit(command: string, spec: string): FaultPlan {
  try {
    return parseFaultPlan(spec);
  } catch (err) {
    usageError(command, (err as Error).message); // the relay's own line: "faults: ..., and the valid toxics"
  }
}

/** The highest --seed: the relay's generator takes a 32-bit seed. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * `--faults SPEC [--seed N]` of the grader and `npm test`, checked before anything runs: a bad spec,
 * a bad seed, or a seed without faults is one line and exit 2.
 */
export function faultFlags(command: string, values: { faults?: string; seed?: string }): { plan?: FaultPlan; seed?: number } {
  if (values.seed !== undefined && values.faults === undefined) usageError(command, t('usage.seedNeedsFaults'));
  if (values.faults === undefined) return {};
  const seed = wholeNumber(command, '--seed', values.seed, 0, MAX_SEED);
  return { plan: faultPlanOrExit(command, values.faults), ...(seed === undefined ? {} : { seed }) };
}
