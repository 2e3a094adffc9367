// The stress report: per-scenario P&L and stressed account values in Decimal, reconciliation, calibration, liquidation distance.
import { contractLabel, type AssetClass } from '../model/contract.js';
import { Decimal, ZERO } from '../model/money.js';
import type { PortfolioState } from '../model/state.js';
import { decimalOf, floatOf, modelNetLiquidation, moneyOf, noLoanClasses, type ReportedValues } from './boundary.js';
import { buildStressGrid, columnAccountAt, baseColumn, type StressGrid } from './grid.js';
import { anchorsOf, searchDistances, type Anchors, type LiquidationDistance } from './liquidation.js';
import { calibrate, stressedRequirement, stressedRequirementCents, type Calibration, type SegmentEstimate } from './margin.js';
import { centsOf, decimalOfCents, decimalOfMicros, ratioMicros } from './cents.js';
import type { MarginMethodSource } from './margin-method.js';
import { CLASS_ORDER, stressParams, type MarginMethod, type StressParamsInput } from './params.js';
import type { Scenario, ScenarioFamily, ScenarioShocks } from './scenario-types.js';

/*
 * Everything shown is in base currency and Decimal. The P&L of a scenario is a matrix of cells
 * (currency × asset class), each converted from float64 and rounded to the cent once; the total, the
 * by-currency and the by-class figures are exact Decimal sums of those cells, so both decompositions
 * add up to the total to the last digit (the issue's "exact decomposition"). Stressed account values
 * are anchored on the reported ones: NLV' = NetLiquidation + P&L, so the zero-shock scenario shows the
 * account exactly as TWS reports it, and the model's own NetLiquidation is shown beside it with the
 * residual (risk-model.md §1.7, §5.7).
 */

export interface ScenarioPnl {
  readonly total: Decimal;
  /** Every currency of the book (zero included); FX translation counted in the currency that moved. */
  readonly byCurrency: Readonly<Record<string, Decimal>>;
  /** Every asset class of the book; a position's FX translation stays in its class, cash's goes to CASH. */
  readonly byAssetClass: Readonly<Partial<Record<AssetClass, Decimal>>>;
}

export interface ScenarioResult {
  readonly id: string;
  readonly label: string;
  readonly family: ScenarioFamily;
  readonly shocks: ScenarioShocks;
  readonly pnl: ScenarioPnl;
  readonly netLiquidation: Decimal;
  readonly equityWithLoanValue: Decimal;
  /** Calibrated estimates (see StressReport.margin). */
  readonly maintMargin: Decimal;
  readonly initMargin: Decimal;
  /** EquityWithLoanValue − maintenance: IBKR liquidates when this is below 0. */
  readonly excessLiquidity: Decimal;
  readonly availableFunds: Decimal;
  /** ExcessLiquidity / NetLiquidation; absent when NetLiquidation is not positive. */
  readonly cushion?: Decimal;
  /** ExcessLiquidity < 0: liquidation at once (risk-model.md §0.1). */
  readonly breach: boolean;
  /** EquityWithLoanValue ≤ 110% of maintenance: IBKR's margin warning (§0.2, §1.3). */
  readonly warn: boolean;
}

export interface Anchor {
  readonly value: Decimal;
  /** Where the zero-shock value comes from: TWS's row, or the model when TWS sent none. */
  readonly source: 'reported' | 'model';
}

export interface Reconciliation {
  /** Model NetLiquidation: cash + positions at TWS's marks + futures P&L, converted at ExchangeRate. */
  readonly model: Decimal;
  readonly reported?: Decimal;
  /** reported − model. */
  readonly residual?: Decimal;
  /** residual / reported, 6 places. */
  readonly residualRatio?: Decimal;
  /** |residual| ≤ tolerance × |reported| (1% by default, risk-model.md §1.7). */
  readonly withinTolerance?: boolean;
  readonly byCurrency: readonly { readonly currency: string; readonly model: Decimal; readonly reported?: Decimal; readonly residual?: Decimal }[];
}

export interface UnpricedPosition {
  readonly conId: number;
  readonly label: string;
  readonly assetClass: AssetClass;
  readonly currency: string;
  readonly reason: string;
}

