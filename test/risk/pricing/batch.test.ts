// Batch kernels: bit-identical to the scalar pricers, and fast relative to a bare Black-Scholes loop.
import { describe, expect, it } from 'vitest';
import { black76AmericanPrice, bsmAmericanPrice } from '../../../src/risk/pricing/american.js';
import {
  americanLadder,
  americanPriceBatch,
  bareBsmLoop,
  europeanLadder,
  europeanPriceBatch,
  ladderSlots,
  type OptionBatch,
  type OptionLadder,
} from '../../../src/risk/pricing/batch.js';
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

describe('ladder kernels (one option: spots per slot, constants per run) equal the scalar pricers exactly', () => {
  const MOVES = [0, -0.3, -0.2, -0.1, -0.05, 0.05, 0.1, 0.2, 0.3, -1, -1.2];
  /** Runs of (T, r, q, vol) over the slots in a scrambled order, so no element's slot is its position. */
  const runs = [
    { T: 0.5, r: 0.05, q: 0, vol: 0.3 },
    { T: 0.5, r: 0.05, q: 0, vol: 0.3 }, // the same inputs as the run before: its own constants and boundary
    { T: 0.49, r: 0.06, q: 0.02, vol: 0.6 },
    { T: 1.5, r: 0.01, q: 0.04, vol: 0.15 },
    { T: 0, r: 0.05, q: 0, vol: 0.3 }, // expired: intrinsic
    { T: 0.25, r: 0.05, q: 0, vol: 0 }, // zero vol: discounted forward payoff
    { T: 0.25, r: -0.01, q: 0, vol: 0.4 }, // negative rate: no early exercise
    { T: NaN, r: 0.05, q: 0, vol: 0.3 },
  ];
  const slotsOf = (run: number) => MOVES.map((_, u) => (u * 7 + run * 3) % MOVES.length);

  function ladder(isCall: number, K: number, spot: number, pv: number, b76: boolean): OptionLadder {
    const f = (n: number) => new Float64Array(n);
    const slot: number[] = [];
    const end: number[] = [];
    runs.forEach((_, run) => {
      slot.push(...slotsOf(run));
      end.push(slot.length);
    });
    const L: OptionLadder = {
      isCall,
      K,
      S: f(MOVES.length),
      SE: f(MOVES.length),
      LN: f(MOVES.length),
      slot: Int32Array.from(slot),
      T: Float64Array.from(runs, (x) => x.T),
      r: Float64Array.from(runs, (x) => x.r),
      b: Float64Array.from(runs, (x) => (b76 ? 0 : x.r - x.q)),
      vol: Float64Array.from(runs, (x) => x.vol),
      end: Int32Array.from(end),
      runs: runs.length,
    };
    ladderSlots(L, spot, Float64Array.from(MOVES), MOVES.length, pv);
    return L;
  }

  for (const [label, isCall, K, spot, pv, b76] of [
    ['stock put with a dividend', 0, 100, 102, 2.5, false],
    ['stock call', 1, 95, 102, 0, false],
    ['deep stock put', 0, 150, 100, 0, false],
    ['futures put', 0, 4000, 4100, 0, true],
    ['futures call', 1, 4000, 3900, 0, true],
  ] as const) {
    it(`${label}: europeanLadder === bsmPrice / black76Price and americanLadder === the American pricers`, () => {
      const L = ladder(isCall, K, spot, pv, b76);
      const n = L.slot.length;
      const eu = new Float64Array(n);
      const am = new Float64Array(n);
      europeanLadder(eu, L);
      americanLadder(am, L);
      let e = 0;
      runs.forEach((x, run) => {
        for (const u of slotsOf(run)) {
          const S = spot * (1 + MOVES[u]!);
          const right = isCall === 1 ? 'C' : 'P';
          const wantEu = b76
            ? black76Price({ right, F: S, K, T: x.T, r: x.r, vol: x.vol })
            : bsmPrice({ right, S, K, T: x.T, r: x.r, q: x.q, pvDividend: pv, vol: x.vol });
          const wantAm = b76
            ? black76AmericanPrice({ right, F: S, K, T: x.T, r: x.r, vol: x.vol })
            : bsmAmericanPrice({ right, S, K, T: x.T, r: x.r, q: x.q, pvDividend: pv, vol: x.vol });
          // A negative futures price (move −120%) is clamped at 0 by the kernels (escrowedSpot) and is a NaN to black76Price.
          if (!(b76 && S < 0)) {
            expect(Object.is(eu[e], wantEu), `European run ${run} move ${MOVES[u]}: ${eu[e]} vs ${wantEu}`).toBe(true);
            expect(Object.is(am[e], wantAm), `American run ${run} move ${MOVES[u]}: ${am[e]} vs ${wantAm}`).toBe(true);
          }
          e++;
        }
      });
      // And element by element the same doubles as the per-element batch kernels, the clamped spots included.
      const batch: OptionBatch = {
        S: Float64Array.from(L.slot, (u) => L.S[u]!),
        pvDividend: new Float64Array(n).fill(pv),
        K: new Float64Array(n).fill(K),
        T: Float64Array.from(L.slot, (_, i) => L.T[L.end.findIndex((x) => x > i)]!),
        r: Float64Array.from(L.slot, (_, i) => L.r[L.end.findIndex((x) => x > i)]!),
        b: Float64Array.from(L.slot, (_, i) => L.b[L.end.findIndex((x) => x > i)]!),
        vol: Float64Array.from(L.slot, (_, i) => L.vol[L.end.findIndex((x) => x > i)]!),
        isCall: new Uint8Array(n).fill(isCall),
      };
      const euBatch = new Float64Array(n);
      const amBatch = new Float64Array(n);
      europeanPriceBatch(euBatch, batch, n);
      americanPriceBatch(amBatch, batch, n);
      for (let i = 0; i < n; i++) {
        expect(Object.is(eu[i], euBatch[i]), `European element ${i}: ${eu[i]} vs ${euBatch[i]}`).toBe(true);
        expect(Object.is(am[i], amBatch[i]), `American element ${i}: ${am[i]} vs ${amBatch[i]}`).toBe(true);
      }
      // The early-exercise side is reached (a deep put prices at intrinsic somewhere), so the boundary path is covered.
      if (label === 'deep stock put') expect(am.some((v, i) => v > eu[i]! + 1e-9)).toBe(true);
    });
  }
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
