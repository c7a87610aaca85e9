// Tests of the process runtime (scripts/runtime/): each kind of failure is reported in its case,
// with the program's exact command line as the test wrote it, and survives the trip through
// node:test to the grader (scripts/results.ts).

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testResults } from '../scripts/results.ts';
import { typescriptLoaderArgs } from '../scripts/run-ts/index.ts';
import { transpile } from '../scripts/run-ts/transpile.mjs';
import { Child, type ChildOptions } from '../scripts/runtime/child.ts';
import { FAILURE_LINE_VARIABLE, type Failure, ProgramFailure, splitFailure } from '../scripts/runtime/failure.ts';
import { groupAlive } from '../scripts/runtime/processes.ts';
import { connectTcp, expectOneLineError, unusedPort } from './harness.ts';

const TALKER = fileURLToPath(new URL('fixtures/talker.ts', import.meta.url));
const FAILING = fileURLToPath(new URL('fixtures/failing.test.ts', import.meta.url));

/** A runtime Child, stopped when the test ends. */
function child(t: TestContext, argv: string[], options: ChildOptions): Child {
  const program = new Child(argv, options);
  t.after(() => program.stop());
  return program;
}

/** tests/fixtures/talker.ts with `args`, shown in failures as `talker.ts ARGS`. */
function talker(t: TestContext, args: string[], options: Partial<ChildOptions> = {}): Child {
  return child(t, [process.execPath, ...typescriptLoaderArgs(), TALKER], { name: 'talker.ts', args, shownAs: ['talker.ts'], ...options });
}

/** A program given as JavaScript on node's command line, shown as `NAME`. */
function script(t: TestContext, name: string, code: string, options: Partial<ChildOptions> = {}): Child {
  return child(t, [process.execPath, '-e', code], { name, shownAs: [name], ...options });
}

/** The promise's rejection, which must be a ProgramFailure. */
async function failureOf(promise: Promise<unknown>): Promise<ProgramFailure> {
  const err = await promise.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProgramFailure, `a ProgramFailure, not ${String(err)}`);
  return err;
}

