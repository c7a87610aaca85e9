// Faults for the relay (issue 15), named after Toxiproxy's toxics where it has them: parseFaults()
// reads a --faults spec, and buildChain() turns the faults of one direction into stages (stage.ts)
// in the spec's order.
//
// Spec grammar (others parse nothing themselves; they call parseFaults):
//   spec   = toxic *( "+" toxic )          an empty spec is no fault
//   toxic  = NAME [ ":" param *( "," param ) ]
//   param  = KEY "=" NUMBER  |  "dir=" ( "up" | "down" | "both" )      dir defaults to both
// Examples: slicer   slicer:size=1   latency:ms=50+slicer:size=3,delay=1   loss:p=0.3,dir=up
// 'up' is client → server (Toxiproxy's upstream), 'down' is server → client (its downstream).

import type { Item, Push, StageContext } from './stage.ts';
import type { Fault, Protocol } from './types.ts';

/** A spec that cannot be used; its message is one line naming every valid toxic and parameter. */
export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/** A parameter's default, or 'required', or 'optional' (no default: the toxic decides, see its stage). */
type Param = number | 'required' | 'optional';

interface ToxicSpec {
  params: Record<string, Param>;
  /** Whole numbers only (sizes, byte counts). */
  whole?: string[];
  /** Upper bounds, where a larger value would break the relay's own bound on what it holds. */
  max?: Record<string, number>;
  /** At least 1 (a piece size). */
  positive?: string[];
  /** Probabilities, from 0 to 1. */
  probability?: string[];
}

/**
 * Slicer's default delay between pieces, in ms. Measured with scripts/relay/measure-slicer.ts on
 * loopback (see the comment on slicerStage): with 0 a receiver in another process still got a whole
 * short message in one read in some runs; with 1 ms it did not in any run.
 */
export const SLICER_DEFAULT_DELAY_MS = 1;

const TCP_TOXICS: Record<string, ToxicSpec> = {
  latency: { params: { ms: 100, jitter: 0 } },
  bandwidth: { params: { kbps: 'required' }, positive: ['kbps'] },
  slicer: {
    params: { size: 1, variation: 0, delay: SLICER_DEFAULT_DELAY_MS },
    whole: ['size', 'variation'],
    positive: ['size'],
  },
  coalesce: { params: { ms: 'optional', bytes: 'optional' }, whole: ['bytes'], max: { bytes: 65536 } },
  limit_data: { params: { bytes: 'required' }, whole: ['bytes'] },
  reset_peer: { params: { ms: 'optional', bytes: 'optional' }, whole: ['bytes'] },
  timeout: { params: { ms: 0 } },
};

const UDP_TOXICS: Record<string, ToxicSpec> = {
  loss: { params: { p: 0.5 }, probability: ['p'] },
  duplicate: { params: { p: 0.5 }, probability: ['p'] },
  reorder: { params: { p: 0.5, window: 1, ms: 100 }, whole: ['window'], positive: ['window'], probability: ['p'] },
  latency: { params: { ms: 100, jitter: 0 } },
};

const TOXICS: Record<Protocol, Record<string, ToxicSpec>> = { tcp: TCP_TOXICS, udp: UDP_TOXICS };

/** Coalesce with neither ms nor bytes: hold writes this long. */
const COALESCE_DEFAULT_MS = 20;

/** `latency(ms=100,jitter=0) bandwidth(kbps) …` for one protocol. */
function listing(toxics: Record<string, ToxicSpec>): string {
  return Object.entries(toxics)
    .map(([name, spec]) => {
      const params = Object.entries(spec.params).map(([key, value]) => (typeof value === 'number' ? `${key}=${value}` : key));
      return `${name}(${params.join(',')})`;
    })
    .join(' ');
}

/** The one-line help every FaultSpecError ends with. */
export const TOXIC_HELP = `TCP toxics: ${listing(TCP_TOXICS)}; UDP toxics: ${listing(UDP_TOXICS)}; each also takes dir=up|down|both`;

