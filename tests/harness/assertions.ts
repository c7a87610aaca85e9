// Checks the lesson tests share: the one-line error contract, silence on a socket, and the
// helpers they use with them.

import { once } from 'node:events';
import net from 'node:net';
import { type Child, describeExit } from '../../scripts/runtime/child.ts';

export { WAIT_MS, withTimeout } from '../../scripts/runtime/child.ts';
export { literal } from '../../scripts/runtime/text.ts';

/**
 * The program ends on its own with `code` and exactly one line on stderr matching `pattern`:
 * the contract for every error a user can cause (no stack trace, no second line).
 */
export async function expectOneLineError(program: Child, code: number, pattern: RegExp): Promise<void> {
  const exit = await program.exit();
  const lines = program.stderrLines();
  const context = `\n${program.transcript()}`;
  if (exit.code !== code) {
    throw program.failure('wrong-exit-code', `${program.name} should exit with code ${code}, got ${describeExit(exit)}${context}`, {
      expected: String(code),
      actual: describeExit(exit),
    });
  }
  if (lines.length !== 1) {
    throw program.failure('wrong-stderr', `${program.name} should print exactly one line on stderr, printed ${lines.length}${context}`, {
      expected: '1',
      actual: String(lines.length),
    });
  }
  if (!pattern.test(lines[0]!)) {
    throw program.failure('wrong-error-line', `${program.name}'s error line should match ${pattern}${context}`, {
      expected: String(pattern),
      actual: lines[0]!,
    });
  }
}

/**
 * Fails if the peer sends anything within `ms`. Absence has no event to wait for, so this is the
 * one wait on a timer: a correct peer can never fail it, and it does not hold up anything that
 * follows. It catches a peer that answers too early, for instance before the message has ended.
 */
export async function expectNoDataFor(socket: net.Socket, ms: number, failure: string): Promise<void> {
  // Watched with 'readable', which leaves what arrives in the socket's buffer for the next reader.
  // A 'data' listener would set the socket flowing, and bytes arriving after it was removed (the
  // answer to what the test sends next) would be emitted to nobody and lost.
  await new Promise<void>((resolve, reject) => {
    const onReadable = (): void => {
      if (socket.readableLength === 0) return; // the end of the stream: no data
      clearTimeout(timer);
      socket.off('readable', onReadable);
      const chunk = socket.read() as Buffer;
      reject(new Error(`${failure}; it sent ${JSON.stringify(chunk.toString('latin1'))}`));
    };
    const timer = setTimeout(() => {
      socket.off('readable', onReadable);
      resolve();
    }, ms);
    socket.on('readable', onReadable);
  });
}

/** Whether this machine has an IPv6 loopback (some containers do not). */
export async function hasIpv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  try {
    server.listen(0, '::1');
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}
