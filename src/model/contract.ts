// Contract identity and asset classes: what TWS tells us about an instrument, keyed by conId.
import type { Decimal } from './money.js';

/** IB security types we know; anything else is kept verbatim as an `unknown` class with its raw secType. */
export const KNOWN_SEC_TYPES = ['STK', 'OPT', 'FUT', 'FOP', 'CASH', 'BOND', 'CFD', 'WAR', 'IND', 'FUND', 'CMDTY', 'CRYPTO'] as const;
export type KnownSecType = (typeof KNOWN_SEC_TYPES)[number];

/** Asset class of an instrument: IB's secType when known, else 'UNKNOWN' (the raw secType stays on the contract). */
export type AssetClass = KnownSecType | 'UNKNOWN';

const KNOWN = new Set<string>(KNOWN_SEC_TYPES);

/** Maps IB's secType to our asset class; unknown or empty secTypes map to 'UNKNOWN', never throw. */
export function assetClassOf(secType: string | undefined): AssetClass {
  const s = (secType ?? '').toUpperCase();
  return KNOWN.has(s) ? (s as KnownSecType) : 'UNKNOWN';
}

/** Option right as TWS sends it ('C'/'CALL', 'P'/'PUT'), normalised. */
export type OptionRight = 'C' | 'P';

export function optionRightOf(right: string | undefined): OptionRight | undefined {
  const r = (right ?? '').toUpperCase();
  if (r === 'C' || r === 'CALL') return 'C';
  if (r === 'P' || r === 'PUT') return 'P';
  return undefined;
}

/**
 * The instrument as TWS describes it (POSITION, PORTFOLIO_VALUE, OPEN_ORDER, EXECUTION_DATA carry these fields).
 * `conId` is the identity; everything else is descriptive. Strike and multiplier are Decimal because they
 * are shown and enter notional sums.
 */
export interface Contract {
  readonly conId: number;
  readonly symbol: string;
  /** Raw IB secType, kept verbatim (also for unknown types). */
  readonly secType: string;
  readonly currency: string;
  readonly exchange?: string;
  readonly primaryExchange?: string;
  readonly localSymbol?: string;
  readonly tradingClass?: string;
  /** lastTradeDateOrContractMonth: YYYYMMDD or YYYYMM. */
  readonly expiry?: string;
  readonly strike?: Decimal;
  readonly right?: OptionRight;
  readonly multiplier?: Decimal;
}

/** ISO codes that name currency futures on CME, ICE and Eurex in IB's symbology (IBKR's EUR is CME's 6E). */
export const CURRENCY_FUTURE_SYMBOLS: ReadonlySet<string> = new Set([
  'EUR',
  'GBP',
  'JPY',
  'CHF',
  'AUD',
  'CAD',
  'NZD',
  'MXN',
  'BRL',
  'ZAR',
  'RUB',
  'CNH',
  'NOK',
  'SEK',
  'PLN',
  'HUF',
  'CZK',
  'ILS',
  'KRW',
  'INR',
  'USD',
]);

/** What a future (or a future option) is on, for the crashes: docs/scenarios.md "What a future is on". */
export type FutureUnderlying = 'equityIndex' | 'commodity' | 'currency' | 'rate';

/**
 * Futures on equity indexes (CME, CBOT, Eurex, OSE, SGX, HKEX, ICE Europe, Montreal, ASX, KRX and the micro and mini
 * contracts): the equity crashes move them with the indexes (docs/scenarios.md "Combined crashes"), where the FUT class
 * alone would leave a long ES book untouched by an "Equity crash".
 */
const EQUITY_INDEX_FUTURE_SYMBOLS: ReadonlySet<string> = new Set([
  'ES',
  'MES',
  'NQ',
  'MNQ',
  'YM',
  'MYM',
  'RTY',
  'M2K',
  'EMD',
  'NKD',
  'NIY',
  'SP',
  'ND',
  'DJIA',
  'ESTX50',
  'DAX',
  'FDAX',
  'FDXM',
  'FDXS',
  'FESX',
  'FSMI',
  'SMI',
  'CAC40',
  'Z',
  'FTSE',
  'IBEX35',
  'AEX',
  'OMXS30',
  'N225',
  'N225M',
  'MNTPX',
  'TOPX',
  'NIKKEI',
  'HSI',
  'MHI',
  'HHI',
  'MCH',
  'XINA50',
  'SSG',
  'SGXNK',
  'SXF',
  'SPI',
  'AP',
  'K200',
  'NIFTY',
]);

/**
 * Currency futures whose IB symbol is CME's code rather than the currency's (the full-size ones are the ISO code,
 * CURRENCY_FUTURE_SYMBOLS): the E-micros M6E (12,500 EUR), M6A, M6B, MCD, MSF, MJY, the E-minis E7 and J7, and the
 * Mexican peso, which IB spells MXP. Each is quoted in USD per unit of the currency, like the full-size contract. The
 * inverted micros (USD/CAD, USD/JPY, USD/CHF, quoted in the foreign currency per dollar) are not listed: they stay in
 * the Futures class.
 */
