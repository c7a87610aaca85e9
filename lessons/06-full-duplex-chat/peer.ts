// peer.ts: lesson 06-full-duplex-chat, a UDP chat peer that sends every line you type and prints
// every datagram that arrives, both at the same time (全双工, full duplex), until /quit or end of input.
// Ports the threaded chats of note 000_b61c2648d9369a9a.txt (UDP使用多线程实现聊天) and note
// 002_7f781570ac98c272.txt section 6 (模仿qq聊天，多线程). Partner: another peer.ts, or nc -u.
// Run: node --import tsx lessons/06-full-duplex-chat/peer.ts [--host 127.0.0.1] [--port 8080]
//        [--peer-host 127.0.0.1] [--peer-port PORT] [--encoding gb2312]
// Or: npm run lesson 06-full-duplex-chat alice -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// No threads: the socket and the line reader share Node's event loop, which waits for both at
// once. A typed line is sent as one datagram (数据报), without its line end; a datagram is one
// message, decoded whole. Without --peer-port the peer answers whoever sent to it last.

import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: nothing outside this machine can reach the peer
const DEFAULT_PORT = 8080; // note 002's chat binds 8080 (note 000's binds 8989)
const DEFAULT_ENCODING = 'gb2312'; // both notes' chats encode with gb2312
// The most a UDP datagram can carry: 65535 (the IP length field) less 8 for the UDP header, and
// on IPv4 less 20 more for the IPv4 header, which that length field counts too.
const MAX_PAYLOAD = { udp4: 65_507, udp6: 65_527 };

const USAGE = `usage: peer.ts [--host HOST] [--port PORT] [--peer-host HOST] [--peer-port PORT] [--encoding NAME]
  --host HOST       address to bind (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT       UDP port to bind, 0 lets the system pick a free one (default ${DEFAULT_PORT})
  --peer-host HOST  where your lines go (default the loopback of --host's family)
  --peer-port PORT  the other peer's port; without it, answer whoever sent to you last
  --encoding NAME   text <-> bytes on the wire (default ${DEFAULT_ENCODING}; e.g. utf-8, gbk, gb18030)
Type a line to send it; /quit or end of input (Ctrl-D) ends the chat; // sends a line starting with /.`;

interface Address {
  host: string;
  port: number;
}

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
const type = net.isIPv6(options.host) ? 'udp6' : 'udp4';
const learns = options.partner === undefined; // then the partner is whoever sent last
let partner = options.partner;
let bound = false;
let inFlight = 0; // sends handed to the socket whose callback has not run yet
let quitting = false;
let lines: readline.Interface | undefined;

// #region socket
// One socket both sends and receives, so the port the other side sees on our datagrams is the
// port we listen on: that is what lets it answer us.
const socket = dgram.createSocket(type);
socket.on('error', (err: NodeJS.ErrnoException) => {
  if (!bound) die(1, `bind: ${describeBindError(err)}`);
  complain(`socket: ${err.message}`);
});
socket.on('message', showDatagram); // runs whenever a datagram arrives, whatever stdin is doing
socket.bind(options.port, options.host, () => {
  bound = true;
  const { address, port } = socket.address();
  console.log(`listening on ${format({ host: address, port })}`);
  if (partner) console.log(`talking to ${format(partner)}`);
  readLines();
});
// #endregion socket

// #region read-lines
// readline calls back once per line and never blocks: while nobody types, the event loop is free
// to run the socket's 'message' handler. This is what the notes needed a second thread for.
function readLines(): void {
  const tty = process.stdin.isTTY === true;
  lines = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: '<<< ' });
  lines.on('line', (line) => {
    if (quitting) return;
    handleLine(line);
    if (tty && !quitting) lines!.prompt();
  });
  lines.on('close', quit); // end of input (Ctrl-D), or /quit below
  if (tty) lines.prompt();
}
// #endregion read-lines

function handleLine(line: string): void {
  if (line === '') return; // nothing to say
  if (line === '/quit') return lines!.close();
  if (line.startsWith('/') && !line.startsWith('//')) {
    return complain(`unknown command '${line}' (the one command is /quit; start a line with // to send one that begins with /)`);
  }
  send(line.startsWith('//') ? line.slice(1) : line);
}

