// Tests of lesson 03-udp-chat: two copies of chat.ts against each other, and chat.ts against raw
// harness UDP sockets on loopback (exact bytes on the wire, the source port, the half-duplex
// turn-taking). Run against another folder with SOCKET_LESSONS_PROGRAMS=DIR, and the exercise
// tests with SOCKET_LESSONS_SUITES=lesson,exercise (see tests/harness.ts).

import assert from 'node:assert/strict';
import { it, type TestContext } from 'node:test';
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
  lessonTarget,
  literal,
  type RunningProgram,
  start,
  startListening,
  suite,
  type UdpPeer,
} from '../../tests/harness.ts';

const target = lessonTarget(import.meta.url);
const CHINESE = '你好，世界！UDP 数据报';
const OK = { code: 0, signal: null };
const RECEIVED = 'received (\\d+) bytes from (\\S+): (.*)';
const SENT = 'sent (\\d+) bytes to (\\S+)';

async function startChat(t: TestContext, args: string[] = []): Promise<{ chat: RunningProgram; port: number }> {
  const { program, port } = await startListening(t, target, 'chat.ts', args);
  return { chat: program, port };
}

function typeLines(chat: RunningProgram, ...lines: string[]): void {
  for (const line of lines) chat.writeLine(line);
}

/**
 * Waits for the count-th complete stdout line matching `line` (a regex source) and returns its
 * groups. The newline is part of the pattern: a 65 KB line reaches the harness in several chunks.
 */
async function nthLine(chat: RunningProgram, line: string, count: number, what: string): Promise<string[]> {
  const match = await chat.waitFor(new RegExp(`(?:[\\s\\S]*?^${line}\\n){${count}}`, 'm'), 'stdout', what);
  return match.slice(1);
}

/** The count-th `received N bytes from HOST:PORT: TEXT` line, as { bytes, from, text }. */
async function received(chat: RunningProgram, count = 1): Promise<{ bytes: number; from: string; text: string }> {
  const [bytes, from, text] = await nthLine(chat, RECEIVED, count, `received line number ${count}`);
  return { bytes: Number(bytes), from: from!, text: text! };
}

/** The count-th `sent N bytes to HOST:PORT` line, as { bytes, to }. */
async function sent(chat: RunningProgram, count = 1): Promise<{ bytes: number; to: string }> {
  const [bytes, to] = await nthLine(chat, SENT, count, `sent line number ${count}`);
  return { bytes: Number(bytes), to: to! };
}

/** The next datagram at `peer`; fails at once, with its output, if `chat` exits before it comes. */
function nextWhileRunning(peer: UdpPeer, chat: RunningProgram): Promise<Datagram> {
  const exited = chat.exited.then((exit): never => {
    throw new Error(`${chat.name} exited (code ${exit.code}, signal ${exit.signal}) before sending a datagram\n${chat.transcript()}`);
  });
  return Promise.race([peer.next(), exited]);
}

/**
 * Fails if a datagram reaches `peer` within `ms`. Absence has no event to wait for, so this is the
 * one wait on a timer; a correct chat can never fail it.
 */
async function expectNoDatagramFor(peer: UdpPeer, ms: number, failure: string): Promise<void> {
  let arrived: Buffer | undefined;
  const onMessage = (data: Buffer): void => void (arrived ??= data);
  peer.socket.on('message', onMessage);
  await new Promise((resolve) => setTimeout(resolve, ms));
  peer.socket.off('message', onMessage);
  if (arrived) throw new Error(`${failure}; it sent ${JSON.stringify(arrived.toString('utf8'))}`);
}

