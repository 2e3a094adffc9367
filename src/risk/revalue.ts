// Revaluation under shocks: per-position P&L vectors and per-group margin vectors over a set of scenario columns.
import { rateFutureOf, type AssetClass } from '../model/contract.js';
import { americanPriceBatch, europeanPriceBatch, fillLadder, priceLadder, type LadderModel, type OptionBatch, type OptionLadder } from './pricing/batch.js';
import type { Dividend } from './pricing/black-scholes.js';
import { cashDividendAmericanLadder, dividendsBeforeExpiry } from './pricing/dividend-lattice.js';
import { QUANTUM, toQuanta, YEAR_MS, type Book, type BookPosition } from './boundary.js';
import { stockRequirement } from './margin.js';
import { StrategyBuffers, planStrategies, strategyRequirements, type StrategyLeg, type StrategyPlan, type UnderlyingRates } from './strategies.js';
import { CLASS_ORDER, exDateMs, type StressParams } from './params.js';
import type { PositionClass } from './positions.js';
import type { ScenarioShocks } from './scenario-types.js';

/*
 * risk-model.md §5: full revaluation of every position under every scenario, in float64 over a
 * structure of arrays, with a P&L vector per position and a margin vector per underlying group.
 * Options are priced model-vs-model (P&L = q·m·(model(shocked) − model(now))), so the residual between
 * TWS's mark and our model is carried unchanged and the zero-shock P&L is exactly 0 (§5.7), save that the stressed
 * value is floored at 0, and an American option's at intrinsic (writeOptionColumns). An option
 * is not priced in a column where nothing that moves it moves (price, vol, rates, days): its P&L there
 * is 0 and its margin that of the zero-shock state.
 */

/** Scenario shocks laid out by column; the last column is always the zero-shock base. */
export interface ScenarioColumns {
  /** Number of columns: the scenarios plus the base column. */
  readonly n: number;
  readonly shocks: readonly ScenarioShocks[];
  readonly vol: Float64Array;
  /** volTermDays per column, 0 when the vol move is the same for every term. */
  readonly volTerm: Float64Array;
  readonly days: Float64Array;
  readonly rates: Float64Array;
  /** fx[c·n + j]: change of currency c (Book.currencies order) against base in column j; 0 for the base currency. */
  readonly fx: Float64Array;
  /** px move of each price-driver class per column (CLASS_ORDER index → vector); shared by every group of the class. */
  readonly pxByClass: readonly Float64Array[];
  /** `sym:` moves per symbol, NaN in columns that do not name the symbol. */
  readonly symMoves: ReadonlyMap<string, Float64Array>;
  /**
   * Columns ordered by (vol, rates, days): option kernels visit them in this order so exercise boundaries
   * are reused. Columns that shock none of the three come first, next to the unshocked price that
   * revalueOption puts ahead of them, so they share its boundary rather than solve it a second time.
   */
  readonly order: Int32Array;
}

/*
 * One zero column per length, shared by every class no shock moves: the liquidation search builds columns for one to a
 * hundred shocks thousands of times a minute, and a Float64Array for each of the thirteen classes was a large part of what the
 * console allocated (docs/performance.md, "The console's garbage"). Nothing writes pxByClass but scenarioColumns (which
 * gives a moved class its own array first); rowShocks hands it out as moves, which are only read, as its own zeros are.
 */
const zeroColumns = new Map<number, Float64Array>();

function zeroColumn(n: number): Float64Array {
  let z = zeroColumns.get(n);
  if (z === undefined) {
    // The lengths are the searches' chunk sizes and the grid's: a handful; a bound in case a caller varies them widely.
    if (zeroColumns.size >= 64) zeroColumns.clear();
    zeroColumns.set(n, (z = new Float64Array(n)));
  }
  return z;
}

export function scenarioColumns(shocks: readonly ScenarioShocks[], currencies: readonly string[], baseCurrency: string): ScenarioColumns {
  const n = shocks.length + 1;
  const zero = zeroColumn(n);
  const vol = new Float64Array(n);
  const volTerm = new Float64Array(n);
  const days = new Float64Array(n);
  const rates = new Float64Array(n);
  const fx = new Float64Array(currencies.length * n);
  const pxByClass = CLASS_ORDER.map(() => zero);
  const symMoves = new Map<string, Float64Array>();
  shocks.forEach((s, j) => {
    vol[j] = s.vol;
    volTerm[j] = s.volTermDays ?? 0;
    days[j] = s.days;
    rates[j] = s.rates ?? 0;
    currencies.forEach((c, ci) => {
      if (c !== baseCurrency) fx[ci * n + j] = s.fx[c] ?? 0;
    });
    for (const [cls, x] of Object.entries(s.px)) {
      const k = CLASS_ORDER.indexOf(cls as AssetClass);
      if (k >= 0 && x !== undefined) {
        if (pxByClass[k] === zero) pxByClass[k] = new Float64Array(n);
        pxByClass[k]![j] = x;
      }
    }
    for (const [sym, x] of Object.entries(s.sym)) {
      let v = symMoves.get(sym);
      if (!v) symMoves.set(sym, (v = new Float64Array(n).fill(NaN)));
      v[j] = x;
    }
  });
  const idx = Array.from({ length: n }, (_, j) => j);
  const shocked = (j: number) => (vol[j] === 0 && rates[j] === 0 && days[j] === 0 ? 0 : 1);
  idx.sort((a, b) => shocked(a) - shocked(b) || vol[a]! - vol[b]! || rates[a]! - rates[b]! || days[a]! - days[b]! || a - b);
  return { n, shocks: [...shocks], vol, volTerm, days, rates, fx, pxByClass, symMoves, order: Int32Array.from(idx) };
}

/**
 * The relative vol move of column j for an option `years` from expiry: the column's move, scaled by
 * min(1, √(volTermDays / days to expiry)) when the column is vol-coordinated by term (risk-model.md §1.6 proxy).
 */
export function volMoveAt(cols: ScenarioColumns, j: number, years: number): number {
  const v = cols.vol[j]!,
    term = cols.volTerm[j]!;
  if (term === 0 || v === 0) return v;
  const days = years * 365;
  return days <= term ? v : v * Math.sqrt(term / days);
}

/**
 * Positions revalued and margined together (positions.ts "groupKey"): an underlying with its options (a
 * stock and its options, an index's options, a future family and its options), or a bucket of linear
 * positions of one class and currency that nothing else is written on.
 */
export interface BookGroup {
  readonly key: string;
  readonly driver?: AssetClass;
  readonly currencyIndex: number;
  readonly segment: 'S' | 'C';
  /** Indices into Book.positions, ascending. */
  readonly members: readonly number[];
  readonly hasOptions: boolean;
  readonly broadIndex: boolean;
  readonly highCapIndex: boolean;
}

/**
 * groupPositions from each position's class and currency, which a book being read knows before its positions
 * (boundary.ts openBook): a rebuild groups the book before reading it, so that its options can be priced as they are read.
 */
