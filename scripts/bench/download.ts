// Benchmark 1: lesson 08's server and client move a generated file (256 MiB by default), against
// references in the same run that move the same bytes over a plain node:net socket into a file:
// with buffers reused once their write has completed (the target's reference, what the lesson
// does too), with streams and pipeline() (a new Buffer per chunk), and, where it is installed,
// with nc (netcat-openbsd). All node programs run as plain node on JavaScript transpiled once;
// rounds alternate the sides. Optionally a second, bigger file, moved once by the lesson and the
// reused-buffer reference, shows whether memory grows with the file.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { LESSONS_DIR } from '../manifest.ts';
import { Measured } from './processes.ts';
import { load, MiB, medianOf } from './stats.ts';
import type { Workspace } from './workspace.ts';

const START_MS = 15_000; // a server not listening by then will not
const RUN_MS = 300_000; // one transfer, even of 1 GiB on a loaded machine
const FILE_NAME = 'bench.bin';
const PREFIX = '[接收]'; // lesson 08's client saves NAME as [接收]NAME
const HOST = '127.0.0.1';

export type Side = 'lesson' | 'reused' | 'baseline' | 'nc';

export interface DownloadRun {
  side: Side;
  sizeMiB: number;
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
  /** The target's reference: the same bytes through buffers reused once their write has completed. */
  reused: Summary;
  /** Streams and pipeline(): a new Buffer for every chunk. */
  baseline: Summary;
  /** netcat-openbsd, or undefined where `nc` is not installed. */
  nc: Summary | undefined;
  /** One run of the lesson and of the reused-buffer reference on a bigger file, when asked for. */
  big: { sizeMiB: number; lesson: Summary; reused: Summary } | undefined;
  idleNodeMaxRss: number | undefined;
}

export interface Summary {
  mibPerSecond: number | undefined;
  identical: boolean;
  serverMaxRss: number | undefined;
  clientMaxRss: number | undefined;
}

/** How one side moves the file: its server, its client, and where the client writes. */
interface Plan {
  server: string[];
  /** The port the server will listen on, for a server that prints no ready line (nc). */
  port?: string;
  client: (port: string) => string[];
  received: string;
  /** What to remove after the run: the received file, or the client's folder. */
  leftovers: string;
}

export async function benchDownload(
  work: Workspace,
  options: { sizeMiB: number; rounds: number; bigMiB?: number; log: (line: string) => void },
): Promise<DownloadResult> {
  const { sizeMiB, rounds, bigMiB, log } = options;
  const programs = {
    lessonServer: work.javascript(path.join(LESSONS_DIR, '08-file-downloader', 'server.ts'), '08-server'),
    lessonClient: work.javascript(path.join(LESSONS_DIR, '08-file-downloader', 'client.ts'), '08-client'),
    baseline: work.benchProgram('baseline-download'),
  };
  const nc = hasNc();
  if (!nc) log('download: nc (netcat-openbsd) is not installed: no nc reference');
  const root = work.path('download-files');
  mkdirSync(root);
  const file = path.join(root, FILE_NAME);
  const idleNodeMaxRss = await idleNode();

  const runs: DownloadRun[] = [];
  const run = async (side: Side, size: number, digest: string): Promise<void> => {
    const result = await transfer(side, await plan(side, programs, work, file), digest, size);
    runs.push(result);
    log(
      `download ${size} MiB: ${side}: ${result.mibPerSecond.toFixed(0)} MiB/s, identical ${result.identical}, server ${mib(result.serverMaxRss)}, client ${mib(result.clientMaxRss)} (load ${result.load})`,
    );
  };
  let big: DownloadResult['big'];
  try {
    log(`download: generating ${sizeMiB} MiB`);
    let digest = generate(file, sizeMiB);
    const sides: Side[] = nc ? ['lesson', 'reused', 'baseline', 'nc'] : ['lesson', 'reused', 'baseline'];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order, so that a drift in the machine's load favours no side.
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) await run(side, sizeMiB, digest);
    }
    if (bigMiB !== undefined) {
      log(`download: generating ${bigMiB} MiB`);
      digest = generate(file, bigMiB);
      for (const side of ['lesson', 'reused'] as const) await run(side, bigMiB, digest);
      const mine = runs.filter((r) => r.sizeMiB === bigMiB);
      big = { sizeMiB: bigMiB, lesson: summarise(mine, 'lesson'), reused: summarise(mine, 'reused') };
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const main = runs.filter((r) => r.sizeMiB === sizeMiB);
  return {
    sizeMiB,
    rounds,
    runs,
    lesson: summarise(main, 'lesson'),
    reused: summarise(main, 'reused'),
    baseline: summarise(main, 'baseline'),
    nc: nc ? summarise(main, 'nc') : undefined,
    big,
    idleNodeMaxRss,
  };
}

