// Minimal option pricing for the simulator's own marks and greeks: Black-Scholes-Merton and Black-76.
// The console's real risk engine lives in src/risk; this file must stay independent of it, so that the
// simulator is a second, independent implementation the risk engine can be checked against.

export type Right = 'C' | 'P';

/** Price and greeks in TWS units: vega per 1 vol point (0.01), theta per calendar day. */
export interface OptionValue {
  readonly price: number;
  readonly delta: number;
  readonly gamma: number;
  readonly vega: number;
  readonly theta: number;
}

const INV_SQRT_2PI = 0.3989422804014327;

export function normPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * Standard normal CDF: Hart's (1968) double-precision algorithm as given by G. West (2005), "Better
 * approximations to cumulative normal functions" (accurate to about 1e-14).
 */
export function normCdf(x: number): number {
  const z = Math.abs(x);
  let c: number;
  if (z > 37) {
    c = 0;
  } else {
    const e = Math.exp((-z * z) / 2);
    if (z < 7.07106781186547) {
      let n = 3.52624965998911e-2 * z + 0.700383064443688;
      n = n * z + 6.37396220353165;
      n = n * z + 33.912866078383;
      n = n * z + 112.079291497871;
      n = n * z + 221.213596169931;
      n = n * z + 220.206867912376;
      let d = 8.83883476483184e-2 * z + 1.75566716318264;
      d = d * z + 16.064177579207;
      d = d * z + 86.7807322029461;
      d = d * z + 296.564248779674;
      d = d * z + 637.333633378831;
      d = d * z + 793.826512519948;
      d = d * z + 440.413735824752;
      c = (e * n) / d;
    } else {
      let b = z + 0.65;
      b = z + 4 / b;
      b = z + 3 / b;
      b = z + 2 / b;
      b = z + 1 / b;
      c = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - c : c;
}

/**
 * Black-Scholes-Merton with continuous dividend yield q. T in years (ACT/365), rates continuous.
 * At or after expiry the option is worth its intrinsic value and has no time value greeks.
 */
export function bsm(S: number, K: number, T: number, r: number, q: number, sigma: number, right: Right): OptionValue {
  const call = right === 'C';
  if (!(T > 0) || !(sigma > 0) || !(S > 0) || !(K > 0)) {
    const intrinsic = Math.max(0, call ? S - K : K - S);
    const itm = call ? S > K : K > S;
    return { price: intrinsic, delta: itm ? (call ? 1 : -1) : 0, gamma: 0, vega: 0, theta: 0 };
  }
  const sqrtT = Math.sqrt(T);
  const d1 = (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / (sigma * sqrtT);
  const d2 = d1 - sigma * sqrtT;
  const dfR = Math.exp(-r * T);
  const dfQ = Math.exp(-q * T);
  const pdf = normPdf(d1);
  const gamma = (dfQ * pdf) / (S * sigma * sqrtT);
  const vega = (S * dfQ * pdf * sqrtT) / 100;
  const decay = -(S * dfQ * pdf * sigma) / (2 * sqrtT);
  if (call) {
    const nd1 = normCdf(d1);
    const nd2 = normCdf(d2);
    const thetaYear = decay - r * K * dfR * nd2 + q * S * dfQ * nd1;
    return { price: S * dfQ * nd1 - K * dfR * nd2, delta: dfQ * nd1, gamma, vega, theta: thetaYear / 365 };
  }
  const nmd1 = normCdf(-d1);
  const nmd2 = normCdf(-d2);
  const thetaYear = decay + r * K * dfR * nmd2 - q * S * dfQ * nmd1;
  return { price: K * dfR * nmd2 - S * dfQ * nmd1, delta: -dfQ * nmd1, gamma, vega, theta: thetaYear / 365 };
}

/** Black-76 on a futures price F: BSM with q = r (delta is with respect to F). */
export function black76(F: number, K: number, T: number, r: number, sigma: number, right: Right): OptionValue {
  return bsm(F, K, T, r, r, sigma, right);
}

/**
 * Implied volatility by bisection on [0.001, 5]; undefined when the price is outside the no-arbitrage
 * band (TWS then sends -1 "not computed", which is what the caller should do).
 */
export function impliedVol(price: number, S: number, K: number, T: number, r: number, q: number, right: Right): number | undefined {
  if (!(T > 0) || !(price > 0)) return undefined;
  let lo = 0.001;
  let hi = 5;
  const f = priceLessTarget(S, K, T, r, q, right, price);
  if (f(lo) > 0 || f(hi) < 0) return undefined;
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) > 0) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * `sigma => bsm(S, K, T, r, q, sigma, right).price - target`, bit for bit, for the 62 evaluations of one bisection:
 * the terms that do not depend on sigma are computed once, and no greeks (each bisection step computed all four and
 * threw them away; two bisections per option per market step were most of the simulator's quoting cost).
 */
function priceLessTarget(S: number, K: number, T: number, r: number, q: number, right: Right, target: number): (sigma: number) => number {
  if (!(S > 0) || !(K > 0) || !(T > 0)) return (sigma) => bsm(S, K, T, r, q, sigma, right).price - target;
  const sqrtT = Math.sqrt(T);
  const logSK = Math.log(S / K);
  const carry = r - q;
  const sDfQ = S * Math.exp(-q * T);
  const kDfR = K * Math.exp(-r * T);
  const call = right === 'C';
  return (sigma) => {
    if (!(sigma > 0)) return bsm(S, K, T, r, q, sigma, right).price - target;
    // The same operations in the same order as bsm: d1 = (log(S/K) + (r - q + sigma²/2)·T) / (sigma·√T).
    const d1 = (logSK + (carry + 0.5 * sigma * sigma) * T) / (sigma * sqrtT);
    const d2 = d1 - sigma * sqrtT;
    return (call ? sDfQ * normCdf(d1) - kDfR * normCdf(d2) : kDfR * normCdf(-d2) - sDfQ * normCdf(-d1)) - target;
  };
}