export function groupRows(count: number, classOf: (i: number) => PositionClass, currencyOf: (i: number) => number): BookGroup[] {
  // One pass, the flags taken as members join: a rebuild does this before its pricing can start (price-pool.ts).
  type Building = { key: string; members: number[]; first: number; hasOptions: boolean; broadIndex: boolean; highCapIndex: boolean };
  const byKey = new Map<string, Building>();
  const order: Building[] = [];
  for (let i = 0; i < count; i++) {
    const cls = classOf(i);
    let g = byKey.get(cls.groupKey);
    if (g === undefined) {
      g = { key: cls.groupKey, members: [], first: i, hasOptions: false, broadIndex: false, highCapIndex: false };
      byKey.set(cls.groupKey, g);
      order.push(g);
    }
    g.members.push(i);
    if (cls.kind === 'option') g.hasOptions = true;
    if (cls.broadIndex) g.broadIndex = true;
    if (cls.highCapIndex) g.highCapIndex = true;
  }
  return order.map(({ key, members, first, hasOptions, broadIndex, highCapIndex }) => {
    const cls = classOf(first);
    return {
      key,
      ...(cls.driver ? { driver: cls.driver } : {}),
      currencyIndex: currencyOf(first),
      segment: cls.segment,
      members,
      hasOptions,
      broadIndex,
      highCapIndex,
    };
  });
}

/**
 * The price move of every position in each column: the `sym:` move of its symbol, else the `px:` move of
 * its driver class (so `sym:` overrides the class move), and for currency futures also the relative move
 * of the two currencies: F' = F·(1 + move)·(1 + s_ccy1)/(1 + s_ccy2), and for bond futures the column's rate shock
 * through the contract's duration and convexity: F' = F·(1 + move)·(1 − D·Δr + ½·C·Δr²). Positions that no `sym:`
 * names share their class's vector, and positions with the same symbol share one: the vectors are read only. Futures
 * quoted in rate or yield points move by points, which depend on the price: revalueGroup adds them (pointShocks).
 */
export function positionShocks(book: Book, cols: ScenarioColumns): Float64Array[] {
  const positions = book.positions;
  return rowShocks(
    positions.length,
    (i) => positions[i]!.cls,
    (i) => positions[i]!.currencyIndex,
    book,
    cols,
  );
}

/** positionShocks from each position's class and currency (see groupRows). */
export function rowShocks(
  count: number,
  classOf: (i: number) => PositionClass,
  currencyOf: (i: number) => number,
  book: Pick<Book, 'currencies' | 'baseIndex'>,
  cols: ScenarioColumns,
): Float64Array[] {
  const zeros = new Float64Array(cols.n);
  const bySymbolKey = new Map<string, Float64Array>();
  const movesRates = cols.rates.some((r) => r !== 0);
  const out: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    const cls = classOf(i);
    const { driver, symbol, fxFutureCurrency } = cls;
    if (driver === undefined) {
      out.push(zeros);
      continue;
    }
    const byClass = cols.pxByClass[CLASS_ORDER.indexOf(driver)]!;
    const bySymbol = cols.symMoves.get(symbol);
    const rate = movesRates ? rateFutureOf(cls) : undefined;
    const bond = rate?.quote === 'price' ? rate : undefined;
    if (!bySymbol && fxFutureCurrency === undefined && bond === undefined) {
      out.push(byClass);
      continue;
    }
    const currencyIndex = currencyOf(i);
    const key = `${driver}|${symbol}|${currencyIndex}|${fxFutureCurrency ?? ''}|${bond ? 'rates' : ''}`;
    let v = bySymbolKey.get(key);
    if (v === undefined) {
      v = new Float64Array(cols.n);
      const fxFuture = fxFutureCurrency === undefined ? -1 : book.currencies.indexOf(fxFutureCurrency);
      for (let j = 0; j < cols.n - 1; j++) {
        const s = bySymbol?.[j];
        let m = s !== undefined && !Number.isNaN(s) ? s : byClass[j]!;
        if (fxFutureCurrency !== undefined) {
          // The future's currency pair: the named currency against the contract currency (0 for the base).
          const up = fxFuture >= 0 ? cols.fx[fxFuture * cols.n + j]! : (cols.shocks[j]!.fx[fxFutureCurrency] ?? 0);
          const down = currencyIndex === book.baseIndex ? 0 : cols.fx[currencyIndex * cols.n + j]!;
          m = ((1 + m) * (1 + up)) / (1 + down) - 1;
        }
        if (bond !== undefined) {
          const dr = cols.rates[j]!;
          if (dr !== 0) m = (1 + m) * (1 - bond.duration * dr + 0.5 * bond.convexity * dr * dr) - 1;
        }
        v[j] = m;
      }
      bySymbolKey.set(key, v);
    }
    out.push(v);
  }
  return out;
}

/**
 * The move of F per unit of rate shock, ∓100/F, of a priced position quoted in rate or yield points when the columns
 * move rates; else 0 (its shock vector is rowShocks'). The pricing worker leaves such options to revalueOption.
 */
export function pointsPerRate(p: BookPosition, cols: ScenarioColumns): number {
  const rate = rateFutureOf(p.cls);
  if (rate === undefined || rate.quote === 'price' || p.unpriced !== undefined) return 0;
  const F = p.cls.kind === 'option' ? p.underlying : p.price;
  if (!(F > 0) || !cols.rates.some((r) => r !== 0)) return 0;
  return (rate.quote === 'rate' ? -100 : 100) / F;
}

/**
 * `shocks` with the rate shock added to the members of `group` quoted in rate or yield points (rate futures
 * RateFutureQuote 'rate' and 'yield', and their options): F' = F·(1 + move) ∓ 100·Δr, as a move of F, the future's
 * price (an option's underlying). Exact in points whatever F is, which rowShocks cannot be: it runs before the prices
 * are read, and a price tick revalues the group without it. The same array when no member is quoted so.
 */
export function pointShocks(book: Book, group: BookGroup, shocks: readonly Float64Array[], cols: ScenarioColumns): readonly Float64Array[] {
  // Every group of every revaluation passes here: without a rate shock no member is looked up.
  if (!cols.rates.some((r) => r !== 0)) return shocks;
  let out: Float64Array[] | undefined;
  for (const m of group.members) {
    const p = book.positions[m]!;
    const points = pointsPerRate(p, cols);
    if (points === 0) continue;
    const shock = shocks[m]!;
    const v = new Float64Array(cols.n);
    for (let j = 0; j < cols.n; j++) v[j] = shock[j]! + points * cols.rates[j]!;
    (out ??= shocks.slice())[m] = v;
  }
  return out ?? shocks;
}

/**
 * Grow-only buffers of a margin scan (the SPAN-style futures scan and the portfolio-margin scan): the loss or value
 * table, the kernel's output and its input batch. One set serves both scans, which never run at the same time.
 */
export class ScanBuffers {
  private v = new Float64Array(0);
  private o = new Float64Array(0);
  private b: (OptionBatch & { readonly S: Float64Array }) | undefined;
  private bn = 0;

