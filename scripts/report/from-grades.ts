// TEMPORARY BRIDGE, to delete when the grader itself returns a Report (the rewrite of
// scripts/grader.ts and scripts/grade.ts in progress on branch `grade`): today's Grade[] seen as
// the Report of scripts/report/model.ts, so that --format, --shard and merge work end to end
// before that lands. Every test is scored, one point each, which is how today's grader counts
// (the score is the percentage of tests passed); roles are not known here.

import type { Grade } from '../grader.ts';
import type { Report, ReportTest, StudentGrade } from './model.ts';
import type { Shard } from './shard.ts';

export function reportFromGrades(grades: Grade[], options: { shard?: Shard | undefined; gradedAt?: Date } = {}): Report {
  return {
    version: 1,
    gradedAt: (options.gradedAt ?? new Date()).toISOString(),
    assignment: 'exercise',
    ...(options.shard ? { shard: options.shard } : {}),
    partial: false,
    grades: grades.map(studentGrade),
  };
}

function studentGrade(grade: Grade): StudentGrade {
  const tests = grade.tests.map(
    (test): ReportTest => ({
      name: test.name,
      suite: test.suite,
      role: 'scored',
      status: test.status,
      points: test.status === 'pass' ? 1 : 0,
      maxPoints: 1,
      ...(test.message ? { message: test.message } : {}),
      ...(test.output ? { output: test.output } : {}),
      ...(test.command ? { command: test.command } : {}),
    }),
  );
  const exercise = tests.filter((t) => t.suite === 'exercise');
  // An error is the test file's own (it could not run, or was stopped at the time limit).
  const fileError = tests.find((t) => t.status === 'error');
  const ran = tests.some((t) => t.status === 'pass' || t.status === 'fail');
  return {
    student: grade.student,
    lesson: grade.lesson,
    folder: grade.folder,
    assignment: 'exercise',
    status: fileError ? (ran ? 'partial' : 'error') : 'graded',
    ...(fileError ? { reason: (fileError.message ?? 'the tests could not run').split('\n')[0]! } : {}),
    score: grade.score,
    points: grade.passed,
    maxPoints: grade.total,
    exerciseDone: exercise.length > 0 ? exercise.every((t) => t.status === 'pass') : null,
    regressions: [],
    roles: [],
    seconds: grade.seconds,
    tests,
  };
}
