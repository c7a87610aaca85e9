// What a harness socket receives, handed out as exact bytes: line by line (each with its "\n"), a
// number of bytes at a time, or everything left once the peer has closed its side. Every wait is
// bounded and fails with what has arrived so far. (Promoted from lesson 05's tests.)

import type net from 'node:net';
import { withTimeout } from '../../scripts/runtime/child.ts';
import { programsFor } from './programs.ts';

export class Wire {
  private bytes = Buffer.alloc(0);
  private closed = false;
  private readonly watchers = new Set<() => void>();

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, chunk]);
      this.watchers.forEach((watch) => watch());
    });
    for (const event of ['end', 'close', 'error']) {
      socket.on(event, () => {
        this.closed = true;
        this.watchers.forEach((watch) => watch());
      });
    }
  }

  /** The next line's bytes, its "\n" included. */
  async line(what = 'a line ending in "\\n"'): Promise<Buffer> {
    await this.until(() => this.bytes.includes(0x0a) || this.closed, what);
    const end = this.bytes.indexOf(0x0a) + 1;
    if (end === 0) throw new Error(`the peer closed before sending ${what}; received ${this.show()}`);
    return this.take(end);
  }

  /** The next line as utf-8 text, without its "\n". */
  async lineText(what?: string): Promise<string> {
    return (await this.line(what)).toString('utf8').slice(0, -1);
  }

  /** The next `count` bytes. */
  async bytesOf(count: number, what = `${count} bytes`): Promise<Buffer> {
    await this.until(() => this.bytes.length >= count || this.closed, what);
    if (this.bytes.length < count) throw new Error(`the peer closed before sending ${what}; received ${this.show()}`);
    return this.take(count);
  }

  /** Every byte not taken yet, once the peer has closed its sending side (its FIN). */
  async rest(what = 'the peer to close its side of the connection'): Promise<Buffer> {
    await this.until(() => this.closed, what);
    return this.take(this.bytes.length);
  }

  /** rest() as utf-8 text. */
  async restText(what?: string): Promise<string> {
    return (await this.rest(what)).toString('utf8');
  }

  /** How many bytes have arrived and not been taken yet. */
  get pending(): number {
    return this.bytes.length;
  }

  /**
   * Fails if anything beyond what was taken has arrived within `ms`, in a new chunk or in one
   * that came with earlier bytes. Absence has no event to wait for, so this is the one wait on a
   * timer: a correct peer can never fail it, and nothing that follows waits on it.
   */
  async nothingMoreFor(ms: number, failure: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.bytes.length > 0) throw new Error(`${failure}; it sent ${this.show()}`);
  }

  private take(count: number): Buffer {
    const taken = this.bytes.subarray(0, count);
    this.bytes = this.bytes.subarray(count);
    return taken;
  }

  private until(ready: () => boolean, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    let watch = (): void => {};
    const done = new Promise<void>((resolve) => {
      watch = () => ready() && resolve();
      this.watchers.add(watch);
    });
    const detail = (): string => `received so far: ${this.show()}`;
    return withTimeout(done, what, detail, undefined, undefined, programsFor(this.socket)).finally(() => this.watchers.delete(watch));
  }

  private show(): string {
    return JSON.stringify(this.bytes.toString('latin1'));
  }
}
