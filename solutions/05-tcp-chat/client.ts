// client.ts: lesson 05-tcp-chat, exercise solution: the client side of the chat, with --framing line|length.
// Ports note 000_b61c2648d9369a9a.txt, section "tcp 编程", program "TCP CLIENT端聊天实现".
// Partner: server.ts in this folder. Run: node --import tsx solutions/05-tcp-chat/client.ts
//   [--host 127.0.0.1] [--port 10034] [--encoding utf-8] [--timeout 300] [--framing line|length]
// Or: npm run lesson 05-tcp-chat client -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Framing: a message is one line of text in --encoding ending in "\n" ("\r\n" is accepted too);
// with --framing length, a 4-byte big-endian byte count followed by that many bytes of text.
// Turns: the client speaks first, then each side sends one line after each line from the other;
// a line typed out of turn waits for it. "bye" from either side ends the chat for both; end of
// input ends our side of the connection (FIN) at our turn, without "bye".

import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: the lesson never leaves this machine
const DEFAULT_PORT = 10034; // the note's port
const DEFAULT_ENCODING = 'utf-8'; // the note's client and server both use utf-8
const DEFAULT_TIMEOUT_S = 300; // a person may think for a while, but not for ever
const MAX_LINE_CHARS = 4096; // far above a typed line; a peer that never sends "\n" cannot fill our memory
const MAX_MESSAGE_BYTES = MAX_LINE_CHARS * 4; // no character of utf-8, gbk or gb18030 takes more than 4 bytes
const FRAMINGS = ['line', 'length'];
const BYE = 'bye';
const PEER = 'server';

const USAGE = `usage: client.ts [--host HOST] [--port PORT] [--encoding NAME] [--timeout SECONDS] [--framing KIND]
  --host HOST        server address (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT        server port (default ${DEFAULT_PORT})
  --encoding NAME    how lines are encoded on the wire (default ${DEFAULT_ENCODING}; e.g. gbk, gb18030)
  --timeout SECONDS  how long to wait for the server on its turn, or to close after the end (default ${DEFAULT_TIMEOUT_S})
  --framing KIND     line: text ending in "\\n"; length: a 4-byte byte count, then the text (default line)
Type a line and press Enter to send it on your turn; "bye" ends the chat, Ctrl-D leaves without it.`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
let myTurn = true; // the client speaks first, as in the note
let ending = false; // bye sent or heard, input ended, or the server left: only the close is awaited
const typed: (string | null)[] = []; // lines typed but not sent yet; null marks the end of input

// #region connect
const socket = net.connect({ host: options.host, port: options.port });
socket.on('error', (err: NodeJS.ErrnoException) => fail(describeSocketError(err)));
socket.on('timeout', onSilence);
socket.setTimeout(options.timeout * 1000); // also bounds a connect that gets no answer
socket.on('connect', () => {
  console.log(`connected to ${formatAddress(socket.remoteAddress, socket.remotePort)}`);
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    typed.push(line);
    speak();
  });
  input.on('close', () => {
    typed.push(null);
    speak();
  });
  (options.framing === 'line' ? readLines : readLengthPrefixed)(socket, hear, peerEnded);
  socket.on('close', () => {
    input.close();
    process.stdin.destroy();
  }); // nothing left to say or hear
  setTurn(true);
  speak();
});
// #endregion connect

// #region turns
// Sends the next typed line if it is our turn. A line typed out of turn stays queued, as Python's
// input() leaves it in the terminal until the program asks for it.
function speak(): void {
  while (myTurn && !ending && typed.length > 0) {
    const line = typed.shift() as string | null;
    if (line === null) return end('end of input: leaving without saying bye');
    const bytes = encodeLine(line);
    if (bytes === undefined) continue; // refused, and said why: still our turn
    socket.write(bytes);
    setTurn(false);
    if (line === BYE) return end('you said bye; conversation over');
  }
  if (myTurn && !ending && process.stdin.isTTY) process.stdout.write('> ');
}

function hear(text: string): void {
  console.log(`${PEER}: ${printable(text)}`);
  if (ending) return;
  if (text === BYE) return end(`the ${PEER} said bye; conversation over`);
  setTurn(true);
  speak();
}

// Our FIN says "nothing more from me". We keep reading until the server closes too, so that
// closing never discards something it still sends (unread data turns a close into a reset).
function end(why: string): void {
  ending = true;
  console.log(why);
  socket.end();
  socket.setTimeout(options.timeout * 1000);
}

// The server's FIN: Python's recv() returns b'' here, for ever; the note's loop never checks.
function peerEnded(): void {
  if (!ending) console.log(`the ${PEER} left without saying bye`);
  ending = true;
}

function onSilence(): void {
  if (!ending) fail(`the ${PEER} has been silent for ${options.timeout} s; giving up`);
  console.log(`the ${PEER} did not close the connection within ${options.timeout} s; closing it`);
  socket.destroy();
}

// The timer runs only while we wait for the server: our own user may take as long as they like.
function setTurn(mine: boolean): void {
  myTurn = mine;
  socket.setTimeout(mine ? 0 : options.timeout * 1000);
}
// #endregion turns

