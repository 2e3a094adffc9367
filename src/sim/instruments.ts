// The simulated instrument universe and the default demo portfolio (positions, cash, FX rates).
//
// Expiries follow the exchange calendar (calendar.ts) from the simulation start, so the demo never holds expired
// contracts: options two and three monthly expiries out, the ES and CL front months. The front monthly options
// (today's until 16:00 New York on an expiry day) are listed too; scenarios such as expiry-day hold them.
// AAPL, TSLA, MSFT, SPX and EUR.USD carry their real IB conIds; the others are realistic in shape only.

import { clFront, esFront, frontMonthlyExpiry, monthAfter, monthlyOptionExpiry, newYorkDay, ymd, type Day } from './calendar.js';

export type SecType = 'STK' | 'OPT' | 'FUT' | 'FOP' | 'CASH' | 'BOND' | 'IND';

/** Broad market factor an instrument belongs to (incidents such as an equity crash act per group). */
export type FactorKind = 'equity' | 'index' | 'commodity' | 'rates';

/** A contract as the simulator knows it, with the fields TWS sends plus what pricing needs. */
export interface Instrument {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: SecType;
  readonly currency: string;
  /** Exchange TWS reports in POSITION/OPEN_ORDER (SMART for routed stocks). */
  readonly exchange: string;
  readonly primaryExch: string;
  readonly localSymbol: string;
  readonly tradingClass: string;
  /** YYYYMMDD (the last trading day) for options and futures, as TWS sends them; '' otherwise. */
  readonly lastTradeDateOrContractMonth: string;
  /** Futures and their options: the delivery month YYYYMM (CL's is the month after its last trading day). */
  readonly contractMonth?: string;
  readonly strike: number;
  readonly right: '' | 'C' | 'P';
  /**
   * Multiplier exactly as sent on the wire: '' for stocks and FX, '100' for equity/index options, '50' for
   * ES, '1000' for CL, and '0.01' for bonds (quantity is face value, price is percent of par; a
   * simulator convention, see docs/simulator.md).
   */
  readonly multiplier: string;
  readonly minTick: number;
  readonly longName: string;
  /** Market factor key that drives the price (for derivatives: the underlying's factor). */
  readonly factor: string;
  /** conId of the underlying (derivatives), 0 otherwise. */
  readonly underConId: number;
  readonly underSymbol: string;
  readonly underSecType: string;
  /** Expiry instant (epoch ms) for options and futures. */
  readonly expiryMs?: number;
  /** Options: implied volatility at the start (annual). */
  readonly iv?: number;
  /** Futures: F = factor × (1 + basis). */
  readonly basis?: number;
  /** FOP: conId of the underlying future. */
  readonly futureConId?: number;
  /** Options on a broad-based index use 15% instead of 20% under Reg T (risk-model.md §1.4). */
  readonly broadIndex?: boolean;
  /** Futures: fixed per-contract margin in the contract currency (risk-model.md §2.3: PSR ≈ outright maintenance). */
  readonly futMargin?: { readonly init: number; readonly maint: number };
  /** Half the bid/ask spread in ticks. */
  readonly halfSpreadTicks: number;
  readonly timeZoneId: string;
  readonly tradingHours: string;
  readonly liquidHours: string;
  readonly industry: string;
  readonly category: string;
  readonly validExchanges: string;
  readonly bond?: { readonly cusip: string; readonly coupon: number; readonly maturity: string; readonly issueDate: string };
}

/** Numeric multiplier (1 when TWS leaves it empty). */
export function multiplierOf(inst: Instrument): number {
  const m = Number(inst.multiplier);
  return inst.multiplier === '' || !Number.isFinite(m) || m === 0 ? 1 : m;
}

/** Start values of the market factors the universe refers to. */
export interface FactorSpec {
  readonly key: string;
  readonly kind: FactorKind;
  readonly start: number;
  /** Annualised volatility of the random walk. */
  readonly vol: number;
  /** Loading on the common equity factor (0 = independent). */
  readonly beta: number;
  /** Continuous dividend yield for option pricing. */
  readonly dividendYield: number;
}

