// `npm run grade`: grades one student's folder or a whole class against the canonical lesson tests.
//   npm run grade -- 04-tcp-server path/to/student       one student: every test, with what to look at
//   npm run grade -- 04-tcp-server submissions/          a class: progress, a table, grade-report.json/.csv
//   npm run grade -- --lesson all submissions/           every lesson, for every student
// The engine is scripts/grader.ts and the report's shape scripts/report/model.ts; see README.md, "Grading".

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exitQuietlyOnClosedStdout, parseCommandLine, usageError, wholeNumber } from './cli.ts';
import { emptyGrade, findSubmissions, type Grade, type GradeOptions, gradeAll, lessonsFor, pointsProblems, Staging } from './grader.ts';
import { localizedLesson, setLanguage, t } from './i18n/index.ts';
import { findLesson, type Grading, loadCourse, nearest, readRubric } from './manifest.ts';
import { recordWork, workFolder } from './progress.ts';
import { faultFlags } from './relay/plan.ts';
import { FAULTS_SKIP } from './relay/session.ts';
import { parseFormats, writeFormats } from './report/formats.ts';
import { mergeCommand } from './report/merge.ts';
import { type Assignment, type Faults, notRunByDesign, type Report } from './report/model.ts';
import { gradingKey, parseShard, shardOf } from './report/shard.ts';
import { stopTestRuns, UNCHANGED_SKIP } from './results.ts';

exitQuietlyOnClosedStdout();
if (process.argv[2] === 'merge') process.exit(mergeCommand(process.argv.slice(3)));
const { values, positionals } = parseCommandLine('grade', {
  allowPositionals: true,
  options: {
    lesson: { type: 'string' },
    assignment: { type: 'string' },
    rubric: { type: 'string' },
    'with-reference': { type: 'string', multiple: true },
    'min-score': { type: 'string' },
    jobs: { type: 'string' },
    report: { type: 'string' },
    timeout: { type: 'string' },
    format: { type: 'string', multiple: true },
    shard: { type: 'string' },
    only: { type: 'string', multiple: true },
    lang: { type: 'string' },
    faults: { type: 'string' },
    seed: { type: 'string' },
    'run-unchanged': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
try {
  setLanguage(values.lang);
} catch (err) {
  usageError('grade', (err as Error).message);
}
if (values.help) {
  console.log(t('grade.usage', { cores: os.availableParallelism() }));
  process.exit(0);
}
const lessonName = values.lesson ?? positionals.shift();
if (lessonName === undefined || positionals.length === 0) usageError('grade', t('grade.giveLesson'));
const course = loadCourse();
const lessons =
  lessonsFor(lessonName) ??
  usageError(
    'grade',
    findLesson(course.broken, lessonName)?.problem ??
      t('usage.unknownLesson', { name: lessonName, lessons: course.lessons.map((l) => l.id), orAll: true }),
  );
if (lessonName === 'all') for (const broken of course.broken) console.error(t('grade.skippedBroken', broken));
const minScore = wholeNumber('grade', '--min-score', values['min-score'], 0, 100);
const jobs = wholeNumber('grade', '--jobs', values.jobs, 1, 64);
const timeoutS = wholeNumber('grade', '--timeout', values.timeout, 1, 3600);
const formats = orUsageError(() => parseFormats(values.format));
const shard = values.shard === undefined ? undefined : orUsageError(() => parseShard(values.shard!));
if (values.assignment !== undefined && values.assignment !== 'exercise' && values.assignment !== 'port')
  usageError('grade', t('grade.assignment', { value: values.assignment }));
const assignment = values.assignment as Assignment | undefined;
// A bad spec is one line and exit 2, before anything runs.
const { plan, seed } = faultFlags('grade', values);
const faults: Faults | undefined = plan && { spec: plan.spec, ...optional('seed', seed) };
let rubric: Grading | undefined;
if (values.rubric !== undefined) {
  try {
    rubric = readRubric(values.rubric);
  } catch (err) {
    usageError('grade', (err as Error).message);
  }
  if (rubric.points && lessons.length > 1) usageError('grade', t('grade.rubricOneLesson', { file: values.rubric }));
}
const withReference = (values['with-reference'] ?? []).flatMap((roles) => roles.split(',')).map((role) => role.trim());
const roles = new Set(lessons.flatMap((l) => l.programs.map((p) => p.role)));
for (const role of withReference) {
  if (role !== 'all' && !roles.has(role)) {
    const near = nearest(role, roles);
    usageError('grade', t('grade.noRole', { role, near, roles: [...roles] }));
  }
}
if (lessons.length === 1) {
  // Points given to a test that does not exist would silently score nothing: say which name is wrong.
  const lesson = lessons[0]!;
  const problems = [
    ...(await pointsProblems(lesson, lesson.grading, `lessons/${lesson.id}/lesson.json: /grading`)),
    ...(await pointsProblems(lesson, rubric, values.rubric ?? '')),
  ];
  if (problems.length > 0) usageError('grade', problems[0]!);
}

let submissions;
try {
  submissions = findSubmissions(positionals, lessons);
  if (shard) submissions = shardOf(submissions, (s) => gradingKey(s.student, s.lesson.id), shard.index, shard.count);
} catch (err) {
  console.error(`grade: ${(err as Error).message}`);
  process.exit(1);
}

const options: GradeOptions = {
  ...(assignment ? { assignment } : {}),
  ...(rubric ? { rubric } : {}),
  withReference,
  timeoutMs: (timeoutS ?? 180) * 1000,
  ...(faults ? { faults } : {}),
  ...(values['run-unchanged'] ? { runUnchanged: true } : {}),
};
const single = submissions.length === 1;
const reportDir = values.report !== undefined || !single || formats.length > 0 || shard ? path.resolve(values.report ?? '.') : undefined;
const grades: (Grade | undefined)[] = new Array(submissions.length);
const report = (partial: boolean, why: string): Report => ({
  version: 1,
  gradedAt: new Date().toISOString(),
  assignment: assignment ?? 'manifest',
  ...(values.rubric ? { rubric: values.rubric } : {}),
  ...(faults ? { faults } : {}),
  ...(shard ? { shard } : {}),
  partial: partial || grades.some((g) => g?.status === 'partial'),
  grades: submissions.map((submission, i) => grades[i] ?? emptyGrade(submission, options, 'partial', `not graded: ${why}`)),
});

const staging = new Staging();
process.on('exit', () => {
  stopTestRuns(); // first: a test run still going would start programs from the folder meanwhile
  staging.remove();
});
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    console.error(t('grade.stopped', { signal: name }));
    finish(report(true, `the grading was stopped (${name})`));
    process.exit(130); // the exit handler removes the staging folder and what runs from it
  });
}
process.on('uncaughtException', (err) => {
  console.error(t('grade.failed', { error: err.stack ?? err.message }));
  if (!stopping) finish(report(true, `the grader failed: ${err.message}`));
  process.exit(1);
});

