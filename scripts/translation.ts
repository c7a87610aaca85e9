// The Chinese edition (中文版): each README.md has a README.zh-CN.md beside it. A translation must
// keep the shape of its source (the same sections in the same order, the same code regions and
// diagrams, as many errata rows, the same links) and say which version of the source it
// translates: its first line is a stamp with a short hash of every English section,
//   <!-- translation of README.md: what-tcp-gives-you=1a2b3c4d errata=5e6f7a8b ... -->
// so that changing an English section without its translation fails with one line naming the
// sections that changed. After updating a translation, record the new source version with
//   node --import tsx scripts/translation.ts --stamp lessons/04-tcp-server/README.zh-CN.md
// (every translation when no file is named); `npm test` runs the check. `--missing` lists the
// translations not written yet. The code blocks and links of a translation are checked as its
// source's are (scripts/contract.ts, tests/book-links.test.ts); `scripts/regions.ts --write` and
// `npm run check -- --write-table` rewrite its code blocks and lesson table too.
// Each lesson.json's "zh-CN" block (the runner's and grader's Chinese) is stamped the same way, in
// its `translates` line: `--stamp-manifests` writes it, the manifest check compares it.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { slug } from 'github-slugger';
import { LESSONS_DIR, type Lesson, loadLessons, manifestStamp, REPO_ROOT, readStamp, shortHash } from './manifest.ts';

export const TRANSLATED_SUFFIX = '.zh-CN.md';
const STAMP = /^<!-- translation of (\S+): ([^>]*?) -->\n/;
/** A code include, a generated block (diagram, lesson table) or any fenced block: its body is checked elsewhere or shared. */
const FENCE = /^```[\s\S]*?^```$/gm;
const HEADING = /^(#{1,6}) (.+)$/gm;
const LINK = /\]\(([^)\s]+)(?: "[^"]*")?\)/g;
const CODE_MARKER = /^<!-- code: (\S+) -->$/gm;
const MERMAID = /^```mermaid\n[\s\S]*?^```$/gm;

/** The English README files that must have a translation: the root README and every lesson's. */
export function translatedSources(root = REPO_ROOT): string[] {
  return [path.join(root, 'README.md'), ...loadLessons().map((lesson) => path.join(lesson.dir, 'README.md'))];
}

/** The translation's path for an English markdown file: README.md → README.zh-CN.md. */
export function translationOf(source: string): string {
  return source.replace(/\.md$/, TRANSLATED_SUFFIX);
}

/** `files` each followed by its translation where it has one: what the code-sync and link checks read. */
export function withTranslations(files: string[]): string[] {
  return files.flatMap((file) => [file, translationOf(file)].filter((f, i) => i === 0 || existsSync(f)));
}

/**
 * The English READMEs (of `sources`, every one that must be translated when not given) with no
 * translation yet. Not a rule of `npm test` while the editions are being written; the lead makes it
 * one (an empty list required) when every edition has landed.
 */
export function missingTranslations(sources = translatedSources()): string[] {
  return sources.filter((source) => !existsSync(translationOf(source)));
}

export interface Section {
  id: string; // the English heading's slug ('' for what comes before the first heading)
  level: number;
  title: string;
  body: string;
}

/** The sections of a markdown text, split at every heading outside fenced blocks. */
export function sections(markdown: string): Section[] {
  const masked = markdown.replace(FENCE, (block) => block.replace(/[^\n]/g, ' '));
  const starts = [...masked.matchAll(HEADING)];
  const result: Section[] = [{ id: '', level: 0, title: '', body: markdown.slice(0, starts[0]?.index ?? markdown.length) }];
  starts.forEach((match, i) => {
    const end = starts[i + 1]?.index ?? markdown.length;
    const title = markdown.slice(match.index + match[1]!.length + 1, match.index + match[0].length);
    result.push({ id: slug(title), level: match[1]!.length, title, body: markdown.slice(match.index, end) });
  });
  return result;
}

/** A short hash of what a translator must follow in an English section: its prose, not the code it includes. */
function sectionHash(section: Section): string {
  const prose = section.body.replace(FENCE, '```');
  return shortHash(prose);
}

