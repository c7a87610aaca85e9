// The grading report as data: what `npm run grade` computes for each student and lesson, and what
// every output reads (the terminal table, grade-report.json and .csv, and the platforms' formats in
// scripts/report/formats.ts). grade-report.json is a Report as it is; a merged report (shards) is one
// too. Plain data only, so that a report written by one run can be read back by another.

import type { FailureKind } from '../runtime/failure.ts';

/** exercise: the student changed the lesson's programs; port: the student wrote them from scratch. */
export type Assignment = 'exercise' | 'port';

/** The --faults spec (scripts/relay/faults.ts's grammar) and --seed a run was graded under. */
export interface Faults {
  spec: string;
  seed?: number;
}

/** How one test counts: towards the score, as a regression check, or not at all (a grader note). */
export type TestRole = 'scored' | 'regression' | 'note';

/**
 * A test not run by design, counted for nothing: its files are the lesson's own (the lesson's result),
 * or it cannot hold under faults. Neither a failure nor a pass.
 */
export function notRunByDesign(test: { status: string; role: string }): boolean {
  return test.status === 'not-run' && test.role === 'note';
}

export interface ReportTest {
  name: string;
  /** The suite that holds it in the lesson's test file, or 'grader' for the grader's own checks. */
  suite: 'lesson' | 'exercise' | 'grader';
  role: TestRole;
  status: 'pass' | 'fail' | 'error' | 'not-run';
  /** Points earned and possible (regressions: 0 of 0 earned, `penalty` lost when failing). */
  points: number;
  maxPoints: number;
  /** Points a failing regression check costs (0 when it passes or is not a regression check). */
  penalty?: number;
  /** What the test checks, in one line (its name says it; this may add the suite's words). */
  checks?: string;
  /** The harness's finding, when it had one. */
  kind?: FailureKind;
  /** The command line the test ran, as the student's own file or command (`python3 server.py --port 0`). */
  command?: string;
  /** What the test typed to the program's stdin, if anything. */
  input?: string;
  /** What to look at, then the first lines of the failure. */
  message?: string;
  /** A capped excerpt of the programs' output. */
  output?: string;
  seconds?: number;
}

export interface ReportRole {
  role: string;
  /** The file or command that played the role: the student's own, or the lesson's reference. */
  program: string;
  from: 'student' | 'reference';
}

export type GradeStatus =
  | 'graded' // every test ran
  | 'missing' // the student has no folder for the lesson
  | 'did-not-start' // a program could not start (syntax error, missing file, wrong command); reported once
  | 'partial' // stopped part way: a time limit, Ctrl-C, a crash of the grader; what ran is kept
  | 'error'; // the lesson's tests could not run at all

export interface StudentGrade {
  student: string;
  lesson: string;
  /** The student's folder as given (not the grader's staging copy). */
  folder: string;
  assignment: Assignment;
  status: GradeStatus;
  /** Why, for every status but 'graded' (the first lines of a start error, "no folder 07-echo-server/", ...). */
  reason?: string;
  /** 0-100, a whole number: points earned less penalties, over the points possible, never below 0. */
  score: number;
  points: number;
  maxPoints: number;
  /** Exercise assignments: whether every exercise test passed; null for a port. */
  exerciseDone: boolean | null;
  /** Names of the regression checks that failed. */
  regressions: string[];
  roles: ReportRole[];
  seconds: number;
  tests: ReportTest[];
}

export interface Report {
  /** The format of this file, so that later versions can read older reports. */
  version: 1;
  gradedAt: string; // ISO 8601
  /** The command line options that shape the scores, so merged shards can be checked for sameness. */
  assignment: Assignment | 'manifest';
  rubric?: string;
  /** Set when the tests ran under --faults (issue 15): every connection went through a relay with these toxics. */
  faults?: Faults;
  /** Set on a shard's report: this is part K of N. */
  shard?: { index: number; count: number };
  /** True when the run was stopped before every submission was graded (Ctrl-C, time limit, crash). */
  partial: boolean;
  grades: StudentGrade[];
}