console.error(t('grade.grading', { count: submissions.length, jobs: jobs ?? Math.min(os.availableParallelism(), submissions.length) }));
await gradeAll(submissions, staging, {
  ...options,
  ...(jobs ? { jobs } : {}),
  ...(values.only ? { only: values.only } : {}),
  stopped: () => stopping,
  onDone: (grade, done, index) => {
    grades[index] = grade;
    console.error(`  [${done}/${submissions.length}] ${grade.student} ${grade.lesson}: ${summary(grade)}`);
  },
});
if (stopping) await new Promise(() => {}); // the signal handler writes the report and exits

const final = report(false, 'the run ended first');
if (single) printDetails(final.grades[0]!);
else printTable(final.grades);
finish(final);
const below = final.grades.filter((g) => minScore !== undefined && g.score < minScore);
if (below.length > 0) {
  console.error(t('grade.belowMin', { count: below.length, min: minScore }));
  process.exitCode = 1;
}

/** Writes the report files (when a report is due), saying so. */
function finish(result: Report): void {
  if (!reportDir) return;
  try {
    writeReports(reportDir, result);
    for (const file of writeFormats(result, reportDir, formats)) console.log(`format: ${path.relative(process.cwd(), file) || file}`);
  } catch (err) {
    console.error(t('grade.cannotWrite', { dir: reportDir, error: (err as Error).message }));
    process.exitCode = 1;
  }
}

function summary(grade: Grade): string {
  if (grade.status === 'missing' || grade.status === 'did-not-start' || grade.status === 'error')
    return `${grade.status}: ${grade.reason?.split('\n')[0] ?? ''}`;
  const regressions = grade.regressions.length;
  return t('grade.summary', { score: grade.score, partial: grade.status === 'partial', regressions, seconds: grade.seconds });
}

/** A test not run by design because of `prefix`'s reason: under faults (FAULTS_SKIP), or its files the lesson's own (UNCHANGED_SKIP). */
function notRunFor(test: Grade['tests'][number], prefix: string): boolean {
  return notRunByDesign(test) && test.message?.startsWith(prefix) === true;
}

function skipped(test: Grade['tests'][number]): boolean {
  return notRunFor(test, FAULTS_SKIP);
}

function unchanged(test: Grade['tests'][number]): boolean {
  return notRunFor(test, UNCHANGED_SKIP);
}

function exerciseCell(grade: Grade): string {
  return grade.exerciseDone === null ? '-' : grade.exerciseDone ? 'yes' : 'no';
}

