// `npm run grade`: grades one student's folder or a whole class against the canonical lesson tests.
//   npm run grade -- 04-tcp-server path/to/student       one student: every test, with what to look at
//   npm run grade -- 04-tcp-server submissions/          a class: progress, a table, grade-report.json/.csv
//   npm run grade -- --lesson all submissions/           every lesson each student's folder contains
// The engine is scripts/grader.ts; see README.md, "Grading".

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exitQuietlyOnClosedStdout, parseCommandLine, usageError } from './cli.ts';
import { findSubmissions, type Grade, gradeAll, lessonsFor, Staging } from './grader.ts';
import { findLesson, loadCourse } from './manifest.ts';
import { recordWork, workFolder } from './progress.ts';
import { parseFormats, writeFormats } from './report/formats.ts';
import { reportFromGrades } from './report/from-grades.ts';
import { mergeCommand } from './report/merge.ts';
import { gradingKey, parseShard, shardOf } from './report/shard.ts';

const USAGE = `usage: npm run grade -- LESSON FOLDER... [options]
       npm run grade -- --lesson all FOLDER... [options]
FOLDER is one student's folder (the lesson's programs, or programs.json naming a command per role)
or a folder of student folders. LESSON is its full name, number (04) or slug (tcp-server).
options:
  --lesson NAME     the lesson, instead of the first argument; "all": every lesson a student folder holds
  --min-score N     exit 1 when any score is below N (0-100), for a class's CI
  --jobs N          folders graded at once (default: the number of cores, ${os.availableParallelism()})
  --report DIR      write grade-report.json and grade-report.csv into DIR
                    (default: the current folder, when more than one folder is graded)
  --timeout S       stop the tests of one folder after S seconds (default 180)
  --format F        also write F into the report folder: gradescope, exercism or junit (repeatable)
  --shard K/N       grade only part K of N of the submissions (merge the parts' reports with
                    npm run grade -- merge REPORT...)
  --only NAME       run only the test named NAME (repeatable)
  --help`;

exitQuietlyOnClosedStdout();
if (process.argv[2] === 'merge') process.exit(mergeCommand(process.argv.slice(3)));
const { values, positionals } = parseCommandLine('grade', {
  allowPositionals: true,
  options: {
    lesson: { type: 'string' },
    'min-score': { type: 'string' },
    jobs: { type: 'string' },
    report: { type: 'string' },
    timeout: { type: 'string' },
    format: { type: 'string', multiple: true },
    shard: { type: 'string' },
    only: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const lessonName = values.lesson ?? positionals.shift();
if (lessonName === undefined || positionals.length === 0)
  usageError('grade', 'give a lesson and at least one folder (npm run grade -- --help)');
const course = loadCourse();
const lessons =
  lessonsFor(lessonName) ??
  usageError(
    'grade',
    findLesson(course.broken, lessonName)?.problem ??
      `unknown lesson '${lessonName}'; the lessons are: ${course.lessons.map((l) => l.id).join(', ')}, or all`,
  );
if (lessonName === 'all') for (const broken of course.broken) console.error(`grade: skipped, broken: ${broken.problem}`);
const minScore = wholeNumber('--min-score', values['min-score'], 0, 100);
const jobs = wholeNumber('--jobs', values.jobs, 1, 64);
const timeoutS = wholeNumber('--timeout', values.timeout, 1, 3600);
const formats = orUsageError(() => parseFormats(values.format));
const shard = values.shard === undefined ? undefined : orUsageError(() => parseShard(values.shard!));

let submissions;
try {
  submissions = findSubmissions(positionals, lessons);
  if (shard) submissions = shardOf(submissions, (s) => gradingKey(s.student, s.lesson.id), shard.index, shard.count);
} catch (err) {
  console.error(`grade: ${(err as Error).message}`);
  process.exit(1);
}

const staging = new Staging();
const cleanUp = (): void => staging.remove();
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`grade: ${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopped, nothing written`);
    process.exit(130); // the exit handler removes the staging folder and what runs from it
  });
}

