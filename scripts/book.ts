// `npm run book`: builds the course book, every lesson's README as a page in English and, where it is
// translated, in Chinese, into dist/book/ (git-ignored).
//   npm run book                        then open dist/book/index.html in a browser (it works offline, from file://)
//   npm run book -- --out DIR           somewhere else
//   npm run book -- --pdf [FILE]        also print the one-page view (print.html) to FILE (default dist/book.pdf)
//   npm run book -- --pdf --lang zh     the Chinese view (print.zh-CN.html; default dist/book.zh-CN.pdf)
// Exit 1 when something could not be resolved (a link to nowhere, a missing code region); the book is
// written all the same so the problem can be seen in it. Exit 1 too when no PDF could be printed.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuiltBook, buildBook, printPage } from './book/build.ts';
import { CHROMIUM_INSTALL, findChromium, printPdf } from './book/pdf.ts';
import { exitQuietlyOnClosedStdout, parseCommandLine, usageError } from './cli.ts';
import { REPO_ROOT } from './manifest.ts';

const USAGE = `usage: npm run book [-- --out DIR] [--pdf [FILE] [--lang en|zh]]
Builds the course book into DIR (default dist/book): an index, one page per lesson in English and
Chinese, a one-page print view, the lessons' files. --pdf prints that view to FILE with Chromium
(default dist/book.pdf, or dist/book.zh-CN.pdf with --lang zh).`;

exitQuietlyOnClosedStdout();
const { values, positionals } = parseCommandLine('book', {
  options: {
    out: { type: 'string' },
    pdf: { type: 'boolean', default: false },
    lang: { type: 'string', default: 'en' },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals.length > (values.pdf ? 1 : 0))
  usageError('book', `unexpected argument '${positionals.at(-1)}' (the PDF's file follows --pdf)`);
if (values.lang !== 'en' && values.lang !== 'zh') usageError('book', `--lang must be en or zh, not '${values.lang}'`);
const lang = values.lang === 'zh' ? 'zh-CN' : 'en';

// npm runs scripts from the repository's root; INIT_CWD is where the user typed the command.
const cwd = process.env.INIT_CWD ?? process.cwd();
const out = values.out === undefined ? path.join(REPO_ROOT, 'dist', 'book') : path.resolve(cwd, values.out);
const pdf =
  positionals[0] === undefined
    ? path.join(REPO_ROOT, 'dist', lang === 'en' ? 'book.pdf' : 'book.zh-CN.pdf')
    : path.resolve(cwd, positionals[0]);
// Before building: a PDF asked for without a browser to print it is one line and exit 1, not a stack.
if (values.pdf && !findChromium()) {
  console.error(`book: Chromium is not installed, so no PDF can be printed: ${CHROMIUM_INSTALL}`);
  process.exit(1);
}
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
if (values.pdf) {
  const view = path.join(book.dir, printPage(lang));
  if (!book.pages.includes(printPage(lang))) {
    console.error(`book: no ${printPage(lang)}: no lesson is translated yet`);
    process.exit(1);
  }
  try {
    await printPdf(view, pdf);
    console.log(`book: PDF of ${printPage(lang)} written to ${pdf}`);
  } catch (err) {
    console.error(`book: no PDF: ${(err as Error).message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
