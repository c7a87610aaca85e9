// `npm run lesson`: lists the lessons, runs a whole lesson on loopback, or runs one of its programs.
//   npm run lesson                                   list every lesson
//   npm run lesson 04-tcp-server [-- --demo]         start every program in order, prefixed by role
//   npm run lesson 04-tcp-server server -- --port N  run one program with its own flags (two terminals)
//   npm run lesson 04-tcp-server -- --exercise       copy its programs to work/04-tcp-server/ to do the exercise
//   npm run lesson 04-tcp-server -- --watch          grade work/04-tcp-server/ now and on every save
//   npm run lesson 04-tcp-server -- --reset          start the exercise again (the old folder is kept as a backup)
//   npm run lesson 05-tcp-chat -- --demo --trace     a relay in front of each server prints every read (issue 15)
//   npm run lesson 05-tcp-chat -- --demo --faults slicer --programs DIR   the network cuts writes; DIR's programs
// Everything comes from the lesson manifests (lessons/NN-slug/lesson.json).
//
// Signals: the programs run in the runner's process group, as programs started from the terminal
// do, so a Ctrl-C typed in the terminal reaches every one of them at once (and npm passes it on to
// the runner a second time). The runner never sends a program a second SIGINT, which would cut its
// own shutdown short: it waits for the programs to end by themselves, and only a signal that can
// have reached the runner alone (SIGTERM, or a SIGINT still unanswered after a while) is passed on,
// once.

import { existsSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { exitQuietlyOnClosedStdout, parseCommandLine, usageError } from './cli.ts';
import { languageArgs, localizedCourse, t, takeLanguage } from './i18n/index.ts';
import { type Course, findLesson, type Lesson, loadCourse, type Program, programPath, REPO_ROOT } from './manifest.ts';
import { type FlagTable, LESSON_FLAGS, ONE_PROGRAM_FLAGS, programFlags, swallowedFlags, swallowedMessage } from './npm-flags.ts';
import { workFolder, workStatus } from './progress.ts';
import { defaultEncoding, oneProgramWire, RELAY_OPTIONS, type RelayFlags, relayFlags, traceOneProgram, WireRun } from './relay/wiring.ts';
import { typescriptLoaderArgs } from './run-ts/index.ts';
import { Child, type ChildOptions } from './runtime/child.ts';
import { ProgramFailure } from './runtime/failure.ts';
import { backupFolder, copyLesson, watchFolder } from './work-loop.ts';

const READY_TIMEOUT_MS = 10_000; // a listener that has not bound by then will not
const DEMO_TIMEOUT_MS = 30_000; // a scripted demo that has not finished by then is stuck
const STOP_GRACE_MS = 2_000; // after SIGTERM, how long a program may take before SIGKILL
const SIGINT_GRACE_MS = 3_000; // after Ctrl-C, how long the programs may take to shut down by themselves (07's server: 1 s)
const PARTNER_GRACE_MS = 3_000; // after its clients ended well, how long a one-client server may take to finish
const FAILED_PARTNER_GRACE_MS = 500; // ... after they failed: it is waiting for a client that will not come
const COLOURS = [36, 35, 33, 32, 34]; // cyan, magenta, yellow, green, blue: one per role
const USE_COLOUR = process.stdout.isTTY === true && !process.env.NO_COLOR;

exitQuietlyOnClosedStdout();
const children = new Set<Child>();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

async function main(given: string[]): Promise<void> {
  let args: string[] = [];
  try {
    args = takeLanguage(given);
  } catch (err) {
    usageError('lesson', (err as Error).message);
  }
  const course = localizedCourse(loadCourse());
  const { lessons } = course;
  const positionals = args.filter((arg, i) => !arg.startsWith('-') && args.slice(0, i).every((a) => !a.startsWith('-')));
  const [name] = positionals;
  if (name === undefined) {
    if (args.includes('--help') || args.includes('-h')) console.log(t('lesson.usage'));
    else listLessons(course);
    return;
  }
  const byPath = findByPath(lessons, name);
  const lesson = byPath?.lesson ?? findLesson(lessons, name);
  if (!lesson) {
    const broken = findLesson(course.broken, name);
    if (!broken && byPath === null) usageError('lesson', t('lesson.notAProgram', { name }));
    usageError('lesson', broken ? broken.problem : t('usage.unknownLesson', { name, lessons: lessons.map((l) => l.id) }));
  }
  const roleGiven = byPath ? undefined : positionals[1];
  const named = byPath?.program ?? lesson.programs.find((p) => p.role === roleGiven);
  // Before the role is checked: `--encoding utf-8` without `--` leaves `utf-8` where a role would be.
  const known = named ? new Map([...programFlags(byPath?.file ?? programPath(lesson, named)), ...ONE_PROGRAM_FLAGS]) : lessonFlags(lesson);
  const npm = swallowedFlags(process.env, args, known, named && !byPath ? 2 : 1);
  if (npm.flags.length > 0) usageError('lesson', swallowedMessage(npm.flags, npm.args));
  if (byPath) return runOne(lesson, byPath.program, args.slice(1), byPath.file);
  if (roleGiven !== undefined) {
    if (!named)
      usageError('lesson', t('lesson.unknownRole', { role: roleGiven, lesson: lesson.id, roles: lesson.programs.map((p) => p.role) }));
    return runOne(lesson, named, args.slice(2));
  }
  const { values } = parseCommandLine('lesson', {
    args: args.slice(1),
    options: {
      demo: { type: 'boolean', default: false },
      host: { type: 'string' },
      encoding: { type: 'string' },
      exercise: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      poll: { type: 'boolean', default: false },
      reset: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      ...RELAY_OPTIONS,
    },
  });
  if (values.help) return console.log(t('lesson.usage'));
  if (values.reset) return resetExercise(lesson);
  if (values.exercise) return startExercise(lesson);
  if (values.watch || values.poll) return watchExercise(lesson, values.poll);
  const shared = [...(values.host ? ['--host', values.host] : []), ...(values.encoding ? ['--encoding', values.encoding] : [])];
  // Interactive when a person can type; SOCKET_LESSONS_INTERACTIVE=1 makes it so for the runner's tests.
  const demo = values.demo || (!process.stdin.isTTY && process.env.SOCKET_LESSONS_INTERACTIVE !== '1');
  const wire = relayFlags('lesson', values);
  process.exitCode = await runLesson(lesson, shared, demo, wire);
}

/** The runner's flags and every program's: what npm may have taken from a whole-lesson command. */
function lessonFlags(lesson: Lesson): FlagTable {
  const flags = new Map(LESSON_FLAGS);
  for (const program of lesson.programs) for (const [flag, value] of programFlags(programPath(lesson, program))) flags.set(flag, value);
  return flags;
}

/**
 * `npm run lesson lessons/04-tcp-server/server.ts` (what `node FILE` would have been, which Node 20
 * cannot run): the lesson whose folder name the path's folder has, and the role whose file it is.
 * Also a student's copy (work/04-tcp-server/server.ts). null: a path, but not of a lesson program.
 */
function findByPath(lessons: Lesson[], name: string): { lesson: Lesson; program: Program; file: string } | null | undefined {
  if (!/\.[cm]?[jt]s$/.test(name) && !name.includes('/') && !name.includes('\\')) return undefined;
  const file = path.resolve(name);
  const lesson = lessons.find((l) => l.id === path.basename(path.dirname(file)));
  const program = lesson?.programs.find((p) => p.file === path.basename(file));
  if (!lesson || !program || !existsSync(file)) return /\.[cm]?[jt]s$/.test(name) ? null : undefined;
  return { lesson, program, file };
}

function listLessons({ lessons, broken }: Course): void {
  console.log(t('lesson.list'));
  const entries = [...lessons, ...broken].sort((a, b) => a.id.localeCompare(b.id));
  for (const lesson of entries) {
    if (!('programs' in lesson)) {
      console.log(t('lesson.list.broken', lesson));
      continue;
    }
    console.log(`  ${lesson.id}  ${lesson.title}`);
    console.log(`      ${lesson.summary}`);
    console.log(t('lesson.list.programs', { programs: lesson.programs.map((p) => `${p.role} (${p.file})`).join(', ') }));
    console.log(t('lesson.list.ports', { ports: lesson.ports.map((p) => `${p.note} ${p.section}`).join('; ') }));
    const work = workStatus(lesson);
    console.log(
      t('lesson.list.exercise', { status: work ?? t('lesson.list.startExercise', { title: lesson.exercise.title, id: lesson.id }) }),
    );
  }
}

/** The student's loop: a copy of the lesson's programs in work/ (git-ignored) to edit, then grade. */
function startExercise(lesson: Lesson): void {
  const dir = workFolder(lesson);
  const where = shown(dir);
  if (existsSync(dir)) {
    console.log(t('lesson.exercise.exists', { where, id: lesson.id }));
  } else {
    copyLesson(lesson, dir);
    console.log(t('lesson.exercise.copied', { id: lesson.id, where }));
  }
  explainExercise(lesson, where);
}

function explainExercise(lesson: Lesson, where: string): void {
  const { title, summary } = lesson.exercise;
  console.log(t('lesson.exercise.explain', { title, summary, files: lesson.exercise.files.map((f) => path.join(where, f)).join(', ') }));
  console.log(t('lesson.exercise.grade', { id: lesson.id, where }));
}

/** --reset: the work folder moves aside as a backup, and the lesson's programs are copied again. */
function resetExercise(lesson: Lesson): void {
  const dir = workFolder(lesson);
  if (existsSync(dir)) {
    const backup = backupFolder(dir);
    try {
      renameSync(dir, backup);
    } catch (err) {
      console.error(t('lesson.reset.cannotMove', { where: shown(dir), error: (err as Error).message }));
      process.exit(1);
    }
    console.log(t('lesson.reset.moved', { backup: shown(backup) }));
  }
  copyLesson(lesson, dir);
  console.log(t('lesson.exercise.copiedAgain', { id: lesson.id, where: shown(dir) }));
  explainExercise(lesson, shown(dir));
}

/**
 * --watch: grades the work folder now and after every save, through `npm run grade` (its script,
 * run as npm runs it), so its output and hints appear as they do there. One grading at a time: a
 * save during a grading makes one more grading after it. Ctrl-C ends it, with exit 0.
 */
async function watchExercise(lesson: Lesson, poll: boolean): Promise<void> {
  const dir = workFolder(lesson);
  const where = shown(dir);
  if (!existsSync(dir)) {
    console.error(t('lesson.watch.noFolder', { where, id: lesson.id }));
    process.exit(1);
  }
  let grading: Child | undefined;
  let again = false;
  let stopping = false;
  const grade = (): void => {
    if (stopping) return;
    if (grading) {
      again = true;
      return;
    }
    say(t('lesson.watch.grading', { id: lesson.id, where }));
    const child = new Child(
      [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'grade.ts'), lesson.id, where, ...languageArgs()],
      {
        name: 'grade',
        stdin: 'ignore',
        onFlood: 'tail',
        checkLeftovers: false,
        who: 'lesson',
        onLine: { stdout: (line) => console.log(line), stderr: (line) => console.error(line) },
      },
    );
    grading = child;
    children.add(child);
    void child.exited.then(() => {
      children.delete(child);
      grading = undefined;
      if (stopping) return;
      if (again) {
        again = false;
        return grade();
      }
      say(t('lesson.watch.waiting', { where }));
    });
  };
  const watcher = watchFolder(dir, grade, poll);
  say(t('lesson.watch.watching', { where, polling: watcher.how === 'polling' }));
  grade();
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      if (stopping) return; // npm passes the terminal's Ctrl-C on again
      stopping = true;
      watcher.close();
      // The grader runs in a process group of its own (the terminal's Ctrl-C does not reach it): stop it.
      void (grading?.stop(STOP_GRACE_MS) ?? Promise.resolve()).then(() => resolve());
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  });
  say(t('lesson.watch.stopped'));
  process.exitCode = 0;
}

