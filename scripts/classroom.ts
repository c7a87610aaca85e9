// `npm run classroom -- LESSON --course OWNER/REPO[@REF] [--out FILE]`: writes the GitHub Classroom
// autograding workflow (.github/workflows/classroom.yml) for one lesson, for the template repository
// of a lesson's assignment. It checks out the course (this repository, the teacher's copy: its tests
// and grader, never the student's) and the student's programs beside it, and has one step per test
// of the lesson, run by GitHub's classroom-resources/autograding-command-grader with its points;
// classroom-resources/autograding-grading-reporter adds them up for GitHub Classroom
// (https://github.com/classroom-resources/autograding-command-grader,
// https://github.com/classroom-resources/autograding-grading-reporter). See README.md, "Grading on a
// platform".

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { exitQuietlyOnClosedStdout, parseCommandLine, usageError, wholeNumber } from './cli.ts';
import { findLesson, type Lesson, loadCourse, REPO_ROOT } from './manifest.ts';

const USAGE = `usage: npm run classroom -- LESSON [options]
Writes the GitHub Classroom autograding workflow for LESSON (its full name, number or slug) to stdout,
for .github/workflows/classroom.yml in the assignment's template repository.
options:
  --course OWNER/REPO[@REF]  the course repository the workflow grades with (default: this checkout's
                             GitHub remote 'origin'); @REF pins a branch, tag or commit
  --points N                 points for each test (default 1)
  --path DIR                 where the student's repository is checked out (default: submission)
  --out FILE                 write it to FILE instead of stdout
  --help`;

export interface LessonTest {
  name: string;
  suite: 'lesson' | 'exercise';
}

