// The student's loop around a work folder (work/NN-slug/): copy the lesson's programs there,
// start again with a backup of the old copy, and notice every save to grade again.
//   copyLesson()    what --exercise and --reset copy: the programs and what they use, not the README or tests
//   backupFolder()  where --reset moves the old work folder: work/NN-slug.backup-YYYYMMDD-HHMMSS
//   watchFolder()   calls back after each change: fs.watch (recursive), or polling every second
//                   where file events do not arrive (WSL on a Windows drive, network drives) or with --poll

import { cpSync, existsSync, type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import path from 'node:path';
import type { Lesson } from './manifest.ts';

const DEBOUNCE_MS = 300; // an editor's save is often several writes (a temporary file, a rename)
export const POLL_MS = 1000; // how often the polling fallback looks at the folder

/** Copies the lesson's programs and what they use (08's sample files) to `dir`; not its README, manifest or tests. */
export function copyLesson(lesson: Lesson, dir: string): void {
  const skip = new Set(['README.md', 'lesson.json', `${lesson.id}.test.ts`]);
  cpSync(lesson.dir, dir, { recursive: true, filter: (source) => source === lesson.dir || !skip.has(path.relative(lesson.dir, source)) });
}

/** A name beside `dir` for its backup, from the local time: `DIR.backup-20261121-143005` (then -2, -3, ... if taken). */
export function backupFolder(dir: string, now = new Date()): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}-${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
  let candidate = `${dir}.backup-${stamp}`;
  for (let n = 2; existsSync(candidate); n++) candidate = `${dir}.backup-${stamp}-${n}`;
  return candidate;
}

export interface FolderWatcher {
  /** 'events': fs.watch; 'polling': a look at every file's size and time each second. */
  readonly how: 'events' | 'polling';
  close(): void;
}

/**
 * Calls `onChange` once things have been quiet for a moment after one or more changes under
 * `dir`. fs.watch where it works (recursive: Linux from Node 20, macOS, Windows); polling when it
 * throws, or when `poll` is asked for because its events do not arrive (WSL on /mnt/c, network drives).
 */
export function watchFolder(dir: string, onChange: () => void, poll = false): FolderWatcher {
  let timer: NodeJS.Timeout | undefined;
  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(onChange, DEBOUNCE_MS);
  };
  if (!poll) {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dir, { recursive: true }, changed);
    } catch {
      // no recursive watching here (or no file events at all): poll instead
    }
    if (watcher) {
      watcher.on('error', () => {}); // a folder removed while watched: the loop reports it when it grades
      return {
        how: 'events',
        close: () => {
          clearTimeout(timer);
          watcher.close();
        },
      };
    }
  }
  let last = snapshot(dir);
  const interval = setInterval(() => {
    const now = snapshot(dir);
    if (now !== last) changed();
    last = now;
  }, POLL_MS);
  return {
    how: 'polling',
    close: () => {
      clearTimeout(timer);
      clearInterval(interval);
    },
  };
}

/** Every file under `dir` with its size and modification time, as one string to compare. */
export function snapshot(dir: string): string {
  const lines: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return ''; // gone: a change as well
  }
  for (const name of names.sort()) {
    const stat = statSync(path.join(dir, name), { throwIfNoEntry: false });
    if (stat?.isFile()) lines.push(`${name}\t${stat.size}\t${stat.mtimeMs}`);
  }
  return lines.join('\n');
}
