// `npm run check -- NN`: checks one lesson against the lesson contract (scripts/contract.ts), the way
// rustlings' `dev check` does: the manifest, the files, the README, the programs, the solution and the
// known-bad programs, then the slow part through the grader: the solution laid over the lesson scores
// 100, the untouched lesson fails every exercise test, every known-bad program is rejected.
//   npm run check -- 04-tcp-server            one line per rule: `ok  ...` or `MISSING  ...` with what to do
//   npm run check -- 04 --fast                the quick rules only (no grading)
//   npm run check -- --write-table            rewrite the READMEs' lesson table from the manifests (README.zh-CN.md too)
// Exit 0 when every rule holds, 1 when one does not, 2 for a wrong command line.

import path from 'node:path';
import { exitQuietlyOnClosedStdout, parseCommandLine, usageError } from './cli.ts';
import { knownBadProblems, RULES, readKnownBad, solutionProblems, untouchedProblems } from './contract.ts';
import { t } from './i18n/index.ts';
import { writeTable } from './lesson-table.ts';
import { findLesson, type Lesson, loadCourse, REPO_ROOT } from './manifest.ts';

const USAGE = `usage: npm run check -- LESSON [--fast]
       npm run check -- --write-table
LESSON is the full name, its number (04) or its slug (tcp-server).
  --fast         only the quick rules: no grading of the solution, the untouched lesson or the known-bad programs
  --write-table  rewrite the lesson table in README.md (and README.zh-CN.md) from the manifests`;
const SLOW_AT_ONCE = 2; // gradings run at once: each runs a test file that starts programs of its own

exitQuietlyOnClosedStdout();
const { values, positionals } = parseCommandLine('check', {
  allowPositionals: true,
  options: {
    fast: { type: 'boolean', default: false },
    'write-table': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const course = loadCourse();
if (values['write-table']) {
  if (positionals.length > 0) usageError('check', '--write-table takes no lesson');
  for (const broken of course.broken) console.error(`check: left out of the table, broken: ${broken.problem}`);
  const rewritten = writeTable(course.lessons).map((file) => path.relative(REPO_ROOT, file));
  console.log(rewritten.length > 0 ? `${rewritten.join(', ')}: lesson table rewritten` : 'README.md: lesson table already up to date');
  process.exit(0);
}
if (positionals.length !== 1) usageError('check', 'give one lesson (npm run check -- --help)');
const name = positionals[0]!;
const started = performance.now();
const lesson = findLesson(course.lessons, name);
const broken = lesson ? undefined : findLesson(course.broken, name);
if (!lesson && !broken)
  usageError(
    'check',
    t('usage.unknownLesson', {
      name,
      lessons: [...course.lessons, ...course.broken].map((l) => l.id).sort(),
    }),
  );

let failed = 0;
let passed = 0;
function report(rule: string, problems: string[]): void {
  if (problems.length === 0) {
    passed++;
    console.log(`ok       ${rule}`);
    return;
  }
  failed++;
  for (const problem of problems) console.log(`MISSING  ${rule}: ${problem}`);
}

console.log(`check ${lesson?.id ?? broken!.id}`);
report('the manifest follows lessons/lesson.schema.json and names what exists', broken?.problems ?? []);
if (lesson) await checkLesson(lesson);
else console.log('skipped  every other rule: they need the manifest to load');
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  failed === 0
    ? `\n${lesson!.id}: all ${passed} checks pass (${seconds} s)`
    : `\n${lesson?.id ?? broken!.id}: ${failed} of ${failed + passed} checks fail (${seconds} s)`,
);
process.exitCode = failed === 0 ? 0 : 1;

async function checkLesson(lesson: Lesson): Promise<void> {
  for (const rule of RULES) report(rule.name, rule.check(lesson));
  if (values.fast) return void console.log('skipped  grading the solution, the untouched lesson and the known-bad programs (--fast)');
  const { fixtures } = readKnownBad(lesson);
  const slow: [string, () => Promise<string[]>][] = [
    ['the solution laid over the lesson passes every lesson and exercise test', () => solutionProblems(lesson)],
    ['the untouched lesson fails every exercise test', () => untouchedProblems(lesson)],
    ...fixtures.map((f): [string, () => Promise<string[]>] => [
      `the known-bad program '${f.name}' is rejected by ${f.rejectedBy.length === 1 ? 'its test' : `its ${f.rejectedBy.length} tests`}`,
      () => knownBadProblems(lesson, f),
    ]),
  ];
  // A few gradings at once, each reported in order as soon as it and those before it are done.
  let running = 0;
  const waiting: (() => void)[] = [];
  const limited = async (run: () => Promise<string[]>): Promise<string[]> => {
    if (running >= SLOW_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await run();
    } catch (err) {
      return [`the grading failed: ${(err as Error).message}`];
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  const results = slow.map(([, run]) => limited(run));
  for (const [i, [rule]] of slow.entries()) report(rule, await results[i]!);
}
