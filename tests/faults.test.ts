// Tests of the relay in the runner, the harness and the grader (issue 15): `npm run lesson -- --trace`
// and `--faults`, `npm test -- --faults`, `npm run grade -- --faults`, and a known-bad program that
// only a misbehaving network exposes. The relay itself is tested in tests/relay.test.ts.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gradeWith, knownBadProblems, readKnownBad } from '../scripts/contract.ts';
import { loadLessons, REPO_ROOT, solutionDir } from '../scripts/manifest.ts';
import { testResults } from '../scripts/results.ts';
import { expectOneLineError, startFile } from './harness.ts';

const RUNNER = path.join(REPO_ROOT, 'scripts', 'lesson.ts');
const lessons = loadLessons();
const tcpServer = lessons.find((l) => l.id === '04-tcp-server')!;
const ONE_READ_05 = path.join(REPO_ROOT, 'tests', 'fixtures', 'bad', '05-tcp-chat', 'one-read-per-message');
const DEMO_MS = 60_000; // the runner's own bound on a demo is 30 s
const GRADE_MS = 300_000;

describe('the wire in the runner', { concurrency: 2 }, () => {
  it('--demo --trace on 05 prints every read with its direction and byte count, the half-close, and exits 0', async (t) => {
    // Checks the trace among the programs' output: the client's first line goes up (36 bytes in
    // utf-8 with its "\n", in hex and as text), the server's reply comes down, each side's FIN is
    // shown, the connection closes last, and the run ends as a plain demo does.
    const runner = startFile(t, RUNNER, ['05-tcp-chat', '--demo', '--trace']);
    runner.endInput();
    const exit = await withLimit(runner.exited, DEMO_MS);
    assert.deepEqual(exit, { code: 0, signal: null }, runner.transcript());
    // NO_COLOR is set for programs the harness starts, so the lines are plain; each names who sends.
    const trace = runner.stdout.split('\n').filter((line) => line.startsWith('[wire server]'));
    const shown = trace.join('\n');
    assert.match(shown, /client → server\s+connect\s+127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/);
    assert.match(shown, /client → server\s+data\s+36 bytes\s+e4 bd a0 .*你好，服务器！Shall we chat\?\\n$/m);
    assert.match(shown, /server → client\s+data\s+39 bytes\s+.*你好！Yes: one line each, in turns\.\\n$/m);
    assert.match(shown, /server → client\s+FIN \(half-close 半关闭\)/);
    assert.match(shown, /client → server\s+FIN \(half-close 半关闭\)/);
    assert.match(trace.at(-1) ?? '', /close$/, 'the connection closes last');
    assert.match(runner.stdout, /^\[lesson\] done: every program finished$/m);
  });

  it('--faults slicer makes the one-read server of 05 fail visibly, while the lesson’s own server still finishes', async (t) => {
    // Checks the lesson's point on the wire: the same demo, with each write cut into pieces, breaks a
    // server that takes one read for one message (exit 1), and the lesson's line framing holds (exit 0).
    const bad = startFile(t, RUNNER, ['05-tcp-chat', '--demo', '--faults', 'slicer', '--seed', '1', '--programs', ONE_READ_05]);
    const good = startFile(t, RUNNER, ['05-tcp-chat', '--demo', '--faults', 'slicer', '--seed', '1']);
    bad.endInput();
    good.endInput();
    const [badExit, goodExit] = await Promise.all([withLimit(bad.exited, DEMO_MS), withLimit(good.exited, DEMO_MS)]);
    assert.deepEqual(goodExit, { code: 0, signal: null }, good.transcript());
    assert.equal(badExit.code, 1, bad.transcript());
    assert.match(bad.stderr + bad.stdout, /\[lesson\] (error|the )/);
  });

  it('a bad --faults spec is one line and exit 2, in the runner, npm test and the grader, before anything runs', async (t) => {
    // Checks the usage contract of each command that takes --faults.
    const runner = startFile(t, RUNNER, ['05-tcp-chat', '--demo', '--faults', 'no-such-toxic']);
    await expectOneLineError(runner, 2, /^lesson: faults: .*TCP toxics: .*UDP toxics: /);
    const tests = startFile(t, path.join(REPO_ROOT, 'tests', 'run.ts'), ['lessons/04-tcp-server', '--faults', 'slicer:no-such-key=1']);
    await expectOneLineError(tests, 2, /^test: faults: /);
    const grade = startFile(t, path.join(REPO_ROOT, 'scripts', 'grade.ts'), ['04', 'solutions/04-tcp-server', '--faults', 'latency:ms=x']);
    await expectOneLineError(grade, 2, /^grade: faults: /);
    const seed = startFile(t, RUNNER, ['05-tcp-chat', '--demo', '--faults', 'slicer', '--seed', 'soon']);
    await expectOneLineError(seed, 2, /--seed/);
  });
});