export interface StressReport {
  /** Valuation time (epoch ms), the `now` the report was built for. */
  readonly asOf: number;
  readonly account?: string;
  readonly baseCurrency: string;
  /** The account values used, as TWS reported them. */
  readonly accountValues: ReportedValues;
  readonly anchors: { readonly netLiquidation: Anchor; readonly equityWithLoanValue: Anchor };
  readonly reconciliation: Reconciliation;
  readonly margin: {
    readonly method: MarginMethod;
    /** Where the method came from: the setting, an account-type row, the reported requirement, or the default. */
    readonly methodSource: MarginMethodSource;
    readonly methodEvidence: string;
    /** Always true: IBKR's per-position requirements are not public; this is our estimate, calibrated. */
    readonly estimate: true;
    readonly description: string;
    readonly calibration: Calibration;
  };
  readonly scenarios: readonly ScenarioResult[];
  readonly liquidationDistance: readonly LiquidationDistance[];
  /** The same search for the largest underlyings alone (`sym:NAME`, src/risk/concentration.ts). */
  readonly nameDistance: readonly LiquidationDistance[];
  /**
   * When the distances were searched, if before `asOf`: a session reuses a search while probes confirm it on the later
   * state (src/session/stress-model.ts); absent when they were searched for this report.
   */
  readonly liquidationAsOf?: number;
  /** Positions that could not be revalued: held at their mark in every scenario and listed here. */
  readonly unpriced: readonly UnpricedPosition[];
  /** CASH pair positions, left out of P&L because their legs are the cash balances (risk-model.md §0.9). */
  readonly cashPairs: readonly { readonly conId: number; readonly label: string }[];
  readonly positions: number;
  /** The approximations in force for this account, in words. */
  readonly notes: readonly string[];
}

/**
 * Builds the report for `scenarios` from scratch. `params` must carry `now` (epoch ms); the rest
 * defaults (src/risk/params.ts). Throws when params are invalid, listing every problem.
 */
export function buildStressReport(state: PortfolioState, scenarios: readonly Scenario[], params: StressParamsInput): StressReport {
  const grid = buildStressGrid(
    state,
    scenarios.map((s) => s.shocks),
    stressParams(params),
  );
  return stressReportFromGrid(grid, state, scenarios);
}

/** Liquidation distances for a report, and when they were searched (epoch ms, the `now` of that report). */
export interface DistancesOf {
  readonly liquidation: readonly LiquidationDistance[];
  readonly names: readonly LiquidationDistance[];
  readonly asOf: number;
}

/**
 * The report from an existing (incrementally updated) grid built over `scenarios`, in the same order. `distances`
 * replaces the liquidation search (a session that reuses an earlier one); without it, the search runs.
 */
