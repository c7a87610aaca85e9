// Tests of lesson 07-echo-server: the TCP server and client and the UDP server and client, against
// each other and against raw harness peers on loopback. Run against another folder with
// SOCKET_LESSONS_PROGRAMS=DIR, and the exercise tests with SOCKET_LESSONS_SUITES=lesson,exercise.

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { it, type TestContext } from 'node:test';
import iconv from 'iconv-lite';
import {
  bindUdp,
  COMMON_BAD_FLAGS,
  closeOutput,
  connectTcp,
  type Datagram,
  describeCut,
  expectOneLineError,
  HOSTILE,
  HOSTILE_ENCODING,
  HOSTILE_LINE,
  HOSTILE_LINE_SHOWN,
  HOSTILE_SHOWN,
  hasIpv6Loopback,
  itRejectsBadFlags,
  itUses,
  lessonTarget,
  listenTcp,
  literal,
  RAW_CONTROL,
  type RunningProgram,
  SPLIT_MESSAGES,
  splits,
  start,
  startListening,
  suite,
  type UdpPeer,
  unusedPort,
  Wire,
  withTimeout,
  writeBytewise,
  writeCoalesced,
  writeSplit,
} from '../../tests/harness.ts';

const target = lessonTarget(import.meta.url);
const OK = { code: 0, signal: null };
const WELCOME = 'Welcome!\n';
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const gbk = (text: string): Buffer => iconv.encode(text, 'gbk');

/** A harness TCP client of the server on `port`, its greeting already read and checked. */
async function greetedClient(t: TestContext, port: number, host = '127.0.0.1'): Promise<Wire> {
  const reader = new Wire(await connectTcp(t, port, host));
  assert.equal(await reader.line().then(String), WELCOME, 'the greeting');
  return reader;
}

/** The next datagram at `peer` whose text is `text` (earlier ones, e.g. extra retries, are skipped). */
async function datagramSaying(peer: UdpPeer, text: string): Promise<Datagram> {
  for (;;) {
    const datagram = await peer.next();
    if (datagram.data.toString() === text) return datagram;
  }
}

/** Resolves once `program` has printed exactly `line`, as a whole line of stdout, `times` times. */
function printedTimes(program: RunningProgram, line: string, times: number): Promise<RegExpMatchArray> {
  return program.waitFor(new RegExp(`(?:^${literal(line)}$[\\s\\S]*?){${times}}`, 'm'), 'stdout', `the line "${line}" ${times} times`);
}

function askUdp(peer: UdpPeer, data: Buffer, port: number, host = '127.0.0.1'): Promise<Datagram> {
  return peer.send(data, port, host).then(() => peer.next());
}

