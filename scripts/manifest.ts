// The lesson manifests (lessons/NN-slug/lesson.json): the one place that says what a lesson is.
// The runner, the tests, the grader and the book all read them through this module, and a
// student folder's programs.json (its commands for other languages) through readCommands().
// A manifest is checked against lessons/lesson.schema.json (Ajv), then for what a schema cannot
// say (files exist, roles referred to exist and listen); a lesson that fails is listed as broken,
// with one line per problem, and every other lesson keeps working.

import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** SOCKET_LESSONS_LESSONS_DIR moves it: the repository's tests make broken lessons in a folder of their own. */
export const LESSONS_DIR = process.env.SOCKET_LESSONS_LESSONS_DIR
  ? path.resolve(process.env.SOCKET_LESSONS_LESSONS_DIR)
  : path.join(REPO_ROOT, 'lessons');
export const SCHEMA_FILE = path.join(REPO_ROOT, 'lessons', 'lesson.schema.json');
const LESSON_FOLDER = /^\d\d-[a-z0-9-]+$/;
export const SOLUTIONS_DIR = path.join(REPO_ROOT, 'solutions');
/** Git-ignored, and inside the repository so that programs copied there resolve `iconv-lite`:
 *  students' work folders, the grader's staging copies, the benchmark's scratch files. */
export const WORK_ROOT = path.join(REPO_ROOT, 'work');

// The types below mirror lessons/lesson.schema.json, where each field is described for editors.

export interface NoteRef {
  note: string; // file name in shared/notes
  section: string;
  /** The section in a few words, for the README's lesson table (default: section). */
  short?: string;
}

export interface Program {
  role: string;
  file: string;
  summary: string;
  /** Started with --port 0; the runner waits for its ready line `listening on HOST:PORT`. */
  listens?: boolean;
  /**
   * Arguments for a whole-lesson run; `{role.port}` is replaced by that role's bound port. A role
   * may appear once per program started, so two roles can run the same file (two chat peers).
   */
  args?: string[];
  /** What the user types goes to this role (the first one; `@role line` reaches the others). */
  interactive?: boolean;
  /** One line telling the user what to type, shown by the runner. */
  hint?: string;
  /** Runs until stopped (a server that loops): the runner stops it once every other role has exited. */
  keepsRunning?: boolean;
}

export interface DemoStep {
  role: string;
  /** Sent to the role's stdin; `{role.port}` is replaced as in Program.args. */
  line: string;
  /** Wait until this role has printed a line matching `pattern` before sending. */
  after?: { role: string; pattern: string };
}

export interface Exercise {
  title: string;
  summary: string;
  files: string[];
  hints: string[];
}

/** exercise: the student changed the lesson's programs; port: the student wrote them from scratch. */
export type AssignmentKind = 'exercise' | 'port';

/** How `npm run grade` scores a lesson (lesson.json's `grading`, or a teacher's --rubric FILE.json). */
export interface Grading {
  assignment?: AssignmentKind;
  /** Points of a test (its exact name) or a describe group (shared by its tests); the others share what is left of 100. */
  points?: Record<string, number>;
  /** Points an exercise loses for each lesson test it breaks. */
  regressionPenalty?: number;
}

/** The lesson's user-facing text in Chinese (lesson.json's "zh-CN"), shown when the user's language is Chinese (scripts/i18n). */
export interface ChineseText {
  /**
   * Which version of the English this translates: a short hash of each English text, by path
   * (`title=1a2b3c4d summary=… exercise.hints.2=…`), written by `scripts/translation.ts --stamp-manifests`.
   */
  translates: string;
  title: string;
  summary: string;
  /** By role: every program's summary, and its hint when it has one. */
  programs: Record<string, { summary: string; hint?: string }>;
  exercise: { title: string; summary: string; hints: string[] };
}

export interface Lesson {
  $schema: string;
  id: string;
  title: string;
  summary: string;
  ports: NoteRef[];
  programs: Program[];
  demo: DemoStep[];
  exercise: Exercise;
  grading?: Grading;
  'zh-CN'?: ChineseText;
  /** The lesson's folder. */
  dir: string;
}

/** A lesson folder whose manifest is missing or breaks the contract: listed as broken, never loaded. */
export interface BrokenLesson {
  id: string; // the folder's name
  dir: string;
  /** The first problem, one line: `lessons/NN-slug/lesson.json: /JSON/path: what is wrong`, and how many more. */
  problem: string;
  problems: string[];
}

export interface Course {
  lessons: Lesson[];
  broken: BrokenLesson[];
}

