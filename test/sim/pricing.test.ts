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
});
