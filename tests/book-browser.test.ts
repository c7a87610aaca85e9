// The course book in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core;
// no browser is downloaded) opens the built book from file:// and checks what a reader uses: every lesson
// in the index and the next links from first to last with highlighted code and each lesson's sequence diagram; the language switcher
// landing on the same section in the other language and back; the search finding 半关闭 in Chinese and
// half-close in English; the dark theme (system setting, button, kept across a reload); the copy button;
// the one-page print view printed to a PDF with every lesson and Chinese text in it. No request may
// leave file:// and no console error may happen. One browser for all of it. Screenshots of a lesson
// page (desktop, dark, phone) are saved to dist/book-screenshots/ for a person to look at.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { slug } from 'github-slugger';
import type { Page } from 'playwright-core';
import { buildBook, lessonLabel, lessonPage, lessonPageIn } from '../scripts/book/build.ts';
import { CHROMIUM_INSTALL, findChromium, launchChromium, printPdf } from '../scripts/book/pdf.ts';
import { loadLessons, REPO_ROOT } from '../scripts/manifest.ts';
import { runCommand } from '../scripts/runtime/child.ts';
import { sections, translationOf } from '../scripts/translation.ts';

const SCREENSHOTS = path.join(REPO_ROOT, 'dist', 'book-screenshots');
const STEP_TIMEOUT_MS = 15_000;
const PDF_TIMEOUT_MS = 240_000; // 140 A4 pages with a CJK font, on a busy machine
const DARK_BACKGROUND = 'rgb(13, 17, 23)'; // dark.css --bg
const LIGHT_BACKGROUND = 'rgb(255, 255, 255)';
/** Lesson 04's half-close section: its English id, and the id of the same (n-th) heading in Chinese. */
const HALF_CLOSE = 'receiving-from-a-stream-half-close-and-close';

