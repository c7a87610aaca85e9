// The platforms' own formats of a grading report (`npm run grade -- ... --format F`, repeatable):
//   gradescope  results.json of Gradescope's autograder specification
//               (https://gradescope-autograders.readthedocs.io/en/latest/specs/)
//   exercism    results.json of Exercism's test runner interface, version 3
//               (https://exercism.org/docs/building/tooling/test-runners/interface)
//   junit       junit.xml: testsuites > one testsuite per student and lesson > testcase, with the
//               lesson id as the class name (Node's own junit reporter puts classname="test" on
//               every case, so same-named tests of different lessons would collide); the elements
//               and attributes of the common junit-10.xsd (as in pytest's testing/example_scripts/,
//               https://cs.symfony.com/doc/schemas/fix/junit-10.xsd), which CI services read
// Each is a pure function of a Report (scripts/report/model.ts); writeFormats() writes the files.
// scripts/report/schemas/ holds a JSON Schema of each results.json, checked by tests/formats.test.ts.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { notRunByDesign, type Report, type ReportTest, type StudentGrade } from './model.ts';

export const FORMATS = ['gradescope', 'exercism', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

/** The file a format writes: Gradescope and Exercism both read results.json from their output folder. */
const FILE_NAME: Record<Format, string> = { gradescope: 'results.json', exercism: 'results.json', junit: 'junit.xml' };

/** The --format values, checked: known names, each once, and not two that write the same file. Throws a one-line Error. */
export function parseFormats(values: readonly string[] | undefined): Format[] {
  const formats: Format[] = [];
  for (const value of values ?? []) {
    for (const name of value.split(',').map((v) => v.trim())) {
      if (!(FORMATS as readonly string[]).includes(name)) throw new Error(`--format must be one of ${FORMATS.join(', ')}, not '${name}'`);
      if (!formats.includes(name as Format)) formats.push(name as Format);
    }
  }
  if (formats.includes('gradescope') && formats.includes('exercism'))
    throw new Error(
      '--format gradescope and --format exercism both write results.json: write one, then convert the saved report with `npm run grade -- merge DIR/grade-report.json --format exercism --report OTHER_DIR`',
    );
  return formats;
}

/**
 * Writes each format of `report` into `dir` and returns the paths written. Gradescope and Exercism
 * grade one submission: results.json in `dir` for one student, or DIR/STUDENT/results.json each
 * when the report holds several.
 */
export function writeFormats(report: Report, dir: string, formats: readonly Format[]): string[] {
  const written: string[] = [];
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    written.push(file);
  };
  for (const format of formats) {
    if (format === 'junit') {
      write(path.join(dir, FILE_NAME.junit), toJunit(report));
      continue;
    }
    const convert = format === 'gradescope' ? toGradescope : toExercism;
    const students = studentsOf(report);
    if (students.length <= 1) write(path.join(dir, FILE_NAME[format]), json(convert(report)));
    else
      for (const [student, folder] of folderNames(students))
        write(path.join(dir, folder, FILE_NAME[format]), json(convert(report, student)));
  }
  return written;
}

// ---- Gradescope ----

export type GradescopeVisibility = 'hidden' | 'after_due_date' | 'after_published' | 'visible';
export type GradescopeFormat = 'text' | 'html' | 'simple_format' | 'md' | 'ansi';

export interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  output_format: GradescopeFormat;
  tags: string[];
  visibility: GradescopeVisibility;
  extra_data: Record<string, unknown>;
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  output_format: GradescopeFormat;
  test_output_format: GradescopeFormat;
  test_name_format: GradescopeFormat;
  visibility: GradescopeVisibility;
  stdout_visibility: GradescopeVisibility;
  extra_data: Record<string, unknown>;
  tests: GradescopeTest[];
}

/**
 * Gradescope's results.json for one student (the only one in the report, or `student`). The top-level
 * score is the grader's 0-100 score (it overrides the tests' total, as the specification allows), so
 * the assignment should be worth 100 points; each test carries its own points. Everything is plain
 * text: program output may hold anything, and Gradescope renders html and md.
 */
