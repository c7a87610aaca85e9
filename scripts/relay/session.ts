// Relays in front of a lesson's listening programs (issue 15), for the runner (--trace, --faults,
// --trace-to), the demo recording behind the diagrams (record.ts) and the test harness under
// SOCKET_LESSONS_FAULTS. A relay (relay.ts) listens on a port of its own and forwards to the real
// server; every role that would have been given the server's port is given the relay's instead, so
// every byte between them passes through it, and is seen, and may be cut, delayed or lost.
//
// Which protocol a listener speaks is not in its ready line ("listening on HOST:PORT" for TCP and
// UDP alike) nor in the manifest: listenerProtocol() asks the system, by trying to bind the port.

import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import type { RelayEvent } from './events.ts';
import type { RecordedRelay } from './record.ts';
import { startRelay } from './relay.ts';
import type { Fault, Protocol, Relay } from './types.ts';

/**
 * Whether the program that holds host:port listens on TCP or is bound on UDP: a port in use can
 * be bound by nobody else on the same protocol (Node binds without SO_REUSEPORT), so a bind that
 * fails with EADDRINUSE names the protocol, and one that succeeds is closed again at once.
 */
export async function listenerProtocol(host: string, port: number): Promise<Protocol> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (await inUse(() => tcpBind(bare, port))) return 'tcp';
  if (await inUse(() => udpBind(bare, port))) return 'udp';
  throw new Error(`nothing listens on ${host}:${port} (neither TCP nor UDP)`);
}

async function inUse(bind: () => Promise<() => Promise<void>>): Promise<boolean> {
  try {
    const close = await bind();
    await close();
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
    throw err;
  }
}

async function tcpBind(host: string, port: number): Promise<() => Promise<void>> {
  const server = net.createServer();
  server.listen({ host, port, exclusive: true });
  await once(server, 'listening');
  return () => new Promise((resolve) => server.close(() => resolve()));
}

async function udpBind(host: string, port: number): Promise<() => Promise<void>> {
  const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false });
  socket.bind({ address: host, port, exclusive: true });
  await once(socket, 'listening');
  return () => new Promise((resolve) => socket.close(() => resolve()));
}

/** The diagnostic line a test under faults leaves (tests/harness/faults.ts), which scripts/results.ts attaches to its result. */
export const FAULTS_DIAGNOSTIC = 'faults: ';
/** How a test's skip under faults begins, so that results.ts and the grader report it with its reason. */
export const FAULTS_SKIP = 'skipped under faults: ';

/** A --faults spec parsed for each protocol (plan.ts): a toxic that exists for one protocol only acts on that one's relays. */
export interface FaultPlan {
  spec: string;
  tcp: Fault[];
  udp: Fault[];
}

/** One server with a relay in front of it. */
export interface Fronted {
  /** The listening role (its name in the manifest, or the program's file in the harness). */
  role: string;
  protocol: Protocol;
  relay: Relay;
  /** The server's own port, and the relay's: the one its clients are given. */
  serverPort: number;
  port: number;
}

export interface RelaysOptions {
  plan?: FaultPlan;
  seed?: number;
  /** One time origin for every relay, so that their events merge by `t`. */
  origin?: number;
  /** Every event of every relay, as it happens, with the server it is in front of. */
  onEvent?: (fronted: Fronted, event: RelayEvent) => void;
}

/** The relays of one run: one in front of each listening program, closed together. */
export class Relays {
  readonly fronted: Fronted[] = [];
  readonly origin: number;

  constructor(private readonly options: RelaysOptions = {}) {
    this.origin = options.origin ?? performance.now();
  }

  /** Puts a relay in front of the server at host:port (its protocol asked of the system unless given) and returns it. */
  async front(role: string, host: string, port: number, protocol?: Protocol): Promise<Fronted> {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    const kind = protocol ?? (await listenerProtocol(bare, port));
    const entry = { role, protocol: kind, serverPort: port } as Fronted;
    const onEvent = this.options.onEvent;
    const relay = await startRelay({
      protocol: kind,
      target: { host: bare, port },
      faults: this.options.plan?.[kind] ?? [],
      ...(this.options.seed !== undefined ? { seed: this.options.seed } : {}),
      origin: this.origin,
      ...(onEvent ? { onEvent: (event: RelayEvent) => onEvent(entry, event) } : {}),
    });
    entry.relay = relay;
    entry.port = relay.address.port;
    this.fronted.push(entry);
    return entry;
  }

