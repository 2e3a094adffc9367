// The incremental stress grid: per-position scenario vectors, running per-currency sums, per-column account values.
import { marketNow, type PortfolioState } from '../model/state.js';
import {
  QUANTUM,
  baseCurrencyOf,
  clockOf,
  currenciesOf,
  noLoanClasses,
  readAccount,
  openBook,
  readPosition,
  sameSources,
  sourcesOf,
  type Book,
  type BookPosition,
  type BookReading,
} from './boundary.js';
import { fxHaircut, type SegmentEstimate } from './margin.js';
import { resolveMarginMethod, type MarginMethodChoice } from './margin-method.js';
import { CLASS_ORDER, type StressParams } from './params.js';
import { prepriceOptions } from './price-pool.js';
import { Scratch, groupRows, positionShocks, revalueGroup, rowShocks, scenarioColumns, type BookGroup, type ScenarioColumns } from './revalue.js';
import type { ScenarioShocks } from './scenario-types.js';

/*
 * risk-model.md §5 "Design": a P&L vector over the scenario columns for every position and a margin
 * vector for every underlying group, kept in Float64Arrays; per-(currency, asset class) and per-currency
 * sums maintained by `sum -= old; sum += new`. All of them hold whole quanta (boundary.ts), so the sums
 * are exact and an incremental update equals a rebuild bit for bit. A group is recomputed only when an
 * input of one of its positions changed (quantity, mark, underlying price, IV, pvDividend) or the
 * valuation clock stepped (option time); FX rates only enter the per-column conversion, which is redone
 * on read. A change of the set of positions rebuilds everything (§5.6).
 */

const K = CLASS_ORDER.length;
const CASH_INDEX = CLASS_ORDER.indexOf('CASH');
const FUT_INDEX = CLASS_ORDER.indexOf('FUT');

export interface StressGrid {
  /** Its margin method is always resolved (never `auto`): see `marginChoice`. */
  params: StressParams;
  /** The margin method in force and why (margin-method.ts). */
  readonly marginChoice: MarginMethodChoice;
  readonly shocks: readonly ScenarioShocks[];
  book: Book;
  groups: BookGroup[];
  cols: ScenarioColumns;
  /** Group index of each position. */
  groupOf: Int32Array;
  /** Price move of each position per column (shared, read-only vectors). */
  shockOf: Float64Array[];
  /** pnl[i·n + j]: P&L of position i in column j, quanta of its currency. */
  pnl: Float64Array;
  /** Group requirements, quanta of the group's currency: [g·n + j]. */
  groupMaint: Float64Array;
  groupInit: Float64Array;
  /** pnlSum[(c·K + k)·n + j]: Σ P&L of the positions of currency c and class k. */
  pnlSum: Float64Array;
  /** nlvSum[c·K + k]: zero-shock NetLiquidation contributions (cash under CASH, futures P&L under FUT). */
  nlvSum: Float64Array;
  /** Per currency and column: requirements of the securities (S) and commodities (C) segments. */
  maintS: Float64Array;
  initS: Float64Array;
  maintC: Float64Array;
  initC: Float64Array;
  /** Underlying conId → the options that read it (besides itself, every position reads its own rows). */
  optionsOn: Map<number, number[]>;
  scratch: Scratch;
  /** Index of each conId in Book.positions. */
  positionIndex: PositionIndex;
  /** The state maps last read, so an unchanged map is never scanned again. */
  seen: { portfolio?: PortfolioState['portfolio']; accountValues?: PortfolioState['accountValues']; fxRates?: PortfolioState['fxRates'] };
  /** Counters, for tests and the benchmark. */
  stats: { rebuilds: number; groupsRecomputed: number };
  /** The storage behind the vectors above, kept across rebuilds. */
  buffers?: GridBuffers;
}

type VectorName = 'pnl' | 'groupMaint' | 'groupInit' | 'pnlSum' | 'nlvSum' | 'maintS' | 'initS' | 'maintC' | 'initC';

