// American option prices: Barone-Adesi-Whaley (1987) quadratic approximation, floored at intrinsic.
import { escrowedSpot, gbsD1, gbsPrice, intrinsic } from './black-scholes.js';
import { exp } from './exp.js';
import { cdfPair, normCdf, normCdfPair, normPdf } from './normal.js';
import type { Black76Inputs, BsmInputs } from './types.js';

/*
 * Why BAW: European BSM understates deep-ITM puts and dividend-paying calls (risk-model.md §3.3), and a
 * CRR tree is ~150× too slow for a per-tick grid (§5: 52 k prices/s at 100 steps). BAW is a closed form
 * plus one root solve for the early-exercise boundary S*, and S* does not depend on spot, so a price
 * ladder over one option solves it once (see americanPriceBatch). Formulas and the Newton seed follow
 * Haug, "The Complete Guide to Option Pricing Formulas" (2nd ed.), §3.3.2.
 *
 * The boundary is split into three exported pieces (boundary, exponent, coefficient) so that the
 * batch kernel can cache them per option and still agree bit for bit with the scalar price.
 */

const MAX_NEWTON = 100;
const REL_TOL = 1e-12;
/*
 * A Halley step this small (relative to S*) leaves an error of order its cube, far inside REL_TOL, so the
 * solve stops after it instead of paying one more evaluation of f only to confirm: 3.7 → 3.0 evaluations
 * per boundary on the benchmark book. Against stopping on REL_TOL alone, on 24,000 random boundaries
 * (vol 3%–300%, T 1 day–5 years, calls and puts, b = 0, r and r − q) no S* moved by more than 4e-12
 * relative (by 7e-15 on the benchmark book); with ./exp.js as well, no price of 400,000 random options moved
 * by more than 5e-16·K.
 */
const STEP_TOL = 1e-6;

/** (2r/σ²) / (1 − e^(−rT)), with its r → 0 limit 2/(σ²T). */
function mOverK(r: number, T: number, v2: number): number {
  const k = -Math.expm1(-r * T);
  return k === 0 ? 2 / (v2 * T) : (2 * r) / v2 / k;
}

/**
 * True when early exercise can pay: a call only when carry b < r (a dividend yield, or a futures
 * option with r > 0); a put only when r > 0. Otherwise the American price is the European one.
 */
export function bawEarlyExercise(isCall: boolean, T: number, r: number, b: number, vol: number): boolean {
  return T > 0 && vol > 0 && (isCall ? b < r : r > 0);
}

/** BAW exponent: q2 (> 1) for calls, q1 (< 0) for puts. NaN when the quadratic has no real root. */
export function bawExponent(isCall: boolean, T: number, r: number, b: number, vol: number): number {
  const v2 = vol * vol;
  const n1 = (2 * b) / v2 - 1;
  const root = Math.sqrt(n1 * n1 + 4 * mOverK(r, T, v2));
  return isCall ? 0.5 * (-n1 + root) : 0.5 * (-n1 - root);
}

/**
 * Critical spot S* (call: exercise at or above it; put: at or below it): the root of BAW's value-matching
 * equation f(s) = 0, by Halley's method from Haug's seed (Newton's step where Halley's would not be
 * safe). `exponent` is bawExponent of the same inputs (pass it when already computed). NaN when the
 * iteration fails; callers then fall back to max(European, intrinsic).
 */
export function bawBoundary(
  isCall: boolean,
  K: number,
  T: number,
  r: number,
  b: number,
  vol: number,
  exponent: number = bawExponent(isCall, T, r, b, vol),
): number {
  cell[0] = K;
  cell[1] = T;
  cell[2] = r;
  cell[3] = b;
  cell[4] = vol;
  cell[5] = exponent;
  boundaryInCell(isCall, cell);
  return cell[6]!;
}

/*
 * Why the solve goes through a Float64Array: bawBoundary is too long for V8 to inline, and a call that is not
 * inlined passes each double argument and its result as a heap number (the grid's 25,000 boundary solves per
 * rebuild allocated about 1 MB that way). The wrappers write their inputs to a cell and are small enough to be
 * inlined; the solve reads them back, so it is the same arithmetic on the same doubles.
 */
const cell = new Float64Array(8);

/** bawSolve's cell: write K, T, r, b, vol at [0..4]; read the exponent at [5], S* at [6] and the coefficient at [7]. */
export const bawCell = new Float64Array(8);

