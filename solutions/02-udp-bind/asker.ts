// asker.ts: lesson 02-udp-bind, exercise solution: sends each line of standard input (or --message)
// as one UDP datagram, waits --timeout seconds for the reply, and sends it again up to --retries times.
// Ports the send-and-receive program at the top of note 000_b61c2648d9369a9a.txt (UDP 发送并接收数据)
// and note 001_29a95b92d2c1578e.txt section 2 program 2 (发送、接收数据). Partner: receiver.ts in this folder.
// Run: node --import tsx solutions/02-udp-bind/asker.ts [--host 127.0.0.1] [--port 7788] [--encoding utf-8] [--timeout 5] [--retries 0] [--message TEXT]
// Or: npm run lesson 02-udp-bind asker -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// The asker does not bind: its first send makes the system bind the socket to a free (ephemeral)
// port, and the reply comes back to that port. One question is in flight at a time.

import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: the lesson never leaves this machine
const DEFAULT_PORT = 7788; // the port the note's receiver binds
const DEFAULT_ENCODING = 'utf-8'; // must be the receiver's; the notes mix utf-8, gbk and gb2312
const DEFAULT_TIMEOUT_S = 5; // UDP never reports a lost datagram: without a limit we would wait for ever
const DEFAULT_RETRIES = 0; // the lesson's behaviour: one try, then give up
// The most one datagram can carry: 65535 (the IP length field) minus the UDP header (8) and, on
// IPv4, the IP header (20); IPv6's length field does not count its own header.
const MAX_PAYLOAD = { 4: 65_507, 6: 65_527 } as const;

const USAGE = `usage: asker.ts [--host HOST] [--port PORT] [--encoding NAME] [--timeout SECONDS] [--retries N] [--message TEXT]
  --host HOST        the receiver's address (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT        the receiver's UDP port (default ${DEFAULT_PORT})
  --encoding NAME    how messages are encoded and replies decoded (default ${DEFAULT_ENCODING}; e.g. gbk, gb18030)
  --timeout SECONDS  how long to wait for each reply (default ${DEFAULT_TIMEOUT_S})
  --retries N        after a timeout, send the same datagram again, at most N times (default ${DEFAULT_RETRIES})
  --message TEXT     send this one message; without it, every line of standard input`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
const target = await resolve(options.host);
const receiver = formatAddress(target.address, options.port);
const socket = dgram.createSocket(target.family === 6 ? 'udp6' : 'udp4');
socket.on('error', (err) => fail(err.message));
socket.on('message', onDatagram);
let waiting: ((data: Buffer) => void) | undefined; // set while a question waits for its reply

if (options.message !== undefined) {
  const problem = problemWith(options.message);
  if (problem) fail(problem);
  await ask(options.message);
} else {
  if (process.stdin.isTTY) console.log(`type a message for ${receiver} and press Enter (Ctrl-D ends)`);
  for await (const line of createInterface({ input: process.stdin })) {
    const problem = problemWith(line);
    if (problem)
      console.error(`asker: ${problem}; not sent`); // an interactive user may simply try again
    else await ask(line);
  }
}
socket.close();

// #region ask
// A timeout cannot tell a lost question from a lost reply, so each try sends the same datagram
// again: the receiver may then see it twice, which is harmless for a question like ours.
async function ask(text: string): Promise<void> {
  const payload = iconv.encode(text, options.encoding);
  const tries = options.retries + 1;
  for (let attempt = 1; attempt <= tries; attempt++) {
    if (attempt > 1) console.log(`no reply within ${options.timeout} s, trying again (try ${attempt} of ${tries})`);
    const reply = nextReply(); // waiting starts before sending, so even an instant reply is caught
    await new Promise<void>((done) =>
      socket.send(payload, options.port, target.address, (err) => (err ? fail(`send: ${err.message}`) : done())),
    );
    console.log(`sent ${payload.length} bytes to ${receiver} from port ${socket.address().port}`);
    const data = await reply;
    if (data !== undefined) {
      console.log(`reply from ${receiver}: ${printable(iconv.decode(data, options.encoding))}`);
      return;
    }
  }
  fail(
    `no reply from ${receiver} in ${tries} ${tries === 1 ? 'try' : 'tries'} of ${options.timeout} s (is the receiver running? UDP never reports a lost datagram)`,
  );
}
// #endregion ask

// #region check-source
// Our socket is bound to 0.0.0.0 (or ::) and a port anyone can send to; recvfrom() in the notes
// takes the first datagram from anybody. Only one from the address and port we asked is a reply.
function onDatagram(data: Buffer, from: dgram.RemoteInfo): void {
  const sender = formatAddress(from.address, from.port);
  if (from.address !== target.address || from.port !== options.port) {
    console.log(`ignored a datagram from ${sender} (${data.length} bytes): not ${receiver}`);
  } else if (!waiting) {
    console.log(`ignored a datagram from ${sender} (${data.length} bytes): no question is waiting for it`);
  } else {
    waiting(data);
  }
}

function nextReply(): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(undefined), options.timeout * 1000);
    const finish = (data: Buffer | undefined): void => {
      clearTimeout(timer);
      waiting = undefined;
      resolve(data);
    };
    waiting = finish;
  });
}
// #endregion check-source

// A problem a user can fix: text the encoding cannot carry, or more than one datagram holds.
function problemWith(text: string): string | undefined {
  const payload = iconv.encode(text, options.encoding);
  if (iconv.decode(payload, options.encoding) !== text) {
    return `the message has characters that ${options.encoding} cannot encode (try --encoding utf-8)`;
  }
  const max = MAX_PAYLOAD[target.family];
  if (payload.length > max) return `the message is ${payload.length} bytes; one UDP datagram over IPv${target.family} holds at most ${max}`;
  return undefined;
}

// The reply's source is compared with this address, so a name such as localhost is looked up
// once, in the family the receiver uses for it (IPv4 unless the host is an IPv6 address).
async function resolve(host: string): Promise<{ address: string; family: 4 | 6 }> {
  try {
    const found = await dns.lookup(host, { family: net.isIPv6(host) ? 6 : 4 });
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch {
    fail(`cannot resolve host '${host}'`);
  }
}

function parseOptions(args: string[]): {
  host: string;
  port: number;
  encoding: string;
  timeout: number;
  retries: number;
  message?: string;
} {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_S) },
        retries: { type: 'string', default: String(DEFAULT_RETRIES) },
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
  const timeout = Number(values.timeout);
  if (!/^\d+(\.\d+)?$/.test(values.timeout) || timeout <= 0 || timeout > 3600) {
    usageError(`--timeout must be a number of seconds above 0 and at most 3600, not '${values.timeout}'`);
  }
  if (!/^\d{1,3}$/.test(values.retries)) usageError(`--retries must be a whole number from 0 to 999, not '${values.retries}'`);
  return {
    host: values.host,
    port: Number(values.port),
    encoding: values.encoding,
    timeout,
    retries: Number(values.retries),
    message: values.message,
  };
}

function usageError(text: string): never {
  console.error(`asker: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  console.error(`asker: ${text}`);
  process.exit(1);
}

function firstSentence(text: string): string {
  return text.split(/\.\s/)[0] ?? text;
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
