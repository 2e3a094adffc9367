// European option prices and greeks: Black-Scholes-Merton (yield q or escrowed pvDividend) and Black-76.
import { normCdf, normPdf } from './normal.js';
import type { Black76Inputs, BsmInputs, Greeks } from './types.js';

/*
 * One generalised formula (Haug, "The Complete Guide to Option Pricing Formulas", §1.1.6) with a cost of
 * carry b serves every model: b = r − q for stocks and indexes, b = 0 for futures (Black-76). The
 * positional `gbs*` functions are the kernels the batch loop calls, so scalar and batch prices agree
 * to the last bit (risk-model.md §5: full revaluation on a Float64Array grid).
 */

/** Payoff if exercised now: max(S − K, 0) for a call, max(K − S, 0) for a put. */
export function intrinsic(isCall: boolean, S: number, K: number): number {
  const v = isCall ? S - K : K - S;
  return v > 0 ? v : 0;
}

/**
 * Spot under the escrowed-dividend model: S minus the PV of dividends to expiry (risk-model.md §3.3),
 * clamped at 0 when pvDividend exceeds the spot (a stale dividend estimate must not make a NaN).
 */
export function escrowedSpot(S: number, pvDividend: number): number {
  const s = S - pvDividend;
  return s < 0 ? 0 : s;
}

/** d1 = (ln(S/K) + (b + σ²/2)T) / (σ√T); d2 = d1 − σ√T. */
export function gbsD1(S: number, K: number, T: number, b: number, vol: number): number {
  return (Math.log(S / K) + (b + 0.5 * vol * vol) * T) / (vol * Math.sqrt(T));
}

/**
 * Generalised Black-Scholes price with cost of carry b. Degenerate inputs take their limits: at or after
 * expiry (T ≤ 0) the intrinsic value; at vol ≤ 0 the discounted payoff of the forward S·e^(bT). A NaN
 * input gives NaN (a missing model vol must not quietly price as zero vol).
 */
export function gbsPrice(isCall: boolean, S: number, K: number, T: number, r: number, b: number, vol: number): number {
  if (!(T > 0)) return T <= 0 ? intrinsic(isCall, S, K) : NaN;
  const dfr = Math.exp(-r * T);
  const dfb = Math.exp((b - r) * T);
  const vs = vol * Math.sqrt(T);
  if (!(vs > 0)) {
    if (!(vs <= 0)) return NaN;
    return isCall ? positive(S * dfb - K * dfr) : positive(K * dfr - S * dfb);
  }
  const d1 = gbsD1(S, K, T, b, vol);
  const d2 = d1 - vs;
  return isCall ? S * dfb * normCdf(d1) - K * dfr * normCdf(d2) : K * dfr * normCdf(-d2) - S * dfb * normCdf(-d1);
}

/**
 * Generalised Black-Scholes price and greeks; rho is ∂V/∂r with b = r − q moving with r (the BSM
 * convention). At the kink of a degenerate case (S = K at expiry, forward = K at zero vol) delta is the
 * mid value and gamma is reported as 0 rather than infinity.
 */
export function gbsGreeks(isCall: boolean, S: number, K: number, T: number, r: number, b: number, vol: number): Greeks {
  if (!(T > 0)) {
    if (!(T <= 0)) return nanGreeks();
    const itm = isCall ? S - K : K - S;
    const delta = itm > 0 ? 1 : itm < 0 ? 0 : 0.5;
    return { price: positive(itm), delta: isCall ? delta : -delta, gamma: 0, vega: 0, theta: 0, rho: 0 };
  }
  const sq = Math.sqrt(T);
  const dfr = Math.exp(-r * T);
  const dfb = Math.exp((b - r) * T);
  const vs = vol * sq;
  if (!(vs > 0) || !(S > 0)) {
    return vs <= 0 || S <= 0 ? deterministicGreeks(isCall, S, K, T, r, b, dfr, dfb) : nanGreeks();
  }
  const d1 = gbsD1(S, K, T, b, vol);
  const d2 = d1 - vs;
  const pdf1 = normPdf(d1);
  const decay = (-S * dfb * pdf1 * vol) / (2 * sq);
  const gamma = (dfb * pdf1) / (S * vs);
  const vega = S * dfb * pdf1 * sq;
  if (isCall) {
    const n1 = normCdf(d1);
    const n2 = normCdf(d2);
    return {
      price: S * dfb * n1 - K * dfr * n2,
      delta: dfb * n1,
      gamma,
      vega,
      theta: decay - (b - r) * S * dfb * n1 - r * K * dfr * n2,
      rho: K * T * dfr * n2,
    };
  }
  const m1 = normCdf(-d1);
  const m2 = normCdf(-d2);
  return {
    price: K * dfr * m2 - S * dfb * m1,
    delta: -dfb * m1,
    gamma,
    vega,
    theta: decay + (b - r) * S * dfb * m1 + r * K * dfr * m2,
    rho: -K * T * dfr * m2,
  };
}

