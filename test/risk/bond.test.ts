// Bond terms from the contract and duration/convexity from the price: expected values from the textbook formulas.
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import { accruedInterest, bondRisk, bondTerms } from '../../src/risk/bond.js';
import { buildStressGrid, updateStressGrid } from '../../src/risk/grid.js';
import { resolveStressParams, stressParams } from '../../src/risk/params.js';
import { Checker } from '../../src/model/check.js';
import { checkSettings } from '../../src/config/settings.js';
import { av, contract, holding, report, result, scenario, stateOf } from './stress-fixtures.js';
import { ZERO_SHOCKS } from '../../src/risk/scenario-types.js';

const USD_ACCOUNT = [av('NetLiquidation', '1000000'), av('EquityWithLoanValue', '1000000'), av('CashBalance', '1000000', 'USD')];

/** Par bond on a coupon date, n half-years left, coupon = yield y: modified duration (1/y)(1 − (1 + y/2)^−n). */
const parDuration = (y: number, n: number) => (1 / y) * (1 - (1 + y / 2) ** -n);
/** Convexity (1/P)·Σ n_i(n_i + 1)/4 · CF_i · (1 + y/2)^−(n_i + 2), written out from its definition. */
function convexityByHand(coupon: number, y: number, n: number): number {
  let p = 0,
    c = 0;
  for (let i = 1; i <= n; i++) {
    const cf = coupon / 2 + (i === n ? 100 : 0);
    p += cf / (1 + y / 2) ** i;
    c += (((i * (i + 1)) / 4) * cf) / (1 + y / 2) ** (i + 2);
  }
  return c / p;
}

describe('bond terms from the contract (no coupon or maturity field on a portfolio row)', () => {
  it('reads the coupon from the local symbol and the maturity from lastTradeDateOrContractMonth', () => {
    expect(bondTerms({ localSymbol: 'T 4 1/4 11/15/34', expiry: '20341115' })).toEqual({ coupon: 4.25, maturityMs: Date.UTC(2034, 10, 15) });
    expect(bondTerms({ localSymbol: 'T 0 3/8 01/31/26' })).toEqual({ coupon: 0.375, maturityMs: Date.UTC(2026, 0, 31) });
    expect(bondTerms({ localSymbol: 'IBM 4.7 02/19/46' })).toEqual({ coupon: 4.7, maturityMs: Date.UTC(2046, 1, 19) });
  });

  it('gives up on a local symbol that names no coupon and maturity', () => {
    expect(bondTerms({ localSymbol: 'US-T', expiry: '20341115' })).toBeUndefined();
    expect(bondTerms({})).toBeUndefined();
    expect(bondTerms({ localSymbol: 'T X 11/15/34' })).toBeUndefined();
  });
});

describe('duration and convexity at the yield the clean price implies', () => {
  it('a par bond on a coupon date: yield = coupon, closed-form modified duration', () => {
    const now = Date.UTC(2030, 4, 15);
    const r = bondRisk({ coupon: 4, maturityMs: Date.UTC(2032, 4, 15) }, 100, now)!;
    expect(r.yield).toBeCloseTo(0.04, 9);
    expect(r.duration).toBeCloseTo(parDuration(0.04, 4), 9); // 1.90387
    expect(r.convexity).toBeCloseTo(convexityByHand(4, 0.04, 4), 9);
  });

  it('a zero-coupon bond: D = T/(1 + y/2), C = n(n + 1)/4/(1 + y/2)²', () => {
    const n = 10,
      y = 0.05;
    const r = bondRisk({ coupon: 0, maturityMs: Date.UTC(2036, 4, 15) }, 100 / (1 + y / 2) ** n, Date.UTC(2031, 4, 15))!;
    expect(r.yield).toBeCloseTo(y, 9);
    expect(r.duration).toBeCloseTo(5 / 1.025, 9);
    expect(r.convexity).toBeCloseTo((n * (n + 1)) / 4 / 1.025 ** 2, 9);
  });

  it('between coupons the clean price plus accrued interest is discounted over the fraction of a period left', () => {
    // 1 year to maturity, halfway (by days) through a period: flows 2 at w, 102 at w + 1, accrued 1.
    const prev = Date.UTC(2030, 4, 15),
      next = Date.UTC(2030, 10, 15);
    const now = prev + (next - prev) / 2;
    const w = 0.5,
      y = 0.06;
    const dirty = 2 / 1.03 ** w + 102 / 1.03 ** (w + 1);
    const r = bondRisk({ coupon: 4, maturityMs: Date.UTC(2031, 4, 15) }, dirty - 1, now)!;
    expect(r.yield).toBeCloseTo(y, 9);
    const d = (((w / 2) * 2) / 1.03 ** (w + 1) + (((w + 1) / 2) * 102) / 1.03 ** (w + 2)) / dirty;
    expect(r.duration).toBeCloseTo(d, 9);
  });

  it('nothing for a matured bond or a price without a yield', () => {
    expect(bondRisk({ coupon: 4, maturityMs: Date.UTC(2030, 0, 1) }, 100, Date.UTC(2030, 0, 2))).toBeUndefined();
    expect(bondRisk({ coupon: 4, maturityMs: Date.UTC(2032, 0, 1) }, 0, Date.UTC(2030, 0, 2))).toBeUndefined();
  });
});