/** A path as the user would type it: relative to the current folder when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Two-terminal mode: one program, the user's own flags, the terminal as its stdin and stdout. */
async function runOne(lesson: Lesson, program: Program, given: string[], file?: string): Promise<void> {
  let args = given;
  // --trace-to HOST:PORT: the program talks to a relay in front of HOST:PORT, whose trace is printed here.
  const wire = oneProgramWire('lesson', given);
  let relays: Awaited<ReturnType<typeof traceOneProgram>>['relays'] | undefined;
  if (wire) {
    const at = wire.args.lastIndexOf('--encoding');
    const encoding = (at >= 0 ? wire.args[at + 1] : undefined) ?? defaultEncoding(file ?? programPath(lesson, program));
    try {
      ({ args, relays } = await traceOneProgram(wire, encoding, (line) => console.log(line), USE_COLOUR));
    } catch (err) {
      console.error(`lesson: --trace-to: ${(err as Error).message}`);
      process.exit(1);
    }
  }
  const child = launch(lesson, program, args, { stdio: 'inherit' }, file);
  let passedOn = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (passedOn) return; // npm passes the terminal's Ctrl-C on to us again: the program has had its one
    passedOn = true;
    if (signal !== 'SIGINT') return child.signal(signal); // sent to us alone: pass it on, once
    // Ctrl-C in the terminal reached the program with us: a second SIGINT would cut its shutdown
    // short. Only a program still running after a while cannot have had it (a SIGINT sent to us alone).
    const timer = setTimeout(() => child.signal('SIGINT'), SIGINT_GRACE_MS);
    void child.exited.then(() => clearTimeout(timer));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  const { code, signal } = await child.exited;
  await relays?.close();
  // The program's own exit code: 0 for a server that shut down cleanly on Ctrl-C.
  process.exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
}

