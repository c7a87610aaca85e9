// The loopback test harness shared by every lesson test (and, through them, by the grader). Its
// parts, each in tests/harness/:
// - target.ts: which folder of programs the tests run against (the lesson's own, or
//   SOCKET_LESSONS_PROGRAMS, a student's folder with the same file names) and which suites run;
// - programs.ts: start() spawns a program as `node --import <TypeScript loader> FILE` (scripts/run-ts),
//   as a runtime Child (scripts/runtime/child.ts) that reads its ready line, writes stdin, and
//   waits for output or exit with a timeout that fails with the output so far;
// - tcp.ts, udp.ts: raw harness-side peers that can write one byte per write, or several messages
//   in one write; wire.ts: a reader of exact bytes, line by line, on a harness socket;
// - streams.ts: closing the harness's end of a program's stdout or stderr (a reader gone away);
// - bad-flags.ts: the usage errors every program rejects; assertions.ts: the one-line error
//   contract and the other shared checks;
// - faults.ts: under SOCKET_LESSONS_FAULTS, a relay with those toxics in front of every program and
//   harness peer a test connects (startListening, listenTcp, bindUdp give the relay's port), and
//   skipUnderFaults() for a test that cannot hold through a relay;
// - split.ts: messages cut at every byte offset (splits), or only where cuts differ when each cut
//   costs a process (distinctSplits), written so that each cut falls between two reads of the program; hostile text for the escape tests; closing a program's stdout (`| head -1`).
// Every process and socket is registered with t.after(), so it is cleaned up even when a test fails.
// Programs are contained, because the grader runs students' programs through these same tests:
// each runs in its own process group that is killed as a whole, its output is capped (a flood
// stops it), and a program that exits leaving a process behind fails the test that started it.
// A failure says what went wrong as a kind (scripts/runtime/failure.ts), with the command line.

export * from './harness/assertions.ts';
export * from './harness/bad-flags.ts';
export * from './harness/faults.ts';
export * from './harness/programs.ts';
export * from './harness/split.ts';
export * from './harness/streams.ts';
export * from './harness/target.ts';
export * from './harness/tcp.ts';
export * from './harness/udp.ts';
export * from './harness/wire.ts';
