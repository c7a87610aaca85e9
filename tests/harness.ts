// The loopback test harness shared by every lesson test (and, through them, by the grader).
//
// - lessonTarget() says which folder of programs the tests run against: the lesson's own, or
//   SOCKET_LESSONS_PROGRAMS (a student's folder with the same file names), and which suites run.
// - start() spawns a program as `node --import <TypeScript loader> FILE` (scripts/run-ts), reads its ready line, writes stdin,
//   waits for output or exit with a timeout that fails with the output so far.
// - tcp/udp helpers are raw harness-side peers that can write one byte per write, or several
//   messages in one write.
// Every process and socket is registered with t.after(), so it is cleaned up even when a test fails.
// Programs are contained, because the grader runs students' programs through these same tests:
// each runs in its own process group that is killed as a whole, its output is capped (a flood
// stops it), and a program that exits leaving a process behind fails the test that started it.

import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCommands, REPO_ROOT } from '../scripts/manifest.ts';
import { nodeArgsFor } from '../scripts/run-ts/index.ts';

/**
 * How long any single wait may take before the test fails with what it saw so far. Generous,
 * because starting node with tsx on a loaded 2-core machine can take seconds; a correct program
 * never waits this long, so only failing tests pay for it.
 */
export const WAIT_MS = Number(process.env.SOCKET_LESSONS_WAIT_MS ?? 10_000);
const DRAIN_MS = 1000; // how long output may keep arriving after a program has exited
const LEAK_GRACE_MS = 1000; // how long a finished program's process group may take to empty
const OUTPUT_CAP = 256 * 1024; // output kept per stream, so a flooding program cannot exhaust memory

export type Suite = 'lesson' | 'exercise';

export interface Target {
  lesson: string; // lesson id, e.g. 04-tcp-server
  dir: string; // folder holding the programs under test
  suites: Set<Suite>;
  /** Program file -> command (from the folder's programs.json), for programs not written in TypeScript. */
  commands: Map<string, string[]>;
  /**
   * SOCKET_LESSONS_STAGED=1: `dir` is a copy made for this run (the grader's staging folder), so the
   * harness may write into it: each program is transpiled once beside itself and runs as plain
   * JavaScript (scripts/run-ts), the cheapest start there is.
   */
  staged: boolean;
}


/**
 * The programs a lesson test file runs against. By default the lesson's own folder and the lesson
 * suite; SOCKET_LESSONS_PROGRAMS points at another folder (a solution or a student's work), and
 * SOCKET_LESSONS_SUITES (comma-separated: lesson, exercise) picks the suites.
 */
export function lessonTarget(testFileUrl: string): Target {
  const lessonDir = path.dirname(fileURLToPath(testFileUrl));
  const dir = process.env.SOCKET_LESSONS_PROGRAMS ? path.resolve(process.env.SOCKET_LESSONS_PROGRAMS) : lessonDir;
  const names = (process.env.SOCKET_LESSONS_SUITES ?? 'lesson').split(',').map((s) => s.trim());
  for (const name of names) {
    if (name !== 'lesson' && name !== 'exercise') throw new Error(`SOCKET_LESSONS_SUITES: unknown suite '${name}'`);
  }
  const staged = process.env.SOCKET_LESSONS_STAGED === '1' && process.env.SOCKET_LESSONS_PROGRAMS !== undefined;
  return { lesson: path.basename(lessonDir), dir, suites: new Set(names as Suite[]), commands: readCommands(lessonDir, dir), staged };
}


