// Draws a Mermaid sequence diagram as an inline <svg>, at build time, with no browser and no network:
// the book's pages show the lessons' ```mermaid blocks (written by scripts/diagrams.ts from real
// traces) as pictures, while a repository browser draws the same text with Mermaid itself.
//
// Why not a library: Mermaid needs a DOM (a browser at build time), and beautiful-mermaid, which
// needs none, draws `-x` (our RST) as an ordinary arrow, shows entity codes such as `#59;` as they
// are written, reads `\n` in a label as a line break, and puts a Google Fonts @import into every
// SVG. What we need is the small subset scripts/relay/diagram.ts writes, drawn here in ~200 lines:
//   sequenceDiagram
//   participant ID [as LABEL]
//   A->>B: text   A-->>B: text   A-xB: text   A--xB: text   A->B   A-->B   A-)B   A--)B
//   Note over A: text   Note over A,B: text   Note right of A: text   Note left of A: text
// Anything else is an error naming the line, so a new construct is noticed, not silently dropped.
//
// Colours are CSS custom properties with light fallbacks, so one SVG follows the page's theme
// (the book's stylesheet sets them for its dark theme). Text widths are estimated (a monospace
// font: 0.6 em a character, 1 em for a wide CJK one), so no font metrics are needed.

const FONT = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';
const SIZE = 13; // label font size, px
const BOX_H = 34; // participant box height
const MARGIN = 12;
const ROW = 38; // height of a message row (label above its arrow)
const NOTE_ROW = 32;
const NOTE_PAD = 8;
const MIN_GAP = 60; // between two participant boxes

const COLOUR = {
  text: 'var(--diagram-text, #1f2328)',
  line: 'var(--diagram-line, #57606a)',
  box: 'var(--diagram-box, #f6f8fa)',
  boxBorder: 'var(--diagram-box-border, #d0d7de)',
  note: 'var(--diagram-note, #fff8c5)',
  accent: 'var(--diagram-accent, #0969da)',
};

/** A label's outline in the box colour, so a lifeline it crosses does not cut through its letters. */
const HALO = ` stroke="${COLOUR.box}" stroke-width="4" stroke-linejoin="round" paint-order="stroke"`;

type Head = 'filled' | 'open' | 'cross' | 'none';
type Step =
  | { kind: 'message'; from: number; to: number; dashed: boolean; head: Head; text: string }
  | { kind: 'note'; where: 'over' | 'left' | 'right'; actors: number[]; text: string };

interface Diagram {
  participants: { id: string; label: string }[];
  steps: Step[];
}

const ARROWS: Record<string, { dashed: boolean; head: Head }> = {
  '->>': { dashed: false, head: 'filled' },
  '-->>': { dashed: true, head: 'filled' },
  '-x': { dashed: false, head: 'cross' },
  '--x': { dashed: true, head: 'cross' },
  '-)': { dashed: false, head: 'open' },
  '--)': { dashed: true, head: 'open' },
  '->': { dashed: false, head: 'none' },
  '-->': { dashed: true, head: 'none' },
};

/** The diagram as an inline `<svg>` element (no XML declaration), coloured by the page's CSS variables. */
export function renderDiagram(mermaidSource: string): string {
  return draw(parse(mermaidSource));
}

/** Mermaid's entity codes (`#59;`, `#lt;`) as the characters they stand for. */
export function decodeEntities(text: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0' };
  return text.replace(/#(\d+|[a-z]+);/gi, (whole, code: string) =>
    /^\d+$/.test(code) ? String.fromCodePoint(Number(code)) : (named[code.toLowerCase()] ?? whole),
  );
}

