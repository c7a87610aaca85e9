// Repository-level checks of every lesson folder against the lesson contract (scripts/contract.ts,
// the rules `npm run check -- NN` runs too): every manifest loads, the README's lesson table is the
// one the manifests make, and each lesson keeps the quick rules (files, README, standalone programs
// on loopback, solution overlay, known-bad programs). The slow rules run in tests/grader.test.ts.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BAD_FIXTURES_DIR, RULES } from '../scripts/contract.ts';
import { tableFiles, tableProblems } from '../scripts/lesson-table.ts';
import { loadCourse, SOLUTIONS_DIR } from '../scripts/manifest.ts';

const { lessons, broken } = loadCourse();

it('there is at least one lesson and every manifest loads', () => {
  // Checks that no lesson is broken: each line names the manifest, the JSON path and what is wrong.
  assert.ok(lessons.length > 0);
  assert.deepEqual(
    broken.flatMap((b) => b.problems),
    [],
    'broken lessons',
  );
});

it("the README's lesson table is the one the manifests make", () => {
  // Checks that a newcomer's table of lessons, in README.md and README.zh-CN.md, does not drift from the lessons (npm run check -- --write-table rewrites it).
  assert.deepEqual(
    tableFiles().flatMap((file) => tableProblems(readFileSync(file, 'utf8'), lessons, undefined, file)),
    [],
  );
});

it('solutions/ and tests/fixtures/bad/ hold folders only for lessons that exist', () => {
  // Checks that removing a lesson (npm run new-lesson -- --remove) leaves nothing of it behind.
  const ids = new Set([...lessons, ...broken].map((l) => l.id));
  for (const dir of [SOLUTIONS_DIR, BAD_FIXTURES_DIR]) {
    const strays = existsSync(dir) ? readdirSync(dir).filter((name) => !ids.has(name)) : [];
    assert.deepEqual(strays, [], `folders in ${path.basename(dir)}/ for no lesson`);
  }
});

for (const lesson of lessons) {
  describe(lesson.id, () => {
    for (const rule of RULES) {
      it(rule.name, () => {
        // Checks one rule of the contract (scripts/contract.ts); a failure says what to do.
        assert.deepEqual(rule.check(lesson), []);
      });
    }
  });
}