/** bawSolve of these inputs: writes them to bawCell (small enough for V8 to inline, so no heap number per argument). */
export function bawSolveFor(isCall: boolean, K: number, T: number, r: number, b: number, vol: number): void {
  const c = bawCell;
  c[0] = K;
  c[1] = T;
  c[2] = r;
  c[3] = b;
  c[4] = vol;
  bawSolve(isCall);
}

/**
 * bawExponent, bawBoundary and (at a positive boundary) bawCoefficient of the inputs in bawCell, the outputs in it:
 * the same values as the three calls, without a heap number per argument.
 */
export function bawSolve(isCall: boolean): void {
  const c = bawCell;
  const K = c[0]!,
    T = c[1]!,
    r = c[2]!,
    b = c[3]!,
    vol = c[4]!;
  const exponent = bawExponent(isCall, T, r, b, vol);
  c[5] = exponent;
  boundaryInCell(isCall, c);
  const boundary = c[6]!;
  c[7] = boundary > 0 ? bawCoefficient(isCall, boundary, K, T, r, b, vol, exponent) : 0;
}

/** bawBoundary of the inputs at c[0..5] (K, T, r, b, vol, exponent), written to c[6] (NaN when the iteration fails). */
function boundaryInCell(isCall: boolean, c: Float64Array): void {
  const K = c[0]!,
    T = c[1]!,
    r = c[2]!,
    b = c[3]!,
    vol = c[4]!,
    exponent = c[5]!;
  const v2 = vol * vol;
  const sq = Math.sqrt(T);
  const vs = vol * sq;
  const n1 = (2 * b) / v2 - 1;
  const m = (2 * r) / v2;
  const dfb = exp((b - r) * T);
  const qx = exponent;
  // Seed: the perpetual boundary Su, pulled toward K for finite T.
  const qInf = isCall ? 0.5 * (-n1 + Math.sqrt(n1 * n1 + 4 * m)) : 0.5 * (-n1 - Math.sqrt(n1 * n1 + 4 * m));
  const su = K / (1 - 1 / qInf);
  let s = isCall ? K + (su - K) * (1 - exp((-(b * T + 2 * vs) * K) / (su - K))) : su + (K - su) * exp(((b * T - 2 * vs) * K) / (K - su));
  /*
   * The boundary solve dominates the cost of an American grid (risk-model.md §5), so the European price
   * inside the loop is gbsPrice written out with d1 computed once and the discount factors hoisted, and
   * the step is Halley's: with R(s) = European(s) ± (1 − e^((b−r)T)·Φ(±d1))·s/q the right-hand side and
   * f(s) = ±(s − K) − R(s), f' = ±1 − R' (R' = "slope" below) and
   * f'' = −R'' = −e^((b−r)T)·φ(d1)/(s·σ√T)·((1 − 1/q) + d1/(q·σ√T)), the same for calls and puts.
   * Cubic convergence takes Haug's seed to 1e-12 in about three evaluations instead of five (with the
   * STEP_TOL stop, 3.0 on the benchmark book, where it was 3.7).
   */
  const dfr = exp(-r * T);
  const drift = (b + 0.5 * v2) * T;
  const Kdfr = K * dfr;
  const sign = isCall ? 1 : -1;
  for (let i = 0; i < MAX_NEWTON; i++) {
    if (!(s > 0) || !Number.isFinite(s)) {
      c[6] = NaN;
      return;
    }
    const d1 = (Math.log(s / K) + drift) / vs;
    const d2 = d1 - vs;
    const pdf = normPdf(d1);
    let rhs: number, slope: number;
    // Φ(±d1) and Φ(±d2) from one call (normCdfPair): the same doubles as two normCdf.
    cdfPair[0] = isCall ? d1 : -d1;
    cdfPair[1] = isCall ? d2 : -d2;
    normCdfPair();
    if (isCall) {
      const nd1 = cdfPair[0]!;
      rhs = s * dfb * nd1 - Kdfr * cdfPair[1]! + ((1 - dfb * nd1) * s) / qx;
      slope = dfb * nd1 * (1 - 1 / qx) + (1 - (dfb * pdf) / vs) / qx;
    } else {
      const nm1 = cdfPair[0]!;
      rhs = Kdfr * cdfPair[1]! - s * dfb * nm1 - ((1 - dfb * nm1) * s) / qx;
      slope = -dfb * nm1 * (1 - 1 / qx) - (1 + (dfb * pdf) / vs) / qx;
    }
    const f = sign * (s - K) - rhs;
    if (Math.abs(f) <= REL_TOL * K) {
      c[6] = s;
      return;
    }
    const f1 = sign - slope;
    const f2 = -((dfb * pdf) / (s * vs)) * (1 - 1 / qx + d1 / (qx * vs));
    // Halley's correction only while it is a small change to Newton's step (|f·f''| < f'^2).
    if (Math.abs(f * f2) < f1 * f1) {
      const step = (2 * f * f1) / (2 * f1 * f1 - f * f2);
      s -= step;
      if (Math.abs(step) <= STEP_TOL * s) {
        c[6] = s;
        return;
      }
    } else {
      s -= f / f1;
    }
  }
  c[6] = NaN;
}

