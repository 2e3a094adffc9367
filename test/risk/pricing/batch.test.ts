// Batch kernels: bit-identical to the scalar pricers, and fast relative to a bare Black-Scholes loop.
import { describe, expect, it } from 'vitest';
import { black76AmericanPrice, bsmAmericanPrice } from '../../../src/risk/pricing/american.js';
import { americanPriceBatch, bareBsmLoop, europeanPriceBatch, type OptionBatch } from '../../../src/risk/pricing/batch.js';
import { black76Price, bsmPrice } from '../../../src/risk/pricing/black-scholes.js';

interface Leg {
  readonly kind: 'bsm' | 'b76';
  readonly right: 'C' | 'P';
  readonly S: number;
  readonly K: number;
  readonly T: number;
  readonly r: number;
  readonly q: number;
  readonly pv: number;
  readonly vol: number;
}

/** A scenario-grid-like layout: per option, a price ladder innermost (shared boundary), then vol shocks. */
function grid(): Leg[] {
  const legs: Leg[] = [];
  const bases: Omit<Leg, 'S' | 'vol'>[] = [
    { kind: 'bsm', right: 'P', K: 100, T: 0.5, r: 0.05, q: 0, pv: 0 },
    { kind: 'bsm', right: 'C', K: 95, T: 1, r: 0.03, q: 0.06, pv: 0 },
    { kind: 'bsm', right: 'C', K: 105, T: 0.2, r: 0.04, q: 0, pv: 2.5 },
    { kind: 'b76', right: 'P', K: 80, T: 0.75, r: 0.05, q: 0, pv: 0 },
    { kind: 'b76', right: 'C', K: 4000, T: 0, r: 0.05, q: 0, pv: 0 }, // expired
    { kind: 'bsm', right: 'P', K: 50, T: 2, r: 0.02, q: 0.01, pv: 0 },
  ];
  for (const base of bases) {
    for (const volShock of [-1, -0.3, 0, 0.3, 1.5]) {
      for (const px of [-0.3, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.3]) {
        const spot = base.K * 1.02;
        legs.push({ ...base, S: spot * (1 + px), vol: 0.3 * (1 + volShock) });
      }
    }
  }
  return legs;
}

function toBatch(legs: Leg[]): OptionBatch {
  const col = (f: (l: Leg) => number) => Float64Array.from(legs, f);
  return {
    S: col((l) => l.S),
    pvDividend: col((l) => l.pv),
    K: col((l) => l.K),
    T: col((l) => l.T),
    r: col((l) => l.r),
    b: col((l) => (l.kind === 'b76' ? 0 : l.r - l.q)),
    vol: col((l) => l.vol),
    isCall: Uint8Array.from(legs, (l) => (l.right === 'C' ? 1 : 0)),
  };
}

describe('batch kernels equal the scalar pricers exactly', () => {
  const legs = grid();
  const batch = toBatch(legs);

  it('europeanPriceBatch === bsmPrice / black76Price, element by element', () => {
    const out = new Float64Array(legs.length);
    europeanPriceBatch(out, batch, legs.length);
    legs.forEach((l, i) => {
      const want =
        l.kind === 'b76'
          ? black76Price({ right: l.right, F: l.S, K: l.K, T: l.T, r: l.r, vol: l.vol })
          : bsmPrice({ right: l.right, S: l.S, K: l.K, T: l.T, r: l.r, q: l.q, pvDividend: l.pv, vol: l.vol });
      expect(Object.is(out[i], want), `leg ${i}: ${out[i]} vs ${want}`).toBe(true);
    });
  });

  it('americanPriceBatch === bsmAmericanPrice / black76AmericanPrice, with the boundary cached across a ladder', () => {
    const out = new Float64Array(legs.length);
    americanPriceBatch(out, batch, legs.length);
    legs.forEach((l, i) => {
      const want =
        l.kind === 'b76'
          ? black76AmericanPrice({ right: l.right, F: l.S, K: l.K, T: l.T, r: l.r, vol: l.vol })
          : bsmAmericanPrice({ right: l.right, S: l.S, K: l.K, T: l.T, r: l.r, q: l.q, pvDividend: l.pv, vol: l.vol });
      expect(Object.is(out[i], want), `leg ${i}: ${out[i]} vs ${want}`).toBe(true);
    });
  });

  it('the cache does not leak between options: shuffled order gives the same prices', () => {
    const order = legs.map((_, i) => i).sort((a, b) => ((a * 7919) % legs.length) - ((b * 7919) % legs.length));
    const shuffled = toBatch(order.map((i) => legs[i]!));
    const a = new Float64Array(legs.length);
    const b = new Float64Array(legs.length);
    americanPriceBatch(a, batch, legs.length);
    americanPriceBatch(b, shuffled, legs.length);
    order.forEach((from, to) => expect(b[to]).toBe(a[from]));
  });

  it('writes only the first n elements', () => {
    const out = new Float64Array(legs.length).fill(-7);
    europeanPriceBatch(out, batch, 10);
    americanPriceBatch(out, batch, 10);
    expect(out[10]).toBe(-7);
    expect(out[legs.length - 1]).toBe(-7);
  });
});

