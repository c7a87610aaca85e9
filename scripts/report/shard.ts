// Past one machine: `npm run grade -- ... --shard K/N` grades part K of N of a class, so that N CI
// jobs or containers share it; `npm run grade -- merge REPORT...` (scripts/report/merge.ts) puts
// their reports back together. Which part a submission falls in depends only on its key (the
// student's name and the lesson), through a stable hash: every job, whatever order it finds the
// folders in and whatever machine it runs on, agrees, and a submission added later moves no other.

import { createHash } from 'node:crypto';

export interface Shard {
  /** 1-based: part `index` of `count`. */
  index: number;
  count: number;
}

const MAX_SHARDS = 1000;

/** 'K/N' as a Shard; throws an Error whose message is one line, for the command's usage error. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || count > MAX_SHARDS || index < 1 || index > count)
    throw new Error(`--shard must be K/N, part K of N with 1 <= K <= N <= ${MAX_SHARDS} (e.g. 2/4), not '${text}'`);
  return { index, count };
}

/** The part (1 to count) that `key` falls in: the first 32 bits of its SHA-256, modulo count. */
export function shardIndexOf(key: string, count: number): number {
  return (createHash('sha256').update(key, 'utf8').digest().readUInt32BE(0) % count) + 1;
}

/** The items of part `index` of `count`, in their given order. */
export function shardOf<T>(items: readonly T[], key: (item: T) => string, index: number, count: number): T[] {
  return items.filter((item) => shardIndexOf(key(item), count) === index);
}

/** The key of one grading: the student's name and the lesson (a student grades once per lesson). */
export function gradingKey(student: string, lesson: string): string {
  return `${student}\u0000${lesson}`;
}
