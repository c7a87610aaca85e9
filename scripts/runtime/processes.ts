// The one place that looks at the machine's processes (Linux /proc; elsewhere what process.kill can
// tell): whether a process group still has a live member, every process we can read, and the
// sweep that kills whatever runs from a folder.

import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface RunningProcess {
  pid: number;
  command: string; // its command line, arguments joined by spaces
  cwd: string;
  pgrp: number; // its process group
  state: string; // R, S, ... Z for a zombie waiting to be reaped
}

/** Every other process we can read (Linux /proc; none elsewhere). */
export function runningProcesses(): RunningProcess[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .flatMap((pid) => {
      try {
        // /proc/PID/stat: "pid (name) state ppid pgrp ..."; the name may hold spaces, so split after ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state = '', , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
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

/** Whether a live process (not a zombie waiting to be reaped) is still in the process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  if (!existsSync('/proc')) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return runningProcesses().some((p) => p.pgrp === pgid && p.state !== 'Z' && p.state !== 'X');
}

/** Sends `signal` to every process of the group `pgid`; a group that is gone is no error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Kills every process that runs a file from `dir` or runs in it, and returns their command lines:
 * the grader's guarantee that nothing a student's program started, in any group, outlives grading.
 */
export function killProcessesUnder(dir: string): string[] {
  const found = runningProcesses().filter(({ command, cwd }) => command.includes(dir) || cwd.startsWith(dir));
  for (const { pid } of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return found.map(({ command }) => command);
}
