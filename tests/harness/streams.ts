// A reader that goes away: the harness closes its end of a program's stdout or stderr pipe, as
// `program | head -1` does once head has its line, or a terminal that is closed. The program's
// next write to that stream fails with EPIPE, which it must take as an ordinary event.

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { type Child, withTimeout } from '../../scripts/runtime/child.ts';

/** Closes the harness's end of `program`'s `stream` and waits until the pipe is closed. */
export async function closeOutput(program: Child, stream: 'stdout' | 'stderr'): Promise<void> {
  // The runtime keeps its process to itself (scripts/runtime/child.ts); this touches only the pipe.
  const pipe = (program as unknown as { process: ChildProcess }).process[stream];
  if (!pipe || pipe.closed) return;
  const closed = once(pipe, 'close');
  pipe.destroy();
  await withTimeout(closed, `the harness's end of ${program.name}'s ${stream} to close`);
}
