// The cash-dividend lattice against an independent finite-difference reference, and its greeks against its own price.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { riskParamsOf } from '../../../src/commands/stress.js';
import { checkSettings } from '../../../src/config/settings.js';
import { Checker } from '../../../src/model/check.js';
import { exDateMs, resolveStressParams } from '../../../src/risk/params.js';
import { bsmAmericanPrice } from '../../../src/risk/pricing/american.js';
import { GRID_LATTICE_STEPS } from '../../../src/risk/revalue.js';
import { gbsPrice, pvDividends } from '../../../src/risk/pricing/black-scholes.js';
import {
  cashDividendAmericanGreeks,
  DEFAULT_LATTICE_STEPS,
  cashDividendAmericanLadder,
  cashDividendAmericanPrice,
  dividendsBeforeExpiry,
  withLadderCache,
  type CashDividendInputs,
} from '../../../src/risk/pricing/dividend-lattice.js';

interface Vector {
  right: 'C' | 'P';
  S: number;
  K: number;
  T: number;
  r: number;
  vol: number;
  dividends: { time: number; amount: number }[];
  price: number;
  error: number;
}

// Computed outside the project by test/risk/fixtures/american-cash-dividends.py (Crank-Nicolson on a price grid,
// Python); the inputs are in the same file.
const reference = JSON.parse(readFileSync(new URL('../fixtures/american-cash-dividends.json', import.meta.url), 'utf8')) as { vectors: Vector[] };

const label = (v: Vector) =>
  `${v.right} S=${v.S} K=${v.K} T=${v.T} r=${v.r} σ=${v.vol} divs=${v.dividends.map((d) => `${d.amount}@${d.time}`).join('+') || 'none'}`;

describe('cashDividendAmericanPrice', () => {
  it("the reference is sharp: its own error bound is far inside the tolerance, and it finds Hull's American put", () => {
    for (const v of reference.vectors) expect(v.error / v.price).toBeLessThan(1e-3);
    const hull = reference.vectors.find((v) => v.dividends.length === 0)!;
    expect(Math.abs(hull.price - 4.284)).toBeLessThan(2e-3);
  });

  it.each(reference.vectors.map((v) => [label(v), v] as const))('%s is within 1%% of the reference', (_, v) => {
    const got = cashDividendAmericanPrice(v);
    expect(Math.abs(got - v.price) / v.price).toBeLessThan(0.01);
  });

  it.each(reference.vectors.map((v) => [label(v), v] as const))("%s is within 1%% of the reference at the grid's step count too", (_, v) => {
    const got = cashDividendAmericanPrice({ ...v, steps: GRID_LATTICE_STEPS });
    expect(Math.abs(got - v.price) / v.price).toBeLessThan(0.01);
  });

  it('the escrowed BAW it replaces misses the dividend puts by more than the lattice does', () => {
    // The case the issue measured: exercise taken on S − PV(div) overvalues a put.
    const v = reference.vectors.find((x) => x.right === 'P' && x.dividends.length === 1 && x.dividends[0]!.time === 0.9)!;
    const escrowed = bsmAmericanPrice({ ...v, pvDividend: pvDividends(v.dividends, v.r, v.T) });
    const lattice = cashDividendAmericanPrice(v);
    expect(Math.abs(escrowed - v.price)).toBeGreaterThan(5 * Math.abs(lattice - v.price));
  });

  it('a call exercises the instant before an ex-date when the dividend is worth more than the time value', () => {
    // Deep in the money, a dividend of 5 at 0.4 years: worth more than the European call on the escrowed spot.
    const o: CashDividendInputs = { right: 'C', S: 100, K: 70, T: 0.5, r: 0.05, vol: 0.2, dividends: [{ time: 0.4, amount: 5 }] };
    const american = cashDividendAmericanPrice(o);
    const noEarly = bsmAmericanPrice({ ...o, pvDividend: pvDividends(o.dividends, o.r, o.T) });
    expect(american).toBeGreaterThan(noEarly + 0.2);
    // And never below exercising now.
    expect(american).toBeGreaterThanOrEqual(30);
  });

  it.each([
    [100, 100, 0.5, 0.3, 3, 0.001],
    [100, 90, 1, 0.2, 2, 0.002],
    [50, 55, 0.25, 0.4, 1.5, 0.0005],
  ])('a call on S=%s K=%s T=%s (vol %s) with a dividend of %s at %s, inside the first step: Black-Scholes on the spot after it', (S, K, T, vol, D, t) => {
    // With no later dividend and the stock dropping by D at once, the call is a European one on S − D (its early
    // exercise would pay S − K, far less): an independent closed form. The ex-date's layer has to reach below S − D.
    const o: CashDividendInputs = { right: 'C', S, K, T, r: 0.05, vol, dividends: [{ time: t, amount: D }] };
    const want = gbsPrice(true, S - D * Math.exp(-0.05 * t), K, T, 0.05, 0.05, vol);
    for (const steps of [GRID_LATTICE_STEPS, DEFAULT_LATTICE_STEPS])
      expect(Math.abs(cashDividendAmericanPrice({ ...o, steps }) - want) / want).toBeLessThan(1e-3);
  });

  it('dividends after expiry or in the past change nothing, and say the lattice is not needed', () => {
    const base: CashDividendInputs = { right: 'P', S: 100, K: 100, T: 0.5, r: 0.05, vol: 0.3, dividends: [] };
    const late = {
      ...base,
      dividends: [
        { time: 0.7, amount: 3 },
        { time: -0.1, amount: 3 },
      ],
    };
    expect(dividendsBeforeExpiry(late.dividends, late.T)).toBe(false);
    expect(dividendsBeforeExpiry([{ time: 0.2, amount: 3 }], 0.5)).toBe(true);
    expect(cashDividendAmericanPrice(late)).toBe(cashDividendAmericanPrice(base));
  });

  it('degenerate inputs give intrinsic or NaN, never a throw', () => {
    const o: CashDividendInputs = { right: 'P', S: 80, K: 100, T: 0, r: 0.05, vol: 0.3, dividends: [{ time: 0.1, amount: 1 }] };
    expect(cashDividendAmericanPrice(o)).toBe(20);
    expect(cashDividendAmericanPrice({ ...o, T: 0.5, vol: 0 })).toBe(20);
    expect(cashDividendAmericanPrice({ ...o, T: 0.5, r: NaN })).toBeNaN();
    // A dividend larger than the stock: the put is worth K after it, the price stays finite and below K.
    const big = cashDividendAmericanPrice({ ...o, T: 0.5, dividends: [{ time: 0.1, amount: 500 }] });
    expect(big).toBeGreaterThanOrEqual(20);
    expect(big).toBeLessThanOrEqual(100);
  });
});