/** describe() that only registers its tests when the target asks for that suite. */
export function suite(target: Target, name: Suite, body: () => void): void {
  // Tests use port 0 and their own processes, so a few can run at once.
  if (target.suites.has(name)) describe(`${target.lesson} ${name}`, { concurrency: 4 }, body);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Program {
  stdout = '';
  stderr = '';
  exitStatus: Exit | undefined;
  /** Why the harness stopped or failed the program on its own (flood, a process left behind). */
  problem: string | undefined;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private killed = false; // by the harness, as a group: nothing can have been left behind

  /** Runs argv[0] with the rest of argv and `args`, from `cwd`, in a process group of its own. */
  constructor(readonly name: string, argv: string[], readonly args: string[], cwd: string) {
    this.child = spawn(argv[0]!, [...argv.slice(1), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so stop() reaches any process it started
    });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => (this.stdout = this.capped(this.stdout + text, 'stdout')));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr = this.capped(this.stderr + text, 'stderr')));
    this.child.stdin!.on('error', () => {}); // the program may exit before reading its input
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.stderr += `harness: could not start ${argv.join(' ')}: ${err.message}\n`;
        this.exitStatus = { code: null, signal: null };
        resolve(this.exitStatus);
      });
      this.child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        void this.checkLeftovers().then(async () => {
          // Output still in the pipes arrives before 'close'; bounded in case a pipe is held open.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([closed, new Promise((done) => (timer = setTimeout(done, DRAIN_MS)))]);
          clearTimeout(timer);
          this.child.stdout!.destroy();
          this.child.stderr!.destroy();
          resolve(this.exitStatus!);
        });
      });
    });
  }

  /**
   * After the program has exited by itself, its process group must empty: anything left is a
   * process it started and abandoned, which fails the test. tsx's esbuild helper (a child that ends
   * when its parent does) takes a moment to go, hence a short, bounded grace before the verdict.
   */
  private async checkLeftovers(): Promise<void> {
    for (let waited = 0; !this.killed && this.groupAlive(); waited += 25) {
      if (waited >= LEAK_GRACE_MS) {
        this.problem ??= `${this.name} exited but left a process running (it was killed by the harness)`;
        this.killGroup();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Waits for the ready line `listening on HOST:PORT` and returns the bound port. */
  async ready(): Promise<number> {
    const match = await this.waitFor(/^listening on (\S+):(\d+)\s*$/m, 'stdout', 'the ready line "listening on HOST:PORT"');
    const port = Number(match[2]);
    const asked = this.args.indexOf('--port');
    const wanted = asked >= 0 ? Number(this.args[asked + 1]) : NaN;
    if (wanted > 0 && port !== wanted) {
      throw new Error(`${this.name} was started with --port ${wanted} but says "${match[0].trim()}": it must bind the port it is given\n${this.transcript()}`);
    }
    return port;
  }

  /** Resolves with the first match of `pattern` in the stream; fails on timeout or exit first. */
  waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', what = String(pattern)): Promise<RegExpMatchArray> {
    const source = stream === 'stdout' ? this.child.stdout! : this.child.stderr!;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        source.off('data', check);
        finish();
      };
      const check = (): void => {
        const match = this[stream].match(pattern);
        if (match) settle(() => resolve(match));
      };
      const timer = setTimeout(
        () => settle(() => reject(new Error(`${this.name} did not print ${what} within ${WAIT_MS} ms\n${this.transcript()}`))),
        WAIT_MS,
      );
      source.on('data', check); // added after our own 'data' listener, so the text is already appended
      check();
      void this.exited.then(() => {
        check();
        settle(() => reject(new Error(`${this.name} exited (${describeExit(this.exitStatus)}) before printing ${what}\n${this.transcript()}`)));
      });
    });
  }

  writeLine(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  endInput(): void {
    this.child.stdin!.end();
  }

  /** Waits for the program to exit by itself; fails with its output if it does not. */
  exit(): Promise<Exit> {
    return withTimeout(this.exited, `${this.name} to exit`, () => `\n${this.transcript()}`);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exitStatus === undefined) this.child.kill(signal);
  }

  /** Kills the program and every process it started, and waits until it is gone. */
  async stop(): Promise<void> {
    if (this.exitStatus === undefined) this.killGroup();
    await this.exited;
  }

  private killGroup(): void {
    this.killed = true;
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  }

  /** Whether a live process (not a zombie waiting to be reaped) is still in the program's group. */
  private groupAlive(): boolean {
    const group = this.child.pid;
    if (group === undefined) return false;
    if (!existsSync('/proc')) {
      try {
        process.kill(-group, 0);
        return true;
      } catch {
        return false;
      }
    }
    return readdirSync('/proc').some((pid) => {
      if (!/^\d+$/.test(pid)) return false;
      try {
        // /proc/PID/stat: "pid (name) state ppid pgrp ..."; the name may hold spaces, so split after ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(pgrp) === group && state !== 'Z' && state !== 'X';
      } catch {
        return false; // it ended while we looked
      }
    });
  }

  /** Keeps at most OUTPUT_CAP characters of a stream; a program that floods it is stopped. */
  private capped(text: string, stream: string): string {
    if (text.length <= OUTPUT_CAP) return text;
    if (this.problem === undefined) {
      this.problem = `${this.name} printed more than ${OUTPUT_CAP / 1024} KiB on ${stream}; the harness stopped it`;
      this.killGroup();
    }
    return `${text.slice(0, OUTPUT_CAP)}\n[harness: ${this.problem}]\n`;
  }

  /** Non-empty lines of stderr, for "exactly one line" checks. */
  stderrLines(): string[] {
    return this.stderr.split('\n').filter((line) => line.trim() !== '');
  }

  /** What the program printed, after the harness's own finding (a flood, a process left behind) if any. */
  transcript(): string {
    const finding = this.problem ? `harness: ${this.problem}\n` : '';
    return `${finding}--- ${this.name} stdout ---\n${this.stdout}--- ${this.name} stderr ---\n${this.stderr}---`;
  }
}

