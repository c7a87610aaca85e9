// receiver.ts: lesson 02-udp-bind, a UDP receiver that binds a port, prints every datagram with
// its sender's address, and replies to that address.
// Ports note 001_29a95b92d2c1578e.txt section 2 program 3 (upd绑定端口), note 002_7f781570ac98c272.txt
// section 5 (端口问题和端口绑定) and note 003_6825ec3cda617768.txt UDP接收. Partner: asker.ts in this folder.
// Run: node --import tsx lessons/02-udp-bind/receiver.ts [--host 127.0.0.1] [--port 7788] [--encoding utf-8] [--count N]
// Or: npm run lesson 02-udp-bind receiver -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// No framing is needed: UDP keeps message boundaries, so each 'message' event is one whole
// datagram (数据报), decoded on its own.

import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback; the notes' '' would be every address of the machine
const DEFAULT_PORT = 7788; // the port notes 001 and 002 bind
const DEFAULT_ENCODING = 'utf-8'; // the notes disagree (utf-8, gbk, gb2312); the asker has the same default
const DEFAULT_COUNT = 0; // 0: keep receiving until stopped, like a server

const USAGE = `usage: receiver.ts [--host HOST] [--port PORT] [--encoding NAME] [--count N]
  --host HOST      address to bind (default ${DEFAULT_HOST}; ::1 for IPv6, 0.0.0.0 for every IPv4 address)
  --port PORT      UDP port, 0 lets the system pick a free one (default ${DEFAULT_PORT})
  --encoding NAME  how datagrams are decoded and replies encoded (default ${DEFAULT_ENCODING}; e.g. gbk, gb18030)
  --count N        stop after replying to N datagrams; 0 never stops (default ${DEFAULT_COUNT})`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));

// #region bind
// One socket both receives and replies. udp4 or udp6 must match the address we bind.
const socket = dgram.createSocket(net.isIPv6(options.host) ? 'udp6' : 'udp4');
let bound = false;
socket.on('error', (err: NodeJS.ErrnoException) => {
  if (!bound) fail(`bind: ${describeBindError(err)}`);
  console.error(`receiver: ${err.message}`);
});
socket.bind(options.port, options.host, () => {
  bound = true;
  const address = socket.address();
  console.log(`listening on ${formatAddress(address.address, address.port)}`);
});
// #endregion bind

// #region receive
// The 'message' event is Python's recvfrom(): the datagram's bytes and who sent it. Node reads into
// a 64 KiB buffer, so a datagram is never cut short the way recvfrom(1024) cuts it.
let received = 0;
socket.on('message', (data: Buffer, from: dgram.RemoteInfo) => {
  if (options.count !== 0 && received === options.count) return; // closing already
  received += 1;
  const last = received === options.count;
  const sender = formatAddress(from.address, from.port);
  console.log(`from ${sender} (${data.length} bytes): ${printable(iconv.decode(data, options.encoding))}`);
  // The reply goes back to the address and port the datagram came from: that is the only place the
  // asker's socket is listening, since the system picked its port when it sent.
  const reply = replyFor(data.length);
  socket.send(iconv.encode(reply, options.encoding), from.port, from.address, (err) => {
    if (err) console.error(`receiver: reply to ${sender}: ${err.message}`);
    else console.log(`replied to ${sender}: ${reply}`);
    if (last) socket.close(); // nothing else keeps the process alive: it exits 0
  });
});
// #endregion receive

function replyFor(bytes: number): string {
  return `收到 ${bytes} 字节`; // "received N bytes", in Chinese, so a mismatched encoding shows
}

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
  const sample = replyFor(0);
  if (iconv.decode(iconv.encode(sample, values.encoding), values.encoding) !== sample) {
    usageError(`encoding '${values.encoding}' cannot carry the reply '${sample}' (try utf-8, gbk or gb18030)`);
  }
  if (!/^\d{1,9}$/.test(values.count)) usageError(`--count must be a whole number (0: never stop), not '${values.count}'`);
  return { host: values.host, port: Number(values.port), encoding: values.encoding, count: Number(values.count) };
}

function usageError(text: string): never {
  console.error(`receiver: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  console.error(`receiver: ${text}`);
  process.exit(1);
}

function firstSentence(text: string): string {
  return text.split(/\.\s/)[0] ?? text;
}

function describeBindError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `port ${options.port} on ${options.host} is already in use (is another receiver running?)`;
    case 'EACCES':
      return `no permission to bind port ${options.port} (ports below 1024 need privileges)`;
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
