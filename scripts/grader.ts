// The grading engine behind `npm run grade`: finds student folders, stages each one inside the
// repository, runs the canonical lesson and exercise tests against it (never tests from the
// student's folder), and turns the results into messages that say what to look at.

import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMMANDS_FILE, findLesson, type Lesson, loadLessons, readCommands, WORK_ROOT } from './manifest.ts';
import { type TestResult, testResults } from './results.ts';
import { showCommand } from './runtime/failure.ts';
import { killProcessesUnder } from './runtime/processes.ts';

// The tests kill each program's process group; the sweep of the staging folder (killProcessesUnder)
// is the grader's guarantee that nothing a student's program started, in any group, outlives grading.
export { killProcessesUnder, runningProcesses } from './runtime/processes.ts';

/** Students' programs run from a copy under work/, which is git-ignored and can resolve iconv-lite. */
export const STAGING_PARENT = WORK_ROOT;
const OUTPUT_EXCERPT = 2000; // characters of a failing program's output kept in the report
const SKIPPED = new Set(['node_modules', '.git']);

export interface Submission {
  student: string; // a name for the report: the folder's name, or its path when names repeat
  lesson: Lesson;
  dir: string; // the folder with the programs
}

export interface GradedTest {
  name: string;
  suite: 'lesson' | 'exercise' | 'grader';
  status: TestResult['status'];
  message?: string; // what to look at
  output?: string; // a capped excerpt of the programs' output
  command?: string; // the command line of the program that failed, when the harness knew it
}

export interface Grade {
  student: string;
  lesson: string;
  folder: string;
  passed: number;
  total: number;
  score: number; // 0-100
  seconds: number;
  tests: GradedTest[];
}

export interface GradeOptions {
  /** Per (student, lesson) run; a run still going then is stopped and reported. */
  timeoutMs?: number;
  /** SOCKET_LESSONS_WAIT_MS for the tests: how long one wait may take. */
  waitMs?: number;
  /** The suites to run (default both); the repository's own checks narrow them. */
  suites?: ('lesson' | 'exercise')[];
  /** Only the tests with these names (the repository's checks of known-bad programs). */
  only?: string[];
}

// ---- finding submissions ----

/**
 * The submissions under `paths`. With one lesson, a path is a student's folder when it holds one of
 * the lesson's programs or programs.json (or a subfolder named after the lesson), and otherwise a
 * class: every folder in it is a student. With all lessons, a student's folder holds one subfolder
 * per lesson (04-tcp-server/, ...), and a folder without any is a class.
 */
