// chat.ts: lesson 03-udp-chat, exercise solution: the menu chat with 3 reply (to the last sender shown).
// Ports note 001_29a95b92d2c1578e.txt section 3 (udp聊天器). Partner: a second copy of this file
// (the lesson's roles alice and bob), a harness socket, or nc -u.
// Run: node --import tsx solutions/03-udp-chat/chat.ts [--host 127.0.0.1] [--port 7890] [--encoding utf-8] [--receive-timeout 30]
// Or: npm run lesson 03-udp-chat alice -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Half-duplex, like the note: the program does one thing at a time. While "2 receive" waits it
// cannot send; while you are at the menu or typing, arriving datagrams wait in a queue and are
// shown one per "2 receive". Lesson 06 (full-duplex chat) removes that limit.

import dgram from 'node:dgram';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: the lesson never leaves this machine
const DEFAULT_PORT = 7890; // the note's port
const DEFAULT_ENCODING = 'utf-8'; // the note's chat encodes and decodes utf-8
const DEFAULT_RECEIVE_TIMEOUT_S = 30; // "2 receive" gives the menu back when nobody writes
const MAX_PAYLOAD = { udp4: 65507, udp6: 65527 }; // 65535 minus the UDP header (8) and, on IPv4, the IP header (20)
const MAX_QUEUED = 100; // datagrams kept while nobody receives; like a full socket buffer, later ones are dropped

const USAGE = `usage: chat.ts [--host IP] [--port PORT] [--encoding NAME] [--receive-timeout SECONDS]
  --host IP                  address to bind (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT                UDP port to bind, 0 lets the system pick a free one (default ${DEFAULT_PORT})
  --encoding NAME            text <-> bytes on the wire, the same on both peers (default ${DEFAULT_ENCODING}; e.g. gbk, gb18030)
  --receive-timeout SECONDS  how long "2 receive" waits for a datagram (default ${DEFAULT_RECEIVE_TIMEOUT_S})
Then type 1 to send (message, peer ip, peer port), 2 to receive one message, 3 to reply to its sender, 0 to quit.`;

interface Datagram {
  data: Buffer;
  address: string;
  port: number;
}

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
const type = net.isIPv6(options.host) ? 'udp6' : 'udp4';

// #region bind
// One socket does both jobs: bound to our port, peers reach us there; and what we send leaves
// from that same port, so the receiver sees where to answer.
const socket = dgram.createSocket(type);
const queue: Datagram[] = []; // arrived, not shown yet
let deliver: ((datagram: Datagram) => void) | undefined; // set while "2 receive" waits
let lastSender: { address: string; port: number } | undefined; // of the last message shown: where 3 replies
let bound = false;
socket.on('error', (err: NodeJS.ErrnoException) => {
  if (!bound) fail(`bind: ${describeBindError(err)}`);
  complain(`socket: ${err.message}`); // after bind, a socket error costs one message, not the chat
});
// Node reads each datagram as soon as it arrives; holding it here until the user asks is what
// the socket's receive buffer does for the note's program until it calls recvfrom.
socket.on('message', (data, rinfo) => {
  const datagram = { data, address: rinfo.address, port: rinfo.port };
  if (deliver) deliver(datagram);
  else if (queue.length < MAX_QUEUED) queue.push(datagram);
});
await new Promise<void>((resolve) => socket.bind(options.port, options.host, resolve));
bound = true;
const local = socket.address(); // the real port, when --port 0 let the system choose
console.log(`listening on ${formatAddress(local.address, local.port)}`);
// #endregion bind

// #region menu
const lines = createInterface({ input: process.stdin, terminal: false });
const input = lines[Symbol.asyncIterator](); // keeps lines typed (or piped) ahead of the prompts
for (;;) {
  const choice = await ask('1 send (发送消息) | 2 receive (接收消息) | 3 reply (回复) | 0 quit (退出)>');
  if (choice === undefined || choice === '0') break; // end of input quits, like 0
  if (choice === '1') await sendOne();
  else if (choice === '2') await receiveOne();
  else if (choice === '3') await replyOne();
  else complain(`'${choice}' is not a menu choice: type 1, 2, 3 or 0`);
}
lines.close();
socket.close();
// #endregion menu

// #region send
// The note's three questions, each asked again until the answer is usable; end of input returns.
async function sendOne(): Promise<void> {
  const message = await askUntil('message (要发送的数据)>', messageProblem);
  const ip = message === undefined ? undefined : await askUntil('peer ip (对方的ip地址)>', ipProblem);
  const port = ip === undefined ? undefined : await askUntil('peer port (对方的port)>', portProblem);
  if (message === undefined || ip === undefined || port === undefined) return;
  await sendTo(message, ip, Number(port));
}

