// The relay (issue 15): a TCP or UDP middle-man between a client and its server that forwards every
// byte, records what it saw as events (events.ts), and can inject faults named after Toxiproxy's
// toxics (faults.ts). Transparent by default:
//   TCP: one upstream connection per client connection; every byte both ways, in order; a half-close
//        (半关闭, FIN) on one side becomes end() on the other while the other direction keeps
//        flowing; a reset (RST) on one side becomes resetAndDestroy() on the other; a refused
//        upstream resets the client.
//   UDP: one upstream socket per source address, so the server sees one peer per client, and its
//        replies to that socket go back to that source.
// What it records is what each read() returned on its side, not the kernel's TCP segments.

import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Direction, RelayEvent } from './events.ts';
import { type Item, mulberry32, type Push, type StageContext, stageSeed, Timers } from './stage.ts';
import type { Endpoint, Fault, Relay, RelayOptions } from './types.ts';

/**
 * Bytes a direction may have read and not yet written out before the relay stops reading that side
 * (and starts again below half of it): the bound on what the relay holds per direction.
 */
const HIGH_WATER = 256 * 1024;

/** A UDP mapping unused this long (no datagram either way) is dropped and its socket closed. */
const UDP_IDLE_MS = 60_000;

/** The stages of one direction, in the spec's order, ending at `sink` (none: straight to the sink). */
type ChainBuilder = (faults: Fault[], context: (index: number, toxic: string) => StageContext, sink: Push) => Push;

const buildChain: ChainBuilder = (faults, _context, sink) => {
  if (faults.length > 0) throw new Error('relay: faults are not available yet');
  return sink;
};

/** host:port as people write it, with IPv6 hosts in brackets. */
export function formatEndpoint(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Resolves when the socket or server closes (events.once would reject on its 'error' first). */
function closeOf(emitter: net.Socket | dgram.Socket): Promise<void> {
  return new Promise((resolve) => emitter.once('close', () => resolve()));
}

/** Starts a relay in front of options.target; resolves once it listens. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const origin = options.origin ?? performance.now();
  const events: RelayEvent[] = [];
  const keep = options.keepEvents ?? true;
  const emit = (event: RelayEvent): void => {
    if (keep) events.push(event);
    options.onEvent?.(event);
  };
  const now = (): number => performance.now() - origin;
  const shared: Shared = { options, emit, now, seed: options.seed ?? 1, faults: options.faults ?? [] };
  const side = options.protocol === 'tcp' ? await startTcp(shared) : await startUdp(shared);
  return {
    address: side.address,
    get events() {
      return events;
    },
    close: side.close,
  };
}

interface Shared {
  options: RelayOptions;
  emit: (event: RelayEvent) => void;
  now: () => number;
  seed: number;
  faults: Fault[];
}

interface Side {
  address: Endpoint;
  close: () => Promise<void>;
}

/** The faults that act on `dir`. */
function faultsFor(faults: Fault[], dir: Direction): Fault[] {
  return faults.filter((fault) => fault.dir === 'both' || fault.dir === dir);
}

/** The context a stage of connection `conn`, direction `dir` works with. */
function contextMaker(
  shared: Shared,
  conn: number,
  dir: Direction,
  timers: Timers,
  started: number,
  actions: { reset(): void; close(): void },
): (index: number, toxic: string) => StageContext {
  return (index, toxic) => {
    const random = mulberry32(stageSeed(shared.seed, conn, dir, index));
    return {
      protocol: shared.options.protocol,
      dir,
      random,
      fault: (what) => shared.emit({ t: shared.now(), conn, kind: 'fault', dir, toxic, what }),
      sleep: (ms) => timers.sleep(ms),
      nextTurn: () => timers.nextTurn(),
      reset: actions.reset,
      close: actions.close,
      elapsed: () => shared.now() - started,
    };
  };
}

// ---------------------------------------------------------------- TCP

async function startTcp(shared: Shared): Promise<Side> {
  const { target } = shared.options;
  const host = shared.options.listen?.host ?? target.host;
  const connections = new Set<TcpConnection>();
  let count = 0;
  // pauseOnConnect: nothing is read from the client until the upstream connection is there.
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    count += 1;
    const connection = new TcpConnection(shared, count, client);
    connections.add(connection);
    connection.closed.then(() => connections.delete(connection));
  });
  server.listen(shared.options.listen?.port ?? 0, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  server.on('error', () => {}); // after listening, a server only errors on accept; the client sees it
  const address = server.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    address: { host: address.address, port: address.port },
    close: () => {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const connection of connections) connection.destroy();
        await Promise.all([...connections].map((connection) => connection.closed));
        await serverClosed;
      })();
      return closing;
    },
  };
}

