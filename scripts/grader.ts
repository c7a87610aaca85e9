// The grading engine behind `npm run grade`: finds student folders, stages each one inside the
// repository, runs the canonical lesson and exercise tests against it (never tests from the
// student's folder), and turns the results into messages that say what to look at.

import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { t } from './i18n/index.ts';
import {
  COMMANDS_FILE,
  findLesson,
  type Grading,
  type Lesson,
  loadLessons,
  nearest,
  REPO_ROOT,
  readCommands,
  SOLUTIONS_DIR,
  WORK_ROOT,
} from './manifest.ts';
import type { Assignment, Faults, GradeStatus, ReportRole, ReportTest, StudentGrade, TestRole } from './report/model.ts';
import { listTests, type TestResult, testResults } from './results.ts';
import { nodeArgsFor, transpileError } from './run-ts/index.ts';
import { Child, START_ERROR } from './runtime/child.ts';
import { showCommand } from './runtime/failure.ts';
import { killProcessesUnder } from './runtime/processes.ts';

// The tests kill each program's process group; the sweep of the staging folder (killProcessesUnder)
// is the grader's guarantee that nothing a student's program started, in any group, outlives grading.
export { killProcessesUnder, runningProcesses } from './runtime/processes.ts';

/** Students' programs run from a copy under work/, which is git-ignored and can resolve iconv-lite. */
export const STAGING_PARENT = WORK_ROOT;
const OUTPUT_EXCERPT = 2000; // characters of a failing program's output kept in the report
const REASON_LINES = 4; // lines of a start error kept as the reason
export const DEFAULT_REGRESSION_PENALTY = 5; // points an exercise loses per lesson test it breaks, unless the manifest says
const START_CHECK_MS = 4000; // how long `PROGRAM --help` may run before it counts as started
const SKIPPED = new Set(['node_modules', '.git']);

export interface Submission {
  student: string; // a name for the report: the folder's name, or its path when names repeat
  lesson: Lesson;
  dir: string; // the folder with the programs
  /** Set when the student has no folder for the lesson: why, for the report (nothing is graded). */
  missing?: string;
  /** A folder laid under the student's (the lesson's own, for the course's solutions/NN-slug). */
  base?: string;
}

/** A graded (student, lesson): the report's StudentGrade (scripts/report/model.ts). */
export type Grade = StudentGrade;
export type GradedTest = ReportTest;

export interface GradeOptions {
  /** Per (student, lesson) run; a run still going then is stopped and reported. */
  timeoutMs?: number;
  /** SOCKET_LESSONS_WAIT_MS for the tests: how long one wait may take. */
  waitMs?: number;
  /** The suites to run (default: those the assignment scores); the repository's own checks narrow them. */
  suites?: ('lesson' | 'exercise')[];
  /** Only the tests with these names (the repository's checks of known-bad programs). */
  only?: string[];
  /** The kind of assignment (default: the rubric's, the manifest's, else exercise; port when suites leave out the exercise). */
  assignment?: Assignment;
  /** A teacher's rubric, over the manifest's grading. */
  rubric?: Grading;
  /** Roles a folder may lack, filled with the lesson's own program ('all' for any role). */
  withReference?: string[];
  /** Run the tests under these faults: every connection through a relay with the spec's toxics (issue 15). */
  faults?: Faults;
  /**
   * Also run the lesson tests that start only files the student left as the lesson has them (by
   * default, in an exercise, those are reported as not run: their result is the lesson's own).
   */
  runUnchanged?: boolean;
}

// ---- finding submissions ----

/**
 * The submissions under `paths`. With one lesson, a path is a student's folder when it holds one of
 * the lesson's programs or programs.json (or a subfolder named after the lesson), and otherwise a
 * class: every folder in it is a student, and one that holds none of the lesson is `missing`. With
 * all lessons, a student's folder holds one subfolder per lesson (04-tcp-server/, ...), and a folder
 * without any is a class; each student is missing every lesson they have no folder for. A path with
 * no subfolder at all is one student, missing.
 */
