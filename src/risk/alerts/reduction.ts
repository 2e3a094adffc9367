// Leverage reduction proposal: the smallest set of trims, by contribution to the stress loss, that brings a breached metric back inside its limit.
import { accountValue } from '../../model/account-values.js';
import { commissionFor } from '../../model/commission.js';
import { assetClassOf, contractLabel, type AssetClass } from '../../model/contract.js';
import type { FeedEvent, FeedEventBody } from '../../model/events.js';
import { Decimal, ZERO } from '../../model/money.js';
import { reduce } from '../../model/reducer.js';
import type { PortfolioState } from '../../model/state.js';
import { QUANTUM, noLoanClasses } from '../boundary.js';
import { buildStressGrid } from '../grid.js';
import type { Calibration, CalibrationPart } from '../margin.js';
import { stressParams, type StressParamsInput } from '../params.js';
import { buildStressReport, type ScenarioResult, type StressReport } from '../report.js';
import { ZERO_SHOCKS, type Scenario, type ScenarioShocks } from '../scenario-types.js';
import { pct } from './format.js';
import { rateOf, underlyingValues, valuedRows } from './rules/exposure.js';
import { bookScenarios } from './scenarios.js';
import type { ReductionTarget } from './types.js';

/*
 * A proposal, never an order: the wiring turns it into a flatten plan that goes through the confirmation
 * flow and the guard (docs/trading.md). How it is found:
 * 1. Rank. For the stress metrics (stressed Cushion, liquidation distance) each position's contribution is its
 *    own P&L in the ranking scenario (the breached scenario, or the shock at the liquidation distance), read
 *    from the stress grid's per-position vectors, in base currency; positions that lose there come first,
 *    largest loss first (ties by conId). A trim removes that P&L; its FX translation stays, because the
 *    proceeds stay in the position's currency as cash. The zero-shock metrics (Cushion, ExcessLiquidity,
 *    ELV / maintenance) do not move with any scenario's P&L, only with the margin a trim releases and the
 *    loan value it adds, so there each position is ranked by how far closing it whole moves the metric (step
 *    2), largest first. A scenario's losers are often exactly the positions a margin model sees as hedges (a
 *    long future under short calls), so ranking those by loss found nothing that releases margin. When the
 *    losers are not enough for a stress metric, the other positions follow, ranked the zero-shock way.
 * 2. Evaluate exactly, at the worst fills. A trimmed state is the state with the positions cut at TWS's marks, the
 *    proceeds added to the currency's CashBalance (a CASH pair's first leg paid out of its own balance),
 *    EquityWithLoanValue raised by the proceeds of positions without loan value (US options), then, for each trim,
 *    what a fill at the plan's limit loses against the mark (the collar, on the price ladder) and its commission
 *    taken out of cash, NetLiquidation and EquityWithLoanValue (FillTerms); and the reported requirements scaled by our
 *    estimate's change
 *    (reported × estimate after / estimate before, per calibrated segment, which carries a margin spike
 *    TWS reports onto what a trim releases). The metric is read from the stress report of that state, so
 *    it is the number the alert would see.
 * 3. Greedy, then pruned. Whole positions are added in rank order (one that does not improve the metric is
 *    skipped) until the metric is inside its limit; whole trims the limit turns out not to need are then
 *    dropped (smallest contribution first), and the last one is cut only as far as needed, by bisection over
 *    whole lots. Every step reads the metric at the worst fills, so the limit is reached even if every order fills
 *    at its limit price; aimed at the marks, the last cut landed exactly on the limit and real fills at the bid
 *    left the account just outside it (Cushion 9.9% against 10%). Quantities are Decimal, reduce the position and never cross zero. When no set reaches the
 *    limit, the proposal is the best partial set found, and its notes say so.
 * Float inside (the grid), Decimal out; deterministic for the same inputs.
 */

export interface Trim {
  readonly conId: number;
  readonly label: string;
  readonly secType: string;
  /** BUY to reduce a short position, SELL to reduce a long one. */
  readonly action: 'BUY' | 'SELL';
  /** Signed change of the position: the opposite sign of the position, never past zero. */
  readonly quantity: Decimal;
  readonly position: Decimal;
  readonly after: Decimal;
  /**
   * Why it was chosen: its loss in the ranking scenario (base currency, positive is a loss); for a
   * concentration target, its gross value in base currency; for the zero-shock metrics (and a stress metric's
   * positions beyond the scenario's losers), how far closing it whole moves the metric, in the metric's units.
   */
  readonly contribution: number;
}

