// The simulator's contracts on awkward dates: expiry hours either side of DST, holidays, ES rolls, leap days, year ends.
//
// Expected values are written by hand from the exchange rules (third Friday, Thursday before a holiday, 16:00 New
// York; ES roll eight days before; CL three or four business days before the 25th), never computed by the code.
import { describe, expect, it } from 'vitest';
import { monthlyOptionExpiry } from '../../src/sim/calendar.js';
import { FRONT_AAPL_CALL, FRONT_SPX_PUT, buildUniverse, findInstruments, isListed, type ContractQuery, type Instrument } from '../../src/sim/instruments.js';

const AAPL_CALL = 734559211;
const SPX_PUT = 735012442;
const ES = 637533641;
const ES_FOP = 741231107;
const CL = 742168315;

interface Expect {
  readonly at: string;
  readonly why: string;
  /** Front monthly option: YYYYMMDD and expiry instant. */
  readonly front: readonly [string, string];
  readonly spx: readonly [string, string];
  readonly aapl: readonly [string, string];
  /** localSymbol, contract month, expiry instant. */
  readonly es: readonly [string, string, string];
  readonly cl: readonly [string, string, string];
}

const CASES: readonly Expect[] = [
  {
    at: '2026-01-16T20:55:00Z',
    why: "January expiry day, 15:55 New York (EST): today's options still listed",
    front: ['20260116', '2026-01-16T21:00:00Z'],
    spx: ['20260320', '2026-03-20T20:00:00Z'],
    aapl: ['20260417', '2026-04-17T20:00:00Z'],
    es: ['ESH6', '202603', '2026-03-20T13:30:00Z'],
    cl: ['CLG6', '202602', '2026-01-20T19:30:00Z'],
  },
  {
    at: '2026-01-16T21:05:00Z',
    why: 'the same day, 16:05 New York: the front month is February',
    front: ['20260220', '2026-02-20T21:00:00Z'],
    spx: ['20260320', '2026-03-20T20:00:00Z'],
    aapl: ['20260417', '2026-04-17T20:00:00Z'],
    es: ['ESH6', '202603', '2026-03-20T13:30:00Z'],
    cl: ['CLG6', '202602', '2026-01-20T19:30:00Z'],
  },
  {
    at: '2026-03-20T19:55:00Z',
    why: 'March expiry day under daylight time, 15:55 New York: expiry is 20:00 UTC',
    front: ['20260320', '2026-03-20T20:00:00Z'],
    spx: ['20260515', '2026-05-15T20:00:00Z'],
    aapl: ['20260618', '2026-06-18T20:00:00Z'],
    es: ['ESM6', '202606', '2026-06-18T13:30:00Z'],
    cl: ['CLK6', '202605', '2026-04-21T18:30:00Z'],
  },
  {
    at: '2026-03-20T20:05:00Z',
    why: '16:05 New York (before 21:00 UTC): March has expired, April is the front',
    front: ['20260417', '2026-04-17T20:00:00Z'],
    spx: ['20260515', '2026-05-15T20:00:00Z'],
    aapl: ['20260618', '2026-06-18T20:00:00Z'],
    es: ['ESM6', '202606', '2026-06-18T13:30:00Z'],
    cl: ['CLK6', '202605', '2026-04-21T18:30:00Z'],
  },
  {
    at: '2026-06-10T14:00:00Z',
    why: 'the day before the June ES roll: still ESM6 (its last day moved to Thursday by Juneteenth)',
    front: ['20260618', '2026-06-18T20:00:00Z'],
    spx: ['20260821', '2026-08-21T20:00:00Z'],
    aapl: ['20260918', '2026-09-18T20:00:00Z'],
    es: ['ESM6', '202606', '2026-06-18T13:30:00Z'],
    cl: ['CLN6', '202607', '2026-06-22T18:30:00Z'],
  },
  {
    at: '2026-06-12T14:00:00Z',
    why: 'the day after the ES roll (Thursday 11 June): September is the front',
    front: ['20260618', '2026-06-18T20:00:00Z'],
    spx: ['20260821', '2026-08-21T20:00:00Z'],
    aapl: ['20260918', '2026-09-18T20:00:00Z'],
    es: ['ESU6', '202609', '2026-09-18T13:30:00Z'],
    cl: ['CLN6', '202607', '2026-06-22T18:30:00Z'],
  },
  {
    at: '2026-06-18T19:50:00Z',
    why: 'Thursday 18 June 2026: Juneteenth falls on the third Friday, so today is the expiry day',
    front: ['20260618', '2026-06-18T20:00:00Z'],
    spx: ['20260821', '2026-08-21T20:00:00Z'],
    aapl: ['20260918', '2026-09-18T20:00:00Z'],
    es: ['ESU6', '202609', '2026-09-18T13:30:00Z'],
    cl: ['CLN6', '202607', '2026-06-22T18:30:00Z'],
  },
  {
    at: '2026-06-19T15:00:00Z',
    why: 'Juneteenth itself: June has expired, July is the front',
    front: ['20260717', '2026-07-17T20:00:00Z'],
    spx: ['20260821', '2026-08-21T20:00:00Z'],
    aapl: ['20260918', '2026-09-18T20:00:00Z'],
    es: ['ESU6', '202609', '2026-09-18T13:30:00Z'],
    cl: ['CLN6', '202607', '2026-06-22T18:30:00Z'],
  },
  {
    at: '2026-12-31T23:59:00Z',
    why: "31 December 2026, 18:59 New York: next year's months and year digits",
    front: ['20270115', '2027-01-15T21:00:00Z'],
    spx: ['20270219', '2027-02-19T21:00:00Z'],
    aapl: ['20270319', '2027-03-19T20:00:00Z'],
    es: ['ESH7', '202703', '2027-03-19T13:30:00Z'],
    cl: ['CLG7', '202702', '2027-01-20T19:30:00Z'],
  },
  {
    at: '2027-12-31T23:59:00Z',
    why: "31 December 2027 (a Friday; Christmas observed on Friday 24th moves CLF8's last day)",
    front: ['20280121', '2028-01-21T21:00:00Z'],
    spx: ['20280218', '2028-02-18T21:00:00Z'],
    aapl: ['20280317', '2028-03-17T20:00:00Z'],
    es: ['ESH8', '202803', '2028-03-17T13:30:00Z'],
    cl: ['CLG8', '202802', '2028-01-20T19:30:00Z'],
  },
  {
    at: '2028-02-29T15:00:00Z',
    why: 'leap day 2028',
    front: ['20280317', '2028-03-17T20:00:00Z'],
    spx: ['20280421', '2028-04-21T20:00:00Z'],
    aapl: ['20280519', '2028-05-19T20:00:00Z'],
    es: ['ESH8', '202803', '2028-03-17T13:30:00Z'],
    cl: ['CLJ8', '202804', '2028-03-21T18:30:00Z'],
  },
];

