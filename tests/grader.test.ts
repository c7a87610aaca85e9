// The grader tests itself: for every lesson, its reference solution scores full marks, the
// unmodified lesson fails every exercise test (the rustlings check: the exercise is real work),
// and each known-bad program kept in tests/fixtures/bad/LESSON/NAME/ is rejected by the tests its
// bad.json names. Then the grader's own promises: a Python program is graded through
// programs.json by the same tests, and a class of misbehaving programs (hanging, crashing,
// flooding, leaving a process, announcing a wrong port) is graded with a reason for each, in
// reports, with no process or temporary folder left behind.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  failures,
  gradeWith as grade,
  KNOWN_BAD_RULE,
  knownBadProblems,
  readKnownBad,
  solutionProblems,
  untouchedProblems,
} from '../scripts/contract.ts';
import { type Grade, killProcessesUnder, runningProcesses, STAGING_PARENT } from '../scripts/grader.ts';
import { loadLessons, REPO_ROOT, SOLUTIONS_DIR } from '../scripts/manifest.ts';
import { runCommand } from '../scripts/runtime/child.ts';

const FIXTURES = fileURLToPath(new URL('fixtures/', import.meta.url));
const EXERCISE_TEST = 'server --clients 3 serves three clients one after another, then exits';
const CONTAINMENT_TESTS = [
  'client and server exchange ASCII text in utf-8',
  'server reads the whole message when it arrives one byte per write',
  'server reports a port already in use in one line and exits 1',
];
const lessons = loadLessons();
const GRADE_COMMAND_LIMIT_MS = 300_000; // a class of a few folders; a hung grader fails the test instead of the whole run

for (const lesson of lessons) {
  // The slow rules of the lesson contract (scripts/contract.ts; npm run check -- NN runs them too).
  describe(`grader on ${lesson.id}`, { concurrency: 2 }, () => {
    it('the reference solution passes every lesson and exercise test', async () => {
      // Checks the solution laid over the lesson: every test passes and the score is 100.
      assert.deepEqual(await solutionProblems(lesson), []);
    });

    it('the unmodified lesson fails every exercise test', async () => {
      // Checks the rustlings rule: the exercise is real work.
      assert.deepEqual(await untouchedProblems(lesson), []);
    });

    it('has at least two known-bad programs, one of them a defect of the note it ports', () => {
      assert.deepEqual(KNOWN_BAD_RULE.check(lesson), []);
    });
    for (const fixture of readKnownBad(lesson).fixtures) {
      it(`rejects the known-bad program '${fixture.name}': ${fixture.defect}`, async () => {
        // Checks that each test bad.json names fails on it, with a message, and the score is not full.
        assert.deepEqual(await knownBadProblems(lesson, fixture), []);
      });
    }
  });
}

