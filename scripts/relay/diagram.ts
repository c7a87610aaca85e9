// A lesson demo's sequence diagram (issue 15), as Mermaid `sequenceDiagram` text: made from the events
// the relays recorded while the demo ran (record.ts), so it shows what really went over the wire.
// Each lesson README holds one (scripts/diagrams.ts writes and checks it) and the book draws the same
// text as SVG (scripts/book/diagrams.ts, which renders exactly the subset written here).
//
// What it shows, and the rules that make it the same on every run:
// - The participants are the lesson's roles in start order, not the relays: the relay is glass.
// - No times and no ports (both change every run). Events of all relays are put in the order they
//   happened (one time origin for all of them), ties kept in the order the relays recorded them; a
//   connection's close right after its last other event (when the relay notices both sides closed
//   races whatever another connection does next).
// - TCP: connect, the bytes each way, the half-close (FIN, 半关闭) of each side, a reset (RST), the close.
//   A relay sees what each read() returned, not TCP segments or the sender's writes, and how a burst
//   of writes is cut into reads changes from run to run (two quick writes may come in one read or
//   two). So reads that follow each other in the same direction on the same connection, with nothing
//   else happening on that connection in between, are drawn as one arrow with their total byte count:
//   one arrow per burst. `npm run lesson NN -- --demo --trace` shows every single read.
// - UDP: one arrow per datagram, with its size: a datagram is never cut or joined.
// - A label shows the byte count and, when the bytes are text in the listening program's encoding
//   (gbk in lesson 04, as in the note; said once at the top when not UTF-8), the start of that text
//   with its control characters escaped (printable(), as the programs print network text). Characters Mermaid treats
//   specially are written as its entity codes (#59; for `;`), which Mermaid decodes when it draws.

import iconv from 'iconv-lite';
import { printable } from '../printable.ts';
import type { RelayEvent } from './events.ts';
import type { Protocol } from './types.ts';

/** What a recorded demo holds (record.ts's RecordedDemo has this shape). */
export interface DemoTrace {
  lesson: string;
  /** The roles, in start order. */
  roles: string[];
  /** One relay per listening role, all with the same time origin. */
  relays: { protocol: Protocol; server: string; events: RelayEvent[]; clients: Record<number, string> }[];
}

export interface DiagramOptions {
  /** How many characters of text a label shows before it is cut with "…" (default 32). */
  preview?: number;
  /** The encoding each listening role's traffic is decoded with for the labels, by role (default utf-8). */
  encodings?: Record<string, string>;
}

const DEFAULT_PREVIEW = 32;

interface Placed {
  event: RelayEvent;
  relay: number;
  index: number;
  /** When it is placed: its own time, except for a close (below). */
  t: number;
}

