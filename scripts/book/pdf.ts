// The book as a PDF: the one-page print view (print.html) printed by headless Chromium, the same Debian
// `chromium` that tests/book-browser.test.ts drives through playwright-core (which downloads no browser).

import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_INSTALL = 'apt-get install -y chromium';

/** Debian's chromium on PATH (CHROMIUM_PATH overrides); undefined when there is none. */
export function findChromium(): string | undefined {
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

/** Headless Chromium; running as root (CI, containers) needs --no-sandbox. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 30_000 });
}

/** Prints `htmlFile` (the print view) to `pdfFile` on A4, with page numbers; `browser` is launched when not given. */
export async function printPdf(htmlFile: string, pdfFile: string, browser?: Browser): Promise<void> {
  let own: Browser | undefined;
  if (!browser) {
    const executablePath = findChromium();
    if (!executablePath) throw new Error(`Chromium is not installed, so no PDF can be printed: ${CHROMIUM_INSTALL}`);
    browser = own = await launchChromium(executablePath);
  }
  try {
    // A light page whatever the system's setting: paper is white.
    const page = await browser.newPage({ colorScheme: 'light' });
    page.setDefaultTimeout(120_000);
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load', timeout: 60_000 });
    await page.evaluate('document.fonts.ready'); // the CJK font, before the first page is laid out
    await page.pdf({
      path: pdfFile,
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate:
        '<div style="font-size:8px;width:100%;text-align:center;color:#59636e"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
      margin: { top: '1.5cm', bottom: '1.5cm', left: '1.5cm', right: '1.5cm' },
    });
    await page.close();
  } finally {
    await own?.close();
  }
}
