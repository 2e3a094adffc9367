// The session's risk runner: runs the incremental grid on the live state and adapts its report for display.
import type { AssetClass } from '../model/contract.js';
import { ZERO, type Decimal } from '../model/money.js';
import type { PortfolioState } from '../model/state.js';
import { bookScenarios } from '../risk/alerts/index.js';
import { nameJumpKey, nameJumpKeyOf } from '../risk/alerts/scenarios.js';
import { QUANTUM, type BookPosition } from '../risk/boundary.js';
import { buildStressGrid, evaluateShocks, updateStressGrid, type StressGrid } from '../risk/grid.js';
import { latticeGreeksOf, type ModelGreeks } from '../risk/model-greeks.js';
import { excessLiquidityOf, refreshDistances, searchDistances, type Anchors, type DistanceLimits, type LiquidationDistance } from '../risk/liquidation.js';
import { stressParams, type StressParamsInput } from '../risk/params.js';
import { stressReportFromGrid, type DistancesOf, type StressReport } from '../risk/report.js';
import { ASSET_CLASS_NAMES } from '../risk/scenario-text.js';
import { ZERO_SHOCKS, type Scenario, type ScenarioShocks } from '../risk/scenario-types.js';
import { sameRefs } from '../model/same-refs.js';

/*
 * Risk is a pure function of state (DESIGN.md); the grid is its cache, kept here so that each throttled publish
 * revalues only what changed (src/risk/grid.ts). Components never call this: the store does, at the view-model
 * cadence, and the view model reads the plain StressModel below.
 */

/** One scenario row of the heat map, in base currency. */
export interface StressScenarioRow {
  readonly id: string;
  readonly label: string;
  readonly family: Scenario['family'];
  readonly total: Decimal;
  readonly byCurrency: Readonly<Record<string, Decimal>>;
  readonly byClass: Readonly<Partial<Record<AssetClass, Decimal>>>;
  readonly excessLiquidity: Decimal;
  readonly cushion?: Decimal;
  /** ExcessLiquidity below 0: liquidation. */
  readonly breach: boolean;
  /** EquityWithLoanValue at or below 110% of maintenance: IBKR's warning. */
  readonly warn: boolean;
}

/** P&L and ExcessLiquidity at one uniform shock of a class or currency. */
export interface CurvePoint {
  readonly shock: number;
  readonly pnl: number;
  readonly excessLiquidity: number;
}

/** A class (`px:STK`), a currency (`fx:EUR`) or the combined crash: its liquidation distance and P&L curve. */
export interface StressSubject {
  readonly key: string;
  readonly kind: 'px' | 'fx' | 'crash';
  readonly label: string;
  readonly distance: LiquidationDistance;
  /**
   * Empty for the crash (its distance is along a combined path, not one axis) and on a pass no pane draws. Computed
   * when first read, from the book as it stood for this pass: the Stress pane charts one subject at a time, and the
   * others' 13 revaluations each were most of the display model's time.
   */
  readonly curve: readonly CurvePoint[];
  /** Whether `curve` has points, told without computing them (the pane lists the subjects it can chart). */
  readonly charted: boolean;
}

export interface StressModel {
  readonly asOf: number;
  readonly baseCurrency: string;
  /** NetLiquidation the scenarios are anchored on (reported, else model). */
  readonly netLiquidation: Decimal;
  readonly scenarios: readonly StressScenarioRow[];
  /** Currencies and classes present, in the report's order (heat-map columns). */
  readonly currencies: readonly string[];
  readonly classes: readonly AssetClass[];
  /** The scenario with the largest loss, if any scenario loses. */
  readonly worst?: { readonly id: string; readonly label: string; readonly total: Decimal };
  /** conId → share of the worst scenario's loss this position causes (0.25 = a quarter; negative = it offsets). */
  readonly shareOfWorst: ReadonlyMap<number, number>;
  readonly subjects: readonly StressSubject[];
  /**
   * When the subjects' distances were searched, by this machine's clock (as the status bar's), if before this pass: the
   * runner reuses a search while probes confirm it, for up to `searchMaxAgeMs`; absent when they are this pass's own.
   */
  readonly distancesAsOf?: number;
  /** conId → why it could not be revalued (held at its mark). */
  readonly unpriced: ReadonlyMap<number, string>;
  /**
   * conId → our model's greeks, for the options priced on the cash-dividend lattice (American stock options with a
   * dividend before expiry, from the settings or TWS's tick 59); the panes show these instead of TWS's for them.
   */
  readonly modelGreeks: ReadonlyMap<number, ModelGreeks>;
  /** Our own estimates, shown beside TWS's reported values. */
  readonly estimates: {
    readonly netLiquidation: Decimal;
    readonly maintMargin: Decimal;
    readonly initMargin: Decimal;
    readonly reconciliationResidual?: Decimal;
    readonly withinTolerance?: boolean;
  };
  readonly notes: readonly string[];
}