  values(n: number): Float64Array {
    if (this.v.length < n) this.v = new Float64Array(n);
    return this.v;
  }

  out(n: number): Float64Array {
    if (this.o.length < n) this.o = new Float64Array(n);
    return this.o;
  }

  batch(n: number): OptionBatch & { readonly S: Float64Array } {
    if (!this.b || this.bn < n) {
      const f = () => new Float64Array(n);
      this.b = { S: f(), pvDividend: f(), K: f(), T: f(), r: f(), b: f(), vol: f(), isCall: new Uint8Array(n) };
      this.bn = n;
    }
    return this.b;
  }
}

/** Caller-owned buffers for the kernels (sized to the largest column count seen; never shrunk). */
export class Scratch {
  batch!: OptionBatch & { readonly S: Float64Array };
  out = new Float64Array(0);
  /** Column of each batch element; option price per column. */
  col = new Int32Array(0);
  maint = new Float64Array(0);
  init = new Float64Array(0);
  /** Option values per member and column: [ordinal·n + j]. */
  values = new Float64Array(0);
  size = 0;
  /** The SPAN and portfolio-margin scans' buffers. */
  readonly scan = new ScanBuffers();
  readonly strategy = new StrategyBuffers();
  /**
   * The Reg T pairing of each group by group key, with the legs it was planned from. The pairing depends only on
   * the legs' rights, strikes, expiries and units and on the shares held, which a price tick or a rebuild for
   * another group's position leaves as they were, so it is planned again only when one of those changed.
   */
  private readonly plans = new Map<string, { legs: readonly StrategyLeg[]; shares: number; plan: StrategyPlan }>();

  plan(key: string, legs: readonly StrategyLeg[], shares: number): StrategyPlan {
    const hit = this.plans.get(key);
    if (hit && hit.shares === shares && sameLegs(hit.legs, legs)) return hit.plan;
    const plan = planStrategies(legs, shares);
    this.plans.set(key, { legs, shares, plan });
    return plan;
  }

  /** Forgets the pairings of groups no longer in the book. */
  keepPlans(groups: readonly BookGroup[]): void {
    if (this.plans.size === 0) return;
    const live = new Set(groups.map((g) => g.key));
    for (const key of this.plans.keys()) if (!live.has(key)) this.plans.delete(key);
  }

  /** The ladder plan of a price-move vector over `cols` (the vectors are read-only and shared, see positionShocks). */
  ladderPlan(cols: ScenarioColumns, shock: Float64Array): LadderPlan {
    const hit = this.plans_.get(shock);
    if (hit && hit.cols === cols) return hit;
    const plan = ladderPlan(cols, shock);
    this.plans_.set(shock, plan);
    return plan;
  }

  /** The ladder buffers, sized for `plan`, with its slots and run ends. */
  ladder(plan: LadderPlan): OptionLadder {
    let L = this.ladder_;
    if (!L || L.S.length < plan.slots || L.T.length < plan.runs) {
      const slots = Math.max(plan.slots, L?.S.length ?? 0),
        runs = Math.max(plan.runs, L?.T.length ?? 0);
      const f = (m: number) => new Float64Array(m);
      L = this.ladder_ = {
        isCall: 0,
        K: NaN,
        S: f(slots),
        SE: f(slots),
        LN: f(slots),
        slot: plan.slot,
        T: f(runs),
        r: f(runs),
        b: f(runs),
        vol: f(runs),
        end: plan.end,
        runs: 0,
      };
    }
    L.slot = plan.slot;
    L.end = plan.end;
    L.runs = plan.runs;
    return L;
  }

  /** A rebuild's option prices from the pricing worker (price-pool.ts), while that rebuild revalues its groups. */
  prepriced: Prepriced | undefined;

  private readonly plans_ = new WeakMap<Float64Array, LadderPlan>();
  private ladder_: OptionLadder | undefined;

  ensure(n: number, values = 0): void {
    if (this.values.length < values) this.values = new Float64Array(values);
    if (n <= this.size) return;
    const f = () => new Float64Array(n);
    this.batch = { S: f(), pvDividend: f(), K: f(), T: f(), r: f(), b: f(), vol: f(), isCall: new Uint8Array(n) };
    this.out = f();
    this.col = new Int32Array(n);
    this.maint = f();
    this.init = f();
    this.size = n;
  }
}

/** Option prices computed ahead of a rebuild's revaluation, by position: the ladder's elements at out[record·stride …]. */
export interface Prepriced {
  /** The book and columns they were computed for: any other revaluation (the liquidation search) ignores them. */
  readonly book: Book;
  readonly cols: ScenarioColumns;
  /** Record of each position, −1 when it has none. */
  readonly recordOf: Int32Array;
  /** 1 where the record was priced, 0 or 2 where revalueOption prices it itself (shared with the worker: read with Atomics). */
  readonly priced: Int32Array;
  readonly out: Float64Array;
  readonly stride: number;
}

function sameLegs(a: readonly StrategyLeg[], b: readonly StrategyLeg[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!,
      y = b[i]!;
    if (x.units !== y.units || x.isCall !== y.isCall || x.strike !== y.strike || x.expiryMs !== y.expiryMs) return false;
  }
  return true;
}

/** Risk-free rate of a currency. */
export function rateOf(params: StressParams, currency: string): number {
  return params.rates[currency] ?? params.defaultRate;
}

/** Where revalueGroup writes: P&L of a member at pnl[(byOrdinal ? ordinal : member)·n …], margins at maint/init[at …]. */
export interface GroupOutput {
  readonly pnl: Float64Array;
  /** false: P&L rows indexed by position (the grid); true: by rank within the group (a scratch buffer). */
  readonly byOrdinal: boolean;
  readonly maint: Float64Array;
  readonly init: Float64Array;
  readonly at: number;
}

/**
 * Revalues every member of `group` in every column: each member's P&L (quanta, contract currency) and
 * the group's requirements (quanta, length n): the portfolio-margin scan for stock and index groups in a
 * portfolio-margin account (usesPortfolioMargin), else Reg T strategies for a stock or index with options
 * (strategies.ts), the SPAN-style scan for futures families, the position rules for the rest.
 * `shocks` is positionShocks(…).
 */
