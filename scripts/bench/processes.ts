// The benchmark's processes: each runs in its own process group (so stopping it stops whatever it
// started), with a time limit, its output kept for the report, and its peak memory read from
// /proc/PID/status (VmHWM, the kernel's high-water mark of its resident set) while it runs: no
// benchmark code goes into the programs measured.

import { readFileSync } from 'node:fs';
import { Child } from '../runtime/child.ts';
import { ProgramFailure } from '../runtime/failure.ts';

const POLL_MS = 20; // VmHWM only grows, so the last reading before the end is the peak, to within this
const OUTPUT_CAP = 64 * 1024; // the tail of each stream kept for the report
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

/** A process under measurement: a runtime Child that keeps the tail of its output, with a time limit and its peak memory. */
export class Measured {
  maxRss: number | undefined;
  readonly ended: Promise<Ended>;
  private readonly child: Child;
  private readonly started = performance.now();
  private timedOut = false;
  private exited = false;

  constructor(
    readonly argv: string[],
    options: StartOptions,
  ) {
    this.child = new Child(argv, {
      name: this.describe(),
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdin: 'ignore',
      outputCap: OUTPUT_CAP,
      onFlood: 'tail',
      checkLeftovers: false, // what it leaves in its group is killed when it ends
      who: 'bench',
    });
    running.add(this);
    const poll = setInterval(() => this.readPeak(), POLL_MS);
    this.readPeak();
    // At the limit, SIGTERM first (the grader removes its staging folder on it), SIGKILL 2 s later.
    let hardLimit: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGTERM');
      hardLimit = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    }, options.timeoutMs);
    this.ended = this.child.exited.then(({ code, signal }) => {
      this.exited = true;
      const ms = performance.now() - this.started;
      clearInterval(poll);
      clearTimeout(limit);
      clearTimeout(hardLimit);
      running.delete(this);
      this.child.kill('SIGKILL'); // anything it left in its group
      return { code, signal, ms, maxRss: this.maxRss, timedOut: this.timedOut };
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stdout(): string {
    return this.child.stdout;
  }

  get stderr(): string {
    return this.child.stderr;
  }

  /** The port of its ready line; rejects when the process ends first or after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<string> {
    try {
      return String(await this.child.ready(timeoutMs));
    } catch (err) {
      if (!(err instanceof ProgramFailure)) throw err;
      const what = 'its ready line';
      throw new Error(
        err.kind === 'no-ready-line'
          ? `${this.describe()} printed no ${what} within ${timeoutMs / 1000} s${this.tail()}`
          : `${this.describe()} ended before printing ${what}${this.tail()}`,
      );
    }
  }

  /** Reads the peak one last time, then stops the process group (SIGTERM, SIGKILL after `graceMs`). */
  async stop(graceMs = 2000): Promise<Ended> {
    this.readPeak();
    await this.child.stop(graceMs);
    return this.ended;
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
