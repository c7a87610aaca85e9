// Benchmark 3: the courseware's own speed. The wall time of the lesson runner's demo, of grading
// one student on lesson 04 (the command `npm run grade` runs), of grading a wrong attempt of each
// kind (a syntax error, a server that exits at once, a client that exits at once), of every lesson
// of one student, and of a class of copies of a solution two at a time. The baseline of the demo
// and of one student is the same command with every program (and the grader) started by
// `--import tsx` (SOCKET_LESSONS_RUN_TS=tsx), as the repository did before scripts/run-ts; rounds
// alternate. A wrong attempt stands beside the correct one of the same run. One grading of each
// kind also counts what it starts (SOCKET_LESSONS_SPAWN_LOG): processes, those with a TypeScript
// loader, and esbuild transpiles.

import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copySolved, findLesson, loadLessons, REPO_ROOT } from '../manifest.ts';
import { notRunByDesign } from '../report/model.ts';
import { SPAWN_LOG_VARIABLE } from '../runtime/child.ts';
import { runToEnd } from './processes.ts';
import { load, medianOf, num } from './stats.ts';
import type { Workspace } from './workspace.ts';

const LESSON = '04-tcp-server';
const STEP_LIMIT_MS = 300_000; // one command, whatever happens
const CLASS_JOBS = 2;
let spawnLogs = 0; // the count files made so far // the issue's "30 copies two at a time"
/** How `npm run grade` starts the grader (package.json), and how it was started before scripts/run-ts. */
const GRADE = ['--import', './scripts/run-ts/register.mjs', 'scripts/grade.ts'];
const GRADE_UNDER_TSX = ['--import', 'tsx', 'scripts/grade.ts'];
// Targets (issue 16), in seconds.
const TARGET = { demo: 1.5, one: 2.5, wrong: 5, allLessons: 60, class: 60 };

export interface TimedRun {
  side: 'lesson' | 'baseline';
  seconds: number;
  ok: boolean;
  load: number;
}

/** What one grading started: processes (with a TypeScript loader: tsx or scripts/run-ts), esbuild transpiles. */
export interface Counts {
  processes: number;
  withLoader: number;
  transpiles: number;
}

export interface Timed {
  command: string;
  runs: TimedRun[];
  lesson: number | undefined; // median seconds
  baseline: number | undefined;
  /** What the first run of each side started. */
  counts?: { lesson?: Counts; baseline?: Counts };
  /** Tests of the first lesson-side run whose wait ran to its limit (a wrong attempt should have none). */
  fullWaits?: string[];
}

export interface WrongAttempt extends Timed {
  kind: string;
  /** What the report said of it (status and score). */
  outcome: string;
}

export interface CoursewareResult {
  demo: Timed;
  gradeOne: Timed;
  wrong: WrongAttempt[];
  allLessons: {
    command: string;
    lessons: number;
    seconds: number;
    allFullMarks: boolean;
    /** lesson -> its score, where it is not 100. */
    below100: Record<string, number>;
    load: number;
  };
  gradeClass: {
    command: string;
    students: number;
    jobs: number;
    seconds: number;
    allFullMarks: boolean;
    /** Copies that scored below 100 (every copy is the reference solution). */
    below100: number;
    /** Test name -> how many copies of the (correct) solution failed it: a test that is not reliable under load. */
    failures: Record<string, number>;
    oneByOneSeconds: number | undefined;
    load: number;
  };
}

/** The wrong attempts: the solution with one thing broken. */
const WRONG: { kind: string; file: string; breakIt: (source: string) => string; outcome: RegExp }[] = [
  { kind: 'a syntax error in server.ts', file: 'server.ts', breakIt: (s) => `${s}\nconst broken = ;\n`, outcome: /did-not-start/ },
  { kind: 'a server that exits at once', file: 'server.ts', breakIt: (s) => `process.exit(0);\n${s}`, outcome: /^score: 0 /m },
  { kind: 'a client that exits at once', file: 'client.ts', breakIt: (s) => `process.exit(0);\n${s}`, outcome: /^score: 0 /m },
];

