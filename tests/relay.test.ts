// Tests of the relay (scripts/relay/, issue 15), run in this process between harness peers: it is
// transparent (every byte both ways, half-close and reset kept, one upstream per client, UDP one
// upstream socket per source), bounded in what it holds, and closes everything it opened.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import type { RelayEvent } from '../scripts/relay/events.ts';
import { startRelay } from '../scripts/relay/relay.ts';
import type { Relay, RelayOptions } from '../scripts/relay/types.ts';
import { withTimeout } from '../scripts/runtime/child.ts';
import { bindUdp, connectTcp, listenTcp, readToEnd, unusedPort } from './harness.ts';

const HOST = '127.0.0.1';

/** A relay in front of port, closed when the test ends. */
async function relay(t: TestContext, port: number, options: Partial<RelayOptions> = {}): Promise<Relay> {
  const started = await startRelay({ protocol: 'tcp', target: { host: HOST, port }, ...options });
  t.after(() => started.close());
  return started;
}

/** Byte i of a test stream of `seed`: not a repeating short pattern, so a lost or doubled chunk shows. */
function patternChunk(seed: number, offset: number, length: number): Buffer {
  const chunk = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    const n = offset + i;
    chunk[i] = (n * 131 + (n >>> 8) * 7 + (n >>> 16) * 3 + seed) & 0xff;
  }
  return chunk;
}

/** Writes `size` pattern bytes in 64 KiB writes, waiting for 'drain'; returns their SHA-256. */
async function sendPattern(socket: net.Socket, size: number, seed: number): Promise<string> {
  const hash = createHash('sha256');
  for (let offset = 0; offset < size; offset += 65536) {
    const chunk = patternChunk(seed, offset, Math.min(65536, size - offset));
    hash.update(chunk);
    if (!socket.write(chunk)) await withTimeout(once(socket, 'drain'), 'the relay to take more bytes');
  }
  return hash.digest('hex');
}

/** The SHA-256 and length of everything the peer sends until its FIN, without keeping the bytes. */
async function hashToEnd(socket: net.Socket): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  socket.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    length += chunk.length;
  });
  await withTimeout(once(socket, 'end'), 'the peer to half-close');
  return { sha256: hash.digest('hex'), length };
}

/** Resolves with the error a socket fails with (or undefined if it closes without one). */
function errorOf(socket: net.Socket): Promise<NodeJS.ErrnoException | undefined> {
  return withTimeout(
    new Promise((resolve) => {
      socket.once('error', resolve);
      socket.once('close', () => resolve(undefined));
    }),
    'the socket to fail or close',
  );
}

/** The events as short words (kind and direction), for order checks. */
function shape(events: readonly RelayEvent[]): string[] {
  return events.map((event) => ('dir' in event ? `${event.kind} ${event.dir}` : event.kind));
}

/** Resolves once `relay` has recorded an event of `kind`. */
function eventually(relay: Relay, test: (event: RelayEvent) => boolean, what: string): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (relay.events.some(test)) resolve();
        else setImmediate(check);
      };
      check();
    }),
    what,
  );
}