/**
 * A rebuild (a position opened or closed) lays the grid out again at nearly the same size: it takes its vectors
 * from these grow-only buffers instead of fresh ones, which at 50,000 positions × 176 columns spared a 70 MB
 * allocation, its page faults and its collection on every rebuild. Each vector is a view of exactly its length,
 * so readers see the same shapes as before.
 */
export class GridBuffers {
  private readonly f64 = new Map<VectorName, Float64Array>();
  private i32 = new Int32Array(0);
  private ids = new Float64Array(0);

  view(name: VectorName, length: number): Float64Array {
    let b = this.f64.get(name);
    if (!b || b.length < length) {
      // Some headroom, so a book that grows by a position at a time does not reallocate every rebuild.
      b = new Float64Array(length + (length >> 4));
      this.f64.set(name, b);
    }
    return b.length === length ? b : b.subarray(0, length);
  }

  zeroed(name: VectorName, length: number): Float64Array {
    return this.view(name, length).fill(0);
  }

  conIds(length: number): Float64Array {
    if (this.ids.length < length) this.ids = new Float64Array(length + (length >> 4));
    return this.ids.length === length ? this.ids : this.ids.subarray(0, length);
  }

  groupOf(length: number): Int32Array {
    if (this.i32.length < length) this.i32 = new Int32Array(length + (length >> 4));
    return this.i32.length === length ? this.i32 : this.i32.subarray(0, length);
  }
}

/**
 * Where each conId is in Book.positions, which is in conId order: a binary search over the conIds, instead of a map
 * of every position built again on each rebuild.
 */
export class PositionIndex {
  constructor(private readonly conIds: Float64Array) {}

