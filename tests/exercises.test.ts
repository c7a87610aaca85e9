// The rustlings check for every lesson: its reference solution passes the lesson and exercise
// tests, and the unmodified lesson fails every exercise test (so the exercise is real work and
// its tests can tell a done exercise from an untouched one).

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadLessons, SOLUTIONS_DIR } from '../scripts/manifest.ts';
import { testResults } from './results.ts';

for (const lesson of loadLessons()) {
  const testFile = path.join(lesson.dir, `${lesson.id}.test.ts`);

  // One nested run at a time: each already runs several tests at once.
  describe(`${lesson.id} exercise`, () => {
    it('the reference solution passes every lesson and exercise test', async () => {
      const results = await testResults(testFile, {
        SOCKET_LESSONS_PROGRAMS: path.join(SOLUTIONS_DIR, lesson.id),
        SOCKET_LESSONS_SUITES: 'lesson,exercise',
      });
      const failed = results.filter((r) => r.status === 'fail');
      assert.deepEqual(failed, [], 'tests that fail on the solution');
      assert.ok(results.some((r) => r.suite.endsWith('exercise')), 'the lesson has exercise tests');
    });

    it('the unmodified lesson fails every exercise test', async () => {
      const results = await testResults(testFile, { SOCKET_LESSONS_PROGRAMS: lesson.dir, SOCKET_LESSONS_SUITES: 'exercise' });
      assert.ok(results.length > 0, 'the lesson has exercise tests');
      const passed = results.filter((r) => r.status === 'pass').map((r) => r.name);
      assert.deepEqual(passed, [], 'exercise tests that pass without the exercise being done');
    });
  });
}