export function revalueGroup(
  book: Book,
  group: BookGroup,
  shocks: readonly Float64Array[],
  cols: ScenarioColumns,
  params: StressParams,
  dst: GroupOutput,
  scratch: Scratch,
): void {
  shocks = pointShocks(book, group, shocks, cols);
  const pnl = dst.pnl;
  const n = cols.n;
  const members = group.members;
  scratch.ensure(n + 1, members.length * n);
  const gm = scratch.maint;
  const gi = scratch.init;
  gm.fill(0, 0, n);
  gi.fill(0, 0, n);
  // In a portfolio-margin account the TIMS-like scan writes a stock or index group's requirements whole, so the
  // Reg T rules (the pairing included) are not evaluated for it at all.
  const pm = usesPortfolioMargin(group, params);
  const strategies = !pm && group.hasOptions && group.segment === 'S';
  // Futures families: the SPAN-style scan below carries every member's requirement.
  const span = !pm && group.segment === 'C';
  const own = !pm && !strategies && !span;
  const values = scratch.values;
  for (let ordinal = 0; ordinal < members.length; ordinal++) {
    const m = members[ordinal]!;
    const p = book.positions[m]!;
    const at = (dst.byOrdinal ? ordinal : m) * n;
    if (p.unpriced !== undefined || p.cls.kind === 'cashPair' || p.cls.kind === 'none') {
      // CASH pairs: legs in the cash balances. Unpriced: held at the mark and listed; no margin estimate
      // of their own (the calibration to the reported requirement absorbs it).
      pnl.fill(0, at, at + n);
    } else if (p.cls.kind === 'option') {
      revalueOption(book, p, m, shocks[m]!, cols, params, pnl, at, values, ordinal * n, scratch);
    } else {
      revalueLinear(p, shocks[m]!, cols, params, pnl, at, own ? gm : undefined, own ? gi : undefined);
    }
  }
  if (pm) return portfolioMarginGroup(book, group, shocks, cols, params, dst, scratch.scan);
  if (strategies) strategyGroupRequirement(book, group, shocks, n, params, values, gm, gi, scratch);
  else if (span) spanGroupRequirement(book, group, shocks, cols, params, gm, gi, scratch);
  const { maint, init, at } = dst;
  for (let j = 0; j < n; j++) {
    maint[at + j] = toQuanta(gm[j]!);
    init[at + j] = toQuanta(gi[j]!);
  }
}

/** Price moves of the 16 SPAN scenarios as fractions of the scan range, and whether each is an extreme one. */
const SPAN_MOVES = [0, 0, 1 / 3, 1 / 3, -1 / 3, -1 / 3, 2 / 3, 2 / 3, -2 / 3, -2 / 3, 1, 1, -1, -1];
const SPAN_SCENARIOS = SPAN_MOVES.length + 2;

/**
 * SPAN-style requirement of a futures family per column (risk-model.md §2.3): from the column's stressed state,
 * 14 scenarios move the futures price by 0, ±1/3, ±2/3 and ±3/3 of the scan range with vol up and down, and two
 * extremes by ±extremeMultiple ranges at unchanged vol, their loss counted at extremeCoverage; options revalued in
 * full (Black-76, one day of look-ahead). The scan range is in points and fixed at the zero-shock price (or given
 * per symbol), so a crash does not lower the futures' requirement. Requirement = max(scan risk + intra-commodity
 * spread charge, short option minimum). SPAN's net option value is not subtracted: NetLiquidation and
 * EquityWithLoanValue already hold futures options at market, so it would count twice; long options offset
 * through the scan (a long put gains where the future loses).
 */
function spanGroupRequirement(
  book: Book,
  group: BookGroup,
  shocks: readonly Float64Array[],
  cols: ScenarioColumns,
  params: StressParams,
  gm: Float64Array,
  gi: Float64Array,
  scratch: Scratch,
): void {
  const n = cols.n;
  const sp = params.span;
  const X = sp.extremeMultiple;
  const moves = [...SPAN_MOVES, X, -X];
  const losses = scratch.scan.values(n * SPAN_SCENARIOS);
  losses.fill(0, 0, n * SPAN_SCENARIOS);
  const fixed = new Float64Array(SPAN_SCENARIOS);
  let longs = 0,
    shorts = 0,
    som = 0;
  for (const m of group.members) {
    const p = book.positions[m]!;
    if (p.unpriced !== undefined) continue;
    const qm = p.qty * p.multiplier;
    const psr = sp.scanRanges[p.cls.symbol] ?? params.margin.futuresPct * (p.cls.kind === 'option' ? p.underlying : p.price);
    if (p.cls.kind !== 'option') {
      // A future's loss is linear in the move in points: the same in every column.
      for (let s = 0; s < SPAN_SCENARIOS; s++) fixed[s] = fixed[s]! - qm * moves[s]! * psr * (s >= SPAN_MOVES.length ? sp.extremeCoverage : 1);
      if (qm > 0) longs += qm * psr;
      else shorts -= qm * psr;
      continue;
    }
    if (qm < 0) som += -qm * sp.shortOptionMinShare * psr;
    const per = SPAN_SCENARIOS + 1;
    const batch = scratch.scan.batch(n * per);
    const r0 = rateOf(params, book.currencies[p.currencyIndex]!);
    const T0 = (p.expiryMs - book.clockMs) / YEAR_MS;
    const shock = shocks[m]!;
    // Columns that leave the option as it is (no move of its underlying, vol, rates or days: most of the scenario grid's,
    // which shock other classes and currencies) price exactly as one another: one of them is priced, the rest read it.
    const from = new Int32Array(n);
    let still = -1;
    let e = 0;
    for (let j = 0, priced = 0; j < n; j++) {
      const unmoved = shock[j] === 0 && cols.days[j] === 0 && cols.rates[j] === 0 && volMoveAt(cols, j, T0) === 0;
      if (unmoved && still >= 0) {
        from[j] = still;
        continue;
      }
      from[j] = priced;
      if (unmoved) still = priced;
      priced++;
      const F = p.underlying * (1 + shock[j]!);
      const T = T0 - cols.days[j]! / 365;
      const r = r0 + cols.rates[j]!;
      const vol = p.iv * (1 + volMoveAt(cols, j, T0));
      for (let s = 0; s < per; s++) {
        // Element 0 of each column: the option in the column's state; then the 16 scenarios a day later.
        const extreme = s > SPAN_MOVES.length;
        const up = s > 0 && !extreme && (s - 1) % 2 === 0;
        batch.S[e] = s === 0 ? F : Math.max(0, F + moves[s - 1]! * psr);
        batch.T[e] = s === 0 ? T : T - sp.lookAheadDays / 365;
        batch.r[e] = r;
        batch.b[e] = 0;
        batch.vol[e] = s === 0 || extreme ? vol : Math.max(0, vol * (up ? 1 + sp.volRange : 1 - sp.volRange));
        batch.K[e] = p.strike;
        batch.pvDividend[e] = 0;
        batch.isCall[e] = p.isCall;
        e++;
      }
    }
    const out = scratch.scan.out(e);
    americanPriceBatch(out, batch, e);
    for (let j = 0; j < n; j++) {
      const at = from[j]! * per;
      const base = out[at]!;
      for (let s = 0; s < SPAN_SCENARIOS; s++) {
        const w = s >= SPAN_MOVES.length ? sp.extremeCoverage : 1;
        losses[j * SPAN_SCENARIOS + s] = losses[j * SPAN_SCENARIOS + s]! - qm * (out[at + s + 1]! - base) * w;
      }
    }
  }
  const charge = sp.spreadChargeShare * Math.min(longs, shorts);
  for (let j = 0; j < n; j++) {
    let scan = 0;
    for (let s = 0; s < SPAN_SCENARIOS; s++) scan = Math.max(scan, losses[j * SPAN_SCENARIOS + s]! + fixed[s]!);
    const req = Math.max(scan + charge, som);
    gm[j] = gm[j]! + req;
    gi[j] = gi[j]! + req;
  }
}