export function findSubmissions(paths: string[], lessons: Lesson[]): Submission[] {
  const found: Submission[] = [];
  for (const given of paths) {
    const dir = path.resolve(given);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${given} is not a folder`);
    const own = submissionsOf(dir, lessons);
    const children = subfolders(dir);
    if (own.length > 0 || children.length === 0) found.push(...withMissing(dir, own, lessons));
    else for (const child of children) found.push(...withMissing(child, submissionsOf(child, lessons), lessons));
  }
  if (found.length === 0)
    throw new Error(
      `no submission found in ${paths.join(', ')}: a student's folder holds the lesson's programs (${lessons.map((l) => l.programs.map((p) => p.file).join(', ')).join('; ')})`,
    );
  return found.map((s) => ({ ...s, student: studentName(s, found) }));
}

/** A student's submissions, and a `missing` one for each lesson they have no folder for. */
function withMissing(dir: string, own: Submission[], lessons: Lesson[]): Submission[] {
  return lessons.map((lesson) => {
    const submission = own.find((s) => s.lesson === lesson);
    if (submission) return submission;
    const programs = lesson.programs.map((p) => p.file).join(', ');
    const missing =
      lessons.length === 1
        ? `no ${lesson.id}/ folder, ${COMMANDS_FILE} or program of the lesson (${programs}) in ${displayFolder(dir)}`
        : `no ${lesson.id}/ folder in ${displayFolder(dir)}`;
    return { student: '', lesson, dir: path.join(dir, lesson.id), missing };
  });
}

function displayFolder(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative.startsWith('..') ? dir : relative || '.';
}

/** The student's folder name (the parent's, for a lesson subfolder), or its path when two are alike. */
function studentName(submission: Submission, all: Submission[]): string {
  const name = (s: Submission): string => path.basename(path.basename(s.dir) === s.lesson.id ? path.dirname(s.dir) : s.dir);
  const alike = all.filter((s) => s.lesson === submission.lesson && name(s) === name(submission));
  if (alike.length <= 1) return name(submission);
  const dir = path.basename(submission.dir) === submission.lesson.id ? path.dirname(submission.dir) : submission.dir;
  return path.relative(process.cwd(), dir);
}

function submissionsOf(dir: string, lessons: Lesson[]): Submission[] {
  const result: Submission[] = [];
  for (const lesson of lessons) {
    const nested = path.join(dir, lesson.id);
    if (statSync(nested, { throwIfNoEntry: false })?.isDirectory()) result.push(submissionIn(nested, lesson));
    else if (lessons.length === 1 && holdsPrograms(dir, lesson)) result.push(submissionIn(dir, lesson));
  }
  return result;
}

/** The course's own solutions/NN-slug holds only the exercise's files: it is graded laid over the lesson. */
function submissionIn(dir: string, lesson: Lesson): Submission {
  const solution = path.resolve(dir) === path.join(SOLUTIONS_DIR, lesson.id);
  return { student: '', lesson, dir, ...(solution ? { base: lesson.dir } : {}) };
}

function holdsPrograms(dir: string, lesson: Lesson): boolean {
  return existsSync(path.join(dir, COMMANDS_FILE)) || lesson.programs.some((p) => existsSync(path.join(dir, p.file)));
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !SKIPPED.has(entry.name) && !entry.name.startsWith('.'))
    .map((entry) => path.join(dir, entry.name))
    .sort();
}

// ---- staging ----

/** A temporary folder under work/ for one grading run; remove() deletes it and stops what still runs from it. */
export class Staging {
  readonly root: string;
  private count = 0;

  constructor() {
    mkdirSync(STAGING_PARENT, { recursive: true });
    // Named after this process, so that a folder outliving its grader can be told from one still in use.
    this.root = mkdtempSync(path.join(STAGING_PARENT, `.grading-${process.pid}-`));
  }

  /** Copies a submission (without node_modules or .git; over its base, if any) to a fresh folder and returns it. */
  stage(submission: Submission, overlay?: string): string {
    const dir = path.join(this.root, `${++this.count}-${submission.lesson.id}`);
    const filter = (source: string): boolean => !SKIPPED.has(path.basename(source));
    if (submission.base)
      cpSync(submission.base, dir, { recursive: true, filter: (source) => filter(source) && !source.endsWith('.test.ts') });
    cpSync(submission.dir, dir, { recursive: true, filter });
    if (overlay) cpSync(overlay, dir, { recursive: true });
    return dir;
  }

  remove(): void {
    killProcessesUnder(this.root);
    rmSync(this.root, { recursive: true, force: true });
  }
}

// ---- grading ----

/** The assignment a run grades: the command line's, the rubric's, the manifest's, else exercise. */
export function assignmentOf(lesson: Lesson, options: GradeOptions): Assignment {
  if (options.assignment) return options.assignment;
  if (options.suites && !options.suites.includes('exercise')) return 'port';
  return options.rubric?.assignment ?? lesson.grading?.assignment ?? 'exercise';
}

/** A grade with no test run: a missing folder, or a run stopped before it began. */
export function emptyGrade(submission: Submission, options: GradeOptions, status: GradeStatus, reason: string): Grade {
  const assignment = assignmentOf(submission.lesson, options);
  return {
    student: submission.student,
    lesson: submission.lesson.id,
    folder: submission.dir,
    assignment,
    status,
    reason,
    score: 0,
    points: 0,
    maxPoints: 100,
    exerciseDone: assignment === 'exercise' ? false : null,
    regressions: [],
    roles: [],
    seconds: 0,
    tests: [],
  };
}

/** Runs the lesson's own test file, the suites the assignment needs, against a staged folder. */
export async function gradeStaged(submission: Submission, staged: string, options: GradeOptions = {}): Promise<Grade> {
  const started = performance.now();
  const { lesson } = submission;
  const assignment = assignmentOf(lesson, options);
  const suites = options.suites ?? (assignment === 'port' ? ['lesson'] : ['lesson', 'exercise']);
  const env: Record<string, string> = {
    SOCKET_LESSONS_PROGRAMS: staged,
    SOCKET_LESSONS_SUITES: suites.join(','),
    SOCKET_LESSONS_STAGED: '1', // our own copy: the harness may transpile the programs beside themselves
  };
  if (options.waitMs) env.SOCKET_LESSONS_WAIT_MS = String(options.waitMs);
  // In an exercise most of the lesson's files are left as they are: a lesson test that starts only
  // such files (itUses, tests/harness/target.ts) would repeat npm test's run of the lesson itself.
  // A port's files are all the student's own, and they are what is graded.
  if (assignment === 'exercise' && !options.runUnchanged) env.SOCKET_LESSONS_SKIP_UNCHANGED = '1';
  if (options.faults) {
    env.SOCKET_LESSONS_FAULTS = options.faults.spec; // read by tests/harness/faults.ts
    if (options.faults.seed !== undefined) env.SOCKET_LESSONS_SEED = String(options.faults.seed);
  }
  const testFile = path.join(lesson.dir, `${lesson.id}.test.ts`);
  const clean = (text: string): string => withoutStaging(text, staged);

  const { roles, missing } = fillRoles(submission, staged, options.withReference ?? []);
  const tests: Counted[] = missing.map((file) => ({
    name: `the folder has ${file}`,
    suite: 'grader' as const,
    role: 'note' as const,
    status: 'fail' as const,
    points: 0,
    maxPoints: 0,
    message: `${file} is missing: name it exactly so, give its role a command in ${COMMANDS_FILE}, or grade with --with-reference ${lesson.programs.find((p) => p.file === file)!.role} to use the lesson's`,
  }));
  let status: GradeStatus = 'graded';
  let reason: string | undefined;

  const notStarted = await startProblem(lesson, staged, missing);
  if (notStarted) {
    // Reported once: no test runs, each is listed as not run (score 0 on what it could not do).
    status = 'did-not-start';
    reason = clean(notStarted.reason);
    const listed = await listTests(testFile, env).catch(() => []);
    tests.push(
      ...listed
        .filter((t) => !options.only || options.only.includes(t.name))
        .map((t) => ({
          name: t.name,
          suite: suiteOf(t.suite),
          role: 'scored' as TestRole,
          status: 'not-run' as const,
          points: 0,
          maxPoints: 0,
          message: `not run: ${notStarted.file} did not start (see the reason above)`,
          group: t.suite,
        })),
    );
  } else {
    const results = await testResults(testFile, env, {
      timeoutMs: options.timeoutMs ?? 180_000,
      ...(options.only ? { only: options.only } : {}),
    });
    const checks = testComments(testFile);
    let commands = new Map<string, string[]>();
    try {
      commands = readCommands(lesson.dir, staged);
    } catch {
      // reported by the tests
    }
    for (const result of results) {
      if (result.status === 'skip') {
        // Skipped under faults, with why it cannot hold through a relay: reported, and counted for nothing.
        tests.push({ ...explain(result, lesson, commands), role: 'note', group: result.suite, skipped: true });
        continue;
      }
      const test = explain(result, lesson, commands);
      if (options.faults && result.status !== 'pass')
        test.message = `${underFaults(options.faults, result.faults)}\n${test.message ?? ''}`.trim();
      if (result.status === 'error' && result.name === path.basename(testFile)) {
        status = result.timeLimitMs !== undefined ? 'partial' : 'error';
        reason = clean(
          result.timeLimitMs !== undefined
            ? `stopped at the time limit of ${result.timeLimitMs / 1000} s; the tests that finished are kept`
            : firstLines(result.message ?? 'the tests could not run', REASON_LINES),
        );
      }
      const missingFile = result.failure?.program;
      if (missingFile && missing.includes(missingFile) && result.status !== 'pass') {
        // The missing program is reported once, by the grader's own check above.
        test.message = `${missingFile} is missing from the folder (see above): this test needs it`;
        delete test.output;
        delete test.kind;
      }
      for (const key of ['message', 'output', 'command'] as const) if (test[key]) test[key] = clean(test[key]!);
      const check = checks.find((c) => c.pattern.test(result.name));
      if (check) test.checks = check.text;
      if (result.seconds !== undefined) test.seconds = result.seconds;
      tests.push({ ...test, group: result.suite });
    }
  }
  const leftovers = killProcessesUnder(staged);
  if (leftovers.length > 0) {
    tests.push({
      name: 'no process is left running after the tests',
      suite: 'grader',
      role: 'regression',
      status: 'fail',
      points: 0,
      maxPoints: 0,
      message: clean(`still running after the tests, killed by the grader: ${leftovers.join('; ').slice(0, 300)}`),
    });
  }
  const scored = scoreTests(tests, lesson, assignment, options.rubric);
  return {
    student: submission.student,
    lesson: lesson.id,
    folder: submission.dir,
    assignment,
    status,
    ...(reason ? { reason } : {}),
    ...scored,
    roles,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    tests: tests.map(({ group: _, skipped: __, ...test }) => test),
  };
}

