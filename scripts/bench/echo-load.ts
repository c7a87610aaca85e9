// echo-load.ts: the benchmark's load generator for lesson 07's protocol, in a process of its own.
// C clients connect at once; each waits for "Welcome!", then makes N round trips, one at a time
// ("NAME\n" out, "Hello, NAME!\n" back), then sends "exit" and waits for the server to close.
// Prints one JSON line: round trips per second, latency percentiles, errors and hung clients.
//   node echo-load.mjs --port PORT --clients C --rounds N [--wait-ms 10000] [--limit-ms 120000]
// Bounded: a wait longer than --wait-ms makes the client "hung" (it is dropped), and the whole run
// stops after --limit-ms, counting every unfinished client as hung.

import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    clients: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '100' },
    'wait-ms': { type: 'string', default: '10000' },
    'limit-ms': { type: 'string', default: '120000' },
  },
});
const PORT = Number(values.port);
const CLIENTS = Number(values.clients);
const ROUNDS = Number(values.rounds);
const WAIT_MS = Number(values['wait-ms']);
const LIMIT_MS = Number(values['limit-ms']);
const HOST = '127.0.0.1';

type Outcome = 'done' | 'error' | 'hung';
const latencies = new Float64Array(CLIENTS * ROUNDS);
let measured = 0;
const outcomes: Record<Outcome, number> = { done: 0, error: 0, hung: 0 };
const problems: string[] = []; // the first few, for the report

const started = performance.now();
const limit = setTimeout(() => report(true), LIMIT_MS);
const clients = Array.from({ length: CLIENTS }, (_, i) => runClient(i));
await Promise.all(clients);
report(false);

/** One client's conversation; resolves with how it ended, never rejects. */
function runClient(index: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port: PORT, noDelay: true });
    let buffered = '';
    let expected = 'Welcome!';
    let round = 0;
    let sentAt = 0;
    let ended = false;
    let timer = setTimeout(() => finish('hung', 'no greeting'), WAIT_MS);

    const finish = (outcome: Outcome, problem?: string): void => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      outcomes[outcome]++;
      if (problem && problems.length < 5) problems.push(`client ${index}: ${problem}`);
      socket.destroy();
      resolve();
    };
    const send = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish('hung', round < ROUNDS ? `no reply to round ${round + 1}` : 'no close after exit'), WAIT_MS);
      if (round === ROUNDS) {
        expected = '';
        socket.write('exit\n');
        return;
      }
      const name = `client${index}-${round}`;
      expected = `Hello, ${name}!`;
      sentAt = performance.now();
      socket.write(`${name}\n`);
    };

    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      buffered += text;
      for (let lf = buffered.indexOf('\n'); lf !== -1; lf = buffered.indexOf('\n')) {
        const line = buffered.slice(0, lf);
        buffered = buffered.slice(lf + 1);
        if (line !== expected) return finish('error', `expected ${JSON.stringify(expected)}, got ${JSON.stringify(line.slice(0, 80))}`);
        if (expected !== 'Welcome!') {
          latencies[measured++] = performance.now() - sentAt;
          round++;
        }
        send();
      }
    });
    socket.on('end', () =>
      round === ROUNDS && expected === '' ? finish('done') : finish('error', `closed by the server after ${round} round trips`),
    );
    socket.on('error', (err) => finish('error', err.message));
    socket.on('close', () => finish('error', 'the connection closed'));
  });
}

function report(stopped: boolean): void {
  clearTimeout(limit);
  const seconds = (performance.now() - started) / 1000;
  const sorted = latencies.subarray(0, measured).sort();
  const percentile = (p: number): number | null =>
    measured === 0 ? null : sorted[Math.min(measured - 1, Math.floor((p / 100) * measured))]!;
  const unfinished = CLIENTS - outcomes.done - outcomes.error - outcomes.hung;
  console.log(
    JSON.stringify({
      clients: CLIENTS,
      rounds: ROUNDS,
      seconds,
      roundTrips: measured,
      roundTripsPerSecond: measured / seconds,
      p50Ms: percentile(50),
      p99Ms: percentile(99),
      done: outcomes.done,
      errors: outcomes.error,
      hung: outcomes.hung + (stopped ? unfinished : 0),
      problems,
    }),
  );
  if (stopped) process.exit(1);
}
