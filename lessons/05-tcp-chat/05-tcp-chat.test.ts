// Tests of lesson 05-tcp-chat: server.ts and client.ts against each other and against raw
// harness peers on loopback. Run against another folder with SOCKET_LESSONS_PROGRAMS=DIR,
// and the exercise tests with SOCKET_LESSONS_SUITES=lesson,exercise (see tests/harness.ts).

import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { it } from 'node:test';
import iconv from 'iconv-lite';
import {
  type BadFlag,
  COMMON_BAD_FLAGS,
  closeOutput,
  connectTcp,
  describeCut,
  expectOneLineError,
  HOSTILE_ENCODING,
  HOSTILE_LINE,
  HOSTILE_LINE_SHOWN,
  hasIpv6Loopback,
  itRejectsBadFlags,
  lessonTarget,
  listenTcp,
  literal,
  RAW_CONTROL,
  type RunningProgram,
  relayed,
  SPLIT_MESSAGES,
  skipUnderFaults,
  splits,
  start,
  startListening,
  suite,
  unusedPort,
  Wire,
  withTimeout,
  writeBytewise,
  writeCoalesced,
  writeSplit,
} from '../../tests/harness.ts';

const target = lessonTarget(import.meta.url);
const CHINESE = '你好，服务器！TCP 是字节流';
const REPLY = '收到。Lines are the framing.';
const OK = { code: 0, signal: null };
const MAX_LINE = 4096;

/** Resolves once `program` has printed exactly `line` as a whole line of stdout. */
function printed(program: RunningProgram, line: string): Promise<RegExpMatchArray> {
  return program.waitFor(new RegExp(`^${literal(line)}$`, 'm'), 'stdout', `the line "${line}"`);
}

/** Resolves once `program` has printed exactly `line`, as a whole line of stdout, `times` times. */
function printedTimes(program: RunningProgram, line: string, times: number): Promise<RegExpMatchArray> {
  return program.waitFor(new RegExp(`(?:^${literal(line)}$[\\s\\S]*?){${times}}`, 'm'), 'stdout', `the line "${line}" ${times} times`);
}

/** The lines of stdout that start with `prefix`, e.g. every message a program printed. */
function linesStarting(program: RunningProgram, prefix: string): string[] {
  return program.stdout.split('\n').filter((line) => line.startsWith(prefix));
}

/** A harness server and the lesson's client connected to it, with a Wire on the connection. */
async function clientAgainstHarness(t: Parameters<typeof start>[0], args: string[] = []) {
  const harness = await listenTcp(t);
  const client = start(t, target, 'client.ts', ['--port', String(harness.port), ...args]);
  const connection = await harness.next();
  return { client, connection, wire: new Wire(connection) };
}

/** The lesson's server on a free port and a harness client connected to it, with a Wire. */
async function serverAgainstHarness(t: Parameters<typeof start>[0], args: string[] = []) {
  const { program: server, port } = await startListening(t, target, 'server.ts', args);
  const socket = await connectTcp(t, port);
  await accepted(server, socket);
  return { server, socket, wire: new Wire(socket) };
}

/**
 * Resolves once the server has printed its "connection from" line for `socket`. Under faults the
 * server's peer is the relay, whose port is not the socket's: any one connection line then.
 */
function accepted(server: RunningProgram, socket: net.Socket): Promise<RegExpMatchArray> {
  if (relayed('tcp')) return server.waitFor(/^connection from 127\.0\.0\.1:\d+$/m, 'stdout', 'a line "connection from 127.0.0.1:PORT"');
  return printed(server, `connection from 127.0.0.1:${socket.localPort}`);
}

/** `text` + "\n" in `encoding`: one message on the wire. */
function lineBytes(text: string, encoding = 'utf-8'): Buffer {
  return iconv.encode(`${text}\n`, encoding);
}

/** One write, awaited until the system has taken it. */
function send(socket: net.Socket, data: string | Buffer): Promise<void> {
  return writeCoalesced(socket, [Buffer.from(data)]);
}

