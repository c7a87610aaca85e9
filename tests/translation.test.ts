// The Chinese edition: a README.zh-CN.md has the shape of its English README and translates its
// current version (scripts/translation.ts). This checks the repository's editions and the checker
// itself, on READMEs made for the purpose.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { stampFor, translatedSources, translationOf, translationProblems } from '../scripts/translation.ts';

const ENGLISH = `# A lesson

[中文版 (Chinese edition)](README.zh-CN.md)

Intro, see [lesson 05](../05-tcp-chat/README.md) and [Node](https://nodejs.org/api/net.html).

## Half-close

The client ends its side.

<!-- code: a.ts#r -->
\`\`\`ts
const a = 1;
\`\`\`

## Errata

| Where | Kind |
|---|---|
| a | b |
`;

const CHINESE = `# 一课

[English](README.md)

简介，见[第 05 课](../05-tcp-chat/README.md)和 [Node](https://nodejs.org/api/net.html)。

## 半关闭

客户端关闭自己的发送方向。

<!-- code: a.ts#r -->
\`\`\`ts
const a = 1;
\`\`\`

## 勘误

| 位置 | 类型 |
|---|---|
| a | b |
`;

function lesson(t: { after: (fn: () => void) => void }, english: string, chinese: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'translation-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = path.join(dir, 'README.md');
  writeFileSync(source, english);
  writeFileSync(path.join(dir, 'README.zh-CN.md'), stampFor(source) + chinese);
  return source;
}

it("every Chinese edition in the repository is up to date and of its source's shape", () => {
  // Checks the repository's own README.zh-CN.md files against their English sources.
  const translated = translatedSources().filter((source) => existsSync(translationOf(source)));
  assert.deepEqual(translated.flatMap(translationProblems), []);
});

it('a translation of the same shape that records the current English passes', (t) => {
  // Checks the checker accepts a complete, current translation.
  assert.deepEqual(translationProblems(lesson(t, ENGLISH, CHINESE)), []);
});

it('an English section changed alone fails with one line naming the file and the section', (t) => {
  // Checks the staleness rule: the stamp records the English that was translated.
  const source = lesson(t, ENGLISH, CHINESE);
  writeFileSync(source, ENGLISH.replace('The client ends its side.', 'The client ends its sending side.'));
  const problems = translationProblems(source);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /README\.zh-CN\.md: translates an older README\.md \(sections changed: half-close\)/);
});

it('a missing section, code region, errata row or link is named', (t) => {
  // Checks each parity rule on its own defect.
  const cases: [string, RegExp][] = [
    [CHINESE.replace('## 半关闭\n', ''), /headings/],
    [CHINESE.replace('<!-- code: a.ts#r -->\n', ''), /code regions differ from the English \(missing 'a\.ts#r'\)/],
    [CHINESE.replace('| a | b |\n', ''), /errata table has 2 lines where the English has 3/],
    [
      CHINESE.replace('[第 05 课](../05-tcp-chat/README.md)', '第 05 课'),
      /links differ from the English \(missing '\.\.\/05-tcp-chat\/README\.md'\)/,
    ],
    [CHINESE.replace('[English](README.md)\n', ''), /no link back to README\.md/],
  ];
  for (const [chinese, expected] of cases) {
    const problems = translationProblems(lesson(t, ENGLISH, chinese));
    assert.ok(
      problems.some((line) => expected.test(line)),
      `expected ${expected} in:\n${problems.join('\n')}`,
    );
  }
  // The stamp is what the translation says it translates: without it, nothing can be compared.
  const source = lesson(t, ENGLISH, CHINESE);
  const translation = source.replace(/\.md$/, '.zh-CN.md');
  writeFileSync(translation, readFileSync(translation, 'utf8').split('\n').slice(1).join('\n'));
  assert.match(translationProblems(source).join('\n'), /its first line must be the stamp/);
});
