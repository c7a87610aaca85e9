// `node --enable-source-maps --import ./scripts/run-ts/register.mjs FILE.ts`: runs a TypeScript
// program the way `--import tsx` does, for the course's programs (ES modules importing node: and
// packages), at the start-up cost of plain node once a program has been transpiled (cached).
// The runner, the tests and the grader start every lesson program this way; see index.ts.

import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