describe('the wire in the harness and the grader', { concurrency: 2 }, () => {
  it("lesson 04's own tests pass on its own programs under slicer, a skip naming why it cannot hold through a relay", async () => {
    // Checks that the harness routes every connection through the relay without breaking a correct
    // program: every test passes or is skipped with its reason, and each result says what the toxics did.
    const testFile = path.join(tcpServer.dir, `${tcpServer.id}.test.ts`);
    const results = await testResults(testFile, { SOCKET_LESSONS_FAULTS: 'slicer', SOCKET_LESSONS_SEED: '7' }, { timeoutMs: GRADE_MS });
    const failed = results.filter((r) => r.status !== 'pass' && r.status !== 'skip');
    assert.deepEqual(
      failed.map((r) => `${r.name}: ${r.message?.split('\n')[0]}`),
      [],
    );
    const skipped = results.filter((r) => r.status === 'skip');
    assert.deepEqual(
      skipped.map((r) => r.name),
      [
        "server receives a 200 000-byte message whole, where the note's recv(1024) kept 1024 bytes",
        'server drops a client whose message passes its 1 MiB limit, and keeps serving',
        'server survives clients that leave without sending, then serves a real one',
        'both programs work over IPv6 loopback (--host ::1)',
      ],
    );
    for (const skip of skipped) assert.match(skip.message!, /^skipped under faults: .*relay.*\(--faults slicer\)$/);
    // What the toxics did comes with each test's result (for the grader's failure reasons).
    const exchange = results.find((r) => r.name === 'client and server exchange ASCII text in utf-8');
    assert.match(exchange?.faults ?? '', /^slicer acted \d+ times?: slicer: 13 bytes in 13 writes/);
  });

  it('grading 04 under slicer fails the single-read exercise that passes on loopback, and the reference scores 100', async () => {
    // Checks "only a misbehaving network shows it": the fixture's exercise tests pass on a plain run
    // and fail under slicer (contract.ts checks both halves), each failure saying the run was under
    // faults; the reference solution scores 100 under the same faults.
    const fixture = readKnownBad(tcpServer).fixtures.find((f) => f.faults !== undefined)!;
    assert.equal(fixture.faults, 'slicer');
    const [problems, reference] = await Promise.all([
      knownBadProblems(tcpServer, fixture),
      gradeWith(tcpServer, tcpServer.dir, { faults: { spec: 'slicer', seed: 3 } }, solutionDir(tcpServer)),
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      reference.tests.filter((test) => test.status === 'fail' || test.status === 'error').map((test) => `${test.name}: ${test.message}`),
      [],
    );
    assert.equal(reference.score, 100);
    const faulty = await gradeWith(
      tcpServer,
      tcpServer.dir,
      { faults: { spec: 'slicer', seed: 3 }, only: fixture.rejectedBy },
      fixture.dir,
    );
    assert.equal(faulty.exerciseDone, false);
    for (const test of faulty.tests.filter((x) => x.status === 'fail'))
      assert.match(
        test.message!,
        /^Under --faults slicer --seed 3 \(the network misbehaved on purpose\): (the relay's toxics acted: slicer|no toxic)/,
      );
  });
});

/** `promise`, or a failure after `ms`. */
function withLimit<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`not done within ${ms / 1000} s`)), ms))),
  ]);
}
