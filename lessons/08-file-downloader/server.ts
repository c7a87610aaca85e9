// server.ts: lesson 08-file-downloader, a file server that streams files from one folder to many clients.
// Ports note 001_29a95b92d2c1578e.txt section 4 program 3 (文件下载器服务端). Partner: client.ts in this folder.
// Run: node --import tsx lessons/08-file-downloader/server.ts [--host 127.0.0.1] [--port 7890] [--root DIR] [--encoding utf-8]
// Or: npm run lesson 08-file-downloader server -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Protocol, one request per connection (README: "The protocol, byte by byte"):
//   client → server  NAME LF                   the file name in --encoding, at most 1023 bytes
//   server → client  "OK " SIZE LF, SIZE bytes  then the server closes
//               or   "ERR " CODE " " REASON LF  then the server closes

import { constants, realpathSync, statSync } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: the files are never offered to the network
const DEFAULT_PORT = 7890; // the note's example port (python3 xxx.py 7890)
const DEFAULT_ENCODING = 'utf-8'; // the note's client and server both use utf-8 for the name
const DEFAULT_ROOT = fileURLToPath(new URL('files', import.meta.url)); // the lesson's sample files
const MAX_REQUEST_BYTES = 1024; // the request line, LF included: a client cannot make us buffer more
const IDLE_TIMEOUT_MS = 30_000; // a client that neither sends nor reads for this long is dropped
const DISCARD_LIMIT = 64 * 1024; // after answering, how much more of a client's bytes we read and drop
const MAX_CLIENTS = 100; // connections beyond this are closed at once instead of queueing without limit
const CHUNK_BYTES = 128 * 1024; // one read from the file; a transfer holds two: fewer trips round the loop than 64 KiB
// Open without following a final symlink, and without blocking on a FIFO (0 where the OS lacks them).
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

const USAGE = `usage: server.ts [--host HOST] [--port PORT] [--root DIR] [--encoding NAME]
  --host HOST      address to listen on (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      TCP port, 0 lets the system pick a free one (default ${DEFAULT_PORT})
  --root DIR       the folder whose files are served (default: the lesson's files/ folder)
  --encoding NAME  how file names are encoded in requests (default ${DEFAULT_ENCODING}; e.g. gbk)`;

class Refusal extends Error {
  constructor(
    readonly code: string,
    reason: string,
  ) {
    super(reason);
  }
}

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));

// #region listen
// Node calls serveClient for every connection as it arrives, so a slow client never makes the
// others wait (the note's loop served one client at a time). allowHalfOpen: a client may send
// FIN right after its request; we still owe it the answer.
const server = net.createServer({ allowHalfOpen: true }, (socket) => void serveClient(socket));
server.maxConnections = MAX_CLIENTS;
server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`server: listen: ${describeListenError(err)}`);
  process.exitCode = 1;
});
server.listen(options.port, options.host, () => {
  const address = server.address() as net.AddressInfo;
  console.log(`listening on ${formatAddress(address.address, address.port)}`);
  console.log(`serving the files under ${options.root}`);
});
// #endregion listen

// #region serve-client
async function serveClient(socket: net.Socket): Promise<void> {
  const peer = socket.remoteAddress ? formatAddress(socket.remoteAddress, socket.remotePort) : 'a client that already left';
  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy(new Error(`idle for ${IDLE_TIMEOUT_MS / 1000} s; dropped`)));
  socket.on('error', (err) => console.error(`server: ${peer}: ${err.message}`));
  const request = await readRequestLine(socket);
  if (request === null) return void socket.end(); // connected and left without asking
  let label = '(no name)';
  try {
    if (request instanceof Refusal) throw request;
    const name = decodeName(request);
    label = `"${printable(name)}"`; // quoted and escaped: a name cannot draw on our terminal
    const file = await openInRoot(name);
    const { size } = await file.stat();
    console.log(`${peer} asked for ${label} (${size} bytes)`);
    socket.write(`OK ${size}\n`);
    await sendFile(socket, file, size).finally(() => file.close());
    socket.end(); // FIN after exactly SIZE bytes: this connection carries one file
    console.log(`sent ${label} to ${peer}: ${size} bytes`);
  } catch (err) {
    // The transfer broke: the 'error' handler says why (a file that shrank is reported there too).
    if (!(err instanceof Refusal)) return void socket.destroy(err as Error);
    console.log(`refused ${label} to ${peer}: ${err.code}: ${err.message}`);
    socket.end(`ERR ${err.code} ${err.message}\n`);
  }
  discardRest(socket);
}
// #endregion serve-client

