// client.ts: lesson 08-file-downloader, downloads one file from server.ts and saves it as "[接收]NAME".
// Ports note 001_29a95b92d2c1578e.txt section 4 program 4 (文件下载器客户端). Partner: server.ts in this folder.
// Run: node --import tsx lessons/08-file-downloader/client.ts [--host 127.0.0.1] [--port 7890] [--name NAME] [--out DIR] [--encoding utf-8]
// Or: npm run lesson 08-file-downloader client -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Protocol (README: "The protocol, byte by byte"): send NAME LF and half-close; read one header
// line, "OK SIZE" or "ERR CODE REASON"; after OK, exactly SIZE bytes, then the server closes.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: the lesson never leaves this machine
const DEFAULT_PORT = 7890; // the note's example port
const DEFAULT_ENCODING = 'utf-8'; // the note sends the name in utf-8
const PREFIX = '[接收]'; // the note's prefix for a received file ("received")
const MAX_NAME_BYTES = 1023; // the server's limit: a request line of at most 1024 bytes with its LF
const MAX_HEADER_BYTES = 256; // "OK " and 16 digits fit many times over; a longer header is not ours
const IDLE_TIMEOUT_MS = 10_000; // give up when the server sends nothing for this long
const PROGRESS_EVERY_MS = 100; // redraw the progress bar at most 10 times a second, whatever the chunk rate
const READ_BUFFER_BYTES = 256 * 1024; // every read lands in one buffer of this size: fewer reads when the server is ahead

const USAGE = `usage: client.ts [--host HOST] [--port PORT] [--name NAME] [--out DIR] [--encoding NAME]
  --host HOST      server address (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      server port (default ${DEFAULT_PORT})
  --name NAME      the file to download, relative to the server's folder; without it, the first line of standard input
  --out DIR        the folder to save into, created if missing (default: the current folder)
  --encoding NAME  how the name is encoded on the wire (default ${DEFAULT_ENCODING}; e.g. gbk)`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
const progress = { received: 0, size: 0, started: 0 };
const name = options.name ?? (await readFirstLine());
if (name === undefined || name === '') fail('no file name given');
const request = encodeRequest(name);
const finalPath = path.join(options.out, PREFIX + baseName(name)); // never a folder part: never outside --out
const tempPath = path.join(options.out, `.${PREFIX}${baseName(name)}.${process.pid}.part`);
let tempCreated = false;
let head = Buffer.alloc(0); // the header line so far: a copy, since each read overwrites the buffer
let file: number | undefined; // the .part file's descriptor, open once the header has said OK
let bar: NodeJS.Timeout | undefined; // the progress bar's timer, on a terminal only
// Ctrl-C (SIGINT), kill (SIGTERM) and a closed terminal (SIGHUP) leave no partial file: their default
// action would end the process before it could remove it. The exit code is the shell's 128 + N.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  process.once(signal, () => void removeTemp().then(() => stopped(signal, code)));
}

// #region download
// onread: every read from the socket lands in this one buffer, and onRead() (below) has handled
// the bytes before the next read overwrites them: no new Buffer per chunk.
const socket = net.connect({
  host: options.host,
  port: options.port,
  onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: onRead },
});
socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy(new Error(`the server sent nothing for ${IDLE_TIMEOUT_MS / 1000} s`)));
let socketError: Error | undefined; // the first error, e.g. a reset, may come while no step is listening
socket.on('error', (err) => (socketError ??= err));
try {
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  console.log(`connected to ${formatAddress(socket.remoteAddress, socket.remotePort)}`);
  socket.end(request); // the request line, then FIN: we will ask for nothing else
  // onRead() saves the file as it comes; we wait for the server's FIN (or an error, or a reset).
  await new Promise((resolve, reject) => socket.once('end', resolve).once('error', reject));
  if (file === undefined) throw new Error('the server closed the connection without answering');
  if (progress.received < progress.size) throw new Error('the connection closed'); // a cut is not a shorter file
  closeSync(file);
  clearInterval(bar);
  await rename(tempPath, finalPath); // only a complete file ever has the final name
  tempCreated = false; // nothing left to remove
  if (bar) {
    drawProgress(); // the bar at 100%, then the summary on a line of its own
    process.stderr.write('\n');
  }
  console.log(`saved ${finalPath} (${progress.size} bytes in ${summary()})`);
} catch (err) {
  clearInterval(bar);
  await removeTemp();
  fail(describeError((socketError ?? err) as NodeJS.ErrnoException));
}
// #endregion download

// #region on-read
// Called for every read, with `length` new bytes at the start of `buffer`. First comes the header,
// up to its LF; every byte after it, in the same chunk or later ones, is the file. Each chunk is in
// the file before onRead returns, so before the next read: that is also the backpressure (背压).
// While we write, nothing is read, the system's receive buffer fills, and TCP makes the server wait.
function onRead(length: number, buffer: Buffer): boolean {
  try {
    let chunk = buffer.subarray(0, length);
    if (file === undefined) {
      const lf = chunk.indexOf(0x0a);
      if (lf < 0 && head.length + length > MAX_HEADER_BYTES) throw new Error('protocol: the header line is too long');
      head = Buffer.concat([head, lf < 0 ? chunk : chunk.subarray(0, lf)]);
      if (lf < 0) return true; // more header to come
      startFile(parseHeader(head.toString('latin1')));
      chunk = chunk.subarray(lf + 1); // the file's first bytes, when they came with the header
    }
    save(chunk);
  } catch (err) {
    socket.destroy(err as Error); // its 'error' ends the download above
  }
  return true;
}
// #endregion on-read

