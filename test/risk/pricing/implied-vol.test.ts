// Implied vol: round trips price → vol → price, and "no solution" is undefined, never a wrong number.
import { describe, expect, it } from 'vitest';
import { black76AmericanPrice, bsmAmericanPrice } from '../../../src/risk/pricing/american.js';
import { black76Price, bsmGreeks, bsmPrice } from '../../../src/risk/pricing/black-scholes.js';
import { MAX_IMPLIED_VOL, black76ImpliedVol, bsmImpliedVol } from '../../../src/risk/pricing/implied-vol.js';

describe('bsmImpliedVol round trips', () => {
  it('recovers the vol, and the price, across moneyness, expiry and vol', () => {
    let cases = 0;
    for (const right of ['C', 'P'] as const) {
      for (const S of [50, 80, 97, 100, 103, 125, 200]) {
        for (const T of [1 / 365, 7 / 365, 0.25, 1, 3]) {
          for (const vol of [0.02, 0.1, 0.3, 0.8, 2.5]) {
            for (const extra of [{}, { q: 0.03 }, { pvDividend: 1.5 }]) {
              const o = { right, S, K: 100, T, r: 0.04, ...extra };
              const price = bsmPrice({ ...o, vol });
              const iv = bsmImpliedVol(price, o);
              expect(iv, JSON.stringify({ ...o, vol, price })).toBeDefined();
              // The price must round-trip; the vol only where the price still depends on it measurably.
              expect(Math.abs(bsmPrice({ ...o, vol: iv! }) - price)).toBeLessThan(1e-10 * Math.max(1, price));
              if (bsmGreeks({ ...o, vol }).vega > 1e-6) expect(iv!).toBeCloseTo(vol, 7);
              cases++;
            }
          }
        }
      }
    }
    expect(cases).toBe(1050);
  });

  it("recovers Hull's 20% from his Ex. 15.6 call price 4.7594 (risk-model.md §3.5)", () => {
    expect(bsmImpliedVol(4.7594, { right: 'C', S: 42, K: 40, T: 0.5, r: 0.1 })).toBeCloseTo(0.2, 4);
  });

  it('works a minute before expiry and for deep out-of-the-money wings', () => {
    const minute = 1 / (365 * 24 * 60);
    const atm = { right: 'C', S: 100, K: 100, T: minute, r: 0.05 } as const;
    expect(bsmImpliedVol(bsmPrice({ ...atm, vol: 0.4 }), atm)).toBeCloseTo(0.4, 8);
    const wing = { right: 'P', S: 100, K: 60, T: 0.1, r: 0.05 } as const;
    const tiny = bsmPrice({ ...wing, vol: 0.35 });
    expect(tiny).toBeLessThan(1e-4);
    expect(bsmImpliedVol(tiny, wing)).toBeCloseTo(0.35, 8);
  });

  it('round-trips American prices through BAW', () => {
    for (const right of ['C', 'P'] as const) {
      for (const S of [70, 100, 130]) {
        for (const vol of [0.15, 0.45]) {
          const o = { right, S, K: 100, T: 0.5, r: 0.06, q: 0.04 };
          const price = bsmAmericanPrice({ ...o, vol });
          const iv = bsmImpliedVol(price, o, 'american');
          expect(Math.abs(bsmAmericanPrice({ ...o, vol: iv! }) - price)).toBeLessThan(1e-9);
        }
      }
    }
  });
});

describe('black76ImpliedVol', () => {
  it('round-trips European and American futures options', () => {
    for (const right of ['C', 'P'] as const) {
      for (const F of [80, 100, 125]) {
        const o = { right, F, K: 100, T: 0.4, r: 0.05 };
        expect(black76ImpliedVol(black76Price({ ...o, vol: 0.27 }), o)).toBeCloseTo(0.27, 8);
        const am = black76AmericanPrice({ ...o, vol: 0.27 });
        expect(black76ImpliedVol(am, o, 'american')).toBeCloseTo(0.27, 6);
      }
    }
  });

  it("recovers Hull's 25% from the Black-76 put price 1.1166 (risk-model.md §3.5)", () => {
    expect(black76ImpliedVol(1.1166, { right: 'P', F: 20, K: 20, T: 4 / 12, r: 0.09 })).toBeCloseTo(0.25, 4);
  });
});

describe('no solution is undefined', () => {
  const call = { right: 'C', S: 110, K: 100, T: 0.5, r: 0.05 } as const;

  it('for a price below the European lower bound (discounted forward intrinsic)', () => {
    const bound = 110 - 100 * Math.exp(-0.025);
    expect(bsmImpliedVol(bound - 0.01, call)).toBeUndefined();
    expect(bsmImpliedVol(-1, { ...call, S: 90 })).toBeUndefined();
  });

  it('for an American price below intrinsic, even where the European bound is lower', () => {
    const put = { right: 'P', S: 60, K: 100, T: 1, r: 0.1 } as const;
    expect(bsmImpliedVol(39.99, put, 'american')).toBeUndefined();
    expect(bsmImpliedVol(39.99, put, 'european')).toBeDefined(); // 100e^−0.1 − 60 = 30.48 < 39.99
  });

  it('for a price at or above the upper bound (the call worth more than the stock)', () => {
    expect(bsmImpliedVol(110, call)).toBeUndefined();
    expect(bsmImpliedVol(200, call)).toBeUndefined();
    expect(bsmImpliedVol(100, { right: 'P', S: 90, K: 100, T: 0.5, r: 0.05 })).toBeUndefined();
  });

  it('at or after expiry, and for non-finite inputs', () => {
    expect(bsmImpliedVol(10, { ...call, T: 0 })).toBeUndefined();
    expect(bsmImpliedVol(NaN, call)).toBeUndefined();
    expect(bsmImpliedVol(12, { ...call, S: Infinity })).toBeUndefined();
    expect(bsmImpliedVol(12, { ...call, K: 0 })).toBeUndefined();
  });

  it('searches up to MAX_IMPLIED_VOL and no further', () => {
    const o = { right: 'C', S: 100, K: 100, T: 1, r: 0 } as const;
    expect(bsmImpliedVol(bsmPrice({ ...o, vol: MAX_IMPLIED_VOL * 0.9 }), o)).toBeCloseTo(MAX_IMPLIED_VOL * 0.9, 6);
    expect(bsmImpliedVol(bsmPrice({ ...o, vol: MAX_IMPLIED_VOL * 1.5 }), o)).toBeUndefined();
  });
});

describe('zero vol', () => {
  it('a price exactly at the lower bound has implied vol 0', () => {
    expect(bsmImpliedVol(0, { right: 'C', S: 90, K: 100, T: 0.5, r: 0.05 })).toBe(0);
    const bound = 110 - 100 * Math.exp(-0.025);
    expect(bsmImpliedVol(bound, { right: 'C', S: 110, K: 100, T: 0.5, r: 0.05 })).toBe(0);
  });

  it('a quote a rounding error under the bound still reads as 0, not as no solution', () => {
    const bound = 110 - 100 * Math.exp(-0.025);
    expect(bsmImpliedVol(bound - 1e-13, { right: 'C', S: 110, K: 100, T: 0.5, r: 0.05 })).toBe(0);
  });
});