export const FACTORS: readonly FactorSpec[] = [
  { key: 'AAPL', kind: 'equity', start: 228.5, vol: 0.27, beta: 0.8, dividendYield: 0.005 },
  { key: 'TSLA', kind: 'equity', start: 251.3, vol: 0.55, beta: 0.7, dividendYield: 0 },
  { key: 'MSFT', kind: 'equity', start: 415.2, vol: 0.25, beta: 0.8, dividendYield: 0.007 },
  { key: 'SAP', kind: 'equity', start: 234.5, vol: 0.24, beta: 0.6, dividendYield: 0.01 },
  { key: 'NESN', kind: 'equity', start: 86.4, vol: 0.16, beta: 0.4, dividendYield: 0.035 },
  { key: '7203', kind: 'equity', start: 2890, vol: 0.28, beta: 0.5, dividendYield: 0.025 },
  { key: 'SPX', kind: 'index', start: 6000, vol: 0.16, beta: 1, dividendYield: 0.013 },
  { key: 'CL', kind: 'commodity', start: 71.4, vol: 0.35, beta: 0, dividendYield: 0 },
  { key: 'UST10', kind: 'rates', start: 97.85, vol: 0.05, beta: 0, dividendYield: 0 },
];

/** FX: USD value of one unit of each currency at the start (EUR 1.08 means 1 EUR = 1.08 USD). */
export const FX_START: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 1.08,
  CHF: 1.13,
  JPY: 1 / 149.2,
  GBP: 1.27,
};

/** Annualised FX volatilities for the random walk. */
export const FX_VOL: Readonly<Record<string, number>> = { USD: 0, EUR: 0.07, CHF: 0.08, JPY: 0.1, GBP: 0.08 };

/** Risk-free rates per currency (continuous), for option pricing. */
export const RATES: Readonly<Record<string, number>> = { USD: 0.043, EUR: 0.025, CHF: 0.005, JPY: 0.003, GBP: 0.045 };

function occSymbol(symbol: string, expiry: string, right: 'C' | 'P', strike: number): string {
  return `${symbol.padEnd(6)}${expiry.slice(2)}${right}${String(Math.round(strike * 1000)).padStart(8, '0')}`;
}

const US_HOURS = '0930-1600';

/** TWS's trading class of a stock: NMS for NASDAQ listings, TSEJ for Tokyo, the symbol elsewhere. */
function stockTradingClass(symbol: string, primaryExch: string): string {
  if (primaryExch === 'NASDAQ') return 'NMS';
  if (primaryExch === 'TSEJ') return 'TSEJ';
  return symbol;
}
const US_TZ = 'US/Eastern';

