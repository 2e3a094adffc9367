// The pricers' e^x: as accurate as Math.exp (within an ulp of the true value), and Math.exp itself at the edges.
import { describe, expect, it } from 'vitest';
import { exp } from '../../../src/risk/pricing/exp.js';

/** Distance in units in the last place of `want`. */
function ulps(got: number, want: number): number {
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want))) - 52);
  return Math.abs(got - want) / ulp;
}

// e^x rounded to the nearest double, from mpmath at 200 bits.
const REFERENCE: readonly [number, number][] = [
  [1, 2.718281828459045],
  [-1, 0.36787944117144233],
  [0.5, 1.6487212707001282],
  [-4.5, 0.011108996538242306],
  [1e-10, 1.0000000001],
  [-3.7, 0.02472352647033939],
  [10, 22026.465794806718],
  [-20, 2.061153622438558e-9],
  [100, 2.6881171418161356e43],
  [-700, 9.85967654375977e-305],
  [700, 1.0142320547350045e304],
  [-0.0108, 0.9892581106136482],
  [0.0108, 1.010858530520097],
];

describe('exp', () => {
  it.each(REFERENCE)('e^%d is the correctly rounded value or its neighbour', (x, want) => {
    expect(ulps(exp(x), want)).toBeLessThanOrEqual(1);
  });

  it('is exact where e^x is: e^0 = 1', () => {
    expect(exp(0)).toBe(1);
    expect(exp(-0)).toBe(1);
  });

  it('is within an ulp of Math.exp over the whole range it computes itself (both are faithful roundings)', () => {
    let worst = 0;
    for (let x = -707.9; x < 709; x += 0.0131) worst = Math.max(worst, ulps(exp(x), Math.exp(x)));
    for (let x = -40; x < 1; x += 1 / 1024 + 1e-9) worst = Math.max(worst, ulps(exp(x), Math.exp(x)));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('is Math.exp itself where the result is subnormal, overflows or is not a number', () => {
    for (const x of [-708.5, -720, -745, -746, -Infinity, 709.5, 709.78, 710, Infinity, NaN]) {
      expect(Object.is(exp(x), Math.exp(x))).toBe(true);
    }
  });
});