class TcpConnection {
  readonly upstream: net.Socket;
  /** Resolves once both sockets have closed and the close event is out. */
  readonly closed: Promise<void>;
  private readonly timers = new Timers();
  private connected = false;
  /** False once a toxic closed the connection: reads are then dropped. */
  private forwarding = true;
  private finished = false;

  constructor(
    private readonly shared: Shared,
    private readonly conn: number,
    private readonly client: net.Socket,
  ) {
    const { target } = shared.options;
    const started = shared.now();
    this.upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    // No Nagle on either side: the relay must not delay or join small writes on its own.
    client.setNoDelay(true);
    this.upstream.setNoDelay(true);
    this.closed = Promise.all([closeOf(client), closeOf(this.upstream)]).then(() => {
      this.timers.stop();
      if (!this.finished) {
        this.finished = true;
        shared.emit({ t: shared.now(), conn, kind: 'close' });
      }
    });
    const actions = { reset: () => this.resetBoth(), close: () => this.closeBoth() };
    const up = buildChain(
      faultsFor(shared.faults, 'up'),
      contextMaker(shared, conn, 'up', this.timers, started, actions),
      sinkOf(this.upstream),
    );
    const down = buildChain(
      faultsFor(shared.faults, 'down'),
      contextMaker(shared, conn, 'down', this.timers, started, actions),
      sinkOf(client),
    );

    this.upstream.once('connect', () => {
      this.connected = true;
      shared.emit({
        t: shared.now(),
        conn,
        kind: 'connect',
        protocol: 'tcp',
        client: formatEndpoint(client.remoteAddress ?? '?', client.remotePort ?? 0),
        server: formatEndpoint(target.host, target.port),
      });
      this.pump(client, 'up', up);
      this.pump(this.upstream, 'down', down);
      client.resume();
    });
    // An error on a socket is that side's reset (ECONNRESET, or EPIPE writing to it after its RST):
    // the relay passes it on as a reset of the other side. Before the upstream connects, it is a refusal.
    this.upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.connected) {
        shared.emit({
          t: shared.now(),
          conn,
          kind: 'refused',
          protocol: 'tcp',
          server: formatEndpoint(target.host, target.port),
          reason: err.code ?? err.message,
        });
        client.resetAndDestroy();
        return;
      }
      this.passReset('down', client);
    });
    client.on('error', () => {
      if (!this.connected) this.upstream.destroy();
      else this.passReset('up', this.upstream);
    });
  }

  /** Reads `from`, one data event per read, into the chain; pauses while too much is in flight. */
  private pump(from: net.Socket, dir: Direction, chain: Push): void {
    let inFlight = 0;
    let paused = false;
    from.on('data', (bytes: Buffer) => {
      if (!this.forwarding) return;
      this.shared.emit({ t: this.shared.now(), conn: this.conn, kind: 'data', dir, bytes });
      inFlight += bytes.length;
      chain({ kind: 'data', bytes }).then(() => {
        inFlight -= bytes.length;
        if (paused && inFlight <= HIGH_WATER / 2) {
          paused = false;
          from.resume();
        }
      });
      if (!paused && inFlight > HIGH_WATER) {
        paused = true;
        from.pause();
      }
    });
    from.on('end', () => {
      if (!this.forwarding) return;
      this.shared.emit({ t: this.shared.now(), conn: this.conn, kind: 'end', dir });
      void chain({ kind: 'end' });
    });
  }

  private passReset(dir: Direction, other: net.Socket): void {
    if (this.finished || other.destroyed) return;
    this.shared.emit({ t: this.shared.now(), conn: this.conn, kind: 'reset', dir });
    this.timers.stop();
    other.resetAndDestroy();
  }

  /** A toxic's reset: RST to both sides. */
  private resetBoth(): void {
    this.timers.stop();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
  }

  /** A toxic's close: FIN to both sides; anything read after it is dropped. */
  private closeBoth(): void {
    this.timers.stop();
    this.forwarding = false;
    this.client.end();
    this.upstream.end();
    // Still read (and drop), so that the peers' FINs arrive and the sockets close.
    this.client.resume();
    this.upstream.resume();
  }

  destroy(): void {
    this.timers.stop();
    this.client.destroy();
    this.upstream.destroy();
  }
}

