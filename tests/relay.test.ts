// Tests of the relay (scripts/relay/, issue 15), run in this process between harness peers: it is
// transparent (every byte both ways, half-close and reset kept, one upstream per client, UDP one
// upstream socket per source), bounded in what it holds, and closes everything it opened.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Writable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import type { RelayEvent } from '../scripts/relay/events.ts';
import { FaultSpecError, parseFaults, TOXIC_HELP } from '../scripts/relay/faults.ts';
import { startRelay } from '../scripts/relay/relay.ts';
import { formatEvent, traceTo } from '../scripts/relay/trace.ts';
import type { Protocol, Relay, RelayOptions } from '../scripts/relay/types.ts';
import { withTimeout } from '../scripts/runtime/child.ts';
import { bindUdp, connectTcp, expectNoDataFor, listenTcp, readToEnd, type UdpPeer, unusedPort, writeBytewise } from './harness.ts';

const HOST = '127.0.0.1';

/** A relay in front of port, closed when the test ends. */
async function relay(t: TestContext, port: number, options: Partial<RelayOptions> = {}): Promise<Relay> {
  return testRelay(t, { protocol: 'tcp', target: { host: HOST, port }, ...options });
}

/** Who waits for a relay's next event (eventually()). */
const listeners = new WeakMap<Relay, Set<() => void>>();

/** startRelay, closed when the test ends, telling eventually() about each event. */
async function testRelay(t: TestContext, options: RelayOptions): Promise<Relay> {
  const waiting = new Set<() => void>();
  const started = await startRelay({
    ...options,
    onEvent: (event) => {
      options.onEvent?.(event);
      for (const listener of waiting) listener();
    },
  });
  listeners.set(started, waiting);
  t.after(() => withTimeout(started.close(), 'the relay to close'));
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
async function eventually(relay: Relay, test: (event: RelayEvent) => boolean, what: string): Promise<void> {
  const waiting = listeners.get(relay)!;
  let check = (): void => {};
  try {
    await withTimeout(
      new Promise<void>((resolve) => {
        check = () => {
          if (relay.events.some(test)) resolve();
        };
        waiting.add(check);
        check();
      }),
      what,
    );
  } finally {
    waiting.delete(check);
  }
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
    await withTimeout(front.close(), 'close() to resolve');
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
    const front = await testRelay(t, { protocol: 'udp', target: { host: HOST, port: server.port } });
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
    await a.send(Buffer.from('again a'), front.address.port, HOST);
    assert.equal((await server.next()).port, first.port, 'a second datagram from a uses the same mapping');
    const datagrams = front.events.filter((event) => event.kind === 'datagram');
    assert.deepEqual(
      datagrams.map((event) => [event.conn, event.dir, event.from, event.bytes.toString()]),
      [
        [1, 'up', `${HOST}:${a.port}`, 'from a'],
        [2, 'up', `${HOST}:${b.port}`, 'from b'],
        [2, 'down', `${HOST}:${server.port}`, 'to b'],
        [1, 'down', `${HOST}:${server.port}`, 'to a'],
        [1, 'up', `${HOST}:${a.port}`, 'again a'],
      ],
    );
    await front.close();
    assert.deepEqual(
      front.events.filter((event) => event.kind === 'close').map((event) => event.conn),
      [1, 2],
    );
  });
});

/** Every read on `socket` until its FIN (or its reset), as separate buffers. */
async function readsToEnd(socket: net.Socket): Promise<Buffer[]> {
  const reads: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => reads.push(chunk));
  await withTimeout(
    new Promise<void>((resolve) => {
      socket.once('end', resolve);
      socket.once('close', () => resolve());
    }),
    'the peer to end',
  );
  return reads;
}

/** The fault events' descriptions, for one toxic. */
function faultsOf(relay: Relay, toxic: string): string[] {
  return relay.events.flatMap((event) => (event.kind === 'fault' && event.toxic === toxic ? [event.what] : []));
}