const single = submissions.length === 1;
console.error(
  `grading ${submissions.length} folder${single ? '' : 's'} (${jobs ?? Math.min(os.availableParallelism(), submissions.length)} at a time)`,
);
const grades = await gradeAll(submissions, staging, {
  ...(jobs ? { jobs } : {}),
  timeoutMs: (timeoutS ?? 180) * 1000,
  ...(values.only ? { only: values.only } : {}),
  onDone: (grade, done) =>
    console.error(
      `  [${done}/${submissions.length}] ${grade.student} ${grade.lesson}: ${grade.passed}/${grade.total} in ${grade.seconds} s`,
    ),
});

if (single) printDetails(grades[0]!);
else printTable(grades);
const report = reportFromGrades(grades, { shard }); // until gradeAll returns the Report itself
const reportDir = path.resolve(values.report ?? '.');
if (values.report !== undefined || !single || formats.length > 0 || shard) {
  mkdirSync(reportDir, { recursive: true });
  writeReports(reportDir, grades);
}
for (const file of writeFormats(report, reportDir, formats)) console.log(`format: ${path.relative(process.cwd(), file) || file}`);
const below = grades.filter((g) => minScore !== undefined && g.score < minScore);
if (below.length > 0) {
  console.error(`grade: ${below.length} score${below.length === 1 ? ' is' : 's are'} below --min-score ${minScore}`);
  process.exitCode = 1;
}

function printDetails(grade: Grade): void {
  console.log(`\n${grade.student} — ${grade.lesson}`);
  for (const test of grade.tests) {
    console.log(`  ${test.status === 'pass' ? 'pass' : test.status.toUpperCase()}  [${test.suite}] ${test.name}`);
    if (test.message) console.log(indent(test.message, 8));
    if (test.command) console.log(indent(`command: ${test.command}`, 8));
    if (test.output) console.log(`${indent('output:', 8)}\n${indent(test.output, 10)}`);
  }
  console.log(`\nscore: ${grade.score} (${grade.passed} of ${grade.total} tests passed, ${grade.seconds} s)`);
  const lesson = lessons.find((l) => l.id === grade.lesson)!;
  if (path.resolve(grade.folder) !== workFolder(lesson)) return;
  // The student's own work folder: remember the grade, and show the hints earned so far.
  const { hints, solution } = recordWork(lesson, grade);
  if (solution) {
    // The solution holds only the files the exercise changes: compare those.
    const work = path.relative(process.cwd(), grade.folder);
    const diffs = lesson.exercise.files.map((file) => `diff -u ${path.join(work, file)} ${path.join(solution, file)}`);
    console.log(`\nThe exercise passes. Compare with the reference solution: ${diffs.join('; ')}`);
  }
  hints.forEach((hint, i) => console.log(`${i === 0 ? '\n' : ''}hint ${i + 1} of ${lesson.exercise.hints.length}: ${hint}`));
}

function printTable(grades: Grade[]): void {
  const rows = grades.map((g) => [g.student, g.lesson, `${g.passed}/${g.total}`, String(g.score)]);
  const header = ['student', 'lesson', 'passed', 'score'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}`);
  for (const row of rows) console.log(line(row));
}

function writeReports(dir: string, grades: Grade[]): void {
  const json = path.join(dir, 'grade-report.json');
  const csv = path.join(dir, 'grade-report.csv');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  const quote = (cell: string | number): string => `"${String(cell).replaceAll('"', '""')}"`;
  const rows = grades.map((g) =>
    [
      g.student,
      g.lesson,
      g.passed,
      g.total,
      g.score,
      g.tests
        .filter((t) => t.status !== 'pass')
        .map((t) => t.name)
        .join('; '),
    ]
      .map(quote)
      .join(','),
  );
  writeFileSync(csv, `student,lesson,passed,total,score,failed tests\n${rows.join('\n')}\n`);
  console.log(`\nreports: ${path.relative(process.cwd(), json) || json}, ${path.relative(process.cwd(), csv) || csv}`);
}

function orUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    usageError('grade', (err as Error).message);
  }
}

function wholeNumber(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    usageError('grade', `${flag} must be a whole number from ${min} to ${max}, not '${text}'`);
  return value;
}

function indent(text: string, spaces: number): string {
  return text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');
}
