// The one Decimal ↔ float64 boundary of the risk engine: state → float book, and float results → Decimal money.
import { accountCurrencies, accountValue, baseValue } from '../model/account-values.js';
import type { AssetClass, Contract } from '../model/contract.js';
import { Decimal, ZERO } from '../model/money.js';
import type { DividendRow, OptionRow, PortfolioRow, PortfolioState, PriceRow, Segment } from '../model/state.js';
import { CLASS_ORDER, exDateMs, type StressParams } from './params.js';
import { accruedInterest, bondRisk, bondTerms } from './bond.js';
import { expiryInstant } from './expiry.js';
import { PMap } from '../model/pmap.js';
import { classKeyOf, classifierOf, classifyBook, classifyPositions, reclassing, type BookClassing, type PositionClass } from './positions.js';

/*
 * DESIGN.md "Money": pricing and the grid run in float64, and convert to Decimal at one boundary. Every
 * Decimal → number conversion of the engine is in readBook() here, and every number → Decimal in the
 * money helpers at the end. Amounts that are summed incrementally are held as whole multiples of
 * QUANTUM (fixed point in a float64, exact below 2^53 quanta ≈ 9·10^11 currency units per sum), so
 * running sums are associative: an incremental update gives the same bits as a rebuild (§5.2).
 */

/** Exact powers of ten as doubles (10^0 … 10^22 are representable exactly). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * A Decimal as the nearest double, like Decimal#toNumber but without building a string: decimal.js keeps
 * base-10^7 words (`d`), an exponent (`e`) and a sign (`s`), documented instance properties. When the
 * digits form an integer M ≤ 2^53 and the scale is at most 22 places, M·10^k or M/10^−k is one correctly
 * rounded operation on exact operands, so the result equals Number(String(x)) (Clinger's fast path);
 * anything else falls back to toNumber. About 10× faster, which matters when a 5,000-position book is read.
 */
export function toFloat(x: Decimal): number {
  const words = x.d;
  if (!words) return x.toNumber(); // NaN, ±Infinity
  const len = words.length;
  let m = 0;
  for (let i = 0; i < len; i++) m = m * 1e7 + words[i]!;
  if (m === 0) return 0;
  if (m > Number.MAX_SAFE_INTEGER) return x.toNumber();
  const first = words[0]!;
  const digits = first >= 1e6 ? 7 : first >= 1e5 ? 6 : first >= 1e4 ? 5 : first >= 1e3 ? 4 : first >= 100 ? 3 : first >= 10 ? 2 : 1;
  const k = x.e - (digits - 1) - 7 * (len - 1); // value = m · 10^k
  let v: number;
  if (k >= 0 && k <= 22) v = m * POW10[k]!;
  else if (k < 0 && k >= -22) v = m / POW10[-k]!;
  else return x.toNumber();
  return x.s < 0 ? -v : v;
}

/** Fixed-point unit of every summed amount: 0.0001 of a currency unit. */
export const QUANTUM = 1e-4;
const INV_QUANTUM = 10_000;
/** Rounds an amount (currency units) to whole quanta; −0 becomes 0. */
export function toQuanta(x: number): number {
  const q = Math.round(x * INV_QUANTUM);
  return q === 0 ? 0 : q;
}

/** One position as the float kernels see it. Amounts in the contract currency; NaN where unknown. */
export interface BookPosition {
  readonly conId: number;
  readonly cls: PositionClass;
  /** Index into CLASS_ORDER. */
  readonly classIndex: number;
  /** Index into Book.currencies. */
  readonly currencyIndex: number;
  readonly qty: number;
  readonly multiplier: number;
  /** TWS mark (PORTFOLIO_VALUE marketPrice). */
  readonly price: number;
  /** Contribution to NetLiquidation at zero shock, in quanta (see docs/stress-model.md "NetLiquidation"). */
  readonly nlvQuanta: number;
  /** Options: 1 call, 0 put; strike; expiry instant (ms); model IV; pvDividend; underlying price. */
  readonly isCall: number;
  readonly strike: number;
  readonly expiryMs: number;
  readonly iv: number;
  readonly pvDividend: number;
  readonly underlying: number;
  /**
   * Stock options: the underlying's next cash dividend as TWS announced it (tick 59, state.dividends): its ex-date
   * (00:00 UTC, ms) and amount per share; NaN when none was sent. The settings' `risk.dividends` win over it
   * (revalue.ts `dividendsOf`).
   */
  readonly feedExDateMs: number;
  readonly feedDividend: number;
  /** Payments a year the tick's next-12-months sum implies at that amount (next12Months / amount, 1 to 12; 1 when unknown). */
  readonly feedPerYear: number;
  /** Bonds: modified duration and convexity of the dirty price when configured or computed, else NaN. */
  readonly duration: number;
  readonly convexity: number;
  /**
   * Bonds: accrued interest in percent of par at the valuation clock, from the coupon and maturity the contract names;
   * 0 when it names none. The mark is clean, so the rate move applies to value × (1 + accrued / price).
   */
  readonly accrued: number;
  /** Why the position cannot be revalued (undefined when it can); it is then held at its mark and listed as unpriced. */
  readonly unpriced: string | undefined;
}

