// baseline-echo-server.ts: the benchmark's baseline for lesson 07, a minimal node:net server
// speaking the lesson's protocol: "Welcome!\n" on connect, "Hello, NAME!\n" for each line NAME,
// and the line "exit" ends the connection. No limits, no logging, no encodings: utf-8 only.
//   node baseline-echo-server.mjs [--port 0]    prints "listening on HOST:PORT"

import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const HOST = '127.0.0.1';

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {});
  socket.write('Welcome!\n');
  let partial = '';
  socket.setEncoding('utf8').on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line === 'exit') return void socket.end();
      socket.write(`Hello, ${line}!\n`);
    }
  });
  socket.on('end', () => socket.end());
});
server.listen({ port: Number(values.port), host: HOST, backlog: 1024 }, () =>
  console.log(`listening on ${HOST}:${(server.address() as net.AddressInfo).port}`),
);
