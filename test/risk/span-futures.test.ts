// Futures and futures options by a SPAN-style scan: hand-computed scan risk, short option minimum, and a crash that does not lower the requirement.
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { av, contract, greeks, holding, report, result } from './stress-fixtures.js';

/*
 * Expected values are the SPAN rule of risk-model.md §2.3 applied by hand: scan range (PSR) = 8% of the price at
 * no shock, in points; 16 scenarios at 0, ±1/3, ±2/3, ±3/3 of it with vol up and down, and ±3 ranges counted at
 * 33%; requirement = max(worst scan loss + spread charge, short option minimum). Futures options expire in 4 days
 * at an implied vol of 0.01% and a rate of 0, so they are worth their intrinsic value (time value at the money
 * 0.4·F·σ·√T ≈ 0.026 points, 1.3 per contract; tolerance 5) and the hand arithmetic needs no model. No requirement is reported unless a test says so.
 */

const account = [av('NetLiquidation', '100000'), av('EquityWithLoanValue', '100000'), av('CashBalance', '100000', 'USD')];
const SCENARIOS = ['base', 'px:FUT=-20%', 'px:FUT=+10%'];

let nextId = 500;
const future = (qty: number, price: number, symbol = 'ES', expiry = '202612'): FeedEventBody =>
  holding(contract({ conId: nextId++, symbol, secType: 'FUT', currency: 'USD', expiry, multiplier: new Decimal(50) }), String(qty), String(price));

function fop(right: 'C' | 'P', strike: number, qty: number, F = 6000): FeedEventBody[] {
  const conId = nextId++;
  const c = contract({
    conId,
    symbol: 'ES',
    secType: 'FOP',
    currency: 'USD',
    expiry: '20261127',
    strike: new Decimal(strike),
    right,
    multiplier: new Decimal(50),
  });
  const intrinsic = Math.max(0, right === 'C' ? F - strike : strike - F);
  return [holding(c, String(qty), String(intrinsic)), greeks(conId, 0.0001, F)];
}

function maint(bodies: FeedEventBody[], params: Record<string, unknown> = {}): Record<string, number> {
  const r = report([...account, ...bodies], SCENARIOS, { defaultRate: 0, rates: { USD: 0 }, ...params });
  return Object.fromEntries(SCENARIOS.map((s) => [s, result(r, s).maintMargin.toNumber()]));
}

describe('futures: scan range in points, so a crash does not lower the requirement', () => {
  it('2 long ES at 6,000: PSR 480 points, worst scenario −3/3: 480 × 50 × 2 = 48,000 in every scenario', () => {
    // The extremes lose 3 × 480 × 50 × 2 × 33% = 47,520, less than the full range.
    expect(maint([future(2, 6000)])).toEqual({ base: 48000, 'px:FUT=-20%': 48000, 'px:FUT=+10%': 48000 });
  });

  it('a scan range given per symbol (TWS per-contract requirement 15,000 / multiplier 50 = 300 points)', () => {
    expect(maint([future(2, 6000)], { span: { scanRanges: { ES: 300 } } })['px:FUT=-20%']).toBe(300 * 50 * 2);
  });

  it('a calendar spread nets in the scan and pays the intra-commodity spread charge', () => {
    // Long 1 at 6,000 (PSR 480), short 1 at 6,050 (PSR 484): worst scan loss 50 × (484 − 480) = 200 at +3/3;
    // charge 10% × min(480 × 50, 484 × 50) = 2,400.
    expect(maint([future(1, 6000), future(-1, 6050, 'ES', '202703')]).base).toBeCloseTo(2600, 6);
  });

  it('calibrated to the reported commodity segment, a long ES book keeps its requirement at −20% and its liquidation distance is that of a fixed requirement', () => {
    const bodies = [
      av('NetLiquidation', '100000'),
      av('EquityWithLoanValue', '100000'),
      av('CashBalance', '100000', 'USD'),
      av('MaintMarginReq', '34689'),
      av('MaintMarginReq-S', '0'),
      av('MaintMarginReq-C', '34689'),
      future(2, 6000),
    ];
    const r = report(bodies, SCENARIOS, { defaultRate: 0, rates: { USD: 0 } });
    for (const s of SCENARIOS) expect(result(r, s).maintMargin.toFixed(2)).toBe('34689.00');
    // EL(s) = 100,000 + 600,000·s − 34,689 with the requirement fixed: s* = −65,311 / 600,000 = −10.885%.
    // A requirement scaled with the price would put it further away: −65,311 / (600,000 − 34,689) = −11.553%.
    const d = r.liquidationDistance.find((x) => x.key === 'px:FUT')!;
    expect(Math.abs(d.down! - -65311 / 600000)).toBeLessThan(0.0002);
  });
});

