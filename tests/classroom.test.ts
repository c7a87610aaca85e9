// `npm run classroom`: the GitHub Classroom workflow for a lesson parses as YAML and has the shape
// GitHub's classroom-resources actions expect: the course and the student's programs checked out,
// Node 20, one autograding-command-grader step per test of the lesson (its name, a command, a timeout
// in minutes, its points) and the grading reporter reading every step's result by its id. Each
// step's command, run by a shell as the grader action does, passes the test's exact name to
// `npm run grade -- --only`, and exits 0 when that test passes and 1 when it fails.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { listTests } from '../scripts/classroom.ts';
import { STAGING_PARENT } from '../scripts/grader.ts';
import { findLesson, loadLessons, REPO_ROOT, SOLUTIONS_DIR } from '../scripts/manifest.ts';
import { runCommand } from '../scripts/runtime/child.ts';
import { parseYaml, type Yaml } from './yaml.ts';

type YamlMap = { [key: string]: Yaml };
const lesson = findLesson(loadLessons(), '04')!;
const COMMAND_LIMIT_MS = 240_000;

async function classroom(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCommand([process.execPath, '--import', 'tsx', 'scripts/classroom.ts', ...args], {
    cwd: REPO_ROOT,
    timeoutMs: COMMAND_LIMIT_MS,
  });
}

