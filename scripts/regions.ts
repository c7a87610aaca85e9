// Code in a lesson README is the tested code: a fenced block right after a marker comment
//   <!-- code: server.ts#listen -->
// must equal the lines between `// #region listen` and `// #endregion listen` of server.ts (a path
// relative to the README), with their common indentation removed and nested markers left out.
// The README stays readable as plain markdown; `npm test` checks the copies, and
//   node --import tsx scripts/regions.ts --write [README.md ...]
// rewrites them from the sources (every lesson README and its Chinese edition README.zh-CN.md,
// when no file is named). A translation's blocks come from the same regions, relative to it.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lesson, loadLessons } from './manifest.ts';
import { withTranslations } from './translation.ts';

const MARKER = /^<!-- code: (\S+?)#([\w-]+) -->\n```(\w*)\n([\s\S]*?)^```$/gm;
const REGION_LINE = /^\s*\/\/ #(end)?region\b/;

export interface CodeInclude {
  file: string; // as written in the marker
  region: string;
  actual: string; // what the README shows
  expected: string | undefined; // what the source region holds; undefined when there is no such region
  problem?: string;
}

/** The text of `// #region NAME` … `// #endregion NAME` in `source`, dedented; undefined if absent. */
export function extractRegion(source: string, name: string): string | undefined {
  const lines = source.split('\n');
  const start = lines.findIndex((line) => line.trim() === `// #region ${name}`);
  const end = lines.findIndex((line, i) => i > start && line.trim() === `// #endregion ${name}`);
  if (start < 0 || end < 0) return undefined;
  const body = lines.slice(start + 1, end).filter((line) => !REGION_LINE.test(line));
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return `${body.map((line) => line.slice(Number.isFinite(indent) ? indent : 0)).join('\n')}\n`;
}

/** The region a marker names, read from FILE relative to the markdown file, or why it cannot be. */
function markedRegion(markdownFile: string, file: string, region: string): { code?: string; problem?: string } {
  const sourceFile = path.resolve(path.dirname(markdownFile), file);
  if (!existsSync(sourceFile)) return { problem: `${file} does not exist` };
  const code = extractRegion(readFileSync(sourceFile, 'utf8'), region);
  return code === undefined ? { problem: `${file} has no region '${region}'` } : { code };
}

/** Every code include of a markdown file, each compared with its source region. */
export function codeIncludes(markdownFile: string): CodeInclude[] {
  const markdown = readFileSync(markdownFile, 'utf8');
  return [...markdown.matchAll(MARKER)].map(([, file, region, , actual]) => {
    const { code, problem } = markedRegion(markdownFile, file!, region!);
    const include: CodeInclude = { file: file!, region: region!, actual: actual!, expected: code, problem };
    if (code !== undefined && code !== actual) include.problem = `the block differs from region '${region}' of ${file}`;
    return include;
  });
}

/**
 * `markdown` (the text of `markdownFile`) with every include block taken from its source region, and
 * what could not be; the book renders this, so it shows the tested code even before a README is fixed.
 */
export function expandIncludes(markdownFile: string, markdown: string): { markdown: string; problems: string[] } {
  const problems: string[] = [];
  const expanded = markdown.replace(MARKER, (block, file: string, region: string, lang: string) => {
    const { code, problem } = markedRegion(markdownFile, file, region);
    if (code === undefined) {
      problems.push(`${markdownFile}: ${problem}`);
      return block;
    }
    return `<!-- code: ${file}#${region} -->\n\`\`\`${lang}\n${code}\`\`\``;
  });
  return { markdown: expanded, problems };
}

/** Rewrites every include block of `markdownFile` from its source; returns what could not be rewritten. */
export function writeIncludes(markdownFile: string): string[] {
  const { markdown, problems } = expandIncludes(markdownFile, readFileSync(markdownFile, 'utf8'));
  writeFileSync(markdownFile, markdown);
  return problems;
}

/** Every lesson's README.md, each followed by its README.zh-CN.md where there is one. */
export function lessonReadmes(lessons: Lesson[] = loadLessons()): string[] {
  return withTranslations(lessons.map((lesson) => path.join(lesson.dir, 'README.md')));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [flag, ...files] = process.argv.slice(2);
  if (flag !== '--write') {
    console.error('usage: regions.ts --write [README.md | README.zh-CN.md ...]');
    process.exit(2);
  }
  const targets = files.length > 0 ? files : lessonReadmes();
  const problems = targets.flatMap(writeIncludes);
  problems.forEach((problem) => console.error(`regions: ${problem}`));
  process.exitCode = problems.length > 0 ? 1 : 0;
}
