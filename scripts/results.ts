// Runs one lesson test file and reports each test's outcome as data, for the repository's own
// checks (tests/grader.test.ts) and the grader. testResults() starts the test file itself, in one
// process, with this module as its node:test reporter (--test-reporter): the reporter prints one
// JSON object per finished test, and a last line saying the run got to its end. (node:test's run()
// would cost a second process, with the TypeScript loader, for every grading.) As a program it
// prints the same objects:
//   node --import tsx scripts/results.ts lessons/04-tcp-server/04-tcp-server.test.ts
// A harness failure's kind, program, command line and input come back as data (`failure`): the
// test processes append them to the message as a last `@@failure` line, which is taken off here.

import path from 'node:path';
import type { TestEvent } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './manifest.ts';
import { FAULTS_DIAGNOSTIC, FAULTS_SKIP } from './relay/session.ts';
import { typescriptLoaderArgs } from './run-ts/index.ts';
import { Child } from './runtime/child.ts';
import { FAILURE_LINE_VARIABLE, type Failure, splitFailure } from './runtime/failure.ts';
import { literal } from './runtime/text.ts';

/**
 * How the skip of a lesson test that starts only files left as the lesson has them begins
 * (tests/harness/target.ts, itUses): reported with its reason, and counted for nothing.
 */
export const UNCHANGED_SKIP = 'not run, unchanged: ';

