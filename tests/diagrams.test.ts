// The lessons' sequence diagrams (issue 15): each README's ```mermaid block is what its demo, recorded
// through the relays, draws today; sequenceDiagram() draws what the relays saw, normalised (no times,
// no ports, one arrow per burst of reads); the book's SVG renderer draws that text with no network
// reference. Fix a drifted README with: node --import tsx scripts/diagrams.ts --write [LESSON]

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import iconv from 'iconv-lite';
import { renderDiagram } from '../scripts/book/diagrams.ts';
import { checkDiagrams, firstDifference, readmeDiagram, withDiagram } from '../scripts/diagrams.ts';
import { loadLessons } from '../scripts/manifest.ts';
import { type DemoTrace, sequenceDiagram } from '../scripts/relay/diagram.ts';
import type { RelayEvent } from '../scripts/relay/events.ts';

const text = (s: string): Buffer => Buffer.from(s);
type Relay = DemoTrace['relays'][number];
const tcp = (server: string, clients: Record<number, string>, events: RelayEvent[]): Relay => ({
  protocol: 'tcp',
  server,
  clients,
  events,
});
const udp = (server: string, clients: Record<number, string>, events: RelayEvent[]): Relay => ({
  protocol: 'udp',
  server,
  clients,
  events,
});
const connect = (t: number, conn = 1): RelayEvent => ({
  t,
  conn,
  kind: 'connect',
  protocol: 'tcp',
  client: '127.0.0.1:50001',
  server: '127.0.0.1:7788',
});
const data = (t: number, dir: 'up' | 'down', bytes: Buffer, conn = 1): RelayEvent => ({ t, conn, kind: 'data', dir, bytes });
const datagram = (t: number, dir: 'up' | 'down', bytes: Buffer, conn = 1): RelayEvent => ({
  t,
  conn,
  kind: 'datagram',
  dir,
  from: '127.0.0.1:40000',
  to: '127.0.0.1:9999',
  bytes,
});