/** The lesson's tests, in the test file's order, listed by node:test without running any. */
export async function listTests(lesson: Lesson): Promise<LessonTest[]> {
  // What the harness reads to register both suites (tests/harness/target.ts); the listing runs the
  // file in a process of node:test's own, with this environment, skipping every test by name.
  const saved = { context: process.env.NODE_TEST_CONTEXT, suites: process.env.SOCKET_LESSONS_SUITES };
  delete process.env.NODE_TEST_CONTEXT; // inherited inside a test, it would make the listing talk node:test's internal protocol
  process.env.SOCKET_LESSONS_SUITES = 'lesson,exercise';
  const tests: LessonTest[] = [];
  const suites: string[] = [];
  try {
    const file = path.join(lesson.dir, `${lesson.id}.test.ts`);
    for await (const event of run({ files: [file], testNamePatterns: [/^(?!)/] })) {
      if (event.type === 'test:start') suites[event.data.nesting] = event.data.name;
      if (event.type === 'test:fail' && event.data.nesting === 0) throw new Error(`${file} could not be loaded`);
      if (event.type !== 'test:pass' || (event.data.details as { type?: string }).type === 'suite') continue;
      const suite = event.data.nesting > 0 ? (suites[event.data.nesting - 1] ?? '') : '';
      tests.push({ name: event.data.name, suite: suite.endsWith('exercise') ? 'exercise' : 'lesson' });
    }
  } finally {
    for (const [name, value] of [
      ['NODE_TEST_CONTEXT', saved.context],
      ['SOCKET_LESSONS_SUITES', saved.suites],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  }
  return tests;
}

export interface WorkflowOptions {
  /** OWNER/REPO of the course, and optionally the ref to check out. */
  course: string;
  ref?: string | undefined;
  points?: number;
  /** Where the student's repository is checked out, relative to the workspace (the course's checkout). */
  path?: string;
}

/** Minutes a step may take (the command grader's unit): one test with its bounded waits, and npm's start. */
const STEP_TIMEOUT_MINUTES = 5;

/** The workflow's YAML. Every string is written as a JSON string, which YAML reads the same way. */
export function classroomWorkflow(lesson: Lesson, tests: LessonTest[], options: WorkflowOptions): string {
  const q = (value: string): string => JSON.stringify(value);
  const points = options.points ?? 1;
  const submission = options.path ?? 'submission';
  const steps = tests.map((test, i) => ({ id: `test${i + 1}`, test }));
  const lines = [
    `# GitHub Classroom autograding for ${lesson.id} (${lesson.title}), written by`,
    `# \`npm run classroom -- ${lesson.id}\` of socket-lessons: the course's own tests, one step each, ${points} point${points === 1 ? '' : 's'} each.`,
    "# The student's repository holds the programs under the lesson's file names; see the course's README, \"Grading on a platform\".",
    'name: Autograding Tests',
    "'on':",
    '  - push',
    '  - workflow_dispatch',
    '  - repository_dispatch',
    'permissions:',
    '  checks: write',
    '  actions: read',
    '  contents: read',
    'jobs:',
    '  run-autograding-tests:',
    '    runs-on: ubuntu-latest',
    `    if: ${q("github.actor != 'github-classroom[bot]'")}`,
    '    steps:',
    '      - name: Check out the course (its tests and grader)',
    '        uses: actions/checkout@v4',
    '        with:',
    `          repository: ${q(options.course)}`,
    ...(options.ref ? [`          ref: ${q(options.ref)}`] : []),
    '          # A private course needs a token that can read it, as the secret SOCKET_LESSONS_TOKEN.',
    `          token: ${q(`\${{ secrets.SOCKET_LESSONS_TOKEN || github.token }}`)}`,
    "      - name: Check out the student's programs",
    '        uses: actions/checkout@v4',
    '        with:',
    `          path: ${q(submission)}`,
    '      - name: Set up Node.js 20',
    '        uses: actions/setup-node@v4',
    '        with:',
    `          node-version: ${q('20')}`,
    '          cache: npm',
    "      - name: Install the course's locked dependencies",
    '        run: npm ci --omit=dev --no-audit --no-fund',
    ...steps.flatMap(({ id, test }) => [
      `      - name: ${q(`${test.suite === 'exercise' ? 'exercise: ' : ''}${test.name}`)}`,
      `        id: ${id}`,
      '        uses: classroom-resources/autograding-command-grader@v1',
      '        with:',
      `          test-name: ${q(test.name)}`,
      `          command: ${q(gradeCommand(lesson.id, submission, test))}`,
      `          timeout: ${STEP_TIMEOUT_MINUTES}`,
      `          max-score: ${points}`,
    ]),
    '      - name: Autograding Reporter',
    '        uses: classroom-resources/autograding-grading-reporter@v1',
    '        env:',
    ...steps.map(({ id }) => `          ${id.toUpperCase()}_RESULTS: ${q(`\${{steps.${id}.outputs.result}}`)}`),
    '        with:',
    `          runners: ${steps.map((s) => s.id).join(',')}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * One test as a shell command (the command grader runs it with sh): exit 0 when it passes. The
 * assignment kind is the one under which that test carries the points (a lesson test scores in a
 * port, an exercise test in an exercise), so one test alone scores 100 or 0.
 */
export function gradeCommand(lesson: string, submission: string, test: { name: string; suite: 'lesson' | 'exercise' }): string {
  const assignment = test.suite === 'exercise' ? 'exercise' : 'port';
  return `npm run --silent grade -- ${lesson} ${shellQuote(submission)} --assignment ${assignment} --only ${shellQuote(test.name)} --min-score 100`;
}

function shellQuote(value: string): string {
  return /^[\w./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** OWNER/REPO of this checkout's GitHub remote 'origin', if it has one. */
function originRepository(): string | undefined {
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'origin'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return /github\.com[/:]([\w.-]+\/[\w.-]+?)(\.git)?\s*$/.exec(url)?.[1];
  } catch {
    return undefined;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(REPO_ROOT, 'scripts', 'classroom.ts')) {
  exitQuietlyOnClosedStdout();
  const { values, positionals } = parseCommandLine('classroom', {
    allowPositionals: true,
    options: {
      course: { type: 'string' },
      points: { type: 'string' },
      path: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (positionals.length !== 1) usageError('classroom', 'give one lesson (npm run classroom -- --help)');
  const course = loadCourse();
  const lesson =
    findLesson(course.lessons, positionals[0]!) ??
    usageError(
      'classroom',
      findLesson(course.broken, positionals[0]!)?.problem ??
        `unknown lesson '${positionals[0]}'; the lessons are: ${course.lessons.map((l) => l.id).join(', ')}`,
    );
  const [repository, ref] = (values.course ?? originRepository() ?? '').split('@') as [string, string | undefined];
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
    usageError('classroom', `--course must be the course's GitHub repository as OWNER/REPO[@REF], not '${values.course ?? ''}'`);
  const points = wholeNumber('classroom', '--points', values.points ?? '1', 1, 100)!;
  const submission = values.path ?? 'submission';
  if (path.isAbsolute(submission) || submission.split(/[/\\]/).includes('..') || !/^[\w./-]+$/.test(submission))
    usageError('classroom', `--path must be a folder inside the workspace (letters, digits, . _ - /), not '${submission}'`);
  const workflow = classroomWorkflow(lesson, await listTests(lesson), {
    course: repository,
    ref,
    points,
    path: submission,
  });
  if (values.out) {
    writeFileSync(values.out, workflow);
    console.error(`classroom: wrote ${values.out}`);
  } else process.stdout.write(workflow);
}
