// European pricers against the textbook vectors of risk-model.md §3.5, parity, and finite-difference greeks.
import { describe, expect, it } from 'vitest';
import { black76Greeks, black76Price, bsmGreeks, bsmPrice, gbsD1, gbsGreeks, gbsPrice, pvDividends } from '../../../src/risk/pricing/black-scholes.js';
import type { Black76Inputs, BsmInputs, Greeks } from '../../../src/risk/pricing/types.js';

/**
 * risk-model.md §3.5 asks for 1e-4 on every textbook value. Expected values are written exactly as the
 * document prints them; a value printed with fewer than four decimals (vega 12.105) can only be held to
 * half a unit of its last digit, so that is the tolerance there.
 */
function near(got: number, printed: string): void {
  const decimals = printed.split('.')[1]?.length ?? 0;
  const tol = Math.max(1e-4, 0.5 * 10 ** -decimals);
  expect(Math.abs(got - Number(printed)), `${got} vs ${printed}`).toBeLessThanOrEqual(tol);
}

describe('risk-model.md §3.5 textbook vectors', () => {
  it('Hull Ex. 15.6: S 42, K 40, T 0.5, r 10%, σ 20% gives call 4.7594, put 0.8086, d1 0.7693, d2 0.6278', () => {
    const o = { S: 42, K: 40, T: 0.5, r: 0.1, vol: 0.2 } as const;
    near(bsmPrice({ ...o, right: 'C' }), '4.7594');
    near(bsmPrice({ ...o, right: 'P' }), '0.8086');
    const d1 = gbsD1(42, 40, 0.5, 0.1, 0.2);
    near(d1, '0.7693');
    near(d1 - 0.2 * Math.sqrt(0.5), '0.6278');
  });

  it("Hull ch. 19 running example: S 49, K 50, T 20/52, r 5%, σ 20% gives Hull's greeks", () => {
    const g = bsmGreeks({ right: 'C', S: 49, K: 50, T: 20 / 52, r: 0.05, vol: 0.2 });
    near(g.price, '2.4005');
    near(g.delta, '0.5216');
    near(g.gamma, '0.06554');
    near(g.vega, '12.105');
    near(g.vega / 100, '0.121'); // per vol point
    near(g.theta, '-4.3053');
    near(g.theta / 365, '-0.01180'); // per calendar day
    near(g.rho, '8.907');
  });

  it('Hull Black-76 put: F 20, K 20, T 4/12, r 9%, σ 25% gives 1.1166', () => {
    near(black76Price({ right: 'P', F: 20, K: 20, T: 4 / 12, r: 0.09, vol: 0.25 }), '1.1166');
  });

  it('Hull discrete dividends: 0.50 at 2 and 5 months has PV 0.9742 and the call is worth 3.6712', () => {
    const pv = pvDividends(
      [
        { time: 2 / 12, amount: 0.5 },
        { time: 5 / 12, amount: 0.5 },
      ],
      0.09,
      0.5,
    );
    near(pv, '0.9742');
    near(bsmPrice({ right: 'C', S: 40, K: 40, T: 0.5, r: 0.09, vol: 0.3, pvDividend: pv }), '3.6712');
  });

  it('Hull American put example, European value: S 50, K 50, T 5/12, r 10%, σ 40% gives 4.0760', () => {
    near(bsmPrice({ right: 'P', S: 50, K: 50, T: 5 / 12, r: 0.1, vol: 0.4 }), '4.0760');
  });
});

describe('pvDividends', () => {
  it('ignores dividends after expiry or already paid', () => {
    expect(
      pvDividends(
        [
          { time: -0.1, amount: 1 },
          { time: 0.6, amount: 1 },
        ],
        0.05,
        0.5,
      ),
    ).toBe(0);
    expect(pvDividends([], 0.05, 0.5)).toBe(0);
  });
});

const SPOTS = [60, 95, 100, 105, 160];
const CASES: readonly Omit<BsmInputs, 'right' | 'S'>[] = [
  { K: 100, T: 0.5, r: 0.05, q: 0.02, vol: 0.25 },
  { K: 100, T: 2, r: 0.01, q: 0.04, vol: 0.6 },
  { K: 100, T: 0.02, r: 0.05, vol: 0.15 },
  { K: 100, T: 1, r: -0.005, pvDividend: 3.2, vol: 0.3 },
];

