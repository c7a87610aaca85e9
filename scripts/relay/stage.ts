// The relay's inside (issue 15): each direction of a TCP connection, and each direction of a UDP
// mapping, is a chain of stages ending at the socket that writes the bytes on. A transparent relay
// has no stage: a read goes straight to the write. Each toxic of a --faults spec (faults.ts) is one
// stage, in the spec's order.
//
// push() resolves when the item has left the chain: written out by the last socket (its write
// callback ran), or dropped by a toxic. The reading side counts the bytes it has pushed and not yet
// seen leave, and pauses while they exceed a bound: that is the relay's backpressure, the same for a
// transparent chain (the socket's own buffer) and for a toxic that holds bytes back (latency,
// coalesce, bandwidth), so no chain holds more than a bounded number of bytes.

import type { Direction } from './events.ts';

/** What flows through a chain: bytes as read, or a half-close (TCP only; it comes after every byte). */
export type Item = { kind: 'data'; bytes: Buffer } | { kind: 'end' };

/** The next stage, or the socket at the end of the chain. */
export type Push = (item: Item) => Promise<void>;

/** What a toxic may do besides passing items on. Every timer it starts is cleared when the connection closes. */
export interface StageContext {
  protocol: 'tcp' | 'udp';
  dir: Direction;
  /** A number in [0, 1) from this stage's own seeded generator (mulberry32). */
  random(): number;
  /** Records a fault event for this stage's toxic and direction. */
  fault(what: string): void;
  /** Resolves after ms; never resolves if the connection closes first. */
  sleep(ms: number): Promise<void>;
  /** Resolves on the next turn of the event loop (setImmediate); never if the connection closes first. */
  nextTurn(): Promise<void>;
  /** Resets both sides (TCP: RST to the client and to the server). */
  reset(): void;
  /** Closes both sides in order (TCP: FIN to the client and to the server), dropping what comes after. */
  close(): void;
  /** Milliseconds since the connection (TCP) or the mapping (UDP) began. */
  elapsed(): number;
}

/** The pieces of timing a connection owns, so that closing it leaves no timer running. */
export class Timers {
  private readonly timeouts = new Set<NodeJS.Timeout>();
  private readonly immediates = new Set<NodeJS.Immediate>();
  private stopped = false;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.timeouts.delete(timer);
        resolve();
      }, ms);
      this.timeouts.add(timer);
    });
  }

  nextTurn(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return;
      const immediate = setImmediate(() => {
        this.immediates.delete(immediate);
        resolve();
      });
      this.immediates.add(immediate);
    });
  }

  /** A plain callback timer, cleared with the rest. */
  after(ms: number, run: () => void): NodeJS.Timeout | undefined {
    if (this.stopped) return undefined;
    const timer = setTimeout(() => {
      this.timeouts.delete(timer);
      run();
    }, ms);
    this.timeouts.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timeouts.delete(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timeouts) clearTimeout(timer);
    for (const immediate of this.immediates) clearImmediate(immediate);
    this.timeouts.clear();
    this.immediates.clear();
  }
}

/** mulberry32: a small seeded generator, so that the same seed repeats the same random choices. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of one stage's generator, from the relay's seed, the connection number, the direction
 * and the stage's place in the spec: each has its own sequence, so one connection's cuts do not
 * depend on how reads on other connections interleave with it.
 */
export function stageSeed(seed: number, conn: number, dir: Direction, index: number): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (const part of [conn, dir === 'up' ? 1 : 2, index]) {
    h = Math.imul(h ^ part, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}