// After "OK SIZE": a temporary file next to the final one, and the progress bar.
function startFile(size: number): void {
  console.log(`receiving ${size} bytes of ${JSON.stringify(name)}`);
  mkdirSync(options.out, { recursive: true });
  tempCreated = true; // before the open: a signal meanwhile must still find the file to remove
  file = openSync(tempPath, 'wx'); // 'wx': never through a symlink someone left there
  Object.assign(progress, { size, started: performance.now() });
  if (process.stderr.isTTY) bar = setInterval(drawProgress, PROGRESS_EVERY_MS);
}

function parseHeader(line: string): number {
  const ok = /^OK (\d{1,15})$/.exec(line);
  if (ok) return Number(ok[1]);
  const refused = /^ERR ([a-z-]+) (.*)$/s.exec(line); // s: a reason may hold any character, even a CR
  if (refused) fail(`server refused ${JSON.stringify(name)}: ${printable(refused[2]!)} (${refused[1]})`);
  throw new Error(`protocol: unexpected header "${printable(line.slice(0, 60))}"`);
}

// #region exactly
// Appends one chunk of the body to the file, counting: more than SIZE bytes fails the download.
// Fewer shows when the connection ends (above): a cut connection is not a complete file.
function save(chunk: Buffer): void {
  progress.received += chunk.length;
  if (progress.received > progress.size) throw new Error(`protocol: the server sent more than the ${progress.size} bytes it announced`);
  // A write may take fewer bytes than it was given, as send() may in Python: loop until all are in.
  for (let at = 0; at < chunk.length; ) at += writeSync(file!, chunk, at);
}
// #endregion exactly

// One line, redrawn in place: \r returns to its start.
function drawProgress(): void {
  const { received, size } = progress;
  const fraction = size === 0 ? 1 : received / size;
  const bar = '#'.repeat(Math.round(fraction * 30)).padEnd(30, '.');
  process.stderr.write(
    `\r[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${formatBytes(received)} of ${formatBytes(size)}  ${formatBytes(speed())}/s `,
  );
}

function summary(): string {
  return `${((performance.now() - progress.started) / 1000).toFixed(2)} s, ${formatBytes(speed())}/s`;
}

function speed(): number {
  const seconds = (performance.now() - progress.started) / 1000;
  return seconds > 0 ? progress.received / seconds : 0;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function removeTemp(): Promise<void> {
  if (tempCreated) await rm(tempPath, { force: true });
}

// The saved name keeps only the last part of NAME: "notes/tcp.txt" is saved as "[接收]tcp.txt".
function baseName(requested: string): string {
  return requested.split(/[\\/]/).pop() || 'download';
}

function encodeRequest(text: string): Buffer {
  if (/[\n\r\0]/.test(text)) fail('the file name cannot contain a line break or a NUL character');
  const bytes = iconv.encode(text, options.encoding);
  if (iconv.decode(bytes, options.encoding) !== text) fail(`the name has characters that ${options.encoding} cannot encode`);
  // The request ends at the first byte 0x0a: in utf-16, say, a character can hold one.
  if (bytes.includes(0x0a)) fail(`the name cannot be sent in ${options.encoding}: its bytes hold a line feed (0x0a)`);
  if (bytes.length > MAX_NAME_BYTES)
    fail(`the name is ${bytes.length} bytes in ${options.encoding}; the server takes at most ${MAX_NAME_BYTES}`);
  return Buffer.concat([bytes, Buffer.of(0x0a)]);
}

async function readFirstLine(): Promise<string | undefined> {
  if (process.stdin.isTTY) process.stdout.write('file to download: ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line.trim();
  }
  return undefined;
}

function parseOptions(args: string[]): { host: string; port: number; encoding: string; out: string; name?: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        name: { type: 'string' },
        out: { type: 'string', default: '.' },
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
  if (!/^\d{1,5}$/.test(values.port) || Number(values.port) < 1 || Number(values.port) > 65535) {
    usageError(`--port must be a whole number from 1 to 65535, not '${values.port}'`);
  }
  if (!iconv.encodingExists(values.encoding)) usageError(`unknown encoding '${values.encoding}'`);
  return { host: values.host, port: Number(values.port), encoding: values.encoding, out: values.out, name: values.name };
}

function usageError(text: string): never {
  console.error(`client: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  if (process.stderr.isTTY && progress.started > 0) process.stderr.write('\n'); // leave the progress bar's line
  console.error(`client: ${text}`);
  process.exit(1);
}

function stopped(signal: string, code: number): never {
  if (process.stderr.isTTY && progress.started > 0) process.stderr.write('\n'); // leave the progress bar's line
  console.error(`client: ${signal}: download stopped${tempCreated ? '; nothing saved' : ''}`);
  process.exit(code);
}

function firstSentence(text: string): string {
  return text.split(/\.\s/)[0] ?? text;
}

function describeError(err: NodeJS.ErrnoException): string {
  const where = formatAddress(options.host, options.port);
  const { started, received, size } = progress;
  const lost = started === 0 ? '' : `${received < size ? ` after ${received} of ${size} bytes` : ''}; nothing saved`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connect: connection refused by ${where} (is the server running?)`;
    case 'ENOTFOUND':
      return `connect: cannot resolve host '${options.host}'`;
    case 'ECONNRESET':
      return `the server reset the connection${lost}`;
    case 'EACCES':
      return `cannot write into --out '${options.out}': permission denied`;
    default:
      return `${err.message}${lost}`;
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