/** Early-exercise premium coefficient A2 (call) or A1 (put) at the boundary S*. */
export function bawCoefficient(isCall: boolean, boundary: number, K: number, T: number, r: number, b: number, vol: number, exponent: number): number {
  const d1 = gbsD1(boundary, K, T, b, vol);
  const dfb = exp((b - r) * T);
  return isCall ? (boundary / exponent) * (1 - dfb * normCdf(d1)) : -(boundary / exponent) * (1 - dfb * normCdf(-d1));
}

/**
 * BAW price from a precomputed boundary, coefficient and exponent: European + A·(S/S*)^q on the
 * continuation side, intrinsic on the exercise side. A NaN boundary means "no usable boundary".
 */
export function bawFromBoundary(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  vol: number,
  boundary: number,
  coefficient: number,
  exponent: number,
): number {
  const european = gbsPrice(isCall, S, K, T, r, b, vol);
  if (!(boundary > 0)) return Math.max(european, intrinsic(isCall, S, K));
  if (isCall ? S >= boundary : S <= boundary) return intrinsic(isCall, S, K);
  // (S/S*)^q as exp(q·(ln(S/K) − ln(S*/K))) rather than Math.pow: the same power at a fraction of the cost
  // in V8 (./exp.js), and a batch has ln(S/K) from d1 already and ln(S*/K) once per boundary.
  return european + coefficient * exp(exponent * (Math.log(S / K) - Math.log(boundary / K)));
}

/**
 * Barone-Adesi-Whaley American price with cost of carry b (b = r − q stocks, b = 0 futures). Where early
 * exercise never pays it is the European price; expired or zero-vol options are max(European, intrinsic).
 */
export function bawPrice(isCall: boolean, S: number, K: number, T: number, r: number, b: number, vol: number): number {
  if (!bawEarlyExercise(isCall, T, r, b, vol) || !(S > 0)) {
    return Math.max(gbsPrice(isCall, S, K, T, r, b, vol), intrinsic(isCall, S, K));
  }
  const exponent = bawExponent(isCall, T, r, b, vol);
  const boundary = bawBoundary(isCall, K, T, r, b, vol, exponent);
  const coefficient = boundary > 0 ? bawCoefficient(isCall, boundary, K, T, r, b, vol, exponent) : 0;
  return bawFromBoundary(isCall, S, K, T, r, b, vol, boundary, coefficient, exponent);
}

/**
 * American stock or index option: BAW on the escrowed spot S − pvDividend with yield q, then floored at
 * the intrinsic value on the quoted spot, which is what exercising just before an ex-date would pay
 * (risk-model.md §3.3: "max(BSM(S'), intrinsic(S'))" for puts and discrete-dividend calls). TWS gives
 * only the dividends' PV, not their dates, so this floor is the best available early-exercise bound.
 */
export function bsmAmericanPrice(o: BsmInputs): number {
  const isCall = o.right === 'C';
  const q = o.q ?? 0;
  const model = bawPrice(isCall, escrowedSpot(o.S, o.pvDividend ?? 0), o.K, o.T, o.r, o.r - q, o.vol);
  return Math.max(model, intrinsic(isCall, o.S, o.K));
}

/** American futures option (CME FOPs are mostly American, §3.3): BAW with zero carry, floored at intrinsic. */
export function black76AmericanPrice(o: Black76Inputs): number {
  const isCall = o.right === 'C';
  return Math.max(bawPrice(isCall, o.F, o.K, o.T, o.r, 0, o.vol), intrinsic(isCall, o.F, o.K));
}