/** The end of a TCP chain: writes to the socket; resolves when the write has been handed to the system. */
function sinkOf(socket: net.Socket): Push {
  return (item: Item) => {
    if (item.kind === 'end') {
      socket.end();
      return Promise.resolve();
    }
    if (socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => socket.write(item.bytes, () => resolve()));
  };
}

// ---------------------------------------------------------------- UDP

async function startUdp(shared: Shared): Promise<Side> {
  const { target } = shared.options;
  const host = shared.options.listen?.host ?? target.host;
  const type = net.isIPv6(host) ? 'udp6' : 'udp4';
  const socket = dgram.createSocket(type);
  socket.bind(shared.options.listen?.port ?? 0, host);
  await Promise.race([
    once(socket, 'listening'),
    once(socket, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  socket.on('error', () => {}); // a send that fails loses that datagram, as UDP may
  const address = socket.address();
  const relayAddress = formatEndpoint(address.address, address.port);
  const mappings = new Map<string, UdpMapping>();
  let count = 0;
  socket.on('message', (bytes, rinfo) => {
    const source = formatEndpoint(rinfo.address, rinfo.port);
    let mapping = mappings.get(source);
    if (!mapping) {
      count += 1;
      mapping = new UdpMapping(shared, count, socket, rinfo, type);
      mappings.set(source, mapping);
      const dropped = mapping;
      dropped.closed.then(() => {
        if (mappings.get(source) === dropped) mappings.delete(source);
      });
    }
    shared.emit({ t: shared.now(), conn: mapping.conn, kind: 'datagram', dir: 'up', from: source, to: relayAddress, bytes });
    mapping.up(bytes);
  });
  let closing: Promise<void> | undefined;
  return {
    address: { host: address.address, port: address.port },
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => socket.close(() => resolve()));
        for (const mapping of mappings.values()) mapping.destroy();
        await Promise.all([...mappings.values()].map((mapping) => mapping.closed));
        await closed;
      })();
      return closing;
    },
  };
}

class UdpMapping {
  readonly closed: Promise<void>;
  readonly up: (bytes: Buffer) => void;
  private readonly upstream: dgram.Socket;
  private readonly timers = new Timers();
  private readonly idle: NodeJS.Timeout;
  private done = false;

  constructor(
    shared: Shared,
    readonly conn: number,
    listener: dgram.Socket,
    source: dgram.RemoteInfo,
    type: 'udp4' | 'udp6',
  ) {
    const { target } = shared.options;
    const started = shared.now();
    this.upstream = dgram.createSocket(type);
    this.upstream.on('error', () => {}); // a lost datagram, as UDP may lose it
    // Bound to the loopback host before the first send (a send would otherwise bind to every address).
    this.upstream.bind(0, type === 'udp6' ? '::1' : '127.0.0.1');
    this.closed = closeOf(this.upstream).then(() => {
      this.timers.stop();
      clearTimeout(this.idle);
      shared.emit({ t: shared.now(), conn, kind: 'close' });
    });
    this.idle = setTimeout(() => this.destroy(), UDP_IDLE_MS);
    const actions = { reset: () => this.destroy(), close: () => this.destroy() };
    const upChain = buildChain(faultsFor(shared.faults, 'up'), contextMaker(shared, conn, 'up', this.timers, started, actions), (item) =>
      this.send(this.upstream, item, target.port, target.host),
    );
    const downChain = buildChain(
      faultsFor(shared.faults, 'down'),
      contextMaker(shared, conn, 'down', this.timers, started, actions),
      (item) => this.send(listener, item, source.port, source.address),
    );
    this.up = (bytes) => {
      this.idle.refresh();
      void upChain({ kind: 'data', bytes });
    };
    this.upstream.on('message', (bytes, rinfo) => {
      if (this.done) return;
      this.idle.refresh();
      const local = this.upstream.address();
      shared.emit({
        t: shared.now(),
        conn,
        kind: 'datagram',
        dir: 'down',
        from: formatEndpoint(rinfo.address, rinfo.port),
        to: formatEndpoint(local.address, local.port),
        bytes,
      });
      void downChain({ kind: 'data', bytes });
    });
  }

  private send(socket: dgram.Socket, item: Item, port: number, host: string): Promise<void> {
    if (item.kind === 'end' || this.done) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        socket.send(item.bytes, port, host, () => resolve());
      } catch {
        resolve(); // the socket closed meanwhile
      }
    });
  }

  destroy(): void {
    if (this.done) return;
    this.done = true;
    this.timers.stop();
    clearTimeout(this.idle);
    this.upstream.close();
  }
}