export function stressReportFromGrid(
  grid: StressGrid,
  state: PortfolioState,
  scenarios: readonly Scenario[],
  distances?: (grid: StressGrid, anchors: Anchors) => DistancesOf,
): StressReport {
  if (scenarios.length !== grid.shocks.length) throw new Error('stressReportFromGrid: scenarios do not match the grid');
  const { book, params } = grid;
  const reported = book.reported;
  const model = modelNetLiquidation(state, params);
  const notes: string[] = [];
  const nlvAnchor: Anchor = reported.netLiquidation
    ? { value: reported.netLiquidation, source: 'reported' }
    : { value: model.total.toDecimalPlaces(2), source: 'model' };
  const elvAnchor: Anchor = reported.equityWithLoanValue
    ? { value: reported.equityWithLoanValue, source: 'reported' }
    : { value: model.total.sub(model.noLoanValue).toDecimalPlaces(2), source: 'model' };
  const base = columnAccountAt(grid, baseColumn(grid));
  const calibration = calibrate(reported, base.maint, base.init);
  const classes = presentClasses(grid);
  const noLoan = new Set(noLoanClasses(params));
  const nlvFloat = floatOf(nlvAnchor.value);
  const elvFloat = floatOf(elvAnchor.value);
  const results = scenarios.map((sc, j) => {
    const acc = columnAccountAt(grid, j);
    const { byCurrency, byClass, total, noLoanPnl, totalCents, noLoanCents } = scenarioPnl(acc.cells, book.currencies, classes, noLoan);
    const netLiquidation = nlvAnchor.value.add(total);
    const equityWithLoanValue = elvAnchor.value.add(total).sub(noLoanPnl);
    const maintCents = stressedRequirementCents(calibration.maint, acc.maint);
    const maintMargin = Number.isNaN(maintCents) ? stressedRequirement(calibration.maint, acc.maint).toDecimalPlaces(2) : decimalOfCents(maintCents);
    const initMargin = requirementOf(calibration.init, acc.init);
    const excessLiquidity = equityWithLoanValue.sub(maintMargin);
    // The Cushion from the same figures in float64 where that decides its sixth place (NaN, the Decimal division, else).
    const elCents = totalCents - noLoanCents - maintCents;
    const micros = ratioMicros(
      elvFloat + elCents / 100,
      1e-14 * (Math.abs(elvFloat) + Math.abs(elCents) / 100),
      nlvFloat + totalCents / 100,
      1e-14 * (Math.abs(nlvFloat) + Math.abs(totalCents) / 100),
    );
    const result: ScenarioResult = {
      id: sc.id,
      label: sc.label,
      family: sc.family,
      shocks: sc.shocks,
      pnl: { total, byCurrency, byAssetClass: byClass },
      netLiquidation,
      equityWithLoanValue,
      maintMargin,
      initMargin,
      excessLiquidity,
      availableFunds: equityWithLoanValue.sub(initMargin),
      ...(netLiquidation.gt(0) ? { cushion: Number.isNaN(micros) ? excessLiquidity.div(netLiquidation).toDecimalPlaces(6) : decimalOfMicros(micros) } : {}),
      breach: excessLiquidity.lt(0),
      warn: equityWithLoanValue.lte(maintMargin.mul(decimalOf(params.warnRatio))),
    };
    return result;
  });
  const anchors = anchorsOf(nlvAnchor.value, elvAnchor.value, calibration.maint);
  const found = distances ? distances(grid, anchors) : { ...searchDistances(grid, anchors), asOf: params.now };
  const reconciliation = reconcile(model, reported, book.currencies, decimalOf(params.reconcileTolerance));
  const labelOf = (i: number) => contractLabel(book.sources[i]!.row.contract);
  const unpriced = book.positions.flatMap((p, i) =>
    p.unpriced === undefined
      ? []
      : [{ conId: p.conId, label: labelOf(i), assetClass: p.cls.assetClass, currency: book.currencies[p.currencyIndex]!, reason: p.unpriced }],
  );
  const cashPairs = book.positions.flatMap((p, i) => (p.cls.kind === 'cashPair' ? [{ conId: p.conId, label: labelOf(i) }] : []));
  notes.push(...notesFor(grid, state, calibration, reconciliation, nlvAnchor, elvAnchor, scenarios, cashPairs.length));
  return {
    asOf: params.now,
    ...(book.account ? { account: book.account } : {}),
    baseCurrency: book.baseCurrency,
    accountValues: reported,
    anchors: { netLiquidation: nlvAnchor, equityWithLoanValue: elvAnchor },
    reconciliation,
    margin: {
      method: grid.marginChoice.method,
      methodSource: grid.marginChoice.source,
      methodEvidence: grid.marginChoice.evidence,
      estimate: true,
      description:
        params.marginMethod === 'portfolio'
          ? 'estimate: TIMS-like scan per underlying (stocks, stock and index options) plus rules for the rest, calibrated to the reported requirement at zero shock'
          : 'estimate: Reg T rules and strategies, FX haircuts on negative balances, futures by a SPAN-style scan, calibrated to the reported requirement at zero shock',
      calibration,
    },
    scenarios: results,
    liquidationDistance: found.liquidation,
    nameDistance: found.names,
    ...(found.asOf < params.now ? { liquidationAsOf: found.asOf } : {}),
    unpriced,
    cashPairs,
    positions: book.positions.length,
    notes,
  };
}

/** A stressed requirement to the cent: in whole cents where float64 decides the cent, else in Decimal (the same figure). */
function requirementOf(parts: Calibration['maint'], est: SegmentEstimate): Decimal {
  const cents = stressedRequirementCents(parts, est);
  return Number.isNaN(cents) ? stressedRequirement(parts, est).toDecimalPlaces(2) : decimalOfCents(cents);
}

