// A reader that goes away: the harness closes its end of a program's stdout or stderr pipe, as
// `program | head -1` does once head has its line, or a terminal that is closed. The program's
// next write to that stream fails with EPIPE, which it must take as an ordinary event.

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { type Child, withTimeout } from '../../scripts/runtime/child.ts';

/**
 * Closes the harness's end of `program`'s stdout or stderr (or both) and waits until each pipe is
 * closed: every later write of the program to it fails with EPIPE.
 */
export async function closeOutput(program: Child, streams: Stream | Stream[] = 'stdout'): Promise<void> {
  // The runtime keeps its process to itself (scripts/runtime/child.ts); this touches only the pipes.
  const pipes = (program as unknown as { process: ChildProcess }).process;
  for (const stream of Array.isArray(streams) ? streams : [streams]) {
    const pipe = pipes[stream];
    if (!pipe || pipe.closed) continue;
    const closed = once(pipe, 'close');
    pipe.destroy();
    await withTimeout(closed, `the harness's end of ${program.name}'s ${stream} to close`);
  }
}

type Stream = 'stdout' | 'stderr';