/** What a position was read from: unchanged references mean unchanged inputs (the reducer keeps identity). */
export interface PositionSources {
  readonly row: PortfolioRow;
  readonly option?: OptionRow;
  readonly underlyingPrice?: PriceRow;
  readonly underlyingRow?: PortfolioRow;
  /** The underlying stock's dividends from TWS (tick 59). */
  readonly dividends?: DividendRow;
}

/** Account values the report shows and anchors on (Decimal, base currency unless said otherwise). */
export interface ReportedValues {
  readonly netLiquidation?: Decimal;
  readonly equityWithLoanValue?: Decimal;
  readonly maintMarginReq?: Decimal;
  readonly initMarginReq?: Decimal;
  readonly excessLiquidity?: Decimal;
  readonly availableFunds?: Decimal;
  readonly cushion?: Decimal;
  readonly maintMarginReqS?: Decimal;
  readonly maintMarginReqC?: Decimal;
  readonly initMarginReqS?: Decimal;
  readonly initMarginReqC?: Decimal;
  /** Per currency (contract currency amounts). */
  readonly cashBalance: Readonly<Record<string, Decimal>>;
  readonly futuresPnl: Readonly<Record<string, Decimal>>;
  readonly exchangeRate: Readonly<Record<string, Decimal>>;
  readonly netLiquidationByCurrency: Readonly<Record<string, Decimal>>;
}

/** Per-currency amounts of the book at zero shock. */
export interface BookLedger {
  /** X_c: value of one unit in base (0 when TWS sent no ExchangeRate; such currencies are flagged). */
  readonly fx: Float64Array;
  /** CashBalance per currency, in quanta. */
  readonly cashQuanta: Float64Array;
  /** Futures P&L in NetLiquidation per currency, in quanta (FuturesPNL row, else Σ futures unrealized P&L). */
  readonly futuresPnlQuanta: Float64Array;
  /** Currencies without an exchange rate. */
  readonly missingFx: readonly string[];
}

/**
 * The float book: positions and per-currency amounts as the kernels read them. Owned by the grid,
 * which replaces entries in place as inputs change (a position's sources tell it when).
 */
export interface Book {
  readonly account?: string;
  readonly baseCurrency: string;
  /** Every currency of cash rows and positions, sorted, base included. */
  readonly currencies: readonly string[];
  readonly baseIndex: number;
  /** Sorted by conId. */
  readonly positions: BookPosition[];
  readonly sources: PositionSources[];
  ledger: BookLedger;
  reported: ReportedValues;
  /** Valuation time: `now` rounded down to the clock step. */
  clockMs: number;
  /** What the next rebuild takes from this book for the rows that did not change (openBook). */
  readonly layout?: BookLayout;
}

/**
 * The rows a book was read from, in conId order, and their classes, as of its reading (the updates that replace a
 * position in place leave it as it was): a rebuild compares the portfolio map with this one's, takes over every row
 * the two share with its class, and classifies again only the rows that joined or whose contract changed and those
 * whose held stock or derivatives changed (positions.ts `reclassing`).
 */
export interface BookLayout {
  readonly portfolio: PortfolioState['portfolio'];
  readonly rows: readonly PortfolioRow[];
  readonly conIds: Float64Array;
  readonly classes: readonly PositionClass[];
  /** Each row's `symbol|currency`. */
  readonly keys: readonly string[];
  readonly classing: BookClassing;
  /** Rows per contract currency. */
  readonly rowCurrencies: ReadonlyMap<string, number>;
  readonly currencies: readonly string[];
  readonly currencyIndex: Int32Array;
}

/** Asset classes whose value carries no loan value in a US Reg T account (risk-model.md §1.2). */
export function noLoanClasses(params: StressParams): readonly AssetClass[] {
  return params.optionsHaveLoanValue ? [] : ['OPT', 'WAR'];
}

/** Milliseconds in the 365-day year that option time is measured in. */
export const YEAR_MS = 365 * 86_400_000;

/** The valuation clock: `now` rounded down to the step, so option time changes once per step. */
export function clockOf(params: StressParams): number {
  return Math.floor(params.now / params.clockStepMs) * params.clockStepMs;
}

/** Base currency of the state; USD only when TWS never sent a NetLiquidation row (the report notes it). */
export function baseCurrencyOf(state: PortfolioState): string {
  return state.baseCurrency ?? 'USD';
}

