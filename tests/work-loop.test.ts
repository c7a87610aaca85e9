// Tests of the student's loop in `npm run lesson` (scripts/lesson.ts, scripts/work-loop.ts):
// --reset keeps a backup and copies the lesson again; --watch grades the work folder at once and
// again after a save, with file events or by polling (--poll), and Ctrl-C ends it with exit 0.
// A temporary work folder (SOCKET_LESSONS_WORK_DIR) and one exercise test (SOCKET_LESSONS_ONLY_TESTS)
// keep them off the real work/ and short.

import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadLessons, REPO_ROOT } from '../scripts/manifest.ts';
import { backupFolder } from '../scripts/work-loop.ts';
import { startFile } from './harness.ts';

const RUNNER = path.join(REPO_ROOT, 'scripts', 'lesson.ts');
const lesson = loadLessons().find((l) => l.id === '04-tcp-server')!;
const WORK = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-work-'));
process.env.SOCKET_LESSONS_WORK_DIR = WORK;
process.env.SOCKET_LESSONS_ONLY_TESTS = JSON.stringify(['server --clients 3 serves three clients one after another, then exits']);
const GRADE_MS = 120_000; // one grading of one test, on a busy machine
after(() => rmSync(WORK, { recursive: true, force: true }));

describe('npm run lesson: the student loop', { concurrency: 2 }, () => {
  it('--reset moves the work folder to a backup, says both paths, and copies the lesson again', async (t) => {
    // Checks that starting again loses nothing: the student's edit is in the backup, and the work
    // folder holds the lesson's programs once more.
    const work = path.join(WORK, lesson.id);
    t.after(() => rmSync(work, { recursive: true, force: true }));
    cpSync(lesson.dir, work, { recursive: true });
    writeFileSync(path.join(work, 'server.ts'), '// my work\n');
    const runner = startFile(t, RUNNER, ['04', '--reset']);
    assert.deepEqual(await runner.exit(), { code: 0, signal: null }, runner.transcript());
    const backups = readdirSync(WORK).filter((name) => name.startsWith(`${lesson.id}.backup-`));
    assert.equal(backups.length, 1, runner.transcript());
    t.after(() => rmSync(path.join(WORK, backups[0]!), { recursive: true, force: true }));
    assert.equal(readFileSync(path.join(WORK, backups[0]!, 'server.ts'), 'utf8'), '// my work\n');
    assert.equal(readFileSync(path.join(work, 'server.ts'), 'utf8'), readFileSync(path.join(lesson.dir, 'server.ts'), 'utf8'));
    assert.ok(!existsSync(path.join(work, 'lesson.json')) && !existsSync(path.join(work, 'README.md')), 'only the programs are copied');
    assert.ok(runner.stdout.includes(backups[0]!) && runner.stdout.includes(`npm run lesson 04-tcp-server -- --watch`), runner.stdout);
  });

  it('a backup name is taken from the time, and never reuses one', (t) => {
    // Checks backupFolder(): DIR.backup-YYYYMMDD-HHMMSS, then -2 when that exists.
    const dir = path.join(WORK, 'named');
    const at = new Date(2026, 10, 21, 14, 30, 5);
    assert.equal(backupFolder(dir, at), `${dir}.backup-20261121-143005`);
    writeFileSync(`${dir}.backup-20261121-143005`, '');
    t.after(() => rmSync(`${dir}.backup-20261121-143005`));
    assert.equal(backupFolder(dir, at), `${dir}.backup-20261121-143005-2`);
  });

  for (const poll of [false, true]) {
    it(`--watch${poll ? ' --poll' : ''} grades at once and again after a save, one more hint each time; Ctrl-C ends it with 0`, async (t) => {
      // Checks the loop: the first grading shows hint 1, saving a file (noticed by
      // ${poll ? 'polling' : 'file events'}) grades again and shows hint 2, and Ctrl-C stops it cleanly.
      const work = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-watch-'));
      t.after(() => rmSync(work, { recursive: true, force: true }));
      cpSync(lesson.dir, path.join(work, lesson.id), { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
      const saved = process.env.SOCKET_LESSONS_WORK_DIR;
      process.env.SOCKET_LESSONS_WORK_DIR = work; // a folder of its own: hints count per work folder
      const runner = startFile(t, RUNNER, ['04', '--watch', ...(poll ? ['--poll'] : [])]);
      process.env.SOCKET_LESSONS_WORK_DIR = saved;
      if (poll) await runner.waitFor(/^\[lesson\] watching .* \(looking for changes every second\)/m);
      await runner.waitFor(/^hint 1 of 3: /m, 'stdout', 'hint 1', GRADE_MS);
      await runner.waitFor(/^\[lesson\] waiting for you to save a file in /m, 'stdout', 'the wait for a save', GRADE_MS);
      assert.doesNotMatch(runner.stdout, /hint 2 of/);
      appendFileSync(path.join(work, lesson.id, 'server.ts'), '// a save\n');
      await runner.waitFor(/^hint 2 of 3: /m, 'stdout', 'hint 2', GRADE_MS);
      assert.equal(runner.stdout.match(/^\[lesson\] grading: /gm)?.length, 2, runner.transcript());
      runner.kill('SIGINT'); // Ctrl-C
      assert.deepEqual(await runner.exit(), { code: 0, signal: null }, runner.transcript());
      assert.match(runner.stdout, /^\[lesson\] stopped watching$/m);
    });
  }
});
