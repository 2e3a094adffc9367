// Stress parameters: the explicit inputs of the risk engine besides state and scenarios, with defaults and one validator.
import type { AssetClass } from '../model/contract.js';

/*
 * Risk code has no clock and no globals (STYLE.md "Risk core"): the valuation time, rates and margin
 * rules arrive here. Every number carries its source in risk-model.md; the margin numbers feed an
 * *estimate* that is calibrated to the account's reported requirement at zero shock (docs/stress-model.md).
 */

/** An announced cash dividend: the stock trades without it from the start of `exDate` (taken as 00:00 UTC). */
export interface CashDividend {
  readonly exDate: string;
  readonly amount: number;
}

/** Reg T-style rules (risk-model.md §1.4) and the stand-ins used when a segment is not reported. */
export interface MarginRules {
  /** Long stock: initial 50% (Reg T end of day), maintenance 25% (IBKR), §1.4. */
  readonly stockLongInit: number;
  readonly stockLongMaint: number;
  /** Short stock: initial 30%; maintenance 30% above $16.67, then $5/share, 100%, $2.50/share (§1.4). */
  readonly stockShortInit: number;
  readonly stockShortMaint: number;
  /** Naked short option: premium + max(base·S − OTM, min·(S for calls, K for puts)); 15% for broad indexes (§1.4). */
  readonly optionBasePct: number;
  readonly indexOptionBasePct: number;
  readonly optionMinPct: number;
  /** US Treasury 5–10 years: 5% (§1.4 bonds table); one rate for every bond. */
  readonly bondPct: number;
  /**
   * Default SPAN price scan range of a futures family as a share of its price at zero shock, held in points
   * (`span.scanRanges` overrides it per symbol). 8% is close to CME outright maintenance for ES and CL (§2.3:
   * PSR ≈ outright maintenance); the commodity segment is calibrated to its reported requirement.
   */
  readonly futuresPct: number;
  /**
   * Protective put and collar: min(this·Kput + put OTM, 25%·S or 25%·Kcall) per share; conversion: this·K
   * (IBKR "US Options Margin" strategy table, §1.4).
   */
  readonly protectivePct: number;
  /** Positions without loan value at IBKR (crypto, commodities, unknown types): requirement = this share of value. */
  readonly nonMarginablePct: number;
  /** FX haircut on negative currency balances, [initial, maintenance] by currency (§2.5 current table). */
  readonly fx: Readonly<Record<string, readonly [number, number]>>;
  /** Haircut for a currency missing from `fx`: 5% / 5% (§2.5, the HUF/ILS/PLN/SGD/ZAR row). */
  readonly fxDefault: readonly [number, number];
}

/**
 * SPAN-style scan of a futures family (risk-model.md §2.3): 16 scenarios, the price moved by 0, ±1/3, ±2/3 and ±3/3
 * of the price scan range with vol up and down, and two extreme moves counted at a fraction.
 */
export interface SpanRules {
  /**
   * Price scan range in points per unit of the underlying, by IB symbol (the exchange's outright maintenance per
   * contract divided by the multiplier, as TWS quotes it). A family not listed scans `futuresPct` of its price at
   * zero shock, held in points in every scenario; the commodity segment is then calibrated to the reported one.
   */
  readonly scanRanges: Readonly<Record<string, number>>;
  /** Volatility scan, relative (assumed: CME sets it per product and does not publish it with the margins). */
  readonly volRange: number;
  /** Extreme moves: this multiple of the range, the loss counted at `extremeCoverage` (CME: 3 and 33%). */
  readonly extremeMultiple: number;
  readonly extremeCoverage: number;
  /** Short option minimum per unit: this share of the scan range (assumed; CME sets a fixed amount per contract). */
  readonly shortOptionMinShare: number;
  /** Intra-commodity spread charge: this share of the scan range on offsetting long and short futures (assumed). */
  readonly spreadChargeShare: number;
  /** Look-ahead of the scan, in days (CME: one day of time decay). */
  readonly lookAheadDays: number;
}

/** OCC TIMS-like portfolio-margin scan (risk-model.md §0.4, §1.5, §2.1). */
export interface PortfolioMarginRules {
  /** Equities, ETFs, narrow indexes: ±15%. */
  readonly equityRange: number;
  /** High-cap broad-based indexes: −8% / +6%. */
  readonly highCapDown: number;
  readonly highCapUp: number;
  /** Other broad-based indexes: ±10%. */
  readonly indexRange: number;
  /** Relative implied-vol scan: ±15% single stocks, ±75% broad indexes (IBKR house, §1.5). */
  readonly volStock: number;
  readonly volIndex: number;
  /** Points on each side of zero (TIMS: 10 valuation points, 5 up and 5 down). */
  readonly pointsPerSide: number;
  /** Minimum per listed option contract: $0.375 × multiplier (FINRA 4210(g)). */
  readonly perContractMin: number;
}