export async function benchCourseware(
  work: Workspace,
  options: { rounds: number; students: number; log: (line: string) => void },
): Promise<CoursewareResult> {
  const { rounds, students, log } = options;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const demo = await alternate(
    work,
    `npm run lesson ${LESSON} -- --demo`,
    [npm, 'run', '--silent', 'lesson', LESSON, '--', '--demo'],
    'tsx',
    (r) => r.code === 0 && /done: every program finished/.test(r.stdout),
    rounds,
    log,
  );
  // One student: the lesson's programs with the reference solution laid over them (solutions/ holds only the exercise's files).
  const lessons = loadLessons();
  const lesson = findLesson(lessons, LESSON)!;
  const solved = work.path('solved');
  copySolved(lesson, solved);
  const gradeOne = await alternate(
    work,
    `npm run grade -- ${LESSON} SOLVED (lessons/${LESSON} with solutions/${LESSON} on top)`,
    [process.execPath, ...GRADE, LESSON, solved],
    [process.execPath, ...GRADE_UNDER_TSX, LESSON, solved],
    (r) => r.code === 0 && /^score: 100 /m.test(r.stdout),
    rounds,
    log,
  );

  // Wrong attempts, each graded as a new student's folder would be (its own copy, its own report).
  const wrong: WrongAttempt[] = [];
  for (const attempt of WRONG) {
    const dir = work.path(`wrong-${wrong.length + 1}`);
    cpSync(solved, dir, { recursive: true });
    const file = path.join(dir, attempt.file);
    writeFileSync(file, attempt.breakIt(readFileSync(file, 'utf8')));
    const reports = work.path(`wrong-${wrong.length + 1}-report`);
    const timed = await alternate(
      work,
      `npm run grade -- ${LESSON} WRONG (${attempt.kind})`,
      [process.execPath, ...GRADE, LESSON, dir, '--report', reports],
      'none',
      (r) => attempt.outcome.test(r.stdout),
      rounds,
      log,
    );
    wrong.push({ ...timed, kind: attempt.kind, outcome: reportOutcome(path.join(reports, 'grade-report.json')) });
  }

  // Every lesson of one student: solutions/NN-slug over each lesson, in STUDENT/NN-slug/.
  const student = work.path('student');
  const solvable = lessons.filter((l) => existsSync(path.join(REPO_ROOT, 'solutions', l.id)));
  for (const each of solvable) copySolved(each, path.join(student, each.id));
  const allReports = work.path('all-report');
  const all = await runToEnd([process.execPath, ...GRADE, '--lesson', 'all', student, '--report', allReports], {
    cwd: REPO_ROOT,
    timeoutMs: STEP_LIMIT_MS,
  });
  const allScores = scoresOf(path.join(allReports, 'grade-report.json'));
  const below100 = Object.fromEntries(Object.entries(allScores).filter(([, score]) => score !== 100));
  const allFull = all.code === 0 && Object.keys(allScores).length === solvable.length && Object.keys(below100).length === 0;
  log(
    `courseware: every lesson of one student (${solvable.length}): ${(all.ms / 1000).toFixed(1)} s, all 100: ${allFull}${Object.keys(below100).length ? ` (below: ${JSON.stringify(below100)})` : ''} (load ${load()})`,
  );
  if (!allFull) log(`courseware: its output ends with: ${all.stdout.slice(-800)}${all.stderr.slice(-800)}`);
  for (const [name, count] of Object.entries(failedTests(path.join(allReports, 'grade-report.json'))))
    log(`courseware: every lesson: failed ${count}×: ${name}`);

  // A class: copies of the reference solution, graded two at a time.
  const classDir = work.path('class');
  for (let i = 1; i <= students; i++) cpSync(solved, path.join(classDir, `student-${String(i).padStart(2, '0')}`), { recursive: true });
  const reports = work.path('reports');
  mkdirSync(reports);
  const result = await runToEnd([process.execPath, ...GRADE, LESSON, classDir, '--jobs', String(CLASS_JOBS), '--report', reports], {
    cwd: REPO_ROOT,
    timeoutMs: STEP_LIMIT_MS * 2,
  });
  // The table's columns: student, lesson, kind, status, score, exercise, regressions, seconds.
  const scores = [...result.stdout.matchAll(/^student-\d+\s+\S+\s+\S+\s+\S+\s+(\d+)\s/gm)].map((m) => Number(m[1]));
  const allFullMarks = result.code === 0 && scores.length === students && scores.every((s) => s === 100);
  const seconds = result.ms / 1000;
  // The baseline: the same students graded one after another, each as long as one alone.
  const oneByOne = gradeOne.lesson === undefined ? undefined : gradeOne.lesson * students;
  const failures = failedTests(path.join(reports, 'grade-report.json'));
  log(
    `courseware: grading ${students} copies, ${CLASS_JOBS} at a time: ${seconds.toFixed(1)} s, all 100: ${allFullMarks} (load ${load()})`,
  );
  for (const [name, count] of Object.entries(failures))
    log(`courseware: failed by ${count} of ${students} copies of the solution: ${name}`);
  if (!allFullMarks && Object.keys(failures).length === 0)
    log(`courseware: grading the class: ${result.stdout.slice(-800)}${result.stderr.slice(-800)}`);
  return {
    demo,
    gradeOne,
    wrong,
    allLessons: {
      command: `npm run grade -- --lesson all STUDENT (solutions/NN-slug over each of ${solvable.length} lessons)`,
      lessons: solvable.length,
      seconds: all.ms / 1000,
      allFullMarks: allFull,
      below100,
      load: load(),
    },
    gradeClass: {
      command: `npm run grade -- ${LESSON} CLASS --jobs ${CLASS_JOBS} (${students} copies of solutions/${LESSON})`,
      students,
      jobs: CLASS_JOBS,
      seconds,
      allFullMarks,
      below100: scores.length === students ? scores.filter((score) => score < 100).length : students,
      failures,
      oneByOneSeconds: oneByOne,
      load: load(),
    },
  };
}

