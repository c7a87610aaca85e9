// Checks that `npm run bench` runs end to end, in its smoke mode (--quick, tiny sizes, download
// and echo only): it exits 0, prints the table and the machine with its load before and after,
// writes a results file with a figure and a baseline for every row and a target beside each of
// issue 16's echo figures, and leaves no temporary folder. Numbers are not judged here: timings on
// a shared machine are for the benchmark itself to report, not for a test to assert.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { REPO_ROOT } from '../scripts/manifest.ts';
import { runCommand } from '../scripts/runtime/child.ts';

const WORK = path.join(REPO_ROOT, 'work');
const BENCH_LIMIT_MS = 300_000; // the smoke run takes seconds; a hang fails here, not at the file's time limit

it('npm run bench -- --quick runs the download and echo benchmarks and writes their results', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const results = path.join(dir, 'results.json');
  const before = benchFolders();
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const bench = await runCommand(
    [process.execPath, '--import', 'tsx', 'scripts/bench.ts', '--quick', '--only', 'download,echo', '--size', '2', '--results', results],
    { cwd: REPO_ROOT, env, timeoutMs: BENCH_LIMIT_MS },
  );
  const output = bench.stdout + bench.stderr;
  const code = bench.timedOut ? 'timed out' : bench.code;
  assert.equal(code, 0, output);
  assert.match(output, /^\| figure +\| lesson +\| baseline +\| ratio +\| target +\| met\? +\|$/m);
  assert.match(output, /, \d+ cores, Node \d+\.\d+\.\d+, .*; load average [\d.]+ before, [\d.]+ after;/);

  const written = JSON.parse(readFileSync(results, 'utf8')) as {
    table: { rows: string[][] };
    download: { lesson: { identical: boolean } };
    echo: { clients: number }[];
  };
  assert.equal(written.download.lesson.identical, true, 'the downloaded file is byte-identical');
  assert.deepEqual(
    written.echo.map((level) => level.clients),
    [10, 50],
  );
  const figures = written.table.rows.filter((row) => !row[0]!.startsWith('reference:'));
  assert.ok(figures.length >= 10, `a row for each figure:\n${output}`);
  for (const row of figures) assert.notEqual(row[1], '?', `a measured figure for "${row[0]}"`);
  const echoTargeted = figures.filter((row) => /^echo .*: (round trips\/s|latency p99 \(ms\)|errors \/ hung clients)$/.test(row[0]!));
  assert.equal(echoTargeted.length, 6, 'round trips, p99 and errors at each of the two levels');
  for (const row of echoTargeted) assert.notEqual(row[4], '', `a target beside "${row[0]}"`);
  const left = benchFolders().filter((name) => !before.includes(name));
  assert.deepEqual(left, [], 'the temporary folder is removed');
});

function benchFolders(): string[] {
  if (!existsSync(WORK)) return [];
  return readdirSync(WORK, { withFileTypes: true })
    .filter((e) => e.name.startsWith('.bench-'))
    .map((e) => e.name)
    .sort();
}
