// udp-client.ts: lesson 07-echo-server, a UDP client that sends each name it reads as one datagram
// and prints the reply; a lost datagram is sent again, a bounded number of times.
// Ports the UDP client of note 004_072390334346f774.txt (UDP编程, client). Partner: udp-server.ts.
// Run: node --import tsx lessons/07-echo-server/udp-client.ts [--host 127.0.0.1] [--port 9999] [--encoding utf-8] [--timeout MS] [--retries N]
// Or: npm run lesson 07-echo-server udp-client -- [flags]. (Node 20 cannot run a .ts file with plain `node`.)
//
// Framing: one datagram per name, one per reply. UDP may lose, duplicate or reorder datagrams,
// so the client waits a limited time, sends again, and accepts only "Hello, NAME!" from the server.

import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';

const DEFAULT_HOST = '127.0.0.1'; // loopback, as in the note
const DEFAULT_PORT = 9999; // the note's port
const DEFAULT_ENCODING = 'utf-8'; // the note decodes with utf-8
const DEFAULT_TIMEOUT_MS = 1_000; // how long one try waits for its reply
const DEFAULT_RETRIES = 3; // tries after the first, before giving up
const MAX_QUEUED = 64; // replies kept while nobody waits for them: a flood cannot grow memory

const USAGE = `usage: udp-client.ts [--host HOST] [--port PORT] [--encoding NAME] [--timeout MS] [--retries N]
  reads names from standard input, one per line, and sends each as one datagram
  --host HOST      server address (default ${DEFAULT_HOST}; ::1 for IPv6)
  --port PORT      server port (default ${DEFAULT_PORT})
  --encoding NAME  how names are encoded on the wire (default ${DEFAULT_ENCODING}; e.g. gbk)
  --timeout MS     how long each try waits for the reply (default ${DEFAULT_TIMEOUT_MS})
  --retries N      how many times a name is sent again before giving up (default ${DEFAULT_RETRIES})`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on serving.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const options = parseOptions(process.argv.slice(2));
const server = await resolveServer();
const inbox: string[] = []; // replies from the server not yet read
let wake: (() => void) | undefined;

const socket = dgram.createSocket(net.isIPv6(server) ? 'udp6' : 'udp4');
socket.on('error', (err) => fail(err.message));
// Anyone can send a datagram to our port: keep only what comes from the server's address and port.
socket.on('message', (data: Buffer, sender: dgram.RemoteInfo) => {
  if (sender.address !== server || sender.port !== options.port) {
    return console.log(`ignored a datagram from ${formatAddress(sender.address, sender.port)}`);
  }
  if (inbox.length < MAX_QUEUED) inbox.push(iconv.decode(data, options.encoding));
  wake?.();
});

for await (const name of createInterface({ input: process.stdin })) {
  console.log(`reply: ${printable(await ask(name))}`);
}
socket.close();

// #region retries
// Send, wait up to --timeout for "Hello, NAME!", and send again up to --retries times. A reply to
// an earlier try can still come in late: it no longer matches the name asked, so it is skipped.
async function ask(name: string): Promise<string> {
  const tries = options.retries + 1;
  for (let attempt = 1; attempt <= tries; attempt++) {
    if (attempt > 1) console.log(`no reply within ${options.timeout} ms; sending ${name} again (try ${attempt} of ${tries})`);
    await send(iconv.encode(name, options.encoding));
    const deadline = Date.now() + options.timeout;
    for (let reply = await receive(deadline); reply !== undefined; reply = await receive(deadline)) {
      if (reply === `Hello, ${name}!`) return reply;
      if (reply.startsWith('error: ')) fail(`the server refused ${printable(name)}: ${printable(reply)}`);
      console.log(`ignored a late or duplicate reply: ${printable(reply)}`);
    }
  }
  fail(`no reply from ${formatAddress(server, options.port)} after ${tries} tries of ${options.timeout} ms (is the UDP server running?)`);
}
// #endregion retries

function send(payload: Buffer): Promise<void> {
  return new Promise((resolve) => {
    socket.send(payload, options.port, server, (err) => (err ? fail(`send: ${err.message}`) : resolve()));
  });
}

// The next reply from the server, or undefined once the deadline has passed.
async function receive(deadline: number): Promise<string | undefined> {
  while (inbox.length === 0) {
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }
  return inbox.shift();
}

// Replies are matched on the sender's address, so a name like localhost becomes its IP first.
async function resolveServer(): Promise<string> {
  try {
    return (await lookup(options.host, { family: net.isIPv6(options.host) ? 6 : 4 })).address;
  } catch {
    fail(`cannot resolve host '${options.host}'`);
  }
}

function parseOptions(args: string[]): { host: string; port: number; encoding: string; timeout: number; retries: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        encoding: { type: 'string', default: DEFAULT_ENCODING },
        timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_MS) },
        retries: { type: 'string', default: String(DEFAULT_RETRIES) },
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
  if (!/^\d{1,7}$/.test(values.timeout) || Number(values.timeout) < 1)
    usageError(`--timeout must be a whole number of milliseconds, not '${values.timeout}'`);
  if (!/^\d{1,2}$/.test(values.retries)) usageError(`--retries must be a whole number from 0 to 99, not '${values.retries}'`);
  if (!iconv.encodingExists(values.encoding)) usageError(`unknown encoding '${values.encoding}'`);
  return {
    host: values.host,
    port: Number(values.port),
    encoding: values.encoding,
    timeout: Number(values.timeout),
    retries: Number(values.retries),
  };
}

function usageError(text: string): never {
  console.error(`udp-client: ${text} (see --help)`);
  process.exit(2);
}

function fail(text: string): never {
  console.error(`udp-client: ${text}`);
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

function formatAddress(host: string | undefined, port: number | undefined): string {
  return host?.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