/** Builds the universe for a run starting at `start` (epoch ms). */
export function buildUniverse(start: number): Instrument[] {
  const stk = (
    conId: number,
    symbol: string,
    currency: string,
    primaryExch: string,
    longName: string,
    tz: string,
    industry: string,
    minTick = 0.01,
  ): Instrument => ({
    conId,
    symbol,
    secType: 'STK',
    currency,
    exchange: 'SMART',
    primaryExch,
    localSymbol: symbol,
    tradingClass: stockTradingClass(symbol, primaryExch),
    lastTradeDateOrContractMonth: '',
    strike: 0,
    right: '',
    multiplier: '',
    minTick,
    longName,
    factor: symbol,
    underConId: 0,
    underSymbol: '',
    underSecType: '',
    halfSpreadTicks: 1,
    timeZoneId: tz,
    tradingHours: US_HOURS,
    liquidHours: US_HOURS,
    industry,
    category: '',
    validExchanges: `SMART,${primaryExch}`,
  });

  // Months count from the New York date, so a start late on 31 December UTC is still December's book.
  const today = newYorkDay(start);
  const monthly = (ahead: number) => {
    const m = monthAfter(today.year, today.month, ahead);
    return monthlyOptionExpiry(m.year, m.month);
  };
  const aaplExp = monthly(3);
  const spxExp = monthly(2);
  const frontExp = frontMonthlyExpiry(start);
  const es = esFront(start);
  const esLocal = es.localSymbol;
  const cl = clFront(start);

  const opt = (
    conId: number,
    symbol: string,
    underConId: number,
    expiry: { day: Day; ms: number },
    right: 'C' | 'P',
    strike: number,
    iv: number,
    broadIndex: boolean,
  ): Instrument => ({
    conId,
    symbol,
    secType: 'OPT',
    currency: 'USD',
    exchange: 'SMART',
    primaryExch: '',
    localSymbol: occSymbol(symbol, ymd(expiry.day), right, strike),
    tradingClass: symbol,
    lastTradeDateOrContractMonth: ymd(expiry.day),
    strike,
    right,
    multiplier: '100',
    minTick: broadIndex ? 0.05 : 0.01,
    longName: symbol === 'SPX' ? 'S&P 500 Stock Index' : 'APPLE INC',
    factor: symbol,
    underConId,
    underSymbol: symbol,
    underSecType: broadIndex ? 'IND' : 'STK',
    expiryMs: expiry.ms,
    iv,
    broadIndex,
    halfSpreadTicks: 2,
    timeZoneId: US_TZ,
    tradingHours: US_HOURS,
    liquidHours: US_HOURS,
    industry: '',
    category: '',
    validExchanges: broadIndex ? 'CBOE' : 'SMART,AMEX,CBOE,ISE,PHLX',
  });

  return [
    stk(265598, 'AAPL', 'USD', 'NASDAQ', 'APPLE INC', US_TZ, 'Technology'),
    stk(76792991, 'TSLA', 'USD', 'NASDAQ', 'TESLA INC', US_TZ, 'Consumer, Cyclical'),
    stk(272093, 'MSFT', 'USD', 'NASDAQ', 'MICROSOFT CORP', US_TZ, 'Technology'),
    {
      ...stk(14204, 'SAP', 'EUR', 'IBIS', 'SAP SE', 'MET', 'Technology'),
      validExchanges: 'SMART,IBIS,FWB,GETTEX',
      tradingHours: '0900-1730',
      liquidHours: '0900-1730',
    },
    {
      ...stk(38709539, 'NESN', 'CHF', 'EBS', 'NESTLE SA-REG', 'MET', 'Consumer, Non-cyclical'),
      validExchanges: 'SMART,EBS',
      tradingHours: '0900-1730',
      liquidHours: '0900-1730',
    },
    {
      ...stk(13905, '7203', 'JPY', 'TSEJ', 'TOYOTA MOTOR CORP', 'Japan', 'Consumer, Cyclical', 0.5),
      validExchanges: 'SMART,TSEJ',
      tradingHours: '0900-1530',
      liquidHours: '0900-1530',
    },
    {
      conId: 416904,
      symbol: 'SPX',
      secType: 'IND',
      currency: 'USD',
      exchange: 'CBOE',
      primaryExch: '',
      localSymbol: 'SPX',
      tradingClass: 'SPX',
      lastTradeDateOrContractMonth: '',
      strike: 0,
      right: '',
      multiplier: '',
      minTick: 0.01,
      longName: 'S&P 500 Stock Index',
      factor: 'SPX',
      underConId: 0,
      underSymbol: '',
      underSecType: '',
      halfSpreadTicks: 0,
      timeZoneId: US_TZ,
      tradingHours: US_HOURS,
      liquidHours: US_HOURS,
      industry: 'Indices',
      category: '',
      validExchanges: 'CBOE',
    },
    opt(734559211, 'AAPL', 265598, aaplExp, 'C', 240, 0.27, false),
    opt(734559377, 'AAPL', 265598, aaplExp, 'P', 210, 0.3, false),
    opt(735012442, 'SPX', 416904, spxExp, 'P', 5700, 0.19, true),
    opt(735012458, 'SPX', 416904, spxExp, 'P', 5400, 0.23, true),
    // Front-month options, in the money so that their intrinsic value at expiry is not zero.
    opt(FRONT_AAPL_CALL, 'AAPL', 265598, frontExp, 'C', 220, 0.28, false),
    opt(FRONT_SPX_PUT, 'SPX', 416904, frontExp, 'P', 6050, 0.17, true),
    {
      conId: 637533641,
      symbol: 'ES',
      secType: 'FUT',
      currency: 'USD',
      exchange: 'CME',
      primaryExch: '',
      localSymbol: esLocal,
      tradingClass: 'ES',
      lastTradeDateOrContractMonth: ymd(es.lastTradeDay),
      contractMonth: es.contractMonth,
      strike: 0,
      right: '',
      multiplier: '50',
      minTick: 0.25,
      longName: 'E-mini S&P 500',
      factor: 'SPX',
      underConId: 11004968,
      underSymbol: 'ES',
      underSecType: 'IND',
      expiryMs: es.expiryMs,
      basis: 0.0045,
      futMargin: { init: 24_200, maint: 22_000 },
      halfSpreadTicks: 1,
      timeZoneId: 'US/Central',
      tradingHours: '1700-1600',
      liquidHours: '0830-1500',
      industry: '',
      category: '',
      validExchanges: 'CME',
    },
    {
      conId: 741231107,
      symbol: 'ES',
      secType: 'FOP',
      currency: 'USD',
      exchange: 'CME',
      primaryExch: '',
      localSymbol: `${esLocal} C6300`,
      tradingClass: 'ES',
      lastTradeDateOrContractMonth: ymd(es.lastTradeDay),
      contractMonth: es.contractMonth,
      strike: 6300,
      right: 'C',
      multiplier: '50',
      minTick: 0.25,
      longName: 'E-mini S&P 500',
      factor: 'SPX',
      underConId: 637533641,
      underSymbol: 'ES',
      underSecType: 'FUT',
      expiryMs: es.expiryMs,
      iv: 0.17,
      futureConId: 637533641,
      halfSpreadTicks: 1,
      timeZoneId: 'US/Central',
      tradingHours: '1700-1600',
      liquidHours: '0830-1500',
      industry: '',
      category: '',
      validExchanges: 'CME',
    },
    {
      conId: 742168315,
      symbol: 'CL',
      secType: 'FUT',
      currency: 'USD',
      exchange: 'NYMEX',
      primaryExch: '',
      localSymbol: cl.localSymbol,
      tradingClass: 'CL',
      lastTradeDateOrContractMonth: ymd(cl.lastTradeDay),
      contractMonth: cl.contractMonth,
      strike: 0,
      right: '',
      multiplier: '1000',
      minTick: 0.01,
      longName: 'Light Sweet Crude Oil',
      factor: 'CL',
      underConId: 17340715,
      underSymbol: 'CL',
      underSecType: 'IND',
      expiryMs: cl.expiryMs,
      basis: 0,
      futMargin: { init: 6_600, maint: 6_000 },
      halfSpreadTicks: 1,
      timeZoneId: 'US/Central',
      tradingHours: '1700-1600',
      liquidHours: '0800-1330',
      industry: '',
      category: '',
      validExchanges: 'NYMEX',
    },
    {
      conId: 12087792,
      symbol: 'EUR',
      secType: 'CASH',
      currency: 'USD',
      exchange: 'IDEALPRO',
      primaryExch: '',
      localSymbol: 'EUR.USD',
      tradingClass: 'EUR.USD',
      lastTradeDateOrContractMonth: '',
      strike: 0,
      right: '',
      multiplier: '',
      minTick: 0.00005,
      longName: 'European Monetary Union Euro',
      factor: 'FX:EUR',
      underConId: 0,
      underSymbol: '',
      underSecType: '',
      halfSpreadTicks: 1,
      timeZoneId: US_TZ,
      tradingHours: '1715-1700',
      liquidHours: '1715-1700',
      industry: '',
      category: '',
      validExchanges: 'IDEALPRO',
    },
    {
      conId: 563840112,
      symbol: 'US-T',
      secType: 'BOND',
      currency: 'USD',
      exchange: 'SMART',
      primaryExch: '',
      localSymbol: 'T 4 1/4 11/15/34',
      tradingClass: 'GOVT',
      lastTradeDateOrContractMonth: '20341115',
      strike: 0,
      right: '',
      multiplier: '0.01',
      minTick: 0.0001,
      longName: 'United States Treasury',
      factor: 'UST10',
      underConId: 0,
      underSymbol: '',
      underSecType: '',
      halfSpreadTicks: 20,
      timeZoneId: US_TZ,
      tradingHours: '0800-1700',
      liquidHours: '0800-1700',
      industry: 'Government',
      category: 'Sovereign',
      validExchanges: 'SMART',
      bond: { cusip: '91282CLW9', coupon: 4.25, maturity: '20341115', issueDate: '20241115' },
    },
  ];
}