  get(conId: number): number | undefined {
    const ids = this.conIds;
    let lo = 0,
      hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const x = ids[mid]!;
      if (x === conId) return mid;
      if (x < conId) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  has(conId: number): boolean {
    return this.get(conId) !== undefined;
  }
}

/** Builds the grid from scratch: reads the book and revalues every group in every column. */
function atMarketTime(params: StressParams, state: PortfolioState): StressParams {
  const now = marketNow(state, params.now);
  return now === params.now ? params : { ...params, now };
}

export function buildStressGrid(state: PortfolioState, shocks: readonly ScenarioShocks[], local: StressParams): StressGrid {
  // Time to expiry runs on the market's clock (TWS's), which may differ from this machine's.
  const atMarket = atMarketTime(local, state);
  const marginChoice = resolveMarginMethod(state, atMarket, (method) => {
    // Local time in, as for any caller: the offset to the market's clock is applied once, inside.
    const g = buildStressGrid(state, [], { ...local, marginMethod: method });
    return columnAccountAt(g, baseColumn(g)).maint.S;
  });
  const params = marginChoice.method === atMarket.marginMethod ? atMarket : { ...atMarket, marginMethod: marginChoice.method };
  const grid = {
    params,
    marginChoice,
    shocks,
    scratch: new Scratch(),
    stats: { rebuilds: 0, groupsRecomputed: 0 },
    seen: {},
  } as Partial<StressGrid> as StressGrid;
  rebuild(grid, openBook(state, params));
  remember(grid, state);
  return grid;
}

function rebuild(grid: StressGrid, reading: BookReading): void {
  // The columns, groups and shocks need only the rows' classes and currencies, known before any position is read:
  // a big book's options are priced as they are read (price-pool.ts).
  const cols = scenarioColumns(grid.shocks, reading.currencies, reading.baseCurrency);
  const n = cols.n;
  const C = reading.currencies.length;
  const P = reading.rows.length;
  const { classes, currencyIndex } = reading;
  const classOf = (i: number) => classes[i]!;
  const currencyOf = (i: number) => currencyIndex[i]!;
  const groups = groupRows(P, classOf, currencyOf);
  grid.scratch.keepPlans(groups);
  const buf = (grid.buffers ??= new GridBuffers());
  const shockOf = rowShocks(P, classOf, currencyOf, reading, cols);
  // The grid takes the new layout once the book is read (a read that throws leaves it as it was).
  const laidOut = (book: Book) => {
    grid.book = book;
    grid.cols = cols;
    grid.groups = groups;
    grid.shockOf = shockOf;
    // Written in full by the revaluation below (every position belongs to one group, every group writes all n
    // columns), so a reused buffer needs no clearing; the sums are accumulated, so they start at zero.
    grid.pnl = buf.view('pnl', P * n);
    grid.groupMaint = buf.view('groupMaint', groups.length * n);
    grid.groupInit = buf.view('groupInit', groups.length * n);
    grid.pnlSum = buf.zeroed('pnlSum', C * K * n);
    grid.nlvSum = buf.zeroed('nlvSum', C * K);
    grid.maintS = buf.zeroed('maintS', C * n);
    grid.initS = buf.zeroed('initS', C * n);
    grid.maintC = buf.zeroed('maintC', C * n);
    grid.initC = buf.zeroed('initC', C * n);
  };
  // What the updates look positions up by and the zero-shock NetLiquidation sums: no revaluation reads them, so a
  // big rebuild builds them while the pricing worker has its job (everything before the job is posted is serial).
  const indexes = () => {
    const book = grid.book;
    grid.groupOf = buf.groupOf(P);
    for (let gi = 0; gi < groups.length; gi++) for (const m of groups[gi]!.members) grid.groupOf[m] = gi;
    const optionsOn = new Map<number, number[]>();
    const conIds = buf.conIds(P);
    for (let i = 0; i < P; i++) {
      const p = book.positions[i]!;
      conIds[i] = p.conId;
      const und = p.cls.underlyingConId;
      if (und === undefined) continue;
      const list = optionsOn.get(und);
      if (list) list.push(i);
      else optionsOn.set(und, [i]);
    }
    grid.optionsOn = optionsOn;
    grid.positionIndex = new PositionIndex(conIds);
    for (let c = 0; c < C; c++) {
      grid.nlvSum[c * K + CASH_INDEX] = book.ledger.cashQuanta[c]!;
      grid.nlvSum[c * K + FUT_INDEX] = book.ledger.futuresPnlQuanta[c]!;
    }
    for (const p of book.positions) {
      const cell = p.currencyIndex * K + p.classIndex;
      grid.nlvSum[cell] = grid.nlvSum[cell]! + p.nlvQuanta;
    }
  };
  // A big book's options are priced by the main thread and a worker together (price-pool.ts): the worker starts on
  // them while the book is read, the groups without options are revalued after it, then each group with options once
  // its prices are in. The sums are of whole quanta, so the order is free.
  try {
    const linearFirst = () => {
      indexes();
      for (let g = 0; g < groups.length; g++) if (!groups[g]!.hasOptions) recomputeGroup(grid, g, false);
    };
    const optionGroup = (g: number) => recomputeGroup(grid, g, false);
    if (
      !prepriceOptions(
        { reading, groups, shocks: shockOf, cols, params: grid.params, scratch: grid.scratch },
        { read: laidOut, meanwhile: linearFirst, optionGroup },
      )
    ) {
      laidOut(reading.finish());
      indexes();
      for (let g = 0; g < groups.length; g++) recomputeGroup(grid, g, false);
    }
  } finally {
    grid.scratch.prepriced = undefined;
  }
  grid.stats.rebuilds++;
}

/** Subtracts a group's vectors from the sums (unless they are new), revalues it, and adds the new vectors. */
function recomputeGroup(grid: StressGrid, g: number, subtractOld = true): void {
  const { book, cols, groups } = grid;
  const group = groups[g]!;
  if (subtractOld) addGroup(grid, g, -1);
  const dst = { pnl: grid.pnl, byOrdinal: false, maint: grid.groupMaint, init: grid.groupInit, at: g * cols.n };
  revalueGroup(book, group, grid.shockOf, cols, grid.params, dst, grid.scratch);
  addGroup(grid, g, 1);
  grid.stats.groupsRecomputed++;
}

/** sums += sign × the group's vectors (exact: every term is a whole number of quanta). */
function addGroup(grid: StressGrid, g: number, sign: 1 | -1): void {
  const { book, cols, groups, pnl, pnlSum } = grid;
  const n = cols.n;
  const group = groups[g]!;
  for (const m of group.members) {
    const p = book.positions[m]!;
    const src = m * n;
    const dst = (p.currencyIndex * K + p.classIndex) * n;
    if (sign > 0) for (let j = 0; j < n; j++) pnlSum[dst + j] = pnlSum[dst + j]! + pnl[src + j]!;
    else for (let j = 0; j < n; j++) pnlSum[dst + j] = pnlSum[dst + j]! - pnl[src + j]!;
  }
  const c = group.currencyIndex * n;
  const maint = group.segment === 'C' ? grid.maintC : grid.maintS;
  const init = group.segment === 'C' ? grid.initC : grid.initS;
  for (let j = 0; j < n; j++) {
    maint[c + j] = maint[c + j]! + sign * grid.groupMaint[g * n + j]!;
    init[c + j] = init[c + j]! + sign * grid.groupInit[g * n + j]!;
  }
}

export interface UpdateResult {
  /** True when the set of positions or currencies changed and everything was rebuilt. */
  readonly rebuilt: boolean;
  /** Groups revalued by this update. */
  readonly groups: number;
}

/**
 * Brings the grid up to date with `state` at time `now`. `touched` (conIds whose rows events changed:
 * portfolio, option computation or price ticks) limits the scan to those positions and the options
 * written on them; without it every position's source rows are compared by reference (the reducer keeps
 * the identity of unchanged rows). Account values (cash, exchange rates, reported requirements) are
 * re-read whenever their maps changed; they need no revaluation, only the per-column conversion.
 */
export function updateStressGrid(grid: StressGrid, state: PortfolioState, localNow: number, touched?: Iterable<number>): UpdateResult {
  const now = marketNow(state, localNow);
  if (now !== grid.params.now) grid.params = { ...grid.params, now };
  const params = grid.params;
  const book = grid.book;
  const touchedList = touched ? [...touched] : undefined;
  if (structureChanged(grid, state, touchedList)) return fullRebuild(grid, state);
  if (state.accountValues !== grid.seen.accountValues || state.fxRates !== grid.seen.fxRates || state.portfolio !== grid.seen.portfolio) {
    // A currency appearing or leaving the cash rows, or losing or gaining its exchange rate, changes the layout.
    if (
      currenciesOf(
        state,
        book.sources.map((s) => s.row),
      ).join() !== book.currencies.join()
    )
      return fullRebuild(grid, state);
    const { ledger, reported } = readAccount(state, book);
    if (ledger.missingFx.join() !== book.ledger.missingFx.join()) return fullRebuild(grid, state);
    book.ledger = ledger;
    book.reported = reported;
    for (let c = 0; c < book.currencies.length; c++) {
      grid.nlvSum[c * K + CASH_INDEX] = ledger.cashQuanta[c]!;
      grid.nlvSum[c * K + FUT_INDEX] = ledger.futuresPnlQuanta[c]!;
    }
  }
  const dirty = new Set<number>();
  const clockMs = clockOf(params);
  // An option that expired with this step is read again even if no row changed: without a vol it was unpriced,
  // and at expiry it needs none (intrinsic value).
  const expiring = new Set<number>();
  if (clockMs !== book.clockMs) {
    book.clockMs = clockMs;
    grid.groups.forEach((g, gi) => {
      if (g.members.some((m) => book.positions[m]!.cls.kind === 'option')) dirty.add(gi);
    });
    book.positions.forEach((p, i) => {
      if (p.cls.kind === 'option' && p.unpriced !== undefined && p.expiryMs <= clockMs) expiring.add(i);
      // A bond's computed duration shortens as its clock runs: read again so an update equals a rebuild.
      if (p.cls.kind === 'bond' && Number.isFinite(p.duration)) expiring.add(i);
    });
  }
  const candidates = [...new Set([...(touchedList ? candidatesOf(grid, touchedList) : book.positions.map((_, i) => i)), ...expiring])];
  for (const i of candidates) {
    const old = book.positions[i]!;
    const src = sourcesOf(state, state.portfolio.get(old.conId)!, old.cls);
    if (sameSources(src, book.sources[i]!) && !expiring.has(i)) continue;
    book.sources[i] = src;
    const missing = book.ledger.fx[old.currencyIndex]! > 0 ? undefined : book.currencies[old.currencyIndex];
    const fresh = readPosition(src, old.cls, old.currencyIndex, missing, params);
    if (samePosition(fresh, old)) continue;
    const cell = old.currencyIndex * K + old.classIndex;
    grid.nlvSum[cell] = grid.nlvSum[cell]! + fresh.nlvQuanta - old.nlvQuanta;
    book.positions[i] = fresh;
    dirty.add(grid.groupOf[i]!);
  }
  for (const g of [...dirty].sort((a, b) => a - b)) recomputeGroup(grid, g);
  remember(grid, state);
  return { rebuilt: false, groups: dirty.size };
}

/**
 * Reads the whole book again and revalues every group, in the grid's own buffers: what an update does when the
 * set of positions changed (also the benchmark's "full grid", as the console pays it).
 */
export function rebuildStressGrid(grid: StressGrid, state: PortfolioState): UpdateResult {
  return fullRebuild(grid, state);
}

function fullRebuild(grid: StressGrid, state: PortfolioState): UpdateResult {
  // The positions that did not change are lent by the book this one replaces (readBook).
  rebuild(grid, openBook(state, grid.params, grid.book));
  remember(grid, state);
  return { rebuilt: true, groups: grid.groups.length };
}

function samePosition(a: BookPosition, b: BookPosition): boolean {
  return (
    a.qty === b.qty &&
    a.multiplier === b.multiplier &&
    same(a.price, b.price) &&
    a.nlvQuanta === b.nlvQuanta &&
    same(a.iv, b.iv) &&
    same(a.pvDividend, b.pvDividend) &&
    same(a.feedExDateMs, b.feedExDateMs) &&
    same(a.feedDividend, b.feedDividend) &&
    a.feedPerYear === b.feedPerYear &&
    same(a.underlying, b.underlying) &&
    same(a.strike, b.strike) &&
    same(a.expiryMs, b.expiryMs) &&
    a.unpriced === b.unpriced &&
    a.isCall === b.isCall &&
    same(a.duration, b.duration) &&
    same(a.convexity, b.convexity) &&
    a.accrued === b.accrued
  );
}

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

function candidatesOf(grid: StressGrid, touched: readonly number[]): number[] {
  const out = new Set<number>();
  for (const conId of touched) {
    const own = grid.positionIndex.get(conId);
    if (own !== undefined) out.add(own);
    for (const i of grid.optionsOn.get(conId) ?? []) out.add(i);
  }
  return [...out];
}

/**
 * The set of positions changed (one appeared or disappeared), so groups and links must be rebuilt. With
 * `touched`, only those conIds are checked; without, the portfolio map is compared when its identity changed.
 */
function structureChanged(grid: StressGrid, state: PortfolioState, touched?: readonly number[]): boolean {
  const { book } = grid;
  if (state.portfolio.size !== book.positions.length || baseCurrencyOf(state) !== book.baseCurrency) return true;
  if (touched) {
    for (const conId of touched) {
      const inState = state.portfolio.get(conId) !== undefined;
      if (inState !== grid.positionIndex.has(conId)) return true;
    }
    return false;
  }
  if (state.portfolio === grid.seen.portfolio) return false;
  for (const p of book.positions) if (state.portfolio.get(p.conId) === undefined) return true;
  return false;
}

function remember(grid: StressGrid, state: PortfolioState): void {
  grid.seen = { portfolio: state.portfolio, accountValues: state.accountValues, fxRates: state.fxRates };
}

// ── Reading a column ────────────────────────────────────────────────────────────────────────────

/** Account-level results of one column, in base currency (float64). */
export interface ColumnAccount {
  /** cells[c·K + k]: P&L of currency c and asset class k, FX translation included. */
  readonly cells: Float64Array;
  readonly pnl: number;
  /** P&L of the classes without loan value (US Reg T options), which does not move EquityWithLoanValue. */
  readonly pnlNoLoan: number;
  readonly maint: SegmentEstimate;
  readonly init: SegmentEstimate;
}

/** Per-column sums in quanta, as read from a grid or assembled by the liquidation search. */
export interface ColumnSums {
  readonly pnl: Float64Array; // C·K
  readonly maintS: Float64Array; // C
  readonly initS: Float64Array;
  readonly maintC: Float64Array;
  readonly initC: Float64Array;
  /** Shock of each currency against base. */
  readonly fx: Float64Array; // C
}

/** Copies column j of the grid's sums. */
export function columnSums(grid: StressGrid, j: number, out?: ColumnSums): ColumnSums {
  const { cols, book } = grid;
  const n = cols.n;
  const C = book.currencies.length;
  const s = out ?? emptySums(C);
  for (let i = 0; i < C * K; i++) s.pnl[i] = grid.pnlSum[i * n + j]!;
  for (let c = 0; c < C; c++) {
    s.maintS[c] = grid.maintS[c * n + j]!;
    s.initS[c] = grid.initS[c * n + j]!;
    s.maintC[c] = grid.maintC[c * n + j]!;
    s.initC[c] = grid.initC[c * n + j]!;
    s.fx[c] = cols.fx[c * n + j]!;
  }
  return s;
}

function emptySums(C: number): ColumnSums {
  return {
    pnl: new Float64Array(C * K),
    maintS: new Float64Array(C),
    initS: new Float64Array(C),
    maintC: new Float64Array(C),
    initC: new Float64Array(C),
    fx: new Float64Array(C),
  };
}

/*
 * evaluateShocks' working sums, reused by every call: the liquidation search calls it thousands of times a minute, and
 * six Float64Arrays per shock were garbage a few microseconds later (docs/performance.md, "The console's garbage").
 * They never leave it: each is overwritten in full before it is read (the base column's copy, then the moves), and
 * columnAccount reads them into an account of its own.
 */
const sumsPool: ColumnSums[] = [];

function pooledSums(i: number, C: number): ColumnSums {
  let s = sumsPool[i];
  if (s === undefined || s.fx.length !== C) sumsPool[i] = s = emptySums(C);
  return s;
}

let atSums: ColumnSums | undefined;

/**
 * columnAccount of column j as the grid holds it, read through one reused ColumnSums (the report reads every scenario's
 * column each pass; the sums were six arrays of garbage per column): the account is the caller's, the sums never leave.
 */
export function columnAccountAt(grid: StressGrid, j: number): ColumnAccount {
  const C = grid.book.currencies.length;
  if (atSums === undefined || atSums.fx.length !== C) atSums = emptySums(C);
  return columnAccount(grid, columnSums(grid, j, atSums));
}

/** noLoanClasses by CLASS_ORDER index, per params: columnAccount runs for every column of every pass and search. */
const noLoanMasks = new WeakMap<StressParams, Uint8Array>();

function noLoanMask(params: StressParams): Uint8Array {
  let mask = noLoanMasks.get(params);
  if (!mask) {
    mask = new Uint8Array(K);
    for (const c of noLoanClasses(params)) mask[CLASS_ORDER.indexOf(c)] = 1;
    noLoanMasks.set(params, mask);
  }
  return mask;
}

/**
 * Converts a column to base currency (risk-model.md §4.1, §4.3): with X'_c = X_c·(1 + s_c),
 * cell(c, k) = (V_ck + ΔV_ck)·X'_c − V_ck·X_c, so a position's FX translation stays in its class and
 * cash's in CASH, and the zero-shock column is exactly 0. FX margin (§2.5, simplified): the maintenance
 * (initial) haircut of each non-base currency whose stressed net liquidation value is negative.
 */
export function columnAccount(grid: StressGrid, sums: ColumnSums): ColumnAccount {
  const { book, params } = grid;
  const C = book.currencies.length;
  const cells = new Float64Array(C * K);
  const noLoan = noLoanMask(params);
  let pnl = 0,
    pnlNoLoan = 0,
    mS = 0,
    iS = 0,
    mC = 0,
    iC = 0;
  for (let c = 0; c < C; c++) {
    const x0 = book.ledger.fx[c]!;
    const x1 = x0 * (1 + sums.fx[c]!);
    let exposure = 0;
    for (let k = 0; k < K; k++) {
      const v = grid.nlvSum[c * K + k]!;
      const dv = sums.pnl[c * K + k]!;
      if (v === 0 && dv === 0) continue;
      const cell = (v + dv) * QUANTUM * x1 - v * QUANTUM * x0;
      cells[c * K + k] = cell;
      pnl += cell;
      if (noLoan[k] === 1) pnlNoLoan += cell;
      exposure += v + dv;
    }
    mS += sums.maintS[c]! * QUANTUM * x1;
    iS += sums.initS[c]! * QUANTUM * x1;
    mC += sums.maintC[c]! * QUANTUM * x1;
    iC += sums.initC[c]! * QUANTUM * x1;
    if (c !== book.baseIndex && exposure < 0) {
      const [hi, hm] = fxHaircut(params.margin, book.currencies[c]!);
      const short = -exposure * QUANTUM * x1;
      mS += hm * short;
      iS += hi * short;
    }
  }
  return { cells, pnl, pnlNoLoan, maint: { S: mS, C: mC }, init: { S: iS, C: iC } };
}

/** The zero-shock column (always the last one). */
export function baseColumn(grid: StressGrid): number {
  return grid.cols.n - 1;
}

/**
 * Evaluates extra scenarios against the grid's current book without storing them (the liquidation
 * search). Only the groups those scenarios move are revalued; every other group keeps its zero-shock
 * vectors, so each column is the base column plus the moved groups' changes.
 */
export function evaluateShocks(grid: StressGrid, shocks: readonly ScenarioShocks[]): ColumnAccount[] {
  const { book, params } = grid;
  const cols = scenarioColumns(shocks, book.currencies, book.baseCurrency);
  const n = cols.n;
  const m = shocks.length;
  const C = book.currencies.length;
  const base = columnSums(grid, baseColumn(grid), pooledSums(0, C));
  const sums = shocks.map((_, j) => {
    const s = pooledSums(j + 1, C);
    s.pnl.set(base.pnl);
    s.maintS.set(base.maintS);
    s.initS.set(base.initS);
    s.maintC.set(base.maintC);
    s.initC.set(base.initC);
    for (let c = 0; c < C; c++) s.fx[c] = cols.fx[c * n + j]!;
    return s;
  });
  const maint = new Float64Array(n);
  const init = new Float64Array(n);
  const pnl = new Float64Array(grid.groups.reduce((a, g) => Math.max(a, g.members.length), 0) * n);
  const moves = positionShocks(book, cols);
  let timeOrRates = false;
  for (let j = 0; j < m; j++) if (cols.vol[j] !== 0 || cols.days[j] !== 0 || cols.rates[j] !== 0) timeOrRates = true;
  grid.groups.forEach((group) => {
    const moved = timeOrRates || group.members.some((i) => moves[i]!.some((x, j) => j < m && x !== 0));
    if (!moved) return;
    const dst = { pnl, byOrdinal: true, maint, init, at: 0 };
    revalueGroup(book, group, moves, cols, params, dst, grid.scratch);
    const ci = group.currencyIndex;
    const seg = group.segment;
    for (let j = 0; j < m; j++) {
      const s = sums[j]!;
      group.members.forEach((member, ordinal) => {
        const cell = ci * K + book.positions[member]!.classIndex;
        s.pnl[cell] = s.pnl[cell]! + pnl[ordinal * n + j]!;
      });
      const dm = maint[j]! - maint[n - 1]!;
      const di = init[j]! - init[n - 1]!;
      if (seg === 'C') {
        s.maintC[ci] = s.maintC[ci]! + dm;
        s.initC[ci] = s.initC[ci]! + di;
      } else {
        s.maintS[ci] = s.maintS[ci]! + dm;
        s.initS[ci] = s.initS[ci]! + di;
      }
    }
  });
  return sums.map((s) => columnAccount(grid, s));
}