describe('grader', { concurrency: 2 }, () => {
  const tcpServer = lessons.find((l) => l.id === '04-tcp-server')!;

  it('grades a Python server named in programs.json by the same lesson tests', async () => {
    // Checks the "any language" manifest: every lesson test passes on a correct Python server run
    // as `python3 server.py` beside the lesson's own client, and the exercise (not done) fails.
    const result = await grade(tcpServer, tcpServer.dir, {}, path.join(FIXTURES, 'python', '04-tcp-server'));
    assert.deepEqual(
      failures({ ...result, tests: result.tests.filter((t) => t.suite === 'lesson') }),
      [],
      'lesson tests that fail on the Python server',
    );
    assert.ok(result.tests.filter((t) => t.suite === 'exercise').every((t) => t.status === 'fail'));
  });

  it('grades a class of misbehaving programs, explains each failure, writes reports and leaves nothing behind', async (t) => {
    // Checks containment end to end through `npm run grade`: a hanging, a crashing, a flooding, a
    // process-leaving and a wrong-port server are each failed with their reason; the class table
    // and both reports are written; --min-score makes the exit code 1; no process or staging
    // folder survives.
    const contained = path.join(FIXTURES, 'contained');
    const names = readdirSync(contained).filter((name) => existsSync(path.join(contained, name, 'server.ts')));
    const classDir = mkdtempSync(path.join(STAGING_PARENT, '.test-class-'));
    t.after(() => rmSync(classDir, { recursive: true, force: true }));
    for (const name of names) {
      cpSync(tcpServer.dir, path.join(classDir, name), { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
      cpSync(path.join(contained, name), path.join(classDir, name), { recursive: true });
    }
    const stagingBefore = readdirSync(STAGING_PARENT).filter((n) => n.startsWith('.grading-'));
    // Short waits and three of the lesson's tests keep this quick; the grader passes both through.
    const { code, stdout, stderr } = await gradeCommand(['04', classDir, '--report', classDir, '--min-score', '50'], {
      SOCKET_LESSONS_WAIT_MS: '6000',
      SOCKET_LESSONS_ONLY_TESTS: JSON.stringify(CONTAINMENT_TESTS),
    });
    assert.equal(code, 1, `below --min-score: exit 1\n${stdout}\n${stderr}`);
    for (const name of names)
      assert.match(stdout, new RegExp(`^${name}\\s+04-tcp-server\\s+\\d+/\\d+\\s+\\d+$`, 'm'), `table row for ${name}`);

    const report = JSON.parse(readFileSync(path.join(classDir, 'grade-report.json'), 'utf8')) as { grades: Grade[] };
    const messages = (student: string): string =>
      report.grades
        .find((g) => g.student === student)!
        .tests.map((test) => `${test.message ?? ''}\n${test.output ?? ''}`)
        .join('\n');
    const reasons: Record<string, RegExp> = {
      hang: /printed no ready line within 6 s — does it print `listening on HOST:PORT`/,
      crash: /ended \(exit code 1\) before printing the ready line[\s\S]*server crashed before listening/,
      flood: /printed far more than the lesson asks for and was stopped/,
      leave: /started a process and exited without stopping it/,
      'wrong-port': /Nothing accepted the connection on the port of the ready line/,
    };
    for (const [name, reason] of Object.entries(reasons)) assert.match(messages(name), reason, `the reason given for ${name}`);
    for (const grade of report.grades) assert.ok(grade.score < 100, `${grade.student} does not pass`);
    const csv = readFileSync(path.join(classDir, 'grade-report.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, names.length + 1, 'a header and one row per student');

    const leaked = runningProcesses()
      .filter((p) => p.command.includes('socket-lessons-leftover-marker'))
      .map((p) => p.command);
    const left = killProcessesUnder(classDir).concat(leaked);
    assert.deepEqual(left, [], 'processes left running');
    // Other tests in this file stage folders of their own meanwhile: only new ones count.
    const stagingAfter = readdirSync(STAGING_PARENT).filter((n) => n.startsWith('.grading-') && !stagingBefore.includes(n));
    assert.deepEqual(stagingAfter, [], 'staging folders left behind');
  });

  it("shows one more hint each time a student's work folder fails the same exercise test, and the solution only once it passes", async (t) => {
    // Checks the student's loop: grading work/04-tcp-server (here a temporary work folder) records
    // the failure, shows hint 1 then hints 1-2, never points at solutions/ before the exercise passes,
    // and does once it does.
    const work = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-work-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    cpSync(tcpServer.dir, path.join(work, tcpServer.id), { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
    const env = { SOCKET_LESSONS_WORK_DIR: work, SOCKET_LESSONS_ONLY_TESTS: JSON.stringify([EXERCISE_TEST]) };
    const hints = tcpServer.exercise.hints;
    const first = await gradeCommand(['04', path.join(work, tcpServer.id)], env);
    assert.ok(first.stdout.includes(`hint 1 of ${hints.length}: ${hints[0]}`), first.stdout);
    assert.ok(!first.stdout.includes(`hint 2 of`) && !first.stdout.includes('solutions/'), first.stdout);
    const second = await gradeCommand(['04', path.join(work, tcpServer.id)], env);
    assert.ok(second.stdout.includes(`hint 2 of ${hints.length}: ${hints[1]}`) && !second.stdout.includes('solutions/'), second.stdout);
    cpSync(path.join(SOLUTIONS_DIR, tcpServer.id, 'server.ts'), path.join(work, tcpServer.id, 'server.ts'));
    const done = await gradeCommand(['04', path.join(work, tcpServer.id)], env);
    assert.match(
      done.stdout,
      /The exercise passes\. Compare with the reference solution: diff -u \S+\/04-tcp-server\/server\.ts \S*solutions\/04-tcp-server\/server\.ts$/m,
    );
    assert.doesNotMatch(done.stdout, /hint \d of/);
  });

  it('rejects a wrong invocation with one line on stderr and exit 2', async () => {
    // Checks the command-line contract for an unknown lesson and a bad --min-score.
    for (const args of [
      ['99-nothing', '.'],
      ['04', '.', '--min-score', 'lots'],
    ]) {
      const { code, stderr } = await gradeCommand(args);
      assert.equal(code, 2);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.match(stderr, /^grade: /);
    }
  });
});

/** Runs `npm run grade` (the script itself) with extra environment and returns its output. */
async function gradeCommand(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await runCommand([process.execPath, '--import', 'tsx', 'scripts/grade.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    timeoutMs: GRADE_COMMAND_LIMIT_MS,
  });
  assert.equal(result.timedOut, false, `npm run grade ${args.join(' ')} did not finish within ${GRADE_COMMAND_LIMIT_MS / 1000} s`);
  return { code: result.code ?? 1, stdout: result.stdout, stderr: result.stderr };
}