/** Zero vol (or zero spot): the option is its discounted forward payoff; only the ITM side has greeks. */
function deterministicGreeks(isCall: boolean, S: number, K: number, T: number, r: number, b: number, dfr: number, dfb: number): Greeks {
  const fwdItm = isCall ? S * dfb - K * dfr : K * dfr - S * dfb; // discounted (F − K) or (K − F)
  const sign = isCall ? 1 : -1;
  if (fwdItm > 0) {
    return {
      price: fwdItm,
      delta: sign * dfb,
      gamma: 0,
      vega: 0,
      theta: sign * (-(b - r) * S * dfb - r * K * dfr),
      rho: sign * K * T * dfr,
    };
  }
  // At the kink (forward = K) delta takes the mid value; vega's one-point limit there is not kept.
  return { price: 0, delta: fwdItm === 0 && S > 0 ? 0.5 * sign * dfb : 0, gamma: 0, vega: 0, theta: 0, rho: 0 };
}

/** Black-Scholes-Merton price of a European stock or index option (yield q and/or escrowed pvDividend). */
export function bsmPrice(o: BsmInputs): number {
  const q = o.q ?? 0;
  return gbsPrice(o.right === 'C', escrowedSpot(o.S, o.pvDividend ?? 0), o.K, o.T, o.r, o.r - q, o.vol);
}

/**
 * Black-Scholes-Merton greeks. Delta and gamma are with respect to the quoted spot S (the escrowed
 * dividend is a fixed amount, so ∂(S − pvDividend)/∂S = 1); theta holds pvDividend fixed, as TWS
 * re-sends it.
 */
export function bsmGreeks(o: BsmInputs): Greeks {
  const q = o.q ?? 0;
  return gbsGreeks(o.right === 'C', escrowedSpot(o.S, o.pvDividend ?? 0), o.K, o.T, o.r, o.r - q, o.vol);
}

/** Black-76 price of a European option on a futures price F (risk-model.md §3.3: FOPs use Black-76). */
export function black76Price(o: Black76Inputs): number {
  return gbsPrice(o.right === 'C', o.F, o.K, o.T, o.r, 0, o.vol);
}

/** Black-76 greeks; delta and gamma are with respect to F, and rho = −T·V since F does not move with r. */
export function black76Greeks(o: Black76Inputs): Greeks {
  const g = gbsGreeks(o.right === 'C', o.F, o.K, o.T, o.r, 0, o.vol);
  return { ...g, rho: -o.T * g.price };
}

/** A discrete cash dividend: `time` in years from now, `amount` per share. */
export interface Dividend {
  readonly time: number;
  readonly amount: number;
}

/**
 * PV at rate r of the dividends paid before expiry T (0 ≤ time ≤ T), for the escrowed model when TWS
 * sends no pvDividend (Hull, ch. 15 "Dividends"). Dividends after expiry or already paid don't count.
 */
export function pvDividends(dividends: readonly Dividend[], r: number, T: number): number {
  let pv = 0;
  for (const d of dividends) if (d.time >= 0 && d.time <= T) pv += d.amount * Math.exp(-r * d.time);
  return pv;
}

function nanGreeks(): Greeks {
  return { price: NaN, delta: NaN, gamma: NaN, vega: NaN, theta: NaN, rho: NaN };
}

function positive(v: number): number {
  return v > 0 ? v : 0;
}
