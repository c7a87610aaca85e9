// Tests of lesson 08-file-downloader: server.ts and client.ts against each other and against raw
// harness peers on loopback, with files made for each test in a temporary folder. Run against
// another folder with SOCKET_LESSONS_PROGRAMS=DIR, and the exercise tests with
// SOCKET_LESSONS_SUITES=lesson,exercise (see tests/harness.ts).

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, watch } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
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
  HOSTILE_ENCODING,
  HOSTILE_LINE,
  HOSTILE_LINE_SHOWN,
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
  splits,
  start,
  startCommand,
  startListening,
  suite,
  unusedPort,
  withTimeout,
  writeBytewise,
  writeCoalesced,
  writeSplit,
} from '../../tests/harness.ts';

const target = lessonTarget(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PREFIX = '[接收]';
const MiB = 1024 * 1024;
const OK = { code: 0, signal: null };

// ---- local helpers: temporary folders, file contents, raw requests ----

interface Tree {
  dir: string; // the temporary folder, holding root/, out/ and secret.txt
  root: string; // what the server serves (--root)
  out: string; // where the client saves (--out), created by the client
}

/** A fresh temporary folder for one test, removed when the test ends. */
async function tree(t: TestContext, files: Record<string, Buffer | string> = {}): Promise<Tree> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lesson08-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'root');
  await mkdir(root);
  await writeFile(path.join(dir, 'secret.txt'), 'SECRET: outside the root');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
  return { dir, root, out: path.join(dir, 'out') };
}

/** `size` bytes of a repeatable pseudo-random pattern: a lost, doubled or shifted chunk shows. */
function pattern(size: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

function assertSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  let at = 0;
  while (at < Math.min(actual.length, expected.length) && actual[at] === expected[at]) at++;
  assert.fail(`${what}: ${actual.length} bytes where ${expected.length} were expected; first difference at byte ${at}`);
}

async function startServer(t: TestContext, root: string, args: string[] = []): Promise<{ server: RunningProgram; port: number }> {
  const { program, port } = await startListening(t, target, 'server.ts', ['--root', root, ...args]);
  return { server: program, port };
}

function download(t: TestContext, port: number, name: string, out: string, args: string[] = []): RunningProgram {
  return start(t, target, 'client.ts', ['--port', String(port), '--name', name, '--out', out, ...args]);
}

/** The files in --out (none when the client never made the folder): temporary files count too. */
async function saved(out: string): Promise<string[]> {
  return existsSync(out) ? (await readdir(out)).sort() : [];
}

/** Sends `request` from a raw harness socket, half-closes, and returns everything the server sent. */
async function ask(t: TestContext, port: number, request: Buffer | string): Promise<Buffer> {
  const socket = await connectTcp(t, port);
  socket.end(request);
  return readToEnd(socket, 'the server to answer and close');
}

/** Exactly `n` bytes from the socket; fails if it ends first. */
function readExactly(socket: net.Socket, n: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  return withTimeout(
    new Promise<Buffer>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        length += chunk.length;
        if (length >= n) {
          cleanup();
          const all = Buffer.concat(chunks);
          if (all.length > n) socket.unshift(all.subarray(n));
          resolve(all.subarray(0, n));
        }
      };
      const onEnd = (): void => {
        cleanup();
        reject(
          new Error(
            `the connection ended after ${length} of the ${n} bytes of ${what}: ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 80))}`,
          ),
        );
      };
      const cleanup = (): void => {
        socket.off('data', onData).off('end', onEnd).off('close', onEnd);
        socket.pause();
      };
      socket.on('data', onData).on('end', onEnd).on('close', onEnd);
      if (socket.readableEnded || socket.destroyed)
        onEnd(); // it ended while nobody was reading
      else socket.resume();
    }),
    what,
  );
}

/** The rest of a socket that readExactly() left paused, up to the peer's FIN. */
function readRest(socket: net.Socket, what: string): Promise<Buffer> {
  const rest = readToEnd(socket, what); // attaches its listeners at once
  socket.resume();
  return rest;
}

/** The header and body the protocol puts on the wire for a file. */
function okResponse(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`OK ${body.length}\n`), body]);
}

/** Asserts a refusal: one line "ERR CODE REASON\n", nothing after it. */
function assertRefusal(response: Buffer, code: string): void {
  const text = response.toString('utf8');
  assert.match(
    text,
    new RegExp(`^ERR ${code} \\S[^\\n]*\\n$`),
    `expected one line "ERR ${code} REASON", got ${JSON.stringify(text.slice(0, 200))}`,
  );
}

/**
 * A harness proxy between the client and server.ts that kills the server (SIGKILL) once `after`
 * bytes of the answer have passed, then forwards whatever the system still delivers, and the
 * end of the connection (FIN or reset) as the client's own.
 */
async function killingProxy(t: TestContext, server: RunningProgram, serverPort: number, after: number) {
  const proxy = await listenTcp(t);
  const stats = { forwarded: 0, killed: false };
  const done = (async () => {
    const downstream = await proxy.next();
    const upstream = await connectTcp(t, serverPort);
    downstream.pipe(upstream); // the request and the client's FIN
    upstream.on('data', (chunk: Buffer) => {
      stats.forwarded += chunk.length;
      downstream.write(chunk);
      if (stats.forwarded >= after && !stats.killed) {
        stats.killed = true;
        upstream.pause();
        server.signal('SIGKILL');
        void server.exited.then(() => upstream.resume());
      }
    });
    upstream.on('end', () => downstream.end());
    upstream.on('error', () => downstream.resetAndDestroy());
  })();
  return { port: proxy.port, stats, done };
}

