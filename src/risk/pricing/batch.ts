// Struct-of-arrays pricing kernels for the scenario grid, plus the bare loop the benchmark compares to.
import { bawCell, bawEarlyExercise, bawSolveFor } from './american.js';
import { escrowedSpot, gbsPrice, intrinsic } from './black-scholes.js';
import { exp } from './exp.js';
import { cdfPair, normCdfPair } from './normal.js';

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

/*
 * Run constants. Along a price ladder (one option, one vol, one rate, one horizon) gbsPrice recomputes
 * the same discount factors, σ√T and d1's drift for every spot. The kernels keep them while (T, r, b, vol)
 * stay the same and evaluate gbsPrice's own expressions in gbsPrice's own order, so every price is still
 * bit-identical to the scalar one; only log(S/K) and the two Φ are paid per element. Degenerate inputs
 * (T ≤ 0, zero vol, NaN) go through gbsPrice itself.
 *
 * log(S/K) across runs. A grid prices the same ladder of spots in every (vol, rate, days) run, so the
 * p-th element of a run usually has the p-th moneyness S/K of the run before. The kernels keep the last
 * logarithm at each position of a run and reuse it when the argument is the same double: exactly
 * Math.log(S/K), for a compare instead of a call that costs about a fifth of a price (on the benchmark
 * book 23 of the 25 runs of an option reuse the logarithms of the run before). The memo is emptied at
 * the start of every kernel call, so no result depends on an earlier call.
 */
const LN_SLOTS = 64;
const lnMemo = new Float64Array(2 * LN_SLOTS); // arguments, then their logarithms

/** Math.log(x) for position p of a run (see above). */
function lnAt(p: number, x: number): number {
  if (p >= LN_SLOTS) return Math.log(x);
  if (lnMemo[p] === x) return lnMemo[LN_SLOTS + p]!;
  const ln = Math.log(x);
  lnMemo[p] = x;
  lnMemo[LN_SLOTS + p] = ln;
  return ln;
}

/**
 * gbsPrice's regular-case expression from d1 and d2: call s·dfb·Φ(d1) − k·dfr·Φ(d2), put k·dfr·Φ(−d2) − s·dfb·Φ(−d1),
 * with both Φ from one call (normCdfPair).
 */
function bsmFromD(call: boolean, s: number, k: number, dfb: number, dfr: number, d1: number, d2: number): number {
  cdfPair[0] = call ? d1 : -d2;
  cdfPair[1] = call ? d2 : -d1;
  normCdfPair();
  return call ? s * dfb * cdfPair[0]! - k * dfr * cdfPair[1]! : k * dfr * cdfPair[0]! - s * dfb * cdfPair[1]!;
}

