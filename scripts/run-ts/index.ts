// How the repository starts a TypeScript program. `node --import tsx FILE` costs ~0.3 s of CPU
// more than plain node at every start, and the runner, the test harness and the grader start
// hundreds of programs, so that is where their time went (measured by `npm run bench`). Instead:
// - typescriptLoaderArgs(): `node --enable-source-maps --import scripts/run-ts/register.mjs FILE`,
//   which transpiles with esbuild (as tsx does) once, cached by content, and keeps FILE's URL;
// - nodeArgsFor(FILE, true), for a folder we may write into (the grader's staging copy): FILE is
//   transpiled to `.NAME.mjs` beside it and runs as plain JavaScript, with no loader to start.
// SOCKET_LESSONS_RUN_TS=tsx brings back `--import tsx` everywhere (the benchmark's "before").

import { renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { transpileFile } from './transpile.mjs';

const REGISTER = new URL('register.mjs', import.meta.url).href;

/** Node's arguments before the program's file name: the loader that runs TypeScript. */
export function typescriptLoaderArgs(): string[] {
  return process.env.SOCKET_LESSONS_RUN_TS === 'tsx' ? ['--import', 'tsx'] : ['--enable-source-maps', '--import', REGISTER];
}

/**
 * Node's arguments to run the TypeScript program `file`. With `writable`, its folder is ours to
 * write into, and the program runs as the JavaScript `.NAME.mjs` beside it: same folder, so
 * import.meta.url and package resolution are unchanged, and with a source map, so a stack trace
 * names FILE's lines. A file esbuild cannot transpile runs through the loader, which then reports
 * the error as the program's own, as tsx would.
 */
export function nodeArgsFor(file: string, writable: boolean): string[] {
  if (writable && process.env.SOCKET_LESSONS_RUN_TS !== 'tsx' && /\.m?ts$/.test(file)) {
    const js = path.join(path.dirname(file), `.${path.basename(file)}.mjs`);
    try {
      const source = statSync(file);
      if ((statSync(js, { throwIfNoEntry: false })?.mtimeMs ?? -1) < source.mtimeMs) {
        const temporary = `${js}.${process.pid}.tmp`;
        writeFileSync(temporary, transpileFile(file));
        renameSync(temporary, js);
      }
      return ['--enable-source-maps', js];
    } catch {
      // fall through to the loader
    }
  }
  return [...typescriptLoaderArgs(), file];
}

/**
 * Why esbuild cannot transpile the TypeScript program `file` (a syntax error), or undefined when
 * it can or `file` is no TypeScript: the error `nodeArgsFor()`'s loader would end the program with.
 */
export function transpileError(file: string): Error | undefined {
  if (process.env.SOCKET_LESSONS_RUN_TS === 'tsx' || !/\.m?ts$/.test(file)) return undefined;
  try {
    transpileFile(file);
    return undefined;
  } catch (err) {
    // Not a file we can read: the program's own start says what is wrong.
    return (err as { errors?: unknown[] }).errors ? (err as Error) : undefined;
  }
}