/**
 * Every lesson folder under lessons/ (NN-slug), in course order: the good lessons, and the broken
 * ones with what is wrong. One broken manifest never hides the other lessons.
 */
export function loadCourse(): Course {
  const course: Course = { lessons: [], broken: [] };
  const folders = readdirSync(LESSONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && LESSON_FOLDER.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  for (const name of folders) {
    const result = readLesson(path.join(LESSONS_DIR, name));
    if ('problems' in result) course.broken.push(result);
    else course.lessons.push(result);
  }
  return course;
}

/** The good lessons, in course order (see loadCourse() for the broken ones). */
export function loadLessons(): Lesson[] {
  return loadCourse().lessons;
}

/** The lesson in `dir`; throws its one-line problem when it is broken. */
export function loadLesson(dir: string): Lesson {
  const result = readLesson(dir);
  if ('problems' in result) throw new Error(result.problem);
  return result;
}

/** The lesson in `dir`, or why it is broken: the manifest's JSON, its schema, then what the schema cannot say. */
export function readLesson(dir: string): Lesson | BrokenLesson {
  const file = path.join(dir, 'lesson.json');
  const where = displayPath(file);
  const broken = (problems: string[]): BrokenLesson => {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: npm run check -- ${path.basename(dir).slice(0, 2)})` : '';
    return { id: path.basename(dir), dir, problem: `${problems[0]!}${more}`, problems };
  };
  if (!existsSync(file))
    return broken([`${where}: missing (every lessons/NN-slug folder needs its manifest; npm run new-lesson makes one)`]);
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return broken([
      `${where}:${jsonErrorPlace(text, (err as Error).message)}: not valid JSON: ${(err as Error).message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/, '')}`,
    ]);
  }
  const problems = schemaProblems(raw);
  if (problems.length === 0) problems.push(...contractProblems(raw as Omit<Lesson, 'dir'>, dir, text));
  if (problems.length > 0) return broken(problems.map((problem) => `${where}: ${problem}`));
  return { ...(raw as Omit<Lesson, 'dir'>), dir };
}

/** Accepts the full id (04-tcp-server), its number (04 or 4) or its slug (tcp-server). */
export function findLesson<T extends { id: string }>(lessons: T[], name: string): T | undefined {
  return lessons.find((lesson) => lesson.id === name || lesson.id.slice(0, 2) === name.padStart(2, '0') || lesson.id.slice(3) === name);
}

export function programPath(lesson: Lesson, program: Program, dir = lesson.dir): string {
  return path.join(dir, program.file);
}

/** solutions/NN-slug/: only the files the exercise changes, solved, to lay over the lesson's folder. */
export function solutionDir(lesson: Lesson): string {
  return path.join(SOLUTIONS_DIR, lesson.id);
}

/** Copies the lesson's programs (not its tests) to `dest` with the solution laid over them: a solved exercise as a student hands it in. */
export function copySolved(lesson: Lesson, dest: string): void {
  cpSync(lesson.dir, dest, { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
  cpSync(solutionDir(lesson), dest, { recursive: true });
}

/** The candidate nearest to `word` by edit distance, when it is near enough to be a typo of it. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}

function displayPath(file: string): string {
  const relative = path.relative(REPO_ROOT, file);
  return relative.startsWith('..') ? file : relative.split(path.sep).join('/');
}

/** `LINE:COLUMN` of a JSON.parse error (the end of the text when the message gives no position). */
function jsonErrorPlace(text: string, message: string): string {
  const position = Number(/at position (\d+)/.exec(message)?.[1] ?? text.length);
  const before = text.slice(0, position).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

// ---- the schema (lessons/lesson.schema.json), checked by Ajv ----

let validator: ValidateFunction | undefined;
let gradingValidator: ValidateFunction | undefined;

function schemaProblems(raw: unknown): string[] {
  validator ??= new Ajv({ allErrors: true, strict: true, verbose: true }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  if (validator(raw)) return [];
  return (validator.errors ?? []).map((error) => describeSchemaError(error, raw));
}

/**
 * A teacher's rubric (--rubric FILE.json: the shape of a manifest's `grading`), or the one-line
 * problem with it, naming the file and the key.
 */
export function readRubric(file: string): Grading {
  const where = displayPath(path.resolve(file));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${where}: cannot read the rubric: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}:${jsonErrorPlace(text, (err as Error).message)}: not valid JSON`);
  }
  if (!gradingValidator) {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { definitions: object };
    gradingValidator = new Ajv({ allErrors: true, strict: true, verbose: true }).compile({
      $ref: '#/definitions/grading',
      definitions: schema.definitions,
    });
  }
  if (!gradingValidator(raw)) {
    const problems = (gradingValidator.errors ?? []).map((error) => describeSchemaError(error, raw));
    throw new Error(`${where}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
  }
  return raw as Grading;
}

/** One Ajv error as `/json/path: what is wrong`, in words a lesson author acts on. */
function describeSchemaError(error: ErrorObject, raw: unknown): string {
  const at = error.instancePath || '/';
  const value = valueAt(raw, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const near = nearest(key, known);
      return `${error.instancePath}/${key}: unknown key '${key}' (${near ? `did you mean '${near}'?` : `the keys here are: ${known.join(', ')}`})`;
    }
    case 'required':
      return `${at}: missing key '${String(params.missingProperty)}'`;
    case 'type': {
      const wanted: Record<string, string> = {
        boolean: 'true or false',
        number: 'a number',
        string: 'a string',
        array: 'a list [...]',
        object: 'an object {...}',
      };
      return `${at}: must be ${wanted[String(params.type)] ?? String(params.type)}, not ${JSON.stringify(value)}`;
    }
    case 'const':
      return `${at}: must be ${JSON.stringify(params.allowedValue)}, not ${JSON.stringify(value)}`;
    case 'minLength':
      return `${at}: must not be empty`;
    case 'enum':
      return `${at}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(value)}`;
    case 'minimum':
      return `${at}: must be ${String(params.limit)} or more, not ${JSON.stringify(value)}`;
    case 'minItems':
      return `${at}: must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`;
    case 'pattern':
      return `${at}: ${JSON.stringify(value)} does not match ${String(params.pattern)}`;
    case 'uniqueItems':
      return `${at}: items ${String(params.j)} and ${String(params.i)} are the same`;
    default:
      return `${at}: ${error.message ?? error.keyword}`;
  }
}

function valueAt(raw: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((value, part) => (value as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], raw);
}

// ---- what the schema cannot say ----

const PORT_REFERENCE = /\{([^{}]*)\.port\}/g;

function contractProblems(lesson: Omit<Lesson, 'dir'>, dir: string, text: string): string[] {
  const problems: string[] = [];
  if (!/^\{\s*"\$schema"\s*:/.test(text)) problems.push(`/$schema: must be the first key, so that editors find the schema`);
  if (lesson.id !== path.basename(dir)) problems.push(`/id: must be the folder's name '${path.basename(dir)}', not '${lesson.id}'`);
  const roles = lesson.programs.map((p) => p.role);
  lesson.programs.forEach((program, i) => {
    if (roles.indexOf(program.role) !== i)
      problems.push(`/programs/${i}/role: '${program.role}' is the role of programs/${roles.indexOf(program.role)} too`);
    if (!existsSync(path.join(dir, program.file))) problems.push(`/programs/${i}/file: ${program.file} is not in the lesson's folder`);
    (program.args ?? []).forEach((arg, j) =>
      problems.push(...portReferences(arg, `/programs/${i}/args/${j}`, lesson.programs.slice(0, i), roles)),
    );
  });
  lesson.demo.forEach((step, k) => {
    if (!roles.includes(step.role)) problems.push(`/demo/${k}/role: '${step.role}' is no role${suggest(step.role, roles)}`);
    if (step.after && !roles.includes(step.after.role))
      problems.push(`/demo/${k}/after/role: '${step.after.role}' is no role${suggest(step.after.role, roles)}`);
    if (step.after) {
      try {
        new RegExp(step.after.pattern);
      } catch (err) {
        problems.push(`/demo/${k}/after/pattern: not a regular expression: ${(err as Error).message}`);
      }
    }
    problems.push(...portReferences(step.line, `/demo/${k}/line`, lesson.programs, roles));
  });
  const files = lesson.programs.map((p) => p.file);
  lesson.exercise.files.forEach((file, i) => {
    if (!files.includes(file))
      problems.push(`/exercise/files/${i}: ${file} is no program of the lesson${suggest(file, files, 'programs')}`);
  });
  problems.push(...chineseProblems(lesson));
  return problems;
}

