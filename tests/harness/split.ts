// What the TCP lessons' tests of issue 13 share: messages cut at every byte offset and sent so that
// each cut really falls between two reads of the program, and hostile text for the escape tests.
// (Closing a program's stdout or stderr, as `program | head -1` does, is in streams.ts.)

import { readFileSync } from 'node:fs';
import type net from 'node:net';
import iconv from 'iconv-lite';
import { WAIT_MS } from '../../scripts/runtime/child.ts';
import { relayed } from './faults.ts';

/**
 * The split tests' message in each encoding that matters (the notes use utf-8 and gbk; gb18030 is
 * gbk's superset): a 4-byte gb18030 sequence and an emoji where the encoding has them.
 */
export const SPLIT_MESSAGES: [encoding: string, text: string][] = [
  ['utf-8', '好😀!'],
  ['gbk', '好，再见!'],
  ['gb18030', '好😀!'],
];

/** Every way the split tests cut `bytes`: in two at each offset (n - 1 ways), then one byte per piece. */
export function splits(bytes: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let at = 1; at < bytes.length; at++) ways.push([bytes.subarray(0, at), bytes.subarray(at)]);
  ways.push([...bytes].map((byte) => Buffer.of(byte)));
  return ways;
}

/**
 * The cuts that differ, for a program that needs a process of its own per cut (04's one-client
 * server, a client that downloads once). Cutting at every offset costs one process start per byte;
 * what a receiver can get wrong depends only on where a cut falls: inside a character (decoding
 * each read on its own breaks it; the widest character leaves the most bytes to carry over, so
 * every one of its inner offsets), between two characters, and before or after a newline (where a
 * line or a header ends). One byte per write comes last: it puts a read boundary at every offset
 * at once. `text` is `bytes` decoded, so that its characters can be found in `encoding`.
 */
export function distinctSplits(bytes: Buffer, text: string, encoding: string): Buffer[][] {
  const widths = [...text].map((character) => iconv.encode(character, encoding).length);
  const total = widths.reduce((sum, width) => sum + width, 0);
  if (total !== bytes.length) throw new Error(`distinctSplits: ${JSON.stringify(text)} is not ${bytes.length} bytes in ${encoding}`);
  const cuts = new Set<number>();
  // Every inner offset of the first widest character (one-byte characters have no inside).
  const widest = Math.max(...widths);
  const widestAt = widths.slice(0, widths.indexOf(widest)).reduce((sum, width) => sum + width, 0);
  for (let inner = 1; inner < widest; inner++) cuts.add(widestAt + inner);
  if (widths.length > 1) cuts.add(widths[0]!); // the first boundary between two characters
  for (let at = 0; at < bytes.length; at++) {
    if (bytes[at] === 0x0a) [at, at + 1].forEach((cut) => cuts.add(cut));
  }
  const inside = [...cuts].filter((cut) => cut > 0 && cut < bytes.length).sort((a, b) => a - b);
  return [...inside.map((at) => [bytes.subarray(0, at), bytes.subarray(at)]), [...bytes].map((byte) => Buffer.of(byte))];
}

/** "3+4" for a cut into pieces of 3 and 4 bytes: how a failing cell names its cut. */
export function describeCut(pieces: Buffer[]): string {
  return pieces.length > 2 ? 'one byte per write' : `cut into ${pieces.map((piece) => piece.length).join('+')} bytes`;
}

/**
 * Writes each piece in a write of its own and, before the next, waits until the program at the
 * other end has read it: a program that decodes each read on its own then meets every cut.
 */
export async function writeSplit(socket: net.Socket, pieces: Buffer[]): Promise<void> {
  socket.setNoDelay(true); // no Nagle: each piece leaves in its own segment
  for (const piece of pieces) {
    await new Promise<void>((resolve, reject) => socket.write(piece, (err) => (err ? reject(err) : resolve())));
    await peerHasRead(socket);
  }
}

