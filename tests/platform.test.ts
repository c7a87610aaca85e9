// Tests of the platform choices of the process runtime (scripts/runtime/processes.ts), with the
// platform as a parameter: what Windows and macOS would do is checked here, on Linux, by the
// command or signal chosen, not by running there (README.md, "Where it is tested").

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Child } from '../scripts/runtime/child.ts';
import { groupAlive, hasProcessGroups, hasProcFs, runningProcesses, treeKill } from '../scripts/runtime/processes.ts';

describe('runtime platforms', { concurrency: 4 }, () => {
  it('ends a tree on Windows with taskkill /T /F, and signals the process group elsewhere', () => {
    // Checks the command built for each platform: Windows has no process groups and no SIGTERM a console program can catch.
    assert.deepEqual(treeKill(4242, 'SIGTERM', 'win32'), { kind: 'command', argv: ['taskkill', '/pid', '4242', '/T', '/F'] });
    assert.deepEqual(treeKill(4242, 'SIGKILL', 'win32'), { kind: 'command', argv: ['taskkill', '/pid', '4242', '/T', '/F'] });
    for (const platform of ['linux', 'darwin', 'freebsd'] as const)
      assert.deepEqual(treeKill(4242, 'SIGTERM', platform), { kind: 'signal', target: -4242, signal: 'SIGTERM' });
  });

  it('reads /proc on Linux only, and has process groups everywhere but Windows', () => {
    // Checks the explicit checks that keep the Linux-only sweep off macOS and Windows.
    assert.equal(hasProcFs('darwin'), false);
    assert.equal(hasProcFs('win32'), false);
    assert.deepEqual(runningProcesses('darwin'), [], 'no sweep without /proc');
    assert.equal(hasProcessGroups('win32'), false);
    assert.equal(hasProcessGroups('darwin'), true);
    if (process.platform === 'linux') assert.equal(hasProcFs('linux'), true);
  });

  it("checks a group without /proc (macOS) with kill(-pgid, 0), and Windows's one process with kill(pid, 0)", async (t) => {
    // Checks the fallbacks of groupAlive() on a live group and once it has gone (they work on Linux too).
    const program = new Child([process.execPath, '-e', 'setInterval(() => {}, 1000)'], { name: 'idle.js', stdin: 'ignore' });
    t.after(() => program.stop());
    assert.ok(program.pid !== undefined, 'spawn gives the pid at once');
    assert.equal(groupAlive(program.pid, 'darwin'), true);
    assert.equal(groupAlive(program.pid, 'win32'), true);
    await program.stop();
    assert.equal(groupAlive(program.pid, 'darwin'), false);
    assert.equal(groupAlive(program.pid, 'win32'), false);
  });
});