/** The "zh-CN" block says the same things as the English: every role (and no other), a hint where there is one, as many exercise hints. */
function chineseProblems(lesson: Omit<Lesson, 'dir'>): string[] {
  const zh = lesson['zh-CN'];
  if (!zh) return [];
  const problems: string[] = [];
  const roles = lesson.programs.map((p) => p.role);
  for (const program of lesson.programs) {
    const text = zh.programs[program.role];
    if (!text) problems.push(`/zh-CN/programs: missing role '${program.role}' (every program's summary is translated)`);
    else if (program.hint && !text.hint) problems.push(`/zh-CN/programs/${program.role}: missing key 'hint' (the program has one)`);
    else if (!program.hint && text.hint) problems.push(`/zh-CN/programs/${program.role}/hint: the program has no hint in English`);
  }
  for (const role of Object.keys(zh.programs))
    if (!roles.includes(role)) problems.push(`/zh-CN/programs/${role}: '${role}' is no role${suggest(role, roles)}`);
  const [en, cn] = [lesson.exercise.hints.length, zh.exercise.hints.length];
  if (en !== cn) problems.push(`/zh-CN/exercise/hints: ${cn} hint${cn === 1 ? '' : 's'}, but the exercise has ${en} in English`);
  const recorded = readStamp(zh.translates);
  const changed = [...englishVersion(lesson)].filter(([at, hash]) => recorded.get(at) !== hash).map(([at]) => at);
  if (changed.length > 0)
    problems.push(
      `/zh-CN/translates: the English changed since it was translated (${changed.join(', ')}); update the Chinese, then run: node --import tsx scripts/translation.ts --stamp-manifests`,
    );
  return problems;
}

