// Which folder of programs a lesson test file runs against, and which of its suites run.

import path from 'node:path';
import { describe } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCommands } from '../../scripts/manifest.ts';

export type Suite = 'lesson' | 'exercise';

export interface Target {
  lesson: string; // lesson id, e.g. 04-tcp-server
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
  return { lesson: path.basename(lessonDir), dir, suites: new Set(names as Suite[]), commands: readCommands(lessonDir, dir), staged };
}

/** describe() that only registers its tests when the target asks for that suite. */
export function suite(target: Target, name: Suite, body: () => void): void {
  // Tests use port 0 and their own processes, so a few can run at once.
  if (target.suites.has(name)) describe(`${target.lesson} ${name}`, { concurrency: 4 }, body);
}
