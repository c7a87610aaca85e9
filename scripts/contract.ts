// The lesson contract: every rule a lesson folder follows, written once. The repository's tests
// (tests/lessons.test.ts, tests/grader.test.ts, tests/readme-code.test.ts) and `npm run check -- NN`
// (scripts/check.ts) all run these; CONTRIBUTING.md says the same in prose. A rule returns the
// problems it finds, one line each, saying what to do; an empty list means the rule holds.
// The manifest's own rules (schema, roles, files) are in scripts/manifest.ts, which loads lessons.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkMarkdownLinks } from './book/links.ts';
import { type Grade, type GradeOptions, gradeStaged, Staging } from './grader.ts';
import { tableFiles, tableProblems } from './lesson-table.ts';
import { type Lesson, loadLessons, REPO_ROOT, solutionDir } from './manifest.ts';
import { PRINTABLE_SOURCE, printableCopy } from './printable.ts';
import { codeIncludes } from './regions.ts';
import { parseFaultPlan } from './relay/plan.ts';
import { notRunByDesign } from './report/model.ts';
import { withTranslations } from './translation.ts';

export const FIXTURES_DIR = path.join(REPO_ROOT, 'tests', 'fixtures');
export const BAD_FIXTURES_DIR = path.join(FIXTURES_DIR, 'bad');