export type RiskResult =
  /**
   * `report` is the engine's own, for the alert rules (src/risk/alerts reads it). `display: false`: computed while no
   * pane could draw it (frozen), so the model's P&L curves, lattice greeks and shares of the worst loss were left out
   * (RiskFunction), and the model is made from the report when first read.
   */
  | { readonly ok: true; readonly model: StressModel; readonly report: StressReport; readonly computeMs: number; readonly display?: false }
  /** `waiting`: nothing is wrong yet, the account or its positions have not arrived (the figures line says what it waits for, "computing…" only for a pass really pending). */
  | { readonly ok: false; readonly error: string; readonly waiting?: true };

/** Shocks of the P&L curve per subject: −30% to +30% in 5% steps. */
export const CURVE_SHOCKS: readonly number[] = Array.from({ length: 13 }, (_, i) => Math.round((i * 0.05 - 0.3) * 100) / 100);

export interface StressRunnerOptions {
  /** Risk parameters besides the clock (rates, margin rules...), src/risk/params.ts. */
  readonly params?: Omit<StressParamsInput, 'now'>;
  /**
   * Scenario list for a state; defaults to the built-in families for the account's classes and currencies, the set
   * the alert rules judge too (src/risk/alerts `bookScenarios`), so one report serves the pane and the alerts.
   */
  readonly scenarios?: (state: PortfolioState) => readonly Scenario[];
  /**
   * Longest a liquidation search is reused while the book moves (default 10 s): in between, each pass only confirms it
   * with a few probes (src/risk/liquidation.ts `distancesHold`) and searches again when they disagree.
   */
  readonly searchMaxAgeMs?: number;
  /**
   * The alert levels in force (`distanceLimitsOf` the session's alert config). On a pass no pane draws, only the alert
   * rules read the distances, and a rule judges a distance only within its levels: the classes, currencies and crash
   * are then searched only that far (`DistanceLimits`) and the names not at all. Absent: such a pass searches as a drawn
   * one does.
   */
  readonly alertLimits?: DistanceLimits;
}

/** Counters of a runner's liquidation searches, for tests and the benchmark. */
export interface StressRunnerStats {
  /** Full searches (ladders and bisections over every subject). */
  searches: number;
  /** Of those, searches only as far as the alert levels, for a pass no pane draws (StressRunnerOptions.alertLimits). */
  limitedSearches: number;
  /** Passes that confirmed every distance of the last search with probes and reused them. */
  confirmed: number;
  /** Subjects searched again alone on the other passes between full searches (their probes disagreed). */
  subjectsSearched: number;
  /** Subjects whose sign change moved a little and was followed along the ladder instead (refreshDistances). */
  subjectsWalked: number;
  /** Passes on a grid unchanged since the last search, which reused it as it is. */
  unchanged: number;
  /** Subjects' P&L curves computed (each when first read, StressSubject.curve). */
  curves: number;
}

/**
 * `display` (default true): the result may be drawn. A frozen console's live pass is not (the panes show the risk of
 * the freeze) and only the alerts read it: false leaves out what only the panes read, the subjects' P&L curves (13
 * revaluations of the book each) and the model greeks; the session computes a whole pass again before one is drawn.
 */
export type RiskFunction = (state: PortfolioState, now: number, display?: boolean) => RiskResult;