const CURRENCY_FUTURE_ROOTS: Readonly<Record<string, string>> = {
  M6E: 'EUR',
  E7: 'EUR',
  M6A: 'AUD',
  M6B: 'GBP',
  MCD: 'CAD',
  MSF: 'CHF',
  MJY: 'JPY',
  J7: 'JPY',
  MXP: 'MXN',
};

/**
 * How an interest-rate future's price moves with a parallel rate shock Δr (a fraction, 0.01 = +100 bp), for the rates
 * scenarios (docs/stress-model.md "Rate futures"): `rate`, quoted 100 − rate (SOFR, Fed funds, Eurodollar, BAX), moves
 * −100·Δr points; `yield`, quoted in yield percent (the CME micro yield futures), +100·Δr points; `price`, a bond future,
 * ΔF/F ≈ −duration·Δr + ½·convexity·Δr², with an approximate modified duration and convexity of its cheapest-to-deliver.
 */
export type RateFutureQuote =
  { readonly quote: 'rate' } | { readonly quote: 'yield' } | { readonly quote: 'price'; readonly duration: number; readonly convexity: number };

const RATE_QUOTED: RateFutureQuote = Object.freeze({ quote: 'rate' });
const YIELD_QUOTED: RateFutureQuote = Object.freeze({ quote: 'yield' });
const bondFuture = (duration: number, convexity: number): RateFutureQuote => Object.freeze({ quote: 'price', duration, convexity });

/**
 * Interest-rate futures (IB symbols): CBOT Treasuries ZT, ZF, ZN, TN, ZB, UB, TWE and the Fed funds ZQ; CME SOFR SR3,
 * SR1 and the retired Eurodollar GE; the yield-quoted micro Treasuries 2YY, 5YY, 10Y, 30Y; Eurex Schatz, Bobl, Bund,
 * Buxl, OAT and BTP (IB symbol GBS, GBM, GBL, GBX, OAT, BTP; Eurex's FGBS … as trading class); Montreal's CGB and
 * BAX. The crashes hold them still; the rates scenarios move them by their quote. The bond futures' durations and
 * convexities are those of a plausible cheapest-to-deliver at 2025–26 yields (rounded between a par bond and a
 * low-coupon one of the CTD's remaining term): approximations, within about ±10% of the contract's real sensitivity,
 * which moves with the CTD and the level of yields (docs/stress-model.md "Rate futures").
 */
const RATE_FUTURES: Readonly<Record<string, RateFutureQuote>> = {
  ZT: bondFuture(1.9, 5),
  ZF: bondFuture(4.1, 20),
  ZN: bondFuture(6.4, 45),
  TN: bondFuture(8.1, 75),
  ZB: bondFuture(11.5, 160),
  UB: bondFuture(17, 360),
  TWE: bondFuture(12.7, 210),
  ZQ: RATE_QUOTED,
  SR3: RATE_QUOTED,
  SR1: RATE_QUOTED,
  GE: RATE_QUOTED,
  '2YY': YIELD_QUOTED,
  '5YY': YIELD_QUOTED,
  '10Y': YIELD_QUOTED,
  '30Y': YIELD_QUOTED,
  GBS: bondFuture(1.9, 5),
  GBM: bondFuture(4.4, 23),
  GBL: bondFuture(8.2, 78),
  GBX: bondFuture(19, 450),
  FGBS: bondFuture(1.9, 5),
  FGBM: bondFuture(4.4, 23),
  FGBL: bondFuture(8.2, 78),
  FGBX: bondFuture(19, 450),
  OAT: bondFuture(8, 75),
  BTP: bondFuture(7.5, 68),
  CGB: bondFuture(7.5, 65),
  BAX: RATE_QUOTED,
};

/**
 * Commodity futures (IB symbols): NYMEX energy CL, MCL, QM, BZ, NG, QG, HO, RB; COMEX and NYMEX metals GC, MGC, SI,
 * SIL, HG, PL, PA; CBOT grains and oilseeds ZC, ZS, ZW, KE, ZM, ZL, ZO, ZR and their minis; CME livestock LE, HE, GF;
 * ICE US softs CC, KC, SB, CT, OJ; ICE Europe Brent (COIL) and gas oil. Beyond the list, a future on NYMEX or COMEX is
 * a commodity whatever its root: those exchanges list nothing else.
 */
const COMMODITY_FUTURE_SYMBOLS: ReadonlySet<string> = new Set([
  'CL',
  'MCL',
  'QM',
  'BZ',
  'NG',
  'QG',
  'HO',
  'RB',
  'GC',
  'MGC',
  'SI',
  'SIL',
  'HG',
  'PL',
  'PA',
  'ZC',
  'ZS',
  'ZW',
  'KE',
  'ZM',
  'ZL',
  'ZO',
  'ZR',
  'XC',
  'XK',
  'XW',
  'LE',
  'HE',
  'GF',
  'CC',
  'KC',
  'SB',
  'CT',
  'OJ',
  'COIL',
  'GOIL',
]);