/** Naked-option percentages and stock rates of an underlying: broad-based ETFs at the index 15%, leveraged ETFs × leverage. */
export function underlyingRates(symbol: string, broadIndex: boolean, params: StressParams): UnderlyingRates {
  const rules = params.margin;
  const lev = params.leveragedEtfs[symbol] ?? 1;
  const broad = broadIndex || params.broadEtfSymbols.includes(symbol);
  const cap = (x: number) => Math.min(1, x * lev);
  return {
    basePct: cap(broad ? rules.indexOptionBasePct : rules.optionBasePct),
    minPct: cap(rules.optionMinPct),
    longMaint: cap(rules.stockLongMaint),
    longInit: cap(rules.stockLongInit),
    protectPct: rules.protectivePct,
  };
}

/**
 * The Reg T requirement of a stock or index group with options, per column (strategies.ts): the pairing is
 * planned from the legs' rights, strikes, expiries and quantities (again only when one of them changed), and
 * evaluated in every column at the stressed underlying and option values (values: revalueGroup's, per member
 * and column). Added to gm and gi. Exported for the benchmark, which reports the pairing's cost on its own.
 */
export function strategyGroupRequirement(
  book: Book,
  group: BookGroup,
  shocks: readonly Float64Array[],
  n: number,
  params: StressParams,
  values: Float64Array,
  gm: Float64Array,
  gi: Float64Array,
  scratch: Scratch,
): void {
  const legs: StrategyLeg[] = [];
  const legOffset: number[] = [];
  const legShock: Float64Array[] = [];
  let shares = 0;
  let stock: BookPosition | undefined;
  let stockShock: Float64Array | undefined;
  let und = NaN;
  let symbol = '';
  group.members.forEach((m, ordinal) => {
    const p = book.positions[m]!;
    if (p.unpriced !== undefined) return;
    symbol = p.cls.symbol;
    if (p.cls.kind === 'option') {
      legs.push({ units: p.qty * p.multiplier, isCall: p.isCall === 1, strike: p.strike, expiryMs: p.expiryMs });
      legOffset.push(ordinal * n);
      legShock.push(shocks[m]!);
      if (!Number.isFinite(und)) und = p.underlying;
    } else if (p.cls.kind === 'linear') {
      shares += p.qty * p.multiplier;
      if (!stock) {
        stock = p;
        stockShock = shocks[m]!;
      }
    }
  });
  if (legs.length === 0 && !stock) return;
  const plan = scratch.plan(group.key, legs, shares);
  const rates = underlyingRates(symbol, group.broadIndex, params);
  const optShock = legShock[0] ?? stockShock!;
  if (!Number.isFinite(und)) und = stock!.price;
  const stockPrice = stock ? stock.price : und;
  const pxShock = stockShock ?? optShock;
  const buf = scratch.strategy;
  buf.ensure(n);
  const { S, stockPrice: px } = buf;
  for (let j = 0; j < n; j++) {
    S[j] = und * (1 + optShock[j]!);
    px[j] = stockPrice * (1 + pxShock[j]!);
  }
  strategyRequirements(plan, legs, S, px, values, legOffset, n, rates, params.margin, buf, gm, gi);
}

/** Linear instruments: STK, FUND, IND, CMDTY, CRYPTO (value × move), bonds (plus duration), futures and CFDs (q·m·ΔP). */
function revalueLinear(
  p: BookPosition,
  shock: Float64Array,
  cols: ScenarioColumns,
  params: StressParams,
  pnl: Float64Array,
  at: number,
  gm: Float64Array | undefined,
  gi: Float64Array | undefined,
): void {
  const n = cols.n;
  const rules = params.margin;
  const kind = p.cls.kind;
  const value = p.nlvQuanta * QUANTUM;
  if (kind === 'future' || kind === 'cfd') {
    const notional = p.qty * p.multiplier * p.price;
    for (let j = 0; j < n; j++) pnl[at + j] = toQuanta(notional * shock[j]!);
  } else if (kind === 'bond' && Number.isFinite(p.duration)) {
    // D and C are sensitivities of the dirty price: the rate move is a share of the dirty value (the clean market
    // value plus accrued interest), taken after the px: move of the quoted clean price. Applied to the clean value it
    // understated the US-T's +100 bp loss by accrued/clean (1.3%: −3,323.60 for −3,366.50).
    const D = p.duration,
      C = p.convexity,
      // The accrued interest in money, scaled from the market value (value × accrued / clean price, both in percent of
      // par): qty × multiplier × accrued held only where the multiplier is 0.01 (the simulator's convention), and a
      // bond TWS sends with no multiplier (1) counted it 100 times over (review).
      accrued = p.price > 0 ? (value * p.accrued) / p.price : 0,
      rates = cols.rates;
    for (let j = 0; j < n; j++) {
      const dy = rates[j]!,
        s = shock[j]!;
      pnl[at + j] = toQuanta(value * s + (value * (1 + s) + accrued) * (-D * dy + 0.5 * C * dy * dy));
    }
  } else {
    for (let j = 0; j < n; j++) pnl[at + j] = toQuanta(value * shock[j]!);
  }
  // In a stock group with options the strategies carry the shares' requirement.
  if (!gm || !gi) return;
  const q = p.qty * p.multiplier;
  const price = p.price;
  switch (p.cls.assetClass) {
    case 'STK':
    case 'FUND':
    case 'IND':
    case 'CFD':
      if (q >= 0) {
        const lev = params.leveragedEtfs[p.cls.symbol] ?? 1;
        const m = q * price * Math.min(1, rules.stockLongMaint * lev),
          i = q * price * Math.min(1, rules.stockLongInit * lev);
        for (let j = 0; j < n; j++) {
          const f = 1 + shock[j]!;
          gm[j] = gm[j]! + m * f;
          gi[j] = gi[j]! + i * f;
        }
      } else {
        for (let j = 0; j < n; j++) {
          const px = price * (1 + shock[j]!);
          gm[j] = gm[j]! + stockRequirement(q, px, rules, false);
          gi[j] = gi[j]! + stockRequirement(q, px, rules, true);
        }
      }
      return;
    case 'BOND':
      for (let j = 0; j < n; j++) {
        const v = rules.bondPct * Math.abs(value + pnl[at + j]! * QUANTUM);
        gm[j] = gm[j]! + v;
        gi[j] = gi[j]! + v;
      }
      return;
    default: {
      // FUT: a share of notional (the commodity segment is calibrated to its reported requirement);
      // CMDTY, CRYPTO and unknown linear types: no loan value at IBKR.
      const rate = p.cls.assetClass === 'FUT' ? rules.futuresPct : rules.nonMarginablePct;
      const v = rate * Math.abs(q * price);
      for (let j = 0; j < n; j++) {
        const x = v * Math.abs(1 + shock[j]!);
        gm[j] = gm[j]! + x;
        gi[j] = gi[j]! + x;
      }
    }
  }
}

