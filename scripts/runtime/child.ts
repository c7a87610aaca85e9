// The one process runtime: every program the harness, the runner, the grader and the benchmark
// start is a Child. By default it runs in a process group of its own (on Windows, which has none:
// its process tree, see processes.ts), so stopping it stops whatever it started; its output is kept, capped (a program that floods is stopped, or only the tail is
// kept); waits for a line or for the exit are bounded and fail with a typed ProgramFailure holding
// the output so far; and a program that exits by itself must leave its group empty.

import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type Failure, type FailureKind, ProgramFailure } from './failure.ts';
import { groupAlive, hasProcessGroups, signalGroup, statFields } from './processes.ts';

/** The ready line every listening program prints once it has bound: the only copy of this pattern. */
export const READY_LINE = /^listening on (\S+):(\d+)\s*$/m;
export const READY_WHAT = 'the ready line "listening on HOST:PORT"';

/**
 * How long any single wait may take before it fails with what it saw so far. Generous, because
 * starting node on a loaded 2-core machine can take seconds; a correct program never waits this
 * long, so only failing runs pay for it.
 */
export const WAIT_MS = Number(process.env.SOCKET_LESSONS_WAIT_MS ?? 10_000);
// How long output may keep arriving after a program has exited: it is all in the pipe by then and
// normally read at once, but with 1 s a copy of the solution, graded among 30 at a load of 34, lost
// its server's "received" line (exit 0, nothing after the ready line), most likely cut off here. Only
// a pipe held open by a process the program left behind waits this long.
const DRAIN_MS = 3000;
const LEAK_GRACE_MS = 1000; // how long a finished program's process group may take to empty
/** A file to which every Child started (and every esbuild transpile, scripts/run-ts) adds a line: `npm run bench` counts them. */
export const SPAWN_LOG_VARIABLE = 'SOCKET_LESSONS_SPAWN_LOG';
export const OUTPUT_CAP = 256 * 1024; // output kept per stream, so a flooding program cannot exhaust memory
const BUSY_SHARE = 0.5; // a program that used more than half a CPU while another waited is looping, not waiting
const CLOCK_TICKS = 100; // the unit of /proc/PID/stat's times on Linux (USER_HZ)

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  /** The program as messages name it: its file (server.ts) or its role. */
  name: string;
  /** Arguments after argv; ready() checks the port it announces against their --port. */
  args?: string[];
  /** The command line failures show, before `args` (default argv): the program's own file, not node's loader. */
  shownAs?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** 'inherit' gives the program the terminal (stdin, stdout and stderr); the default is pipes. */
  stdio?: 'pipe' | 'inherit';
  /** stdin only: 'ignore' for a program that reads none. */
  stdin?: 'pipe' | 'ignore';
  /** Its own process group (the default): stop() and the leftover check reach what it started. */
  group?: boolean;
  /** Characters kept per stream (default OUTPUT_CAP). */
  outputCap?: number;
  /** Past the cap: 'stop' the program (a finding that fails it, the harness), or keep the 'tail' (the benchmark). */
  onFlood?: 'stop' | 'tail';
  /** Called with each line of its stdout or stderr (the runner prefixes them by role). */
  onLine?: { stdout?: (line: string) => void; stderr?: (line: string) => void };
  /** How long waitFor() and exit() wait (default WAIT_MS). */
  waitMs?: number;
  /** After it exits by itself, fail it if its group does not empty (default: with a group of its own). */
  checkLeftovers?: boolean;
  /** Who writes the notes added to its output ("harness: could not start ..."). */
  who?: string;
  /** The other programs of the same test, so that a failure can say which of them still ran, or kept the CPU busy. */
  peers?: () => Child[];
}

type Finding = { kind: FailureKind; text: string };

/** Which running program announced which port in its ready line, so a refused connection can name it. */
const announced = new Map<number, Child>();

/** The running program whose ready line gave `port`, if any. */
export function announcedBy(port: number): Child | undefined {
  return announced.get(port);
}

/** Names `child` as the program behind `port` too: a relay's port in front of it (tests under faults). */
export function announce(port: number, child: Child): void {
  announced.set(port, child);
  void child.exited.then(() => announced.get(port) === child && announced.delete(port));
}