/** How a whole-lesson run ended: its exit code and its one last line. */
interface Outcome {
  code: number;
  line: string;
}

/** Starts every program in manifest order; a listener first, on port 0, the others pointed at its port. */
async function runLesson(lesson: Lesson, shared: string[], demo: boolean, flags?: RelayFlags): Promise<number> {
  const running = new Map<string, Running>();
  const wire = flags && new WireRun(lesson, flags, (line) => console.log(line), USE_COLOUR);
  let interrupted = false;
  const interruption = new Promise<Outcome>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (interrupted) return; // npm passes the terminal's Ctrl-C on to us again: one is enough
      interrupted = true;
      void interrupt(signal, [...running.values()]).then(resolve);
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  });
  const terminal = demo ? undefined : new Terminal();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Outcome>((resolve) => {
    if (demo) timer = setTimeout(() => resolve(failed(t('lesson.run.demoTimeout', { seconds: DEMO_TIMEOUT_MS / 1000 }))), DEMO_TIMEOUT_MS);
  });
  const first = await Promise.race([playLesson(lesson, shared, running, () => interrupted, terminal, wire), deadline, interruption]);
  clearTimeout(timer);
  // Once a signal has come, the run ends as the signal says, whatever the programs did meanwhile.
  const outcome = interrupted ? await interruption : first;
  if (!interrupted) await stop([...running.values()]);
  terminal?.close(); // the terminal reader must not keep the process alive
  await wire?.finish(outcome.code);
  say(outcome.line, outcome.code !== 0);
  return outcome.code;
}

/** What playLesson returns when a signal came first: never shown, runLesson uses interrupt()'s outcome. */
const interruptedMeanwhile: Outcome = { code: 130, line: '' };

function failed(reason: string): Outcome {
  return { code: 1, line: t('lesson.run.error', { reason }) };
}

/**
 * Ctrl-C typed in the terminal has reached every program with us (one process group): each gets
 * a while to shut down by itself, as it would alone, and only what is left is stopped. Any other
 * signal came to us alone, so the programs are stopped at once (SIGTERM, once).
 */
async function interrupt(signal: NodeJS.Signals, runs: Running[]): Promise<Outcome> {
  if (signal === 'SIGINT') await endedWithin(runs, SIGINT_GRACE_MS);
  await stop(runs);
  const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
  return { code: 128 + os.constants.signals[signal], line: t('lesson.run.interrupted', { signal: name }) };
}