/**
 * Where an option's prices go in a grid (one plan per price-move vector and set of columns, shared by every option
 * that moves with it): element 0 is the option now, then every column that moves the option, in `cols.order`, in
 * runs of columns that shock vol, rates and days alike; each element at one of the distinct price moves (its slot,
 * slot 0 the unmoved price).
 */
export interface LadderPlan {
  readonly cols: ScenarioColumns;
  readonly moves: Float64Array;
  readonly slots: number;
  readonly elements: number;
  /** Per element: its column (element 0: none) and its slot. */
  readonly col: Int32Array;
  readonly slot: Int32Array;
  /** Per run (run 0: element 0 and the columns that move the price alone): the columns' vol move, vol term, days and rate shift; the end of its elements. */
  readonly runs: number;
  readonly vol: Float64Array;
  readonly volTerm: Float64Array;
  readonly days: Float64Array;
  readonly rates: Float64Array;
  readonly end: Int32Array;
}

/*
 * A column moves an option when its price move, vol move, days or rates are not 0. The vol move an option sees is
 * the column's, scaled by the term (volMoveAt), which is 0 only where the column's is 0, save a scaled move that
 * underflows: ladderRuns reports that case and revalueOption then takes the per-element batch.
 */
function ladderPlan(cols: ScenarioColumns, shock: Float64Array): LadderPlan {
  const { n, order, vol, volTerm, days, rates } = cols;
  const col = new Int32Array(n + 1);
  const slot = new Int32Array(n + 1);
  const runVol = [0],
    runTerm = [0],
    runDays = [0],
    runRates = [0],
    end = [1];
  const slotOf = new Map<number, number>([[0, 0]]);
  const moves = [0];
  let e = 1;
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    const x = shock[j]!,
      v = vol[j]!,
      term = volTerm[j]!,
      d = days[j]!,
      dr = rates[j]!;
    if (x === 0 && v === 0 && d === 0 && dr === 0) continue;
    let u = slotOf.get(x);
    if (u === undefined) {
      u = moves.length;
      slotOf.set(x, u);
      moves.push(x);
    }
    // The columns that move the price alone come first (cols.order) and join run 0, the option now: the same
    // (T, r, vol) to the bit, so they share its constants and exercise boundary instead of solving it again.
    const last = runVol.length - 1;
    if (!(runVol[last] === v && runTerm[last] === term && runDays[last] === d && runRates[last] === dr)) {
      runVol.push(v);
      runTerm.push(term);
      runDays.push(d);
      runRates.push(dr);
      end.push(e);
    }
    col[e] = j;
    slot[e] = u;
    e++;
    end[end.length - 1] = e;
  }
  return {
    cols,
    moves: Float64Array.from(moves),
    slots: moves.length,
    elements: e,
    col,
    slot,
    runs: runVol.length,
    vol: Float64Array.from(runVol),
    volTerm: Float64Array.from(runTerm),
    days: Float64Array.from(runDays),
    rates: Float64Array.from(runRates),
    end: Int32Array.from(end),
  };
}

/**
 * Options: the price now and the price in every column that moves the option (P&L = q·m·(model' − model now)); the
 * option's value per unit in each column (TWS's mark plus the model's change, at least 0) goes to values[vat + j],
 * for the requirement rules. European and BAW prices come from the ladder kernels (a ladder plan per price-move
 * vector, the spots and their logarithms once per option, the run constants once per run), or from a rebuild's
 * pricing worker, which ran the same kernels on the same ladder (scratch.prepriced); the cash-dividend lattice from
 * the per-element batch.
 */
function revalueOption(
  book: Book,
  p: BookPosition,
  m: number,
  shock: Float64Array,
  cols: ScenarioColumns,
  params: StressParams,
  pnl: Float64Array,
  at: number,
  values: Float64Array,
  vat: number,
  scratch: Scratch,
): void {
  const pre = scratch.prepriced;
  if (pre !== undefined && pre.book === book && pre.cols === cols) {
    const rec = pre.recordOf[m]!;
    if (rec >= 0 && Atomics.load(pre.priced, rec) === 1) {
      const plan = scratch.ladderPlan(cols, shock);
      return writeOptionColumns(p, shock, pre.out, rec * pre.stride, plan.col, plan.elements, cols.n, pnl, at, values, vat);
    }
  }
  const L = optionLadder(book, p, shock, cols, params, scratch);
  if (L === undefined) {
    const model = p.cls.model!;
    const T0 = (p.expiryMs - book.clockMs) / YEAR_MS;
    const dividends = model === 'bsmAmerican' ? dividendsOf(params, p, book.clockMs) : undefined;
    return revalueOptionBatch(
      book,
      p,
      shock,
      cols,
      params,
      pnl,
      at,
      values,
      vat,
      scratch,
      dividends && dividendsBeforeExpiry(dividends, T0) ? dividends : undefined,
    );
  }
  const plan = scratch.ladderPlan(cols, shock);
  priceLadder(scratch.out, L, ladderModel(p), plan.elements);
  writeOptionColumns(p, shock, scratch.out, 0, plan.col, plan.elements, cols.n, pnl, at, values, vat);
}

/** The ladder kernel's model code of an option. */
export function ladderModel(p: BookPosition): LadderModel {
  const model = p.cls.model!;
  return model === 'bsmEuropean' ? 0 : model === 'black76American' ? 2 : 1;
}

/**
 * The option's ladder (scratch.ladder, filled: the runs' T, r, b and vol, the slots' spots and logarithms), or
 * undefined when the option takes the per-element batch: a cash dividend before expiry (the lattice), or a vol move
 * scaled by the term that underflows to 0.
 */
export function optionLadder(
  book: Book,
  p: BookPosition,
  shock: Float64Array,
  cols: ScenarioColumns,
  params: StressParams,
  scratch: Scratch,
): OptionLadder | undefined {
  if (takesLattice(book, p, params)) return undefined;
  const plan = scratch.ladderPlan(cols, shock);
  const L = scratch.ladder(plan);
  const futures = p.cls.model === 'black76American';
  return fillLadder(L, plan, optionT0(book, p), optionRate(book, p, params), p.iv, futures, p.isCall, p.strike, p.underlying, futures ? 0 : p.pvDividend)
    ? L
    : undefined;
}

/** True for an American stock option with a cash dividend before expiry: priced on the lattice, never on a ladder. */
export function takesLattice(book: Pick<Book, 'clockMs'>, p: BookPosition, params: StressParams): boolean {
  if (p.cls.model !== 'bsmAmerican') return false;
  const dividends = dividendsOf(params, p, book.clockMs);
  return dividends !== undefined && dividendsBeforeExpiry(dividends, optionT0(book, p));
}

/** An option's time to expiry now, in years. */
export function optionT0(book: Pick<Book, 'clockMs'>, p: BookPosition): number {
  return (p.expiryMs - book.clockMs) / YEAR_MS;
}

