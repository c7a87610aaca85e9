// The grader tests itself: for every lesson, its reference solution scores full marks, the
// unmodified lesson fails every exercise test (the rustlings check: the exercise is real work),
// and each known-bad program kept in tests/fixtures/bad/LESSON/NAME/ is rejected by the tests its
// bad.json names. Then the grader's own promises: a Python program is graded through
// programs.json by the same tests, and a class of misbehaving programs (hanging, crashing,
// flooding, leaving a process, announcing a wrong port) is graded with a reason for each, in
// reports, with no process or temporary folder left behind.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { killProcessesUnder, runningProcesses, STAGING_PARENT, scoreTests } from '../scripts/grader.ts';
import { copySolved, loadLessons, REPO_ROOT, SOLUTIONS_DIR } from '../scripts/manifest.ts';
import type { Report, ReportTest } from '../scripts/report/model.ts';
import { Child, runCommand } from '../scripts/runtime/child.ts';

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

  for (const id of ['04-tcp-server', '01-udp-send']) {
    it(`grades a Python port of ${id} (every program in programs.json) at 100 as a port`, async () => {
      // Checks "any language, for real": the Python fixture alone, with no lesson file beside it,
      // passes every lesson test as \`npm run grade -- ${id} tests/fixtures/python/${id} --assignment port\`,
      // and every role is the student's own command.
      const lesson = lessons.find((l) => l.id === id)!;
      const result = await grade(lesson, path.join(FIXTURES, 'python', id), { assignment: 'port' });
      assert.deepEqual(failures(result), [], 'tests that fail on the Python programs');
      assert.equal(result.score, 100);
      assert.equal(result.exerciseDone, null, 'a port has no exercise');
      assert.ok(
        result.tests.every((t) => t.suite !== 'exercise'),
        'a port runs no exercise test',
      );
      assert.deepEqual(
        result.roles.map((r) => [r.role, r.from, r.program.startsWith('python3 ')]),
        lesson.programs.map((p) => [p.role, 'student', true]),
      );
    });
  }

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
      assert.match(
        stdout,
        new RegExp(`^${name}\\s+04-tcp-server\\s+exercise\\s+graded\\s+\\d+\\s+no\\s+\\d+\\s+[\\d.]+$`, 'm'),
        `table row for ${name}`,
      );

    const report = JSON.parse(readFileSync(path.join(classDir, 'grade-report.json'), 'utf8')) as Report;
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
      silent: /the server \(server\.ts\) did not print a line "received N bytes from HOST:PORT: MESSAGE" within 6 s/,
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
    // Other tests in this file (and their graders) stage folders of their own meanwhile: only a new
    // one whose grader has exited is left behind.
    const alive = (name: string): boolean => {
      try {
        return process.kill(Number(/^\.grading-(\d+)-/.exec(name)?.[1]), 0);
      } catch {
        return false;
      }
    };
    const stagingAfter = readdirSync(STAGING_PARENT).filter((n) => n.startsWith('.grading-') && !stagingBefore.includes(n) && !alive(n));
    assert.deepEqual(stagingAfter, [], 'staging folders left behind');
  });

  it('grades a class of six as a new teacher would: 100 for the solution, 0 for the untouched lesson and for broken servers, missing for no folder', async (t) => {
    // Checks the class on lesson 04, graded as an exercise through `npm run grade`: the
    // reference solution scores 100 with the exercise done; the untouched lesson, a hung, a silent
    // and a non-compiling server score 0; a student folder without the lesson's programs is a
    // \`missing\` row; the syntax error is reported once (did-not-start, the compiler's line, no
    // stack); every failure names the student's own file and the command run; --report makes its folder.
    const classDir = mkdtempSync(path.join(STAGING_PARENT, '.test-six-'));
    t.after(() => rmSync(classDir, { recursive: true, force: true }));
    const lessonCopy = (name: string): string => {
      const dir = path.join(classDir, name);
      cpSync(tcpServer.dir, dir, { recursive: true, filter: (source) => !source.endsWith('.test.ts') && !source.endsWith('.md') });
      return dir;
    };
    copySolved(tcpServer, path.join(classDir, 'solved'));
    lessonCopy('untouched');
    cpSync(path.join(FIXTURES, 'contained', 'hang', 'server.ts'), path.join(lessonCopy('hung'), 'server.ts'));
    cpSync(path.join(FIXTURES, 'contained', 'silent', 'server.ts'), path.join(lessonCopy('silent'), 'server.ts'));
    writeFileSync(path.join(lessonCopy('syntax'), 'server.ts'), "console.log('listening on 127.0.0.1:' + ;\n");
    mkdirSync(path.join(classDir, 'nobody'));
    writeFileSync(path.join(classDir, 'nobody', 'notes.txt'), 'I did not hand anything in\n');
    const reportDir = path.join(classDir, 'reports', 'today'); // does not exist yet
    // The exercise's tests and two lesson tests, with short waits, keep the hung and silent servers quick.
    const only = [EXERCISE_TEST, 'server --clients 0 keeps serving until it is stopped', ...CONTAINMENT_TESTS.slice(0, 2)];
    const { code, stdout, stderr } = await gradeCommand(['04', classDir, '--report', reportDir, '--min-score', '60'], {
      SOCKET_LESSONS_WAIT_MS: '5000',
      SOCKET_LESSONS_ONLY_TESTS: JSON.stringify(only),
    });
    assert.equal(code, 1, `the broken servers are below --min-score: exit 1\n${stdout}\n${stderr}`);
    const report = JSON.parse(readFileSync(path.join(reportDir, 'grade-report.json'), 'utf8')) as Report;
    assert.equal(report.partial, false);
    const byName = new Map(report.grades.map((g) => [g.student, g]));
    const expected: Record<string, [status: string, score: number, exerciseDone: boolean]> = {
      solved: ['graded', 100, true],
      untouched: ['graded', 0, false],
      hung: ['graded', 0, false],
      silent: ['graded', 0, false],
      syntax: ['did-not-start', 0, false],
      nobody: ['missing', 0, false],
    };
    for (const [student, [status, score, done]] of Object.entries(expected)) {
      const grade = byName.get(student);
      assert.ok(grade, `a row for ${student}\n${stdout}`);
      assert.deepEqual([grade.status, grade.score, grade.exerciseDone, grade.assignment], [status, score, done, 'exercise'], student);
      assert.match(
        stdout,
        new RegExp(`^${student}\\s+04-tcp-server\\s+exercise\\s+${status}\\s+${score}\\s+(yes|no)\\s`, 'm'),
        `table row for ${student}`,
      );
    }
    assert.match(byName.get('nobody')!.reason!, /no 04-tcp-server\/ folder/);
    const syntax = byName.get('syntax')!;
    assert.match(syntax.reason!, /^server\.ts did not start \(`server\.ts --help`\):\n[\s\S]*server\.ts:1:\d+: ERROR/);
    assert.doesNotMatch(syntax.reason!, /\n\s+at |\.grading-|node_modules/, 'no stack and no staging path');
    assert.ok(
      syntax.tests.every((test) => test.status === 'not-run' && !test.output),
      'reported once, not under every test',
    );
    for (const student of ['untouched', 'hung', 'silent']) {
      const failing = byName.get(student)!.tests.filter((test) => test.status === 'fail');
      assert.ok(failing.length > 0, student);
      for (const test of failing) {
        const text = `${test.message}\n${test.output ?? ''}\n${test.command ?? ''}`;
        assert.doesNotMatch(text, /\.grading-|lessons\/04-tcp-server/, `${student}: ${test.name} names the student's files`);
        if (test.kind) assert.match(test.command ?? '', /^(server|client)\.ts( |$)/, `${student}: ${test.name} shows the command line`);
      }
    }
    assert.ok(
      byName.get('hung')!.tests.some((test) => test.command === 'server.ts --port 0 --clients 3'),
      'the exercise command line is shown',
    );
    const csv = readFileSync(path.join(reportDir, 'grade-report.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'student,lesson,assignment,status,score,exercise done,regressions,seconds,failed tests,reason');
    assert.equal(csv.length, 7, 'a header and one row per student, the missing one included');
  });

  it('a Ctrl-C in the middle of a class still writes the report, marked partial, and exits 130', async (t) => {
    // Checks the report on interruption: graded rows are kept, the rest are 'partial' with the
    // reason, the report says partial: true, and no staging folder is left.
    const classDir = mkdtempSync(path.join(STAGING_PARENT, '.test-interrupt-'));
    t.after(() => rmSync(classDir, { recursive: true, force: true }));
    for (const name of ['a', 'b']) {
      cpSync(tcpServer.dir, path.join(classDir, name), { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
      cpSync(path.join(FIXTURES, 'contained', 'hang', 'server.ts'), path.join(classDir, name, 'server.ts'));
    }
    const grading = new Child([process.execPath, '--import', 'tsx', 'scripts/grade.ts', '04', classDir, '--report', classDir], {
      name: 'grade.ts',
      cwd: REPO_ROOT,
      env: { ...process.env, SOCKET_LESSONS_WAIT_MS: '60000' },
      stdin: 'ignore',
      waitMs: 60_000,
    });
    t.after(() => grading.stop());
    await grading.waitFor(/^grading 2 folders/m, 'stderr');
    // Stopped while a test run is going: the runs are processes of their own, found by the staging
    // folder (named after the grader's process id) in their environment. No event says one began.
    const staging = `.grading-${grading.pid}-`;
    const testRuns = (): number[] =>
      runningProcesses()
        .filter((p) => p.command.includes('results.ts') && environmentOf(p.pid).includes(staging))
        .map((p) => p.pid);
    for (let waited = 0; testRuns().length === 0 && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.notDeepEqual(testRuns(), [], 'a test run began');
    grading.signal('SIGINT');
    const exit = await grading.exit();
    assert.equal(exit.code, 130, grading.transcript());
    const report = JSON.parse(readFileSync(path.join(classDir, 'grade-report.json'), 'utf8')) as Report;
    assert.equal(report.partial, true);
    assert.deepEqual(
      report.grades.map((g) => [g.student, g.status]),
      [
        ['a', 'partial'],
        ['b', 'partial'],
      ],
    );
    assert.match(report.grades[0]!.reason!, /Ctrl-C/);
    // The test runs it had started (groups of their own) were stopped too, once the system has taken them down.
    for (let waited = 0; testRuns().length > 0 && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(testRuns(), [], 'test runs of the stopped grader still running');
  });

  it('rejects a rubric that gives points to a test that does not exist, naming the nearest test', async (t) => {
    // Checks the rubric's validation: one line, exit 2, the file, the key and the nearest name.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-rubric-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const rubric = path.join(dir, 'rubric.json');
    writeFileSync(rubric, JSON.stringify({ points: { 'server --clients 3 serves three clients one after another': 50 } }));
    const { code, stderr } = await gradeCommand(['04', tcpServer.dir, '--rubric', rubric]);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(
      stderr,
      /rubric\.json: \/points\/server --clients 3 serves .*: no test or group .*nearest is 'server --clients 3 serves three clients one after another, then exits'/,
    );
    writeFileSync(rubric, JSON.stringify({ regressionPenalty: 'lots' }));
    const wrongType = await gradeCommand(['04', tcpServer.dir, '--rubric', rubric]);
    assert.equal(wrongType.code, 2);
    assert.match(wrongType.stderr, /^grade: \S*rubric\.json: \/regressionPenalty: must be a number, not "lots"$/m);
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

  it("grades an exercise without re-running lesson tests that start only the lesson's own files, and runs them once a file changes", async (t) => {
    // Checks the "same as the lesson" rule: with the solution over lesson 04 (server.ts changed), a
    // test of client.ts alone is reported not run with the reason and charged nothing, a server.ts
    // test runs; --run-unchanged runs both; a client.ts differing by one comment runs its test too.
    const clientTest = 'client reports a server that closes without replying';
    const serverTest = 'server reports a port already in use in one line and exits 1';
    const only = [clientTest, serverTest];
    const outcome = (grade: { tests: ReportTest[] }, name: string): ReportTest => grade.tests.find((test) => test.name === name)!;
    const solution = path.join(SOLUTIONS_DIR, tcpServer.id);
    const [same, all] = await Promise.all([
      grade(tcpServer, tcpServer.dir, { only }, solution),
      grade(tcpServer, tcpServer.dir, { only, runUnchanged: true }, solution),
    ]);
    assert.equal(outcome(same, clientTest).status, 'not-run');
    assert.match(outcome(same, clientTest).message ?? '', /^not run, unchanged: client\.ts is the lesson's own, byte for byte/);
    assert.equal(outcome(same, clientTest).points, 0);
    assert.equal(outcome(same, serverTest).status, 'pass');
    assert.deepEqual(same.regressions, []);
    assert.deepEqual([outcome(all, clientTest).status, outcome(all, serverTest).status], ['pass', 'pass']);
    const edited = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-edited-'));
    t.after(() => rmSync(edited, { recursive: true, force: true }));
    cpSync(path.join(solution, 'server.ts'), path.join(edited, 'server.ts'));
    writeFileSync(path.join(edited, 'client.ts'), `${readFileSync(path.join(tcpServer.dir, 'client.ts'), 'utf8')}// edited\n`);
    const changed = await grade(tcpServer, tcpServer.dir, { only }, edited);
    assert.equal(outcome(changed, clientTest).status, 'pass');
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

describe('scoring', () => {
  const lesson = lessons.find((l) => l.id === '04-tcp-server')!;
  const test = (name: string, suite: 'lesson' | 'exercise', status: ReportTest['status']): ReportTest & { group: string } => ({
    name,
    suite,
    role: 'scored',
    status,
    points: 0,
    maxPoints: 0,
    group: `${lesson.id} ${suite}`,
  });

  it('scores an exercise from its exercise tests and charges each broken lesson test, never below 0', () => {
    // Checks the scoring model: equal shares of 100 among the exercise's tests, lesson tests as
    // regression checks costing the penalty, points from a rubric by name or group, a floor at 0.
    const tests = [
      test('e1', 'exercise', 'pass'),
      test('e2', 'exercise', 'pass'),
      test('e3', 'exercise', 'fail'),
      test('l1', 'lesson', 'pass'),
    ];
    assert.deepEqual(scoreTests(tests, lesson, 'exercise'), {
      score: 66,
      points: 66.67,
      maxPoints: 100,
      exerciseDone: false,
      regressions: [],
    });
    assert.deepEqual(
      tests.map((t) => [t.role, t.maxPoints]),
      [
        ['scored', 33.33],
        ['scored', 33.33],
        ['scored', 33.33],
        ['regression', 0],
      ],
    );
    const done = [test('e1', 'exercise', 'pass'), test('l1', 'lesson', 'fail'), test('l2', 'lesson', 'pass')];
    assert.deepEqual(scoreTests(done, lesson, 'exercise', { regressionPenalty: 20 }), {
      score: 80,
      points: 80,
      maxPoints: 100,
      exerciseDone: true,
      regressions: ['l1'],
    });
    const broken = [test('e1', 'exercise', 'fail'), test('l1', 'lesson', 'fail')];
    assert.equal(scoreTests(broken, lesson, 'exercise').score, 0, 'never below 0');
    const weighted = [test('e1', 'exercise', 'pass'), test('e2', 'exercise', 'fail'), test('e3', 'exercise', 'fail')];
    assert.equal(scoreTests(weighted, lesson, 'exercise', { points: { e1: 50 } }).score, 50, 'e1 50, the others 25 each');
    const grouped = [test('l1', 'lesson', 'pass'), test('l2', 'lesson', 'fail'), test('e1', 'exercise', 'fail')];
    const port = scoreTests(grouped, lesson, 'port', { points: { '04-tcp-server lesson': 10 } });
    assert.deepEqual([port.score, port.maxPoints, port.exerciseDone, port.regressions], [50, 10, null, []]);
  });
});

/** A process's environment as text ('' when it is gone or not ours to read). */
function environmentOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return '';
  }
}
