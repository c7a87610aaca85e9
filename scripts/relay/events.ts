// What the relay (scripts/relay/) records: one event per thing it saw happen on a connection or a
// UDP mapping. The trace printer (--trace), the sequence diagrams in the READMEs and the grader's
// reasons under faults all read these, and nothing else, so they agree on what happened.
//
// A relay sees what each read() returned on its side of the connection, not the kernel's TCP
// segments: one 'data' event is one read, and a fault may cut or join it before it is written on.

/** Which way bytes went: from the client to the server ('up'), or back ('down'). */
export type Direction = 'up' | 'down';

interface At {
  /** Milliseconds since the relay started (from performance.now(), so never going back). */
  t: number;
  /** Which connection (TCP) or which source address (UDP), numbered from 1 in the order first seen. */
  conn: number;
}

export type RelayEvent =
  /** A client connected (TCP) and the relay opened its own connection to the server. */
  | (At & { kind: 'connect'; protocol: 'tcp'; client: string; server: string })
  /** The upstream connection failed: the server refused or was not there; the client is reset. */
  | (At & { kind: 'refused'; protocol: 'tcp'; server: string; reason: string })
  /** One read on one side, forwarded the other way (bytes as read, before any fault). */
  | (At & { kind: 'data'; dir: Direction; bytes: Buffer })
  /** One side half-closed (FIN): it will send nothing more; the relay half-closes the other side. */
  | (At & { kind: 'end'; dir: Direction })
  /** One side reset the connection (RST); the relay resets the other side. dir: who reset. */
  | (At & { kind: 'reset'; dir: Direction })
  /** Both sides are closed; nothing more on this connection. */
  | (At & { kind: 'close' })
  /** A UDP datagram: its source and destination as the sender addressed them, and its bytes. */
  | (At & { kind: 'datagram'; dir: Direction; from: string; to: string; bytes: Buffer })
  /** A fault acted: what the toxic did (e.g. 'slicer: 7 bytes in 3 writes', 'loss: dropped 12 bytes'). */
  | (At & { kind: 'fault'; dir: Direction; toxic: string; what: string });
