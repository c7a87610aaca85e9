// Runs one lesson test file and reports each test's outcome as data, for the repository's own
// checks (tests/exercises.test.ts) and the grader. As a program it prints one JSON object per
// finished test; testResults() spawns it with the environment that picks the programs and suites.
//   node --import tsx tests/results.ts lessons/04-tcp-server/04-tcp-server.test.ts

import { spawn } from 'node:child_process';
import { run } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../scripts/manifest.ts';

export interface TestResult {
  name: string;
  suite: string; // the enclosing describe(), '' at top level
  status: 'pass' | 'fail';
  message?: string;
}

const SELF = fileURLToPath(import.meta.url);

/** Runs `testFile` in a child process with `env` added (e.g. SOCKET_LESSONS_PROGRAMS) and collects the results. */
export function testResults(testFile: string, env: Record<string, string>): Promise<TestResult[]> {
  return new Promise((resolve, reject) => {
    // Without NODE_TEST_CONTEXT, which node:test sets in its test processes: inherited, it would make
    // the nested run talk node:test's internal protocol instead of letting us read its events.
    const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, testFile], {
      cwd: REPO_ROOT,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`running ${testFile} failed (exit ${code}):\n${stderr}`));
      resolve(stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as TestResult));
    });
  });
}

if (process.argv[1] === SELF) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: results.ts TEST_FILE');
    process.exit(2);
  }
  const suites: string[] = [];
  // run() starts the file in its own process with our exec arguments (--import tsx) and environment.
  for await (const event of run({ files: [file] })) {
    if (event.type === 'test:start') suites[event.data.nesting] = event.data.name;
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if ((data.details as { type?: string }).type === 'suite') continue;
    const result: TestResult = {
      name: data.name,
      suite: data.nesting > 0 ? (suites[data.nesting - 1] ?? '') : '',
      status: event.type === 'test:pass' ? 'pass' : 'fail',
    };
    if (event.type === 'test:fail') result.message = failureMessage(event.data.details.error);
    console.log(JSON.stringify(result));
  }
}

/** node:test wraps a test's failure in an ERR_TEST_FAILURE whose cause is the real error. */
function failureMessage(error: Error & { cause?: unknown }): string {
  return error.cause instanceof Error ? error.cause.message : error.message;
}
