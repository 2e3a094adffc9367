// When a listed option stops trading: its expiry date at the New York close, daylight-saving time included.
//
// US equity, index and CME options all stop at 16:00 New York (20:00 UTC in summer, 21:00 in winter). The rule
// is New York's since 2007: daylight time from the second Sunday of March to the first Sunday of November, each
// at 02:00 local. The simulator keeps its own copy (src/sim/calendar.ts) so that each can check the other.

const HOUR_MS = 3_600_000;

/** The `n`th Sunday of a month (0-based month), as epoch ms at 00:00 UTC. */
function nthSunday(year: number, month: number, n: number): number {
  const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return Date.UTC(year, month, 1 + ((7 - first) % 7) + 7 * (n - 1));
}

/** True when New York is on daylight time at instant `t`. */
export function newYorkIsDst(t: number): boolean {
  const year = new Date(t).getUTCFullYear();
  return t >= nthSunday(year, 2, 2) + 7 * HOUR_MS && t < nthSunday(year, 10, 1) + 6 * HOUR_MS;
}

/**
 * The instant of YYYYMMDD at `hour`:`minute` New York time; NaN for anything else (a month-only futures
 * expiry has no day to price to).
 */
export function expiryInstant(expiry: string | undefined, hour: number, minute = 0): number {
  if (expiry === undefined) return NaN;
  // A book holds few distinct expiries and reads each of them once per option on every rebuild. The memo holds
  // one time of day (the configured close), so a string of the expiry is its whole key.
  const at = hour * 60 + minute;
  if (at !== instantsAt || instants.size >= INSTANTS_KEPT) {
    instants.clear();
    instantsAt = at;
  }
  const known = instants.get(expiry);
  if (known !== undefined) return known;
  const t = computeInstant(expiry, hour, minute);
  instants.set(expiry, t);
  return t;
}

const INSTANTS_KEPT = 4096;
const instants = new Map<string, number>();
let instantsAt = NaN;

function computeInstant(expiry: string, hour: number, minute: number): number {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(expiry);
  if (!m) return NaN;
  const y = Number(m[1]),
    mo = Number(m[2]),
    d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
  const standard = Date.UTC(y, mo - 1, d) + (hour + 5) * HOUR_MS + minute * 60_000;
  return newYorkIsDst(standard - HOUR_MS) ? standard - HOUR_MS : standard;
}
