// Code shown in a lesson README is the tested code: every `<!-- code: FILE#REGION -->` block
// must equal that region of the file. The rule for each lesson is in scripts/contract.ts (run by
// tests/lessons.test.ts and npm run check); this checks the checker. Fix a drifted block with:
// node --import tsx scripts/regions.ts --write

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { codeIncludes } from '../scripts/regions.ts';

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
