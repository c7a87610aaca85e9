// The usage errors every lesson program rejects, as a table, and one test per row.

import { expectOneLineError } from './assertions.ts';
import { start } from './programs.ts';
import { itUses, type Target } from './target.ts';

/** A wrong command line, and what the one error line must mention. */
export type BadFlag = [label: string, args: string[], pattern: RegExp];

/** The usage errors every lesson program rejects with exit 2 and one line on stderr. */
export const COMMON_BAD_FLAGS: BadFlag[] = [
  ['a port that is not a number', ['--port', 'abc'], /port/],
  ['a port above 65535', ['--port', '70000'], /port/],
  ['an unknown flag', ['--colour', 'blue'], /colour/],
  ['an unknown encoding', ['--encoding', 'klingon'], /klingon/],
];

/**
 * One test per bad flag: `NAME rejects LABEL with exit 2 and one line`, where NAME is the file name
 * unless `name` says otherwise; `extraArgs` go after the flag on every run (a required argument).
 */
export function itRejectsBadFlags(
  target: Target,
  file: string,
  flags: BadFlag[],
  options: { name?: string; extraArgs?: string[] } = {},
): void {
  for (const [label, args, pattern] of flags) {
    itUses(target, [file], `${options.name ?? file} rejects ${label} with exit 2 and one line`, async (t) => {
      // Checks the flag contract: usage errors exit 2 with a single line on stderr, no stack trace.
      await expectOneLineError(start(t, target, file, [...args, ...(options.extraArgs ?? [])]), 2, pattern);
    });
  }
}
