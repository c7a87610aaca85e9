// The platforms' formats and the shards, on hand-made reports (scripts/report/model.ts): Gradescope's
// and Exercism's results.json pass JSON Schemas written from their specifications
// (scripts/report/schemas/), and those schemas reject files that break the specifications; the JUnit
// file parses as XML, one testsuite per student and lesson, classname = the lesson, with hostile
// text escaped; --shard splits deterministically and whatever the order; merging the shards gives
// the one-run report, and refuses reports that are not the shards of one run. Last, through
// `npm run grade` itself: a small class graded in one run and in two shards merged, equal.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { STAGING_PARENT } from '../scripts/grader.ts';
import { REPO_ROOT, SOLUTIONS_DIR } from '../scripts/manifest.ts';
import { EXERCISM_OUTPUT_LIMIT, parseFormats, toExercism, toGradescope, toJunit, writeFormats } from '../scripts/report/formats.ts';
import { mergeReports } from '../scripts/report/merge.ts';
import type { Report, ReportTest, StudentGrade } from '../scripts/report/model.ts';
import { gradingKey, parseShard, shardIndexOf, shardOf } from '../scripts/report/shard.ts';
import { runCommand } from '../scripts/runtime/child.ts';
import { parseXml } from './xml.ts';

const SCHEMAS = path.join(REPO_ROOT, 'scripts', 'report', 'schemas');
// strictRequired off: the specifications' conditional presence (`if` status is error `then` required message) names
// properties defined one level up; union types (string or null) are what the interfaces say.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const schema = (name: string): ValidateFunction =>
  ajv.compile(JSON.parse(readFileSync(path.join(SCHEMAS, `${name}-results.schema.json`), 'utf8')) as object);
const gradescopeSchema = schema('gradescope');
const exercismSchema = schema('exercism');

