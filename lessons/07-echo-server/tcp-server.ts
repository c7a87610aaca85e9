// tcp-server.ts: lesson 07-echo-server, a TCP server that greets each client and answers every
// line NAME with "Hello, NAME!", serving many clients at once on one event loop.
// Ports the TCP server of note 004_072390334346f774.txt (TCP编程, 服务器). Partner: tcp-client.ts.
// Run: node --import tsx lessons/07-echo-server/tcp-server.ts [--host 127.0.0.1] [--port 9999] [--encoding utf-8] [--quiet]
// Or: npm run lesson 07-echo-server tcp-server -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Framing: lines. Every message ends with "\n" (a "\r" just before it is dropped). The server
// sends "Welcome!\n" on connect and "Hello, NAME!\n" for each line; the line "exit" ends that client.

import net from 'node:net';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback, as in the note: nothing outside this machine can connect
const DEFAULT_PORT = 9999; // the note's port
const DEFAULT_ENCODING = 'utf-8'; // the note decodes and encodes with utf-8
const GREETING = 'Welcome!';
const MAX_LINE_BYTES = 1024; // the longest line, "\n" not counted: all one client can make us hold
const BACKLOG = 1024; // connections the system queues before we accept them: 500 at once fit (the note's 5 did not)
const IDLE_TIMEOUT_MS = 60_000; // a client silent this long (up to twice as long) is dropped, not waited on for ever
const SHUTDOWN_GRACE_MS = 1_000; // after Ctrl-C, how long clients get to close before they are cut off

const USAGE = `usage: tcp-server.ts [--host HOST] [--port PORT] [--encoding NAME] [--quiet]
  --host HOST      address to listen on (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      TCP port, 0 lets the system pick a free one (default ${DEFAULT_PORT})
  --encoding NAME  how lines are decoded and replies encoded (default ${DEFAULT_ENCODING}; e.g. gbk)
  --quiet          no line per connection or message (errors, pauses and shutdown still print)`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
const codec = lineCodec(options.encoding);
const clients = new Set<net.Socket>(); // open connections, closed on Ctrl-C

