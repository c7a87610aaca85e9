// The one rule for network text and the closed-stream handler, as the lesson contract checks them
// (scripts/contract.ts, scripts/printable.ts): what the shared printable() shows for each class of
// character, and that the two output rules catch a stale copy of it, network text printed raw, and
// a program without the handler. tests/lessons.test.ts runs the same rules on every lesson.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLOSED_STREAM_HANDLER, closedStreamProblems, networkTextProblems } from '../scripts/contract.ts';
import { PRINTABLE_SOURCE, printable, printableCopy } from '../scripts/printable.ts';

const FILE = 'lessons/99-example/peer.ts';

describe('printable()', () => {
  it('escapes control characters, separators, bidi controls and lone surrogates, and nothing else', () => {
    // Checks each class the rule names, with the form the programs print: \n \r \t by name, \xNN
    // below 0x100, \u{NNNN} above; Chinese text, emoji (a surrogate pair) and non-breaking space stay.
    const cases: [string, string][] = [
      ['\x1b[2J', '\\x1b[2J'],
      ['a\rb\tc\nd', 'a\\rb\\tc\\nd'],
      ['\x00\x7f', '\\x00\\x7f'],
      ['\u0085\u009b', '\\x85\\x9b'],
      ['\u2028\u2029', '\\u{2028}\\u{2029}'],
      ['\u202a\u202e\u2066\u2069', '\\u{202a}\\u{202e}\\u{2066}\\u{2069}'],
      ['A\ud800B\udc00', 'A\\u{d800}B\\u{dc00}'],
      ['\udc00\ud800', '\\u{dc00}\\u{d800}'],
      ['你好，世界 😀 \u00a0é', '你好，世界 😀 \u00a0é'],
      ['\nlistening on 6.6.6.6:66\n', '\\nlistening on 6.6.6.6:66\\n'],
    ];
    for (const [text, shown] of cases) assert.equal(printable(text), shown, JSON.stringify(text));
  });
});

describe('the output rules of the lesson contract', () => {
  const receives = (shown: string): string => `socket.on('message', (data) => console.log('from peer:', ${shown}));`;

  it('accept a program with the shared printable(), a call to it and the handler', () => {
    // Checks the rules hold for a program written as the lessons are.
    const source = `${CLOSED_STREAM_HANDLER}\n${receives('printable(data.toString())')}\n\n${PRINTABLE_SOURCE}\n`;
    assert.deepEqual([...networkTextProblems(FILE, source), ...closedStreamProblems(FILE, source)], []);
    assert.equal(printableCopy(source), PRINTABLE_SOURCE);
  });

  it('report a printable() that is not the shared one, naming the line that differs', () => {
    // Checks a stale copy (lesson 03's before issue 13, which let C1 controls through) is caught.
    const stale = PRINTABLE_SOURCE.replace('\\x7f-\\x9f', '\\x7f');
    const problems = networkTextProblems(FILE, `${receives('printable(data.toString())')}\n\n${stale}\n`);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^lessons\/99-example\/peer\.ts: its printable\(\) is not the shared one \(line 7 of it differs/);
  });

  it('report a program that prints what it receives without printable()', () => {
    // Checks the static heuristic: a 'message' (or 'data') handler in a program that prints, and no call.
    const problems = networkTextProblems(FILE, receives('data.toString()'));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /prints what it receives from the network without printable\(\)/);
  });

  it('report a program without the closed-stream handler', () => {
    // Checks that the handler line is required, and that the message says what to add.
    const problems = closedStreamProblems(FILE, receives('printable(data.toString())'));
    assert.equal(problems.length, 1);
    assert.ok(problems[0]!.includes(CLOSED_STREAM_HANDLER), problems[0]);
  });
});
