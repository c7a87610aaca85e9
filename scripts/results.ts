// Runs one lesson test file and reports each test's outcome as data, for the repository's own
// checks (tests/grader.test.ts) and the grader. As a program it prints one JSON object per
// finished test; testResults() spawns it with the environment that picks the programs and suites.
//   node --import tsx scripts/results.ts lessons/04-tcp-server/04-tcp-server.test.ts
// A harness failure's kind, program, command line and input come back as data (`failure`): the
// test processes append them to the message as a last `@@failure` line, which is taken off here.

import path from 'node:path';
import { run } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './manifest.ts';
import { FAULTS_DIAGNOSTIC, FAULTS_SKIP } from './relay/session.ts';
import { typescriptLoaderArgs } from './run-ts/index.ts';
import { Child } from './runtime/child.ts';
import { FAILURE_LINE_VARIABLE, type Failure, splitFailure } from './runtime/failure.ts';
import { literal } from './runtime/text.ts';

export interface TestResult {
  name: string;
  suite: string; // the enclosing describe(), '' at top level
  /** error: the test file itself could not run, or the run was stopped at its time limit. skip: under faults, with its reason. */
  status: 'pass' | 'fail' | 'error' | 'skip';
  message?: string;
  /** What went wrong, when the harness knew: its kind, and the program's command line and input. */
  failure?: Failure;
  /** Set when the whole run was stopped at this time limit (an error of the run, not of one test). */
  timeLimitMs?: number;
  /** How long the test took. */
  seconds?: number;
  /** Under faults: what the relay's toxics did during the test (tests/harness/faults.ts). */
  faults?: string;
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
const LIST_VARIABLE = 'SOCKET_LESSONS_LIST_TESTS';

/** The tests of `testFile` (name and enclosing describe) for `env`'s suites, without running any. */
export async function listTests(testFile: string, env: Record<string, string>): Promise<{ name: string; suite: string }[]> {
  const results = await testResults(testFile, { ...env, [LIST_VARIABLE]: '1' }, { timeoutMs: 60_000 });
  const failed = results.find((r) => r.status === 'error');
  if (failed) throw new Error(`could not list the tests of ${path.basename(testFile)}: ${failed.message?.split('\n')[0]}`);
  return results.map(({ name, suite }) => ({ name, suite }));
}

/** Runs `testFile` in a child process with `env` added (e.g. SOCKET_LESSONS_PROGRAMS) and collects the results. */
/** The test runs still going: each in a process group of its own, with the test file's process in it. */
const running = new Set<Child>();

/**
 * Stops every test run still going (Ctrl-C or SIGTERM to the grader, a crash): their groups are
 * not the grader's, so nothing else would stop them, and they would go on starting programs.
 */
export function stopTestRuns(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export async function testResults(testFile: string, env: Record<string, string>, options: RunOptions = {}): Promise<TestResult[]> {
  // Without NODE_TEST_CONTEXT, which node:test sets in its test processes: inherited, it would make
  // the nested run talk node:test's internal protocol instead of letting us read its events.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  // Through scripts/run-ts rather than tsx, and run() passes the same loader on to the test file's process.
  const child = new Child([process.execPath, ...typescriptLoaderArgs(), SELF, testFile], {
    name: 'the tests',
    cwd: REPO_ROOT,
    env: { ...inherited, ...env, [FAILURE_LINE_VARIABLE]: '1', ...(options.only ? { [ONLY_VARIABLE]: JSON.stringify(options.only) } : {}) },
    stdin: 'ignore',
    outputCap: Number.POSITIVE_INFINITY, // every result line is needed; stderr is cut below
    checkLeftovers: false, // its own group, so that a time limit stops the run and its test process together
  });
  running.add(child);
  let timedOut = false;
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs)
    : undefined;
  const { code } = await child.exited;
  running.delete(child);
  clearTimeout(timer);
  const results = child.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as TestResult);
  const error = (message: string, extra: Partial<TestResult> = {}): void => {
    results.push({ name: path.basename(testFile), suite: '', status: 'error', message, ...extra });
  };
  if (child.startError) error(`could not run the tests: ${child.startError.message}`);
  else if (timedOut)
    error(`the tests did not finish within ${options.timeoutMs! / 1000} s and were stopped`, { timeLimitMs: options.timeoutMs! });
  else if (code !== 0) error(`the tests could not run (exit ${code}): ${child.stderr.slice(-16_384).trim()}`);
  return results;
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
  // Listing: a pattern no name matches, so that every test is reported as skipped, with its name.
  const listing = process.env[LIST_VARIABLE] === '1';
  const testNamePatterns = listing ? [/^\u0000$/] : only?.map((name) => new RegExp(`^${literal(name)}$`));
  // A test's diagnostics come right after its result, at its nesting (under faults: what the toxics
  // did, tests/harness/faults.ts), so each result is printed once the next event of a test is in.
  let pending: { result: TestResult; nesting: number } | undefined;
  const flush = (): void => {
    if (pending) console.log(JSON.stringify(pending.result));
    pending = undefined;
  };
  for await (const event of run({ files: [file], timeout: PER_TEST_TIMEOUT_MS, ...(testNamePatterns ? { testNamePatterns } : {}) })) {
    if (event.type === 'test:start') suites[event.data.nesting] = event.data.name;
    const held = pending;
    if (event.type === 'test:diagnostic' && held && held.nesting === event.data.nesting && event.data.message.startsWith(FAULTS_DIAGNOSTIC))
      held.result.faults = event.data.message.slice(FAULTS_DIAGNOSTIC.length);
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    flush();
    const { data } = event;
    if ((data.details as { type?: string }).type === 'suite') continue;
    if (listing && data.skip !== undefined) {
      console.log(JSON.stringify({ name: data.name, suite: data.nesting > 0 ? (suites[data.nesting - 1] ?? '') : '', status: 'pass' }));
      continue;
    }
    // A test skipped under faults is reported, with why it cannot hold through a relay; other skips are not tests of this run.
    if (typeof data.skip === 'string' && data.skip.startsWith(FAULTS_SKIP)) {
      const suite = data.nesting > 0 ? (suites[data.nesting - 1] ?? '') : '';
      console.log(JSON.stringify({ name: data.name, suite, status: 'skip', message: data.skip } satisfies TestResult));
      continue;
    }
    if (data.skip !== undefined) continue;
    const result: TestResult = {
      name: data.name,
      suite: data.nesting > 0 ? (suites[data.nesting - 1] ?? '') : '',
      status: event.type === 'test:pass' ? 'pass' : data.nesting === 0 && data.name === file ? 'error' : 'fail',
      seconds: Math.round((data.details as { duration_ms?: number }).duration_ms ?? 0) / 1000,
    };
    if (event.type === 'test:fail') Object.assign(result, splitFailure(failureMessage(event.data.details.error)));
    pending = { result, nesting: data.nesting };
  }
  flush();
}

/** node:test wraps a test's failure in an ERR_TEST_FAILURE whose cause is the real error. */
function failureMessage(error: Error & { cause?: unknown }): string {
  return error.cause instanceof Error ? error.cause.message : error.message;
}