// #region send-file
// Sends the file's first SIZE bytes through two buffers used in turn: the next chunk is read from
// the file into one while the other's bytes may still be on their way to the client. A buffer is
// filled again only once its write has completed (the write callback): until then the system may
// still be copying from it. This is Python's loop of `f.readinto(buf)` and `sock.sendall(buf)`; it
// allocates nothing per chunk, so a transfer holds two buffers whatever the file's size.
async function sendFile(socket: net.Socket, file: FileHandle, size: number): Promise<void> {
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  const writes: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  for (let offset = 0, turn = 0; offset < size; turn = 1 - turn) {
    await writes[turn]; // this buffer's last write has completed: it may be filled again
    const buffer = buffers[turn]!;
    const { bytesRead } = await file.read(buffer, 0, Math.min(CHUNK_BYTES, size - offset), offset);
    if (bytesRead === 0) throw new Error(`the file shrank to ${offset} of its ${size} bytes while it was sent`);
    // Backpressure (背压): the last write() returned false, the socket holds more than it should:
    // the client reads slower than we read the file. Add nothing until it has passed it all on.
    // (writableNeedDrain, not write()'s result: 'drain' may have come while we read the file.)
    if (socket.writableNeedDrain) await drained(socket);
    if (socket.destroyed) throw new Error('the connection closed');
    offset += bytesRead;
    writes[turn] = new Promise((completed) => socket.write(buffer.subarray(0, bytesRead), () => completed()));
  }
  await Promise.all(writes);
  if (socket.destroyed) throw new Error('the connection closed'); // a write callback runs then too
}

// 'drain': everything written so far is with the system. A connection that closes first never drains.
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return reject(new Error('the connection closed'));
    const onDrain = (): void => {
      socket.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      socket.off('drain', onDrain);
      reject(new Error('the connection closed'));
    };
    socket.once('drain', onDrain).once('close', onClose);
  });
}
// #endregion send-file

// #region read-request
// The request ends at the first LF; one 'data' event may hold part of it, or more than it.
// Returns the name's bytes, a Refusal for a line that is too long or cut by FIN, or null when
// the client closed without sending anything.
function readRequestLine(socket: net.Socket): Promise<Buffer | Refusal | null> {
  return new Promise((resolve) => {
    let line = Buffer.alloc(0);
    const finish = (request: Buffer | Refusal | null): void => {
      socket.pause(); // stop reading: this connection asks for one file
      socket.off('data', onData).off('end', onEnd).off('close', onEnd);
      resolve(request);
    };
    const onData = (chunk: Buffer): void => {
      const lf = chunk.indexOf(0x0a);
      const part = lf < 0 ? chunk : chunk.subarray(0, lf); // anything after the LF is ignored
      if (line.length + part.length >= MAX_REQUEST_BYTES) {
        return finish(new Refusal('too-long', `the request line is longer than ${MAX_REQUEST_BYTES} bytes`));
      }
      line = Buffer.concat([line, part]);
      if (lf >= 0) finish(line);
    };
    const onEnd = (): void => finish(line.length > 0 ? new Refusal('bad-request', 'the request must end with LF') : null);
    socket.on('data', onData).on('end', onEnd).on('close', onEnd);
  });
}
// #endregion read-request

// Closing with unread bytes in the receive buffer makes the system send a reset, which can
// destroy our answer before the client reads it. So we read and drop what is left until the
// client's FIN, up to a limit.
function discardRest(socket: net.Socket): void {
  let extra = 0;
  socket.on('data', (chunk: Buffer) => {
    extra += chunk.length;
    if (extra > DISCARD_LIMIT) socket.destroy();
  });
  socket.resume();
}

