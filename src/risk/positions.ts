// Position classification: how each held contract is revalued, what moves it, and which underlying group it joins.
import { assetClassOf, currencyFutureOf, type AssetClass, type Contract } from '../model/contract.js';
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

/** Classifies every contract of the book; `held` are all the book's contracts (to link options to held stocks). */
export function classifyPositions(contracts: readonly Contract[], params: StressParams): PositionClass[] {
  // One pass for what the classes depend on across the book, one to classify (a rebuild does both before its
  // pricing can start, price-pool.ts): the held stock of each symbol and currency, and the underlyings with
  // derivatives on them, which get a group of their own.
  const n = contracts.length;
  const memo: Remembered[] = [];
  const stockBySymbol = new Map<string, number>();
  const perSymbol = new Set<string>();
  for (let i = 0; i < n; i++) {
    const c = contracts[i]!;
    const m = rememberedOf(c);
    memo.push(m);
    const k = m.assetClass;
    if (k === 'STK') {
      const prev = stockBySymbol.get(m.key);
      // Two stocks with one symbol and currency (different listings): the lower conId wins, deterministically.
      if (prev === undefined || c.conId < prev) stockBySymbol.set(m.key, c.conId);
    } else if (k === 'OPT' || k === 'WAR' || k === 'FOP') perSymbol.add(m.key);
  }
  // The portfolio-margin scan also needs a group per stock or index, since TIMS margins each underlying on its own
  // (risk-model.md §2.1).
  const scanEach = params.marginMethod === 'portfolio';
  const ownGroup = (key: string, driver: AssetClass) => perSymbol.has(key) || (scanEach && (driver === 'STK' || driver === 'IND'));
  const ctx: Context = {
    stockBySymbol,
    index: new Set(params.indexSymbols),
    broad: new Set(params.broadIndexSymbols),
    highCap: new Set(params.highCapIndexSymbols),
    ownGroup: (c, driver) => ownGroup(`${c.symbol}|${c.currency}`, driver),
  };
  const { indexSymbols, broadIndexSymbols, highCapIndexSymbols } = params;
  const out: PositionClass[] = [];
  for (let i = 0; i < n; i++) {
    const m = memo[i]!;
    const old = m.cls;
    const stock = stockBySymbol.get(m.key);
    if (
      old !== undefined &&
      m.params![0] === indexSymbols &&
      m.params![1] === broadIndexSymbols &&
      m.params![2] === highCapIndexSymbols &&
      m.params![3] === scanEach &&
      m.stock === stock &&
      m.own === (old.driver !== undefined && ownGroup(m.key, old.driver))
    ) {
      out.push(old);
      continue;
    }
    const cls = classifyOne(contracts[i]!, ctx);
    m.cls = cls;
    m.stock = stock;
    m.own = cls.driver !== undefined && ownGroup(m.key, cls.driver);
    m.params = [indexSymbols, broadIndexSymbols, highCapIndexSymbols, scanEach];
    out.push(cls);
  }
  return out;
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
      return make(isOption ? 'option' : 'future', 'FUT', group('FUT'), 'C', isOption ? 'black76American' : undefined, undefined, false, false, fx);
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