/** Single-name concentration (src/risk/concentration.ts, docs/stress-model.md "Names"). */
export interface ConcentrationRules {
  /** An underlying at or above this share of gross exposure gets its own jump scenarios (assumed 10%). */
  readonly share: number;
  /** Jump size both ways: ±30%, IBKR's concentration stress of the two riskiest class groups (§1.5, TIMS-based). */
  readonly jump: number;
  /** This many largest underlyings get their own liquidation distance. */
  readonly names: number;
}

export type MarginMethod = 'regT' | 'portfolio';
/** The setting: a method, or `auto` to decide it from what TWS reports (margin-method.ts). */
export type MarginMethodSetting = MarginMethod | 'auto';

export interface StressParams {
  /** Valuation time, epoch ms. Required: risk code has no clock. */
  readonly now: number;
  /**
   * Option time runs on a clock rounded down to this step (default one hour), so that option vectors
   * change only when an input changes or the step rolls over (risk-model.md §5.6: date roll).
   */
  readonly clockStepMs: number;
  /**
   * A grid rebuild of a book with at least this many options prices them on a worker thread as well as the main
   * thread (src/risk/price-pool.ts: the same prices, sooner on a machine with a core to spare); 0 turns the worker
   * off. Smaller books never start the thread.
   */
  readonly pricingWorkerMinOptions: number;
  /**
   * Hour (New York time) at which an option expires on its expiry date: 16 is the US close, which is 20:00 or
   * 21:00 UTC depending on daylight-saving time (src/risk/expiry.ts).
   */
  readonly expiryHourNewYork: number;
  /**
   * Continuously compounded risk-free rate by currency (DEFAULT_RATES, merged per currency with the input);
   * `defaultRate` for the others.
   */
  readonly rates: Readonly<Record<string, number>>;
  readonly defaultRate: number;
  /** `auto` is resolved when a grid is built (margin-method.ts); the grid's own params always carry a method. */
  readonly marginMethod: MarginMethodSetting;
  readonly margin: MarginRules;
  readonly portfolioMargin: PortfolioMarginRules;
  readonly span: SpanRules;
  readonly concentration: ConcentrationRules;
  /**
   * US Reg T: option values carry no loan value, so EquityWithLoanValue excludes them (risk-model.md §1.2).
   * Set true for risk-based (EU) accounts where ELV = NLV (§1.1, unverified).
   */
  readonly optionsHaveLoanValue: boolean;
  /** Option underlyings that are indexes (options on them move with px:IND and are European). */
  readonly indexSymbols: readonly string[];
  /** Broad-based indexes: 15% Reg T base (§1.4) and the TIMS index ranges (§2.1). */
  readonly broadIndexSymbols: readonly string[];
  /** High-capitalisation broad-based indexes: TIMS −8% / +6% (§2.1). */
  readonly highCapIndexSymbols: readonly string[];
  /** Broad-based index ETFs: their options take the 15% index base percentage (CBOE, §1.4). */
  readonly broadEtfSymbols: readonly string[];
  /**
   * Leveraged ETFs by leverage factor (2, 3; inverse as positive): long stock rates × leverage up to 100% (§1.4),
   * and the naked-option percentages × leverage (CBOE: 20% × leverage) up to 100%.
   */
  readonly leveragedEtfs: Readonly<Record<string, number>>;
  /**
   * Modified duration and convexity by bond conId. Without one, a bond's are computed from the coupon and maturity
   * its contract names (src/risk/bond.ts); a bond with neither does not move with `rates=`.
   */
  readonly bondDurations: Readonly<Record<number, { readonly duration: number; readonly convexity?: number }>>;
  /**
   * Announced cash dividends by underlying symbol (ex-date `YYYY-MM-DD`, amount per share in the option's
   * currency). American options on a symbol with an ex-date before their expiry are priced on the cash-dividend
   * lattice (pricing/dividend-lattice.ts) instead of BAW on the escrowed spot; TWS's pvDividend is then not used.
   */
  readonly dividends: Readonly<Record<string, readonly CashDividend[]>>;
  /** IBKR's warning fires at EquityWithLoanValue ≤ 110% of maintenance (risk-model.md §0.2, §1.3). */
  readonly warnRatio: number;
  /** Liquidation-distance search ranges: ±50% prices, ±30% currencies (the issue); precision of the answer. */
  readonly liquidation: { readonly priceRange: number; readonly fxRange: number; readonly tolerance: number };
  /** Reconciliation tolerance of model vs reported NetLiquidation (1%, risk-model.md §1.7, §5.7). */
  readonly reconcileTolerance: number;
}

