// The Gradescope autograder end to end: `npm run autograder` writes a zip that lists setup.sh and
// run_autograder (executable, at its root) and the course files grading needs, and nothing it must
// not hold (node_modules, work, solutions). Then run_autograder runs in a temporary folder laid out
// like /autograder (source/ from the zip, with this checkout's node_modules; submission/;
// results/) for a good submission, a crashing one, a hung one stopped by its time limit, and an
// empty one the grader refuses: each leaves a results.json that passes the Gradescope schema,
// 100 for the good one and 0 for the others with the reason, and nothing keeps running.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { killProcessesUnder } from '../scripts/grader.ts';
import { REPO_ROOT, SOLUTIONS_DIR } from '../scripts/manifest.ts';
import type { GradescopeResults } from '../scripts/report/formats.ts';
import { runCommand } from '../scripts/runtime/child.ts';
import { unzip, type ZipEntry } from '../scripts/zip.ts';

const LESSON = path.join(REPO_ROOT, 'lessons', '04-tcp-server');
const QUICK_TESTS = [
  'client and server exchange ASCII text in utf-8',
  'server --clients 3 serves three clients one after another, then exits',
];
const COMMAND_LIMIT_MS = 240_000;
const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'scripts', 'report', 'schemas', 'gradescope-results.schema.json'), 'utf8')) as object,
);

