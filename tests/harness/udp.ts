// A raw UDP peer on the harness's side: datagrams handed out in order, with their sender.

import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { withTimeout } from '../../scripts/runtime/child.ts';
import { relayFor } from './faults.ts';
import { ownedBy, programsFor } from './programs.ts';

export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
}

export class UdpPeer {
  readonly socket: dgram.Socket;
  private readonly received: Datagram[] = [];
  private readonly waiting: ((d: Datagram) => void)[] = [];
  /** Under faults: the port of the relay in front of it, which `port` gives the programs instead. */
  relayPort: number | undefined;

  constructor(type: 'udp4' | 'udp6') {
    this.socket = dgram.createSocket(type);
    this.socket.on('error', () => {});
    this.socket.on('message', (data, rinfo) => {
      const datagram = { data, address: rinfo.address, port: rinfo.port };
      const waiter = this.waiting.shift();
      if (waiter) waiter(datagram);
      else this.received.push(datagram);
    });
  }

  /** The port the programs are given: its own, or under faults the relay's in front of it. */
  get port(): number {
    return this.relayPort ?? this.socket.address().port;
  }

  next(): Promise<Datagram> {
    const datagram = this.received.shift();
    if (datagram) return Promise.resolve(datagram);
    return withTimeout(
      new Promise((resolve) => this.waiting.push(resolve)),
      'a datagram at the harness socket',
      undefined,
      undefined,
      undefined,
      programsFor(this),
    );
  }

  send(data: Buffer, port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, host, (err) => (err ? reject(err) : resolve())));
  }
}

/** A harness UDP socket bound to an ephemeral port on host. */
export async function bindUdp(t: TestContext, host = '127.0.0.1'): Promise<UdpPeer> {
  const peer = ownedBy(new UdpPeer(net.isIPv6(host) ? 'udp6' : 'udp4'), t);
  t.after(() => peer.socket.close());
  peer.socket.bind(0, host);
  await withTimeout(once(peer.socket, 'listening'), `binding a UDP socket on ${host}`);
  // Under faults, the programs are given a relay's port in front of it.
  peer.relayPort = (await relayFor(t, 'udp', peer.socket.address().port, host))?.port;
  return peer;
}