describe('futures options', () => {
  it('a long put offsets the long future it protects, below its strike', () => {
    // Long 1 ES at 6,000 + long 1 ES 6,000 put. At 6,000 and at 4,800 every down move's future loss is the put's
    // gain: no loss. At 6,600 the worst move, −3/3 to 6,120, leaves the put out of the money: 480 × 50 = 24,000
    // (the extreme, to 5,160: (−1,440 + 840) × 50 × 33% = −9,900, is smaller).
    const m = maint([future(1, 6000), ...fop('P', 6000, 1)]);
    expect(m.base!).toBeLessThan(5);
    expect(m['px:FUT=-20%']!).toBeLessThan(5);
    expect(Math.abs(m['px:FUT=+10%']! - 24000)).toBeLessThan(5);
    expect(maint([future(1, 6000)]).base).toBe(24000);
  });

  it('a short at-the-money call: the scan at the stressed future', () => {
    // F = 6,000: +3/3 → worth 480: 480 × 50 = 24,000 (extreme +3 ranges: 1,440 × 50 × 33% = 23,760).
    // F = 4,800: +3/3 reaches 5,280, still out of the money; the extreme reaches 6,240: 240 × 50 × 33% = 3,960,
    //   above the short option minimum 10% × 480 × 50 = 2,400.
    // F = 6,600: +3/3 adds 480 to its value: 24,000 again.
    const m = maint(fop('C', 6000, -1));
    expect(Math.abs(m.base! - 24000)).toBeLessThan(5);
    expect(Math.abs(m['px:FUT=-20%']! - 3960)).toBeLessThan(5);
    expect(Math.abs(m['px:FUT=+10%']! - 24000)).toBeLessThan(5);
  });

  it('far out-of-the-money short calls pay the short option minimum', () => {
    // 10 short 9,000 calls: no scenario reaches the strike; minimum 10% × 480 × 50 × 10 = 24,000.
    const m = maint(fop('C', 9000, -10));
    for (const s of SCENARIOS) expect(Math.abs(m[s]! - 24000), s).toBeLessThan(5);
  });
});

describe('futures options priced once for the columns that leave them as they are', () => {
  it("every scenario's requirement equals the one found for that scenario alone, moved or not", () => {
    // A put and a call a month out at 20% vol with rates in force (American, early exercise possible), a future, and
    // scenarios that move them between scenarios that move only other classes (priced as the base column).
    const put = contract({
      conId: 801,
      symbol: 'ES',
      secType: 'FOP',
      currency: 'USD',
      expiry: '20261218',
      strike: new Decimal(5800),
      right: 'P',
      multiplier: new Decimal(50),
    });
    const call = contract({
      conId: 802,
      symbol: 'ES',
      secType: 'FOP',
      currency: 'USD',
      expiry: '20261218',
      strike: new Decimal(6300),
      right: 'C',
      multiplier: new Decimal(50),
    });
    const bodies = [...account, holding(put, '-3', '95'), greeks(801, 0.2, 6000), holding(call, '2', '60'), greeks(802, 0.2, 6000), future(1, 6000)];
    const texts = ['base', 'px:STK=-10%', 'px:FUT=-20%', 'px:STK=+10%', 'px:FUT=+10%', 'px:IND=-20%', 'px:FUT=-5%'];
    const all = report(bodies, texts);
    const values = texts.map((t) => result(all, t).maintMargin.toString());
    texts.forEach((t, i) => expect(values[i], t).toBe(result(report(bodies, [t]), t).maintMargin.toString()));
    // The unmoved scenarios are the base's requirement; the moved ones differ from it.
    expect(new Set([values[0], values[1], values[3], values[5]]).size).toBe(1);
    expect(values[2]).not.toBe(values[0]);
    expect(values[4]).not.toBe(values[0]);
  });
});