/** A client and the server's side of its connection, through a relay with `spec`. */
async function through(t: TestContext, spec: string, seed?: number): Promise<{ front: Relay; client: net.Socket; accepted: net.Socket }> {
  const server = await listenTcp(t);
  // origin 0: event times are performance.now() values, comparable with the test's own clock.
  const front = await relay(t, server.port, { faults: parseFaults(spec, 'tcp'), origin: 0, ...(seed === undefined ? {} : { seed }) });
  const client = await connectTcp(t, front.address.port);
  const accepted = await server.next();
  return { front, client, accepted };
}

/** Fails if `peer` receives a datagram within ms (absence has no event: the one timed wait). */
async function expectNoDatagramFor(peer: UdpPeer, ms: number): Promise<void> {
  const got = await Promise.race([
    peer.next().then((d) => d.data.toString()),
    new Promise((resolve) => setTimeout(resolve, ms, undefined)),
  ]);
  assert.equal(got, undefined, `no datagram should arrive, but ${String(got)} did`);
}

describe('relay: TCP faults', { concurrency: 1 }, () => {
  it('slicer:size=1 makes the receiver read a 12-byte write in 12 reads', async (t) => {
    // Checks slicer: one write of 12 bytes reaches the server as 12 reads of 1 byte, and the fault event says so.
    const { front, client, accepted } = await through(t, 'slicer:size=1');
    const reads = readsToEnd(accepted);
    client.end('hello world\n');
    const got = await reads;
    assert.equal(Buffer.concat(got).toString(), 'hello world\n');
    assert.equal(got.length, 12);
    assert.deepEqual(faultsOf(front, 'slicer'), ['slicer: 12 bytes in 12 writes (1 1 1 1 1 1 1 1 1 1 1 1)']);
  });

  it('slicer with variation cuts the same way for the same seed and differently for another', async (t) => {
    // Checks the seeded generator: the cut sizes repeat with seed 7, and seed 8 gives other cuts.
    const cuts = async (seed: number): Promise<string[]> => {
      const { front, client, accepted } = await through(t, 'slicer:size=4,variation=3,delay=0', seed);
      const reads = readsToEnd(accepted);
      client.end(Buffer.alloc(120, 'x'));
      assert.equal(Buffer.concat(await reads).length, 120);
      return faultsOf(front, 'slicer');
    };
    const first = await cuts(7);
    assert.deepEqual(await cuts(7), first);
    assert.notDeepEqual(await cuts(8), first);
    assert.match(first[0] ?? '', /^slicer: 120 bytes in \d+ writes \((\d+ )+\d+\)$/);
  });

  it('coalesce joins reads: five one-byte writes reach the server as one read', async (t) => {
    // Checks coalesce:bytes=5: the relay reads the bytes one by one and writes them on together.
    const { front, client, accepted } = await through(t, 'coalesce:bytes=5');
    const reads = readsToEnd(accepted);
    await writeBytewise(client, Buffer.from('abcde'));
    client.end();
    assert.deepEqual((await reads).map(String), ['abcde']);
    assert.ok(front.events.filter((event) => event.kind === 'data' && event.dir === 'up').length > 1, 'the relay read more than once');
    assert.match(faultsOf(front, 'coalesce')[0] ?? '', /^coalesce: \d+ reads joined into one write of 5 bytes$/);
  });

  it('coalesce flushes what it holds before passing on a FIN', async (t) => {
    // Checks that a half-close never overtakes held bytes: 3 bytes of a 100-byte batch, then FIN.
    const { client, accepted } = await through(t, 'coalesce:bytes=100');
    const reads = readsToEnd(accepted);
    await writeBytewise(client, Buffer.from('abc'));
    client.end();
    assert.deepEqual((await reads).map(String), ['abc']);
  });

  it('limit_data closes the connection after N bytes', async (t) => {
    // Checks limit_data:bytes=5: the server gets the first 5 bytes then a FIN, and the client gets a FIN too.
    const { front, client, accepted } = await through(t, 'limit_data:bytes=5,dir=up');
    const atServer = readToEnd(accepted);
    const atClient = readToEnd(client);
    client.write('hello world');
    assert.equal((await atServer).toString(), 'hello');
    assert.equal((await atClient).toString(), '');
    assert.deepEqual(faultsOf(front, 'limit_data'), ['limit_data: closed after 5 bytes']);
  });

  it('reset_peer with bytes passes N bytes, then resets both sides', async (t) => {
    // Checks reset_peer:bytes=3: the server reads 'hel' and then the connection ends, and the client,
    // with nothing unread, is reset (ECONNRESET). The server may see its end as a reset or as a plain
    // end: Linux reports a reset that arrives behind unread bytes as the end of the stream.
    const { front, client, accepted } = await through(t, 'reset_peer:bytes=3');
    let atServer = '';
    accepted.on('data', (chunk: Buffer) => {
      atServer += chunk.toString();
    });
    const serverGone = withTimeout(
      new Promise<void>((resolve) => {
        accepted.once('end', resolve);
        accepted.once('close', () => resolve());
      }),
      'the server side to end',
    );
    const clientError = errorOf(client);
    client.write('hello');
    assert.equal((await clientError)?.code, 'ECONNRESET');
    await serverGone;
    assert.equal(atServer, 'hel');
    assert.deepEqual(faultsOf(front, 'reset_peer'), ['reset_peer: reset after 3 bytes']);
  });

  it('reset_peer with ms resets a silent connection after that time', async (t) => {
    // Checks reset_peer:ms=50: with nothing sent, the client is reset, and not before 50 ms after connecting.
    const server = await listenTcp(t);
    const front = await relay(t, server.port, { faults: parseFaults('reset_peer:ms=50', 'tcp') });
    const started = performance.now();
    const client = await connectTcp(t, front.address.port);
    assert.equal((await errorOf(client))?.code, 'ECONNRESET');
    assert.ok(performance.now() - started >= 49, 'reset too early');
    assert.deepEqual(faultsOf(front, 'reset_peer'), ['reset_peer: reset after 50 ms']);
  });

  it('timeout stops forwarding one way and holds the connection open', async (t) => {
    // Checks timeout:ms=0,dir=up: what the client sends never arrives (nor its FIN), while the server's
    // bytes still reach the client; the connection stays open until the relay closes.
    const { front, client, accepted } = await through(t, 'timeout:ms=0,dir=up');
    client.end('lost');
    await eventually(front, (event) => event.kind === 'end' && event.dir === 'up', 'the client FIN at the relay');
    await expectNoDataFor(accepted, 200, 'the server should get nothing through a timeout');
    accepted.write('still here');
    assert.equal((await withTimeout(once(client, 'data'), 'the reply'))[0].toString(), 'still here');
    assert.equal(accepted.readableEnded, false, 'the FIN was held back');
    assert.ok(faultsOf(front, 'timeout').includes('timeout: dropped 4 bytes'));
  });

  it('latency holds every read for ms, keeping the order', async (t) => {
    // Checks latency:ms=80,jitter=40 on the way down: three writes arrive in order, and none sooner than
    // 40 ms (ms − jitter) after the relay read it.
    const { front, client, accepted } = await through(t, 'latency:ms=80,jitter=40,dir=down');
    const reads = readsToEnd(client);
    const arrivals: number[] = [];
    client.on('data', () => arrivals.push(performance.now()));
    for (const part of ['a', 'b', 'c']) await new Promise<void>((resolve) => accepted.write(part, () => resolve()));
    accepted.end();
    assert.equal(Buffer.concat(await reads).toString(), 'abc');
    const firstRead = front.events.find((event) => event.kind === 'data' && event.dir === 'down');
    assert.ok(firstRead);
    assert.ok(faultsOf(front, 'latency').length >= 1);
    assert.ok((arrivals[0] ?? 0) - firstRead.t >= 39, 'the first read arrived too early');
  });

  it('bandwidth slows a transfer to the given rate', async (t) => {
    // Checks bandwidth:kbps=16 (2 bytes per ms): 1000 bytes cannot arrive in less than about 500 ms.
    const { client, accepted } = await through(t, 'bandwidth:kbps=16');
    const started = performance.now();
    const reads = readsToEnd(accepted);
    client.end(Buffer.alloc(1000, 'b'));
    assert.equal(Buffer.concat(await reads).length, 1000);
    assert.ok(performance.now() - started >= 490, `took only ${performance.now() - started} ms`);
  });
});