function parse(source: string): Diagram {
  const lines = source.split('\n').map((line) => line.trim());
  const first = lines.findIndex((line) => line !== '' && !line.startsWith('%%'));
  if (lines[first] !== 'sequenceDiagram') throw new Error(`diagram: only sequenceDiagram can be drawn, not '${lines[first] ?? ''}'`);
  const diagram: Diagram = { participants: [], steps: [] };
  const index = (id: string): number => {
    let at = diagram.participants.findIndex((p) => p.id === id);
    if (at < 0) at = diagram.participants.push({ id, label: id }) - 1;
    return at;
  };
  lines.forEach((line, n) => {
    if (n <= first || line === '' || line.startsWith('%%')) return;
    let m: RegExpExecArray | null;
    if ((m = /^(?:participant|actor)\s+(\S+?)(?:\s+as\s+(.+))?$/.exec(line))) {
      diagram.participants[index(m[1]!)]!.label = decodeEntities(m[2] ?? m[1]!);
    } else if ((m = /^([^\s\->:,;]+)\s*(-->>|->>|--x|-x|--\)|-\)|-->|->)\s*([^\s\->:,;]+)\s*:(.*)$/.exec(line))) {
      const { dashed, head } = ARROWS[m[2]!]!;
      diagram.steps.push({ kind: 'message', from: index(m[1]!), to: index(m[3]!), dashed, head, text: decodeEntities(m[4]!.trim()) });
    } else if ((m = /^Note\s+(over|left of|right of)\s+([^:]+?)\s*:(.*)$/i.exec(line))) {
      const where = m[1]!.toLowerCase().split(' ')[0] as 'over' | 'left' | 'right';
      const actors = m[2]!.split(',').map((a) => index(a.trim()));
      if (where !== 'over' && actors.length > 1) throw new Error(`diagram: line ${n + 1}: a note ${where} of names one participant`);
      diagram.steps.push({ kind: 'note', where, actors, text: decodeEntities(m[3]!.trim()) });
    } else {
      throw new Error(`diagram: line ${n + 1}: cannot draw '${line}'`);
    }
  });
  if (diagram.participants.length === 0) throw new Error('diagram: no participants: nothing to draw');
  const self = diagram.steps.find((step) => step.kind === 'message' && step.from === step.to);
  if (self) throw new Error(`diagram: a message from a participant to itself cannot be drawn: '${self.text}'`);
  return diagram;
}

/** Estimated width of `text` in px at `size`: wide (CJK, full-width) characters 1 em, others 0.6 em. */
function textWidth(text: string, size = SIZE): number {
  let em = 0;
  for (const c of text)
    em += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]/u.test(c)
      ? 1
      : 0.6;
  return em * size;
}