/**
 * Reads the whole book from state. `previous`, a book read from an earlier state with the same params save `now`
 * (the grid's, which a rebuild replaces), lends every position whose contract classifies the same and whose source
 * rows are the very objects it was read from (the reducer keeps the identity of unchanged rows), at the same
 * valuation clock and currency layout: readPosition of the same inputs, not read again. A position opened or closed
 * rebuilds the grid, and every other position is then as it was. The rows' order and classes come from `previous`
 * too (its BookLayout), brought up to date with the rows that changed, instead of a walk, sort and classification of
 * every row.
 */
export function readBook(state: PortfolioState, params: StressParams, previous?: Book): Book {
  return openBook(state, params, previous).finish();
}

/**
 * A book being read (openBook): its rows, their classes and currencies and the ledger are known, its positions are
 * read one by one, in any order, and `finish` reads the rest. The grid's rebuild reads the options first, in the
 * order its pricing worker takes them, so that the worker prices while the rest of the book is read (price-pool.ts).
 */
export interface BookReading {
  readonly baseCurrency: string;
  readonly currencies: readonly string[];
  readonly baseIndex: number;
  /** Valuation time, as Book.clockMs. */
  readonly clockMs: number;
  readonly ledger: BookLedger;
  /** In conId order: what Book.positions[i] is read from, its class and its currency's index. */
  readonly rows: readonly PortfolioRow[];
  readonly classes: readonly PositionClass[];
  readonly currencyIndex: Int32Array;
  /** Position i, read (or lent) once. */
  read(i: number): BookPosition;
  /** Reads every position not read yet; the book. */
  finish(): Book;
}

/** Starts reading the book (readBook, whose `previous` it takes): everything but the positions themselves. */
export function openBook(state: PortfolioState, params: StressParams, previous?: Book): BookReading {
  const baseCurrency = baseCurrencyOf(state);
  const laid = (previous?.layout !== undefined ? layoutAgain(state, params, previous.layout) : undefined) ?? layoutOf(state, params);
  const { rows, classes } = laid;
  const currencies = [...new Set<string>([baseCurrency, ...accountCurrencies(state), ...laid.rowCurrencies.keys()])].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const currencyIndex = new Int32Array(rows.length);
  const prevLayout = previous?.layout;
  if (laid.lentFrom !== undefined && prevLayout !== undefined && prevLayout.currencies.join() === currencies.join()) {
    // The same currencies: a row kept keeps its index (its contract, hence its currency, is the same object).
    const from = laid.lentFrom;
    const old = prevLayout.currencyIndex;
    for (let i = 0; i < rows.length; i++) currencyIndex[i] = from[i]! >= 0 && laid.kept[i] === 1 ? old[from[i]!]! : currencies.indexOf(classes[i]!.currency);
  } else {
    const ccyIndex = new Map(currencies.map((c, i) => [c, i]));
    for (let i = 0; i < rows.length; i++) currencyIndex[i] = ccyIndex.get(classes[i]!.currency)!;
  }
  const futures: PortfolioRow[] = [];
  for (let i = 0; i < rows.length; i++) if (classes[i]!.kind === 'future') futures.push(rows[i]!);
  const ledger = readLedger(state, baseCurrency, currencies, futures);
  const clockMs = clockOf(params);
  const lend =
    previous !== undefined &&
    previous.clockMs === clockMs &&
    previous.baseCurrency === baseCurrency &&
    previous.currencies.join() === currencies.join() &&
    previous.ledger.missingFx.join() === ledger.missingFx.join();
  // Where each row's conId was in the previous book (both in conId order: one walk), −1 where it was not.
  let lentFrom: Int32Array | undefined;
  if (lend && laid.lentFrom !== undefined && previous.layout !== undefined) lentFrom = laid.lentFrom;
  else if (lend) {
    const old = previous.positions;
    lentFrom = new Int32Array(rows.length);
    for (let i = 0, from = 0; i < rows.length; i++) {
      const conId = rows[i]!.contract.conId;
      while (from < old.length && old[from]!.conId < conId) from++;
      lentFrom[i] = from < old.length && old[from]!.conId === conId ? from : -1;
    }
  }
  const layout: BookLayout = {
    portfolio: state.portfolio,
    rows,
    conIds: laid.conIds,
    classes,
    keys: laid.keys,
    classing: laid.classing,
    rowCurrencies: laid.rowCurrencies,
    currencies,
    currencyIndex,
  };
  // Packed arrays (a `new Array(n)` of a big book is a dictionary), every slot undefined until read.
  const positions: BookPosition[] = [];
  const sources: PositionSources[] = [];
  for (let i = 0; i < rows.length; i++) {
    positions.push(undefined!);
    sources.push(undefined!);
  }
  const read = (i: number): BookPosition => {
    const done = positions[i];
    if (done !== undefined) return done;
    const row = rows[i]!;
    const cls = classes[i]!;
    if (lentFrom !== undefined) {
      const from = lentFrom[i]!;
      const p = from >= 0 ? previous!.positions[from]! : undefined;
      if (p !== undefined && sameClass(p.cls, cls) && sourcesAre(state, row, cls, previous!.sources[from]!)) {
        sources[i] = previous!.sources[from]!;
        return (positions[i] = p);
      }
    }
    const src = sourcesOf(state, row, cls);
    const ci = currencyIndex[i]!;
    sources[i] = src;
    return (positions[i] = readPosition(src, cls, ci, ledger.fx[ci]! > 0 ? undefined : currencies[ci], params));
  };
  const baseIndex = currencies.indexOf(baseCurrency);
  return {
    baseCurrency,
    currencies,
    baseIndex,
    clockMs,
    ledger,
    rows,
    classes,
    currencyIndex,
    read,
    finish: () => {
      for (let i = 0; i < rows.length; i++) if (positions[i] === undefined) read(i);
      return {
        ...(state.account ? { account: state.account } : {}),
        baseCurrency,
        currencies,
        baseIndex,
        positions,
        sources,
        ledger,
        reported: readReported(state, baseCurrency, currencies),
        clockMs,
        layout,
      };
    },
  };
}