/** The English texts a "zh-CN" block translates, by path, each with a short hash: what its `translates` stamp records. */
export function englishVersion(lesson: Pick<Lesson, 'title' | 'summary' | 'programs' | 'exercise'>): Map<string, string> {
  const texts: [string, string][] = [
    ['title', lesson.title],
    ['summary', lesson.summary],
    ...lesson.programs.map((p): [string, string] => [`programs.${p.role}`, `${p.summary}\n${p.hint ?? ''}`]),
    ['exercise.title', lesson.exercise.title],
    ['exercise.summary', lesson.exercise.summary],
    ...lesson.exercise.hints.map((hint, i): [string, string] => [`exercise.hints.${i}`, hint]),
  ];
  return new Map(texts.map(([at, text]) => [at, shortHash(text)]));
}

/** The short hash a translation stamp records for one English text (a README section, a manifest text). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** A translation stamp's `path=hash path=hash …` read back into a map. */
export function readStamp(stamp: string): Map<string, string> {
  return new Map(stamp.split(/\s+/).map((pair) => pair.split('=') as [string, string]));
}

/** The `translates` stamp that records the lesson's current English. */
export function manifestStamp(lesson: Pick<Lesson, 'title' | 'summary' | 'programs' | 'exercise'>): string {
  return [...englishVersion(lesson)].map(([at, hash]) => `${at}=${hash}`).join(' ');
}

/** Each `{role.port}` in `text` must name a role that listens and is started before (`earlier`). */
function portReferences(text: string, at: string, earlier: Program[], roles: string[]): string[] {
  return [...text.matchAll(PORT_REFERENCE)].flatMap(([reference, role]) => {
    const program = earlier.find((p) => p.role === role);
    if (!roles.includes(role!)) return [`${at}: ${reference} names no role${suggest(role!, roles)}`];
    if (!program) return [`${at}: ${reference} names a role started later: list '${role}' before it in programs`];
    if (!program.listens) return [`${at}: ${reference} names a role that does not listen (add "listens": true to it)`];
    return [];
  });
}

function suggest(word: string, candidates: string[], what = 'roles'): string {
  const near = nearest(word, candidates);
  return near ? ` (did you mean '${near}'?)` : ` (the ${what} are: ${candidates.join(', ')})`;
}

/**
 * A folder of programs may hold programs.json naming a command per role (or per file), run from
 * that folder without a shell: { "server": "python3 server.py" }. Roles it does not name run as
 * the lesson's file name with node. Read by the test harness and the grader.
 */
export const COMMANDS_FILE = 'programs.json';

/** The commands of `dir`'s programs.json, by program file; throws, naming the file, when it is malformed. */
export function readCommands(lessonDir: string, dir: string): Map<string, string[]> {
  const commands = new Map<string, string[]>();
  const file = path.join(dir, COMMANDS_FILE);
  if (!existsSync(file)) return commands;
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof raw !== 'object' || raw === null) throw new Error(`${file}: expected an object of role: command`);
  const { programs } = loadLesson(lessonDir);
  for (const [key, command] of Object.entries(raw)) {
    const program = programs.find((p) => p.role === key || p.file === key);
    if (!program)
      throw new Error(`${file}: '${key}' is not a role of ${path.basename(lessonDir)} (${programs.map((p) => p.role).join(', ')})`);
    if (typeof command !== 'string' || command.trim() === '')
      throw new Error(`${file}: the command for '${key}' must be a non-empty string`);
    commands.set(program.file, command.trim().split(/\s+/));
  }
  return commands;
}