/** One scenario's P&L matrix (currency × class, float64) as the report's Decimal figures. */
interface PnlFigures {
  readonly byCurrency: Record<string, Decimal>;
  readonly byClass: Partial<Record<AssetClass, Decimal>>;
  readonly total: Decimal;
  /** The part in classes with no loan value (EquityWithLoanValue leaves it out). */
  readonly noLoanPnl: Decimal;
  /** `total` and `noLoanPnl` in whole cents; NaN from the Decimal path. */
  readonly totalCents: number;
  readonly noLoanCents: number;
}

/*
 * Each cell is rounded to the cent once and the figures are exact sums of those cells. Summed in whole cents (exact
 * in float64 at these sizes, src/risk/cents.ts), a scenario makes a Decimal for each figure only, not one per cell and
 * per addition; a book with a cell beyond CENTS_LIMIT takes the Decimal path, which gives the same figures.
 */
function scenarioPnl(cells: ArrayLike<number>, currencies: readonly string[], classes: readonly number[], noLoan: ReadonlySet<AssetClass>): PnlFigures {
  const K = CLASS_ORDER.length;
  const byClassCents = new Array<number>(classes.length).fill(0);
  const byCurrencyCents = new Array<number>(currencies.length).fill(0);
  let totalCents = 0;
  let noLoanCents = 0;
  for (let ci = 0; ci < currencies.length; ci++) {
    for (let ki = 0; ki < classes.length; ki++) {
      const k = classes[ki]!;
      const c = centsOf(cells[ci * K + k]!);
      if (Number.isNaN(c)) return scenarioPnlDecimal(cells, currencies, classes, noLoan);
      if (c === 0) continue;
      byCurrencyCents[ci] = byCurrencyCents[ci]! + c;
      byClassCents[ki] = byClassCents[ki]! + c;
      if (noLoan.has(CLASS_ORDER[k]!)) noLoanCents += c;
    }
    totalCents += byCurrencyCents[ci]!;
  }
  const byCurrency: Record<string, Decimal> = {};
  const byClass: Partial<Record<AssetClass, Decimal>> = {};
  classes.forEach((k, ki) => (byClass[CLASS_ORDER[k]!] = byClassCents[ki] === 0 ? ZERO : decimalOfCents(byClassCents[ki]!)));
  currencies.forEach((c, ci) => (byCurrency[c] = byCurrencyCents[ci] === 0 ? ZERO : decimalOfCents(byCurrencyCents[ci]!)));
  return {
    byCurrency,
    byClass,
    total: totalCents === 0 ? ZERO : decimalOfCents(totalCents),
    noLoanPnl: noLoanCents === 0 ? ZERO : decimalOfCents(noLoanCents),
    totalCents,
    noLoanCents,
  };
}

/** The same figures cell by cell in Decimal (cells too large for whole cents in float64). */
function scenarioPnlDecimal(cells: ArrayLike<number>, currencies: readonly string[], classes: readonly number[], noLoan: ReadonlySet<AssetClass>): PnlFigures {
  const K = CLASS_ORDER.length;
  const byCurrency: Record<string, Decimal> = {};
  const byClass: Partial<Record<AssetClass, Decimal>> = {};
  for (const k of classes) byClass[CLASS_ORDER[k]!] = ZERO;
  let total = ZERO;
  let noLoanPnl = ZERO;
  currencies.forEach((c, ci) => {
    let sum = ZERO;
    for (const k of classes) {
      const cell = moneyOf(cells[ci * K + k]!);
      if (cell.isZero()) continue;
      sum = sum.add(cell);
      const cls = CLASS_ORDER[k]!;
      byClass[cls] = byClass[cls]!.add(cell);
      if (noLoan.has(cls)) noLoanPnl = noLoanPnl.add(cell);
    }
    byCurrency[c] = sum;
    total = total.add(sum);
  });
  return { byCurrency, byClass, total, noLoanPnl, totalCents: NaN, noLoanCents: NaN };
}