describe('npm run autograder', () => {
  let tmp: string;
  let entries: ZipEntry[];
  let zipFile: string;
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-autograder-'));
    zipFile = path.join(tmp, 'autograder.zip');
    const built = await runCommand([process.execPath, '--import', 'tsx', 'scripts/autograder.ts', '04', '--out', zipFile], {
      cwd: REPO_ROOT,
      timeoutMs: COMMAND_LIMIT_MS,
    });
    assert.equal(built.code, 0, built.stderr);
    entries = unzip(readFileSync(zipFile));
  });
  after(() => {
    killProcessesUnder(tmp);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('builds a zip with setup.sh, run_autograder and the course files, and nothing else', () => {
    const names = entries.map((e) => e.name);
    assert.deepEqual(names.slice(0, 2), ['setup.sh', 'run_autograder']);
    for (const name of names.slice(0, 2)) assert.equal(entries.find((e) => e.name === name)!.mode, 0o755, `${name} is executable`);
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'lessons/04-tcp-server/04-tcp-server.test.ts',
      'lessons/04-tcp-server/server.ts',
      'lessons/lesson.schema.json',
      'scripts/grade.ts',
      'scripts/grader.ts',
      'tests/harness.ts',
      'tests/harness/programs.ts',
    ])
      assert.ok(names.includes(needed), needed);
    const wrong = names.filter((n) => /(^|\/)(node_modules|work|dist|\.git)\/|^solutions\/|^tests\/(?!harness)/.test(n));
    assert.deepEqual(wrong, []);
    const run = entries.find((e) => e.name === 'run_autograder')!.data.toString('utf8');
    assert.match(run, /^LESSON="04-tcp-server"$/m);
    assert.match(run, /--format gradescope --report "\$RESULTS"/);
    assert.match(entries.find((e) => e.name === 'setup.sh')!.data.toString('utf8'), /deb\.nodesource\.com\/setup_20\.x[\s\S]*npm ci/);
    // An independent reader agrees, where one is installed.
    const check = spawnSync('unzip', ['-tq', zipFile], { encoding: 'utf8' });
    if (!check.error) assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  it('rejects an unknown lesson with one line and exit 2', async () => {
    const result = await runCommand([process.execPath, '--import', 'tsx', 'scripts/autograder.ts', '99-nothing'], {
      cwd: REPO_ROOT,
      timeoutMs: COMMAND_LIMIT_MS,
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^autograder: unknown lesson '99-nothing'[^\n]*\n$/);
  });

  describe('run_autograder in a folder laid out like /autograder', { concurrency: 1 }, () => {
    let source: string;
    before(() => {
      source = path.join(tmp, 'source');
      for (const entry of entries) {
        const file = path.join(source, entry.name);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, entry.data);
        chmodSync(file, entry.mode ?? 0o644);
      }
      // setup.sh's npm ci, done here by pointing at this checkout's dependencies.
      symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(source, 'node_modules'));
    });

    /** A fresh /autograder-like root sharing the extracted source, with `fill` putting the submission in place. */
    async function runAutograder(
      name: string,
      fill: (submission: string) => void,
      env: Record<string, string>,
    ): Promise<{ results: GradescopeResults; stdout: string }> {
      const root = path.join(tmp, name);
      mkdirSync(path.join(root, 'submission'), { recursive: true });
      symlinkSync(source, path.join(root, 'source'));
      fill(path.join(root, 'submission'));
      const result = await runCommand([path.join(root, 'source', 'run_autograder')], {
        cwd: root,
        env: { ...process.env, AUTOGRADER_ROOT: root, ...env },
        timeoutMs: COMMAND_LIMIT_MS,
      });
      assert.equal(result.timedOut, false, `run_autograder did not finish within ${COMMAND_LIMIT_MS / 1000} s`);
      assert.equal(result.code, 0, `run_autograder exits 0 whatever happened\n${result.stdout}\n${result.stderr}`);
      const results = JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8')) as GradescopeResults;
      assert.ok(validate(results), `${name}: ${JSON.stringify(validate.errors)}`);
      assert.deepEqual(killProcessesUnder(tmp), [], 'nothing keeps running');
      return { results, stdout: result.stdout };
    }

    const lessonPrograms = (submission: string): void =>
      cpSync(LESSON, submission, { recursive: true, filter: (file) => !/\.(test\.ts|md|json)$/.test(file) });
    const quick = { SOCKET_LESSONS_ONLY_TESTS: JSON.stringify(QUICK_TESTS), SOCKET_LESSONS_WAIT_MS: '6000' };

    it('scores a good submission 100', async (t) => {
      t.after(() => killProcessesUnder(tmp));
      const { results } = await runAutograder(
        'good',
        (submission) => {
          lessonPrograms(submission);
          cpSync(path.join(SOLUTIONS_DIR, '04-tcp-server', 'server.ts'), path.join(submission, 'server.ts'));
        },
        quick,
      );
      assert.equal(results.score, 100);
      assert.deepEqual(
        results.tests.map((test) => [test.name, test.status]),
        QUICK_TESTS.map((name) => [name, 'passed']),
      );
    });

    it('scores a server that crashes at start 0, with what it printed', async (t) => {
      t.after(() => killProcessesUnder(tmp));
      const { results } = await runAutograder(
        'crash',
        (submission) => {
          lessonPrograms(submission);
          cpSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'contained', 'crash', 'server.ts'), path.join(submission, 'server.ts'));
        },
        quick,
      );
      assert.equal(results.score, 0);
      assert.ok(results.tests.length > 0 && results.tests.every((test) => test.status === 'failed'));
      assert.match(results.tests[0]!.output, /server crashed before listening/);
    });

    it('writes results.json with score 0 and the reason when grading runs out of time', async (t) => {
      t.after(() => killProcessesUnder(tmp));
      const { results } = await runAutograder(
        'hang',
        (submission) => {
          lessonPrograms(submission);
          cpSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'contained', 'hang', 'server.ts'), path.join(submission, 'server.ts'));
        },
        // The server never prints its ready line; the wait for it outlasts run_autograder's limit.
        { ...quick, SOCKET_LESSONS_WAIT_MS: '60000', AUTOGRADER_TIMEOUT: '8' },
      );
      assert.equal(results.score, 0);
      // The grader writes what it graded when timeout's SIGTERM reaches it; run_autograder's own
      // words stand in when it could not.
      assert.match(results.output, /the grading was stopped \(SIGTERM\)|stopped grading after 8 s \(a time-out\)/);
    });

    it("scores an empty submission 0, saying that the lesson's programs are missing", async (t) => {
      t.after(() => killProcessesUnder(tmp));
      const { results } = await runAutograder('empty', () => {}, quick);
      assert.equal(results.score, 0);
      assert.match(
        results.output,
        /missing: no 04-tcp-server\/ folder, programs\.json or program of the lesson \(server\.ts, client\.ts\)/,
      );
    });

    it('writes results.json with score 0 and the reason when the grader fails', async (t) => {
      t.after(() => killProcessesUnder(tmp));
      // A course whose lessons cannot be found makes the grader stop with a usage error before it writes anything.
      const noLessons = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-no-lessons-'));
      t.after(() => rmSync(noLessons, { recursive: true, force: true }));
      const { results, stdout } = await runAutograder('grader-fails', lessonPrograms, { ...quick, SOCKET_LESSONS_LESSONS_DIR: noLessons });
      assert.equal(results.score, 0);
      assert.match(results.output, /the grader exited with code 2 before writing its results[\s\S]*unknown lesson '04-tcp-server'/);
      assert.match(stdout, /wrote .*results\.json with score 0/);
    });
  });
});
