// The benchmark's processes: each runs in its own process group (so stopping it stops whatever it
// started), with a time limit, its output kept for the report, and its peak memory read from
// /proc/PID/status (VmHWM, the kernel's high-water mark of its resident set) while it runs: no
// benchmark code goes into the programs measured.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const POLL_MS = 20; // VmHWM only grows, so the last reading before the end is the peak, to within this
const OUTPUT_CAP = 64 * 1024;
const running = new Set<Measured>();

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From spawn to exit, in milliseconds. */
  ms: number;
  /** The peak resident set in bytes (VmHWM), or undefined where /proc is missing. */
  maxRss: number | undefined;
  timedOut: boolean;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (the whole group) after this long. */
  timeoutMs: number;
}

/** A process under measurement. */
export class Measured {
  stdout = '';
  stderr = '';
  maxRss: number | undefined;
  readonly ended: Promise<Ended>;
  private readonly child: ChildProcess;
  private readonly started = performance.now();
  private timedOut = false;
  private exited = false;

  constructor(readonly argv: string[], options: StartOptions) {
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group
    });
    running.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => (this.stdout = (this.stdout + text).slice(-OUTPUT_CAP)));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-OUTPUT_CAP)));
    const poll = setInterval(() => this.readPeak(), POLL_MS);
    this.readPeak();
    // At the limit, SIGTERM first (the grader removes its staging folder on it), SIGKILL 2 s later.
    let hardLimit: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => {
      this.timedOut = true;
      this.kill('SIGTERM');
      hardLimit = setTimeout(() => this.kill('SIGKILL'), 2000);
    }, options.timeoutMs);
    this.ended = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exited) return;
        this.exited = true;
        const ms = performance.now() - this.started;
        clearInterval(poll);
        clearTimeout(limit);
        clearTimeout(hardLimit);
        running.delete(this);
        this.kill('SIGKILL'); // anything it left in its group
        resolve({ code, signal, ms, maxRss: this.maxRss, timedOut: this.timedOut });
      };
      this.child.on('error', (err) => {
        this.stderr += `bench: could not start ${argv[0]}: ${err.message}\n`;
        finish(null, null);
      });
      // 'close': the exit, and the output it wrote before it.
      this.child.on('close', finish);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the first match of `pattern` on stdout; rejects when the process ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = this.stdout.match(pattern);
        if (match) {
          cleanUp();
          resolve(match);
        }
        return match !== null;
      };
      const timer = setTimeout(() => {
        cleanUp();
        reject(new Error(`${this.describe()} printed no ${pattern} within ${timeoutMs / 1000} s${this.tail()}`));
      }, timeoutMs);
      const cleanUp = (): void => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
      };
      if (check()) return;
      this.child.stdout!.on('data', check);
      void this.ended.then(() => {
        if (check()) return;
        cleanUp();
        reject(new Error(`${this.describe()} ended before printing ${pattern}${this.tail()}`));
      });
    });
  }

  /** Reads the peak one last time, then stops the process group (SIGTERM, SIGKILL after `graceMs`). */
  async stop(graceMs = 2000): Promise<Ended> {
    this.readPeak();
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    const ended = await this.ended;
    clearTimeout(timer);
    return ended;
  }

  describe(): string {
    return this.argv.map((arg) => arg.replace(/^.*\/(?=[^/]+$)/, '')).join(' ');
  }

  tail(): string {
    const text = `${this.stdout.slice(-600)}${this.stderr.slice(-600)}`.trim();
    return text ? `; its output ends with:\n${text}` : '';
  }

  private readPeak(): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
      if (match) this.maxRss = Math.max(this.maxRss ?? 0, Number(match[1]) * 1024);
    } catch {
      // it has just ended, or there is no /proc (then no peak is reported)
    }
  }

  private kill(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // the group is gone already
    }
  }
}

/** Runs argv to its end and returns how it ended, with its output. */
export async function runToEnd(argv: string[], options: StartOptions): Promise<Ended & { stdout: string; stderr: string; what: string }> {
  const process_ = new Measured(argv, options);
  const ended = await process_.ended;
  return { ...ended, stdout: process_.stdout, stderr: process_.stderr, what: process_.describe() };
}

/** Kills every process group the benchmark started and has not seen end (on exit, Ctrl-C, a failure). */
export function killAll(): void {
  for (const measured of running) void measured.stop(0);
}