describe('runtime', { concurrency: 4 }, () => {
  it("keeps a JSON import's `with { type: 'json' }` when it transpiles (Node refuses the JSON without it)", () => {
    // Checks scripts/run-ts against esbuild's default for target node20, which drops the attribute.
    const code = transpile("import data from './data.json' with { type: 'json' };\nconsole.log(data);\n", 'x.ts');
    assert.match(code, /from "\.\/data\.json" with \{ type: "json" \}/);
  });

  it('reports a program that prints no ready line as no-ready-line, with its command line and input', async (t) => {
    // Checks the ready-line timeout: kind, the argv as written (the program's own file, not node's
    // loader), what was written to its stdin, and the English message tests and the grader read.
    const program = talker(t, ['not a ready line']);
    program.writeLine('hello');
    await program.waitFor(/^got: hello$/m); // started and reading: now a short wait must fail
    const failure = await failureOf(program.ready(500));
    assert.equal(failure.kind, 'no-ready-line');
    assert.deepEqual(failure.command, ['talker.ts', 'not a ready line']);
    assert.equal(failure.input, 'hello\n');
    assert.match(
      failure.message,
      /^talker\.ts did not print the ready line "listening on HOST:PORT" within 500 ms\n--- talker\.ts stdout ---\nnot a ready line\ngot: hello\n/,
    );
  });

  it('reports a program that ends before its ready line as exited-early, with how it ended', async (t) => {
    // Checks the wait that ends with the program: kind, exit code, and the output so far.
    const program = talker(t, ['no ready line here', '1', '3']);
    program.endInput();
    const failure = await failureOf(program.ready());
    assert.equal(failure.kind, 'exited-early');
    assert.equal(failure.actual, 'exit code 3');
    assert.deepEqual(failure.command, ['talker.ts', 'no ready line here', '1', '3']);
    assert.match(failure.message, /exited \(exit code 3\) before printing the ready line[\s\S]*talker: problem 1/);
  });

  it('gives up a wait once the other program has exited well and this one sits idle, naming the one that exited', async (t) => {
    // Checks the fail-fast for "a client that exits at once": the server waits for a client that
    // has gone, so the wait ends as exited-early on the client, not at its 60 s limit.
    const programs: Child[] = [];
    const peers = (): Child[] => programs;
    const server = talker(t, ['listening on 127.0.0.1:4242'], { peers, waitMs: 60_000 });
    await server.ready();
    programs.push(server, script(t, 'client.js', 'process.exit(0)', { peers }));
    const failure = await failureOf(server.waitFor(/^received/m, 'stdout', 'a line "received ..."'));
    assert.equal(failure.kind, 'exited-early');
    assert.equal(failure.program, 'client.js');
    assert.equal(failure.actual, 'exit code 0');
    assert.equal(failure.waitedOnPeer, true);
    assert.equal(failure.waitedMs, undefined, 'no wait ran to its limit');
    assert.match(
      failure.message,
      /^client\.js exited \(exit code 0\) while the test waited for talker\.ts to print a line "received \.\.\."/,
    );
  });

  it('keeps waiting for a program still at work after the other program exited well', async (t) => {
    // Checks that the fail-fast above needs the program to be idle: one computing for a second
    // after its peer has gone still prints, and the wait sees it.
    const programs: Child[] = [];
    const peers = (): Child[] => programs;
    const worker = script(t, 'worker.js', 'const end = Date.now() + 1000; while (Date.now() < end); console.log("done")', { peers });
    programs.push(worker, script(t, 'client.js', 'process.exit(0)', { peers }));
    await programs[1]!.exited;
    assert.equal((await worker.waitFor(/^done$/m))[0], 'done');
  });

  it('keeps waiting for a program that has printed nothing yet after the other program exited well', async (t) => {
    // Checks the other condition: a program still starting (nothing printed; under load it may
    // sleep while it loads) is not judged idle; this one sleeps 1.5 s before its first line.
    const programs: Child[] = [];
    const peers = (): Child[] => programs;
    const client = script(t, 'client.js', 'process.exit(0)', { peers });
    programs.push(client);
    await client.exited;
    const late = script(t, 'late.js', 'setTimeout(() => console.log("started"), 1500)', { peers });
    programs.push(late);
    assert.equal((await late.waitFor(/^started$/m))[0], 'started');
  });

  it('reports a ready line with another port than --port asked for as wrong-port', async (t) => {
    // Checks ready()'s comparison of the announced port with the one on the command line.
    const failure = await failureOf(talker(t, ['listening on 127.0.0.1:4242', '0', '0', '--port', '5000']).ready());
    assert.equal(failure.kind, 'wrong-port');
    assert.deepEqual([failure.expected, failure.actual], ['5000', '4242']);
    assert.match(failure.message, /was started with --port 5000 but says "listening on 127\.0\.0\.1:4242"/);
  });

  it('stops a program that floods its output, and names the flood as the kind of its failures', async (t) => {
    // Checks the output cap: the group is killed, the output is cut at the cap, and a flood explains
    // any wait that fails afterwards.
    const program = script(t, 'flood.js', "for (;;) process.stdout.write('x'.repeat(4096))", { outputCap: 8192 });
    const failure = await failureOf(program.waitFor(/never printed/));
    assert.equal(failure.kind, 'flooded');
    assert.match(program.problem ?? '', /flood\.js printed more than 8 KiB on stdout; the harness stopped it/);
    assert.ok(program.stdout.length < 8192 + 200, 'the output is cut at the cap');
    assert.equal((await program.exited).signal, 'SIGKILL');
  });

  it('finds a process left running by a program that exited, and kills it', async (t) => {
    // Checks the leftover check after a self exit: the group must empty within the grace period.
    const code =
      "require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' }).unref()";
    const program = script(t, 'leave.js', code);
    const exit = await program.exit();
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(program.findingFailure()?.kind, 'left-process');
    assert.match(program.transcript(), /^harness: leave\.js exited but left a process running \(it was killed by the harness\)/);
    assert.equal(groupAlive(program.pid!), false, 'the process left behind was killed');
  });

  it('reports a command that does not exist, and a program that does not compile, as did-not-start', async (t) => {
    // Checks the two ways a start fails: spawn finds no such command; node stops at a syntax error.
    const missing = child(t, ['socket-lessons-no-such-command', 'server.py'], { name: 'server.py', args: ['--port', '0'] });
    const failure = await failureOf(missing.ready());
    assert.equal(failure.kind, 'did-not-start');
    assert.deepEqual(failure.command, ['socket-lessons-no-such-command', 'server.py', '--port', '0']);
    assert.match(
      missing.stderr,
      /^harness: could not start socket-lessons-no-such-command server\.py: spawn socket-lessons-no-such-command ENOENT/,
    );
    const broken = script(t, 'broken.js', 'let = ;');
    assert.equal((await failureOf(broken.ready())).kind, 'did-not-start');
  });

  it('reports a refused connection to an announced port as refused, naming the program that announced it', async (t) => {
    // Checks connectTcp's failure when the ready line names a port nobody listens on.
    const port = await unusedPort();
    const program = talker(t, [`listening on 127.0.0.1:${port}`]);
    assert.equal(await program.ready(), port);
    const failure = await failureOf(connectTcp(t, port));
    assert.equal(failure.kind, 'refused');
    assert.equal(failure.program, 'talker.ts');
    assert.match(failure.message, /ECONNREFUSED/);
  });

  it('gives the one-line error checks their kinds', async (t) => {
    // Checks expectOneLineError()'s three failures: exit code, number of lines, the line's text.
    const run = (lines: string, code: string): Child => {
      const program = talker(t, ['ready', lines, code]);
      program.endInput();
      return program;
    };
    assert.equal((await failureOf(expectOneLineError(run('1', '0'), 1, /problem/))).kind, 'wrong-exit-code');
    assert.equal((await failureOf(expectOneLineError(run('2', '1'), 1, /problem/))).kind, 'wrong-stderr');
    assert.equal((await failureOf(expectOneLineError(run('1', '1'), 1, /refused/))).kind, 'wrong-error-line');
  });

  it('carries a failure in a last @@failure line only when asked, and splitFailure() takes it off', (t) => {
    // Checks the encoding on its own: without the variable the message is the text alone.
    const fields: Failure = { kind: 'timed-out', program: 'server.ts', command: ['server.ts', '--port', '0'], input: 'hi\n', what: 'X' };
    assert.deepEqual(splitFailure(new ProgramFailure('text', fields).message), { message: 'text' });
    process.env[FAILURE_LINE_VARIABLE] = '1';
    t.after(() => delete process.env[FAILURE_LINE_VARIABLE]);
    const failure = new ProgramFailure('first line\n--- output ---', fields);
    assert.deepEqual(splitFailure(failure.message), { message: 'first line\n--- output ---', failure: fields });
    assert.deepEqual(failure.failure, fields);
  });

  it('brings a harness failure back through node:test to TestResult.failure, and none for a plain assertion', async () => {
    // Checks the whole trip the grader depends on: a test process fails, scripts/results.ts reads
    // its events, and the kind, command line and input arrive as data, the message without the line.
    const results = await testResults(FAILING, {});
    const exited = results.find((r) => r.name === 'a program that exits before its ready line')!;
    assert.equal(exited.status, 'fail');
    assert.deepEqual(exited.failure, {
      kind: 'exited-early',
      program: 'talker.ts',
      command: ['talker.ts', 'no ready line', '0', '3'],
      input: '你好\n',
      what: 'the ready line "listening on HOST:PORT"',
      actual: 'exit code 3',
    });
    assert.match(exited.message!, /^talker\.ts exited \(exit code 3\) before printing the ready line[\s\S]*---$/);
    const plain = results.find((r) => r.name === 'a plain assertion')!;
    assert.equal(plain.status, 'fail');
    assert.equal(plain.failure, undefined);
  });
});