export function toGradescope(report: Report, student?: string): GradescopeResults {
  const grades = gradesOf(report, student, 'gradescope');
  const several = grades.length > 1;
  const tests = grades.flatMap((grade) =>
    graded(grade).map(
      (test): GradescopeTest => ({
        name: several ? `${grade.lesson}: ${test.name}` : test.name,
        score: test.points,
        max_score: test.maxPoints,
        status: test.status === 'pass' ? 'passed' : 'failed',
        output: describeTest(test, grade),
        output_format: 'text',
        tags: [grade.lesson, test.suite, test.role],
        visibility: 'visible',
        extra_data: {
          lesson: grade.lesson,
          suite: test.suite,
          role: test.role,
          status: test.status,
          ...(test.kind ? { kind: test.kind } : {}),
        },
      }),
    ),
  );
  return {
    score: grades.length === 0 ? 0 : round2(grades.reduce((sum, g) => sum + g.score, 0) / grades.length),
    execution_time: Math.round(grades.reduce((sum, g) => sum + g.seconds, 0)),
    output: grades.length === 0 ? 'Nothing was graded: no submission was found.' : grades.map(summary).join('\n'),
    output_format: 'text',
    test_output_format: 'text',
    test_name_format: 'text',
    visibility: 'visible',
    // The autograder's stdout is the grader's progress, with the container's paths: for the instructor.
    stdout_visibility: 'hidden',
    extra_data: {
      student: grades[0]?.student ?? student ?? null,
      grades: grades.map((g) => ({ lesson: g.lesson, status: g.status, score: g.score, exerciseDone: g.exerciseDone })),
      partial: report.partial,
    },
    tests,
  };
}

// ---- Exercism ----

export interface ExercismTest {
  name: string;
  test_code: string;
  status: 'pass' | 'fail' | 'error';
  message?: string;
  output?: string;
  task_id?: number;
}

export interface ExercismResults {
  version: 3;
  status: 'pass' | 'fail' | 'error';
  message?: string;
  tests?: ExercismTest[];
}

/** The interface's limits: a test's output, and the top-level message. */
export const EXERCISM_OUTPUT_LIMIT = 500;
const EXERCISM_MESSAGE_LIMIT = 65_535;
const EXERCISM_TRUNCATED = '\nOutput was truncated. Please limit to 500 chars';
/** The lessons' exercise is the one task of each lesson (its README's "Exercise" section): task 1. */
const EXERCISE_TASK_ID = 1;

/**
 * Exercism's results.json (version 3) for one student. Tests keep the grader's order (the test
 * file's); a test that did not run is an error, but for one not run by design, which is left out
 * (graded()). The overall status is error only when no test ran correctly (every test errored, or
 * there was none), with the grader's reason as the message.
 */
export function toExercism(report: Report, student?: string): ExercismResults {
  const grades = gradesOf(report, student, 'exercism');
  const several = grades.length > 1;
  const tests = grades.flatMap((grade) =>
    graded(grade).map((test): ExercismTest => {
      const status = test.status === 'pass' ? 'pass' : test.status === 'fail' ? 'fail' : 'error';
      const output = test.output ? exercismOutput(test.output) : undefined;
      return {
        name: several ? `${grade.lesson}: ${test.name}` : test.name,
        test_code: testCode(test),
        status,
        ...(status === 'pass' ? {} : { message: failureText(test, grade) }),
        ...(output ? { output } : {}),
        ...(test.suite === 'exercise' ? { task_id: EXERCISE_TASK_ID } : {}),
      };
    }),
  );
  if (tests.length === 0 || tests.every((t) => t.status === 'error')) {
    const reasons = grades.map((g) => `${g.lesson}: ${g.reason ?? (g.tests.length === 0 ? 'no test ran' : 'every test errored')}`);
    const message = (reasons.length > 0 ? reasons.join('\n') : 'Nothing was graded: no submission was found.').slice(
      0,
      EXERCISM_MESSAGE_LIMIT,
    );
    return { version: 3, status: 'error', message, ...(tests.length > 0 ? { tests } : {}) };
  }
  return { version: 3, status: tests.every((t) => t.status === 'pass') ? 'pass' : 'fail', tests };
}

