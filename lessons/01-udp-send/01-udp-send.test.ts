// Tests of lesson 01-udp-send: sender.ts and listener.ts against each other and against raw
// harness UDP sockets on loopback. Run against another folder with SOCKET_LESSONS_PROGRAMS=DIR,
// and the exercise tests with SOCKET_LESSONS_SUITES=lesson,exercise (see tests/harness.ts).

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { it } from 'node:test';
import {
  bindUdp,
  COMMON_BAD_FLAGS,
  closeOutput,
  type Datagram,
  expectOneLineError,
  hasIpv6Loopback,
  itRejectsBadFlags,
  itUses,
  lessonTarget,
  listenTcp,
  literal,
  type RunningProgram,
  start,
  startListening,
  suite,
  type UdpPeer,
} from '../../tests/harness.ts';

const target = lessonTarget(import.meta.url);
const CHINESE = '你好，世界';
const OK = { code: 0, signal: null };

// The bytes of CHINESE, written out rather than computed with iconv-lite, so that the tests say
// exactly what must be on the wire. gb2312 and gb18030 agree with gbk on these characters.
const GBK_BYTES = 'c4 e3 ba c3 a3 ac ca c0 bd e7';
const WIRE: [encoding: string, text: string, hex: string][] = [
  ['utf-8', CHINESE, 'e4 bd a0 e5 a5 bd ef bc 8c e4 b8 96 e7 95 8c'],
  ['gbk', CHINESE, GBK_BYTES],
  ['gb2312', CHINESE, GBK_BYTES],
  ['gb18030', `${CHINESE}😀`, `${GBK_BYTES} 94 39 fc 36`], // gb18030 reaches every character, emoji too
];

function bytesOf(hex: string): Buffer {
  return Buffer.from(hex.replaceAll(' ', ''), 'hex');
}

/** The sender's line `sent N bytes to HOST:PORT from port P`; returns P. */
async function sentLine(sender: RunningProgram, bytes: number, to: string): Promise<number> {
  const pattern = new RegExp(`^sent ${bytes} bytes to ${literal(to)} from port (\\d+)$`, 'm');
  const match = await sender.waitFor(pattern, 'stdout', `a line "sent ${bytes} bytes to ${to} from port P"`);
  return Number(match[1]);
}

/** The listener's lines `received N bytes from HOST:PORT: TEXT`, once `count` of them are there. */
async function receivedLines(listener: RunningProgram, count: number): Promise<{ bytes: number; from: string; text: string }[]> {
  const line = /^received (\d+) bytes from (\S+): (.*)$/gm;
  const what = `${count} line(s) "received N bytes from HOST:PORT: TEXT"`;
  await listener.waitFor(new RegExp(`(?:^received .*\\n[^]*){${count}}`, 'm'), 'stdout', what);
  return [...listener.stdout.matchAll(line)].map((m) => ({ bytes: Number(m[1]), from: m[2]!, text: m[3]! }));
}

/** The next `count` datagrams at a harness socket. */
async function datagrams(peer: UdpPeer, count: number): Promise<Datagram[]> {
  const got: Datagram[] = [];
  for (let i = 0; i < count; i++) got.push(await peer.next());
  return got;
}

/**
 * Datagrams a hostile peer might send, and how the listener must show each: control characters
 * (C0, DEL, C1), bidirectional overrides and line breaks escaped, so that nothing moves the cursor,
 * clears the screen or makes a line of its own that looks like the program's.
 */
const HOSTILE: [what: string, text: string, shown: string][] = [
  ['an ANSI clear-screen', '\x1b[2J\x1b[Hgone', '\\x1b[2J\\x1b[Hgone'],
  ['a carriage return that would overwrite the line', 'harmless\rreceived 0 bytes', 'harmless\\rreceived 0 bytes'],
  ['a C1 control, NEL (U+0085)', 'one\u0085two', 'one\\x85two'],
  ['the C1 CSI (U+009B) and DEL', '\u009b2J\x7f', '\\x9b2J\\x7f'],
  ['a right-to-left override (U+202E) and a line separator (U+2028)', 'txt.\u202eexe\u2028', 'txt.\\u{202e}exe\\u{2028}'],
  ['a fake ready line', '\nlistening on 6.6.6.6:66\n', '\\nlistening on 6.6.6.6:66\\n'],
];

