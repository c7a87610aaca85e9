// Tests of how `npm run lesson` (scripts/lesson.ts) ends, in every lesson: typing nothing (Ctrl-D
// at once, or an empty line), and Ctrl-C, both in interactive mode (forced here, where stdin is a
// pipe, by SOCKET_LESSONS_INTERACTIVE=1); a server left waiting for a client that has gone; and
// the signals of one-program mode, which must reach the program exactly once.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadLessons, REPO_ROOT } from '../scripts/manifest.ts';
import { type Child, connectTcp, startFile } from './harness.ts';

const RUNNER = path.join(REPO_ROOT, 'scripts', 'lesson.ts');
/** How long a whole run of a lesson may take: the runner's own limit for a demo (DEMO_TIMEOUT_MS in scripts/lesson.ts). */
const WHOLE_RUN_MS = 30_000;
const PROMPT = /^\[lesson\] .*\(Ctrl-D ends the input, Ctrl-C stops everything\)$/m;
const lessons = loadLessons();
process.env.SOCKET_LESSONS_INTERACTIVE = '1'; // what a terminal on stdin would choose

/** The runner's own lines, in order. */
function runnerLines(runner: Child): string[] {
  return `${runner.stdout}${runner.stderr}`.split('\n').filter((line) => line.startsWith('[lesson] '));
}

/** The one line that ended the run: the runner's last, after the prompt, and only one after it. */
function closingLine(runner: Child): string {
  const lines = runnerLines(runner).filter((line) => !PROMPT.test(line));
  assert.equal(lines.length, 1, `one closing line from the runner, not:\n${runner.transcript()}`);
  return lines[0]!;
}

describe('npm run lesson, interactive, for every lesson', { concurrency: 4 }, () => {
  for (const lesson of lessons) {
    if (!lesson.programs.some((program) => program.interactive)) {
      it(`${lesson.id}: with nothing to type, runs to its end with exit 0 and one line, and asks for nothing`, async (t) => {
        // Checks a lesson whose programs read no input (00's): interactive mode shows no prompt
        // and does not wait for the keyboard; the run ends by itself with its one closing line.
        // Its exit ends a whole run of three programs, not one event: it gets the runner's own demo limit.
        const runner = startFile(t, RUNNER, [lesson.id], false, WHOLE_RUN_MS);
        assert.deepEqual(await runner.exit(), { code: 0, signal: null }, runner.transcript());
        assert.doesNotMatch(runner.stdout, PROMPT);
        assert.equal(closingLine(runner), '[lesson] done: every program finished');
      });
      continue;
    }
    for (const [label, input] of [
      ['Ctrl-D at once', ''],
      ['an empty line, then Ctrl-D', '\n'],
    ] as const) {
      it(`${lesson.id}: ${label} ends the run calmly with exit 0 and one line`, async (t) => {
        // Checks that typing nothing never hangs and is not an error, in any lesson: the run ends
        // by itself (within the runtime's wait), exit 0, with one closing line that says what happened.
        const runner = startFile(t, RUNNER, [lesson.id]);
        await runner.waitFor(PROMPT);
        if (input) runner.writeLine('');
        runner.endInput();
        assert.deepEqual(await runner.exit(), { code: 0, signal: null }, runner.transcript());
        assert.match(closingLine(runner), /^\[lesson\] (done: every program finished|nothing was typed: .*)$/);
      });
    }

    it(`${lesson.id}: Ctrl-C stops every program once, ends with one line and exit 130`, async (t) => {
      // Checks Ctrl-C as a terminal sends it, to the whole process group: every program ends (by
      // the SIGINT it got, no second signal from the runner), then one line, exit 130.
      const runner = startFile(t, RUNNER, [lesson.id]);
      await runner.waitFor(PROMPT);
      runner.kill('SIGINT'); // the runner's whole process group, as the terminal does
      assert.deepEqual(await runner.exit(), { code: 130, signal: null }, runner.transcript());
      assert.equal(closingLine(runner), '[lesson] Ctrl-C: every program has stopped');
      assert.doesNotMatch(runner.stdout, /SIGTERM/, 'no program was sent a second signal');
    });
  }
});

describe('npm run lesson, ends and signals', { concurrency: 4 }, () => {
  it('04: an empty line while the terminal stays open gives the prompt back: the waiting server is stopped, exit 0', async (t) => {
    // Checks issue 13's hang: the client refuses an empty message and exits, the server still waits
    // for a client; the runner stops it and ends with one line, though stdin is still open.
    const runner = startFile(t, RUNNER, ['04']);
    await runner.waitFor(PROMPT);
    runner.writeLine('');
    assert.deepEqual(await runner.exit(), { code: 0, signal: null }, runner.transcript());
    assert.match(
      closingLine(runner),
      /^\[lesson\] nothing was typed: the client ended \(exit code 1\) before the server was done; stopped the server \(type a line/,
    );
  });

  it('04: a client that fails on what was typed leaves the server waiting: stopped, one line, exit 1', async (t) => {
    // Checks the failing side of the same rule: gbk cannot encode the emoji, the client exits 1,
    // and the run ends with exit 1 and one line naming both programs.
    const runner = startFile(t, RUNNER, ['04']);
    await runner.waitFor(PROMPT);
    runner.writeLine('🙂');
    assert.deepEqual(await runner.exit(), { code: 1, signal: null }, runner.transcript());
    assert.equal(closingLine(runner), '[lesson] the client ended (exit code 1) before the server was done; stopped the server');
  });

  it("07 tcp-server alone: Ctrl-C reaches it once, though npm passes it on again; its shutdown is complete, its exit code 0 the runner's", async (t) => {
    // Checks one-program mode under a terminal's Ctrl-C: SIGINT to the whole process group (the
    // runner and the program), then, as npm does, a second SIGINT to the runner alone while the
    // server is still closing a connection. The runner must pass neither on: the server shuts
    // down by itself, prints both of its lines, and its exit code is the runner's.
    const runner = startFile(t, RUNNER, ['07-echo-server', 'tcp-server', '--port', '0']);
    const socket = await connectTcp(t, await runner.ready());
    await runner.waitFor(/^connection from /m);
    runner.kill('SIGINT'); // the terminal: the whole process group
    await runner.waitFor(/^SIGINT: not accepting new connections; closing 1 open connection\(s\)$/m);
    runner.signal('SIGINT'); // npm's copy, to the runner alone; the server waits for our socket meanwhile
    socket.end(); // the client says goodbye: the server can finish
    assert.deepEqual(await runner.exit(), { code: 0, signal: null }, runner.transcript());
    assert.match(runner.stdout, /^stopped$/m, runner.transcript());
    assert.equal(runner.stdout.match(/^SIG/gm)?.length, 1, runner.transcript());
  });

  it('07 tcp-server alone: SIGTERM to the runner alone is forwarded once', async (t) => {
    // Checks the signal that reaches the runner alone (kill, a CI timeout): passed on once, the
    // program shuts down by itself, and its exit code 0 is the runner's.
    const runner = startFile(t, RUNNER, ['07-echo-server', 'tcp-server', '--port', '0']);
    await runner.ready();
    runner.signal('SIGTERM');
    assert.deepEqual(await runner.exit(), { code: 0, signal: null }, runner.transcript());
    assert.match(runner.stdout, /^SIGTERM: not accepting new connections; closing 0 open connection\(s\)\nstopped\n$/m);
    assert.equal(runner.stdout.match(/^SIG/gm)?.length, 1, runner.transcript());
  });
});
