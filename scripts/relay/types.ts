// The relay's contract (issue 15), shared by the relay itself (scripts/relay/relay.ts), its faults
// (faults.ts), the trace printer (trace.ts), the runner, the test harness under --faults, and the
// sequence diagrams (diagram.ts). Each part reads RelayEvent (events.ts) and nothing else.

import type { RelayEvent } from './events.ts';

export type Protocol = 'tcp' | 'udp';

export interface Endpoint {
  host: string;
  port: number;
}

/** One toxic as parsed from a --faults spec (faults.ts): its name, its parameters, and which way it acts. */
export interface Fault {
  toxic: string; // latency, bandwidth, slicer, coalesce, limit_data, reset_peer, timeout, loss, duplicate, reorder
  params: Record<string, number>;
  /** 'up': client → server, 'down': server → client, 'both'. */
  dir: 'up' | 'down' | 'both';
}

export interface RelayOptions {
  protocol: Protocol;
  /** Where the real server is. */
  target: Endpoint;
  /** Where the relay listens: the target's host and port 0 unless given. */
  listen?: Partial<Endpoint>;
  /** Toxics, in the order the spec names them (parseFaults). Empty: transparent. */
  faults?: Fault[];
  /** Makes every random choice of every toxic repeatable. */
  seed?: number;
  /** Called for every event, in order, as it happens. */
  onEvent?: (event: RelayEvent) => void;
  /** The time origin of events' `t` (performance.now() value); the relay's start when not given. */
  origin?: number;
  /**
   * Keep every event in Relay.events (default true). False for long or large transfers: only
   * onEvent sees the events, and the relay keeps none of the bytes it has forwarded.
   */
  keepEvents?: boolean;
}

export interface Relay {
  /** Where clients should connect (or send): the relay's own bound address. */
  readonly address: Endpoint;
  /** Every event so far, in order. */
  readonly events: readonly RelayEvent[];
  /** Stops listening, destroys every connection and UDP mapping; resolves when all are closed. */
  close(): Promise<void>;
}
