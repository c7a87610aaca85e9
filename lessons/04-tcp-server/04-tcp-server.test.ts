// Tests of lesson 04-tcp-server: server.ts and client.ts against each other and against raw
// harness peers on loopback. Run against another folder with SOCKET_LESSONS_PROGRAMS=DIR,
// and the exercise tests with SOCKET_LESSONS_SUITES=lesson,exercise (see tests/harness.ts).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import iconv from 'iconv-lite';
import {
  COMMON_BAD_FLAGS,
  closeOutput,
  connectTcp,
  describeCut,
  distinctSplits,
  eachAtMost,
  expectNoDataFor,
  expectOneLineError,
  HOSTILE,
  HOSTILE_ENCODING,
  HOSTILE_SHOWN,
  hasIpv6Loopback,
  itRejectsBadFlags,
  itUses,
  lessonTarget,
  listenTcp,
  literal,
  RAW_CONTROL,
  type RunningProgram,
  readToEnd,
  SPLIT_MESSAGES,
  skipIfTooSlowUnderFaults,
  skipUnderFaults,
  start,
  startListening,
  suite,
  unusedPort,
  withTimeout,
  writeBytewise,
  writeSplit,
} from '../../tests/harness.ts';

const target = lessonTarget(import.meta.url);
const CHINESE = '你好，世界！TCP 是字节流';
const REPLY = 'thank you !';
const OK = { code: 0, signal: null };

/** The server's line for a message: `received N bytes from HOST:PORT: TEXT`. */
async function receivedLine(server: RunningProgram): Promise<{ bytes: number; text: string }> {
  // Up to the newline: a 200 000-byte line can be half-way through the pipe, and `$` would match there.
  const match = await server.waitFor(
    /^received (\d+) bytes from \S+: (.*)\n/m,
    'stdout',
    'a line "received N bytes from HOST:PORT: MESSAGE"',
  );
  return { bytes: Number(match[1]), text: match[2]! };
}

