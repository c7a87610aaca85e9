// Tests of `npm run lesson` (scripts/lesson.ts): listing, name resolution, the scripted demo,
// one-role mode for two terminals, errors, and that it leaves no program running.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadLessons, REPO_ROOT } from '../scripts/manifest.ts';
import { expectOneLineError, literal, startFile, withTimeout } from './harness.ts';

const RUNNER = path.join(REPO_ROOT, 'scripts', 'lesson.ts');
const lessons = loadLessons();
// The student's loop writes work folders; these tests use a temporary one, never the real work/.
const WORK = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-work-'));
process.env.SOCKET_LESSONS_WORK_DIR = WORK;

describe('npm run lesson', { concurrency: 4 }, () => {
  it('--exercise copies the programs to the work folder once, says how to grade, and the list shows it', async (t) => {
    // Checks the start of the student's loop: a copy to edit, a second call keeps the student's
    // edits, and the lesson list reports the work folder until it is graded.
    t.after(() => rmSync(WORK, { recursive: true, force: true }));
    const lesson = lessons.find((l) => l.id === '04-tcp-server')!;
    const first = startFile(t, RUNNER, ['04', '--exercise']);
    assert.deepEqual(await first.exit(), { code: 0, signal: null });
    assert.match(first.stdout, /npm run grade -- 04-tcp-server \S*04-tcp-server/);
    for (const program of lesson.programs) {
      assert.equal(
        readFileSync(path.join(WORK, lesson.id, program.file), 'utf8'),
        readFileSync(path.join(lesson.dir, program.file), 'utf8'),
      );
    }
    writeFileSync(path.join(WORK, lesson.id, 'server.ts'), '// my work\n');
    const second = startFile(t, RUNNER, ['04', '--exercise']);
    assert.deepEqual(await second.exit(), { code: 0, signal: null });
    assert.match(second.stdout, /already exists; your work there is kept/);
    assert.equal(readFileSync(path.join(WORK, lesson.id, 'server.ts'), 'utf8'), '// my work\n');
    const list = startFile(t, RUNNER);
    await list.exit();
    assert.match(list.stdout, /exercise: \S*04-tcp-server: not graded yet/);
  });

  it('lists every lesson with its title and programs', async (t) => {
    // Checks the listing a student sees first: every manifest appears, with its programs.
    const runner = startFile(t, RUNNER);
    assert.deepEqual(await runner.exit(), { code: 0, signal: null });
    for (const lesson of lessons) {
      assert.match(runner.stdout, new RegExp(`${lesson.id}\\s+${literal(lesson.title)}`));
      for (const program of lesson.programs) assert.ok(runner.stdout.includes(program.file), `${lesson.id} lists ${program.file}`);
    }
  });

  it('names the valid lessons when the lesson is unknown, and exits 2', async (t) => {
    // Checks the one-line usage error for a typo in the lesson name.
    const runner = startFile(t, RUNNER, ['99-no-such-lesson']);
    await expectOneLineError(runner, 2, new RegExp(`unknown lesson.*${lessons[0]!.id}`));
  });

  it('names the valid roles when the role is unknown, and exits 2', async (t) => {
    // Checks the one-line usage error for a typo in the role name.
    const runner = startFile(t, RUNNER, ['04-tcp-server', 'sever']);
    await expectOneLineError(runner, 2, /unknown role 'sever'.*server, client/);
  });

  for (const name of ['04-tcp-server', '04', 'tcp-server']) {
    it(`runs the demo of lesson 04 as '${name}' with stdin closed, showing both sides, and exits 0`, async (t) => {
      // Checks the scripted demo end to end: server first on port 0, client pointed at it, demo
      // input fed to the client, each line prefixed by its role, exit 0 when both are done.
      const runner = startFile(t, RUNNER, [name, '--demo']);
      runner.endInput();
      assert.deepEqual(await runner.exit(), { code: 0, signal: null });
      assert.match(runner.stdout, /^\[server\] listening on 127\.0\.0\.1:\d+$/m);
      assert.match(runner.stdout, /^\[server\] received \d+ bytes from \S+: 你好，服务器！Hello from the client\.$/m);
      assert.match(runner.stdout, /^\[client\] reply: thank you !$/m);
    });
  }

  it('passes --encoding to every program of the lesson', async (t) => {
    // Checks that the whole-lesson flags reach both programs: utf-8 makes the demo message 43 bytes, not gbk's 36.
    const runner = startFile(t, RUNNER, ['04-tcp-server', '--encoding', 'utf-8']);
    runner.endInput();
    assert.deepEqual(await runner.exit(), { code: 0, signal: null });
    assert.match(runner.stdout, /^\[client\] sent 43 bytes \(utf-8\)$/m);
    assert.match(runner.stdout, /^\[server\] received 43 bytes/m);
  });

  it('exits 1 and says which program failed when a program cannot start', async (t) => {
    // Checks that a failing program fails the run: the server rejects the encoding before its ready line.
    const runner = startFile(t, RUNNER, ['04-tcp-server', '--encoding', 'klingon']);
    runner.endInput();
    assert.equal((await runner.exit()).code, 1);
    assert.match(runner.stderr, /server exited with code 2 before printing its ready line/);
  });

  it('runs one role with its own flags, and stopping it leaves no program behind', async (t) => {
    // Checks two-terminal mode (`npm run lesson 04-tcp-server server -- --port 0`) and that
    // Ctrl-C sent to the runner alone also ends the program it started: the port stops accepting.
    const runner = startFile(t, RUNNER, ['04-tcp-server', 'server', '--port', '0']);
    const port = await runner.ready();
    runner.signal('SIGINT'); // what Ctrl-C sends
    await runner.exit();
    const probe = net.connect({ host: '127.0.0.1', port });
    t.after(() => probe.destroy());
    const outcome = await withTimeout(
      new Promise<string | undefined>((resolve) => {
        probe.once('connect', () => resolve('connected'));
        probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
      }),
      'a connection attempt to the stopped server',
    );
    assert.equal(outcome, 'ECONNREFUSED', 'the server the runner started must be gone');
  });
});