function specError(problem: string): FaultSpecError {
  return new FaultSpecError(`faults: ${problem}; ${TOXIC_HELP}`);
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

function didYouMean(word: string, candidates: string[]): string {
  const best = candidates.map((candidate) => ({ candidate, d: distance(word, candidate) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 ? ` (did you mean '${best.candidate}'?)` : '';
}

/** The faults a --faults spec names, for `protocol`; FaultSpecError (one line) when it is wrong. */
export function parseFaults(spec: string, protocol: Protocol): Fault[] {
  if (spec.trim() === '') return [];
  return spec.split('+').map((part) => parseToxic(part.trim(), protocol));
}

function parseToxic(text: string, protocol: Protocol): Fault {
  const match = /^([a-z_]+)(?::(.*))?$/.exec(text);
  if (!match) throw specError(`'${text}' is not NAME or NAME:key=value,…`);
  const name = match[1]!;
  const toxic = TOXICS[protocol][name];
  if (!toxic) {
    const other: Protocol = protocol === 'tcp' ? 'udp' : 'tcp';
    if (TOXICS[other][name]) throw specError(`'${name}' is a ${other.toUpperCase()} toxic, not for ${protocol.toUpperCase()}`);
    throw specError(`unknown toxic '${name}'${didYouMean(name, Object.keys(TOXICS[protocol]))}`);
  }
  const params: Record<string, number> = {};
  let dir: Fault['dir'] = 'both';
  const given = new Set<string>();
  for (const pair of match[2] === undefined ? [] : match[2].split(',')) {
    const kv = /^([a-z_]+)=(.*)$/.exec(pair.trim());
    if (!kv) throw specError(`'${pair}' in '${text}' is not key=value`);
    const [, key, value] = kv as unknown as [string, string, string];
    if (given.has(key)) throw specError(`${name} has ${key} twice`);
    given.add(key);
    if (key === 'dir') {
      if (value !== 'up' && value !== 'down' && value !== 'both') throw specError(`dir must be up, down or both, not '${value}'`);
      dir = value;
      continue;
    }
    if (!(key in toxic.params)) {
      throw specError(`${name} has no parameter '${key}'${didYouMean(key, [...Object.keys(toxic.params), 'dir'])}`);
    }
    params[key] = parseNumber(name, key, value, toxic);
  }
  for (const [key, value] of Object.entries(toxic.params)) {
    if (key in params) continue;
    if (value === 'required') throw specError(`${name} needs ${key}=NUMBER`);
    if (typeof value === 'number') params[key] = value;
  }
  return { toxic: name, params, dir };
}

function parseNumber(name: string, key: string, value: string, toxic: ToxicSpec): number {
  const whole = toxic.whole?.includes(key) ?? false;
  if (!(whole ? /^\d+$/ : /^\d+(?:\.\d+)?$/).test(value)) {
    throw specError(`${name} ${key} must be a ${whole ? 'whole number' : 'number'} ≥ 0, not '${value}'`);
  }
  const number = Number(value);
  if (toxic.positive?.includes(key) && number <= 0) throw specError(`${name} ${key} must be more than 0, not '${value}'`);
  if (toxic.probability?.includes(key) && number > 1) throw specError(`${name} ${key} is a probability from 0 to 1, not '${value}'`);
  const max = toxic.max?.[key];
  if (max !== undefined && number > max) throw specError(`${name} ${key} must be at most ${max}, not '${value}'`);
  return number;
}

// ---------------------------------------------------------------- stages

/** The stages of one direction, in the spec's order, ending at `sink`; no fault: the sink itself. */
export function buildChain(faults: Fault[], context: (index: number, toxic: string) => StageContext, sink: Push): Push {
  let next = sink;
  for (let i = faults.length - 1; i >= 0; i--) {
    const fault = faults[i]!;
    next = makeStage(fault, context(i, fault.toxic), next);
  }
  return next;
}

function makeStage(fault: Fault, ctx: StageContext, next: Push): Push {
  const p = fault.params;
  switch (fault.toxic) {
    case 'latency':
      return latencyStage(ctx, next, p.ms ?? 0, p.jitter ?? 0);
    case 'bandwidth':
      return bandwidthStage(ctx, next, p.kbps ?? 1);
    case 'slicer':
      return slicerStage(ctx, next, p.size ?? 1, p.variation ?? 0, p.delay ?? SLICER_DEFAULT_DELAY_MS);
    case 'coalesce':
      return coalesceStage(ctx, next, p.ms ?? (p.bytes === undefined ? COALESCE_DEFAULT_MS : undefined), p.bytes);
    case 'limit_data':
      return limitStage(ctx, next, p.bytes ?? 0, 'limit_data');
    case 'reset_peer':
      return resetStage(ctx, next, p.ms ?? (p.bytes === undefined ? 0 : undefined), p.bytes);
    case 'timeout':
      return timeoutStage(ctx, next, p.ms ?? 0);
    case 'loss':
      return lossStage(ctx, next, p.p ?? 0);
    case 'duplicate':
      return duplicateStage(ctx, next, p.p ?? 0);
    case 'reorder':
      return reorderStage(ctx, next, p.p ?? 0, p.window ?? 1, p.ms ?? 100);
    default:
      throw new FaultSpecError(`faults: unknown toxic '${fault.toxic}'; ${TOXIC_HELP}`);
  }
}

/** Runs items one after another: each waits for the previous one's `run` to finish. */
function serial(run: (item: Item) => Promise<void>): Push {
  let queue: Promise<void> = Promise.resolve();
  return (item) => {
    const done = queue.then(() => run(item));
    queue = done;
    return done;
  };
}

/**
 * latency: every item leaves ms (± jitter) after it arrived, never before the item ahead of it, so
 * order is kept. Items are delayed side by side, not one after another (a 50 ms latency on ten reads
 * costs 50 ms, not 500).
 */
function latencyStage(ctx: StageContext, next: Push, ms: number, jitter: number): Push {
  let leaves = 0; // when the item ahead leaves (ctx.elapsed() time)
  let queue: Promise<void> = Promise.resolve();
  return (item) => {
    const delay = Math.max(0, ms + (jitter > 0 ? (ctx.random() * 2 - 1) * jitter : 0));
    leaves = Math.max(leaves, ctx.elapsed() + delay);
    const at = leaves;
    if (item.kind === 'data') ctx.fault(`latency: ${item.bytes.length} bytes held ${delay.toFixed(1)} ms`);
    // The timers run one after another, so that an item never leaves before the one ahead of it,
    // but an item does not wait for the one ahead to be written out.
    queue = queue.then(() => ctx.sleep(Math.max(0, at - ctx.elapsed())));
    return queue.then(() => next(item));
  };
}

/** bandwidth: bytes leave no faster than kbps kilobits per second (1 kbps = 125 bytes/s), in pieces of at most 100 ms each. */
function bandwidthStage(ctx: StageContext, next: Push, kbps: number): Push {
  const bytesPerMs = kbps / 8;
  const piece = Math.max(1, Math.floor(bytesPerMs * 100));
  let free = 0; // when the "link" is free again (ctx.elapsed() time)
  return serial(async (item) => {
    if (item.kind === 'end') return next(item);
    const started = ctx.elapsed();
    const writes: Promise<void>[] = [];
    for (let offset = 0; offset < item.bytes.length; offset += piece) {
      const part = item.bytes.subarray(offset, offset + piece);
      free = Math.max(free, ctx.elapsed()) + part.length / bytesPerMs;
      await ctx.sleep(Math.max(0, free - ctx.elapsed()));
      writes.push(next({ kind: 'data', bytes: part }));
    }
    ctx.fault(`bandwidth: ${item.bytes.length} bytes in ${(ctx.elapsed() - started).toFixed(1)} ms at ${kbps} kbps`);
    await Promise.all(writes);
  });
}

/**
 * slicer: each read is written on in pieces of about `size` bytes (± variation), each piece only after
 * the previous one has been handed to the system (its write callback), and then after `delay` ms, or,
 * with delay=0, after one turn of the event loop. No Nagle on the relay's sockets (relay.ts).
 *
 * What this guarantees: every piece leaves the relay in its own write() system call, so on the
 * wire it is its own TCP segment. What it cannot guarantee: that the receiver reads each piece on
 * its own. The receiving kernel queues whatever has arrived, and one recv() returns all of it, so a
 * receiver that is slow to wake up (a loaded machine, another process) can still get two or more
 * pieces, or even a whole short message, in one read. The small default delay makes that rare
 * (see SLICER_DEFAULT_DELAY_MS and scripts/relay/measure-slicer.ts); a larger delay makes it rarer.
 */
function slicerStage(ctx: StageContext, next: Push, size: number, variation: number, delay: number): Push {
  return serial(async (item) => {
    if (item.kind === 'end') return next(item);
    const { bytes } = item;
    const sizes: number[] = [];
    for (let left = bytes.length; left > 0; ) {
      const wobble = variation > 0 ? Math.round((ctx.random() * 2 - 1) * variation) : 0;
      const cut = Math.min(left, Math.max(1, size + wobble));
      sizes.push(cut);
      left -= cut;
    }
    ctx.fault(`slicer: ${bytes.length} bytes in ${sizes.length} writes (${sizes.join(' ')})`);
    let offset = 0;
    for (const cut of sizes) {
      await next({ kind: 'data', bytes: bytes.subarray(offset, offset + cut) });
      offset += cut;
      await (delay > 0 ? ctx.sleep(delay) : ctx.nextTurn());
    }
  });
}

/** coalesce: reads are held and written on as one, `ms` after the first held read or once `bytes` are held; a FIN first flushes them. */
function coalesceStage(ctx: StageContext, next: Push, ms: number | undefined, bytes: number | undefined): Push {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let waiting: (() => void)[] = [];
  const flush = (): void => {
    if (held.length === 0) return;
    const joined = Buffer.concat(held);
    ctx.fault(`coalesce: ${held.length} reads joined into one write of ${joined.length} bytes`);
    const resolves = waiting;
    held = [];
    heldBytes = 0;
    waiting = [];
    void next({ kind: 'data', bytes: joined }).then(() => {
      for (const resolve of resolves) resolve();
    });
  };
  return (item) => {
    if (item.kind === 'end') {
      flush();
      return next(item);
    }
    held.push(item.bytes);
    heldBytes += item.bytes.length;
    const done = new Promise<void>((resolve) => waiting.push(resolve));
    if (bytes !== undefined && heldBytes >= bytes) flush();
    else if (ms !== undefined && held.length === 1) {
      // The first read of a batch starts its clock; a batch flushed earlier (by bytes or a FIN) is not flushed again.
      const batch = held;
      void ctx.sleep(ms).then(() => {
        if (held === batch) flush();
      });
    }
    return done;
  };
}

/**
 * limit_data (and reset_peer with bytes): the first `limit` bytes pass, then the connection is closed
 * (limit_data: FIN to both sides) or reset (reset_peer: RST to both); anything after is dropped.
 * A receiver that has not yet read the last bytes when the RST arrives reads them and then, on
 * Linux, sees the end of the stream rather than ECONNRESET: the kernel's doing, not the relay's.
 */
function limitStage(ctx: StageContext, next: Push, limit: number, toxic: 'limit_data' | 'reset_peer'): Push {
  let passed = 0;
  let done = false;
  return serial(async (item) => {
    if (done) return;
    if (item.kind === 'end') return next(item);
    const room = limit - passed;
    if (item.bytes.length < room) {
      passed += item.bytes.length;
      return next(item);
    }
    done = true;
    if (room > 0) await next({ kind: 'data', bytes: item.bytes.subarray(0, room) });
    passed = limit;
    if (toxic === 'limit_data') {
      ctx.fault(`limit_data: closed after ${limit} bytes`);
      ctx.close();
    } else {
      ctx.fault(`reset_peer: reset after ${limit} bytes`);
      ctx.reset();
    }
  });
}

/** reset_peer: RST to both sides `ms` after the connection began, or after `bytes` bytes this way, whichever comes first. */
function resetStage(ctx: StageContext, next: Push, ms: number | undefined, bytes: number | undefined): Push {
  if (ms !== undefined) {
    void ctx.sleep(Math.max(0, ms - ctx.elapsed())).then(() => {
      ctx.fault(`reset_peer: reset after ${ms} ms`);
      ctx.reset();
    });
  }
  return bytes === undefined ? next : limitStage(ctx, next, bytes, 'reset_peer');
}

/**
 * timeout: `ms` after the connection began (0: at once) nothing more goes this way, not even a FIN:
 * the connection is held open, silent, until the relay closes (Toxiproxy's timeout with 0).
 */
function timeoutStage(ctx: StageContext, next: Push, ms: number): Push {
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    ctx.fault(`timeout: stopped forwarding after ${ms} ms; the connection stays open`);
  };
  if (ms > 0) void ctx.sleep(ms).then(stop);
  return (item) => {
    if (!stopped && ms === 0) stop();
    if (stopped) {
      ctx.fault(item.kind === 'data' ? `timeout: dropped ${item.bytes.length} bytes` : 'timeout: dropped the FIN');
      return Promise.resolve();
    }
    return next(item);
  };
}

/** loss: each datagram is dropped with probability p. */
function lossStage(ctx: StageContext, next: Push, p: number): Push {
  return (item) => {
    if (item.kind === 'data' && ctx.random() < p) {
      ctx.fault(`loss: dropped ${item.bytes.length} bytes`);
      return Promise.resolve();
    }
    return next(item);
  };
}

/** duplicate: each datagram is sent twice with probability p. */
function duplicateStage(ctx: StageContext, next: Push, p: number): Push {
  return async (item) => {
    if (item.kind === 'data' && ctx.random() < p) {
      ctx.fault(`duplicate: sent ${item.bytes.length} bytes twice`);
      await Promise.all([next(item), next(item)]);
      return;
    }
    return next(item);
  };
}

/**
 * reorder: with probability p a datagram is held (when none is held already) and sent after the
 * next `window` datagrams, or after `ms` if they do not come.
 */
function reorderStage(ctx: StageContext, next: Push, p: number, window: number, ms: number): Push {
  interface Held {
    item: Item;
    left: number;
    release: () => void;
  }
  let held: Held | undefined;
  const release = (why: string): void => {
    const current = held;
    if (!current) return;
    held = undefined;
    if (current.item.kind === 'data') ctx.fault(`reorder: sent ${current.item.bytes.length} held bytes ${why}`);
    void next(current.item).then(current.release);
  };
  return (item) => {
    if (!held && item.kind === 'data' && ctx.random() < p) {
      const entry: Held = { item, left: window, release: () => {} };
      const done = new Promise<void>((resolve) => {
        entry.release = resolve;
      });
      held = entry;
      ctx.fault(`reorder: held ${item.bytes.length} bytes`);
      void ctx.sleep(ms).then(() => {
        if (held === entry) release(`after ${ms} ms`);
      });
      return done;
    }
    const sent = next(item);
    if (held) {
      held.left -= 1;
      if (held.left <= 0) release(`after the next ${window}`);
    }
    return sent;
  };
}