/** The level-2 headings every lesson README has, as a pattern and as the heading to add. */
export const REQUIRED_HEADINGS: [RegExp, string][] = [
  [/^## .*Errata/m, '## Errata'],
  [/^## .*Exercise/m, '## Exercise: TITLE'],
  [/^## .*Python.*Node/m, '## Python to Node'],
];
/** What a lesson program may import: it must run when copied anywhere, beside node_modules/iconv-lite. */
const ALLOWED_IMPORT = (specifier: string): boolean => specifier.startsWith('node:') || specifier === 'iconv-lite';
const LAN_ADDRESS = /\b(?:192\.168|10\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01]))\.\d{1,3}\.\d{1,3}\b/;

/** The line near the top of every lesson program's main flow: its own stdout or stderr closing is no error. */
export const CLOSED_STREAM_HANDLER = "for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});";
// A static heuristic for "shows what it received": it listens for datagrams or stream data, and prints.
const RECEIVES = /\.on\(\s*['"](?:message|data)['"]|for await \(const \w+ of (?:socket|connection|client|conn)\b/;
const PRINTS = /\bconsole\.(?:log|error|warn|info)\(|process\.std(?:out|err)\.write\(/;
const CALLS_PRINTABLE = /(?<!function )\bprintable\(/;

/**
 * What is wrong with how the program `file` (its text `source`) shows network text: a printable()
 * that is not the canonical one of scripts/printable.ts, or network input printed without calling it.
 */
export function networkTextProblems(file: string, source: string): string[] {
  const problems: string[] = [];
  const copy = printableCopy(source);
  if (copy !== undefined && copy !== PRINTABLE_SOURCE) {
    const ours = copy.split('\n');
    const canonical = PRINTABLE_SOURCE.split('\n');
    const line = Math.max(
      0,
      ours.findIndex((text, i) => text !== canonical[i]),
    );
    problems.push(
      `${rel(file)}: its printable() is not the shared one (line ${line + 1} of it differs: '${(ours[line] ?? '').trim()}'): copy the function and its comment from scripts/printable.ts, character for character`,
    );
  }
  if (RECEIVES.test(source) && PRINTS.test(source) && !CALLS_PRINTABLE.test(source)) {
    problems.push(
      `${rel(file)} prints what it receives from the network without printable(): show every piece of network text through it (copy it from scripts/printable.ts)`,
    );
  }
  return problems;
}

/** Whether the program `file` (its text `source`) installs the closed-stream handler. */
export function closedStreamProblems(file: string, source: string): string[] {
  if (source.split('\n').some((line) => line.trim() === CLOSED_STREAM_HANDLER)) return [];
  return [
    `${rel(file)} dies when its stdout or stderr is closed (| head -1): add "${CLOSED_STREAM_HANDLER}" near the top of its main flow`,
  ];
}

export interface Rule {
  name: string;
  check: (lesson: Lesson) => string[];
}

export interface KnownBad {
  name: string;
  dir: string;
  defect: string;
  note: string | null;
  rejectedBy: string[];
  /**
   * A --faults spec (issue 15): the defect shows only when the network misbehaves. Its rejectedBy
   * tests (lesson or exercise) pass on a plain run, which is why it needs the faults, and fail under them.
   */
  faults?: string;
}

/** Every file a lesson's programs run from, once (two roles may run one file). */
export function programFiles(lesson: Lesson): string[] {
  return [...new Set(lesson.programs.map((p) => p.file))];
}

export function testFile(lesson: Lesson): string {
  return path.join(lesson.dir, `${lesson.id}.test.ts`);
}

const rel = (file: string): string => path.relative(REPO_ROOT, file).split(path.sep).join('/');

/** Known-bad programs: what the grader must reject, so that a test that stops catching a defect is noticed. */
export const KNOWN_BAD_RULE: Rule = {
  name: 'it has at least two known-bad programs, one of them a defect of the note it ports',
  check: (lesson) => {
    const dir = path.join(BAD_FIXTURES_DIR, lesson.id);
    const { fixtures, problems } = readKnownBad(lesson);
    if (fixtures.length < 2)
      problems.push(
        `${rel(dir)}/ has ${fixtures.length} known-bad program${fixtures.length === 1 ? '' : 's'}: add folders NAME/ with bad.json and the program files that replace the lesson's, to two at least`,
      );
    else if (!fixtures.some((f) => f.note))
      problems.push(`${rel(dir)}/: no bad.json names a note defect ("note": the note and section whose bug it reproduces)`);
    return problems;
  },
};

/** The quick rules, in the order `npm run check` prints them: files, README, programs, solution, known-bad programs. */
export const RULES: Rule[] = [
  {
    name: 'README.md and the test file are there',
    check: (lesson) =>
      [path.join(lesson.dir, 'README.md'), testFile(lesson)]
        .filter((file) => !existsSync(file))
        .map((file) => `${rel(file)} is missing: npm run new-lesson shows what it holds`),
  },
  {
    name: 'the README has the required headings',
    check: (lesson) => {
      const readme = readIfExists(path.join(lesson.dir, 'README.md'));
      if (readme === undefined) return [];
      return REQUIRED_HEADINGS.filter(([pattern]) => !pattern.test(readme)).map(
        ([, heading]) => `${rel(lesson.dir)}/README.md has no '${heading}' heading: add it`,
      );
    },
  },
  {
    name: "the README's code is included from tested regions, in sync",
    check: (lesson) => {
      const readme = path.join(lesson.dir, 'README.md');
      if (!existsSync(readme)) return [];
      if (codeIncludes(readme).length === 0)
        return [
          `${rel(readme)} shows no code from a region: add '<!-- code: FILE#REGION -->' before a block and '// #region REGION' in FILE`,
        ];
      // The Chinese edition shows the same regions (scripts/translation.ts checks it has the same markers).
      return withTranslations([readme]).flatMap((file) =>
        codeIncludes(file)
          .filter((i) => i.problem)
          .map((i) => `${rel(file)}, ${i.file}#${i.region}: ${i.problem} (node --import tsx scripts/regions.ts --write ${rel(file)})`),
      );
    },
  },
  {
    name: "the README's links resolve",
    check: (lesson) => {
      const readme = path.join(lesson.dir, 'README.md');
      return existsSync(readme) ? withTranslations([readme]).flatMap((file) => checkMarkdownLinks(file)) : [];
    },
  },
  {
    name: "the root README's lesson table lists it as its manifest says",
    check: (lesson) => {
      const lessons = loadLessons();
      return tableFiles().flatMap((file) => tableProblems(readFileSync(file, 'utf8'), lessons, lesson.id, file));
    },
  },
  {
    name: 'its programs import only node: built-ins and iconv-lite, and name no LAN address',
    check: (lesson) => {
      const sources = [...programFiles(lesson).map((f) => path.join(lesson.dir, f)), ...solutionFiles(lesson)];
      return sources
        .filter((file) => existsSync(file))
        .flatMap((file) => {
          const source = readFileSync(file, 'utf8');
          const problems = [...source.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)]
            .filter(([, specifier]) => !ALLOWED_IMPORT(specifier!))
            .map(
              ([, specifier]) => `${rel(file)} imports '${specifier}': a lesson program stands alone (node: built-ins and iconv-lite only)`,
            );
          const lan = LAN_ADDRESS.exec(source);
          if (lan) problems.push(`${rel(file)} names the LAN address ${lan[0]}: lessons stay on loopback (127.0.0.1, ::1)`);
          return problems;
        });
    },
  },
  {
    name: 'its programs show text from the network through the shared printable()',
    check: (lesson) => outputRuleSources(lesson).flatMap(([file, source]) => networkTextProblems(file, source)),
  },
  {
    name: 'its programs go on when their stdout or stderr is closed',
    check: (lesson) => outputRuleSources(lesson).flatMap(([file, source]) => closedStreamProblems(file, source)),
  },
  {
    name: 'its solution holds exactly the files the exercise changes, each changed',
    check: (lesson) => {
      const dir = solutionDir(lesson);
      if (!existsSync(dir)) return [`${rel(dir)}/ is missing: it holds ${lesson.exercise.files.join(', ')} solved`];
      const held = readdirSync(dir).sort();
      const problems = held
        .filter((file) => !lesson.exercise.files.includes(file))
        .map(
          (file) =>
            `${rel(dir)}/${file} is not a file the exercise changes (exercise.files: ${lesson.exercise.files.join(', ')}): remove it, the lesson's own file is laid under the solution`,
        );
      for (const file of lesson.exercise.files) {
        const solved = path.join(dir, file);
        if (!existsSync(solved)) problems.push(`${rel(solved)} is missing: the exercise changes ${file}`);
        else if (readFileSync(solved).equals(readFileSync(path.join(lesson.dir, file))))
          problems.push(`${rel(solved)} is the lesson's ${file} unchanged: solve the exercise in it`);
      }
      return problems;
    },
  },
  KNOWN_BAD_RULE,
];

/** The known-bad programs of a lesson (tests/fixtures/bad/NN-slug/NAME/bad.json), and what is wrong with any. */
export function readKnownBad(lesson: Lesson): { fixtures: KnownBad[]; problems: string[] } {
  const dir = path.join(BAD_FIXTURES_DIR, lesson.id);
  const fixtures: KnownBad[] = [];
  const problems: string[] = [];
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => statSync(path.join(dir, name)).isDirectory())
        .sort()
    : [];
  for (const name of names) {
    const file = path.join(dir, name, 'bad.json');
    if (!existsSync(file)) {
      problems.push(`${rel(file)} is missing: it says the defect, the note it comes from, and the tests that reject it`);
      continue;
    }
    let raw: Partial<KnownBad>;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<KnownBad>;
    } catch (err) {
      problems.push(`${rel(file)}: not valid JSON: ${(err as Error).message}`);
      continue;
    }
    const wrong = [
      typeof raw.defect === 'string' && raw.defect.trim() !== '' ? '' : '"defect" (a sentence)',
      raw.note === null || typeof raw.note === 'string' ? '' : '"note" (a string, or null)',
      Array.isArray(raw.rejectedBy) && raw.rejectedBy.length > 0 && raw.rejectedBy.every((t) => typeof t === 'string')
        ? ''
        : '"rejectedBy" (the names of lesson tests)',
      raw.faults === undefined || (typeof raw.faults === 'string' && faultsParse(raw.faults))
        ? ''
        : '"faults" (a --faults spec the relay accepts, e.g. "slicer")',
    ].filter(Boolean);
    const strangers = readdirSync(path.join(dir, name)).filter((f) => f !== 'bad.json' && !programFiles(lesson).includes(f));
    if (wrong.length > 0) problems.push(`${rel(file)} needs ${wrong.join(', ')}`);
    if (strangers.length > 0)
      problems.push(
        `${rel(path.join(dir, name))}/ holds ${strangers.join(', ')}, which ${strangers.length === 1 ? 'is no program' : 'are no programs'} of the lesson`,
      );
    if (wrong.length === 0)
      fixtures.push({
        name,
        dir: path.join(dir, name),
        defect: raw.defect!,
        note: raw.note!,
        rejectedBy: raw.rejectedBy!,
        ...(raw.faults !== undefined ? { faults: raw.faults } : {}),
      });
  }
  return { fixtures, problems };
}

/** Each program file of the lesson and of its solution with its text: what the output rules read. */
function outputRuleSources(lesson: Lesson): [file: string, source: string][] {
  return [...programFiles(lesson).map((f) => path.join(lesson.dir, f)), ...solutionFiles(lesson)]
    .filter((file) => existsSync(file))
    .map((file) => [file, readFileSync(file, 'utf8')]);
}

/** The solution's files (solutions/NN-slug/*), those there are. */
function solutionFiles(lesson: Lesson): string[] {
  const dir = solutionDir(lesson);
  return existsSync(dir) ? readdirSync(dir).map((file) => path.join(dir, file)) : [];
}

// ---- the slow rules: the lesson's tests run through the grader ----

/** Grades the lesson's folder `dir`, with `overlay`'s files laid over it, in a staging folder removed afterwards. */
export async function gradeWith(lesson: Lesson, dir: string, options: GradeOptions = {}, overlay?: string): Promise<Grade> {
  const staging = new Staging();
  try {
    const submission = { student: path.basename(overlay ?? dir), lesson, dir };
    return await gradeStaged(submission, staging.stage(submission, overlay), options);
  } finally {
    staging.remove();
  }
}

/** The tests that did not pass, but for those not run by design (the same as the lesson's, or impossible under faults). */
export function failures(grade: Grade): string[] {
  return grade.tests.filter((t) => t.status !== 'pass' && !notRunByDesign(t)).map((t) => `${t.name}: ${t.message ?? t.status}`);
}

/** The solution laid over the lesson passes every lesson and exercise test. */
export async function solutionProblems(lesson: Lesson): Promise<string[]> {
  const grade = await gradeWith(lesson, lesson.dir, {}, solutionDir(lesson));
  const problems = failures(grade).map((failure) => `fails on the solution: ${failure.split('\n')[0]}`);
  if (!grade.tests.some((t) => t.suite === 'exercise'))
    problems.push(`${rel(testFile(lesson))} has no exercise tests: add suite(target, 'exercise', ...)`);
  if (problems.length === 0 && grade.score !== 100) problems.push(`the solution scores ${grade.score}, not 100`);
  return problems;
}

/** The untouched lesson fails every exercise test: the exercise is real work. */
export async function untouchedProblems(lesson: Lesson): Promise<string[]> {
  const grade = await gradeWith(lesson, lesson.dir, { suites: ['exercise'] });
  if (grade.tests.length === 0) return [`${rel(testFile(lesson))} has no exercise tests: add suite(target, 'exercise', ...)`];
  return grade.tests
    .filter((t) => t.status === 'pass')
    .map((t) => `the exercise test '${t.name}' passes on the untouched lesson: it must need the exercise`);
}

/** Every test the fixture's bad.json names fails on it, with a message, and its score is not full. */
export async function knownBadProblems(lesson: Lesson, fixture: KnownBad): Promise<string[]> {
  if (fixture.faults !== undefined) return faultyOnlyProblems(lesson, fixture, fixture.faults);
  const grade = await gradeWith(lesson, lesson.dir, { suites: ['lesson'], only: fixture.rejectedBy }, fixture.dir);
  const problems = rejections(grade, fixture, 'a lesson test');
  if (grade.score >= 100) problems.push(`${fixture.name} scores 100`);
  return problems;
}

/** Every test the fixture names fails on it (under `under`, when given), with a message. */
function rejections(grade: Grade, fixture: KnownBad, what: string, under = ''): string[] {
  return fixture.rejectedBy.flatMap((name) => {
    const outcome = grade.tests.find((t) => t.name === name);
    if (!outcome) return [`'${name}' did not run${under}: is it the exact name of ${what}?`];
    if (outcome.status !== 'fail') return [`'${name}' should fail on ${fixture.name}${under}, but its status is ${outcome.status}`];
    return outcome.message ? [] : [`'${name}' fails on ${fixture.name}${under} without saying why`];
  });
}

/**
 * A defect that shows only under faults, checked both ways: on a plain run each test it names
 * passes (the network on loopback hides it: otherwise it needs no faults), and under the faults
 * each fails, with a message, and the grade is not full.
 */
async function faultyOnlyProblems(lesson: Lesson, fixture: KnownBad, spec: string): Promise<string[]> {
  const options = { suites: ['lesson', 'exercise'] as ('lesson' | 'exercise')[], only: fixture.rejectedBy };
  const [plain, faulty] = await Promise.all([
    gradeWith(lesson, lesson.dir, options, fixture.dir),
    gradeWith(lesson, lesson.dir, { ...options, faults: { spec } }, fixture.dir),
  ]);
  const problems = fixture.rejectedBy.flatMap((name) => {
    const outcome = plain.tests.find((t) => t.name === name);
    if (!outcome) return [];
    return outcome.status === 'pass'
      ? []
      : [
          `'${name}' should pass on ${fixture.name} without faults (it is rejected only under --faults ${spec}), but its status is ${outcome.status}`,
        ];
  });
  problems.push(...rejections(faulty, fixture, 'a lesson or exercise test', ` under --faults ${spec}`));
  if (faulty.score >= 100) problems.push(`${fixture.name} scores 100 under --faults ${spec}`);
  return problems;
}

/** Whether the relay accepts a --faults spec. */
function faultsParse(spec: string): boolean {
  try {
    parseFaultPlan(spec);
    return true;
  } catch {
    return false;
  }
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}
