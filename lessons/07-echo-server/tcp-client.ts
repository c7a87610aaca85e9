// tcp-client.ts: lesson 07-echo-server, a TCP client that sends each name it reads as a line and
// prints the server's greeting and replies; at end of input it sends "exit" and waits for the close.
// Ports the TCP client of note 004_072390334346f774.txt (TCP编程, 客户端). Partner: tcp-server.ts.
// Run: node --import tsx lessons/07-echo-server/tcp-client.ts [--host 127.0.0.1] [--port 9999] [--encoding utf-8] [--timeout MS]
// Or: npm run lesson 07-echo-server tcp-client -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Framing: lines ("\n"), both ways. The server's first line is its greeting, then one reply per
// name, in order; after "exit" the server closes the connection.

import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback, as in the note
const DEFAULT_PORT = 9999; // the note's port
const DEFAULT_ENCODING = 'utf-8'; // the note decodes with utf-8
const DEFAULT_TIMEOUT_MS = 10_000; // give up on a server that stops answering, instead of waiting for ever
const MAX_LINE_BYTES = 64 * 1024; // the longest line we accept from the server

const USAGE = `usage: tcp-client.ts [--host HOST] [--port PORT] [--encoding NAME] [--timeout MS]
  reads names from standard input, one per line; end of input (Ctrl-D) sends "exit"
  --host HOST      server address (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      server port (default ${DEFAULT_PORT})
  --encoding NAME  how lines are encoded on the wire (default ${DEFAULT_ENCODING}; e.g. gbk)
  --timeout MS     how long to wait for an expected reply (default ${DEFAULT_TIMEOUT_MS})`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
const waiting: string[] = []; // names sent whose reply has not come yet
let greeted = false;
let exitSent = false;

// #region client
const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
socket.on('error', (err: NodeJS.ErrnoException) => fail(describeSocketError(err)));
socket.on('connect', () => console.log(`connected to ${formatAddress(socket.remoteAddress, socket.remotePort)}`));
socket.on('timeout', () => fail(`no answer from the server within ${options.timeout} ms`));
expectAnswer(); // the greeting
readLines(socket, (line) => {
  if (!greeted) {
    greeted = true;
    console.log(`greeting: ${printable(line)}`);
  } else if (waiting.shift() !== undefined) {
    console.log(`reply: ${printable(line)}`);
  } else {
    fail(`the server sent a line nobody asked for: ${printable(line)}`);
  }
  if (greeted && waiting.length === 0 && !exitSent) socket.setTimeout(0); // the user may take their time
});
socket.on('end', () => {
  if (!greeted) fail('the server closed the connection before its greeting');
  if (waiting.length > 0) fail(`the server closed the connection before answering ${waiting[0]}`);
  if (!exitSent) fail('the server closed the connection before we said exit');
  console.log('the server closed the connection');
});

// Names go out as they are typed: TCP keeps them in order, so replies can be matched in order.
for await (const name of createInterface({ input: process.stdin })) {
  send(name);
  if (name === 'exit') break;
  if (socket.writableNeedDrain) await once(socket, 'drain'); // a slow server slows our reading too
}
if (!exitSent) send('exit');
// #endregion client

function send(name: string): void {
  if (name === 'exit') exitSent = true;
  else waiting.push(name);
  expectAnswer();
  socket.write(iconv.encode(`${name}\n`, options.encoding));
}

// The timeout runs only while an answer is due; it counts from the socket's last activity.
function expectAnswer(): void {
  socket.setTimeout(options.timeout);
}

function readLines(stream: net.Socket, onLine: (line: string) => void): void {
  let partial = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    const bytes = partial.length === 0 ? chunk : Buffer.concat([partial, chunk]);
    let start = 0;
    for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
      const line = bytes.subarray(start, bytes[end - 1] === 0x0d && end > start ? end - 1 : end);
      onLine(iconv.decode(line, options.encoding)); // a whole line: no character is cut in two
      start = end + 1;
    }
    partial = Buffer.from(bytes.subarray(start));
    if (partial.length > MAX_LINE_BYTES) fail(`the server sent a line longer than ${MAX_LINE_BYTES} bytes`);
  });
}

function parseOptions(args: string[]): { host: string; port: number; encoding: string; timeout: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_MS) },
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
  if (!/^\d{1,7}$/.test(values.timeout) || Number(values.timeout) < 1)
    usageError(`--timeout must be a whole number of milliseconds, not '${values.timeout}'`);
  if (!iconv.encodingExists(values.encoding)) usageError(`unknown encoding '${values.encoding}'`);
  // Lines are cut at the byte 0x0a, so "\n" must be that one byte (not so in utf-16).
  if (!iconv.encode('\n', values.encoding).equals(Buffer.of(0x0a))) usageError(`encoding '${values.encoding}' cannot frame lines`);
  return { host: values.host, port: Number(values.port), encoding: values.encoding, timeout: Number(values.timeout) };
}

function usageError(text: string): never {
  console.error(`tcp-client: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  console.error(`tcp-client: ${text}`);
  process.exit(1);
}

function firstSentence(text: string): string {
  return text.split(/\.\s/)[0] ?? text;
}

function describeSocketError(err: NodeJS.ErrnoException): string {
  const where = formatAddress(options.host, options.port);
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connect: connection refused by ${where} (is the server running?)`;
    case 'ENOTFOUND':
      return `connect: cannot resolve host '${options.host}'`;
    case 'ECONNRESET':
      return 'the server reset the connection';
    case 'EPIPE':
      return 'the server closed the connection while we were still sending';
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
