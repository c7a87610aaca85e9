// Each lesson README's sequence diagram is made from a real run: a block right after the marker
//   <!-- diagram: demo -->
//   ```mermaid
//   sequenceDiagram …
//   ```
// holds what scripts/relay/diagram.ts draws from the lesson's demo recorded through the relays
// (scripts/relay/record.ts). A repository browser draws the block with Mermaid, the book as SVG
// (scripts/book/diagrams.ts); tests/diagrams.test.ts records every demo again and fails when a README
// has drifted. To rewrite the blocks from fresh recordings (and the same block in a README.zh-CN.md,
// which must hold the English one's diagrams: scripts/translation.ts):
//   node --import tsx scripts/diagrams.ts --write [LESSON ...]
// and without --write, to compare only (exit 1 naming each lesson that differs and its first differing line).
// Recording takes a while: each demo starts its lesson's programs; two run at a time.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine, usageError } from './cli.ts';
import { findLesson, type Lesson, loadLessons, programPath } from './manifest.ts';
import { sequenceDiagram } from './relay/diagram.ts';
import { recordDemo } from './relay/record.ts';
import { defaultEncoding } from './relay/wiring.ts';
import { translationOf } from './translation.ts';

/** How many demos are recorded at once: each starts its lesson's programs, and the machine may be shared. */
export const CONCURRENCY = 2;

const BLOCK = /^<!-- diagram: demo -->\n```mermaid\n([\s\S]*?)^```$/m;

/** The diagram text a README holds after its marker, or undefined when it has no marker and block. */
export function readmeDiagram(markdown: string): string | undefined {
  return BLOCK.exec(markdown)?.[1];
}

/** The README text with its diagram block replaced by `diagram`; throws when it has no marker. */
export function withDiagram(markdown: string, diagram: string, file = 'README.md'): string {
  if (!BLOCK.test(markdown)) throw new Error(`${file}: no '<!-- diagram: demo -->' marker followed by a \`\`\`mermaid block`);
  return markdown.replace(BLOCK, () => `<!-- diagram: demo -->\n\`\`\`mermaid\n${diagram}\`\`\``);
}

/** Where two diagram texts first differ, as one line ("line 7: README has …, the recording has …"), or undefined. */
export function firstDifference(actual: string, expected: string): string | undefined {
  if (actual === expected) return undefined;
  const [a, e] = [actual.split('\n'), expected.split('\n')];
  const at = a.findIndex((line, i) => line !== e[i]);
  const line = at < 0 ? a.length : at;
  const show = (text: string | undefined): string => (text === undefined ? 'nothing' : `'${text}'`);
  return `line ${line + 1}: README has ${show(a[line])}, the recording has ${show(e[line])}`;
}

/**
 * A lesson's diagram, from a fresh recording of its demo; rejects when the demo did not end well twice
 * in a row. One more try, because on a busy machine a program may miss the runner's 10 s for its
 * ready line (seen with two demos at once while other tests ran); a demo that is broken fails both.
 */
export async function recordDiagram(lesson: Lesson): Promise<string> {
  let demo = await recordDemo(lesson.id);
  if (demo.exitCode !== 0) demo = await recordDemo(lesson.id);
  if (demo.exitCode !== 0) throw new Error(`${lesson.id}: the demo exited with ${demo.exitCode} twice, so its recording is not drawn`);
  // Labels show text as the listening program decodes it (its DEFAULT_ENCODING), as --trace does.
  const encodings = Object.fromEntries(
    lesson.programs.filter((program) => program.listens).map((program) => [program.role, defaultEncoding(programPath(lesson, program))]),
  );
  return sequenceDiagram(demo, { encodings });
}

/** `work` applied to every item, at most `limit` at a time, results in the items' order. */
export async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface DiagramCheck {
  lesson: Lesson;
  readme: string;
  /** The README's block now; undefined when it has no marker. */
  actual: string | undefined;
  /** Freshly recorded; undefined when recording failed (then `problem` says why). */
  expected: string | undefined;
  problem?: string;
}

/** Records every given lesson's demo (CONCURRENCY at a time) and compares it with its README's block. */
export async function checkDiagrams(lessons: Lesson[]): Promise<DiagramCheck[]> {
  return mapLimited(lessons, CONCURRENCY, async (lesson) => {
    const readme = path.join(lesson.dir, 'README.md');
    const actual = readmeDiagram(readFileSync(readme, 'utf8'));
    let expected: string | undefined;
    try {
      expected = await recordDiagram(lesson);
    } catch (err) {
      return { lesson, readme, actual, expected, problem: (err as Error).message };
    }
    if (actual === undefined) return { lesson, readme, actual, expected, problem: `${lesson.id}: README.md has no diagram block` };
    const difference = firstDifference(actual, expected);
    return { lesson, readme, actual, expected, problem: difference && `${lesson.id}: README.md's diagram has drifted: ${difference}` };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseCommandLine('diagrams', {
    allowPositionals: true,
    options: { write: { type: 'boolean', default: false } },
  });
  const all = loadLessons();
  const lessons = positionals.length === 0 ? all : positionals.map((name) => pick(all, name));
  let failed = false;
  for (const check of await checkDiagrams(lessons)) {
    if (values.write && check.expected !== undefined) {
      // A translation (README.zh-CN.md) must hold the same block (scripts/translation.ts), so it is written too.
      for (const file of [check.readme, translationOf(check.readme)]) {
        if (file === check.readme || existsSync(file)) writeFileSync(file, withDiagram(readFileSync(file, 'utf8'), check.expected, file));
      }
      console.log(`diagrams: ${check.lesson.id}: ${check.actual === check.expected ? 'unchanged' : 'written'}`);
    } else if (check.problem) {
      failed = true;
      console.error(`diagrams: ${check.problem}`);
    } else {
      console.log(`diagrams: ${check.lesson.id}: ok`);
    }
    if (values.write && check.expected === undefined) {
      failed = true;
      console.error(`diagrams: ${check.problem}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

/** A lesson by its id, number or slug. */
function pick(lessons: Lesson[], name: string): Lesson {
  const lesson = findLesson(lessons, name);
  if (lesson) return lesson;
  usageError('diagrams', `no lesson '${name}' (one of ${lessons.map((l) => l.id).join(', ')})`);
}
