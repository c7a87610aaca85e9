// `npm run book`: builds the course book, every lesson's README as a page, into dist/book/ (git-ignored).
//   npm run book                  then open dist/book/index.html in a browser (it works offline, from file://)
//   npm run book -- --out DIR     somewhere else
// Exit 1 when something could not be resolved (a link to nowhere, a missing code region); the book is
// written all the same so the problem can be seen in it.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuiltBook, buildBook } from './book/build.ts';
import { exitQuietlyOnClosedStdout, parseCommandLine } from './cli.ts';
import { REPO_ROOT } from './manifest.ts';

const USAGE = `usage: npm run book [-- --out DIR]
Builds the course book into DIR (default dist/book): an index, one page per lesson, the lessons' files.`;

exitQuietlyOnClosedStdout();
const { values } = parseCommandLine('book', {
  options: { out: { type: 'string' }, help: { type: 'boolean', default: false } },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

// npm runs scripts from the repository's root; INIT_CWD is where the user typed the command.
const out =
  values.out === undefined ? path.join(REPO_ROOT, 'dist', 'book') : path.resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
let book: BuiltBook;
try {
  book = buildBook(out);
} catch (err) {
  console.error(`book: ${(err as Error).message}`);
  process.exit(1);
}
for (const problem of book.problems) console.error(`book: ${problem}`);
console.log(`book: ${book.pages.length} pages in ${out}`);
console.log(`open ${pathToFileURL(path.join(book.dir, 'index.html')).href}`);
process.exitCode = book.problems.length > 0 ? 1 : 0;