describe('relay: UDP faults', { concurrency: 1 }, () => {
  /** A UDP server behind a relay with `spec`, and one client. */
  async function udpThrough(t: TestContext, spec: string, seed = 1): Promise<{ front: Relay; server: UdpPeer; client: UdpPeer }> {
    const server = await bindUdp(t);
    const front = await testRelay(t, {
      protocol: 'udp',
      target: { host: HOST, port: server.port },
      faults: parseFaults(spec, 'udp'),
      seed,
      origin: 0,
    });
    const client = await bindUdp(t);
    return { front, server, client };
  }

  it('loss with p=1 drops every datagram', async (t) => {
    // Checks loss:p=1: three datagrams are read by the relay, and none reaches the server.
    const { front, server, client } = await udpThrough(t, 'loss:p=1');
    for (const text of ['a', 'b', 'c']) await client.send(Buffer.from(text), front.address.port, HOST);
    await eventually(front, () => faultsOf(front, 'loss').length === 3, 'three losses');
    await expectNoDatagramFor(server, 200);
    assert.deepEqual(faultsOf(front, 'loss'), ['loss: dropped 1 bytes', 'loss: dropped 1 bytes', 'loss: dropped 1 bytes']);
  });

  it('loss with p=0.5 drops the same datagrams for the same seed', async (t) => {
    // Checks repeatability: which of 20 datagrams are lost is the same with seed 3 twice, and not with seed 4.
    const pattern = async (seed: number): Promise<string> => {
      const { front, client } = await udpThrough(t, 'loss:p=0.5', seed);
      for (let i = 0; i < 20; i++) await client.send(Buffer.from(`${i}`), front.address.port, HOST);
      await eventually(front, () => front.events.filter((event) => event.kind === 'datagram').length === 20, '20 datagrams');
      return front.events.map((event) => (event.kind === 'fault' ? 'x' : event.kind === 'datagram' ? '.' : '')).join('');
    };
    const first = await pattern(3);
    assert.equal(await pattern(3), first);
    assert.notEqual(await pattern(4), first);
  });

  it('duplicate with p=1 delivers every datagram twice', async (t) => {
    // Checks duplicate:p=1,dir=up: each datagram reaches the server twice, in order.
    const { front, server, client } = await udpThrough(t, 'duplicate:p=1,dir=up');
    await client.send(Buffer.from('x'), front.address.port, HOST);
    await client.send(Buffer.from('y'), front.address.port, HOST);
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push((await server.next()).data.toString());
    assert.deepEqual(got, ['x', 'x', 'y', 'y']);
  });

  it('reorder with p=1 sends each held datagram after the next one', async (t) => {
    // Checks reorder:p=1: a b c d arrive as b a d c.
    const { front, server, client } = await udpThrough(t, 'reorder:p=1');
    for (const text of ['a', 'b', 'c', 'd']) await client.send(Buffer.from(text), front.address.port, HOST);
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push((await server.next()).data.toString());
    assert.deepEqual(got, ['b', 'a', 'd', 'c']);
  });

  it('latency delays each datagram by ms', async (t) => {
    // Checks latency:ms=80 for UDP: the datagram reaches the server no sooner than 80 ms after the relay read it.
    const { front, server, client } = await udpThrough(t, 'latency:ms=80');
    await client.send(Buffer.from('late'), front.address.port, HOST);
    const got = await server.next();
    const arrived = performance.now();
    const read = front.events.find((event) => event.kind === 'datagram');
    assert.ok(read);
    assert.equal(got.data.toString(), 'late');
    assert.ok(arrived - read.t >= 79, 'arrived too early');
  });
});

