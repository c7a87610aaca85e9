// The relay on its own (issue 15): put it in front of any server, `nc` or a Python program, to watch
// every read and FIN go by, or to break the network on purpose.
//
//   node --import tsx scripts/relay/cli.ts --to HOST:PORT [--listen-port N] [--udp] [--trace]
//        [--faults SPEC] [--seed N] [--encoding E]
//
// It prints the repository's ready line, `listening on HOST:PORT`; point the client there. Loopback
// only: the target must be 127.0.0.1, ::1 or localhost. Ctrl-C closes every connection and exits.

import iconv from 'iconv-lite';
import { exitQuietlyOnClosedStdout, parseCommandLine, usageError, wholeNumber } from '../cli.ts';
import { FaultSpecError, parseFaults, TOXIC_HELP } from './faults.ts';
import { formatEndpoint, startRelay } from './relay.ts';
import { traceTo } from './trace.ts';
import type { Endpoint, Protocol } from './types.ts';

const COMMAND = 'relay';

const HELP = `usage: node --import tsx scripts/relay/cli.ts --to HOST:PORT [--listen-port N] [--udp] [--trace] [--faults SPEC] [--seed N] [--encoding E]
  --to HOST:PORT    the real server (loopback: 127.0.0.1, ::1 or localhost)
  --listen-port N   where the relay listens, on the same host (default: a free port)
  --udp             relay UDP datagrams instead of a TCP stream
  --trace           print one line per read, FIN, RST and datagram the relay sees
  --faults SPEC     inject faults: toxics joined by +, each NAME or NAME:key=value,… (e.g. slicer:size=1)
  --seed N          makes every random choice of the faults repeatable (default 1)
  --encoding E      how --trace decodes text (default utf-8)
${TOXIC_HELP}`;

/** HOST:PORT or [IPv6]:PORT, on loopback; usageError otherwise. */
function parseTarget(text: string): Endpoint {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!match) usageError(COMMAND, `--to must be HOST:PORT, not '${text}'`);
  const host = match[1] ?? match[2]!;
  if (!['127.0.0.1', '::1', 'localhost'].includes(host))
    usageError(COMMAND, `--to must be on loopback (127.0.0.1, ::1 or localhost), not '${host}'`);
  const port = wholeNumber(COMMAND, '--to port', match[3], 1, 65535)!;
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(COMMAND, {
    options: {
      to: { type: 'string' },
      'listen-port': { type: 'string' },
      udp: { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
      faults: { type: 'string', default: '' },
      seed: { type: 'string' },
      encoding: { type: 'string', default: 'utf-8' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.to === undefined) usageError(COMMAND, 'give the server with --to HOST:PORT');
  const target = parseTarget(values.to);
  const protocol: Protocol = values.udp ? 'udp' : 'tcp';
  const listenPort = wholeNumber(COMMAND, '--listen-port', values['listen-port'], 0, 65535);
  const seed = wholeNumber(COMMAND, '--seed', values.seed, 0, 2 ** 32 - 1);
  if (!iconv.encodingExists(values.encoding)) usageError(COMMAND, `unknown encoding '${values.encoding}'`);
  let faults: ReturnType<typeof parseFaults>;
  try {
    faults = parseFaults(values.faults, protocol);
  } catch (err) {
    if (err instanceof FaultSpecError) usageError(COMMAND, err.message);
    throw err;
  }
  exitQuietlyOnClosedStdout();
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  try {
    relay = await startRelay({
      protocol,
      target,
      listen: listenPort === undefined ? {} : { port: listenPort },
      faults,
      ...(seed === undefined ? {} : { seed }),
      keepEvents: false,
      ...(values.trace ? { onEvent: traceTo(process.stdout, { encoding: values.encoding, color }) } : {}),
    });
  } catch (err) {
    console.error(`${COMMAND}: cannot listen: ${(err as Error).message}`);
    process.exit(1);
  }
  console.log(`listening on ${formatEndpoint(relay.address.host, relay.address.port)}`);
  const stop = (): void => {
    void relay.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