/** A book's rows and classes (BookLayout's), and where each row was in the previous layout when taken from it. */
interface Laid {
  readonly rows: PortfolioRow[];
  readonly conIds: Float64Array;
  readonly classes: PositionClass[];
  readonly keys: string[];
  readonly classing: BookClassing;
  readonly rowCurrencies: ReadonlyMap<string, number>;
  /** Index of the row's conId in the previous layout, −1 for a row that joined (layoutAgain only). */
  readonly lentFrom?: Int32Array;
  /** 1 where the row's contract is the previous layout's object (layoutAgain only). */
  readonly kept: Uint8Array;
}

/** Every row of the portfolio map, sorted and classified. */
function layoutOf(state: PortfolioState, params: StressParams): Laid {
  const rows = sortedRows(state);
  const n = rows.length;
  const contracts: Contract[] = new Array(n);
  const conIds = new Float64Array(n);
  const rowCurrencies = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const c = (contracts[i] = rows[i]!.contract);
    conIds[i] = c.conId;
    rowCurrencies.set(c.currency, (rowCurrencies.get(c.currency) ?? 0) + 1);
  }
  const { classes, keys, classing } = classifyBook(contracts, params);
  return { rows, conIds, classes, keys, classing, rowCurrencies, kept: new Uint8Array(n) };
}

/**
 * The previous layout brought up to date with the portfolio map: the rows that changed from the two maps' difference
 * (PMap.diff skips the subtrees they share), merged into the previous order by conId; a row whose contract is the
 * same object keeps its class unless its key is affected (its held stock or derivatives changed). Undefined when
 * that is not cheaper or not possible (more than an eighth of the rows left, joined or changed contract, other class
 * params, a second listing of a stock leaving): the caller lays the book out anew.
 */