describe('relay: fault specs', () => {
  it('parses the documented spec grammar', () => {
    // Checks the grammar: toxics joined by +, key=value parameters, defaults filled in, dir.
    assert.deepEqual(parseFaults('latency:ms=50+slicer:size=3,delay=1', 'tcp'), [
      { toxic: 'latency', params: { ms: 50, jitter: 0 }, dir: 'both' },
      { toxic: 'slicer', params: { size: 3, variation: 0, delay: 1 }, dir: 'both' },
    ]);
    assert.deepEqual(parseFaults('loss:p=0.3,dir=up', 'udp'), [{ toxic: 'loss', params: { p: 0.3 }, dir: 'up' }]);
    assert.deepEqual(parseFaults('reset_peer:bytes=10', 'tcp'), [{ toxic: 'reset_peer', params: { bytes: 10 }, dir: 'both' }]);
    assert.deepEqual(parseFaults('', 'tcp'), []);
  });

  it('rejects a bad spec with one line naming every toxic and its parameters', () => {
    // Checks the error: FaultSpecError, one line, the problem first, then the valid toxics.
    const cases: [string, Protocol, string][] = [
      ['slicr', 'tcp', "faults: unknown toxic 'slicr' (did you mean 'slicer'?); "],
      ['loss', 'tcp', "faults: 'loss' is a UDP toxic, not for TCP; "],
      ['slicer:sise=2', 'tcp', "faults: slicer has no parameter 'sise' (did you mean 'size'?); "],
      ['slicer:size=0', 'tcp', "faults: slicer size must be more than 0, not '0'; "],
      ['slicer:size', 'tcp', "faults: 'size' in 'slicer:size' is not key=value; "],
      ['latency:ms=fast', 'udp', "faults: latency ms must be a number ≥ 0, not 'fast'; "],
      ['loss:p=2', 'udp', "faults: loss p is a probability from 0 to 1, not '2'; "],
      ['limit_data', 'tcp', 'faults: limit_data needs bytes=NUMBER; '],
      ['slicer:dir=left', 'tcp', "faults: dir must be up, down or both, not 'left'; "],
      ['slicer+', 'tcp', "faults: '' is not NAME or NAME:key=value,…; "],
    ];
    for (const [spec, protocol, start] of cases) {
      assert.throws(
        () => parseFaults(spec, protocol),
        (err: Error) => {
          assert.ok(err instanceof FaultSpecError, spec);
          assert.equal(err.message.slice(0, start.length), start, spec);
          assert.equal(err.message.includes('\n'), false);
          assert.ok(err.message.endsWith(TOXIC_HELP), spec);
          return true;
        },
      );
    }
    assert.equal(
      TOXIC_HELP,
      'TCP toxics: latency(ms=100,jitter=0) bandwidth(kbps) slicer(size=1,variation=0,delay=1) coalesce(ms,bytes) limit_data(bytes) reset_peer(ms,bytes) timeout(ms=0); UDP toxics: loss(p=0.5) duplicate(p=0.5) reorder(p=0.5,window=1,ms=100) latency(ms=100,jitter=0); each also takes dir=up|down|both',
    );
  });
});

