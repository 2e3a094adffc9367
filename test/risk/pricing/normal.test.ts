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

/*
 * The Φ in use before normCdf computed its exponential with ./exp.js instead of Math.exp (and before the
 * heap-number-free call): W. J. Cody's CALERF as it was, kept here as the reference the new one must match.
 */
function codyWithMathExp(x: number): number {
  const a = Math.abs(x);
  const y = a * Math.SQRT1_2;
  if (y <= 0.46875) {
    const z = y * y;
    let num = 0.185777706184603153 * z;
    let den = z;
    num = (num + 3.1611237438705656) * z;
    den = (den + 23.6012909523441209) * z;
    num = (num + 113.864154151050156) * z;
    den = (den + 244.024637934444173) * z;
    num = (num + 377.485237685302021) * z;
    den = (den + 1282.61652607737228) * z;
    const erf = (y * (num + 3209.37758913846947)) / (den + 2844.23683343917062);
    return x < 0 ? 0.5 - 0.5 * erf : 0.5 + 0.5 * erf;
  }
  let tail: number;
  if (y <= 4) {
    let num = 2.15311535474403846e-8 * y;
    let den = y;
    num = (num + 0.564188496988670089) * y;
    den = (den + 15.7449261107098347) * y;
    num = (num + 8.88314979438837594) * y;
    den = (den + 117.693950891312499) * y;
    num = (num + 66.1191906371416295) * y;
    den = (den + 537.181101862009858) * y;
    num = (num + 298.635138197400131) * y;
    den = (den + 1621.38957456669019) * y;
    num = (num + 881.95222124176909) * y;
    den = (den + 3290.79923573345963) * y;
    num = (num + 1712.04761263407058) * y;
    den = (den + 4362.61909014324716) * y;
    num = (num + 2051.07837782607147) * y;
    den = (den + 3439.36767414372164) * y;
    tail = (0.5 * Math.exp(-0.5 * a * a) * (num + 1230.33935479799725)) / (den + 1230.33935480374942);
  } else if (y < 26.6) {
    const w = 1 / (y * y);
    let num = 0.0163153871373020978 * w;
    let den = w;
    num = (num + 0.305326634961232344) * w;
    den = (den + 2.56852019228982242) * w;
    num = (num + 0.360344899949804439) * w;
    den = (den + 1.87295284992346047) * w;
    num = (num + 0.125781726111229246) * w;
    den = (den + 0.527905102951428412) * w;
    num = (num + 0.0160837851487422766) * w;
    den = (den + 0.0605183413124413191) * w;
    const r = (w * (num + 6.58749161529837803e-4)) / (den + 2.33520497626869185e-3);
    tail = (0.5 * Math.exp(-0.5 * a * a) * (0.56418958354775628695 - r)) / y;
  } else {
    tail = a === a ? 0 : NaN;
  }
  return x < 0 ? tail : 1 - tail;
}

describe('normCdf against the Math.exp version it replaced', () => {
  it('agrees to 1e-14 relative and 2.3e-16 absolute over [−38, 10], tails and branch points included', () => {
    const xs: number[] = [];
    for (let x = -38; x <= 10; x += 0.00173) xs.push(x);
    // Cody's branch points (|x|/√2 = 0.46875, 4, 26.6) and their neighbours.
    for (const b of [0.46875, 4, 26.6]) {
      const x = b * Math.SQRT2;
      xs.push(x, -x, x * (1 + 1e-15), -x * (1 + 1e-15), x * (1 - 1e-15), -x * (1 - 1e-15));
    }
    let worstRel = 0;
    let worstAbs = 0;
    for (const x of xs) {
      const got = normCdf(x);
      const want = codyWithMathExp(x);
      const d = Math.abs(got - want);
      worstAbs = Math.max(worstAbs, d);
      if (want > 0) worstRel = Math.max(worstRel, d / want);
      else expect(got).toBe(want);
    }
    expect(worstRel).toBeLessThan(1e-14);
    expect(worstAbs).toBeLessThanOrEqual(2.3e-16);
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
