// US exchange calendar rules the simulator lists its contracts by: holidays, New York time, option/ES/CL expiries.
//
// Pure functions of epoch ms, no clock: the simulator passes its virtual start time, tests pass any date.
// New York's daylight-saving rule is the one in force since 2007 (second Sunday of March to first Sunday of
// November, both at 02:00 local); the simulator never starts before then.

/** CME/OCC month codes, January first. */
export const MONTH_CODES = 'FGHJKMNQUVXZ';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A calendar day; `month` 0-based like Date. */
export interface Day {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const dayMs = (d: Day) => Date.UTC(d.year, d.month, d.day);
const fromMs = (t: number): Day => {
  const x = new Date(t);
  return { year: x.getUTCFullYear(), month: x.getUTCMonth(), day: x.getUTCDate() };
};
const weekday = (d: Day) => new Date(dayMs(d)).getUTCDay();
/** `d` moved by `n` calendar days (month and year ends handled by Date.UTC). */
export const addDays = (d: Day, n: number): Day => fromMs(dayMs(d) + n * DAY_MS);
const same = (a: Day, b: Day) => a.year === b.year && a.month === b.month && a.day === b.day;

/** The `n`th (1-based) `dow` (0 = Sunday) of a month; n = -1 for the last. */
function nthWeekday(year: number, month: number, dow: number, n: number): Day {
  if (n < 0) {
    const last = fromMs(Date.UTC(year, month + 1, 0));
    return addDays(last, -((weekday(last) - dow + 7) % 7));
  }
  const first: Day = { year, month, day: 1 };
  return addDays(first, ((dow - weekday(first) + 7) % 7) + 7 * (n - 1));
}

/** Western Easter Sunday (anonymous Gregorian algorithm). */
export function easterSunday(year: number): Day {
  const a = year % 19,
    b = Math.floor(year / 100),
    c = year % 100;
  const d = Math.floor(b / 4),
    e = b % 4,
    f = Math.floor((b + 8) / 25),
    g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30,
    i = Math.floor(c / 4),
    k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7,
    m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31) - 1;
  return { year, month, day: ((h + l - 7 * m + 114) % 31) + 1 };
}

/** A fixed-date holiday as the exchange observes it: Saturday → Friday, Sunday → Monday. */
function observed(d: Day): Day {
  const w = weekday(d);
  return w === 6 ? addDays(d, -1) : w === 0 ? addDays(d, 1) : d;
}

/** NYSE full-day holidays of a year (CME's equity and energy calendars close on the same days). */
export function usHolidays(year: number): Day[] {
  const out: Day[] = [
    nthWeekday(year, 0, 1, 3), // Martin Luther King Jr. Day
    nthWeekday(year, 1, 1, 3), // Washington's Birthday
    addDays(easterSunday(year), -2), // Good Friday
    nthWeekday(year, 4, 1, -1), // Memorial Day
    observed({ year, month: 6, day: 4 }),
    nthWeekday(year, 8, 1, 1), // Labor Day
    nthWeekday(year, 10, 4, 4), // Thanksgiving
    observed({ year, month: 11, day: 25 }),
  ];
  // New Year's Day on a Saturday is not moved back into the old year (NYSE rule 7.2).
  const ny: Day = { year, month: 0, day: 1 };
  if (weekday(ny) !== 6) out.push(observed(ny));
  if (year >= 2022) out.push(observed({ year, month: 5, day: 19 })); // Juneteenth
  return out;
}

export function isUsHoliday(d: Day): boolean {
  return usHolidays(d.year).some((h) => same(h, d));
}

export function isBusinessDay(d: Day): boolean {
  const w = weekday(d);
  return w !== 0 && w !== 6 && !isUsHoliday(d);
}

/** The business day before `d` (skipping weekends and holidays). */
export function previousBusinessDay(d: Day): Day {
  let x = addDays(d, -1);
  while (!isBusinessDay(x)) x = addDays(x, -1);
  return x;
}

/** True when New York is on daylight time at the instant `t`. */
export function newYorkIsDst(t: number): boolean {
  const year = new Date(t).getUTCFullYear();
  // 02:00 EST = 07:00 UTC on the second Sunday of March; 02:00 EDT = 06:00 UTC on the first Sunday of November.
  const begins = dayMs(nthWeekday(year, 2, 0, 2)) + 7 * HOUR_MS;
  const ends = dayMs(nthWeekday(year, 10, 0, 1)) + 6 * HOUR_MS;
  return t >= begins && t < ends;
}

/** The instant of a New York wall-clock time (hours and minutes) on a day. */
export function newYorkTime(d: Day, hour: number, minute = 0): number {
  const wall = dayMs(d) + hour * HOUR_MS + minute * 60_000;
  const standard = wall + 5 * HOUR_MS;
  return newYorkIsDst(standard - HOUR_MS) ? standard - HOUR_MS : standard;
}