/** European prices (BSM / Black-76 by carry) of the first n options of `o` into out[0..n). */
export function europeanPriceBatch(out: Float64Array, o: OptionBatch, n: number): void {
  const { S, pvDividend, K, T, r, b, vol, isCall } = o;
  lnMemo.fill(NaN, 0, LN_SLOTS);
  let cT = NaN,
    cR = NaN,
    cB = NaN,
    cVol = NaN;
  let regular = false,
    dfr = 0,
    dfb = 0,
    vs = 0,
    drift = 0,
    den = 0;
  let p = 0; // position in the run
  for (let i = 0; i < n; i++, p++) {
    const t = T[i]!,
      ri = r[i]!,
      bi = b[i]!,
      v = vol[i]!;
    if (t !== cT || ri !== cR || bi !== cB || v !== cVol) {
      cT = t;
      cR = ri;
      cB = bi;
      cVol = v;
      p = 0;
      vs = v * Math.sqrt(t);
      regular = t > 0 && vs > 0;
      if (regular) {
        dfr = Math.exp(-ri * t);
        dfb = Math.exp((bi - ri) * t);
        drift = (bi + 0.5 * v * v) * t;
        den = vs; // the same v·√t, computed once
      }
    }
    const call = isCall[i] === 1;
    const s = escrowedSpot(S[i]!, pvDividend[i]!);
    const k = K[i]!;
    if (!regular) {
      out[i] = gbsPrice(call, s, k, t, ri, bi, v);
      continue;
    }
    const d1 = (lnAt(p, s / k) + drift) / den;
    const d2 = d1 - vs;
    out[i] = bsmFromD(call, s, k, dfb, dfr, d1, d2);
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
  lnMemo.fill(NaN, 0, LN_SLOTS);
  let cCall = -1,
    cK = NaN,
    cT = NaN,
    cR = NaN,
    cB = NaN,
    cVol = NaN;
  let early = false,
    solved = false,
    regular = false;
  let dfr = 0,
    dfb = 0,
    vs = 0,
    drift = 0,
    den = 0;
  let boundary = NaN,
    coefficient = 0,
    exponent = NaN,
    lnBoundary = NaN;
  let p = 0; // position in the run
  for (let i = 0; i < n; i++, p++) {
    const flag = isCall[i]!;
    const call = flag === 1;
    const s = S[i]!,
      k = K[i]!,
      t = T[i]!,
      ri = r[i]!,
      bi = b[i]!,
      v = vol[i]!;
    if (flag !== cCall || k !== cK || t !== cT || ri !== cR || bi !== cB || v !== cVol) {
      cCall = flag;
      cK = k;
      cT = t;
      cR = ri;
      cB = bi;
      cVol = v;
      p = 0;
      early = bawEarlyExercise(call, t, ri, bi, v);
      solved = false;
      vs = v * Math.sqrt(t);
      regular = t > 0 && vs > 0;
      if (regular) {
        dfr = Math.exp(-ri * t);
        dfb = Math.exp((bi - ri) * t);
        drift = (bi + 0.5 * v * v) * t;
        den = vs; // the same v·√t, computed once
      }
    }
    const se = escrowedSpot(s, pvDividend[i]!);
    const american = early && se > 0;
    if (american && !solved) {
      bawSolveFor(call, k, t, ri, bi, v);
      exponent = bawCell[5]!;
      boundary = bawCell[6]!;
      coefficient = bawCell[7]!;
      lnBoundary = Math.log(boundary / k);
      solved = true;
    }
    // bawFromBoundary, except that on the exercise side, where the price is intrinsic, the European
    // price is not computed at all (12% of the benchmark's American elements: deep puts under the
    // down shocks).
    let model: number;
    if (american && boundary > 0 && (call ? se >= boundary : se <= boundary)) {
      model = intrinsic(call, se, k);
    } else {
      let european: number;
      let lnSK = NaN;
      if (regular) {
        lnSK = lnAt(p, se / k);
        const d1 = (lnSK + drift) / den;
        const d2 = d1 - vs;
        // bsmFromD, written out: this kernel is past V8's inlining budget, and a call returns a heap number (16 bytes
        // per price, 2.2 MB per rebuild of the benchmark grid).
        cdfPair[0] = call ? d1 : -d2;
        cdfPair[1] = call ? d2 : -d1;
        normCdfPair();
        european = call ? se * dfb * cdfPair[0]! - k * dfr * cdfPair[1]! : k * dfr * cdfPair[0]! - se * dfb * cdfPair[1]!;
      } else {
        european = gbsPrice(call, se, k, t, ri, bi, v);
      }
      if (!american || !(boundary > 0)) model = Math.max(european, intrinsic(call, se, k));
      else model = european + coefficient * exp(exponent * ((regular ? lnSK : Math.log(se / k)) - lnBoundary));
    }
    out[i] = Math.max(model, intrinsic(call, s, k));
  }
}

/**
 * One option over a scenario grid, as the grid lays it out: elements in runs that share (T, r, b, vol), and each
 * element at one of a few spots (its slot). Across a grid only the spot move and the (vol, rate, horizon) run change,
 * and a grid's columns take their spot from a short ladder (7 moves in the Risk Navigator's), so per option each
 * slot's spot, escrowed spot and ln(S_escrowed/K) are computed once instead of once per element, and the run
 * constants once per run; per element only d1, d2, the two Φ and the price are left. The expressions are
 * gbsPrice's and the BAW pieces', in the same order, so every price is still the same double as the scalar
 * pricer's (test/risk/pricing/batch.test.ts).
 */
export interface OptionLadder {
  /** 1 for a call, 0 for a put; the strike. */
  isCall: number;
  K: number;
  /** Per slot: the quoted spot (or futures price), the escrowed spot S − pvDividend (clamped at 0), ln(escrowed/K). */
  readonly S: Float64Array;
  readonly SE: Float64Array;
  readonly LN: Float64Array;
  /** Per element: its slot. */
  slot: Int32Array;
  /** Per run: its inputs and the end (exclusive) of its elements; runs are consecutive and start at element 0. */
  readonly T: Float64Array;
  readonly r: Float64Array;
  readonly b: Float64Array;
  readonly vol: Float64Array;
  end: Int32Array;
  runs: number;
}

/** A ladder plan's runs and slots as fillLadder reads them (revalue.ts LadderPlan; the pricing worker's copy of it). */
export interface LadderRuns {
  readonly runs: number;
  readonly slots: number;
  /** Per run (run 0: the option now): the columns' vol move, vol term in days, days forward and rate shift. */
  readonly vol: Float64Array;
  readonly volTerm: Float64Array;
  readonly days: Float64Array;
  readonly rates: Float64Array;
  /** Per slot: the price move. */
  readonly moves: Float64Array;
}

/**
 * Fills one option's ladder (its slot and end already the plan's): the runs' T, r, b and vol from the option now
 * (T0, r0, iv; carry 0 for a futures option) and the plan's moves, then the slots' spots. One function for the main
 * thread and the pricing worker, so a ladder is the same doubles whichever thread filled it. False when a run's vol
 * move, scaled down by the term, underflows to 0: the option then takes the per-element batch (revalue.ts).
 */
export function fillLadder(
  L: OptionLadder,
  plan: LadderRuns,
  T0: number,
  r0: number,
  iv: number,
  futures: boolean,
  isCall: number,
  K: number,
  spot: number,
  pvDividend: number,
): boolean {
  const termDays = T0 * 365;
  const { T, r, b, vol } = L;
  T[0] = T0;
  r[0] = r0;
  b[0] = futures ? 0 : r0;
  vol[0] = iv;
  for (let run = 1; run < plan.runs; run++) {
    // volMoveAt, inlined: the column's move, scaled down for a term longer than the column's vol term.
    const vj = plan.vol[run]!,
      term = plan.volTerm[run]!;
    const v = term === 0 || vj === 0 || termDays <= term ? vj : vj * Math.sqrt(term / termDays);
    if (v === 0 && vj !== 0) return false;
    T[run] = T0 - plan.days[run]! / 365;
    const rk = r0 + plan.rates[run]!;
    r[run] = rk;
    b[run] = futures ? 0 : rk;
    vol[run] = iv * (1 + v);
  }
  L.isCall = isCall;
  L.K = K;
  ladderSlots(L, spot, plan.moves, plan.slots, pvDividend);
  return true;
}

/** Fills the per-slot spots of a ladder from `spot`: S = spot·(1 + move), as a batch's S would hold them. */
export function ladderSlots(L: OptionLadder, spot: number, moves: Float64Array, slots: number, pvDividend: number): void {
  const { S, SE, LN, K } = L;
  for (let u = 0; u < slots; u++) {
    const s = spot * (1 + moves[u]!);
    const se = escrowedSpot(s, pvDividend);
    S[u] = s;
    SE[u] = se;
    LN[u] = Math.log(se / K);
  }
}

/** European prices (BSM / Black-76 by carry) of every element of the ladder into out (the same doubles as europeanPriceBatch). */
export function europeanLadder(out: Float64Array, L: OptionLadder): void {
  const { SE, LN, slot, T, r, b, vol, end } = L;
  const call = L.isCall === 1;
  const k = L.K;
  let e = 0;
  for (let run = 0; run < L.runs; run++) {
    const t = T[run]!,
      ri = r[run]!,
      bi = b[run]!,
      v = vol[run]!;
    const stop = end[run]!;
    const vs = v * Math.sqrt(t);
    if (!(t > 0 && vs > 0)) {
      for (; e < stop; e++) out[e] = gbsPrice(call, SE[slot[e]!]!, k, t, ri, bi, v);
      continue;
    }
    const dfr = Math.exp(-ri * t);
    const dfb = Math.exp((bi - ri) * t);
    const drift = (bi + 0.5 * v * v) * t;
    for (; e < stop; e++) {
      const u = slot[e]!;
      const d1 = (LN[u]! + drift) / vs;
      out[e] = bsmFromD(call, SE[u]!, k, dfb, dfr, d1, d1 - vs);
    }
  }
}

/**
 * American prices (Barone-Adesi-Whaley on the escrowed spot, floored at intrinsic on the quoted spot) of every
 * element of the ladder into out: americanPriceBatch's expressions, with the boundary solved once per run (and only
 * when an element of the run needs it, as there).
 */
export function americanLadder(out: Float64Array, L: OptionLadder): void {
  const { S, SE, LN, slot, T, r, b, vol, end } = L;
  const call = L.isCall === 1;
  const k = L.K;
  let e = 0;
  for (let run = 0; run < L.runs; run++) {
    const t = T[run]!,
      ri = r[run]!,
      bi = b[run]!,
      v = vol[run]!;
    const stop = end[run]!;
    const early = bawEarlyExercise(call, t, ri, bi, v);
    let solved = false;
    const vs = v * Math.sqrt(t);
    const regular = t > 0 && vs > 0;
    let dfr = 0,
      dfb = 0,
      drift = 0;
    if (regular) {
      dfr = Math.exp(-ri * t);
      dfb = Math.exp((bi - ri) * t);
      drift = (bi + 0.5 * v * v) * t;
    }
    let boundary = NaN,
      coefficient = 0,
      exponent = NaN,
      lnBoundary = NaN;
    for (; e < stop; e++) {
      const u = slot[e]!;
      const s = S[u]!,
        se = SE[u]!;
      const american = early && se > 0;
      if (american && !solved) {
        bawSolveFor(call, k, t, ri, bi, v);
        exponent = bawCell[5]!;
        boundary = bawCell[6]!;
        coefficient = bawCell[7]!;
        lnBoundary = Math.log(boundary / k);
        solved = true;
      }
      // intrinsic(), written out for the same reason as bsmFromD below.
      const xe = call ? se - k : k - se;
      const exercise = xe > 0 ? xe : 0;
      let model: number;
      if (american && boundary > 0 && (call ? se >= boundary : se <= boundary)) {
        model = exercise;
      } else {
        let european: number;
        if (regular) {
          // bsmFromD, written out, as in americanPriceBatch.
          const d1 = (LN[u]! + drift) / vs;
          const d2 = d1 - vs;
          cdfPair[0] = call ? d1 : -d2;
          cdfPair[1] = call ? d2 : -d1;
          normCdfPair();
          european = call ? se * dfb * cdfPair[0]! - k * dfr * cdfPair[1]! : k * dfr * cdfPair[0]! - se * dfb * cdfPair[1]!;
        } else european = gbsPrice(call, se, k, t, ri, bi, v);
        if (!american || !(boundary > 0)) model = Math.max(european, exercise);
        else model = european + coefficient * exp(exponent * (LN[u]! - lnBoundary));
      }
      const xq = call ? s - k : k - s;
      out[e] = Math.max(model, xq > 0 ? xq : 0);
    }
  }
}

/** The model a ladder is priced with: 0 European (BSM / Black-76 by carry), 1 American stock or index option, 2 American futures option. */
export type LadderModel = 0 | 1 | 2;

/**
 * The first `elements` prices of a ladder into out, by model: the grid's one way to price a ladder, on the main thread
 * and in the pricing worker alike (src/risk/price-pool.ts), so a price does not depend on which thread computed it.
 */
export function priceLadder(out: Float64Array, L: OptionLadder, model: LadderModel, elements: number): void {
  if (model === 0) europeanLadder(out, L);
  else if (model === 1 && L.isCall === 1) {
    // A stock call priced on the escrowed spot with carry b = r never exercises early under BAW, so the American
    // kernel would return max(European(S − pv), intrinsic(S)): the same value, computed directly.
    europeanLadder(out, L);
    const { S, slot } = L;
    const strike = L.K;
    for (let e = 0; e < elements; e++) {
      const s = S[slot[e]!]!;
      const exercise = s > strike ? s - strike : 0;
      if (exercise > out[e]!) out[e] = exercise;
    }
  } else americanLadder(out, L);
}

/**
 * The yardstick for the benchmark's "revaluations per second vs a bare Float64Array Black-Scholes loop"
 * ratio (target ≥ 0.5): textbook BSM with yield q, same Φ, no carry generalisation, no escrowed
 * dividends, no degenerate-input handling. Not for pricing: it returns NaN at T = 0 or vol = 0.
 */
export function bareBsmLoop(
  out: Float64Array,
  S: Float64Array,
  K: Float64Array,
  T: Float64Array,
  r: Float64Array,
  q: Float64Array,
  vol: Float64Array,
  isCall: Uint8Array,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const s = S[i]!,
      k = K[i]!,
      t = T[i]!,
      ri = r[i]!,
      v = vol[i]!;
    const vs = v * Math.sqrt(t);
    const d1 = (Math.log(s / k) + (ri - q[i]! + 0.5 * v * v) * t) / vs;
    const d2 = d1 - vs;
    const fs = s * Math.exp(-q[i]! * t);
    const fk = k * Math.exp(-ri * t);
    // Both Φ from one call, as the kernels take them: the yardstick gets every speed-up of Φ the grid gets.
    const call = isCall[i] === 1;
    cdfPair[0] = call ? d1 : -d2;
    cdfPair[1] = call ? d2 : -d1;
    normCdfPair();
    out[i] = call ? fs * cdfPair[0]! - fk * cdfPair[1]! : fk * cdfPair[0]! - fs * cdfPair[1]!;
  }
}
