// Tests of lesson 02-udp-bind: receiver.ts and asker.ts against each other and against raw
// harness UDP sockets on loopback. Run against another folder with SOCKET_LESSONS_PROGRAMS=DIR,
// and the exercise tests with SOCKET_LESSONS_SUITES=lesson,exercise (see tests/harness.ts).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import iconv from 'iconv-lite';
import {
  type BadFlag,
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
const CHINESE = '你好，世界！UDP 是数据报';
const OK = { code: 0, signal: null };
const ENCODINGS = ['utf-8', 'gbk', 'gb2312', 'gb18030'];
const FROM_LINE = String.raw`from (\S+) \((\d+) bytes\): (.*)`;
const SENT_LINE = String.raw`sent (\d+) bytes to (\S+) from port (\d+)`;

/** The flags for an encoding: none for utf-8, the programs' default. */
function encodingFlags(encoding: string): string[] {
  return encoding === 'utf-8' ? [] : ['--encoding', encoding];
}

/** The receiver's reply to a datagram of `bytes` bytes ("received N bytes"). */
function replyText(bytes: number): string {
  return `收到 ${bytes} 字节`;
}

/** Waits until `count` whole lines of stdout match `line` (a RegExp source) and returns their matches. */
async function linesOf(program: RunningProgram, line: string, count: number, what: string): Promise<RegExpMatchArray[]> {
  await program.waitFor(new RegExp(`(?:[\\s\\S]*?^${line}$){${count}}`, 'm'), 'stdout', `${count} × ${what}`);
  return [...program.stdout.matchAll(new RegExp(`^${line}$`, 'gm'))].slice(0, count);
}

/** The receiver's first `count` lines `from HOST:PORT (N bytes): TEXT`. */
async function fromLines(receiver: RunningProgram, count = 1): Promise<{ sender: string; bytes: number; text: string }[]> {
  const matches = await linesOf(receiver, FROM_LINE, count, 'a line "from HOST:PORT (N bytes): TEXT"');
  return matches.map((m) => ({ sender: m[1]!, bytes: Number(m[2]), text: m[3]! }));
}

/** The asker's first `count` lines `sent N bytes to HOST:PORT from port P`. */
async function sentLines(asker: RunningProgram, count = 1): Promise<{ bytes: number; to: string; port: number }[]> {
  const matches = await linesOf(asker, SENT_LINE, count, 'a line "sent N bytes to HOST:PORT from port P"');
  return matches.map((m) => ({ bytes: Number(m[1]), to: m[2]!, port: Number(m[3]) }));
}

/**
 * The next datagram at a harness socket; fails at once, with its output, if `sender` exits first
 * (for a sender that keeps running after it sends, so that its exit can only mean a failure).
 */
function nextFrom(peer: UdpPeer, sender: RunningProgram): Promise<Datagram> {
  const exited = sender.exited.then((exit): never => {
    throw new Error(`${sender.name} exited (code ${exit.code}, signal ${exit.signal}) before sending a datagram\n${sender.transcript()}`);
  });
  return Promise.race([peer.next(), exited]);
}

/**
 * Every datagram the peer has received so far. A marker the peer sends to itself queues behind
 * everything sent to it before, so once the marker comes out nothing sent earlier is on its way.
 */
async function drain(peer: UdpPeer, host = '127.0.0.1'): Promise<Datagram[]> {
  const marker = Buffer.from('harness marker');
  await peer.send(marker, peer.port, host);
  const seen: Datagram[] = [];
  for (let d = await peer.next(); !d.data.equals(marker); d = await peer.next()) seen.push(d);
  return seen;
}

/**
 * Datagrams a hostile peer might send, and how they must be shown: control characters (C0, DEL,
 * C1), bidirectional overrides and line breaks escaped, so that nothing moves the cursor, clears
 * the screen or makes a line of its own that looks like the program's.
 */
const HOSTILE: [what: string, text: string, shown: string][] = [
  ['an ANSI clear-screen', '\x1b[2J\x1b[Hgone', '\\x1b[2J\\x1b[Hgone'],
  ['a carriage return that would overwrite the line', 'harmless\rreplied to 6.6.6.6:66', 'harmless\\rreplied to 6.6.6.6:66'],
  ['a C1 control, NEL (U+0085), and the C1 CSI (U+009B)', 'one\u0085two\u009b2J', 'one\\x85two\\x9b2J'],
  ['a right-to-left override (U+202E)', 'txt.\u202eexe', 'txt.\\u{202e}exe'],
  ['a fake ready line', '\nlistening on 6.6.6.6:66\n', '\\nlistening on 6.6.6.6:66\\n'],
];

suite(target, 'lesson', () => {
  for (const encoding of ENCODINGS) {
    itUses(target, ['receiver.ts', 'asker.ts'], `asker and receiver exchange Chinese text in ${encoding}`, async (t) => {
      // Checks the programs together: the receiver prints each whole datagram with the asker's
      // address and its size in that encoding, the asker prints each reply, and both exit 0.
      const flags = encodingFlags(encoding);
      const { program: receiver, port } = await startListening(t, target, 'receiver.ts', ['--count', '2', ...flags]);
      const asker = start(t, target, 'asker.ts', ['--port', String(port), ...flags]);
      const second = 'second line, second datagram';
      const size = iconv.encode(CHINESE, encoding).length;
      asker.writeLine(CHINESE);
      asker.writeLine(second);
      asker.endInput();
      const [sent] = await sentLines(asker);
      assert.deepEqual(sent, { bytes: size, to: `127.0.0.1:${port}`, port: sent!.port });
      const sender = `127.0.0.1:${sent!.port}`;
      assert.deepEqual(await fromLines(receiver, 2), [
        { sender, bytes: size, text: CHINESE },
        { sender, bytes: second.length, text: second },
      ]);
      const replies = await linesOf(asker, `reply from 127\\.0\\.0\\.1:${port}: (.*)`, 2, 'a line "reply from HOST:PORT: TEXT"');
      assert.deepEqual(
        replies.map((m) => m[1]),
        [replyText(size), replyText(second.length)],
      );
      assert.deepEqual(await asker.exit(), OK);
      assert.deepEqual(await receiver.exit(), OK);
    });
  }

  for (const encoding of ENCODINGS) {
    itUses(target, ['asker.ts'], `asker puts ${encoding} bytes on the wire and decodes a ${encoding} reply`, async (t) => {
      // Checks the asker against a harness socket: the datagram is exactly the encoded message,
      // the "sent" line names the port it came from, and the reply is decoded in the same encoding.
      const harness = await bindUdp(t);
      const asker = start(t, target, 'asker.ts', ['--port', String(harness.port), '--message', CHINESE, ...encodingFlags(encoding)]);
      const question = await nextFrom(harness, asker);
      assert.deepEqual(question.data, iconv.encode(CHINESE, encoding));
      assert.deepEqual(await sentLines(asker), [{ bytes: question.data.length, to: `127.0.0.1:${harness.port}`, port: question.port }]);
      await harness.send(iconv.encode('谢谢，收到了', encoding), question.port, '127.0.0.1');
      await asker.waitFor(new RegExp(`^reply from 127\\.0\\.0\\.1:${harness.port}: 谢谢，收到了$`, 'm'));
      assert.deepEqual(await asker.exit(), OK);
    });
  }

  for (const encoding of ENCODINGS) {
    itUses(
      target,
      ['receiver.ts'],
      `receiver decodes ${encoding} from a harness socket and replies in ${encoding} from its bound port`,
      async (t) => {
        // Checks the receiver against a harness socket: the line shows the sender's address, the
        // size and the text, and the reply's exact bytes come back from the port it bound.
        const { program: receiver, port } = await startListening(t, target, 'receiver.ts', encodingFlags(encoding));
        const harness = await bindUdp(t);
        const message = iconv.encode(CHINESE, encoding);
        await harness.send(message, port, '127.0.0.1');
        assert.deepEqual(await fromLines(receiver), [{ sender: `127.0.0.1:${harness.port}`, bytes: message.length, text: CHINESE }]);
        const reply = await nextFrom(harness, receiver);
        assert.deepEqual(reply, { data: iconv.encode(replyText(message.length), encoding), address: '127.0.0.1', port });
      },
    );
  }

  itUses(target, ['receiver.ts'], 'receiver replies to each sender at its own address and port', async (t) => {
    // Checks recvfrom's second half: two harness sockets send at once, and each gets the reply
    // to its own datagram (a reply sent to the wrong one would leave the other waiting).
    const { program: receiver, port } = await startListening(t, target, 'receiver.ts');
    const [one, two] = [await bindUdp(t), await bindUdp(t)];
    await Promise.all([one.send(Buffer.from('A'), port, '127.0.0.1'), two.send(Buffer.from('BB'), port, '127.0.0.1')]);
    assert.deepEqual((await nextFrom(one, receiver)).data, Buffer.from(replyText(1)));
    assert.deepEqual((await nextFrom(two, receiver)).data, Buffer.from(replyText(2)));
    assert.deepEqual(await drain(one), [], 'one reply per datagram');
    assert.deepEqual(await drain(two), [], 'one reply per datagram');
  });

  itUses(
    target,
    ['receiver.ts'],
    "receiver receives a 3000-byte datagram whole, where the note's recvfrom(1024) kept 1024 bytes",
    async (t) => {
      // Checks that nothing is cut at a buffer size: the printed size, the text and the reply all
      // count the whole datagram, including the characters after byte 1024.
      const { program: receiver, port } = await startListening(t, target, 'receiver.ts');
      const harness = await bindUdp(t);
      const text = `${'数据报'.repeat(333)}end`; // 333 × 9 + 3 = 3000 bytes in utf-8
      await harness.send(Buffer.from(text), port, '127.0.0.1');
      const [line] = await fromLines(receiver);
      assert.deepEqual({ sender: line!.sender, bytes: line!.bytes }, { sender: `127.0.0.1:${harness.port}`, bytes: 3000 });
      assert.ok(line!.text === text, `the printed text is the whole message; it ends in '${line!.text.slice(-12)}'`);
      assert.deepEqual((await nextFrom(harness, receiver)).data, Buffer.from(replyText(3000)));
    },
  );

  itUses(target, ['receiver.ts'], 'receiver receives the largest IPv4 datagram (65507 bytes) whole', async (t) => {
    // Checks the upper bound of one datagram: 65535 minus the IP (20) and UDP (8) headers.
    const { program: receiver, port } = await startListening(t, target, 'receiver.ts');
    const harness = await bindUdp(t);
    await harness.send(Buffer.alloc(65_507, 'u'), port, '127.0.0.1');
    assert.equal((await fromLines(receiver))[0]!.bytes, 65_507);
    assert.deepEqual((await nextFrom(harness, receiver)).data, Buffer.from(replyText(65_507)));
  });

  itUses(target, ['receiver.ts'], 'receiver prints one line per datagram, even an empty one or one with a line break', async (t) => {
    // Checks that an empty datagram (a real UDP message) is received and answered, and that
    // control characters are escaped so every datagram stays on one line.
    const { program: receiver, port } = await startListening(t, target, 'receiver.ts');
    const harness = await bindUdp(t);
    await harness.send(Buffer.alloc(0), port, '127.0.0.1');
    assert.deepEqual((await nextFrom(harness, receiver)).data, Buffer.from(replyText(0)));
    await harness.send(Buffer.from('two\nlines\tand a tab'), port, '127.0.0.1');
    assert.deepEqual((await nextFrom(harness, receiver)).data, Buffer.from(replyText(19)));
    const sender = `127.0.0.1:${harness.port}`;
    assert.deepEqual(await fromLines(receiver, 2), [
      { sender, bytes: 0, text: '' },
      { sender, bytes: 19, text: 'two\\nlines\\tand a tab' },
    ]);
  });

  itUses(
    target,
    ['receiver.ts'],
    'receiver shows control characters, bidi overrides and fake lines from the network escaped',
    async (t) => {
      // Checks the one rule for network text on the receiver: escape sequences, carriage returns,
      // C1 controls, a right-to-left override and a fake "listening on" line are printed escaped, so
      // the output keeps one ready line, one line per datagram and no raw control character.
      const { program: receiver, port } = await startListening(t, target, 'receiver.ts');
      const harness = await bindUdp(t);
      for (const [, text] of HOSTILE) {
        await harness.send(Buffer.from(text), port, '127.0.0.1');
        await nextFrom(harness, receiver); // the reply: one datagram at a time, in order
      }
      const sender = `127.0.0.1:${harness.port}`;
      assert.deepEqual(
        await fromLines(receiver, HOSTILE.length),
        HOSTILE.map(([, text, shown]) => ({ sender, bytes: Buffer.byteLength(text), text: shown })),
      );
      assert.equal(receiver.stdout.match(/^listening on /gm)?.length, 1, `one ready line\n${receiver.stdout}`);
      assert.doesNotMatch(receiver.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u202e]/, 'no raw control character');
    },
  );

  itUses(target, ['asker.ts'], 'asker shows a reply with control characters and a fake line escaped, on one line', async (t) => {
    // Checks the same rule on the asker's side: the reply is the receiver's text, so it is no
    // more trusted than a datagram.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port), '--message', 'say something strange']);
    const question = await nextFrom(harness, asker);
    await harness.send(Buffer.from('\x1b[2J\r\u0085\u202e\nlistening on 6.6.6.6:66\n'), question.port, '127.0.0.1');
    await asker.waitFor(
      new RegExp(`^reply from 127\\.0\\.0\\.1:${harness.port}: ${literal('\\x1b[2J\\r\\x85\\u{202e}\\nlistening on 6.6.6.6:66\\n')}$`, 'm'),
    );
    assert.deepEqual(await asker.exit(), OK);
    assert.doesNotMatch(asker.stdout, /^listening on /m);
  });

  itUses(target, ['receiver.ts'], 'receiver keeps replying after its stdout is closed (| head -1), with no stack trace', async (t) => {
    // Checks a reader that goes away: once the pipe it logs to is closed after the ready line,
    // every log line fails with EPIPE, yet each datagram still gets its reply and the receiver
    // keeps running, with nothing on stderr.
    const { program: receiver, port } = await startListening(t, target, 'receiver.ts');
    await closeOutput(receiver, 'stdout');
    const harness = await bindUdp(t);
    for (const text of ['one', 'two', 'three']) {
      await harness.send(Buffer.from(text), port, '127.0.0.1');
      assert.deepEqual((await nextFrom(harness, receiver)).data, Buffer.from(replyText(text.length)));
    }
    assert.equal(receiver.exitStatus, undefined, `the receiver still runs\n${receiver.transcript()}`);
    assert.equal(receiver.stderr, '');
  });

  itUses(target, ['asker.ts'], 'asker with its stdout closed still asks, takes the reply and exits 0', async (t) => {
    // Checks a client whose output nobody reads: its "sent" and "reply" lines fail with EPIPE,
    // and it finishes its job as usual.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port)]);
    await closeOutput(asker, 'stdout');
    asker.writeLine('first');
    asker.writeLine('second');
    asker.endInput();
    for (const text of ['first', 'second']) {
      const question = await nextFrom(harness, asker);
      assert.deepEqual(question.data, Buffer.from(text));
      await harness.send(Buffer.from('ok'), question.port, '127.0.0.1');
    }
    assert.deepEqual(await asker.exit(), OK, asker.transcript());
    assert.equal(asker.stderr, '');
  });

  itUses(target, ['asker.ts'], 'asker with its stderr closed still skips a message it cannot send and asks the next', async (t) => {
    // Checks the other stream: the line saying a message is too large fails with EPIPE, and
    // the asker goes on with the next line as it would with stderr open.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port)]);
    await closeOutput(asker, 'stderr');
    asker.writeLine('x'.repeat(70_000));
    asker.writeLine('small');
    asker.endInput();
    const question = await nextFrom(harness, asker);
    assert.deepEqual(question.data, Buffer.from('small'));
    await harness.send(Buffer.from('ok'), question.port, '127.0.0.1');
    await asker.waitFor(/^reply from \S+: ok$/m);
    assert.deepEqual(await asker.exit(), OK, asker.transcript());
  });

  itUses(target, ['receiver.ts'], 'receiver --count 2 replies to two datagrams, then exits 0', async (t) => {
    // Checks the bounded mode: two replies, then the socket is closed and the process ends.
    const { program: receiver, port } = await startListening(t, target, 'receiver.ts', ['--count', '2']);
    const harness = await bindUdp(t);
    for (const text of ['one', 'two']) {
      await harness.send(Buffer.from(text), port, '127.0.0.1');
      // Not nextFrom(): the receiver may exit as soon as its second reply has left.
      assert.deepEqual((await harness.next()).data, Buffer.from(replyText(3)));
    }
    assert.deepEqual(await receiver.exit(), OK);
  });

  itUses(target, ['asker.ts'], 'asker receives a reply longer than 1024 bytes whole', async (t) => {
    // Checks the asker's side of the 1024-byte limit: a 3000-byte reply is printed in full.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port), '--message', 'long reply please']);
    const question = await nextFrom(harness, asker);
    const text = '回复'.repeat(500); // 3000 bytes in utf-8
    await harness.send(Buffer.from(text), question.port, '127.0.0.1');
    await asker.waitFor(new RegExp(`^reply from 127\\.0\\.0\\.1:${harness.port}: ${text}$`, 'm'), 'stdout', 'the whole 3000-byte reply');
    assert.deepEqual(await asker.exit(), OK);
  });

  itUses(target, ['asker.ts'], 'asker sends 65507 bytes in one datagram, the most IPv4 allows', async (t) => {
    // Checks the boundary from the sending side: the largest datagram leaves whole.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port), '--message', 'x'.repeat(65_507)]);
    const question = await nextFrom(harness, asker);
    assert.equal(question.data.length, 65_507);
    await harness.send(Buffer.from('ok'), question.port, '127.0.0.1');
    await asker.waitFor(/^reply from \S+: ok$/m);
    assert.deepEqual(await asker.exit(), OK);
  });

  itUses(target, ['asker.ts'], 'asker refuses a message too large for one datagram with one line and exit 1', async (t) => {
    // Checks EMSGSIZE territory: 65508 bytes over IPv4 is refused in one clear line, not a crash,
    // and nothing (not a part of it) is sent.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port), '--message', 'x'.repeat(65_508)]);
    await expectOneLineError(asker, 1, /65507/);
    assert.deepEqual(await drain(harness), [], 'nothing reaches the receiver');
  });

  itUses(target, ['asker.ts'], "asker ignores a datagram from another address and waits for the receiver's reply", async (t) => {
    // Checks the source check: a datagram from another port to the asker's port is reported as
    // ignored, not printed as the reply; the real reply from the receiver's address follows.
    const receiver = await bindUdp(t);
    const intruder = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(receiver.port), '--message', '谁在那儿？']);
    const question = await nextFrom(receiver, asker);
    await intruder.send(Buffer.from('我是冒充的'), question.port, '127.0.0.1');
    await asker.waitFor(
      new RegExp(`^ignored a datagram from 127\\.0\\.0\\.1:${intruder.port} \\(15 bytes\\)`, 'm'),
      'stdout',
      'a line "ignored a datagram from HOST:PORT (N bytes): ..."',
    );
    await receiver.send(Buffer.from('是我'), question.port, '127.0.0.1');
    await asker.waitFor(new RegExp(`^reply from 127\\.0\\.0\\.1:${receiver.port}: 是我$`, 'm'));
    assert.doesNotMatch(asker.stdout, /^reply from .*冒充/m);
    assert.deepEqual(await asker.exit(), OK);
  });

  itUses(target, ['asker.ts'], 'asker gives up with one line and exit 1 when no reply comes within --timeout', async (t) => {
    // Checks the receive timeout: a receiver that stays silent (or a lost datagram) does not
    // leave the asker waiting for ever.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port), '--timeout', '0.5', '--message', 'anyone there?']);
    assert.deepEqual((await harness.next()).data, Buffer.from('anyone there?'));
    await expectOneLineError(asker, 1, /no reply/);
  });

  itUses(target, ['asker.ts'], 'asker keeps working after a message it cannot send, and exits 0 at end of input', async (t) => {
    // Checks interactive input: a line gbk cannot encode and a line too large for a datagram
    // each give one line on stderr and are not sent; the next line is asked and answered.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port), '--encoding', 'gbk']);
    asker.writeLine('hi 🙂');
    asker.writeLine('x'.repeat(70_000));
    asker.writeLine('你好');
    asker.endInput();
    const question = await nextFrom(harness, asker);
    assert.deepEqual(question.data, iconv.encode('你好', 'gbk'), 'the first datagram is the first valid line');
    await harness.send(iconv.encode('好', 'gbk'), question.port, '127.0.0.1');
    await asker.waitFor(/^reply from \S+: 好$/m);
    assert.deepEqual(await asker.exit(), OK);
    assert.equal(asker.stderrLines().length, 2, asker.transcript());
    assert.match(asker.stderrLines()[0]!, /gbk/);
    assert.match(asker.stderrLines()[1]!, /65507/);
    assert.deepEqual(await drain(harness), [], 'only the valid line was sent');
  });

  itUses(target, ['asker.ts'], 'asker exits 0 at once when its input is empty', async (t) => {
    // Checks end of input before any line: nothing to ask, a clean exit.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port)]);
    asker.endInput();
    assert.deepEqual(await asker.exit(), OK);
    assert.equal(asker.stderr, '');
    assert.deepEqual(await drain(harness), [], 'nothing is sent');
  });

  itUses(
    target,
    ['receiver.ts', 'asker.ts'],
    'both programs work over IPv6 loopback (--host ::1), each also against a harness socket',
    async (t) => {
      // Checks udp6: the bracketed ready line, an exchange over ::1, the exact bytes each program
      // sends to a udp6 harness socket, and IPv6's larger datagram limit (65527 bytes).
      if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
      const { program: receiver, port } = await startListening(t, target, 'receiver.ts', ['--host', '::1']);
      assert.match(receiver.stdout, new RegExp(`^listening on \\[::1\\]:${port}$`, 'm'));
      const asker = start(t, target, 'asker.ts', ['--host', '::1', '--port', String(port), '--message', CHINESE]);
      await asker.waitFor(new RegExp(`^reply from \\[::1\\]:${port}: ${literal(replyText(Buffer.byteLength(CHINESE)))}$`, 'm'));
      assert.equal((await fromLines(receiver))[0]!.text, CHINESE);
      assert.deepEqual(await asker.exit(), OK);

      const harness = await bindUdp(t, '::1');
      await harness.send(Buffer.from('v6'), port, '::1');
      assert.deepEqual(await nextFrom(harness, receiver), { data: Buffer.from(replyText(2)), address: '::1', port });
      const big = start(t, target, 'asker.ts', ['--host', '::1', '--port', String(harness.port), '--message', 'x'.repeat(65_527)]);
      const question = await nextFrom(harness, big);
      assert.equal(question.data.length, 65_527);
      await harness.send(Buffer.from('ok'), question.port, '::1');
      await big.waitFor(new RegExp(`^reply from \\[::1\\]:${harness.port}: ok$`, 'm'));
    },
  );

  const ownFlags: [string, BadFlag[]][] = [
    ['receiver.ts', [['a --count that is not a whole number', ['--count', '-1'], /count/]]],
    [
      'asker.ts',
      [
        ['a --timeout that is not a number of seconds', ['--timeout', 'soon'], /timeout/],
        ['a --timeout of 0', ['--timeout', '0'], /timeout/],
      ],
    ],
  ];
  for (const [file, extra] of ownFlags) itRejectsBadFlags(target, file, [...COMMON_BAD_FLAGS, ...extra]);

  itUses(target, ['receiver.ts'], 'receiver reports a UDP port already bound in one line and exits 1', async (t) => {
    // Checks EADDRINUSE: Node's dgram sets SO_REUSEADDR only when asked (reuseAddr), so a second
    // bind of the same UDP port and address fails, and the receiver says so in one line.
    const harness = await bindUdp(t);
    const receiver = start(t, target, 'receiver.ts', ['--port', String(harness.port)]);
    await expectOneLineError(receiver, 1, /in use/);
  });

  itUses(target, ['receiver.ts'], 'receiver binds a UDP port that a TCP server already holds', async (t) => {
    // Checks that ports are per protocol: TCP port P and UDP port P are different ports, so the
    // bind succeeds and datagrams to that port reach the receiver.
    const tcp = await listenTcp(t);
    const { program: receiver, port } = await startListening(t, target, 'receiver.ts', ['--port', String(tcp.port)]);
    assert.equal(port, tcp.port);
    const harness = await bindUdp(t);
    await harness.send(Buffer.from('same number'), port, '127.0.0.1');
    assert.deepEqual((await nextFrom(harness, receiver)).data, Buffer.from(replyText(11)));
    assert.equal((await fromLines(receiver))[0]!.text, 'same number');
  });
});