/**
 * Runs `argv` (lesson) and `baseline` ('tsx': argv with SOCKET_LESSONS_RUN_TS=tsx; 'none' for a
 * wrong attempt, whose row compares it with the correct one), alternating. The first run of each
 * side counts what it starts.
 */
async function alternate(
  work: Workspace,
  command: string,
  argv: string[],
  baseline: string[] | 'tsx' | 'none',
  succeeded: (r: { code: number | null; stdout: string }) => boolean,
  rounds: number,
  log: (line: string) => void,
): Promise<Timed> {
  const runs: TimedRun[] = [];
  const counts: NonNullable<Timed['counts']> = {};
  let fullWaits: string[] | undefined;
  for (let round = 0; round < rounds; round++) {
    const sides = baseline === 'none' ? (['lesson'] as const) : (['lesson', 'baseline'] as const);
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const { NODE_TEST_CONTEXT: _, SOCKET_LESSONS_RUN_TS: __, [SPAWN_LOG_VARIABLE]: ___, ...inherited } = process.env;
      const spawnLog = round === 0 ? work.path(`spawns-${++spawnLogs}.log`) : undefined;
      const env: NodeJS.ProcessEnv = {
        ...inherited,
        NO_COLOR: '1',
        ...(side === 'baseline' ? { SOCKET_LESSONS_RUN_TS: 'tsx' } : {}),
        ...(spawnLog ? { [SPAWN_LOG_VARIABLE]: spawnLog } : {}),
      };
      const run = side === 'baseline' && Array.isArray(baseline) ? baseline : argv;
      if (spawnLog) appendFileSync(spawnLog, `${JSON.stringify(['spawn', ...run])}\n`); // the command itself
      const result = await runToEnd(run, { cwd: REPO_ROOT, env, timeoutMs: STEP_LIMIT_MS });
      const ok = succeeded(result);
      runs.push({ side, seconds: result.ms / 1000, ok, load: load() });
      if (spawnLog) counts[side] = countStarts(spawnLog);
      if (side === 'lesson' && round === 0) fullWaits = waitsToTheLimit(run);
      log(
        `courseware: ${command} (${side === 'lesson' ? 'scripts/run-ts' : '--import tsx'}) round ${round + 1}: ${(result.ms / 1000).toFixed(2)} s${ok ? '' : ' FAILED'} (load ${load()})${spawnLog ? `; started ${describeCounts(counts[side]!)}` : ''}`,
      );
      if (!ok) log(`courseware: its output ends with: ${result.stdout.slice(-600)}${result.stderr.slice(-600)}`);
    }
  }
  if (fullWaits?.length) log(`courseware: ${command}: waits that ran to their limit: ${fullWaits.join('; ')}`);
  const median = (side: TimedRun['side']): number | undefined =>
    medianOf(runs.filter((r) => r.side === side && r.ok).map((r) => r.seconds));
  return { command, runs, lesson: median('lesson'), baseline: median('baseline'), counts, ...(fullWaits ? { fullWaits } : {}) };
}

/** The processes and transpiles a SOCKET_LESSONS_SPAWN_LOG file lists. */
function countStarts(file: string): Counts {
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
  const spawns = entries.filter((e) => e[0] === 'spawn');
  return {
    processes: spawns.length,
    withLoader: spawns.filter((e) => e.some((arg, i) => arg === '--import' && /^(tsx|.*register\.mjs)$/.test(e[i + 1] ?? ''))).length,
    transpiles: entries.filter((e) => e[0] === 'transpile').length,
  };
}

export function describeCounts(c: Counts | undefined): string {
  return c ? `${c.processes} processes (${c.withLoader} with a TypeScript loader), ${c.transpiles} esbuild transpiles` : '?';
}

