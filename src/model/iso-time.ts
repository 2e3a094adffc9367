// The one ISO-8601 date-time grammar of every option and file that names a moment (--start, --at, startTime).

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Milliseconds from a fraction of 1 to 3 digits (".25" is 250 ms, not 25). */
export const millis = (frac: string | undefined): number => (frac === undefined ? 0 : Number(frac.padEnd(3, '0')));

/** Why a text is not a moment: not the form at all, a day or time that does not exist, an offset out of range. */
export type IsoTimeProblem = 'form' | 'calendar' | 'offset';

/**
 * Epoch ms of an ISO-8601 date or date-time (a fraction to the millisecond; no offset means UTC, never the machine's
 * zone), or why it is not one. Date.parse is not the grammar: it rolls 2026-02-30 over into March 2, and reads "1"
 * as 2001-01-01.
 */
export function parseIsoTime(text: string): number | IsoTimeProblem {
  const iso = ISO.exec(text);
  if (!iso) return 'form';
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(iso[i] ?? 0)) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, millis(iso[7]));
  const back = new Date(utc);
  // Date.UTC rolls 2026-02-30 over into March and 24:00 into the next day: a date that does not come back is not one.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return 'calendar';
  const zone = iso[8];
  if (zone === undefined || zone.toUpperCase() === 'Z') return utc;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  if (Number(z[2]) > 23 || Number(z[3]) > 59) return 'offset';
  const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  return z[1] === '+' ? utc - offset : utc + offset;
}

/** `--start`'s sentence for a text that is not a moment: what was wrong, the form expected and what was given. */
export function isoTimeProblemText(what: string, raw: string, problem: IsoTimeProblem): string {
  const expected = `expects an ISO date-time like 2026-03-02T14:30:00Z, got ${JSON.stringify(raw)}`;
  if (problem === 'calendar') return `${what} ${expected}: no such date and time (a day of its month, hours 00-23, minutes and seconds 00-59)`;
  if (problem === 'offset') return `${what} ${expected}: no such UTC offset (-23:59 to +23:59)`;
  return `${what} ${expected}`;
}