function draw({ participants, steps }: Diagram): string {
  const n = participants.length;
  const boxW = participants.map((p) => Math.max(80, textWidth(p.label, SIZE + 1) + 24));
  // Gaps between neighbouring centres: wide enough for the boxes, then for every label that spans them.
  const gap = boxW.slice(1).map((w, i) => MIN_GAP + (w + boxW[i]!) / 2);
  const widen = (lo: number, hi: number, need: number): void => {
    const have = gap.slice(lo, hi).reduce((a, b) => a + b, 0);
    if (have < need) for (let i = lo; i < hi; i++) gap[i]! += (need - have) / (hi - lo);
  };
  const spans = steps
    .map((s) => {
      const lo = Math.min(...(s.kind === 'message' ? [s.from, s.to] : s.actors));
      const hi = Math.max(...(s.kind === 'message' ? [s.from, s.to] : s.actors));
      return { lo, hi, need: textWidth(s.text) + (s.kind === 'message' ? 24 : 2 * NOTE_PAD + 16) };
    })
    .filter((s) => s.hi > s.lo)
    .sort((a, b) => a.hi - a.lo - (b.hi - b.lo));
  for (const s of spans) widen(s.lo, s.hi, s.need);

  const x: number[] = [];
  participants.forEach((_, i) => x.push(i === 0 ? MARGIN + boxW[0]! / 2 : x[i - 1]! + gap[i - 1]!));
  let left = MARGIN;
  let right = x[n - 1]! + boxW[n - 1]! / 2 + MARGIN;

  const body: string[] = [];
  const described: string[] = [];
  let y = MARGIN + BOX_H + 16;
  for (const step of steps) {
    if (step.kind === 'message') {
      const [x1, x2] = [x[step.from]!, x[step.to]!];
      const lineY = y + 22;
      const mid = (x1 + x2) / 2;
      body.push(
        `<text x="${fmt(mid)}" y="${fmt(lineY - 7)}" text-anchor="middle" fill="${COLOUR.text}"${HALO}>${xml(step.text)}</text>`,
        `<line x1="${fmt(x1)}" y1="${fmt(lineY)}" x2="${fmt(x2)}" y2="${fmt(lineY)}" stroke="${COLOUR.accent}" stroke-width="1.5"${step.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
        head(step.head, x2, lineY, Math.sign(x2 - x1) || 1),
      );
      described.push(`${participants[step.from]!.label} to ${participants[step.to]!.label}: ${step.text}`);
      y += ROW;
    } else {
      const w = textWidth(step.text) + 2 * NOTE_PAD;
      const xs = step.actors.map((a) => x[a]!);
      let x0: number;
      let width = w;
      if (step.where === 'right') x0 = xs[0]! + 12;
      else if (step.where === 'left') x0 = xs[0]! - 12 - w;
      else {
        const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
        width = Math.max(w, hi - lo + 40);
        x0 = (lo + hi) / 2 - width / 2;
      }
      left = Math.min(left, x0 - MARGIN);
      right = Math.max(right, x0 + width + MARGIN);
      body.push(
        `<rect x="${fmt(x0)}" y="${fmt(y + 4)}" width="${fmt(width)}" height="${NOTE_ROW - 8}" rx="3" fill="${COLOUR.note}" stroke="${COLOUR.boxBorder}"/>`,
        `<text x="${fmt(x0 + width / 2)}" y="${fmt(y + NOTE_ROW / 2 + 4)}" text-anchor="middle" fill="${COLOUR.text}">${xml(step.text)}</text>`,
      );
      described.push(`note over ${step.actors.map((a) => participants[a]!.label).join(' and ')}: ${step.text}`);
      y += NOTE_ROW;
    }
  }
  const bottom = y + 10;
  const height = bottom + BOX_H + MARGIN;
  const boxes = (top: number): string[] =>
    participants.map(
      (p, i) =>
        `<rect x="${fmt(x[i]! - boxW[i]! / 2)}" y="${top}" width="${fmt(boxW[i]!)}" height="${BOX_H}" rx="4" fill="${COLOUR.box}" stroke="${COLOUR.boxBorder}"/>` +
        `<text x="${fmt(x[i]!)}" y="${top + BOX_H / 2 + 5}" text-anchor="middle" font-size="${SIZE + 1}" font-weight="600" fill="${COLOUR.text}">${xml(p.label)}</text>`,
    );
  const lifelines = x.map(
    (cx) => `<line x1="${fmt(cx)}" y1="${MARGIN + BOX_H}" x2="${fmt(cx)}" y2="${bottom}" stroke="${COLOUR.line}" stroke-dasharray="3 3"/>`,
  );
  const width = right - left;
  const names = participants.map((p) => p.label);
  const title = `Sequence diagram: ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="sequence-diagram" role="img" viewBox="${fmt(left)} 0 ${fmt(width)} ${fmt(height)}" width="${fmt(width)}" height="${fmt(height)}" style="max-width:100%;height:auto" font-family='${FONT}' font-size="${SIZE}">`,
    `<title>${xml(title)}</title>`,
    `<desc>${xml(described.join('. '))}</desc>`,
    ...lifelines,
    ...boxes(MARGIN),
    ...boxes(bottom),
    ...body,
    '</svg>',
  ].join('\n');
}

/** The end of an arrow at (x, y), pointing right (dir 1) or left (-1). */
function head(kind: Head, x: number, y: number, dir: number): string {
  const back = x - 9 * dir;
  if (kind === 'filled')
    return `<path d="M${fmt(x)} ${fmt(y)}L${fmt(back)} ${fmt(y - 4.5)}L${fmt(back)} ${fmt(y + 4.5)}Z" fill="${COLOUR.accent}"/>`;
  if (kind === 'open')
    return `<path d="M${fmt(back)} ${fmt(y - 4.5)}L${fmt(x)} ${fmt(y)}L${fmt(back)} ${fmt(y + 4.5)}" fill="none" stroke="${COLOUR.accent}" stroke-width="1.5"/>`;
  if (kind === 'cross') {
    const c = x - 6 * dir;
    return `<path d="M${fmt(c - 5)} ${fmt(y - 5)}L${fmt(c + 5)} ${fmt(y + 5)}M${fmt(c - 5)} ${fmt(y + 5)}L${fmt(c + 5)} ${fmt(y - 5)}" stroke="${COLOUR.accent}" stroke-width="2"/>`;
  }
  return '';
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
