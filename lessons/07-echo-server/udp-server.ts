// udp-server.ts: lesson 07-echo-server, a UDP server that answers every datagram NAME with a
// datagram "Hello, NAME!", to whoever sent it.
// Ports the UDP server of note 004_072390334346f774.txt (UDP编程, server). Partner: udp-client.ts.
// Run: node --import tsx lessons/07-echo-server/udp-server.ts [--host 127.0.0.1] [--port 9999] [--encoding utf-8] [--quiet]
// Or: npm run lesson 07-echo-server udp-server -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Framing: none needed. A datagram (数据报) arrives whole or not at all, so one datagram is one
// name and one reply; a trailing "\n" (nc sends one) is not part of the name.

import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback, as in the note
const DEFAULT_PORT = 9999; // the note's port; a UDP port and a TCP port of the same number do not clash
const DEFAULT_ENCODING = 'utf-8'; // what the note's client decodes with
const MAX_NAME_BYTES = 1024; // the note's recvfrom(1024), kept as a limit we announce instead of a silent cut

const USAGE = `usage: udp-server.ts [--host HOST] [--port PORT] [--encoding NAME] [--quiet]
  --host HOST      address to bind (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      UDP port, 0 lets the system pick a free one (default ${DEFAULT_PORT})
  --encoding NAME  how names are decoded and replies encoded (default ${DEFAULT_ENCODING}; e.g. gbk)
  --quiet          no line per datagram (errors and shutdown still print)`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));

// #region udp-server
const socket = dgram.createSocket(net.isIPv6(options.host) ? 'udp6' : 'udp4');
let bound = false;
socket.on('error', (err: NodeJS.ErrnoException) => {
  if (bound) return console.error(`udp-server: ${err.message}`); // a failed send must not stop the server
  console.error(`udp-server: bind: ${describeBindError(err)}`);
  process.exit(1);
});
socket.on('message', (data: Buffer, sender: dgram.RemoteInfo) => {
  const peer = formatAddress(sender.address, sender.port);
  if (data.length > MAX_NAME_BYTES) {
    console.error(`udp-server: ${peer}: a datagram of ${data.length} bytes is longer than ${MAX_NAME_BYTES}; refused`);
    return reply(`error: datagram longer than ${MAX_NAME_BYTES} bytes`, sender);
  }
  const name = iconv.decode(data, options.encoding).replace(/\r?\n$/, ''); // the whole datagram is the name
  if (!options.quiet) console.log(`received ${printable(name)} from ${peer}`);
  reply(`Hello, ${name}!`, sender);
});
socket.bind(options.port, options.host, () => {
  bound = true;
  const address = socket.address();
  console.log(`listening on ${formatAddress(address.address, address.port)}`);
});
// #endregion udp-server

// No connection to close: stopping is closing the one socket.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`${signal}: stopped`);
    socket.close();
  });
}

// UDP sends the datagram or reports a local error; it never knows whether it arrived.
function reply(text: string, to: dgram.RemoteInfo): void {
  socket.send(iconv.encode(text, options.encoding), to.port, to.address, (err) => {
    if (err) console.error(`udp-server: send to ${formatAddress(to.address, to.port)}: ${err.message}`);
  });
}

function parseOptions(args: string[]): { host: string; port: number; encoding: string; quiet: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        quiet: { type: 'boolean', default: false },
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
  return { host: values.host, port: Number(values.port), encoding: values.encoding, quiet: values.quiet };
}

function usageError(message: string): never {
  console.error(`udp-server: ${message} (see --help)`);
  process.exit(2);
}

function firstSentence(message: string): string {
  return message.split(/\.\s/)[0] ?? message;
}

function describeBindError(err: NodeJS.ErrnoException): string {
  const where = `${options.host} port ${options.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `UDP ${where} is already in use (is another UDP server still running?)`;
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

function formatAddress(host: string | undefined, port: number | undefined): string {
  return host?.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