/** The risk-free rate an option is priced with: its currency's. */
export function optionRate(book: Pick<Book, 'currencies'>, p: BookPosition, params: StressParams): number {
  return rateOf(params, book.currencies[p.currencyIndex]!);
}

/**
 * P&L and value per column from the prices of the moving columns (element e, at out[o + e], is column col[e]; element 0 now).
 * The stressed value is the mark plus the model's change, floored: at 0, and for an American option (stock options,
 * futures options) at its intrinsic value on the column's underlying, since it can be exercised for that. Without the
 * floor the residual (mark − model now), carried into every column, made a far out-of-the-money short call an asset
 * under a crash (mark 13.69, model 14.08: −0.38) and an American put worth less than exercising it. A European option
 * (index options, warrants) may be worth less than intrinsic, so it is floored at 0 only. Columns that do not move the
 * option keep the mark as it is, the zero column included.
 */
function writeOptionColumns(
  p: BookPosition,
  shock: Float64Array,
  out: Float64Array,
  o: number,
  col: Int32Array,
  k: number,
  n: number,
  pnl: Float64Array,
  at: number,
  values: Float64Array,
  vat: number,
): void {
  const now = out[o]!;
  const qm = p.qty * p.multiplier;
  const mark = p.price;
  const american = p.cls.model !== 'bsmEuropean';
  const und = p.underlying,
    strike = p.strike,
    call = p.isCall === 1;
  pnl.fill(0, at, at + n);
  values.fill(mark > 0 ? mark : 0, vat, vat + n);
  for (let e = 1; e < k; e++) {
    const j = col[e]!;
    const price = out[o + e]!;
    let floor = 0;
    if (american) {
      // The underlying the kernels priced this column on (the shock is the one they read, rate points included).
      const S = und * (1 + shock[j]!);
      const exercise = call ? S - strike : strike - S;
      if (exercise > 0) floor = exercise;
    }
    const v = mark + (price - now);
    if (v >= floor) {
      // Unfloored cells are computed exactly as before the floor, to the bit.
      pnl[at + j] = toQuanta(qm * (price - now));
      values[vat + j] = v;
    } else {
      pnl[at + j] = toQuanta(qm * (floor - mark));
      values[vat + j] = floor;
    }
  }
}

/** revalueOption through the per-element batch: the cash-dividend lattice, and a vol move that underflows. */
function revalueOptionBatch(
  book: Book,
  p: BookPosition,
  shock: Float64Array,
  cols: ScenarioColumns,
  params: StressParams,
  pnl: Float64Array,
  at: number,
  values: Float64Array,
  vat: number,
  scratch: Scratch,
  dividends: readonly Dividend[] | undefined,
): void {
  const n = cols.n;
  const { batch, out, col } = scratch;
  const { S, pvDividend, K, T, r, b, vol: sigma, isCall } = batch;
  const model = p.cls.model!;
  const futures = model === 'black76American';
  const r0 = rateOf(params, book.currencies[p.currencyIndex]!);
  const T0 = (p.expiryMs - book.clockMs) / YEAR_MS;
  const pv = futures ? 0 : p.pvDividend;
  const call = p.isCall,
    strike = p.strike,
    und = p.underlying,
    iv = p.iv;
  // One pass writes every input that varies by column, instead of a pass per array.
  S[0] = und;
  T[0] = T0;
  r[0] = r0;
  sigma[0] = iv;
  b[0] = futures ? 0 : r0;
  let k = 1;
  const { order, days, rates, vol: volMove, volTerm } = cols;
  const termDays = T0 * 365;
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    const x = shock[j]!,
      d = days[j]!,
      dr = rates[j]!;
    // volMoveAt, inlined: the column's move, scaled down for a term longer than the column's vol term.
    const vj = volMove[j]!,
      term = volTerm[j]!;
    const v = term === 0 || vj === 0 || termDays <= term ? vj : vj * Math.sqrt(term / termDays);
    if (x === 0 && v === 0 && d === 0 && dr === 0) continue;
    col[k] = j;
    S[k] = und * (1 + x);
    T[k] = T0 - d / 365;
    const rk = r0 + dr;
    r[k] = rk;
    b[k] = futures ? 0 : rk;
    sigma[k] = iv * (1 + v);
    k++;
  }
  // The option's own inputs are the same in every element: one native fill each instead of a store per element.
  pvDividend.fill(pv, 0, k);
  K.fill(strike, 0, k);
  isCall.fill(call, 0, k);
  if (dividends) {
    cashDividendBatch(out, batch, k, T0, und, dividends);
  } else if (model === 'bsmEuropean') europeanPriceBatch(out, batch, k);
  else if (model === 'bsmAmerican' && call === 1) {
    // A stock call priced on the escrowed spot with carry b = r never exercises early under BAW, so
    // americanPriceBatch would return max(European(S − pv), intrinsic(S)): the same value, computed directly.
    europeanPriceBatch(out, batch, k);
    for (let e = 0; e < k; e++) {
      const exercise = S[e]! > strike ? S[e]! - strike : 0;
      if (exercise > out[e]!) out[e] = exercise;
    }
  } else americanPriceBatch(out, batch, k);
  writeOptionColumns(p, shock, out, 0, col, k, n, pnl, at, values, vat);
}

/**
 * The cash dividends an American stock option is priced with, as times in years from the valuation clock: the
 * settings' list when they name the symbol (an empty list says "none", and TWS's is not used), else the next one TWS
 * announced for the underlying (tick 59) and, up to expiry, the same amount every 1/k year after it, k the payments
 * a year its next-12-months sum implies (docs/stress-model.md: TWS gives one date; a later payment left out would
 * be a dividend missing from the price, where the escrowed model had all of them).
 */
export function dividendsOf(
  params: StressParams,
  p: Pick<BookPosition, 'cls' | 'feedExDateMs' | 'feedDividend' | 'feedPerYear' | 'expiryMs'>,
  clockMs: number,
): readonly Dividend[] | undefined {
  const held = dividendLists.get(p);
  if (held !== undefined && held.params === params && held.clockMs === clockMs) return held.list;
  const list = dividendsFor(params, p, clockMs);
  dividendLists.set(p, { params, clockMs, list });
  return list;
}

/**
 * dividendsOf's list per position (its fields are read-only), for the params and clock it was made with: a search
 * asks for it twice per option and evaluation, thousands of short-lived lists (the collector was a tenth of it).
 */
const dividendLists = new WeakMap<object, { readonly params: StressParams; readonly clockMs: number; readonly list: readonly Dividend[] | undefined }>();

