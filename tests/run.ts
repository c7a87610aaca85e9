// `npm test` after the type check: runs every *.test.ts under lessons/ and tests/ with node:test.
// Node 20's test runner cannot expand globs, so the files are found here (no shell involved, so
// it works the same on Windows).
//   npm test -- lessons/04-tcp-server                      only the tests below a path
//   npm test -- lessons/04-tcp-server --programs DIR       a lesson's tests against another folder of programs
//   npm test -- lessons/04-tcp-server --programs DIR --exercise   ... with the exercise tests too
//   npm test -- lessons/04-tcp-server --faults slicer [--seed N]  every connection through a misbehaving relay

import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from '../scripts/cli.ts';
import { REPO_ROOT } from '../scripts/manifest.ts';
import { faultFlags } from '../scripts/relay/plan.ts';

/** Files that take longest, in the order they should start; every other file after them, in name order. */
const LONGEST = [
  'tests/grader.test.ts',
  'tests/runner-input.test.ts',
  'tests/new-lesson.test.ts',
  'tests/book-browser.test.ts',
  'lessons/08-file-downloader/08-file-downloader.test.ts',
  'tests/formats.test.ts',
  'tests/autograder.test.ts',
];

const { values, positionals } = parseCommandLine('test', {
  allowPositionals: true,
  options: {
    programs: { type: 'string' },
    exercise: { type: 'boolean', default: false },
    faults: { type: 'string' },
    seed: { type: 'string' },
  },
});
const roots = positionals.length > 0 ? positionals : ['lessons', 'tests'];
// What tests/harness.ts reads: the folder of programs under test and the suites to run.
const env = { ...process.env };
if (values.programs) env.SOCKET_LESSONS_PROGRAMS = path.resolve(values.programs);
if (values.exercise) env.SOCKET_LESSONS_SUITES = 'lesson,exercise';
// What tests/harness/faults.ts reads: the toxics every connection goes through, checked here first (one line, exit 2).
const { plan, seed } = faultFlags('test', values);
if (plan) env.SOCKET_LESSONS_FAULTS = plan.spec;
if (seed !== undefined) env.SOCKET_LESSONS_SEED = String(seed);
// Longest first: the files run two at a time, and the grader's checks of every lesson (about
// 5 minutes, one block after another) would otherwise start last and run alone at the end.
const files = roots.flatMap((root) => findTests(path.resolve(REPO_ROOT, root))).sort((a, b) => rank(a) - rank(b));
if (files.length === 0) {
  console.error(`test: no *.test.ts files under ${roots.join(', ')}`);
  process.exit(1);
}

// The runner forwards the TypeScript loader to each test file's process: scripts/run-ts, which
// transpiles each file once into a cache (tsx costs about 0.2 s more at every start). Files run
// two at a time, one per core of the 2-core machines the course is measured on. --test-timeout bounds a
// whole file: every wait inside is bounded far below it (10 s per wait, 180 s per graded folder),
// so it only catches a hang they missed; the grader's checks of every lesson take minutes.
const child = spawn(
  process.execPath,
  [
    '--import',
    './scripts/run-ts/register.mjs',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-timeout=900000',
    ...files.map((f) => path.relative(REPO_ROOT, f)),
  ],
  { cwd: REPO_ROOT, env, stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

function rank(file: string): number {
  const at = LONGEST.indexOf(path.relative(REPO_ROOT, file).split(path.sep).join('/'));
  return at === -1 ? LONGEST.length : at;
}

function findTests(target: string): string[] {
  if (statSync(target, { throwIfNoEntry: false })?.isFile()) return [target];
  return readdirSync(target, { recursive: true, encoding: 'utf8' })
    .filter(
      (name) => name.endsWith('.test.ts') && !name.split(path.sep).includes('node_modules') && !name.split(path.sep).includes('fixtures'),
    )
    .map((name) => path.join(target, name))
    .sort();
}
