// `npm run lesson`: lists the lessons, runs a whole lesson on loopback, or runs one of its programs.
//   npm run lesson                                   list every lesson
//   npm run lesson 04-tcp-server [-- --demo]         start every program in order, prefixed by role
//   npm run lesson 04-tcp-server server -- --port N  run one program with its own flags (two terminals)
//   npm run lesson 04-tcp-server -- --exercise       copy its programs to work/04-tcp-server/ to do the exercise
// Everything comes from the lesson manifests (lessons/NN-slug/lesson.json).

import { cpSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { exitQuietlyOnClosedStdout, parseCommandLine, usageError } from './cli.ts';
import { type Course, findLesson, type Lesson, loadCourse, type Program, programPath } from './manifest.ts';
import { workFolder, workStatus } from './progress.ts';
import { typescriptLoaderArgs } from './run-ts/index.ts';
import { Child, type ChildOptions } from './runtime/child.ts';
import { ProgramFailure } from './runtime/failure.ts';

const READY_TIMEOUT_MS = 10_000; // a listener that has not bound by then will not
const DEMO_TIMEOUT_MS = 30_000; // a scripted demo that has not finished by then is stuck
const STOP_GRACE_MS = 2_000; // after SIGTERM, how long a program may take before SIGKILL
const COLOURS = [36, 35, 33, 32, 34]; // cyan, magenta, yellow, green, blue: one per role
const USE_COLOUR = process.stdout.isTTY === true && !process.env.NO_COLOR;

const USAGE = `usage: npm run lesson [LESSON [ROLE]] [-- OPTIONS]
  npm run lesson                                   list the lessons
  npm run lesson 04-tcp-server                     run all of its programs; type into the interactive one
  npm run lesson 04-tcp-server -- --demo           feed the lesson's scripted input instead (also when stdin is not a terminal)
  npm run lesson 04-tcp-server server -- --port 7788   run one program with its own flags
  npm run lesson 04-tcp-server -- --exercise       copy its programs to work/04-tcp-server/ for the exercise
LESSON is the full name, its number (04) or its slug (tcp-server).
options for a whole lesson: --demo, --host HOST, --encoding NAME (passed to every program), --exercise, --help`;

exitQuietlyOnClosedStdout();
const children = new Set<Child>();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

async function main(args: string[]): Promise<void> {
  const course = loadCourse();
  const { lessons } = course;
  const [name, role] = args.filter((arg, i) => !arg.startsWith('-') && args.slice(0, i).every((a) => !a.startsWith('-')));
  if (name === undefined) {
    if (args.includes('--help') || args.includes('-h')) console.log(USAGE);
    else listLessons(course);
    return;
  }
  const lesson = findLesson(lessons, name);
  if (!lesson) {
    const broken = findLesson(course.broken, name);
    usageError('lesson', broken ? broken.problem : `unknown lesson '${name}'; the lessons are: ${lessons.map((l) => l.id).join(', ')}`);
  }
  if (role !== undefined) {
    const program = lesson.programs.find((p) => p.role === role);
    if (!program)
      usageError('lesson', `unknown role '${role}' in ${lesson.id}; its roles are: ${lesson.programs.map((p) => p.role).join(', ')}`);
    return runOne(lesson, program, args.slice(2));
  }
  const { values } = parseCommandLine('lesson', {
    args: args.slice(1),
    options: {
      demo: { type: 'boolean', default: false },
      host: { type: 'string' },
      encoding: { type: 'string' },
      exercise: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (values.exercise) return startExercise(lesson);
  const shared = [...(values.host ? ['--host', values.host] : []), ...(values.encoding ? ['--encoding', values.encoding] : [])];
  const demo = values.demo || !process.stdin.isTTY;
  process.exitCode = await runLesson(lesson, shared, demo);
}

function listLessons({ lessons, broken }: Course): void {
  console.log('Lessons (run one with: npm run lesson NN):\n');
  const entries = [...lessons, ...broken].sort((a, b) => a.id.localeCompare(b.id));
  for (const lesson of entries) {
    if (!('programs' in lesson)) {
      console.log(`  ${lesson.id}  BROKEN: ${lesson.problem}\n`);
      continue;
    }
    console.log(`  ${lesson.id}  ${lesson.title}`);
    console.log(`      ${lesson.summary}`);
    console.log(`      programs: ${lesson.programs.map((p) => `${p.role} (${p.file})`).join(', ')}`);
    console.log(`      ports: ${lesson.ports.map((p) => `${p.note} ${p.section}`).join('; ')}`);
    const work = workStatus(lesson);
    console.log(`      exercise: ${work ?? `${lesson.exercise.title} (start it with: npm run lesson ${lesson.id} -- --exercise)`}\n`);
  }
}

/** The student's loop: a copy of the lesson's programs in work/ (git-ignored) to edit, then grade. */
function startExercise(lesson: Lesson): void {
  const dir = workFolder(lesson);
  const where = path.relative(process.cwd(), dir);
  if (existsSync(dir)) {
    console.log(`${where} already exists; your work there is kept (delete the folder to start again).`);
  } else {
    // The programs and what they use (08's sample files); not the README, manifest or tests.
    const skip = new Set(['README.md', 'lesson.json', `${lesson.id}.test.ts`]);
    cpSync(lesson.dir, dir, { recursive: true, filter: (source) => source === lesson.dir || !skip.has(path.relative(lesson.dir, source)) });
    console.log(`Copied the programs of ${lesson.id} to ${where}/.`);
  }
  console.log(
    `\nExercise: ${lesson.exercise.title}\n  ${lesson.exercise.summary}\n  Edit: ${lesson.exercise.files.map((f) => path.join(where, f)).join(', ')}`,
  );
  console.log(`\nGrade your work (each failure of the same exercise test shows one more hint):\n  npm run grade -- ${lesson.id} ${where}`);
}

/** Two-terminal mode: one program, the user's own flags, the terminal as its stdin and stdout. */
async function runOne(lesson: Lesson, program: Program, args: string[]): Promise<void> {
  const child = launch(lesson, program, args, { stdio: 'inherit' });
  // The terminal sends Ctrl-C to the program too; forwarding covers a SIGTERM sent to us alone.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.signal(signal));
  const { code, signal } = await child.exited;
  process.exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
}

/** Starts every program in manifest order; a listener first, on port 0, the others pointed at its port. */
async function runLesson(lesson: Lesson, shared: string[], demo: boolean): Promise<number> {
  const running = new Map<string, Running>();
  const stopAll = (): Promise<void> => stop([...running.values()]);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      say(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping every program`);
      void stopAll().then(() => process.exit(130));
    });
  }
  const deadline = demo
    ? setTimeout(() => void fail(`the demo did not finish within ${DEMO_TIMEOUT_MS / 1000} s`), DEMO_TIMEOUT_MS)
    : undefined;
  async function fail(reason: string): Promise<never> {
    say(`error: ${reason}`, true);
    await stopAll();
    process.exit(1);
  }

  try {
    for (const program of lesson.programs) {
      const args = [...(program.listens ? ['--port', '0'] : []), ...expand(program.args ?? [], running)];
      const run = new Running(lesson, program, [...args, ...shared], running.size);
      running.set(program.role, run);
      if (program.listens) run.port = await run.ready();
    }
  } catch (err) {
    return fail((err as Error).message);
  }

  const inputRoles = lesson.programs.filter((p) => p.interactive).map((p) => running.get(p.role)!);
  if (demo) {
    try {
      await feedDemo(lesson, running);
    } catch (err) {
      return fail((err as Error).message);
    }
    inputRoles.forEach((run) => run.child.endInput());
  } else {
    forwardTerminal(inputRoles);
  }

  // The lesson is over when every program that ends by itself has ended; servers that loop are stopped then.
  const finite = [...running.values()].filter((run) => !run.program.keepsRunning);
  await Promise.all(finite.map((run) => run.exit));
  await stopAll();
  clearTimeout(deadline);
  process.stdin.destroy(); // the terminal reader must not keep the process alive
  const failed = [...running.values()].filter((run) => !run.endedWell());
  for (const run of failed) say(`${run.program.role} ${describeExit(run)}`, true);
  if (failed.length === 0) say('done: every program finished');
  return failed.length === 0 ? 0 : 1;
}

/** Demo mode: each scripted line goes to its role, once the output it waits for has appeared. */
async function feedDemo(lesson: Lesson, running: Map<string, Running>): Promise<void> {
  for (const step of lesson.demo) {
    if (step.after) await running.get(step.after.role)!.waitForLine(new RegExp(step.after.pattern));
    const line = expand([step.line], running)[0]!;
    say(`demo input for ${step.role}: ${line}`);
    running.get(step.role)!.child.writeLine(line);
  }
}

/** A program started by runLesson, its output prefixed by role, waited on for its ready line and demo steps. */
class Running {
  port: number | undefined;
  stoppedByUs = false;
  readonly child: Child;
  readonly exit: Promise<unknown>;

  constructor(
    lesson: Lesson,
    readonly program: Program,
    args: string[],
    index: number,
  ) {
    const prefix = paint(`[${program.role}]`, COLOURS[index % COLOURS.length]!);
    this.child = launch(lesson, program, args, {
      onLine: { stdout: (line) => console.log(`${prefix} ${line}`), stderr: (line) => console.error(`${prefix} ${paint(line, 31)}`) },
    });
    this.exit = this.child.exited;
  }

  get status(): Child['exitStatus'] {
    return this.child.exitStatus;
  }

  ready(): Promise<number> {
    return this.said(this.child.ready(), 'its ready line "listening on HOST:PORT"');
  }

  /** Once a line of stdout matches `pattern` (its ^ and $ are a line's start and end). */
  async waitForLine(pattern: RegExp): Promise<void> {
    await this.said(this.child.waitFor(new RegExp(pattern.source, `${pattern.flags.replace('m', '')}m`)), `a line matching ${pattern}`);
  }

  endedWell(): boolean {
    return this.status?.code === 0 || (this.stoppedByUs && this.program.keepsRunning === true);
  }

  /** The runner's own words for a failed wait: the role, what it waited for, and how the program ended. */
  private async said<T>(waiting: Promise<T>, what: string): Promise<T> {
    try {
      return await waiting;
    } catch (err) {
      if (!(err instanceof ProgramFailure)) throw err;
      if (err.kind === 'no-ready-line' || err.kind === 'wrong-output')
        throw new Error(`${this.program.role} did not print ${what} within ${READY_TIMEOUT_MS / 1000} s`);
      throw new Error(`${this.program.role} ${describeExit(this)} before printing ${what}`);
    }
  }
}

/** Starts a program of the lesson through scripts/run-ts (transpiled once, cached), not --import tsx: a third of the start-up time. */
function launch(lesson: Lesson, program: Program, args: string[], options: Partial<ChildOptions>): Child {
  const child = new Child([process.execPath, ...typescriptLoaderArgs(), programPath(lesson, program)], {
    name: program.role,
    args,
    group: false, // in our process group, as a program started from the terminal: Ctrl-C reaches it too
    waitMs: READY_TIMEOUT_MS,
    who: 'lesson',
    ...options,
  });
  children.add(child);
  void child.exited.then(() => {
    children.delete(child);
    if (child.startError) console.error(`lesson: could not start a program: ${child.startError.message}`);
  });
  return child;
}

/** SIGTERM to every program still running, SIGKILL to any still there after a grace period. */
async function stop(runs: Running[]): Promise<void> {
  const live = runs.filter((run) => run.status === undefined);
  for (const run of live) run.stoppedByUs = true;
  await Promise.all(live.map((run) => run.child.stop(STOP_GRACE_MS)));
}

/** Replaces `{role.port}` in a program's arguments or a demo line with that role's bound port. */
function expand(args: string[], running: Map<string, Running>): string[] {
  return args.map((arg) =>
    arg.replace(/\{([a-z0-9-]+)\.port\}/g, (_, role: string) => {
      const port = running.get(role)?.port;
      if (port === undefined) throw new Error(`lesson.json: {${role}.port} names no listening role started earlier`);
      return String(port);
    }),
  );
}

/**
 * Interactive mode: each line typed goes to the first interactive program, or to another one when
 * it starts with `@role ` (two chat peers in one terminal); Ctrl-D ends every program's input.
 */
function forwardTerminal(roles: Running[]): void {
  const [first] = roles;
  if (!first) return;
  const others = roles.length > 1 ? `; start a line with @${roles[1]!.program.role} to type for ${roles[1]!.program.role}` : '';
  say(`${first.program.hint ?? `type a line for ${first.program.role}`}${others} (Ctrl-D ends the input, Ctrl-C stops everything)`);
  // terminal: false leaves Ctrl-C to the terminal, which signals us and every program together.
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    const addressed = /^@(\S+) ?(.*)$/.exec(line);
    const to = addressed ? roles.find((run) => run.program.role === addressed[1]) : first;
    if (!to)
      return say(
        `no interactive role '${addressed![1]}'; the roles you can type for: ${roles.map((r) => r.program.role).join(', ')}`,
        true,
      );
    to.child.writeLine(addressed ? addressed[2]! : line);
  });
  input.on('close', () => roles.forEach((run) => run.child.endInput()));
  void Promise.all(roles.map((run) => run.exit)).then(() => input.close());
}

function describeExit(run: Running): string {
  const status = run.status;
  if (!status) return 'is still running';
  return status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
}

function say(text: string, isError = false): void {
  const line = `${paint('[lesson]', 1)} ${text}`;
  if (isError) console.error(line);
  else console.log(line);
}

function paint(text: string, code: number): string {
  return USE_COLOUR ? `\x1b[${code}m${text}\x1b[0m` : text;
}

// Last, so that the class above is initialised before it is used.
await main(process.argv.slice(2));
