// How often does a single-read receiver still get a whole message in one read through `slicer`?
// The measurement behind slicer's default delay (faults.ts, SLICER_DEFAULT_DELAY_MS): a receiver in
// another process (as a student's server is) records the size of the first read on each connection;
// a client sends one short message in one write through a relay with slicer:size=1,delay=D.
//
//   node --import tsx scripts/relay/measure-slicer.ts [--runs 100] [--delays 0,1,2] [--message TEXT]
//
// Prints, for each delay, how many runs the first read held the whole message (a known-bad
// single-read server would have passed), and the average size of the first read.

import { once } from 'node:events';
import net from 'node:net';
import { parseCommandLine, usageError, wholeNumber } from '../cli.ts';
import { Child } from '../runtime/child.ts';
import { parseFaults } from './faults.ts';
import { startRelay } from './relay.ts';

const COMMAND = 'measure-slicer';

// The receiver: for each connection, the size of its first read, then it reads on and closes.
const RECEIVER = `
const net = require('node:net');
const server = net.createServer((socket) => {
  socket.once('data', (chunk) => console.log('first ' + chunk.length));
  socket.on('data', () => {});
  socket.on('end', () => socket.end());
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log('listening on 127.0.0.1:' + server.address().port));
`;

async function main(): Promise<void> {
  const { values } = parseCommandLine(COMMAND, {
    options: {
      runs: { type: 'string', default: '100' },
      delays: { type: 'string', default: '0,1,2' },
      message: { type: 'string', default: 'hello world\n' },
    },
    strict: true,
  });
  const runs = wholeNumber(COMMAND, '--runs', values.runs, 1, 10_000)!;
  const delays = values.delays.split(',').map((text) => wholeNumber(COMMAND, '--delays', text, 0, 1000)!);
  const message = Buffer.from(values.message);
  if (message.length < 2) usageError(COMMAND, '--message must be at least 2 bytes');
  const firsts: number[] = [];
  let waiting: ((size: number) => void) | undefined;
  const receiver = new Child([process.execPath, '-e', RECEIVER], {
    name: 'receiver',
    onLine: {
      stdout: (line) => {
        const match = /^first (\d+)$/.exec(line);
        if (match) waiting?.(Number(match[1]));
      },
    },
  });
  try {
    const port = await receiver.ready();
    for (const delay of delays) {
      const relay = await startRelay({
        protocol: 'tcp',
        target: { host: '127.0.0.1', port },
        faults: parseFaults(`slicer:size=1,delay=${delay}`, 'tcp'),
        keepEvents: false,
      });
      let whole = 0;
      let total = 0;
      for (let run = 0; run < runs; run++) {
        const first = new Promise<number>((resolve) => {
          waiting = resolve;
        });
        const client = net.connect({ host: '127.0.0.1', port: relay.address.port, allowHalfOpen: true });
        client.on('error', () => {});
        await once(client, 'connect');
        client.end(message);
        const size = await first;
        firsts.push(size);
        total += size;
        if (size >= message.length) whole += 1;
        client.resume();
        await once(client, 'close');
      }
      await relay.close();
      console.log(
        `delay=${delay} ms: whole message in the first read in ${whole} of ${runs} runs; first read ${(total / runs).toFixed(2)} bytes on average (message ${message.length} bytes)`,
      );
    }
  } finally {
    await receiver.stop();
  }
}

await main();