// #region framing
// TCP is a byte stream: one 'data' chunk can hold part of a line, or several lines. So the bytes
// are cut at each "\n" (the byte 0x0a, which no character of a line-framing encoding contains) and
// each line is decoded whole, once complete: a character split between two chunks is never cut in
// two, in any encoding. What follows the last "\n" waits for the rest of its line.
function readLines(stream: net.Socket, onLine: (line: string) => void, onEnd: () => void): void {
  let pending = Buffer.alloc(0); // the start of a line whose "\n" has not arrived yet
  const deliver = (bytes: Buffer): void => {
    const line = iconv.decode(bytes, options.encoding);
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.length > MAX_LINE_CHARS) tooLong();
    onLine(text);
  };
  stream.on('data', (chunk: Buffer) => {
    let bytes = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a)) {
      deliver(bytes.subarray(0, end));
      bytes = bytes.subarray(end + 1);
    }
    pending = Buffer.from(bytes); // a copy: the chunk itself can be freed
    if (pending.length > MAX_LINE_CHARS + 1 && completeChars(pending) > MAX_LINE_CHARS + 1) tooLong(); // + 1: room for a "\r"
  });
  stream.on('end', () => {
    if (pending.length > 0) deliver(pending); // the end of the stream ends its last line too
    onEnd();
  });
}

// How many characters (UTF-16 units) the complete characters of an unfinished line make: a new
// decoder given all of its bytes at once holds back only an incomplete last character.
function completeChars(bytes: Buffer): number {
  return iconv.getDecoder(options.encoding).write(bytes).length;
}

// Length framing: the byte count says where the message ends before its text arrives, so an
// oversized message is refused at once, and a message is decoded only when it is whole.
function readLengthPrefixed(stream: net.Socket, onMessage: (text: string) => void, onEnd: () => void): void {
  let pending = Buffer.alloc(0); // bytes received but not yet part of a whole message
  stream.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (length > MAX_MESSAGE_BYTES) fail(`the ${PEER} announced a message longer than ${MAX_MESSAGE_BYTES} bytes; connection dropped`);
      if (pending.length < 4 + length) break; // the rest of this message is still on its way
      onMessage(iconv.decode(pending.subarray(4, 4 + length), options.encoding));
      pending = pending.subarray(4 + length);
    }
  });
  stream.on('end', () => {
    if (pending.length > 0) fail(`the ${PEER} closed the connection in the middle of a message`);
    onEnd();
  });
}

function tooLong(): never {
  fail(`the ${PEER} sent a line longer than ${MAX_LINE_CHARS} characters; connection dropped`);
}

// A line we would refuse to receive is not sent: one over the limit, or one with characters the
// encoding lacks (iconv-lite would silently send '?' for them).
function encodeLine(line: string): Buffer | undefined {
  const text = options.framing === 'line' ? `${line}\n` : line;
  const bytes = iconv.encode(text, options.encoding);
  let problem: string | undefined;
  if (line.length > MAX_LINE_CHARS) problem = `it is longer than ${MAX_LINE_CHARS} characters`;
  else if (iconv.decode(bytes, options.encoding) !== text) problem = `${options.encoding} cannot encode it`;
  if (problem) console.error(`client: line not sent: ${problem}`);
  return problem ? undefined : withFraming(bytes);
}

// Length framing puts the byte count first: bytes, not characters, since the receiver counts bytes.
function withFraming(bytes: Buffer): Buffer {
  if (options.framing === 'line') return bytes;
  const count = Buffer.alloc(4);
  count.writeUInt32BE(bytes.length);
  return Buffer.concat([count, bytes]);
}
// #endregion framing

function parseOptions(args: string[]): { host: string; port: number; encoding: string; timeout: number; framing: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_S) },
        framing: { type: 'string', default: 'line' },
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
  if (!iconv.encodingExists(values.encoding)) usageError(`unknown encoding '${values.encoding}'`);
  if (!FRAMINGS.includes(values.framing)) usageError(`--framing must be line or length, not '${values.framing}'`);
  // Lines are cut at the byte 0x0a, so "\n" must be that one byte (not so in utf-16); length framing needs no "\n".
  if (values.framing === 'line' && !iconv.encode('\n', values.encoding).equals(Buffer.of(0x0a))) {
    usageError(`encoding '${values.encoding}' cannot frame lines (use --framing length)`);
  }
  const port = wholeNumber('--port', values.port, 1, 65535);
  return {
    host: values.host,
    port,
    encoding: values.encoding,
    timeout: wholeNumber('--timeout', values.timeout, 1, 86_400),
    framing: values.framing,
  };
}

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < min || Number(value) > max) {
    usageError(`${flag} must be a whole number from ${min} to ${max}, not '${value}'`);
  }
  return Number(value);
}

function usageError(text: string): never {
  console.error(`client: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  console.error(`client: ${text}`);
  process.exit(1);
}

function describeSocketError(err: NodeJS.ErrnoException): string {
  const where = formatAddress(options.host, options.port);
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connect: connection refused by ${where} (is the server running?)`;
    case 'ENOTFOUND':
      return `connect: cannot resolve host '${options.host}'`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `the ${PEER} reset the connection`;
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