export interface ReductionProposal {
  readonly target: ReductionTarget;
  /** The metric in words, e.g. "lowest stressed Cushion". */
  readonly metric: string;
  /**
   * The metric now and after the trims (Infinity for a liquidation distance beyond the searched range). `after` is at
   * the worst fills the plan accepts (ReductionInput.fills): the number the trims are chosen to bring inside the limit.
   */
  readonly before: number;
  readonly after: number;
  /** The same trims at TWS's marks, free (no collar, no commission): what the metric reads if every fill is at its mark. */
  readonly afterAtMarks: number;
  /** The fill terms `after` was computed with. */
  readonly fills: FillTerms;
  /** The limit it must reach: at least it, or at most it for concentration. */
  readonly limit: number;
  readonly withinLimit: boolean;
  readonly trims: readonly Trim[];
  /** The scenario the positions were ranked in (absent for the zero-shock metrics and concentration). */
  readonly rankedBy?: string;
  readonly notes: readonly string[];
  /** Set when no proposal could be computed (the stress engine failed); trims are then empty. */
  readonly error?: string;
}

export interface ReductionInput {
  readonly state: PortfolioState;
  /** The scenarios the breached rule judged (bookScenarios, filtered by the rule's families). */
  readonly scenarios: readonly Scenario[];
  /** Stress parameters, `now` included. */
  readonly params: StressParamsInput;
  readonly target: ReductionTarget;
  /** Smallest step by secType (default 1; bonds 1,000 face). */
  readonly lotSize?: Readonly<Record<string, number>>;
  /** Positions never to trim. */
  readonly exclude?: readonly number[];
  /** At most this many positions are tried (default 20), which bounds the work on a large book. */
  readonly maxCandidates?: number;
  /** What each trim fills at, at worst: the plan's collar (and limits) and commissions; AT_MARKS for the marks alone. */
  readonly fills: FillTerms;
}

const DEFAULT_LOTS: Readonly<Record<string, number>> = { BOND: 1000 };
const BASE_SCENARIO: Scenario = { id: 'base', label: 'No change', family: 'base', shocks: ZERO_SHOCKS };

interface Candidate {
  readonly conId: number;
  readonly position: Decimal;
  readonly secType: string;
  readonly label: string;
  readonly contribution: number;
}

/** Trims by conId: signed quantity changes. */
type Trims = ReadonlyMap<number, Decimal>;

// ── The trimmed state ────────────────────────────────────────────────────────────────────────────

/**
 * What a trim is assumed to fill at. A plan sells at a marketable limit (src/trading/plan.ts: the mark less its collar
 * for a SELL, plus it for a BUY, onto the contract's price ladder), so no fill is worse than that limit: a trim priced
 * there, commission paid, is the worst the plan can do, and a metric that reaches its limit there reaches it after any
 * fill the plan accepts. The risk folder does not import trading: the wiring passes the plan's collar in, and its exact
 * limit (the ladder rounding) when it has the price grids.
 */
export interface FillTerms {
  /** The plan's collar, a fraction of the mark (0.02); 0 prices every trim at the mark. */
  readonly collar: number;
  /** The limit the plan would send for a trim of `conId` (trading/plan.ts `limitFor`); default mark × (1 ∓ collar). */
  readonly limitPrice?: (conId: number, action: 'BUY' | 'SELL', mark: Decimal) => Decimal | undefined;
  /** Pays IBKR Pro's fixed commission on every trim (model/commission.ts). */
  readonly commissions: boolean;
}

/** The trims at TWS's marks, free: what the proposal shows beside the worst fills. */
export const AT_MARKS: FillTerms = { collar: 0, commissions: false };

/** The worst price the plan accepts for a trim: its limit, never better than the mark. */
export function worstFill(fills: FillTerms, conId: number, action: 'BUY' | 'SELL', mark: Decimal): Decimal {
  const collared = mark.mul(action === 'SELL' ? 1 - fills.collar : 1 + fills.collar);
  const limit = fills.limitPrice?.(conId, action, mark) ?? collared;
  // A limit on the better side of the mark (a grid that rounds the wrong way) would price the trim as a gain.
  return action === 'SELL' ? Decimal.min(limit, mark) : Decimal.max(limit, mark);
}

