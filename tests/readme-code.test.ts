// Code shown in a lesson README is the tested code: every `<!-- code: FILE#REGION -->` block
// must equal that region of the file. Fix a failure with: node --import tsx scripts/regions.ts --write

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { loadLessons } from '../scripts/manifest.ts';
import { codeIncludes } from '../scripts/regions.ts';

for (const lesson of loadLessons()) {
  it(`${lesson.id}/README.md shows its code exactly as in the tested files`, () => {
    // Checks each include block against its source region, naming the file and region that drifted.
    const includes = codeIncludes(path.join(lesson.dir, 'README.md'));
    assert.ok(includes.length > 0, 'the README shows code from the lesson through region includes');
    for (const include of includes) {
      assert.equal(include.problem, undefined, `${lesson.id}/README.md, ${include.file}#${include.region}: ${include.problem}`);
    }
  });
}

it('a block that drifted from its region, or names a missing region, is reported', (t) => {
  // Checks the checker itself on a README made for the purpose.
  const dir = mkdtempSync(path.join(tmpdir(), 'regions-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'a.ts'), 'x;\n  // #region r\n  const a = 1;\n  // #endregion r\n');
  const block = (region: string, code: string): string => `<!-- code: a.ts#${region} -->\n\`\`\`ts\n${code}\`\`\`\n`;
  writeFileSync(path.join(dir, 'README.md'), block('r', 'const a = 1;\n') + block('r', 'const a = 2;\n') + block('gone', 'x\n'));
  const problems = codeIncludes(path.join(dir, 'README.md')).map((include) => include.problem);
  assert.deepEqual(problems, [undefined, "the block differs from region 'r' of a.ts", "a.ts has no region 'gone'"]);
});