// #region listen
// noDelay: replies are small and each client waits for its answer, so send them at once.
const server = net.createServer({ allowHalfOpen: true, noDelay: true }, serveClient);
server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`tcp-server: listen: ${describeListenError(err)}`);
  process.exitCode = 1;
});
server.listen({ port: options.port, host: options.host, backlog: BACKLOG }, () => {
  const address = server.address() as net.AddressInfo;
  console.log(`listening on ${formatAddress(address.address, address.port)}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => shutDown(signal));
// #endregion listen

// Called once per connection: the whole conversation is events on this socket, no thread.
function serveClient(socket: net.Socket): void {
  // A client that reset the connection before we got here has no address any more.
  const peer = socket.remoteAddress ? formatAddress(socket.remoteAddress, socket.remotePort) : 'a client that already left';
  clients.add(socket);
  log(`connection from ${peer}`);
  // A client that sent nothing between two checks, IDLE_TIMEOUT_MS apart, is dropped. (socket.setTimeout
  // would be exact, but it moves its timer on every read and every write: a few per cent of the
  // server's time in the profile.) unref: a check never keeps a stopped server alive.
  let heard = true; // whether the client has sent anything since the last check
  const idleCheck = setInterval(() => {
    if (!heard) socket.destroy(new Error(`silent for ${IDLE_TIMEOUT_MS / 1000} s; dropped`));
    heard = false;
  }, IDLE_TIMEOUT_MS).unref();
  socket.on('error', (err) => console.error(`tcp-server: ${peer}: ${err.message}`));
  socket.on('close', () => {
    clearInterval(idleCheck);
    clients.delete(socket);
    log(`connection from ${peer} closed`);
  });
  socket.write(encodeLine(GREETING));

  // #region framing
  // The start of a line whose "\n" has not arrived yet, kept as the pieces it came in: each chunk
  // is searched for "\n" once, and the pieces are joined only when their line is complete.
  let pieces: Buffer[] = [];
  let held = 0; // bytes in pieces
  socket.on('data', (chunk: Buffer) => {
    heard = true;
    if (socket.writableEnded) return; // after "exit" or an error line, the rest is ignored
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1 && !socket.writableEnded; end = chunk.indexOf(0x0a, start)) {
      const last = chunk.subarray(start, end); // the line's last piece, or all of it
      const line = pieces.length === 0 ? last : Buffer.concat([...pieces, last]);
      pieces = [];
      held = 0;
      answer(line);
      start = end + 1;
    }
    if (start === chunk.length || socket.writableEnded) return;
    pieces.push(Buffer.from(chunk.subarray(start))); // a copy of the rest only: the chunk itself can be freed
    held += chunk.length - start;
    if (held > MAX_LINE_BYTES) refuse(); // no need to wait for its end
  });
  // The client's FIN. A line without its "\n" is not a message: it is dropped, unanswered.
  socket.on('end', () => {
    if (held > 0 && !socket.writableEnded) log(`${peer} left in the middle of a line (${held} bytes dropped)`);
    socket.end();
  });
  // #endregion framing

  function answer(line: Buffer): void {
    if (line.length > MAX_LINE_BYTES) return refuse();
    const name = decodeLine(line);
    if (name === 'exit') {
      log(`${peer} sent exit`);
      socket.end(); // FIN after the replies already queued: the client reads them all, then end of stream
      return;
    }
    if (!options.quiet) log(`received ${printable(name)} from ${peer}`); // escaping costs: only for a line that is printed
    if (!socket.write(encodeLine(`Hello, ${name}!`)) && !socket.isPaused()) pauseUntilDrained();
  }

  // #region backpressure
  // write() never blocks: whatever the client does not read waits in our memory. So once write()
  // says the buffer is full, stop reading this client's lines until its replies have drained.
  // The system then stops accepting its bytes too, and the client's own writes back up.
  function pauseUntilDrained(): void {
    socket.pause();
    console.log(`paused reading from ${peer}: ${socket.writableLength} bytes of replies not yet taken`);
    socket.once('drain', () => {
      console.log(`resumed reading from ${peer}`);
      socket.resume();
    });
  }
  // #endregion backpressure

  function refuse(): void {
    console.error(`tcp-server: ${peer}: sent a line longer than ${MAX_LINE_BYTES} bytes; connection closed`);
    socket.end(encodeLine(`error: line longer than ${MAX_LINE_BYTES} bytes`));
  }
}

// #region shutdown
// Ctrl-C (SIGINT) or SIGTERM: stop accepting, say goodbye to every client with FIN, and cut off
// those that do not close in time. The process then ends by itself, with exit code 0. A second
// signal, of either kind, ends it at once: the signal's own action, as a second Ctrl-C does.
let stopping = false;
function shutDown(signal: NodeJS.Signals): void {
  if (stopping) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  stopping = true;
  console.log(`${signal}: not accepting new connections; closing ${clients.size} open connection(s)`);
  server.close(() => console.log('stopped')); // runs once the last connection has closed
  for (const socket of clients) socket.end();
  setTimeout(() => clients.forEach((socket) => socket.destroy()), SHUTDOWN_GRACE_MS).unref();
}
// #endregion shutdown

function decodeLine(line: Buffer): string {
  const end = line.at(-1) === 0x0d ? line.length - 1 : line.length; // "\r\n" from telnet and Windows
  return codec.decode(line.subarray(0, end)); // a whole line: no character is cut
}

function encodeLine(text: string): Buffer | string {
  return codec.encode(`${text}\n`);
}

// #region codec
// How a line's bytes become text and text becomes bytes, chosen once. iconv.decode(bytes, name)
// looks the encoding up by its name and builds a new decoder on every call: the largest cost a
// profile found in the server's own work per line. For utf-8, Buffer's toString() decodes directly,
// and socket.write(text) encodes to utf-8 itself, in the call that sends it. Other encodings go
// through iconv-lite, one whole line per call: a decoder kept from line to line would carry state
// across lines (the end of a bad character, whether a byte-order mark was seen), so each line still
// gets a fresh one.
function lineCodec(encoding: string): { decode: (bytes: Buffer) => string; encode: (text: string) => Buffer | string } {
  if (/^utf-?8$/i.test(encoding)) {
    return {
      decode: (bytes) => withoutBom(bytes.toString('utf8')), // as iconv-lite does: a leading U+FEFF is not text
      encode: (text) => text, // written as utf-8 by socket.write()
    };
  }
  return { decode: (bytes) => iconv.decode(bytes, encoding), encode: (text) => iconv.encode(text, encoding) };
}

function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
// #endregion codec

function log(line: string): void {
  if (!options.quiet) console.log(line);
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
  // Lines are cut at the byte 0x0a, so "\n" must be that one byte (not so in utf-16).
  if (!iconv.encode('\n', values.encoding).equals(Buffer.of(0x0a))) usageError(`encoding '${values.encoding}' cannot frame lines`);
  return { host: values.host, port: Number(values.port), encoding: values.encoding, quiet: values.quiet };
}

function usageError(message: string): never {
  console.error(`tcp-server: ${message} (see --help)`);
  process.exit(2);
}

function firstSentence(message: string): string {
  return message.split(/\.\s/)[0] ?? message;
}

function describeListenError(err: NodeJS.ErrnoException): string {
  const where = `${options.host} port ${options.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${where} is already in use (is another server still running?)`;
    case 'EACCES':
      return `no permission to listen on ${where} (ports below 1024 need privileges)`;
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