/**
 * Spawns the target's program for `file`: `node <TypeScript loader> <target.dir>/<file> ...args`, or the
 * command programs.json names for it. It is killed when the test ends.
 */
export function start(t: TestContext, target: Target, file: string, args: string[] = []): Program {
  const command = target.commands.get(file);
  if (!command) return startFile(t, path.join(target.dir, file), args, target.staged);
  return contain(t, new Program(file, command, args, target.dir));
}

/**
 * Spawns `node <TypeScript loader> FILE ...args` from the repository root (scripts/run-ts: the file
 * is transpiled once, not at every start as with --import tsx), or with `staged`, the JavaScript
 * transpiled beside FILE; it is killed when the test ends.
 */
export function startFile(t: TestContext, file: string, args: string[] = [], staged = false): Program {
  return contain(t, new Program(path.basename(file), [process.execPath, ...nodeArgsFor(file, staged)], args, REPO_ROOT));
}

/** Kills the program when the test ends, and fails the test if it flooded or left a process behind. */
function contain(t: TestContext, program: Program): Program {
  t.after(async () => {
    await program.stop();
    if (program.problem) throw new Error(program.transcript());
  });
  return program;
}

/** Starts a program that listens, with --port 0 unless args say otherwise, and returns it with its port. */
export async function startListening(
  t: TestContext,
  target: Target,
  file: string,
  args: string[] = [],
): Promise<{ program: Program; port: number }> {
  const program = start(t, target, file, args.includes('--port') ? args : ['--port', '0', ...args]);
  return { program, port: await program.ready() };
}

// ---- TCP peers ----

/** A harness TCP client connected to host:port. */
export async function connectTcp(t: TestContext, port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect({ host, port, allowHalfOpen: true });
  t.after(() => socket.destroy());
  await withTimeout(once(socket, 'connect'), `connecting to ${host}:${port}`);
  return socket;
}

/** A harness TCP server on port 0; connections are handed out in order by next(). */
export async function listenTcp(t: TestContext, host = '127.0.0.1'): Promise<TcpListener> {
  const listener = new TcpListener(host);
  t.after(() => listener.close());
  await withTimeout(once(listener.server, 'listening'), `the harness server to listen on ${host}`);
  return listener;
}

export class TcpListener {
  readonly server: net.Server;
  private readonly sockets: net.Socket[] = [];
  private readonly waiting: ((socket: net.Socket) => void)[] = [];
  private readonly open = new Set<net.Socket>();

  constructor(host: string) {
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => {
      this.open.add(socket);
      socket.on('close', () => this.open.delete(socket));
      socket.on('error', () => {}); // tests look at what arrived; a reset is not a harness failure
      const waiter = this.waiting.shift();
      if (waiter) waiter(socket);
      else this.sockets.push(socket);
    });
    this.server.listen(0, host);
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The next accepted connection. */
  next(): Promise<net.Socket> {
    const socket = this.sockets.shift();
    if (socket) return Promise.resolve(socket);
    return withTimeout(new Promise((resolve) => this.waiting.push(resolve)), 'a connection to the harness server');
  }

  close(): void {
    this.server.close();
    for (const socket of this.open) socket.destroy();
  }
}

/** Every byte the peer sends until it half-closes (its FIN). */
export async function readToEnd(socket: net.Socket, what = 'the peer to close its sending side'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', resolve);
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
  await withTimeout(ended, what, () => `received so far: ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`);
  return Buffer.concat(chunks);
}

/** Writes `bytes` one byte per write, waiting for each write to be handed to the system. */
export async function writeBytewise(socket: net.Socket, bytes: Buffer): Promise<void> {
  socket.setNoDelay(true); // no Nagle: each byte leaves in its own segment
  for (const byte of bytes) {
    await new Promise<void>((resolve, reject) => socket.write(Buffer.of(byte), (err) => (err ? reject(err) : resolve())));
    await new Promise((resolve) => setImmediate(resolve)); // let the peer's event loop see each byte on its own
  }
}

/** Writes several messages in one write, so they arrive coalesced in a single chunk. */
export function writeCoalesced(socket: net.Socket, messages: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => socket.write(Buffer.concat(messages), (err) => (err ? reject(err) : resolve())));
}