function valid(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

// ---- hand-made reports ----

const HOSTILE = 'a "quoted" <tag> & ]]> \'apostrophe\'\ttab\nsecond line \u0007bell \ud800lone 你好';

function test(name: string, status: ReportTest['status'], extra: Partial<ReportTest> = {}): ReportTest {
  const suite = extra.suite ?? 'lesson';
  return {
    name,
    suite,
    role: 'scored',
    status,
    points: status === 'pass' ? 2 : 0,
    maxPoints: 2,
    seconds: 0.5,
    ...(status === 'pass' ? {} : { message: `${name} failed\nthe second line`, kind: 'wrong-output', command: 'server.ts --port 0' }),
    ...extra,
  };
}

function grade(student: string, lesson: string, tests: ReportTest[], extra: Partial<StudentGrade> = {}): StudentGrade {
  const points = tests.reduce((n, t) => n + t.points, 0);
  const maxPoints = tests.reduce((n, t) => n + t.maxPoints, 0);
  return {
    student,
    lesson,
    folder: `submissions/${student}`,
    assignment: 'exercise',
    status: 'graded',
    score: maxPoints === 0 ? 0 : Math.floor((100 * points) / maxPoints),
    points,
    maxPoints,
    exerciseDone: tests.filter((t) => t.suite === 'exercise').every((t) => t.status === 'pass'),
    regressions: [],
    roles: [{ role: 'server', program: 'server.ts', from: 'student' }],
    seconds: 3.2,
    tests,
    ...extra,
  };
}

function report(grades: StudentGrade[], extra: Partial<Report> = {}): Report {
  return { version: 1, gradedAt: '2026-11-21T10:00:00.000Z', assignment: 'exercise', partial: false, grades, ...extra };
}

const LESSON_TESTS = [
  'client and server exchange ASCII text in utf-8',
  'server reads the whole message when it arrives one byte per write',
];
const passing = grade('alice', '04-tcp-server', [
  ...LESSON_TESTS.map((n) => test(n, 'pass', { checks: `checks that ${n}` })),
  test('server --clients 3 serves three clients one after another, then exits', 'pass', { suite: 'exercise' }),
]);
const failing = grade('bob', '04-tcp-server', [
  test(LESSON_TESTS[0]!, 'pass'),
  test(LESSON_TESTS[1]!, 'fail', { output: 'x'.repeat(3000), input: 'hello\n' }),
  test('a regression check', 'fail', { role: 'regression', points: 0, maxPoints: 0, penalty: 5 }),
  test(HOSTILE, 'fail', { suite: 'exercise', message: HOSTILE, output: HOSTILE }),
  test('the server is stopped', 'error', { message: 'the tests did not finish within 180 s and were stopped' }),
  test('not reached', 'not-run', { message: undefined }),
]);
const notStarted = grade('carol', '04-tcp-server', [test(LESSON_TESTS[0]!, 'not-run'), test(LESSON_TESTS[1]!, 'not-run')], {
  status: 'did-not-start',
  reason: 'server.ts: SyntaxError: Unexpected token',
  score: 0,
  points: 0,
});
const missing = grade('dave', '05-tcp-chat', [], { status: 'missing', reason: 'no folder 05-tcp-chat/', exerciseDone: false });

/** A solution graded with a lesson test its unchanged files decide, which is listed as not run (role note). */
const withSame = grade('erin', '04-tcp-server', [
  ...passing.tests,
  test('client reports a server that closes without replying', 'not-run', {
    role: 'note',
    points: 0,
    maxPoints: 0,
    message: "not run, unchanged: client.ts is the lesson's own, byte for byte",
  }),
]);

describe('tests not run by design', () => {
  it('are left out of Gradescope and Exercism, which have no "skipped", and are skipped in JUnit', () => {
    // Checks that a full-marks solution with tests "same as the lesson" is not shown a failure or an
    // error on a platform: the tests are left out, the summary says how many, JUnit marks them skipped.
    const gradescope = toGradescope(report([withSame]));
    assert.deepEqual(valid(gradescopeSchema, gradescope), []);
    assert.deepEqual(
      gradescope.tests.map((t) => t.status),
      ['passed', 'passed', 'passed'],
    );
    assert.match(gradescope.output, /3 of 3 tests passed, .*; 1 not run, counted for nothing/);
    const exercism = toExercism(report([withSame]));
    assert.deepEqual(valid(exercismSchema, exercism), []);
    assert.equal(exercism.status, 'pass');
    assert.equal(exercism.tests!.length, 3);
    const cases = parseXml(toJunit(report([withSame])))
      .children.find((c) => c.name === 'testsuite')!
      .children.filter((c) => c.name === 'testcase');
    assert.deepEqual(
      cases.map((c) => c.children.some((child) => child.name === 'skipped')),
      [false, false, false, true],
    );
  });
});

describe('gradescope results.json', () => {
  it('passes the schema of the specification for a passing, a failing and a not-started submission', () => {
    for (const g of [passing, failing, notStarted, missing]) {
      const results = toGradescope(report([g]));
      assert.deepEqual(valid(gradescopeSchema, results), [], g.student);
      assert.equal(results.score, g.score);
      assert.equal(results.tests.length, g.tests.length);
      for (const t of results.tests)
        for (const field of ['name', 'score', 'max_score', 'status', 'output', 'visibility']) assert.ok(field in t);
      for (const field of ['execution_time', 'output', 'output_format', 'stdout_visibility']) assert.ok(field in results, field);
    }
    const results = toGradescope(report([failing]));
    assert.deepEqual(
      results.tests.map((t) => [t.status, t.score, t.max_score]),
      [
        ['passed', 2, 2],
        ['failed', 0, 2],
        ['failed', 0, 0],
        ['failed', 0, 2],
        ['failed', 0, 2],
        ['failed', 0, 2],
      ],
    );
    assert.match(results.tests[1]!.output, /failed\nthe second line\ncommand: server\.ts --port 0\ninput: hello\n\noutput:\nxxx/);
    assert.match(results.tests[2]!.output, /costs 5 points/);
  });

  it("combines one student's lessons, and refuses a report of several students", () => {
    const two = toGradescope(report([passing, { ...failing, student: 'alice', lesson: '05-tcp-chat' }]));
    assert.deepEqual(valid(gradescopeSchema, two), []);
    assert.equal(two.score, (passing.score + failing.score) / 2);
    assert.ok(two.tests.every((t) => /^0[45]-tcp-(server|chat): /.test(t.name)));
    assert.throws(() => toGradescope(report([passing, failing])), /results\.json is for one student, and this report has 2 \(alice, bob/);
  });

  it('has a schema that rejects what the specification does not allow', () => {
    // The schema is what the test relies on: it must say no to a wrong status, a missing score, an unknown field.
    const good = toGradescope(report([passing]));
    const broken = [
      { ...good, tests: [{ ...good.tests[0]!, status: 'pass' }] },
      { ...good, score: undefined, tests: [{ name: 'no score' }] },
      { ...good, stdout_visibility: 'students' },
      { ...good, output_format: 'markdown' },
      { ...good, tests: [{ ...good.tests[0]!, maxScore: 2 }] },
    ];
    for (const value of broken)
      assert.notDeepEqual(valid(gradescopeSchema, JSON.parse(JSON.stringify(value))), [], JSON.stringify(value).slice(0, 200));
  });
});

describe('exercism results.json (version 3)', () => {
  it('passes the schema of the interface: pass, fail, and error when no test ran', () => {
    const pass = toExercism(report([passing]));
    assert.deepEqual(valid(exercismSchema, pass), []);
    assert.equal(pass.status, 'pass');
    assert.equal(pass.message, undefined);
    assert.deepEqual(
      pass.tests!.map((t) => [t.status, t.task_id ?? null]),
      [
        ['pass', null],
        ['pass', null],
        ['pass', 1],
      ],
    );

    const fail = toExercism(report([failing]));
    assert.deepEqual(valid(exercismSchema, fail), []);
    assert.equal(fail.status, 'fail');
    assert.deepEqual(
      fail.tests!.map((t) => t.status),
      ['pass', 'fail', 'fail', 'fail', 'error', 'error'],
    );
    for (const t of fail.tests!) if (t.status !== 'pass') assert.ok(t.message && t.message.length > 0, t.name);
    const long = fail.tests![1]!;
    assert.equal(long.output!.length, EXERCISM_OUTPUT_LIMIT);
    assert.match(long.output!, /Output was truncated\. Please limit to 500 chars$/);
    assert.match(long.test_code, /^.+\n\$ server\.ts --port 0\nstdin: hello\n$/);

    for (const g of [notStarted, missing]) {
      const error = toExercism(report([g]));
      assert.deepEqual(valid(exercismSchema, error), [], g.student);
      assert.equal(error.status, 'error');
      assert.ok(error.message!.includes(g.reason!), error.message);
    }
  });

  it('has a schema that rejects what the interface does not allow', () => {
    const fail = toExercism(report([failing]));
    const broken = [
      { ...fail, version: 2 },
      { ...fail, status: 'failed' },
      { ...fail, status: 'pass' }, // a failing test under an overall pass
      { ...fail, message: 'not an error, so no message' },
      { version: 3, status: 'error' }, // an error without its message
      { version: 3, status: 'fail' }, // no tests
      { ...fail, tests: [{ ...fail.tests![1]!, message: undefined }] }, // a failure without a message
      { ...fail, tests: [{ ...fail.tests![1]!, output: 'y'.repeat(501) }] },
      { ...fail, tests: [{ ...fail.tests![1]!, taskId: 1 }] },
    ];
    for (const value of broken)
      assert.notDeepEqual(valid(exercismSchema, JSON.parse(JSON.stringify(value))), [], JSON.stringify(value).slice(0, 200));
  });
});

describe('junit xml', () => {
  it("parses, with one testsuite per student and lesson and the lesson as each case's class name", () => {
    const sameName = grade('alice', '05-tcp-chat', [test(LESSON_TESTS[0]!, 'fail')]);
    const xml = toJunit(report([passing, sameName, failing, notStarted, missing]));
    const root = parseXml(xml);
    assert.equal(root.name, 'testsuites');
    const suites = root.children.filter((c) => c.name === 'testsuite');
    assert.deepEqual(
      suites.map((s) => s.attributes.name),
      ['alice/04-tcp-server', 'alice/05-tcp-chat', 'bob/04-tcp-server', 'carol/04-tcp-server', 'dave/05-tcp-chat'],
    );
    for (const suite of suites) {
      const cases = suite.children.filter((c) => c.name === 'testcase');
      const lesson = suite.attributes.package!;
      assert.ok(
        cases.every((c) => c.attributes.classname === lesson),
        `${suite.attributes.name}: classname is the lesson`,
      );
      for (const required of ['name', 'tests', 'failures', 'errors']) assert.ok(required in suite.attributes, required);
      assert.equal(Number(suite.attributes.tests), cases.length);
      const count = (kind: string): number => cases.filter((c) => c.children.some((child) => child.name === kind)).length;
      assert.equal(Number(suite.attributes.failures), count('failure'));
      assert.equal(Number(suite.attributes.errors), count('error'));
      assert.equal(Number(suite.attributes.skipped), count('skipped'));
      for (const c of cases) assert.match(c.attributes.time!, /^\d+\.\d{3}$/);
    }
    // The same test name in two lessons: two distinct (classname, name) pairs.
    const pairs = suites.flatMap((s) =>
      s.children.filter((c) => c.name === 'testcase').map((c) => `${c.attributes.classname}::${c.attributes.name}`),
    );
    assert.ok(pairs.includes(`04-tcp-server::${LESSON_TESTS[0]}`) && pairs.includes(`05-tcp-chat::${LESSON_TESTS[0]}`));
    assert.equal(Number(root.attributes.tests), pairs.length);

    const bob = suites[2]!;
    const kinds = bob.children.filter((c) => c.name === 'testcase').map((c) => c.children.map((child) => child.name).join(',') || 'pass');
    assert.deepEqual(kinds, ['pass', 'failure', 'failure', 'failure', 'error', 'skipped']);
    // Hostile text survives, escaped: in a name, a message attribute (one line) and a body.
    const hostile = bob.children.find((c) => c.name === 'testcase' && c.attributes.name!.startsWith('a "quoted"'))!;
    const expected = HOSTILE.replace('\u0007', '\uFFFD').replace('\ud800', '\uFFFD');
    assert.equal(hostile.attributes.name, expected);
    const failure = hostile.children[0]!;
    assert.equal(failure.attributes.message, expected.split('\n')[0]);
    assert.equal(failure.attributes.type, 'wrong-output');
    assert.ok(failure.text.startsWith(expected), failure.text);
    // A submission that was not graded is not a silent pass.
    const dave = suites[4]!;
    const status = dave.children.find((c) => c.name === 'testcase')!;
    assert.equal(status.children[0]!.name, 'error');
    assert.match(status.children[0]!.attributes.message!, /^missing: no folder 05-tcp-chat\/$/);
  });

  it('is checked by a reader that rejects unescaped text', () => {
    // The reader the test above relies on fails on what a careless writer would produce.
    const ok = '<?xml version="1.0" encoding="UTF-8"?>\n<a b="1"><c/>text</a>';
    assert.equal(parseXml(ok).children.length, 1);
    for (const bad of [
      '<a b="x"y"/>',
      '<a>1 < 2</a>',
      '<a>R&D</a>',
      '<a><b></a></b>',
      '<a b="line\nbreak"/>',
      '<a>\u0007</a>',
      '<a b="1" b="2"/>',
    ])
      assert.throws(() => parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n${bad}`), Error, bad);
  });
});

describe('writeFormats and --format', () => {
  it('writes results.json for one student, one per student for several, and junit.xml', (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-formats-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    assert.deepEqual(writeFormats(report([passing]), path.join(dir, 'one'), ['gradescope', 'junit']), [
      path.join(dir, 'one', 'results.json'),
      path.join(dir, 'one', 'junit.xml'),
    ]);
    const several = report([passing, failing, { ...notStarted, student: 'class2/carol' }]);
    const written = writeFormats(several, path.join(dir, 'class'), ['exercism']);
    assert.deepEqual(
      written.map((f) => path.relative(dir, f)),
      ['class/alice/results.json', 'class/bob/results.json', 'class/class2_carol/results.json'],
    );
    for (const file of written) assert.deepEqual(valid(exercismSchema, JSON.parse(readFileSync(file, 'utf8'))), [], file);
  });

  it('rejects an unknown format, and two formats that write the same file', () => {
    assert.deepEqual(parseFormats(['junit', 'gradescope,junit']), ['junit', 'gradescope']);
    assert.throws(() => parseFormats(['tap']), /^Error: --format must be one of gradescope, exercism, junit, not 'tap'$/);
    assert.throws(() => parseFormats(['gradescope', 'exercism']), /both write results\.json/);
  });
});

describe('shards', () => {
  const students = Array.from({ length: 40 }, (_, i) => ({
    student: `student-${i}`,
    lesson: i % 3 === 0 ? '05-tcp-chat' : '04-tcp-server',
  }));
  const key = (s: { student: string; lesson: string }): string => gradingKey(s.student, s.lesson);

  it('parses K/N and rejects anything else in one line', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', '1', 'a/b', '1/2/3', '-1/2', ''])
      assert.throws(
        () => parseShard(bad),
        (err: Error) => /^--shard must be K\/N/.test(err.message) && !err.message.includes('\n'),
        bad,
      );
  });

  it('splits a class into disjoint parts that cover it, the same whatever the order', () => {
    for (const count of [1, 2, 3, 7]) {
      const parts = Array.from({ length: count }, (_, i) => shardOf(students, key, i + 1, count));
      assert.equal(parts.flat().length, students.length);
      assert.deepEqual(new Set(parts.flat()), new Set(students));
      const reversed = Array.from({ length: count }, (_, i) => shardOf([...students].reverse(), key, i + 1, count));
      parts.forEach((part, i) => assert.deepEqual(new Set(part), new Set(reversed[i]), `part ${i + 1}/${count}`));
      if (count > 1)
        assert.ok(
          parts.every((p) => p.length > 0),
          `no empty part of ${count} for 40 students`,
        );
    }
    // Stable across runs and machines: the hash of a key is fixed (SHA-256), not Math.random or a Map's order.
    assert.equal(shardIndexOf(gradingKey('ada', '04-tcp-server'), 2), 2);
    assert.equal(shardIndexOf(gradingKey('chen', '04-tcp-server'), 2), 1);
  });
});

describe('merging shards', () => {
  const lessons = ['04-tcp-server', '05-tcp-chat'];
  const names = ['zoe', 'ada', 'Bob', 'émile', 'chen', '陈', 'dana'];
  const all = names
    .toSorted()
    .flatMap((student) =>
      lessons.map((lesson, i) => grade(student, lesson, [test(LESSON_TESTS[0]!, (student.length + i) % 2 ? 'pass' : 'fail')])),
    );
  const oneRun = report(all);
  const shards = (count: number): Report[] =>
    Array.from({ length: count }, (_, i) =>
      report(shardOf(all, (g) => gradingKey(g.student, g.lesson), i + 1, count).reverse(), {
        shard: { index: i + 1, count },
        gradedAt: `2026-11-21T10:0${i}:00.000Z`,
      }),
    );

  it('gives the report of one run, in its order', () => {
    for (const count of [1, 2, 3]) {
      const merged = mergeReports(shards(count).reverse());
      assert.deepEqual({ ...merged, gradedAt: oneRun.gradedAt }, oneRun, `${count} shards`);
      assert.equal(merged.gradedAt, `2026-11-21T10:0${count - 1}:00.000Z`, 'the time of the last shard');
    }
    assert.equal(
      mergeReports([report([], { shard: { index: 1, count: 2 } }), report(all, { shard: { index: 2, count: 2 } })]).grades.length,
      all.length,
    );
  });

  it('says which shards are missing or twice, and refuses reports of different runs', () => {
    const [a, b, c] = shards(3) as [Report, Report, Report];
    const problems = (reports: Report[]): string => {
      try {
        mergeReports(reports, ['a.json', 'b.json', 'c.json', 'd.json']);
      } catch (err) {
        return (err as Error).message;
      }
      return 'merged';
    };
    assert.equal(problems([a, c]), 'missing shard 2/3 of 3');
    assert.equal(problems([a]), 'merged', 'one report alone is converted as it is');
    assert.match(problems([a, b, c, a]), /^shard 1\/3 is given twice: a\.json, d\.json\n.+ is graded in both a\.json and d\.json/);
    assert.match(
      problems([a, b, { ...c, assignment: 'port' }]),
      /^c\.json: graded as 'port', a\.json as 'exercise': not shards of one run$/,
    );
    assert.match(problems([a, b, { ...c, rubric: 'strict.json' }]), /^c\.json: rubric strict\.json, a\.json: \(none\)/);
    assert.match(problems([a, b, { ...c, shard: { index: 3, count: 4 } }]), /c\.json is shard 3\/4, a\.json is of 3 shards/);
    assert.match(problems([a, { ...b, shard: undefined }, c]), /^not the report of a shard \(--shard K\/N\): b\.json$/);
    assert.match(problems([a, { ...b, grades: [...b.grades, a.grades[0]!] }, c]), / is graded in both a\.json and b\.json$/);
  });
});

describe('npm run grade --shard and merge', () => {
  it('grades a class in two shards whose merged report equals the one-run report', async (t) => {
    // Four students (two solved, one whose server crashes, one without client.ts), one quick lesson
    // test, graded as a port so that the lesson test is the one that scores.
    const lesson = path.join(REPO_ROOT, 'lessons', '04-tcp-server');
    mkdirSync(STAGING_PARENT, { recursive: true });
    const root = mkdtempSync(path.join(STAGING_PARENT, '.test-shards-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const classDir = path.join(root, 'class');
    for (const student of ['ada', 'bram', 'chen', 'dana']) {
      const dir = path.join(classDir, student);
      cpSync(lesson, dir, { recursive: true, filter: (source) => !source.endsWith('.test.ts') && !source.endsWith('.md') });
      if (student === 'ada' || student === 'chen')
        cpSync(path.join(SOLUTIONS_DIR, '04-tcp-server', 'server.ts'), path.join(dir, 'server.ts'));
      if (student === 'bram')
        cpSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'contained', 'crash', 'server.ts'), path.join(dir, 'server.ts'));
      if (student === 'dana') rmSync(path.join(dir, 'client.ts'));
    }
    const env = { SOCKET_LESSONS_WAIT_MS: '6000', SOCKET_LESSONS_ONLY_TESTS: JSON.stringify([LESSON_TESTS[0]]) };
    const out = (name: string): string => path.join(root, name);
    const runs = await Promise.all([
      grade_(['04', classDir, '--report', out('one'), '--format', 'junit', '--jobs', '1', '--assignment', 'port'], env),
      grade_(['04', classDir, '--report', out('shard-1'), '--shard', '1/2', '--jobs', '1', '--assignment', 'port'], env),
      grade_(['04', classDir, '--report', out('shard-2'), '--shard', '2/2', '--jobs', '1', '--assignment', 'port'], env),
    ]);
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const merge = await grade_([
      'merge',
      out('shard-2/grade-report.json'),
      out('shard-1/grade-report.json'),
      '--report',
      out('merged'),
      '--format',
      'gradescope',
    ]);
    assert.equal(merge.code, 0, merge.stderr);

    const read = (dir: string): Report => JSON.parse(readFileSync(path.join(out(dir), 'grade-report.json'), 'utf8')) as Report;
    const [one, first, second, merged] = [read('one'), read('shard-1'), read('shard-2'), read('merged')];
    assert.deepEqual(first.shard, { index: 1, count: 2 });
    assert.deepEqual(
      [first.grades.map((g) => g.student), second.grades.map((g) => g.student)],
      [
        ['chen', 'dana'],
        ['ada', 'bram'],
      ],
    );
    // Equal but for what differs between any two runs: times, the staging folder and the free ports in programs' output.
    const runSpecific = (text: string | undefined): string | undefined =>
      text
        ?.replace(/\.grading-[\w-]+/g, '.grading-RUN')
        .replace(/(127\.0\.0\.1|localhost|\[?::1\]?):\d+/g, '$1:PORT')
        .replace(/--port \d+/g, '--port PORT');
    const comparable = (r: Report): unknown => ({
      ...r,
      gradedAt: undefined,
      grades: r.grades.map((g) => ({
        ...g,
        seconds: undefined,
        tests: g.tests.map((test) => ({
          ...test,
          seconds: undefined,
          output: runSpecific(test.output),
          message: runSpecific(test.message),
          command: runSpecific(test.command),
        })),
      })),
    });
    assert.deepEqual(comparable(merged), comparable(one));
    assert.deepEqual(
      one.grades.map((g) => [g.student, g.score]),
      [
        ['ada', 100],
        ['bram', 0],
        ['chen', 100],
        ['dana', 0],
      ],
    );
    // The formats came along: junit.xml of the one run, and one Gradescope results.json per student from the merge.
    assert.equal(parseXml(readFileSync(path.join(out('one'), 'junit.xml'), 'utf8')).children.length, 4);
    for (const student of ['ada', 'bram', 'chen', 'dana'])
      assert.deepEqual(valid(gradescopeSchema, JSON.parse(readFileSync(path.join(out('merged'), student, 'results.json'), 'utf8'))), []);

    const missingShard = await grade_(['merge', out('shard-1/grade-report.json'), '--report', out('nothing')]);
    assert.equal(missingShard.code, 0, 'one shard alone is converted as it is');
    const wrong = await grade_(['merge', out('shard-1/grade-report.json'), out('shard-1/grade-report.json')]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^grade merge: shard 1\/2 is given twice/m);
    assert.match(wrong.stderr, /^grade merge: missing shard 2\/2 of 2$/m);
    const usage = await grade_(['04', classDir, '--shard', '3/2']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^grade: --shard must be K\/N/);
  });
});

const GRADE_LIMIT_MS = 240_000;

/** Runs `npm run grade` (the script itself) with extra environment. */
async function grade_(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await runCommand([process.execPath, '--import', 'tsx', 'scripts/grade.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    timeoutMs: GRADE_LIMIT_MS,
  });
  assert.equal(result.timedOut, false, `npm run grade ${args.join(' ')} did not finish within ${GRADE_LIMIT_MS / 1000} s`);
  return { code: result.code ?? 1, stdout: result.stdout, stderr: result.stderr };
}
