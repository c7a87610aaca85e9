// The root README's lesson table, generated from the manifests between two markers:
//   <!-- lessons:begin --> ... <!-- lessons:end -->
// in README.md and, when it exists, in its Chinese edition README.zh-CN.md, whose table is the same
// except that a lesson with a Chinese README is linked to it (the link scripts/translation.ts expects).
// `npm run check -- --write-table` rewrites both (npm run new-lesson does so too), and the
// repository's tests fail when one has drifted from the manifests.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Lesson, REPO_ROOT } from './manifest.ts';
import { TRANSLATED_SUFFIX, translationOf } from './translation.ts';

export const README_FILE = path.join(REPO_ROOT, 'README.md');
const BEGIN = '<!-- lessons:begin -->';
const END = '<!-- lessons:end -->';
const HEADER = '| Lesson | Title | Ports | Programs |\n|---|---|---|---|';

/** The root READMEs that hold the lesson table: README.md, and README.zh-CN.md when it exists. */
export function tableFiles(): string[] {
  return [README_FILE, translationOf(README_FILE)].filter((file, i) => i === 0 || existsSync(file));
}

/** The lesson README a table in `readme` links: the Chinese one from the Chinese edition, where the lesson has one. */
function linkedReadme(lesson: Lesson, readme: string): string {
  const chinese = translationOf(path.join(lesson.dir, 'README.md'));
  return readme.endsWith(TRANSLATED_SUFFIX) && existsSync(chinese) ? path.basename(chinese) : 'README.md';
}

/** One row: the lesson linked to its README (as `readme` links it), its title, the notes it ports, its program files. */
export function tableRow(lesson: Lesson, readme = README_FILE): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const ports = lesson.ports.map((p) => `note \`${p.note}\` ${p.short ?? p.section}`).join('; ');
  const programs = [...new Set(lesson.programs.map((p) => p.file))].map((file) => {
    const roles = lesson.programs.filter((p) => p.file === file).map((p) => p.role);
    return roles.length === 1
      ? `\`${file}\``
      : `\`${file}\` (run ${roles.length === 2 ? 'twice' : `${roles.length} times`}: ${roles.slice(0, -1).join(', ')} and ${roles.at(-1)})`;
  });
  return `| [${lesson.id}](lessons/${lesson.id}/${linkedReadme(lesson, readme)}) | ${cell(lesson.title)} | ${cell(ports)} | ${programs.join(', ')} |`;
}

/** The whole table as `readme` (README.md or README.zh-CN.md) shows it. */
export function lessonTable(lessons: Lesson[], readme = README_FILE): string {
  return [HEADER, ...lessons.map((lesson) => tableRow(lesson, readme))].join('\n');
}

/** The table between the markers of `readme`, or undefined when the markers are missing. */
function currentTable(readme: string): string | undefined {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  return start < 0 || end < start ? undefined : readme.slice(start + BEGIN.length, end).trim();
}

/**
 * What is wrong with the table in `readme` (the text of `file`, README.md or README.zh-CN.md): for
 * one lesson (`id`) its row, otherwise the whole table. Each problem says how to fix it.
 */
export function tableProblems(readme: string, lessons: Lesson[], id?: string, file = README_FILE): string[] {
  const table = currentTable(readme);
  const name = path.basename(file);
  const fix = 'npm run check -- --write-table';
  if (table === undefined) return [`${name} has no ${BEGIN} ... ${END} markers around the lesson table`];
  if (id === undefined) return table === lessonTable(lessons, file) ? [] : [`${name}: the lesson table differs from the manifests: ${fix}`];
  const lesson = lessons.find((l) => l.id === id);
  if (!lesson) return [];
  const row = table.split('\n').find((line) => line.startsWith(`| [${id}]`));
  if (row === undefined) return [`${name}: the lesson table has no row for ${id}: ${fix}`];
  return row === tableRow(lesson, file) ? [] : [`${name}: the lesson table's row for ${id} differs from its manifest: ${fix}`];
}

/** Rewrites the table in README.md and README.zh-CN.md (those of `files` there are) from `lessons`; returns the files it changed. */
export function writeTable(lessons: Lesson[], files = tableFiles()): string[] {
  return files.filter((file) => {
    const readme = readFileSync(file, 'utf8');
    if (currentTable(readme) === undefined)
      throw new Error(`${path.basename(file)} has no ${BEGIN} ... ${END} markers around the lesson table`);
    const start = readme.indexOf(BEGIN) + BEGIN.length;
    const updated = `${readme.slice(0, start)}\n${lessonTable(lessons, file)}\n${readme.slice(readme.indexOf(END))}`;
    if (updated === readme) return false;
    writeFileSync(file, updated);
    return true;
  });
}