describe('rates= moves a bond whose contract names its terms (the simulator US-T)', () => {
  // The simulator's Treasury as TWS's portfolio row describes it; 8 years (16 half-years) from a coupon date, at par.
  const ust = contract({
    conId: 563840112,
    symbol: 'US-T',
    secType: 'BOND',
    currency: 'USD',
    multiplier: new Decimal('0.01'),
    localSymbol: 'T 4 1/4 11/15/34',
    expiry: '20341115',
  });
  const now = Date.UTC(2026, 10, 15);
  const bodies = [...USD_ACCOUNT, holding(ust, '100000', '100')]; // value 100,000

  it('value × (−D·Δy + ½·C·Δy²) with D and C from the coupon and maturity', () => {
    const r = report(bodies, ['rates=+100bp', 'rates=-50bp'], { now });
    const y = 0.0425,
      D = parDuration(y, 16),
      C = convexityByHand(4.25, y, 16);
    for (const [text, dy] of [
      ['rates=+100bp', 0.01],
      ['rates=-50bp', -0.005],
    ] as const) {
      const expected = 100_000 * (-D * dy + 0.5 * C * dy * dy);
      expect(Math.abs(result(r, text).pnl.total.toNumber() - expected), text).toBeLessThan(0.011);
    }
    expect(result(r, 'rates=+100bp').pnl.total.toNumber()).toBeLessThan(-6000); // D ≈ 6.8
  });

  it('a configured duration still wins', () => {
    const r = report(bodies, ['rates=+100bp'], { now, bondDurations: { 563840112: { duration: 2 } } });
    expect(result(r, 'rates=+100bp').pnl.total.toFixed(2)).toBe('-2000.00');
  });

  it('the grid re-reads the bond when its clock steps, so an update equals a rebuild', () => {
    const state = stateOf(bodies);
    const shocks = [scenario('rates=+100bp').shocks, ZERO_SHOCKS];
    const params = stressParams({ now });
    const grid = buildStressGrid(state, shocks, params);
    const later = now + 30 * 86_400_000;
    expect(updateStressGrid(grid, state, later).groups).toBe(1);
    const fresh = buildStressGrid(state, shocks, { ...params, now: later });
    expect([...grid.pnl]).toEqual([...fresh.pnl]);
    expect(grid.pnl[0]).not.toBe(buildStressGrid(state, shocks, params).pnl[0]);
  });
});