suite(target, 'lesson', () => {
  it('alice and bob chat both ways in Chinese (utf-8, the default encoding)', async (t) => {
    // Checks the whole note program between two copies: each "sent" line names the peer, each
    // "received" line shows the exact text, its size in utf-8 and the sender's bound port; 0 quits.
    const { chat: alice, port: alicePort } = await startChat(t);
    const { chat: bob, port: bobPort } = await startChat(t);
    const hello = '你好 bob，我是 alice。';
    const answer = '你好 alice！收到。';
    typeLines(alice, '1', hello, '127.0.0.1', String(bobPort));
    assert.deepEqual(await sent(alice), { bytes: Buffer.byteLength(hello), to: `127.0.0.1:${bobPort}` });
    typeLines(bob, '2');
    assert.deepEqual(await received(bob), { bytes: Buffer.byteLength(hello), from: `127.0.0.1:${alicePort}`, text: hello });
    typeLines(bob, '1', answer, '127.0.0.1', String(alicePort), '0');
    await sent(bob);
    typeLines(alice, '2', '0');
    assert.deepEqual(await received(alice), { bytes: Buffer.byteLength(answer), from: `127.0.0.1:${bobPort}`, text: answer });
    assert.deepEqual(await alice.exit(), OK);
    assert.deepEqual(await bob.exit(), OK);
    assert.equal(alice.stderr + bob.stderr, '', 'nothing on stderr');
  });

  for (const encoding of ['utf-8', 'gbk', 'gb2312', 'gb18030']) {
    // gb18030 and utf-8 carry every Unicode character; 𠮷 is 4 bytes in both, and not in gbk.
    const text = encoding === 'gb18030' || encoding === 'utf-8' ? `${CHINESE} 𠮷` : CHINESE;
    it(`chat puts the exact ${encoding} bytes on the wire and decodes ${encoding} bytes from a harness socket`, async (t) => {
      // Checks --encoding at the byte level: what arrives at a raw socket is iconv's encoding of
      // the text, sent from the chat's bound port; bytes in that encoding come back as the same text.
      const { chat, port } = await startChat(t, ['--encoding', encoding]);
      const harness = await bindUdp(t);
      typeLines(chat, '1', text, '127.0.0.1', String(harness.port));
      const datagram = await harness.next();
      assert.deepEqual(datagram.data, iconv.encode(text, encoding));
      assert.deepEqual([datagram.address, datagram.port], ['127.0.0.1', port], 'sent from the port the chat is bound to');
      assert.deepEqual(await sent(chat), { bytes: datagram.data.length, to: `127.0.0.1:${harness.port}` });
      const reply = iconv.encode(`收到：${text}`, encoding);
      await harness.send(reply, port, '127.0.0.1');
      typeLines(chat, '2');
      assert.deepEqual(await received(chat), { bytes: reply.length, from: `127.0.0.1:${harness.port}`, text: `收到：${text}` });
    });
  }

  it("chat receives a 3000-byte message whole, where the note's recvfrom(1024) kept 1024 bytes", async (t) => {
    // Checks that nothing is cut at a buffer size: 1000 Chinese characters, 3000 bytes in utf-8.
    const { chat, port } = await startChat(t);
    const harness = await bindUdp(t);
    const text = `${'数据报'.repeat(333)}完`;
    await harness.send(Buffer.from(text), port, '127.0.0.1');
    typeLines(chat, '2');
    assert.deepEqual(await received(chat), { bytes: 3000, from: `127.0.0.1:${harness.port}`, text });
  });

  it('chat receives a 65507-byte datagram, the largest IPv4 allows, whole', async (t) => {
    // Checks the upper end: the whole of the biggest possible UDP payload is printed.
    const { chat, port } = await startChat(t);
    const harness = await bindUdp(t);
    const text = `${'abcdefg'.repeat(9358)}x`; // 65507 bytes
    await harness.send(Buffer.from(text), port, '127.0.0.1');
    typeLines(chat, '2');
    const line = await received(chat);
    assert.deepEqual({ ...line, text: line.text.length }, { bytes: 65507, from: `127.0.0.1:${harness.port}`, text: 65507 });
    assert.ok(line.text === text, 'the text printed is the text sent');
  });

  it('chat refuses a message too large for one datagram in one line, then sends a 65507-byte one whole', async (t) => {
    // Checks the sender's limit: 65508 bytes is refused before sending (one stderr line, the
    // question is asked again), and exactly 65507 bytes leave as one datagram.
    const { chat } = await startChat(t);
    const harness = await bindUdp(t);
    typeLines(chat, '1', 'x'.repeat(65508));
    await chat.waitFor(/too large for one datagram/, 'stderr', 'a line on stderr saying the message is too large');
    typeLines(chat, 'y'.repeat(65507), '127.0.0.1', String(harness.port));
    const datagram = await harness.next();
    assert.deepEqual(datagram.data, Buffer.alloc(65507, 'y'));
    assert.deepEqual(await sent(chat), { bytes: 65507, to: `127.0.0.1:${harness.port}` });
    assert.equal(chat.stderrLines().length, 1, `exactly one line on stderr:\n${chat.stderr}`);
  });

  it('chat complains about menu choices that do not exist and keeps the menu working', async (t) => {
    // Checks the note's "输入有误，请重新输入" path: each bad choice is one line on stderr, no crash,
    // and the next good choice works.
    const { chat } = await startChat(t);
    const harness = await bindUdp(t);
    typeLines(chat, '7', 'send', '', '1', 'still here', '127.0.0.1', String(harness.port));
    assert.deepEqual((await harness.next()).data, Buffer.from('still here'));
    await sent(chat);
    const lines = chat.stderrLines();
    assert.equal(lines.length, 3, `one line per bad choice:\n${chat.stderr}`);
    for (const line of lines) assert.match(line, /not a menu choice/);
  });

  it('chat asks for the peer port again after a non-numeric, out-of-range, zero or negative port', async (t) => {
    // Checks the note's int(input()) crash is gone: four bad ports, four stderr lines, the message
    // typed before them is kept and sent once a good port is given.
    const { chat } = await startChat(t);
    const harness = await bindUdp(t);
    typeLines(chat, '1', '端口呢？', '127.0.0.1', 'abc', '70000', '0', '-1', String(harness.port));
    assert.deepEqual((await harness.next()).data, Buffer.from('端口呢？'));
    await sent(chat);
    const lines = chat.stderrLines();
    assert.equal(lines.length, 4, `one line per bad port:\n${chat.stderr}`);
    for (const line of lines) assert.match(line, /port/);
  });

  it('chat asks for the peer ip again when it is not an IPv4 address', async (t) => {
    // Checks that a host name, an IPv6 address on an IPv4 chat and a malformed address are each
    // refused in one line and the question asked again.
    const { chat } = await startChat(t);
    const harness = await bindUdp(t);
    typeLines(chat, '1', 'ip?', 'localhost', '::1', '999.0.0.1', '127.0.0.1', String(harness.port));
    assert.deepEqual((await harness.next()).data, Buffer.from('ip?'));
    await sent(chat);
    const lines = chat.stderrLines();
    assert.equal(lines.length, 3, `one line per bad address:\n${chat.stderr}`);
    for (const line of lines) assert.match(line, /IPv4/);
  });

  it('chat refuses an empty message and text its encoding cannot carry, and asks again', async (t) => {
    // Checks that an accidental Enter sends no empty datagram, and that gbk does not silently turn
    // an emoji into '?': the first datagram to arrive is the good message.
    const { chat } = await startChat(t, ['--encoding', 'gbk']);
    const harness = await bindUdp(t);
    typeLines(chat, '1', '', '   ', 'hi 🙂', '好的', '127.0.0.1', String(harness.port));
    assert.deepEqual((await harness.next()).data, iconv.encode('好的', 'gbk'));
    await sent(chat);
    const lines = chat.stderrLines();
    assert.equal(lines.length, 3, `one line per refused message:\n${chat.stderr}`);
    assert.match(lines[0]!, /empty/);
    assert.match(lines[1]!, /empty/);
    assert.match(lines[2]!, /gbk/);
  });

  it('datagrams that arrive while chat is at the menu wait for "2 receive", one per receive, in order', async (t) => {
    // Checks the half-duplex queue: nothing is shown while the chat is busy sending; each "2" shows
    // the oldest waiting datagram; once the queue is empty "2" waits again (and here times out).
    const { chat, port } = await startChat(t, ['--receive-timeout', '0.5']);
    const harness = await bindUdp(t);
    await harness.send(Buffer.from('第一条'), port, '127.0.0.1');
    await harness.send(Buffer.from('第二条'), port, '127.0.0.1');
    typeLines(chat, '1', 'busy sending', '127.0.0.1', String(harness.port));
    await harness.next();
    await sent(chat);
    assert.doesNotMatch(chat.stdout, /^received /m, 'datagrams must not be shown before "2 receive"');
    typeLines(chat, '2', '2', '2');
    assert.equal((await received(chat, 1)).text, '第一条');
    assert.equal((await received(chat, 2)).text, '第二条');
    await chat.waitFor(/^nothing received within 0\.5 s$/m);
    assert.equal(chat.stdout.match(/^received /gm)?.length, 2, 'each datagram shown once');
  });

  it('while "2 receive" waits, chat cannot send: a send typed meanwhile leaves only after a datagram arrives', async (t) => {
    // Checks the blocking receive that makes the chat half-duplex: the send dialogue typed during
    // the wait is not acted on until the awaited datagram has been shown.
    const { chat, port } = await startChat(t);
    const harness = await bindUdp(t);
    typeLines(chat, '2');
    await chat.waitFor(/^waiting for a datagram/m, 'stdout', 'the line "waiting for a datagram ..."');
    typeLines(chat, '1', 'typed while waiting', '127.0.0.1', String(harness.port));
    await expectNoDatagramFor(harness, 500, 'the chat sent while "2 receive" was waiting');
    await harness.send(Buffer.from('your turn'), port, '127.0.0.1');
    assert.equal((await received(chat)).text, 'your turn');
    assert.deepEqual((await harness.next()).data, Buffer.from('typed while waiting'));
    await sent(chat);
    assert.ok(chat.stdout.indexOf('received ') < chat.stdout.indexOf('sent '), 'received before sent');
  });

  it('"2 receive" gives up after --receive-timeout, and a later datagram shows at the next receive', async (t) => {
    // Checks the bound on the wait: a line saying nothing came, then the menu works again.
    const { chat, port } = await startChat(t, ['--receive-timeout', '0.3']);
    const harness = await bindUdp(t);
    typeLines(chat, '2');
    await chat.waitFor(/^nothing received within 0\.3 s$/m);
    await harness.send(Buffer.from('late'), port, '127.0.0.1');
    typeLines(chat, '2', '0');
    assert.deepEqual(await received(chat), { bytes: 4, from: `127.0.0.1:${harness.port}`, text: 'late' });
    assert.deepEqual(await chat.exit(), OK);
  });

  it('chat shows any datagram in one line without crashing: invalid utf-8, empty, newlines, control codes', async (t) => {
    // Checks the note's decode("utf-8") crash is gone: gbk bytes in a utf-8 chat are shown with
    // replacement characters, an empty datagram is a 0-byte message, nc's trailing newline is
    // dropped, and newlines or control codes inside a message are escaped so one message stays one line.
    const { chat, port } = await startChat(t);
    const harness = await bindUdp(t);
    const gbk = iconv.encode('你好', 'gbk');
    await harness.send(gbk, port, '127.0.0.1');
    await harness.send(Buffer.alloc(0), port, '127.0.0.1');
    await harness.send(Buffer.from('from nc\n'), port, '127.0.0.1');
    await harness.send(Buffer.from('line one\nsent 1 bytes to 127.0.0.1:9\x1b[2J'), port, '127.0.0.1');
    typeLines(chat, '2', '2', '2', '2', '0');
    const from = `127.0.0.1:${harness.port}`;
    assert.deepEqual(await received(chat, 1), { bytes: 4, from, text: iconv.decode(gbk, 'utf-8') });
    assert.deepEqual(await received(chat, 2), { bytes: 0, from, text: '' });
    assert.deepEqual(await received(chat, 3), { bytes: 8, from, text: 'from nc' });
    assert.deepEqual(await received(chat, 4), { bytes: 40, from, text: 'line one\\nsent 1 bytes to 127.0.0.1:9\\x1b[2J' });
    assert.deepEqual(await chat.exit(), OK);
    assert.doesNotMatch(chat.stdout, /^sent /m, 'a peer cannot forge an output line');
  });

  it('chat shows C1 controls, carriage returns, bidi overrides and a fake ready line escaped', async (t) => {
    // Checks the one rule for network text beyond the note's newline case: each hostile datagram
    // is one "received" line with its control characters escaped (nc's one trailing newline
    // dropped), the output keeps a single "listening on" line, and no raw control character.
    const { chat, port } = await startChat(t);
    const harness = await bindUdp(t);
    const hostile: [string, string][] = [
      ['\x1b[2J\x1b[Hgone', '\\x1b[2J\\x1b[Hgone'],
      ['harmless\rsent 1 bytes to 127.0.0.1:9', 'harmless\\rsent 1 bytes to 127.0.0.1:9'],
      ['one\u0085two\u009b2J\x7f', 'one\\x85two\\x9b2J\\x7f'],
      ['txt.\u202eexe\u2029', 'txt.\\u{202e}exe\\u{2029}'],
      ['\nlistening on 6.6.6.6:66\n', '\\nlistening on 6.6.6.6:66'],
    ];
    for (const [text] of hostile) await harness.send(Buffer.from(text), port, '127.0.0.1');
    typeLines(chat, ...hostile.map(() => '2'), '0');
    const from = `127.0.0.1:${harness.port}`;
    for (const [i, [text, shown]] of hostile.entries()) {
      assert.deepEqual(await received(chat, i + 1), { bytes: Buffer.byteLength(text), from, text: shown });
    }
    assert.deepEqual(await chat.exit(), OK);
    assert.equal(chat.stdout.match(/^listening on /gm)?.length, 1, `one ready line\n${chat.stdout}`);
    assert.doesNotMatch(chat.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202e]/, 'no raw control character');
  });

  it('chat keeps receiving and sending after its stdout is closed (| head -1), and 0 still exits 0', async (t) => {
    // Checks a reader that goes away: once the pipe it prints to is closed after the ready line,
    // every prompt and line fails with EPIPE, yet "2" still takes a datagram, "1" still sends,
    // and "0" ends the chat with exit 0 and nothing on stderr: no stack trace.
    const { chat, port } = await startChat(t);
    await closeOutput(chat, 'stdout');
    const harness = await bindUdp(t);
    await harness.send(Buffer.from('are you there?'), port, '127.0.0.1');
    typeLines(chat, '2', '1', 'still here', '127.0.0.1', String(harness.port));
    assert.deepEqual((await nextWhileRunning(harness, chat)).data, Buffer.from('still here'));
    typeLines(chat, '0');
    assert.deepEqual(await chat.exit(), OK, chat.transcript());
    assert.equal(chat.stderr, '');
  });

  it('chat with its stderr closed still complains to nobody, sends, and exits 0', async (t) => {
    // Checks the other stream: the lines about a wrong menu choice and an empty message fail
    // with EPIPE, and the chat goes on as it would with stderr open.
    const { chat } = await startChat(t);
    await closeOutput(chat, 'stderr');
    const harness = await bindUdp(t);
    typeLines(chat, '7', '1', '', 'after the complaints', '127.0.0.1', String(harness.port));
    assert.deepEqual((await nextWhileRunning(harness, chat)).data, Buffer.from('after the complaints'));
    await sent(chat);
    typeLines(chat, '0');
    assert.deepEqual(await chat.exit(), OK, chat.transcript());
  });

  it('0 quits with exit 0 while the input is still open', async (t) => {
    // Checks the quit option the note lacks: the chat closes its socket and ends by itself.
    const { chat } = await startChat(t);
    typeLines(chat, '0');
    assert.deepEqual(await chat.exit(), OK);
    assert.equal(chat.stderr, '');
  });

  it('end of input at the menu ends chat with exit 0', async (t) => {
    // Checks that EOF (Ctrl-D, or the end of piped input) is a clean quit, not the note's EOFError.
    const { chat } = await startChat(t);
    chat.endInput();
    assert.deepEqual(await chat.exit(), OK);
    assert.equal(chat.stderr, '');
  });

  it('end of input in the middle of a send dialogue ends chat with exit 0 and sends nothing', async (t) => {
    // Checks EOF after each of the three questions: exit 0, no stderr, no datagram.
    const harness = await bindUdp(t);
    const dialogues = [['1'], ['1', 'unfinished'], ['1', 'unfinished', '127.0.0.1']];
    for (const lines of dialogues) {
      const { chat } = await startChat(t);
      typeLines(chat, ...lines);
      chat.endInput();
      assert.deepEqual(await chat.exit(), OK, `after typing ${JSON.stringify(lines)}`);
      assert.equal(chat.stderr, '');
      assert.doesNotMatch(chat.stdout, /^sent /m);
    }
    await expectNoDatagramFor(harness, 300, 'a chat sent a datagram although its dialogue was cut short');
  });

  it('end of input while "2 receive" waits lets the receive finish, then chat exits 0', async (t) => {
    // Checks that input lines are handled in order: the receive typed before EOF still shows its datagram.
    const { chat, port } = await startChat(t);
    const harness = await bindUdp(t);
    typeLines(chat, '2');
    chat.endInput();
    await chat.waitFor(/^waiting for a datagram/m);
    await harness.send(Buffer.from('just in time'), port, '127.0.0.1');
    assert.equal((await received(chat)).text, 'just in time');
    assert.deepEqual(await chat.exit(), OK);
  });

  it('two chats talk over IPv6 loopback (--host ::1) and refuse an IPv4 peer address', async (t) => {
    // Checks udp6: the bracketed ready line and addresses, and that 127.0.0.1 is refused (a udp6
    // socket bound to ::1 cannot reach it) with the question asked again.
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    const { chat: alice, port: alicePort } = await startChat(t, ['--host', '::1']);
    const { chat: bob, port: bobPort } = await startChat(t, ['--host', '::1']);
    assert.match(alice.stdout, new RegExp(`^listening on ${literal(`[::1]:${alicePort}`)}$`, 'm'));
    typeLines(alice, '1', CHINESE, '127.0.0.1', '::1', String(bobPort));
    assert.deepEqual(await sent(alice), { bytes: Buffer.byteLength(CHINESE), to: `[::1]:${bobPort}` });
    typeLines(bob, '2');
    assert.deepEqual(await received(bob), { bytes: Buffer.byteLength(CHINESE), from: `[::1]:${alicePort}`, text: CHINESE });
    assert.equal(alice.stderrLines().length, 1);
    assert.match(alice.stderrLines()[0]!, /IPv6/);
  });

  const receiveTimeout: BadFlag[] = [
    ['a receive timeout that is not a number', ['--receive-timeout', 'soon'], /receive-timeout/],
    ['a receive timeout of 0', ['--receive-timeout', '0'], /receive-timeout/],
  ];
  itRejectsBadFlags(target, 'chat.ts', [...COMMON_BAD_FLAGS, ...receiveTimeout], { name: 'chat' });

  it('chat reports a UDP port already in use in one line and exits 1', async (t) => {
    // Checks EADDRINUSE on bind: the note's fixed port 7890 meant a second copy on one machine
    // crashed with a traceback; here it is one clear line.
    const harness = await bindUdp(t);
    const chat = start(t, target, 'chat.ts', ['--port', String(harness.port)]);
    await expectOneLineError(chat, 1, /in use/);
  });

  it("chat --help shows the usage with the note's port 7890 and exits 0", async (t) => {
    // Checks that --help documents the default port taken from the note, without binding anything.
    const chat = start(t, target, 'chat.ts', ['--help']);
    assert.deepEqual(await chat.exit(), OK);
    assert.match(chat.stdout, /7890/);
  });
});

