// Typed failures of the programs the harness, the runner and the grader start. A failure's message
// is the English sentence a person reads (tests assert on it), followed by the program's output;
// its kind, program, command line and input are data, so the grader picks its advice by kind
// instead of by matching text. node:test carries only the message from a test's process to the
// one reading its results (scripts/results.ts), so when SOCKET_LESSONS_FAILURE_LINE=1 the fields
// also go into a last line of the message, `@@failure {JSON}`, which splitFailure() takes off.

export type FailureKind =
  | 'did-not-start' // could not be spawned, or its stderr shows it did not compile before any output
  | 'no-ready-line' // did not print "listening on HOST:PORT" within the wait
  | 'exited-early' // ended before printing what the test waited for
  | 'wrong-exit-code'
  | 'timed-out' // the test waited for an event (an exit, a connection, a datagram) in vain
  | 'refused' // nothing accepted a connection on the port of the ready line
  | 'flooded' // printed more than the output cap and was stopped
  | 'left-process' // exited, leaving a process of its group running
  | 'wrong-port' // announced a port other than the --port it was given
  | 'wrong-stderr' // not exactly one line on stderr
  | 'wrong-error-line' // its one stderr line does not say what the test expects
  | 'wrong-output'; // did not print what the test waited for within the wait

export interface Failure {
  kind: FailureKind;
  /** The program as the test names it: its file (server.ts) or a role. */
  program?: string;
  /** Its exact command line, relative to the folder under test: `server.ts --port 0`, `python3 server.py`. */
  command?: string[];
  /** What the test wrote to its stdin so far. */
  input?: string;
  /** What the test waited for or checked: "the ready line ...", "server.ts to exit". */
  what?: string;
  /** The expected and actual values of a check (an exit code, a line count, a pattern). */
  expected?: string;
  actual?: string;
  /** How long the wait that ran out was. */
  waitedMs?: number;
  /** A wait of the harness (a connection, bytes, a datagram) given up because the program had exited. */
  waitedOnPeer?: boolean;
  /** The test's other programs still running when this one failed, and those of them that kept the CPU busy. */
  running?: string[];
  busy?: string[];
}

/** Set by scripts/results.ts for the test processes whose results it reads. */
export const FAILURE_LINE_VARIABLE = 'SOCKET_LESSONS_FAILURE_LINE';
const MARK = '\n@@failure ';
const INPUT_CAP = 4096; // characters of stdin kept in a failure: enough to show, bounded for the report

export class ProgramFailure extends Error implements Failure {
  declare readonly kind: FailureKind;
  declare readonly program?: string;
  declare readonly command?: string[];
  declare readonly input?: string;
  declare readonly what?: string;
  declare readonly expected?: string;
  declare readonly actual?: string;
  declare readonly waitedMs?: number;
  declare readonly waitedOnPeer?: boolean;
  declare readonly running?: string[];
  declare readonly busy?: string[];

  /** `text` is the whole message a person reads, the program's output included. */
  constructor(text: string, failure: Failure) {
    const fields: Failure = { ...failure, ...(failure.input !== undefined ? { input: capped(failure.input) } : {}) };
    super(process.env[FAILURE_LINE_VARIABLE] === '1' ? `${text}${MARK}${JSON.stringify(fields)}` : text);
    // Not enumerable: a test's failure prints as it always has, the message and the output.
    for (const [key, value] of Object.entries(fields)) Object.defineProperty(this, key, { value, enumerable: false });
  }

  /** The fields, as data. */
  get failure(): Failure {
    const { kind, program, command, input, what, expected, actual, waitedMs, waitedOnPeer, running, busy } = this;
    return Object.fromEntries(
      Object.entries({ kind, program, command, input, what, expected, actual, waitedMs, waitedOnPeer, running, busy }).filter(
        ([, v]) => v !== undefined,
      ),
    ) as unknown as Failure;
  }
}

/** A message without its `@@failure` line, and the failure that line held (if any). */
export function splitFailure(message: string): { message: string; failure?: Failure } {
  const at = message.lastIndexOf(MARK);
  if (at < 0) return { message };
  try {
    return { message: message.slice(0, at), failure: JSON.parse(message.slice(at + MARK.length)) as Failure };
  } catch {
    return { message }; // not ours after all
  }
}

/** A command line as a person would type it: arguments with spaces or quotes are single-quoted. */
export function showCommand(command: string[]): string {
  return command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function capped(input: string): string {
  return input.length <= INPUT_CAP ? input : `${input.slice(0, INPUT_CAP)}[… ${input.length - INPUT_CAP} more characters]`;
}
