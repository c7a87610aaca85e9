// listener.ts: lesson 01-udp-send, a minimal UDP receiver that prints every datagram it gets.
// The partner of sender.ts in this folder, so that the lesson runs on its own; it binds like
// note 002_7f781570ac98c272.txt section 5 and note 001_29a95b92d2c1578e.txt section 2 program 3.
// Run: node --import tsx lessons/01-udp-send/listener.ts [--host 127.0.0.1] [--port 8080] [--encoding utf-8] [--count N]
// Or: npm run lesson 01-udp-send listener -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Each datagram is one message: it is decoded whole, on its own. Nothing is sent back.

import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: nothing outside this machine can send to us
const DEFAULT_PORT = 8080; // where the note's sender sends
const DEFAULT_ENCODING = 'utf-8'; // what the note's sender encodes with
const DEFAULT_COUNT = 0; // 0: keep listening until stopped (Ctrl-C)

const USAGE = `usage: listener.ts [--host HOST] [--port PORT] [--encoding NAME] [--count N]
  --host HOST      address to bind (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      UDP port, 0 lets the system pick a free one (default ${DEFAULT_PORT})
  --encoding NAME  how each datagram is decoded (default ${DEFAULT_ENCODING}; e.g. gbk, gb2312, gb18030)
  --count N        stop after N datagrams (default ${DEFAULT_COUNT}: keep listening until Ctrl-C)`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));

// #region bind
// The receiver binds (绑定) a known port, so that senders know where to send.
let bound = false;
const socket = dgram.createSocket(net.isIPv6(options.host) ? 'udp6' : 'udp4');
socket.on('error', (err: NodeJS.ErrnoException) => fail(bound ? `receive: ${err.message}` : `bind: ${describeBindError(err)}`));
socket.bind(options.port, options.host, () => {
  bound = true;
  const { address, port } = socket.address();
  console.log(`listening on ${formatAddress(address, port)}`);
});
// #endregion bind

// #region receive
// Node reads each datagram into a 64 KiB buffer, the most a datagram can hold, so `data` is
// always the whole datagram; Python's recvfrom(1024) would keep 1024 bytes and drop the rest.
let received = 0;
socket.on('message', (data: Buffer, from: dgram.RemoteInfo) => {
  const text = iconv.decode(data, options.encoding); // a datagram is a message: decode it whole
  // printable(): whoever sends may send anything, escape sequences and line breaks included.
  console.log(`received ${data.length} bytes from ${formatAddress(from.address, from.port)}: ${printable(text)}`);
  received += 1;
  if (received === options.count) socket.close(); // the process ends once the socket is closed
});
// #endregion receive

function parseOptions(args: string[]): { host: string; port: number; encoding: string; count: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        count: { type: 'string', default: String(DEFAULT_COUNT) },
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
  if (!/^\d{1,9}$/.test(values.count)) usageError(`--count must be a whole number (0: no limit), not '${values.count}'`);
  return { host: values.host, port: Number(values.port), encoding: values.encoding, count: Number(values.count) };
}

function usageError(text: string): never {
  console.error(`listener: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  console.error(`listener: ${text}`);
  process.exit(1);
}

function firstSentence(text: string): string {
  return text.split(/\.\s/)[0] ?? text;
}

function describeBindError(err: NodeJS.ErrnoException): string {
  const where = `port ${options.port} on ${options.host}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${where} is already in use (is another listener still running?)`;
    case 'EACCES':
      return `no permission to bind ${where} (ports below 1024 need privileges)`;
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

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
