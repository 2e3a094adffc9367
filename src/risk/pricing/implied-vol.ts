// Implied volatility from an option price: safeguarded Newton on vega, bisection when Newton can't help.
import { bawPrice } from './american.js';
import { escrowedSpot, gbsGreeks, gbsPrice, intrinsic } from './black-scholes.js';
import type { Black76Inputs, BsmInputs, Exercise } from './types.js';

/** Highest vol searched (1000%): a price that needs more is treated as having no solution. */
export const MAX_IMPLIED_VOL = 10;

const MAX_ITERATIONS = 200;
const VOL_TOL = 1e-12;

/*
 * Price is increasing in vol, so [0, MAX_IMPLIED_VOL] brackets every attainable price. Each step takes
 * the Newton step when it stays inside the current bracket and bisects otherwise (Numerical Recipes
 * "rtsafe"). That converges near expiry, deep in or out of the money and at vol → 0, where vega
 * underflows and plain Newton diverges. Newton starts from Manaster and Koehler's σ0 = √(2|ln(F/K)|/T),
 * the inflection point of price in vol, from which the European iteration is monotone; near the money it
 * starts from Brenner and Subrahmanyam's σ0 ≈ price / (0.4·S·e^((b−r)T)·√T).
 */

/**
 * Vol at which the model price equals `price`, or undefined when there is none: T ≤ 0, a non-finite
 * input, a price below the model's lower bound (the vol-0 value: discounted forward intrinsic for
 * European, intrinsic for American) or above what MAX_IMPLIED_VOL gives. A price at the lower bound
 * returns 0. `S` is the model spot (already net of escrowed dividends); `exerciseSpot` is the quoted
 * spot whose intrinsic value floors an American price.
 */
export function gbsImpliedVol(
  isCall: boolean,
  price: number,
  S: number,
  K: number,
  T: number,
  r: number,
  b: number,
  american: boolean,
  exerciseSpot: number = S,
): number | undefined {
  if (!(T > 0) || ![price, S, K, r, b, exerciseSpot].every(Number.isFinite) || !(K > 0)) return undefined;
  const model = american
    ? (v: number) => Math.max(bawPrice(isCall, S, K, T, r, b, v), intrinsic(isCall, exerciseSpot, K))
    : (v: number) => gbsPrice(isCall, S, K, T, r, b, v);
  const floor = model(0);
  // Rounding noise in a quote exactly at the bound must not turn "zero vol" into "no solution".
  const noise = 1e-12 * Math.max(S, K);
  if (price < floor - noise) return undefined;
  if (price <= floor) return 0;
  let hi = MAX_IMPLIED_VOL;
  if (price > model(hi)) return undefined;
  let lo = 0;
  let x = initialGuess(price, S, K, T, r, b);
  if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const f = model(x) - price;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    // European vega also steers the American search: the bracket keeps any overshoot safe.
    const vega = gbsGreeks(isCall, S, K, T, r, b, x).vega;
    let next = x - f / vega;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) <= VOL_TOL * (1 + x) || hi - lo <= VOL_TOL) return next;
    x = next;
  }
  return x;
}

function initialGuess(price: number, S: number, K: number, T: number, r: number, b: number): number {
  const moneyness = Math.abs(Math.log(S / K) + b * T); // |ln(F/K)|
  if (moneyness > 1e-3) return Math.sqrt((2 * moneyness) / T);
  return price / (0.4 * S * Math.exp((b - r) * T) * Math.sqrt(T));
}

/** Implied vol of a stock or index option (BSM, or BAW when `exercise` is 'american'). */
export function bsmImpliedVol(price: number, o: Omit<BsmInputs, 'vol'>, exercise: Exercise = 'european'): number | undefined {
  const q = o.q ?? 0;
  const S = escrowedSpot(o.S, o.pvDividend ?? 0);
  return gbsImpliedVol(o.right === 'C', price, S, o.K, o.T, o.r, o.r - q, exercise === 'american', o.S);
}

/** Implied vol of a futures option (Black-76, or BAW with zero carry when 'american'). */
export function black76ImpliedVol(price: number, o: Omit<Black76Inputs, 'vol'>, exercise: Exercise = 'european'): number | undefined {
  return gbsImpliedVol(o.right === 'C', price, o.F, o.K, o.T, o.r, 0, exercise === 'american', o.F);
}