describe('log(S/K) remembered from run to run', () => {
  /** Batch prices against the scalar pricers, element by element, bit for bit. */
  function expectScalar(legs: Leg[]): void {
    const batch = toBatch(legs);
    const eu = new Float64Array(legs.length);
    const am = new Float64Array(legs.length);
    europeanPriceBatch(eu, batch, legs.length);
    americanPriceBatch(am, batch, legs.length);
    legs.forEach((l, i) => {
      const o = { right: l.right, S: l.S, K: l.K, T: l.T, r: l.r, q: l.q, pvDividend: l.pv, vol: l.vol };
      expect(Object.is(eu[i], bsmPrice(o)), `European leg ${i}: ${eu[i]} vs ${bsmPrice(o)}`).toBe(true);
      expect(Object.is(am[i], bsmAmericanPrice(o)), `American leg ${i}: ${am[i]} vs ${bsmAmericanPrice(o)}`).toBe(true);
    });
  }
  const leg = (right: 'C' | 'P', S: number, K: number, vol: number, pv = 0): Leg => ({ kind: 'bsm', right, S, K, T: 0.5, r: 0.05, q: 0.01, pv, vol });

  it('runs longer than the positions remembered (64) price like the scalar pricers', () => {
    const legs: Leg[] = [];
    for (const right of ['P', 'C'] as const) {
      for (const vol of [0.2, 0.3, 0.45]) for (let i = 0; i < 100; i++) legs.push(leg(right, 60 + i * 0.8, 100, vol));
    }
    expectScalar(legs);
  });

  it('runs whose spots, strike or dividend differ at the same positions price like the scalar pricers', () => {
    const legs: Leg[] = [];
    for (const [K, vol, pv] of [
      [100, 0.25, 0],
      [110, 0.35, 0],
      [100, 0.45, 0],
      [100, 0.3, 1.5],
      [100, 0.2, 0],
    ] as const) {
      for (const S of [90, 100, 110]) legs.push(leg('P', S, K, vol, pv));
    }
    // The same length with other spots, then those spots reversed, then degenerate spots.
    for (const vol of [0.3, 0.4]) for (const S of [95, 105, 115, 125]) legs.push(leg('C', S, 100, vol));
    for (const vol of [0.3, 0.4]) for (const S of [125, 115, 105, 95]) legs.push(leg('C', S, 100, vol));
    for (const vol of [0.3, 0.4, 0.5]) for (const S of [0, NaN, 95, 0]) legs.push(leg('P', S, 100, vol));
    expectScalar(legs);
  });

  it('no price depends on an earlier call', () => {
    const a = grid();
    const b = a.map((l) => ({ ...l, S: l.S * 1.01 }));
    const first = new Float64Array(b.length);
    const again = new Float64Array(b.length);
    americanPriceBatch(first, toBatch(b), b.length);
    americanPriceBatch(new Float64Array(a.length), toBatch(a), a.length);
    americanPriceBatch(again, toBatch(b), b.length);
    expect(again).toEqual(first);
  });
});

describe('bareBsmLoop, the benchmark yardstick', () => {
  it('prices regular inputs like the kernel (up to the rounding of b = r − q)', () => {
    const legs = grid().filter((l) => l.kind === 'bsm' && l.pv === 0 && l.T > 0 && l.vol > 0);
    const batch = toBatch(legs);
    const q = Float64Array.from(legs, (l) => l.q);
    const a = new Float64Array(legs.length);
    const b = new Float64Array(legs.length);
    europeanPriceBatch(a, batch, legs.length);
    bareBsmLoop(b, batch.S, batch.K, batch.T, batch.r, q, batch.vol, batch.isCall, legs.length);
    legs.forEach((_, i) => expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-12 * Math.max(1, a[i]!)));
  });
});