/**
 * The state with the trims applied, proceeds to cash (see the header, step 2, first half): each position cut at TWS's
 * mark, then what a fill at the worst price the plan accepts loses against that mark, and the commission, taken out of
 * the currency's cash and out of NetLiquidation and EquityWithLoanValue (which TWS reports and the stress report
 * anchors on). With AT_MARKS (the default) a trim only swaps the position for cash.
 */
export function applyTrims(state: PortfolioState, trims: Trims, noLoan: ReadonlySet<AssetClass>, fills: FillTerms = AT_MARKS): PortfolioState {
  const account = state.account;
  if (!account || trims.size === 0) return state;
  const bodies: FeedEventBody[] = [];
  const cash = new Map<string, Decimal>();
  let elvDelta = ZERO;
  let nlvDelta = ZERO;
  const futuresPnlReported = new Set([...state.accountValues.values()].filter((r) => r.tag === 'FuturesPNL').map((r) => r.currency));
  for (const [conId, q] of [...trims.entries()].sort(([a], [b]) => a - b)) {
    const r = state.portfolio.get(conId);
    if (!r || r.position.isZero() || q.isZero()) continue;
    const after = r.position.add(q);
    const keep = after.div(r.position);
    const gone = new Decimal(1).sub(keep);
    const cls = assetClassOf(r.contract.secType);
    bodies.push({
      type: 'portfolioUpdated',
      account,
      contract: r.contract,
      position: after,
      ...(r.marketPrice ? { marketPrice: r.marketPrice } : {}),
      ...(r.marketValue ? { marketValue: r.marketValue.mul(keep) } : {}),
      ...(r.averageCost ? { averageCost: r.averageCost } : {}),
      ...(r.unrealizedPnl ? { unrealizedPnl: r.unrealizedPnl.mul(keep) } : {}),
      ...(r.realizedPnl ? { realizedPnl: r.realizedPnl } : {}),
    });
    const p = state.positions.get(conId);
    if (p) bodies.push({ type: 'positionUpdated', account, contract: p.contract, position: after, ...(p.averageCost ? { averageCost: p.averageCost } : {}) });
    const ccy = r.contract.currency;
    const mult = r.contract.multiplier ?? new Decimal(1);
    const value = r.marketValue ?? (r.marketPrice ? r.position.mul(r.marketPrice).mul(mult) : ZERO);
    // Futures and CFDs are worth their unrealized P&L, which a close turns into cash (unless TWS reports FuturesPNL).
    const proceeds =
      cls === 'FUT'
        ? futuresPnlReported.has(ccy)
          ? ZERO
          : (r.unrealizedPnl ?? ZERO).mul(gone)
        : cls === 'CFD'
          ? (r.unrealizedPnl ?? ZERO).mul(gone)
          : value.mul(gone);
    // What the fill costs against the mark: q × (limit − mark) × multiplier (a SELL's limit is below the mark, a BUY's
    // above, so it is never negative), and the commission on it. The mark is TWS's, the one the plan's limit is set from.
    const mark = r.marketPrice ?? (mult.isZero() ? undefined : value.div(r.position.mul(mult)));
    const action = q.isNegative() ? 'SELL' : 'BUY';
    const fill = mark ? worstFill(fills, conId, action, mark) : undefined;
    const slip = mark && fill ? q.mul(fill.sub(mark)).mul(mult) : ZERO;
    const fee = fills.commissions ? commissionFor(r.contract.secType, ccy, q, fill ?? mark ?? ZERO, mult) : ZERO;
    const cost = slip.add(fee);
    cash.set(ccy, (cash.get(ccy) ?? ZERO).add(proceeds).sub(cost));
    // A CASH pair's position is its first leg's balance (risk-model.md §0.9): selling EUR.USD pays the euros out of
    // the EUR balance as well as bringing the dollars in; without this the trimmed book kept the euros and its FX
    // margin and currency shocks did not move at all.
    if (cls === 'CASH' && r.contract.symbol && r.contract.symbol !== ccy) cash.set(r.contract.symbol, (cash.get(r.contract.symbol) ?? ZERO).add(q));
    const rate = rateOf(state, ccy);
    if (noLoan.has(cls) && rate) elvDelta = elvDelta.add(proceeds.mul(rate));
    if (rate && !cost.isZero()) {
      elvDelta = elvDelta.sub(cost.mul(rate));
      nlvDelta = nlvDelta.sub(cost.mul(rate));
    }
  }
  for (const [ccy, d] of [...cash.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (d.isZero()) continue;
    const old = accountValue(state, 'CashBalance', ccy)?.value ?? ZERO;
    bodies.push({ type: 'accountValueUpdated', account, key: 'CashBalance', currency: ccy, value: old.add(d).toString() });
  }
  const base = state.baseCurrency;
  const elv = base ? accountValue(state, 'EquityWithLoanValue', base)?.value : undefined;
  if (base && elv && !elvDelta.isZero())
    bodies.push({ type: 'accountValueUpdated', account, key: 'EquityWithLoanValue', currency: base, value: elv.add(elvDelta).toString() });
  const nlv = base ? accountValue(state, 'NetLiquidation', base)?.value : undefined;
  if (base && nlv && !nlvDelta.isZero())
    bodies.push({ type: 'accountValueUpdated', account, key: 'NetLiquidation', currency: base, value: nlv.add(nlvDelta).toString() });
  return fold(state, bodies);
}

function fold(state: PortfolioState, bodies: readonly FeedEventBody[]): PortfolioState {
  let s = state;
  let seq = state.lastSeq;
  for (const b of bodies) s = reduce(s, { ...b, seq: ++seq, receivedAt: state.lastEventAt } as FeedEvent);
  return s;
}

/** A requirement moved by the estimate's change, as the calibration would (margin.ts `stressedRequirement`). */
function moved(before: CalibrationPart, after: CalibrationPart | undefined): Decimal | undefined {
  if (!before.reported || !after) return undefined;
  if (before.mode === 'scaled' && before.estimated.gt(0)) return before.reported.mul(after.estimated).div(before.estimated);
  return before.reported.add(after.estimated.sub(before.estimated));
}

/** The trimmed state's reported requirements and what derives from them (header, step 2, second half). */
export function withRequirements(state: PortfolioState, original: Calibration, trimmed: Calibration): PortfolioState {
  const account = state.account;
  const base = state.baseCurrency;
  if (!account || !base) return state;
  const bodies: FeedEventBody[] = [];
  const row = (tag: string) => accountValue(state, tag, base)?.value;
  const put = (key: string, v: Decimal, currency = base) =>
    bodies.push({ type: 'accountValueUpdated', account, key, currency, value: v.toDecimalPlaces(2).toString() });
  const totals: Record<'Maint' | 'Init', Decimal | undefined> = { Maint: undefined, Init: undefined };
  for (const kind of ['Maint', 'Init'] as const) {
    const tag = `${kind}MarginReq`;
    const before = kind === 'Maint' ? original.maint : original.init;
    const after = kind === 'Maint' ? trimmed.maint : trimmed.init;
    const next = new Map<string, Decimal>();
    for (const p of before) {
      const v = moved(
        p,
        after.find((a) => a.scope === p.scope),
      );
      if (v) next.set(p.scope, v);
    }
    if (next.has('total')) {
      put(tag, next.get('total')!);
      totals[kind] = next.get('total');
      continue;
    }
    const s = next.get('S');
    const c = next.get('C');
    if (s && row(`${tag}-S`)) put(`${tag}-S`, s);
    if (c && row(`${tag}-C`)) put(`${tag}-C`, c);
    const total = s && c ? s.add(c) : undefined;
    if (total && row(tag)) {
      put(tag, total);
      totals[kind] = total;
    }
  }
  const elv = row('EquityWithLoanValue');
  const nlv = row('NetLiquidation');
  if (elv && totals.Maint) {
    const el = elv.sub(totals.Maint);
    put('ExcessLiquidity', el);
    if (nlv && nlv.gt(0)) bodies.push({ type: 'accountValueUpdated', account, key: 'Cushion', currency: '', value: el.div(nlv).toDecimalPlaces(6).toString() });
  }
  if (elv && totals.Init) put('AvailableFunds', elv.sub(totals.Init));
  return fold(state, bodies);
}

// ── Metrics ──────────────────────────────────────────────────────────────────────────────────────

const cushionOf = (s: ScenarioResult) => (s.cushion !== undefined ? s.cushion.toNumber() : -1);

interface Metric {
  readonly name: string;
  readonly limit: number;
  /** True when a value is inside the limit. */
  readonly ok: (v: number) => boolean;
  /** True when `a` is better than `b`. */
  readonly better: (a: number, b: number) => boolean;
  readonly value: (trims: Trims) => number;
}

function stressMetric(input: ReductionInput, original: StressReport, noLoan: ReadonlySet<AssetClass>, fills: FillTerms): Metric {
  const t = input.target;
  const base = input.scenarios.find((s) => s.family === 'base') ?? BASE_SCENARIO;
  const needs = t.kind === 'stressedCushion' || t.kind === 'liquidationDistance' ? input.scenarios : [base];
  const read = (r: StressReport): number => {
    switch (t.kind) {
      case 'stressedCushion':
        return r.scenarios.reduce((m, s) => Math.min(m, cushionOf(s)), Infinity);
      case 'liquidationDistance': {
        const d = r.liquidationDistance.find((x) => x.key === t.key);
        return d && d.nearest !== null ? Math.abs(d.nearest) : Infinity;
      }
      default: {
        const b = r.scenarios.find((s) => s.family === 'base') ?? r.scenarios[0];
        if (!b) return NaN;
        if (t.kind === 'cushion') return cushionOf(b);
        if (t.kind === 'excessLiquidity') return b.excessLiquidity.toNumber();
        return b.maintMargin.gt(0) ? b.equityWithLoanValue.div(b.maintMargin).toNumber() : Infinity;
      }
    }
  };
  const value = (trims: Trims): number => {
    if (trims.size === 0) {
      const hasBase = original.scenarios.some((s) => s.family === 'base');
      return read(needs === input.scenarios || hasBase ? original : buildStressReport(input.state, needs, input.params));
    }
    const a = applyTrims(input.state, trims, noLoan, fills);
    const estimate = buildStressReport(a, [base], input.params);
    const b = withRequirements(a, original.margin.calibration, estimate.margin.calibration);
    return read(buildStressReport(b, needs, input.params));
  };
  const min = t.kind === 'concentration' ? 0 : t.min;
  const names = {
    stressedCushion: 'lowest stressed Cushion',
    cushion: 'Cushion',
    excessLiquidity: 'ExcessLiquidity',
    equityToMaint: 'EquityWithLoanValue / maintenance',
    liquidationDistance: `liquidation distance (${t.kind === 'liquidationDistance' ? t.key : ''})`,
    concentration: '',
  } as const;
  return { name: names[t.kind], limit: min, ok: (v) => v >= min, better: (a, b) => a > b, value };
}

function concentrationMetric(input: ReductionInput, underlying: string, max: number, noLoan: ReadonlySet<AssetClass>, fills: FillTerms): Metric {
  const value = (trims: Trims): number => {
    const s = applyTrims(input.state, trims, noLoan, fills);
    const { byUnderlying, gross } = underlyingValues(s);
    return gross.gt(0) ? (byUnderlying.get(underlying) ?? ZERO).div(gross).toNumber() : 0;
  };
  return { name: `${underlying} share of gross position value`, limit: max, ok: (v) => v <= max, better: (a, b) => a < b, value };
}

// ── Ranking ──────────────────────────────────────────────────────────────────────────────────────

/** The scenario positions are ranked in, for a target. */
function rankingScenario(input: ReductionInput, report: StressReport): { shocks: ScenarioShocks; label: string } | undefined {
  const t = input.target;
  if (t.kind === 'liquidationDistance') {
    const d = report.liquidationDistance.find((x) => x.key === t.key);
    const [kind, name = ''] = t.key.split(':');
    // At the liquidation shock, or at the limit when there is none within the searched range.
    const at = d?.nearest ?? -t.min;
    if (kind === 'px') return { shocks: { ...ZERO_SHOCKS, px: { [name]: at } }, label: `${t.key} ${pct(at)}` };
    if (kind === 'fx') return { shocks: { ...ZERO_SHOCKS, fx: { [name]: at } }, label: `${t.key} ${pct(at)}` };
    const crash = report.scenarios.filter((s) => s.family === 'crash').sort((a, b) => a.pnl.total.cmp(b.pnl.total))[0];
    return crash ? { shocks: crash.shocks, label: crash.label } : undefined;
  }
  const list = report.scenarios;
  if (list.length === 0) return undefined;
  const worst = list.reduce((w, s) => (cushionOf(s) < cushionOf(w) ? s : w));
  return { shocks: worst.shocks, label: worst.label };
}

/** Each position's own P&L in `shocks`, in base currency, from the grid's per-position vectors (loss positive). */
function lossesIn(state: PortfolioState, shocks: ScenarioShocks, params: StressParamsInput): Map<number, number> {
  const grid = buildStressGrid(state, [shocks], stressParams(params));
  const { book, cols } = grid;
  const n = cols.n;
  const out = new Map<number, number>();
  book.positions.forEach((p, i) => {
    const x1 = book.ledger.fx[p.currencyIndex]! * (1 + cols.fx[p.currencyIndex * n]!);
    const dv = grid.pnl[i * n]!;
    out.set(p.conId, -dv * x1 * QUANTUM);
  });
  return out;
}

// ── The search ───────────────────────────────────────────────────────────────────────────────────

interface Found {
  readonly chosen: Map<number, Decimal>;
  readonly value: number;
  readonly reached: boolean;
}

function search(metric: Metric, candidates: readonly Candidate[], lots: Readonly<Record<string, number>>, before: number): Found {
  let chosen = new Map<number, Decimal>();
  const whole: Candidate[] = [];
  let current = before;
  let last: Candidate | undefined;
  for (const c of candidates) {
    const full = metric.value(new Map(chosen).set(c.conId, c.position.neg()));
    if (!metric.ok(full) && !metric.better(full, current)) continue;
    chosen.set(c.conId, c.position.neg());
    current = full;
    if (metric.ok(full)) {
      last = c;
      break;
    }
    whole.push(c);
  }
  if (!last) return { chosen, value: current, reached: false };
  // Greedy order can take a trim that a later, larger one makes unnecessary: drop those, least useful first.
  for (const c of [...whole].sort((a, b) => a.contribution - b.contribution || b.conId - a.conId)) {
    const without = new Map(chosen);
    without.delete(c.conId);
    const v = metric.value(without);
    if (metric.ok(v)) {
      chosen = without;
      current = v;
    }
  }
  const sign = last.position.isNegative() ? 1 : -1;
  const size = last.position.abs();
  const lot = new Decimal(lots[last.secType] ?? 1);
  const count = size.div(lot).ceil().toNumber();
  const amountAt = (k: number) => (k >= count ? size : lot.mul(k)).mul(sign);
  const withQty = (k: number) => new Map(chosen).set(last.conId, amountAt(k));
  let lo = 0,
    hi = count,
    best = current;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const v = metric.value(withQty(mid));
    if (metric.ok(v)) {
      hi = mid;
      best = v;
    } else lo = mid;
  }
  return { chosen: withQty(hi), value: best, reached: true };
}

