// Tests of lesson 06-full-duplex-chat: two peer.ts programs against each other, and one peer
// against a raw harness UDP socket that checks the exact bytes on the wire. Run against another
// folder with SOCKET_LESSONS_PROGRAMS=DIR, and the exercise tests with
// SOCKET_LESSONS_SUITES=lesson,exercise (see tests/harness.ts).

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
const OK = { code: 0, signal: null };
const LOOPBACK = '127.0.0.1';

/** A peer on port 0 with `args`; resolves once it has printed its ready line. */
function startPeer(t: TestContext, args: string[] = []): Promise<{ program: RunningProgram; port: number }> {
  return startListening(t, target, 'peer.ts', args);
}

/** `HOST:PORT`, with brackets for IPv6, as the peer prints addresses. */
function address(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Waits for the peer's line for one datagram: `from HOST:PORT: TEXT`. */
function waitForMessage(peer: RunningProgram, host: string, port: number, text: string): Promise<RegExpMatchArray> {
  return peer.waitFor(
    new RegExp(`^from ${literal(address(host, port))}: ${literal(text)}$`, 'm'),
    'stdout',
    `"from ${address(host, port)}: ${text}"`,
  );
}

/** The text of the peer's first line for a datagram from host:port, whatever it says. */
async function messageFrom(peer: RunningProgram, host: string, port: number): Promise<string> {
  const match = await peer.waitFor(
    new RegExp(`^from ${literal(address(host, port))}: (.*)$`, 'm'),
    'stdout',
    `a line "from ${address(host, port)}: TEXT"`,
  );
  return match[1]!;
}

/** Ends the peer's input and checks it exits 0 with nothing on stderr but `stderr` (lines matched in order). */
async function endsCleanly(peer: RunningProgram, stderr: RegExp[] = []): Promise<void> {
  peer.endInput();
  assert.deepEqual(await peer.exit(), OK, `exit status\n${peer.transcript()}`);
  const lines = peer.stderrLines();
  assert.equal(lines.length, stderr.length, `lines on stderr\n${peer.transcript()}`);
  stderr.forEach((pattern, i) => assert.match(lines[i]!, pattern));
}

/** The next datagram at `peer`; fails at once, with its output, if `program` exits before it comes. */
function nextWhileRunning(peer: UdpPeer, program: RunningProgram): Promise<Datagram> {
  const exited = program.exited.then((exit): never => {
    throw new Error(`${program.name} exited (code ${exit.code}, signal ${exit.signal}) before sending a datagram\n${program.transcript()}`);
  });
  return Promise.race([peer.next(), exited]);
}

suite(target, 'lesson', () => {
  it('two peers chat both ways: bob sends first, alice learns his address and answers', async (t) => {
    // Checks the lesson's own pairing (as in the demo): alice has no --peer-port, bob is pointed at
    // her; bob's datagram tells alice where he is, her answer reaches him, both end at end of input.
    const { program: alice, port: alicePort } = await startPeer(t);
    const { program: bob, port: bobPort } = await startPeer(t, ['--peer-port', String(alicePort)]);
    await bob.waitFor(new RegExp(`^talking to ${literal(address(LOOPBACK, alicePort))}$`, 'm'));
    bob.writeLine('你好，alice！我是 bob。');
    await waitForMessage(alice, LOOPBACK, bobPort, '你好，alice！我是 bob。');
    await alice.waitFor(new RegExp(`^talking to ${literal(address(LOOPBACK, bobPort))}$`, 'm'));
    alice.writeLine('你好，bob！收到了。');
    await waitForMessage(bob, LOOPBACK, alicePort, '你好，bob！收到了。');
    await alice.waitFor(
      new RegExp(`^sent ${iconv.encode('你好，bob！收到了。', 'gb2312').length} bytes to ${literal(address(LOOPBACK, bobPort))}$`, 'm'),
    );
    await endsCleanly(alice);
    await endsCleanly(bob);
  });

  const encodings: [string, string[], string, string][] = [
    // encoding, flags, what the peer sends, what the harness sends
    ['gb2312', [], '你好，世界！', '收到，谢谢。'],
    ['utf-8', ['--encoding', 'utf-8'], '你好，世界！🙂', '收到 € 谢谢'],
    ['gbk', ['--encoding', 'gbk'], '你好，們！€', '繁體也行'],
    ['gb2312', ['--encoding', 'gb2312'], '全双工聊天', '半双工不行'],
    ['gb18030', ['--encoding', 'gb18030'], '你好 € 🙂', '四字节 😀'],
  ];
  for (const [encoding, flags, sent, received] of encodings) {
    const which = flags.length === 0 ? ' (no --encoding: the default, as in both notes)' : '';
    it(`peer puts Chinese text on the wire as exact ${encoding} bytes from its bound port and decodes ${encoding} datagrams${which}`, async (t) => {
      // Checks the bytes a harness socket receives (encoding, no line end, no extra bytes), that
      // they come from the port the peer listens on (so an answer reaches it), and the other way:
      // a datagram in that encoding is printed as the same text.
      const harness = await bindUdp(t);
      const { program: peer, port } = await startPeer(t, ['--peer-port', String(harness.port), ...flags]);
      peer.writeLine(sent);
      const datagram = await harness.next();
      assert.equal(datagram.data.toString('hex'), iconv.encode(sent, encoding).toString('hex'), `the bytes on the wire (hex) for ${sent}`);
      assert.equal(datagram.port, port, 'the datagram comes from the port the peer is bound to');
      await peer.waitFor(new RegExp(`^sent ${datagram.data.length} bytes to ${literal(address(LOOPBACK, harness.port))}$`, 'm'));
      await harness.send(iconv.encode(received, encoding), port, LOOPBACK);
      assert.equal(await messageFrom(peer, LOOPBACK, harness.port), received);
      await endsCleanly(peer);
    });
  }

  it('the default encoding is gb2312: 你好 goes out as c4e3bac3', async (t) => {
    // Checks the default against bytes written out by hand rather than computed by iconv-lite.
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--peer-port', String(harness.port)]);
    peer.writeLine('你好');
    assert.equal((await harness.next()).data.toString('hex'), 'c4e3bac3');
    await endsCleanly(peer);
  });

  it('a datagram that arrives before any line is typed is printed at once', async (t) => {
    // Checks full duplex: the peer is waiting for input (stdin open, nothing typed) and still
    // prints the datagram; a half-duplex peer prints it only after its next line.
    const harness = await bindUdp(t);
    const { program: peer, port } = await startPeer(t, ['--encoding', 'utf-8']);
    await harness.send(Buffer.from('有人在吗？'), port, LOOPBACK);
    await waitForMessage(peer, LOOPBACK, harness.port, '有人在吗？');
    await harness.send(Buffer.from('还在等你打字'), port, LOOPBACK);
    await waitForMessage(peer, LOOPBACK, harness.port, '还在等你打字');
    await endsCleanly(peer);
  });

  it('without --peer-port the peer answers whoever sent to it last', async (t) => {
    // Checks learning the partner from the datagram's source address: after A then B have sent,
    // a typed line goes to B, and "talking to" names each new partner.
    const first = await bindUdp(t);
    const second = await bindUdp(t);
    const { program: peer, port } = await startPeer(t, ['--encoding', 'utf-8']);
    await first.send(Buffer.from('I am first'), port, LOOPBACK);
    await peer.waitFor(new RegExp(`^talking to ${literal(address(LOOPBACK, first.port))}$`, 'm'));
    await second.send(Buffer.from('I am second'), port, LOOPBACK);
    await peer.waitFor(new RegExp(`^talking to ${literal(address(LOOPBACK, second.port))}$`, 'm'));
    peer.writeLine('to the second');
    assert.deepEqual((await second.next()).data, Buffer.from('to the second'));
    await endsCleanly(peer);
  });

  it('with --peer-port the partner stays fixed when someone else sends', async (t) => {
    // Checks that a datagram from a stranger is printed but does not redirect the chat.
    const partner = await bindUdp(t);
    const stranger = await bindUdp(t);
    const { program: peer, port } = await startPeer(t, ['--peer-port', String(partner.port), '--encoding', 'utf-8']);
    await stranger.send(Buffer.from('listen to me'), port, LOOPBACK);
    await waitForMessage(peer, LOOPBACK, stranger.port, 'listen to me');
    peer.writeLine('still for my partner');
    assert.deepEqual((await partner.next()).data, Buffer.from('still for my partner'));
    await endsCleanly(peer);
  });

  it('a line typed before any partner is known is not sent, and says so in one line', async (t) => {
    // Checks that the line is neither lost silently nor queued and sent later: the harness's
    // first datagram is the line typed after the peer learnt its partner.
    const harness = await bindUdp(t);
    const { program: peer, port } = await startPeer(t, ['--encoding', 'utf-8']);
    peer.writeLine('anyone?');
    await peer.waitFor(/^peer: .*partner/m, 'stderr', 'a line on stderr saying there is no partner yet');
    await harness.send(Buffer.from('me'), port, LOOPBACK);
    await waitForMessage(peer, LOOPBACK, harness.port, 'me');
    peer.writeLine('hello, you');
    assert.deepEqual((await harness.next()).data, Buffer.from('hello, you'));
    await endsCleanly(peer, [/partner/]);
  });

  it("a 3000-byte datagram, longer than the note's recvfrom(1024), arrives whole", async (t) => {
    // Checks that nothing is cut at 1024 bytes: 1000 Chinese characters in gb2312 are 2000 bytes,
    // plus 1000 ASCII letters, printed whole and in one line.
    const harness = await bindUdp(t);
    const { program: peer, port } = await startPeer(t);
    const text = '长'.repeat(1000) + 'x'.repeat(1000);
    const bytes = iconv.encode(text, 'gb2312');
    assert.equal(bytes.length, 3000);
    await harness.send(bytes, port, LOOPBACK);
    const printed = await messageFrom(peer, LOOPBACK, harness.port);
    assert.equal(printed.length, text.length, 'characters printed for the 3000-byte datagram');
    assert.equal(printed, text);
    await endsCleanly(peer);
  });

  it('a line of 65507 bytes, the most one IPv4 datagram carries, is sent whole', async (t) => {
    // Checks the upper limit: the harness receives all 65507 bytes in one datagram.
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--peer-port', String(harness.port)]);
    peer.writeLine('y'.repeat(65_507));
    const datagram = await harness.next();
    assert.equal(datagram.data.length, 65_507);
    assert.ok(datagram.data.every((byte) => byte === 0x79));
    await endsCleanly(peer);
  });

  it('a line too large for one datagram gives one line on stderr and the chat goes on', async (t) => {
    // Checks 65508 bytes over IPv4: a one-line error naming the limit, nothing sent, no crash;
    // the next line is the harness's first datagram.
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--peer-port', String(harness.port)]);
    peer.writeLine('z'.repeat(65_508));
    await peer.waitFor(/65507/, 'stderr', 'a line on stderr naming the 65507-byte limit');
    peer.writeLine('short');
    assert.deepEqual((await harness.next()).data, Buffer.from('short'));
    assert.doesNotMatch(peer.stdout, /sent 65508/);
    await endsCleanly(peer, [/65507/]);
  });

  it('empty lines and unknown commands are not sent, and // sends a line that begins with /', async (t) => {
    // Checks the input rules: an empty line is skipped, /nope is reported in one line, //etc
    // goes out as /etc; the harness's datagrams are exactly the two real lines, in order.
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--peer-port', String(harness.port), '--encoding', 'utf-8']);
    peer.writeLine('');
    peer.writeLine('/nope');
    peer.writeLine('//etc/hosts is a file');
    peer.writeLine('still here');
    assert.deepEqual((await harness.next()).data, Buffer.from('/etc/hosts is a file'));
    assert.deepEqual((await harness.next()).data, Buffer.from('still here'));
    await endsCleanly(peer, [/nope/]);
  });

  it('a line with characters the encoding cannot carry is refused in one line and the chat goes on', async (t) => {
    // Checks that an emoji is not sent as '?' in gb2312 (iconv-lite's silent replacement).
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--peer-port', String(harness.port)]);
    peer.writeLine('笑 🙂');
    await peer.waitFor(/gb2312/, 'stderr', 'a line on stderr saying gb2312 cannot encode the line');
    peer.writeLine('笑');
    assert.deepEqual((await harness.next()).data, iconv.encode('笑', 'gb2312'));
    await endsCleanly(peer, [/gb2312/]);
  });

  it('a datagram that is not valid in the encoding is printed and flagged in one line on stderr', async (t) => {
    // Checks the encoder/decoder mismatch of the notes made visible: gbk bytes reach a utf-8 peer.
    const harness = await bindUdp(t);
    const { program: peer, port } = await startPeer(t, ['--encoding', 'utf-8']);
    await harness.send(iconv.encode('你好', 'gbk'), port, LOOPBACK);
    await peer.waitFor(/not valid utf-8/, 'stderr', 'a line on stderr saying the datagram is not valid utf-8');
    await peer.waitFor(new RegExp(`^from ${literal(address(LOOPBACK, harness.port))}: `, 'm'));
    await endsCleanly(peer, [/not valid utf-8/]);
  });

  it('a datagram ending in a newline, as nc sends them, prints as one line', async (t) => {
    // Checks that the line end nc puts at the end of a datagram is not printed as an empty line.
    const harness = await bindUdp(t);
    const { program: peer, port } = await startPeer(t, ['--encoding', 'utf-8']);
    await harness.send(Buffer.from('from nc\n'), port, LOOPBACK);
    await waitForMessage(peer, LOOPBACK, harness.port, 'from nc');
    await endsCleanly(peer);
    assert.match(peer.stdout, /: from nc\n(?!\n)/);
  });

  it('a datagram with control characters, a bidi override or a fake line is shown escaped, on one line', async (t) => {
    // Checks the one rule for network text (the notes print recv_data raw): escape sequences,
    // carriage returns, C1 controls, a right-to-left override and a fake "listening on" line are
    // printed escaped (nc's one trailing newline dropped); one ready line, no raw control character.
    const harness = await bindUdp(t);
    const { program: peer, port } = await startPeer(t, ['--encoding', 'utf-8']);
    const hostile: [string, string][] = [
      ['\x1b[2J\x1b[Hgone', '\\x1b[2J\\x1b[Hgone'],
      ['harmless\rsent 1 bytes to 6.6.6.6:66', 'harmless\\rsent 1 bytes to 6.6.6.6:66'],
      ['one\u0085two\u009b2J\x7f', 'one\\x85two\\x9b2J\\x7f'],
      ['txt.\u202eexe\u2028', 'txt.\\u{202e}exe\\u{2028}'],
      ['\nlistening on 6.6.6.6:66\n', '\\nlistening on 6.6.6.6:66'],
    ];
    const from = literal(address(LOOPBACK, harness.port));
    for (const [i, [text, shown]] of hostile.entries()) {
      await harness.send(Buffer.from(text), port, LOOPBACK);
      await peer.waitFor(new RegExp(`(?:^from ${from}: .*\\n[^]*){${i + 1}}`, 'm'), 'stdout', `${i + 1} line(s) "from HOST:PORT: TEXT"`);
      const texts = [...peer.stdout.matchAll(new RegExp(`^from ${from}: (.*)$`, 'gm'))].map((m) => m[1]);
      assert.equal(texts[i], shown, JSON.stringify(text));
    }
    await endsCleanly(peer);
    assert.equal(peer.stdout.match(/^listening on /gm)?.length, 1, `one ready line\n${peer.stdout}`);
    assert.equal(peer.stdout.match(/^from /gm)?.length, hostile.length, 'one line per datagram');
    assert.doesNotMatch(peer.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u202e]/, 'no raw control character');
  });

  it('a peer whose stdout is closed (| head -1) still receives, answers, and exits 0 at end of input', async (t) => {
    // Checks a reader that goes away: once the pipe it prints to is closed after the ready line,
    // the "from" and "talking to" lines fail with EPIPE, yet the peer learns its partner from the
    // datagram (its stderr line about the gbk bytes shows it was handled), sends the typed line
    // there, and ends cleanly with that one line on stderr: no stack trace.
    const harness = await bindUdp(t);
    const { program: peer, port } = await startPeer(t, ['--encoding', 'utf-8']);
    await closeOutput(peer, 'stdout');
    await harness.send(iconv.encode('有人在看吗？', 'gbk'), port, LOOPBACK);
    await peer.waitFor(/not valid utf-8/, 'stderr', 'a line on stderr saying the datagram is not valid utf-8');
    peer.writeLine('I am, but my screen is not');
    assert.deepEqual((await nextWhileRunning(harness, peer)).data, Buffer.from('I am, but my screen is not'));
    await endsCleanly(peer, [/not valid utf-8/]);
  });

  it('a peer whose stderr is closed still refuses an unknown command, sends the next line, and exits 0', async (t) => {
    // Checks the other stream: the one line about /nope fails with EPIPE, and the chat goes on.
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--peer-port', String(harness.port), '--encoding', 'utf-8']);
    await closeOutput(peer, 'stderr');
    peer.writeLine('/nope');
    peer.writeLine('after the complaint');
    assert.deepEqual((await nextWhileRunning(harness, peer)).data, Buffer.from('after the complaint'));
    await peer.waitFor(/^sent 19 bytes to /m);
    peer.endInput();
    assert.deepEqual(await peer.exit(), OK, peer.transcript());
  });

  it('/quit sends what was typed before it, then exits 0 while input is still open', async (t) => {
    // Checks that /quit ends the chat by itself (no end of input needed) without losing the
    // datagram still being sent, and that lines after /quit are not sent.
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--peer-port', String(harness.port), '--encoding', 'utf-8']);
    peer.writeLine('last words');
    peer.writeLine('/quit');
    peer.writeLine('after quit');
    assert.deepEqual((await harness.next()).data, Buffer.from('last words'));
    assert.deepEqual(await peer.exit(), OK);
    assert.deepEqual(peer.stdout.match(/^sent .*$/gm), [`sent 10 bytes to ${address(LOOPBACK, harness.port)}`]);
    assert.deepEqual(peer.stderrLines(), []);
  });

  it('end of input sends what was typed before it, then exits 0', async (t) => {
    // Checks Ctrl-D: the chat ends cleanly, the last line is not lost by closing the socket early.
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--peer-port', String(harness.port), '--encoding', 'utf-8']);
    peer.writeLine('goodbye');
    await endsCleanly(peer);
    assert.deepEqual((await harness.next()).data, Buffer.from('goodbye'));
    assert.match(peer.stdout, new RegExp(`^sent 7 bytes to ${literal(address(LOOPBACK, harness.port))}$`, 'm'));
  });

  it('two peers chat over IPv6 loopback (--host ::1)', async (t) => {
    // Checks udp6: bracketed ready line, --peer-host defaulting to ::1, and learning an IPv6
    // sender; skipped where the machine has no IPv6 loopback.
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    const { program: alice, port: alicePort } = await startPeer(t, ['--host', '::1']);
    assert.match(alice.stdout, new RegExp(`^listening on \\[::1\\]:${alicePort}$`, 'm'));
    const { program: bob, port: bobPort } = await startPeer(t, ['--host', '::1', '--peer-port', String(alicePort)]);
    bob.writeLine('你好，IPv6');
    await waitForMessage(alice, '::1', bobPort, '你好，IPv6');
    alice.writeLine('收到');
    await waitForMessage(bob, '::1', alicePort, '收到');
    await endsCleanly(alice);
    await endsCleanly(bob);
  });

  const peerFlags: BadFlag[] = [
    ['a peer port of 0', ['--port', '0', '--peer-port', '0'], /peer-port/],
    ['an IPv6 --peer-host for an IPv4 socket', ['--port', '0', '--peer-host', '::1', '--peer-port', '9'], /::1/],
  ];
  itRejectsBadFlags(target, 'peer.ts', [...COMMON_BAD_FLAGS, ...peerFlags], { name: 'peer' });

  it('peer reports a port already bound in one line and exits 1', async (t) => {
    // Checks EADDRINUSE on bind: the note's fixed port 8080 taken by another program.
    const harness = await bindUdp(t);
    const peer = start(t, target, 'peer.ts', ['--port', String(harness.port)]);
    await expectOneLineError(peer, 1, /in use/);
  });
});