describe('put-call parity', () => {
  it('BSM: C − P = (S − pvDividend)·e^(−qT) − K·e^(−rT)', () => {
    for (const c of CASES) {
      for (const S of SPOTS) {
        const call = bsmPrice({ ...c, S, right: 'C' });
        const put = bsmPrice({ ...c, S, right: 'P' });
        const fwd = (S - (c.pvDividend ?? 0)) * Math.exp(-(c.q ?? 0) * c.T) - c.K * Math.exp(-c.r * c.T);
        expect(call - put).toBeCloseTo(fwd, 12);
      }
    }
  });

  it('Black-76: C − P = e^(−rT)·(F − K)', () => {
    for (const F of SPOTS) {
      for (const T of [0.01, 0.25, 3]) {
        const o = { F, K: 100, T, r: 0.04, vol: 0.35 };
        const diff = black76Price({ ...o, right: 'C' }) - black76Price({ ...o, right: 'P' });
        expect(diff).toBeCloseTo(Math.exp(-0.04 * T) * (F - 100), 12);
      }
    }
  });
});

/** Central difference of a price function; h relative to the input's scale. */
function fd(f: (x: number) => number, x: number, h: number): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}
function fd2(f: (x: number) => number, x: number, h: number): number {
  return (f(x + h) - 2 * f(x) + f(x - h)) / (h * h);
}

function expectGreeksMatch(g: Greeks, want: Omit<Greeks, 'price'>) {
  for (const k of ['delta', 'gamma', 'vega', 'theta', 'rho'] as const) {
    const scale = Math.max(1, Math.abs(want[k]));
    expect(Math.abs(g[k] - want[k]) / scale, k).toBeLessThan(2e-5);
  }
}

describe('greeks match finite differences of the price', () => {
  it('BSM with yield and escrowed dividends, calls and puts', () => {
    for (const c of CASES) {
      for (const S of SPOTS) {
        for (const right of ['C', 'P'] as const) {
          const o: BsmInputs = { ...c, S, right };
          const p = (patch: Partial<BsmInputs>) => bsmPrice({ ...o, ...patch });
          expectGreeksMatch(bsmGreeks(o), {
            delta: fd((x) => p({ S: x }), S, 1e-4 * S),
            gamma: fd2((x) => p({ S: x }), S, 1e-4 * S),
            vega: fd((x) => p({ vol: x }), o.vol, 1e-5),
            theta: -fd((x) => p({ T: x }), o.T, 1e-6 * o.T),
            rho: fd((x) => p({ r: x }), o.r, 1e-6),
          });
        }
      }
    }
  });

  it('Black-76, where rho holds the futures price fixed', () => {
    for (const F of SPOTS) {
      for (const right of ['C', 'P'] as const) {
        const o: Black76Inputs = { right, F, K: 100, T: 0.75, r: 0.03, vol: 0.3 };
        const p = (patch: Partial<Black76Inputs>) => black76Price({ ...o, ...patch });
        expectGreeksMatch(black76Greeks(o), {
          delta: fd((x) => p({ F: x }), F, 1e-4 * F),
          gamma: fd2((x) => p({ F: x }), F, 1e-4 * F),
          vega: fd((x) => p({ vol: x }), o.vol, 1e-5),
          theta: -fd((x) => p({ T: x }), o.T, 1e-6),
          rho: fd((x) => p({ r: x }), o.r, 1e-6),
        });
      }
    }
  });

  it('the greeks price is the price function, bit for bit', () => {
    for (const c of CASES) {
      for (const S of SPOTS) {
        expect(bsmGreeks({ ...c, S, right: 'P' }).price).toBe(bsmPrice({ ...c, S, right: 'P' }));
      }
    }
  });
});

