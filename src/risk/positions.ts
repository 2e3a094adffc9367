// Position classification: how each held contract is revalued, what moves it, and which underlying group it joins.
import { assetClassOf, currencyFutureOf, futureUnderlyingOf, type AssetClass, type Contract, type FutureUnderlying } from '../model/contract.js';
import type { StressParams } from './params.js';

/*
 * Linking rules (docs/stress-model.md "Positions"). PORTFOLIO_VALUE carries no underlying conId, so:
 * - a stock option (OPT, WAR) belongs to the STK group of its symbol and currency; when that stock is
 *   also held, its conId is the option's underlying (for the live price). An option whose symbol is in
 *   `indexSymbols` and has no such stock is an index option (IND group, European);
 * - a futures option (FOP) belongs to the FUT group of its symbol and currency and is priced on the
 *   underlying price TWS sends with its option computation (the serial/weekly month cannot be matched
 *   to a held future reliably without underConId, risk-model.md §3.1);
 * - `sym:` shocks use the contract's symbol, which for IB derivatives is the underlying's symbol.
 */

/** How a position is revalued under a scenario (risk-model.md §4.3 table). */
export type RevalKind =
  /** Value = quantity × price; P&L = value × price move (STK, ETF, FUND, CMDTY, CRYPTO, IND). */
  | 'linear'
  /** Like linear, plus −duration·Δy + ½·convexity·Δy² when the duration is known. */
  | 'bond'
  /** P&L = quantity × multiplier × price change; only unrealized P&L is in NetLiquidation. */
  | 'future'
  /** As its underlying: P&L = quantity × price change; only unrealized P&L is in NetLiquidation. */
  | 'cfd'
  /** Full revaluation: BSM (stock, index, warrant) or Black-76 (futures option). */
  | 'option'
  /** A CASH pair (EUR.USD): its legs are in the cash balances; it never adds P&L of its own (§0.9, §4.1). */
  | 'cashPair'
  /** No model for this secType: shown as unpriced, never valued at zero silently. */
  | 'none';

/** Option pricing model: American (BAW) on stocks and futures, European on indexes and warrants. */
export type OptionModel = 'bsmAmerican' | 'bsmEuropean' | 'black76American';

export interface PositionClass {
  readonly conId: number;
  readonly assetClass: AssetClass;
  readonly kind: RevalKind;
  /** The price-driver class that moves it (px:CLASS); undefined for CASH pairs and unknown types. */
  readonly driver: AssetClass | undefined;
  /** Underlying symbol, as `sym:` shocks name it. */
  readonly symbol: string;
  readonly currency: string;
  /**
   * Positions sharing a group are revalued and margined together: an underlying with the options written
   * on it (`STK|AAPL|USD`: covered calls, the PM scan), or, for linear positions nothing is written on, a
   * bucket per class and currency (`STK|*|EUR`), which keeps the grid's per-group work small.
   */
  readonly groupKey: string;
  /** Held STK the option is written on (same symbol and currency), for its live price. */
  readonly underlyingConId: number | undefined;
  readonly model: OptionModel | undefined;
  /** Broad-based index underlying: 15% Reg T base, TIMS index ranges. */
  readonly broadIndex: boolean;
  readonly highCapIndex: boolean;
  /**
   * A currency future (IB symbol EUR, GBP, JPY … quoted in another currency, e.g. CME 6E is symbol EUR
   * in USD): its price also moves with the two currencies' fx shocks (risk-model.md §4.1).
   */
  readonly fxFutureCurrency: string | undefined;
  /**
   * What a future or future option is on (equity index, commodity, currency, rate), which the built-in crashes move it
   * with (docs/scenarios.md "What a future is on"); undefined for other classes and for futures on no known root.
   */
  readonly futureUnderlying: FutureUnderlying | undefined;
  /** Margin segment: commodities (-C) for futures and futures options, securities (-S) otherwise. */
  readonly segment: 'S' | 'C';
}

/**
 * What a classification was made from beyond the contract itself (whose fields the reducer never changes in place:
 * an unchanged contract keeps its object), so a rebuild of the book classifies again only what could differ: the
 * params' symbol lists and margin method, the held stock an option is written on, and whether the underlying has a
 * group of its own. The key `symbol|currency` is built once per contract object.
 */
interface Remembered {
  readonly key: string;
  readonly assetClass: AssetClass;
  cls?: PositionClass;
  stock?: number | undefined;
  own?: boolean;
  params?: readonly [readonly string[], readonly string[], readonly string[], boolean];
}
const remembered = new WeakMap<Contract, Remembered>();

function rememberedOf(c: Contract): Remembered {
  let m = remembered.get(c);
  if (m === undefined) remembered.set(c, (m = { key: `${c.symbol}|${c.currency}`, assetClass: assetClassOf(c.secType) }));
  return m;
}

/**
 * What the classes depend on across the book (besides each contract and the params): the held stock of each
 * `symbol|currency` and the underlyings with derivatives on them, which get a group of their own. A rebuild keeps it
 * with its book and brings it up to date from the contracts that left and joined (`reclassing`), so that it need not
 * walk every contract again.
 */
