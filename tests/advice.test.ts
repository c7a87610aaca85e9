// Tests of the grader's advice (scripts/grader.ts explain()): it is chosen by the kind of failure
// the harness reported, names the program by role, and carries the failing command line.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { explain } from '../scripts/grader.ts';
import { loadLessons } from '../scripts/manifest.ts';
import type { TestResult } from '../scripts/results.ts';
import type { Failure } from '../scripts/runtime/failure.ts';

const lesson = loadLessons().find((l) => l.id === '04-tcp-server')!;

function advised(failure: Failure | undefined, extra: Partial<TestResult> = {}): ReturnType<typeof explain> {
  return explain(
    {
      name: 'a test',
      suite: '04-tcp-server lesson',
      status: 'fail',
      message: 'what the harness said\n--- server.ts stdout ---\nout\n---',
      ...(failure ? { failure } : {}),
      ...extra,
    },
    lesson,
  );
}

it('gives each kind of harness failure its advice, and a plain assertion none', () => {
  // Checks the texts a student reads for the failures the grader's containment test provokes, and
  // that the first line of the message follows the advice.
  const server = { program: 'server.ts', command: ['server.ts', '--port', '0'] };
  const cases: [Failure, RegExp][] = [
    [
      { kind: 'no-ready-line', ...server, waitedMs: 6000 },
      /^the server \(server\.ts\) printed no ready line within 6 s — does it print `listening on HOST:PORT`/,
    ],
    [
      { kind: 'exited-early', ...server, what: 'the ready line', actual: 'exit code 1' },
      /^the server \(server\.ts\) ended \(exit code 1\) before printing the ready line — its stderr/,
    ],
    [{ kind: 'flooded', ...server }, /^It printed far more than the lesson asks for and was stopped/],
    [{ kind: 'left-process', ...server }, /^It started a process and exited without stopping it/],
    [{ kind: 'refused', what: 'a connection to 127.0.0.1:7788' }, /^Nothing accepted the connection on the port of the ready line/],
    [
      { kind: 'wrong-exit-code', ...server, expected: '2', actual: 'exit code 0' },
      /^the server \(server\.ts\) should exit with code 2 but exit code 0/,
    ],
    [
      { kind: 'timed-out', what: 'a connection to the harness server', waitedMs: 10_000 },
      /^Nothing happened within 10 s while the test waited for a connection to the harness server\./,
    ],
  ];
  for (const [failure, advice] of cases) {
    const graded = advised(failure);
    assert.match(graded.message!, advice, failure.kind);
    assert.match(graded.message!, /\nwhat the harness said$/);
  }
  assert.equal(advised({ kind: 'did-not-start', ...server }).command, 'server.ts --port 0');
  assert.equal(advised(undefined).message, 'what the harness said');
  assert.equal(advised(undefined).command, undefined);
  assert.match(advised(undefined, { status: 'error', timeLimitMs: 180_000 }).message!, /^The tests were stopped at the time limit/);
});