describe('degenerate inputs take their limits', () => {
  it('at or after expiry the price is intrinsic and delta a step', () => {
    expect(gbsPrice(true, 110, 100, 0, 0.05, 0.05, 0.2)).toBe(10);
    expect(gbsPrice(false, 110, 100, -0.01, 0.05, 0.05, 0.2)).toBe(0);
    expect(gbsGreeks(true, 110, 100, 0, 0.05, 0.05, 0.2)).toEqual({ price: 10, delta: 1, gamma: 0, vega: 0, theta: 0, rho: 0 });
    expect(gbsGreeks(false, 90, 100, 0, 0.05, 0.05, 0.2).delta).toBe(-1);
    expect(gbsGreeks(true, 100, 100, 0, 0.05, 0.05, 0.2).delta).toBe(0.5);
  });

  it('converges to intrinsic as T → 0', () => {
    for (const S of [90, 99.9, 100.1, 110]) {
      expect(gbsPrice(true, S, 100, 1e-12, 0.05, 0.05, 0.3)).toBeCloseTo(Math.max(S - 100, 0), 6);
      expect(gbsPrice(false, S, 100, 1e-12, 0.05, 0.05, 0.3)).toBeCloseTo(Math.max(100 - S, 0), 6);
    }
  });

  it('at zero vol the price is the discounted payoff of the forward, and the greeks are its derivatives', () => {
    const [S, K, T, r, b] = [100, 95, 0.5, 0.05, 0.03];
    const want = S * Math.exp((b - r) * T) - K * Math.exp(-r * T);
    expect(gbsPrice(true, S, K, T, r, b, 0)).toBeCloseTo(want, 12);
    expect(gbsPrice(false, S, K, T, r, b, 0)).toBe(0);
    const g = gbsGreeks(true, S, K, T, r, b, 0);
    expect(g.price).toBeCloseTo(want, 12);
    expect(g.delta).toBeCloseTo(Math.exp((b - r) * T), 12);
    expect(g.gamma).toBe(0);
    // Small positive vol approaches the same values.
    const tiny = gbsGreeks(true, S, K, T, r, b, 1e-6);
    expect(tiny.price).toBeCloseTo(g.price, 9);
    expect(tiny.theta).toBeCloseTo(g.theta, 6);
    expect(tiny.rho).toBeCloseTo(g.rho, 6);
  });

  it('a pvDividend larger than the spot prices on a zero spot instead of producing NaN', () => {
    expect(bsmPrice({ right: 'C', S: 1, K: 100, T: 1, r: 0.05, pvDividend: 2, vol: 0.3 })).toBe(0);
    expect(bsmPrice({ right: 'P', S: 1, K: 100, T: 1, r: 0.05, pvDividend: 2, vol: 0.3 })).toBeCloseTo(100 * Math.exp(-0.05), 12);
    const g = bsmGreeks({ right: 'P', S: 1, K: 100, T: 1, r: 0.05, pvDividend: 2, vol: 0.3 });
    expect(Object.values(g).every(Number.isFinite)).toBe(true);
  });

  it('a NaN input gives NaN, never a degenerate-case number', () => {
    expect(gbsPrice(true, 100, 100, NaN, 0.05, 0.05, 0.2)).toBeNaN();
    expect(gbsPrice(true, 100, 100, 1, 0.05, 0.05, NaN)).toBeNaN();
    expect(gbsPrice(false, NaN, 100, 1, 0.05, 0.05, 0.2)).toBeNaN();
    expect(gbsGreeks(true, 100, 100, NaN, 0.05, 0.05, 0.2).delta).toBeNaN();
    expect(gbsGreeks(true, 100, 100, 1, 0.05, 0.05, NaN).price).toBeNaN();
    expect(gbsGreeks(true, NaN, 100, 1, 0.05, 0.05, 0.2).gamma).toBeNaN();
  });

  it('deep in and out of the money stay finite and within the no-arbitrage bounds', () => {
    for (const S of [1e-6, 1, 1e4, 1e8]) {
      for (const isCall of [true, false]) {
        const p = gbsPrice(isCall, S, 100, 1, 0.05, 0.05, 0.3);
        const fwd = isCall ? S - 100 * Math.exp(-0.05) : 100 * Math.exp(-0.05) - S;
        expect(p).toBeGreaterThanOrEqual(Math.max(fwd, 0) - 1e-9 * Math.max(S, 100));
        expect(p).toBeLessThanOrEqual(isCall ? S : 100);
      }
    }
  });
});