function dividendsFor(
  params: StressParams,
  p: Pick<BookPosition, 'cls' | 'feedExDateMs' | 'feedDividend' | 'feedPerYear' | 'expiryMs'>,
  clockMs: number,
): readonly Dividend[] | undefined {
  const list = Object.hasOwn(params.dividends, p.cls.symbol) ? params.dividends[p.cls.symbol] : undefined;
  if (list) return list.length === 0 ? undefined : list.map((d) => ({ time: (exDateMs(d.exDate) - clockMs) / YEAR_MS, amount: d.amount }));
  if (!(Number.isFinite(p.feedExDateMs) && p.feedDividend > 0)) return undefined;
  const first = (p.feedExDateMs - clockMs) / YEAR_MS;
  const T = (p.expiryMs - clockMs) / YEAR_MS;
  const out: Dividend[] = [{ time: first, amount: p.feedDividend }];
  for (let i = 1; first + i / p.feedPerYear < T && i <= 12 * 50; i++) out.push({ time: first + i / p.feedPerYear, amount: p.feedDividend });
  return out;
}

/**
 * Tree steps of the cash-dividend lattice in the grid: within 0.4% of the reference on the committed vectors
 * (test/risk/pricing/dividend-lattice.test.ts), a quarter of the default's cost (docs/stress-model.md gives the
 * bench figure).
 */
export const GRID_LATTICE_STEPS = 80;

/**
 * American options with an ex-date before expiry, on the cash-dividend lattice. A column `days` forward moves
 * every ex-date as near (T0 − T[e] is the time that passed); a dividend whose ex-date has passed by then is paid
 * and left out, and the column's spot is the spot after it (px moves are relative to today's spot). Elements come
 * in cols.order, so those sharing vol, rate and horizon are neighbours: each such run is one ladder (two trees).
 */
function cashDividendBatch(
  out: Float64Array,
  batch: OptionBatch & { readonly S: Float64Array },
  k: number,
  T0: number,
  center: number,
  dividends: readonly Dividend[],
): void {
  const { S, K, T, r, vol, isCall } = batch;
  let from = 0;
  while (from < k) {
    // Runs of one horizon and rate, each element with its vol: outside a search's scope the ladder splits them by vol
    // (trees per vol); inside it the crash's columns, each with a vol of its own, are read in one call per option.
    let to = from + 1;
    while (to < k && T[to] === T[from] && r[to] === r[from]) to++;
    const passed = T0 - T[from]!;
    cashDividendAmericanLadder(
      out,
      S,
      from,
      to,
      center,
      {
        right: isCall[from] === 1 ? 'C' : 'P',
        K: K[from]!,
        T: T[from]!,
        r: r[from]!,
        vol: vol[from]!,
        dividends: passed === 0 ? dividends : dividends.map((d) => ({ time: d.time - passed, amount: d.amount })),
        steps: GRID_LATTICE_STEPS,
      },
      vol,
    );
    from = to;
  }
}

/** True for groups the TIMS-like scan margins in a portfolio-margin account (stocks, ETFs, equity and index options). */
export function usesPortfolioMargin(group: BookGroup, params: StressParams): boolean {
  return params.marginMethod === 'portfolio' && (group.driver === 'STK' || group.driver === 'IND');
}

/**
 * Portfolio-margin estimate of a group in every column (risk-model.md §1.5 "recommended PM approximation"):
 * from the column's stressed state, move the underlying over `pointsPerSide` equidistant points each way
 * within the TIMS range (equities ±15%; high-cap broad indexes −8%/+6%; other broad indexes ±10%) with
 * implied vol at −v, 0 and +v relative (15% stocks, 75% broad indexes, 150% other indexes); the
 * requirement is the largest loss, at least $0.375 × multiplier per option contract. Full revaluation:
 * 3·(2·points + 1) prices per option per column. Overwrites maint and init (quanta, maint = init).
 */
export function portfolioMarginGroup(
  book: Book,
  group: BookGroup,
  shocks: readonly Float64Array[],
  cols: ScenarioColumns,
  params: StressParams,
  dst: GroupOutput,
  scratch: ScanBuffers,
): void {
  const { maint, init, at } = dst;
  const pm = params.portfolioMargin;
  const n = cols.n;
  const P = pm.pointsPerSide;
  const down = group.driver === 'IND' ? (group.highCapIndex ? pm.highCapDown : group.broadIndex ? pm.indexRange : pm.equityRange) : pm.equityRange;
  const up = group.driver === 'IND' ? (group.highCapIndex ? pm.highCapUp : group.broadIndex ? pm.indexRange : pm.equityRange) : pm.equityRange;
  const v = group.driver === 'IND' ? (group.broadIndex ? pm.volIndex : 1.5) : pm.volStock;
  const moves: number[] = [];
  for (let k = -P; k <= P; k++) moves.push(k < 0 ? (down * k) / P : (up * k) / P);
  const volMoves = [0, -v, v];
  const pts = moves.length * volMoves.length;
  const values = scratch.values(n * pts);
  values.fill(0, 0, n * pts);
  let floor = 0;
  for (const m of group.members) {
    const p = book.positions[m]!;
    if (p.unpriced !== undefined || p.cls.kind === 'cashPair' || p.cls.kind === 'none') continue;
    const shock = shocks[m]!;
    const qm = p.qty * p.multiplier;
    if (p.cls.kind !== 'option') {
      for (let j = 0; j < n; j++) {
        const px = p.price * (1 + shock[j]!);
        for (let a = 0; a < moves.length; a++) {
          const dv = qm * px * moves[a]!;
          for (let b = 0; b < volMoves.length; b++) values[j * pts + b * moves.length + a] = values[j * pts + b * moves.length + a]! + dv;
        }
      }
      continue;
    }
    floor += Math.abs(p.qty) * params.portfolioMargin.perContractMin * p.multiplier;
    const batch = scratch.batch(n * pts);
    const r0 = rateOf(params, book.currencies[p.currencyIndex]!);
    const T0 = (p.expiryMs - book.clockMs) / YEAR_MS;
    let e = 0;
    for (let j = 0; j < n; j++) {
      const S = p.underlying * (1 + shock[j]!);
      const T = T0 - cols.days[j]! / 365;
      const r = r0 + cols.rates[j]!;
      const vol = p.iv * (1 + volMoveAt(cols, j, T0));
      for (let b = 0; b < volMoves.length; b++) {
        const vb = Math.max(0, vol * (1 + volMoves[b]!));
        for (let a = 0; a < moves.length; a++) {
          batch.S[e] = S * (1 + moves[a]!);
          batch.pvDividend[e] = p.pvDividend;
          batch.K[e] = p.strike;
          batch.T[e] = T;
          batch.r[e] = r;
          batch.b[e] = r;
          batch.vol[e] = vb;
          batch.isCall[e] = p.isCall;
          e++;
        }
      }
    }
    const out = scratch.out(e);
    if (p.cls.model === 'bsmEuropean') europeanPriceBatch(out, batch, e);
    else americanPriceBatch(out, batch, e);
    for (let i = 0; i < e; i++) values[i] = values[i]! + qm * out[i]!;
  }
  const zeroPoint = P; // index of move 0 with vol move 0
  for (let j = 0; j < n; j++) {
    const base = values[j * pts + zeroPoint]!;
    let loss = 0;
    for (let i = 0; i < pts; i++) loss = Math.max(loss, base - values[j * pts + i]!);
    const req = toQuanta(Math.max(loss, floor));
    maint[at + j] = req;
    init[at + j] = req;
  }
}
