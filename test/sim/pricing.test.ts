// The simulator's option pricer against textbook values (risk-model.md §3.5, Hull).
import { describe, it, expect } from 'vitest';
import { black76, bsm, impliedVol, normCdf } from '../../src/sim/pricing.js';

describe('simulator pricing', () => {
  it('matches Hull Ex. 15.6 (BSM call 4.7594, put 0.8086)', () => {
    expect(bsm(42, 40, 0.5, 0.1, 0, 0.2, 'C').price).toBeCloseTo(4.7594, 4);
    expect(bsm(42, 40, 0.5, 0.1, 0, 0.2, 'P').price).toBeCloseTo(0.8086, 4);
  });

  it('matches Hull greeks (ch. 19): Δ 0.5216, Γ 0.06554, vega 0.121 per vol point, θ −0.01180 per day', () => {
    const g = bsm(49, 50, 20 / 52, 0.05, 0, 0.2, 'C');
    expect(g.price).toBeCloseTo(2.4005, 4);
    expect(g.delta).toBeCloseTo(0.5216, 4);
    expect(g.gamma).toBeCloseTo(0.06554, 5);
    expect(g.vega).toBeCloseTo(0.12105, 4);
    expect(g.theta).toBeCloseTo(-4.3053 / 365, 5);
  });

  it('matches Hull Black-76 put (F=20, K=20, 4 months, r 9%, σ 25%: 1.1166)', () => {
    expect(black76(20, 20, 4 / 12, 0.09, 0.25, 'P').price).toBeCloseTo(1.1166, 4);
  });

  it('recovers the volatility from a price and is intrinsic at expiry', () => {
    const p = bsm(100, 105, 0.25, 0.03, 0.01, 0.31, 'C').price;
    expect(impliedVol(p, 100, 105, 0.25, 0.03, 0.01, 'C')).toBeCloseTo(0.31, 6);
    expect(impliedVol(1, 150, 100, 0.25, 0.03, 0, 'C')).toBeUndefined(); // below intrinsic: no vol fits
    expect(bsm(110, 100, 0, 0.03, 0, 0.2, 'C')).toEqual({ price: 10, delta: 1, gamma: 0, vega: 0, theta: 0 });
    expect(normCdf(0)).toBeCloseTo(0.5, 15);
    expect(normCdf(1.96)).toBeCloseTo(0.9750021048517795, 12);
  });

  it('implied vol is bit for bit the bisection on the full pricer (its quotes are pinned on the wire)', () => {
    // The plain bisection over bsm().price, as the simulator first wrote it: the reference its faster form must equal.
    const reference = (price: number, S: number, K: number, T: number, r: number, q: number, right: 'C' | 'P') => {
      if (!(T > 0) || !(price > 0)) return undefined;
      let lo = 0.001;
      let hi = 5;
      const f = (s: number) => bsm(S, K, T, r, q, s, right).price - price;
      if (f(lo) > 0 || f(hi) < 0) return undefined;
      for (let i = 0; i < 60; i++) {
        const mid = 0.5 * (lo + hi);
        if (f(mid) > 0) hi = mid;
        else lo = mid;
      }
      return 0.5 * (lo + hi);
    };
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let defined = 0;
    for (let i = 0; i < 3000; i++) {
      const S = 1 + rnd() * 6000;
      const K = S * (0.5 + rnd());
      const T = rnd() < 0.05 ? 0 : rnd() * 2;
      const r = rnd() * 0.06;
      const q = rnd() < 0.5 ? r : rnd() * 0.03;
      const right = rnd() < 0.5 ? 'C' : 'P';
      const price = bsm(S, K, T || 0.1, r, q, 0.05 + rnd(), right).price * (0.9 + rnd() * 0.2);
      const got = impliedVol(price, S, K, T, r, q, right);
      expect(got).toBe(reference(price, S, K, T, r, q, right));
      if (got !== undefined) defined++;
    }
    expect(defined).toBeGreaterThan(2000);
  });
});
