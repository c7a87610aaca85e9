// client.ts: lesson 04-tcp-server, a TCP client that sends one message and prints the reply.
// Ports note 001_29a95b92d2c1578e.txt section 4 program 1 (tcp客户端) and the client flow of
// note 003_6825ec3cda617768.txt (TCP客服端代码流程). Partner: server.ts in this folder.
// Run: node --import tsx lessons/04-tcp-server/client.ts [--host 127.0.0.1] [--port 7788] [--encoding gbk] [--message TEXT]
// Or: npm run lesson 04-tcp-server client -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Framing: one message per connection. After writing the message the client half-closes
// (sends FIN) so the server knows it is complete, then reads the reply until the server closes.

import net from 'node:net';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: the lesson never leaves this machine
const DEFAULT_PORT = 7788; // the note's port
const DEFAULT_ENCODING = 'gbk'; // the note encodes with gbk on both sides
const REPLY_TIMEOUT_MS = 10_000; // give up instead of waiting forever for a server that never answers
const MAX_REPLY_BYTES = 1024 * 1024; // a server that never stops sending cannot fill our memory

const USAGE = `usage: client.ts [--host HOST] [--port PORT] [--encoding NAME] [--message TEXT]
  --host HOST      server address (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      server port (default ${DEFAULT_PORT})
  --encoding NAME  how the message is encoded on the wire (default ${DEFAULT_ENCODING}; e.g. utf-8, gb18030)
  --message TEXT   what to send; without it, the first line of standard input`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
const message = options.message ?? (await readFirstLine());
if (message === undefined || message === '') fail('nothing to send: the message is empty');
const payload = encodeExactly(message, options.encoding);

// #region exchange
const socket = net.connect({ host: options.host, port: options.port });
socket.setTimeout(REPLY_TIMEOUT_MS, () => socket.destroy(new Error(`no reply within ${REPLY_TIMEOUT_MS / 1000} s`)));
socket.on('error', (err: NodeJS.ErrnoException) => fail(describeSocketError(err)));
socket.on('connect', () => {
  console.log(`connected to ${formatAddress(socket.remoteAddress, socket.remotePort)}`);
  // end() writes the message and then sends FIN: "no more from me", our end-of-message marker.
  socket.end(payload);
  console.log(`sent ${payload.length} bytes (${options.encoding})`);
});
const reply = await readUntilEnd(socket, options.encoding);
if (reply === '') fail('the server closed the connection without replying');
console.log(`reply: ${printable(reply)}`);
// #endregion exchange

// The reply, too, is complete only when the server closes: a single read could stop halfway, and
// a chunk can end inside a character. So the bytes are kept until the end, then decoded at once.
function readUntilEnd(stream: net.Socket, encoding: string): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > MAX_REPLY_BYTES) fail(`the reply is longer than ${MAX_REPLY_BYTES} bytes; connection dropped`);
    chunks.push(chunk);
  });
  return new Promise((resolve) => stream.on('end', () => resolve(iconv.decode(Buffer.concat(chunks), encoding))));
}

async function readFirstLine(): Promise<string | undefined> {
  if (process.stdin.isTTY) process.stdout.write('message to send: ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return undefined;
}

// gbk cannot encode every character (emoji, for one); iconv-lite would silently send '?' instead.
function encodeExactly(text: string, encoding: string): Buffer {
  const bytes = iconv.encode(text, encoding);
  if (iconv.decode(bytes, encoding) !== text) {
    fail(`the message has characters that ${encoding} cannot encode (try --encoding utf-8)`);
  }
  return bytes;
}

function parseOptions(args: string[]): { host: string; port: number; encoding: string; message?: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        message: { type: 'string' },
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
  return { host: values.host, port: Number(values.port), encoding: values.encoding, message: values.message };
}

function usageError(text: string): never {
  console.error(`client: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  console.error(`client: ${text}`);
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
      return `the server reset the connection before replying`;
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