describe('sequenceDiagram', () => {
  it('draws a TCP exchange: connect, each burst with its size and text, both half-closes, the close', () => {
    // Checks the whole text for lesson 04's shape: the message, the client's FIN, the reply, the server's FIN.
    const demo: DemoTrace = {
      lesson: '04-tcp-server',
      roles: ['server', 'client'],
      relays: [
        tcp('server', { 1: 'client' }, [
          connect(1),
          data(2, 'up', text('你好，服务器！')),
          { t: 3, conn: 1, kind: 'end', dir: 'up' },
          data(4, 'down', text('thank you !')),
          { t: 5, conn: 1, kind: 'end', dir: 'down' },
          { t: 6, conn: 1, kind: 'close' },
        ]),
      ],
    };
    assert.equal(
      sequenceDiagram(demo),
      [
        'sequenceDiagram',
        '  participant server',
        '  participant client',
        '  client->>server: connect (连接, SYN)',
        '  client->>server: 21 bytes "你好，服务器！"',
        '  client-->>server: FIN (半关闭 half-close)',
        '  server->>client: 11 bytes "thank you !"',
        '  server-->>client: FIN (半关闭 half-close)',
        '  Note over client,server: closed (关闭)',
        '',
      ].join('\n'),
    );
  });

  it('joins the reads of one burst, not reads with the other direction between them, and draws a reset as -x', () => {
    // Checks the normalisation rule: two reads in a row one way are one arrow with the total; a read the
    // other way ends the burst; another connection's event in between does not; RST is a crossed arrow.
    const demo: DemoTrace = {
      lesson: 'x',
      roles: ['server', 'client', 'other'],
      relays: [
        tcp('server', { 1: 'client', 2: 'other' }, [
          connect(1),
          data(2, 'up', text('ab')),
          connect(2.5, 2),
          data(3, 'up', text('cd\n')),
          data(4, 'down', text('1')),
          data(5, 'up', text('e')),
          { t: 6, conn: 1, kind: 'reset', dir: 'down' },
          { t: 7, conn: 1, kind: 'close' },
        ]),
      ],
    };
    const lines = sequenceDiagram(demo).split('\n');
    assert.deepEqual(lines.slice(4), [
      '  client->>server: conn 1, connect (连接, SYN)',
      '  client->>server: conn 1, 5 bytes "abcd#92;n"',
      '  other->>server: conn 2, connect (连接, SYN)',
      '  server->>client: conn 1, 1 byte "1"',
      '  client->>server: conn 1, 1 byte "e"',
      '  server-xclient: conn 1, RST (reset)',
      '  Note over client,server: conn 1, closed (关闭)',
      '',
    ]);
  });

  it('draws every UDP datagram on its own, with its size, across two relays in time order', () => {
    // Checks datagrams are never joined (unlike TCP reads), that events of two relays merge by time, and
    // that a UDP mapping's close (the relay stopping, nothing on the wire) is not drawn.
    const demo: DemoTrace = {
      lesson: '03-udp-chat',
      roles: ['alice', 'bob'],
      relays: [
        udp('alice', { 1: 'bob' }, [datagram(5, 'up', text('hi alice'))]),
        udp('bob', { 1: 'alice' }, [
          datagram(1, 'up', text('hi bob')),
          datagram(2, 'up', text('again')),
          datagram(6, 'down', text('')),
          { t: 7, conn: 1, kind: 'close' },
        ]),
      ],
    };
    assert.deepEqual(sequenceDiagram(demo).split('\n').slice(3), [
      '  alice->>bob: datagram, 6 bytes "hi bob"',
      '  alice->>bob: datagram, 5 bytes "again"',
      '  bob->>alice: datagram, 8 bytes "hi alice"',
      '  bob->>alice: datagram, 0 bytes',
      '',
    ]);
  });

  it("escapes Mermaid's special characters, shows no text for binary bytes, and gives roles with dashes an id", () => {
    // Checks labels cannot break the diagram (; ends a Mermaid statement, # starts an entity code) and
    // that binary data is shown as a size only.
    const demo: DemoTrace = {
      lesson: '07-echo-server',
      roles: ['tcp-server', 'tcp-client'],
      relays: [
        tcp('tcp-server', { 1: 'tcp-client' }, [
          data(1, 'up', text('a;b#c:d<e>f&g\\h\r\n')),
          data(2, 'down', Buffer.from([0, 1, 2, 0xff, 0xfe])),
        ]),
      ],
    };
    assert.deepEqual(sequenceDiagram(demo).split('\n').slice(1), [
      '  participant tcp_server as tcp-server',
      '  participant tcp_client as tcp-client',
      '  tcp_client->>tcp_server: 17 bytes "a#59;b#35;c#58;d#60;e#62;f#38;g#92;h#92;r#92;n"',
      '  tcp_server->>tcp_client: 5 bytes',
      '',
    ]);
  });

  it("draws a TCP close right after its connection's last event, before another relay's later events", () => {
    // Checks the rule that keeps lesson 07 stable: the relay notices a close late, racing the UDP
    // client that starts once the TCP client has seen the server's FIN.
    const demo: DemoTrace = {
      lesson: '07-echo-server',
      roles: ['t', 'u', 'tc', 'uc'],
      relays: [
        tcp('t', { 1: 'tc' }, [connect(1), { t: 2, conn: 1, kind: 'end', dir: 'down' }, { t: 9, conn: 1, kind: 'close' }]),
        udp('u', { 1: 'uc' }, [datagram(5, 'up', text('Tracy'))]),
      ],
    };
    assert.deepEqual(sequenceDiagram(demo).split('\n').slice(5), [
      '  tc->>t: connect (连接, SYN)',
      '  t-->>tc: FIN (半关闭 half-close)',
      '  Note over tc,t: closed (关闭)',
      '  uc->>u: datagram, 5 bytes "Tracy"',
      '',
    ]);
  });

  it("decodes the labels' text in the listening program's encoding, and says which at the top", () => {
    // Checks lesson 04's case: gbk bytes are shown as text, not as bytes that are not UTF-8.
    const demo: DemoTrace = {
      lesson: '04-tcp-server',
      roles: ['server', 'client'],
      relays: [tcp('server', { 1: 'client' }, [data(1, 'up', iconv.encode('你好', 'gbk'))])],
    };
    assert.deepEqual(
      sequenceDiagram(demo, { encodings: { server: 'gbk' } })
        .split('\n')
        .slice(3, 5),
      ['  Note over server,client: text shown decoded as gbk (编码 encoding)', '  client->>server: 4 bytes "你好"'],
    );
    assert.equal(sequenceDiagram(demo).split('\n')[3], '  client->>server: 4 bytes');
  });

  it('says so when a demo sent nothing (lesson 00)', () => {
    // Checks a lesson without sockets still gets a diagram that renders.
    const lines = sequenceDiagram({ lesson: '00', roles: ['interfaces', 'calculator', 'ports'], relays: [] }).split('\n');
    assert.equal(lines.at(-2), '  Note over interfaces,ports: no network traffic#58; nothing is sent or received');
  });
});

