// Benchmark 2: lesson 07's TCP server under C simultaneous clients (100 and 500), each making N
// round trips of the lesson's protocol, against a minimal node:net server speaking the same
// protocol. The load comes from echo-load.ts in a process of its own; rounds alternate servers.

import path from 'node:path';
import { LESSONS_DIR } from '../manifest.ts';
import { Measured, runToEnd } from './processes.ts';
import { load, medianOf } from './stats.ts';
import type { Workspace } from './workspace.ts';

const START_MS = 15_000;
const WAIT_MS = 10_000; // a client that waits longer than this for one reply is hung
const LIMIT_MS = 120_000; // one load run, whatever happens

export interface LoadReport {
  clients: number;
  rounds: number;
  seconds: number;
  roundTrips: number;
  roundTripsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  done: number;
  errors: number;
  hung: number;
  problems: string[];
}

export interface EchoRun extends LoadReport {
  side: 'lesson' | 'baseline';
  serverMaxRss: number | undefined;
  load: number;
}

export interface EchoSummary {
  roundTripsPerSecond: number | undefined;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  errors: number;
  hung: number;
  serverMaxRss: number | undefined;
}

export interface EchoLevel {
  clients: number;
  rounds: number;
  runs: EchoRun[];
  lesson: EchoSummary;
  baseline: EchoSummary;
}

export async function benchEcho(
  work: Workspace,
  options: { levels: number[]; roundTrips: number; rounds: number; log: (line: string) => void },
): Promise<EchoLevel[]> {
  const lessonServer = work.javascript(path.join(LESSONS_DIR, '07-echo-server', 'tcp-server.ts'), '07-tcp-server');
  const baselineServer = work.benchProgram('baseline-echo-server');
  const generator = work.benchProgram('echo-load');
  const levels: EchoLevel[] = [];
  for (const clients of options.levels) {
    const runs: EchoRun[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (['lesson', 'baseline'] as const) : (['baseline', 'lesson'] as const);
      for (const side of order) {
        const server = side === 'lesson' ? [lessonServer, '--port', '0', '--quiet'] : [baselineServer, '--port', '0'];
        const run = await oneRun(side, server, generator, clients, options.roundTrips);
        runs.push(run);
        options.log(
          `echo: C=${clients} round ${round + 1} ${side}: ${run.roundTripsPerSecond.toFixed(0)} round trips/s, p50 ${fixed(run.p50Ms)} ms, p99 ${fixed(run.p99Ms)} ms, ` +
            `errors ${run.errors}, hung ${run.hung} (load ${run.load})${run.problems.length > 0 ? `: ${run.problems.join('; ')}` : ''}`,
        );
      }
    }
    levels.push({ clients, rounds: options.roundTrips, runs, lesson: summarise(runs, 'lesson'), baseline: summarise(runs, 'baseline') });
  }
  return levels;
}

async function oneRun(
  side: EchoRun['side'],
  serverArgs: string[],
  generator: string,
  clients: number,
  roundTrips: number,
): Promise<EchoRun> {
  const server = new Measured([process.execPath, ...serverArgs], { timeoutMs: LIMIT_MS + 30_000 });
  try {
    const port = await server.ready(START_MS);
    const args = [
      '--port',
      port,
      '--clients',
      String(clients),
      '--rounds',
      String(roundTrips),
      '--wait-ms',
      String(WAIT_MS),
      '--limit-ms',
      String(LIMIT_MS),
    ];
    const result = await runToEnd([process.execPath, generator, ...args], { timeoutMs: LIMIT_MS + 10_000 });
    const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`the load generator reported nothing (exit ${result.code}): ${result.stderr.slice(-600)}`);
    const report = JSON.parse(line) as LoadReport;
    const ended = await server.stop();
    return { side, ...report, serverMaxRss: ended.maxRss, load: load() };
  } finally {
    await server.stop();
  }
}

function summarise(runs: EchoRun[], side: EchoRun['side']): EchoSummary {
  const mine = runs.filter((r) => r.side === side);
  const rss = mine.map((r) => r.serverMaxRss).filter((v): v is number => v !== undefined);
  return {
    roundTripsPerSecond: medianOf(mine.map((r) => r.roundTripsPerSecond)),
    p50Ms: medianOf(mine.map((r) => r.p50Ms)),
    p99Ms: medianOf(mine.map((r) => r.p99Ms)),
    // Errors and hung clients are added up over the runs: one is one too many.
    errors: mine.reduce((sum, r) => sum + r.errors, 0),
    hung: mine.reduce((sum, r) => sum + r.hung, 0),
    serverMaxRss: rss.length === 0 ? undefined : Math.max(...rss),
  };
}

function fixed(value: number | null): string {
  return value === null ? '?' : value.toFixed(2);
}