export interface TestResult {
  name: string;
  suite: string; // the enclosing describe(), '' at top level
  /** error: the test file itself could not run, or the run was stopped at its time limit. skip: under faults, or its files unchanged, with the reason. */
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
const LIST_VARIABLE = 'SOCKET_LESSONS_LIST_TESTS';
const ONLY_VARIABLE = 'SOCKET_LESSONS_ONLY_TESTS';
/** The reporter's last line: the test file ran to its end (a crash or a kill leaves it out). */
const END_LINE = '{"end":true}';

/** The tests of `testFile` (name and enclosing describe) for `env`'s suites, without running any. */
export async function listTests(testFile: string, env: Record<string, string>): Promise<{ name: string; suite: string }[]> {
  const results = await testResults(testFile, { ...env, [LIST_VARIABLE]: '1' }, { timeoutMs: 60_000 });
  const failed = results.find((r) => r.status === 'error');
  if (failed) throw new Error(`could not list the tests of ${path.basename(testFile)}: ${failed.message?.split('\n')[0]}`);
  return results.map(({ name, suite }) => ({ name, suite }));
}

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

/** Runs `testFile` in a child process with `env` added (e.g. SOCKET_LESSONS_PROGRAMS) and collects the results. */
export async function testResults(testFile: string, env: Record<string, string>, options: RunOptions = {}): Promise<TestResult[]> {
  // Without NODE_TEST_CONTEXT, which node:test sets in its test processes: inherited, it would make
  // the nested run talk node:test's internal protocol instead of reporting through us.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  // Only these tests: the option, else SOCKET_LESSONS_ONLY_TESTS (a JSON list of names) in the environment.
  const onlyGiven = env[ONLY_VARIABLE] ?? inherited[ONLY_VARIABLE];
  const only = options.only ?? (onlyGiven ? (JSON.parse(onlyGiven) as string[]) : undefined);
  // Listing: a pattern no name matches, so that every test is reported as skipped, with its name.
  const patterns = env[LIST_VARIABLE] === '1' ? [String.raw`^\u0000$`] : (only?.map((name) => `^${literal(name)}$`) ?? []);
  const child = new Child(
    [
      process.execPath,
      ...typescriptLoaderArgs(),
      `--test-reporter=${SELF}`,
      '--test-reporter-destination=stdout',
      `--test-timeout=${PER_TEST_TIMEOUT_MS}`,
      ...patterns.map((pattern) => `--test-name-pattern=${pattern}`),
      testFile,
    ],
    {
      name: 'the tests',
      cwd: REPO_ROOT,
      env: { ...inherited, ...env, [FAILURE_LINE_VARIABLE]: '1' },
      stdin: 'ignore',
      outputCap: Number.POSITIVE_INFINITY, // every result line is needed; stderr is cut below
      checkLeftovers: false, // its own group, so that a time limit stops the run and its programs together
    },
  );
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
  const lines = child.stdout.split('\n');
  const results = lines
    .filter((line) => line.startsWith('{"name"'))
    .map((line) => {
      const result = JSON.parse(line) as TestResult;
      // The failure's fields, taken off the message here rather than in the test process.
      return result.message === undefined ? result : { ...result, ...splitFailure(result.message) };
    });
  const error = (message: string, extra: Partial<TestResult> = {}): void => {
    results.push({ name: path.basename(testFile), suite: '', status: 'error', message, ...extra });
  };
  if (child.startError) error(`could not run the tests: ${child.startError.message}`);
  else if (timedOut)
    error(`the tests did not finish within ${options.timeoutMs! / 1000} s and were stopped`, { timeLimitMs: options.timeoutMs! });
  // A test file that fails exits 1: only a run that did not get to its end is an error of the run.
  else if (!lines.includes(END_LINE)) error(`the tests could not run (exit ${code}): ${child.stderr.slice(-16_384).trim()}`);
  return results;
}

/**
 * The reporter testResults() gives the test process: one JSON line per finished test (name, suite,
 * status, seconds, and the failure's message), then END_LINE. Listing (LIST_VARIABLE) reports the
 * tests the name pattern skipped, which is all of them.
 */
export default async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const suites: string[] = [];
  const listing = process.env[LIST_VARIABLE] === '1';
  // A test's diagnostics come right after its result, at its nesting (under faults: what the toxics
  // did, tests/harness/faults.ts), so each result is written once the next event of a test is in.
  let pending: { result: TestResult; nesting: number } | undefined;
  const flush = (): string => {
    const line = pending ? `${JSON.stringify(pending.result)}\n` : '';
    pending = undefined;
    return line;
  };
  for await (const event of source) {
    if (event.type === 'test:start') suites[event.data.nesting] = event.data.name;
    const held = pending;
    if (event.type === 'test:diagnostic' && held && held.nesting === event.data.nesting && event.data.message.startsWith(FAULTS_DIAGNOSTIC))
      held.result.faults = event.data.message.slice(FAULTS_DIAGNOSTIC.length);
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const line = flush();
    if (line) yield line;
    const { data } = event;
    if ((data.details as { type?: string }).type === 'suite') continue;
    const suite = data.nesting > 0 ? (suites[data.nesting - 1] ?? '') : '';
    if (listing && data.skip !== undefined) {
      yield `${JSON.stringify({ name: data.name, suite, status: 'pass' })}\n`;
      continue;
    }
    // A test skipped under faults (why it cannot hold through a relay) or because its files are the
    // lesson's own (the lesson's result) is reported with the reason; other skips are not tests of this run.
    if (typeof data.skip === 'string' && (data.skip.startsWith(FAULTS_SKIP) || data.skip.startsWith(UNCHANGED_SKIP))) {
      yield `${JSON.stringify({ name: data.name, suite, status: 'skip', message: data.skip } satisfies TestResult)}\n`;
      continue;
    }
    if (data.skip !== undefined) continue;
    const result: TestResult = {
      name: data.name,
      suite,
      status: event.type === 'test:pass' ? 'pass' : 'fail',
      seconds: Math.round((data.details as { duration_ms?: number }).duration_ms ?? 0) / 1000,
    };
    if (event.type === 'test:fail') result.message = failureMessage(event.data.details.error);
    pending = { result, nesting: data.nesting };
  }
  yield flush();
  yield `${END_LINE}\n`;
}

if (process.argv[1] === SELF) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: results.ts TEST_FILE');
    process.exit(2);
  }
  for (const result of await testResults(path.resolve(file), {})) console.log(JSON.stringify(result));
}

/** node:test wraps a test's failure in an ERR_TEST_FAILURE whose cause is the real error. */
function failureMessage(error: Error & { cause?: unknown }): string {
  return error.cause instanceof Error ? error.cause.message : error.message;
}