describe('the rate move applies to the dirty value: D and C are sensitivities of clean price + accrued interest', () => {
  // The demo's US-T between coupons (docs/stress-model.md "Bond duration and convexity"): 50,000 nominal at 97.85 clean,
  // valued at 2026-03-02 14:00 UTC. Everything below is worked out here from the cash flows, not read from bond.ts.
  const ust = contract({
    conId: 563840112,
    symbol: 'US-T',
    secType: 'BOND',
    currency: 'USD',
    multiplier: new Decimal('0.01'),
    localSymbol: 'T 4 1/4 11/15/34',
    expiry: '20341115',
  });
  const now = Date.UTC(2026, 2, 2, 14);
  const bodies = [...USD_ACCOUNT, holding(ust, '50000', '97.85')]; // clean value 48,925
  // Period 2025-11-15 → 2026-05-15 (181 days), 73 days 10 hours left: w = 73.41667 / 181 = 0.405617.
  const w = (Date.UTC(2026, 4, 15) - now) / (Date.UTC(2026, 4, 15) - Date.UTC(2025, 10, 15));
  const accrued = 2.125 * (1 - w); // 1.263064
  const dirty = 97.85 + accrued; // 99.113064
  // 18 flows: 2.125 at w, w + 1, …, and 102.125 at w + 17 (2034-11-15).
  const pv = (y: number) => {
    let p = 0;
    for (let i = 0; i < 18; i++) p += (2.125 + (i === 17 ? 100 : 0)) / (1 + y / 2) ** (w + i);
    return p;
  };

  it('accrued interest, yield, duration and convexity of the demo US-T', () => {
    expect(w).toBeCloseTo(0.405617, 6);
    expect(accruedInterest(bondTerms(ust)!, now)).toBeCloseTo(1.263064, 6);
    const r = bondRisk(bondTerms(ust)!, 97.85, now)!;
    expect(pv(r.yield)).toBeCloseTo(dirty, 9);
    expect(r.yield).toBeCloseTo(0.045511, 6);
    expect(r.duration).toBeCloseTo(7.093837, 6);
    expect(r.convexity).toBeCloseTo(60.115619, 5);
  });

  it('+100 bp: dirty value 49,556.53 × (−7.093837% + ½ × 60.115619 × 0.0001) = −3,366.50, not −3,323.60 on the clean 48,925', () => {
    const r = report(bodies, ['rates=+100bp', 'px:BOND=-5%,rates=+100bp'], { now });
    const move = -7.093837 * 0.01 + 0.5 * 60.115619 * 0.0001; // −0.0679326
    expect(result(r, 'rates=+100bp').pnl.total.toFixed(2)).toBe('-3366.50');
    expect(result(r, 'rates=+100bp').pnl.total.toNumber()).toBeCloseTo(500 * dirty * move, 1);
    // The full reprice at the yield + 1%: 500 × (P(y + 0.01) − P(y)) = −3,370.96; duration and convexity are within 5.
    expect(500 * (pv(0.0455115 + 0.01) - dirty)).toBeCloseTo(-3370.96, 1);
    expect(Math.abs(result(r, 'rates=+100bp').pnl.total.toNumber() + 3370.96)).toBeLessThan(5);
    // A price move first moves the clean value; the rate move then applies to the moved clean value plus accrued.
    const combined = 48_925 * -0.05 + (48_925 * 0.95 + 500 * accrued) * move; // −2,446.25 − 3,200.32 = −5,646.57
    expect(result(r, 'px:BOND=-5%,rates=+100bp').pnl.total.toNumber()).toBeCloseTo(combined, 1);
  });

  it('a bond TWS sends with no multiplier moves the same: the accrued interest scales with its market value, not qty × multiplier', () => {
    // TWS's row: 50,000 face at 97.85, market value 48,925, and no multiplier (read as 1). qty × 1 × accrued counted
    // 63,153 of accrued interest (−7,681 for +100 bp); the dirty value is 48,925 × 99.113064 / 97.85 = 49,556.53.
    const bare = contract({ conId: 563840112, symbol: 'US-T', secType: 'BOND', currency: 'USD', localSymbol: 'T 4 1/4 11/15/34', expiry: '20341115' });
    const row = {
      ...(holding(bare, '50000', '97.85') as Extract<ReturnType<typeof holding>, { type: 'portfolioUpdated' }>),
      marketValue: new Decimal('48925'),
    };
    const r = report([...USD_ACCOUNT, row], ['rates=+100bp'], { now });
    expect(result(r, 'rates=+100bp').pnl.total.toFixed(2)).toBe('-3366.50');
  });

  it('a configured duration applies to the dirty value too (the accrued interest comes from the contract)', () => {
    const r = report(bodies, ['rates=+100bp'], { now, bondDurations: { 563840112: { duration: 2 } } });
    // (48,925 + 500 × 1.263064) × −2% = −991.13
    expect(result(r, 'rates=+100bp').pnl.total.toFixed(2)).toBe('-991.13');
  });
});

describe('rates by currency: documented defaults, overridable per currency', () => {
  it('merges the input over the defaults currency by currency', () => {
    const r = resolveStressParams({ now: 1, rates: { EUR: 0.03 } });
    expect(r.ok && r.params.rates.EUR).toBe(0.03);
    expect(r.ok && r.params.rates.USD).toBe(0.04);
    expect(r.ok && r.params.rates.CHF).toBe(0);
  });

  it('settings risk.rates: each bad currency named and left out, the good ones kept', () => {
    const c = new Checker('settings.json');
    const s = checkSettings({ risk: { rates: { EUR: 0.025, usd: 0.05, GBP: 'high', JPY: 3 } } }, c);
    expect(s.risk.rates).toEqual({ EUR: 0.025 });
    expect(s.risk.marginMethod).toBe('auto');
    expect(c.problems).toHaveLength(3);
    expect(c.problems.join('\n')).toMatch(/risk\.rates\.usd[\s\S]*risk\.rates\.GBP[\s\S]*risk\.rates\.JPY/);
  });
});
