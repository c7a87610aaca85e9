// server.ts: lesson 04-tcp-server, exercise solution: answers N clients with "thank you !", then stops.
// Ports note 001_29a95b92d2c1578e.txt section 4 program 2 (tcp服务端) and the server flow of
// note 003_6825ec3cda617768.txt (TCP服务器端流程). Partner: client.ts in this folder.
// Run: node --import tsx solutions/04-tcp-server/server.ts [--host 127.0.0.1] [--port 7788] [--encoding gbk] [--clients 1]
// Or: npm run lesson 04-tcp-server server -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Framing: one message per connection. The client half-closes its sending side when the
// message is complete, so the server reads until end of stream ('end'), never "one read".

import net from 'node:net';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback: nothing outside this machine can connect
const DEFAULT_PORT = 7788; // the note's port
const DEFAULT_ENCODING = 'gbk'; // the note encodes with gbk on both sides
const REPLY = 'thank you !';
const MAX_MESSAGE_BYTES = 1024 * 1024; // bounds what one client can make us hold in memory
const IDLE_TIMEOUT_MS = 30_000; // a client that goes silent is dropped, not waited on forever

const DEFAULT_CLIENTS = 1; // the lesson's behaviour: one client, then stop

const USAGE = `usage: server.ts [--host HOST] [--port PORT] [--encoding NAME] [--clients N]
  --host HOST      address to listen on (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      TCP port, 0 lets the system pick a free one (default ${DEFAULT_PORT})
  --encoding NAME  how the bytes on the wire are decoded (default ${DEFAULT_ENCODING}; e.g. utf-8, gb18030)
  --clients N      serve N clients, then stop; 0 serves until Ctrl-C (default ${DEFAULT_CLIENTS})`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));

// #region listen
// allowHalfOpen: when the client's FIN arrives we still want to send the reply,
// so Node must not close our sending side automatically.
const server = net.createServer({ allowHalfOpen: true }, serveClient);
server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`server: listen: ${describeListenError(err)}`);
  process.exitCode = 1;
});
server.listen(options.port, options.host, () => {
  const address = server.address() as net.AddressInfo;
  console.log(`listening on ${formatAddress(address.address, address.port)}`);
});
// #endregion listen

// #region serve-client
function serveClient(socket: net.Socket): void {
  // A client that reset the connection before we got here has no address any more.
  const peer = socket.remoteAddress ? formatAddress(socket.remoteAddress, socket.remotePort) : 'a client that already left';
  console.log(`connection from ${peer}`);
  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy(new Error(`silent for ${IDLE_TIMEOUT_MS / 1000} s`)));
  socket.on('error', (err) => console.error(`server: ${peer}: ${err.message}`));

  const chunks: Buffer[] = []; // the message's bytes, kept as they came: a chunk can end inside a character
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > MAX_MESSAGE_BYTES) {
      socket.destroy(new Error(`message is longer than ${MAX_MESSAGE_BYTES} bytes; connection dropped`));
      return;
    }
    chunks.push(chunk);
  });
  // 'end' is the client's half-close: only now is the whole message here, so only now is it
  // decoded, in one piece, and no character can be cut between two reads.
  socket.on('end', () => {
    if (bytes === 0) {
      console.log(`${peer} closed without sending a message`);
      socket.end();
      return;
    }
    const text = iconv.decode(Buffer.concat(chunks), options.encoding);
    console.log(`received ${bytes} bytes from ${peer}: ${printable(text)}`);
    socket.end(iconv.encode(REPLY, options.encoding), (err?: Error | null) => {
      if (err) return; // the client vanished before the reply: the 'error' handler reported it
      console.log(`replied to ${peer}: ${REPLY}`);
      clientServed();
    });
  });
}
// #endregion serve-client

// Counts the clients served; after the last one, close() stops accepting, and the process
// ends by itself once the last connection has closed.
let served = 0;
function clientServed(): void {
  served += 1;
  console.log(options.clients === 0 ? `served ${served}` : `served ${served} of ${options.clients}`);
  if (served === options.clients) server.close();
}

function parseOptions(args: string[]): { host: string; port: number; encoding: string; clients: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        clients: { type: 'string', default: String(DEFAULT_CLIENTS) },
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
  if (!/^\d{1,9}$/.test(values.clients)) usageError(`--clients must be a whole number (0: never stop), not '${values.clients}'`);
  return { host: values.host, port: Number(values.port), encoding: values.encoding, clients: Number(values.clients) };
}

function usageError(message: string): never {
  console.error(`server: ${message} (see --help)`);
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