function decodeName(bytes: Buffer): string {
  const line = bytes.at(-1) === 0x0d ? bytes.subarray(0, -1) : bytes; // telnet and Windows tools send CR LF
  if (line.includes(0)) throw new Refusal('bad-request', 'the name contains a NUL byte');
  const name = iconv.decode(line, options.encoding);
  if (!iconv.encode(name, options.encoding).equals(line)) throw new Refusal('bad-request', `the name is not valid ${options.encoding}`);
  if (name === '') throw new Refusal('bad-request', 'the name is empty');
  return name;
}

// #region open-in-root
// Only regular files inside --root: checked on the name, then again on the real path, after
// the system has followed every symlink on the way.
async function openInRoot(name: string) {
  if (path.posix.isAbsolute(name) || path.win32.isAbsolute(name)) throw new Refusal('forbidden', 'absolute paths are not served');
  if (name.split(/[\\/]/).includes('..')) throw new Refusal('forbidden', "'..' is not allowed in a name");
  let real;
  try {
    real = await realpath(path.join(options.root, name));
  } catch (err) {
    throw refusalFor(err as NodeJS.ErrnoException);
  }
  if (real !== options.root && !real.startsWith(options.root + path.sep)) {
    throw new Refusal('forbidden', 'the name leads outside the served folder');
  }
  const file = await open(real, OPEN_FLAGS).catch((err: NodeJS.ErrnoException) => Promise.reject(refusalFor(err)));
  const stats = await file.stat();
  if (!stats.isFile()) {
    await file.close();
    throw new Refusal('not-a-file', stats.isDirectory() ? 'is a directory' : 'not a regular file');
  }
  return file;
}
// #endregion open-in-root

function refusalFor(err: NodeJS.ErrnoException): Refusal {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'ENAMETOOLONG') return new Refusal('not-found', 'no such file');
  if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'ELOOP') return new Refusal('forbidden', 'permission denied');
  return new Refusal('server-error', err.code ?? 'cannot read the file');
}

function parseOptions(args: string[]): { host: string; port: number; root: string; encoding: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        root: { type: 'string', default: DEFAULT_ROOT },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usageError(firstSentence((err as Error).message));
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) {
    usageError(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  }
  if (!iconv.encodingExists(values.encoding)) usageError(`unknown encoding '${values.encoding}'`);
  if (!statSync(values.root, { throwIfNoEntry: false })?.isDirectory()) usageError(`--root: no such folder '${values.root}'`);
  // The real path, so that the inside-the-root check compares like with like.
  return { host: values.host, port: Number(values.port), root: realpathSync(values.root), encoding: values.encoding };
}

function usageError(message: string): never {
  console.error(`server: ${message} (see --help)`);
  process.exit(2);
}

function firstSentence(message: string): string {
  return message.split(/\.\s/)[0] ?? message;
}

function describeListenError(err: NodeJS.ErrnoException): string {
  const where = `${options.host} port ${options.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${where} is already in use (is another server still running?)`;
    case 'EACCES':
      return `no permission to listen on ${where} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `${options.host} is not an address of this machine`;
    case 'ENOTFOUND':
      return `cannot resolve host '${options.host}'`;
    default:
      return err.message;
  }
}

// Text from the network, shown on one line of this terminal: control characters (C0, DEL, C1),
// line and paragraph separators, bidirectional overrides and lone surrogates are shown escaped,
// so a peer cannot move the cursor, clear the screen or print a line that looks like ours.
function printable(text: string): string {
  const names: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return text.replace(
    /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      const hex = c.charCodeAt(0).toString(16);
      return names[c] ?? (hex.length <= 2 ? `\\x${hex.padStart(2, '0')}` : `\\u{${hex}}`);
    },
  );
}

function formatAddress(host: string | undefined, port: number | undefined): string {
  return host?.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