/** The stress runner: risk of a state at a time, with counters. */
export interface StressRunner extends RiskFunction {
  readonly stats: Readonly<StressRunnerStats>;
}

/** A distance search kept for the next pass, with the objects it read. */
interface KeptSearch {
  readonly found: DistancesOf;
  readonly inputs: readonly unknown[];
}

/**
 * A stateful runner around the pure engine: builds the grid for the current scenario set, then updates it
 * incrementally. Returns an error result (never throws) so the Stress pane can show the message in place.
 */
export function createStressRunner(opts: StressRunnerOptions = {}): StressRunner {
  let grid: StressGrid | undefined;
  /** The last display pass's curves, not read yet (stressModelOf). */
  let unread: LazyCurve[] = [];
  let scenarios: readonly Scenario[] = [];
  let scenarioKey = '';
  let scenarioInputs: { portfolio: unknown; accountValues: unknown; contracts: string } | undefined;
  /** The valued book the names were last checked on (see the check below). */
  let namesChecked: readonly unknown[] | undefined;
  /** The last search and what it read: a drawn pass's (whole), and a pass's no pane draws (limited to the alert levels). */
  let kept: { whole?: KeptSearch; limited?: KeptSearch } = {};
  /** Set for the pass under way when it is for the alerts alone. */
  let limits: DistanceLimits | undefined;
  const stats: StressRunnerStats = { searches: 0, limitedSearches: 0, confirmed: 0, subjectsSearched: 0, subjectsWalked: 0, unchanged: 0, curves: 0 };
  const maxAge = opts.searchMaxAgeMs ?? 10_000;
  /*
   * The search is most of a pass (dozens of ladder columns and bisections per class, currency and name), and its
   * answer moves little when a mark moves by a cent: reuse it as it is while nothing it reads changed (the clock
   * ticking inside the grid's valuation step changes nothing), and while probes confirm it on a changed book; search
   * again each subject whose probes disagree (so an alert on its distance is raised on the pass that crosses it), and
   * everything at least every `maxAge` while the book moves. A pass only the alert rules read (`limits` set) keeps its
   * own search, kept, probed, followed and searched again alike, each subject only as far as the levels in force, and
   * no names (no rule reads theirs).
   */
  const distances = (g: StressGrid, anchors: Anchors): DistancesOf => {
    const within = limits;
    const slot = within ? 'limited' : 'whole';
    const last = kept[slot];
    const inputs = searchInputs(g, anchors);
    if (last && sameRefs(last.inputs, inputs)) {
      stats.unchanged++;
      // The same answer, for the state as it is now.
      const found = { ...last.found, asOf: g.params.now };
      kept[slot] = { found, inputs };
      return found;
    }
    const prev = last?.found;
    const fresh =
      prev && last!.inputs[0] === g && g.params.now - prev.asOf < maxAge
        ? refreshDistances(g, anchors, [...prev.liquidation, ...prev.names], within)
        : undefined;
    if (prev && fresh) {
      if (fresh.searched === 0 && fresh.walked === 0) stats.confirmed++;
      stats.subjectsSearched += fresh.searched;
      stats.subjectsWalked += fresh.walked;
      const n = prev.liquidation.length;
      // Still told as of the last full search: the kept distances are that search's, confirmed since.
      const found = { liquidation: fresh.distances.slice(0, n), names: fresh.distances.slice(n), asOf: prev.asOf };
      kept[slot] = { found, inputs };
      return found;
    }
    stats.searches++;
    if (within) stats.limitedSearches++;
    const found = { ...searchDistances(g, anchors, within), asOf: g.params.now };
    kept[slot] = { found, inputs };
    return found;
  };
  const run = (state: PortfolioState, now: number, display = true): RiskResult => {
    // Flat is not waiting: once the account's download has ended with no positions, its cash in other currencies is
    // still exposed (a franc debt left after a flatten), and the currency scenarios say how much.
    if (!state.account || (state.portfolio.size === 0 && !state.complete.accountDownload))
      return { ok: false, error: 'waiting for the account and its positions', waiting: true };
    const t0 = performance.now();
    // The grid is about to move on. A pass no pane draws follows a freeze (or another account shown): the frozen
    // picture is the last drawn pass, whose pane may still chart any subject, so its curves are computed now, on the
    // book they belong to. After a drawn pass, the earlier one is drawn no more and its unread curves are dropped.
    if (!display) for (const c of unread) c.value ??= c.compute();
    unread = [];
    limits = display ? undefined : opts.alertLimits;
    try {
      // The scenario set follows the classes and currencies held; recompute it only when those maps change.
      if (!scenarioInputs || scenarioInputs.portfolio !== state.portfolio || scenarioInputs.accountValues !== state.accountValues) {
        // A mark moving makes a new portfolio map every pass; the built-in list reads only the contracts held and the
        // account rows (its names follow prices, and are checked on the valued book below), so it is selected again
        // only when those changed (reading the whole book to select it was about 6% of a pass).
        const contracts = opts.scenarios ? '' : contractsKey(state);
        const same =
          !opts.scenarios && scenarioInputs !== undefined && scenarioInputs.accountValues === state.accountValues && scenarioInputs.contracts === contracts;
        const next = same ? scenarios : opts.scenarios ? opts.scenarios(state) : bookScenarios(state, opts.params);
        const key = next.map((s) => s.id).join('\n');
        if (key !== scenarioKey) {
          scenarios = next;
          scenarioKey = key;
          grid = undefined;
        }
        scenarioInputs = { portfolio: state.portfolio, accountValues: state.accountValues, contracts };
      }
      if (!grid)
        grid = buildStressGrid(
          state,
          scenarios.map((s) => s.shocks),
          stressParams({ ...opts.params, now }),
        );
      else updateStressGrid(grid, state, now);
      // Which names get their own jumps follows prices too (an option's underlying arriving after the positions, a
      // name's share crossing the threshold), not only the maps above: select again when the book now calls for
      // other names, so the pane judges the scenarios `report` and the alerts would for this state.
      // Only a revalued book can call for other names: a pass on which only the clock moved skips the check.
      const valued = [grid.book, grid.stats.rebuilds, grid.stats.groupsRecomputed] as const;
      if (!opts.scenarios && !sameRefs(namesChecked, valued)) {
        namesChecked = valued;
        if (nameJumpKeyOf(grid.book, grid.params.concentration) !== nameJumpKey(scenarios)) {
          scenarios = bookScenarios(state, opts.params, grid.book);
          scenarioKey = scenarios.map((s) => s.id).join('\n');
          grid = buildStressGrid(
            state,
            scenarios.map((s) => s.shocks),
            stressParams({ ...opts.params, now }),
          );
          namesChecked = [grid.book, grid.stats.rebuilds, grid.stats.groupsRecomputed];
        }
      }
      const report = stressReportFromGrid(grid, state, scenarios, distances);
      if (!display) return alertsOnlyResult(report, grid, now, t0);
      const curves: LazyCurve[] = [];
      const model = stressModelOf(report, grid, now, display, curves);
      for (const c of curves) {
        const compute = c.compute;
        c.compute = () => (stats.curves++, compute());
      }
      unread = curves;
      return { ok: true, model, report, computeMs: performance.now() - t0 };
    } catch (err) {
      grid = undefined;
      kept = {};
      return { ok: false, error: `stress engine: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
  return Object.assign(run, { stats });
}

/**
 * A pass no pane draws: the alert rules read its report, and its display model (the panes' rows of the report) only a
 * reader that asks for it (an account's published summary, its row among several accounts), so it is made when first
 * read. Without curves, greeks and shares of the worst loss (what only panes read), the model is the report's alone,
 * so a later read gives what this pass would have: nothing of the grid, which moves on, is read.
 */
function alertsOnlyResult(report: StressReport, grid: StressGrid, now: number, t0: number): RiskResult {
  let model: StressModel | undefined;
  const result = { ok: true as const, report, computeMs: performance.now() - t0, display: false as const };
  // Enumerable, so that a copy or a comparison of the result reads it as a plain field.
  return Object.defineProperty(result, 'model', { enumerable: true, get: () => (model ??= stressModelOf(report, grid, now, false)) }) as RiskResult;
}

/** The contracts held and the base currency, as text: what the built-in scenario list reads besides the account rows. */
function contractsKey(state: PortfolioState): string {
  let key = state.baseCurrency ?? '';
  for (const r of state.portfolio.values()) key += `\n${JSON.stringify(r.contract)}`;
  return key;
}

/**
 * What a search reads besides the clock: the grid (a new one is another book or scenario set), its layout, every
 * revaluation (a group recomputed), the account rows and the valuation step, and the anchors EL is measured from.
 */
function searchInputs(g: StressGrid, a: Anchors): readonly unknown[] {
  return [
    g,
    g.stats.rebuilds,
    g.stats.groupsRecomputed,
    g.book,
    g.book.ledger,
    g.book.reported,
    g.book.clockMs,
    g.params.marginMethod,
    a.netLiquidation,
    a.equityWithLoanValue,
    ...a.maint.flatMap((p) => [p.scope, p.mode, p.reportedFloat, p.estimatedFloat]),
  ];
}

/**
 * The display model of a report; `grid` supplies per-position contributions and the P&L curves. `localNow`: this
 * machine's time of the report, which `distancesAsOf` is told in (the report's times are the market's clock).
 * `display` false: no curves, no model greeks and no shares of the worst loss (only the panes read them; RiskFunction),
 * and then nothing of `grid` is read.
 */
export function stressModelOf(report: StressReport, grid: StressGrid, localNow = report.asOf, display = true, curves: LazyCurve[] = []): StressModel {
  const scenarios: StressScenarioRow[] = report.scenarios.map((s) => ({
    id: s.id,
    label: s.label,
    family: s.family,
    total: s.pnl.total,
    byCurrency: s.pnl.byCurrency,
    byClass: s.pnl.byAssetClass,
    excessLiquidity: s.excessLiquidity,
    ...(s.cushion !== undefined ? { cushion: s.cushion } : {}),
    breach: s.breach,
    warn: s.warn,
  }));
  const first = report.scenarios[0];
  const currencies = first ? Object.keys(first.pnl.byCurrency) : [];
  const classes = first ? (Object.keys(first.pnl.byAssetClass) as AssetClass[]) : [];
  let worstIndex = -1;
  report.scenarios.forEach((s, j) => {
    if (s.pnl.total.isNegative() && (worstIndex < 0 || s.pnl.total.lt(report.scenarios[worstIndex]!.pnl.total))) worstIndex = j;
  });
  const worst = worstIndex >= 0 ? report.scenarios[worstIndex]! : undefined;
  const anchors: Anchors = {
    netLiquidation: report.anchors.netLiquidation.value.toNumber(),
    equityWithLoanValue: report.anchors.equityWithLoanValue.value.toNumber(),
    maint: report.margin.calibration.maint,
  };
  // The classes, currencies and crash, then the largest underlyings alone (sym:NAME, concentration.names of them).
  const subjects = [...report.liquidationDistance, ...report.nameDistance].map((d) => subjectOf(d, grid, anchors, report.baseCurrency, display, curves));
  const sum = (parts: readonly { estimated: Decimal }[]) => parts.reduce((a, p) => a.add(p.estimated), ZERO);
  return {
    asOf: report.asOf,
    baseCurrency: report.baseCurrency,
    netLiquidation: report.anchors.netLiquidation.value,
    scenarios,
    currencies,
    classes,
    ...(worst ? { worst: { id: worst.id, label: worst.label, total: worst.pnl.total } } : {}),
    // Only the Positions pane reads the shares (its Worst% column); left out of a pass no pane draws, like the greeks.
    shareOfWorst: worst && display ? contributions(grid, worstIndex, worst.pnl.total.toNumber()) : new Map(),
    subjects,
    ...(report.liquidationAsOf !== undefined ? { distancesAsOf: localNow - (report.asOf - report.liquidationAsOf) } : {}),
    unpriced: new Map(report.unpriced.map((u) => [u.conId, u.reason])),
    modelGreeks: display ? modelGreeksOf(grid) : new Map(),
    estimates: {
      netLiquidation: report.reconciliation.model,
      maintMargin: sum(report.margin.calibration.maint),
      initMargin: sum(report.margin.calibration.init),
      ...(report.reconciliation.residual !== undefined ? { reconciliationResidual: report.reconciliation.residual } : {}),
      ...(report.reconciliation.withinTolerance !== undefined ? { withinTolerance: report.reconciliation.withinTolerance } : {}),
    },
    notes: report.notes,
  };
}

/**
 * Lattice greeks cost about a millisecond an option: they are kept per book position (the grid replaces a position's
 * object when any of its inputs changes) and valuation clock step, so a publish recomputes only what moved.
 */
const greeksCache = new WeakMap<BookPosition, { readonly clockMs: number; readonly params: unknown; readonly greeks: ModelGreeks | undefined }>();

function modelGreeksOf(grid: StressGrid): Map<number, ModelGreeks> {
  const out = new Map<number, ModelGreeks>();
  const { book, params } = grid;
  for (const p of book.positions) {
    if (p.cls.kind !== 'option') continue;
    let hit = greeksCache.get(p);
    if (!hit || hit.clockMs !== book.clockMs || hit.params !== params.dividends) {
      hit = { clockMs: book.clockMs, params: params.dividends, greeks: latticeGreeksOf(book, p, params) };
      greeksCache.set(p, hit);
    }
    if (hit.greeks) out.set(p.conId, hit.greeks);
  }
  return out;
}

/**
 * Each position's part of column j's P&L in base currency, as the grid converts it (risk-model.md §4.3):
 * (V + ΔV)·X' − V·X, over the worst loss. Cash translation belongs to no position, so shares need not add to 1.
 */
function contributions(grid: StressGrid, j: number, worstTotal: number): Map<number, number> {
  const out = new Map<number, number>();
  const { book, cols } = grid;
  const n = cols.n;
  book.positions.forEach((p, i) => {
    const c = p.currencyIndex;
    const x0 = book.ledger.fx[c]!;
    const x1 = x0 * (1 + cols.fx[c * n + j]!);
    const v = p.nlvQuanta;
    const dv = grid.pnl[i * n + j]!;
    const part = ((v + dv) * x1 - v * x0) * QUANTUM;
    if (part !== 0 && worstTotal !== 0) out.set(p.conId, part / worstTotal);
  });
  return out;
}

/** A subject's curve, computed on first read (StressSubject.curve). */
export interface LazyCurve {
  value?: readonly CurvePoint[];
  compute: () => readonly CurvePoint[];
}

function subjectOf(d: LiquidationDistance, grid: StressGrid, anchors: Anchors, base: string, display: boolean, curves: LazyCurve[]): StressSubject {
  const [axis, name = ''] = d.key.split(':') as ['px' | 'fx' | 'crash' | 'sym', string?];
  const kind = d.kind;
  const label =
    axis === 'sym'
      ? `${name} alone`
      : axis === 'px'
        ? (ASSET_CLASS_NAMES[name as AssetClass] ?? name)
        : axis === 'fx'
          ? `${name} vs ${base}`
          : 'Combined crash';
  if (kind === 'crash' || !display) return { key: d.key, kind, label, distance: d, curve: [], charted: false };
  const cell: LazyCurve = {
    compute: () => {
      const shocks: ScenarioShocks[] = CURVE_SHOCKS.map((t) => ({ ...ZERO_SHOCKS, [axis]: { [name]: t } }));
      const accounts = evaluateShocks(grid, shocks);
      return accounts.map((acc, i) => ({ shock: CURVE_SHOCKS[i]!, pnl: acc.pnl, excessLiquidity: excessLiquidityOf(acc, anchors) }));
    },
  };
  curves.push(cell);
  const subject = { key: d.key, kind, label, distance: d, charted: true } as Omit<StressSubject, 'curve'>;
  // Enumerable, so that a copy or a comparison of the model reads it as a plain field.
  return Object.defineProperty(subject, 'curve', { enumerable: true, get: () => (cell.value ??= cell.compute()) }) as StressSubject;
}
