// The benchmark's temporary folder, work/.bench-XXXX/ (git-ignored, inside the repository so that
// the programs' `iconv-lite` import resolves), and the programs it runs there as plain JavaScript.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WORK_ROOT } from '../manifest.ts';
import { transpileFile } from '../run-ts/transpile.mjs';

const BENCH_DIR = path.dirname(new URL(import.meta.url).pathname);

export class Workspace {
  readonly root: string;

  constructor() {
    mkdirSync(WORK_ROOT, { recursive: true });
    this.root = mkdtempSync(path.join(WORK_ROOT, '.bench-'));
  }

  /**
   * `file` (a lesson program or one of the benchmark's own, in TypeScript) transpiled by esbuild,
   * the transform tsx applies, to `NAME.mjs` here, to run with plain `node` as the baseline is.
   */
  javascript(file: string, name: string): string {
    const out = path.join(this.root, `${name}.mjs`);
    writeFileSync(out, transpileFile(file));
    return out;
  }

  /** One of the benchmark's own programs (scripts/bench/NAME.ts), transpiled. */
  benchProgram(name: string): string {
    return this.javascript(path.join(BENCH_DIR, `${name}.ts`), name);
  }

  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
