// The trading session: is `now` inside market hours? Computed with Intl.DateTimeFormat in the session's time zone.

/*
 * Some alerts are worse while the market is open (a lost connection is critical then, a warning at night)
 * and some streams are only expected to move in session (quotes, marks). Risk code has no clock: the
 * caller passes `now`. The default session is US equities, 09:30–16:00 America/New_York, Monday to
 * Friday; Intl applies daylight saving, so no time-zone table is needed.
 */

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface SessionConfig {
  /** IANA time zone the times are in. */
  readonly timeZone: string;
  /** Local opening and closing time, "HH:MM" (close may be "24:00"); open < close. */
  readonly open: string;
  readonly close: string;
  /** Trading days. */
  readonly days: readonly Weekday[];
  /** Local dates without a session, "YYYY-MM-DD". */
  readonly holidays: readonly string[];
}

/** True when Intl knows the time zone. */
export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The local weekday, date and time of `now` in a time zone. */
export function localTime(now: number, timeZone: string): { weekday: Weekday; date: string; time: string } {
  // Every evaluation asks (several times a second); building a DateTimeFormat costs far more than formatting with one,
  // and the answer is the same for the whole minute (zone offsets are whole minutes).
  const minute = Math.floor(now / 60_000);
  if (lastLocal && lastLocal.minute === minute && lastLocal.timeZone === timeZone) return lastLocal.value;
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(now);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  const value = { weekday: get('weekday') as Weekday, date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}` };
  lastLocal = { minute, timeZone, value: Object.freeze(value) };
  return value;
}

const formats = new Map<string, Intl.DateTimeFormat>();
let lastLocal: { minute: number; timeZone: string; value: { weekday: Weekday; date: string; time: string } } | undefined;

/** Is the session open at `now` (epoch ms)? Open at `open`, closed from `close` on. */
export function isMarketOpen(now: number, session: SessionConfig): boolean {
  const t = localTime(now, session.timeZone);
  if (!session.days.includes(t.weekday) || session.holidays.includes(t.date)) return false;
  return t.time >= session.open && t.time < session.close;
}