describe('cashDividendAmericanGreeks', () => {
  const o: CashDividendInputs = { right: 'P', S: 100, K: 100, T: 1, r: 0.06, vol: 0.25, dividends: [{ time: 0.5, amount: 4 }] };
  const g = cashDividendAmericanGreeks(o);
  const at = (patch: Partial<CashDividendInputs>) => cashDividendAmericanPrice({ ...o, ...patch });

  it('delta and gamma agree with bumping the spot (the dividend dates held)', () => {
    const h = 1;
    expect(g.delta).toBeCloseTo((at({ S: 101 }) - at({ S: 99 })) / (2 * h), 2);
    expect(g.gamma).toBeCloseTo((at({ S: 101 }) - 2 * at({}) + at({ S: 99 })) / (h * h), 2);
    expect(g.delta).toBeLessThan(0);
    expect(g.gamma).toBeGreaterThan(0);
  });

  it('theta agrees with a week passing either way (expiry and ex-date moving together), on a finer tree', () => {
    // Ex-dates fall on the nearest step, so a difference over one day would measure that rounding, not theta.
    const h = 7 / 365;
    const shifted = (dt: number) => at({ T: o.T - dt, dividends: [{ time: 0.5 - dt, amount: 4 }], steps: 1600 });
    const want = (shifted(h) - shifted(-h)) / (2 * h);
    expect(Math.abs(g.theta - want)).toBeLessThan(0.05 * Math.abs(want));
  });

  it('vega is positive and rho negative for the put, the price equals the price function', () => {
    expect(g.price).toBe(cashDividendAmericanPrice(o));
    expect(g.vega).toBeGreaterThan(0);
    expect(g.rho).toBeLessThan(0);
  });
});

