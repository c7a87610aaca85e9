// Repository-level checks of every lesson folder: the manifest is valid, the files the design
// fixes are there, solutions mirror the lesson and change only the exercise's files, lesson
// programs stay standalone and on loopback, and the README's lesson table lists every lesson.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadLessons, REPO_ROOT, SOLUTIONS_DIR } from '../scripts/manifest.ts';

const lessons = loadLessons();
const LAN_ADDRESS = /\b(?:192\.168|10\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01]))\.\d{1,3}\.\d{1,3}\b/;

it('there is at least one lesson and every manifest loads', () => {
  // Checks that loadLessons() found lessons; it throws, naming the file, on a malformed manifest.
  assert.ok(lessons.length > 0);
});

it('every lesson folder has its manifest', () => {
  // Checks that no lessons/NN-slug folder is silently skipped: a folder is a lesson by its lesson.json.
  const folders = readdirSync(path.join(REPO_ROOT, 'lessons')).filter((name) => /^\d\d-/.test(name));
  assert.deepEqual(folders.filter((name) => !existsSync(path.join(REPO_ROOT, 'lessons', name, 'lesson.json'))), []);
});

it("the README's lesson table lists every lesson", () => {
  // Checks that a newcomer's table of lessons does not fall behind the lessons folder.
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  for (const lesson of lessons) assert.match(readme, new RegExp(`^\\|[^\\n]*${lesson.id}`, 'm'), `${lesson.id} in README.md`);
});

for (const lesson of lessons) {
  describe(lesson.id, () => {
    const programs = [...new Set(lesson.programs.map((p) => p.file))]; // two roles may run one file
    const solution = path.join(SOLUTIONS_DIR, lesson.id);

    it('has its README with explanation, errata and exercise, and its test file', () => {
      // Checks the folder layout fixed by the design.
      const readme = readFileSync(path.join(lesson.dir, 'README.md'), 'utf8');
      for (const heading of [/^## .*Errata/m, /^## .*Exercise/m, /^## .*Python.*Node/m]) assert.match(readme, heading);
      assert.ok(existsSync(path.join(lesson.dir, `${lesson.id}.test.ts`)));
    });

    it('its solution mirrors the lesson file for file and changes only the exercise files', () => {
      // Checks the rustlings rule: diffing lesson and solution shows exactly what the exercise asks.
      const files = readdirSync(solution).filter((f) => f.endsWith('.ts')).sort();
      assert.deepEqual(files, [...programs].sort());
      for (const file of programs) {
        const same = readFileSync(path.join(solution, file), 'utf8') === readFileSync(path.join(lesson.dir, file), 'utf8');
        assert.equal(same, !lesson.exercise.files.includes(file), `${file} ${same ? 'is unchanged' : 'differs'} in the solution`);
      }
    });

    it('its programs import only node: built-ins and iconv-lite, and name no LAN address', () => {
      // Checks that every program stands alone (runnable by copying the file) and stays on loopback.
      for (const dir of [lesson.dir, solution]) {
        for (const file of programs) {
          const source = readFileSync(path.join(dir, file), 'utf8');
          for (const [, specifier] of source.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) {
            assert.ok(specifier!.startsWith('node:') || specifier === 'iconv-lite', `${dir}/${file} imports '${specifier}'`);
          }
          assert.doesNotMatch(source, LAN_ADDRESS, `${file} names a LAN address`);
        }
      }
    });
  });
}