it('the book works in Chromium: lessons, switcher, search, dark theme, copy, PDF; offline, no console error', {
  timeout: PDF_TIMEOUT_MS + 180_000,
}, async (t) => {
  const executablePath = findChromium();
  if (!executablePath) {
    // CI installs Chromium (.ci/run); there a missing browser is a failure, not a skip.
    assert.ok(!process.env.CI, `Chromium is not installed, so the browser test cannot run: ${CHROMIUM_INSTALL}`);
    t.skip(`Chromium is not installed: ${CHROMIUM_INSTALL}`);
    return;
  }
  const lessons = loadLessons();
  const dir = mkdtempSync(path.join(tmpdir(), 'book-browser-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  buildBook(dir);
  const url = (page: string, fragment?: string): string =>
    pathToFileURL(path.join(dir, page)).href + (fragment === undefined ? '' : `#${encodeURIComponent(fragment)}`);

  const browser = await launchChromium(executablePath);
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The copy button may use the clipboard API: let it, where Chromium allows it for file://.
  await context.grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => undefined);
  const errors: string[] = [];
  // Everything comes from the book's folder: a request anywhere else means the book needs a network.
  await context.route('**/*', (route) => {
    if (route.request().url().startsWith('file:')) return route.continue();
    errors.push(`fetched ${route.request().url()}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) errors.push(`${page.url()}: fetched ${request.url()}`);
  });
  page.on('requestfailed', (request) => errors.push(`${page.url()}: could not load ${request.url()}`));

  await t.test('the index lists every lesson; the next links lead from the first to the last; code is highlighted', async () => {
    await page.goto(url('index.html'));
    const listed = await page
      .locator('ol.lessons > li > a')
      .evaluateAll((links) => links.map((a) => [a.getAttribute('href'), a.textContent]));
    assert.deepEqual(
      listed,
      lessons.map((l) => [lessonPage(l), lessonLabel(l)]),
      'the index lists every lesson, in order',
    );
    assert.ok((await page.locator('table.glossary tbody tr').count()) > 0, 'the index has its glossary');
    await page.locator('ol.lessons > li > a').first().click();
    const visited: string[] = [];
    for (;;) {
      await page.waitForLoadState('load');
      visited.push(path.basename(new URL(page.url()).pathname));
      assert.ok(visited.length <= lessons.length, `the next links go on past the last lesson: ${visited.join(' → ')}`);
      await checkLessonPage(page);
      const next = page.locator('nav.pager a[rel="next"]').first();
      if ((await next.count()) === 0) break;
      await next.click();
    }
    assert.deepEqual(visited, lessons.map(lessonPage), 'the next links lead through every lesson in order');
  });

  const lesson04 = lessons.find((l) => l.id.startsWith('04'))!;
  const [en04, zh04] = [lessonPage(lesson04), lessonPageIn(lesson04, 'zh-CN')];
  const readme04 = path.join(lesson04.dir, 'README.md');
  const zhIdOf = (englishId: string): string => {
    const at = sections(readFileSync(readme04, 'utf8')).findIndex((s) => s.id === englishId);
    assert.ok(at > 0, `lesson 04's README has no section #${englishId}`);
    return slug(sections(readFileSync(translationOf(readme04), 'utf8'))[at]!.title);
  };
  const zhHalfClose = zhIdOf(HALF_CLOSE);

  await t.test('the language switcher lands on the same section in the other language, and back', async () => {
    // English → Chinese from a section named in the address.
    await page.goto(url(en04, HALF_CLOSE));
    await page.locator('header a.lang-switch').click();
    await page.waitForURL(url(zh04, zhHalfClose));
    await assertInView(page, zhHalfClose);
    // Chinese → English from the section scrolled to (the errata), not the one in the address.
    const zhErrata = zhIdOf('errata');
    await page.locator(`[id="${zhErrata}"]`).evaluate((h) => h.scrollIntoView());
    await page.locator('header a.lang-switch').click();
    await page.waitForURL(url(en04, 'errata'));
    await assertInView(page, 'errata');
    // A lesson with no Chinese edition says so instead of linking.
    const untranslated = lessons.find((l) => !existsSync(translationOf(path.join(l.dir, 'README.md'))));
    if (untranslated) {
      await page.goto(url(lessonPage(untranslated)));
      assert.equal(
        await page.locator('header .lang-switch.missing').count(),
        1,
        `${untranslated.id}: the switcher says there is no Chinese page`,
      );
    }
  });

  await t.test('searching 半关闭 finds the Chinese half-close section of lesson 04, half-close the English one', async () => {
    for (const [query, target, id] of [
      ['半关闭', zh04, zhHalfClose],
      ['half-close', en04, HALF_CLOSE],
    ] as const) {
      await page.goto(url('index.html'));
      await page.locator('input.search-input').fill(query);
      const href = `${target}#${encodeURIComponent(id)}`;
      const results = page.locator('ol.search-results a');
      await results.first().waitFor();
      const hrefs = await results.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      assert.ok(hrefs.slice(0, 3).includes(href), `'${query}': ${href} among the first three results: ${hrefs.slice(0, 5).join(' ')}`);
      await page.locator(`ol.search-results a[href="${href}"]`).click();
      await page.waitForURL(url(target, id));
      await assertInView(page, id);
    }
  });

  await t.test('the dark theme follows the system setting, the button switches it, and a reload keeps the choice', async () => {
    const background = (): Promise<string> => page.evaluate('getComputedStyle(document.body).backgroundColor') as Promise<string>;
    const property = (name: string): Promise<string> =>
      page.evaluate(`getComputedStyle(document.documentElement).getPropertyValue('${name}').trim()`) as Promise<string>;
    await page.goto(url(en04));
    await page.emulateMedia({ colorScheme: 'light' });
    assert.equal(await background(), LIGHT_BACKGROUND, 'light system setting: light page');
    assert.equal(await property('--diagram-text'), '#1f2328', 'light diagram colours');
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.equal(await background(), DARK_BACKGROUND, 'dark system setting: dark page');
    assert.equal(await property('--diagram-text'), '#e6edf3', 'dark diagram colours');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${lesson04.id}-dark.png`) });
    await page.locator('button.theme-toggle').click();
    assert.equal(await background(), LIGHT_BACKGROUND, 'the button switches the dark page to light');
    await page.reload();
    assert.equal(await background(), LIGHT_BACKGROUND, 'the choice survives a reload');
    await page.locator('button.theme-toggle').click();
    assert.equal(await background(), DARK_BACKGROUND, 'and back to dark');
    await page.evaluate('localStorage.clear()');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await t.test('the copy button puts the code block in the clipboard (or selects it where the clipboard is refused)', async (t) => {
    await page.goto(url(en04));
    const block = page.locator('main pre:has(code.hljs)').nth(1);
    const code = (await block.locator('code').textContent()) ?? '';
    assert.ok(code.length > 20, 'a code block to copy');
    const button = block.locator('button.copy');
    await button.click();
    await page.waitForFunction('document.querySelectorAll("button.copy[data-copied]").length > 0');
    const how = await button.getAttribute('data-copied');
    const copied =
      how === 'clipboard' ? await page.evaluate('navigator.clipboard.readText()') : await page.evaluate('String(window.getSelection())');
    assert.equal(copied, code, `the code, by ${how}`);
    t.diagnostic(`copied by ${how}`);
    // Where the clipboard API is missing (file:// in some browsers), the code is selected and copied.
    await page.reload();
    await page.evaluate("Object.defineProperty(navigator, 'clipboard', { value: undefined })");
    await page.evaluate('window.getSelection().removeAllRanges()');
    await button.click();
    await page.waitForFunction('document.querySelector("button.copy[data-copied]") !== null');
    assert.notEqual(await button.getAttribute('data-copied'), 'clipboard', 'the fallback, without the clipboard API');
    // (A selection's text leaves out the block's final line break.)
    const selected = (await page.evaluate('String(window.getSelection())')) as string;
    assert.equal(selected.replace(/\n$/, ''), code.replace(/\n$/, ''), 'the fallback selects the code');
  });

  await t.test(
    'the print view holds every lesson, and prints to a PDF with every lesson and Chinese in it',
    { timeout: PDF_TIMEOUT_MS },
    async () => {
      const html = readFileSync(path.join(dir, 'print.html'), 'utf8');
      for (const lesson of lessons) {
        assert.match(html, new RegExp(`<section class="print-lesson" id="${lesson.id}"`), `print.html holds ${lesson.id}`);
      }
      const pdf = path.join(dir, 'book.pdf');
      await printPdf(path.join(dir, 'print.html'), pdf, browser);
      const bytes = readFileSync(pdf);
      assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF file');
      const pages = pdfPageCount(pdf, bytes);
      assert.ok(pages >= 2 * lessons.length && pages < 1000, `a plausible page count: ${pages}`);
      const text = pdfText(pdf);
      if (text === undefined) {
        t.diagnostic('pdftotext (poppler-utils) is not installed: the PDF text is not checked');
        assert.ok(bytes.length > 200_000, `a PDF of the whole book, not ${bytes.length} bytes`);
      } else {
        const flat = text.replace(/\s+/g, ' ');
        for (const lesson of lessons) assert.ok(flat.includes(lesson.title), `the PDF holds lesson ${lesson.id}: '${lesson.title}'`);
        // The Chinese terms are text in the PDF (a CJK font embedded), not missing-glyph boxes.
        assert.ok(flat.includes('半关闭') && flat.includes('套接字'), 'the PDF holds Chinese text');
      }
      t.diagnostic(`PDF: ${pages} pages, ${bytes.length} bytes`);
    },
  );

  // Screenshots for a person to look at: a lesson in English and Chinese, its code, a wide table on a phone.
  mkdirSync(SCREENSHOTS, { recursive: true });
  const saved: string[] = [];
  const shoot = async (name: string, scrollTo?: string): Promise<void> => {
    if (scrollTo)
      await page
        .locator(scrollTo)
        .first()
        .evaluate((e) => e.scrollIntoView());
    else await page.evaluate('window.scrollTo(0, 0)');
    saved.push(path.join(SCREENSHOTS, `${lesson04.id}-${name}.png`));
    await page.screenshot({ path: saved.at(-1)! });
  };
  await page.goto(url(en04));
  await shoot('desktop');
  await shoot('desktop-code', (await page.locator('p.code-source').count()) > 0 ? 'p.code-source' : 'main h1');
  await shoot('desktop-diagram', 'figure.diagram');
  await page.goto(url(zh04));
  await shoot('desktop-zh');
  await page.setViewportSize({ width: 390, height: 844 });
  await shoot('phone');
  await shoot('phone-table', 'table');
  t.diagnostic(`screenshots: ${saved.join(' ')}`);

  assert.deepEqual(errors, [], 'console errors, failed or network requests');
});

it('npm run book -- --pdf without Chromium says how to install it, in one line, and exits 1', async () => {
  // Checks the message a reader without a browser gets, before anything is built.
  const result = await runCommand([process.execPath, '--import', 'tsx', 'scripts/book.ts', '--pdf', path.join(tmpdir(), 'never.pdf')], {
    cwd: REPO_ROOT,
    env: { ...process.env, CHROMIUM_PATH: path.join(tmpdir(), 'no-such-chromium') },
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `book: Chromium is not installed, so no PDF can be printed: ${CHROMIUM_INSTALL}\n`);
});

/** A lesson page: its title, and its TypeScript shown highlighted, with the theme's colours applied. */
async function checkLessonPage(page: Page): Promise<void> {
  const where = page.url();
  assert.ok((await page.locator('main h1').count()) === 1, `${where}: one title`);
  // The demo's sequence diagram, drawn as inline SVG at build time (scripts/book/diagrams.ts), is there and has a size.
  const diagram = page.locator('figure.diagram svg');
  assert.equal(await diagram.count(), 1, `${where}: one sequence diagram`);
  const box = await diagram.boundingBox();
  assert.ok(box && box.width > 100 && box.height > 50, `${where}: the sequence diagram is drawn`);
  const typescript = page.locator('pre code.language-typescript, pre code.language-ts');
  if ((await typescript.count()) === 0) return; // a lesson whose README is not written yet has no code
  const keyword = typescript.first().locator('.hljs-keyword').first();
  assert.ok((await keyword.count()) === 1, `${where}: the TypeScript is highlighted`);
  // The stylesheet loaded: a keyword is coloured differently from the text around it.
  const [keywordColour, textColour] = await keyword.evaluate((k) => [getComputedStyle(k).color, getComputedStyle(k.closest('pre')!).color]);
  assert.notEqual(keywordColour, textColour, `${where}: keywords are coloured`);
}

/** The heading with this id is on screen (the page scrolled to it). */
async function assertInView(page: Page, id: string): Promise<void> {
  const heading = page.locator(`[id="${id}"]`);
  assert.equal(await heading.count(), 1, `${page.url()}: a heading #${id}`);
  const top = await heading.evaluate((h) => h.getBoundingClientRect().top);
  const header = await page.locator('header.top').evaluate((h) => h.getBoundingClientRect().bottom);
  assert.ok(
    top >= header && top < 400,
    `${page.url()}: #${id} is near the top of the window, below the header (at ${top}px, header to ${header}px)`,
  );
}

/** The PDF's page count: pdfinfo (poppler-utils) when installed, else its /Type /Page objects. */
function pdfPageCount(file: string, bytes: Buffer): number {
  try {
    return Number(/^Pages:\s+(\d+)/m.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))?.[1]);
  } catch {
    return bytes.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g)?.length ?? 0;
  }
}

/** The PDF's text by pdftotext (poppler-utils); undefined when it is not installed. */
function pdfText(file: string): string | undefined {
  try {
    return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
