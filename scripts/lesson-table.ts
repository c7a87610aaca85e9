// The root README's lesson table, generated from the manifests between two markers:
//   <!-- lessons:begin --> ... <!-- lessons:end -->
// `npm run check -- --write-table` rewrites it (npm run new-lesson does so too), and the repository's
// tests fail when it has drifted from the manifests.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Lesson, REPO_ROOT } from './manifest.ts';

export const README_FILE = path.join(REPO_ROOT, 'README.md');
const BEGIN = '<!-- lessons:begin -->';
const END = '<!-- lessons:end -->';
const HEADER = '| Lesson | Title | Ports | Programs |\n|---|---|---|---|';

/** One row: the lesson linked to its README, its title, the notes it ports, its program files. */
export function tableRow(lesson: Lesson): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const ports = lesson.ports.map((p) => `note \`${p.note}\` ${p.short ?? p.section}`).join('; ');
  const programs = [...new Set(lesson.programs.map((p) => p.file))].map((file) => {
    const roles = lesson.programs.filter((p) => p.file === file).map((p) => p.role);
    return roles.length === 1
      ? `\`${file}\``
      : `\`${file}\` (run ${roles.length === 2 ? 'twice' : `${roles.length} times`}: ${roles.slice(0, -1).join(', ')} and ${roles.at(-1)})`;
  });
  return `| [${lesson.id}](lessons/${lesson.id}/README.md) | ${cell(lesson.title)} | ${cell(ports)} | ${programs.join(', ')} |`;
}

export function lessonTable(lessons: Lesson[]): string {
  return [HEADER, ...lessons.map(tableRow)].join('\n');
}

/** The table between the markers of `readme`, or undefined when the markers are missing. */
function currentTable(readme: string): string | undefined {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  return start < 0 || end < start ? undefined : readme.slice(start + BEGIN.length, end).trim();
}

/**
 * What is wrong with the table in `readme`: for one lesson (`id`) its row, otherwise the whole table.
 * Each problem says how to fix it.
 */
export function tableProblems(readme: string, lessons: Lesson[], id?: string): string[] {
  const table = currentTable(readme);
  const fix = 'npm run check -- --write-table';
  if (table === undefined) return [`README.md has no ${BEGIN} ... ${END} markers around the lesson table`];
  if (id === undefined) return table === lessonTable(lessons) ? [] : [`README.md: the lesson table differs from the manifests: ${fix}`];
  const lesson = lessons.find((l) => l.id === id);
  if (!lesson) return [];
  const row = table.split('\n').find((line) => line.startsWith(`| [${id}]`));
  if (row === undefined) return [`README.md: the lesson table has no row for ${id}: ${fix}`];
  return row === tableRow(lesson) ? [] : [`README.md: the lesson table's row for ${id} differs from its manifest: ${fix}`];
}

/** Rewrites the table in README.md from `lessons`; returns whether anything changed. */
export function writeTable(lessons: Lesson[]): boolean {
  const readme = readFileSync(README_FILE, 'utf8');
  if (currentTable(readme) === undefined) throw new Error(`README.md has no ${BEGIN} ... ${END} markers around the lesson table`);
  const start = readme.indexOf(BEGIN) + BEGIN.length;
  const updated = `${readme.slice(0, start)}\n${lessonTable(lessons)}\n${readme.slice(readme.indexOf(END))}`;
  if (updated === readme) return false;
  writeFileSync(README_FILE, updated);
  return true;
}