describe('renderDiagram (the book)', () => {
  const source = [
    'sequenceDiagram',
    '  participant tcp_server as tcp-server',
    '  participant client',
    '  client->>tcp_server: 21 bytes "你好，服务器！a#59;b#60;#92;n"',
    '  client-->>tcp_server: FIN (半关闭 half-close)',
    '  tcp_server-xclient: RST (reset)',
    '  Note over client,tcp_server: closed (关闭)',
    '',
  ].join('\n');

  it('draws an SVG with a title, decoded labels, the theme variables, and no network reference', () => {
    // Checks the book's SVG is offline (no URL but the SVG namespace, no image, no external href, no
    // @import), accessible (a title), themed by CSS variables, and shows the labels' real characters.
    const svg = renderDiagram(source);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.deepEqual(svg.match(/https?:[^\s"')]*/g), ['http://www.w3.org/2000/svg']);
    assert.doesNotMatch(svg, /<image|href=|@import|url\(/);
    assert.match(svg, /<title>Sequence diagram: tcp-server and client<\/title>/);
    assert.match(svg, />21 bytes &#34;你好，服务器！a;b&#60;\\n&#34;</);
    assert.match(svg, />FIN \(半关闭 half-close\)</);
    for (const name of ['text', 'line', 'box', 'box-border', 'note', 'accent'])
      assert.match(svg, new RegExp(`var\\(--diagram-${name}, #[0-9a-f]{6}\\)`));
    assert.doesNotMatch(svg, /fill="#|stroke="#/, 'every colour comes from a CSS variable');
  });

  it('draws a reset as a cross, a half-close dashed, and refuses what it cannot draw', () => {
    // Checks the arrow kinds sequenceDiagram() uses are told apart, and that an unknown line is an error.
    const svg = renderDiagram(source);
    assert.equal((svg.match(/stroke-dasharray="6 4"/g) ?? []).length, 1);
    assert.equal((svg.match(/<path d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+M/g) ?? []).length, 1);
    assert.throws(() => renderDiagram('sequenceDiagram\n  loop every second\n'), /line 2: cannot draw 'loop every second'/);
    assert.throws(() => renderDiagram('graph TD\n  A --> B\n'), /only sequenceDiagram/);
  });
});

describe('README blocks', () => {
  it('finds, replaces and compares the block after the marker', () => {
    // Checks the marker handling the --write mode and the drift check rely on.
    const readme = 'intro\n<!-- diagram: demo -->\n```mermaid\nsequenceDiagram\n  a->>b: x\n```\nafter\n';
    assert.equal(readmeDiagram(readme), 'sequenceDiagram\n  a->>b: x\n');
    assert.equal(
      withDiagram(readme, 'sequenceDiagram\n  b->>a: $&y\n'),
      readme.replace('a->>b: x', () => 'b->>a: $&y'),
    );
    assert.throws(() => withDiagram('no marker', 'x'), /no '<!-- diagram: demo -->' marker/);
    assert.equal(firstDifference('a\nb\nc\n', 'a\nb\nc\n'), undefined);
    assert.equal(firstDifference('a\nb\n', 'a\nB\n'), "line 2: README has 'b', the recording has 'B'");
    assert.equal(firstDifference('a\n', 'a\nb\n'), "line 2: README has '', the recording has 'b'");
  });

  it('every lesson README shows the diagram its demo draws today', { timeout: 600_000 }, async () => {
    // Checks each README against a fresh recording of its demo through the relays (two demos at a
    // time), naming the lesson and the first line that differs. Takes 1-2 minutes; the bound is
    // record.ts's 60 s per demo, twice (one retry), for nine demos two at a time.
    const checks = await checkDiagrams(loadLessons());
    assert.deepEqual(
      checks.map((check) => check.problem).filter(Boolean),
      [],
      'fix with: node --import tsx scripts/diagrams.ts --write [LESSON]',
    );
  });
});