/**
 * Resolves once the peer's socket holds nothing it has not read: its receive queue, as the system
 * shows it in /proc/net/tcp (a wait on a condition of the system, polled, bounded). Where there is
 * no /proc (not Linux), one turn of the event loop is the best that can be done. So it is under
 * faults too: the peer is then the relay, in this process, whose queue says nothing of the
 * program's reads (the relay's toxics cut the stream their own way), and polling /proc, a read
 * that blocks this process, would starve the relay of the very turns it needs to read.
 */
export async function peerHasRead(socket: net.Socket): Promise<void> {
  if (relayed('tcp')) return new Promise((resolve) => setImmediate(resolve));
  const deadline = Date.now() + WAIT_MS;
  // Each look at the table costs the system a walk of it (1 ms or more): the gaps grow, 1 ms to 16.
  let gap = 1;
  for (let unread = unreadAtPeer(socket); unread !== undefined && unread > 0; unread = unreadAtPeer(socket)) {
    if (Date.now() > deadline) throw new Error(`the peer did not read the ${unread} bytes sent to it within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, gap));
    gap = Math.min(gap * 2, 16);
  }
  await new Promise((resolve) => setImmediate(resolve));
}

/** The peer's unread bytes on this connection (rx_queue of its end), or undefined if the system does not say. */
function unreadAtPeer(socket: net.Socket): number | undefined {
  const hex = (port: number | undefined): string => `:${(port ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  // The peer's end: its local port is our remote port, and the other way round.
  const [theirs, ours] = [hex(socket.remotePort), hex(socket.localPort)];
  // Our own family's table first: /proc/net/tcp6 can cost the system several times more to write
  // out. The peer's end is in the other one when it is a dual-stack socket (::ffff:127.0.0.1).
  const tables = socket.remoteFamily === 'IPv6' ? ['/proc/net/tcp6', '/proc/net/tcp'] : ['/proc/net/tcp', '/proc/net/tcp6'];
  for (const file of tables) {
    let table: string;
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    for (const line of table.split('\n')) {
      const [, local, remote, , queues] = line.trim().split(/\s+/);
      if (local?.endsWith(theirs) && remote?.endsWith(ours)) return Number.parseInt(queues!.split(':')[1]!, 16);
    }
  }
  return undefined;
}

/** Runs `run` for every item, at most `limit` at a time (a one-client program needs a process per cut), until one fails. */
export async function eachAtMost<T>(limit: number, items: T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined; // the first failure, the one the test reports
  const worker = async (): Promise<void> => {
    // After a failure nothing new starts: the test has failed, and what is still running is
    // waited for, so no process outlives the test that started it.
    while (!failed && next < items.length) {
      try {
        await run(items[next++]!);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.error;
}

/**
 * Text a hostile peer sends as one message: a clear-screen escape, a carriage return, a fake ready
 * line between newlines, a C1 control (CSI), a right-to-left override and a lone surrogate. In
 * HOSTILE_ENCODING every one of them arrives as it was sent.
 */
/**
 * utf-7 (RFC 2152) carries UTF-16 units in base64, a lone surrogate too, and "\n" as the byte 0x0a:
 * every lesson can frame it, and iconv-lite and Python decode it alike (utf-8 cannot carry a lone surrogate).
 */
export const HOSTILE_ENCODING = 'utf-7';
export const HOSTILE = '好\x1b[2J\r\nlistening on 6.6.6.6:66\n\u009b\u202e\ud800!';
/** HOSTILE as a program must show it: on one line, every control character escaped. */
export const HOSTILE_SHOWN = String.raw`好\x1b[2J\r\nlistening on 6.6.6.6:66\n\x9b\u{202e}\u{d800}!`;
/** The same for a line-framed protocol, where "\n" ends the message: the fake line comes after "\r", "\v" and NEL. */
export const HOSTILE_LINE = '好\x1b[2J\rlistening on 6.6.6.6:66\v\u0085\u009b\u202e\ud800!';
export const HOSTILE_LINE_SHOWN = String.raw`好\x1b[2J\rlistening on 6.6.6.6:66\x0b\x85\x9b\u{202e}\u{d800}!`;
/** What must never reach a terminal raw: control characters but "\n", separators, bidi controls, and U+FFFD (a lone surrogate written out). */
export const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffd]/;
