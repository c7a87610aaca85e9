// The student's loop: work/NN-slug/ holds a student's copy of a lesson's programs, and
// work/.progress.json remembers each lesson's last grade there and how often each exercise test
// failed, so `npm run grade` can show one more hint per repeated failure and `npm run lesson`
// can show which work folders pass.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Grade } from './grader.ts';
import { t } from './i18n/index.ts';
import { type Lesson, REPO_ROOT, WORK_ROOT } from './manifest.ts';

/** The students' work folders; SOCKET_LESSONS_WORK_DIR moves them (the repository's tests use a temporary one). */
export const WORK_DIR = process.env.SOCKET_LESSONS_WORK_DIR ? path.resolve(process.env.SOCKET_LESSONS_WORK_DIR) : WORK_ROOT;
const PROGRESS_FILE = path.join(WORK_DIR, '.progress.json');

interface LessonProgress {
  gradedAt: number; // ms since the epoch
  score?: number; // 0-100 (older files: passed and total instead)
  passed?: number;
  total?: number;
  exerciseDone: boolean;
  regressions?: number; // lesson tests failing
  failures: Record<string, number>; // exercise test name -> times failed
}

export function workFolder(lesson: Lesson): string {
  return path.join(WORK_DIR, lesson.id);
}

function readProgress(): Record<string, LessonProgress> {
  try {
    return JSON.parse(readFileSync(PROGRESS_FILE, 'utf8')) as Record<string, LessonProgress>;
  } catch {
    return {};
  }
}

/**
 * Records a grade of the lesson's work folder and returns what to show the student: the hints
 * earned so far (one per failure of the same exercise test, never more than the lesson has), or,
 * once every exercise test passes, where the reference solution is (the folder of the files the
 * exercise changes, to lay over the lesson).
 */
export function recordWork(lesson: Lesson, grade: Grade): { hints: string[]; solution?: string } {
  const progress = readProgress();
  const previous = progress[lesson.id]?.failures ?? {};
  const failing = grade.tests.filter((t) => t.suite === 'exercise' && t.status !== 'pass').map((t) => t.name);
  const exerciseTests = grade.tests.filter((t) => t.suite === 'exercise');
  const exerciseDone = exerciseTests.length > 0 && failing.length === 0;
  const failures = { ...previous };
  for (const name of failing) failures[name] = (failures[name] ?? 0) + 1;
  progress[lesson.id] = { gradedAt: Date.now(), score: grade.score, exerciseDone, regressions: grade.regressions.length, failures };
  mkdirSync(WORK_DIR, { recursive: true });
  writeFileSync(PROGRESS_FILE, `${JSON.stringify(progress, null, 2)}\n`);
  if (exerciseDone) return { hints: [], solution: path.relative(process.cwd(), path.join(REPO_ROOT, 'solutions', lesson.id)) };
  const earned = Math.max(0, ...failing.map((name) => failures[name]!));
  return { hints: lesson.exercise.hints.slice(0, earned) };
}

/** One line for the lesson list: whether the lesson's work folder passed when last graded. */
export function workStatus(lesson: Lesson): string | undefined {
  const dir = workFolder(lesson);
  if (!existsSync(dir)) return undefined;
  const last = readProgress()[lesson.id];
  const where = path.relative(process.cwd(), dir);
  if (!last) return t('lesson.work.notGraded', { where });
  const changed = readdirSync(dir).some((file) => statSync(path.join(dir, file)).mtimeMs > last.gradedAt);
  const score = last.score ?? (last.total ? Math.floor((100 * (last.passed ?? 0)) / last.total) : 0);
  const passes = last.exerciseDone && (last.regressions ?? 0) === 0;
  return t('lesson.work.status', { where, passes, score, changed });
}
