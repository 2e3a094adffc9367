// Keeps Ink's cursor restoration (restore-cursor) off a standard error that is not a terminal: a file or pipe gets no control code.

/** The one sequence restore-cursor writes at exit: show the cursor. */
const SHOW_CURSOR = '\u001B[?25h';

const guarded = new WeakSet<NodeJS.WriteStream>();

/**
 * Ink hides the cursor through cli-cursor on the terminal it draws to (stdout), and cli-cursor then calls
 * restore-cursor, which registers an exit hook writing SHOW_CURSOR to process.stderr whatever that is: with
 * `2>file` the file ends in `ESC[?25h`. The hook is out of reach (a module-private closure run by signal-exit), so the
 * write is dropped here, below it: only that exact chunk, only when `stderr` is not a TTY (on a terminal it is the
 * restoration it should be), and our own diagnostics pass through untouched.
 */
export function guardCursorRestore(stderr: NodeJS.WriteStream = process.stderr): void {
  if (stderr.isTTY || guarded.has(stderr)) return;
  guarded.add(stderr);
  const write = stderr.write.bind(stderr) as (...args: unknown[]) => boolean;
  stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (chunk === SHOW_CURSOR || (chunk instanceof Uint8Array && Buffer.from(chunk).toString('latin1') === SHOW_CURSOR)) {
      // Keep write()'s contract: a callback, if given, still runs.
      const cb = rest.find((r) => typeof r === 'function') as ((err?: Error | null) => void) | undefined;
      if (cb) process.nextTick(cb);
      return true;
    }
    return write(chunk, ...rest);
  }) as NodeJS.WriteStream['write'];
}