export const DEFAULT_MARGIN_RULES: MarginRules = Object.freeze({
  stockLongInit: 0.5,
  stockLongMaint: 0.25,
  stockShortInit: 0.3,
  stockShortMaint: 0.3,
  optionBasePct: 0.2,
  indexOptionBasePct: 0.15,
  optionMinPct: 0.1,
  bondPct: 0.05,
  futuresPct: 0.08,
  protectivePct: 0.1,
  nonMarginablePct: 1,
  fx: Object.freeze({
    USD: [0.025, 0.025],
    EUR: [0.03, 0.03],
    GBP: [0.025, 0.025],
    JPY: [0.03, 0.025],
    CHF: [0.05, 0.03],
    AUD: [0.03, 0.025],
    CAD: [0.025, 0.025],
    NOK: [0.0333, 0.0333],
    NZD: [0.0333, 0.0333],
    SEK: [0.0333, 0.0333],
    DKK: [0.15, 0.15],
    HUF: [0.05, 0.05],
    ILS: [0.05, 0.05],
    PLN: [0.05, 0.05],
    SGD: [0.05, 0.05],
    ZAR: [0.05, 0.05],
    MXN: [0.06, 0.05],
    CZK: [0.1, 0.1],
    KRW: [0.1, 0.1],
    CNH: [0.12, 0.1],
    HKD: [0.12, 0.1],
    RUB: [0.2, 0.15],
  } as Record<string, readonly [number, number]>),
  fxDefault: [0.05, 0.05] as const,
});

export const DEFAULT_PM_RULES: PortfolioMarginRules = Object.freeze({
  equityRange: 0.15,
  highCapDown: 0.08,
  highCapUp: 0.06,
  indexRange: 0.1,
  volStock: 0.15,
  volIndex: 0.75,
  pointsPerSide: 5,
  perContractMin: 0.375,
});

export const DEFAULT_SPAN_RULES: SpanRules = Object.freeze({
  scanRanges: Object.freeze({}),
  volRange: 0.1,
  extremeMultiple: 3,
  extremeCoverage: 0.33,
  shortOptionMinShare: 0.1,
  spreadChargeShare: 0.1,
  lookAheadDays: 1,
});

/** Common index option roots (IB symbols). VIX is an index but not a broad-based equity index. */
const INDEX_SYMBOLS = ['SPX', 'XSP', 'NDX', 'XND', 'RUT', 'DJX', 'OEX', 'XEO', 'VIX', 'ESTX50', 'DAX', 'SMI', 'N225', 'HSI', 'NIFTY50', 'Z', 'CAC40', 'AEX'];
const BROAD_INDEX_SYMBOLS = ['SPX', 'XSP', 'NDX', 'XND', 'RUT', 'DJX', 'OEX', 'XEO', 'ESTX50', 'DAX', 'SMI', 'N225', 'HSI', 'NIFTY50', 'Z', 'CAC40', 'AEX'];
const HIGH_CAP_INDEX_SYMBOLS = ['SPX', 'XSP', 'NDX', 'XND', 'DJX', 'OEX', 'XEO'];
/** ETFs on broad-based indexes (CBOE treats their options like broad-based index options). */
const BROAD_ETF_SYMBOLS = ['SPY', 'IVV', 'VOO', 'QQQ', 'IWM', 'DIA', 'MDY', 'VTI', 'EFA', 'EEM'];

/**
 * Default risk-free rates by currency, continuous, for option pricing: central-bank policy rates as of mid-2025,
 * rounded (Fed 4.25–4.50%, ECB deposit 2.00%, BoE 4.25%, SNB 0%, BoJ 0.50%, BoC 2.75%, RBA 3.85%) **[unverified
 * against today's]**. They age: set `risk.rates` in the settings (docs/stress-model.md "Rates and bonds").
 * A currency not listed takes `defaultRate`.
 */
export const DEFAULT_RATES: Readonly<Record<string, number>> = Object.freeze({
  USD: 0.04,
  EUR: 0.02,
  GBP: 0.04,
  CHF: 0,
  JPY: 0.005,
  CAD: 0.0275,
  AUD: 0.0375,
});