/** The first line of a failure under faults: the run's toxics, and what they did in this test. */
function underFaults(faults: Faults, acted: string | undefined): string {
  const seed = faults.seed !== undefined ? ` --seed ${faults.seed}` : '';
  const what = acted ? `the relay's toxics acted: ${acted}` : 'no toxic acted during this test';
  return `Under --faults ${faults.spec}${seed} (the network misbehaved on purpose): ${what}.`;
}

/** A report test, the describe group it came from (for points given to a group), and whether it was skipped under faults. */
type Counted = ReportTest & { group?: string; skipped?: boolean };

function suiteOf(describe: string): 'lesson' | 'exercise' {
  return describe.endsWith('exercise') ? 'exercise' : 'lesson';
}

/**
 * Gives each test its role and points, and computes the score. exercise: the exercise's tests
 * share 100 points (or what the rubric or manifest gives them) and each lesson test is a
 * regression check costing `regressionPenalty` when it fails; port: the lesson's tests share 100.
 */
export function scoreTests(
  tests: Counted[],
  lesson: Lesson,
  assignment: Assignment,
  rubric?: Grading,
): Pick<Grade, 'score' | 'points' | 'maxPoints' | 'exerciseDone' | 'regressions'> {
  const grading = { ...lesson.grading, ...rubric };
  const points = grading.points ?? {};
  const penalty = grading.regressionPenalty ?? DEFAULT_REGRESSION_PENALTY;
  const scoredSuite = assignment === 'exercise' ? 'exercise' : 'lesson';
  for (const test of tests) {
    if (test.suite === 'grader' || test.skipped) continue;
    // A port runs no exercise test; one given anyway counts for nothing.
    test.role = test.suite === scoredSuite ? 'scored' : test.suite === 'lesson' ? 'regression' : 'note';
  }
  const scored = tests.filter((t) => t.role === 'scored');
  const explicit = new Map<Counted, number>();
  for (const test of scored) if (points[test.name] !== undefined) explicit.set(test, points[test.name]!);
  for (const [group, value] of Object.entries(points)) {
    const members = scored.filter((t) => t.group === group && !explicit.has(t));
    for (const test of members) explicit.set(test, value / members.length);
  }
  const given = [...explicit.values()].reduce((a, b) => a + b, 0);
  const others = scored.filter((t) => !explicit.has(t));
  const share = others.length > 0 ? Math.max(0, 100 - given) / others.length : 0;
  let earned = 0;
  let possible = 0;
  let lost = 0;
  const regressions: string[] = [];
  for (const test of tests) {
    if (test.role === 'scored') {
      const max = explicit.get(test) ?? share;
      test.maxPoints = round(max);
      test.points = test.status === 'pass' ? test.maxPoints : 0;
      earned += test.status === 'pass' ? max : 0;
      possible += max;
    } else if (test.role === 'regression') {
      test.points = 0;
      test.maxPoints = 0;
      if (test.status === 'fail' || test.status === 'error') {
        test.penalty = penalty;
        lost += penalty;
        regressions.push(test.name);
      }
    }
  }
  const net = Math.max(0, earned - lost);
  const exerciseTests = tests.filter((t) => t.suite === 'exercise' && !t.skipped);
  return {
    score: possible > 0 ? Math.min(100, Math.floor((100 * net) / possible + 1e-9)) : 0,
    points: round(net),
    maxPoints: round(possible),
    exerciseDone: assignment === 'exercise' ? exerciseTests.length > 0 && exerciseTests.every((t) => t.status === 'pass') : null,
    regressions,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Which roles the student's folder plays (its file, or its programs.json command); a role it lacks
 * is filled from the lesson when `withReference` names it (or 'all', or the folder is laid over the
 * lesson), and is otherwise missing.
 */
function fillRoles(submission: Submission, staged: string, withReference: string[]): { roles: ReportRole[]; missing: string[] } {
  const { lesson } = submission;
  let commands = new Map<string, string[]>();
  try {
    commands = readCommands(lesson.dir, staged);
  } catch {
    // a malformed programs.json: the lesson's tests report it, as an error of the whole run
  }
  const roles: ReportRole[] = [];
  const missing: string[] = [];
  for (const program of lesson.programs) {
    const command = commands.get(program.file);
    const own = existsSync(path.join(submission.dir, program.file));
    if (command) roles.push({ role: program.role, program: command.join(' '), from: 'student' });
    else if (own) roles.push({ role: program.role, program: program.file, from: 'student' });
    else if (existsSync(path.join(staged, program.file)))
      roles.push({ role: program.role, program: program.file, from: 'reference' }); // laid under it (solutions/)
    else if (withReference.includes(program.role) || withReference.includes('all')) {
      cpSync(path.join(lesson.dir, program.file), path.join(staged, program.file));
      roles.push({ role: program.role, program: program.file, from: 'reference' });
    } else if (!missing.includes(program.file)) missing.push(program.file);
  }
  return { roles, missing };
}

/**
 * Whether a program of the staged folder cannot start at all: each runs once with --help (every
 * lesson program supports it), as the harness would start it. One that cannot be spawned, or ends
 * with a syntax, compile or module error, did not start; one that still runs after a few seconds,
 * or ends otherwise, did (the tests then say what is wrong with it).
 */
async function startProblem(lesson: Lesson, staged: string, missing: string[]): Promise<{ file: string; reason: string } | undefined> {
  let commands = new Map<string, string[]>();
  try {
    commands = readCommands(lesson.dir, staged);
  } catch {
    return undefined; // reported by the tests
  }
  const files = [...new Set(lesson.programs.map((p) => p.file))].filter((file) => !missing.includes(file));
  const checks = files.map(async (file) => {
    const command = commands.get(file);
    // A TypeScript file esbuild cannot transpile cannot start: said here, as the loader would say it, without a process.
    const untranspilable = command ? undefined : transpileError(path.join(staged, file));
    if (untranspilable)
      return { file, reason: `${file} did not start (\`${file} --help\`):\n${firstErrorLines(`Error: ${untranspilable.message}`)}` };
    const argv = command ?? [process.execPath, ...nodeArgsFor(path.join(staged, file), true)];
    const shown = command ?? [file];
    // --port 0 too: a program that ignores --help and listens must not take a fixed port other tests may use.
    const child = new Child(argv, {
      name: file,
      args: ['--help', '--port', '0'],
      shownAs: shown,
      cwd: command ? staged : REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdin: 'ignore',
      checkLeftovers: false,
      who: 'grader',
    });
    // Anything on stdout (its usage, a ready line) means it started: no need to wait for more.
    let timer: NodeJS.Timeout | undefined;
    const printed = child.waitFor(/\S/, 'stdout', 'anything', START_CHECK_MS).then(
      () => undefined,
      () => undefined,
    );
    const ran = await Promise.race([
      child.exited,
      printed.then(() => child.exitStatus),
      new Promise((resolve) => (timer = setTimeout(() => resolve(undefined), START_CHECK_MS))),
    ]);
    clearTimeout(timer);
    await child.stop();
    const failed = child.startError !== undefined || (ran !== undefined && child.exitStatus?.code !== 0 && START_ERROR.test(child.stderr));
    if (!failed) return undefined;
    const why = child.startError ? `could not start: ${child.startError.message}` : firstErrorLines(child.stderr);
    const shownCommand = showCommand(child.command.slice(0, -2)); // without the --port 0 added for safety
    return { file, reason: `${command ? command.join(' ') : file} did not start (\`${shownCommand}\`):\n${why}` };
  });
  return (await Promise.all(checks)).find((problem) => problem !== undefined);
}

/** The lines of a start error that say what is wrong, without node's internals and stack frames. */
export function firstErrorLines(stderr: string, count = REASON_LINES): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(
      (line) =>
        line.trim() !== '' &&
        !/^\s+at /.test(line) &&
        !/^node:internal/.test(line) &&
        !/^\s*triggerUncaughtException\(/.test(line) &&
        !/^Node\.js v\d/.test(line) &&
        !/^\s+\^$/.test(line),
    );
  const at = lines.findIndex((line) => START_ERROR.test(line));
  const start = Math.max(0, at);
  // Python prints where (File "server.py", line 3, then the line and a caret) before what: keep that.
  const where = lines.slice(Math.max(0, start - 3), start).findIndex((line) => line.includes('File "'));
  const from = where >= 0 ? Math.max(0, start - 3) + where : start;
  const kept: string[] = [];
  for (const line of lines.slice(from)) {
    if (kept.length >= count + (start - from)) break;
    if (kept.length > 0 && /^\s*(\{|\}|\[|\]|errors: \[)/.test(line)) break; // esbuild's error object follows its message
    kept.push(line);
  }
  return kept.join('\n');
}

function firstLines(text: string, count: number): string {
  return text.split('\n').slice(0, count).join('\n');
}

/** Paths into the staging copy shown as the student's own (server.ts, not work/.grading-XXXX/1-04-tcp-server/server.ts). */
function withoutStaging(text: string, staged: string): string {
  const relative = path.relative(REPO_ROOT, staged);
  let result = text;
  for (const prefix of [`file://${staged}/`, `${staged}/`, `${relative}/`]) result = result.replaceAll(prefix, '');
  return result.replaceAll(staged, '.').replaceAll(/\.([\w.-]+\.ts)\.mjs\b/g, '$1');
}

/** Each test's "Checks ..." comment in the test file, by a pattern of its name (names may hold ${...}). */
function testComments(testFile: string): { pattern: RegExp; text: string }[] {
  let source: string;
  try {
    source = readFileSync(testFile, 'utf8');
  } catch {
    return [];
  }
  const found: { pattern: RegExp; text: string }[] = [];
  const test = /\bit\(\s*(['"`])((?:\\.|(?!\1).)*)\1\s*,[^\n]*\n((?:\s*\/\/[^\n]*\n)+)/g;
  for (const match of source.matchAll(test)) {
    const [, , name, comment] = match;
    const text = comment!
      .split('\n')
      .map((line) => line.trim().replace(/^\/\/\s?/, ''))
      .filter(Boolean)
      .join(' ')
      .replace(/^Checks:?\s*/, '');
    const pattern = name!
      .split(/\$\{[^}]*\}/)
      .map((part) => part.replace(/\\(.)/g, '$1').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    found.push({ pattern: new RegExp(`^${pattern}$`), text });
  }
  return found;
}

/** The names of a lesson's tests and describe groups, for checking the points a rubric or manifest gives. */
export async function pointsProblems(lesson: Lesson, grading: Grading | undefined, where: string): Promise<string[]> {
  const names = Object.keys(grading?.points ?? {});
  if (names.length === 0) return [];
  const testFile = path.join(lesson.dir, `${lesson.id}.test.ts`);
  const tests = await listTests(testFile, { SOCKET_LESSONS_SUITES: 'lesson,exercise' });
  const known = new Set([...tests.map((t) => t.name), ...tests.map((t) => t.suite)]);
  return names
    .filter((name) => !known.has(name))
    .map((name) => {
      const near = nearest(name, known) ?? closest(name, [...known]);
      return `${where}: /points/${name}: no test or group of ${lesson.id} has this name${near ? ` (the nearest is '${near}')` : ''}`;
    });
}

/** The candidate sharing the longest prefix with `word` (when nearest() finds none close enough). */
function closest(word: string, candidates: string[]): string | undefined {
  const common = (a: string, b: string): number => {
    let i = 0;
    while (i < a.length && i < b.length && a[i]!.toLowerCase() === b[i]!.toLowerCase()) i++;
    return i;
  };
  return candidates.sort((a, b) => common(word, b) - common(word, a))[0];
}

/** Grades many submissions, `jobs` at a time, each staged in `staging`; a missing one is reported, not graded. */
export async function gradeAll(
  submissions: Submission[],
  staging: Staging,
  options: GradeOptions & { jobs?: number; onDone?: (grade: Grade, done: number, index: number) => void; stopped?: () => boolean } = {},
): Promise<Grade[]> {
  const grades: Grade[] = new Array(submissions.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < submissions.length && !options.stopped?.()) {
      const index = next++;
      const submission = submissions[index]!;
      if (submission.missing) grades[index] = emptyGrade(submission, options, 'missing', submission.missing);
      else {
        try {
          grades[index] = await gradeStaged(submission, staging.stage(submission), options);
        } catch (err) {
          // One folder the grader could not handle does not stop the class.
          grades[index] = emptyGrade(submission, options, 'error', `the grader failed on this folder: ${(err as Error).message}`);
        }
      }
      options.onDone?.(grades[index]!, ++done, index);
    }
  };
  const jobs = Math.max(1, Math.min(options.jobs ?? os.availableParallelism(), submissions.length));
  await Promise.all(Array.from({ length: jobs }, worker));
  return grades;
}

// ---- messages that teach ----

/** Splits a failure into its first lines and the programs' output, and adds what to look at. */
export function explain(result: TestResult, lesson: Lesson, commands = new Map<string, string[]>()): ReportTest {
  const suite = result.suite.endsWith('exercise') ? 'exercise' : 'lesson';
  const base = { name: result.name, suite, role: 'scored' as TestRole, points: 0, maxPoints: 0 } as const;
  if (result.status === 'skip') return { ...base, status: 'not-run', message: result.message ?? 'skipped' };
  if (result.status === 'pass' || !result.message) return { ...base, status: result.status };
  const [text, ...rest] = result.message.split(/\n(?=--- )/);
  const output = rest.join('\n').trim();
  const message = [advice(result, lesson, commands), ...text!.split('\n').slice(0, 8)].filter(Boolean).join('\n');
  const failure = result.failure;
  const command = failure?.command ? showCommand(failure.command) : undefined;
  return {
    ...base,
    status: result.status,
    message,
    ...(failure?.kind ? { kind: failure.kind } : {}),
    ...(output ? { output: excerpt(output) } : {}),
    ...(command ? { command } : {}),
    ...(failure?.input ? { input: failure.input } : {}),
  };
}

/** What to look at, chosen by the kind of failure the harness reported (none for a plain assertion). */
function advice(result: TestResult, lesson: Lesson, commands: Map<string, string[]>): string | undefined {
  if (result.timeLimitMs !== undefined) return t('advice.timeLimit');
  const failure = result.failure;
  if (!failure) return undefined;
  const file = failure.program;
  // A programs.json command is named by its own file (server.py): find its role by the command.
  const commanded = [...commands].find(([, command]) => failure.command && command.every((arg, i) => failure.command![i] === arg));
  const role = lesson.programs.find((p) => p.file === file || p.file === commanded?.[0])?.role;
  const who = role ? t('advice.who', { role, file }) : (file ?? t('advice.theProgram'));
  const seconds = t('advice.seconds', { seconds: (failure.waitedMs ?? 0) / 1000 });
  const name = (program: string): string => {
    const found = lesson.programs.find((p) => p.file === program || commands.get(p.file)?.some((arg) => arg === program));
    return found ? t('advice.who', { role: found.role, file: program }) : program;
  };
  const waiting = failure.kind === 'wrong-output' || failure.kind === 'timed-out' || failure.kind === 'no-ready-line';
  // While one program waited, another looped on the CPU or stayed silent: the advice names that one.
  if (waiting && failure.busy?.length)
    return t('advice.busy', { busy: name(failure.busy[0]!), who, seconds, what: failure.what ?? t('advice.it'), file: failure.busy[0]! });
  const listener = lesson.programs.find((p) => p.file === file || p.file === commanded?.[0])?.listens;
  if (failure.kind === 'wrong-output' && !listener && failure.running?.length)
    return t('advice.peerRunning', { who, what: failure.what, seconds, peer: name(failure.running[0]!), file: failure.running[0]! });
  switch (failure.kind) {
    case 'wrong-port':
      return t('advice.wrongPort');
    case 'flooded':
      return t('advice.flooded');
    case 'left-process':
      return t('advice.leftProcess');
    case 'did-not-start':
      return t('advice.didNotStart', { who });
    case 'no-ready-line':
      return t('advice.noReadyLine', { who, seconds });
    case 'exited-early':
      return failure.waitedOnPeer
        ? t('advice.exitedWaiting', { who, actual: failure.actual, what: failure.what })
        : t('advice.exitedEarly', { who, actual: failure.actual, what: failure.what });
    case 'wrong-output':
      return t('advice.wrongOutput', { who, what: failure.what, seconds });
    case 'wrong-exit-code':
      return t('advice.wrongExitCode', { who, expected: failure.expected, actual: failure.actual });
    case 'wrong-stderr':
      return t('advice.wrongStderr', { who, actual: failure.actual });
    case 'wrong-error-line':
      return t('advice.wrongErrorLine', { who, expected: failure.expected });
    case 'refused':
      return t('advice.refused');
    case 'timed-out':
      return file ? t('advice.timedOutFrom', { seconds, what: failure.what, who }) : t('advice.timedOut', { seconds, what: failure.what });
    default:
      return unknownKind(failure.kind);
  }
}

/** A kind added to FailureKind without advice here fails the type check; from an older test process, no advice. */
function unknownKind(kind: never): undefined {
  void kind;
  return undefined;
}

function excerpt(output: string): string {
  return output.length > OUTPUT_EXCERPT
    ? `${output.slice(0, OUTPUT_EXCERPT)}\n[… ${output.length - OUTPUT_EXCERPT} more characters]`
    : output;
}

/** Every lesson, or the one named; undefined when the name matches none. */
export function lessonsFor(name: string): Lesson[] | undefined {
  const lessons = loadLessons();
  if (name === 'all') return lessons;
  const one = findLesson(lessons, name);
  return one ? [one] : undefined;
}
