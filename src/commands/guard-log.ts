// The guard daemon's log: one logfmt line per event, stamped with the guard's clock, a run of identical lines folded.
import type { Clock } from '../model/clock.js';
import { neutralise } from '../model/text.js';
import type { CommandIo } from './io.js';

/** syslog's names for the guard's levels (docs/guard.md "Log"). */
export type LogLevel = 'info' | 'notice' | 'warning' | 'err' | 'crit';
/** syslog priorities (RFC 5424) of the log levels. */
const PRIORITY: Readonly<Record<LogLevel, number>> = { crit: 2, err: 3, warning: 4, notice: 5, info: 6 };

/** A logfmt value: bare when it can be, else quoted; never a control character (journald and terminals read it). */
function fmt(v: string | number | boolean): string {
  const s = neutralise(String(v));
  return /^[\w.:/+@-]+$/.test(s) ? s : JSON.stringify(s);
}

/** Writes one event: its level, its name, then its fields in order (undefined ones left out). */
export type GuardLog = (level: LogLevel, event: string, fields?: Readonly<Record<string, string | number | boolean | undefined>>) => void;

/** A run of identical lines is said again, with its count, at most this often while it lasts. */
export const REPEAT_EVERY_MS = 60_000;

/*
 * Each line starts with the time of the guard's clock (ISO 8601, UTC, milliseconds): read after the fact, in a file or
 * a pipe that keeps no time of its own, a line says when. A line identical to the one before it (the same level, event
 * and fields: the same status-file failure on every pass, an evaluation that throws the same way each time) is
 * counted, not written; the run's count is written, as that line with `repeated=N` and the time of its last
 * repetition, when another line comes and at least every REPEAT_EVERY_MS while the run goes on, so a condition that
 * lasts is still seen to last. Only consecutive lines fold: a state that comes back (ready, lost, ready) is written
 * each time it changes.
 */
export function guardLog(o: { readonly io: CommandIo; readonly clock: Clock; readonly journald: boolean; readonly repeatEveryMs?: number }): GuardLog {
  const every = o.repeatEveryMs ?? REPEAT_EVERY_MS;
  // Under systemd (JOURNAL_STREAM set) each line starts with its syslog priority, `<2>` to `<6>`, which journald takes
  // as the entry's priority (SyslogLevelPrefix): `journalctl -p warning -u tws-risk-guard` then shows what matters.
  const write = (level: LogLevel, at: number, text: string) =>
    (level === 'err' || level === 'crit' ? o.io.err : o.io.out)(`${o.journald ? `<${PRIORITY[level]}>` : ''}${new Date(at).toISOString()} ${text}`);
  let run: { text: string; level: LogLevel; writtenAt: number; count: number; lastAt: number } | undefined;
  const sayCount = () => {
    if (!run || run.count === 0) return;
    write(run.level, run.lastAt, `${run.text} repeated=${run.count}`);
    run.count = 0;
    run.writtenAt = run.lastAt;
  };
  return (level, event, fields = {}) => {
    const now = o.clock.now();
    const parts = [`level=${level}`, `event=${event}`];
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${fmt(v)}`);
    const text = parts.join(' ');
    if (run?.text === text) {
      run.count++;
      run.lastAt = now;
      if (now - run.writtenAt >= every) sayCount();
      return;
    }
    sayCount();
    write(level, now, text);
    run = { text, level, writtenAt: now, count: 0, lastAt: now };
  };
}
