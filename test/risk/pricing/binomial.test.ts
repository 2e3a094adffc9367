// CRR tree against Hull's American put example (risk-model.md §3.5).
import { describe, expect, it } from 'vitest';
import { bsmPrice } from '../../../src/risk/pricing/black-scholes.js';
import { crrPrice } from '../../../src/risk/pricing/binomial.js';

const HULL = { right: 'P', S: 50, K: 50, T: 5 / 12, r: 0.1, vol: 0.4 } as const;

describe('crrPrice', () => {
  // Expected values as printed in risk-model.md §3.5 ("Hull American put, CRR").
  it.each([
    [5, 4.4885],
    [30, 4.2634],
    [50, 4.272],
    [100, 4.2781],
    [500, 4.283],
  ])('Hull American put with %i steps is %d to 1e-4', (steps, want) => {
    expect(Math.abs(crrPrice({ ...HULL, steps, exercise: 'american' }) - want)).toBeLessThanOrEqual(1e-4);
  });

  it('a European tree converges to Black-Scholes (Hull: 4.0760)', () => {
    const tree = crrPrice({ ...HULL, steps: 2000, exercise: 'european' });
    expect(Math.abs(tree - 4.076)).toBeLessThan(2e-3);
    expect(Math.abs(tree - bsmPrice(HULL))).toBeLessThan(2e-3);
  });

  it('an American call on a stock without dividends is worth the European call', () => {
    const o = { ...HULL, right: 'C' as const, steps: 400 };
    expect(crrPrice({ ...o, exercise: 'american' })).toBeCloseTo(crrPrice({ ...o, exercise: 'european' }), 12);
  });

  it('refuses degenerate trees with NaN rather than a wrong number', () => {
    expect(crrPrice({ ...HULL, steps: 0, exercise: 'american' })).toBeNaN();
    expect(crrPrice({ ...HULL, T: 0, steps: 10, exercise: 'american' })).toBeNaN();
    expect(crrPrice({ ...HULL, vol: 0.01, r: 2, steps: 1, exercise: 'american' })).toBeNaN(); // p > 1
  });
});
