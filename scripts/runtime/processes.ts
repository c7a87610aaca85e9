// The one place that looks at the machine's processes, and the one that stops a process tree.
// What each platform offers, and so what is done there:
// - Linux: /proc (hasProcFs()) lists every process with its group, state and folder: the grader's
//   sweep of what runs from a folder, and the check that a group is empty, read it.
// - macOS and the other POSIX systems: process groups, but no /proc; a group is checked with
//   kill(-pgid, 0), and there is no sweep (runningProcesses() is empty).
// - Windows: no process groups and no POSIX signals. A program is not spawned detached (that
//   would give it a console window of its own), a tree is ended with `taskkill /pid PID /T /F`,
//   and only the program itself can be checked, with kill(pid, 0).
// Every choice takes the platform as a parameter, so tests/platform.test.ts checks the Windows
// and macOS branches on Linux: the commands built, not a run on those systems.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface RunningProcess {
  pid: number;
  command: string; // its command line, arguments joined by spaces
  cwd: string;
  pgrp: number; // its process group
  state: string; // R, S, ... Z for a zombie waiting to be reaped
}

/** Whether Linux's /proc is there to read: never on macOS or Windows (a BSD's /proc differs, so Linux only). */
export function hasProcFs(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' && existsSync('/proc/self/stat');
}

/** Whether programs get a process group of their own (POSIX); Windows has none, and `detached` means a new console there. */
export function hasProcessGroups(platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'win32';
}

/**
 * The fields of a /proc stat file (`/proc/PID/stat`, `/proc/PID/task/TID/stat`) after the command
 * name, which may hold spaces: [state, ppid, pgrp, ..., utime (11), stime (12), ...]. Throws when the
 * file cannot be read (the process is gone, or there is no /proc).
 */
export function statFields(file: string): string[] {
  // "pid (name) state ppid pgrp ...": the name ends at the last ')'.
  const stat = readFileSync(file, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Every other process we can read (Linux /proc; none elsewhere). */
export function runningProcesses(platform: NodeJS.Platform = process.platform): RunningProcess[] {
  if (!hasProcFs(platform)) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .flatMap((pid) => {
      try {
        const [state = '', , pgrp] = statFields(`/proc/${pid}/stat`);
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        return [{ pid: Number(pid), command, cwd: cwdOf(pid), pgrp: Number(pgrp), state }];
      } catch {
        return []; // gone already
      }
    });
}

function cwdOf(pid: string): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return ''; // not ours to read, or gone meanwhile
  }
}

/**
 * Whether a live process (not a zombie waiting to be reaped) is still in the process group `pgid`
 * (on Windows: whether the process `pgid` itself still runs; its tree cannot be seen).
 */
export function groupAlive(pgid: number, platform: NodeJS.Platform = process.platform): boolean {
  if (hasProcFs(platform)) return runningProcesses(platform).some((p) => p.pgrp === pgid && p.state !== 'Z' && p.state !== 'X');
  try {
    process.kill(hasProcessGroups(platform) ? -pgid : pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How to stop the tree a program leads: a signal to its group (POSIX), or a command that ends the tree (Windows). */
export type TreeKill = { kind: 'signal'; target: number; signal: NodeJS.Signals } | { kind: 'command'; argv: string[] };

export function treeKill(pid: number, signal: NodeJS.Signals, platform: NodeJS.Platform = process.platform): TreeKill {
  // Windows: no signal can ask a console program to stop (taskkill without /F only asks windows),
  // so any stop is /F; /T takes the processes it started with it.
  if (!hasProcessGroups(platform)) return { kind: 'command', argv: ['taskkill', '/pid', String(pid), '/T', '/F'] };
  return { kind: 'signal', target: -pid, signal };
}

/** Sends `signal` to every process of the group `pgid` (Windows: ends the tree); a group that is gone is no error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals, platform: NodeJS.Platform = process.platform): void {
  const how = treeKill(pgid, signal, platform);
  if (how.kind === 'command') {
    spawnSync(how.argv[0]!, how.argv.slice(1), { stdio: 'ignore', windowsHide: true });
    return;
  }
  try {
    process.kill(how.target, how.signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Kills every process that runs a file from `dir` or runs in it, and returns their command lines:
 * the grader's guarantee that nothing a student's program started, in any group, outlives grading.
 * Linux only (it reads /proc); elsewhere it finds nothing, and each program's own tree is all that is stopped.
 */
export function killProcessesUnder(dir: string, platform: NodeJS.Platform = process.platform): string[] {
  const found = runningProcesses(platform).filter(({ command, cwd }) => command.includes(dir) || cwd.startsWith(dir));
  for (const { pid } of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return found.map(({ command }) => command);
}
