// `npm run new-lesson -- NN-slug "Title"`: scaffolds a lesson that passes every repository check as
// it is (npm run check -- NN): its manifest, a server and a client with the standard header and
// flags exchanging one line over TCP, a README with the required headings and a code region, a test
// file on the harness with a lesson suite and an exercise test, the solution (only the file the
// exercise changes) and two known-bad programs; then it regenerates the README's lesson table.
//   npm run new-lesson -- 09-scratch "Scratch" [--note FILE --section TEXT]
//   npm run new-lesson -- --remove 09-scratch     deletes what it made and regenerates the table
// The files come from scripts/lesson-template/; `{{SOLUTION:text}}` in a template is text only the
// solution has. Exit 2 with one line for a wrong command line.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine, usageError } from './cli.ts';
import { BAD_FIXTURES_DIR } from './contract.ts';
import { writeTable } from './lesson-table.ts';
import { LESSONS_DIR as LESSONS, loadCourse, loadLessons, REPO_ROOT, SOLUTIONS_DIR } from './manifest.ts';
import { writeIncludes } from './regions.ts';
import { writeManifestStamp } from './translation.ts';

const TEMPLATES = fileURLToPath(new URL('lesson-template/', import.meta.url));
const USAGE = `usage: npm run new-lesson -- NN-slug "Title" [--note FILE --section TEXT]
       npm run new-lesson -- --remove NN-slug
NN-slug: two digits, a dash, a lower-case slug (09-scratch). --note and --section name what the lesson ports.`;

