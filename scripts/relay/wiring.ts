// The runner's side of the relay (issue 15): its flags (--trace, --faults, --seed, --programs, and
// --record for record.ts), a relay in front of each listening role of a whole-lesson run, the trace
// lines printed among the programs' output, and one program traced with --trace-to HOST:PORT.
// scripts/lesson.ts calls this; the relays themselves are session.ts's.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { usageError, wholeNumber } from '../cli.ts';
import { t } from '../i18n/index.ts';
import { READY_LINE } from '../runtime/child.ts';
import type { RelayEvent } from './events.ts';
import { faultPlanOrExit, MAX_SEED } from './plan.ts';
import { type FaultPlan, type Fronted, LessonRelays, Relays, recordingToJson } from './session.ts';
import { formatEvent } from './trace.ts';

/** The runner's flags for the wire, for parseCommandLine. */
export const RELAY_OPTIONS = {
  trace: { type: 'boolean', default: false },
  faults: { type: 'string' },
  seed: { type: 'string' },
  programs: { type: 'string' },
  record: { type: 'string' },
} as const;

export interface RelayFlags {
  trace: boolean;
  plan?: FaultPlan;
  seed?: number;
  /** A folder whose programs run instead of the lesson's (the lesson's for the files it lacks). */
  programs?: string;
  /** Write the relays' events here when the run ends (record.ts). */
  record?: string;
  /** The runner's --encoding, which every program was given. */
  encoding?: string;
}

/** The wire flags of a whole-lesson run, checked (a bad spec or seed: one line, exit 2), or undefined when none was given. */
export function relayFlags(
  command: string,
  values: { trace?: boolean; faults?: string; seed?: string; programs?: string; record?: string; encoding?: string },
): RelayFlags | undefined {
  if (!values.trace && values.faults === undefined && values.programs === undefined && values.record === undefined) {
    if (values.seed !== undefined) usageError(command, t('usage.seedNeedsFaults'));
    return undefined;
  }
  const flags: RelayFlags = { trace: values.trace === true };
  if (values.faults !== undefined) flags.plan = faultPlanOrExit(command, values.faults);
  const seed = wholeNumber(command, '--seed', values.seed, 0, MAX_SEED);
  if (seed !== undefined) flags.seed = seed;
  if (values.programs !== undefined) {
    const dir = path.resolve(values.programs);
    if (!existsSync(dir)) usageError(command, t('usage.programsNotFolder', { dir: values.programs }));
    flags.programs = dir;
  }
  if (values.record !== undefined) flags.record = path.resolve(values.record);
  if (values.encoding !== undefined) flags.encoding = values.encoding;
  return flags;
}

/** The encoding a program decodes with unless told: its DEFAULT_ENCODING constant, as every lesson program has one. */
export function defaultEncoding(file: string): string {
  try {
    return /^const DEFAULT_ENCODING = '([^']+)'/m.exec(readFileSync(file, 'utf8'))?.[1] ?? 'utf-8';
  } catch {
    return 'utf-8';
  }
}

/** A whole-lesson run through relays: one in front of each listening role. */
export class WireRun {
  private readonly relays: LessonRelays | undefined;
  private readonly encodings = new Map<string, string>();

