// Scenario shapes shared by the text form, the built-in families and the stress grid (docs/scenarios.md).
import { KNOWN_SEC_TYPES, type AssetClass } from '../model/contract.js';

/**
 * The relative shocks of one scenario. Every move is a fraction (−0.10 is −10%) applied to the live
 * value, never cumulative (Risk Navigator's custom scenarios work the same way, risk-model.md §1.6).
 */
export interface ScenarioShocks {
  /**
   * Price move by the asset class of the instrument that moves: a stock option moves with its STK, an
   * index option with its IND, a futures option with its FUT. Only PRICE_DRIVER_CLASSES appear here.
   */
  readonly px: Readonly<Partial<Record<AssetClass, number>>>;
  /** Price move of one underlying symbol (as IB spells it); replaces the px move for that symbol. */
  readonly sym: Readonly<Record<string, number>>;
  /**
   * Change in value of a currency against the base currency: every amount in that currency, converted
   * to base, is multiplied by (1 + x) (risk-model.md §4.1, X'_c = X_c·(1 + s_c)).
   */
  readonly fx: Readonly<Record<string, number>>;
  /**
   * Parallel move of interest rates in every currency, absolute, as a fraction (0.005 is +50 bp): bonds move
   * through their duration when it is known, rate futures by their quote (contract.ts `rateFutureOf`), and
   * option pricing uses r + rates. Absent means 0 (Risk Navigator's rates axis, −100/−50/0/+50/+100 bp,
   * risk-model.md §1.6).
   */
  readonly rates?: number;
  /** Relative implied-vol move: σ' = σ·(1 + vol); −1 is the floor (zero vol). */
  readonly vol: number;
  /**
   * Vol-coordinated by term (Risk Navigator's volatility-coordinated scenarios, risk-model.md §1.6): the vol move
   * applies in full to options expiring within this many calendar days and scales by √(volTermDays / days to
   * expiry) beyond, so short-dated vol spikes more than long-dated. Absent: the same move for every option.
   */
  readonly volTermDays?: number;
  /** Calendar days forward (T' = T − days/365); a whole number ≥ 0. */
  readonly days: number;
}

/**
 * Which family a scenario comes from: the zero scenario, a built-in family (`grid` is Risk Navigator's
 * price × vol × rates grid), or the user's file.
 */
export type ScenarioFamily = 'base' | 'asset' | 'fx' | 'crash' | 'grid' | 'user';

/** A named scenario. Its id is the canonical text form of its shocks, so equal shocks mean equal ids. */
export interface Scenario {
  readonly id: string;
  readonly label: string;
  readonly family: ScenarioFamily;
  readonly shocks: ScenarioShocks;
}

/**
 * Asset classes that can be "the instrument that moves", in canonical order (KNOWN_SEC_TYPES order).
 * Left out: OPT, FOP and WAR (derivatives move with their underlying), CASH (pairs move with fx
 * shocks, risk-model.md §4.1) and UNKNOWN (not an IB secType).
 */
export const PRICE_DRIVER_CLASSES: readonly AssetClass[] = KNOWN_SEC_TYPES.filter((c) => c !== 'OPT' && c !== 'FOP' && c !== 'WAR' && c !== 'CASH');

/** The zero scenario: nothing moves. */
export const ZERO_SHOCKS: ScenarioShocks = Object.freeze({
  px: Object.freeze({}),
  sym: Object.freeze({}),
  fx: Object.freeze({}),
  vol: 0,
  days: 0,
});
