// Cox-Ross-Rubinstein binomial tree: a slow reference for American prices (tests, and off-tick checks).
import { intrinsic } from './black-scholes.js';
import type { BsmInputs, Exercise } from './types.js';

/** A CRR tree over a continuous-yield stock; escrowed dividends are not modelled here. */
export interface TreeInputs extends Omit<BsmInputs, 'pvDividend'> {
  /** Number of time steps (≥ 1). */
  readonly steps: number;
  readonly exercise: Exercise;
}

/**
 * Price on a CRR tree as in Hull ("Options, Futures, and Other Derivatives", ch. 21): u = e^(σ√Δt),
 * d = 1/u, p = (e^((r−q)Δt) − d)/(u − d). O(steps²) time, one Float64Array of steps + 1: at 100 steps
 * about 50 k prices/s (risk-model.md §5), far too slow for the per-tick grid; BAW is used there.
 * Returns NaN for fewer than one step or inputs where p falls outside [0, 1].
 */
export function crrPrice(o: TreeInputs): number {
  const n = Math.floor(o.steps);
  const isCall = o.right === 'C';
  if (!(n >= 1) || !(o.T > 0) || !(o.vol > 0)) return NaN;
  const dt = o.T / n;
  const u = Math.exp(o.vol * Math.sqrt(dt));
  const d = 1 / u;
  const p = (Math.exp((o.r - (o.q ?? 0)) * dt) - d) / (u - d);
  if (!(p >= 0 && p <= 1)) return NaN;
  const disc = Math.exp(-o.r * dt);
  const american = o.exercise === 'american';
  const u2 = u * u;
  const v = new Float64Array(n + 1);
  let s = o.S * Math.pow(d, n);
  for (let j = 0; j <= n; j++, s *= u2) v[j] = intrinsic(isCall, s, o.K);
  for (let i = n - 1; i >= 0; i--) {
    s = o.S * Math.pow(d, i);
    for (let j = 0; j <= i; j++, s *= u2) {
      const cont = disc * (p * v[j + 1]! + (1 - p) * v[j]!);
      v[j] = american ? Math.max(cont, intrinsic(isCall, s, o.K)) : cont;
    }
  }
  return v[0]!;
}