/**
 * Positions ranked by how far closing each one whole (alone) moves the metric toward its limit: the margin it
 * releases and the loan value it adds. Only those that help; the pool is the largest by gross value, which bounds
 * the work on a large book.
 */
function byMetricGain(state: PortfolioState, metric: Metric, before: number, skip: ReadonlySet<number>, pool: number): Candidate[] {
  const gross = (r: { marketValue?: Decimal; contract: { currency: string } }) =>
    (r.marketValue ?? ZERO)
      .abs()
      .mul(rateOf(state, r.contract.currency) ?? 0)
      .toNumber();
  const rows = [...state.portfolio.values()]
    .filter((r) => !r.position.isZero() && !skip.has(r.contract.conId) && assetClassOf(r.contract.secType) !== 'CASH')
    .sort((a, b) => gross(b) - gross(a) || a.contract.conId - b.contract.conId)
    .slice(0, pool);
  return rows.flatMap((r) => {
    const v = metric.value(new Map([[r.contract.conId, r.position.neg()]]));
    if (!metric.better(v, before)) return [];
    return [
      { conId: r.contract.conId, position: r.position, secType: r.contract.secType, label: contractLabel(r.contract), contribution: Math.abs(v - before) },
    ];
  });
}

/** The first note: what the trims are priced at (one sentence, no "; ": the dialog breaks lines there). */
function fillNote(f: FillTerms): string {
  if (f.collar === 0 && !f.commissions) return "Trims are at TWS's marks: commissions, spreads and market impact are not counted.";
  const collar = `${Number((f.collar * 100).toFixed(4))}%`;
  const price = f.collar > 0 ? `its limit price, the mark less the ${collar} collar for a sale and plus it for a buy` : 'the mark';
  const fee = f.commissions ? ', after IBKR Pro fixed commissions' : ', commissions not counted';
  return `Trims are counted at the worst fills the plan accepts (each order at ${price}${fee}), so fills at or inside the limits leave the metric at least as far inside its limit (exchange fees aside).`;
}