/** The tests of a run's report (its --report folder) whose failure is a wait that ran to its limit. */
function waitsToTheLimit(argv: string[]): string[] {
  const at = argv.indexOf('--report');
  if (at < 0) return [];
  const report = path.join(argv[at + 1]!, 'grade-report.json');
  if (!existsSync(report)) return [];
  const { grades } = JSON.parse(readFileSync(report, 'utf8')) as { grades: { tests: { name: string; message?: string }[] }[] };
  return grades.flatMap((g) => g.tests.filter((t) => /within \d+(\.\d+)? s\b/.test(t.message ?? '')).map((t) => t.name));
}

function reportOutcome(report: string): string {
  if (!existsSync(report)) return '?';
  const { grades } = JSON.parse(readFileSync(report, 'utf8')) as { grades: { status: string; score: number }[] };
  return grades.map((g) => `${g.status}, score ${g.score}`).join('; ');
}

/** lesson -> score, from a grade report. */
function scoresOf(report: string): Record<string, number> {
  if (!existsSync(report)) return {};
  const { grades } = JSON.parse(readFileSync(report, 'utf8')) as { grades: { lesson: string; score: number }[] };
  return Object.fromEntries(grades.map((g) => [g.lesson, g.score]));
}

/** The tests that failed in a grade report, with how many students failed each. */
function failedTests(report: string): Record<string, number> {
  if (!existsSync(report)) return {};
  const { grades } = JSON.parse(readFileSync(report, 'utf8')) as { grades: { tests: { name: string; status: string; role: string }[] }[] };
  const failures: Record<string, number> = {};
  for (const grade of grades)
    for (const test of grade.tests)
      if (test.status !== 'pass' && !notRunByDesign(test)) failures[test.name] = (failures[test.name] ?? 0) + 1;
  return failures;
}

/** The courseware's rows of the table: [figure, lesson, baseline, ratio, target, met?], as scripts/bench.ts prints them. */
export function coursewareRows(c: CoursewareResult): string[][] {
  const ratio = (a: number | undefined, b: number | undefined): string => num(a !== undefined && b ? a / b : undefined, 2);
  const met = (value: number | undefined, target: number): string => (value !== undefined && value < target ? 'yes' : 'NO');
  // A timed row: seconds beside a baseline in seconds, their ratio, and a target in seconds.
  const timed = (figure: string, seconds: number | undefined, baseline: number | undefined, target: number): string[] => [
    figure,
    num(seconds, 2),
    num(baseline, 2),
    ratio(seconds, baseline),
    `< ${target} s`,
    met(seconds, target),
  ];
  const rows: string[][] = [];
  rows.push(timed(`\`${c.demo.command}\` (s; baseline: programs under tsx)`, c.demo.lesson, c.demo.baseline, TARGET.demo));
  rows.push(
    timed(
      `grade one student on ${LESSON} (s; baseline: grader and programs under tsx)`,
      c.gradeOne.lesson,
      c.gradeOne.baseline,
      TARGET.one,
    ),
  );
  rows.push([
    `grade one student on ${LESSON}: processes started (with a TypeScript loader)`,
    countText(c.gradeOne.counts?.lesson),
    countText(c.gradeOne.counts?.baseline),
    '',
    '',
    '',
  ]);
  for (const w of c.wrong) {
    rows.push(
      timed(`grade a wrong attempt on ${LESSON}, ${w.kind} (s; baseline: the correct one)`, w.lesson, c.gradeOne.lesson, TARGET.wrong),
    );
  }
  const a = c.allLessons;
  rows.push([
    `grade every lesson of one student (${a.lessons} lessons; s)`,
    `${num(a.seconds, 1)}${a.allFullMarks ? '' : ` (${Object.keys(a.below100).length || '?'} below 100)`}`,
    '',
    '',
    `< ${TARGET.allLessons} s`,
    met(a.allFullMarks ? a.seconds : undefined, TARGET.allLessons),
  ]);
  const k = c.gradeClass;
  rows.push([
    `grade ${k.students} copies, ${k.jobs} at a time (s; baseline: ${k.students} × one student)`,
    `${num(k.seconds, 1)}${k.allFullMarks ? '' : ` (${k.below100} below 100)`}`,
    num(k.oneByOneSeconds, 1),
    ratio(k.seconds, k.oneByOneSeconds),
    `< ${TARGET.class} s`,
    met(k.allFullMarks ? k.seconds : undefined, TARGET.class),
  ]);
  return rows;
}

function countText(c: Counts | undefined): string {
  return c ? `${c.processes} (${c.withLoader})` : '?';
}
