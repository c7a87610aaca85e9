// The scaffold's round trip, in a temporary copy of the repository (a git checkout of its own, with
// node_modules linked): `npm run new-lesson -- 09-scratch "Scratch"` makes a lesson that
// `npm run check -- 09` passes, whose demo exits 0 and which the book shows; `--remove` then leaves
// `git status` clean, and a committed lesson is refused. Wrong command lines exit 2 with one line.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it, type TestContext } from 'node:test';
import { REPO_ROOT } from '../scripts/manifest.ts';
import { runCommand } from '../scripts/runtime/child.ts';

const COMMAND_LIMIT_MS = 180_000; // one command, whatever happens (its process group is killed then)

/** A copy of the repository's files (committed or not, ignored ones left out) as a fresh git checkout. */
function copyRepository(t: TestContext): string {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-copy-'));
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const file of files.filter((f) => existsSync(path.join(REPO_ROOT, f)))) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    cpSync(path.join(REPO_ROOT, file), path.join(copy, file));
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], { cwd: copy, encoding: 'utf8' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'copy');
  return copy;
}

/** Runs one of the repository's commands in `cwd` (a copy of it, or the repository), without this test's SOCKET_LESSONS_ settings. */
async function run(cwd: string, script: string, args: string[]): Promise<{ code: number | null; output: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SOCKET_LESSONS_') && name !== 'NODE_TEST_CONTEXT'),
  );
  const result = await runCommand([process.execPath, '--import', 'tsx', script, ...args], {
    cwd,
    env: { ...env, NO_COLOR: '1' },
    timeoutMs: COMMAND_LIMIT_MS,
  });
  return { code: result.code, output: result.stdout + result.stderr, stderr: result.stderr };
}

it('new-lesson makes a lesson that check passes, that runs and is in the book, and --remove leaves the tree clean', async (t) => {
  // Checks the done-when for the scaffold, step by step, in a copy of the repository.
  const copy = copyRepository(t);
  const made = await run(copy, 'scripts/new-lesson.ts', ['09-scratch', 'Scratch']);
  assert.equal(made.code, 0, made.output);
  const check = await run(copy, 'scripts/check.ts', ['09']);
  assert.equal(check.code, 0, check.output);
  assert.doesNotMatch(check.output, /^MISSING/m, check.output);
  assert.match(check.output, /^09-scratch: all \d+ checks pass/m);
  const demo = await run(copy, 'scripts/lesson.ts', ['09', '--demo']);
  assert.equal(demo.code, 0, demo.output);
  assert.match(demo.output, /^\[client\] reply: echo: /m);
  const book = await run(copy, 'scripts/book.ts', ['--out', path.join(copy, 'dist', 'book')]);
  assert.equal(book.code, 0, book.output);
  assert.ok(existsSync(path.join(copy, 'dist', 'book', '09-scratch.html')), 'the book has a page for the new lesson');
  const removed = await run(copy, 'scripts/new-lesson.ts', ['--remove', '09-scratch']);
  assert.equal(removed.code, 0, removed.output);
  assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: copy, encoding: 'utf8' }), '', 'git status after --remove');
  const committed = await run(copy, 'scripts/new-lesson.ts', ['--remove', '04-tcp-server']);
  assert.equal(committed.code, 2, committed.output);
  assert.match(committed.stderr, /^new-lesson: 04-tcp-server is committed/);
  assert.ok(existsSync(path.join(copy, 'lessons', '04-tcp-server', 'lesson.json')), 'a committed lesson is never removed');
});

it('new-lesson rejects a wrong command line with one line and exit 2', async () => {
  // Checks a malformed name, a lesson number that is taken, a missing title, and removing a lesson that is not there.
  for (const args of [['9-scratch', 'Scratch'], ['04-again', 'Again'], ['09-scratch'], ['--remove', '99-nothing']]) {
    const result = await run(REPO_ROOT, 'scripts/new-lesson.ts', args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.output}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^new-lesson: /);
  }
});
