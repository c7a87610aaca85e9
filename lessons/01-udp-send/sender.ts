// sender.ts: lesson 01-udp-send, sends each line of its input as one UDP datagram.
// Ports note 001_29a95b92d2c1578e.txt section 2 program 1 (发送数据), the sending parts of note
// 002_7f781570ac98c272.txt sections 4-5, and note 003_6825ec3cda617768.txt (UDP发送).
// Partner: listener.ts in this folder.
// Run: node --import tsx lessons/01-udp-send/sender.ts [--host 127.0.0.1] [--port 8080] [--encoding utf-8] [--message TEXT] [--show-bytes]
// Or: npm run lesson 01-udp-send sender -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// No connection and no framing: each datagram (数据报) is one message, addressed on its own,
// and arrives whole or not at all. "sent" means handed to the system, not delivered.

import dgram from 'node:dgram';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: the lesson never leaves this machine
const DEFAULT_PORT = 8080; // the note's destination port
const DEFAULT_ENCODING = 'utf-8'; // note 001's sender encodes with utf-8
// The most one datagram can carry: IPv4's 16-bit total length (65535) less its 20-byte header
// and UDP's 8-byte header. IPv6's length field does not count its own header: 65535 - 8.
const MAX_PAYLOAD_IPV4 = 65_507;
const MAX_PAYLOAD_IPV6 = 65_527;

const USAGE = `usage: sender.ts [--host HOST] [--port PORT] [--encoding NAME] [--message TEXT] [--show-bytes]
  --host HOST      where to send (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      destination UDP port (default ${DEFAULT_PORT})
  --encoding NAME  how text becomes bytes (default ${DEFAULT_ENCODING}; e.g. gbk, gb2312, gb18030)
  --message TEXT   send this one message; without it, each line of standard input is one datagram
  --show-bytes     print the encoded bytes in hex before sending them`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
const ipv6 = net.isIPv6(options.host);
const maxPayload = ipv6 ? MAX_PAYLOAD_IPV6 : MAX_PAYLOAD_IPV4;

// #region socket
// A UDP socket (SOCK_DGRAM); udp6 when the destination is an IPv6 address. No bind(): the first
// send makes the system bind the socket to a free port of its choosing, on every address. The
// sender does not need a known port; only the receiver does, so that senders can find it.
const socket = dgram.createSocket(ipv6 ? 'udp6' : 'udp4');
socket.on('error', (err) => fail(`socket: ${err.message}`));
// #endregion socket

if (options.message !== undefined) {
  const problem = await sendMessage(options.message);
  if (problem) fail(problem);
} else {
  await sendEachLine();
}
socket.close();

// One socket for every line, so every datagram leaves from the same port. A line that cannot be
// sent is reported in one line and skipped; the program goes on with the next one.
async function sendEachLine(): Promise<void> {
  if (process.stdin.isTTY) console.log('请输入要发送的数据 (one line, one datagram; Ctrl-D ends):');
  for await (const line of createInterface({ input: process.stdin })) {
    const problem = await sendMessage(line);
    if (problem) console.error(`sender: ${problem}`);
  }
}

// #region send
/** Sends `text` as one datagram; returns why it was not sent, if it was not. */
async function sendMessage(text: string): Promise<string | undefined> {
  if (text === '') return 'empty line: nothing sent';
  const payload = iconv.encode(text, options.encoding);
  // iconv-lite would silently turn a character gbk lacks (an emoji) into '?'.
  if (iconv.decode(payload, options.encoding) !== text) {
    return `the message has characters that ${options.encoding} cannot encode (try --encoding utf-8): nothing sent`;
  }
  if (payload.length > maxPayload) {
    return `the message is ${payload.length} bytes in ${options.encoding}; one UDP datagram over ${ipv6 ? 'IPv6' : 'IPv4'} holds at most ${maxPayload}: nothing sent`;
  }
  if (options.showBytes) console.log(`${options.encoding} bytes: ${hex(payload)}`);
  // The destination travels with every datagram: sendto(bytes, (host, port)) in Python.
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
    socket.send(payload, options.port, options.host, (error) => resolve(error)),
  );
  if (err?.code === 'EMSGSIZE') return `the system refused a ${payload.length}-byte datagram as too long: nothing sent`;
  if (err) fail(describeSendError(err));
  const to = formatAddress(options.host, options.port);
  console.log(`sent ${payload.length} bytes to ${to} from port ${socket.address().port}`);
  return undefined;
}
// #endregion send

function hex(bytes: Buffer): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

function parseOptions(args: string[]): { host: string; port: number; encoding: string; message?: string; showBytes: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        message: { type: 'string' },
        'show-bytes': { type: 'boolean', default: false },
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
  // Port 0 means "any free port" when binding, but no datagram can be sent to it.
  if (!/^\d{1,5}$/.test(values.port) || Number(values.port) < 1 || Number(values.port) > 65535) {
    usageError(`--port must be a whole number from 1 to 65535, not '${values.port}'`);
  }
  if (!iconv.encodingExists(values.encoding)) usageError(`unknown encoding '${values.encoding}'`);
  const { host, encoding, message } = values;
  return { host, port: Number(values.port), encoding, message, showBytes: values['show-bytes'] };
}

function usageError(text: string): never {
  console.error(`sender: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  console.error(`sender: ${text}`);
  process.exit(1);
}

function firstSentence(text: string): string {
  return text.split(/\.\s/)[0] ?? text;
}

function describeSendError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `send: cannot resolve host '${options.host}'`;
    case 'EACCES':
      return `send: not allowed to send to ${options.host} (a broadcast address?)`;
    default:
      return `send: ${err.message}`;
  }
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