/** conIds of the front-month options (realistic in shape only: a real chain has one per expiry). */
export const FRONT_AAPL_CALL = 734559100;
export const FRONT_SPX_PUT = 735012400;

/** An opening position: quantity and average price (per unit, before the multiplier). */
export interface SeedPosition {
  readonly conId: number;
  readonly quantity: string;
  readonly avgPrice: string;
}

/** The default demo portfolio (README/docs list it); quantities and cash are strings to stay exact. */
export const DEMO_POSITIONS: readonly SeedPosition[] = [
  { conId: 265598, quantity: '500', avgPrice: '185.20' }, // AAPL long
  { conId: 76792991, quantity: '-200', avgPrice: '262.10' }, // TSLA short
  { conId: 14204, quantity: '300', avgPrice: '178.40' }, // SAP (EUR)
  { conId: 38709539, quantity: '1000', avgPrice: '92.10' }, // NESN (CHF)
  { conId: 13905, quantity: '2000', avgPrice: '2650' }, // Toyota (JPY)
  { conId: 734559211, quantity: '10', avgPrice: '6.85' }, // AAPL call, long
  { conId: 734559377, quantity: '-5', avgPrice: '4.10' }, // AAPL put, short
  { conId: 735012442, quantity: '2', avgPrice: '38.50' }, // SPX put, long
  { conId: 735012458, quantity: '-1', avgPrice: '21.00' }, // SPX put, short
  { conId: 637533641, quantity: '2', avgPrice: '5975.25' }, // ES future
  { conId: 741231107, quantity: '-3', avgPrice: '52.75' }, // ES call, short
  { conId: 742168315, quantity: '-1', avgPrice: '72.15' }, // CL future, short
  { conId: 12087792, quantity: '100000', avgPrice: '1.0725' }, // EUR.USD
  { conId: 563840112, quantity: '50000', avgPrice: '98.40' }, // US Treasury, face value
];