/** A test's output within the interface's 500 characters, with the notice it suggests when cut. */
function exercismOutput(output: string): string {
  if (output.length <= EXERCISM_OUTPUT_LIMIT) return output;
  return output.slice(0, EXERCISM_OUTPUT_LIMIT - EXERCISM_TRUNCATED.length) + EXERCISM_TRUNCATED;
}

// ---- JUnit ----

/**
 * JUnit XML: <testsuites> holding one <testsuite> per student and lesson, named "STUDENT/LESSON",
 * whose <testcase>s have the lesson id as classname. A failing test has <failure>, an erroring one
 * <error> and one that did not run <skipped>, each with a one-line message attribute and the whole
 * explanation as text. A grade that is not 'graded' (missing, did not start, ...) gets a first
 * errored case saying why, so that a CI job reading the file does not pass it silently.
 */
export function toJunit(report: Report): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suites = report.grades.map((grade) => {
    const cases = [...(grade.status === 'graded' ? [] : [statusCase(grade)]), ...grade.tests.map((test) => junitCase(test, grade))];
    return { grade, cases };
  });
  const count = (kind: JunitCase['kind']): number => suites.reduce((n, s) => n + s.cases.filter((c) => c.kind === kind).length, 0);
  const total = suites.reduce((n, s) => n + s.cases.length, 0);
  const seconds = report.grades.reduce((sum, g) => sum + g.seconds, 0);
  lines.push(
    `<testsuites name="socket-lessons" tests="${total}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${time(seconds)}">`,
  );
  suites.forEach(({ grade, cases }, index) => {
    const of = (kind: JunitCase['kind']): number => cases.filter((c) => c.kind === kind).length;
    lines.push(
      `  <testsuite name="${attr(`${grade.student}/${grade.lesson}`)}" id="${index}" package="${attr(grade.lesson)}" tests="${cases.length}" failures="${of('failure')}" errors="${of('error')}" skipped="${of('skipped')}" time="${time(grade.seconds)}" timestamp="${attr(report.gradedAt.replace(/\.\d+Z$|Z$/, ''))}" hostname="localhost">`,
      '    <properties>',
      ...Object.entries({
        student: grade.student,
        lesson: grade.lesson,
        folder: grade.folder,
        assignment: grade.assignment,
        status: grade.status,
        score: String(grade.score),
        points: `${grade.points}/${grade.maxPoints}`,
      }).map(([name, value]) => `      <property name="${attr(name)}" value="${attr(value)}"/>`),
      '    </properties>',
    );
    for (const c of cases) {
      const open = `    <testcase classname="${attr(grade.lesson)}" name="${attr(c.name)}" time="${time(c.seconds)}"`;
      if (c.kind === 'pass') lines.push(`${open}/>`);
      else
        lines.push(
          `${open}>`,
          `      <${c.kind} message="${attr(c.message)}"${c.type ? ` type="${attr(c.type)}"` : ''}>${text(c.body)}</${c.kind}>`,
          '    </testcase>',
        );
    }
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

interface JunitCase {
  name: string;
  kind: 'pass' | 'failure' | 'error' | 'skipped';
  message: string;
  type?: string;
  body: string;
  seconds: number;
}

function junitCase(test: ReportTest, grade: StudentGrade): JunitCase {
  const kind = ({ pass: 'pass', fail: 'failure', error: 'error', 'not-run': 'skipped' } as const)[test.status];
  const body = kind === 'pass' ? '' : failureText(test, grade);
  return {
    name: test.name,
    kind,
    message: body.split('\n')[0] ?? '',
    ...(test.kind ? { type: test.kind } : {}),
    body,
    seconds: test.seconds ?? 0,
  };
}

function statusCase(grade: StudentGrade): JunitCase {
  const message = `${grade.status}: ${grade.reason ?? 'not every test ran'}`;
  return {
    name: 'the submission was graded',
    kind: 'error',
    message: message.split('\n')[0]!,
    type: grade.status,
    body: message,
    seconds: 0,
  };
}

/** Seconds as the JUnit schemas' time: a decimal with at most three places. */
function time(seconds: number): string {
  return (Math.round(seconds * 1000) / 1000).toFixed(3);
}

/** Characters XML 1.0 cannot hold at all (control characters, lone surrogates), shown as U+FFFD. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text content: &, < and > escaped (so "]]>" cannot appear either). */
export function text(value: string): string {
  return value.replace(NOT_XML, '\uFFFD').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** An attribute value in double quotes; line breaks and tabs as character references, which parsers keep. */
export function attr(value: string): string {
  return text(value).replaceAll('"', '&quot;').replaceAll('\n', '&#10;').replaceAll('\r', '&#13;').replaceAll('\t', '&#9;');
}

// ---- shared ----

function studentsOf(report: Report): string[] {
  return [...new Set(report.grades.map((g) => g.student))];
}

/** The grades of one student: `student`, or the report's only one. */
function gradesOf(report: Report, student: string | undefined, format: Format): StudentGrade[] {
  if (student !== undefined) return report.grades.filter((g) => g.student === student);
  const students = studentsOf(report);
  if (students.length > 1)
    throw new Error(
      `${format}: results.json is for one student, and this report has ${students.length} (${students.slice(0, 3).join(', ')}, ...)`,
    );
  return report.grades;
}

/** A folder name for each student (names may be paths when two folders are alike), distinct. */
function folderNames(students: string[]): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const student of students) {
    const base = student.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^\.+/, '_') || '_';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    names.set(student, name);
  }
  return names;
}

