// Benchmark 3: the courseware's own speed. The wall time of the lesson runner's demo, of grading
// one student on one lesson, and of grading a class of copies of a solution on every core. The
// baseline of the first two is the same command with every program started by `--import tsx`
// (SOCKET_LESSONS_RUN_TS=tsx), as the repository did before scripts/run-ts; rounds alternate.

import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copySolved, findLesson, loadLessons, REPO_ROOT } from '../manifest.ts';
import { runToEnd } from './processes.ts';
import { load, medianOf } from './stats.ts';
import type { Workspace } from './workspace.ts';

const LESSON = '04-tcp-server';
const STEP_LIMIT_MS = 300_000; // one command, whatever happens

export interface TimedRun {
  side: 'lesson' | 'baseline';
  seconds: number;
  ok: boolean;
  load: number;
}

export interface Timed {
  command: string;
  runs: TimedRun[];
  lesson: number | undefined; // median seconds
  baseline: number | undefined;
}

export interface CoursewareResult {
  demo: Timed;
  gradeOne: Timed;
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

export async function benchCourseware(
  work: Workspace,
  options: { rounds: number; students: number; log: (line: string) => void },
): Promise<CoursewareResult> {
  const { rounds, students, log } = options;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const demo = await alternate(
    `npm run lesson ${LESSON} -- --demo`,
    [npm, 'run', '--silent', 'lesson', LESSON, '--', '--demo'],
    (r) => r.code === 0 && /done: every program finished/.test(r.stdout),
    rounds,
    log,
  );
  // One student: the lesson's programs with the reference solution laid over them (solutions/ holds only the exercise's files).
  const lesson = findLesson(loadLessons(), LESSON)!;
  const solved = work.path('solved');
  copySolved(lesson, solved);
  const gradeOne = await alternate(
    `node --import tsx scripts/grade.ts ${LESSON} SOLVED (lessons/${LESSON} with solutions/${LESSON} on top)`,
    [process.execPath, '--import', 'tsx', 'scripts/grade.ts', LESSON, solved],
    (r) => r.code === 0 && /^score: 100 /m.test(r.stdout),
    rounds,
    log,
  );

  // A class: copies of the reference solution, graded `jobs` at a time (the default: one per core).
  const classDir = work.path('class');
  for (let i = 1; i <= students; i++) cpSync(solved, path.join(classDir, `student-${String(i).padStart(2, '0')}`), { recursive: true });
  const reports = work.path('reports');
  mkdirSync(reports);
  const jobs = os.availableParallelism();
  const result = await runToEnd([process.execPath, '--import', 'tsx', 'scripts/grade.ts', LESSON, classDir, '--report', reports], {
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
  log(`courseware: grading ${students} copies, ${jobs} at a time: ${seconds.toFixed(1)} s, all 100: ${allFullMarks} (load ${load()})`);
  for (const [name, count] of Object.entries(failures))
    log(`courseware: failed by ${count} of ${students} copies of the solution: ${name}`);
  if (!allFullMarks && Object.keys(failures).length === 0)
    log(`courseware: grading the class: ${result.stdout.slice(-800)}${result.stderr.slice(-800)}`);
  return {
    demo,
    gradeOne,
    gradeClass: {
      command: `node --import tsx scripts/grade.ts ${LESSON} CLASS (${students} copies of solutions/${LESSON}, --jobs ${jobs})`,
      students,
      jobs,
      seconds,
      allFullMarks,
      below100: scores.length === students ? scores.filter((score) => score < 100).length : students,
      failures,
      oneByOneSeconds: oneByOne,
      load: load(),
    },
  };
}

/** Runs `argv` as it is (lesson) and with SOCKET_LESSONS_RUN_TS=tsx (baseline), alternating. */
async function alternate(
  command: string,
  argv: string[],
  succeeded: (r: { code: number | null; stdout: string }) => boolean,
  rounds: number,
  log: (line: string) => void,
): Promise<Timed> {
  const runs: TimedRun[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['lesson', 'baseline'] as const) : (['baseline', 'lesson'] as const);
    for (const side of order) {
      const { NODE_TEST_CONTEXT: _, SOCKET_LESSONS_RUN_TS: __, ...inherited } = process.env;
      const env: NodeJS.ProcessEnv = { ...inherited, NO_COLOR: '1', ...(side === 'baseline' ? { SOCKET_LESSONS_RUN_TS: 'tsx' } : {}) };
      const result = await runToEnd(argv, { cwd: REPO_ROOT, env, timeoutMs: STEP_LIMIT_MS });
      const ok = succeeded(result);
      runs.push({ side, seconds: result.ms / 1000, ok, load: load() });
      log(
        `courseware: ${command} (${side === 'lesson' ? 'scripts/run-ts' : '--import tsx'}) round ${round + 1}: ${(result.ms / 1000).toFixed(2)} s${ok ? '' : ' FAILED'} (load ${load()})`,
      );
      if (!ok) log(`courseware: its output ends with: ${result.stdout.slice(-600)}${result.stderr.slice(-600)}`);
    }
  }
  const median = (side: TimedRun['side']): number | undefined =>
    medianOf(runs.filter((r) => r.side === side && r.ok).map((r) => r.seconds));
  return { command, runs, lesson: median('lesson'), baseline: median('baseline') };
}

/** The tests that failed in a grade report, with how many students failed each. */
function failedTests(report: string): Record<string, number> {
  if (!existsSync(report)) return {};
  const { grades } = JSON.parse(readFileSync(report, 'utf8')) as { grades: { tests: { name: string; status: string }[] }[] };
  const failures: Record<string, number> = {};
  for (const grade of grades)
    for (const test of grade.tests) if (test.status !== 'pass') failures[test.name] = (failures[test.name] ?? 0) + 1;
  return failures;
}
