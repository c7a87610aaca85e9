// baseline-download.ts: the benchmark's baselines for lesson 08, the same bytes over a plain
// node:net socket with no protocol at all: the server writes one file to every connection and
// closes; the client writes everything it receives into a file. What Node itself can do here.
//   node baseline-download.mjs serve --file FILE [--port 0] [--reuse]   prints "listening on HOST:PORT"
//   node baseline-download.mjs fetch --port PORT --out FILE [--reuse]    exits 0 once the file is written
// Without --reuse: streams and pipeline(), as lesson 08 did before issue 16: every chunk a new Buffer.
// With --reuse (the target's reference): two (server) or one (client) 64 KiB buffers used again and
// again, so the memory in use cannot grow with the file, whenever the garbage collector runs.

import { closeSync, createReadStream, createWriteStream, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const CHUNK = 64 * 1024; // as a stream's highWaterMark
const HOST = '127.0.0.1';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '0' },
    file: { type: 'string' },
    out: { type: 'string' },
    reuse: { type: 'boolean', default: false },
  },
});

if (positionals[0] === 'serve' && values.file) {
  const file = values.file;
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    const sent = values.reuse ? sendReusing(file, socket) : pipeline(createReadStream(file), socket);
    sent.catch(() => socket.destroy());
  });
  server.listen(Number(values.port), HOST, () => console.log(`listening on ${HOST}:${(server.address() as net.AddressInfo).port}`));
} else if (positionals[0] === 'fetch' && values.out) {
  const out = values.out;
  if (values.reuse) {
    // onread: the socket reads into our one buffer; each chunk goes to the file before the next read.
    const fd = openSync(out, 'w');
    const socket = net.connect({
      host: HOST,
      port: Number(values.port),
      onread: { buffer: Buffer.allocUnsafe(CHUNK), callback: (n, buffer) => writeSync(fd, buffer, 0, n) >= 0 },
    });
    socket.on('end', () => closeSync(fd));
  } else {
    await pipeline(net.connect({ host: HOST, port: Number(values.port) }), createWriteStream(out));
  }
} else {
  console.error('usage: baseline-download.mjs serve --file FILE [--port P] [--reuse] | fetch --port P --out FILE [--reuse]');
  process.exit(2);
}

/** Reads into one buffer while the other is being sent; a buffer is read into again only once its write has completed. */
async function sendReusing(path: string, socket: net.Socket): Promise<void> {
  const file = await open(path, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let sending: Promise<unknown> = Promise.resolve();
    for (let i = 0; ; i++) {
      const buffer = buffers[i % 2]!;
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      await sending; // the other buffer's bytes are with the system now
      if (bytesRead === 0) break;
      sending = new Promise((resolve, reject) =>
        socket.write(buffer.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve(undefined))),
      );
    }
  } finally {
    await file.close();
  }
  socket.end();
}
