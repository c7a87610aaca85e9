// Runs one lesson test file and reports each test's outcome as data, for the repository's own
// checks (tests/grader.test.ts) and the grader. As a program it prints one JSON object per
// finished test; testResults() spawns it with the environment that picks the programs and suites.
//   node --import tsx tests/results.ts lessons/04-tcp-server/04-tcp-server.test.ts

import { spawn } from 'node:child_process';
import { run } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../scripts/manifest.ts';
import { typescriptLoaderArgs } from '../scripts/run-ts/index.ts';
import { literal } from './harness.ts';

export interface TestResult {
  name: string;
  suite: string; // the enclosing describe(), '' at top level
  /** error: the test file itself could not run, or the run was stopped at its time limit. */
  status: 'pass' | 'fail' | 'error';
  message?: string;
}

export interface RunOptions {
  /** Run only the tests with these exact names (the others are skipped and not reported). */
  only?: string[];
  /** The whole run is killed (as a process group) after this long; its missing tests become one error. */
  timeoutMs?: number;
}

const SELF = fileURLToPath(import.meta.url);
const PER_TEST_TIMEOUT_MS = 120_000; // as npm test: a test still running then is stuck
const ONLY_VARIABLE = 'SOCKET_LESSONS_ONLY_TESTS';

/** Runs `testFile` in a child process with `env` added (e.g. SOCKET_LESSONS_PROGRAMS) and collects the results. */
export function testResults(testFile: string, env: Record<string, string>, options: RunOptions = {}): Promise<TestResult[]> {
  return new Promise((resolve) => {
    // Without NODE_TEST_CONTEXT, which node:test sets in its test processes: inherited, it would make
    // the nested run talk node:test's internal protocol instead of letting us read its events.
    const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
    // Through scripts/run-ts rather than tsx, and run() passes the same loader on to the test file's process.
    const child = spawn(process.execPath, [...typescriptLoaderArgs(), SELF, testFile], {
      cwd: REPO_ROOT,
      env: { ...inherited, ...env, ...(options.only ? { [ONLY_VARIABLE]: JSON.stringify(options.only) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a time limit can stop the run and its test process together
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-16_384)));
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, options.timeoutMs)
      : undefined;
    const finish = (problem?: string): void => {
      clearTimeout(timer);
      const results = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as TestResult);
      if (problem) results.push({ name: path.basename(testFile), suite: '', status: 'error', message: problem });
      resolve(results);
    };
    child.on('error', (err) => finish(`could not run the tests: ${err.message}`));
    child.on('close', (code) => {
      if (timedOut) return finish(`the tests did not finish within ${options.timeoutMs! / 1000} s and were stopped`);
      if (code !== 0) return finish(`the tests could not run (exit ${code}): ${stderr.trim()}`);
      finish();
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
  // run() starts the file in its own process with our exec arguments (the TypeScript loader) and environment.
  const only = process.env[ONLY_VARIABLE] ? (JSON.parse(process.env[ONLY_VARIABLE]) as string[]) : undefined;
  const testNamePatterns = only?.map((name) => new RegExp(`^${literal(name)}$`));
  for await (const event of run({ files: [file], timeout: PER_TEST_TIMEOUT_MS, ...(testNamePatterns ? { testNamePatterns } : {}) })) {
    if (event.type === 'test:start') suites[event.data.nesting] = event.data.name;
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if ((data.details as { type?: string }).type === 'suite' || data.skip !== undefined) continue;
    const result: TestResult = {
      name: data.name,
      suite: data.nesting > 0 ? (suites[data.nesting - 1] ?? '') : '',
      status: event.type === 'test:pass' ? 'pass' : data.nesting === 0 && data.name === file ? 'error' : 'fail',
    };
    if (event.type === 'test:fail') result.message = failureMessage(event.data.details.error);
    console.log(JSON.stringify(result));
  }
}

/** node:test wraps a test's failure in an ERR_TEST_FAILURE whose cause is the real error. */
function failureMessage(error: Error & { cause?: unknown }): string {
  return error.cause instanceof Error ? error.cause.message : error.message;
}
