// The course book in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core;
// no browser is downloaded) opens the built book from file://, finds every lesson in the index, follows
// the next links from the first lesson to the last, sees highlighted code, each lesson's sequence
// diagram and no console error, and saves screenshots of a lesson page at desktop and phone width to dist/book-screenshots/.

import assert from 'node:assert/strict';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildBook, lessonLabel, lessonPage } from '../scripts/book/build.ts';
import { loadLessons, REPO_ROOT } from '../scripts/manifest.ts';

const INSTALL = 'apt-get install -y chromium';
const SCREENSHOTS = path.join(REPO_ROOT, 'dist', 'book-screenshots');
const STEP_TIMEOUT_MS = 15_000;

it('the book works in Chromium: every lesson listed, next links first to last, highlighted code, no console error', {
  timeout: 120_000,
}, async (t) => {
  const executablePath = findChromium();
  if (!executablePath) {
    // CI installs Chromium (.ci/run); there a missing browser is a failure, not a skip.
    assert.ok(!process.env.CI, `Chromium is not installed, so the browser test cannot run: ${INSTALL}`);
    t.skip(`Chromium is not installed: ${INSTALL}`);
    return;
  }
  const lessons = loadLessons();
  const dir = mkdtempSync(path.join(tmpdir(), 'book-browser-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  buildBook(dir);

  // Running as root (CI, containers) needs --no-sandbox.
  const browser: Browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 30_000 });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  // Everything comes from the book's folder: a request anywhere else means the book needs a network.
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) errors.push(`${page.url()}: fetched ${request.url()}`);
  });
  page.on('requestfailed', (request) => errors.push(`${page.url()}: could not load ${request.url()}`));

  await page.goto(pathToFileURL(path.join(dir, 'index.html')).href);
  const listed = await page
    .locator('ol.lessons > li > a')
    .evaluateAll((links) => links.map((a) => [a.getAttribute('href'), a.textContent]));
  assert.deepEqual(
    listed,
    lessons.map((l) => [lessonPage(l), lessonLabel(l)]),
    'the index lists every lesson, in order',
  );
  assert.ok((await page.locator('table.glossary tbody tr').count()) > 0, 'the index has its glossary');

  // From the index to the first lesson, then next, next, ... until a page has no next link.
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

  // Screenshots of a lesson page, for a person to look at: its top (title, prev/next), its first
  // highlighted code, and a wide table on a phone.
  const shown = lessons.find((l) => l.id.startsWith('04')) ?? lessons[0]!;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.goto(pathToFileURL(path.join(dir, lessonPage(shown))).href);
  const saved: string[] = [];
  const shoot = async (name: string, scrollTo?: string): Promise<void> => {
    if (scrollTo)
      await page
        .locator(scrollTo)
        .first()
        .evaluate((e) => e.scrollIntoView());
    else await page.evaluate(() => window.scrollTo(0, 0));
    saved.push(path.join(SCREENSHOTS, `${shown.id}-${name}.png`));
    await page.screenshot({ path: saved.at(-1)! });
  };
  await shoot('desktop');
  await shoot('desktop-code', (await page.locator('p.code-source').count()) > 0 ? 'p.code-source' : 'main h1');
  await shoot('desktop-diagram', 'figure.diagram');
  await page.setViewportSize({ width: 390, height: 844 });
  await shoot('phone');
  await shoot('phone-table', 'table');
  t.diagnostic(`screenshots: ${saved.join(' ')}`);

  assert.deepEqual(errors, [], 'console errors, failed or network requests');
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

/** Debian's chromium on PATH (CHROMIUM_PATH overrides); undefined when there is none. */
function findChromium(): string | undefined {
  const candidates = process.env.CHROMIUM_PATH
    ? [process.env.CHROMIUM_PATH]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((d) => path.join(d, 'chromium'));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