export interface BookClassing {
  /** The lowest conId of the STK held per key (two listings of one symbol and currency: the lower wins). */
  readonly stock: ReadonlyMap<string, number>;
  /** Keys with more than one STK held. */
  readonly moreStocks: ReadonlySet<string>;
  /** Derivative positions (OPT, WAR, FOP) per key. */
  readonly derivatives: ReadonlyMap<string, number>;
  /** The params it was made with (by identity, as a remembered class): another list or method classifies anew. */
  readonly params: ClassParams;
}

type ClassParams = readonly [readonly string[], readonly string[], readonly string[], boolean];

function classParamsOf(params: StressParams): ClassParams {
  return [params.indexSymbols, params.broadIndexSymbols, params.highCapIndexSymbols, params.marginMethod === 'portfolio'];
}

function sameParams(a: ClassParams, b: ClassParams): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

const isDerivative = (k: AssetClass) => k === 'OPT' || k === 'WAR' || k === 'FOP';

/** Classifies every contract of the book; `held` are all the book's contracts (to link options to held stocks). */
export function classifyPositions(contracts: readonly Contract[], params: StressParams): PositionClass[] {
  return classifyBook(contracts, params).classes;
}

/** classifyPositions, with each contract's `symbol|currency` key and what the classes depended on. */
export function classifyBook(contracts: readonly Contract[], params: StressParams): { classes: PositionClass[]; keys: string[]; classing: BookClassing } {
  // One pass for what the classes depend on across the book, one to classify (a rebuild does both before its
  // pricing can start, price-pool.ts).
  const n = contracts.length;
  const memo: Remembered[] = [];
  const keys: string[] = [];
  const stock = new Map<string, number>();
  const moreStocks = new Set<string>();
  const derivatives = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const c = contracts[i]!;
    const m = rememberedOf(c);
    memo.push(m);
    keys.push(m.key);
    const k = m.assetClass;
    if (k === 'STK') {
      const prev = stock.get(m.key);
      if (prev === undefined) stock.set(m.key, c.conId);
      else {
        moreStocks.add(m.key);
        if (c.conId < prev) stock.set(m.key, c.conId);
      }
    } else if (isDerivative(k)) derivatives.set(m.key, (derivatives.get(m.key) ?? 0) + 1);
  }
  const classing: BookClassing = { stock, moreStocks, derivatives, params: classParamsOf(params) };
  const ctx = contextOf(classing, params);
  const out: PositionClass[] = [];
  for (let i = 0; i < n; i++) out.push(classifyRemembered(contracts[i]!, memo[i]!, ctx));
  return { classes: out, keys, classing };
}

/**
 * The classing of a book after the contracts `left` (by their previous classing) and `joined`, and the keys whose
 * classes may differ from the previous ones (their held stock or whether they have derivatives changed); every other
 * key's contracts, where the same objects, keep their classes. Undefined when it cannot be brought up to date (other
 * class params, a second listing of a stock leaving): classify the book again.
 */
export function reclassing(
  prev: BookClassing,
  left: readonly Contract[],
  joined: readonly Contract[],
  params: StressParams,
): { classing: BookClassing; affected: Set<string> } | undefined {
  const p = classParamsOf(params);
  if (!sameParams(p, prev.params)) return undefined;
  const affected = new Set<string>();
  if (left.length === 0 && joined.length === 0) return { classing: prev, affected };
  const stock = new Map(prev.stock);
  const moreStocks = new Set(prev.moreStocks);
  const derivatives = new Map(prev.derivatives);
  for (const c of left) {
    const m = rememberedOf(c);
    if (m.assetClass === 'STK') {
      if (moreStocks.has(m.key)) return undefined;
      if (stock.get(m.key) === c.conId) stock.delete(m.key);
    } else if (isDerivative(m.assetClass)) {
      const k = derivatives.get(m.key)! - 1;
      if (k > 0) derivatives.set(m.key, k);
      else derivatives.delete(m.key);
    }
  }
  for (const c of joined) {
    const m = rememberedOf(c);
    if (m.assetClass === 'STK') {
      const had = stock.get(m.key);
      if (had === undefined) stock.set(m.key, c.conId);
      else {
        moreStocks.add(m.key);
        if (c.conId < had) stock.set(m.key, c.conId);
      }
    } else if (isDerivative(m.assetClass)) derivatives.set(m.key, (derivatives.get(m.key) ?? 0) + 1);
  }
  for (const c of [...left, ...joined]) {
    const key = rememberedOf(c).key;
    if (stock.get(key) !== prev.stock.get(key) || derivatives.has(key) !== prev.derivatives.has(key)) affected.add(key);
  }
  return { classing: { stock, moreStocks, derivatives, params: p }, affected };
}

/** Classifies contracts of a book by its classing (remembered per contract object, as classifyPositions). */
export function classifierOf(classing: BookClassing, params: StressParams): (c: Contract) => PositionClass {
  const ctx = contextOf(classing, params);
  return (c) => classifyRemembered(c, rememberedOf(c), ctx);
}

/** The `symbol|currency` key of a contract, as BookClassing is keyed. */
export function classKeyOf(c: Contract): string {
  return rememberedOf(c).key;
}