  constructor(
    private readonly lesson: {
      id: string;
      dir: string;
      programs: { role: string; file: string; args?: string[] }[];
      demo: { role: string; line: string }[];
    },
    private readonly flags: RelayFlags,
    private readonly print: (line: string) => void,
    private readonly colour: boolean,
  ) {
    // --programs alone swaps the programs and leaves the wire alone.
    if (flags.trace || flags.plan || flags.record)
      this.relays = new LessonRelays(lesson, {
        ...(flags.plan ? { plan: flags.plan } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        onEvent: (fronted, event) => this.onEvent(fronted, event),
      });
  }

  /** The file to run for a lesson file: --programs DIR's when it has one. */
  programFile(file: string): string | undefined {
    const mine = this.flags.programs && path.join(this.flags.programs, file);
    return mine && existsSync(mine) ? mine : undefined;
  }

  /** A relay in front of the role that printed `stdout`'s ready line on `port`; returns the port its clients are given. */
  async front(role: string, stdout: string, port: number): Promise<number> {
    if (!this.relays) return port;
    const host = READY_LINE.exec(stdout)?.[1] ?? '127.0.0.1';
    const program = this.lesson.programs.find((p) => p.role === role)!;
    this.encodings.set(
      role,
      this.flags.encoding ?? defaultEncoding(this.programFile(program.file) ?? path.join(this.lesson.dir, program.file)),
    );
    return this.relays.frontRole(role, host, port);
  }

  private onEvent(fronted: Fronted, event: RelayEvent): void {
    if (!this.flags.trace) return;
    const clients = this.relays!.recorded().find((r) => r.server === fronted.role)?.clients ?? {};
    const names = { up: clients[event.conn] ?? 'client', down: fronted.role };
    const line = formatEvent(event, { encoding: this.encodings.get(fronted.role) ?? 'utf-8', color: this.colour, names });
    this.print(`${paint(`[wire ${fronted.role}]`, 2, this.colour)} ${line}`);
  }

  /** Closes the relays and, with --record, writes what they saw. */
  async finish(exitCode: number): Promise<void> {
    if (!this.relays) return;
    await this.relays.close();
    if (this.flags.record) {
      const recording = {
        lesson: this.lesson.id,
        roles: this.lesson.programs.map((p) => p.role),
        relays: this.relays.recorded(),
        exitCode,
      };
      writeFileSync(this.flags.record, recordingToJson(recording));
    }
  }
}

/** One-program mode's wire flags: where to relay to, and the program's own arguments without them. */
export interface OneProgramWire {
  host: string;
  port: number;
  plan?: FaultPlan;
  seed?: number;
  args: string[];
}

/**
 * `npm run lesson 04-tcp-server client -- --trace-to 127.0.0.1:7788 [--faults SPEC] [--seed N] FLAGS`:
 * takes the wire flags out of a program's arguments. undefined: no --trace-to (and then no --faults).
 */
export function oneProgramWire(command: string, args: string[]): OneProgramWire | undefined {
  const rest: string[] = [];
  const found: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--(trace-to|faults|seed)(?:=(.*))?$/.exec(arg);
    if (!match) {
      rest.push(arg);
      continue;
    }
    const value = match[2] ?? args[++i];
    if (value === undefined) usageError(command, t('usage.needsValue', { flag: match[1]! }));
    found[match[1]!] = value;
  }
  if (found['trace-to'] === undefined) {
    if (found.faults !== undefined || found.seed !== undefined) usageError(command, t('usage.faultsNeedTraceTo'));
    return undefined;
  }
  const target = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(found['trace-to']);
  if (!target || Number(target[2]) < 1 || Number(target[2]) > 65535)
    usageError(command, t('usage.traceToForm', { text: String(found['trace-to']) }));
  const wire: OneProgramWire = { host: target[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(target[2]), args: rest };
  if (found.faults !== undefined) wire.plan = faultPlanOrExit(command, found.faults);
  const seed = wholeNumber(command, '--seed', found.seed, 0, MAX_SEED);
  if (seed !== undefined) wire.seed = seed;
  return wire;
}

/**
 * Starts the relay of one-program mode in front of wire.host:wire.port, printing its trace, and
 * returns the program's arguments pointed at it (its own --host and --port come after, so they win).
 */
export async function traceOneProgram(
  wire: OneProgramWire,
  encoding: string,
  print: (line: string) => void,
  colour: boolean,
): Promise<{ args: string[]; relays: Relays }> {
  const relays = new Relays({
    ...(wire.plan ? { plan: wire.plan } : {}),
    ...(wire.seed !== undefined ? { seed: wire.seed } : {}),
    onEvent: (_fronted, event) => print(`${paint('[wire]', 2, colour)} ${formatEvent(event, { encoding, color: colour })}`),
  });
  const fronted = await relays.front('server', wire.host, wire.port);
  return { args: [...wire.args, '--host', fronted.relay.address.host, '--port', String(fronted.port)], relays };
}

function paint(text: string, code: number, colour: boolean): string {
  return colour ? `\x1b[${code}m${text}\x1b[0m` : text;
}
