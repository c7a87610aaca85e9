// `npm run grade -- merge REPORT... [--report DIR] [--format F]...`: the reports of the shards of
// one class (`--shard K/N`, scripts/report/shard.ts) combined into the report a single run would
// have written, after checking that they are the shards of one run: the same assignment and rubric,
// the same N, every part present once, and no student graded twice. One report on its own is
// converted as it is (to write another --format from a saved grade-report.json).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { usageError } from '../cli.ts';
import { FORMATS, type Format, parseFormats, writeFormats } from './formats.ts';
import type { Report, StudentGrade } from './model.ts';
import { gradingKey } from './shard.ts';

const USAGE = `usage: npm run grade -- merge REPORT... [options]
Combines the grade-report.json of each shard (npm run grade -- ... --shard K/N) into the report
one run would have written. With one REPORT: converts it (--format) as it is.
options:
  --report DIR      write grade-report.json (and the formats) into DIR (default: the current folder)
  --format F        also write F: ${FORMATS.join(', ')} (repeatable)
  --min-score N     exit 1 when any score is below N (0-100)
  --help`;

/**
 * The report one run over every shard's submissions would have written. Throws an Error (one line
 * per problem) when the reports are not the shards of one run. `sources` names each report in errors.
 */
export function mergeReports(reports: readonly Report[], sources: readonly string[] = reports.map((_, i) => `report ${i + 1}`)): Report {
  if (reports.length === 0) throw new Error('no report to merge');
  const problems: string[] = [];
  const [first] = reports as [Report, ...Report[]];
  reports.forEach((report, i) => {
    if (report.version !== 1) problems.push(`${sources[i]}: a report of version ${String(report.version)}, this grader reads version 1`);
    if (report.assignment !== first.assignment)
      problems.push(`${sources[i]}: graded as '${report.assignment}', ${sources[0]} as '${first.assignment}': not shards of one run`);
    if ((report.rubric ?? null) !== (first.rubric ?? null))
      problems.push(
        `${sources[i]}: rubric ${report.rubric ?? '(none)'}, ${sources[0]}: ${first.rubric ?? '(none)'}: not shards of one run`,
      );
    if (JSON.stringify(report.faults ?? null) !== JSON.stringify(first.faults ?? null))
      problems.push(`${sources[i]}: faults ${faultsText(report)}, ${sources[0]}: ${faultsText(first)}: not shards of one run`);
  });
  if (reports.length > 1) problems.push(...shardProblems(reports, sources));
  const seen = new Map<string, string>();
  reports.forEach((report, i) => {
    for (const grade of report.grades) {
      const key = gradingKey(grade.student, grade.lesson);
      const other = seen.get(key);
      if (other !== undefined) problems.push(`${grade.student} ${grade.lesson} is graded in both ${other} and ${sources[i]}`);
      else seen.set(key, sources[i]!);
    }
  });
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const grades = reports.flatMap((r) => r.grades).sort(runOrder);
  const gradedAt = reports.map((r) => r.gradedAt).sort((a, b) => Date.parse(a) - Date.parse(b) || (a < b ? -1 : a > b ? 1 : 0));
  return {
    version: 1,
    gradedAt: gradedAt.at(-1)!,
    assignment: first.assignment,
    ...(first.rubric !== undefined ? { rubric: first.rubric } : {}),
    ...(first.faults !== undefined ? { faults: first.faults } : {}),
    partial: reports.some((r) => r.partial),
    grades,
  };
}

function faultsText(report: Report): string {
  return report.faults ? `${report.faults.spec}${report.faults.seed !== undefined ? ` (seed ${report.faults.seed})` : ''}` : '(none)';
}

/** Every report is a shard, of the same N, and each part from 1 to N is there exactly once. */
function shardProblems(reports: readonly Report[], sources: readonly string[]): string[] {
  const problems: string[] = [];
  const unsharded = reports.map((r, i) => (r.shard ? undefined : sources[i])).filter((s) => s !== undefined);
  if (unsharded.length > 0) return [`not the report of a shard (--shard K/N): ${unsharded.join(', ')}`];
  const count = reports[0]!.shard!.count;
  const byIndex = new Map<number, string[]>();
  reports.forEach((report, i) => {
    const { index, count: n } = report.shard!;
    if (n !== count) problems.push(`${sources[i]} is shard ${index}/${n}, ${sources[0]} is of ${count} shards`);
    byIndex.set(index, [...(byIndex.get(index) ?? []), sources[i]!]);
  });
  for (const [index, names] of byIndex) if (names.length > 1) problems.push(`shard ${index}/${count} is given twice: ${names.join(', ')}`);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0)
    problems.push(`missing shard${missing.length === 1 ? '' : 's'} ${missing.map((index) => `${index}/${count}`).join(', ')} of ${count}`);
  return problems;
}

/**
 * The order one run lists its grades in: by student, then by lesson, as findSubmissions meets them
 * in a class folder (its folders sorted by name, each student's lessons in course order, which is
 * the order of their ids).
 */
function runOrder(a: StudentGrade, b: StudentGrade): number {
  return compare(a.student, b.student) || compare(a.lesson, b.lesson);
}

/** Array.prototype.sort's own order (UTF-16 code units), which the grader sorts folder names by. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads a grade-report.json, checked to be a Report enough to merge; throws one line naming the file. */
export function readReport(file: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const report = value as Partial<Report> | null;
  if (typeof report !== 'object' || report === null || !Array.isArray(report.grades) || typeof report.gradedAt !== 'string')
    throw new Error(`${file}: not a grading report (grade-report.json of npm run grade)`);
  if (report.version !== 1) throw new Error(`${file}: a report of version ${String(report.version)}, this grader reads version 1`);
  return report as Report;
}

/** `npm run grade -- merge ...` (args: what follows `merge`); returns the exit status. */
export function mergeCommand(args: string[]): number {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    usageError('grade merge', (err as Error).message.split(/\.\s/)[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0) usageError('grade merge', 'give the reports to merge (npm run grade -- merge --help)');
  let formats: Format[] = [];
  try {
    formats = parseFormats(values.format);
  } catch (err) {
    usageError('grade merge', (err as Error).message);
  }
  const minScore = values['min-score'];
  if (minScore !== undefined && !(/^\d+$/.test(minScore) && Number(minScore) <= 100))
    usageError('grade merge', `--min-score must be a whole number from 0 to 100, not '${minScore}'`);

  let merged: Report;
  try {
    merged = mergeReports(positionals.map(readReport), positionals);
  } catch (err) {
    for (const line of (err as Error).message.split('\n')) console.error(`grade merge: ${line}`);
    return 1;
  }
  const dir = path.resolve(values.report ?? '.');
  const json = path.join(dir, 'grade-report.json');
  mkdirSync(dir, { recursive: true });
  writeFileSync(json, `${JSON.stringify(merged, null, 2)}\n`);
  const written = [json, ...writeFormats(merged, dir, formats)];
  for (const grade of merged.grades) console.log(`${grade.student}  ${grade.lesson}  ${grade.score}`);
  console.log(
    `\n${merged.grades.length} grades from ${positionals.length} reports: ${written.map((f) => path.relative(process.cwd(), f) || f).join(', ')}`,
  );
  const below = minScore === undefined ? [] : merged.grades.filter((g) => g.score < Number(minScore));
  if (below.length > 0) {
    console.error(`grade merge: ${below.length} score${below.length === 1 ? ' is' : 's are'} below --min-score ${minScore}`);
    return 1;
  }
  return 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      report: { type: 'string' },
      format: { type: 'string', multiple: true },
      'min-score': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
}