describe('relay: trace lines', () => {
  const plain = { encoding: 'utf-8', color: false };

  it('formats each kind of event as one line with time, connection, direction, bytes, hex and text', () => {
    // Checks the trace format on fixed events: fixed-width time, #conn, role arrow, byte count,
    // hex cut at 32 bytes, decoded text escaped, FIN as half-close, RST, datagram source.
    const bytes = Buffer.from('你好\n');
    const lines = [
      formatEvent({ t: 0, conn: 1, kind: 'connect', protocol: 'tcp', client: '127.0.0.1:50000', server: '127.0.0.1:6000' }, plain),
      formatEvent({ t: 1.25, conn: 1, kind: 'data', dir: 'up', bytes }, plain),
      formatEvent(
        { t: 12.5, conn: 1, kind: 'data', dir: 'down', bytes: Buffer.alloc(40, 'a') },
        { ...plain, names: { up: 'cli', down: 'srv' } },
      ),
      formatEvent({ t: 13, conn: 1, kind: 'end', dir: 'up' }, plain),
      formatEvent({ t: 1234.56, conn: 12, kind: 'reset', dir: 'down' }, plain),
      formatEvent({ t: 2000, conn: 12, kind: 'close' }, plain),
      formatEvent(
        { t: 3, conn: 2, kind: 'datagram', dir: 'up', from: '127.0.0.1:5000', to: '127.0.0.1:7000', bytes: Buffer.from('ping') },
        plain,
      ),
      formatEvent({ t: 4, conn: 2, kind: 'fault', dir: 'up', toxic: 'loss', what: 'loss: dropped 4 bytes' }, plain),
      formatEvent({ t: 5, conn: 3, kind: 'refused', protocol: 'tcp', server: '127.0.0.1:6000', reason: 'ECONNREFUSED' }, plain),
    ];
    assert.deepEqual(lines, [
      '      0.0 ms  #1    client → server  connect   127.0.0.1:50000 → 127.0.0.1:6000',
      '      1.3 ms  #1    client → server  data      7 bytes  e4 bd a0 e5 a5 bd 0a  你好\\n',
      `     12.5 ms  #1    srv → cli  data      40 bytes  ${'61 '.repeat(32)}…  ${'a'.repeat(40)}`,
      '     13.0 ms  #1    client → server  FIN (half-close 半关闭)',
      '   1234.6 ms  #12   server → client  RST',
      '   2000.0 ms  #12                    close',
      '      3.0 ms  #2    client → server  datagram  from 127.0.0.1:5000  4 bytes  70 69 6e 67  ping',
      '      4.0 ms  #2    client → server  fault     loss: dropped 4 bytes',
      '      5.0 ms  #3    client → server  refused   127.0.0.1:6000 (ECONNREFUSED); the client is reset',
    ]);
  });

  it('escapes control characters and decodes in the given encoding', () => {
    // Checks that network text cannot reach the terminal raw, and that gbk bytes show as gbk text.
    const hostile = formatEvent({ t: 0, conn: 1, kind: 'data', dir: 'up', bytes: Buffer.from('\x1b[2J\r\u202e') }, plain);
    assert.ok(hostile.endsWith('\\x1b[2J\\r\\u{202e}'), hostile);
    assert.equal(/[\x00-\x1f]/.test(hostile), false);
    const gbk = formatEvent(
      { t: 0, conn: 1, kind: 'data', dir: 'up', bytes: Buffer.from([0xc4, 0xe3]) },
      { encoding: 'gbk', color: false },
    );
    assert.ok(gbk.endsWith('c4 e3  你'), gbk);
  });

  it('colours only when asked', () => {
    // Checks colour: ANSI escapes with color true, none with color false.
    const event: RelayEvent = { t: 0, conn: 1, kind: 'reset', dir: 'up' };
    assert.match(formatEvent(event, { encoding: 'utf-8', color: true }), /\x1b\[31mRST\x1b\[0m/);
    assert.equal(formatEvent(event, plain).includes('\x1b'), false);
  });

  it('traces a real exchange line by line (times and ports normalised)', async (t) => {
    // Checks traceTo() on a relay: a request, its half-close, the reply, its half-close, the close.
    const server = await listenTcp(t);
    let written = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    const front = await relay(t, server.port, { onEvent: traceTo(sink, plain) });
    const client = await connectTcp(t, front.address.port);
    const accepted = await server.next();
    client.end('hello\n');
    assert.equal((await readToEnd(accepted)).toString(), 'hello\n');
    accepted.end('hi');
    await readToEnd(client);
    await eventually(front, (event) => event.kind === 'close', 'the close event');
    const normalised = written.replace(/^ +\d+\.\d ms/gm, 'T ms').replace(/:\d+/g, ':PORT');
    assert.equal(
      normalised,
      [
        'T ms  #1    client → server  connect   127.0.0.1:PORT → 127.0.0.1:PORT',
        'T ms  #1    client → server  data      6 bytes  68 65 6c 6c 6f 0a  hello\\n',
        'T ms  #1    client → server  FIN (half-close 半关闭)',
        'T ms  #1    server → client  data      2 bytes  68 69  hi',
        'T ms  #1    server → client  FIN (half-close 半关闭)',
        'T ms  #1                     close',
        '',
      ].join('\n'),
    );
  });
});
