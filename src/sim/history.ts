// Historical bars (reqHistoricalData): a deterministic year before the simulator's start, then the simulated path.
//
// Before the start every non-option instrument has seeded daily bars ending at its start mark (the same seed gives the
// same year whatever clients ask), and intraday bars that run from each day's open to its close inside the contract's
// sessions, so daily and intraday bars agree. From the start on, bars are built from the market's per-minute marks.
import { addDays, isUsHoliday, ymd, type Day } from './calendar.js';
import { FACTORS, FX_VOL, type Instrument } from './instruments.js';
import type { Market } from './market.js';
import { streamFor } from './random.js';
import { HISTORY_DAYS } from './reference-data.js';

const MINUTE = 60_000;
const DAY_MS = 86_400_000;

export interface Bar {
  /** Bar start (epoch ms); daily bars are keyed by their local trading day. */
  readonly t: number;
  readonly day?: Day;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly wap: number;
  readonly count: number;
}

export class HistoryError extends Error {}

/**
 * The bar sizes TWS accepts of a minute or more (IB's list: 1, 2, 3, 5, 10, 15, 20, 30 mins; 1, 2, 3, 4, 8 hours;
 * 1 day), in minutes; "7 mins" is not one of them.
 */
const BAR_MINUTES: Readonly<Record<string, number>> = {
  '1 min': 1,
  '2 mins': 2,
  '3 mins': 3,
  '5 mins': 5,
  '10 mins': 10,
  '15 mins': 15,
  '20 mins': 20,
  '30 mins': 30,
  '1 hour': 60,
  '2 hours': 120,
  '3 hours': 180,
  '4 hours': 240,
  '8 hours': 480,
};

/** "1 min", "5 mins", "1 hour", "1 day"… → bar length in ms (0 for daily); seconds bars are not kept. */
export function barMsOf(setting: string): number {
  const key = setting.trim().replace(/\s+/g, ' ').toLowerCase();
  if (key === '1 day') return 0;
  const minutes = BAR_MINUTES[key];
  if (minutes === undefined) throw new HistoryError(`Invalid bar size: ${setting}`);
  return minutes * MINUTE;
}

/** "30 D", "1 Y", "3600 S", "2 W", "6 M" → duration in ms. */
export function durationMsOf(s: string): number {
  const m = /^\s*(\d+)\s*([SDWMY])\s*$/i.exec(s);
  if (!m) throw new HistoryError(`Invalid duration: ${s}`);
  const per: Record<string, number> = { S: 1000, D: DAY_MS, W: 7 * DAY_MS, M: 30 * DAY_MS, Y: 365 * DAY_MS };
  return Number(m[1]) * per[m[2]!.toUpperCase()]!;
}

// ---- time zones ----------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      f = new Intl.DateTimeFormat('en-CA', {
        timeZone: 'UTC',
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    }
    formatters.set(tz, f);
  }
  return f;
}

/** The wall clock in `tz` at instant `t`, as if it were UTC (so arithmetic on it is plain). */
function wall(t: number, tz: string): number {
  const p = Object.fromEntries(
    formatter(tz)
      .formatToParts(t)
      .map((x) => [x.type, x.value]),
  );
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
}

/** The instant at which the wall clock in `tz` shows `w` (a wall time written as UTC). */
export function fromWall(w: number, tz: string): number {
  const guess = w - (wall(w, tz) - w);
  return w - (wall(guess, tz) - guess);
}

const dayOf = (w: number): Day => {
  const d = new Date(w);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate() };
};
const dayMs = (d: Day) => Date.UTC(d.year, d.month, d.day);

function isTradingDay(inst: Instrument, d: Day): boolean {
  const w = new Date(dayMs(d)).getUTCDay();
  if (w === 0 || w === 6) return false;
  return !(inst.currency === 'USD' && inst.secType !== 'CASH' && isUsHoliday(d));
}

/** The session of trading day `d` (from an "HHMM-HHMM" template; overnight ones open the evening before), as instants. */
function sessionOf(inst: Instrument, d: Day, template: string): { open: number; close: number } {
  const m = /^(\d\d)(\d\d)-(\d\d)(\d\d)$/.exec(template) ?? ['', '00', '00', '23', '59'];
  const [oh, om, ch, cm] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  const overnight = ch * 60 + cm <= oh * 60 + om;
  const openDay = overnight ? addDays(d, -1) : d;
  return {
    open: fromWall(dayMs(openDay) + (oh * 60 + om) * MINUTE, inst.timeZoneId),
    close: fromWall(dayMs(d) + (ch * 60 + cm) * MINUTE, inst.timeZoneId),
  };
}

// ---- the deterministic year before the start -------------------------------------------------------------

function annualVol(inst: Instrument): number {
  if (inst.secType === 'CASH') return FX_VOL[inst.currency] ?? 0.08;
  return FACTORS.find((f) => f.key === inst.factor)?.vol ?? 0.2;
}