/** A UDP port with nobody bound to it (taken from the system, then released). */
async function unusedUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

suite(target, 'lesson', () => {
  for (const [encoding, text, hex] of WIRE) {
    itUses(target, ['listener.ts', 'sender.ts'], `sender and listener exchange Chinese text in ${encoding}`, async (t) => {
      // Checks program against program: the listener prints the whole message with its size in
      // that encoding and the sender's port (the one the system gave the unbound sender).
      const flags = ['--encoding', encoding];
      const { program: listener, port } = await startListening(t, target, 'listener.ts', flags);
      const sender = start(t, target, 'sender.ts', ['--port', String(port), ...flags]);
      sender.writeLine(text);
      sender.endInput();
      const from = await sentLine(sender, bytesOf(hex).length, `127.0.0.1:${port}`);
      assert.deepEqual(await receivedLines(listener, 1), [{ bytes: bytesOf(hex).length, from: `127.0.0.1:${from}`, text }]);
      assert.deepEqual(await sender.exit(), OK);
    });

    itUses(
      target,
      ['sender.ts'],
      `sender puts the exact ${encoding} bytes of Chinese text on the wire and --show-bytes prints them`,
      async (t) => {
        // Checks the sender against a harness socket: one datagram holding exactly the encoded
        // text (no newline, nothing else), and the hex line printed before it was sent.
        const peer = await bindUdp(t);
        const sender = start(t, target, 'sender.ts', [
          '--port',
          String(peer.port),
          '--encoding',
          encoding,
          '--message',
          text,
          '--show-bytes',
        ]);
        const [datagram] = await datagrams(peer, 1);
        assert.deepEqual(datagram!.data, bytesOf(hex));
        await sender.waitFor(new RegExp(`^${literal(`${encoding} bytes: ${hex}`)}$`, 'm'));
        assert.equal(await sentLine(sender, bytesOf(hex).length, `127.0.0.1:${peer.port}`), datagram!.port);
        assert.deepEqual(await sender.exit(), OK);
      },
    );
  }

  itUses(target, ['sender.ts'], 'sender sends each input line as its own datagram, all from one port', async (t) => {
    // Checks one line = one datagram (no newline on the wire), from the one socket's port;
    // sorted, since UDP does not promise the order.
    const peer = await bindUdp(t);
    const sender = start(t, target, 'sender.ts', ['--port', String(peer.port)]);
    for (const line of ['一', 'two', '三 three']) sender.writeLine(line);
    sender.endInput();
    const got = await datagrams(peer, 3);
    assert.deepEqual(got.map((d) => d.data.toString('utf8')).sort(), ['two', '一', '三 three'].sort());
    assert.equal(new Set(got.map((d) => d.port)).size, 1, 'all three datagrams come from the same port');
    assert.deepEqual(await sender.exit(), OK);
    assert.equal(sender.stderr, '');
  });

  itUses(
    target,
    ['listener.ts'],
    'listener prints a datagram from a harness socket with its size, the sender address and the text',
    async (t) => {
      // Checks the listener against a harness socket: the exact line, with the harness's own port.
      const { program: listener, port } = await startListening(t, target, 'listener.ts', ['--encoding', 'gbk']);
      const peer = await bindUdp(t);
      await peer.send(bytesOf(GBK_BYTES), port, '127.0.0.1');
      assert.deepEqual(await receivedLines(listener, 1), [{ bytes: 10, from: `127.0.0.1:${peer.port}`, text: CHINESE }]);
    },
  );

  itUses(target, ['listener.ts'], 'listener decoding utf-8 bytes as gbk shows the mojibake 浣犲ソ', async (t) => {
    // Checks what a wrong decoder shows: the 6 utf-8 bytes of 你好 read as three gbk characters.
    const { program: listener, port } = await startListening(t, target, 'listener.ts', ['--encoding', 'gbk']);
    const peer = await bindUdp(t);
    await peer.send(bytesOf('e4 bd a0 e5 a5 bd'), port, '127.0.0.1');
    assert.deepEqual(await receivedLines(listener, 1), [{ bytes: 6, from: `127.0.0.1:${peer.port}`, text: '浣犲ソ' }]);
  });

  itUses(
    target,
    ['listener.ts', 'sender.ts'],
    'sender in gbk and listener in utf-8 disagree: 你好 arrives as three replacement characters',
    async (t) => {
      // Checks the other mismatch, program against program: 4 gbk bytes are not valid utf-8.
      const { program: listener, port } = await startListening(t, target, 'listener.ts', ['--encoding', 'utf-8']);
      const sender = start(t, target, 'sender.ts', ['--port', String(port), '--encoding', 'gbk', '--message', '你好']);
      const from = await sentLine(sender, 4, `127.0.0.1:${port}`);
      assert.deepEqual(await receivedLines(listener, 1), [{ bytes: 4, from: `127.0.0.1:${from}`, text: '\u{FFFD}'.repeat(3) }]);
    },
  );

  itUses(
    target,
    ['listener.ts', 'sender.ts'],
    "a 65507-byte message arrives whole, where the note's recvfrom(1024) kept 1024 bytes",
    async (t) => {
      // Checks the largest IPv4 datagram from sender to listener, and 3000 bytes of Chinese from a
      // harness socket: no cut at 1024, no cut inside a character.
      const { program: listener, port } = await startListening(t, target, 'listener.ts');
      const big = `${'abcdefghij'.repeat(6550)}abcdefg`;
      const sender = start(t, target, 'sender.ts', ['--port', String(port)]);
      sender.writeLine(big);
      sender.endInput();
      const from = await sentLine(sender, 65_507, `127.0.0.1:${port}`);
      assert.deepEqual(await receivedLines(listener, 1), [{ bytes: 65_507, from: `127.0.0.1:${from}`, text: big }]);
      const peer = await bindUdp(t);
      const chinese = `${'数据报'.repeat(333)}完`;
      await peer.send(Buffer.from(chinese, 'utf8'), port, '127.0.0.1');
      assert.deepEqual((await receivedLines(listener, 2))[1], { bytes: 3000, from: `127.0.0.1:${peer.port}`, text: chinese });
    },
  );

  itUses(target, ['sender.ts'], 'sender refuses a --message over 65507 bytes with one line and exit 1', async (t) => {
    // Checks the size limit of one IPv4 datagram: a clear line instead of a crash, nothing sent.
    const peer = await bindUdp(t);
    const sender = start(t, target, 'sender.ts', ['--port', String(peer.port), '--message', 'x'.repeat(65_508)]);
    await expectOneLineError(sender, 1, /65507/);
  });

  const invalidLines: [string, string, string[]][] = [
    ['an empty line', '', []],
    ['a line over 65507 bytes', 'x'.repeat(65_508), []],
    ['a line its encoding cannot carry (an emoji in gbk)', 'hi 🙂', ['--encoding', 'gbk']],
  ];
  for (const [label, bad, flags] of invalidLines) {
    itUses(target, ['sender.ts'], `sender skips ${label} with one line on stderr and keeps sending`, async (t) => {
      // Checks that invalid input neither stops the sender nor reaches the wire: the lines around
      // it arrive, one line on stderr says why, and end of input still exits 0.
      const peer = await bindUdp(t);
      const sender = start(t, target, 'sender.ts', ['--port', String(peer.port), ...flags]);
      sender.writeLine('before');
      sender.writeLine(bad);
      sender.writeLine('after');
      sender.endInput();
      const got = await datagrams(peer, 2);
      assert.deepEqual(got.map((d) => d.data.toString('latin1')).sort(), ['after', 'before']);
      assert.deepEqual(await sender.exit(), OK);
      assert.equal(sender.stderrLines().length, 1, `one line on stderr\n${sender.transcript()}`);
      assert.match(sender.stderrLines()[0]!, /^sender: /);
    });
  }

  itUses(target, ['sender.ts'], 'sender to a port where nobody listens still prints "sent" and exits 0: the loss is silent', async (t) => {
    // Checks that UDP gives the sender no news of delivery: both datagrams are "sent", no error.
    const port = await unusedUdpPort();
    const sender = start(t, target, 'sender.ts', ['--port', String(port)]);
    sender.writeLine('anyone there?');
    sender.writeLine('hello?');
    sender.endInput();
    assert.deepEqual(await sender.exit(), OK);
    assert.equal(sender.stdout.match(/^sent \d+ bytes to /gm)?.length, 2, sender.transcript());
    assert.equal(sender.stderr, '');
  });

  itUses(target, ['sender.ts'], 'sender ends cleanly with exit 0 when its input ends before any line', async (t) => {
    // Checks end of input: nothing sent, nothing on stderr, exit 0.
    const peer = await bindUdp(t);
    const sender = start(t, target, 'sender.ts', ['--port', String(peer.port)]);
    sender.endInput();
    assert.deepEqual(await sender.exit(), OK);
    assert.equal(sender.stderr, '');
    assert.doesNotMatch(sender.stdout, /^sent /m);
  });

  itUses(target, ['listener.ts', 'sender.ts'], 'listener --count 2 prints two datagrams and exits 0', async (t) => {
    // Checks the bounded listener: it stops by itself after its second datagram.
    const { program: listener, port } = await startListening(t, target, 'listener.ts', ['--count', '2']);
    const sender = start(t, target, 'sender.ts', ['--port', String(port)]);
    sender.writeLine('one');
    sender.writeLine('two');
    sender.endInput();
    assert.deepEqual(await listener.exit(), OK);
    assert.deepEqual((await receivedLines(listener, 2)).map((r) => r.text).sort(), ['one', 'two']);
  });

  itUses(target, ['listener.ts', 'sender.ts'], 'both programs work over IPv6 loopback (--host ::1), up to 65527 bytes', async (t) => {
    // Checks the bracketed ready and sent lines, the exact bytes at a udp6 harness socket, and
    // IPv6's larger datagram limit (its header is not counted in the 65535).
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    const { program: listener, port } = await startListening(t, target, 'listener.ts', ['--host', '::1']);
    assert.match(listener.stdout, new RegExp(`^listening on \\[::1\\]:${port}$`, 'm'));
    const sender = start(t, target, 'sender.ts', ['--host', '::1', '--port', String(port), '--message', CHINESE]);
    const from = await sentLine(sender, 15, `[::1]:${port}`);
    assert.deepEqual(await receivedLines(listener, 1), [{ bytes: 15, from: `[::1]:${from}`, text: CHINESE }]);

    const peer = await bindUdp(t, '::1');
    const big = 'y'.repeat(65_527);
    const bigSender = start(t, target, 'sender.ts', ['--host', '::1', '--port', String(peer.port), '--encoding', 'gbk']);
    bigSender.writeLine(CHINESE);
    bigSender.writeLine(big);
    bigSender.writeLine(`${big}y`);
    bigSender.endInput();
    const got = await datagrams(peer, 2);
    assert.deepEqual(got.map((d) => d.data.length).sort(), [10, 65_527]);
    assert.deepEqual(got.find((d) => d.data.length === 10)!.data, bytesOf(GBK_BYTES));
    assert.deepEqual(await bigSender.exit(), OK);
    assert.match(bigSender.stderr, /65527/);
  });

  itUses(
    target,
    ['listener.ts'],
    'listener shows control characters, bidi overrides and line breaks from the network escaped, one line per datagram',
    async (t) => {
      // Checks the one rule for network text: a peer's escape sequences, carriage returns, C1
      // controls and fake lines are printed escaped, so the listener's output has exactly one
      // "listening on" line and one line per datagram, and no raw control character at all.
      const { program: listener, port } = await startListening(t, target, 'listener.ts');
      const peer = await bindUdp(t);
      for (const [i, [what, text, shown]] of HOSTILE.entries()) {
        await peer.send(Buffer.from(text), port, '127.0.0.1');
        const line = (await receivedLines(listener, i + 1))[i]!;
        assert.deepEqual(line, { bytes: Buffer.byteLength(text), from: `127.0.0.1:${peer.port}`, text: shown }, what);
      }
      assert.equal(listener.stdout.match(/^listening on /gm)?.length, 1, `one ready line\n${listener.stdout}`);
      assert.equal(listener.stdout.split('\n').length, 1 + HOSTILE.length + 1, 'one line per datagram');
      assert.doesNotMatch(listener.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u202e]/, 'no raw control character');
    },
  );

  itUses(target, ['listener.ts'], 'listener shows a lone surrogate escaped and keeps a surrogate pair (--encoding utf-16le)', async (t) => {
    // Checks the last class of the rule: half of a UTF-16 pair is no character a terminal can
    // show, so it is escaped; a whole pair (an emoji) is text and stays as it is.
    const { program: listener, port } = await startListening(t, target, 'listener.ts', ['--encoding', 'utf-16le']);
    const peer = await bindUdp(t);
    await peer.send(Buffer.from('A\ud800B\udc00C😀', 'utf16le'), port, '127.0.0.1');
    assert.equal((await receivedLines(listener, 1))[0]!.text, 'A\\u{d800}B\\u{dc00}C😀');
  });

  itUses(
    target,
    ['listener.ts'],
    'listener keeps receiving after its stdout is closed (| head -1) and still stops at --count',
    async (t) => {
      // Checks a reader that goes away: once the pipe it prints to is closed after the ready line,
      // every line fails with EPIPE, yet the listener takes both datagrams and exits 0 after the
      // second (--count 2), with nothing on stderr: no stack trace.
      const { program: listener, port } = await startListening(t, target, 'listener.ts', ['--count', '2']);
      await closeOutput(listener, 'stdout');
      const peer = await bindUdp(t);
      await peer.send(Buffer.from('nobody reads this'), port, '127.0.0.1');
      await peer.send(Buffer.from('nor this'), port, '127.0.0.1');
      assert.deepEqual(await listener.exit(), OK, listener.transcript());
      assert.equal(listener.stderr, '');
    },
  );

  itUses(target, ['sender.ts'], 'sender with its stdout closed still sends every line and exits 0', async (t) => {
    // Checks a sender whose output nobody reads (`sender | head -0`): each "sent" line fails with
    // EPIPE, yet every line still goes out, and end of input exits 0 with nothing on stderr.
    const peer = await bindUdp(t);
    const sender = start(t, target, 'sender.ts', ['--port', String(peer.port)]);
    await closeOutput(sender, 'stdout');
    for (const line of ['one', 'two', 'three']) sender.writeLine(line);
    sender.endInput();
    const got = await datagrams(peer, 3);
    assert.deepEqual(got.map((d) => d.data.toString()).sort(), ['one', 'three', 'two']);
    assert.deepEqual(await sender.exit(), OK, sender.transcript());
    assert.equal(sender.stderr, '');
  });

  itUses(target, ['sender.ts'], 'sender with its stderr closed still skips a bad line, sends the others and exits 0', async (t) => {
    // Checks the other stream: the one line saying an empty line was skipped fails with EPIPE,
    // and the sender goes on with the next line as it would with stderr open.
    const peer = await bindUdp(t);
    const sender = start(t, target, 'sender.ts', ['--port', String(peer.port)]);
    await closeOutput(sender, 'stderr');
    for (const line of ['before', '', 'after']) sender.writeLine(line);
    sender.endInput();
    const got = await datagrams(peer, 2);
    assert.deepEqual(got.map((d) => d.data.toString()).sort(), ['after', 'before']);
    assert.deepEqual(await sender.exit(), OK, sender.transcript());
    assert.equal(sender.stdout.match(/^sent \d+ bytes to /gm)?.length, 2, sender.transcript());
  });

  for (const file of ['listener.ts', 'sender.ts']) itRejectsBadFlags(target, file, COMMON_BAD_FLAGS);

  itUses(
    target,
    ['listener.ts', 'sender.ts'],
    'sender rejects port 0 as a destination, and listener a --count that is not a whole number',
    async (t) => {
      // Checks the two program-specific flags: port 0 can be bound but not sent to.
      await expectOneLineError(start(t, target, 'sender.ts', ['--port', '0', '--message', 'hi']), 2, /port/);
      await expectOneLineError(start(t, target, 'listener.ts', ['--port', '0', '--count', 'two']), 2, /count/);
    },
  );

  itUses(target, ['listener.ts'], 'listener reports a UDP port already bound in one line and exits 1', async (t) => {
    // Checks EADDRINUSE handling: one clear line, exit 1, no stack trace.
    const peer = await bindUdp(t);
    const listener = start(t, target, 'listener.ts', ['--port', String(peer.port)]);
    await expectOneLineError(listener, 1, /in use/);
  });

  itUses(target, ['listener.ts'], 'listener binds a UDP port whose number a TCP server already uses', async (t) => {
    // Checks that UDP and TCP ports are separate: "port N is taken" is always per protocol.
    const tcp = await listenTcp(t);
    const { program: listener } = await startListening(t, target, 'listener.ts', ['--port', String(tcp.port)]);
    assert.match(listener.stdout, new RegExp(`^listening on 127\\.0\\.0\\.1:${tcp.port}$`, 'm'));
  });
});