/** The Mermaid sequence diagram of a recorded demo. */
export function sequenceDiagram(demo: DemoTrace, options: DiagramOptions = {}): string {
  const preview = options.preview ?? DEFAULT_PREVIEW;
  const encodingOf = (server: string): string => options.encodings?.[server] ?? 'utf-8';
  const ids = participantIds(demo.roles);
  const id = (role: string): string => {
    const found = ids.get(role);
    if (found === undefined) throw new Error(`${demo.lesson}: role '${role}' is not one of the lesson's roles (${demo.roles.join(', ')})`);
    return found;
  };
  const lines = ['sequenceDiagram'];
  for (const role of demo.roles) lines.push(id(role) === role ? `  participant ${role}` : `  participant ${id(role)} as ${label(role)}`);

  // A close is placed right after its connection's last other event: nothing can happen on the
  // connection in between, and when the close itself is seen comes late and races other connections.
  const placed: Placed[] = demo.relays.flatMap((relay, r) =>
    relay.events.map((event, index) => {
      const before = event.kind === 'close' ? relay.events.slice(0, index).findLast((e) => e.conn === event.conn) : undefined;
      return { event, relay: r, index, t: before?.t ?? event.t };
    }),
  );
  placed.sort((a, b) => a.t - b.t || a.relay - b.relay || a.index - b.index);
  if (placed.length === 0) {
    const over = demo.roles.length > 1 ? `${id(demo.roles[0]!)},${id(demo.roles.at(-1)!)}` : id(demo.roles[0]!);
    lines.push(`  Note over ${over}: ${label('no network traffic: nothing is sent or received')}`);
    return `${lines.join('\n')}\n`;
  }

  // Text in another encoding than UTF-8 (the notes use gbk and gb2312) is said once, at the top.
  const others = [...new Set(demo.relays.map((relay) => encodingOf(relay.server)))].filter((e) => !/^utf-?8$/i.test(e));
  if (others.length > 0) {
    const over = demo.roles.length > 1 ? `${id(demo.roles[0]!)},${id(demo.roles.at(-1)!)}` : id(demo.roles[0]!);
    lines.push(`  Note over ${over}: ${label(`text shown decoded as ${others.join(' and ')} (编码 encoding)`)}`);
  }

  // Connections numbered per relay; shown only where one relay had more than one (which is which).
  const several = demo.relays.map((relay) => new Set(relay.events.map((e) => e.conn)).size > 1);
  for (let i = 0; i < placed.length; i++) {
    const { event, relay: r } = placed[i]!;
    const relay = demo.relays[r]!;
    const client = relay.clients[event.conn];
    if (client === undefined) throw new Error(`${demo.lesson}: no role is known for connection ${event.conn} to ${relay.server}`);
    const [from, to] = 'dir' in event && event.dir === 'down' ? [id(relay.server), id(client)] : [id(client), id(relay.server)];
    const which = several[r] ? `conn ${event.conn}, ` : '';
    switch (event.kind) {
      case 'connect':
        lines.push(`  ${from}->>${to}: ${label(`${which}connect (连接, SYN)`)}`);
        break;
      case 'refused':
        lines.push(`  ${to}-x${from}: ${label(`${which}refused (RST)`)}`);
        break;
      case 'data': {
        // The burst: every data event that follows on this connection, this direction, with nothing
        // else of this connection in between (events of other connections may interleave).
        const parts = [event.bytes];
        for (let j = i + 1; j < placed.length; j++) {
          const next = placed[j]!;
          if (next.relay !== r || next.event.conn !== event.conn) continue;
          if (next.event.kind !== 'data' || next.event.dir !== event.dir) break;
          parts.push(next.event.bytes);
          placed.splice(j, 1);
          j -= 1;
        }
        lines.push(`  ${from}->>${to}: ${label(which + describeBytes(Buffer.concat(parts), preview, encodingOf(relay.server)))}`);
        break;
      }
      case 'end':
        lines.push(`  ${from}-->>${to}: ${label(`${which}FIN (半关闭 half-close)`)}`);
        break;
      case 'reset':
        lines.push(`  ${from}-x${to}: ${label(`${which}RST (reset)`)}`);
        break;
      case 'close':
        // A UDP mapping is closed when the relay stops, which is nothing on the wire: only TCP's close is drawn.
        if (relay.protocol === 'tcp') lines.push(`  Note over ${id(client)},${id(relay.server)}: ${label(`${which}closed (关闭)`)}`);
        break;
      case 'datagram':
        lines.push(`  ${from}->>${to}: ${label(`${which}datagram, ${describeBytes(event.bytes, preview, encodingOf(relay.server))}`)}`);
        break;
      case 'fault':
        lines.push(`  Note over ${id(client)},${id(relay.server)}: ${label(`${which}${event.toxic}: ${event.what}`)}`);
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}

/** "12 bytes "hello\n"": the size, and the text when the bytes are text in `encoding` (cut after `preview` characters). */
export function describeBytes(bytes: Buffer, preview = DEFAULT_PREVIEW, encoding = 'utf-8'): string {
  const size = `${bytes.length} ${bytes.length === 1 ? 'byte' : 'bytes'}`;
  const text = textOf(bytes, encoding);
  if (text === undefined || bytes.length === 0) return size;
  const chars = [...text];
  const shown = chars.length > preview ? `${chars.slice(0, preview).join('')}…` : text;
  return `${size} "${printable(shown)}"`;
}

/** The bytes as text, or undefined when they are not (not valid in the encoding, or mostly control bytes: binary). */
function textOf(bytes: Buffer, encoding: string): string | undefined {
  // iconv-lite puts U+FFFD where bytes are not valid in the encoding: then they are not (whole) text.
  const text = iconv.decode(bytes, encoding);
  if (text.includes('\ufffd')) return undefined;
  const controls = [...text].filter((c) => /[\x00-\x08\x0e-\x1f\x7f]/.test(c)).length;
  return controls > text.length / 4 ? undefined : text;
}

/**
 * A label's text with the characters Mermaid would read as syntax (`;` ends a statement, `#` starts
 * an entity code, `:` separates the label, `<` `>` `&` are HTML to it, `\` may be read as an
 * escape) written as Mermaid entity codes, `#59;` for `;`.
 */
export function label(text: string): string {
  return text.replace(/[#;:<>&\\]/g, (c) => `#${c.charCodeAt(0)};`).replace(/[\r\n]/g, ' ');
}

/** Mermaid participant ids: the role when it is a plain word, else the role with `_` for other characters (then `as ROLE`). */
function participantIds(roles: string[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const role of roles) {
    let id = role.replace(/\W/g, '_');
    while ([...ids.values()].includes(id)) id += '_';
    ids.set(role, id);
  }
  return ids;
}