export const DEFAULT_STRESS_PARAMS: Omit<StressParams, 'now'> = Object.freeze({
  clockStepMs: 3_600_000,
  pricingWorkerMinOptions: 1000,
  expiryHourNewYork: 16,
  rates: DEFAULT_RATES,
  defaultRate: 0.04,
  marginMethod: 'regT' as const,
  margin: DEFAULT_MARGIN_RULES,
  portfolioMargin: DEFAULT_PM_RULES,
  span: DEFAULT_SPAN_RULES,
  concentration: Object.freeze({ share: 0.1, jump: 0.3, names: 3 }),
  optionsHaveLoanValue: false,
  indexSymbols: INDEX_SYMBOLS,
  broadIndexSymbols: BROAD_INDEX_SYMBOLS,
  highCapIndexSymbols: HIGH_CAP_INDEX_SYMBOLS,
  broadEtfSymbols: BROAD_ETF_SYMBOLS,
  leveragedEtfs: Object.freeze({}),
  bondDurations: Object.freeze({}),
  dividends: Object.freeze({}),
  warnRatio: 1.1,
  liquidation: Object.freeze({ priceRange: 0.5, fxRange: 0.3, tolerance: 1e-4 }),
  reconcileTolerance: 0.01,
});

/** What a caller passes: `now` is required, everything else defaults (nested rule sets merge field by field). */
export type StressParamsInput = { readonly now: number } & Partial<
  Omit<StressParams, 'now' | 'margin' | 'portfolioMargin' | 'span' | 'liquidation' | 'concentration'>
> & {
    readonly concentration?: Partial<ConcentrationRules>;
    readonly margin?: Partial<MarginRules>;
    readonly span?: Partial<SpanRules>;
    readonly portfolioMargin?: Partial<PortfolioMarginRules>;
    readonly liquidation?: Partial<StressParams['liquidation']>;
  };

export type ParamsResult = { readonly ok: true; readonly params: StressParams } | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Merges the input over the defaults and checks every field, returning all problems at once (STYLE.md
 * "Validate config with defaults, and report every violation"). Unknown keys are problems too.
 */