interface Classing extends Context {
  readonly scanEach: boolean;
  readonly params: StressParams;
  readonly ownKey: (key: string, driver: AssetClass) => boolean;
}

function contextOf(classing: BookClassing, params: StressParams): Classing {
  const { stock, derivatives } = classing;
  // The portfolio-margin scan also needs a group per stock or index, since TIMS margins each underlying on its own
  // (risk-model.md §2.1).
  const scanEach = params.marginMethod === 'portfolio';
  const ownKey = (key: string, driver: AssetClass) => derivatives.has(key) || (scanEach && (driver === 'STK' || driver === 'IND'));
  return {
    stockBySymbol: stock,
    index: new Set(params.indexSymbols),
    broad: new Set(params.broadIndexSymbols),
    highCap: new Set(params.highCapIndexSymbols),
    ownGroup: (c, driver) => ownKey(`${c.symbol}|${c.currency}`, driver),
    scanEach,
    params,
    ownKey,
  };
}

function classifyRemembered(c: Contract, m: Remembered, ctx: Classing): PositionClass {
  const { indexSymbols, broadIndexSymbols, highCapIndexSymbols } = ctx.params;
  const { scanEach, ownKey } = ctx;
  const old = m.cls;
  const stock = ctx.stockBySymbol.get(m.key);
  if (
    old !== undefined &&
    m.params![0] === indexSymbols &&
    m.params![1] === broadIndexSymbols &&
    m.params![2] === highCapIndexSymbols &&
    m.params![3] === scanEach &&
    m.stock === stock &&
    m.own === (old.driver !== undefined && ownKey(m.key, old.driver))
  )
    return old;
  const cls = classifyOne(c, ctx);
  m.cls = cls;
  m.stock = stock;
  m.own = cls.driver !== undefined && ownKey(m.key, cls.driver);
  m.params = [indexSymbols, broadIndexSymbols, highCapIndexSymbols, scanEach];
  return cls;
}

interface Context {
  readonly stockBySymbol: ReadonlyMap<string, number>;
  readonly index: ReadonlySet<string>;
  readonly broad: ReadonlySet<string>;
  readonly highCap: ReadonlySet<string>;
  /** Whether a position on this underlying gets its own group rather than its class's bucket. */
  readonly ownGroup: (c: Contract, driver: AssetClass) => boolean;
}

function classifyOne(c: Contract, ctx: Context): PositionClass {
  const { stockBySymbol, index, broad, highCap } = ctx;
  const assetClass = assetClassOf(c.secType);
  // One object shape for every class (fields undefined when they do not apply): cheap to build for large books.
  const make = (
    kind: RevalKind,
    driver: AssetClass | undefined,
    groupKey: string,
    segment: 'S' | 'C',
    model?: OptionModel,
    underlyingConId?: number,
    isBroad = false,
    isHighCap = false,
    fxFutureCurrency?: string,
    futureUnderlying?: FutureUnderlying,
  ): PositionClass => ({
    conId: c.conId,
    assetClass,
    kind,
    driver,
    symbol: c.symbol,
    currency: c.currency,
    groupKey,
    underlyingConId,
    model,
    broadIndex: isBroad,
    highCapIndex: isHighCap,
    fxFutureCurrency,
    futureUnderlying,
    segment,
  });
  const group = (driver: AssetClass) => `${driver}|${ctx.ownGroup(c, driver) ? c.symbol : '*'}|${c.currency}`;
  switch (assetClass) {
    case 'STK':
    case 'FUND':
    case 'CMDTY':
    case 'CRYPTO':
    case 'IND': {
      const isIndex = assetClass === 'IND';
      return make('linear', assetClass, group(assetClass), 'S', undefined, undefined, isIndex && broad.has(c.symbol), isIndex && highCap.has(c.symbol));
    }
    case 'BOND':
      return make('bond', 'BOND', group('BOND'), 'S');
    case 'CFD':
      return make('cfd', 'CFD', group('CFD'), 'S');
    case 'FUT':
    case 'FOP': {
      const fx = currencyFutureOf(c);
      const isOption = assetClass === 'FOP';
      const on = futureUnderlyingOf(c);
      return make(isOption ? 'option' : 'future', 'FUT', group('FUT'), 'C', isOption ? 'black76American' : undefined, undefined, false, false, fx, on);
    }
    case 'OPT':
    case 'WAR': {
      const stock = stockBySymbol.get(`${c.symbol}|${c.currency}`);
      const onIndex = stock === undefined && index.has(c.symbol);
      const driver: AssetClass = onIndex ? 'IND' : 'STK';
      const model: OptionModel = onIndex || assetClass === 'WAR' ? 'bsmEuropean' : 'bsmAmerican';
      return make('option', driver, group(driver), 'S', model, stock, onIndex && broad.has(c.symbol), onIndex && highCap.has(c.symbol));
    }
    case 'CASH':
      return make('cashPair', undefined, `CASH|*|${c.currency}`, 'S');
    default:
      return make('none', undefined, `${assetClass}|*|${c.currency}`, 'S');
  }
}