suite(target, 'lesson', () => {
  const exchanges: [string, string, string[]][] = [
    ['ASCII text in utf-8', 'hello, server', ['--encoding', 'utf-8']],
    ['Chinese text in the default encoding (gbk)', CHINESE, []],
    ['Chinese text in utf-8', CHINESE, ['--encoding', 'utf-8']],
    ['Chinese text in gb18030', CHINESE, ['--encoding', 'gb18030']],
  ];
  for (const [label, text, flags] of exchanges) {
    it(`client and server exchange ${label}`, async (t) => {
      // Checks: the server prints the whole message with its size in that encoding, the client
      // prints the reply, and both exit 0 (the server stops after its one client).
      const encoding = flags[1] ?? 'gbk';
      const { program: server, port } = await startListening(t, target, 'server.ts', flags);
      const client = start(t, target, 'client.ts', ['--port', String(port), ...flags]);
      client.writeLine(text);
      client.endInput();
      assert.deepEqual(await receivedLine(server), { bytes: iconv.encode(text, encoding).length, text });
      await client.waitFor(new RegExp(`^reply: ${literal(REPLY)}$`, 'm'));
      assert.deepEqual(await client.exit(), OK);
      assert.deepEqual(await server.exit(), OK);
    });
  }

  itUses(
    target,
    ['client.ts'],
    'client puts the exact gbk bytes on the wire, half-closes, and decodes a reply sent one byte at a time',
    async (t) => {
      // Checks the client's side of the framing against a harness server: the bytes are gbk, FIN
      // follows them (readToEnd resolves only on 'end'), and a reply split mid-character survives.
      const harness = await listenTcp(t);
      const client = start(t, target, 'client.ts', ['--port', String(harness.port), '--message', CHINESE]);
      const connection = await harness.next();
      const received = await readToEnd(connection, 'the client to half-close after its message');
      assert.deepEqual(received, iconv.encode(CHINESE, 'gbk'));
      await writeBytewise(connection, iconv.encode('谢谢你！', 'gbk'));
      connection.end();
      await client.waitFor(/^reply: 谢谢你！$/m);
      assert.deepEqual(await client.exit(), OK);
    },
  );

  itUses(target, ['server.ts'], 'server reads the whole message when it arrives one byte per write', async (t) => {
    // Checks the server's framing: it waits for the client's FIN instead of trusting one read
    // (nothing comes back before it), joins characters split across reads, then sends exactly
    // the reply and closes.
    const { program: server, port } = await startListening(t, target, 'server.ts');
    const socket = await connectTcp(t, port);
    const message = iconv.encode(CHINESE, 'gbk');
    await writeBytewise(socket, message);
    await expectNoDataFor(socket, 300, 'the server replied before the client half-closed: it did not wait for the end of the message');
    socket.end();
    const reply = await readToEnd(socket, 'the reply and the server closing the connection');
    assert.deepEqual(reply, iconv.encode(REPLY, 'gbk'));
    assert.deepEqual(await receivedLine(server), { bytes: message.length, text: CHINESE });
    assert.equal(server.stdout.match(/^received /gm)?.length, 1, 'one message, one "received" line');
    assert.deepEqual(await server.exit(), OK);
  });

  itUses(target, ['server.ts'], "server receives a 200 000-byte message whole, where the note's recv(1024) kept 1024 bytes", async (t) => {
    // Checks that nothing is cut at a buffer size: the printed size and text are the whole message.
    if (skipIfTooSlowUnderFaults(t, 200_000)) return;
    const { program: server, port } = await startListening(t, target, 'server.ts', ['--encoding', 'utf-8']);
    const socket = await connectTcp(t, port);
    const text = 'abcdefghij'.repeat(20_000);
    socket.end(text);
    assert.deepEqual(await readToEnd(socket), Buffer.from(REPLY));
    assert.deepEqual(await receivedLine(server), { bytes: text.length, text });
  });

  it('server drops a client whose message passes its 1 MiB limit, and keeps serving', async (t) => {
    // Checks the memory bound: the connection is cut without a reply, the server says why in one
    // line on stderr, and the next client is still served.
    if (skipIfTooSlowUnderFaults(t, 1024 * 1024 + 1)) return;
    const { program: server, port } = await startListening(t, target, 'server.ts', ['--encoding', 'utf-8']);
    const greedy = await connectTcp(t, port);
    greedy.on('error', () => {}); // a reset from the server is one of the expected outcomes
    let replied = 0;
    greedy.on('data', (chunk: Buffer) => (replied += chunk.length));
    greedy.end(Buffer.alloc(1024 * 1024 + 1, 'x'));
    await withTimeout(new Promise((resolve) => greedy.once('close', resolve)), 'the server to drop the connection');
    assert.equal(replied, 0, 'no reply to an over-long message');
    await server.waitFor(/longer than/, 'stderr', 'a line on stderr saying the message was too long');
    const client = start(t, target, 'client.ts', ['--port', String(port), '--encoding', 'utf-8', '--message', 'short']);
    await client.waitFor(/^reply: thank you !$/m);
    assert.deepEqual(await server.exit(), OK);
  });

  it('server survives clients that leave without sending, then serves a real one', async (t) => {
    // Checks that an empty connection (FIN at once) and a reset connection neither crash the
    // server nor count as its one client.
    const why =
      "the rude client's reset follows its data before a relay has read them, and the relay's reads then end as a half-close, which it passes on as one";
    if (skipUnderFaults(t, why)) return;
    const { program: server, port } = await startListening(t, target, 'server.ts', ['--encoding', 'utf-8']);
    const quiet = await connectTcp(t, port);
    quiet.end();
    assert.equal((await readToEnd(quiet)).length, 0, 'nothing is sent to a client that sent nothing');
    const rude = await connectTcp(t, port);
    rude.write('half a mess');
    rude.resetAndDestroy();
    await server.waitFor(/\S/, 'stderr', 'a line on stderr about the connection that was reset');
    const client = start(t, target, 'client.ts', ['--port', String(port), '--encoding', 'utf-8', '--message', 'still there?']);
    await client.waitFor(/^reply: thank you !$/m);
    // Under load the rude client's FIN can beat its reset, and then its bytes are a whole message
    // the server may print (its reply then fails): so look for the real client's line, not the first.
    await server.waitFor(/^received 12 bytes from \S+: still there\?$/m, 'stdout', 'the line for the real client');
    assert.deepEqual(await server.exit(), OK);
    assert.equal(server.exitStatus?.signal, null);
  });

  it('both programs work over IPv6 loopback (--host ::1)', async (t) => {
    // Checks the bracketed ready line and an exchange over ::1; skipped where the machine has no IPv6 loopback.
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    if (skipUnderFaults(t, "it compares the server's ready line with the port the test connects to, which is a relay's")) return;
    const { program: server, port } = await startListening(t, target, 'server.ts', ['--host', '::1']);
    assert.match(server.stdout, new RegExp(`^listening on \\[::1\\]:${port}$`, 'm'));
    const client = start(t, target, 'client.ts', ['--host', '::1', '--port', String(port), '--message', CHINESE]);
    await client.waitFor(/^reply: thank you !$/m);
    assert.equal((await receivedLine(server)).text, CHINESE);
  });

  // ---- split bytes, hostile text, closed output (issue 13) ----

  for (const [encoding, text] of SPLIT_MESSAGES) {
    itUses(
      target,
      ['server.ts'],
      `server decodes a ${encoding} message cut inside a character, between characters, and sent one byte per write`,
      async (t) => {
        // Checks that the message is decoded whole, however the reads cut it: one server per cut
        // (it serves one client), so the cuts that differ (distinctSplits), a few at a time; each
        // server prints exactly the text, with its byte count.
        const bytes = iconv.encode(text, encoding);
        await eachAtMost(3, distinctSplits(bytes, text, encoding), async (pieces) => {
          const { program: server, port } = await startListening(t, target, 'server.ts', ['--encoding', encoding]);
          const socket = await connectTcp(t, port);
          await writeSplit(socket, pieces);
          socket.end();
          assert.deepEqual(await readToEnd(socket), iconv.encode(REPLY, encoding));
          assert.deepEqual(await receivedLine(server), { bytes: bytes.length, text }, describeCut(pieces));
        });
      },
    );

    itUses(
      target,
      ['client.ts'],
      `client decodes a ${encoding} reply cut inside a character, between characters, and sent one byte per write`,
      async (t) => {
        // Checks the client's side of the same rule: one client per cut against a harness server
        // that writes the reply in those pieces; each client prints exactly the reply.
        const bytes = iconv.encode(text, encoding);
        await eachAtMost(3, distinctSplits(bytes, text, encoding), async (pieces) => {
          const harness = await listenTcp(t);
          const client = start(t, target, 'client.ts', ['--port', String(harness.port), '--encoding', encoding, '--message', 'hi']);
          const connection = await harness.next();
          await readToEnd(connection, 'the client to half-close after its message');
          await writeSplit(connection, pieces);
          connection.end();
          await client.waitFor(new RegExp(`^reply: ${literal(text)}$`, 'm'), 'stdout', `the reply, ${describeCut(pieces)}`);
          assert.deepEqual(await client.exit(), OK);
        });
      },
    );
  }

  itUses(
    target,
    ['server.ts'],
    'server shows a message with escapes, a fake ready line and a lone surrogate escaped, on one line',
    async (t) => {
      // Checks that network text cannot draw on the server's terminal: ESC, CR, LF, C1, bidi and a
      // lone surrogate come out escaped, and the only "listening on" line is the server's own.
      const { program: server, port } = await startListening(t, target, 'server.ts', ['--encoding', HOSTILE_ENCODING]);
      const socket = await connectTcp(t, port);
      const message = iconv.encode(HOSTILE, HOSTILE_ENCODING);
      socket.end(message);
      await readToEnd(socket);
      assert.deepEqual(await server.exit(), OK);
      assert.match(server.stdout, new RegExp(`^received ${message.length} bytes from \\S+: ${literal(HOSTILE_SHOWN)}$`, 'm'));
      assert.equal(server.stdout.match(/^listening on /gm)?.length, 1, `one ready line:\n${server.stdout}`);
      assert.doesNotMatch(server.stdout, RAW_CONTROL);
    },
  );

  itUses(
    target,
    ['client.ts'],
    'client shows a reply with escapes, a fake ready line and a lone surrogate escaped, on one line',
    async (t) => {
      // Checks the same rule for the reply the client prints.
      const harness = await listenTcp(t);
      const client = start(t, target, 'client.ts', ['--port', String(harness.port), '--encoding', HOSTILE_ENCODING, '--message', 'hi']);
      const connection = await harness.next();
      await readToEnd(connection);
      connection.end(iconv.encode(HOSTILE, HOSTILE_ENCODING));
      assert.deepEqual(await client.exit(), OK);
      assert.match(client.stdout, new RegExp(`^reply: ${literal(HOSTILE_SHOWN)}$`, 'm'));
      assert.doesNotMatch(client.stdout, /^listening on /m);
      assert.doesNotMatch(client.stdout, RAW_CONTROL);
    },
  );

  itUses(target, ['server.ts'], 'server whose stdout and stderr were closed (| head -1) still serves its client and exits 0', async (t) => {
    // Checks that a reader going away is not the server's error: every log line after it fails
    // with EPIPE, and still the client gets its reply and the server ends as usual, without a crash.
    const { program: server, port } = await startListening(t, target, 'server.ts', ['--encoding', 'utf-8']);
    await closeOutput(server, ['stdout']);
    const socket = await connectTcp(t, port);
    socket.end('still there?');
    assert.deepEqual(await readToEnd(socket, 'the reply with stdout closed'), Buffer.from(REPLY));
    assert.deepEqual(await server.exit(), OK);
    assert.equal(server.stderr, '', 'no stack trace');
  });

  itUses(target, ['client.ts'], 'client whose stdout was closed still sends its message, reads the reply and exits 0', async (t) => {
    // Checks the client's side: its output has nowhere to go, but it finishes its job quietly.
    const harness = await listenTcp(t);
    const client = start(t, target, 'client.ts', ['--port', String(harness.port), '--encoding', 'utf-8', '--message', 'hello']);
    await closeOutput(client, ['stdout']);
    const connection = await harness.next();
    assert.deepEqual(await readToEnd(connection), Buffer.from('hello'));
    connection.end(REPLY);
    assert.deepEqual(await client.exit(), OK);
    assert.equal(client.stderr, '', 'no stack trace');
  });

  for (const file of ['server.ts', 'client.ts']) itRejectsBadFlags(target, file, COMMON_BAD_FLAGS);

  itUses(target, ['server.ts'], 'server reports a port already in use in one line and exits 1', async (t) => {
    // Checks EADDRINUSE handling: one clear line, exit 1, no stack trace.
    const harness = await listenTcp(t);
    const server = start(t, target, 'server.ts', ['--port', String(harness.port)]);
    await expectOneLineError(server, 1, /in use/);
  });

  itUses(target, ['client.ts'], 'client reports "connection refused" in one line and exits 1 when no server listens', async (t) => {
    // Checks ECONNREFUSED handling on a port where nobody listens.
    const port = await unusedPort();
    const client = start(t, target, 'client.ts', ['--port', String(port), '--message', 'anyone?']);
    await expectOneLineError(client, 1, /refused/);
  });

  itUses(target, ['client.ts'], 'client refuses an empty message and text its encoding cannot carry', async (t) => {
    // Checks that the client never sends an empty message (the note's client would then wait
    // forever) nor silently replaces characters gbk lacks with '?'.
    const port = await unusedPort();
    const empty = start(t, target, 'client.ts', ['--port', String(port)]);
    empty.endInput();
    await expectOneLineError(empty, 1, /empty/);
    const emoji = start(t, target, 'client.ts', ['--port', String(port), '--message', 'hi 🙂']);
    await expectOneLineError(emoji, 1, /gbk/);
  });

  itUses(target, ['client.ts'], 'client reports a server that closes without replying', async (t) => {
    // Checks that an empty reply is an error, not a silent success.
    const harness = await listenTcp(t);
    const client = start(t, target, 'client.ts', ['--port', String(harness.port), '--message', 'hello?']);
    const connection = await harness.next();
    await readToEnd(connection);
    connection.end();
    await expectOneLineError(client, 1, /without replying/);
  });
});