const iso = (ms: number | undefined) => (ms === undefined ? 'none' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const byId = (u: readonly Instrument[], conId: number) => u.find((i) => i.conId === conId)!;
const opt = (i: Instrument) => [i.lastTradeDateOrContractMonth, iso(i.expiryMs)];
const fut = (i: Instrument) => [i.localSymbol, i.contractMonth, iso(i.expiryMs)];
/** TWS sends a future's full last trading day (the New York date of these expiries), not its month. */
const lastDay = (expiry: string) => expiry.slice(0, 10).replaceAll('-', '');

describe("the simulator's contracts on awkward dates", () => {
  it.each(CASES)('$at: $why', (c) => {
    const u = buildUniverse(Date.parse(c.at));
    expect(opt(byId(u, FRONT_AAPL_CALL))).toEqual(c.front);
    expect(opt(byId(u, FRONT_SPX_PUT))).toEqual(c.front);
    expect(opt(byId(u, SPX_PUT))).toEqual(c.spx);
    expect(opt(byId(u, AAPL_CALL))).toEqual(c.aapl);
    expect(fut(byId(u, ES))).toEqual(c.es);
    expect(fut(byId(u, CL))).toEqual(c.cl);
    expect(byId(u, ES).lastTradeDateOrContractMonth).toBe(lastDay(c.es[2]));
    expect(byId(u, CL).lastTradeDateOrContractMonth).toBe(lastDay(c.cl[2]));
    // The ES option is the quarterly one: it ends with its future, on the future's last trading day.
    const fop = byId(u, ES_FOP);
    expect([fop.localSymbol, iso(fop.expiryMs), fop.lastTradeDateOrContractMonth]).toEqual([
      `${c.es[0]} C6300`,
      c.es[2],
      c.es[2].slice(0, 10).replaceAll('-', ''),
    ]);
  });

  it("an option's OCC local symbol carries its (holiday-moved) expiry", () => {
    const u = buildUniverse(Date.parse('2026-03-02T14:30:00Z'));
    expect(byId(u, AAPL_CALL).localSymbol).toBe('AAPL  260618C00240000');
    expect(byId(u, FRONT_SPX_PUT).localSymbol).toBe('SPX   260320P06050000');
  });

  it('monthly expiries: the Thursday before Good Friday and before an observed Juneteenth', () => {
    const e = (y: number, m: number) => {
      const x = monthlyOptionExpiry(y, m - 1);
      return iso(x.ms);
    };
    expect(e(2025, 4)).toBe('2025-04-17T20:00:00Z'); // Good Friday 18 April 2025
    expect(e(2030, 4)).toBe('2030-04-18T20:00:00Z'); // Good Friday 19 April 2030
    expect(e(2026, 6)).toBe('2026-06-18T20:00:00Z'); // Juneteenth on Friday 19 June 2026
    expect(e(2027, 6)).toBe('2027-06-17T20:00:00Z'); // Juneteenth (Saturday) observed on Friday 18 June 2027
    expect(e(2026, 11)).toBe('2026-11-20T21:00:00Z'); // standard time again after 1 November
    expect(e(2026, 3)).toBe('2026-03-20T20:00:00Z'); // daylight time from 8 March
  });
});

describe('listing: an option expiring today is listed until its expiry instant, then not', () => {
  const u = buildUniverse(Date.parse('2026-03-20T19:55:00Z'));
  const query = (over: Partial<ContractQuery>): ContractQuery => ({
    conId: 0,
    symbol: '',
    secType: '',
    lastTradeDateOrContractMonth: '',
    strike: 0,
    right: '',
    multiplier: '',
    exchange: '',
    primaryExch: '',
    currency: '',
    localSymbol: '',
    tradingClass: '',
    ...over,
  });
  const chain = (now: string) =>
    findInstruments(u, query({ symbol: 'AAPL', secType: 'OPT' }), Date.parse(now))
      .map((i) => i.lastTradeDateOrContractMonth)
      .sort();

  it('the AAPL chain at 15:59:59 New York holds today, at 16:00 it does not', () => {
    expect(chain('2026-03-20T19:59:59Z')).toEqual(['20260320', '20260618', '20260618']);
    expect(chain('2026-03-20T20:00:00Z')).toEqual(['20260618', '20260618']);
    expect(findInstruments(u, query({ symbol: 'AAPL', secType: 'OPT', lastTradeDateOrContractMonth: '20260320' }), Date.parse('2026-03-20T20:00:00Z'))).toEqual(
      [],
    );
  });

  it('a conId still names the expired contract (a held position keeps its marks); isListed says it no longer trades', () => {
    const after = Date.parse('2026-03-20T20:00:00Z');
    const [held] = findInstruments(u, query({ conId: FRONT_AAPL_CALL }), after);
    expect(held?.lastTradeDateOrContractMonth).toBe('20260320');
    expect(isListed(held!, after - 1)).toBe(true);
    expect(isListed(held!, after)).toBe(false);
  });
});

/** An independent reading of New York wall time, through the platform's time-zone database. */
const nyFmt = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  weekday: 'short',
});
function ny(ms: number): { date: string; time: string; weekday: string } {
  const p = Object.fromEntries(nyFmt.formatToParts(ms).map((x) => [x.type, x.value]));
  return { date: `${p.year}${p.month}${p.day}`, time: `${p.hour}:${p.minute}`, weekday: p.weekday! };
}