describe('npm run classroom', () => {
  let workflow: YamlMap;
  let steps: YamlMap[];
  let tests: Awaited<ReturnType<typeof listTests>>;
  let work: string;
  before(async () => {
    mkdirSync(STAGING_PARENT, { recursive: true });
    work = mkdtempSync(path.join(STAGING_PARENT, '.test-classroom-'));
    const submission = path.relative(REPO_ROOT, path.join(work, 'submission'));
    const result = await classroom(['04', '--course', 'a-teacher/socket-lessons@fall-2026', '--points', '3', '--path', submission]);
    assert.equal(result.code, 0, result.stderr);
    workflow = parseYaml(result.stdout) as YamlMap;
    const job = (workflow.jobs as YamlMap)['run-autograding-tests'] as YamlMap;
    steps = job.steps as YamlMap[];
    tests = await listTests(lesson);
  });

  it('lists every test of the lesson and its exercise, in the file order', () => {
    assert.ok(tests.length >= 10, `${tests.length} tests`);
    assert.equal(new Set(tests.map((t) => t.name)).size, tests.length, 'test names are unique');
    assert.ok(tests.some((t) => t.suite === 'exercise') && tests[0]!.suite === 'lesson');
    assert.equal(tests[0]!.name, 'client and server exchange ASCII text in utf-8');
  });

  it('writes a workflow of the shape the classroom-resources actions expect', () => {
    assert.equal(workflow.name, 'Autograding Tests');
    assert.deepEqual(workflow.on, ['push', 'workflow_dispatch', 'repository_dispatch']);
    assert.deepEqual(workflow.permissions, { checks: 'write', actions: 'read', contents: 'read' });
    const job = (workflow.jobs as YamlMap)['run-autograding-tests'] as YamlMap;
    assert.equal(job['runs-on'], 'ubuntu-latest');
    assert.equal(job.if, "github.actor != 'github-classroom[bot]'");

    const [course, student, node, install] = steps as [YamlMap, YamlMap, YamlMap, YamlMap];
    assert.equal(course.uses, 'actions/checkout@v4');
    assert.deepEqual(
      { ...(course.with as YamlMap), token: undefined },
      { repository: 'a-teacher/socket-lessons', ref: 'fall-2026', token: undefined },
    );
    assert.equal(student.uses, 'actions/checkout@v4');
    assert.equal(node.uses, 'actions/setup-node@v4');
    assert.equal((node.with as YamlMap)['node-version'], '20');
    assert.equal(install.run, 'npm ci --omit=dev --no-audit --no-fund');

    const graders = steps.filter((s) => s.uses === 'classroom-resources/autograding-command-grader@v1');
    assert.deepEqual(
      graders.map((s) => (s.with as YamlMap)['test-name']),
      tests.map((t) => t.name),
    );
    const ids = graders.map((s) => s.id as string);
    assert.equal(new Set(ids).size, ids.length);
    // The reporter's own check of its input: comma-separated ids of letters and digits.
    for (const id of ids) assert.match(id, /^[a-zA-Z0-9]+$/);
    for (const step of graders) {
      const inputs = step.with as YamlMap;
      assert.deepEqual(Object.keys(inputs).sort(), ['command', 'max-score', 'test-name', 'timeout']);
      assert.equal(inputs['max-score'], 3);
      assert.ok(typeof inputs.timeout === 'number' && inputs.timeout >= 1 && inputs.timeout <= 360, 'minutes, at most 6 hours');
    }
    const reporter = steps.at(-1)!;
    assert.equal(reporter.uses, 'classroom-resources/autograding-grading-reporter@v1');
    assert.equal((reporter.with as YamlMap).runners, ids.join(','));
    assert.deepEqual(
      reporter.env,
      Object.fromEntries(ids.map((id) => [`${id.toUpperCase()}_RESULTS`, `\${{steps.${id}.outputs.result}}`])),
    );
    assert.equal(steps.length, 4 + graders.length + 1, 'no other steps');
  });

  it("passes each test's exact name through the shell to npm run grade --only", () => {
    for (const step of steps.filter((s) => s.id !== undefined)) {
      const command = (step.with as YamlMap).command as string;
      assert.match(command, /^npm run --silent grade -- 04-tcp-server \S+ --assignment (port|exercise) --only .+ --min-score 100$/);
      // The shell's own reading of the command's words (the grader action runs it with a shell).
      const words = spawnSync('sh', ['-c', `printf '%s\\0' ${command.replace(/^npm run --silent grade -- /, '')}`], { encoding: 'utf8' });
      const args = words.stdout.split('\0').slice(0, -1);
      assert.equal(args[args.indexOf('--only') + 1], (step.with as YamlMap)['test-name'], command);
    }
  });

  it('has commands that exit 0 when their test passes and 1 when it fails', async (t) => {
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const submission = path.join(work, 'submission');
    cpSync(lesson.dir, submission, { recursive: true, filter: (file) => !/\.(test\.ts|md|json)$/.test(file) });
    // The unmodified lesson: its own tests pass, the exercise's fail.
    const commandOf = (name: string): string =>
      (steps.find((s) => (s.with as YamlMap | undefined)?.['test-name'] === name)!.with as YamlMap).command as string;
    const lessonTest = tests.find((t) => t.suite === 'lesson')!.name;
    const exerciseTest = tests.find((t) => t.suite === 'exercise')!.name;
    for (const [name, expected] of [
      [lessonTest, 0],
      [exerciseTest, 1],
    ] as const) {
      const result = await runCommand(['sh', '-c', commandOf(name)], { cwd: REPO_ROOT, timeoutMs: COMMAND_LIMIT_MS });
      assert.equal(result.code, expected, `${name}\n${result.stdout}\n${result.stderr}`);
    }
    cpSync(path.join(SOLUTIONS_DIR, lesson.id, 'server.ts'), path.join(submission, 'server.ts'));
    const solved = await runCommand(['sh', '-c', commandOf(exerciseTest)], { cwd: REPO_ROOT, timeoutMs: COMMAND_LIMIT_MS });
    assert.equal(solved.code, 0, solved.stdout + solved.stderr);
  });

  it('rejects a wrong invocation with one line and exit 2', async () => {
    for (const args of [
      ['99-nothing', '--course', 'a/b'],
      ['04', '--course', 'not a repository'],
      ['04', '--course', 'a/b', '--path', '../x'],
    ]) {
      const result = await classroom(args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /^classroom: [^\n]+\n$/);
    }
  });
});

describe('the YAML reader of these tests', () => {
  it('rejects what it does not read exactly', () => {
    // The checks above rely on it: it must not read a malformed workflow loosely.
    assert.deepEqual(parseYaml("a:\n  - x\n  - y: 'it''s'\n    z: \"q\\\"\"\nb: 3\n"), { a: ['x', { y: "it's", z: 'q"' }], b: 3 });
    for (const bad of ['a:\n\tb: 1', 'a: [1, 2]', 'a: 1\na: 2', 'a:\n  b: 1\n    c: 2', 'a: "open', 'a:'])
      assert.throws(() => parseYaml(bad), Error, JSON.stringify(bad));
  });
});