const byContribution = (a: Candidate, b: Candidate) => b.contribution - a.contribution || a.conId - b.conId;

/**
 * The leverage reduction for a breached target: which positions to cut and by how much, with the metric before
 * and after. Pure: the state is not changed and nothing is sent. Never throws; `error` says why there is no proposal.
 */
export function proposeReduction(input: ReductionInput): ReductionProposal {
  const t = input.target;
  const limit = t.kind === 'concentration' ? t.max : t.min;
  const fills = input.fills;
  const notes = [fillNote(fills)];
  const lots = { ...DEFAULT_LOTS, ...input.lotSize };
  const exclude = new Set(input.exclude ?? []);
  const max = input.maxCandidates ?? 20;
  const fail = (error: string): ReductionProposal => ({
    target: t,
    metric: '',
    before: NaN,
    after: NaN,
    afterAtMarks: NaN,
    fills,
    limit,
    withinLimit: false,
    trims: [],
    notes,
    error,
  });
  let params;
  try {
    params = stressParams(input.params);
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const noLoan = new Set(noLoanClasses(params));
  const state = input.state;
  const row = (conId: number) => state.portfolio.get(conId);
  try {
    let metric: Metric;
    /** The same metric with every trim at its mark, free: the figure shown beside the worst fills. */
    let atMarks: Metric;
    let candidates: Candidate[];
    let rankedBy: string | undefined;
    /** Further candidates, for a stress metric whose scenario losers are not enough. */
    let more: ((before: number, tried: ReadonlySet<number>) => Candidate[]) | undefined;
    if (t.kind === 'concentration') {
      metric = concentrationMetric(input, t.underlying, t.max, noLoan, fills);
      atMarks = concentrationMetric(input, t.underlying, t.max, noLoan, AT_MARKS);
      candidates = valuedRows(state)
        .filter((r) => r.contract.symbol === t.underlying && !exclude.has(r.contract.conId) && r.marketValue)
        .map((r) => ({
          conId: r.contract.conId,
          position: r.position,
          secType: r.contract.secType,
          label: contractLabel(r.contract),
          contribution: r
            .marketValue!.abs()
            .mul(rateOf(state, r.contract.currency) ?? 0)
            .toNumber(),
        }));
    } else {
      const report = buildStressReport(state, input.scenarios, input.params);
      const m = stressMetric(input, report, noLoan, fills);
      metric = m;
      atMarks = stressMetric(input, report, noLoan, AT_MARKS);
      notes.push('Margin after the trims is our estimate, scaled to the requirement TWS reports now (docs/stress-model.md); IBKR will compute its own.');
      const scopes = { total: 'total', S: 'securities', C: 'commodities' } as const;
      const gaps = report.margin.calibration.maint
        .filter((c) => c.mode === 'scaled' && c.factor && c.factor.toFixed(2) !== '1.00')
        .map((c) => `${c.factor!.toFixed(2)}× (${scopes[c.scope]})`);
      // The factor is a margin spike, requirements we do not model, or both; one snapshot cannot tell them apart.
      if (gaps.length > 0)
        notes.push(
          `TWS reports ${gaps.join(', ')} our maintenance estimate, so a trim releases that multiple of its estimated requirement: right for a margin spike, too much where the gap is requirements we do not model.`,
        );
      if (t.kind === 'stressedCushion' || t.kind === 'liquidationDistance') {
        const rank = rankingScenario(input, report);
        rankedBy = rank?.label;
        const losses = rank ? lossesIn(state, rank.shocks, input.params) : new Map<number, number>();
        candidates = [...losses.entries()].flatMap(([conId, loss]) => {
          const r = row(conId);
          if (!r || !(loss > 0) || exclude.has(conId) || assetClassOf(r.contract.secType) === 'CASH') return [];
          return [{ conId, position: r.position, secType: r.contract.secType, label: contractLabel(r.contract), contribution: loss }];
        });
        if (rankedBy) notes.push(`Positions are ranked by their own loss under "${rankedBy}"; their currency exposure stays with the cash a trim raises.`);
        more = (before, tried) => byMetricGain(state, m, before, new Set([...tried, ...exclude]), max).sort(byContribution);
      } else {
        // Nothing is shocked in these metrics: what moves them is the margin a trim releases, so rank by that.
        candidates = byMetricGain(state, metric, metric.value(new Map()), exclude, 2 * max);
        notes.push(
          `Positions are ranked by how far closing each one moves the ${metric.name} (the margin it releases, the loan value it adds), largest first.`,
        );
      }
    }
    candidates.sort(byContribution);
    candidates = candidates.slice(0, max);
    const before = metric.value(new Map());
    if (metric.ok(before)) {
      return {
        target: t,
        metric: metric.name,
        before,
        after: before,
        afterAtMarks: before,
        fills,
        limit,
        withinLimit: true,
        trims: [],
        ...(rankedBy ? { rankedBy } : {}),
        notes: [...notes, 'Already inside the limit: nothing to trim.'],
      };
    }
    let found = search(metric, candidates, lots, before);
    if (!found.reached && more && candidates.length < max) {
      const extra = more(before, new Set(candidates.map((c) => c.conId))).slice(0, max - candidates.length);
      if (extra.length > 0) {
        candidates = [...candidates, ...extra];
        found = search(metric, candidates, lots, before);
        notes.push('The losers there were not enough: positions that do not lose follow, ranked by how far closing each one moves the metric.');
      }
    }
    const { chosen, value } = found;
    const marks = fills === AT_MARKS ? value : atMarks.value(chosen);
    const trims: Trim[] = candidates
      .filter((c) => chosen.has(c.conId))
      .map((c) => {
        const q = chosen.get(c.conId)!;
        return {
          conId: c.conId,
          label: c.label,
          secType: c.secType,
          action: c.position.isNegative() ? 'BUY' : 'SELL',
          quantity: q,
          position: c.position,
          after: c.position.add(q),
          contribution: c.contribution,
        };
      });
    const withinLimit = metric.ok(value);
    const atMarksOnly = fills.collar === 0 && !fills.commissions;
    if (withinLimit) {
      notes.push(
        `${trims.length === 1 ? 'This trim reaches' : `These ${trims.length} trims reach`} the limit ${atMarksOnly ? 'at the marks' : 'even at the worst fills the plan accepts'}: the smallest set found (no whole trim the limit does not need, the last cut only as far as needed${atMarksOnly ? '' : ' at those fills'}).`,
      );
    } else if (candidates.length === 0) {
      notes.push(
        t.kind === 'cushion' || t.kind === 'excessLiquidity' || t.kind === 'equityToMaint'
          ? 'No position releases margin when closed: trimming cannot help.'
          : 'No position loses in the ranking scenario: trimming cannot help (a currency exposure needs an FX trade, not a trim).',
      );
    } else if (trims.length === 0) {
      notes.push('No trim moves the metric toward its limit: the rest comes from cash, currency or hedges.');
    } else {
      notes.push(
        'No set of trims reaches the limit: this is the best partial set found (every useful trim, whole); the rest comes from cash, currency or hedges.',
      );
    }
    return {
      target: t,
      metric: metric.name,
      before,
      after: value,
      afterAtMarks: marks,
      fills,
      limit,
      withinLimit,
      trims,
      ...(rankedBy ? { rankedBy } : {}),
      notes,
    };
  } catch (err) {
    return fail(`stress engine: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The reduction an alert offers (Alert.reduction): proposeReduction on the built-in scenarios for what the account
 * holds, those of the rule's families for a stressed Cushion, at the fill terms of the plan it becomes (the plan's
 * collar and limits). What the console and the guard turn into a reduction plan.
 */
export function proposeForAlert(state: PortfolioState, target: ReductionTarget, now: number, fills: FillTerms): ReductionProposal {
  const all = bookScenarios(state);
  const families = target.kind === 'stressedCushion' ? target.families : undefined;
  const scenarios = families ? all.filter((s) => families.includes(s.family)) : all;
  return proposeReduction({ state, scenarios, params: { now }, target, fills });
}