/** Each English section's id (made unique by position where two headings share a title) and hash. */
function sourceVersion(markdown: string): Map<string, string> {
  const version = new Map<string, string>();
  for (const section of sections(markdown)) {
    let id = section.id || 'top';
    for (let n = 2; version.has(id); n++) id = `${section.id || 'top'}-${n}`;
    version.set(id, sectionHash(section));
  }
  return version;
}

/** The stamp line that records `source`'s current version. */
export function stampFor(source: string): string {
  const version = [...sourceVersion(readFileSync(source, 'utf8'))].map(([id, hash]) => `${id}=${hash}`).join(' ');
  return `<!-- translation of ${path.basename(source)}: ${version} -->\n`;
}

/** Writes the current source version into the translation's stamp (after the translation was brought up to date). */
export function writeStamp(translation: string): void {
  const source = translation.replace(new RegExp(`${TRANSLATED_SUFFIX.replace(/\./g, '\\.')}$`), '.md');
  const text = readFileSync(translation, 'utf8');
  writeFileSync(translation, stampFor(source) + text.replace(STAMP, ''));
}

/** What is wrong with `source`'s translation, one line each (empty: it is complete and up to date). */
export function translationProblems(source: string): string[] {
  const translation = translationOf(source);
  const rel = (file: string): string => path.relative(REPO_ROOT, file);
  if (!existsSync(translation)) return [`${rel(source)}: no Chinese translation ${rel(translation)}`];
  const english = readFileSync(source, 'utf8');
  const chinese = readFileSync(translation, 'utf8');
  const problems: string[] = [];
  const say = (what: string): void => {
    problems.push(`${rel(translation)}: ${what}`);
  };

  const stamp = STAMP.exec(chinese);
  if (!stamp) say(`its first line must be the stamp '<!-- translation of ${path.basename(source)}: ... -->' (write it with --stamp)`);
  else {
    const recorded = readStamp(stamp[2]!);
    const current = sourceVersion(english);
    const changed = [...current].filter(([id, hash]) => recorded.get(id) !== hash).map(([id]) => id);
    const removed = [...recorded.keys()].filter((id) => !current.has(id));
    if (changed.length > 0 || removed.length > 0) {
      const parts = [
        changed.length > 0 ? `changed: ${changed.join(', ')}` : '',
        removed.length > 0 ? `removed: ${removed.join(', ')}` : '',
      ].filter(Boolean);
      say(
        `translates an older ${path.basename(source)} (sections ${parts.join('; ')}); update them, then run: node --import tsx scripts/translation.ts --stamp ${rel(translation)}`,
      );
    }
  }

  const [en, zh] = [sections(english), sections(chinese.replace(STAMP, ''))];
  const levels = (list: Section[]): string => list.map((s) => s.level).join(',');
  if (levels(en) !== levels(zh)) {
    const at = en.findIndex((s, i) => zh[i]?.level !== s.level);
    say(
      `has ${zh.length - 1} headings where ${path.basename(source)} has ${en.length - 1}, or at other levels; the first that differs: '${en[at]?.title ?? zh[at]?.title}'`,
    );
  }
  same(
    'code regions',
    [...english.matchAll(CODE_MARKER)].map((m) => m[1]!),
    [...chinese.matchAll(CODE_MARKER)].map((m) => m[1]!),
  );
  same(
    'diagrams',
    [...english.matchAll(MERMAID)].map((m) => m[0]),
    [...chinese.matchAll(MERMAID)].map((m) => m[0]),
  );
  // Sections are matched by position (the headings match one for one): in each, as many table lines
  // and as many top-level list items as the English. A paragraph, list or table pasted twice, or one
  // left out, shows up here even where the headings still match.
  const rows = (section: Section | undefined): number => section?.body.replace(FENCE, '').match(/^\|.*\|$/gm)?.length ?? 0;
  const items = (section: Section | undefined): number => section?.body.replace(FENCE, '').match(/^(?:[-*]|\d+\.) /gm)?.length ?? 0;
  for (const [i, section] of en.entries()) {
    const named = `its section '${zh[i]?.title ?? section.title}' has`;
    const where = section.id === 'errata' ? 'its errata table has' : named;
    if (rows(section) !== rows(zh[i])) say(`${where} ${rows(zh[i])} table lines where the English has ${rows(section)}`);
    if (items(section) !== items(zh[i])) say(`${named} ${items(zh[i])} list items where the English has ${items(section)}`);
  }
  const englishLinks = links(english).map((target) => localised(source, target));
  same('links', englishLinks, links(chinese));
  if (!targets(english).includes(path.basename(translation)))
    problems.push(`${rel(source)}: no link to its translation ${path.basename(translation)} at the top`);
  if (!targets(chinese).includes(path.basename(source))) say(`no link back to ${path.basename(source)} at the top`);
  return problems;

  function same(what: string, expected: string[], actual: string[]): void {
    if (expected.join('\n') === actual.join('\n')) return;
    const missing = expected.filter((item) => !actual.includes(item));
    const extra = actual.filter((item) => !expected.includes(item));
    const detail = [missing.length > 0 ? `missing ${short(missing)}` : '', extra.length > 0 ? `extra ${short(extra)}` : ''].filter(Boolean);
    say(`its ${what} differ from the English (${detail.join('; ') || 'another order'})`);
  }
}

