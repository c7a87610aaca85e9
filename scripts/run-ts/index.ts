// How the repository starts a TypeScript program: `node --enable-source-maps --import
// scripts/run-ts/register.mjs FILE`, which transpiles it once (esbuild, cached by content) and then
// starts at the cost of plain node, instead of `node --import tsx FILE`, which costs ~0.3 s of CPU
// more per start (measured by `npm run bench`). The runner, the test harness and the grader start
// hundreds of programs, so that is where their time went.
// SOCKET_LESSONS_RUN_TS=tsx brings back `--import tsx` (the benchmark's "before" figure).

const REGISTER = new URL('register.mjs', import.meta.url).href;

/** Node's arguments before the program's file name: the loader that runs TypeScript. */
export function typescriptLoaderArgs(): string[] {
  return process.env.SOCKET_LESSONS_RUN_TS === 'tsx' ? ['--import', 'tsx'] : ['--enable-source-maps', '--import', REGISTER];
}
