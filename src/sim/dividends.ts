// The simulated stocks' cash dividends: a fixed schedule per payer, answered as IB Dividends (generic tick 456 → tick 59).
import { FACTORS } from './instruments.js';

/*
 * Real TWS answers generic tick 456 with TICK_STRING tick type 59, "past12Months,next12Months,nextDividendDate,
 * nextDividendAmount" (e.g. "0.83,0.92,20130219,0.23"). The simulator's payers pay on a fixed calendar shaped like
 * their real one (AAPL and MSFT quarterly, Toyota twice a year, SAP and Nestlé once), each payment the same amount:
 * the start price times the factor's dividend yield, spread over the year's payments, to the cent. Everything is a
 * function of the market's time, so a run pinned to a start time sends the same value. TSLA pays nothing, and no tick
 * is sent for it (nor for anything but a stock).
 */

/** Months (0-based) and day of month of a payer's ex-dates. */
interface Schedule {
  readonly months: readonly number[];
  readonly day: number;
}

const SCHEDULES: Readonly<Record<string, Schedule>> = {
  AAPL: { months: [1, 4, 7, 10], day: 10 },
  MSFT: { months: [1, 4, 7, 10], day: 19 },
  SAP: { months: [4], day: 14 },
  NESN: { months: [3], day: 11 },
  '7203': { months: [2, 8], day: 28 },
};

/** A payer's dividend as the simulator announces it: the amount per payment and the ex-dates (00:00 UTC, epoch ms). */
interface SimDividends {
  readonly amount: number;
  /** The first ex-date after `t`'s UTC day. */
  readonly next: number;
  /** Payments whose ex-date falls in the year before `t` (inclusive of today) and in the year after it. */
  readonly past12: number;
  readonly next12: number;
}

const YEAR_DAYS = 365;
const DAY_MS = 86_400_000;

/** Ex-dates of a schedule from the year before `year` to two after, ascending. */
function exDates(s: Schedule, year: number): number[] {
  const out: number[] = [];
  for (let y = year - 1; y <= year + 2; y++) for (const m of s.months) out.push(Date.UTC(y, m, s.day));
  return out.sort((a, b) => a - b);
}

/** The dividends of `symbol` at market time `t`, or undefined for a stock that pays none. */
function simDividends(symbol: string, t: number): SimDividends | undefined {
  const s = SCHEDULES[symbol];
  const f = FACTORS.find((x) => x.key === symbol);
  if (!s || !f || !(f.dividendYield > 0)) return undefined;
  const amount = Math.round((f.start * f.dividendYield * 100) / s.months.length) / 100;
  const today = Math.floor(t / DAY_MS) * DAY_MS;
  const dates = exDates(s, new Date(today).getUTCFullYear());
  const next = dates.find((d) => d > today)!;
  const past12 = dates.filter((d) => d <= today && d > today - YEAR_DAYS * DAY_MS).length;
  const next12 = dates.filter((d) => d > today && d <= today + YEAR_DAYS * DAY_MS).length;
  return { amount, next, past12: past12 * amount, next12: next12 * amount };
}

/** Up to 4 decimals, no trailing zeros: TWS writes amounts as plain decimals. */
const amountText = (x: number) => String(Math.round(x * 1e4) / 1e4);

/** The UTC day the memo below holds, and its values by symbol. */
let memoDay = NaN;
const memo = new Map<string, string | undefined>();

/** The value of tick 59 for `symbol` at market time `t` ("past12,next12,YYYYMMDD,amount"), or undefined for a non-payer. */
export function ibDividendsValue(symbol: string, t: number): string | undefined {
  // It changes once a day at most, and every market step asks for it per stock line: computed once per day and symbol.
  const day = Math.floor(t / DAY_MS);
  if (day !== memoDay) {
    memo.clear();
    memoDay = day;
  }
  if (memo.has(symbol)) return memo.get(symbol);
  const v = dividendsText(symbol, t);
  memo.set(symbol, v);
  return v;
}

function dividendsText(symbol: string, t: number): string | undefined {
  const d = simDividends(symbol, t);
  if (!d) return undefined;
  const date = new Date(d.next).toISOString().slice(0, 10).replace(/-/g, '');
  return `${amountText(d.past12)},${amountText(d.next12)},${date},${amountText(d.amount)}`;
}
