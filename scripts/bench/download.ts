// Benchmark 1: lesson 08's server and client move a generated file (256 MiB by default), against
// a baseline in the same run that moves the same bytes over a plain node:net socket into a file,
// with streams as the lesson does; and for reference the same with reused buffers, which shows
// what the memory target takes. All run as plain node on JavaScript transpiled once; rounds
// alternate the sides.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LESSONS_DIR } from '../manifest.ts';
import { Measured } from './processes.ts';
import { load, MiB, medianOf } from './stats.ts';
import type { Workspace } from './workspace.ts';

const START_MS = 15_000; // a server not listening by then will not
const FILE_NAME = 'bench.bin';
const PREFIX = '[接收]'; // lesson 08's client saves NAME as [接收]NAME

export interface DownloadRun {
  side: 'lesson' | 'baseline' | 'reused';
  seconds: number;
  mibPerSecond: number;
  identical: boolean;
  serverMaxRss: number | undefined;
  clientMaxRss: number | undefined;
  load: number;
}

export interface DownloadResult {
  sizeMiB: number;
  rounds: number;
  runs: DownloadRun[];
  lesson: Summary;
  baseline: Summary;
  reused: Summary;
  idleNodeMaxRss: number | undefined;
}

export interface Summary {
  mibPerSecond: number | undefined;
  identical: boolean;
  serverMaxRss: number | undefined;
  clientMaxRss: number | undefined;
}

export async function benchDownload(
  work: Workspace,
  options: { sizeMiB: number; rounds: number; log: (line: string) => void },
): Promise<DownloadResult> {
  const { sizeMiB, rounds, log } = options;
  const lessonServer = work.javascript(path.join(LESSONS_DIR, '08-file-downloader', 'server.ts'), '08-server');
  const lessonClient = work.javascript(path.join(LESSONS_DIR, '08-file-downloader', 'client.ts'), '08-client');
  const baseline = work.benchProgram('baseline-download');
  const root = work.path('download-files');
  mkdirSync(root);
  const file = path.join(root, FILE_NAME);
  log(`download: generating ${sizeMiB} MiB`);
  const digest = generate(file, sizeMiB);
  const idleNodeMaxRss = await idleNode();

  const runs: DownloadRun[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      // Alternate which side goes first, so that a drift in the machine's load favours neither.
      const sides = ['lesson', 'baseline', 'reused'] as const;
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        const run =
          side === 'lesson'
            ? await lessonRun(lessonServer, lessonClient, root, digest, work, sizeMiB)
            : await baselineRun(baseline, side, file, digest, work, sizeMiB);
        runs.push(run);
        log(
          `download: round ${round + 1} ${side}: ${run.mibPerSecond.toFixed(0)} MiB/s, identical ${run.identical}, server ${mib(run.serverMaxRss)}, client ${mib(run.clientMaxRss)} (load ${run.load})`,
        );
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return {
    sizeMiB,
    rounds,
    runs,
    lesson: summarise(runs, 'lesson'),
    baseline: summarise(runs, 'baseline'),
    reused: summarise(runs, 'reused'),
    idleNodeMaxRss,
  };
}

async function lessonRun(
  serverJs: string,
  clientJs: string,
  root: string,
  digest: string,
  work: Workspace,
  sizeMiB: number,
): Promise<DownloadRun> {
  const out = work.path('download-out');
  rmSync(out, { recursive: true, force: true });
  const server = new Measured([process.execPath, serverJs, '--port', '0', '--root', root], { timeoutMs: 300_000 });
  try {
    const port = await server.ready(START_MS);
    const client = new Measured([process.execPath, clientJs, '--port', port, '--name', FILE_NAME, '--out', out], { timeoutMs: 300_000 });
    const ended = await client.ended;
    if (ended.code !== 0)
      throw new Error(`lesson 08's client failed (${ended.timedOut ? 'time limit' : `exit ${ended.code}`})${client.tail()}`);
    const serverEnded = await server.stop();
    const received = path.join(out, `${PREFIX}${FILE_NAME}`);
    return {
      side: 'lesson',
      ...(await outcome(received, digest, ended.ms, sizeMiB)),
      serverMaxRss: serverEnded.maxRss,
      clientMaxRss: ended.maxRss,
      load: load(),
    };
  } finally {
    await server.stop();
    rmSync(out, { recursive: true, force: true });
  }
}

async function baselineRun(
  js: string,
  side: 'baseline' | 'reused',
  file: string,
  digest: string,
  work: Workspace,
  sizeMiB: number,
): Promise<DownloadRun> {
  const received = work.path('baseline.out');
  const reuse = side === 'reused' ? ['--reuse'] : [];
  const server = new Measured([process.execPath, js, 'serve', '--file', file, ...reuse], { timeoutMs: 300_000 });
  try {
    const port = await server.ready(START_MS);
    const client = new Measured([process.execPath, js, 'fetch', '--port', port, '--out', received, ...reuse], { timeoutMs: 300_000 });
    const ended = await client.ended;
    if (ended.code !== 0)
      throw new Error(`the baseline client failed (${ended.timedOut ? 'time limit' : `exit ${ended.code}`})${client.tail()}`);
    const serverEnded = await server.stop();
    return {
      side,
      ...(await outcome(received, digest, ended.ms, sizeMiB)),
      serverMaxRss: serverEnded.maxRss,
      clientMaxRss: ended.maxRss,
      load: load(),
    };
  } finally {
    await server.stop();
    rmSync(received, { force: true });
  }
}

/** Throughput from the client's whole run (start to exit, as for the baseline) and a byte-for-byte check. */
async function outcome(
  received: string,
  digest: string,
  ms: number,
  sizeMiB: number,
): Promise<{ seconds: number; mibPerSecond: number; identical: boolean }> {
  const identical = statSync(received, { throwIfNoEntry: false })?.size === sizeMiB * MiB && (await sha256(received)) === digest;
  return { seconds: ms / 1000, mibPerSecond: sizeMiB / (ms / 1000), identical };
}

/** Writes `sizeMiB` MiB of random bytes (1 MiB of them, each copy stamped with its index) and returns their sha256. */
function generate(file: string, sizeMiB: number): string {
  const block = randomBytes(MiB);
  const hash = createHash('sha256');
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < sizeMiB; i++) {
      block.writeUInt32BE(i, 0);
      writeSync(fd, block);
      hash.update(block);
    }
    fsyncSync(fd); // on disk now, so that writing it back does not compete with the first run
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** The peak memory of a node process that does nothing: the floor under every figure above. */
async function idleNode(): Promise<number | undefined> {
  const idle = new Measured([process.execPath, '-e', 'setTimeout(() => {}, 300)'], { timeoutMs: 10_000 });
  return (await idle.ended).maxRss;
}

function summarise(runs: DownloadRun[], side: DownloadRun['side']): Summary {
  const mine = runs.filter((r) => r.side === side);
  return {
    mibPerSecond: medianOf(mine.map((r) => r.mibPerSecond)),
    identical: mine.length > 0 && mine.every((r) => r.identical),
    serverMaxRss: maxOf(mine.map((r) => r.serverMaxRss)),
    clientMaxRss: maxOf(mine.map((r) => r.clientMaxRss)),
  };
}

/** Memory is reported as the worst run, not the median: the target is a ceiling. */
function maxOf(values: (number | undefined)[]): number | undefined {
  const numbers = values.filter((v): v is number => v !== undefined);
  return numbers.length === 0 ? undefined : Math.max(...numbers);
}

export function mib(bytes: number | undefined): string {
  return bytes === undefined ? '?' : `${(bytes / MiB).toFixed(1)} MiB`;
}