/** Opening cash by currency. CHF and JPY are borrowed (negative), which is what an FX gap hurts. */
export const DEMO_CASH: Readonly<Record<string, string>> = {
  USD: '400000',
  EUR: '95000',
  CHF: '-250000',
  JPY: '-3000000',
  GBP: '10000',
};

/** Fields a client may use to identify a contract (REQ_MKT_DATA, REQ_CONTRACT_DATA, PLACE_ORDER). */
export interface ContractQuery {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: string;
  readonly lastTradeDateOrContractMonth: string;
  readonly strike: number;
  readonly right: string;
  readonly multiplier: string;
  readonly exchange: string;
  readonly primaryExch: string;
  readonly currency: string;
  readonly localSymbol: string;
  readonly tradingClass: string;
  /** REQ_CONTRACT_DATA and PLACE_ORDER also carry a security id (ISIN, CUSIP, FIGI…) that names one contract. */
  readonly secIdType?: string;
  readonly secId?: string;
}

/** The real ISINs of the simulator's stocks (by conId); the other instruments are realistic in shape only. */
const ISINS: Readonly<Record<number, string>> = {
  265598: 'US0378331005', // AAPL
  76792991: 'US88160R1014', // TSLA
  272093: 'US5949181045', // MSFT
  14204: 'DE0007164600', // SAP
  38709539: 'CH0038863350', // NESN
  13905: 'JP3633400001', // Toyota
};