async function plan(
  side: Side,
  programs: { lessonServer: string; lessonClient: string; baseline: string },
  work: Workspace,
  file: string,
): Promise<Plan> {
  const node = process.execPath;
  if (side === 'lesson') {
    const out = work.path('download-out');
    return {
      server: [node, programs.lessonServer, '--port', '0', '--root', path.dirname(file)],
      client: (port) => [node, programs.lessonClient, '--port', port, '--name', path.basename(file), '--out', out],
      received: path.join(out, `${PREFIX}${path.basename(file)}`),
      leftovers: out,
    };
  }
  const received = work.path(`${side}.out`);
  if (side === 'nc') {
    // -N: FIN once the file is sent; -d: the client sends nothing. "$0" is the file, past the shell's parsing.
    const port = String(await freePort());
    return {
      server: ['sh', '-c', `exec nc -N -l ${HOST} ${port} < "$0"`, file],
      port,
      client: () => ['sh', '-c', `exec nc -d ${HOST} ${port} > "$0"`, received],
      received,
      leftovers: received,
    };
  }
  const reuse = side === 'reused' ? ['--reuse'] : [];
  return {
    server: [node, programs.baseline, 'serve', '--file', file, ...reuse],
    client: (port) => [node, programs.baseline, 'fetch', '--port', port, '--out', received, ...reuse],
    received,
    leftovers: received,
  };
}

/** One transfer: the server, then the client to its end; its speed, its peaks, and a byte-for-byte check. */
async function transfer(side: Side, how: Plan, digest: string, sizeMiB: number): Promise<DownloadRun> {
  const server = new Measured(how.server, { timeoutMs: RUN_MS });
  try {
    const port = how.port ?? (await server.ready(START_MS));
    if (how.port) await listening(how.port, server);
    const client = new Measured(how.client(port), { timeoutMs: RUN_MS });
    const ended = await client.ended;
    if (ended.code !== 0)
      throw new Error(`download: the ${side} client failed (${ended.timedOut ? 'time limit' : `exit ${ended.code}`})${client.tail()}`);
    const serverEnded = await server.stop();
    return {
      side,
      sizeMiB,
      ...(await outcome(how.received, digest, ended.ms, sizeMiB)),
      serverMaxRss: serverEnded.maxRss,
      clientMaxRss: ended.maxRss,
      load: load(),
    };
  } finally {
    await server.stop();
    rmSync(how.leftovers, { recursive: true, force: true });
  }
}

function hasNc(): boolean {
  const found = (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && statSync(path.join(dir, 'nc'), { throwIfNoEntry: false })?.isFile());
  return found && process.platform === 'linux'; // listening() reads /proc/net/tcp
}

/** A port nobody listens on now, for nc, which cannot say which port it got. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Waits until the system lists a socket listening on HOST:port (/proc/net/tcp, state 0A), or fails after START_MS. */
async function listening(port: string, server: Measured): Promise<void> {
  const local = `0100007F:${Number(port).toString(16).toUpperCase().padStart(4, '0')}`;
  const listed = (): boolean =>
    readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .some((line) => {
        const fields = line.trim().split(/\s+/);
        return fields[1] === local && fields[3] === '0A';
      });
  const deadline = performance.now() + START_MS;
  while (!listed()) {
    if (performance.now() > deadline)
      throw new Error(`download: ${server.describe()} was not listening after ${START_MS / 1000} s${server.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
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

function summarise(runs: DownloadRun[], side: Side): Summary {
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