/**
 * Sends `line` with its first character cut in two, so that the program certainly gets the halves
 * in two reads: "first\n" and the character's first byte go in one write, and the rest follows
 * (one byte per write) only once the program has printed "PEER: first", that is, once it has read
 * the half character.
 */
async function sendWithSplitCharacter(
  socket: net.Socket,
  program: RunningProgram,
  peer: string,
  line: string,
  encoding: string,
): Promise<void> {
  const bytes = lineBytes(line, encoding);
  await send(socket, Buffer.concat([lineBytes('first', encoding), bytes.subarray(0, 1)]));
  await printed(program, `${peer}: first`);
  await writeBytewise(socket, bytes.subarray(1));
}

suite(target, 'lesson', () => {
  // ---- the two programs together ----

  it('client and server take turns in utf-8 until the client says bye, and both exit 0', async (t) => {
    // Checks the whole note-style conversation: client first, one line each, bye from the client
    // ends both programs, each message printed as "PEER: TEXT".
    const { program: server, port } = await startListening(t, target, 'server.ts');
    const client = start(t, target, 'client.ts', ['--port', String(port)]);
    client.writeLine(CHINESE);
    await printed(server, `client: ${CHINESE}`);
    server.writeLine(REPLY);
    await printed(client, `server: ${REPLY}`);
    client.writeLine('bye');
    await printed(client, 'you said bye; conversation over');
    await printed(server, 'client: bye');
    await printed(server, 'the client said bye; conversation over');
    assert.deepEqual(await client.exit(), OK);
    assert.deepEqual(await server.exit(), OK);
  });

  it('a bye typed on the server ends the chat for the client too (the note handled bye one way only)', async (t) => {
    // Checks bye in the direction the note forgot: the client prints it, says the chat is over, and
    // both exit 0.
    const { program: server, port } = await startListening(t, target, 'server.ts');
    const client = start(t, target, 'client.ts', ['--port', String(port)]);
    client.writeLine('hello');
    await printed(server, 'client: hello');
    server.writeLine('bye');
    await printed(server, 'you said bye; conversation over');
    await printed(client, 'server: bye');
    await printed(client, 'the server said bye; conversation over');
    assert.deepEqual(await client.exit(), OK);
    assert.deepEqual(await server.exit(), OK);
  });

  it('both programs chat over IPv6 loopback (--host ::1)', async (t) => {
    // Checks the bracketed ready line and a conversation over ::1; skipped where there is no IPv6 loopback.
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    if (skipUnderFaults(t, "it compares the server's ready line with the port the test connects to, which is a relay's")) return;
    const { program: server, port } = await startListening(t, target, 'server.ts', ['--host', '::1']);
    assert.match(server.stdout, new RegExp(`^listening on \\[::1\\]:${port}$`, 'm'));
    const client = start(t, target, 'client.ts', ['--host', '::1', '--port', String(port)]);
    await printed(client, `connected to [::1]:${port}`);
    client.writeLine(CHINESE);
    await printed(server, `client: ${CHINESE}`);
    server.writeLine('bye');
    await printed(client, 'server: bye');
    assert.deepEqual(await client.exit(), OK);
    assert.deepEqual(await server.exit(), OK);
  });

  it('the server says the client left without saying bye when the client is killed, and exits 0', async (t) => {
    // Checks a peer that vanishes (its system closes the connection): one "left" line, no loop of
    // empty messages as the note's recv() of b'' would give, and a clean exit.
    const { program: server, port } = await startListening(t, target, 'server.ts');
    const client = start(t, target, 'client.ts', ['--port', String(port)]);
    client.writeLine('hello');
    await printed(server, 'client: hello');
    await client.stop();
    await printed(server, 'the client left without saying bye');
    assert.deepEqual(await server.exit(), OK);
    assert.deepEqual(linesStarting(server, 'client:'), ['client: hello']);
  });

  it('end of input on the client, at its turn, closes without bye; the server says so; both exit 0', async (t) => {
    // Checks the end-of-input rule: no "bye" is invented, the connection is closed (FIN), and the
    // other side reports a peer that left.
    const { program: server, port } = await startListening(t, target, 'server.ts');
    const client = start(t, target, 'client.ts', ['--port', String(port)]);
    client.endInput();
    await printed(client, 'end of input: leaving without saying bye');
    await printed(server, 'the client left without saying bye');
    assert.deepEqual(linesStarting(server, 'client:'), []);
    assert.deepEqual(await client.exit(), OK);
    assert.deepEqual(await server.exit(), OK);
  });

  it('end of input on the server waits for its turn, then closes without bye; the client says so; both exit 0', async (t) => {
    // Checks that end of input is handled in turn: the server still prints the client's line
    // before it leaves.
    const { program: server, port } = await startListening(t, target, 'server.ts');
    const client = start(t, target, 'client.ts', ['--port', String(port)]);
    await server.waitFor(/^connection from /m, 'stdout', 'the client to connect');
    server.endInput();
    client.writeLine('anyone there?');
    await printed(server, 'client: anyone there?');
    await printed(server, 'end of input: leaving without saying bye');
    await printed(client, 'the server left without saying bye');
    assert.deepEqual(await client.exit(), OK);
    assert.deepEqual(await server.exit(), OK);
  });

  it('the server exits 0 at end of input when no client has connected yet', async (t) => {
    // Checks that a server with nothing left to say does not wait for ever for a client.
    const { program: server } = await startListening(t, target, 'server.ts');
    server.endInput();
    await printed(server, 'end of input before any client connected; not waiting for one');
    assert.deepEqual(await server.exit(), OK);
  });

  // ---- exact bytes on the wire, in each encoding ----

  const encodings: [string, string[]][] = [
    ['utf-8 (the default)', []],
    ['gbk', ['--encoding', 'gbk']],
    ['gb18030', ['--encoding', 'gb18030']],
  ];
  for (const [label, flags] of encodings) {
    const encoding = flags[1] ?? 'utf-8';

    it(`client sends ${label} bytes plus "\\n" per line and decodes a ${label} character split across two reads`, async (t) => {
      // Checks the client's framing and encoding against a harness server: the exact bytes of each
      // typed line, a reply whose first character arrives in two reads (the line is decoded only
      // once its "\n" is in), and bye on the wire followed by FIN.
      const { client, connection, wire } = await clientAgainstHarness(t, flags);
      client.writeLine(CHINESE);
      assert.deepEqual(await wire.line(), lineBytes(CHINESE, encoding));
      await sendWithSplitCharacter(connection, client, 'server', REPLY, encoding);
      await printed(client, `server: ${REPLY}`);
      client.writeLine('bye');
      assert.deepEqual(await wire.line(), lineBytes('bye', encoding));
      assert.deepEqual(await wire.rest('the client to close its side after bye'), Buffer.alloc(0));
      connection.end();
      assert.deepEqual(await client.exit(), OK);
    });

    it(`server decodes a ${label} character split across two reads and sends ${label} bytes plus "\\n" per line`, async (t) => {
      // Checks the server's framing and encoding against a harness client: a line whose first
      // character arrives in two reads, bye one byte per write, and the exact bytes of the reply.
      const { server, socket, wire } = await serverAgainstHarness(t, flags);
      await sendWithSplitCharacter(socket, server, 'client', CHINESE, encoding);
      await printed(server, `client: ${CHINESE}`);
      server.writeLine(REPLY);
      assert.deepEqual(await wire.line(), lineBytes(REPLY, encoding));
      await writeBytewise(socket, lineBytes('bye', encoding));
      await printed(server, 'the client said bye; conversation over');
      assert.deepEqual(await wire.rest('the server to close its side after bye'), Buffer.alloc(0));
      socket.end();
      assert.deepEqual(await server.exit(), OK);
      assert.deepEqual(linesStarting(server, 'client:'), ['client: first', `client: ${CHINESE}`, 'client: bye']);
    });
  }

  // ---- a stream, not messages ----

  it('server reassembles lines that reads cut anywhere: "hello\\nhow ar" + "e you?\\nb" + "ye\\n"', async (t) => {
    // Checks the framing where reads end inside lines: each write waits until the server has
    // printed the line it completed, so the start of the next line is certainly waiting in the
    // server when the rest arrives. One recv() per message, as in the note, would print
    // "hello\nhow ar" as one message and never see "bye".
    const { server, socket } = await serverAgainstHarness(t);
    // #region stream-demo
    await send(socket, 'hello\nhow ar');
    await printed(server, 'client: hello');
    await send(socket, 'e you?\nb');
    await printed(server, 'client: how are you?');
    await send(socket, 'ye\n');
    await printed(server, 'the client said bye; conversation over');
    assert.deepEqual(linesStarting(server, 'client:'), ['client: hello', 'client: how are you?', 'client: bye']);
    // #endregion stream-demo
    socket.end();
    assert.deepEqual(await server.exit(), OK);
  });

  it('server recognises each message and bye when several arrive in one chunk, "\\r\\n" line ends included', async (t) => {
    // Checks coalesced messages (three lines in one write) and a telnet-style "\r\n" line end,
    // which must not hide "bye".
    const { server, socket } = await serverAgainstHarness(t);
    await writeCoalesced(socket, [lineBytes('first'), Buffer.from('second\r\n'), Buffer.from('bye\r\n')]);
    await printed(server, 'the client said bye; conversation over');
    assert.deepEqual(linesStarting(server, 'client:'), ['client: first', 'client: second', 'client: bye']);
    socket.end();
    assert.deepEqual(await server.exit(), OK);
  });

  it('client recognises each message and bye when several arrive in one chunk', async (t) => {
    // Checks coalesced messages on the client side, bye last among them.
    const { client, connection, wire } = await clientAgainstHarness(t);
    client.writeLine('hello');
    await wire.line();
    await writeCoalesced(connection, [lineBytes('one'), lineBytes('two 二'), lineBytes('bye')]);
    await printed(client, 'the server said bye; conversation over');
    assert.deepEqual(linesStarting(client, 'server:'), ['server: one', 'server: two 二', 'server: bye']);
    await wire.rest();
    connection.end();
    assert.deepEqual(await client.exit(), OK);
  });

  it('client treats a last line without "\\n" before the server closes as a message (here: bye)', async (t) => {
    // Checks that the end of the stream ends the last line too, as nc sends it without -C.
    const { client, connection, wire } = await clientAgainstHarness(t);
    client.writeLine('hello');
    await wire.line();
    connection.end('bye');
    await printed(client, 'the server said bye; conversation over');
    assert.deepEqual(linesStarting(client, 'server:'), ['server: bye']);
    assert.deepEqual(await client.exit(), OK);
  });

  it('an empty typed line goes out as "\\n" and counts as a turn', async (t) => {
    // Checks that an empty message is one byte on the wire (the note's send(b'') sends nothing and
    // both sides hang), and that the server's answer to it is then allowed out.
    const { client, connection, wire } = await clientAgainstHarness(t);
    client.writeLine('');
    assert.deepEqual(await wire.line(), Buffer.from('\n'));
    await send(connection, lineBytes(''));
    await printed(client, 'server: ');
    client.writeLine('still here');
    assert.deepEqual(await wire.line(), lineBytes('still here'));
  });

  // ---- turns ----

  it('client holds a line typed out of turn until the server has answered', async (t) => {
    // Checks turn-taking: the second line waits (nothing is sent while the server has not
    // answered), then goes out after the server's line.
    const { client, connection, wire } = await clientAgainstHarness(t);
    client.writeLine('one');
    client.writeLine('two');
    assert.deepEqual(await wire.line(), lineBytes('one'));
    await wire.nothingMoreFor(300, "the client sent its second line before the server's turn was over");
    connection.write(lineBytes('ok'));
    assert.deepEqual(await wire.line(), lineBytes('two'));
  });

  it("server holds a line typed before the client's first line, then sends it", async (t) => {
    // Checks that the client speaks first: the server's early line waits for it.
    const { server, socket, wire } = await serverAgainstHarness(t);
    server.writeLine('early');
    await wire.nothingMoreFor(300, 'the server spoke before the client, out of turn');
    socket.write(lineBytes('hi'));
    assert.deepEqual(await wire.line(), lineBytes('early'));
    await printed(server, 'client: hi');
  });

  it('a second client is refused while the server chats with the first', async (t) => {
    // Checks that the server stops listening once it has its one client, so a second one is told
    // at once instead of waiting unanswered in the backlog.
    if (skipUnderFaults(t, "a relay accepts every connection itself, so the server's refusal reaches the client as a reset")) return;
    const { program: server, port } = await startListening(t, target, 'server.ts');
    const first = await connectTcp(t, port);
    await accepted(server, first);
    const second = net.connect({ host: '127.0.0.1', port });
    t.after(() => second.destroy());
    const [err] = (await withTimeout(once(second, 'error'), 'the second connection to fail')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
  });

  // ---- a peer that leaves, limits, time ----

  it('server says the client left without saying bye when the stream ends, and exits 0 instead of looping on empty reads', async (t) => {
    // Checks the end of stream (FIN) from a harness client: one "left" line, exactly the messages
    // sent, exit 0.
    const { server, socket } = await serverAgainstHarness(t);
    socket.end(lineBytes('hello'));
    await printed(server, 'the client left without saying bye');
    assert.deepEqual(await server.exit(), OK);
    assert.deepEqual(linesStarting(server, 'client:'), ['client: hello']);
  });

  it('client says the server left without saying bye when it closes, and exits 0', async (t) => {
    // Checks the client's side of the same rule.
    const { client, connection, wire } = await clientAgainstHarness(t);
    client.writeLine('hello');
    await wire.line();
    connection.end(lineBytes('I have to go'));
    await printed(client, 'the server left without saying bye');
    assert.deepEqual(await client.exit(), OK);
    assert.deepEqual(linesStarting(client, 'server:'), ['server: I have to go']);
  });

  it(`server accepts a line of ${MAX_LINE} characters and drops a client whose line is longer, in one line, exit 1`, async (t) => {
    // Checks the memory bound: a peer that never sends "\n" is cut off at the limit, with the reason.
    const { server, socket } = await serverAgainstHarness(t);
    socket.on('error', () => {}); // a reset from the server is an expected outcome
    socket.write(lineBytes('x'.repeat(MAX_LINE)));
    await printed(server, `client: ${'x'.repeat(MAX_LINE)}`);
    socket.write('y'.repeat(MAX_LINE + 2));
    await expectOneLineError(server, 1, new RegExp(`longer than ${MAX_LINE}`));
  });

  it(`client refuses to send a line over ${MAX_LINE} characters or one its encoding cannot carry, and keeps its turn`, async (t) => {
    // Checks that a refused line is reported on stderr, not sent, and the next line is sent instead.
    const { client, wire } = await clientAgainstHarness(t, ['--encoding', 'gbk']);
    client.writeLine('z'.repeat(MAX_LINE + 1));
    client.writeLine('smile 🙂');
    client.writeLine('ok');
    assert.deepEqual(await wire.line(), lineBytes('ok', 'gbk'));
    await client.waitFor(/gbk cannot encode/, 'stderr');
    assert.equal(client.stderrLines().length, 2, client.transcript());
    assert.match(client.stderrLines()[0]!, /not sent.*longer than 4096/);
  });

  it('server gives up with one line and exit 1 when the client is silent past --timeout', async (t) => {
    // Checks the bounded wait on the peer's turn, which the note's recv() does not have.
    const { server } = await serverAgainstHarness(t, ['--timeout', '1']);
    await expectOneLineError(server, 1, /silent for 1 s/);
  });

  it('client gives up with one line and exit 1 when the server is silent past --timeout', async (t) => {
    // Checks the same bound on the client, after it has spoken.
    const { client, wire } = await clientAgainstHarness(t, ['--timeout', '1']);
    client.writeLine('hello?');
    await wire.line();
    await expectOneLineError(client, 1, /silent for 1 s/);
  });

  it('after bye the client waits at most --timeout for the server to close, then exits 0', async (t) => {
    // Checks that the wait for the peer's close is bounded too (the harness server never closes).
    const { client, wire } = await clientAgainstHarness(t, ['--timeout', '1']);
    client.writeLine('bye');
    assert.deepEqual(await wire.line(), lineBytes('bye'));
    await printed(client, 'the server did not close the connection within 1 s; closing it');
    assert.deepEqual(await client.exit(), OK);
  });

  // ---- split bytes, hostile text, closed output (issue 13) ----

  for (const [encoding, text] of SPLIT_MESSAGES) {
    it(`server decodes a ${encoding} line split at every byte offset and sent one byte per write`, async (t) => {
      // Checks the server's framing and decoding on one connection: the line (its "\n" included)
      // is cut at each offset, every piece read before the next is sent, and each time the server
      // prints exactly the text; then bye still ends the chat.
      const { server, socket } = await serverAgainstHarness(t, ['--encoding', encoding]);
      const ways = splits(lineBytes(text, encoding));
      for (const [k, pieces] of ways.entries()) {
        await writeSplit(socket, pieces);
        await printedTimes(server, `client: ${text}`, k + 1).catch((err: Error) => assert.fail(`${describeCut(pieces)}: ${err.message}`));
      }
      await writeSplit(socket, [lineBytes('bye', encoding)]);
      await printed(server, 'the client said bye; conversation over');
      socket.end();
      assert.deepEqual(await server.exit(), OK);
      assert.deepEqual(linesStarting(server, 'client:'), [...ways.map(() => `client: ${text}`), 'client: bye']);
    });

    it(`client decodes a ${encoding} line split at every byte offset and sent one byte per write`, async (t) => {
      // Checks the same on the client: the harness server sends the line cut every way, and the
      // client prints exactly the text each time, then takes bye.
      const { client, connection, wire } = await clientAgainstHarness(t, ['--encoding', encoding]);
      client.writeLine('hi');
      assert.deepEqual(await wire.line(), lineBytes('hi', encoding));
      const ways = splits(lineBytes(text, encoding));
      for (const [k, pieces] of ways.entries()) {
        await writeSplit(connection, pieces);
        await printedTimes(client, `server: ${text}`, k + 1).catch((err: Error) => assert.fail(`${describeCut(pieces)}: ${err.message}`));
      }
      await writeSplit(connection, [lineBytes('bye', encoding)]);
      await printed(client, 'the server said bye; conversation over');
      await wire.rest('the client to close its side after bye');
      connection.end();
      assert.deepEqual(await client.exit(), OK);
      assert.deepEqual(linesStarting(client, 'server:'), [...ways.map(() => `server: ${text}`), 'server: bye']);
    });
  }

  it('server shows escapes, a carriage-return fake ready line and a lone surrogate escaped, on one line', async (t) => {
    // Checks that the client's text cannot draw on the server's terminal: ESC, CR, VT, NEL, C1, bidi
    // and a lone surrogate come out escaped, and a fake ready line sent as its own message stays a
    // "client:" line, so the only line that starts with "listening on" is the server's own.
    const { server, socket } = await serverAgainstHarness(t, ['--encoding', HOSTILE_ENCODING]);
    await send(socket, Buffer.concat([lineBytes(HOSTILE_LINE, HOSTILE_ENCODING), lineBytes('listening on 6.6.6.6:66')]));
    await printed(server, 'client: listening on 6.6.6.6:66');
    assert.match(server.stdout, new RegExp(`^client: ${literal(HOSTILE_LINE_SHOWN)}$`, 'm'));
    assert.equal(server.stdout.match(/^listening on /gm)?.length, 1, `one ready line:\n${server.stdout}`);
    assert.doesNotMatch(server.stdout, RAW_CONTROL);
  });

  it('client shows escapes, a carriage-return fake ready line and a lone surrogate escaped, on one line', async (t) => {
    // Checks the same rule for the lines the client prints.
    const { client, connection, wire } = await clientAgainstHarness(t, ['--encoding', HOSTILE_ENCODING]);
    client.writeLine('hi');
    await wire.line();
    await send(connection, lineBytes(HOSTILE_LINE, HOSTILE_ENCODING));
    await client.waitFor(/^server: /m);
    assert.match(client.stdout, new RegExp(`^server: ${literal(HOSTILE_LINE_SHOWN)}$`, 'm'));
    assert.doesNotMatch(client.stdout, /^listening on /m);
    assert.doesNotMatch(client.stdout, RAW_CONTROL);
  });

  it('server whose stdout was closed (| head -1) still chats with its client to bye, and exits 0', async (t) => {
    // Checks that a reader going away is not the server's error: every line it prints fails with
    // EPIPE, and still it hears the client, sends what its user typed, and ends at bye, no crash.
    const { program: server, port } = await startListening(t, target, 'server.ts');
    await closeOutput(server, ['stdout']);
    const wire = new Wire(await connectTcp(t, port));
    await send(wire.socket, lineBytes('hello'));
    server.writeLine('hi back');
    assert.deepEqual(await wire.line(), lineBytes('hi back'));
    await send(wire.socket, lineBytes('bye'));
    assert.deepEqual(await wire.rest('the server to close its side after bye'), Buffer.alloc(0));
    wire.socket.end();
    assert.deepEqual(await server.exit(), OK);
    assert.equal(server.stderr, '', 'no stack trace');
  });

  it('client whose stdout was closed still chats to bye and exits 0', async (t) => {
    // Checks the client's side: its output has nowhere to go, but it sends, hears bye and ends quietly.
    const { client, connection, wire } = await clientAgainstHarness(t);
    await closeOutput(client, ['stdout']);
    client.writeLine('hello');
    assert.deepEqual(await wire.line(), lineBytes('hello'));
    await send(connection, lineBytes('bye'));
    assert.deepEqual(await wire.rest('the client to close its side after bye'), Buffer.alloc(0));
    connection.end();
    assert.deepEqual(await client.exit(), OK);
    assert.equal(client.stderr, '', 'no stack trace');
  });

  it('both programs refuse an encoding in which "\\n" is not the byte 0x0a, with exit 2', async (t) => {
    // Checks that lines are never cut on bytes where 0x0a can sit inside a character (utf-16).
    for (const file of ['server.ts', 'client.ts']) {
      await expectOneLineError(start(t, target, file, ['--encoding', 'utf-16le']), 2, /utf-16le/);
    }
  });

  // ---- flags and errors a user can cause ----

  const timeout: BadFlag = ['a timeout that is not a whole number of seconds', ['--timeout', 'soon'], /timeout/];
  for (const file of ['server.ts', 'client.ts']) itRejectsBadFlags(target, file, [...COMMON_BAD_FLAGS, timeout]);

  it('server reports a port already in use in one line and exits 1', async (t) => {
    // Checks EADDRINUSE handling: one clear line, exit 1, no stack trace.
    const harness = await listenTcp(t);
    const server = start(t, target, 'server.ts', ['--port', String(harness.port)]);
    await expectOneLineError(server, 1, /in use/);
  });

  it('client reports "connection refused" in one line and exits 1 when no server listens', async (t) => {
    // Checks ECONNREFUSED handling on a port where nobody listens.
    const port = await unusedPort();
    const client = start(t, target, 'client.ts', ['--port', String(port)]);
    await expectOneLineError(client, 1, /refused/);
  });
});

/** One length-prefixed message: a 4-byte big-endian byte count, then the text in `encoding`. */
function framed(text: string, encoding = 'utf-8'): Buffer {
  const body = iconv.encode(text, encoding);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}

suite(target, 'exercise', () => {
  it('client --framing length sends a 4-byte big-endian byte count before each message, and no newline', async (t) => {
    // Checks the exercise's wire format from the client, and a framed reply arriving one byte per write.
    const { client, connection, wire } = await clientAgainstHarness(t, ['--framing', 'length', '--encoding', 'gbk']);
    client.writeLine(CHINESE);
    const expected = framed(CHINESE, 'gbk');
    assert.deepEqual(await wire.bytesOf(expected.length), expected);
    await writeBytewise(connection, framed(REPLY, 'gbk'));
    await printed(client, `server: ${REPLY}`);
    client.writeLine('bye');
    assert.deepEqual(await wire.rest('bye and then the end of the stream'), framed('bye', 'gbk'));
    connection.end();
    assert.deepEqual(await client.exit(), OK);
  });

  it('server --framing length reads messages split into single bytes or several in one chunk', async (t) => {
    // Checks the receiving side: a prefix and text split anywhere, then three messages coalesced,
    // the last one bye; and the exact framed reply.
    const { server, socket, wire } = await serverAgainstHarness(t, ['--framing', 'length']);
    await writeBytewise(socket, framed(CHINESE));
    await printed(server, `client: ${CHINESE}`);
    server.writeLine(REPLY);
    const expected = framed(REPLY);
    assert.deepEqual(await wire.bytesOf(expected.length), expected);
    await writeCoalesced(socket, [framed('one'), framed(''), framed('bye')]);
    await printed(server, 'the client said bye; conversation over');
    assert.deepEqual(linesStarting(server, 'client:'), [`client: ${CHINESE}`, 'client: one', 'client: ', 'client: bye']);
    socket.end();
    assert.deepEqual(await server.exit(), OK);
  });

  it('client and server chat with --framing length until bye, and both exit 0', async (t) => {
    // Checks that the two solution programs agree with each other on the new framing.
    const { program: server, port } = await startListening(t, target, 'server.ts', ['--framing', 'length']);
    const client = start(t, target, 'client.ts', ['--port', String(port), '--framing', 'length']);
    client.writeLine(CHINESE);
    await printed(server, `client: ${CHINESE}`);
    server.writeLine('bye');
    await printed(client, 'the server said bye; conversation over');
    assert.deepEqual(await client.exit(), OK);
    assert.deepEqual(await server.exit(), OK);
  });

  it('server --framing length refuses a byte count over its limit at once, in one line, exit 1', async (t) => {
    // Checks that the prefix is checked before any body is awaited: 4 GiB is announced, none sent.
    const { server, socket } = await serverAgainstHarness(t, ['--framing', 'length']);
    socket.on('error', () => {});
    socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await expectOneLineError(server, 1, /longer than/);
  });

  it('server --framing length reports a stream that ends in the middle of a message, in one line, exit 1', async (t) => {
    // Checks that a cut-off message is an error and not printed as if it were whole.
    const { server, socket } = await serverAgainstHarness(t, ['--framing', 'length']);
    socket.end(framed('hello').subarray(0, 6));
    await expectOneLineError(server, 1, /middle of a message/);
    assert.deepEqual(linesStarting(server, 'client:'), []);
  });

  it('both programs accept --framing line and length and reject any other value with exit 2', async (t) => {
    // Checks the new flag's contract: line (the default) and length start, anything else is a usage error.
    const { port } = await startListening(t, target, 'server.ts', ['--framing', 'line']);
    assert.ok(port > 0);
    await startListening(t, target, 'server.ts', ['--framing', 'length']);
    for (const file of ['server.ts', 'client.ts']) {
      await expectOneLineError(start(t, target, file, ['--framing', 'morse']), 2, /framing/);
    }
  });
});
