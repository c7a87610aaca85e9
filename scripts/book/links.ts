// Link checks for tests/book-links.test.ts, in both places a reader follows links:
// - in the markdown, as a repository browser shows it: a relative link names a file or folder that
//   exists, and its #anchor is a heading of that markdown file (ids made as the book makes them) or
//   a line (#L12) of a source file;
// - in the built book: every relative href and src leads to a file of the book and its #anchor to an
//   id in that page, and nothing is loaded from the network; and each language switcher maps the
//   page's headings one for one onto the other language's page.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../manifest.ts';
import { createMarkdown, headingIds, markdownLinks, splitFragment } from './markdown.ts';

const md = createMarkdown();

/** Problems of the relative links of `markdownFile`, each as `FILE:LINE: link 'LINK' ...`. */
export function checkMarkdownLinks(markdownFile: string, root = REPO_ROOT): string[] {
  const markdown = readFileSync(markdownFile, 'utf8');
  const where = path.relative(root, markdownFile);
  const problems: string[] = [];
  for (const { link, line } of markdownLinks(md, markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) continue; // another site: not ours to check
    const problem = markdownLinkProblem(markdownFile, markdown, link, root);
    if (problem) problems.push(`${where}:${line}: link '${decodeURI(link)}' ${problem}`);
  }
  return problems;
}

function markdownLinkProblem(markdownFile: string, markdown: string, link: string, root: string): string | undefined {
  const [rawPath, fragment] = splitFragment(link);
  const target = rawPath === '' ? markdownFile : path.resolve(path.dirname(markdownFile), decodeURI(rawPath));
  if (path.relative(root, target).startsWith('..')) return 'leads out of the repository';
  if (!existsSync(target)) return `leads to ${path.relative(root, target)}, which does not exist`;
  if (fragment === undefined) return undefined;
  const anchor = decodeURIComponent(fragment);
  if (target.endsWith('.md')) {
    const ids = headingIds(md, target === markdownFile ? markdown : readFileSync(target, 'utf8'));
    return ids.has(anchor) ? undefined : `names #${anchor}, which is no heading of ${path.relative(root, target)}`;
  }
  const line = /^L(\d+)$/.exec(anchor);
  if (line && statSync(target).isFile()) {
    const text = readFileSync(target, 'utf8');
    const count = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    return Number(line[1]) <= count ? undefined : `names line ${line[1]}, past the end of ${path.relative(root, target)}`;
  }
  return `names #${anchor}, but only markdown headings and source lines (#L12) are anchors`;
}

/** Problems of the links of the book's HTML pages (`pages` relative to `dir`), each as `PAGE: ...`. */
export function checkBookLinks(dir: string, pages: string[]): string[] {
  const problems: string[] = [];
  const idsOf = new Map<string, Set<string>>();
  const ids = (page: string): Set<string> => {
    if (!idsOf.has(page)) idsOf.set(page, new Set(attributes(readFileSync(path.join(dir, page), 'utf8'), 'id')));
    return idsOf.get(page)!;
  };
  for (const page of pages.filter((p) => p.endsWith('.html'))) {
    const html = readFileSync(path.join(dir, page), 'utf8');
    // What the page loads (src=, a stylesheet) must be in the book: it opens offline.
    for (const loaded of [...attributes(html, 'src'), ...stylesheets(html)]) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(loaded) && !loaded.startsWith('data:')) problems.push(`${page}: loads '${loaded}' from the network`);
    }
    for (const link of [...attributes(html, 'href'), ...attributes(html, 'src')]) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) continue;
      const [rawPath, fragment] = splitFragment(link);
      const target = rawPath === '' ? page : path.posix.join(path.posix.dirname(page), decodeURI(rawPath));
      if (!existsSync(path.join(dir, target)) || !statSync(path.join(dir, target)).isFile()) {
        problems.push(`${page}: link '${link}' leads to ${target}, which is not in the book`);
      } else if (fragment !== undefined && target.endsWith('.html') && !ids(target).has(decodeURIComponent(fragment))) {
        problems.push(`${page}: link '${link}' names #${decodeURIComponent(fragment)}, which is no id of ${target}`);
      }
    }
  }
  return problems;
}

/** Problems of the language switchers: each page that has one names, for its n-th heading, the n-th heading
 *  of the other language's page (the ids book.js sends the reader to), and both pages have those ids. */
export function checkLanguageSwitchers(dir: string, pages: string[]): string[] {
  const problems: string[] = [];
  for (const page of pages.filter((p) => p.endsWith('.html'))) {
    const html = readFileSync(path.join(dir, page), 'utf8');
    const json = /<script type="application\/json" id="book-page">([\s\S]*?)<\/script>/.exec(html)?.[1];
    if (json === undefined) {
      problems.push(`${page}: no page data for book.js`);
      continue;
    }
    const data = JSON.parse(json) as { ids?: string[]; other?: { href: string; ids: string[] } };
    if (!data.other || !data.ids) continue;
    const target = path.posix.join(path.posix.dirname(page), decodeURI(data.other.href));
    if (!existsSync(path.join(dir, target))) {
      problems.push(`${page}: the language switcher leads to ${target}, which is not in the book`);
      continue;
    }
    const headings = (text: string): string[] =>
      [...text.matchAll(/<h[1-6]\b[^>]*\sid="([^"]*)"/g)].map(([, id]) => id!.replace(/&amp;/g, '&'));
    const [own, other] = [headings(html), headings(readFileSync(path.join(dir, target), 'utf8'))];
    if (data.ids.join('\n') !== own.join('\n')) problems.push(`${page}: the switcher's ids are not the page's headings`);
    if (data.other.ids.join('\n') !== other.join('\n')) problems.push(`${page}: the switcher's ids are not the headings of ${target}`);
    if (own.length !== other.length) problems.push(`${page} has ${own.length} headings and ${target} ${other.length}`);
  }
  return problems;
}

/** The values of one attribute in HTML the book wrote (always double-quoted, escaped by markdown-it or by us). */
function attributes(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`\\s${name}="([^"]*)"`, 'g'))].map(([, value]) => value!.replace(/&amp;/g, '&'));
}

function stylesheets(html: string): string[] {
  return [...html.matchAll(/<link\b[^>]*\brel="stylesheet"[^>]*>/g)].flatMap(([tag]) => attributes(tag, 'href'));
}