suite(target, 'exercise', () => {
  it('/to HOST:PORT sends the next lines to that address', async (t) => {
    // Checks the exercise: a peer with no partner is given one by a command, says so, and sends there.
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--encoding', 'utf-8']);
    peer.writeLine(`/to 127.0.0.1:${harness.port}`);
    await peer.waitFor(new RegExp(`^talking to ${literal(address(LOOPBACK, harness.port))}$`, 'm'));
    peer.writeLine('found you');
    assert.deepEqual((await harness.next()).data, Buffer.from('found you'));
    await endsCleanly(peer);
  });

  it('/to switches partners, and the partner it names stays fixed when others send', async (t) => {
    // Checks that /to replaces a learnt partner and ends learning: a datagram from the old
    // partner afterwards does not take the chat back.
    const old = await bindUdp(t);
    const chosen = await bindUdp(t);
    const { program: peer, port } = await startPeer(t, ['--encoding', 'utf-8']);
    await old.send(Buffer.from('hi'), port, LOOPBACK);
    await peer.waitFor(new RegExp(`^talking to ${literal(address(LOOPBACK, old.port))}$`, 'm'));
    peer.writeLine(`/to 127.0.0.1:${chosen.port}`);
    await peer.waitFor(new RegExp(`^talking to ${literal(address(LOOPBACK, chosen.port))}$`, 'm'));
    await old.send(Buffer.from('come back'), port, LOOPBACK);
    await waitForMessage(peer, LOOPBACK, old.port, 'come back');
    peer.writeLine('not you');
    assert.deepEqual((await chosen.next()).data, Buffer.from('not you'));
    await endsCleanly(peer);
  });

  it('/to [::1]:PORT works on an IPv6 peer', async (t) => {
    // Checks the bracketed IPv6 form of the address; skipped where the machine has no IPv6 loopback.
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    const harness = await bindUdp(t, '::1');
    const { program: peer } = await startPeer(t, ['--host', '::1', '--encoding', 'utf-8']);
    peer.writeLine(`/to [::1]:${harness.port}`);
    await peer.waitFor(new RegExp(`^talking to ${literal(address('::1', harness.port))}$`, 'm'));
    peer.writeLine('over six');
    assert.deepEqual((await harness.next()).data, Buffer.from('over six'));
    await endsCleanly(peer);
  });

  it('/to with a bad address says so in one line each and keeps the old partner', async (t) => {
    // Checks the new command's input rules: a missing port, a port out of range, an IPv6 address
    // without brackets and an address of the other IP version are each one line on stderr that
    // names the expected HOST:PORT form, and the chat goes on with the partner it had.
    const harness = await bindUdp(t);
    const { program: peer } = await startPeer(t, ['--peer-port', String(harness.port), '--encoding', 'utf-8']);
    const bad = ['/to 127.0.0.1', '/to 127.0.0.1:70000', '/to ::1:8080', `/to [::1]:${harness.port}`];
    for (const line of bad) peer.writeLine(line);
    peer.writeLine('same partner');
    assert.deepEqual((await harness.next()).data, Buffer.from('same partner'));
    await endsCleanly(
      peer,
      bad.map(() => /HOST:PORT/),
    );
  });
});
