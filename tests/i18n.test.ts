// Tests of the runner and the grader in Chinese (issue 17): the language from --lang or the locale,
// the lesson list in both languages, a grading run's advice and hint in Chinese, the manifest check
// of a lesson's "zh-CN" block, and the catalogue's type check (a message without its Chinese).

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { localeLanguage } from '../scripts/i18n/index.ts';
import { defineMessages, m, messages } from '../scripts/i18n/messages.ts';
import { type BrokenLesson, type Lesson, loadLessons, REPO_ROOT, readLesson } from '../scripts/manifest.ts';
import { runCommand } from '../scripts/runtime/child.ts';

const lessons = loadLessons();
const tcpServer = lessons.find((l) => l.id === '04-tcp-server')!;
const EXERCISE_TEST = 'server --clients 3 serves three clients one after another, then exits';
const COMMAND_LIMIT_MS = 240_000; // one grading of one test on a busy machine

/** A command of the repository's (scripts/NAME.ts) with exactly the locale variables given. */
async function run(script: string, args: string[], locale: Record<string, string>, env: Record<string, string> = {}) {
  const base = { ...process.env };
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG', 'npm_lifecycle_event']) delete base[name];
  const result = await runCommand([process.execPath, '--import', 'tsx', path.join('scripts', `${script}.ts`), ...args], {
    cwd: REPO_ROOT,
    env: { ...base, NO_COLOR: '1', ...locale, ...env },
    timeoutMs: COMMAND_LIMIT_MS,
  });
  assert.equal(result.timedOut, false, `${script} ${args.join(' ')} did not finish`);
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

describe('the language of the runner and the grader', { concurrency: 4 }, () => {
  it('follows LC_ALL, then LC_MESSAGES, then LANG: zh* is Chinese, anything else English', () => {
    // Checks the locale rules: LANG alone, LC_ALL=C overriding LANG, LC_MESSAGES before LANG, empty values skipped.
    assert.equal(localeLanguage({ LANG: 'zh_CN.UTF-8' }), 'zh');
    assert.equal(localeLanguage({ LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }), 'en');
    assert.equal(localeLanguage({ LC_MESSAGES: 'zh_TW.UTF-8', LANG: 'en_US.UTF-8' }), 'zh');
    assert.equal(localeLanguage({ LC_ALL: '', LANG: 'zh_CN.UTF-8' }), 'zh');
    assert.equal(localeLanguage({ LANG: 'en_US.UTF-8' }), 'en');
    assert.equal(localeLanguage({}), 'en');
  });

  it('lists the lessons in Chinese under LANG=zh_CN.UTF-8, with every title, summary and exercise from the zh-CN blocks', async () => {
    // Checks the "done when": the list's own lines and each lesson's text are Chinese.
    const list = await run('lesson', [], { LANG: 'zh_CN.UTF-8' });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^课程（运行其中一课：npm run lesson NN）：$/m);
    for (const lesson of lessons) {
      const zh = lesson['zh-CN']!;
      assert.ok(list.stdout.includes(`  ${lesson.id}  ${zh.title}\n      ${zh.summary}\n`), `${lesson.id} in Chinese:\n${list.stdout}`);
      assert.ok(list.stdout.includes(`练习：${zh.exercise.title}（开始做：npm run lesson ${lesson.id} -- --exercise）`), lesson.id);
      assert.ok(!list.stdout.includes(lesson.title), `${lesson.id}'s English title is not shown`);
    }
  });

  it('lists the lessons in English by default, and when LC_ALL=C overrides LANG=zh_CN.UTF-8', async () => {
    // Checks that English stays the default and unchanged, and that LC_ALL decides before LANG.
    for (const locale of [{}, { LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }] as Record<string, string>[]) {
      const list = await run('lesson', [], locale);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^Lessons \(run one with: npm run lesson NN\):$/m);
      assert.ok(list.stdout.includes(`  ${tcpServer.id}  ${tcpServer.title}\n      ${tcpServer.summary}\n`), list.stdout);
      assert.match(
        list.stdout,
        /^ {6}exercise: A server that keeps serving \(start it with: npm run lesson 04-tcp-server -- --exercise\)$/m,
      );
      assert.doesNotMatch(list.stdout, /[\u4e00-\u9fff]{2,}：/);
    }
  });

  it('takes --lang over both LC_ALL and LANG, and refuses an unknown language with exit 2 and one line', async () => {
    // Checks the flag: --lang en with a Chinese locale, --lang zh with LC_ALL=C, and a usage error for --lang fr.
    const english = await run('lesson', ['--lang', 'en'], { LC_ALL: 'zh_CN.UTF-8', LANG: 'zh_CN.UTF-8' });
    assert.match(english.stdout, /^Lessons \(run one with/m);
    const chinese = await run('lesson', ['--lang=zh'], { LC_ALL: 'C', LANG: 'C' });
    assert.match(chinese.stdout, /^课程（运行其中一课/m);
    const wrong = await run('grade', ['04', '.', '--lang', 'fr'], {});
    assert.equal(wrong.code, 2);
    assert.equal(wrong.stderr, "grade: --lang must be en or zh, not 'fr'\n");
  });

  it("gives a grading run's advice and hint in Chinese with --lang zh", async (t) => {
    // Checks the grader in Chinese on the untouched lesson in a (temporary) work folder: the failing
    // exercise test's advice and the first hint come from the catalogue and the lesson's zh-CN block.
    const work = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-work-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const folder = path.join(work, tcpServer.id);
    cpSync(tcpServer.dir, folder, { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
    const env = { SOCKET_LESSONS_WORK_DIR: work, SOCKET_LESSONS_ONLY_TESTS: JSON.stringify([EXERCISE_TEST]) };
    const graded = await run('grade', ['04', folder, '--lang', 'zh'], { LANG: 'en_US.UTF-8' }, env);
    const zh = tcpServer['zh-CN']!;
    assert.ok(graded.stdout.includes(`\n提示 1/${zh.exercise.hints.length}：${zh.exercise.hints[0]}\n`), graded.stdout);
    assert.match(graded.stdout, /^ {8}server（server\.ts） 在打印 .+ 之前就结束了（exit code 2）——下面它的 stderr 说明了原因。$/m);
    assert.match(graded.stdout, /^得分：0（exercise：/m);
    assert.doesNotMatch(graded.stdout, /hint 1 of/);
  });
});

describe("a lesson's zh-CN block", () => {
  /** The manifest of 04 changed by `edit`, read from a temporary copy of its folder. */
  function readEdited(t: { after: (fn: () => void) => void }, edit: (raw: Lesson) => void): Lesson | BrokenLesson {
    const root = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-zh-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const dir = path.join(root, tcpServer.id);
    cpSync(tcpServer.dir, dir, { recursive: true });
    const raw = JSON.parse(readFileSync(path.join(dir, 'lesson.json'), 'utf8')) as Lesson;
    edit(raw);
    writeFileSync(path.join(dir, 'lesson.json'), JSON.stringify(raw, null, 2));
    return readLesson(dir);
  }

  it('is present in every lesson and passes the manifest check', () => {
    // Checks the course's own manifests: each has its Chinese text (loadLessons already refused any broken one).
    for (const lesson of lessons) assert.ok(lesson['zh-CN'], `${lesson.id} has a zh-CN block`);
  });

  it('is refused, in one line, when it has fewer hints than the English or lacks a role', (t) => {
    // Checks the semantic check the schema cannot make: as many hints, every role covered.
    const fewer = readEdited(t, (raw) => raw['zh-CN']!.exercise.hints.pop());
    assert.ok('problem' in fewer);
    assert.match(fewer.problem, /lesson\.json: \/zh-CN\/exercise\/hints: 2 hints, but the exercise has 3 in English$/);
    const noRole = readEdited(t, (raw) => delete raw['zh-CN']!.programs.client);
    assert.ok('problem' in noRole);
    assert.match(noRole.problem, /lesson\.json: \/zh-CN\/programs: missing role 'client' \(every program's summary is translated\)$/);
    assert.doesNotMatch(noRole.problem, /\n/);
  });

  it('is refused, naming what changed, when an English text changed without its Chinese', (t) => {
    // Checks the staleness stamp: the block records which English it translates (scripts/translation.ts --stamp-manifests).
    const stale = readEdited(t, (raw) => {
      raw.exercise.hints[1] = `${raw.exercise.hints[1]} And one more sentence.`;
    });
    assert.ok('problem' in stale);
    assert.match(
      stale.problem,
      /lesson\.json: \/zh-CN\/translates: the English changed since it was translated \(exercise\.hints\.1\); update/,
    );
    const fresh = readEdited(t, (raw) => {
      raw['zh-CN']!.title = `${raw['zh-CN']!.title}！`; // the Chinese alone may change
    });
    assert.ok(!('problem' in fresh), 'a change to the Chinese alone passes');
  });
});

describe('the message catalogue', () => {
  it('has every key in English and Chinese, and a key without its Chinese does not compile', () => {
    // Checks the catalogue at run time, and (through tsc, which `npm test` runs) that leaving out a language is a type error.
    for (const [key, entry] of Object.entries(messages)) {
      assert.equal(typeof entry.en, typeof entry.zh, key);
      assert.ok(entry.zh !== '' && entry.en !== '', key);
    }
    // @ts-expect-error a message without its Chinese
    defineMessages({ 'only.english': { en: 'only English' } });
    // @ts-expect-error a message with values without its Chinese
    defineMessages({ 'only.english': m((p: { name: string }) => `only ${p.name}`) });
  });
});