/** The run itself: start, feed the input (scripted or typed), wait for the end, and say how it went. */
async function playLesson(
  lesson: Lesson,
  shared: string[],
  running: Map<string, Running>,
  interrupted: () => boolean,
  terminal?: Terminal,
  wire?: WireRun,
): Promise<Outcome> {
  try {
    for (const program of lesson.programs) {
      const args = [...(program.listens ? ['--port', '0'] : []), ...expand(program.args ?? [], running)];
      const run = new Running(lesson, program, [...args, ...shared], running.size, wire?.programFile(program.file));
      running.set(program.role, run);
      if (program.listens) run.port = await run.ready();
      // With --trace or --faults, every other role is given the relay's port instead of the server's.
      if (wire && run.port !== undefined) run.port = await wire.front(program.role, run.child.stdout, run.port);
    }
  } catch (err) {
    return failed((err as Error).message);
  }

  const inputRoles = lesson.programs.filter((p) => p.interactive).map((p) => running.get(p.role)!);
  if (terminal) {
    terminal.forward(inputRoles);
  } else {
    try {
      await feedDemo(lesson, running);
    } catch (err) {
      return failed((err as Error).message);
    }
    inputRoles.forEach((run) => run.child.endInput());
  }

  // The lesson is over when every program that ends by itself has ended; servers that loop are
  // stopped then. A server that waits for one client (04) waits for ever once that client has
  // gone without talking to it: when every client has ended, it gets a moment, then is stopped.
  const runs = [...running.values()];
  const finite = runs.filter((run) => !run.program.keepsRunning);
  const clients = finite.filter((run) => !run.program.listens);
  const servers = finite.filter((run) => run.program.listens);
  let leftWaiting: Running[] = [];
  if (clients.length === 0) {
    await Promise.all(finite.map((run) => run.exit));
  } else {
    await Promise.all(clients.map((run) => run.exit));
    const clientsWell = clients.every((run) => run.status?.code === 0);
    leftWaiting = await endedWithin(servers, clientsWell ? PARTNER_GRACE_MS : FAILED_PARTNER_GRACE_MS);
  }
  // After Ctrl-C the clients end first, by the SIGINT they got; a server may still be answering
  // its own. interrupt() owns the end then: a SIGTERM from here would be a second signal.
  if (interrupted()) return interruptedMeanwhile;
  await stop(runs);
  return summary(lesson, runs, leftWaiting, terminal?.nothingTyped() ?? false);
}

/**
 * The one line that ends a run, and its exit code. Typing nothing (Ctrl-D, or Enter on an empty
 * line) is a choice, not a failure: a program that then refuses to run without input (exit 1, one
 * line, no stack trace) ends the run calmly, with exit 0. Anything else that did not end well is 1.
 */
function summary(lesson: Lesson, runs: Running[], leftWaiting: Running[], nothingTyped: boolean): Outcome {
  const failures = runs.filter((run) => !run.endedWell() && !leftWaiting.includes(run));
  if (failures.length === 0 && leftWaiting.length === 0) return { code: 0, line: t('lesson.run.done') };
  // With a server left waiting, its clients are named with it: "the client ended (exit code 1) before the server was done".
  const clients = leftWaiting.length > 0 ? runs.filter((run) => !run.program.keepsRunning && !run.program.listens) : [];
  const parts = failures
    .filter((run) => !clients.includes(run))
    .map((run) => t('lesson.run.ended', { role: run.program.role, how: describeEnd(run) }));
  if (leftWaiting.length > 0) {
    const waiting = leftWaiting.map((run) => run.program.role);
    const ended = clients.map((run) => t('lesson.run.ended', { role: run.program.role, how: describeEnd(run) }));
    parts.unshift(t('lesson.run.leftWaiting', { ended, waiting }));
  }
  const calm = nothingTyped && failures.every((run) => run.status?.code === 1 && !run.crashed);
  if (!calm) return { code: 1, line: t('lesson.run.parts', { parts }) };
  return { code: 0, line: t('lesson.run.nothingTyped', { parts, id: lesson.id }) };
}

/** Demo mode: each scripted line goes to its role, once the output it waits for has appeared. */
async function feedDemo(lesson: Lesson, running: Map<string, Running>): Promise<void> {
  for (const step of lesson.demo) {
    if (step.after) await running.get(step.after.role)!.waitForLine(new RegExp(step.after.pattern));
    const line = expand([step.line], running)[0]!;
    say(t('lesson.run.demoInput', { role: step.role, line }));
    running.get(step.role)!.child.writeLine(line);
  }
}

/** A program started by runLesson, its output prefixed by role, waited on for its ready line and demo steps. */
class Running {
  port: number | undefined;
  stoppedByUs = false;
  /** It printed a stack trace: a crash, never a calm refusal of empty input. */
  crashed = false;
  readonly child: Child;
  readonly exit: Promise<unknown>;