/**
 * The tests a platform shows with a pass or a failure: all but those not run by design, which count
 * for nothing (a lesson test whose files are the lesson's own, or one that cannot hold under
 * faults): Gradescope and Exercism have no "skipped", and "failed" or "error" would be untrue.
 */
function graded(grade: StudentGrade): ReportTest[] {
  return grade.tests.filter((t) => !notRunByDesign(t));
}

/** One line per lesson: what the student scored and why, for the top of a platform's page. */
function summary(grade: StudentGrade): string {
  const shown = graded(grade);
  const passed = shown.filter((t) => t.status === 'pass').length;
  const notRun = grade.tests.length - shown.length;
  const parts = [
    `${grade.lesson}: score ${grade.score} of 100 (${passed} of ${shown.length} tests passed, ${grade.points} of ${grade.maxPoints} points${notRun > 0 ? `; ${notRun} not run, counted for nothing: same as the lesson, or not possible under faults` : ''})`,
  ];
  if (grade.status !== 'graded') parts.push(`${grade.status}${grade.reason ? `: ${grade.reason}` : ''}`);
  if (grade.exerciseDone !== null) parts.push(grade.exerciseDone ? 'the exercise is done' : 'the exercise is not done yet');
  if (grade.regressions.length > 0) parts.push(`regressions: ${grade.regressions.join('; ')}`);
  return parts.join('. ');
}

/** What a failing (or not run) test says: the message, then the command, its input and the programs' output. */
function failureText(test: ReportTest, grade: StudentGrade): string {
  const parts: string[] = [];
  if (test.status === 'not-run') parts.push(`not run${grade.reason ? `: ${grade.reason}` : ''}`);
  parts.push(test.message ?? (test.status === 'not-run' ? '' : `${test.status}${test.kind ? ` (${test.kind})` : ''}`));
  if (test.role === 'regression' && test.penalty) parts.push(`A regression check: failing it costs ${test.penalty} points.`);
  if (test.command) parts.push(`command: ${test.command}`);
  if (test.input) parts.push(`input: ${test.input}`);
  if (test.output) parts.push(`output:\n${test.output}`);
  return parts.filter(Boolean).join('\n') || test.status;
}

/** A Gradescope test's output: what it checks when it passed, everything about the failure otherwise. */
function describeTest(test: ReportTest, grade: StudentGrade): string {
  if (test.status === 'pass') return test.checks ?? '';
  return failureText(test, grade);
}

/** Exercism's test_code, "the body of the command that is being tested": what it checks and runs. */
function testCode(test: ReportTest): string {
  const parts = [test.checks ?? test.name];
  if (test.command) parts.push(`$ ${test.command}`);
  if (test.input) parts.push(`stdin: ${test.input}`);
  return parts.join('\n');
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
