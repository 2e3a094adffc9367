// Struct-of-arrays pricing kernels for the scenario grid, plus the bare loop the benchmark compares to.
import {
  bawBoundary, bawCoefficient, bawEarlyExercise, bawExponent, bawFromBoundary,
} from './american.js';
import { escrowedSpot, gbsPrice, intrinsic } from './black-scholes.js';
import { normCdf } from './normal.js';

/*
 * risk-model.md §5: keep position parameters in Float64Arrays (structure of arrays) and revalue every
 * position under every scenario on each rebuild. The kernels write into a caller-owned `out` and
 * allocate nothing, so a grid can reuse its buffers across ticks. Each element goes through the same
 * function as the scalar API (gbsPrice, the BAW pieces), so batch and scalar prices are bit-identical.
 */

/**
 * n options as parallel arrays (each of length ≥ n). One layout serves every model through the cost of
 * carry b: BSM with yield q has b = r − q; Black-76 (futures options) has b = 0 and pvDividend = 0.
 */
export interface OptionBatch {
  /** Spot (stock, index) or futures price, already shocked by the scenario. */
  readonly S: Float64Array;
  /** PV of escrowed dividends subtracted from S (0 when none, always 0 for futures). */
  readonly pvDividend: Float64Array;
  readonly K: Float64Array;
  /** Years to expiry, after any days-forward shift. */
  readonly T: Float64Array;
  readonly r: Float64Array;
  /** Cost of carry: r − q for stocks and indexes, 0 for futures. */
  readonly b: Float64Array;
  /** Volatility, after any vol shock. */
  readonly vol: Float64Array;
  /** 1 for a call, 0 for a put. */
  readonly isCall: Uint8Array;
}

/** European prices (BSM / Black-76 by carry) of the first n options of `o` into out[0..n). */
export function europeanPriceBatch(out: Float64Array, o: OptionBatch, n: number): void {
  const { S, pvDividend, K, T, r, b, vol, isCall } = o;
  for (let i = 0; i < n; i++) {
    out[i] = gbsPrice(isCall[i] === 1, escrowedSpot(S[i]!, pvDividend[i]!), K[i]!, T[i]!, r[i]!, b[i]!, vol[i]!);
  }
}

/**
 * American prices (Barone-Adesi-Whaley on the escrowed spot, floored at intrinsic on the quoted spot;
 * see bsmAmericanPrice) of the first n options into out[0..n). The exercise boundary depends on
 * (call/put, K, T, r, b, vol) but not on spot, so it is solved once per run of consecutive elements
 * that share them: lay a price ladder out innermost and the grid costs about one European price per
 * element.
 */
export function americanPriceBatch(out: Float64Array, o: OptionBatch, n: number): void {
  const { S, pvDividend, K, T, r, b, vol, isCall } = o;
  let cCall = -1, cK = NaN, cT = NaN, cR = NaN, cB = NaN, cVol = NaN;
  let boundary = NaN, coefficient = 0, exponent = NaN;
  for (let i = 0; i < n; i++) {
    const call = isCall[i] === 1;
    const s = S[i]!, k = K[i]!, t = T[i]!, ri = r[i]!, bi = b[i]!, v = vol[i]!;
    const se = escrowedSpot(s, pvDividend[i]!);
    let model: number;
    if (!bawEarlyExercise(call, t, ri, bi, v) || !(se > 0)) {
      model = Math.max(gbsPrice(call, se, k, t, ri, bi, v), intrinsic(call, se, k));
    } else {
      if (isCall[i] !== cCall || k !== cK || t !== cT || ri !== cR || bi !== cB || v !== cVol) {
        cCall = isCall[i]!; cK = k; cT = t; cR = ri; cB = bi; cVol = v;
        exponent = bawExponent(call, t, ri, bi, v);
        boundary = bawBoundary(call, k, t, ri, bi, v);
        coefficient = boundary > 0 ? bawCoefficient(call, boundary, k, t, ri, bi, v, exponent) : 0;
      }
      model = bawFromBoundary(call, se, k, t, ri, bi, v, boundary, coefficient, exponent);
    }
    out[i] = Math.max(model, intrinsic(call, s, k));
  }
}

/**
 * The yardstick for the benchmark's "revaluations per second vs a bare Float64Array Black-Scholes loop"
 * ratio (target ≥ 0.5): textbook BSM with yield q, same Φ, no carry generalisation, no escrowed
 * dividends, no degenerate-input handling. Not for pricing: it returns NaN at T = 0 or vol = 0.
 */
export function bareBsmLoop(
  out: Float64Array, S: Float64Array, K: Float64Array, T: Float64Array, r: Float64Array,
  q: Float64Array, vol: Float64Array, isCall: Uint8Array, n: number,
): void {
  for (let i = 0; i < n; i++) {
    const s = S[i]!, k = K[i]!, t = T[i]!, ri = r[i]!, v = vol[i]!;
    const vs = v * Math.sqrt(t);
    const d1 = (Math.log(s / k) + (ri - q[i]! + 0.5 * v * v) * t) / vs;
    const d2 = d1 - vs;
    const fs = s * Math.exp(-q[i]! * t);
    const fk = k * Math.exp(-ri * t);
    out[i] = isCall[i] === 1 ? fs * normCdf(d1) - fk * normCdf(d2) : fk * normCdf(-d2) - fs * normCdf(-d1);
  }
}