/** Resolves once a temporary `.part` file shows up in `out` (which must exist): the download has begun. */
async function partFileIn(out: string): Promise<void> {
  const watcher = watch(out);
  try {
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (readdirSync(out).some((name) => name.endsWith('.part'))) resolve();
        };
        watcher.on('change', check);
        check();
      }),
      `a .part file in ${out}`,
    );
  } finally {
    watcher.close();
  }
}

suite(target, 'lesson', () => {
  // ---- client and server together ----

  const sizes: [string, number][] = [
    ['an empty (0-byte)', 0],
    ['a 1-byte', 1],
    ['a 1023-byte', 1023],
    ['a 1024-byte', 1024],
    ['a 1025-byte', 1025],
    ['a 6 MiB + 3-byte', 6 * MiB + 3],
  ];
  for (const [label, size] of sizes) {
    itUses(target, ['server.ts', 'client.ts'], `client and server move ${label} file byte-exact`, async (t) => {
      // Checks the whole exchange at a size around the note's recv(1024) or far beyond it: the
      // saved file equals the served one, nothing else is left in --out (no temporary file), the
      // client prints one summary line and nothing on stderr (no terminal, no progress bar).
      const body = pattern(size, size + 1);
      const { root, out } = await tree(t, { 'data.bin': body });
      const { server, port } = await startServer(t, root);
      const client = download(t, port, 'data.bin', out);
      assert.deepEqual(await client.exit(), OK, client.transcript());
      assertSameBytes(await readFile(path.join(out, `${PREFIX}data.bin`)), body, 'the saved file');
      assert.deepEqual(await saved(out), [`${PREFIX}data.bin`]);
      assert.match(client.stdout, new RegExp(`^saved ${literal(path.join(out, `${PREFIX}data.bin`))} \\(${size} bytes`, 'm'));
      assert.equal(client.stdout.match(/^saved /gm)?.length, 1, 'one summary line');
      assert.equal(client.stderr, '', 'nothing on stderr without a terminal');
      await server.waitFor(new RegExp(`^sent "data\\.bin" to \\S+: ${size} bytes$`, 'm'));
    });
  }

  itUses(
    target,
    ['server.ts', 'client.ts'],
    'client downloads a file with a Chinese name from a subfolder and saves it as [接收]NAME in --out',
    async (t) => {
      // Checks utf-8 names on the wire and the saved name: the folder part is dropped, the note's prefix kept.
      const text = '你好，世界！文件下载器\n';
      const { root, out } = await tree(t, { '中文目录/你好.txt': text });
      const { server, port } = await startServer(t, root);
      const client = download(t, port, '中文目录/你好.txt', out);
      assert.deepEqual(await client.exit(), OK, client.transcript());
      assert.equal(await readFile(path.join(out, `${PREFIX}你好.txt`), 'utf8'), text);
      assert.deepEqual(await saved(out), [`${PREFIX}你好.txt`]);
      await server.waitFor(/^sent "中文目录\/你好\.txt" to /m);
    },
  );

  itUses(target, ['server.ts', 'client.ts'], 'client and server agree on gbk file names with --encoding gbk on both sides', async (t) => {
    // Checks that --encoding changes how the name travels, on both sides alike.
    const { root, out } = await tree(t, { '下载.txt': 'gbk name\n' });
    const { port } = await startServer(t, root, ['--encoding', 'gbk']);
    const client = download(t, port, '下载.txt', out, ['--encoding', 'gbk']);
    assert.deepEqual(await client.exit(), OK, client.transcript());
    assert.equal(await readFile(path.join(out, `${PREFIX}下载.txt`), 'utf8'), 'gbk name\n');
  });

  itUses(
    target,
    ['server.ts', 'client.ts'],
    'client reads the file name from its first input line and exits 0 at end of input',
    async (t) => {
      // Checks the note's way of asking for the name (input()), then a clean exit.
      const { root, out } = await tree(t, { 'hello.txt': 'hello\n' });
      const { port } = await startServer(t, root);
      const client = start(t, target, 'client.ts', ['--port', String(port), '--out', out]);
      client.writeLine('hello.txt');
      client.endInput();
      assert.deepEqual(await client.exit(), OK, client.transcript());
      assert.equal(await readFile(path.join(out, `${PREFIX}hello.txt`), 'utf8'), 'hello\n');
    },
  );

  itUses(target, ['server.ts', 'client.ts'], 'client reports a missing file in one line, exits 1, and leaves no file', async (t) => {
    // Checks the case the note's client met in silence: the server's "not-found" reaches the user.
    const { root, out } = await tree(t, { 'hello.txt': 'hello\n' });
    const { server, port } = await startServer(t, root);
    const client = download(t, port, 'nope.txt', out);
    await expectOneLineError(client, 1, /nope\.txt.*not-found/);
    assert.deepEqual(await saved(out), []);
    await server.waitFor(/^refused "nope\.txt" to \S+: not-found: /m);
  });

  itUses(
    target,
    ['server.ts', 'client.ts'],
    "client reports a name the server refuses ('../secret.txt') in one line, exits 1, and leaves no file",
    async (t) => {
      // Checks a refusal other than not-found end to end, and that nothing is saved anywhere.
      const { dir, root, out } = await tree(t);
      const { port } = await startServer(t, root);
      const client = download(t, port, '../secret.txt', out);
      await expectOneLineError(client, 1, /forbidden/);
      assert.deepEqual(await saved(out), []);
      assert.deepEqual((await readdir(dir)).sort(), ['root', 'secret.txt']);
    },
  );

  itUses(target, ['server.ts', 'client.ts'], 'two clients download different files at the same time, both byte-exact', async (t) => {
    // Checks that concurrent transfers do not mix: each client gets its own file whole.
    const [a, b] = [pattern(3 * MiB + 11, 7), pattern(4 * MiB + 5, 8)];
    const { root, out } = await tree(t, { 'a.bin': a, '甲乙/b.bin': b });
    const { port } = await startServer(t, root);
    const first = download(t, port, 'a.bin', out);
    const second = download(t, port, '甲乙/b.bin', out);
    assert.deepEqual(await Promise.all([first.exit(), second.exit()]), [OK, OK]);
    assertSameBytes(await readFile(path.join(out, `${PREFIX}a.bin`)), a, "the first client's file");
    assertSameBytes(await readFile(path.join(out, `${PREFIX}b.bin`)), b, "the second client's file");
    assert.deepEqual(await saved(out), [`${PREFIX}a.bin`, `${PREFIX}b.bin`]);
  });

  itUses(
    target,
    ['server.ts', 'client.ts'],
    'a server killed mid-transfer leaves the client with a one-line error, exit 1, and no file',
    async (t) => {
      // Checks the end of a transfer that did not finish: a proxy kills server.ts after 1 MiB of a
      // 32 MiB file; the client must not take the end of the connection for the end of the file.
      const size = 32 * MiB;
      const { root, out } = await tree(t, { 'big.bin': pattern(size) });
      const { server, port } = await startServer(t, root);
      const proxy = await killingProxy(t, server, port, MiB);
      const client = download(t, proxy.port, 'big.bin', out);
      await expectOneLineError(client, 1, /\d+ of 33554432 bytes|reset|closed/);
      assert.ok(
        proxy.stats.killed && proxy.stats.forwarded < size,
        `the server was killed mid-transfer (forwarded ${proxy.stats.forwarded})`,
      );
      assert.deepEqual(await saved(out), []);
    },
  );

  itUses(target, ['server.ts', 'client.ts'], 'both programs work over IPv6 loopback (--host ::1)', async (t) => {
    // Checks the bracketed ready line and a download over ::1; skipped where the machine has no IPv6 loopback.
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    const { root, out } = await tree(t, { 'six.txt': 'over IPv6\n' });
    const { server, port } = await startServer(t, root, ['--host', '::1']);
    assert.match(server.stdout, new RegExp(`^listening on \\[::1\\]:${port}$`, 'm'));
    const client = download(t, port, 'six.txt', out, ['--host', '::1']);
    assert.deepEqual(await client.exit(), OK, client.transcript());
    assert.equal(await readFile(path.join(out, `${PREFIX}six.txt`), 'utf8'), 'over IPv6\n');
  });

  itUses(target, ['server.ts', 'client.ts'], 'client draws a progress bar with bytes, percent and speed on a terminal', async (t) => {
    // Checks the terminal branch through `script`, which gives the client a pseudo-terminal:
    // carriage-return redraws ending at 100%, then the summary line.
    if (process.platform !== 'linux' || !existsSync('/usr/bin/script')) return t.skip('needs util-linux script(1) for a pseudo-terminal');
    const { root, out } = await tree(t, { 'bar.bin': pattern(2 * MiB) });
    const { port } = await startServer(t, root);
    // A folder may name its own command for the client (programs.json, for programs not in TypeScript).
    const custom = target.commands.get('client.ts');
    const program = custom ?? [process.execPath, '--import', 'tsx', path.join(target.dir, 'client.ts')];
    const command = [...program, '--port', String(port), '--name', 'bar.bin', '--out', out].map((arg) => `'${arg}'`).join(' ');
    const terminal = startCommand(
      t,
      'client.ts in a terminal',
      ['/usr/bin/script', '-qfec', command, '/dev/null'],
      custom ? target.dir : REPO_ROOT,
    );
    const { code } = await terminal.exit();
    const output = terminal.stdout;
    assert.equal(code, 0, output);
    assert.match(output, /\r[^\r\n]*100%[^\r\n]*2\.0 MiB[^\r\n]*\/s/, `a redrawn bar ending at 100%:\n${JSON.stringify(output)}`);
    assert.match(output, /^saved .* \(2097152 bytes/m);
  });

  // ---- server.ts against a raw harness client: the bytes on the wire ----

  itUses(
    target,
    ['server.ts'],
    'server answers "OK SIZE\\n" and exactly the file\'s bytes to a request sent one byte per write, without waiting for FIN',
    async (t) => {
      // Checks the server's framing both ways: the request line may arrive in pieces and ends at
      // its LF (no FIN needed); the answer is the header and exactly SIZE bytes; after the
      // client's FIN the server closes without sending anything more.
      const body = pattern(1025, 3);
      const { root } = await tree(t, { 'file.bin': body });
      const { port } = await startServer(t, root);
      const socket = await connectTcp(t, port);
      await writeBytewise(socket, Buffer.from('file.'));
      await expectNoDataFor(socket, 300, 'the server answered before the LF: it took part of the name for all of it');
      await writeBytewise(socket, Buffer.from('bin\n'));
      const expected = okResponse(body);
      assertSameBytes(await readExactly(socket, expected.length, 'the answer'), expected, 'the answer');
      socket.end();
      assert.equal((await readRest(socket, 'the server closing')).length, 0, 'nothing after the announced bytes');
    },
  );

  itUses(
    target,
    ['server.ts'],
    'server answers an empty file with "OK 0\\n" and a missing one with "ERR not-found", and keeps serving',
    async (t) => {
      // Checks the distinction the note could not make (empty and missing both sent nothing), and
      // that a refusal does not stop the server.
      const { root } = await tree(t, { 'empty.txt': '' });
      const { server, port } = await startServer(t, root);
      assert.equal((await ask(t, port, 'empty.txt\n')).toString(), 'OK 0\n');
      assertRefusal(await ask(t, port, 'missing.txt\n'), 'not-found');
      assert.equal((await ask(t, port, 'empty.txt\n')).toString(), 'OK 0\n');
      assert.equal(server.exitStatus, undefined, 'the server is still running');
    },
  );

  itUses(target, ['server.ts'], 'server decodes a gbk request line when started with --encoding gbk', async (t) => {
    // Checks the name's bytes on the wire in gbk: 你好.txt is 8 bytes, not utf-8's 10.
    const { root } = await tree(t, { '你好.txt': 'ni hao' });
    const { port } = await startServer(t, root, ['--encoding', 'gbk']);
    const answer = await ask(t, port, Buffer.concat([iconv.encode('你好.txt', 'gbk'), Buffer.from('\n')]));
    assert.equal(answer.toString(), 'OK 6\nni hao');
  });

  const refusals: [string, (tree: Tree) => Promise<Buffer | string>, string][] = [
    ['an absolute path (/etc/passwd)', async () => '/etc/passwd\n', 'forbidden'],
    ['an absolute path to a file inside the root', async ({ root }) => `${path.join(root, 'hello.txt')}\n`, 'forbidden'],
    ["a name starting with '..' (../secret.txt)", async () => '../secret.txt\n', 'forbidden'],
    ["'..' inside a name (sub/../../secret.txt)", async () => 'sub/../../secret.txt\n', 'forbidden'],
    ['a NUL byte in the name (hello.txt NUL .png)', async () => 'hello.txt\0.png\n', 'bad-request'],
    [
      'a symlink that leaves the root (link.txt -> ../secret.txt)',
      async ({ root }) => {
        await symlink('../secret.txt', path.join(root, 'link.txt'));
        return 'link.txt\n';
      },
      'forbidden',
    ],
    [
      'a name through a symlinked folder that leaves the root (up/secret.txt)',
      async ({ dir, root }) => {
        await symlink(dir, path.join(root, 'up'));
        return 'up/secret.txt\n';
      },
      'forbidden',
    ],
    ['a directory (sub)', async () => 'sub\n', 'not-a-file'],
    ['the root itself (.)', async () => '.\n', 'not-a-file'],
    ['an empty name', async () => '\n', 'bad-request'],
    ['a name that is not valid utf-8 (bytes ff fe)', async () => Buffer.from([0xff, 0xfe, 0x0a]), 'bad-request'],
  ];
  for (const [label, request, code] of refusals) {
    itUses(target, ['server.ts'], `server refuses ${label} with "ERR ${code}"`, async (t) => {
      // Checks that the name is refused with one header line and the connection closed, that no
      // byte of any file follows, and that the server logs the refusal.
      const fixture = await tree(t, { 'hello.txt': 'hello\n', 'sub/inner.txt': 'inner\n' });
      const { server, port } = await startServer(t, fixture.root);
      const answer = await ask(t, port, await request(fixture));
      assertRefusal(answer, code);
      assert.doesNotMatch(answer.toString('latin1'), /SECRET|root:/);
      await server.waitFor(new RegExp(`^refused .* to \\S+: ${code}: `, 'm'));
    });
  }

  itUses(target, ['server.ts'], 'server takes a 1023-byte name and refuses a 1024-byte one with "ERR too-long"', async (t) => {
    // Checks the request limit at its edge: the request line, LF included, is at most 1024 bytes.
    const longest = `${'d'.repeat(200)}/`.repeat(4) + 'f'.repeat(1023 - 4 * 201);
    assert.equal(Buffer.byteLength(longest), 1023);
    const { root } = await tree(t, { [longest]: 'deep' });
    const { port } = await startServer(t, root);
    assert.equal((await ask(t, port, `${longest}\n`)).toString(), 'OK 4\ndeep');
    assertRefusal(await ask(t, port, `${longest}x\n`), 'too-long');
  });

  itUses(target, ['server.ts'], 'server refuses an endless request line with "ERR too-long" without waiting for its end', async (t) => {
    // Checks the bounded buffer: 4000 bytes with no LF and no FIN get an answer and a close, not
    // an ever-growing buffer or a wait.
    const { root } = await tree(t);
    const { port } = await startServer(t, root);
    const socket = await connectTcp(t, port);
    socket.write('a'.repeat(4000));
    assertRefusal(await readToEnd(socket, 'the refusal and the server closing'), 'too-long');
  });

  itUses(target, ['server.ts'], 'server refuses a request that ends (FIN) before its LF with "ERR bad-request"', async (t) => {
    // Checks that the end of the stream is not taken for the end of the name.
    const { root } = await tree(t, { 'hello.txt': 'hello\n' });
    const { port } = await startServer(t, root);
    assertRefusal(await ask(t, port, 'hello.txt'), 'bad-request');
  });

  itUses(target, ['server.ts', 'client.ts'], 'server serves a second client while the first one is stalled mid-transfer', async (t) => {
    // Checks that clients are served at once, not one after another as in the note: a raw
    // client reads the start of a 16 MiB file and stops reading; client.ts must still be served;
    // then the first transfer resumes and completes byte-exact.
    const big = pattern(16 * MiB, 5);
    const { root, out } = await tree(t, { 'big.bin': big, 'small.txt': 'small\n' });
    const { port } = await startServer(t, root);
    const stalled = await connectTcp(t, port);
    stalled.end('big.bin\n');
    const head = await readExactly(stalled, 64 * 1024, 'the start of the big file');
    const client = download(t, port, 'small.txt', out);
    assert.deepEqual(await client.exit(), OK, client.transcript());
    assert.equal(await readFile(path.join(out, `${PREFIX}small.txt`), 'utf8'), 'small\n');
    const rest = await readRest(stalled, 'the rest of the big file');
    assertSameBytes(Buffer.concat([head, rest]), okResponse(big), "the stalled client's answer");
  });

  itUses(target, ['server.ts'], 'server reads no further into the file than a stalled client lets it', async (t) => {
    // Checks the send loop's backpressure: a raw client asks for a 32 MiB file and reads nothing.
    // For 2 s the server may have read from the file only what the socket and the system's
    // buffers hold (at most 12 MiB, counted by the kernel in /proc/PID/io), not the whole file;
    // then the client reads everything, and it is byte-exact.
    if (!existsSync('/proc/self/io')) return t.skip('needs /proc/PID/io (Linux)');
    const big = pattern(32 * MiB, 13);
    const { root } = await tree(t, { 'big.bin': big });
    const { server, port } = await startServer(t, root);
    const bytesRead = (): number => Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${server.pid}/io`, 'utf8'))?.[1]);
    const before = bytesRead();
    const stalled = await connectTcp(t, port);
    stalled.pause();
    stalled.end('big.bin\n');
    await server.waitFor(/asked for "big\.bin"/);
    let read = 0;
    // Not a wait for an event: the time the server is given to read too far, 20 looks 100 ms apart.
    for (let look = 0; look < 20 && read <= 12 * MiB; look++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      read = bytesRead() - before;
    }
    assert.ok(read <= 12 * MiB, `the server read ${read} bytes while its client read nothing`);
    assertSameBytes(await readRest(stalled, 'the whole answer'), okResponse(big), "the stalled client's answer");
  });

  // ---- client.ts against a raw harness server ----

  itUses(
    target,
    ['client.ts'],
    'client sends exactly "NAME\\n" in utf-8, half-closes, and keeps body bytes that share the header\'s chunk',
    async (t) => {
      // Checks the client's request on the wire, then an answer written in one piece with its FIN:
      // header and body arrive in one chunk, and the body's bytes must not be lost with the header.
      const harness = await listenTcp(t);
      const { out } = await tree(t);
      const client = download(t, harness.port, '文件夹/报告.txt', out);
      const connection = await harness.next();
      assert.deepEqual(await readToEnd(connection, "the request and the client's FIN"), Buffer.from('文件夹/报告.txt\n'));
      connection.end(okResponse(Buffer.from('在同一个数据块里')));
      assert.deepEqual(await client.exit(), OK, client.transcript());
      assert.equal(await readFile(path.join(out, `${PREFIX}报告.txt`), 'utf8'), '在同一个数据块里');
    },
  );

  itUses(target, ['client.ts'], 'client sends the name in gbk with --encoding gbk', async (t) => {
    // Checks the request bytes when the encoding is not the default.
    const harness = await listenTcp(t);
    const { out } = await tree(t);
    const client = download(t, harness.port, '你好.txt', out, ['--encoding', 'gbk']);
    const connection = await harness.next();
    assert.deepEqual(await readToEnd(connection), Buffer.concat([iconv.encode('你好.txt', 'gbk'), Buffer.from('\n')]));
    connection.end('OK 2\nok');
    assert.deepEqual(await client.exit(), OK, client.transcript());
  });

  itUses(target, ['client.ts'], 'client saves an answer that arrives one byte per write, header included', async (t) => {
    // Checks the header parser and the body's framing when every byte is its own chunk.
    const harness = await listenTcp(t);
    const { out } = await tree(t);
    const body = pattern(1025, 9);
    const client = download(t, harness.port, 'slow.bin', out);
    const connection = await harness.next();
    await readToEnd(connection);
    await writeBytewise(connection, okResponse(body));
    connection.end();
    assert.deepEqual(await client.exit(), OK, client.transcript());
    assertSameBytes(await readFile(path.join(out, `${PREFIX}slow.bin`)), body, 'the saved file');
  });

  itUses(target, ['client.ts'], 'client reports a connection closed after 1000 of 5000 bytes, exits 1, and leaves no file', async (t) => {
    // Checks that an early FIN is a failed transfer, not a shorter file, and that the temporary
    // file is removed.
    const harness = await listenTcp(t);
    const { out } = await tree(t);
    const client = download(t, harness.port, 'cut.bin', out);
    const connection = await harness.next();
    await readToEnd(connection);
    connection.end(Buffer.concat([Buffer.from('OK 5000\n'), pattern(1000)]));
    await expectOneLineError(client, 1, /1000 of 5000/);
    assert.deepEqual(await saved(out), []);
  });

  itUses(target, ['client.ts'], 'client reports a connection reset mid-transfer, exits 1, and leaves no file', async (t) => {
    // Checks the other way a transfer breaks: a reset (RST) after part of the body.
    const harness = await listenTcp(t);
    const { out } = await tree(t);
    const client = download(t, harness.port, 'reset.bin', out);
    const connection = await harness.next();
    await readToEnd(connection);
    connection.write(Buffer.concat([Buffer.from('OK 5000\n'), pattern(1000)]));
    await client.waitFor(/^receiving 5000 bytes/m);
    connection.resetAndDestroy();
    await expectOneLineError(client, 1, /reset|closed|of 5000/);
    assert.deepEqual(await saved(out), []);
  });

  itUses(target, ['client.ts'], 'client rejects a server that sends more bytes than it announced, and leaves no file', async (t) => {
    // Checks that the announced size is exact both ways: "OK 3" followed by 6 bytes is a protocol error.
    const harness = await listenTcp(t);
    const { out } = await tree(t);
    const client = download(t, harness.port, 'more.txt', out);
    const connection = await harness.next();
    await readToEnd(connection);
    connection.end('OK 3\nabcdef');
    await expectOneLineError(client, 1, /more than/);
    assert.deepEqual(await saved(out), []);
  });

  itUses(target, ['client.ts'], 'client rejects a header that is not "OK SIZE" or "ERR CODE REASON", or that never ends', async (t) => {
    // Checks the header parser's limits: an unknown header, and 300 bytes without an LF (the
    // client must stop reading at its bound instead of waiting or buffering on).
    const harness = await listenTcp(t);
    const { out } = await tree(t);
    const odd = download(t, harness.port, 'odd.txt', out);
    const first = await harness.next();
    await readToEnd(first);
    first.end('HTTP/1.1 200 OK\r\n\r\nhello');
    await expectOneLineError(odd, 1, /header/);
    const endless = download(t, harness.port, 'endless.txt', out);
    const second = await harness.next();
    await readToEnd(second);
    second.write(`OK ${'1'.repeat(300)}`);
    await expectOneLineError(endless, 1, /header/);
    assert.deepEqual(await saved(out), []);
  });

  itUses(target, ['client.ts'], 'client reports a server that closes without answering', async (t) => {
    // Checks that silence and a close are an error, not an empty file.
    const harness = await listenTcp(t);
    const { out } = await tree(t);
    const client = download(t, harness.port, 'hello.txt', out);
    const connection = await harness.next();
    await readToEnd(connection);
    connection.end();
    await expectOneLineError(client, 1, /without answering/);
    assert.deepEqual(await saved(out), []);
  });

  itUses(target, ['client.ts'], "client saves inside --out even when a server accepts '../' in the name", async (t) => {
    // Checks the client's own guard: the saved name is the prefix and the name's last part, so a
    // careless or hostile server cannot make it write elsewhere.
    const harness = await listenTcp(t);
    const { dir, out } = await tree(t);
    const client = download(t, harness.port, '../../escape.txt', out);
    const connection = await harness.next();
    await readToEnd(connection);
    connection.end('OK 4\nevil');
    assert.deepEqual(await client.exit(), OK, client.transcript());
    assert.deepEqual(await saved(out), [`${PREFIX}escape.txt`]);
    assert.deepEqual((await readdir(dir)).sort(), ['out', 'root', 'secret.txt']);
  });

  // ---- split bytes, hostile text, closed output, signals (issue 13) ----

  for (const [encoding, text] of SPLIT_MESSAGES) {
    itUses(
      target,
      ['server.ts'],
      `server decodes a ${encoding} file name split at every byte offset and sent one byte per write`,
      async (t) => {
        // Checks that the request line is decoded whole, however the reads cut it: one connection
        // per cut, each piece read by the server before the next is sent, and each time the file of
        // exactly that name is found and sent.
        const { root } = await tree(t, { [text]: 'found\n' });
        const { server, port } = await startServer(t, root, ['--encoding', encoding]);
        const ways = splits(iconv.encode(`${text}\n`, encoding));
        await eachAtMost(4, ways, async (pieces) => {
          const socket = await connectTcp(t, port);
          await writeSplit(socket, pieces);
          socket.end();
          assert.equal((await readToEnd(socket)).toString(), 'OK 6\nfound\n', describeCut(pieces));
        });
        await server.waitFor(new RegExp(`(?:^sent "${literal(text)}" to \\S+: 6 bytes$[\\s\\S]*?){${ways.length}}`, 'm'));
      },
    );

    itUses(
      target,
      ['client.ts'],
      `client sends a ${encoding} name and saves an answer cut inside a character, around the newline, and sent one byte per write`,
      async (t) => {
        // Checks the client's side: the name's exact bytes on the wire, then the header and a body
        // of text in that encoding, cut where cuts differ (distinctSplits: inside the widest
        // character, between two, on each side of the header's newline, one byte per write); one
        // client per cut, and each saves exactly the body as [接收]NAME.
        const body = iconv.encode(text, encoding);
        const answer = okResponse(body);
        const ways = distinctSplits(answer, `${answer.subarray(0, answer.length - body.length).toString('latin1')}${text}`, encoding);
        await eachAtMost(3, ways, async (pieces) => {
          const harness = await listenTcp(t);
          const { out } = await tree(t);
          const client = download(t, harness.port, text, out, ['--encoding', encoding]);
          const connection = await harness.next();
          assert.deepEqual(await readToEnd(connection), iconv.encode(`${text}\n`, encoding));
          await writeSplit(connection, pieces);
          connection.end();
          assert.deepEqual(await client.exit(), OK, `${describeCut(pieces)}\n${client.transcript()}`);
          assert.equal(iconv.decode(await readFile(path.join(out, `${PREFIX}${text}`)), encoding), text);
        });
      },
    );
  }

  itUses(
    target,
    ['server.ts'],
    'server shows a requested name with escapes, a fake ready line and a lone surrogate escaped, on one line',
    async (t) => {
      // Checks that a client's name cannot draw on the server's terminal: ESC, CR, VT, NEL, C1, bidi
      // and a lone surrogate come out escaped in the "refused" line, inside its quotes.
      const { root } = await tree(t);
      const { server, port } = await startServer(t, root, ['--encoding', HOSTILE_ENCODING]);
      assertRefusal(await ask(t, port, iconv.encode(`${HOSTILE_LINE}\n`, HOSTILE_ENCODING)), 'not-found');
      await server.waitFor(/^refused /m);
      assert.match(server.stdout, new RegExp(`^refused "${literal(HOSTILE_LINE_SHOWN)}" to \\S+: not-found: `, 'm'));
      assert.equal(server.stdout.match(/^listening on /gm)?.length, 1);
      assert.doesNotMatch(server.stdout, RAW_CONTROL);
    },
  );

  itUses(target, ['client.ts'], "client shows a server's refusal reason with its escapes escaped, in one line", async (t) => {
    // Checks the same rule for the reason of an "ERR" header, which the client prints on stderr.
    const harness = await listenTcp(t);
    const { out } = await tree(t);
    const client = download(t, harness.port, 'x.txt', out);
    const connection = await harness.next();
    await readToEnd(connection);
    connection.end(Buffer.from('ERR not-found \x1b[2J\rlistening on 6.6.6.6:66\x9b\x7f\n', 'latin1'));
    await expectOneLineError(client, 1, new RegExp(literal(String.raw`\x1b[2J\rlistening on 6.6.6.6:66\x9b\x7f (not-found)`)));
    assert.doesNotMatch(client.stderr, RAW_CONTROL);
  });

  itUses(
    target,
    ['server.ts', 'client.ts'],
    'server whose stdout was closed (| head -1) keeps serving, and a client whose stdout was closed saves its file',
    async (t) => {
      // Checks that a reader going away is not an error: every log line fails with EPIPE, and still
      // the server answers client after client, and the client downloads and exits 0, no stack trace.
      const { root, out } = await tree(t, { 'hello.txt': 'hello\n' });
      const { server, port } = await startServer(t, root);
      await closeOutput(server, ['stdout']);
      assert.equal((await ask(t, port, 'hello.txt\n')).toString(), 'OK 6\nhello\n');
      assertRefusal(await ask(t, port, 'missing.txt\n'), 'not-found');
      const client = download(t, port, 'hello.txt', out);
      await closeOutput(client, ['stdout']);
      assert.deepEqual(await client.exit(), OK);
      assert.equal(await readFile(path.join(out, `${PREFIX}hello.txt`), 'utf8'), 'hello\n');
      assert.equal((await ask(t, port, 'hello.txt\n')).toString(), 'OK 6\nhello\n');
      assert.equal(server.exitStatus, undefined, 'the server is still running');
      assert.equal(server.stderr, '', 'no stack trace');
      assert.equal(client.stderr, '', 'no stack trace');
    },
  );

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    itUses(target, ['client.ts'], `client stopped by ${signal} mid-download removes its partial file`, async (t) => {
      // Checks the end of a download that the user (Ctrl-C), kill or a closed terminal stops: the
      // harness server sends the header and part of the body, then stalls; the client must not
      // leave its hidden .part file behind, and does not exit 0.
      const harness = await listenTcp(t);
      const { out } = await tree(t);
      await mkdir(out);
      const client = download(t, harness.port, 'stalled.bin', out);
      const connection = await harness.next();
      await readToEnd(connection);
      connection.write(Buffer.concat([Buffer.from('OK 100000\n'), pattern(1000)]));
      await partFileIn(out);
      client.signal(signal);
      const exit = await client.exit();
      assert.notDeepEqual(exit, OK, `stopped by ${signal}, it must not report success`);
      assert.deepEqual(await saved(out), [], 'no file left in --out');
      assert.ok(client.stderrLines().length <= 1, client.transcript());
    });
  }

  // ---- flags and errors a user can cause ----

  itRejectsBadFlags(target, 'server.ts', COMMON_BAD_FLAGS);
  itRejectsBadFlags(target, 'client.ts', COMMON_BAD_FLAGS, { extraArgs: ['--name', 'x.txt'] });

  itUses(target, ['server.ts'], 'server rejects a --root that is not a folder with exit 2 and one line', async (t) => {
    // Checks that a typo in --root is reported at start, not as "not-found" to every client.
    const { dir } = await tree(t);
    const program = start(t, target, 'server.ts', ['--port', '0', '--root', path.join(dir, 'no-such-folder')]);
    await expectOneLineError(program, 2, /root/);
  });

  itUses(target, ['server.ts'], 'server reports a port already in use in one line and exits 1', async (t) => {
    // Checks EADDRINUSE handling: one clear line, exit 1, no stack trace.
    const harness = await listenTcp(t);
    const { root } = await tree(t);
    const server = start(t, target, 'server.ts', ['--port', String(harness.port), '--root', root]);
    await expectOneLineError(server, 1, /in use/);
  });

  itUses(target, ['client.ts'], 'client reports "connection refused" in one line and exits 1 when no server listens', async (t) => {
    // Checks ECONNREFUSED handling on a port where nobody listens, and that nothing is saved.
    const port = await unusedPort();
    const { out } = await tree(t);
    const client = download(t, port, 'hello.txt', out);
    await expectOneLineError(client, 1, /refused/);
    assert.deepEqual(await saved(out), []);
  });

  itUses(
    target,
    ['client.ts'],
    'client refuses a name it cannot send: none, one its encoding cannot carry, one over 1023 bytes',
    async (t) => {
      // Checks the client's own checks before connecting (to a port where nobody listens: they must
      // come first): no name at end of input, an emoji in gbk, and a name too long for the server.
      const port = String(await unusedPort());
      const none = start(t, target, 'client.ts', ['--port', port]);
      none.endInput();
      await expectOneLineError(none, 1, /name/);
      const emoji = start(t, target, 'client.ts', ['--port', port, '--name', '🙂.txt', '--encoding', 'gbk']);
      await expectOneLineError(emoji, 1, /gbk/);
      const long = start(t, target, 'client.ts', ['--port', port, '--name', 'x'.repeat(1024)]);
      await expectOneLineError(long, 1, /1023|long/);
    },
  );
});

suite(target, 'exercise', () => {
  it('server answers two requests sent in one write on one connection, in order', async (t) => {
    // Checks the exercise's framing: both request lines arrive in one chunk; the answers follow
    // each other on the same connection, each with its own header; the client's FIN ends it.
    const { root } = await tree(t, { 'a.txt': 'first file\n', 'empty.txt': '' });
    const { port } = await startServer(t, root);
    const socket = await connectTcp(t, port);
    await writeCoalesced(socket, [Buffer.from('a.txt\n'), Buffer.from('empty.txt\n')]);
    socket.end();
    assert.equal((await readToEnd(socket, 'both answers and the server closing')).toString(), 'OK 11\nfirst file\nOK 0\n');
  });

  it('server keeps the connection after a refusal and answers the next request', async (t) => {
    // Checks that "ERR" ends one answer, not the connection: a missing name, a forbidden one, then a file.
    const { root } = await tree(t, { 'b.txt': 'second\n' });
    const { port } = await startServer(t, root);
    const answer = (await ask(t, port, 'missing.txt\n../secret.txt\nb.txt\n')).toString();
    assert.match(answer, /^ERR not-found [^\n]*\nERR forbidden [^\n]*\nOK 7\nsecond\n$/);
  });

  it('server waits for the next request after sending a file, until the client half-closes', async (t) => {
    // Checks the keep-alive itself: after a whole answer the connection stays open; a second
    // request, sent later one byte per write, is answered byte-exact; then FIN ends it.
    const big = pattern(300 * 1024, 11);
    const { root } = await tree(t, { 'big.bin': big, 'c.txt': 'third\n' });
    const { port } = await startServer(t, root);
    const socket = await connectTcp(t, port);
    socket.write('big.bin\n');
    const first = okResponse(big);
    assertSameBytes(await readExactly(socket, first.length, 'the first answer'), first, 'the first answer');
    await writeBytewise(socket, Buffer.from('c.txt\n'));
    assert.equal((await readExactly(socket, 'OK 6\nthird\n'.length, 'the second answer')).toString(), 'OK 6\nthird\n');
    socket.end();
    assert.equal((await readRest(socket, "the server closing after the client's FIN")).length, 0);
  });
});
