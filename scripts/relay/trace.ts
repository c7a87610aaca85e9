// The relay's trace (issue 15, --trace): one line per relay event (events.ts), for a person to read.
//
//      12.3 ms  #1  client → server  data      5 bytes  68 65 6c 6c 6f  hello
//      12.9 ms  #1  client → server  FIN (half-close 半关闭)
//
// What it shows is what the relay saw: each `data` line is what one read() returned on the relay's
// side of the connection, not a TCP segment on the wire. The kernel may have joined several segments
// into one read, or a read may end in the middle of a message or of a character; a fault line says
// how a toxic then cut, joined, delayed or dropped those bytes before they were written on.
//
// Text is decoded in the given encoding and shown escaped by the repository's one printable()
// (scripts/printable.ts), so bytes from the network cannot move the cursor or fake a line.

import iconv from 'iconv-lite';
import { printable } from '../printable.ts';
import type { RelayEvent } from './events.ts';

export interface TraceOptions {
  /** How to decode data for the text column (an iconv-lite name: utf-8, gbk, …). */
  encoding: string;
  /** ANSI colours; callers set it from `stream.isTTY && !process.env.NO_COLOR`. */
  color: boolean;
  /** Who sends each way: `up` sends client → server, `down` sends back (default client and server). */
  names?: { up: string; down: string };
}

/** Bytes shown in hex before `…`. */
const HEX_BYTES = 32;
/** Characters of decoded text shown before `…` (a read can be 64 KiB; a trace line stays readable). */
const TEXT_CHARS = 200;

const STYLE = {
  dim: '\x1b[2m',
  up: '\x1b[36m',
  down: '\x1b[35m',
  warn: '\x1b[33m',
  bad: '\x1b[31m',
  reset: '\x1b[0m',
};

/** One event as one line (no newline). */
export function formatEvent(event: RelayEvent, options: TraceOptions): string {
  const names = options.names ?? { up: 'client', down: 'server' };
  const paint = (style: keyof typeof STYLE, text: string): string => (options.color ? `${STYLE[style]}${text}${STYLE.reset}` : text);
  const upArrow = `${names.up} → ${names.down}`;
  const downArrow = `${names.down} → ${names.up}`;
  const width = Math.max(upArrow.length, downArrow.length);
  const arrow = (dir: 'up' | 'down' | undefined): string => {
    if (dir === undefined) return ' '.repeat(width);
    return paint(dir, (dir === 'up' ? upArrow : downArrow).padEnd(width));
  };
  const time = paint('dim', `${event.t.toFixed(1).padStart(9)} ms`);
  const head = `${time}  ${`#${event.conn}`.padEnd(4)}`;
  switch (event.kind) {
    case 'connect':
      return `${head}  ${arrow('up')}  connect   ${event.client} → ${event.server}`;
    case 'refused':
      return `${head}  ${arrow('up')}  ${paint('bad', 'refused')}   ${event.server} (${event.reason}); the client is reset`;
    case 'data':
      return `${head}  ${arrow(event.dir)}  data      ${bytesColumns(event.bytes, options.encoding)}`;
    case 'end':
      return `${head}  ${arrow(event.dir)}  ${paint('warn', 'FIN (half-close 半关闭)')}`;
    case 'reset':
      return `${head}  ${arrow(event.dir)}  ${paint('bad', 'RST')}`;
    case 'close':
      return `${head}  ${arrow(undefined)}  close`;
    case 'datagram':
      return `${head}  ${arrow(event.dir)}  datagram  from ${event.from}  ${bytesColumns(event.bytes, options.encoding)}`;
    case 'fault':
      return `${head}  ${arrow(event.dir)}  ${paint('bad', 'fault')}     ${printable(event.what)}`;
  }
}

/** `5 bytes  68 65 6c 6c 6f  hello`: count, hex (the first 32 bytes), decoded text escaped. */
function bytesColumns(bytes: Buffer, encoding: string): string {
  const count = `${bytes.length} byte${bytes.length === 1 ? '' : 's'}`;
  if (bytes.length === 0) return count;
  const hex = [...bytes.subarray(0, HEX_BYTES)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const text = iconv.decode(bytes, encoding);
  const shown = text.length > TEXT_CHARS ? `${printable(text.slice(0, TEXT_CHARS))}…` : printable(text);
  return `${count}  ${hex}${bytes.length > HEX_BYTES ? ' …' : ''}  ${shown}`;
}

/** An onEvent callback that writes each event to `stream` as one line. */
export function traceTo(stream: NodeJS.WritableStream, options: TraceOptions): (event: RelayEvent) => void {
  return (event) => {
    stream.write(`${formatEvent(event, options)}\n`);
  };
}