/** The New York calendar day at instant `t`. */
export function newYorkDay(t: number): Day {
  return fromMs(t - (newYorkIsDst(t) ? 4 : 5) * HOUR_MS);
}

/** YYYYMMDD of a day. */
export function ymd(d: Day): string {
  return `${d.year}${String(d.month + 1).padStart(2, '0')}${String(d.day).padStart(2, '0')}`;
}

/** A month `ahead` months after (year, month), normalised. */
export function monthAfter(year: number, month: number, ahead: number): { year: number; month: number } {
  const m = year * 12 + month + ahead;
  return { year: Math.floor(m / 12), month: ((m % 12) + 12) % 12 };
}

export const thirdFriday = (year: number, month: number): Day => nthWeekday(year, month, 5, 3);

/**
 * Standard monthly equity and index option expiry: the third Friday, or the Thursday before when that Friday
 * is an exchange holiday (Good Friday, Juneteenth), at the 16:00 New York close.
 */
export function monthlyOptionExpiry(year: number, month: number): { day: Day; ms: number } {
  const f = thirdFriday(year, month);
  const day = isUsHoliday(f) ? addDays(f, -1) : f;
  return { day, ms: newYorkTime(day, 16) };
}

/** The first monthly option expiry still trading at `t` (today's until 16:00 New York, then next month's). */
export function frontMonthlyExpiry(t: number): { day: Day; ms: number } {
  const today = newYorkDay(t);
  for (let ahead = 0; ; ahead++) {
    const m = monthAfter(today.year, today.month, ahead);
    const e = monthlyOptionExpiry(m.year, m.month);
    if (e.ms > t) return e;
  }
}

/** An E-mini S&P 500 quarterly contract (H/M/U/Z). */
export interface FutureContract {
  /** Contract month. */
  readonly year: number;
  readonly month: number;
  /** YYYYMM. */
  readonly contractMonth: string;
  /** ES + month code + last digit of the year (ESH7), as TWS's localSymbol. */
  readonly localSymbol: string;
  /** Last trading day. */
  readonly lastTradeDay: Day;
  /** Expiry instant (epoch ms). */
  readonly expiryMs: number;
}

function contract(root: string, year: number, month: number, lastTradeDay: Day, expiryMs: number): FutureContract {
  return {
    year,
    month,
    contractMonth: `${year}${String(month + 1).padStart(2, '0')}`,
    localSymbol: `${root}${MONTH_CODES[month]}${year % 10}`,
    lastTradeDay,
    expiryMs,
  };
}

/**
 * ES of a quarterly month: trading ends at 09:30 New York on the third Friday (the SPX opening quotation), on
 * the business day before when that Friday is a holiday. The roll to the next quarter is the Thursday eight
 * days before the third Friday.
 */
export function esContract(year: number, month: number): FutureContract & { readonly rollDay: Day } {
  const f = thirdFriday(year, month);
  const last = isBusinessDay(f) ? f : previousBusinessDay(f);
  return { ...contract('ES', year, month, last, newYorkTime(last, 9, 30)), rollDay: addDays(f, -8) };
}

/** The ES front month at `t`: the first quarterly contract whose roll day has not begun in New York. */
export function esFront(t: number): FutureContract & { readonly rollDay: Day } {
  const today = newYorkDay(t);
  for (let ahead = 0; ; ahead++) {
    const m = monthAfter(today.year, today.month, ahead);
    if (m.month % 3 !== 2) continue;
    const c = esContract(m.year, m.month);
    if (dayMs(today) < dayMs(c.rollDay)) return c;
  }
}

/**
 * WTI crude (CL) of a delivery month: trading ends three business days before the 25th of the month before,
 * four when the 25th is not a business day; at the 14:30 New York settlement.
 */
export function clContract(year: number, month: number): FutureContract {
  const prior = monthAfter(year, month, -1);
  const the25th: Day = { year: prior.year, month: prior.month, day: 25 };
  let last = the25th;
  for (let n = isBusinessDay(the25th) ? 3 : 4; n > 0; n--) last = previousBusinessDay(last);
  return contract('CL', year, month, last, newYorkTime(last, 14, 30));
}

/** The CL front month at `t`: the first delivery month whose last trading day is after today in New York. */
export function clFront(t: number): FutureContract {
  const today = newYorkDay(t);
  for (let ahead = 0; ; ahead++) {
    const m = monthAfter(today.year, today.month, ahead);
    const c = clContract(m.year, m.month);
    if (dayMs(c.lastTradeDay) > dayMs(today)) return c;
  }
}
