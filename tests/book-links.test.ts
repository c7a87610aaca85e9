// Links of the course: in README.md, CONTRIBUTING.md (and their Chinese editions README.zh-CN.md …
// where they exist) and every lesson README as a repository browser shows them, and in
// the book built from them (tests/book-browser.test.ts follows them in a real browser). A failure
// names the file, the line or page, and the link.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { buildBook, lessonPage, lessonPageIn } from '../scripts/book/build.ts';
import { checkBookLinks, checkLanguageSwitchers, checkMarkdownLinks } from '../scripts/book/links.ts';
import { loadLessons, REPO_ROOT } from '../scripts/manifest.ts';
import { translationOf, withTranslations } from '../scripts/translation.ts';

const lessons = loadLessons();
// Each lesson README's links are a rule of the lesson contract (scripts/contract.ts, tests/lessons.test.ts).
const markdownFiles = withTranslations(['README.md', 'CONTRIBUTING.md'].map((file) => path.join(REPO_ROOT, file)));

for (const file of markdownFiles) {
  it(`${path.relative(REPO_ROOT, file)}: every relative link and anchor resolves`, () => {
    // Checks links to other lessons, to headings (ids as GitHub and the book make them) and to repository files.
    assert.deepEqual(checkMarkdownLinks(file), []);
  });
}

it('the book has a page for every lesson in each language, a print view, and every link in it resolves offline', (t) => {
  // Checks the built pages themselves, English, Chinese and the print views: lesson to lesson, anchors,
  // source pages, the stylesheet and scripts, no network, and the language switchers' section maps.
  const dir = mkdtempSync(path.join(tmpdir(), 'book-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const book = buildBook(dir);
  assert.deepEqual(book.problems, [], 'what the builder could not resolve');
  const chineseIndex = existsSync(translationOf(path.join(REPO_ROOT, 'README.md')));
  assert.equal(book.pages.includes('index.zh-CN.html'), chineseIndex, 'a Chinese index exactly when README.zh-CN.md exists');
  const prints = ['print.html', 'print.zh-CN.html'].map((page) => readFileSync(path.join(dir, page), 'utf8'));
  for (const lesson of lessons) {
    assert.ok(book.pages.includes(lessonPage(lesson)), `no page for ${lesson.id}`);
    const translated = existsSync(translationOf(path.join(lesson.dir, 'README.md')));
    assert.equal(
      book.pages.includes(lessonPageIn(lesson, 'zh-CN')),
      translated,
      `a Chinese page for ${lesson.id} exactly when it is translated`,
    );
    assert.match(
      readFileSync(path.join(dir, 'index.html'), 'utf8'),
      new RegExp(`href="${lessonPage(lesson)}"`),
      `the index does not link ${lesson.id}`,
    );
    for (const [i, html] of prints.entries()) {
      assert.match(html, new RegExp(`<section class="print-lesson" id="${lesson.id}"`), `the print view ${i} does not hold ${lesson.id}`);
    }
  }
  assert.deepEqual(checkBookLinks(dir, book.pages), []);
  assert.deepEqual(checkLanguageSwitchers(dir, book.pages), []);
});

it('a broken link, anchor or line is reported, naming the file and the link', (t) => {
  // Checks the checkers themselves, on markdown and HTML made for the purpose.
  const dir = mkdtempSync(path.join(tmpdir(), 'book-links-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'b.md'), '# B title\n\n## Same\n\n## Same\n');
  writeFileSync(path.join(dir, 'x.ts'), 'one\ntwo\n');
  writeFileSync(
    path.join(dir, 'a.md'),
    [
      '# A heading',
      '',
      '[ok](b.md#b-title) [ok](b.md#same-1) [ok](#a-heading) [ok](x.ts#L2) [ok](https://example.org/gone)',
      '',
      '[bad](b.md#nope)',
      '',
      '[gone](c.md)',
      '',
      '[self](#zzz)',
      '',
      '[line](x.ts#L3)',
      '',
      '`[code](is-not-a-link.md)`',
      '',
    ].join('\n'),
  );
  assert.deepEqual(checkMarkdownLinks(path.join(dir, 'a.md'), dir), [
    "a.md:5: link 'b.md#nope' names #nope, which is no heading of b.md",
    "a.md:7: link 'c.md' leads to c.md, which does not exist",
    "a.md:9: link '#zzz' names #zzz, which is no heading of a.md",
    "a.md:11: link 'x.ts#L3' names line 3, past the end of x.ts",
  ]);

  mkdirSync(path.join(dir, 'book', 'files'), { recursive: true });
  const page = (body: string): string =>
    `<html><head><link rel="stylesheet" href="https://cdn.example/x.css"></head><body>${body}</body></html>`;
  writeFileSync(
    path.join(dir, 'book', 'one.html'),
    page('<h2 id="here">x</h2><a href="files/two.html#here">ok</a> <a href="files/two.html#there">bad</a> <a href="three.html">gone</a>'),
  );
  writeFileSync(
    path.join(dir, 'book', 'files', 'two.html'),
    page('<p id="here"><a href="../one.html#here">ok</a> <a href="#">nowhere</a></p>'),
  );
  assert.deepEqual(checkBookLinks(path.join(dir, 'book'), ['one.html', 'files/two.html']), [
    "one.html: loads 'https://cdn.example/x.css' from the network",
    "one.html: link 'files/two.html#there' names #there, which is no id of files/two.html",
    "one.html: link 'three.html' leads to three.html, which is not in the book",
    "files/two.html: loads 'https://cdn.example/x.css' from the network",
    "files/two.html: link '#' names #, which is no id of files/two.html",
  ]);
});
