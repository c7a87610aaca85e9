// The lesson contract's promises about broken lessons: each manifest problem is one line naming the
// file, the JSON path and what is wrong (with the nearest valid name for a typo); `npm run lesson`
// lists a broken lesson as BROKEN and still lists and runs the others; `npm run lesson`, `npm run
// grade` on a broken lesson exit 2 with that line, and `npm run check` fails naming it. The broken lessons live in a
// temporary lessons folder under work/ (SOCKET_LESSONS_LESSONS_DIR), never in lessons/.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { type BrokenLesson, REPO_ROOT, readLesson, WORK_ROOT } from '../scripts/manifest.ts';
import { runCommand } from '../scripts/runtime/child.ts';

const LESSON_04 = path.join(REPO_ROOT, 'lessons', '04-tcp-server');
const COMMAND_LIMIT_MS = 120_000; // one command, whatever happens (its process group is killed then)

/** Lesson 04's folder copied to `dir/id`, its manifest changed by `edit` (on the text). */
function brokenCopy(root: string, id: string, edit: (text: string) => string): string {
  const dir = path.join(root, id);
  cpSync(LESSON_04, dir, { recursive: true });
  const file = path.join(dir, 'lesson.json');
  writeFileSync(file, edit(readFileSync(file, 'utf8').replace('"id": "04-tcp-server"', `"id": "${id}"`)));
  return dir;
}

function problemsOf(dir: string): string[] {
  const result = readLesson(dir);
  assert.ok('problems' in result, `${dir} should be broken`);
  return (result as BrokenLesson).problems;
}

/** Runs one of the repository's commands with the lessons folder moved to `lessonsDir`. */
async function run(script: string, args: string[], lessonsDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, SOCKET_LESSONS_LESSONS_DIR: lessonsDir, NO_COLOR: '1' };
  return runCommand([process.execPath, '--import', 'tsx', script, ...args], { cwd: REPO_ROOT, env, timeoutMs: COMMAND_LIMIT_MS });
}

describe('a broken manifest', () => {
  let root: string;
  before(() => {
    // Inside the repository, so that the copied programs resolve iconv-lite when lesson 04 runs.
    mkdirSync(WORK_ROOT, { recursive: true });
    root = mkdtempSync(path.join(WORK_ROOT, '.contract-test-'));
    cpSync(LESSON_04, path.join(root, '04-tcp-server'), { recursive: true });
  });
  it('is reported in one line per problem, with the JSON path and the nearest valid name', () => {
    // Checks the wording of each kind of problem: an unknown key, a wrong type, a role that does not
    // exist, a demo role, an exercise file, and a JSON syntax error with its line and column.
    const cases: [string, (text: string) => string, string][] = [
      [
        '09-typo',
        (text) => text.replace('"interactive": true', '"keepRunning": true'),
        "/programs/1/keepRunning: unknown key 'keepRunning' (did you mean 'keepsRunning'?)",
      ],
      ['10-type', (text) => text.replace('"listens": true', '"listens": "yes"'), '/programs/0/listens: must be true or false, not "yes"'],
      [
        '11-role',
        (text) => text.replace('{server.port}', '{sever.port}'),
        "/programs/1/args/1: {sever.port} names no role (did you mean 'server'?)",
      ],
      [
        '12-demo',
        (text) => text.replace('{ "role": "client", "line"', '{ "role": "clinet", "line"'),
        "/demo/0/role: 'clinet' is no role (did you mean 'client'?)",
      ],
      [
        '13-files',
        (text) => text.replace('"files": ["server.ts"]', '"files": ["srever.ts"]'),
        "/exercise/files/0: srever.ts is no program of the lesson (did you mean 'server.ts'?)",
      ],
      ['14-syntax', (text) => text.replace('"title"', '"title" "'), ':4:11: not valid JSON: Unexpected string'],
    ];
    for (const [id, edit, expected] of cases) {
      const problems = problemsOf(brokenCopy(root, id, edit));
      const file = `${path.relative(REPO_ROOT, root)}/${id}/lesson.json`;
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.ok(
        problems[0]!.startsWith(`${file}${expected.startsWith(':') ? '' : ': '}${expected}`),
        `${problems[0]}\nshould start with ${file}: ${expected}`,
      );
      assert.doesNotMatch(problems[0]!, /\n/);
      rmSync(path.join(root, id), { recursive: true });
    }
  });

  it('leaves npm run lesson listing and running every other lesson; lesson and grade exit 2 on it, check names it', async (t) => {
    // Checks that one broken lesson.json breaks nothing else: the list shows it as BROKEN beside lesson
    // 04, lesson 04's demo runs, and each command named the broken lesson gives its one line and exit 2.
    t.after(() => rmSync(root, { recursive: true, force: true }));
    brokenCopy(root, '09-broken', (text) => text.replace('"interactive": true', '"keepRunning": true'));
    const line = /09-broken\/lesson\.json: \/programs\/1\/keepRunning: unknown key 'keepRunning' \(did you mean 'keepsRunning'\?\)/;
    const list = await run('scripts/lesson.ts', [], root);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ {2}04-tcp-server {2}TCP server and client/m);
    assert.match(list.stdout, new RegExp(`^  09-broken  BROKEN: \\S*${line.source}$`, 'm'));
    const demo = await run('scripts/lesson.ts', ['04', '--demo'], root);
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
    for (const [script, args] of [
      ['scripts/lesson.ts', ['09']],
      ['scripts/grade.ts', ['09', LESSON_04]],
      ['scripts/check.ts', ['09', '--fast']],
    ] as const) {
      const result = await run(script, [...args], root);
      assert.equal(result.code, script === 'scripts/check.ts' ? 1 : 2, `${script}: ${result.stdout}${result.stderr}`);
      const text = script === 'scripts/check.ts' ? result.stdout : result.stderr;
      assert.match(text, line, script);
      assert.doesNotMatch(result.stderr, /^\s+at /m, `${script} printed a stack trace`);
      if (script !== 'scripts/check.ts') assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });
});