/** Third Friday of a month (YYYYMMDD), by walking the days. */
function thirdFridayOf(year: number, month1: number): string {
  let fridays = 0;
  for (let d = 1; ; d++) {
    if (new Date(Date.UTC(year, month1 - 1, d)).getUTCDay() === 5 && ++fridays === 3) {
      return `${year}${String(month1).padStart(2, '0')}${String(d).padStart(2, '0')}`;
    }
  }
}

/** A small seeded generator (mulberry32), so the spread of dates is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('properties over a seeded spread of start dates, 2026 to 2033', () => {
  const CODES: Record<string, string> = { F: '01', G: '02', H: '03', J: '04', K: '05', M: '06', N: '07', Q: '08', U: '09', V: '10', X: '11', Z: '12' };
  const rnd = seeded(20260302);
  const from = Date.parse('2026-01-01T00:00:00Z');
  const to = Date.parse('2034-01-01T00:00:00Z');
  const starts = Array.from({ length: 600 }, () => Math.floor((from + rnd() * (to - from)) / 60_000) * 60_000);

  it('every listed option expires at 16:00 New York on a Thursday or Friday, after the start, on its third-Friday week', () => {
    for (const start of starts) {
      const u = buildUniverse(start);
      for (const o of u.filter((i) => i.secType === 'OPT')) {
        const at = `${new Date(start).toISOString()} ${o.conId}`;
        const e = ny(o.expiryMs!);
        expect(o.expiryMs!, at).toBeGreaterThan(start);
        expect(e.time, at).toBe('16:00');
        expect(e.date, at).toBe(o.lastTradeDateOrContractMonth);
        const tf = thirdFridayOf(Number(e.date.slice(0, 4)), Number(e.date.slice(4, 6)));
        if (e.weekday === 'Thu') expect(Number(tf) - Number(e.date), at).toBe(1);
        else expect([e.weekday, e.date], at).toEqual(['Fri', tf]);
      }
    }
  });

  it("the front monthly option is the first expiry still ahead: last month's third Friday is behind the start", () => {
    for (const start of starts) {
      const front = buildUniverse(start).find((i) => i.conId === FRONT_AAPL_CALL)!;
      const y = Number(front.lastTradeDateOrContractMonth.slice(0, 4)),
        m = Number(front.lastTradeDateOrContractMonth.slice(4, 6));
      const prev = m === 1 ? thirdFridayOf(y - 1, 12) : thirdFridayOf(y, m - 1);
      // The month before's third Friday (or the Thursday before it) is before the start's New York date.
      expect(Number(prev) - 1, new Date(start).toISOString()).toBeLessThanOrEqual(Number(ny(start).date));
      expect(front.expiryMs! - start, new Date(start).toISOString()).toBeLessThan(36 * 86_400_000);
    }
  });

  it('futures are not past expiry, their local symbols match their months, ES rolls eight days before its third Friday', () => {
    for (const start of starts) {
      const u = buildUniverse(start);
      const at = new Date(start).toISOString();
      const es = u.find((i) => i.conId === ES)!;
      const cl = u.find((i) => i.conId === CL)!;
      for (const f of [es, cl]) {
        expect(f.expiryMs!, at).toBeGreaterThan(start);
        const m = /^(ES|CL)([FGHJKMNQUVXZ])(\d)$/.exec(f.localSymbol);
        expect(m, `${at} ${f.localSymbol}`).not.toBeNull();
        expect(`${f.contractMonth!.slice(3, 4)}${CODES[m![2]!]}`, at).toBe(`${m![3]}${f.contractMonth!.slice(4, 6)}`);
        expect(f.lastTradeDateOrContractMonth, at).toBe(ny(f.expiryMs!).date);
      }
      // ES: a quarterly month; its expiry at 09:30 New York; the start is before its roll day and after the last one.
      expect(['03', '06', '09', '12'], at).toContain(es.contractMonth!.slice(4, 6));
      expect(ny(es.expiryMs!).time, at).toBe('09:30');
      const esY = Number(es.contractMonth!.slice(0, 4)),
        esM = Number(es.contractMonth!.slice(4, 6));
      const rollOf = (y: number, m1: number) => {
        const tf = thirdFridayOf(y, m1);
        const d = new Date(Date.UTC(Number(tf.slice(0, 4)), Number(tf.slice(4, 6)) - 1, Number(tf.slice(6, 8)) - 8));
        return Number(d.toISOString().slice(0, 10).replaceAll('-', ''));
      };
      const today = Number(ny(start).date);
      expect(today, at).toBeLessThan(rollOf(esY, esM));
      expect(today, at).toBeGreaterThanOrEqual(esM === 3 ? rollOf(esY - 1, 12) : rollOf(esY, esM - 3));
      // CL: trading ends at 14:30 New York on a weekday before the 25th of the month before delivery.
      const clEnd = ny(cl.expiryMs!);
      expect(clEnd.time, at).toBe('14:30');
      expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], at).toContain(clEnd.weekday);
      const clY = Number(cl.contractMonth!.slice(0, 4)),
        clM = Number(cl.contractMonth!.slice(4, 6));
      const prior = clM === 1 ? `${clY - 1}12` : `${clY}${String(clM - 1).padStart(2, '0')}`;
      expect(clEnd.date.slice(0, 6), at).toBe(prior);
      expect(Number(clEnd.date.slice(6, 8)), at).toBeLessThanOrEqual(22);
      expect(Number(clEnd.date.slice(6, 8)), at).toBeGreaterThanOrEqual(17);
      // The simulator never starts a book on the future's last trading day.
      expect(Number(clEnd.date), at).toBeGreaterThan(today);
    }
  });
});