/** Link targets outside fenced blocks, without their #anchor (headings have other ids in the other language), the language switch left out. */
function links(markdown: string): string[] {
  return targets(markdown).filter((target) => target !== '' && !/^README(\.zh-CN)?\.md$/.test(target));
}

/** Every link target outside fenced blocks, without its #anchor. */
function targets(markdown: string): string[] {
  return [...markdown.replace(FENCE, '').matchAll(LINK)].map((m) => m[1]!.replace(/#.*$/, ''));
}

/** Where the Chinese edition links for an English link: to the translation of a page that has one. */
function localised(source: string, target: string): string {
  if (/^[a-z]+:/.test(target) || !target.endsWith('.md')) return target;
  const translated = translationOf(target);
  return existsSync(path.resolve(path.dirname(source), translated)) ? translated : target;
}

function short(items: string[]): string {
  return items
    .slice(0, 3)
    .map((item) => `'${item.split('\n')[0]!.slice(0, 40)}'`)
    .join(', ');
}

/**
 * Writes the current English version into a lesson.json's "zh-CN" block (its `translates` line), after
 * the Chinese was brought up to date. The line is replaced or inserted as text, so the file keeps its layout.
 */
export function writeManifestStamp(file: string): void {
  const text = readFileSync(file, 'utf8');
  const line = `"translates": ${JSON.stringify(manifestStamp(JSON.parse(text) as Lesson))},`;
  const stamped = /^(\s*)"translates": "[^"]*",$/m.test(text)
    ? text.replace(/^(\s*)"translates": "[^"]*",$/m, (_, indent: string) => indent + line)
    : text.replace(/^(\s*)"zh-CN": \{\n(\s*)/m, (block: string, _: string, indent: string) => `${block}${line}\n${indent}`);
  if (stamped === text && !text.includes(line)) throw new Error(`${file}: no "zh-CN" block to stamp`);
  writeFileSync(file, stamped);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [flag, ...files] = process.argv.slice(2);
  if (flag === '--stamp-manifests') {
    const manifests =
      files.length > 0
        ? files
        : readdirSync(LESSONS_DIR)
            .map((id) => path.join(LESSONS_DIR, id, 'lesson.json'))
            .filter(existsSync);
    manifests.forEach((file) => writeManifestStamp(path.resolve(file)));
  } else if (flag === '--stamp') {
    const targets = files.length > 0 ? files.map((file) => path.resolve(file)) : translatedSources().map(translationOf).filter(existsSync);
    targets.forEach(writeStamp);
  } else if (flag === '--missing') {
    for (const source of missingTranslations()) console.log(path.relative(REPO_ROOT, translationOf(source)));
  } else if (flag === '--check' || flag === undefined) {
    const problems = translatedSources().flatMap(translationProblems);
    problems.forEach((problem) => console.error(`translation: ${problem}`));
    process.exitCode = problems.length > 0 ? 1 : 0;
  } else {
    console.error('usage: translation.ts [--check | --missing | --stamp [README.zh-CN.md ...] | --stamp-manifests [lesson.json ...]]');
    process.exit(2);
  }
}
