// Shared input and output shapes of the option pricers (float64; units stated on each field).
import type { OptionRight } from '../../model/contract.js';

export type { OptionRight };

/** Exercise style: European, or American (priced with Barone-Adesi-Whaley, floored at intrinsic). */
export type Exercise = 'european' | 'american';

/**
 * A stock or index option under Black-Scholes-Merton. Times in years, rates and vol as decimals
 * (0.05 = 5%), continuously compounded.
 */
export interface BsmInputs {
  readonly right: OptionRight;
  /** Spot price of the underlying. */
  readonly S: number;
  readonly K: number;
  /** Time to expiry in years. */
  readonly T: number;
  /** Risk-free rate, continuously compounded. */
  readonly r: number;
  /** Continuous dividend yield (indexes); default 0. */
  readonly q?: number;
  /**
   * Present value of the discrete dividends paid before expiry (TWS `pvDividend` in option computation
   * ticks); the model prices on S − pvDividend (escrowed dividends, risk-model.md §3.3). Default 0.
   */
  readonly pvDividend?: number;
  /** Volatility, annualised (0.2 = 20%). */
  readonly vol: number;
}

/** A futures option under Black-76: the future F replaces the spot and the carry is zero. */
export interface Black76Inputs {
  readonly right: OptionRight;
  /** Futures price. */
  readonly F: number;
  readonly K: number;
  readonly T: number;
  readonly r: number;
  readonly vol: number;
}

/**
 * Price and sensitivities, each per unit of its input: vega per 1.00 of vol (divide by 100 for a vol
 * point), theta per year (divide by 365 for a calendar day), rho per 1.00 of rate.
 */
export interface Greeks {
  readonly price: number;
  /** ∂V/∂S (Black-76: ∂V/∂F). */
  readonly delta: number;
  readonly gamma: number;
  readonly vega: number;
  /** ∂V/∂t = −∂V/∂T, with rates, yield and pvDividend held fixed. */
  readonly theta: number;
  /** ∂V/∂r; for BSM the yield q is held fixed, for Black-76 the futures price is. */
  readonly rho: number;
}
