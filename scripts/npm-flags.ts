// Flags npm kept for itself. `npm run lesson 04 --demo` (no `--` before the flag) never gives the
// runner --demo: npm takes every flag before `--` as its own configuration, exports it as
// npm_config_demo=true, and passes what followed a flag (`--port 9000`: the 9000) on as a plain
// argument. The runner reads those variables back, for the flags it or the lesson's programs
// know, and says what to type instead.

import { readFileSync } from 'node:fs';
import { t } from './i18n/index.ts';

/** A flag npm took: its name, and its value when it has one (npm's own "true" for a bare flag). */
export interface SwallowedFlag {
  name: string;
  value?: string;
}

/** The flags of a command: each name, and whether it takes a value (`--port PORT`) or not (`--demo`). */
export type FlagTable = Map<string, boolean>;

/** The runner's own flags for a whole lesson (true: takes a value). */
export const LESSON_FLAGS: FlagTable = new Map([
  ['demo', false],
  ['exercise', false],
  ['watch', false],
  ['poll', false],
  ['reset', false],
  ['host', true],
  ['encoding', true],
  ['trace', false],
  ['faults', true],
  ['seed', true],
  ['programs', true],
]);

/** The runner's flags for one program through a relay (--trace-to HOST:PORT, scripts/relay/wiring.ts). */
export const ONE_PROGRAM_FLAGS: FlagTable = new Map([
  ['trace-to', true],
  ['faults', true],
  ['seed', true],
]);

/**
 * The flags a program's usage text names: `--port PORT` takes a value, `--quiet` does not. Every
 * lesson program prints its flags that way (the lesson contract's `--help`), so its source says.
 */
export function programFlags(file: string): FlagTable {
  const flags: FlagTable = new Map();
  let source = '';
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return flags;
  }
  for (const [, name, value] of source.matchAll(/--([a-z][a-z0-9-]*)( [A-Z][A-Z:_]*\b)?/g)) {
    flags.set(name!, (flags.get(name!) ?? false) || value !== undefined);
  }
  return flags;
}

/**
 * What npm took from `npm run lesson ARGS`: the flags of `known` it exported as npm_config_*,
 * and the arguments left once their values are given back to them. Only when npm runs the
 * `lesson` script, so a variable from an outer npm command (npm test) is never mistaken for one.
 */
export function swallowedFlags(
  env: NodeJS.ProcessEnv,
  args: string[],
  known: FlagTable,
  leading: number,
): { flags: SwallowedFlag[]; args: string[] } {
  if (env.npm_lifecycle_event !== 'lesson') return { flags: [], args };
  const rest = [...args];
  const flags: SwallowedFlag[] = [];
  for (const [name, takesValue] of known) {
    const value = env[`npm_config_${name.replaceAll('-', '_')}`];
    if (value === undefined || value === '') continue;
    if (!takesValue) flags.push({ name });
    // A flag npm does not know comes as "true", its value as a plain argument after the names;
    // one npm knows (--message) keeps its value in the variable.
    else if (value !== 'true') flags.push({ name, value });
    else flags.push({ name, ...(rest.length > leading ? { value: rest.splice(leading, 1)[0]! } : {}) });
  }
  return { flags, args: rest };
}

/** The one line that says what npm did and the command to type instead. */
export function swallowedMessage(flags: SwallowedFlag[], args: string[]): string {
  const names = flags.map((f) => `--${f.name}`);
  const words = [...args, '--', ...flags.flatMap((f) => [`--${f.name}`, ...(f.value !== undefined ? [f.value] : [])])];
  const shown = words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`));
  return t('lesson.npmTook', { flags: names, command: shown.join(' ') });
}