suite(target, 'exercise', () => {
  it('asker --retries 2 sends the same datagram again after a timeout and prints the reply to the second try', async (t) => {
    // Checks the retry: the harness "loses" the first datagram, the asker says it tries again,
    // resends the identical bytes from the same port, and takes the reply to the second try.
    const harness = await bindUdp(t);
    // 2 s per try leaves the harness time to answer the second try even on a loaded machine.
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port), '--timeout', '2', '--retries', '2', '--message', '喂？']);
    const first = await nextFrom(harness, asker);
    await asker.waitFor(/^no reply within 2 s, trying again \(try 2 of 3\)$/m);
    const second = await nextFrom(harness, asker);
    assert.deepEqual(second, first, 'the same bytes, from the same address and port');
    await harness.send(Buffer.from('在'), second.port, '127.0.0.1');
    await asker.waitFor(new RegExp(`^reply from 127\\.0\\.0\\.1:${harness.port}: 在$`, 'm'));
    assert.deepEqual(await asker.exit(), OK);
    assert.deepEqual(await drain(harness), [], 'no third try after the reply');
  });

  it('asker --retries 2 gives up after three tries with one line and exit 1', async (t) => {
    // Checks the bound: exactly 1 + 2 datagrams, then one line on stderr and exit 1.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', [
      '--port',
      String(harness.port),
      '--timeout',
      '0.3',
      '--retries',
      '2',
      '--message',
      'hello?',
    ]);
    await expectOneLineError(asker, 1, /no reply/);
    assert.match(asker.stdout, /^no reply within 0\.3 s, trying again \(try 3 of 3\)$/m);
    const tries = await drain(harness);
    assert.deepEqual(
      tries.map((d) => d.data.toString()),
      ['hello?', 'hello?', 'hello?'],
    );
  });

  it('asker accepts whole numbers for --retries and rejects anything else with exit 2', async (t) => {
    // Checks the flag contract for the new option: a good value works, bad ones are usage errors.
    const harness = await bindUdp(t);
    const asker = start(t, target, 'asker.ts', ['--port', String(harness.port), '--retries', '1', '--message', 'hi']);
    const question = await nextFrom(harness, asker);
    await harness.send(Buffer.from('hi yourself'), question.port, '127.0.0.1');
    await asker.waitFor(/^reply from \S+: hi yourself$/m);
    assert.deepEqual(await asker.exit(), OK);
    for (const bad of ['two', '-1', '1.5']) {
      const program = start(t, target, 'asker.ts', ['--retries', bad, '--message', 'hi']);
      await expectOneLineError(program, 2, /retries/);
    }
  });
});