/** A TCP port with nobody listening on it (taken from the system, then released). */
export async function unusedPort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// ---- UDP peer ----

export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
}

export class UdpPeer {
  readonly socket: dgram.Socket;
  private readonly received: Datagram[] = [];
  private readonly waiting: ((d: Datagram) => void)[] = [];

  constructor(type: 'udp4' | 'udp6') {
    this.socket = dgram.createSocket(type);
    this.socket.on('error', () => {});
    this.socket.on('message', (data, rinfo) => {
      const datagram = { data, address: rinfo.address, port: rinfo.port };
      const waiter = this.waiting.shift();
      if (waiter) waiter(datagram);
      else this.received.push(datagram);
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  next(): Promise<Datagram> {
    const datagram = this.received.shift();
    if (datagram) return Promise.resolve(datagram);
    return withTimeout(new Promise((resolve) => this.waiting.push(resolve)), 'a datagram at the harness socket');
  }

  send(data: Buffer, port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, host, (err) => (err ? reject(err) : resolve())));
  }
}

/** A harness UDP socket bound to an ephemeral port on host. */
export async function bindUdp(t: TestContext, host = '127.0.0.1'): Promise<UdpPeer> {
  const peer = new UdpPeer(net.isIPv6(host) ? 'udp6' : 'udp4');
  t.after(() => peer.socket.close());
  peer.socket.bind(0, host);
  await withTimeout(once(peer.socket, 'listening'), `binding a UDP socket on ${host}`);
  return peer;
}

// ---- helpers ----

/** Whether this machine has an IPv6 loopback (some containers do not). */
export async function hasIpv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  try {
    server.listen(0, '::1');
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

export async function withTimeout<T>(promise: Promise<T>, what: string, detail?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}${detail ? `; ${detail()}` : ''}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeExit(exit: Exit | undefined): string {
  if (!exit) return 'still running';
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/**
 * The program ends on its own with `code` and exactly one line on stderr matching `pattern`:
 * the contract for every error a user can cause (no stack trace, no second line).
 */
export async function expectOneLineError(program: Program, code: number, pattern: RegExp): Promise<void> {
  const exit = await program.exit();
  const lines = program.stderrLines();
  const context = `\n${program.transcript()}`;
  if (exit.code !== code) throw new Error(`${program.name} should exit with code ${code}, got ${describeExit(exit)}${context}`);
  if (lines.length !== 1) throw new Error(`${program.name} should print exactly one line on stderr, printed ${lines.length}${context}`);
  if (!pattern.test(lines[0]!)) throw new Error(`${program.name}'s error line should match ${pattern}${context}`);
}

/** A wrong command line, and what the one error line must mention. */
export type BadFlag = [label: string, args: string[], pattern: RegExp];

/** The usage errors every lesson program rejects with exit 2 and one line on stderr. */
export const COMMON_BAD_FLAGS: BadFlag[] = [
  ['a port that is not a number', ['--port', 'abc'], /port/],
  ['a port above 65535', ['--port', '70000'], /port/],
  ['an unknown flag', ['--colour', 'blue'], /colour/],
  ['an unknown encoding', ['--encoding', 'klingon'], /klingon/],
];

/**
 * One test per bad flag: `NAME rejects LABEL with exit 2 and one line`, where NAME is the file name
 * unless `name` says otherwise; `extraArgs` go after the flag on every run (a required argument).
 */
export function itRejectsBadFlags(target: Target, file: string, flags: BadFlag[], options: { name?: string; extraArgs?: string[] } = {}): void {
  for (const [label, args, pattern] of flags) {
    it(`${options.name ?? file} rejects ${label} with exit 2 and one line`, async (t) => {
      // Checks the flag contract: usage errors exit 2 with a single line on stderr, no stack trace.
      await expectOneLineError(start(t, target, file, [...args, ...(options.extraArgs ?? [])]), 2, pattern);
    });
  }
}

/** A RegExp that matches `text` literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Fails if the peer sends anything within `ms`. Absence has no event to wait for, so this is the
 * one wait on a timer: a correct peer can never fail it, and it does not hold up anything that
 * follows. It catches a peer that answers too early, for instance before the message has ended.
 */
export async function expectNoDataFor(socket: net.Socket, ms: number, failure: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      clearTimeout(timer);
      reject(new Error(`${failure}; it sent ${JSON.stringify(chunk.toString('latin1'))}`));
    };
    const timer = setTimeout(() => {
      socket.off('data', onData);
      resolve();
    }, ms);
    socket.once('data', onData);
  });
}