function layoutAgain(state: PortfolioState, params: StressParams, prev: BookLayout): Laid | undefined {
  // A row whose contract is the same object (a new mark, quantity or value: TWS updates every row every few minutes,
  // and the reducer keeps an unchanged contract's object) only replaces the row; a contract that left or joined is
  // merged and classified.
  const changedIds: number[] = [];
  const was: (PortfolioRow | undefined)[] = [];
  const now: (PortfolioRow | undefined)[] = [];
  const markedIds: number[] = [];
  const marked: PortfolioRow[] = [];
  const limit = 16 + (prev.rows.length >> 3);
  const complete = PMap.diff(prev.portfolio, state.portfolio, (conId, a, b) => {
    if (a !== undefined && b !== undefined && a.contract === b.contract) {
      markedIds.push(conId);
      marked.push(b);
      return true;
    }
    changedIds.push(conId);
    was.push(a);
    now.push(b);
    return changedIds.length <= limit;
  });
  if (!complete || changedIds.some((id) => !Number.isFinite(id))) return undefined;
  const left: Contract[] = [];
  const joined: Contract[] = [];
  const rowCurrencies = new Map(prev.rowCurrencies);
  for (let k = 0; k < changedIds.length; k++) {
    const a = was[k],
      b = now[k];
    if (a !== undefined) {
      left.push(a.contract);
      const left1 = rowCurrencies.get(a.contract.currency)! - 1;
      if (left1 > 0) rowCurrencies.set(a.contract.currency, left1);
      else rowCurrencies.delete(a.contract.currency);
    }
    if (b !== undefined) {
      joined.push(b.contract);
      rowCurrencies.set(b.contract.currency, (rowCurrencies.get(b.contract.currency) ?? 0) + 1);
    }
  }
  const re = reclassing(prev.classing, left, joined, params);
  if (re === undefined) return undefined;
  const order = changedIds.map((_, k) => k).sort((x, y) => changedIds[x]! - changedIds[y]!);
  const size = prev.rows.length + joined.length - left.length;
  const rows: PortfolioRow[] = [];
  const classes: PositionClass[] = [];
  const keys: string[] = [];
  const conIds = new Float64Array(size);
  const lentFrom = new Int32Array(size);
  const kept = new Uint8Array(size);
  const fresh: number[] = [];
  const old = prev.conIds;
  let i = 0;
  const take = (row: PortfolioRow, from: number, same: boolean) => {
    const o = rows.length;
    rows.push(row);
    conIds[o] = row.contract.conId;
    lentFrom[o] = from;
    if (same) {
      kept[o] = 1;
      classes.push(prev.classes[from]!);
      keys.push(prev.keys[from]!);
    } else {
      classes.push(undefined!);
      keys.push(undefined!);
      fresh.push(o);
    }
  };
  // A row of the previous layout that did not change, taken as it was (with its class and key).
  const keepRow = (j: number): void => {
    const o = rows.length;
    rows.push(prev.rows[j]!);
    conIds[o] = old[j]!;
    lentFrom[o] = j;
    kept[o] = 1;
    classes.push(prev.classes[j]!);
    keys.push(prev.keys[j]!);
  };
  for (const k of order) {
    const id = changedIds[k]!;
    while (i < old.length && old[i]! < id) keepRow(i++);
    const a = was[k],
      b = now[k];
    if (a !== undefined) {
      // The previous layout holds this conId here (both in conId order).
      if (b !== undefined) take(b, i, false);
      i++;
    } else take(b!, -1, false);
  }
  for (; i < old.length; i++) keepRow(i);
  for (let k = 0; k < marked.length; k++) {
    // Where the conId is now (it was there before and is still): a binary search over the merged conIds.
    const id = markedIds[k]!;
    let lo = 0,
      hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (conIds[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    rows[lo] = marked[k]!;
  }
  const classify = classifierOf(re.classing, params);
  for (const o of fresh) {
    const c = rows[o]!.contract;
    classes[o] = classify(c);
    keys[o] = classKeyOf(c);
  }
  if (re.affected.size > 0) for (let o = 0; o < rows.length; o++) if (kept[o] === 1 && re.affected.has(keys[o]!)) classes[o] = classify(rows[o]!.contract);
  return { rows, conIds, classes, keys, classing: re.classing, rowCurrencies, lentFrom, kept };
}

/**
 * Portfolio rows in conId order. The map is walked once in its own (hash) order, which reads its nodes
 * sequentially, and sorted as numbers: each key is conId·2^22 + the row's place in that walk, exact in a double
 * for conIds below 2^31 and books below 4M rows (comparing row objects of many shapes is slow, and looking each
 * conId up again jumps around a large map).
 */
function sortedRows(state: PortfolioState): PortfolioRow[] {
  const walked: PortfolioRow[] = new Array(state.portfolio.size);
  const keys = new Float64Array(walked.length);
  let i = 0,
    packable = walked.length < PLACE;
  state.portfolio.forEachValue((row) => {
    const id = row.contract.conId;
    if (!(Number.isInteger(id) && id >= 0 && id < 2 ** 31)) packable = false;
    keys[i] = id * PLACE + i;
    walked[i++] = row;
  });
  if (!packable) {
    const ids = Float64Array.from(state.portfolio.keys()).sort();
    return Array.from(ids, (id) => state.portfolio.get(id)!);
  }
  keys.sort();
  const rows: PortfolioRow[] = new Array(walked.length);
  for (let j = 0; j < rows.length; j++) {
    const key = keys[j]!;
    // key − ⌊key/2^22⌋·2^22: exact in doubles, and unlike % no call into the C library.
    rows[j] = walked[key - Math.floor(key / PLACE) * PLACE]!;
  }
  return rows;
}

const PLACE = 2 ** 22;

/** Currencies of the cash rows and the positions, plus the base, sorted by code point. */
export function currenciesOf(state: PortfolioState, rows: Iterable<PortfolioRow>): string[] {
  const set = new Set<string>([baseCurrencyOf(state), ...accountCurrencies(state)]);
  for (const r of rows) set.add(r.contract.currency);
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Re-reads the per-currency ledger and the reported values (cheap: a few dozen rows). */
export function readAccount(
  state: PortfolioState,
  book: Pick<Book, 'baseCurrency' | 'currencies' | 'positions' | 'sources'>,
): { ledger: BookLedger; reported: ReportedValues } {
  const futures = book.sources.filter((_, i) => book.positions[i]!.cls.kind === 'future').map((s) => s.row);
  return {
    ledger: readLedger(state, book.baseCurrency, book.currencies, futures),
    reported: readReported(state, book.baseCurrency, book.currencies),
  };
}

/** The state rows a position reads. */
export function sourcesOf(state: PortfolioState, row: PortfolioRow, cls: PositionClass): PositionSources {
  if (cls.kind !== 'option') return { row, option: undefined, underlyingPrice: undefined, underlyingRow: undefined, dividends: undefined };
  const und = cls.underlyingConId;
  return {
    row,
    option: state.options.get(cls.conId),
    underlyingPrice: und !== undefined ? state.prices.get(und) : undefined,
    underlyingRow: und !== undefined ? state.portfolio.get(und) : undefined,
    dividends: und !== undefined ? state.dividends.get(und) : undefined,
  };
}

/** sameSources(sourcesOf(state, row, cls), b), without building the sources. */
function sourcesAre(state: PortfolioState, row: PortfolioRow, cls: PositionClass, b: PositionSources): boolean {
  if (row !== b.row) return false;
  if (cls.kind !== 'option') return b.option === undefined && b.underlyingPrice === undefined && b.underlyingRow === undefined && b.dividends === undefined;
  const und = cls.underlyingConId;
  return (
    state.options.get(cls.conId) === b.option &&
    (und !== undefined ? state.prices.get(und) : undefined) === b.underlyingPrice &&
    (und !== undefined ? state.portfolio.get(und) : undefined) === b.underlyingRow &&
    (und !== undefined ? state.dividends.get(und) : undefined) === b.dividends
  );
}

/** Two classifications of one contract that say the same in every field. */
function sameClass(a: PositionClass, b: PositionClass): boolean {
  return (
    a === b ||
    (a.conId === b.conId &&
      a.assetClass === b.assetClass &&
      a.kind === b.kind &&
      a.driver === b.driver &&
      a.symbol === b.symbol &&
      a.currency === b.currency &&
      a.groupKey === b.groupKey &&
      a.underlyingConId === b.underlyingConId &&
      a.model === b.model &&
      a.broadIndex === b.broadIndex &&
      a.highCapIndex === b.highCapIndex &&
      a.fxFutureCurrency === b.fxFutureCurrency &&
      a.futureUnderlying === b.futureUnderlying &&
      a.segment === b.segment)
  );
}

/** True when every source is the very same object (the reducer returns the same reference for unchanged rows). */
export function sameSources(a: PositionSources, b: PositionSources): boolean {
  return (
    a.row === b.row && a.option === b.option && a.underlyingPrice === b.underlyingPrice && a.underlyingRow === b.underlyingRow && a.dividends === b.dividends
  );
}

const num = (d: Decimal | undefined): number => (d === undefined ? NaN : toFloat(d));

/** A live price from a price row: mark (tick 37), else the bid/ask mid, else last, else close. */
function livePrice(p: PriceRow | undefined): number {
  if (!p) return NaN;
  const { mark, bid, ask, last, close } = p.prices;
  if (mark) return toFloat(mark);
  if (bid && ask && bid.gt(0) && ask.gte(bid)) return toFloat(bid.add(ask).div(2));
  if (last) return toFloat(last);
  return close ? toFloat(close) : NaN;
}

/**
 * Reads one position into floats and decides whether it can be revalued. `missingFx` names its currency
 * when TWS sent no exchange rate for it.
 */
export function readPosition(
  src: PositionSources,
  cls: PositionClass,
  currencyIndex: number,
  missingFx: string | undefined,
  params: StressParams,
): BookPosition {
  const row = src.row;
  const c = row.contract;
  const qty = toFloat(row.position);
  const multiplier = c.multiplier && !c.multiplier.isZero() ? toFloat(c.multiplier) : 1;
  const nlv = nlvContribution(row, cls);
  let price = num(row.marketPrice);
  // A row with a value but no price (rare): the price implied by the value, for the margin rules.
  if (!Number.isFinite(price) && row.marketValue && qty !== 0) price = toFloat(row.marketValue) / (qty * multiplier);
  let unpriced: string | undefined;
  let isCall = 0,
    strike = NaN,
    expiryMs = NaN,
    iv = NaN,
    pvDividend = 0,
    underlying = NaN,
    feedExDateMs = NaN,
    feedDividend = NaN,
    feedPerYear = 1;
  if (cls.kind === 'none') unpriced = `no revaluation model for secType ${c.secType || '(empty)'}`;
  else if (missingFx !== undefined) unpriced = `no ExchangeRate for ${missingFx}`;
  else if (cls.kind !== 'cashPair' && !Number.isFinite(price)) unpriced = 'no market price';
  if (cls.kind === 'option') {
    isCall = c.right === 'C' ? 1 : 0;
    strike = num(c.strike);
    expiryMs = expiryInstant(c.expiry, params.expiryHourNewYork);
    const o = src.option;
    iv = o?.impliedVol ?? NaN;
    pvDividend = cls.model === 'black76American' ? 0 : (o?.pvDividend ?? 0);
    const dv = src.dividends;
    if (cls.model === 'bsmAmerican' && dv?.nextExDate && dv.nextAmount) {
      feedExDateMs = exDateMs(dv.nextExDate);
      feedDividend = toFloat(dv.nextAmount);
      const k = dv.next12Months ? Math.round(toFloat(dv.next12Months) / feedDividend) : 1;
      feedPerYear = k >= 1 && k <= 12 ? k : 1;
    }
    // The held underlying's live price, else its mark, else the price TWS priced the option on.
    underlying = livePrice(src.underlyingPrice);
    if (!Number.isFinite(underlying)) underlying = num(src.underlyingRow?.marketPrice);
    if (!Number.isFinite(underlying)) underlying = o?.underlyingPrice ?? NaN;
    // Past expiry the option is worth its intrinsic value whatever the vol: TWS often stops sending greeks for
    // it, and that must not leave an expiring position unpriced. Vol 0 keeps every vol shock at intrinsic too.
    const expired = Number.isFinite(expiryMs) && expiryMs <= clockOf(params);
    if (expired && !(iv > 0)) iv = 0;
    if (!(c.right && strike > 0 && Number.isFinite(expiryMs) && c.multiplier && (iv > 0 || expired) && underlying > 0) && !unpriced) {
      const missing: string[] = [];
      if (!c.right) missing.push('right');
      if (!(strike > 0)) missing.push('strike');
      if (!Number.isFinite(expiryMs)) missing.push('expiry date');
      if (!c.multiplier) missing.push('multiplier');
      if (!(iv > 0 || expired)) missing.push('implied vol');
      if (!(underlying > 0)) missing.push('underlying price');
      unpriced = `no ${missing.join(', no ')}`;
    }
  }
  // A configured duration wins; else it is computed from the coupon and maturity the contract names, at the mark.
  let dur: { readonly duration: number; readonly convexity?: number } | undefined;
  let accrued = 0;
  if (cls.kind === 'bond') {
    dur = params.bondDurations[c.conId];
    // The accrued interest is read even with a configured duration: that one too is the dirty price's sensitivity.
    const terms = bondTerms(c);
    if (terms) accrued = accruedInterest(terms, clockOf(params));
    if (terms && !dur) dur = bondRisk(terms, price, clockOf(params));
  }
  return {
    conId: c.conId,
    cls,
    classIndex: CLASS_ORDER.indexOf(cls.assetClass),
    currencyIndex,
    qty,
    multiplier,
    price,
    nlvQuanta: toQuanta(toFloat(nlv)),
    isCall,
    strike,
    expiryMs,
    iv,
    pvDividend,
    underlying,
    feedExDateMs,
    feedDividend,
    feedPerYear,
    duration: dur ? dur.duration : NaN,
    convexity: dur ? (dur.convexity ?? 0) : NaN,
    accrued,
    unpriced,
  };
}

function readLedger(state: PortfolioState, base: string, currencies: readonly string[], futures: readonly PortfolioRow[]): BookLedger {
  const n = currencies.length;
  const fx = new Float64Array(n);
  const cashQuanta = new Float64Array(n);
  const futuresPnlQuanta = new Float64Array(n);
  const missingFx: string[] = [];
  const futuresUnrealized = new Map<string, Decimal>();
  for (const r of futures) {
    const c = r.contract.currency;
    futuresUnrealized.set(c, (futuresUnrealized.get(c) ?? ZERO).add(r.unrealizedPnl ?? ZERO));
  }
  currencies.forEach((c, i) => {
    const x = c === base ? ONE : state.fxRates.get(c);
    if (x && x.gt(0)) fx[i] = toFloat(x);
    else missingFx.push(c);
    cashQuanta[i] = quantaOf(accountValue(state, 'CashBalance', c)?.value);
    // FuturesPNL is the P&L since the last settlement, which TWS adds to NetLiquidation; without that row,
    // the positions' unrealized P&L stands in for it (exact only before the first settlement).
    futuresPnlQuanta[i] = quantaOf(accountValue(state, 'FuturesPNL', c)?.value ?? futuresUnrealized.get(c));
  });
  return { fx, cashQuanta, futuresPnlQuanta, missingFx };
}

const ONE = new Decimal(1);

function quantaOf(d: Decimal | undefined): number {
  return d ? toFloat(d.mul(INV_QUANTUM).round()) || 0 : 0;
}

/**
 * A position's contribution to NetLiquidation in its currency (docs/stress-model.md "NetLiquidation"):
 * its market value at TWS's mark (quantity × price × multiplier when TWS sent no value); CFDs only
 * their unrealized P&L; futures nothing (their P&L is in the per-currency futures P&L); CASH pairs
 * nothing (their legs are the cash balances, risk-model.md §0.9).
 */
function nlvContribution(row: PortfolioRow, cls: PositionClass): Decimal {
  switch (cls.kind) {
    case 'cashPair':
    case 'future':
      return ZERO;
    case 'cfd':
      return row.unrealizedPnl ?? ZERO;
    default:
      if (row.marketValue) return row.marketValue;
      return row.marketPrice ? row.position.mul(row.marketPrice).mul(row.contract.multiplier ?? 1) : ZERO;
  }
}

function readReported(state: PortfolioState, base: string, currencies: readonly string[]): ReportedValues {
  const v = (tag: string, segment?: Segment) => baseValue(state, tag, segment);
  const perCcy = (tag: string) => {
    const out: Record<string, Decimal> = {};
    for (const c of currencies) {
      const d = accountValue(state, tag, c)?.value;
      if (d) out[c] = d;
    }
    return out;
  };
  const exchangeRate: Record<string, Decimal> = {};
  for (const c of currencies) {
    const x = c === base ? ONE : state.fxRates.get(c);
    if (x) exchangeRate[c] = x;
  }
  const opt = <K extends string>(k: K, d: Decimal | undefined) => (d ? ({ [k]: d } as Record<K, Decimal>) : {});
  return {
    ...opt('netLiquidation', v('NetLiquidation')),
    ...opt('equityWithLoanValue', v('EquityWithLoanValue')),
    ...opt('maintMarginReq', v('MaintMarginReq')),
    ...opt('initMarginReq', v('InitMarginReq')),
    ...opt('excessLiquidity', v('ExcessLiquidity')),
    ...opt('availableFunds', v('AvailableFunds')),
    ...opt('cushion', accountValue(state, 'Cushion', '')?.value),
    ...opt('maintMarginReqS', v('MaintMarginReq', 'S')),
    ...opt('maintMarginReqC', v('MaintMarginReq', 'C')),
    ...opt('initMarginReqS', v('InitMarginReq', 'S')),
    ...opt('initMarginReqC', v('InitMarginReq', 'C')),
    cashBalance: perCcy('CashBalance'),
    futuresPnl: perCcy('FuturesPNL'),
    exchangeRate,
    netLiquidationByCurrency: perCcy('NetLiquidationByCurrency'),
  };
}

/** Model NetLiquidation and its parts, in Decimal: exact sums of what TWS sent. */
export interface ModelNetLiquidation {
  /** Σ_c X_c·E_c over currencies with an exchange rate. */
  readonly total: Decimal;
  /** E_c: cash + futures P&L + positions' contributions, in currency c. */
  readonly byCurrency: Readonly<Record<string, Decimal>>;
  /** Base value of the classes without loan value (US Reg T options), for a model EquityWithLoanValue. */
  readonly noLoanValue: Decimal;
}

/**
 * Model NetLiquidation: Σ_c X_c·(CashBalance_c + futures P&L_c + Σ position contributions in c), the
 * positions at TWS's marks (options at mark, CFDs by unrealized P&L, futures and CASH pairs nothing).
 * Computed from state at report time (O(positions) in Decimal), not on every tick.
 */
export function modelNetLiquidation(state: PortfolioState, params: StressParams): ModelNetLiquidation {
  const rows = [...state.portfolio.values()];
  const classes = classifyPositions(
    rows.map((r) => r.contract),
    params,
  );
  const base = baseCurrencyOf(state);
  const currencies = currenciesOf(state, rows);
  const futures = rows.filter((_, i) => classes[i]!.kind === 'future');
  const ledger = readLedger(state, base, currencies, futures);
  const local = new Map<string, Decimal>();
  const add = (c: string, d: Decimal) => local.set(c, (local.get(c) ?? ZERO).add(d));
  currencies.forEach((c, i) => add(c, quantaToDecimal(ledger.cashQuanta[i]!).add(quantaToDecimal(ledger.futuresPnlQuanta[i]!))));
  const rate = (c: string) => (c === base ? ONE : state.fxRates.get(c));
  const noLoan = new Set(noLoanClasses(params));
  let noLoanValue = ZERO;
  rows.forEach((r, i) => {
    const d = nlvContribution(r, classes[i]!);
    add(r.contract.currency, d);
    const x = rate(r.contract.currency);
    if (noLoan.has(classes[i]!.assetClass) && x) noLoanValue = noLoanValue.add(d.mul(x));
  });
  let total = ZERO;
  const byCurrency: Record<string, Decimal> = {};
  for (const c of currencies) {
    const e = local.get(c) ?? ZERO;
    byCurrency[c] = e;
    const x = rate(c);
    if (x) total = total.add(e.mul(x));
  }
  return { total, byCurrency, noLoanValue };
}

// ── float → Decimal ─────────────────────────────────────────────────────────────────────────────

/** A base-currency amount from the grid, rounded to cents (half-even). */
export function moneyOf(x: number): Decimal {
  return new Decimal(x === 0 ? 0 : x).toDecimalPlaces(2);
}

/** An amount held in quanta, exactly. */
function quantaToDecimal(q: number): Decimal {
  return new Decimal(q === 0 ? 0 : q).mul(QUANTUM);
}

/** A float estimate as a Decimal, without rounding (its shortest decimal form). */
export function decimalOf(x: number): Decimal {
  return new Decimal(x === 0 ? 0 : x);
}

/** A Decimal amount as a float (for the liquidation search, which works in float64). */
export function floatOf(d: Decimal | undefined): number {
  return d === undefined ? NaN : toFloat(d);
}
