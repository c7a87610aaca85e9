// Tests of every lesson README's "Exercise" section: it teaches the student's loop (copy with
// --exercise, grade with --watch or npm run grade, start again with --reset), and it neither
// names the solution's folder nor sends the student to lesson.json for the hints (the grader
// gives them one at a time, and names the solution once the exercise passes).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { loadLessons } from '../scripts/manifest.ts';

for (const lesson of loadLessons()) {
  it(`${lesson.id}: its Exercise section teaches the loop and does not give the solution away`, () => {
    // Checks the section's text: the four commands, the files to edit, no solutions/ path, no lesson.json.
    const readme = readFileSync(path.join(lesson.dir, 'README.md'), 'utf8');
    const section = /^## Exercise[^\n]*\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
    assert.ok(section, 'an "## Exercise: ..." section');
    for (const command of [
      `npm run lesson ${lesson.id} -- --exercise`,
      `npm run lesson ${lesson.id} -- --watch`,
      `npm run grade -- ${lesson.id} work/${lesson.id}`,
      `npm run lesson ${lesson.id} -- --reset`,
    ])
      assert.ok(section.includes(command), `it shows \`${command}\``);
    for (const file of lesson.exercise.files)
      assert.ok(section.includes(`work/${lesson.id}/${file}`), `it names work/${lesson.id}/${file}`);
    assert.doesNotMatch(section, /solutions\//, 'it does not name the solution');
    assert.doesNotMatch(section, /lesson\.json/, 'it does not send the student to all the hints at once');
  });
}