const { values, positionals } = parseCommandLine('new-lesson', {
  allowPositionals: true,
  options: {
    remove: { type: 'string' },
    note: { type: 'string', default: 'TODO.txt' },
    section: { type: 'string', default: 'TODO: the section this lesson ports' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

if (values.remove !== undefined) {
  if (positionals.length > 0) usageError('new-lesson', '--remove takes one lesson and nothing else');
  remove(values.remove);
} else {
  if (positionals.length !== 2)
    usageError('new-lesson', 'give the lesson\'s folder name and its title: npm run new-lesson -- 09-scratch "Scratch"');
  create(positionals[0]!, positionals[1]!.trim());
}

function create(id: string, title: string): void {
  checkId(id);
  if (title === '') usageError('new-lesson', 'the title is empty');
  const { lessons, broken } = loadCourse();
  const taken = [...lessons, ...broken].find((l) => l.id === id || l.id.slice(0, 2) === id.slice(0, 2));
  if (taken) usageError('new-lesson', `lesson number ${id.slice(0, 2)} is taken by ${taken.id}`);
  for (const dir of [path.join(LESSONS, id), path.join(SOLUTIONS_DIR, id), path.join(BAD_FIXTURES_DIR, id)]) {
    if (existsSync(dir)) usageError('new-lesson', `${path.relative(REPO_ROOT, dir)} already exists`);
  }
  const fill = (text: string, solution = false): string =>
    text
      .replace(/\{\{SOLUTION:([\s\S]*?)\}\}/g, (_, only: string) => (solution ? only : ''))
      .replaceAll('{{ID}}', id)
      .replaceAll('{{NN}}', id.slice(0, 2))
      .replaceAll('{{TITLE_JSON}}', JSON.stringify(title))
      .replaceAll('{{TITLE}}', title)
      .replaceAll('{{NOTE}}', values.note)
      .replaceAll('{{SECTION}}', values.section)
      .replaceAll('{{PORT}}', String(7700 + Number(id.slice(0, 2))));
  const lessonDir = path.relative(REPO_ROOT, path.join(LESSONS, id));
  const template = (name: string): string => readFileSync(path.join(TEMPLATES, name), 'utf8');
  const files: [string, string][] = [
    [`${lessonDir}/lesson.json`, fill(template('lesson.json.tmpl'))],
    [`${lessonDir}/server.ts`, fill(template('server.ts.tmpl'))],
    [`${lessonDir}/client.ts`, fill(template('client.ts.tmpl'))],
    [`${lessonDir}/README.md`, fill(template('README.md.tmpl'))],
    [`${lessonDir}/${id}.test.ts`, fill(template('test.ts.tmpl'))],
    [`solutions/${id}/server.ts`, fill(template('server.ts.tmpl'), true)],
  ];
  for (const bad of readdirSync(path.join(TEMPLATES, 'bad'))) {
    for (const file of readdirSync(path.join(TEMPLATES, 'bad', bad))) {
      files.push([`tests/fixtures/bad/${id}/${bad}/${file.replace(/\.tmpl$/, '')}`, fill(template(`bad/${bad}/${file}`))]);
    }
  }
  for (const [file, text] of files) {
    mkdirSync(path.dirname(path.join(REPO_ROOT, file)), { recursive: true });
    writeFileSync(path.join(REPO_ROOT, file), text);
  }
  writeManifestStamp(path.join(REPO_ROOT, lessonDir, 'lesson.json')); // the template's Chinese translates this English
  formatWithBiome(files.map(([file]) => file).filter((file) => !file.endsWith('.md')));
  const readme = path.join(LESSONS, id, 'README.md');
  const problems = writeIncludes(readme); // the README's code block, from the server's region
  for (const problem of problems) console.error(`new-lesson: ${problem}`);
  writeTable(loadLessons());
  console.log(`new-lesson: made ${id}:\n${files.map(([file]) => `  ${file}`).join('\n')}\n  README.md: its row in the lesson table`);
  console.log(`\nNext: npm run check -- ${id.slice(0, 2)}   then   npm run lesson ${id.slice(0, 2)} -- --demo`);
  console.log(`Remove it again with: npm run new-lesson -- --remove ${id}`);
}

/** Deletes a lesson that is not committed, its solution and known-bad programs, and its table row. */
function remove(id: string): void {
  checkId(id);
  const dirs = [path.join(LESSONS, id), path.join(SOLUTIONS_DIR, id), path.join(BAD_FIXTURES_DIR, id)];
  const present = dirs.filter((dir) => existsSync(dir));
  if (present.length === 0) usageError('new-lesson', `there is no lesson ${id} to remove`);
  const tracked = committedFiles(present);
  if (tracked.length > 0)
    usageError('new-lesson', `${id} is committed (${tracked[0]}${tracked.length > 1 ? ', ...' : ''}): remove it with git rm, not here`);
  for (const dir of present) rmSync(dir, { recursive: true, force: true });
  writeTable(loadLessons());
  console.log(
    `new-lesson: removed ${present.map((dir) => path.relative(REPO_ROOT, dir)).join(', ')} and its row in the README's lesson table`,
  );
}

/**
 * Lays the new files out as `npm run format` would (a title's length changes where lines wrap), so
 * the scaffold passes the format check of `npm test` as it is. Biome is a dev dependency: without
 * it, the files stay as the templates made them.
 */
function formatWithBiome(files: string[]): void {
  let biome: string;
  try {
    biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  } catch {
    return console.error('new-lesson: Biome is not installed, so the new files are not formatted (npm run format does it)');
  }
  try {
    execFileSync(process.execPath, [biome, 'check', '--write', ...files], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (err) {
    console.error(
      `new-lesson: npm run format could not lay out the new files: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`,
    );
  }
}

function checkId(id: string): void {
  if (!/^\d\d-[a-z0-9]+(-[a-z0-9]+)*$/.test(id))
    usageError('new-lesson', `'${id}' is not a lesson folder name: two digits, a dash, a lower-case slug (09-scratch)`);
}

/** Files under `dirs` that git tracks (none when this is no git checkout). */
function committedFiles(dirs: string[]): string[] {
  try {
    return execFileSync('git', ['ls-files', '--', ...dirs], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}
