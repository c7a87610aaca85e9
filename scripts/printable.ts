// The one rule for showing text from the network, as every lesson program holds it: lesson
// programs stand alone (node: built-ins and iconv-lite only), so each has its own copy of the
// function below, comment included, character for character, and none imports this file. The
// lesson contract (scripts/contract.ts) reads this file and checks every copy against it; change
// it here and in every program at once. Below 0x100 a character is shown `\xNN`, as lessons 02 and
// 03 always did (the output contract in CONTRIBUTING.md), above it `\u{NNNN}`.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Text from the network, shown on one line of this terminal: control characters (C0, DEL, C1),
// line and paragraph separators, bidirectional overrides and lone surrogates are shown escaped,
// so a peer cannot move the cursor, clear the screen or print a line that looks like ours.
export function printable(text: string): string {
  const names: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return text.replace(
    /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      const hex = c.charCodeAt(0).toString(16);
      return names[c] ?? (hex.length <= 2 ? `\\x${hex.padStart(2, '0')}` : `\\u{${hex}}`);
    },
  );
}

/**
 * The comment and function `printable` in `source` as text (from its comment's first line to the
 * closing brace at the start of a line), or undefined when the source defines no printable().
 */
export function printableCopy(source: string): string | undefined {
  const lines = source.split('\n');
  const at = lines.findIndex((line) => /^(?:export )?function printable\(/.test(line));
  if (at < 0) return undefined;
  let first = at;
  while (first > 0 && lines[first - 1]!.startsWith('//')) first -= 1;
  const end = lines.findIndex((line, i) => i > at && line === '}');
  return lines
    .slice(first, end < 0 ? undefined : end + 1)
    .join('\n')
    .replace(/^export function printable\(/m, 'function printable(');
}

/** The canonical text: printable() above, with its comment, as a lesson program holds it. */
export const PRINTABLE_SOURCE: string = printableCopy(readFileSync(fileURLToPath(import.meta.url), 'utf8'))!;