/** Classes (indices into CLASS_ORDER) with a position or a zero-shock amount in the book. */
function presentClasses(grid: StressGrid): number[] {
  const K = CLASS_ORDER.length;
  const present = new Set<number>();
  for (const p of grid.book.positions) present.add(p.classIndex);
  grid.book.currencies.forEach((_, ci) => {
    for (let k = 0; k < K; k++) if (grid.nlvSum[ci * K + k] !== 0) present.add(k);
  });
  return [...present].sort((a, b) => a - b);
}

function reconcile(model: ReturnType<typeof modelNetLiquidation>, reported: ReportedValues, currencies: readonly string[], tolerance: Decimal): Reconciliation {
  const rep = reported.netLiquidation;
  const byCurrency = currencies.map((c) => {
    const m = (model.byCurrency[c] ?? ZERO).toDecimalPlaces(2);
    const r = reported.netLiquidationByCurrency[c];
    return { currency: c, model: m, ...(r ? { reported: r, residual: r.sub(m) } : {}) };
  });
  const total = model.total.toDecimalPlaces(2);
  if (!rep) return { model: total, byCurrency };
  const residual = rep.sub(total);
  return {
    model: total,
    reported: rep,
    residual,
    ...(rep.isZero() ? {} : { residualRatio: residual.div(rep).toDecimalPlaces(6) }),
    withinTolerance: residual.abs().lte(rep.abs().mul(tolerance)),
    byCurrency,
  };
}

function notesFor(
  grid: StressGrid,
  state: PortfolioState,
  calibration: Calibration,
  rec: Reconciliation,
  nlv: Anchor,
  elv: Anchor,
  scenarios: readonly Scenario[],
  cashPairs: number,
): string[] {
  const { book, params } = grid;
  const notes: string[] = [];
  if (!state.baseCurrency) notes.push('TWS sent no NetLiquidation row, so the base currency is assumed to be USD.');
  if (nlv.source === 'model') notes.push('NetLiquidation was not reported: the model value anchors the stressed values.');
  if (elv.source === 'model') {
    notes.push(`EquityWithLoanValue was not reported: the model value (NetLiquidation${params.optionsHaveLoanValue ? '' : ' less option values'}) anchors it.`);
  }
  for (const [kind, parts] of [
    ['maintenance', calibration.maint],
    ['initial', calibration.init],
  ] as const) {
    for (const p of parts) {
      if (p.mode === 'uncalibrated') notes.push(`No reported ${kind} requirement for ${scopeName(p.scope)}: the ${kind} estimate is used uncalibrated.`);
      if (p.mode === 'additive' && p.reported && !p.reported.isZero()) {
        notes.push(`The ${kind} estimate for ${scopeName(p.scope)} is zero at no shock: the reported requirement is held and the estimate's change added.`);
      }
    }
  }
  if (rec.withinTolerance === false) {
    notes.push(
      `Model NetLiquidation differs from the reported one by ${rec.residual!.toFixed(2)} ${book.baseCurrency} (more than ${params.reconcileTolerance * 100}%): check the unpriced positions and stale rows.`,
    );
  }
  if (book.ledger.missingFx.length > 0) {
    notes.push(
      `No ExchangeRate for ${book.ledger.missingFx.join(', ')}: amounts in ${book.ledger.missingFx.length === 1 ? 'it' : 'them'} are left out of the model.`,
    );
  }
  if (cashPairs > 0) notes.push('CASH pair positions are left out of P&L: their legs are already in the cash balances.');
  if (scenarios.some((s) => s.shocks.rates) && book.positions.some((p) => p.cls.kind === 'bond' && !Number.isFinite(p.duration))) {
    notes.push('Some bonds have no configured duration: rates shocks do not move them.');
  }
  if (!params.optionsHaveLoanValue && book.positions.some((p) => p.cls.assetClass === 'OPT' || p.cls.assetClass === 'WAR')) {
    notes.push('Option values carry no loan value (US Reg T): their P&L moves NetLiquidation but not EquityWithLoanValue.');
  }
  return notes;
}

function scopeName(scope: 'total' | 'S' | 'C'): string {
  return scope === 'S' ? 'the securities segment' : scope === 'C' ? 'the commodities segment' : 'the account';
}

export type { LiquidationDistance };