// The address that came with the last message shown (the note's recv_data[1]) is where an answer
// goes: the sender sent from the port it is bound to, so it receives there too.
async function replyOne(): Promise<void> {
  if (!lastSender) return complain('nothing received yet: no one to reply to');
  const message = await askUntil(`reply to ${formatAddress(lastSender.address, lastSender.port)} (回复)>`, messageProblem);
  if (message !== undefined) await sendTo(message, lastSender.address, lastSender.port);
}

async function sendTo(message: string, ip: string, port: number): Promise<void> {
  const payload = iconv.encode(message, options.encoding);
  // One send, one datagram. "sent" means handed to the system: UDP never says whether it arrived.
  const err = await new Promise<Error | null>((resolve) => socket.send(payload, port, ip, resolve));
  if (err) complain(`send: ${err.message}`);
  else console.log(`sent ${payload.length} bytes to ${formatAddress(ip, port)}`);
}

function messageProblem(text: string): string | undefined {
  if (text === '') return 'an empty message is not sent: type some text';
  const payload = iconv.encode(text, options.encoding);
  if (iconv.decode(payload, options.encoding) !== text) return `the message has characters that ${options.encoding} cannot encode`;
  const max = MAX_PAYLOAD[type]; // a datagram cannot be bigger; UDP never splits a message for you
  if (payload.length > max) return `the message is too large for one datagram: ${payload.length} bytes, at most ${max}`;
  return undefined;
}

function ipProblem(text: string): string | undefined {
  const family = type === 'udp6' ? 6 : 4; // a udp4 socket cannot reach an IPv6 address, nor udp6 an IPv4 one
  return net.isIP(text) === family ? undefined : `'${text}' is not an IPv${family} address (this chat's socket is ${type})`;
}

function portProblem(text: string): string | undefined {
  const ok = /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535; // port 0 cannot be a destination
  return ok ? undefined : `the peer port must be a whole number from 1 to 65535, not '${text}'`;
}
// #endregion send

// #region receive
// Shows one datagram: the oldest one queued, or else the next to arrive within --receive-timeout.
// A datagram is a whole message, so each is decoded on its own.
async function receiveOne(): Promise<void> {
  const datagram = queue.shift() ?? (await nextDatagram());
  if (!datagram) return console.log(`nothing received within ${options.receiveTimeout} s`);
  lastSender = { address: datagram.address, port: datagram.port };
  const text = iconv.decode(datagram.data, options.encoding).replace(/\r?\n$/, ''); // nc ends what it sends with a newline
  console.log(`received ${datagram.data.length} bytes from ${formatAddress(datagram.address, datagram.port)}: ${printable(text)}`);
}

function nextDatagram(): Promise<Datagram | undefined> {
  console.log(`waiting for a datagram (up to ${options.receiveTimeout} s)`);
  return new Promise<Datagram | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), options.receiveTimeout * 1000);
    deliver = (datagram) => {
      clearTimeout(timer);
      resolve(datagram);
    };
  }).finally(() => (deliver = undefined));
}
// #endregion receive

// Prompts share stdout with the output lines, so off a terminal each gets a line of its own.
async function ask(prompt: string): Promise<string | undefined> {
  process.stdout.write(process.stdin.isTTY ? `${prompt} ` : `${prompt}\n`);
  const next = await input.next();
  return next.done ? undefined : next.value.trim();
}

async function askUntil(prompt: string, problem: (answer: string) => string | undefined): Promise<string | undefined> {
  for (;;) {
    const answer = await ask(prompt);
    const why = answer === undefined ? undefined : problem(answer);
    if (why === undefined) return answer;
    complain(why);
  }
}

function parseOptions(args: string[]): { host: string; port: number; encoding: string; receiveTimeout: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        'receive-timeout': { type: 'string', default: String(DEFAULT_RECEIVE_TIMEOUT_S) },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usageError((err as Error).message.split(/\.\s/)[0]!);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (net.isIP(values.host) === 0) usageError(`--host must be an IP address such as 127.0.0.1 or ::1, not '${values.host}'`);
  if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) {
    usageError(`--port must be a whole number from 0 to 65535, not '${values.port}'`);
  }
  if (!iconv.encodingExists(values.encoding)) usageError(`unknown encoding '${values.encoding}'`);
  const timeout = values['receive-timeout'];
  if (!/^\d+(\.\d+)?$/.test(timeout) || Number(timeout) <= 0 || Number(timeout) > 3600) {
    usageError(`--receive-timeout must be a number of seconds above 0 and at most 3600, not '${timeout}'`);
  }
  return { host: values.host, port: Number(values.port), encoding: values.encoding, receiveTimeout: Number(timeout) };
}

function usageError(text: string): never {
  console.error(`chat: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  complain(text);
  process.exit(1);
}

// Used for what a user typed wrong too: one line on stderr, and the chat goes on.
function complain(text: string): void {
  console.error(`chat: ${text}`);
}

function describeBindError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `port ${options.port} on ${options.host} is already in use (is another chat still running?)`;
    case 'EACCES':
      return `no permission to bind port ${options.port} on ${options.host} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `${options.host} is not an address of this machine`;
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
