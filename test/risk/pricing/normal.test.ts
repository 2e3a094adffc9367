// Φ and φ against high-precision reference values; both tails must keep their relative accuracy.
import { describe, expect, it } from 'vitest';
import { normCdf, normPdf } from '../../../src/risk/pricing/normal.js';

// Reference values: mpmath ncdf/npdf at 30 digits (the |x| ≤ 5 ones agree with Abramowitz & Stegun, Table 26.1).
const PHI: readonly [number, number][] = [
  [0, 0.5],
  [0.3, 0.61791142218895264],
  [-0.5, 0.3085375387259869],
  [1, 0.84134474606854295],
  [-1, 0.15865525393145705],
  [1.96, 0.97500210485177957],
  [-1.96, 0.024997895148220434],
  [2.5, 0.99379033467422386],
  [-3, 0.0013498980316300945],
  [-5, 2.8665157187919391e-7],
  [-8, 6.2209605742717841e-16],
  [-10, 7.6198530241605261e-24],
  [-20, 2.7536241186062337e-89],
  [-37, 5.7255712225245768e-300],
];

describe('normCdf', () => {
  it.each(PHI)('Φ(%d) matches the reference to 1e-15 absolute and 1e-13 relative', (x, want) => {
    const got = normCdf(x);
    expect(Math.abs(got - want)).toBeLessThan(1e-15);
    expect(Math.abs(got - want) / want).toBeLessThan(1e-13);
  });

  it('is symmetric: Φ(x) + Φ(−x) = 1', () => {
    for (let x = -8; x <= 8; x += 0.173) expect(normCdf(x) + normCdf(-x)).toBeCloseTo(1, 15);
  });

  it('is monotone across the branch points of the approximation', () => {
    let prev = 0;
    for (let x = -38; x <= 10; x += 0.001) {
      const v = normCdf(x);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });

  it('saturates at the infinities and keeps NaN a NaN', () => {
    expect(normCdf(-Infinity)).toBe(0);
    expect(normCdf(Infinity)).toBe(1);
    expect(normCdf(-40)).toBe(0);
    expect(normCdf(40)).toBe(1);
    expect(normCdf(NaN)).toBeNaN();
  });
});

describe('normPdf', () => {
  it.each([
    [0, 0.39894228040143268],
    [1, 0.24197072451914335],
    [-1.96, 0.05844094433345146],
    [-5, 1.4867195147342977e-6],
  ])('φ(%d) matches the reference', (x, want) => {
    expect(Math.abs(normPdf(x) - want) / want).toBeLessThan(1e-14);
  });
});
