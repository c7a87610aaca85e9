// Raw TCP peers on the harness's side: a client, a server handing out its connections in order,
// and writes that control how bytes arrive (one byte per write, or several messages in one).

import { once } from 'node:events';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { announcedBy, withTimeout } from '../../scripts/runtime/child.ts';
import { ProgramFailure } from '../../scripts/runtime/failure.ts';
import { relayFor } from './faults.ts';
import { ownedBy, programsFor, programsOf } from './programs.ts';

/**
 * A harness TCP client connected to host:port. A refused connection fails as kind 'refused',
 * naming the program whose ready line announced the port.
 */
export async function connectTcp(t: TestContext, port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = ownedBy(net.connect({ host, port, allowHalfOpen: true }), t);
  t.after(() => socket.destroy());
  try {
    await withTimeout(once(socket, 'connect'), `connecting to ${host}:${port}`, undefined, undefined, undefined, programsOf(t));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw err;
    const text = (err as Error).message;
    const what = `a connection to ${host}:${port}`;
    const program = announcedBy(port);
    throw program ? program.failure('refused', text, { what }) : new ProgramFailure(text, { kind: 'refused', what });
  }
  return socket;
}

/** A harness TCP server on port 0; connections are handed out in order by next(). */
export async function listenTcp(t: TestContext, host = '127.0.0.1'): Promise<TcpListener> {
  const listener = new TcpListener(host, t);
  t.after(() => listener.close());
  await withTimeout(once(listener.server, 'listening'), `the harness server to listen on ${host}`);
  // Under faults, the programs are given a relay's port in front of it.
  listener.relayPort = (await relayFor(t, 'tcp', listener.ownPort, host))?.port;
  return listener;
}

export class TcpListener {
  readonly server: net.Server;
  private readonly sockets: net.Socket[] = [];
  private readonly waiting: ((socket: net.Socket) => void)[] = [];
  private readonly open = new Set<net.Socket>();
  /** Under faults: the port of the relay in front of it, which `port` gives the programs instead. */
  relayPort: number | undefined;

  /** `t`: the test whose programs connect here, so that next() stops waiting once they have all exited. */
  constructor(
    host: string,
    private readonly t?: TestContext,
  ) {
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => {
      if (t) ownedBy(socket, t);
      this.open.add(socket);
      socket.on('close', () => this.open.delete(socket));
      socket.on('error', () => {}); // tests look at what arrived; a reset is not a harness failure
      const waiter = this.waiting.shift();
      if (waiter) waiter(socket);
      else this.sockets.push(socket);
    });
    this.server.listen(0, host);
  }

  /** The port the programs are given: its own, or under faults the relay's in front of it. */
  get port(): number {
    return this.relayPort ?? this.ownPort;
  }

  get ownPort(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The next accepted connection. */
  next(): Promise<net.Socket> {
    const socket = this.sockets.shift();
    if (socket) return Promise.resolve(socket);
    return withTimeout(
      new Promise((resolve) => this.waiting.push(resolve)),
      'a connection to the harness server',
      undefined,
      undefined,
      undefined,
      programsOf(this.t),
    );
  }

  close(): void {
    this.server.close();
    for (const socket of this.open) socket.destroy();
  }
}

/** Every byte the peer sends until it half-closes (its FIN). */
export async function readToEnd(socket: net.Socket, what = 'the peer to close its sending side'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', resolve);
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
  const detail = (): string => `received so far: ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`;
  await withTimeout(ended, what, detail, undefined, undefined, programsFor(socket));
  return Buffer.concat(chunks);
}

/** Writes `bytes` one byte per write, waiting for each write to be handed to the system. */
export async function writeBytewise(socket: net.Socket, bytes: Buffer): Promise<void> {
  socket.setNoDelay(true); // no Nagle: each byte leaves in its own segment
  for (const byte of bytes) {
    await new Promise<void>((resolve, reject) => socket.write(Buffer.of(byte), (err) => (err ? reject(err) : resolve())));
    await new Promise((resolve) => setImmediate(resolve)); // let the peer's event loop see each byte on its own
  }
}

/** Writes several messages in one write, so they arrive coalesced in a single chunk. */
export function writeCoalesced(socket: net.Socket, messages: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => socket.write(Buffer.concat(messages), (err) => (err ? reject(err) : resolve())));
}

/** A TCP port with nobody listening on it (taken from the system, then released). */
export async function unusedPort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
