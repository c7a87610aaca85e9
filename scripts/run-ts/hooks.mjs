// Module hooks that run TypeScript files (.ts, .mts) through transpile.mjs: the part of tsx that
// the course's programs need, without its start-up cost. Registered by register.mjs.

import { fileURLToPath } from 'node:url';
import { transpileFile } from './transpile.mjs';

const TYPESCRIPT = /\.m?ts$/;

/** As tsx: `./util.js` may name `./util.ts`, and a relative import may leave out `.ts`. */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const relative = /^\.{1,2}\//.test(specifier) || specifier.startsWith('/') || specifier.startsWith('file:');
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !relative || !context.parentURL || !TYPESCRIPT.test(context.parentURL)) throw err;
    for (const candidate of [specifier.replace(/\.(m?)js$/, '.$1ts'), `${specifier}.ts`]) {
      if (candidate === specifier) continue;
      try {
        return await nextResolve(candidate, context);
      } catch {
        // try the next one
      }
    }
    throw err;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return nextLoad(url, context);
  return { format: 'module', source: transpileFile(fileURLToPath(url)), shortCircuit: true };
}
