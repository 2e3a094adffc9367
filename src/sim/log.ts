// Simulator logging: one line per event to stderr, a file, a callback, or nowhere (tests).
import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A log sink. `time` is the simulator's virtual time (epoch ms) when the line was written. */
export type SimLogger = (level: LogLevel, message: string) => void;

/** Where log lines go: stderr (default for the CLI), a file path, a callback, or nothing. */
export type LogTarget = 'stderr' | { readonly file: string } | SimLogger | false;

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * Builds a logger. Lines are `ISO-real-time level message`; file writes are synchronous on purpose so
 * that a crash (or a SIGKILL in a test) never loses the last lines that explain it.
 */
export function createLogger(target: LogTarget, minLevel: LogLevel = 'info'): SimLogger {
  if (target === false) return () => {};
  if (typeof target === 'function') return target;
  const write = target === 'stderr' ? (line: string) => process.stderr.write(line) : (line: string) => appendFileSync(target.file, line);
  return (level, message) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    write(`${new Date().toISOString()} sim ${level.padEnd(5)} ${message}\n`);
  };
}