const COMMODITY_EXCHANGES: ReadonlySet<string> = new Set(['NYMEX', 'COMEX']);

const isFutureClass = (secType: string) => {
  const cls = assetClassOf(secType);
  return cls === 'FUT' || cls === 'FOP';
};

/**
 * What a future or future option is on, from its symbol (the tables above) and, for a root not listed, its exchange
 * (NYMEX and COMEX list only commodities); undefined for anything else, which stays in the Futures class alone.
 */
export function futureUnderlyingOf(c: Pick<Contract, 'secType' | 'symbol' | 'currency'> & { readonly exchange?: string }): FutureUnderlying | undefined {
  if (!isFutureClass(c.secType)) return undefined;
  if (currencyFutureOf(c) !== undefined) return 'currency';
  if (EQUITY_INDEX_FUTURE_SYMBOLS.has(c.symbol)) return 'equityIndex';
  if (Object.hasOwn(RATE_FUTURES, c.symbol)) return 'rate';
  if (COMMODITY_FUTURE_SYMBOLS.has(c.symbol) || COMMODITY_EXCHANGES.has((c.exchange ?? '').toUpperCase())) return 'commodity';
  return undefined;
}

/** How a future or future option on an interest rate (futureUnderlyingOf 'rate') moves with rates, else undefined. */
export function rateFutureOf(c: { readonly futureUnderlying: FutureUnderlying | undefined; readonly symbol: string }): RateFutureQuote | undefined {
  return c.futureUnderlying === 'rate' ? RATE_FUTURES[c.symbol] : undefined;
}

/**
 * The currency a future or future option on a currency moves with (EUR for the EUR future quoted in USD, and for the
 * micro M6E), else undefined.
 */
export function currencyFutureOf(c: Pick<Contract, 'secType' | 'symbol' | 'currency'>): string | undefined {
  if (!isFutureClass(c.secType)) return undefined;
  const ccy = CURRENCY_FUTURE_SYMBOLS.has(c.symbol) ? c.symbol : CURRENCY_FUTURE_ROOTS[c.symbol];
  return ccy !== undefined && ccy !== c.currency ? ccy : undefined;
}

/** Whether a `sym:` name is a currency future's (EUR, M6E): the crashes' labels say it moves by its currency only. */
export function isCurrencyFutureSymbol(symbol: string): boolean {
  return CURRENCY_FUTURE_SYMBOLS.has(symbol) || CURRENCY_FUTURE_ROOTS[symbol] !== undefined;
}

/**
 * The currency a position's risk is in, for grouping by currency: an IDEALPRO pair (EUR.USD, secType CASH, quoted in
 * USD) is exposure to its first leg, EUR, and a currency future (or its option) to the currency it is on, as the
 * stress engine's fx scenarios see them (docs/stress-model.md "Positions"); anything else is exposed in the currency it
 * is quoted in.
 */
export function exposureCurrency(c: Pick<Contract, 'secType' | 'symbol' | 'currency'>): string {
  if (c.secType === 'CASH' && c.symbol && c.symbol !== c.currency) return c.symbol;
  return currencyFutureOf(c) ?? c.currency;
}

/** Short human label: "AAPL", "AAPL 20261218 200 C", "ESZ6". */
export function contractLabel(c: Contract): string {
  if (c.secType === 'OPT' || c.secType === 'FOP' || c.secType === 'WAR') {
    const parts = [c.symbol, c.expiry, c.strike?.toString(), c.right].filter(Boolean);
    return parts.join(' ');
  }
  if (c.secType === 'CASH') return c.localSymbol || `${c.symbol}.${c.currency}`;
  if (c.secType === 'FUT') return c.localSymbol || `${c.symbol} ${c.expiry ?? ''}`.trim();
  return c.symbol;
}

/**
 * The label for a column too narrow for contractLabel's: an option's strike and right before its expiry, with the
 * century dropped ("SPX 5700P 260515"), so a cut takes the expiry first and two strikes never read the same ("SPX 2…").
 * Undefined where the full label already leads with what tells rows apart.
 */
export function contractLabelNarrow(c: Contract): string | undefined {
  if (c.secType !== 'OPT' && c.secType !== 'FOP' && c.secType !== 'WAR') return undefined;
  const expiry = c.expiry && /^\d{8}$/.test(c.expiry) ? c.expiry.slice(2) : c.expiry;
  const strikeRight = `${c.strike?.toString() ?? ''}${c.right ?? ''}`;
  return [c.symbol, strikeRight, expiry].filter(Boolean).join(' ');
}