/** A normal-ish number in about [-1.7, 1.7] from a hash (no sequential stream: any bar can be drawn alone). */
function hashNoise(seed: number, conId: number, t: number, salt: number): number {
  let h = (seed ^ Math.imul(conId, 0x9e3779b1) ^ Math.imul(Math.floor(t / MINUTE), 0x85ebca6b) ^ salt) >>> 0;
  let sum = 0;
  for (let k = 0; k < 3; k++) {
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
    sum += (h >>> 0) / 2 ** 32;
  }
  return (sum - 1.5) * 2;
}

interface DailyBar {
  readonly day: Day;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

const dailyCache = new Map<string, DailyBar[]>();

/** The trading days before the start, newest first, the newest closing at the start mark. */
function dailyHistory(inst: Instrument, market: Market): DailyBar[] {
  const key = `${market.seed}:${market.startTime}:${inst.conId}`;
  const hit = dailyCache.get(key);
  if (hit) return hit;
  const rng = streamFor(market.seed, `history:${inst.conId}`);
  const sd = annualVol(inst) / Math.sqrt(252);
  const startDay = dayOf(wall(market.startTime, inst.timeZoneId));
  const days: Day[] = [];
  for (let k = 1; k <= HISTORY_DAYS + 7; k++) {
    const d = addDays(startDay, -k);
    if (isTradingDay(inst, d)) days.push(d);
  }
  const closes = [market.startMark(inst.conId) ?? 0];
  for (let k = 1; k <= days.length; k++) closes.push(closes[k - 1]! * Math.exp(-sd * rng.normal()));
  const bars = days.map((day, k) => {
    const close = closes[k]!;
    const open = closes[k + 1]! * Math.exp(0.2 * sd * rng.normal());
    const high = Math.max(open, close) * Math.exp(0.5 * sd * Math.abs(rng.normal()));
    const low = Math.min(open, close) * Math.exp(-0.5 * sd * Math.abs(rng.normal()));
    return { day, open, high, low, close };
  });
  if (dailyCache.size > 512) dailyCache.clear();
  dailyCache.set(key, bars);
  return bars;
}

/** The price at instant `t` inside day `b`'s session: from its open to its close, with seeded wiggle that ends at both. */
function priceInDay(inst: Instrument, market: Market, b: DailyBar, s: { open: number; close: number }, t: number): number {
  const frac = Math.min(1, Math.max(0, (t - s.open) / (s.close - s.open)));
  const sd = annualVol(inst) / Math.sqrt(252);
  const bridge = sd * Math.sqrt(frac * (1 - frac)) * hashNoise(market.seed, inst.conId, t, 1);
  return Math.exp((1 - frac) * Math.log(b.open) + frac * Math.log(b.close) + bridge);
}

// ---- bars ------------------------------------------------------------------------------------------------

function round(x: number, tick: number): number {
  const n = Math.round(x / tick) * tick;
  return Number(n.toFixed(Math.max(2, Math.ceil(-Math.log10(tick)))));
}

function barOf(inst: Instrument, t: number, prices: readonly number[], volume: number, day?: Day): Bar {
  const tick = inst.minTick;
  const open = round(prices[0]!, tick);
  const close = round(prices[prices.length - 1]!, tick);
  const high = round(Math.max(...prices), tick);
  const low = round(Math.min(...prices), tick);
  const wap = round((high + low + close) / 3, tick);
  return { t, day, open, high, low, close, volume: Math.round(volume), wap, count: Math.max(1, Math.round(volume / 100)) };
}

export interface HistoryRequest {
  readonly inst: Instrument;
  readonly endMs: number;
  readonly durationMs: number;
  /** 0 for daily bars. */
  readonly barMs: number;
  readonly useRth: boolean;
}

/** Bars for a request, oldest first; none before the head timestamp nor after the simulator's present. */
export function historicalBars(market: Market, now: number, r: HistoryRequest): Bar[] {
  const { inst } = r;
  if (inst.secType === 'OPT' || inst.secType === 'FOP') throw new HistoryError('No historical data query found: the simulator keeps no option history');
  const end = Math.min(r.endMs, now);
  const start = Math.max(end - r.durationMs, market.startTime - HISTORY_DAYS * DAY_MS);
  const template = r.useRth ? inst.liquidHours : inst.tradingHours;
  const daily = dailyHistory(inst, market);
  const baseVolume = inst.secType === 'STK' ? 2_000_000 : 50_000;
  if (r.barMs === 0) {
    const out: Bar[] = [];
    for (const b of [...daily].reverse()) {
      const s = sessionOf(inst, b.day, template);
      if (s.close <= start || s.open >= end) continue;
      out.push(barOf(inst, s.open, [b.open, b.high, b.low, b.close], baseVolume * (1 + 0.3 * hashNoise(market.seed, inst.conId, s.open, 2)), b.day));
    }
    // Days from the start on: from the recorded path, the first one opening at the start mark.
    const todayWall = dayOf(wall(market.startTime, inst.timeZoneId));
    for (let d = todayWall; dayMs(d) <= dayMs(dayOf(wall(end, inst.timeZoneId))); d = addDays(d, 1)) {
      if (!isTradingDay(inst, d)) continue;
      const s = sessionOf(inst, d, template);
      const marks = market.marksBetween(inst.conId, Math.max(s.open, market.startTime), Math.min(s.close, end) + 1).map(([, m]) => m);
      if (marks.length === 0 || s.close <= start) continue;
      out.push(barOf(inst, s.open, marks, baseVolume * (marks.length / 390), d));
    }
    return out;
  }
  const out: Bar[] = [];
  const byDay = new Map(daily.map((b) => [dayMs(b.day), b]));
  const MAX_BARS = 20_000;
  for (let t = Math.floor(start / r.barMs) * r.barMs; t < end && out.length < MAX_BARS; t += r.barMs) {
    const hit = sessionAt(inst, t, r.barMs, template);
    if (!hit) continue;
    const barEnd = Math.min(t + r.barMs, hit.s.close);
    const volume = baseVolume * ((barEnd - t) / (6.5 * 3600_000)) * (1 + 0.3 * hashNoise(market.seed, inst.conId, t, 3));
    if (barEnd <= market.startTime) {
      const b = byDay.get(dayMs(hit.x));
      if (!b) continue;
      const mid = priceInDay(inst, market, b, hit.s, (t + barEnd) / 2);
      const o = priceInDay(inst, market, b, hit.s, t);
      const c = priceInDay(inst, market, b, hit.s, barEnd);
      out.push(barOf(inst, t, [o, mid, c], volume));
    } else {
      const marks = market.marksBetween(inst.conId, t, barEnd).map(([, m]) => m);
      if (marks.length > 0) out.push(barOf(inst, t, marks, volume));
    }
  }
  return out;
}

/** The trading day and session in which an intraday bar starting at `t` lies, if any. */
function sessionAt(inst: Instrument, t: number, barMs: number, template: string): { x: Day; s: { open: number; close: number } } | undefined {
  const d = dayOf(wall(t + barMs / 2, inst.timeZoneId));
  // An overnight session belongs to the next day when it opens the evening before.
  const candidates = [d, addDays(d, 1)].filter((x) => isTradingDay(inst, x));
  return candidates.map((x) => ({ x, s: sessionOf(inst, x, template) })).find(({ s }) => t >= s.open && t < s.close);
}

/**
 * The last bar of a keepUpToDate request as of `now`: the last bar historicalBars gives, its close (and high/low) moved
 * to the current mark while the bar is still open, since the per-minute tape lags the market by up to a minute.
 */
export function lastBar(market: Market, now: number, r: Omit<HistoryRequest, 'endMs' | 'durationMs'>): Bar | undefined {
  const { inst } = r;
  const template = r.useRth ? inst.liquidHours : inst.tradingHours;
  const last = historicalBars(market, now, { ...r, endMs: now, durationMs: r.barMs === 0 ? 7 * DAY_MS : r.barMs * 2 }).at(-1);
  if (!last) return undefined;
  const close = last.day ? sessionOf(inst, last.day, template).close : Math.min(last.t + r.barMs, sessionAt(inst, last.t, r.barMs, template)?.s.close ?? 0);
  if (now >= close || market.time < last.t) return last;
  const mark = round(market.quote(inst).mark, inst.minTick);
  const high = Math.max(last.high, mark);
  const low = Math.min(last.low, mark);
  return { ...last, close: mark, high, low, wap: round((high + low + mark) / 3, inst.minTick) };
}

/** TWS's bar date: yyyyMMdd for daily bars; intraday "yyyyMMdd HH:mm:ss <zone>" (formatDate 1) or epoch seconds (2). */
export function barDate(inst: Instrument, b: Bar, formatDate: number): string {
  if (b.day) return ymd(b.day);
  if (formatDate === 2) return String(Math.floor(b.t / 1000));
  const w = new Date(wall(b.t, inst.timeZoneId));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${ymd(dayOf(w.getTime()))} ${p(w.getUTCHours())}:${p(w.getUTCMinutes())}:${p(w.getUTCSeconds())} ${inst.timeZoneId}`;
}

/** endDateTime as clients send it: '' (now), "yyyyMMdd HH:mm:ss [zone]" or "yyyyMMdd-HH:mm:ss" (UTC). */
export function parseEndDateTime(s: string, now: number): number {
  const t = s.trim();
  if (!t) return now;
  const m = /^(\d{4})(\d{2})(\d{2})([ -])(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(t);
  if (!m) throw new HistoryError(`Invalid end date/time: ${s}`);
  const w = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[5]), Number(m[6]), Number(m[7]));
  return m[4] === '-' || !m[8] ? w : fromWall(w, m[8]);
}
