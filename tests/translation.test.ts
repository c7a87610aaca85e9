// The Chinese edition: a README.zh-CN.md has the shape of its English README and translates its
// current version (scripts/translation.ts). This checks the repository's editions and the checker
// itself, on READMEs made for the purpose; and that the code-sync and link rules and the generated
// lesson table cover the Chinese editions too.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { RULES } from '../scripts/contract.ts';
import { tableProblems, writeTable } from '../scripts/lesson-table.ts';
import { type Lesson, REPO_ROOT, WORK_ROOT } from '../scripts/manifest.ts';
import { lessonReadmes, writeIncludes } from '../scripts/regions.ts';
import {
  missingTranslations,
  stampFor,
  translatedSources,
  translationOf,
  translationProblems,
  withTranslations,
} from '../scripts/translation.ts';

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

it("the root README and every lesson README have a Chinese edition, up to date and of their source's shape", () => {
  // Checks the repository's own README.zh-CN.md files: every one is there and translates the current English.
  assert.deepEqual(
    missingTranslations().map((source) => translationOf(source)),
    [],
  );
  assert.deepEqual(translatedSources().flatMap(translationProblems), []);
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

it('a missing section, code region, errata row or link, or a list or table pasted twice, is named', (t) => {
  // Checks each parity rule on its own defect.
  const cases: [string, RegExp][] = [
    [CHINESE.replace('## 半关闭\n', ''), /headings/],
    [CHINESE.replace('<!-- code: a.ts#r -->\n', ''), /code regions differ from the English \(missing 'a\.ts#r'\)/],
    [CHINESE.replace('| a | b |\n', ''), /errata table has 2 table lines where the English has 3/],
    // A paragraph, list or table pasted twice in a section whose heading still matches.
    [
      CHINESE.replace('客户端关闭自己的发送方向。\n', '客户端关闭自己的发送方向。\n\n- 一项\n'),
      /section '半关闭' has 1 list items where the English has 0/,
    ],
    [
      CHINESE.replace('客户端关闭自己的发送方向。\n', '客户端关闭自己的发送方向。\n\n| x |\n'),
      /section '半关闭' has 1 table lines where the English has 0/,
    ],
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

/** A lesson folder under work/ (inside the repository, so that its links may lead to its files) with these files. */
function lessonFolder(t: { after: (fn: () => void) => void }, files: Record<string, string>): Lesson {
  mkdirSync(WORK_ROOT, { recursive: true });
  const dir = mkdtempSync(path.join(WORK_ROOT, 'translation-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return { id: '99-made', title: 'Made', ports: [], programs: [], dir } as unknown as Lesson;
}

const rule = (name: string): ((lesson: Lesson) => string[]) => RULES.find((r) => r.name === name)!.check;

it("a Chinese README's code block that drifted from its region fails the code-sync rule, and regions.ts --write rewrites it", (t) => {
  // Checks that README.zh-CN.md's blocks are checked against the same regions as README.md, and are among what --write rewrites.
  const codeRule = rule("the README's code is included from tested regions, in sync");
  const lesson = lessonFolder(t, {
    'a.ts': '// #region r\nconst a = 1;\n// #endregion r\n',
    'README.md': ENGLISH,
    'README.zh-CN.md': CHINESE.replace('const a = 1;', 'const a = 2;'),
  });
  const problems = codeRule(lesson);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /README\.zh-CN\.md, a\.ts#r: the block differs from region 'r' of a\.ts/);
  const chinese = path.join(lesson.dir, 'README.zh-CN.md');
  assert.deepEqual(lessonReadmes([lesson]), [path.join(lesson.dir, 'README.md'), chinese]);
  assert.deepEqual(writeIncludes(chinese), []);
  assert.deepEqual(codeRule(lesson), []);
});

it('a Chinese README link to a missing Chinese heading, in the page or in another, fails the links rule', (t) => {
  // Checks that README.zh-CN.md's links are checked, with anchors made from Chinese headings as GitHub makes them.
  const linksRule = rule("the README's links resolve");
  const page = (links: string): string => `# 一课\n\n[English](README.md)\n\n## 半关闭（half-close）\n\n${links}\n\n## 勘误（Errata）\n`;
  const good = '[本页](#半关闭half-close) [别页](other/README.zh-CN.md#勘误errata) [英文](README.md#half-close)';
  const lesson = lessonFolder(t, {
    'README.md': '# A lesson\n\n## Half-close\n',
    'README.zh-CN.md': page(good),
    'other/README.zh-CN.md': page(''),
  });
  assert.deepEqual(linksRule(lesson), []);
  writeFileSync(path.join(lesson.dir, 'README.zh-CN.md'), page(`${good} [坏](#half-close) [坏](other/README.zh-CN.md#errata)`));
  const where = `${path.relative(REPO_ROOT, lesson.dir)}/`;
  assert.deepEqual(
    linksRule(lesson).map((problem) => problem.replaceAll(where, '')),
    [
      "README.zh-CN.md:7: link '#half-close' names #half-close, which is no heading of README.zh-CN.md",
      "README.zh-CN.md:7: link 'other/README.zh-CN.md#errata' names #errata, which is no heading of other/README.zh-CN.md",
    ],
  );
});

it("the Chinese root README's lesson table links each lesson's Chinese README where there is one, and --write-table keeps both tables", (t) => {
  // Checks the second copy of the generated table: its own links, its own problems, rewritten with the English one.
  const translated = lessonFolder(t, { 'README.md': '# A\n', 'README.zh-CN.md': '# 甲\n' });
  const untranslated = lessonFolder(t, { 'README.md': '# B\n' });
  const lessons = [
    { ...translated, id: '98-one' },
    { ...untranslated, id: '99-two' },
  ];
  const root = lessonFolder(t, {});
  const readme = (table: string): string => `# Course\n\n<!-- lessons:begin -->\n${table}\n<!-- lessons:end -->\n\nmore\n`;
  const [english, chinese] = ['README.md', 'README.zh-CN.md'].map((name) => path.join(root.dir, name)) as [string, string];
  writeFileSync(english, readme('old'));
  writeFileSync(chinese, readme('旧'));
  assert.deepEqual(writeTable(lessons, [english, chinese]), [english, chinese]);
  assert.deepEqual(writeTable(lessons, [english, chinese]), [], 'a second run changes nothing');
  assert.match(readFileSync(english, 'utf8'), /\[98-one\]\(lessons\/98-one\/README\.md\)/);
  assert.match(readFileSync(chinese, 'utf8'), /\[98-one\]\(lessons\/98-one\/README\.zh-CN\.md\)/);
  assert.match(readFileSync(chinese, 'utf8'), /\[99-two\]\(lessons\/99-two\/README\.md\)/);
  assert.deepEqual(tableProblems(readFileSync(chinese, 'utf8'), lessons, undefined, chinese), []);
  assert.deepEqual(tableProblems(readFileSync(chinese, 'utf8'), lessons, '98-one', chinese), []);
  // The English table pasted into the Chinese edition links the English page: named, with the fix.
  assert.deepEqual(tableProblems(readFileSync(english, 'utf8'), lessons, '98-one', chinese), [
    "README.zh-CN.md: the lesson table's row for 98-one differs from its manifest: npm run check -- --write-table",
  ]);
});

it('the READMEs with no translation yet are listed', (t) => {
  // Checks what the lead's switch will require to be empty: every English README without its README.zh-CN.md.
  const one = lessonFolder(t, { 'README.md': '# A\n', 'README.zh-CN.md': '# 甲\n' });
  const two = lessonFolder(t, { 'README.md': '# B\n' });
  const sources = [one, two].map((lesson) => path.join(lesson.dir, 'README.md'));
  assert.deepEqual(missingTranslations(sources), [sources[1]]);
  assert.deepEqual(withTranslations(sources), [sources[0], translationOf(sources[0]!), sources[1]]);
});
