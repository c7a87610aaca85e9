// Tests of the help `npm run lesson` gives for the usual mistakes: a flag npm took for itself
// because `--` was missing (seen, as npm leaves it, in npm_config_* variables and the arguments
// that are left), and a program given by its path, as one would give it to `node`.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadLessons, REPO_ROOT } from '../scripts/manifest.ts';
import { LESSON_FLAGS, programFlags, swallowedFlags } from '../scripts/npm-flags.ts';
import { type Child, expectOneLineError, startFile } from './harness.ts';

const RUNNER = path.join(REPO_ROOT, 'scripts', 'lesson.ts');
const lesson04 = loadLessons().find((l) => l.id === '04-tcp-server')!;

/** The runner started with `args` and the environment npm gives a script run as `npm run lesson ... FLAGS`. */
function asNpmRuns(t: Parameters<typeof startFile>[0], args: string[], config: Record<string, string>): Child {
  const saved = { ...process.env };
  // startFile spawns at once with process.env: set it around that call only (nothing awaits in between).
  Object.assign(process.env, { npm_lifecycle_event: 'lesson', npm_command: 'run' });
  for (const [name, value] of Object.entries(config)) process.env[`npm_config_${name}`] = value;
  try {
    return startFile(t, RUNNER, args);
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  }
}

describe('npm run lesson: help with usage mistakes', { concurrency: 4 }, () => {
  it('names a flag npm took (--port 9000 without --) and shows the corrected command, exit 2', async (t) => {
    // Checks issue 13's `npm run lesson 04-tcp-server server --port 9000`: npm keeps --port
    // (npm_config_port=true) and passes 9000 on, which the server would reject as "Unexpected argument".
    const runner = asNpmRuns(t, ['04-tcp-server', 'server', '9000'], { port: 'true' });
    await expectOneLineError(
      runner,
      2,
      /^lesson: npm took --port for itself \(flags for the lesson go after --\); type: npm run lesson 04-tcp-server server -- --port 9000$/,
    );
  });

  for (const flag of ['demo', 'exercise', 'watch', 'reset']) {
    it(`names --${flag} when npm took it for a whole lesson, instead of starting the lesson, exit 2`, async (t) => {
      // Checks `npm run lesson 04 --FLAG`, which otherwise starts the interactive lesson as if no flag were given.
      const runner = asNpmRuns(t, ['04'], { [flag]: 'true' });
      await expectOneLineError(runner, 2, new RegExp(`^lesson: npm took --${flag} for itself .*; type: npm run lesson 04 -- --${flag}$`));
    });
  }

  it('gives a value npm kept as its own config (--message) back to its flag, and a whole-lesson value (--encoding) too', () => {
    // Checks the two ways npm keeps a value: in the variable (a flag npm knows) or as the next argument.
    // `npm run lesson 04 client --encoding utf-8 --message 你好`, as the runner receives it:
    const env = { npm_lifecycle_event: 'lesson', npm_config_message: '你好', npm_config_encoding: 'true' };
    assert.deepEqual(swallowedFlags(env, ['04', 'client', 'utf-8'], programFlags(path.join(lesson04.dir, 'client.ts')), 2), {
      flags: [
        { name: 'encoding', value: 'utf-8' },
        { name: 'message', value: '你好' },
      ],
      args: ['04', 'client'],
    });
    // `npm run lesson 04 --encoding utf-8`: the value sits where a role would.
    assert.deepEqual(swallowedFlags(env, ['04', 'utf-8'], LESSON_FLAGS, 1), {
      flags: [{ name: 'encoding', value: 'utf-8' }],
      args: ['04'],
    });
  });

  it('ignores npm_config_* variables unless npm runs the lesson script', () => {
    // Checks that `npm test` (whose npm also exports its config) never makes the runner refuse a command.
    assert.deepEqual(swallowedFlags({ npm_lifecycle_event: 'test', npm_config_demo: 'true' }, ['04'], LESSON_FLAGS, 1).flags, []);
  });

  it('runs a lesson program given by its path, as `node FILE` would, with its flags', async (t) => {
    // Checks `npm run lesson lessons/04-tcp-server/server.ts -- --port 0`: what a student who typed
    // `node lessons/04-tcp-server/server.ts` (which Node 20 cannot run) is told to type instead.
    const runner = startFile(t, RUNNER, ['lessons/04-tcp-server/server.ts', '--port', '0']);
    assert.ok((await runner.ready()) > 0);
  });

  it('says how lessons are run when a path is not a lesson program, exit 2', async (t) => {
    // Checks the one-line answer for a file that is no role of any lesson.
    const runner = startFile(t, RUNNER, ['scripts/grade.ts']);
    await expectOneLineError(runner, 2, /^lesson: scripts\/grade\.ts is not a program of a lesson; .*npm run lesson 04-tcp-server server$/);
  });
});
