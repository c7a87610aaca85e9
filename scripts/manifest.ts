// The lesson manifests (lessons/NN-slug/lesson.json): the one place that says what a lesson is.
// The runner, the tests, the grader and the book all read them through this module, and a
// student folder's programs.json (its commands for other languages) through readCommands().

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LESSONS_DIR = path.join(REPO_ROOT, 'lessons');
export const SOLUTIONS_DIR = path.join(REPO_ROOT, 'solutions');
/** Git-ignored, and inside the repository so that programs copied there resolve `iconv-lite`:
 *  students' work folders, the grader's staging copies, the benchmark's scratch files. */
export const WORK_ROOT = path.join(REPO_ROOT, 'work');

export interface NoteRef {
  note: string; // file name in shared/notes
  section: string;
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

export interface Lesson {
  id: string;
  title: string;
  summary: string;
  ports: NoteRef[];
  programs: Program[];
  demo: DemoStep[];
  exercise: Exercise;
  /** The lesson's folder. */
  dir: string;
}

/** Every lesson under lessons/, in course order. Throws, naming the file, when a manifest is malformed. */
export function loadLessons(): Lesson[] {
  return readdirSync(LESSONS_DIR, { withFileTypes: true })
    // A folder becomes a lesson when its manifest exists (tests/lessons.test.ts checks none lacks one).
    .filter((entry) => entry.isDirectory() && /^\d\d-[a-z0-9-]+$/.test(entry.name) && existsSync(path.join(LESSONS_DIR, entry.name, 'lesson.json')))
    .map((entry) => loadLesson(path.join(LESSONS_DIR, entry.name)))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export function loadLesson(dir: string): Lesson {
  const file = path.join(dir, 'lesson.json');
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const problems = validate(raw, path.basename(dir));
  if (problems.length > 0) throw new Error(`${path.relative(REPO_ROOT, file)}: ${problems.join('; ')}`);
  return { ...(raw as Omit<Lesson, 'dir'>), dir };
}

/** Accepts the full id (04-tcp-server), its number (04 or 4) or its slug (tcp-server). */
export function findLesson(lessons: Lesson[], name: string): Lesson | undefined {
  return lessons.find(
    (lesson) =>
      lesson.id === name ||
      lesson.id.slice(0, 2) === name.padStart(2, '0') ||
      lesson.id.slice(3) === name,
  );
}

export function programPath(lesson: Lesson, program: Program, dir = lesson.dir): string {
  return path.join(dir, program.file);
}

function validate(raw: unknown, folder: string): string[] {
  const problems: string[] = [];
  const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
  if (typeof raw !== 'object' || raw === null) return ['not a JSON object'];
  const lesson = raw as Record<string, unknown>;
  if (lesson.id !== folder) problems.push(`id must be the folder name '${folder}'`);
  for (const key of ['title', 'summary'] as const) if (!isText(lesson[key])) problems.push(`${key} is missing`);
  const ports = lesson.ports;
  if (!Array.isArray(ports) || ports.length === 0 || !ports.every((p) => isText(p?.note) && isText(p?.section))) {
    problems.push('ports must list { note, section } for each note the lesson ports');
  }
  const programs = Array.isArray(lesson.programs) ? (lesson.programs as Program[]) : [];
  if (programs.length === 0) problems.push('programs must list at least one program');
  const roles = new Set<string>();
  for (const program of programs) {
    if (!isText(program?.role) || !isText(program?.file) || !isText(program?.summary)) {
      problems.push('each program needs role, file and summary');
      continue;
    }
    if (roles.has(program.role)) problems.push(`role '${program.role}' appears twice`);
    roles.add(program.role);
    if (!existsSync(path.join(LESSONS_DIR, folder, program.file))) problems.push(`${program.file} does not exist`);
  }
  const demo = Array.isArray(lesson.demo) ? (lesson.demo as DemoStep[]) : undefined;
  if (!demo) problems.push('demo must be a list of { role, line } steps');
  for (const step of demo ?? []) {
    if (!roles.has(step?.role) || typeof step?.line !== 'string') problems.push(`demo step for unknown role '${step?.role}'`);
    if (step?.after && !roles.has(step.after.role)) problems.push(`demo step waits for unknown role '${step.after.role}'`);
  }
  const exercise = lesson.exercise as Exercise | undefined;
  if (!exercise || !isText(exercise.title) || !isText(exercise.summary)) problems.push('exercise needs title and summary');
  if (!Array.isArray(exercise?.hints) || exercise.hints.length === 0) problems.push('exercise needs at least one hint');
  if (!Array.isArray(exercise?.files) || !exercise.files.every((f) => programs.some((p) => p.file === f))) {
    problems.push('exercise.files must name programs of the lesson');
  }
  return problems;
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
    if (!program) throw new Error(`${file}: '${key}' is not a role of ${path.basename(lessonDir)} (${programs.map((p) => p.role).join(', ')})`);
    if (typeof command !== 'string' || command.trim() === '') throw new Error(`${file}: the command for '${key}' must be a non-empty string`);
    commands.set(program.file, command.trim().split(/\s+/));
  }
  return commands;
}