describe('relay: TCP, transparent', { concurrency: 1 }, () => {
  for (const size of [0, 1, 64 * 1024, 6 * 1024 * 1024]) {
    it(`forwards ${size} bytes each way unchanged`, async (t) => {
      // Checks transparency: the server receives exactly what the client sent (SHA-256 and length),
      // and the client exactly what the server sent back after the client's half-close; the data
      // events add up to the same counts. Large sizes keep no events, so nothing holds a second copy.
      const server = await listenTcp(t);
      const counted = { up: 0, down: 0 };
      const front = await relay(t, server.port, {
        keepEvents: false,
        onEvent: (event) => {
          if (event.kind === 'data') counted[event.dir] += event.bytes.length;
        },
      });
      const client = await connectTcp(t, front.address.port);
      const accepted = await server.next();
      const received = hashToEnd(accepted);
      const sent = await sendPattern(client, size, 1);
      client.end();
      assert.deepEqual(await received, { sha256: sent, length: size });
      const back = hashToEnd(client);
      const reply = await sendPattern(accepted, size, 2);
      accepted.end();
      assert.deepEqual(await back, { sha256: reply, length: size });
      assert.deepEqual(counted, { up: size, down: size });
    });
  }

  it('keeps a half-close a half-close: the server answers after the client has ended', async (t) => {
    // Checks 半关闭 half-close: the client's FIN reaches the server as an end, the server can still
    // write back, and its own FIN reaches the client; the events say so in that order.
    const server = await listenTcp(t);
    const front = await relay(t, server.port);
    const client = await connectTcp(t, front.address.port);
    const accepted = await server.next();
    const clientPort = client.localPort;
    client.end('ping');
    assert.equal((await readToEnd(accepted)).toString(), 'ping');
    assert.equal(accepted.writable, true);
    accepted.end('pong');
    assert.equal((await readToEnd(client)).toString(), 'pong');
    await eventually(front, (event) => event.kind === 'close', 'the close event');
    assert.deepEqual(shape(front.events), ['connect', 'data up', 'end up', 'data down', 'end down', 'close']);
    const connect = front.events[0];
    assert.ok(connect?.kind === 'connect');
    assert.equal(connect.client, `${HOST}:${clientPort}`);
    assert.equal(connect.server, `${HOST}:${server.port}`);
  });

  it('passes a reset from the client on to the server', async (t) => {
    // Checks that an RST stays an RST: the server sees ECONNRESET, not a clean end.
    const server = await listenTcp(t);
    const front = await relay(t, server.port);
    const client = await connectTcp(t, front.address.port);
    const accepted = await server.next();
    const failed = errorOf(accepted);
    client.write('x');
    await withTimeout(once(accepted, 'data'), 'the first byte at the server');
    client.resetAndDestroy();
    assert.equal((await failed)?.code, 'ECONNRESET');
    assert.ok(front.events.some((event) => event.kind === 'reset' && event.dir === 'up'));
  });

  it('passes a reset from the server on to the client', async (t) => {
    // Checks the other way: the server's RST reaches the client as ECONNRESET.
    const server = await listenTcp(t);
    const front = await relay(t, server.port);
    const client = await connectTcp(t, front.address.port);
    const accepted = await server.next();
    const failed = errorOf(client);
    accepted.write('x');
    await withTimeout(once(client, 'data'), 'the first byte at the client');
    accepted.resetAndDestroy();
    assert.equal((await failed)?.code, 'ECONNRESET');
    assert.ok(front.events.some((event) => event.kind === 'reset' && event.dir === 'down'));
  });

  it('resets the client when the server refuses, and says so', async (t) => {
    // Checks a refused upstream: a refused event naming the server, and the client reset, not ended.
    const port = await unusedPort();
    const front = await relay(t, port);
    const client = await connectTcp(t, front.address.port);
    assert.equal((await errorOf(client))?.code, 'ECONNRESET');
    const refused = front.events.find((event) => event.kind === 'refused');
    assert.ok(refused?.kind === 'refused');
    assert.equal(refused.server, `${HOST}:${port}`);
    assert.equal(refused.reason, 'ECONNREFUSED');
  });

  it('gives each of 20 clients at once its own upstream connection', async (t) => {
    // Checks one upstream per client: 20 connections at once reach the server as 20 connections,
    // each answered on its own, and numbered 1 to 20 in the events.
    const server = await listenTcp(t);
    const front = await relay(t, server.port);
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectTcp(t, front.address.port)));
    const ports = new Set<number>();
    const serving = (async () => {
      for (let i = 0; i < 20; i++) {
        const accepted = await server.next();
        ports.add(accepted.remotePort ?? 0);
        void readToEnd(accepted).then((message) => accepted.end(`re:${message}`));
      }
    })();
    const replies = await Promise.all(
      clients.map((client, i) => {
        client.end(`client ${i}`);
        return readToEnd(client);
      }),
    );
    await serving;
    assert.deepEqual(
      replies.map((reply) => reply.toString()),
      clients.map((_, i) => `re:client ${i}`),
    );
    assert.equal(ports.size, 20);
    const conns = front.events.filter((event) => event.kind === 'connect').map((event) => event.conn);
    assert.deepEqual(
      conns.sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('stops reading while the server does not read, holding a bounded number of bytes', async (t) => {
    // Checks backpressure: with the server not reading, the relay reads far less than the 48 MiB
    // the client tries to send (kernel buffers plus its own bound), then forwards all of it, unchanged,
    // once the server reads.
    const size = 48 * 1024 * 1024;
    const server = await listenTcp(t);
    let read = 0;
    const front = await relay(t, server.port, {
      keepEvents: false,
      onEvent: (event) => {
        if (event.kind === 'data') read += event.bytes.length;
      },
    });
    const client = await connectTcp(t, front.address.port);
    const accepted = await server.next();
    accepted.pause();
    const sending = sendPattern(client, size, 3);
    // Absence of progress has no event: wait until the relay has read nothing new for 300 ms.
    let last = -1;
    await withTimeout(
      (async () => {
        while (read !== last && read < size) {
          last = read;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      })(),
      'the relay to stop reading',
    );
    assert.ok(read < size / 2, `the relay read ${read} bytes while the server read none`);
    const received = hashToEnd(accepted);
    accepted.resume();
    const sent = await sending;
    client.end();
    assert.deepEqual(await received, { sha256: sent, length: size });
  });

  it('closes every connection on close() and leaves nothing running', async (t) => {
    // Checks close(): an open connection is closed towards both peers, close() resolves, and the
    // relay's port no longer accepts.
    const server = await listenTcp(t);
    const front = await relay(t, server.port);
    const client = await connectTcp(t, front.address.port);
    const accepted = await server.next();
    const clientEnded = once(client, 'end');
    const serverEnded = once(accepted, 'end');
    await front.close();
    await withTimeout(Promise.all([clientEnded, serverEnded]), 'both peers to see the relay close');
    const again = net.connect({ host: HOST, port: front.address.port });
    t.after(() => again.destroy());
    assert.equal((await errorOf(again))?.code, 'ECONNREFUSED');
    assert.equal(front.events.at(-1)?.kind, 'close');
  });
});

describe('relay: UDP, transparent', { concurrency: 1 }, () => {
  it('gives each source its own upstream socket, and sends replies back to the right source', async (t) => {
    // Checks the per-source mapping: two clients reach the server from two different ports (the
    // relay's), and each reply goes back to the client that sent the request; events record both ways.
    const server = await bindUdp(t);
    const front = await startRelay({ protocol: 'udp', target: { host: HOST, port: server.port } });
    t.after(() => front.close());
    const a = await bindUdp(t);
    const b = await bindUdp(t);
    await a.send(Buffer.from('from a'), front.address.port, HOST);
    const first = await server.next();
    await b.send(Buffer.from('from b'), front.address.port, HOST);
    const second = await server.next();
    assert.equal(first.data.toString(), 'from a');
    assert.equal(second.data.toString(), 'from b');
    assert.notEqual(first.port, second.port);
    await server.send(Buffer.from('to b'), second.port, HOST);
    await server.send(Buffer.from('to a'), first.port, HOST);
    const atB = await b.next();
    const atA = await a.next();
    assert.equal(atA.data.toString(), 'to a');
    assert.equal(atB.data.toString(), 'to b');
    assert.equal(atA.port, front.address.port);
    const datagrams = front.events.filter((event) => event.kind === 'datagram');
    assert.deepEqual(
      datagrams.map((event) => [event.conn, event.dir, event.from, event.bytes.toString()]),
      [
        [1, 'up', `${HOST}:${a.port}`, 'from a'],
        [2, 'up', `${HOST}:${b.port}`, 'from b'],
        [2, 'down', `${HOST}:${server.port}`, 'to b'],
        [1, 'down', `${HOST}:${server.port}`, 'to a'],
      ],
    );
    await front.close();
    assert.deepEqual(
      front.events.filter((event) => event.kind === 'close').map((event) => event.conn),
      [1, 2],
    );
  });
});