function printDetails(grade: Grade): void {
  console.log(`\n${grade.student} — ${grade.lesson} (${grade.assignment})`);
  if (grade.roles.length > 0)
    console.log(
      t('grade.programs', {
        programs: grade.roles.map((r) => `${r.role} = ${r.program}${r.from === 'reference' ? t('grade.lessonsOwn') : ''}`).join(', '),
      }),
    );
  if (faults) console.log(t('grade.underFaults', { spec: faults.spec, seed: faults.seed }));
  if (grade.reason) console.log(`${indent(`${grade.status}: ${grade.reason}`, 2)}`);
  const notRun = grade.tests.filter((test) => test.status === 'not-run' && !notRunByDesign(test));
  if (notRun.length > 0) console.log(t('grade.notRun', { count: notRun.length, why: notRun[0]!.message?.replace(/^not run: /, '') }));
  for (const test of grade.tests) {
    if (skipped(test)) {
      console.log(`${t('grade.skipUnderFaults', { suite: test.suite, name: test.name })}\n${indent(test.message!, 8)}`);
      continue;
    }
    if (unchanged(test)) {
      console.log(t('grade.sameAsLesson', { suite: test.suite, name: test.name }));
      continue;
    }
    if (test.status === 'not-run') continue;
    const status = test.status === 'pass' ? 'pass' : test.status.toUpperCase();
    const counts =
      test.role === 'scored'
        ? `${test.points}/${test.maxPoints}`
        : test.role === 'regression'
          ? test.penalty
            ? `-${test.penalty}`
            : 'regression'
          : 'note';
    console.log(`  ${status}  [${test.suite}, ${counts}] ${test.name}`);
    if (test.status === 'pass') continue;
    if (test.checks) console.log(indent(`${t('grade.label.checks')}${test.checks}`, 8));
    if (test.message) console.log(indent(test.message, 8));
    if (test.command) console.log(indent(`${t('grade.label.command')}${test.command}`, 8));
    if (test.input) console.log(indent(`${t('grade.label.input')}${JSON.stringify(test.input)}`, 8));
    if (test.output) console.log(`${indent(t('grade.label.output'), 8)}\n${indent(test.output, 10)}`);
  }
  const { score, assignment, points, maxPoints, exerciseDone, seconds, status } = grade;
  const regressions = grade.regressions.length;
  const same = grade.tests.filter(unchanged).length;
  console.log(t('grade.score', { score, assignment, points, maxPoints, exerciseDone, regressions, same, seconds, status }));
  if (same > 0) console.log(t('grade.sameWhy'));
  const lesson = lessons.find((l) => l.id === grade.lesson)!;
  if (grade.status === 'missing' || path.resolve(grade.folder) !== workFolder(lesson)) return;
  // The student's own work folder: remember the grade, and show the hints earned so far.
  const { hints, solution } = recordWork(localizedLesson(lesson), grade);
  if (solution) {
    // The solution holds only the files the exercise changes: compare those.
    const work = path.relative(process.cwd(), grade.folder);
    const diffs = lesson.exercise.files.map((file) => `diff -u ${path.join(work, file)} ${path.join(solution, file)}`);
    console.log(t('grade.passes', { diffs }));
  }
  hints.forEach((hint, i) => console.log(`${i === 0 ? '\n' : ''}${t('grade.hint', { n: i + 1, of: lesson.exercise.hints.length, hint })}`));
}

function printTable(all: Grade[]): void {
  const rows = all.map((g) => [
    g.student,
    g.lesson,
    g.assignment,
    g.status,
    String(g.score),
    exerciseCell(g),
    String(g.regressions.length),
    String(g.seconds),
  ]);
  const header = ['student', 'lesson', 'kind', 'status', 'score', 'exercise', 'regressions', 'seconds'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}`);
  for (const row of rows) console.log(line(row));
  for (const grade of all.filter((g) => g.reason && g.status !== 'graded'))
    console.log(`${grade.student} ${grade.lesson}: ${grade.status}: ${grade.reason!.split('\n').join(' | ')}`);
}

function writeReports(dir: string, result: Report): void {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'grade-report.json');
  const csv = path.join(dir, 'grade-report.csv');
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  const quote = (cell: string | number): string => `"${String(cell).replaceAll('"', '""')}"`;
  const rows = result.grades.map((g) =>
    [
      g.student,
      g.lesson,
      g.assignment,
      g.status,
      g.score,
      exerciseCell(g),
      g.regressions.length,
      g.seconds,
      g.tests
        .filter((t) => t.status !== 'pass' && !notRunByDesign(t))
        .map((t) => t.name)
        .join('; '),
      (g.reason ?? '').split('\n').join(' | '),
    ]
      .map(quote)
      .join(','),
  );
  writeFileSync(csv, `student,lesson,assignment,status,score,exercise done,regressions,seconds,failed tests,reason\n${rows.join('\n')}\n`);
  console.log(
    t('grade.reports', {
      partial: result.partial,
      json: path.relative(process.cwd(), json) || json,
      csv: path.relative(process.cwd(), csv) || csv,
    }),
  );
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function orUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    usageError('grade', (err as Error).message);
  }
}

function indent(text: string, spaces: number): string {
  return text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');
}
