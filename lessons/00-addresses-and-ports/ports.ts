// ports.ts: lesson 00-addresses-and-ports, what a port (端口) is and is not, in six short experiments
// on loopback: TCP and UDP on the same number, two binds that clash, port 0 and the ephemeral range,
// several ports in one process, a client's own port, and rebinding after a closed connection.
// Ports note 002_7f781570ac98c272.txt §2 (端口) and §5 (端口是唯一的), note 003_6825ec3cda617768.txt (端口号)
// and note 004_072390334346f774.txt (UDP编程: UDP and TCP ports do not clash). Partner: none; it
// talks to itself. Run: npm run lesson 00-addresses-and-ports ports -- [--host 127.0.0.1 | --host ::1]

import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';

const DEFAULT_HOST = '127.0.0.1'; // loopback: nothing outside this machine takes part
const TIME_LIMIT_MS = 10_000; // every experiment is local and quick; a hang is a bug, not a wait
const SEVERAL = 3; // how many ports one process holds in the "several ports" experiment
// Linux's ephemeral range (临时端口). Windows and macOS keep theirs elsewhere (netsh, sysctl).
const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
const TIME_WAIT = '06'; // the state column of /proc/net/tcp for TIME_WAIT (include/net/tcp_states.h)

const USAGE = `usage: ports.ts [--host HOST]
  --host HOST   loopback address to run the experiments on (default ${DEFAULT_HOST}; ::1 for IPv6)`;

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
const options = parseOptions(process.argv.slice(2));
const host = options.host;
setTimeout(() => fail(`the experiments took longer than ${TIME_LIMIT_MS / 1000} s`), TIME_LIMIT_MS).unref();

try {
  await sameNumberTwoProtocols();
  await bindsThatClash();
  await portZero();
  await severalPorts();
  await rebindAfterClose();
  console.log('done: every socket is closed');
} catch (err) {
  fail((err as Error).message);
}

// #region same-number
/** TCP and UDP each have their own 65536 ports: the same number can be bound in both at once. */
async function sameNumberTwoProtocols(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const server = await listen(0);
    const port = portOf(server);
    // An EADDRINUSE here would mean one shared port space, or, rarely, another program's UDP
    // socket on the number TCP just gave us: so try a few other numbers before calling it shared.
    const udp = await bindUdp(port).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE' || attempt === 3) throw err;
    });
    if (!udp) {
      await closeServer(server);
      continue;
    }
    console.log(`tcp and udp: TCP ${at(port)} and UDP ${at(port)} bound at once: both ok (TCP and UDP ports are separate)`);
    udp.close();
    await closeServer(server);
    return;
  }
}
// #endregion same-number

// #region clash
/** One protocol, one address, one port: a second bind fails with EADDRINUSE until the first is closed. */
async function bindsThatClash(): Promise<void> {
  const server = await listen(0);
  const port = portOf(server);
  console.log(`tcp clash: a second TCP listener on ${at(port)}: ${await errorCode(listen(port))}`);
  await closeServer(server);
  const udp = await bindUdp(0);
  const udpPort = udp.address().port;
  console.log(`udp clash: a second UDP socket on ${at(udpPort)}: ${await errorCode(bindUdp(udpPort))}`);
  udp.close();
}
// #endregion clash

// #region port-zero
/** Port 0 means "any free port": the system picks one from its ephemeral range. */
async function portZero(): Promise<void> {
  const server = await listen(0);
  const port = portOf(server);
  const range = ephemeralRange();
  const where = range
    ? `this system's ephemeral range is ${range[0]}-${range[1]} (${EPHEMERAL_RANGE_FILE}): ${port >= range[0] && port <= range[1] ? 'inside' : 'outside'}`
    : "this system's ephemeral range is unknown on this system";
  console.log(`port 0: the system chose TCP port ${port}; ${where}`);
  await closeServer(server);
}
// #endregion port-zero

/** A port names a socket, not a process: one process can hold many, and each connection's client end has one too. */
async function severalPorts(): Promise<void> {
  const servers = await Promise.all(Array.from({ length: SEVERAL }, () => listen(0)));
  const ports = servers.map(portOf);
  console.log(`several ports: this process (pid ${process.pid}) holds TCP ports ${ports.join(', ')} at once`);
  const [first] = servers;
  const accepted = new Promise<net.Socket>((resolve) => first!.once('connection', resolve));
  const client = net.connect({ host, port: ports[0]! });
  await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
  const served = await accepted;
  console.log(
    `client port: a connection from ${at(client.localPort!)} to ${at(ports[0]!)}: the client's end got a port of its own (ephemeral)`,
  );
  client.destroy();
  served.destroy();
  await Promise.all(servers.map(closeServer));
}

// #region rebind
/**
 * The side that closes a TCP connection first keeps its end in TIME_WAIT for a while (60 s on
 * Linux), so that late packets of the old connection are not taken for a new one's. Here the
 * server closes first; then a new listener binds the same port. Node sets SO_REUSEADDR on every
 * listening socket, which allows that bind while the old connection waits; Python does not.
 */
async function rebindAfterClose(): Promise<void> {
  const server = await listen(0);
  const port = portOf(server);
  server.once('connection', (socket) => socket.end()); // the server closes first
  const client = net.connect({ host, port });
  client.on('end', () => client.end());
  await new Promise<void>((resolve, reject) => client.once('close', () => resolve()).once('error', reject));
  await closeServer(server);
  const waiting = timeWaitCount(port);
  const again = await listen(port);
  const seen = waiting === undefined ? 'TIME_WAIT cannot be seen on this system' : `${waiting} in TIME_WAIT on port ${port} now`;
  console.log(`rebind: a new TCP listener on ${at(port)} after a connection the server closed first: ok (${seen})`);
  await closeServer(again);
}
// #endregion rebind

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function bindUdp(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, host, () => resolve(socket));
  });
}

/** The error code a bind that should fail failed with; one that succeeded is closed and reported. */
async function errorCode(attempt: Promise<net.Server | dgram.Socket>): Promise<string> {
  try {
    const socket = await attempt;
    if (socket instanceof net.Server) await closeServer(socket);
    else socket.close();
    return 'it worked (the system shares this port)';
  } catch (err) {
    return `${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (one port, one protocol, one address: one socket)`;
  }
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

function ephemeralRange(): [number, number] | undefined {
  try {
    const [low, high] = readFileSync(EPHEMERAL_RANGE_FILE, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && Number.isInteger(high) ? [low!, high!] : undefined;
  } catch {
    return undefined; // not Linux, or no /proc
  }
}

/** How many TCP connections with local port `port` the kernel lists in TIME_WAIT (Linux), or undefined. */
function timeWaitCount(port: number): number | undefined {
  try {
    const table = readFileSync(net.isIPv6(host) ? '/proc/net/tcp6' : '/proc/net/tcp', 'utf8');
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    // Each line: sl local_address(HEXIP:HEXPORT) rem_address st ...
    return table
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === TIME_WAIT).length;
  } catch {
    return undefined;
  }
}

function at(port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function parseOptions(args: string[]): { host: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
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
  if (net.isIP(values.host) === 0) usageError(`--host must be an IP address, not '${values.host}'`);
  return { host: values.host };
}

function usageError(message: string): never {
  console.error(`ports: ${message} (see --help)`);
  process.exit(2);
}

function fail(message: string): never {
  console.error(`ports: ${message}`);
  process.exit(1);
}

function firstSentence(message: string): string {
  return message.split(/\.\s/)[0] ?? message;
}