// #region send
function send(text: string): void {
  if (!partner) return complain('not sent: no partner yet (give --peer-port, or wait until someone sends to you)');
  const payload = iconv.encode(text, options.encoding);
  // iconv-lite would silently send '?' for a character the encoding lacks (an emoji in gb2312).
  if (iconv.decode(payload, options.encoding) !== text) {
    return complain(`not sent: the line has characters ${options.encoding} cannot encode (try --encoding utf-8)`);
  }
  if (payload.length > MAX_PAYLOAD[type]) {
    return complain(
      `not sent: ${payload.length} bytes do not fit in one UDP datagram (at most ${MAX_PAYLOAD[type]} over ${type === 'udp6' ? 'IPv6' : 'IPv4'})`,
    );
  }
  const to = partner;
  inFlight += 1;
  // "sent" means handed to the system: UDP never tells us whether anyone received it.
  socket.send(payload, to.port, to.host, (err) => {
    inFlight -= 1;
    if (err) complain(`send to ${format(to)}: ${err.message}`);
    else show(`sent ${payload.length} bytes to ${format(to)}`);
    if (quitting && inFlight === 0) socket.close();
  });
}
// #endregion send

// #region receive
// Node hands over each datagram whole (up to 64 KiB), where the notes' recvfrom(1024) cut it.
function showDatagram(data: Buffer, rinfo: dgram.RemoteInfo): void {
  const sender = { host: rinfo.address, port: rinfo.port };
  const text = iconv.decode(data, options.encoding, { stripBOM: false });
  show(`from ${format(sender)}: ${printable(text.replace(/\r?\n$/, ''))}`); // nc ends its datagrams with \n
  if (!iconv.encode(text, options.encoding).equals(data)) {
    complain(`the datagram from ${format(sender)} is not valid ${options.encoding} (does the other side use another --encoding?)`);
  }
  // Like a UDP server learning its client from recvfrom: the sender's address is on the datagram.
  if (learns && (partner?.host !== sender.host || partner.port !== sender.port)) {
    partner = sender;
    show(`talking to ${format(sender)}`);
  }
}
// #endregion receive

// Ends the chat: the sends still in flight finish first, then closing the socket leaves the event
// loop with nothing to wait for, and the process exits 0.
function quit(): void {
  quitting = true;
  process.stdin.destroy(); // after /quit, an open stdin would keep the process waiting for input
  if (inFlight === 0) socket.close();
}

// On a terminal, a datagram may arrive while you are typing: clear the prompt line, print, and
// draw the prompt and your half-typed line again (note 002 printed an empty line instead).
function show(line: string, print = console.log): void {
  if (!lines?.terminal) return print(line);
  readline.clearLine(process.stdout, 0);
  readline.cursorTo(process.stdout, 0);
  print(line);
  if (!quitting) lines.prompt(true);
}

// A problem the chat survives: one line on stderr, and the chat goes on.
function complain(text: string): void {
  show(`peer: ${text}`, console.error);
}

function parseOptions(args: string[]): { host: string; port: number; partner?: Address; encoding: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        'peer-host': { type: 'string' },
        'peer-port': { type: 'string' },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    die(2, (err as Error).message.split(/\.\s/)[0]!);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = parsePort('--port', values.port, 0);
  const peerPort = values['peer-port'] === undefined ? undefined : parsePort('--peer-port', values['peer-port'], 1);
  if (values['peer-host'] !== undefined && peerPort === undefined) die(2, '--peer-host needs --peer-port');
  const v6 = net.isIPv6(values.host);
  const peerHost = values['peer-host'] ?? (v6 ? '::1' : '127.0.0.1');
  if (net.isIP(peerHost) !== 0 && net.isIPv6(peerHost) !== v6) {
    die(2, `--peer-host ${peerHost} and --host ${values.host} are not the same IP version (one socket speaks one)`);
  }
  if (!iconv.encodingExists(values.encoding)) die(2, `unknown encoding '${values.encoding}'`);
  const partner = peerPort === undefined ? undefined : { host: peerHost, port: peerPort };
  return { host: values.host, port, partner, encoding: values.encoding };
}

function parsePort(flag: string, text: string, min: number): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < min || Number(text) > 65535) {
    die(2, `${flag} must be a whole number from ${min} to 65535, not '${text}'`);
  }
  return Number(text);
}

// Exit 2 is a usage error (a bad flag), exit 1 one the user can fix otherwise (a busy port).
function die(code: 1 | 2, text: string): never {
  console.error(`peer: ${text}${code === 2 ? ' (see --help)' : ''}`);
  process.exit(code);
}

function describeBindError(err: NodeJS.ErrnoException): string {
  const where = `port ${options.port} on ${options.host}`;
  if (err.code === 'EADDRINUSE') return `${where} is already in use (is another peer still running?)`;
  if (err.code === 'EACCES') return `no permission to bind ${where} (ports below 1024 need privileges)`;
  if (err.code === 'EADDRNOTAVAIL') return `${options.host} is not an address of this machine`;
  return err.message;
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

function format({ host, port }: Address): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