suite(target, 'exercise', () => {
  it('server --clients 3 serves three clients one after another, then exits', async (t) => {
    // Checks the exercise: each client gets the reply, the server prints each client's whole
    // message (its framing holds for every client, not only the first), "served K of 3" follows
    // each, and the server exits 0 after the third.
    const { program: server, port } = await startListening(t, target, 'server.ts', ['--clients', '3']);
    for (let k = 1; k <= 3; k++) {
      const client = start(t, target, 'client.ts', ['--port', String(port), '--message', `client ${k}`]);
      await client.waitFor(/^reply: thank you !$/m);
      await server.waitFor(new RegExp(`^served ${k} of 3$`, 'm'));
      assert.match(server.stdout, new RegExp(`^received 8 bytes from \\S+: client ${k}$`, 'm'), `the whole message of client ${k}`);
    }
    assert.deepEqual(await server.exit(), OK);
  });

  it('server --clients 0 keeps serving until it is stopped', async (t) => {
    // Checks "0 means never stop": four clients are served, each message whole, and the server is still running.
    const { program: server, port } = await startListening(t, target, 'server.ts', ['--clients', '0']);
    for (let k = 1; k <= 4; k++) {
      const client = start(t, target, 'client.ts', ['--port', String(port), '--message', `client ${k}`]);
      await client.waitFor(/^reply: thank you !$/m);
      await server.waitFor(new RegExp(`^served ${k}$`, 'm'));
      assert.match(server.stdout, new RegExp(`^received 8 bytes from \\S+: client ${k}$`, 'm'), `the whole message of client ${k}`);
    }
    assert.equal(server.exitStatus, undefined, 'the server must still be running');
  });

  it('server accepts whole numbers for --clients and rejects anything else with exit 2', async (t) => {
    // Checks the flag contract for the new option: a good value starts the server, bad ones are usage errors.
    await startListening(t, target, 'server.ts', ['--clients', '2']);
    for (const bad of ['two', '-1', '1.5']) {
      const program = start(t, target, 'server.ts', ['--port', '0', '--clients', bad]);
      await expectOneLineError(program, 2, /clients/);
    }
  });
});