  async close(): Promise<void> {
    await Promise.all(this.fronted.map((f) => f.relay.close()));
  }
}

/** The port in "HOST:PORT" or "[HOST]:PORT", as relay events name an address. */
export function portOf(address: string): number | undefined {
  const match = /:(\d+)$/.exec(address);
  return match ? Number(match[1]) : undefined;
}

/**
 * Which role opened each connection (TCP) or mapping (UDP) of a relay: the role whose own bound
 * port is the source port (a UDP peer sends from the port it bound), else the only role pointed
 * at this server, else 'client'.
 */
export function clientRoles(
  events: readonly RelayEvent[],
  bound: ReadonlyMap<string, number>,
  pointedAt: string[],
): Record<number, string> {
  const clients: Record<number, string> = {};
  for (const event of events) {
    if (event.conn in clients) continue;
    const source = event.kind === 'connect' ? event.client : event.kind === 'datagram' && event.dir === 'up' ? event.from : undefined;
    if (source === undefined) continue;
    const port = portOf(source);
    const byPort = [...bound].find(([, p]) => p === port)?.[0];
    clients[event.conn] = byPort ?? (pointedAt.length === 1 ? pointedAt[0]! : 'client');
  }
  return clients;
}

/** The roles of `lesson` pointed at `server`: their arguments or their demo lines name `{server.port}`. */
export function rolesPointedAt(
  lesson: { programs: { role: string; args?: string[] }[]; demo: { role: string; line: string }[] },
  server: string,
): string[] {
  const mark = `{${server}.port}`;
  const roles = new Set<string>();
  for (const program of lesson.programs) if (program.args?.some((arg) => arg.includes(mark))) roles.add(program.role);
  for (const step of lesson.demo) if (step.line.includes(mark)) roles.add(step.role);
  roles.delete(server);
  return [...roles];
}

/** The relays of a whole-lesson run (the runner's --trace and --faults, and the recording for the diagrams). */
export class LessonRelays extends Relays {
  /** Each role's own bound port (not its relay's): how a UDP datagram's sender is named. */
  readonly bound = new Map<string, number>();

  constructor(
    private readonly lesson: { programs: { role: string; args?: string[] }[]; demo: { role: string; line: string }[] },
    options: RelaysOptions,
  ) {
    super(options);
  }

  /** Called with each listener's ready port: a relay goes in front of it, and its port is what the others are given. */
  async frontRole(role: string, host: string, port: number): Promise<number> {
    this.bound.set(role, port);
    return (await this.front(role, host, port)).port;
  }

  /** Every relay's events so far, with the roles that opened each connection. */
  recorded(): RecordedRelay[] {
    return this.fronted.map((f) => ({
      protocol: f.protocol,
      server: f.role,
      events: [...f.relay.events],
      clients: clientRoles(f.relay.events, this.bound, rolesPointedAt(this.lesson, f.role)),
    }));
  }
}

/** A recording as JSON: every Buffer as `{ "base64": ... }`. */
export function recordingToJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && (item as { type?: string }).type === 'Buffer' && Array.isArray((item as { data?: unknown }).data)
      ? { base64: Buffer.from((item as { data: number[] }).data).toString('base64') }
      : item,
  );
}

/** recordingToJson's text read back, with its Buffers. */
export function recordingFromJson<T>(text: string): T {
  return JSON.parse(text, (_key, item: unknown) =>
    item && typeof item === 'object' && typeof (item as { base64?: unknown }).base64 === 'string' && Object.keys(item).length === 1
      ? Buffer.from((item as { base64: string }).base64, 'base64')
      : item,
  ) as T;
}