export function findSubmissions(paths: string[], lessons: Lesson[]): Submission[] {
  const found: Submission[] = [];
  for (const given of paths) {
    const dir = path.resolve(given);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${given} is not a folder`);
    const own = submissionsOf(dir, lessons);
    if (own.length > 0) found.push(...own);
    else for (const child of subfolders(dir)) found.push(...submissionsOf(child, lessons));
  }
  if (found.length === 0)
    throw new Error(
      `no submission found in ${paths.join(', ')}: a student's folder holds the lesson's programs (${lessons.map((l) => l.programs.map((p) => p.file).join(', ')).join('; ')})`,
    );
  return found.map((s) => ({ ...s, student: studentName(s, found) }));
}

/** The student's folder name (the parent's, for a lesson subfolder), or its path when two are alike. */
function studentName(submission: Submission, all: Submission[]): string {
  const name = (s: Submission): string => path.basename(path.basename(s.dir) === s.lesson.id ? path.dirname(s.dir) : s.dir);
  const alike = all.filter((s) => s.lesson === submission.lesson && name(s) === name(submission));
  return alike.length > 1 ? path.relative(process.cwd(), submission.dir) : name(submission);
}

function submissionsOf(dir: string, lessons: Lesson[]): Submission[] {
  const result: Submission[] = [];
  for (const lesson of lessons) {
    const nested = path.join(dir, lesson.id);
    if (statSync(nested, { throwIfNoEntry: false })?.isDirectory()) result.push({ student: '', lesson, dir: nested });
    else if (lessons.length === 1 && holdsPrograms(dir, lesson)) result.push({ student: '', lesson, dir });
  }
  return result;
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
    this.root = mkdtempSync(path.join(STAGING_PARENT, '.grading-'));
  }

  /** Copies a submission (without node_modules or .git) to a fresh folder and returns it. */
  stage(submission: Submission, overlay?: string): string {
    const dir = path.join(this.root, `${++this.count}-${submission.lesson.id}`);
    cpSync(submission.dir, dir, { recursive: true, filter: (source) => !SKIPPED.has(path.basename(source)) });
    if (overlay) cpSync(overlay, dir, { recursive: true });
    return dir;
  }

  remove(): void {
    killProcessesUnder(this.root);
    rmSync(this.root, { recursive: true, force: true });
  }
}

// ---- grading ----

/** Runs the lesson's own test file, lesson and exercise suites, against a staged folder. */
export async function gradeStaged(submission: Submission, staged: string, options: GradeOptions = {}): Promise<Grade> {
  const started = performance.now();
  const { lesson } = submission;
  const env: Record<string, string> = {
    SOCKET_LESSONS_PROGRAMS: staged,
    SOCKET_LESSONS_SUITES: (options.suites ?? ['lesson', 'exercise']).join(','),
    SOCKET_LESSONS_STAGED: '1', // our own copy: the harness may transpile the programs beside themselves
  };
  if (options.waitMs) env.SOCKET_LESSONS_WAIT_MS = String(options.waitMs);
  const testFile = path.join(lesson.dir, `${lesson.id}.test.ts`);
  const results = await testResults(testFile, env, {
    timeoutMs: options.timeoutMs ?? 180_000,
    ...(options.only ? { only: options.only } : {}),
  });
  const tests: GradedTest[] = [...missingPrograms(lesson, staged), ...results.map((r) => explain(r, lesson))];
  const leftovers = killProcessesUnder(staged);
  if (leftovers.length > 0) {
    tests.push({
      name: 'no process is left running after the tests',
      suite: 'grader',
      status: 'fail',
      message: `still running after the tests, killed by the grader: ${leftovers.join('; ').slice(0, 300)}`,
    });
  }
  const graded = tests.filter((t) => t.suite !== 'grader' || t.status !== 'pass');
  const passed = graded.filter((t) => t.status === 'pass').length;
  const total = Math.max(graded.length, 1);
  return {
    student: submission.student,
    lesson: lesson.id,
    folder: submission.dir,
    passed,
    total,
    score: Math.floor((100 * passed) / total),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    tests: graded,
  };
}

/** Grades many submissions, `jobs` at a time, each staged in `staging`. */
export async function gradeAll(
  submissions: Submission[],
  staging: Staging,
  options: GradeOptions & { jobs?: number; onDone?: (grade: Grade, done: number) => void } = {},
): Promise<Grade[]> {
  const grades: Grade[] = new Array(submissions.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < submissions.length) {
      const index = next++;
      const submission = submissions[index]!;
      grades[index] = await gradeStaged(submission, staging.stage(submission), options);
      options.onDone?.(grades[index]!, ++done);
    }
  };
  const jobs = Math.max(1, Math.min(options.jobs ?? os.availableParallelism(), submissions.length));
  await Promise.all(Array.from({ length: jobs }, worker));
  return grades;
}

function missingPrograms(lesson: Lesson, dir: string): GradedTest[] {
  let commands = new Map<string, string[]>();
  try {
    commands = readCommands(lesson.dir, dir);
  } catch {
    // a malformed programs.json: the lesson's tests report it, as an error of the whole run
  }
  return [...new Set(lesson.programs.map((p) => p.file))]
    .filter((file) => !existsSync(path.join(dir, file)) && !commands.has(file))
    .map((file) => ({
      name: `the folder has ${file}`,
      suite: 'grader' as const,
      status: 'fail' as const,
      message: `${file} is missing: name it exactly so, or give its role a command in ${COMMANDS_FILE}`,
    }));
}

// ---- messages that teach ----

/** Splits a failure into its first lines and the programs' output, and adds what to look at. */
export function explain(result: TestResult, lesson: Lesson): GradedTest {
  const suite = result.suite.endsWith('exercise') ? 'exercise' : 'lesson';
  if (result.status === 'pass' || !result.message) return { name: result.name, suite, status: result.status };
  const [text, ...rest] = result.message.split(/\n(?=--- )/);
  const output = rest.join('\n').trim();
  const message = [advice(result, lesson), ...text!.split('\n').slice(0, 8)].filter(Boolean).join('\n');
  const command = result.failure?.command ? showCommand(result.failure.command) : undefined;
  return {
    name: result.name,
    suite,
    status: result.status,
    message,
    ...(output ? { output: excerpt(output) } : {}),
    ...(command ? { command } : {}),
  };
}

/** What to look at, chosen by the kind of failure the harness reported (none for a plain assertion). */
function advice(result: TestResult, lesson: Lesson): string | undefined {
  if (result.timeLimitMs !== undefined)
    return 'The tests were stopped at the time limit — does a program wait for input or a connection for ever?';
  const failure = result.failure;
  if (!failure) return undefined;
  const file = failure.program;
  const role = lesson.programs.find((p) => p.file === file)?.role;
  const who = role ? `the ${role} (${file})` : (file ?? 'the program');
  const seconds = `${(failure.waitedMs ?? 0) / 1000} s`;
  switch (failure.kind) {
    case 'wrong-port':
      return 'It must bind the port given by --port and print that port in its ready line.';
    case 'flooded':
      return 'It printed far more than the lesson asks for and was stopped — look for a loop that prints without waiting.';
    case 'left-process':
      return 'It started a process and exited without stopping it.';
    case 'did-not-start':
      return `${who} did not start — its stderr below says why (a syntax error, a missing module, or a command that is not installed?).`;
    case 'no-ready-line':
      return `${who} printed no ready line within ${seconds} — does it print \`listening on HOST:PORT\` after binding \`--port\`?`;
    case 'exited-early':
      return `${who} ended (${failure.actual}) before printing ${failure.what} — its stderr below says why.`;
    case 'wrong-output':
      return `${who} did not print ${failure.what} within ${seconds} — compare its output with "What the programs print" in the lesson's README.`;
    case 'wrong-exit-code':
      return `${who} should exit with code ${failure.expected} but ${failure.actual} — a wrong flag exits 2 and an error the user caused exits 1, each with one line on stderr.`;
    case 'wrong-stderr':
      return `${who} printed ${failure.actual} lines on stderr — one clear line, no stack trace (catch the error and print its meaning).`;
    case 'wrong-error-line':
      return `${who}'s error line does not say what the test expects (${failure.expected}).`;
    case 'refused':
      return 'Nothing accepted the connection on the port of the ready line — does it print the port it really bound?';
    case 'timed-out':
      return `Nothing happened within ${seconds} while the test waited for ${failure.what}.`;
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