  constructor(
    lesson: Lesson,
    readonly program: Program,
    args: string[],
    index: number,
    file?: string,
  ) {
    const prefix = paint(`[${program.role}]`, COLOURS[index % COLOURS.length]!);
    this.child = launch(
      lesson,
      program,
      args,
      {
        onLine: {
          stdout: (line) => console.log(`${prefix} ${line}`),
          stderr: (line) => {
            if (/^\s+at \S/.test(line)) this.crashed = true;
            console.error(`${prefix} ${paint(line, 31)}`);
          },
        },
      },
      file,
    );
    this.exit = this.child.exited;
  }

  get status(): Child['exitStatus'] {
    return this.child.exitStatus;
  }

  ready(): Promise<number> {
    return this.said(this.child.ready(), t('lesson.run.readyLine'));
  }

  /** Once a line of stdout matches `pattern` (its ^ and $ are a line's start and end). */
  async waitForLine(pattern: RegExp): Promise<void> {
    await this.said(
      this.child.waitFor(new RegExp(pattern.source, `${pattern.flags.replace('m', '')}m`)),
      t('lesson.run.lineMatching', { pattern: String(pattern) }),
    );
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
        throw new Error(t('lesson.run.notPrinted', { role: this.program.role, what, seconds: READY_TIMEOUT_MS / 1000 }));
      throw new Error(t('lesson.run.exitedBefore', { role: this.program.role, how: describeExit(this), what }));
    }
  }
}

/** Starts a program of the lesson through scripts/run-ts (transpiled once, cached), not --import tsx: a third of the start-up time. */
function launch(lesson: Lesson, program: Program, args: string[], options: Partial<ChildOptions>, file?: string): Child {
  const child = new Child([process.execPath, ...typescriptLoaderArgs(), file ?? programPath(lesson, program)], {
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
    if (child.startError) console.error(t('lesson.run.cannotStart', { error: child.startError.message }));
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
class Terminal {
  private readonly typed: string[] = [];
  private input: Interface | undefined;

  forward(roles: Running[]): void {
    const [first] = roles;
    if (!first) return;
    // terminal: false leaves Ctrl-C to the terminal, which signals us and every program together.
    const input = createInterface({ input: process.stdin, terminal: false });
    this.input = input;
    const others = roles.length > 1 ? t('lesson.typeForOther', { role: roles[1]!.program.role }) : '';
    say(t('lesson.prompt', { hint: first.program.hint ?? t('lesson.typeFor', { role: first.program.role }), others }));
    input.on('line', (line) => {
      const addressed = /^@(\S+) ?(.*)$/.exec(line);
      const to = addressed ? roles.find((run) => run.program.role === addressed[1]) : first;
      if (!to) return say(t('lesson.noSuchRole', { role: addressed![1]!, roles: roles.map((r) => r.program.role) }), true);
      const text = addressed ? addressed[2]! : line;
      this.typed.push(text);
      to.child.writeLine(text);
    });
    input.on('close', () => roles.forEach((run) => run.child.endInput()));
    void Promise.all(roles.map((run) => run.exit)).then(() => input.close());
  }

  /** Nothing but empty lines, or no line at all (Ctrl-D at once). */
  nothingTyped(): boolean {
    return this.typed.every((line) => line.trim() === '');
  }

  close(): void {
    this.input?.close();
    process.stdin.destroy();
  }
}

/** Resolves once every run has ended or `ms` has passed, with the runs still running then. */
async function endedWithin(runs: Running[], ms: number): Promise<Running[]> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(runs.map((run) => run.exit)), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
  return runs.filter((run) => run.status === undefined);
}

function describeEnd(run: Running): string {
  const status = run.status;
  if (!status) return t('lesson.end.running');
  return status.signal ? t('lesson.end.killed', { signal: status.signal }) : t('lesson.end.ended', { code: status.code });
}

function describeExit(run: Running): string {
  const status = run.status;
  if (!status) return t('lesson.end.running');
  return status.signal ? t('lesson.end.killed', { signal: status.signal }) : t('lesson.end.exited', { code: status.code });
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
