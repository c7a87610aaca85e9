// The demo of a lesson as the wire saw it, for the sequence diagrams (issue 15): the lesson's
// scripted demo is run as `npm run lesson NN -- --demo --trace` runs it (a relay in front of each
// listening role, every other role given the relay's port), silently, and every relay's events
// come back with the roles on both ends. All relays share one time origin, so their events merge by `t`.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../manifest.ts';
import { Child } from '../runtime/child.ts';
import type { RelayEvent } from './events.ts';
import { recordingFromJson } from './session.ts';
import type { Protocol } from './types.ts';

export interface RecordedRelay {
  protocol: Protocol;
  server: string;
  events: RelayEvent[];
  clients: Record<number, string>;
}

export interface RecordedDemo {
  lesson: string;
  roles: string[];
  relays: RecordedRelay[];
  exitCode: number;
}

/** The runner's own bound on a demo is 30 s; this one only catches a runner that hangs past it. */
const RECORD_TIMEOUT_MS = 60_000;

/** Runs lesson `lessonId`'s demo through relays, silently, and returns what they saw. Throws when the runner could not record. */
export async function recordDemo(lessonId: string): Promise<RecordedDemo> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'socket-lessons-record-'));
  const file = path.join(dir, 'recording.json');
  const runner = new Child([process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'lesson.ts'), lessonId], {
    name: 'lesson',
    args: ['--demo', '--record', file],
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdin: 'ignore',
    onFlood: 'tail',
    waitMs: RECORD_TIMEOUT_MS,
    who: 'record',
  });
  try {
    const exit = await runner.exit();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`record: the demo of ${lessonId} recorded nothing (exit ${exit.code ?? exit.signal}):\n${runner.transcript()}`);
    }
    return recordingFromJson<RecordedDemo>(text);
  } finally {
    await runner.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
