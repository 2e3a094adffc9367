// Output sinks for commands, injectable so tests read what a command printed without spawning a process.
import { terminalSafe } from '../model/text.js';
import { maskAccounts, toAscii } from '../views/format.js';
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  /**
   * The width of the terminal `out` writes to; undefined when it is a pipe or a file, where no line is cut or wrapped
   * (a script reads whole lines; `less -S` and `cut` can still narrow them).
   */
  readonly columns?: number;
  /**
   * Optional: `out` for text already made of printable ASCII and newlines (nothing to neutralise), as bytes valid
   * during the call. A command printing much (`replay --events`) then skips making a string to write; a sink without
   * it (tests, masking) gets the same text through `out`.
   */
  outBytes?(bytes: Uint8Array): void;
}

const NEWLINE = Buffer.from('\n', 'latin1');

/**
 * Whether `stream` is a terminal the console can draw on: a TTY whose TERM is not `dumb`. A dumb terminal (Emacs's
 * shell, some CI runners, `TERM=dumb` set on purpose) cannot switch screens or move the cursor: the console's
 * full-screen drawing came out there as escape codes, so a dumb terminal counts as no terminal at all.
 */
export function drawableTerminal(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** The refusal's reason when the console cannot be drawn: what is missing, in words (TERM=dumb named as such). */
export function terminalNeeded(env: NodeJS.ProcessEnv = process.env): string {
  return process.stdout.isTTY === true && process.stdin.isTTY === true && env.TERM === 'dumb'
    ? 'a terminal that can move its cursor (TERM=dumb cannot)'
    : 'a terminal';
}

/**
 * The text commands' last line of defence: text from TWS and recordings is neutralised where it enters, and a
 * control character that slipped past is still written as an escape (`\u001b`, valid inside JSON strings too).
 */
export const processIo: CommandIo = {
  out: (line) => process.stdout.write(`${terminalSafe(line)}\n`),
  // A copy: the caller reuses its buffer, and a pipe's write may complete later on some platforms.
  outBytes: (bytes) => process.stdout.write(Buffer.concat([bytes, NEWLINE])),
  err: (line) => process.stderr.write(`${terminalSafe(line)}\n`),
  get columns() {
    return process.stdout.isTTY === true ? process.stdout.columns : undefined;
  },
};

/** The same sink with every account id masked (`--mask`, `ui.maskAccount`): plans, reports, JSON, exit lines. */
export function maskingIo(io: CommandIo): CommandIo {
  return { out: (line) => io.out(maskAccounts(line)), err: (line) => io.err(maskAccounts(line)), ...columnsOf(io) };
}

/** The same sink for a terminal that shows ASCII only (theme.ts `asciiOnly`): glyphs spelled out ("..." for "…"). */
export function asciiIo(io: CommandIo): CommandIo {
  // Printable ASCII bytes need no spelling out: passed on as they are.
  const bytes = io.outBytes === undefined ? {} : { outBytes: (b: Uint8Array) => io.outBytes!(b) };
  return { out: (line) => io.out(toAscii(line, false)), err: (line) => io.err(toAscii(line, false)), ...bytes, ...columnsOf(io) };
}

function columnsOf(io: CommandIo): { readonly columns?: number } {
  return io.columns === undefined
    ? {}
    : {
        get columns() {
          return io.columns;
        },
      };
}

const outputClosedListeners = new Set<() => void>();

/**
 * Registers how a running session ends when its output is closed under it (EPIPE: `demo | head -3`), as a hangup
 * ends it: sealed, not cut off. Returns the function that unregisters it.
 */
export function onOutputClosed(listener: () => void): () => void {
  outputClosedListeners.add(listener);
  return () => outputClosedListeners.delete(listener);
}

let sessionEnding = false;

/**
 * Tells the running session its output closed; false when none listens (a one-shot command: nothing to seal). Once a
 * session took it, a later EPIPE (its last log lines, emitted after it stopped listening) is its too: the exit code
 * is the one the session returns, not an early exit 0 over it.
 */
export function outputClosed(): boolean {
  if (outputClosedListeners.size > 0) sessionEnding = true;
  for (const l of outputClosedListeners) l();
  return sessionEnding;
}

/** Exit codes shared by every command (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  invalid: 1,
  usage: 2,
  cannotConnect: 3,
  timedOut: 4,
  criticalAlert: 5,
  incomplete: 6,
  /**
   * A session whose stdout or stderr was closed under it (EPIPE): sealed, then ended with the code a shell reports for
   * a process killed by SIGPIPE (128 + 13), so `set -o pipefail` reads it as it reads any other writer cut off.
   */
  outputClosed: 141,
} as const;