suite(target, 'lesson', () => {
  // ---- TCP: the programs together ----

  itUses(
    target,
    ['tcp-server.ts', 'tcp-client.ts'],
    'tcp-client and tcp-server: greeting, "Hello, NAME!" per line, "exit" at end of input',
    async (t) => {
      // Checks the whole conversation of the note's programs, Chinese included: the client prints the
      // greeting and each reply, says exit when its input ends, and exits 0 once the server has closed.
      const { program: server, port } = await startListening(t, target, 'tcp-server.ts');
      const client = start(t, target, 'tcp-client.ts', ['--port', String(port)]);
      for (const name of ['Michael', 'Tom', '小明']) client.writeLine(name);
      client.endInput();
      assert.deepEqual(await client.exit(), OK);
      assert.match(client.stdout, new RegExp(`^connected to 127\\.0\\.0\\.1:${port}\\n`));
      assert.equal(
        client.stdout.replace(/^connected to .*\n/, ''),
        'greeting: Welcome!\nreply: Hello, Michael!\nreply: Hello, Tom!\nreply: Hello, 小明!\nthe server closed the connection\n',
      );
      await server.waitFor(/^connection from 127\.0\.0\.1:\d+ closed$/m);
      for (const name of ['Michael', 'Tom', '小明'])
        assert.match(server.stdout, new RegExp(`^received ${name} from 127\\.0\\.0\\.1:\\d+$`, 'm'));
      assert.match(server.stdout, /^127\.0\.0\.1:\d+ sent exit$/m);
    },
  );

  itUses(
    target,
    ['tcp-server.ts', 'tcp-client.ts'],
    'three tcp-clients interleaved at once are each answered, and one leaving does not end the others',
    async (t) => {
      // Checks concurrency with the real client: names go to three clients in turn, each answered
      // before the next is typed (a server serving one client at a time never answers the second).
      const { port } = await startListening(t, target, 'tcp-server.ts');
      const clients = ['A', 'B', 'C'].map((name) => ({ name, program: start(t, target, 'tcp-client.ts', ['--port', String(port)]) }));
      const round = async (n: number, who: typeof clients): Promise<void> => {
        for (const { name, program } of who) {
          program.writeLine(`${name}${n}`);
          await program.waitFor(new RegExp(`^reply: Hello, ${name}${n}!$`, 'm'));
        }
      };
      await round(1, clients);
      clients[0]!.program.endInput();
      assert.deepEqual(await clients[0]!.program.exit(), OK);
      await round(2, clients.slice(1));
      for (const { program } of clients.slice(1)) {
        program.endInput();
        assert.deepEqual(await program.exit(), OK);
      }
      assert.match(
        clients[2]!.program.stdout,
        /greeting: Welcome!\nreply: Hello, C1!\nreply: Hello, C2!\nthe server closed the connection\n$/,
      );
    },
  );

  itUses(target, ['tcp-server.ts'], 'tcp-server answers 200 concurrent clients, and --quiet prints nothing per client', async (t) => {
    // Checks the event loop under load: 200 connections are open and greeted at the same time,
    // then each gets its own reply and the FIN after exit; in quiet mode only the ready line shows.
    const { program: server, port } = await startListening(t, target, 'tcp-server.ts', ['--quiet']);
    const readers = await Promise.all(Array.from({ length: 200 }, () => greetedClient(t, port)));
    await Promise.all(
      readers.map(async (reader, i) => {
        reader.socket.write(`client ${i}\n`);
        assert.equal(await reader.lineText(), `Hello, client ${i}!`);
        reader.socket.write('exit\n');
        assert.equal(await reader.restText(), '', `client ${i}: nothing after the reply, then FIN`);
      }),
    );
    assert.equal(server.stdout, `listening on 127.0.0.1:${port}\n`);
  });

  // ---- TCP: the server against a raw socket ----

  itUses(target, ['tcp-server.ts'], 'tcp-server puts exact utf-8 bytes on the wire: greeting, replies, FIN after exit', async (t) => {
    // Checks the protocol byte for byte: "Welcome!\n", "Hello, NAME!\n" per line (a "\r\n" line
    // ending is accepted), and after "exit" nothing more but the end of the stream.
    const { port } = await startListening(t, target, 'tcp-server.ts');
    const reader = new Wire(await connectTcp(t, port));
    assert.deepEqual(await reader.line(), utf8(WELCOME));
    reader.socket.write(utf8('小明\n'));
    assert.deepEqual(await reader.line(), utf8('Hello, 小明!\n'));
    reader.socket.write(utf8('Tom\r\n'));
    assert.deepEqual(await reader.line(), utf8('Hello, Tom!\n'));
    reader.socket.write('exit\n');
    assert.equal(await reader.restText(), '');
  });

  itUses(
    target,
    ['tcp-server.ts'],
    'tcp-server decodes each utf-8 line on its own, as iconv-lite does: byte-order mark, broken characters',
    async (t) => {
      // Checks the server's utf-8 shortcut against iconv-lite's answers, line by line: a byte-order
      // mark opening a line is dropped (on every line, not just the first), one inside a line is
      // kept, and a character cut short or a stray byte becomes U+FFFD without touching the next line.
      const { port } = await startListening(t, target, 'tcp-server.ts', ['--quiet']);
      const reader = await greetedClient(t, port);
      const BOM = [0xef, 0xbb, 0xbf];
      const cases: [number[], string][] = [
        [[...BOM, ...utf8('Ann')], 'Ann'],
        [[...BOM, ...utf8('Bob')], 'Bob'],
        [[...utf8('A'), ...BOM, ...utf8('B')], 'A\ufeffB'],
        [[0xe4, 0xb8], '\ufffd'], // the first two of the three bytes of 中
        [[...utf8('Tom')], 'Tom'],
        [[0x78, 0xff, 0x79], 'x\ufffdy'],
      ];
      for (const [bytes, name] of cases) {
        reader.socket.write(Buffer.from([...bytes, 0x0a]));
        assert.deepEqual(await reader.line(), utf8(`Hello, ${name}!\n`), `the reply to ${Buffer.from(bytes).toString('hex')}`);
      }
    },
  );

  itUses(target, ['tcp-server.ts'], 'tcp-server --encoding gbk puts exact gbk bytes on the wire', async (t) => {
    // Checks the --encoding flag from a raw socket: a gbk line in, the gbk reply out, byte for byte.
    const { port } = await startListening(t, target, 'tcp-server.ts', ['--encoding', 'gbk']);
    const reader = new Wire(await connectTcp(t, port));
    assert.deepEqual(await reader.line(), gbk(WELCOME));
    reader.socket.write(gbk('你好，小明\n'));
    assert.deepEqual(await reader.line(), gbk('Hello, 你好，小明!\n'));
  });

  itUses(target, ['tcp-server.ts'], 'tcp-server frames lines that arrive one byte per write', async (t) => {
    // Checks the framing against the note's recv(1024): every byte in its own segment, characters
    // cut in half, and still one reply per whole line.
    const { port } = await startListening(t, target, 'tcp-server.ts');
    const reader = await greetedClient(t, port);
    await writeBytewise(reader.socket, utf8('你好\nMichael\n'));
    assert.equal(await reader.lineText(), 'Hello, 你好!');
    assert.equal(await reader.lineText(), 'Hello, Michael!');
  });

  itUses(target, ['tcp-server.ts'], 'tcp-server answers lines coalesced in one write in order, and nothing after exit', async (t) => {
    // Checks the other half of framing: several lines in one segment give one reply each, in
    // order, and "exit" ends the conversation even with a line behind it.
    const { port } = await startListening(t, target, 'tcp-server.ts');
    const reader = await greetedClient(t, port);
    await writeCoalesced(reader.socket, ['Michael\n', 'Tom\n', 'exit\n', 'Tracy\n'].map(utf8));
    assert.equal(await reader.restText(), 'Hello, Michael!\nHello, Tom!\n');
  });

  itUses(target, ['tcp-server.ts'], 'tcp-server answers a 1024-byte line and closes on a longer one with an error line', async (t) => {
    // Checks the line limit: 1024 bytes is answered whole (the note's recv(1024) limit, kept as a
    // rule), 1025 bytes or an endless line without "\n" get one error line and FIN, one line on
    // stderr, and the server keeps serving.
    const { program: server, port } = await startListening(t, target, 'tcp-server.ts', ['--quiet']);
    const long = await greetedClient(t, port);
    long.socket.write(`${'a'.repeat(1024)}\n`);
    assert.equal(await long.lineText(), `Hello, ${'a'.repeat(1024)}!`);
    long.socket.write(`${'b'.repeat(1025)}\n`);
    assert.equal(await long.restText(), 'error: line longer than 1024 bytes\n');
    await server.waitFor(/longer than 1024/, 'stderr');
    const endless = await greetedClient(t, port);
    endless.socket.write('c'.repeat(5000));
    assert.equal(await endless.restText(), 'error: line longer than 1024 bytes\n');
    const next = await greetedClient(t, port);
    next.socket.write('Tracy\n');
    assert.equal(await next.lineText(), 'Hello, Tracy!');
  });

  itUses(target, ['tcp-server.ts'], 'tcp-server drops a line cut off by a client that leaves, and survives a reset', async (t) => {
    // Checks a client vanishing mid-line: after FIN the half line is not answered (the server says
    // so and closes); after a reset (RST) the server closes that connection and serves the next client.
    const { program: server, port } = await startListening(t, target, 'tcp-server.ts');
    const leaving = await greetedClient(t, port);
    leaving.socket.end('Mich');
    assert.equal(await leaving.restText(), '', 'no "Hello, Mich!" for half a line');
    await server.waitFor(/^127\.0\.0\.1:\d+ left in the middle of a line \(4 bytes dropped\)$/m);
    const rude = await greetedClient(t, port);
    const rudePort = rude.socket.localPort;
    rude.socket.write('Tra');
    rude.socket.resetAndDestroy(); // RST: the server sees a reset or an end of stream, depending on timing
    await server.waitFor(new RegExp(`^connection from 127\\.0\\.0\\.1:${rudePort} closed$`, 'm'));
    const next = await greetedClient(t, port);
    next.socket.write('Sarah\n');
    assert.equal(await next.lineText(), 'Hello, Sarah!');
  });

  itUses(target, ['tcp-server.ts'], 'tcp-server stops reading from a client that never reads its replies', async (t) => {
    // Checks backpressure: a client sends 32 MiB of lines and reads nothing. The server must pause
    // it (and say so) instead of reading everything and buffering the replies. Proof without a
    // timer: all the server can have read left our socket's queue, so what is still queued
    // bounds it; another client is served meanwhile; once the client reads, the server resumes
    // and every reply arrives.
    const { program: server, port } = await startListening(t, target, 'tcp-server.ts', ['--quiet']);
    const greedy = await connectTcp(t, port);
    greedy.pause(); // reads nothing: its receive buffer fills, then the server's send buffer
    const line = `${'x'.repeat(999)}\n`;
    const batch = utf8(line.repeat(64)); // 64 lines of 1000 bytes per write
    const writes = 512;
    const total = writes * batch.length;
    for (let i = 0; i < writes; i++) greedy.write(batch);
    const allTaken = once(greedy, 'drain').then(() => {
      throw new Error(`the server took all ${total} bytes from a client that read none of its replies: it buffers without bound`);
    });
    await Promise.race([server.waitFor(/^paused reading from 127\.0\.0\.1:\d+: \d+ bytes/m), allTaken]);
    const takenAtMost = (): number => total - greedy.writableLength;
    assert.ok(takenAtMost() <= total / 2, `the server (and the system's buffers) took ${takenAtMost()} of ${total} bytes`);
    const other = await greetedClient(t, port);
    other.socket.write('Tom\n');
    assert.equal(await other.lineText(), 'Hello, Tom!');
    assert.ok(takenAtMost() <= total / 2, `after another client's round trip: ${takenAtMost()} of ${total} bytes taken`);
    greedy.write('exit\n');
    let received = 0;
    let tail = '';
    greedy.on('data', (chunk: Buffer) => {
      received += chunk.length;
      tail = (tail + chunk.toString('latin1')).slice(-2000);
    });
    greedy.resume();
    await withTimeout(once(greedy, 'end'), 'every reply and then FIN', () => `${received} bytes received`);
    assert.equal(received, WELCOME.length + writes * 64 * (line.length + 8), 'every reply, then FIN');
    assert.ok(tail.endsWith(`Hello, ${'x'.repeat(999)}!\n`));
    await server.waitFor(/^resumed reading from 127\.0\.0\.1:\d+$/m);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    itUses(target, ['tcp-server.ts'], `tcp-server on ${signal} stops accepting, closes every client and exits 0`, async (t) => {
      // Checks the clean shutdown: an idle client and one mid-line both get FIN; while they are
      // still open (harness sockets do not close by themselves) a new connection is refused; once
      // they close the server exits 0 by itself.
      const { program: server, port } = await startListening(t, target, 'tcp-server.ts');
      const idle = await greetedClient(t, port);
      const busy = await greetedClient(t, port);
      busy.socket.write('Mich');
      server.signal(signal);
      assert.equal(await idle.restText(), '');
      assert.equal(await busy.restText(), '');
      const late = net.connect({ host: '127.0.0.1', port });
      const [err] = (await withTimeout(once(late, 'error'), 'the new connection to be refused')) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNREFUSED');
      idle.socket.end();
      busy.socket.end();
      assert.deepEqual(await server.exit(), OK);
      assert.match(server.stdout, new RegExp(`^${signal}: `, 'm'));
    });
  }

  itUses(
    target,
    ['tcp-server.ts'],
    'tcp-server ends at once on a second signal during its shutdown, SIGINT after SIGTERM too',
    async (t) => {
      // Checks the README's promise: a client that does not close keeps the shutdown waiting (up to
      // its grace); a second signal, even another one, then ends the server by that signal, without a
      // second shutdown or a second "stopped".
      const { program: server, port } = await startListening(t, target, 'tcp-server.ts');
      await greetedClient(t, port);
      server.signal('SIGTERM');
      await server.waitFor(/^SIGTERM: not accepting new connections; closing 1 open connection\(s\)$/m);
      server.signal('SIGINT');
      assert.deepEqual(await server.exit(), { code: null, signal: 'SIGINT' });
      assert.equal(server.stdout.match(/^SIG/gm)?.length, 1, server.stdout);
      assert.doesNotMatch(server.stdout, /^stopped$/m);
    },
  );

  // ---- TCP: the client against a raw server ----

  itUses(
    target,
    ['tcp-client.ts'],
    'tcp-client --encoding gbk puts exact gbk lines and "exit" on the wire, and decodes replies split mid-character',
    async (t) => {
      // Checks the client's side of the framing from a harness server: each name is one gbk line,
      // end of input sends "exit\n", and a greeting and reply sent one byte per write are decoded whole.
      const harness = await listenTcp(t);
      const client = start(t, target, 'tcp-client.ts', ['--port', String(harness.port), '--encoding', 'gbk']);
      const connection = new Wire(await harness.next());
      await writeBytewise(connection.socket, gbk('欢迎！\n'));
      await client.waitFor(/^greeting: 欢迎！$/m);
      client.writeLine('小明');
      assert.deepEqual(await connection.line(), gbk('小明\n'));
      await writeBytewise(connection.socket, gbk('Hello, 小明!\n'));
      await client.waitFor(/^reply: Hello, 小明!$/m);
      client.endInput();
      assert.deepEqual(await connection.line(), utf8('exit\n'));
      connection.socket.end();
      assert.deepEqual(await client.exit(), OK);
      assert.match(client.stdout, /the server closed the connection\n$/);
    },
  );

  itUses(target, ['tcp-client.ts'], 'tcp-client reports a server that closes before answering, in one line, exit 1', async (t) => {
    // Checks that a missing reply is an error, not a silent success.
    const harness = await listenTcp(t);
    const client = start(t, target, 'tcp-client.ts', ['--port', String(harness.port)]);
    const connection = new Wire(await harness.next());
    connection.socket.write(WELCOME);
    client.writeLine('Michael');
    assert.equal(await connection.lineText(), 'Michael');
    connection.socket.end();
    await expectOneLineError(client, 1, /before answering Michael/);
  });

  itUses(target, ['tcp-client.ts'], 'tcp-client gives up on a server that never answers, after --timeout', async (t) => {
    // Checks the bounded wait the note's recv() lacks: one line, exit 1, no hang.
    const harness = await listenTcp(t);
    const client = start(t, target, 'tcp-client.ts', ['--port', String(harness.port), '--timeout', '1000']);
    const connection = new Wire(await harness.next());
    connection.socket.write(WELCOME);
    await client.waitFor(/^greeting: Welcome!$/m);
    client.writeLine('Michael');
    assert.equal(await connection.lineText(), 'Michael');
    await expectOneLineError(client, 1, /within 1000 ms/);
  });

  itUses(target, ['tcp-client.ts'], 'tcp-client reports "connection refused" in one line and exits 1 when no server listens', async (t) => {
    // Checks ECONNREFUSED handling on a port where nobody listens.
    const client = start(t, target, 'tcp-client.ts', ['--port', String(await unusedPort())]);
    client.endInput();
    await expectOneLineError(client, 1, /refused/);
  });

  // ---- UDP ----

  itUses(target, ['udp-client.ts', 'udp-server.ts'], 'udp-client and udp-server: one reply per name, exit 0 at end of input', async (t) => {
    // Checks the note's UDP pair: each name is answered, the client exits 0 when its input ends,
    // the server says who sent what.
    const { program: server, port } = await startListening(t, target, 'udp-server.ts');
    const client = start(t, target, 'udp-client.ts', ['--port', String(port)]);
    for (const name of ['Michael', '小明', 'Sarah']) client.writeLine(name);
    client.endInput();
    assert.deepEqual(await client.exit(), OK);
    assert.equal(client.stdout, 'reply: Hello, Michael!\nreply: Hello, 小明!\nreply: Hello, Sarah!\n');
    await server.waitFor(/^received Sarah from 127\.0\.0\.1:\d+$/m);
    assert.match(server.stdout, /^received 小明 from 127\.0\.0\.1:\d+$/m);
  });

  itUses(
    target,
    ['udp-server.ts'],
    'udp-server answers each datagram whole, in exact bytes, and refuses one over 1024 bytes',
    async (t) => {
      // Checks the server from a raw UDP socket: the reply goes to the sender, one datagram per
      // datagram; a trailing "\n" is not part of the name; 1024 bytes are answered whole where the
      // note's recvfrom(1024) cut anything longer; 2000 bytes get an error datagram.
      const { port } = await startListening(t, target, 'udp-server.ts');
      const peer = await bindUdp(t);
      const reply = await askUdp(peer, utf8('小明'), port);
      assert.deepEqual(reply.data, utf8('Hello, 小明!'));
      assert.equal(reply.port, port, 'the reply comes from the port the server is bound to');
      assert.deepEqual((await askUdp(peer, utf8('Tom\n'), port)).data, utf8('Hello, Tom!'));
      const name = 'n'.repeat(1024);
      assert.deepEqual((await askUdp(peer, utf8(name), port)).data, utf8(`Hello, ${name}!`));
      assert.deepEqual((await askUdp(peer, utf8('z'.repeat(2000)), port)).data, utf8('error: datagram longer than 1024 bytes'));
    },
  );

  itUses(target, ['udp-server.ts'], 'udp-server --encoding gbk puts exact gbk bytes on the wire', async (t) => {
    // Checks the --encoding flag of the UDP server from a raw socket.
    const { port } = await startListening(t, target, 'udp-server.ts', ['--encoding', 'gbk']);
    const peer = await bindUdp(t);
    assert.deepEqual((await askUdp(peer, gbk('你好，小明'), port)).data, gbk('Hello, 你好，小明!'));
  });

  itUses(target, ['udp-client.ts'], 'udp-client --encoding gbk sends each name as exactly its gbk bytes in one datagram', async (t) => {
    // Checks the client's bytes on the wire from a harness UDP socket standing in for the server.
    const harness = await bindUdp(t);
    const client = start(t, target, 'udp-client.ts', ['--port', String(harness.port), '--encoding', 'gbk']);
    client.writeLine('小明');
    const request = await harness.next();
    assert.deepEqual(request.data, gbk('小明'));
    await harness.send(gbk('Hello, 小明!'), request.port, request.address);
    await client.waitFor(/^reply: Hello, 小明!$/m);
    client.endInput();
    assert.deepEqual(await client.exit(), OK);
  });

  itUses(
    target,
    ['udp-client.ts'],
    'udp-client sends again after a lost datagram, and skips stray, late and duplicate replies',
    async (t) => {
      // Checks what the note's client cannot do: the first datagram is "lost" (the harness does not
      // answer), the client sends it again; a datagram from another port is ignored; a duplicated
      // reply is used once and then skipped as late instead of being taken for the next name's reply.
      const harness = await bindUdp(t);
      const stranger = await bindUdp(t);
      const client = start(t, target, 'udp-client.ts', ['--port', String(harness.port), '--timeout', '1500']);
      client.writeLine('Michael');
      const first = await datagramSaying(harness, 'Michael');
      await client.waitFor(/^no reply within 1500 ms; sending Michael again \(try 2 of 4\)$/m);
      const again = await datagramSaying(harness, 'Michael');
      assert.equal(again.port, first.port, 'sent again from the same socket');
      await stranger.send(utf8('Hello, Michael!'), again.port, again.address);
      await client.waitFor(new RegExp(`^ignored a datagram from 127\\.0\\.0\\.1:${stranger.port}$`, 'm'));
      await harness.send(utf8('Hello, Michael!'), again.port, again.address);
      await harness.send(utf8('Hello, Michael!'), again.port, again.address);
      await client.waitFor(/^reply: Hello, Michael!$/m);
      client.writeLine('Tom');
      const tom = await datagramSaying(harness, 'Tom');
      await client.waitFor(/^ignored a late or duplicate reply: Hello, Michael!$/m);
      await harness.send(utf8('Hello, Tom!'), tom.port, tom.address);
      await client.waitFor(/^reply: Hello, Tom!$/m);
      client.endInput();
      assert.deepEqual(await client.exit(), OK);
      assert.deepEqual(client.stdout.match(/^reply: .*$/gm), ['reply: Hello, Michael!', 'reply: Hello, Tom!']);
    },
  );

  itUses(
    target,
    ['udp-client.ts'],
    'udp-client gives up after one try and --retries 2 more, in one line, exit 1, when nothing answers',
    async (t) => {
      // Checks the bounded retries: a silent harness socket receives exactly three datagrams, and the
      // client ends with one clear line instead of waiting for ever like the note's s.recv(1024).
      const silent = await bindUdp(t);
      let received = 0;
      silent.socket.on('message', () => (received += 1));
      const client = start(t, target, 'udp-client.ts', ['--port', String(silent.port), '--timeout', '200', '--retries', '2']);
      client.writeLine('Michael');
      await expectOneLineError(client, 1, new RegExp(`no reply from 127\\.0\\.0\\.1:${silent.port} after 3 tries`));
      for (let i = 0; i < 3; i++) await silent.next();
      assert.equal(received, 3);
    },
  );

  itUses(target, ['udp-client.ts'], 'udp-client reports no reply in one line, exit 1, when no UDP server exists at all', async (t) => {
    // Checks the timeout with no server: UDP has no "connection refused" to wait for, only silence.
    const gone = dgram.createSocket('udp4');
    gone.bind(0, '127.0.0.1');
    await once(gone, 'listening');
    const port = gone.address().port;
    await new Promise<void>((resolve) => gone.close(() => resolve())); // a UDP port nobody has bound
    const client = start(t, target, 'udp-client.ts', ['--port', String(port), '--timeout', '200', '--retries', '1']);
    client.writeLine('anyone?');
    await expectOneLineError(client, 1, /no reply .* after 2 tries/);
  });

  itUses(target, ['udp-server.ts'], 'udp-server stops on SIGINT with exit 0', async (t) => {
    // Checks that Ctrl-C closes the UDP socket and ends the server cleanly, where Python prints a traceback.
    const { program: server } = await startListening(t, target, 'udp-server.ts');
    server.signal('SIGINT');
    assert.deepEqual(await server.exit(), OK);
    assert.match(server.stdout, /^SIGINT: stopped$/m);
  });

  itUses(
    target,
    ['tcp-server.ts', 'udp-server.ts'],
    'tcp-server and udp-server listen on the same port number at once, as the note says',
    async (t) => {
      // Checks the note's claim that UDP 9999 and TCP 9999 do not clash: both bind one number, both answer.
      const { port } = await startListening(t, target, 'tcp-server.ts');
      const udp = start(t, target, 'udp-server.ts', ['--port', String(port)]);
      assert.equal(await udp.ready(), port);
      const tcpClient = await greetedClient(t, port);
      tcpClient.socket.write('Michael\n');
      assert.equal(await tcpClient.lineText(), 'Hello, Michael!');
      assert.deepEqual((await askUdp(await bindUdp(t), utf8('Tracy'), port)).data, utf8('Hello, Tracy!'));
    },
  );

  // ---- split bytes, hostile text, closed output (issue 13) ----

  for (const [encoding, text] of SPLIT_MESSAGES) {
    itUses(
      target,
      ['tcp-server.ts'],
      `tcp-server decodes a ${encoding} name split at every byte offset and sent one byte per write`,
      async (t) => {
        // Checks the server's framing and decoding on one connection: the line (its "\n" included)
        // is cut at each offset, every piece read before the next is sent, and each time the reply
        // is exactly "Hello, TEXT!" in that encoding, and the log shows exactly the text.
        const { program: server, port } = await startListening(t, target, 'tcp-server.ts', ['--encoding', encoding]);
        const reader = new Wire(await connectTcp(t, port));
        assert.deepEqual(await reader.line(), iconv.encode(WELCOME, encoding));
        const ways = splits(iconv.encode(`${text}\n`, encoding));
        for (const pieces of ways) {
          await writeSplit(reader.socket, pieces);
          assert.deepEqual(await reader.line(), iconv.encode(`Hello, ${text}!\n`, encoding), describeCut(pieces));
        }
        assert.equal(server.stdout.match(new RegExp(`^received ${literal(text)} from `, 'gm'))?.length, ways.length);
      },
    );

    itUses(
      target,
      ['tcp-client.ts'],
      `tcp-client decodes a ${encoding} reply split at every byte offset and sent one byte per write`,
      async (t) => {
        // Checks the client's side: for each name it sends, the harness server answers with the
        // line cut another way, and the client prints exactly the text each time.
        const harness = await listenTcp(t);
        const client = start(t, target, 'tcp-client.ts', ['--port', String(harness.port), '--encoding', encoding]);
        const connection = new Wire(await harness.next());
        connection.socket.write(WELCOME);
        const ways = splits(iconv.encode(`${text}\n`, encoding));
        for (const [k, pieces] of ways.entries()) {
          client.writeLine(`name ${k}`);
          assert.equal(await connection.lineText(), `name ${k}`);
          await writeSplit(connection.socket, pieces);
          await printedTimes(client, `reply: ${text}`, k + 1).catch((err: Error) => assert.fail(`${describeCut(pieces)}: ${err.message}`));
        }
        client.endInput();
        assert.equal(await connection.lineText(), 'exit');
        connection.socket.end();
        assert.deepEqual(await client.exit(), OK);
      },
    );
  }

  itUses(
    target,
    ['tcp-server.ts', 'udp-server.ts'],
    'tcp-server and udp-server show a name with escapes, a fake ready line and a lone surrogate escaped, on one line',
    async (t) => {
      // Checks that a client's name cannot draw on the servers' terminal: ESC, CR, VT, NEL, C1, bidi and
      // a lone surrogate come out escaped (over UDP a datagram may even hold newlines); each server's
      // only "listening on" line is its own.
      const tcp = await startListening(t, target, 'tcp-server.ts', ['--encoding', HOSTILE_ENCODING]);
      const reader = new Wire(await connectTcp(t, tcp.port));
      await reader.line();
      reader.socket.write(iconv.encode(`${HOSTILE_LINE}\n`, HOSTILE_ENCODING));
      assert.deepEqual(await reader.line(), iconv.encode(`Hello, ${HOSTILE_LINE}!\n`, HOSTILE_ENCODING));
      await tcp.program.waitFor(/^received .* from /m);
      assert.match(tcp.program.stdout, new RegExp(`^received ${literal(HOSTILE_LINE_SHOWN)} from 127\\.0\\.0\\.1:\\d+$`, 'm'));
      const udp = await startListening(t, target, 'udp-server.ts', ['--encoding', HOSTILE_ENCODING]);
      assert.deepEqual(
        (await askUdp(await bindUdp(t), iconv.encode(HOSTILE, HOSTILE_ENCODING), udp.port)).data,
        iconv.encode(`Hello, ${HOSTILE}!`, HOSTILE_ENCODING),
      );
      await udp.program.waitFor(/^received .* from /m);
      assert.match(udp.program.stdout, new RegExp(`^received ${literal(HOSTILE_SHOWN)} from 127\\.0\\.0\\.1:\\d+$`, 'm'));
      for (const server of [tcp.program, udp.program]) {
        assert.equal(server.stdout.match(/^listening on /gm)?.length, 1, `one ready line:\n${server.stdout}`);
        assert.doesNotMatch(server.stdout, RAW_CONTROL);
      }
    },
  );

  itUses(
    target,
    ['tcp-client.ts', 'udp-client.ts'],
    'tcp-client and udp-client show what the server sends with its escapes escaped, on one line',
    async (t) => {
      // Checks the same rule for the clients: a hostile greeting over TCP, and over UDP a stray
      // reply (shown as ignored) before the real one.
      const harness = await listenTcp(t);
      const tcpClient = start(t, target, 'tcp-client.ts', ['--port', String(harness.port), '--encoding', HOSTILE_ENCODING]);
      const connection = new Wire(await harness.next());
      connection.socket.write(iconv.encode(`${HOSTILE_LINE}\n`, HOSTILE_ENCODING));
      await tcpClient.waitFor(/^greeting: /m);
      assert.match(tcpClient.stdout, new RegExp(`^greeting: ${literal(HOSTILE_LINE_SHOWN)}$`, 'm'));
      const peer = await bindUdp(t);
      const udpClient = start(t, target, 'udp-client.ts', ['--port', String(peer.port), '--encoding', HOSTILE_ENCODING]);
      udpClient.writeLine('Tom');
      const request = await datagramSaying(peer, 'Tom');
      await peer.send(iconv.encode(HOSTILE, HOSTILE_ENCODING), request.port, request.address);
      await udpClient.waitFor(/^ignored a late or duplicate reply: /m);
      await peer.send(utf8('Hello, Tom!'), request.port, request.address);
      udpClient.endInput();
      assert.deepEqual(await udpClient.exit(), OK);
      assert.match(udpClient.stdout, new RegExp(`^ignored a late or duplicate reply: ${literal(HOSTILE_SHOWN)}$`, 'm'));
      for (const client of [tcpClient, udpClient]) {
        assert.doesNotMatch(client.stdout, /^listening on /m);
        assert.doesNotMatch(client.stdout, RAW_CONTROL);
      }
    },
  );

  itUses(
    target,
    ['tcp-server.ts'],
    'tcp-server with stdout and stderr closed (| head -1) answers the client whose arrival it logged, and the next',
    async (t) => {
      // Checks that a reader going away is not the server's error: the log line for a new client
      // fails with EPIPE, and still that client is greeted and answered, so is the next, a client
      // that makes it write to stderr (a line too long) changes nothing, and SIGTERM still ends it with 0.
      const { program: server, port } = await startListening(t, target, 'tcp-server.ts');
      await closeOutput(server, ['stdout', 'stderr']);
      for (const name of ['Michael', 'Tom']) {
        const reader = await greetedClient(t, port);
        reader.socket.write(`${name}\n`);
        assert.equal(await reader.lineText(), `Hello, ${name}!`);
        reader.socket.write('exit\n');
        assert.equal(await reader.restText(), '');
      }
      const long = await greetedClient(t, port);
      long.socket.write(`${'x'.repeat(2000)}\n`);
      assert.equal(await long.restText(), 'error: line longer than 1024 bytes\n');
      const last = await greetedClient(t, port);
      last.socket.write('Tracy\n');
      assert.equal(await last.lineText(), 'Hello, Tracy!');
      last.socket.end();
      server.signal('SIGTERM');
      assert.deepEqual(await server.exit(), OK);
    },
  );

  itUses(
    target,
    ['udp-server.ts', 'udp-client.ts', 'tcp-server.ts', 'tcp-client.ts'],
    'udp-server with stdout closed answers every datagram, and the clients with stdout closed finish their job',
    async (t) => {
      // Checks the same for the UDP server, and for both clients: output that has nowhere to go is
      // dropped, the exchange completes, exit 0, nothing on stderr.
      const { program: server, port } = await startListening(t, target, 'udp-server.ts');
      await closeOutput(server, ['stdout']);
      const peer = await bindUdp(t);
      for (const name of ['Michael', 'Sarah']) assert.deepEqual((await askUdp(peer, utf8(name), port)).data, utf8(`Hello, ${name}!`));
      const udpClient = start(t, target, 'udp-client.ts', ['--port', String(port)]);
      await closeOutput(udpClient, ['stdout']);
      udpClient.writeLine('Tracy');
      udpClient.endInput();
      assert.deepEqual(await udpClient.exit(), OK);
      const tcp = await startListening(t, target, 'tcp-server.ts');
      const tcpClient = start(t, target, 'tcp-client.ts', ['--port', String(tcp.port)]);
      await closeOutput(tcpClient, ['stdout']);
      tcpClient.writeLine('Tom');
      tcpClient.endInput();
      assert.deepEqual(await tcpClient.exit(), OK);
      await tcp.program.waitFor(/^received Tom from /m);
      for (const program of [server, udpClient, tcpClient]) assert.equal(program.stderr, '', `${program.name}: no stack trace`);
      assert.equal(server.exitStatus, undefined, 'the UDP server is still running');
    },
  );

  // ---- flags, errors, IPv6 ----

  itUses(
    target,
    ['tcp-server.ts', 'tcp-client.ts', 'udp-server.ts', 'udp-client.ts'],
    'both pairs work over IPv6 loopback (--host ::1)',
    async (t) => {
      // Checks the bracketed ready lines and an exchange over ::1 for TCP and UDP; skipped where
      // the machine has no IPv6 loopback.
      if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
      const tcp = await startListening(t, target, 'tcp-server.ts', ['--host', '::1']);
      assert.match(tcp.program.stdout, new RegExp(`^listening on \\[::1\\]:${tcp.port}$`, 'm'));
      const tcpClient = start(t, target, 'tcp-client.ts', ['--host', '::1', '--port', String(tcp.port)]);
      tcpClient.writeLine('小明');
      tcpClient.endInput();
      await tcpClient.waitFor(/^reply: Hello, 小明!$/m);
      assert.deepEqual(await tcpClient.exit(), OK);
      await tcp.program.waitFor(/^received 小明 from \[::1\]:\d+$/m);
      const udp = await startListening(t, target, 'udp-server.ts', ['--host', '::1']);
      assert.match(udp.program.stdout, new RegExp(`^listening on \\[::1\\]:${udp.port}$`, 'm'));
      const udpClient = start(t, target, 'udp-client.ts', ['--host', '::1', '--port', String(udp.port)]);
      udpClient.writeLine('Sarah');
      udpClient.endInput();
      assert.deepEqual(await udpClient.exit(), OK);
      assert.equal(udpClient.stdout, 'reply: Hello, Sarah!\n');
    },
  );

  for (const file of ['tcp-server.ts', 'tcp-client.ts', 'udp-server.ts', 'udp-client.ts'])
    itRejectsBadFlags(target, file, COMMON_BAD_FLAGS);

  itUses(
    target,
    ['tcp-server.ts', 'tcp-client.ts'],
    'the TCP programs refuse an encoding in which "\\n" is not the byte 0x0a',
    async (t) => {
      // Checks that line framing is never attempted in utf-16, where "\n" is two bytes and 0x0a
      // can sit inside another character.
      for (const file of ['tcp-server.ts', 'tcp-client.ts']) {
        await expectOneLineError(start(t, target, file, ['--encoding', 'utf-16le']), 2, /utf-16le/);
      }
    },
  );

  itUses(
    target,
    ['tcp-client.ts', 'udp-client.ts'],
    'the clients reject a --timeout or --retries that is not a whole number, with exit 2',
    async (t) => {
      // Checks the flags that bound the clients' waits.
      await expectOneLineError(start(t, target, 'tcp-client.ts', ['--timeout', 'soon']), 2, /timeout/);
      await expectOneLineError(start(t, target, 'udp-client.ts', ['--timeout', '0']), 2, /timeout/);
      await expectOneLineError(start(t, target, 'udp-client.ts', ['--retries', '-1']), 2, /retries/);
    },
  );

  itUses(target, ['tcp-server.ts'], 'tcp-server reports a port already in use in one line and exits 1', async (t) => {
    // Checks EADDRINUSE handling for TCP: one clear line, exit 1, no stack trace.
    const harness = await listenTcp(t);
    await expectOneLineError(start(t, target, 'tcp-server.ts', ['--port', String(harness.port)]), 1, /in use/);
  });

  itUses(target, ['udp-server.ts'], 'udp-server reports a UDP port already in use in one line and exits 1', async (t) => {
    // Checks EADDRINUSE handling for UDP.
    const harness = await bindUdp(t);
    await expectOneLineError(start(t, target, 'udp-server.ts', ['--port', String(harness.port)]), 1, /in use/);
  });
});

suite(target, 'exercise', () => {
  it("tcp-server --delay 3000 greets a second client while the first one's reply is still delayed", async (t) => {
    // Checks that the delay waits on a timer, not on the event loop: a blocking sleep would hold
    // the second client's greeting until the first reply had gone out.
    const { port } = await startListening(t, target, 'tcp-server.ts', ['--delay', '3000']);
    const first = await greetedClient(t, port);
    const sent = performance.now();
    first.socket.write('Michael\n');
    await greetedClient(t, port);
    assert.equal(first.pending, 0, 'the first reply came before the second greeting: the delay blocked the server');
    assert.equal(await first.lineText(), 'Hello, Michael!');
    assert.ok(performance.now() - sent >= 2950, 'the reply came before the delay was over');
  });

  it('tcp-server --delay 300 answers lines sent together in order, one delay each, then closes on exit', async (t) => {
    // Checks the note's per-message sleep in an event loop: replies keep their order, the second
    // comes a delay after the first, and "exit" waits for the replies before it.
    const { port } = await startListening(t, target, 'tcp-server.ts', ['--delay', '300']);
    const reader = await greetedClient(t, port);
    const sent = performance.now();
    await writeCoalesced(reader.socket, ['Michael\n', 'Tom\n', 'exit\n'].map(utf8));
    assert.equal(await reader.lineText(), 'Hello, Michael!');
    assert.ok(performance.now() - sent >= 290, 'the first reply came before its delay');
    assert.equal(await reader.lineText(), 'Hello, Tom!');
    assert.ok(performance.now() - sent >= 590, 'the second reply did not wait its own delay');
    assert.equal(await reader.restText(), '');
  });

  it('tcp-server --delay 300 still answers a line whose client half-closed right after it', async (t) => {
    // Checks that the client's FIN waits for the delayed reply instead of closing the connection under it.
    const { port } = await startListening(t, target, 'tcp-server.ts', ['--delay', '300']);
    const reader = await greetedClient(t, port);
    reader.socket.end('Tracy\n');
    assert.equal(await reader.restText(), 'Hello, Tracy!\n');
  });

  it('tcp-server accepts whole milliseconds for --delay and rejects anything else with exit 2', async (t) => {
    // Checks the flag contract for the new option: 0 starts a server that answers at once, bad values are usage errors.
    const { port } = await startListening(t, target, 'tcp-server.ts', ['--delay', '0']);
    const reader = await greetedClient(t, port);
    reader.socket.write('Sarah\n');
    assert.equal(await reader.lineText(), 'Hello, Sarah!');
    for (const bad of ['soon', '-5', '1.5']) {
      await expectOneLineError(start(t, target, 'tcp-server.ts', ['--port', '0', '--delay', bad]), 2, /delay/);
    }
  });
});