export class Child {
  stdout = '';
  stderr = '';
  /** Everything written to its stdin so far. */
  input = '';
  exitStatus: Exit | undefined;
  /** Why the runtime stopped or failed the program on its own (a flood, a process left behind). */
  problem: string | undefined;
  /** Set when it could not be spawned at all. */
  startError: Error | undefined;
  readonly name: string;
  readonly args: string[];
  /** Its command line as failures show it. */
  readonly command: string[];
  readonly exited: Promise<Exit>;
  protected readonly process: ChildProcess;
  private finding: Finding | undefined;
  /** Stopped by us, as a group: nothing can have been left behind, and its exit is no failure of its own. */
  killed = false;
  /** The test waited for its exit (exit()): an exit it expected, not a crash another wait should report. */
  exitAwaited = false;
  private readonly waitMs: number;
  private readonly cap: number;
  private readonly startedAt = performance.now();

  constructor(
    argv: string[],
    private readonly options: ChildOptions,
  ) {
    this.name = options.name;
    this.args = options.args ?? [];
    this.command = [...(options.shownAs ?? argv), ...this.args];
    this.waitMs = options.waitMs ?? WAIT_MS;
    this.cap = options.outputCap ?? OUTPUT_CAP;
    const inherit = options.stdio === 'inherit';
    const group = options.group ?? true;
    // The benchmark's count of what a grading starts: one line per process, from every process that inherits the variable.
    const log = process.env[SPAWN_LOG_VARIABLE];
    if (log) appendFileSync(log, `${JSON.stringify(['spawn', ...argv])}\n`);
    this.process = spawn(argv[0]!, [...argv.slice(1), ...this.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: inherit ? 'inherit' : [options.stdin ?? 'pipe', 'pipe', 'pipe'],
      // Its own process group, so stop() reaches any process it started. Not on Windows, which has
      // no groups (detached there means a console window of its own): stop() ends its tree instead.
      detached: group && hasProcessGroups(),
      windowsHide: true,
    });
    if (!inherit) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const source = this.process[stream]!;
        source.setEncoding('utf8').on('data', (text: string) => (this[stream] = this.capped(this[stream] + text, stream)));
        const onLine = options.onLine?.[stream];
        if (onLine) createInterface({ input: source }).on('line', onLine);
      }
      this.process.stdin?.on('error', () => {}); // the program may exit before reading its input
    }
    const closed = new Promise<void>((resolve) => this.process.once('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      this.process.on('error', (err) => {
        this.startError = err;
        this.stderr += `${options.who ?? 'harness'}: could not start ${argv.join(' ')}: ${err.message}\n`;
        this.exitStatus = { code: null, signal: null };
        resolve(this.exitStatus);
      });
      this.process.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        const leftovers = (options.checkLeftovers ?? group) ? this.checkLeftovers() : Promise.resolve();
        void leftovers.then(async () => {
          // Output still in the pipes arrives before 'close'; bounded in case a pipe is held open.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([closed, new Promise((done) => (timer = setTimeout(done, DRAIN_MS)))]);
          clearTimeout(timer);
          this.process.stdout?.destroy();
          this.process.stderr?.destroy();
          resolve(this.exitStatus!);
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /**
   * After the program has exited by itself, its process group must empty: anything left is a
   * process it started and abandoned, which fails it. tsx's esbuild helper (a child that ends when
   * its parent does) takes a moment to go, hence a short, bounded grace before the verdict.
   */
  private async checkLeftovers(): Promise<void> {
    for (let waited = 0; !this.killed && this.process.pid !== undefined && groupAlive(this.process.pid); waited += 25) {
      if (waited >= LEAK_GRACE_MS) {
        this.found(
          'left-process',
          `${this.name} exited but left a process running (it was killed by the ${this.options.who ?? 'harness'})`,
        );
        this.kill('SIGKILL');
        // A killed process is gone only once the system has taken it down: wait for that, bounded,
        // so that whoever reads the verdict sees an empty group.
        for (let gone = 0; gone < LEAK_GRACE_MS && groupAlive(this.process.pid); gone += 25) {
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Waits for the ready line `listening on HOST:PORT` (at most `ms`) and returns the bound port. */
  async ready(ms = this.waitMs): Promise<number> {
    const match = await this.wait(READY_LINE, 'stdout', READY_WHAT, 'no-ready-line', ms);
    const port = Number(match[2]);
    const asked = this.args.indexOf('--port');
    const wanted = asked >= 0 ? Number(this.args[asked + 1]) : NaN;
    if (wanted > 0 && port !== wanted) {
      throw this.failure(
        'wrong-port',
        `${this.name} was started with --port ${wanted} but says "${match[0].trim()}": it must bind the port it is given\n${this.transcript()}`,
        { expected: String(wanted), actual: String(port) },
      );
    }
    announced.set(port, this);
    void this.exited.then(() => announced.get(port) === this && announced.delete(port));
    return port;
  }

  /** Resolves with the first match of `pattern` in the stream; fails on timeout or exit first. */
  waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', what = String(pattern), ms = this.waitMs): Promise<RegExpMatchArray> {
    return this.wait(pattern, stream, what, 'wrong-output', ms);
  }

  private wait(pattern: RegExp, stream: 'stdout' | 'stderr', what: string, onTimeout: FailureKind, ms: number): Promise<RegExpMatchArray> {
    const source = this.process[stream];
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        source?.off('data', check);
        finish();
      };
      const check = (): void => {
        const match = this[stream].match(pattern);
        if (match) settle(() => resolve(match));
      };
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              this.failure(onTimeout, `${this.name} did not print ${what} within ${ms} ms\n${this.transcript()}`, { what, waitedMs: ms }),
            ),
          ),
        ms,
      );
      source?.on('data', check); // added after our own 'data' listener, so the text is already appended
      check();
      void this.exited.then(() => {
        check();
        const exit = describeExit(this.exitStatus);
        settle(() =>
          reject(
            this.failure('exited-early', `${this.name} exited (${exit}) before printing ${what}\n${this.transcript()}`, {
              what,
              actual: exit,
            }),
          ),
        );
      });
      // A program of the same test that failed (an exit code other than 0, or a signal) without the
      // test waiting for its exit was meant to keep running: most likely it was the one this program
      // waits for (a client that crashed before connecting). Fail at once, naming it.
      for (const peer of this.options.peers?.() ?? []) {
        if (peer === this) continue;
        void peer.exited.then(() => {
          if (settled || peer.exitAwaited || peer.killed) return;
          if (!failedExit(peer.exitStatus)) {
            // A peer that ended well is no failure by itself; but once every other program has
            // ended and this one, past its start, sits idle, nothing is left to make it print: a
            // client that exited at once, and a server still waiting for it. Not for a ready line,
            // which a program prints on its own (and a program still starting may sleep, under load).
            if (onTimeout === 'no-ready-line') return;
            void this.idleAfter(peer, () => settled).then((idle) => {
              if (!idle || settled) return;
              check(); // what arrived meanwhile still counts
              const exit = describeExit(peer.exitStatus);
              settle(() =>
                reject(
                  peer.failure(
                    'exited-early',
                    `${peer.name} exited (${exit}) while the test waited for ${this.name} to print ${what}, and ${this.name} then sat idle: nothing was left to make it print\n${peer.transcript()}\n${this.transcript()}`,
                    { what: `${this.name} to print ${what}`, actual: exit, waitedOnPeer: true },
                  ),
                ),
              );
            });
            return;
          }
          const grace = setTimeout(
            () =>
              setImmediate(() => {
                check(); // what arrived meanwhile still counts
                if (settled || peer.exitAwaited) return;
                const exit = describeExit(peer.exitStatus);
                settle(() =>
                  reject(
                    peer.failure(
                      'exited-early',
                      `${peer.name} exited (${exit}) while the test waited for ${this.name} to print ${what}\n${peer.transcript()}\n${this.transcript()}`,
                      { what: `${this.name} to print ${what}`, actual: exit, waitedOnPeer: true },
                    ),
                  ),
                );
              }),
            EXIT_GRACE_MS,
          );
          grace.unref();
        });
      }
    });
  }

  /**
   * Resolves true once `peer` has exited, every other program of the test has too, and this one,
   * which has printed something (it has started), has been idle for IDLE_MS after EXIT_GRACE_MS:
   * asleep (not runnable: no input is waiting for it), using no CPU and printing nothing. False as soon as `done()`, or when the system cannot
   * say (no /proc). Only Linux's /proc shows this; elsewhere the wait runs to its limit.
   */
  private async idleAfter(peer: Child, done: () => boolean): Promise<boolean> {
    const others = (): Child[] => (this.options.peers?.() ?? []).filter((p) => p !== this);
    await new Promise((resolve) => setTimeout(resolve, EXIT_GRACE_MS).unref());
    let last = '';
    let since = performance.now();
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve)); // read what is already in the pipes first
      if (done() || this.exitStatus !== undefined || peer.exitAwaited) return false;
      if (this.stdout === '' && this.stderr === '') return false; // still starting, as far as anyone can tell
      if (others().some((p) => p.exitStatus === undefined)) return false; // another program may still send to it
      const activity = this.activity();
      if (activity === undefined) return false;
      if (!activity.asleep || activity.key !== last) {
        last = activity.asleep ? activity.key : '';
        since = performance.now();
      } else if (performance.now() - since >= IDLE_MS) return true;
      await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS).unref());
    }
  }

  /**
   * Whether the program sleeps (every thread of it waits for an event) and what changes while it
   * works: its CPU time (all threads) and its output. Linux only; undefined elsewhere.
   */
  private activity(): { asleep: boolean; key: string } | undefined {
    try {
      const [utime, stime] = statFields(`/proc/${this.process.pid}/stat`).slice(11, 13);
      // S: asleep until an event; R (runnable: its input has come, or it computes), D (in the kernel): at work.
      const threads = readdirSync(`/proc/${this.process.pid}/task`);
      const asleep = threads.every((thread) => statFields(`/proc/${this.process.pid}/task/${thread}/stat`)[0] === 'S');
      return { asleep, key: `${utime} ${stime} ${this.stdout.length} ${this.stderr.length}` };
    } catch {
      return undefined;
    }
  }

  writeLine(line: string): void {
    this.input += `${line}\n`;
    this.process.stdin?.write(`${line}\n`);
  }

  endInput(): void {
    this.process.stdin?.end();
  }

  /** Waits for the program to exit by itself; fails with its output if it does not. */
  exit(): Promise<Exit> {
    this.exitAwaited = true;
    return withTimeout(this.exited, `${this.name} to exit`, () => `\n${this.transcript()}`, this, this.waitMs);
  }

  /** Sends `signal` to the program itself (not its group), if it still runs. */
  signal(signal: NodeJS.Signals): void {
    this.exitAwaited = true; // the test ends it: whatever its exit, another wait need not report it
    if (this.exitStatus === undefined) this.process.kill(signal);
  }

  /**
   * Stops the program and waits until it is gone: with no grace, SIGKILL at once (the harness);
   * otherwise SIGTERM, then SIGKILL after `graceMs`. With a group of its own, the whole group.
   */
  async stop(graceMs = 0): Promise<Exit> {
    if (this.exitStatus === undefined) {
      this.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
      if (graceMs > 0) {
        const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
        await this.exited;
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  /** Sends `signal` to its group (or, without a group of its own, to the program). */
  kill(signal: NodeJS.Signals): void {
    if (this.process.pid === undefined) return;
    this.exitAwaited = true;
    if (signal === 'SIGKILL') this.killed = true;
    if (this.options.group ?? true) signalGroup(this.process.pid, signal);
    else if (this.exitStatus === undefined) this.process.kill(signal);
  }

  /** Non-empty lines of stderr, for "exactly one line" checks. */
  stderrLines(): string[] {
    return this.stderr.split('\n').filter((line) => line.trim() !== '');
  }

  /** What the program printed, after the runtime's own finding (a flood, a process left behind) if any. */
  transcript(): string {
    const finding = this.problem ? `${this.options.who ?? 'harness'}: ${this.problem}\n` : '';
    return `${finding}--- ${this.name} stdout ---\n${this.stdout}--- ${this.name} stderr ---\n${this.stderr}---`;
  }

  /**
   * A failure of this program with `text` as its message. A finding of the runtime (a flood, a
   * process left behind) explains whatever else went wrong, so it gives the kind; so does a start
   * that failed.
   */
  failure(kind: FailureKind, text: string, details: Omit<Failure, 'kind' | 'program' | 'command' | 'input'> = {}): ProgramFailure {
    const others = (this.options.peers?.() ?? []).filter((p) => p !== this && p.exitStatus === undefined);
    const busy = others.filter((p) => p.cpuShare() > BUSY_SHARE).map((p) => p.name);
    return new ProgramFailure(text, {
      ...details,
      kind: this.finding?.kind ?? (this.didNotStart() ? 'did-not-start' : kind),
      program: this.name,
      command: this.command,
      input: this.input,
      ...(others.length > 0 ? { running: others.map((p) => p.name) } : {}),
      ...(busy.length > 0 ? { busy } : {}),
    });
  }

  /** The share of one CPU the program (its main process) has used since it started (Linux; 0 elsewhere). */
  cpuShare(): number {
    try {
      const [utime, stime] = statFields(`/proc/${this.process.pid}/stat`).slice(11, 13).map(Number);
      const seconds = (performance.now() - this.startedAt) / 1000;
      return seconds > 0 ? ((utime ?? 0) + (stime ?? 0)) / CLOCK_TICKS / seconds : 0;
    } catch {
      return 0;
    }
  }

  /** The runtime's own finding (a flood, a process left behind), as a failure; undefined when there is none. */
  findingFailure(): ProgramFailure | undefined {
    return this.finding ? this.failure(this.finding.kind, this.transcript()) : undefined;
  }

  /** Could not be spawned, or ended with nothing on stdout and a compile or module error on stderr. */
  private didNotStart(): boolean {
    if (this.startError) return true;
    const exit = this.exitStatus;
    return exit !== undefined && exit.code !== 0 && this.stdout === '' && START_ERROR.test(this.stderr);
  }

  private found(kind: FailureKind, text: string): void {
    if (this.finding) return;
    this.finding = { kind, text };
    this.problem = text;
  }

  /** Keeps at most the cap of a stream: its head, stopping a program that floods, or its tail. */
  private capped(text: string, stream: string): string {
    if (text.length <= this.cap) return text;
    if (this.options.onFlood === 'tail') return text.slice(-this.cap);
    if (this.finding?.kind !== 'flooded') {
      this.found(
        'flooded',
        `${this.name} printed more than ${this.cap / 1024} KiB on ${stream}; the ${this.options.who ?? 'harness'} stopped it`,
      );
      this.kill('SIGKILL');
    }
    return `${text.slice(0, this.cap)}\n[${this.options.who ?? 'harness'}: ${this.problem}]\n`;
  }
}

/** What node, the TypeScript loader or Python prints when a program cannot even be loaded. */
export const START_ERROR =
  /^(SyntaxError: |IndentationError: |TabError: |Error \[ERR_MODULE_NOT_FOUND\]|TypeError \[ERR_UNKNOWN_FILE_EXTENSION\]|Error: Cannot find module |ModuleNotFoundError: |ImportError: )|Transform failed with \d+ error|can't open file .*No such file or directory/m;

/** Ended with an exit code other than 0 or by a signal. */
function failedExit(exit: Exit | undefined): boolean {
  return exit !== undefined && (exit.code !== 0 || exit.signal !== null);
}

export function describeExit(exit: Exit | undefined): string {
  if (!exit) return 'still running';
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/**
 * How long a harness wait goes on after every program it depends on has exited: what they sent
 * before exiting is already in the system's buffers, so this only lets the event loop read it.
 * Under faults (tests/harness/faults.ts) it may still be in a relay, passed on a byte a millisecond
 * (slicer) or held back (latency): a few seconds then.
 */
export const EXIT_GRACE_MS = process.env.SOCKET_LESSONS_FAULTS ? 3000 : 300;
/**
 * How long a program must sit idle (asleep, no CPU used, nothing printed) after its test's other
 * programs have ended well, before a wait for its output gives up (Child.idleAfter). Input for it
 * wakes it at once (it is then runnable), so this only has to outlast the gaps between samples;
 * under faults a relay may hold its input back for longer (latency), so it waits as long as the grace.
 */
const IDLE_MS = process.env.SOCKET_LESSONS_FAULTS ? 3000 : 500;
const IDLE_SAMPLE_MS = 50;

/**
 * Resolves with the program that explains a wait's failure once every one of `programs` has
 * exited (the first that ended badly, else the first), after EXIT_GRACE_MS and one more turn of
 * the event loop's poll phase, so that anything they sent has been read; never resolves for none.
 */
export function allExited(programs: Child[]): { promise: Promise<Child>; cancel: () => void } {
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<Child>((resolve) => {
    if (programs.length === 0) return;
    void Promise.all(programs.map((p) => p.exited)).then(() => {
      if (cancelled) return;
      timer = setTimeout(
        () =>
          // setImmediate runs after the poll phase: socket events already in the system are handled first.
          setImmediate(() => {
            if (cancelled) return;
            const bad = programs.find((p) => p.exitStatus?.code !== 0 || p.exitStatus.signal !== null);
            resolve(bad ?? programs[0]!);
          }),
        EXIT_GRACE_MS,
      );
    });
  });
  return {
    promise,
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

/**
 * `promise`, or a 'timed-out' failure after `ms` naming `what` (and `detail()`, the output so far);
 * with `child`, the failure names that program. With `dependsOn`, the programs that alone can make
 * `promise` settle (the test's programs, for a wait on the network): once all of them have exited,
 * it fails at once as 'exited-early', naming the one that ended badly, instead of waiting out `ms`.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  detail?: () => string,
  child?: Child,
  ms = WAIT_MS,
  dependsOn: Child[] = [],
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // A wait on the one program the test runs is a wait on that program: the failure names it.
  const blamed = child ?? (dependsOn.length === 1 ? dependsOn[0] : undefined);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const text = `timed out after ${ms} ms waiting for ${what}${detail ? `; ${detail()}` : ''}`;
      reject(
        blamed
          ? blamed.failure('timed-out', text, { what, waitedMs: ms })
          : new ProgramFailure(text, { kind: 'timed-out', what, waitedMs: ms }),
      );
    }, ms);
  });
  const exits = allExited(dependsOn);
  const ended = exits.promise.then((program): never => {
    const exit = describeExit(program.exitStatus);
    throw program.failure(
      'exited-early',
      `${program.name} exited (${exit}) while the test waited for ${what}${detail ? `; ${detail()}` : ''}\n${program.transcript()}`,
      { what, actual: exit, waitedOnPeer: true },
    );
  });
  try {
    return await Promise.race([promise, timeout, ended]);
  } finally {
    clearTimeout(timer);
    exits.cancel();
  }
}

export interface CommandResult extends Exit {
  stdout: string;
  stderr: string;
  /** It was still running at the time limit and was stopped (SIGTERM, then SIGKILL). */
  timedOut: boolean;
}

/**
 * Runs one of the repository's own commands (or any argv) to its end, with no input, in a process
 * group of its own that is stopped at `timeoutMs`: how the repository's tests run `npm run grade`,
 * `npm run check` and the like.
 */
export async function runCommand(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; name?: string },
): Promise<CommandResult> {
  const child = new Child(argv, {
    name: options.name ?? path.basename(argv.find((arg) => /\.m?[jt]s$/.test(arg)) ?? argv[0]!),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
    stdin: 'ignore',
    onFlood: 'tail',
    checkLeftovers: false,
    who: 'runtime',
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.stop(2000);
  }, options.timeoutMs);
  const exit = await child.exited;
  clearTimeout(timer);
  // Anything it left in its group (POSIX; on Windows a tree whose first process has gone cannot be found).
  if (child.pid !== undefined && hasProcessGroups()) signalGroup(child.pid, 'SIGKILL');
  return { ...exit, stdout: child.stdout, stderr: child.stderr, timedOut };
}