suite(target, 'exercise', () => {
  it('sender --to twice sends every line to both destinations from one port', async (t) => {
    // Checks the exercise: each destination gets exactly the encoded bytes of each line, all
    // from the same source port, and the sender says where each datagram went.
    const first = await bindUdp(t);
    const second = await bindUdp(t);
    const sender = start(t, target, 'sender.ts', [
      '--to',
      `127.0.0.1:${first.port}`,
      '--to',
      `127.0.0.1:${second.port}`,
      '--encoding',
      'gbk',
    ]);
    sender.writeLine(CHINESE);
    sender.writeLine('bye');
    sender.endInput();
    // The sender's lines first: a sender that rejects --to fails here at once, not after a timeout.
    for (const peer of [first, second]) {
      await sentLine(sender, 10, `127.0.0.1:${peer.port}`);
      await sentLine(sender, 3, `127.0.0.1:${peer.port}`);
    }
    const atFirst = await datagrams(first, 2);
    const atSecond = await datagrams(second, 2);
    for (const got of [atFirst, atSecond]) {
      assert.deepEqual(
        got.map((d) => d.data.toString('hex')).sort(),
        [bytesOf(GBK_BYTES).toString('hex'), Buffer.from('bye').toString('hex')].sort(),
      );
    }
    assert.equal(new Set([...atFirst, ...atSecond].map((d) => d.port)).size, 1, 'one socket, one source port');
    assert.deepEqual(await sender.exit(), OK);
  });

  it('sender --to takes IPv6 destinations written [::1]:PORT', async (t) => {
    // Checks the bracketed form and a udp6 socket for IPv6 destinations.
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    const peer = await bindUdp(t, '::1');
    const sender = start(t, target, 'sender.ts', ['--to', `[::1]:${peer.port}`, '--message', CHINESE]);
    await sentLine(sender, 15, `[::1]:${peer.port}`);
    assert.deepEqual((await datagrams(peer, 1))[0]!.data, Buffer.from(CHINESE));
    assert.deepEqual(await sender.exit(), OK);
  });

  it('sender --to rejects a destination without a port, and a mix of IPv4 and IPv6, with exit 2', async (t) => {
    // Checks the flag contract for the new option after a good value is accepted: the note's
    // address (a LAN host in parentheses) had no port either.
    const peer = await bindUdp(t);
    const good = start(t, target, 'sender.ts', ['--to', `127.0.0.1:${peer.port}`, '--message', 'ok']);
    await sentLine(good, 2, `127.0.0.1:${peer.port}`);
    assert.deepEqual((await datagrams(peer, 1))[0]!.data, Buffer.from('ok'));
    assert.deepEqual(await good.exit(), OK);
    for (const bad of [
      ['--to', '127.0.0.1'],
      ['--to', '127.0.0.1:0'],
      ['--to', '127.0.0.1:9', '--to', '[::1]:9'],
    ]) {
      await expectOneLineError(start(t, target, 'sender.ts', [...bad, '--message', 'hi']), 2, /to/);
    }
  });
});
