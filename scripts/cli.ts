// Command-line helpers shared by the repository's own commands (lesson, grade, test, book).

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { t } from './i18n/index.ts';

/** One line on stderr, prefixed by the command, and exit 2: the contract for a wrong invocation. */
export function usageError(command: string, text: string): never {
  console.error(`${command}: ${text}`);
  process.exit(2);
}

/** parseArgs that turns its error into usageError, keeping only the first sentence of Node's message. */
export function parseCommandLine<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    usageError(command, (err as Error).message.split(/\.\s/)[0]!);
  }
}

/** A reader that stops early (`| head`) closes our stdout: end quietly instead of crashing on EPIPE. */
export function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/** A whole-number flag from `min` to `max`, or undefined when it was not given; usageError otherwise. */
export function wholeNumber(command: string, flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) usageError(command, t('usage.wholeNumber', { flag, min, max, text }));
  return value;
}
