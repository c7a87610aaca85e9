// Tests of the harness itself (tests/harness.ts): every lesson test and the grader trust what it
// reports, so its waits, its error contract checks and its raw peers must fail when they should.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import {
  bindUdp,
  connectTcp,
  distinctSplits,
  eachAtMost,
  expectNoDataFor,
  expectOneLineError,
  hasIpv6Loopback,
  interpreter,
  itUses,
  listenTcp,
  peerHasRead,
  readToEnd,
  start,
  startFile,
  writeBytewise,
  writeCoalesced,
} from './harness.ts';

const TALKER = fileURLToPath(new URL('fixtures/talker.ts', import.meta.url));
const TCP_LESSON = fileURLToPath(new URL('../lessons/04-tcp-server', import.meta.url));
const TCP_TARGET = {
  lesson: '04-tcp-server',
  lessonDir: TCP_LESSON,
  dir: TCP_LESSON,
  suites: new Set(['lesson' as const]),
  commands: new Map(),
  staged: false,
};

describe('harness', { concurrency: 4 }, () => {
  it("starts a programs.json command's python3 as the interpreter it stands for, asked once; other commands as written", () => {
    // Checks the shortcut past a version manager's shim (pyenv's costs 0.3 s a start): the path
    // found is the interpreter python3 itself reports, and what is not Python, or cannot be asked, stays.
    const dir = fileURLToPath(new URL('fixtures/', import.meta.url));
    const found = interpreter('python3', dir);
    const asked = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { cwd: dir, encoding: 'utf8' });
    if (asked.status === 0) {
      assert.ok(path.isAbsolute(found), found);
      assert.equal(found, asked.stdout.trim());
      assert.equal(interpreter('python3', dir), found);
    } else assert.equal(found, 'python3');
    assert.equal(interpreter('ruby', dir), 'ruby');
    assert.equal(interpreter('python9.99-none', dir), 'python9.99-none');
  });

  it('cuts a message where cuts differ: inside its widest character, between two, beside a newline, one byte per write', () => {
    // Checks distinctSplits, which stands in for every offset where each cut costs a process:
    // every way keeps the bytes, and the cuts are exactly the classes it promises.
    const cutsOf = (text: string, encoding: string): string[] => {
      const bytes = iconv.encode(text, encoding);
      const ways = distinctSplits(bytes, text, encoding);
      for (const pieces of ways) assert.deepEqual(Buffer.concat(pieces), bytes);
      assert.equal(ways.at(-1)!.length, bytes.length, 'one byte per write comes last');
      return ways.slice(0, -1).map((pieces) => pieces.map((piece) => piece.length).join('+'));
    };
    assert.deepEqual(cutsOf('好😀!', 'utf-8'), ['3+5', '4+4', '5+3', '6+2']); // 😀's three inner offsets, and 好|😀
    assert.deepEqual(cutsOf('好，再见!', 'gbk'), ['1+8', '2+7']); // inside 好 (the first widest), and 好|，
    assert.deepEqual(cutsOf('OK 3\n好!', 'gb18030'), ['1+7', '4+4', '5+3', '6+2']); // O|K, before and after "\n", inside 好
    assert.deepEqual(cutsOf('ab', 'utf-8'), ['1+1']);
    assert.throws(() => distinctSplits(Buffer.from('abc'), 'ab', 'utf-8'), /is not 3 bytes in utf-8/);
  });

  it('stops starting cuts after the first failure, and waits for those still running', async () => {
    // Checks eachAtMost(): a failed cut has failed the test, so the next cuts (a process each) are
    // not started, and the cut still running finishes before the failure is reported.
    const started: number[] = [];
    const finished: number[] = [];
    const run = async (item: number): Promise<void> => {
      started.push(item);
      if (item === 1) throw new Error('cut 1 failed');
      await new Promise((resolve) => setImmediate(resolve));
      finished.push(item);
    };
    await assert.rejects(eachAtMost(2, [0, 1, 2, 3, 4, 5], run), /cut 1 failed/);
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(finished, [0], 'the cut that was running when 1 failed has finished');
    started.length = 0;
    finished.length = 0;
    await eachAtMost(2, [0, 2, 3], run);
    assert.deepEqual(finished.sort(), [0, 2, 3]);
  });

  itUses(TCP_TARGET, ['client.ts'], 'fails a test that starts a program its itUses() list does not name', async (t) => {
    // Checks that a declaration is held to: the grader skips a declared test when its files are
    // unchanged, so a test that starts more than it names fails at once, before anything starts.
    assert.throws(() => start(t, TCP_TARGET, 'server.ts'), /says \(itUses\) that it starts only client\.ts, but it started server\.ts/);
  });

  it('reads the port from an IPv4 or a bracketed IPv6 ready line', async (t) => {
    // Checks ready() on both address forms a listener may print.
    assert.equal(await startFile(t, TALKER, ['listening on 127.0.0.1:4242']).ready(), 4242);
    assert.equal(await startFile(t, TALKER, ['listening on [::1]:4343']).ready(), 4343);
  });

  it('writes stdin lines and waits for the answers', async (t) => {
    // Checks writeLine() and waitFor() on a program that answers each line.
    const talker = startFile(t, TALKER);
    talker.writeLine('你好');
    assert.equal((await talker.waitFor(/^got: (.*)$/m))[1], '你好');
  });

  it('fails a wait with the output so far when the program exits first', async (t) => {
    // Checks that a wait does not hang on a program that has gone, and shows what it printed.
    const talker = startFile(t, TALKER, ['no ready line here']);
    talker.endInput();
    await assert.rejects(talker.ready(), /exited \(exit code 0\) before printing the ready line[\s\S]*no ready line here/);
  });

  it('accepts exactly one stderr line with the right exit code, and rejects anything else', async (t) => {
    // Checks expectOneLineError(), the contract behind every "clear one-line error" test.
    const run = (lines: string, code: string) => {
      const talker = startFile(t, TALKER, ['ready', lines, code]);
      talker.endInput();
      return talker;
    };
    await expectOneLineError(run('1', '1'), 1, /problem 1/);
    await assert.rejects(expectOneLineError(run('2', '1'), 1, /problem/), /exactly one line on stderr, printed 2/);
    await assert.rejects(expectOneLineError(run('1', '0'), 1, /problem/), /should exit with code 1, got exit code 0/);
    await assert.rejects(expectOneLineError(run('1', '1'), 1, /refused/), /error line should match/);
  });

  it('delivers bytes written one per write and messages written in one write, in order', async (t) => {
    // Checks the raw TCP peers: what is written arrives whole and in order, then the FIN.
    const listener = await listenTcp(t);
    const client = await connectTcp(t, listener.port);
    const server = await listener.next();
    await writeBytewise(client, Buffer.from('一个字节'));
    await writeCoalesced(client, [Buffer.from('one\n'), Buffer.from('two\n')]);
    client.end();
    assert.equal((await readToEnd(server)).toString(), '一个字节one\ntwo\n');
  });

  it('keeps the bytes that arrive after a silence was checked for the next reader', async (t) => {
    // Checks expectNoDataFor() leaves the socket as it found it: an answer that arrives before the
    // test reads again (a loaded machine) is still there, not emitted to nobody.
    const listener = await listenTcp(t);
    const client = await connectTcp(t, listener.port);
    const server = await listener.next();
    const silence = expectNoDataFor(server, 5000, 'the peer spoke');
    client.write('early');
    await assert.rejects(silence, /the peer spoke; it sent "early"/);
    await expectNoDataFor(client, 50, 'nothing is sent yet');
    server.write('the answer');
    await peerHasRead(server); // our end has taken the bytes from the system before anyone reads
    server.end();
    assert.equal((await readToEnd(client)).toString(), 'the answer');
  });

  it('sends and receives datagrams with the sender address, over IPv4 and IPv6', async (t) => {
    // Checks the raw UDP peer used by the UDP lessons.
    const hosts = (await hasIpv6Loopback()) ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
    for (const host of hosts) {
      const [a, b] = [await bindUdp(t, host), await bindUdp(t, host)];
      await a.send(Buffer.from('数据报'), b.port, host);
      const datagram = await b.next();
      assert.deepEqual(
        { text: datagram.data.toString(), port: datagram.port, address: datagram.address },
        { text: '数据报', port: a.port, address: host },
      );
    }
  });
});
