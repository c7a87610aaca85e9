// Which folder of programs a lesson test file runs against, and which of its suites run.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCommands } from '../../scripts/manifest.ts';
import { UNCHANGED_SKIP } from '../../scripts/results.ts';
import { faultSpec } from './faults.ts';

export type Suite = 'lesson' | 'exercise';

export interface Target {
  lesson: string; // lesson id, e.g. 04-tcp-server
  lessonDir: string; // the lesson's own folder, beside the test file
  dir: string; // folder holding the programs under test
  suites: Set<Suite>;
  /** Program file -> command (from the folder's programs.json), for programs not written in TypeScript. */
  commands: Map<string, string[]>;
  /**
   * SOCKET_LESSONS_STAGED=1: `dir` is a copy made for this run (the grader's staging folder), so the
   * harness may write into it: each program is transpiled once beside itself and runs as plain
   * JavaScript (scripts/run-ts), the cheapest start there is.
   */
  staged: boolean;
}

/**
 * The programs a lesson test file runs against. By default the lesson's own folder and the lesson
 * suite; SOCKET_LESSONS_PROGRAMS points at another folder (a solution or a student's work), and
 * SOCKET_LESSONS_SUITES (comma-separated: lesson, exercise) picks the suites.
 */
export function lessonTarget(testFileUrl: string): Target {
  const lessonDir = path.dirname(fileURLToPath(testFileUrl));
  const dir = process.env.SOCKET_LESSONS_PROGRAMS ? path.resolve(process.env.SOCKET_LESSONS_PROGRAMS) : lessonDir;
  const names = (process.env.SOCKET_LESSONS_SUITES ?? 'lesson').split(',').map((s) => s.trim());
  for (const name of names) {
    if (name !== 'lesson' && name !== 'exercise') throw new Error(`SOCKET_LESSONS_SUITES: unknown suite '${name}'`);
  }
  const staged = process.env.SOCKET_LESSONS_STAGED === '1' && process.env.SOCKET_LESSONS_PROGRAMS !== undefined;
  return {
    lesson: path.basename(lessonDir),
    lessonDir,
    dir,
    suites: new Set(names as Suite[]),
    commands: readCommands(lessonDir, dir),
    staged,
  };
}

/** The suite whose tests are being registered (suite()'s body runs while describe() registers). */
let registering: Suite | undefined;

/** describe() that only registers its tests when the target asks for that suite. */
export function suite(target: Target, name: Suite, body: () => void): void {
  // Tests use port 0 and their own processes, so a few can run at once.
  if (!target.suites.has(name)) return;
  describe(`${target.lesson} ${name}`, { concurrency: 4 }, () => {
    registering = name;
    try {
      body();
    } finally {
      registering = undefined;
    }
  });
}

/** The files each running test said it starts (itUses), for start() to hold it to them. */
const declared = new WeakMap<TestContext, readonly string[]>();

/**
 * it() for a test that starts only the programs `files` (against harness peers). The grader of an
 * exercise sets SOCKET_LESSONS_SKIP_UNCHANGED=1: then a lesson test whose files are all the
 * lesson's own, byte for byte, is reported as not run, because its result can only be the
 * lesson's, which npm test checks. start() fails a test that starts a file it did not name, so
 * every declaration is checked each time the test runs.
 */
export function itUses(target: Target, files: readonly string[], name: string, fn: (t: TestContext) => Promise<void>): void {
  const unchanged = registering === 'lesson' ? unchangedReason(target, files) : undefined;
  it(name, unchanged ? { skip: unchanged } : {}, async (t) => {
    declared.set(t, files);
    await fn(t);
  });
}

/** Throws when the test `t` said (itUses) it starts other files than `file`. */
export function checkDeclared(t: TestContext, file: string): void {
  const files = declared.get(t);
  if (files && !files.includes(file))
    throw new Error(
      `harness: this test says (itUses) that it starts only ${files.join(', ')}, but it started ${file}: name every file it starts`,
    );
}

/** A program file under test -> whether it is the lesson's own, byte for byte (read once per test file). */
const sameAsLesson = new Map<string, boolean>();

/** Why a test of only `files` need not run here (see itUses), or undefined when it must. */
function unchangedReason(target: Target, files: readonly string[]): string | undefined {
  // Under faults the lesson's own result is not known (npm test runs the lesson without them).
  if (process.env.SOCKET_LESSONS_SKIP_UNCHANGED !== '1' || faultSpec() !== undefined) return undefined;
  if (path.resolve(target.dir) === path.resolve(target.lessonDir)) return undefined;
  const same = (file: string): boolean => {
    if (target.commands.has(file)) return false; // run by the student's own command (programs.json)
    const theirs = path.join(target.dir, file);
    let known = sameAsLesson.get(theirs);
    if (known === undefined) {
      try {
        known = readFileSync(theirs).equals(readFileSync(path.join(target.lessonDir, file)));
      } catch {
        known = false; // missing on one side: the test says what is wrong
      }
      sameAsLesson.set(theirs, known);
    }
    return known;
  };
  if (!files.every(same)) return undefined;
  const which = files.length === 1 ? `${files[0]} is` : `${files.join(' and ')} are`;
  return `${UNCHANGED_SKIP}${which} the lesson's own, byte for byte, and this test starts nothing else, so its result is the lesson's, which npm test checks (--run-unchanged runs it)`;
}