suite(target, 'exercise', () => {
  it('3 reply sends to the sender of the last message shown, asking only for the message', async (t) => {
    // Checks the exercise: after "2" shows a harness datagram, "3" and one line of text are enough
    // to answer it; the same "sent" line is printed and the exact bytes arrive at the harness.
    const { chat, port } = await startChat(t);
    const harness = await bindUdp(t);
    await harness.send(Buffer.from('在吗？'), port, '127.0.0.1');
    typeLines(chat, '2', '3', '在，回复你了');
    const datagram = await harness.next();
    assert.deepEqual(datagram.data, Buffer.from('在，回复你了'));
    assert.deepEqual(await sent(chat), { bytes: datagram.data.length, to: `127.0.0.1:${harness.port}` });
    typeLines(chat, '0');
    assert.deepEqual(await chat.exit(), OK);
    assert.equal(chat.stderr, '');
  });

  it('3 reply answers the last message shown by 2 receive, not a newer one still queued', async (t) => {
    // Checks "last shown", not "last arrived": a second peer's datagram waiting in the queue does
    // not change who the reply goes to; after showing it, the next reply goes to the second peer.
    const { chat, port } = await startChat(t);
    const first = await bindUdp(t);
    const second = await bindUdp(t);
    await first.send(Buffer.from('from first'), port, '127.0.0.1');
    await second.send(Buffer.from('from second'), port, '127.0.0.1');
    typeLines(chat, '2', '3', 'to first');
    assert.deepEqual((await first.next()).data, Buffer.from('to first'));
    typeLines(chat, '2', '3', 'to second');
    assert.deepEqual((await second.next()).data, Buffer.from('to second'));
    assert.deepEqual(await sent(chat, 2), { bytes: 9, to: `127.0.0.1:${second.port}` });
  });

  it('3 reply before anything was received says so in one line and goes back to the menu', async (t) => {
    // Checks the empty case: one stderr line, no question asked, and the following "1" dialogue
    // is read as a menu choice and works.
    const { chat } = await startChat(t);
    const harness = await bindUdp(t);
    typeLines(chat, '3', '1', 'normal send', '127.0.0.1', String(harness.port));
    assert.deepEqual((await harness.next()).data, Buffer.from('normal send'));
    const lines = chat.stderrLines();
    assert.equal(lines.length, 1, `one line on stderr:\n${chat.stderr}`);
    assert.match(lines[0]!, /nothing received yet/);
  });

  it('3 reply over IPv6 loopback answers [::1] with the same checks as 1 send', async (t) => {
    // Checks the exercise with udp6 and the message checks: an empty reply is refused and asked again.
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    const { chat, port } = await startChat(t, ['--host', '::1']);
    const harness = await bindUdp(t, '::1');
    await harness.send(Buffer.from('v6?'), port, '::1');
    typeLines(chat, '2', '3', '', 'v6!');
    assert.deepEqual((await harness.next()).data, Buffer.from('v6!'));
    assert.deepEqual(await sent(chat), { bytes: 3, to: `[::1]:${harness.port}` });
    assert.match(chat.stderrLines()[0] ?? '', /empty/);
  });
});
