// Starting the programs under test: each is a runtime Child (scripts/runtime/child.ts) in a process
// group of its own, registered with t.after() so that it is killed when the test ends, and the test
// fails when it flooded its output or left a process behind.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { REPO_ROOT } from '../../scripts/manifest.ts';
import { listenerProtocol } from '../../scripts/relay/session.ts';
import { nodeArgsFor } from '../../scripts/run-ts/index.ts';
import { announce, Child, READY_LINE } from '../../scripts/runtime/child.ts';
import { faultSpec, relayFor } from './faults.ts';
import { checkDeclared, type Target } from './target.ts';

export { Child, type Child as RunningProgram, type Exit } from '../../scripts/runtime/child.ts';

/**
 * Spawns the target's program for `file`: `node <TypeScript loader> <target.dir>/<file> ...args`, or the
 * command programs.json names for it. It is killed when the test ends.
 */
export function start(t: TestContext, target: Target, file: string, args: string[] = []): Child {
  checkDeclared(t, file);
  const command = target.commands.get(file);
  if (!command) return startFile(t, path.join(target.dir, file), args, target.staged);
  const peers = (): Child[] => programsOf(t);
  const argv = [interpreter(command[0]!, target.dir), ...command.slice(1)];
  const env = { ...process.env, NO_COLOR: '1' };
  return contain(t, new Child(argv, { name: commandName(command), args, shownAs: command, cwd: target.dir, env, peers }));
}

const interpreters = new Map<string, string>();

/**
 * The Python a programs.json command's `python3` stands for, asked once per folder. A version
 * manager's shim (pyenv, asdf) is a shell script that finds the version at every start: 0.3 s of
 * CPU each time on a 2-core machine, against 0.03 s for Python itself, and a grading starts the
 * programs dozens of times. Asked in the program's folder, the shim picks what it would pick there
 * (a .python-version file); whatever cannot be asked stays the command as written.
 */
export function interpreter(command: string, dir: string): string {
  if (!/^python[\d.]*(\.exe)?$/i.test(path.basename(command))) return command;
  const key = `${command}\0${dir}`;
  let found = interpreters.get(key);
  if (found === undefined) {
    const asked = spawnSync(command, ['-c', 'import sys; print(sys.executable)'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 10_000,
      windowsHide: true,
    });
    const executable = asked.status === 0 ? asked.stdout.trim() : '';
    found = path.isAbsolute(executable) && existsSync(executable) ? executable : command;
    interpreters.set(key, found);
  }
  return found;
}

/** How failures name a program run by a programs.json command: its file (`server.py`), else the command. */
export function commandName(command: string[]): string {
  return command.slice(1).find((arg) => !arg.startsWith('-') && /\.\w+$/.test(arg)) ?? command.join(' ');
}

/**
 * Spawns `node <TypeScript loader> FILE ...args` from the repository root (scripts/run-ts: the file
 * is transpiled once, not at every start as with --import tsx), or with `staged`, the JavaScript
 * transpiled beside FILE; it is killed when the test ends. Failures show it as `FILE ...args`.
 */
export function startFile(t: TestContext, file: string, args: string[] = [], staged = false, waitMs?: number): Child {
  const name = path.basename(file);
  const argv = [process.execPath, ...nodeArgsFor(file, staged)];
  const peers = (): Child[] => programsOf(t);
  const env = { ...process.env, NO_COLOR: '1' };
  return contain(t, new Child(argv, { name, args, shownAs: [name], cwd: REPO_ROOT, env, peers, ...(waitMs ? { waitMs } : {}) }));
}

/** Spawns `argv` as it is (no loader, no extra arguments) from `cwd`, contained as start()'s programs are. */
export function startCommand(t: TestContext, name: string, argv: string[], cwd: string): Child {
  return contain(t, new Child(argv, { name, cwd, stdin: 'ignore' }));
}

/** The programs each test started, so that a harness wait on the network can stop once they have all exited. */
const started = new WeakMap<TestContext, Child[]>();
/** The test a harness socket belongs to (connectTcp, a TcpListener's connections, a UDP peer). */
const owners = new WeakMap<object, TestContext>();

/** The programs `t` has started so far (for withTimeout's dependsOn). */
export function programsOf(t: TestContext | undefined): Child[] {
  return t ? [...(started.get(t) ?? [])] : [];
}

/** Remembers that `socket` (or any harness peer) belongs to the test `t`. */
export function ownedBy<T extends object>(socket: T, t: TestContext): T {
  owners.set(socket, t);
  return socket;
}

/** The programs of the test that owns `socket`, if it is known. */
export function programsFor(socket: object): Child[] {
  return programsOf(owners.get(socket));
}

/** Kills the program when the test ends, and fails the test if it flooded or left a process behind. */
function contain(t: TestContext, program: Child): Child {
  started.set(t, [...(started.get(t) ?? []), program]);
  t.after(async () => {
    await program.stop();
    const finding = program.findingFailure();
    if (finding) throw finding;
  });
  return program;
}

/**
 * Starts a program that listens, with --port 0 unless args say otherwise, and returns it with its
 * port. Under faults (faults.ts) the port is a relay's in front of it, which a refused connection
 * still names the program by.
 */
export async function startListening(
  t: TestContext,
  target: Target,
  file: string,
  args: string[] = [],
): Promise<{ program: Child; port: number }> {
  const program = start(t, target, file, args.includes('--port') ? args : ['--port', '0', ...args]);
  const port = await program.ready();
  if (faultSpec() === undefined) return { program, port };
  const host = READY_LINE.exec(program.stdout)?.[1] ?? '127.0.0.1';
  const fronted = await relayFor(t, await listenerProtocol(host, port), port, host.replace(/^\[(.*)\]$/, '$1'));
  if (!fronted) return { program, port };
  announce(fronted.port, program);
  return { program, port: fronted.port };
}
