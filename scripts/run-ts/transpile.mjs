// Turns one TypeScript file into JavaScript with esbuild, the transform tsx uses, and keeps the
// result in a cache keyed by the source's content: a program started again (every test, every
// student of a class) costs a file read instead of a TypeScript toolchain. Plain JavaScript, so
// that it runs in a bare `node` before any TypeScript support is loaded.

import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const ESBUILD_VERSION = JSON.parse(readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version;
// As tsx does for this repository, whose tsconfig.json has target ES2022 and verbatimModuleSyntax.
const OPTIONS = {
  loader: 'ts',
  format: 'esm',
  target: `node${process.versions.node.split('.')[0]}`,
  sourcemap: 'inline', // with --enable-source-maps, a stack trace names the .ts file and its lines
  tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } },
  // `import data from './x.json' with { type: 'json' }`: esbuild drops the attribute for target
  // node20 (20.0 had only `assert`), and Node then refuses the JSON. Every Node 20 from 20.10 reads it.
  supported: { 'import-attributes': true },
};
const CACHE_DIR = cacheDir();

/** The JavaScript for the TypeScript source `source` of the file `file` (the name goes into the source map). */
export function transpile(source, file) {
  const name = path.basename(file); // relative to the module itself, so one entry serves every copy of a program
  const key = createHash('sha256')
    .update(JSON.stringify([ESBUILD_VERSION, OPTIONS, name, source]))
    .digest('hex');
  const cached = CACHE_DIR && path.join(CACHE_DIR, `${key}.mjs`);
  if (cached) {
    try {
      return readFileSync(cached, 'utf8');
    } catch {
      // not made yet
    }
  }
  // The benchmark counts the transpiles a grading runs (SOCKET_LESSONS_SPAWN_LOG, scripts/runtime/child.ts).
  if (process.env.SOCKET_LESSONS_SPAWN_LOG)
    appendFileSync(process.env.SOCKET_LESSONS_SPAWN_LOG, `${JSON.stringify(['transpile', file])}\n`);
  const { code } = require('esbuild').transformSync(source, { ...OPTIONS, sourcefile: name });
  if (cached) {
    try {
      // Written under a temporary name and renamed: another process may be writing the same entry.
      const temporary = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(temporary, code);
      renameSync(temporary, cached);
    } catch {
      // a cache that cannot be written only costs speed
    }
  }
  return code;
}

/** transpile() for a file on disk. */
export function transpileFile(file) {
  return transpile(readFileSync(file, 'utf8'), file);
}

function cacheDir() {
  const candidates = [
    path.join(path.dirname(require.resolve('esbuild/package.json')), '..', '.cache', 'socket-lessons-ts'),
    path.join(os.tmpdir(), `socket-lessons-ts-${os.userInfo().uid}`),
  ];
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
