// The tests under faults (issue 15): with SOCKET_LESSONS_FAULTS=SPEC (and SOCKET_LESSONS_SEED=N),
// set by `npm test -- ... --faults SPEC` and `npm run grade -- ... --faults SPEC`, every connection a
// test makes to a program, and every connection a program makes to a harness peer, goes through a
// relay (scripts/relay/) with those toxics. Only the protocol the spec has toxics for is relayed:
// `slicer` leaves UDP alone, `loss` TCP. A test that cannot hold through a relay by its nature (it
// checks a program's own port, or waits on the program's receive queue) is skipped with its reason.
// What the toxics did in a test goes to the test's diagnostics (`faults: ...`), which the grader
// adds to the test's failure.

import type { TestContext } from 'node:test';
import type { RelayEvent } from '../../scripts/relay/events.ts';
import { SLICER_DEFAULT_DELAY_MS } from '../../scripts/relay/faults.ts';
import { parseFaultPlan } from '../../scripts/relay/plan.ts';
import { FAULTS_DIAGNOSTIC, FAULTS_SKIP, type FaultPlan, type Fronted, Relays } from '../../scripts/relay/session.ts';
import type { Protocol } from '../../scripts/relay/types.ts';

function readPlan(): { plan: FaultPlan; seed?: number } | undefined {
  const spec = process.env.SOCKET_LESSONS_FAULTS;
  if (!spec) return undefined;
  const plan = parseFaultPlan(spec); // checked by the command that set it; a bad one fails every test loudly
  const seed = process.env.SOCKET_LESSONS_SEED;
  return { plan, ...(seed ? { seed: Number(seed) } : {}) };
}

const FAULTS = readPlan();

/** The spec the tests run under, or undefined on a plain run. */
export function faultSpec(): string | undefined {
  return FAULTS?.plan.spec;
}

/** Whether connections of `protocol` go through a relay in this run. */
export function relayed(protocol: Protocol): boolean {
  return (FAULTS?.plan[protocol].length ?? 0) > 0;
}

/**
 * Under faults, skips the test (with `why`, which says why it cannot hold through a relay) and
 * returns true; on a plain run returns false. `protocol`: only when that protocol is relayed.
 */
export function skipUnderFaults(t: TestContext, why: string, protocol: Protocol = 'tcp'): boolean {
  if (!relayed(protocol)) return false;
  t.skip(`${FAULTS_SKIP}${why} (--faults ${faultSpec()})`);
  return true;
}

/** The longest a test's transfer may take through the toxics before the test is skipped as too slow for them. */
const SLOW_TRANSFER_S = 20;

/**
 * How many bytes a second the run's TCP toxics carry at most, one way: slicer writes `size` bytes
 * per piece with `delay` ms between pieces (its defaults: 1 byte, 1 ms), bandwidth `kbps` / 8 KB.
 * Infinity when no toxic limits the rate (latency delays, it does not slow a stream).
 */
export function tcpBytesPerSecond(): number {
  let rate = Number.POSITIVE_INFINITY;
  for (const fault of FAULTS?.plan.tcp ?? []) {
    if (fault.toxic === 'slicer') {
      const size = fault.params.size ?? 1;
      const delay = fault.params.delay ?? SLICER_DEFAULT_DELAY_MS;
      if (delay > 0) rate = Math.min(rate, (size / delay) * 1000);
    }
    if (fault.toxic === 'bandwidth') rate = Math.min(rate, ((fault.params.kbps ?? 1) * 1000) / 8);
  }
  return rate;
}

/**
 * Under faults that slow a stream down (slicer, bandwidth), skips a test that sends `bytes` bytes
 * one way when they would take longer than SLOW_TRANSFER_S to go through, saying so; false otherwise.
 */
export function skipIfTooSlowUnderFaults(t: TestContext, bytes: number): boolean {
  const seconds = bytes / tcpBytesPerSecond();
  if (!relayed('tcp') || seconds <= SLOW_TRANSFER_S) return false;
  const rate = tcpBytesPerSecond();
  return skipUnderFaults(
    t,
    `it sends ${bytes} bytes, which a relay carrying ${rate >= 1000 ? `${Math.round(rate / 1000)} KB` : `${Math.round(rate)} bytes`} a second takes ${Math.round(seconds)} s to pass on`,
  );
}

/** Each test's relays, made on its first relayed connection and closed when it ends. */
const perTest = new WeakMap<TestContext, Relays>();

/**
 * Puts a relay with the run's toxics in front of host:port (a program's, or a harness peer's)
 * for the test `t`, and returns the port to use instead; undefined when `protocol` is not relayed.
 */
export async function relayFor(t: TestContext, protocol: Protocol, port: number, host = '127.0.0.1'): Promise<Fronted | undefined> {
  if (!FAULTS || !relayed(protocol)) return undefined;
  let relays = perTest.get(t);
  if (!relays) {
    const made = new Relays({ plan: FAULTS.plan, ...(FAULTS.seed !== undefined ? { seed: FAULTS.seed } : {}) });
    relays = made;
    perTest.set(t, made);
    t.after(async () => {
      const summary = faultSummary(made.fronted.flatMap((f) => f.relay.events));
      if (summary) t.diagnostic(`${FAULTS_DIAGNOSTIC}${summary}`);
      await made.close();
    });
  }
  return relays.front(`port ${port}`, host, port, protocol);
}

/** What the toxics did in one test, in one line: each toxic's acts counted, and its first few described. */
export function faultSummary(events: readonly RelayEvent[]): string {
  const byToxic = new Map<string, string[]>();
  for (const event of events) {
    if (event.kind !== 'fault') continue;
    const what = event.what.length > 80 ? `${event.what.slice(0, 77)}...` : event.what;
    byToxic.set(event.toxic, [...(byToxic.get(event.toxic) ?? []), `${what} (${event.dir})`]);
  }
  return [...byToxic]
    .map(
      ([toxic, acts]) =>
        `${toxic} acted ${acts.length} time${acts.length === 1 ? '' : 's'}: ${acts.slice(0, 3).join('; ')}${acts.length > 3 ? '; …' : ''}`,
    )
    .join(' | ');
}