/** The security ids TWS lists for an instrument (CONTRACT_DATA secIdList) and resolves a request's secId by. */
export function secIdsOf(inst: Instrument): ReadonlyArray<readonly [string, string]> {
  if (inst.bond) return [['CUSIP', inst.bond.cusip]];
  const isin = ISINS[inst.conId];
  return isin ? [['ISIN', isin]] : [];
}

function normRight(r: string): string {
  const u = r.toUpperCase();
  return u === 'CALL' ? 'C' : u === 'PUT' ? 'P' : u;
}

/** Whether a contract still trades at `now`: an expiring option is listed until its expiry instant, then not. */
export function isListed(inst: Instrument, now: number): boolean {
  return inst.expiryMs === undefined || now < inst.expiryMs;
}

/**
 * Instruments matching a query, the way TWS resolves contracts: a conId wins; otherwise every non-empty
 * field must match (a YYYYMM expiry matches any day of that month; exchange SMART matches anything).
 * With `now`, a search by description finds only contracts still listed then; a conId still names an expired
 * contract (a position held through expiry keeps its marks).
 */
export function findInstruments(universe: readonly Instrument[], q: ContractQuery, now?: number): Instrument[] {
  if (q.conId > 0) return universe.filter((i) => i.conId === q.conId);
  const eq = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();
  const secIdType = q.secIdType?.trim() ?? '';
  const secId = q.secId?.trim() ?? '';
  return universe.filter((i) => {
    if (now !== undefined && !isListed(i, now)) return false;
    // A security id names the contract: an id the simulator does not list matches nothing (200), never everything.
    if (secIdType && secId && !secIdsOf(i).some(([t, v]) => eq(t, secIdType) && eq(v, secId))) return false;
    if (q.symbol && !eq(q.symbol, i.symbol) && !eq(q.symbol, i.localSymbol)) return false;
    if (q.secType && !eq(q.secType, i.secType)) return false;
    if (q.currency && !eq(q.currency, i.currency)) return false;
    if (q.localSymbol && !eq(q.localSymbol.replace(/\s+/g, ' '), i.localSymbol.replace(/\s+/g, ' '))) return false;
    if (q.tradingClass && !eq(q.tradingClass, i.tradingClass)) return false;
    if (q.lastTradeDateOrContractMonth && !i.lastTradeDateOrContractMonth.startsWith(q.lastTradeDateOrContractMonth)) {
      // A future may be asked for by its delivery month (CLG6 is 202602, its last trading day 20260120).
      if (!(i.contractMonth && q.lastTradeDateOrContractMonth === i.contractMonth)) return false;
    }
    if (q.strike > 0 && Math.abs(q.strike - i.strike) > 1e-9) return false;
    if (q.right && q.right !== '0' && q.right !== '?' && normRight(q.right) !== i.right) return false;
    if (q.multiplier && Number(q.multiplier) !== multiplierOf(i)) return false;
    if (q.exchange && !eq(q.exchange, 'SMART') && !eq(q.exchange, i.exchange) && !eq(q.exchange, i.primaryExch)) {
      if (!i.validExchanges.toUpperCase().split(',').includes(q.exchange.toUpperCase())) return false;
    }
    return true;
  });
}