export function resolveStressParams(input: StressParamsInput): ParamsResult {
  const problems: string[] = [];
  const known = new Set([...Object.keys(DEFAULT_STRESS_PARAMS), 'now']);
  for (const k of Object.keys(input)) if (!known.has(k)) problems.push(`${k}: unknown parameter`);
  const params: StressParams = {
    ...DEFAULT_STRESS_PARAMS,
    ...input,
    rates: { ...DEFAULT_RATES, ...input.rates },
    margin: { ...DEFAULT_MARGIN_RULES, ...input.margin, fx: { ...DEFAULT_MARGIN_RULES.fx, ...input.margin?.fx } },
    portfolioMargin: { ...DEFAULT_PM_RULES, ...input.portfolioMargin },
    span: { ...DEFAULT_SPAN_RULES, ...input.span, scanRanges: { ...DEFAULT_SPAN_RULES.scanRanges, ...input.span?.scanRanges } },
    liquidation: { ...DEFAULT_STRESS_PARAMS.liquidation, ...input.liquidation },
    concentration: { ...DEFAULT_STRESS_PARAMS.concentration, ...input.concentration },
  };
  const finite = (path: string, v: unknown, min = -Infinity, max = Infinity) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${path}: expected a finite number, got ${String(v)}`);
    else if (v < min || v > max) problems.push(`${path}: ${v} is outside [${min}, ${max}]`);
  };
  finite('now', params.now, 0);
  finite('clockStepMs', params.clockStepMs, 1);
  finite('pricingWorkerMinOptions', params.pricingWorkerMinOptions, 0);
  finite('expiryHourNewYork', params.expiryHourNewYork, 0, 24);
  finite('defaultRate', params.defaultRate, -0.2, 1);
  for (const [c, r] of Object.entries(params.rates)) finite(`rates.${c}`, r, -0.2, 1);
  if (params.marginMethod !== 'regT' && params.marginMethod !== 'portfolio' && params.marginMethod !== 'auto') {
    problems.push(`marginMethod: expected "auto", "regT" or "portfolio", got ${String(params.marginMethod)}`);
  }
  const m = params.margin;
  for (const k of [
    'stockLongInit',
    'stockLongMaint',
    'stockShortInit',
    'stockShortMaint',
    'optionBasePct',
    'indexOptionBasePct',
    'optionMinPct',
    'bondPct',
    'futuresPct',
    'protectivePct',
    'nonMarginablePct',
  ] as const) {
    finite(`margin.${k}`, m[k], 0, 10);
  }
  for (const [c, pair] of Object.entries(m.fx)) {
    if (!Array.isArray(pair) || pair.length !== 2) problems.push(`margin.fx.${c}: expected [initial, maintenance]`);
    else pair.forEach((v, i) => finite(`margin.fx.${c}[${i}]`, v, 0, 1));
  }
  const pm = params.portfolioMargin;
  for (const k of ['equityRange', 'highCapDown', 'highCapUp', 'indexRange', 'volStock', 'volIndex', 'perContractMin'] as const) {
    finite(`portfolioMargin.${k}`, pm[k], 0, 100);
  }
  if (!Number.isInteger(pm.pointsPerSide) || pm.pointsPerSide < 1 || pm.pointsPerSide > 50) {
    problems.push(`portfolioMargin.pointsPerSide: expected a whole number from 1 to 50, got ${String(pm.pointsPerSide)}`);
  }
  const sp = params.span;
  finite('span.volRange', sp.volRange, 0, 10);
  finite('span.extremeMultiple', sp.extremeMultiple, 0, 10);
  finite('span.extremeCoverage', sp.extremeCoverage, 0, 1);
  finite('span.shortOptionMinShare', sp.shortOptionMinShare, 0, 1);
  finite('span.spreadChargeShare', sp.spreadChargeShare, 0, 1);
  finite('span.lookAheadDays', sp.lookAheadDays, 0, 30);
  for (const [sym, r] of Object.entries(sp.scanRanges)) finite(`span.scanRanges.${sym}`, r, 0);
  for (const [sym, l] of Object.entries(params.leveragedEtfs)) finite(`leveragedEtfs.${sym}`, l, 1, 10);
  for (const [id, d] of Object.entries(params.bondDurations)) {
    finite(`bondDurations.${id}.duration`, d?.duration, 0, 100);
    if (d?.convexity !== undefined) finite(`bondDurations.${id}.convexity`, d.convexity, 0, 10_000);
  }
  for (const [sym, list] of Object.entries(params.dividends)) {
    if (!Array.isArray(list)) {
      problems.push(`dividends.${sym}: expected a list of { exDate, amount }`);
      continue;
    }
    list.forEach((d: CashDividend, i) => {
      if (typeof d?.exDate !== 'string' || !Number.isFinite(exDateMs(d.exDate))) {
        problems.push(`dividends.${sym}[${i}].exDate: expected a date as YYYY-MM-DD, got ${String(d?.exDate)}`);
      }
      finite(`dividends.${sym}[${i}].amount`, d?.amount, 0, 1e6);
    });
  }
  finite('warnRatio', params.warnRatio, 1, 10);
  finite('liquidation.priceRange', params.liquidation.priceRange, 0.001, 1);
  finite('liquidation.fxRange', params.liquidation.fxRange, 0.001, 1);
  finite('liquidation.tolerance', params.liquidation.tolerance, 1e-8, 0.01);
  finite('reconcileTolerance', params.reconcileTolerance, 0, 1);
  finite('concentration.share', params.concentration.share, 0, 1);
  finite('concentration.jump', params.concentration.jump, 0.01, 1);
  if (!Number.isInteger(params.concentration.names) || params.concentration.names < 0 || params.concentration.names > 50) {
    problems.push(`concentration.names: expected a whole number from 0 to 50, got ${String(params.concentration.names)}`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, params };
}

/*
 * The risk engine asks for each option's ex-dates at every evaluation (a liquidation search makes hundreds), and the
 * parse with its round trip through a Date was a tenth of such a search: the few distinct dates are kept, bounded.
 */
const exDates = new Map<string, number>();

/** Start of an ex-date (00:00 UTC) in epoch ms, NaN unless `YYYY-MM-DD` names a real day. */
export function exDateMs(exDate: string): number {
  const known = exDates.get(exDate);
  if (known !== undefined) return known;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(exDate);
  let ms = NaN;
  if (m) {
    const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
    if (new Date(t).toISOString().slice(0, 10) === exDate) ms = t;
  }
  if (exDates.size >= 4096) exDates.clear();
  exDates.set(exDate, ms);
  return ms;
}

/** resolveStressParams that throws with every problem listed (for callers with fixed, known-good params). */
export function stressParams(input: StressParamsInput): StressParams {
  const r = resolveStressParams(input);
  if (!r.ok) throw new Error(`invalid stress parameters: ${r.problems.join('; ')}`);
  return r.params;
}

/** Asset classes in the fixed order used by every per-class array and by the report. */
export const CLASS_ORDER: readonly AssetClass[] = ['STK', 'OPT', 'FUT', 'FOP', 'CASH', 'BOND', 'CFD', 'WAR', 'IND', 'FUND', 'CMDTY', 'CRYPTO', 'UNKNOWN'];
