// `npm run autograder -- LESSON [--out FILE.zip] [--timeout S]`: builds a Gradescope autograder zip
// for one lesson (https://gradescope-autograders.readthedocs.io/en/latest/specs/): setup.sh and
// run_autograder at its root (scripts/autograder/, with the lesson and time limit filled in), and
// the course files grading needs: lessons/, scripts/, the test harness, package.json,
// package-lock.json and tsconfig.json; never node_modules/, work/, dist/ or the solutions. Written by
// scripts/zip.ts, without the zip command. See README.md, "Grading on a platform".

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exitQuietlyOnClosedStdout, parseCommandLine, usageError } from './cli.ts';
import { findLesson, loadCourse, REPO_ROOT } from './manifest.ts';
import { type ZipEntry, zip } from './zip.ts';

export const DEFAULT_TIMEOUT_S = 540;

const USAGE = `usage: npm run autograder -- LESSON [options]
Builds a Gradescope autograder zip that grades LESSON (its full name, number or slug).
options:
  --out FILE        where to write it (default: autograder-LESSON.zip in the current folder)
  --timeout S       stop grading after S seconds and score 0, saying so (default ${DEFAULT_TIMEOUT_S}; keep it
                    below the assignment's own timeout: 10 minutes by default, 40 at most)
  --help`;

/** What grading needs, relative to the repository: folders are taken whole, less SKIPPED. */
export const COURSE_FILES = [
  'lessons',
  'scripts',
  'tests/harness.ts',
  'tests/harness',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
];
const SKIPPED = new Set(['node_modules', 'work', 'dist', '.git']);
const TEMPLATES = path.join(REPO_ROOT, 'scripts', 'autograder');

/** The zip's entries for `lesson`: the two scripts first, then the course's files in path order. */
export function autograderEntries(lesson: string, timeoutS = DEFAULT_TIMEOUT_S): ZipEntry[] {
  const fill = (file: string): Buffer =>
    Buffer.from(readFileSync(path.join(TEMPLATES, file), 'utf8').replaceAll('@LESSON@', lesson).replaceAll('@TIMEOUT@', String(timeoutS)));
  const course = COURSE_FILES.flatMap((relative) => filesUnder(relative)).sort();
  return [
    { name: 'setup.sh', data: fill('setup.sh'), mode: 0o755 },
    { name: 'run_autograder', data: fill('run_autograder'), mode: 0o755 },
    ...course.map((name) => {
      const file = path.join(REPO_ROOT, name);
      return { name, data: readFileSync(file), mode: statSync(file).mode & 0o111 ? 0o755 : 0o644 };
    }),
  ];
}

/** Files under a path of the repository, relative to it with forward slashes. */
function filesUnder(relative: string): string[] {
  const full = path.join(REPO_ROOT, relative);
  const stat = statSync(full, { throwIfNoEntry: false });
  if (!stat) throw new Error(`${relative} is missing from the course`);
  if (stat.isFile()) return [relative];
  return readdirSync(full, { withFileTypes: true })
    .filter((entry) => !SKIPPED.has(entry.name) && !entry.name.endsWith('.log'))
    .flatMap((entry) => (entry.isDirectory() || entry.isFile() ? filesUnder(`${relative}/${entry.name}`) : []));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(REPO_ROOT, 'scripts', 'autograder.ts')) {
  exitQuietlyOnClosedStdout();
  const { values, positionals } = parseCommandLine('autograder', {
    allowPositionals: true,
    options: { out: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (positionals.length !== 1) usageError('autograder', 'give one lesson (npm run autograder -- --help)');
  const course = loadCourse();
  const lesson =
    findLesson(course.lessons, positionals[0]!) ??
    usageError(
      'autograder',
      findLesson(course.broken, positionals[0]!)?.problem ??
        `unknown lesson '${positionals[0]}'; the lessons are: ${course.lessons.map((l) => l.id).join(', ')}`,
    );
  const timeout = values.timeout ?? String(DEFAULT_TIMEOUT_S);
  if (!/^\d+$/.test(timeout) || Number(timeout) < 10 || Number(timeout) > 2400)
    usageError('autograder', `--timeout must be a whole number of seconds from 10 to 2400, not '${timeout}'`);
  const out = path.resolve(values.out ?? `autograder-${lesson.id}.zip`);
  const entries = autograderEntries(lesson.id, Number(timeout));
  writeFileSync(out, zip(entries));
  console.log(`${path.relative(process.cwd(), out) || out}: ${entries.length} files, grading ${lesson.id} (time limit ${timeout} s)`);
  console.log("Upload it on the assignment's Configure Autograder page; worth 100 points (the score is 0-100).");
}
