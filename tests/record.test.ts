// Tests of recordDemo() (scripts/relay/record.ts): a lesson's demo run through relays, silently,
// as the sequence diagrams read it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelayEvent } from '../scripts/relay/events.ts';
import { recordDemo } from '../scripts/relay/record.ts';
import { clientRoles } from '../scripts/relay/session.ts';

describe('recordDemo', { concurrency: 2 }, () => {
  it("records lesson 04's demo: connect, the message, the client's half-close, the reply, the server's close, in order", async () => {
    // Checks the one TCP exchange of lesson 04 as the relay saw it: the server's relay, the client
    // named as the role that opened the connection, every byte of both messages, FIN each way, close.
    const demo = await recordDemo('04-tcp-server');
    assert.equal(demo.lesson, '04-tcp-server');
    assert.deepEqual(demo.roles, ['server', 'client']);
    assert.equal(demo.exitCode, 0);
    assert.equal(demo.relays.length, 1);
    const [relay] = demo.relays;
    assert.equal(relay!.protocol, 'tcp');
    assert.equal(relay!.server, 'server');
    assert.deepEqual(relay!.clients, { 1: 'client' });
    const steps = relay!.events.map((e) => `${e.kind}${'dir' in e ? ` ${e.dir}` : ''}`);
    // Reads may be cut differently from run to run: compare with each direction's reads joined.
    const joined = steps.filter((step, i) => !(step.startsWith('data') && steps[i - 1] === step));
    assert.deepEqual(joined, ['connect', 'data up', 'end up', 'data down', 'end down', 'close']);
    const sent = (dir: 'up' | 'down'): Buffer =>
      Buffer.concat(relay!.events.flatMap((e) => (e.kind === 'data' && e.dir === dir ? [e.bytes] : [])));
    // The demo line in gbk (the lesson's default), and the reply.
    assert.equal(sent('up').length, 36);
    assert.equal(sent('down').toString('latin1'), 'thank you !');
    const times = relay!.events.map((e) => e.t);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'events in time order',
    );
  });

  it("records lesson 03's UDP chat: each peer's datagrams named by the role that sent them, on one clock", async () => {
    // Checks the UDP side: one relay per listening role, each datagram's sender found by its bound
    // port (alice's datagram reaches bob's relay, and the other way), and one time origin for both.
    const demo = await recordDemo('03-udp-chat');
    assert.equal(demo.exitCode, 0);
    assert.deepEqual(
      demo.relays.map((r) => [r.server, r.protocol, r.clients]),
      [
        ['alice', 'udp', { 1: 'bob' }],
        ['bob', 'udp', { 1: 'alice' }],
      ],
    );
    const [atAlice, atBob] = [
      demo.relays[0]!.events.find((e) => e.kind === 'datagram'),
      demo.relays[1]!.events.find((e) => e.kind === 'datagram'),
    ];
    assert.ok(atAlice && atBob, 'a datagram each way');
    assert.ok(atBob.t < atAlice.t, "alice speaks first: her datagram (at bob's relay) comes before bob's");
  });

  it('names each connection by the bound port it came from, else the one role pointed at the server, else "client"', () => {
    // Checks the naming rule on its own: a UDP sender whose source port is a role's bound port is
    // that role even when two roles are pointed at the server; an unknown source is 'client'; a TCP
    // connection (an ephemeral source port) is the only role pointed at the server.
    const datagram = (conn: number, from: string): RelayEvent => ({
      t: conn,
      conn,
      kind: 'datagram',
      dir: 'up',
      from,
      to: '127.0.0.1:9',
      bytes: Buffer.of(1),
    });
    const bound = new Map([
      ['alice', 5000],
      ['bob', 5001],
    ]);
    assert.deepEqual(
      clientRoles([datagram(1, '127.0.0.1:5001'), datagram(2, '[::1]:5000'), datagram(3, '127.0.0.1:6000')], bound, ['alice', 'bob']),
      {
        1: 'bob',
        2: 'alice',
        3: 'client',
      },
    );
    const connect: RelayEvent = { t: 0, conn: 1, kind: 'connect', protocol: 'tcp', client: '127.0.0.1:40000', server: '127.0.0.1:7788' };
    assert.deepEqual(clientRoles([connect], new Map([['server', 7788]]), ['client']), { 1: 'client' });
    assert.deepEqual(clientRoles([connect], new Map(), ['tcp-client']), { 1: 'tcp-client' });
  });
});