describe('announced dividends in the settings and the stress parameters', () => {
  it("settings risk.dividends: each bad entry named, and one refuses its symbol's list whole (TWS's dividends then); a good list is kept", () => {
    const c = new Checker('settings.json');
    const s = checkSettings(
      {
        risk: {
          dividends: {
            AAPL: [
              { exDate: '2027-02-08', amount: 0.26 },
              { exDate: '2027-02-30', amount: 0.26 },
              { exDate: '2027-05-10', amount: -1 },
            ],
            MSFT: 'soon',
            KO: [{ exDate: '2027-03-13', amount: 0.51 }],
          },
        },
      },
      c,
    );
    // AAPL's valid first entry is not priced alone: the list nobody wrote would pass for the one refused.
    expect(s.risk.dividends).toEqual({ KO: [{ exDate: '2027-03-13', amount: 0.51 }] });
    expect(c.problems.join('\n')).toMatch(
      /risk\.dividends\.AAPL\[1\]\.exDate[\s\S]*risk\.dividends\.AAPL\[2\]\.amount[\s\S]*risk\.dividends\.AAPL: the list is refused[\s\S]*risk\.dividends\.MSFT/,
    );
    expect(riskParamsOf(s).dividends).toEqual(s.risk.dividends);
  });

  it('resolveStressParams names a bad ex-date or amount', () => {
    const r = resolveStressParams({
      now: 0,
      dividends: {
        XYZ: [
          { exDate: '27-01-01', amount: 1 },
          { exDate: '2027-01-01', amount: NaN },
        ],
      },
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.join('\n')).toMatch(/dividends\.XYZ\[0\]\.exDate[\s\S]*dividends\.XYZ\[1\]\.amount/);
    expect(exDateMs('2027-01-01')).toBe(Date.UTC(2027, 0, 1));
    expect(exDateMs('2027-13-01')).toBeNaN();
  });
});

describe('cashDividendAmericanLadder', () => {
  it('prices a ladder of spots from two trees within 0.2% of pricing each spot alone, and each within 1% of the reference', () => {
    const o = { right: 'P' as const, K: 100, T: 1, r: 0.06, vol: 0.25, dividends: [{ time: 0.5, amount: 4 }] };
    const spots = Float64Array.from([100, 50, 70, 80, 90, 95, 105, 110, 120, 150, 0]);
    const out = new Float64Array(spots.length);
    cashDividendAmericanLadder(out, spots, 0, spots.length, 100, o);
    spots.forEach((s, i) => {
      const alone = cashDividendAmericanPrice({ ...o, S: s });
      expect(Math.abs(out[i]! - alone)).toBeLessThan(2e-3 * Math.max(alone, 1));
    });
    expect(out[spots.length - 1]).toBe(100);
    const ref = reference.vectors.find((v) => v.right === 'P' && v.K === 100 && v.dividends[0]?.time === 0.5)!;
    expect(Math.abs(out[0]! - ref.price) / ref.price).toBeLessThan(0.01);
  });

  it('a ladder too wide for one tree falls back to pricing each spot alone', () => {
    const o = { right: 'C' as const, K: 100, T: 2, r: 0.05, vol: 0.05, dividends: [{ time: 1, amount: 2 }] };
    const spots = Float64Array.from([100, 1, 1000, 300]);
    const out = new Float64Array(spots.length);
    cashDividendAmericanLadder(out, spots, 0, spots.length, 100, o);
    spots.forEach((s, i) => expect(out[i]).toBe(cashDividendAmericanPrice({ ...o, S: s })));
  });

  it('inside withLadderCache, one spot at a time (and a vol between levels) reads held layers: within 0.2% of a tree per spot; outside, a tree per spot again', () => {
    const o = { right: 'P' as const, K: 100, T: 1, r: 0.06, vol: 0.25, dividends: [{ time: 0.5, amount: 4 }], steps: GRID_LATTICE_STEPS };
    const one = (S: number, vol: number) => {
      // Two spots, as the liquidation search asks: the unshocked one and the shocked one.
      const out = new Float64Array(2);
      cashDividendAmericanLadder(out, Float64Array.from([100, S]), 0, 2, 100, { ...o, vol });
      return out[1]!;
    };
    const cases: [number, number][] = [
      [80, 0.25],
      [95, 0.25],
      [120, 0.25],
      // Between vol levels (0.25·e^(0.25k)): the crash's vol rising with its fall.
      [90, 0.3],
      [70, 0.45],
      [55, 0.6],
    ];
    const scoped = withLadderCache(-0.5, 0.5, () => cases.map(([S, vol]) => one(S, vol)));
    const alone = cases.map(([S, vol]) => cashDividendAmericanPrice({ ...o, S, vol }));
    cases.forEach(([S, vol], i) => {
      expect(Math.abs(scoped[i]! - alone[i]!)).toBeLessThan(2e-3 * Math.max(alone[i]!, 1));
      expect(one(S, vol)).toBe(alone[i]);
    });
    // Read off layers, not priced alone: no case equals its own tree to the last bit.
    expect(scoped.filter((x, i) => x === alone[i])).toEqual([]);
    // Spots beyond the scope's span widen the layers they need rather than read past their ends.
    const narrow = withLadderCache(-0.05, 0.05, () => cases.map(([S, vol]) => one(S, vol)));
    cases.forEach((_, i) => expect(Math.abs(narrow[i]! - alone[i]!)).toBeLessThan(2e-3 * Math.max(alone[i]!, 1)));
  });

  it('a vol per spot (the crash: each column its own) gives, in one call, the doubles of one call per vol, in a scope and out of it', () => {
    const o = { right: 'P' as const, K: 100, T: 1, r: 0.06, vol: 0.25, dividends: [{ time: 0.5, amount: 4 }], steps: GRID_LATTICE_STEPS };
    // The unshocked spot first, then a crash's columns (vol rising as the price falls), two sharing a vol, and a vol of 0.
    const spots = Float64Array.from([100, 95, 90, 90, 80, 70, 60, 85]);
    const vols = Float64Array.from([0.25, 0.3, 0.36, 0.36, 0.45, 0.6, 0.7, 0]);
    const each = () =>
      Array.from(spots, (S, i) => {
        const out = new Float64Array(1);
        cashDividendAmericanLadder(out, Float64Array.of(S), 0, 1, 100, { ...o, vol: vols[i]! });
        return out[0]!;
      });
    const together = () => {
      const out = new Float64Array(spots.length);
      cashDividendAmericanLadder(out, spots, 0, spots.length, 100, o, vols);
      return [...out];
    };
    expect(withLadderCache(-0.5, 0.5, together)).toEqual(withLadderCache(-0.5, 0.5, each));
    expect(together()).toEqual(each());
    // A vol of 0 is the exercise value, as alone.
    expect(together()[7]).toBe(cashDividendAmericanPrice({ ...o, S: 85, vol: 0 }));
  });
});
