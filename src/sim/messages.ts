// Server → client message builders, one pure function per message, each returning the wire fields for the
// negotiated server version (tws-protocol.md §3.4, §3.5; gates from IB's MIN_SERVER_VER_* constants, field order
// from the official decoder). test/sim/messages.test.ts feeds every builder through @stoqey/ib's own Decoder at
// 193; test/sim/versions.test.ts decodes the versioned ones at 157, 178 and 193 in the official client's order.
import type { Decimal } from '../model/money.js';
import type { Instrument } from './instruments.js';
import { SV, UNSET_DOUBLE, UNSET_INTEGER, fBool, fDbl, fDec, fInt, fSize } from './wire.js';

/** Incoming message ids (the client's IN_MSG_ID). */
export const IN = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ORDER_STATUS: 3,
  ERR_MSG: 4,
  OPEN_ORDER: 5,
  ACCT_VALUE: 6,
  PORTFOLIO_VALUE: 7,
  ACCT_UPDATE_TIME: 8,
  NEXT_VALID_ID: 9,
  CONTRACT_DATA: 10,
  EXECUTION_DATA: 11,
  MANAGED_ACCTS: 15,
  BOND_CONTRACT_DATA: 18,
  TICK_OPTION_COMPUTATION: 21,
  TICK_GENERIC: 45,
  TICK_STRING: 46,
  CURRENT_TIME: 49,
  CONTRACT_DATA_END: 52,
  OPEN_ORDER_END: 53,
  ACCT_DOWNLOAD_END: 54,
  EXECUTION_DATA_END: 55,
  TICK_SNAPSHOT_END: 57,
  MARKET_DATA_TYPE: 58,
  COMMISSION_REPORT: 59,
  POSITION: 61,
  POSITION_END: 62,
  ACCOUNT_SUMMARY: 63,
  ACCOUNT_SUMMARY_END: 64,
  POSITION_MULTI: 71,
  POSITION_MULTI_END: 72,
  ACCOUNT_UPDATE_MULTI: 73,
  ACCOUNT_UPDATE_MULTI_END: 74,
  SECURITY_DEFINITION_OPTION_PARAMETER: 75,
  SECURITY_DEFINITION_OPTION_PARAMETER_END: 76,
  SYMBOL_SAMPLES: 79,
  TICK_REQ_PARAMS: 81,
  HEAD_TIMESTAMP: 88,
  HISTORICAL_DATA: 17,
  HISTORICAL_DATA_UPDATE: 90,
  MARKET_RULE: 93,
  PNL: 94,
  PNL_SINGLE: 95,
  COMPLETED_ORDER: 101,
  COMPLETED_ORDERS_END: 102,
} as const;

/** The contract fields TWS repeats in POSITION, PORTFOLIO_VALUE, OPEN_ORDER and EXECUTION_DATA. */
export type WireContract = Pick<
  Instrument,
  | 'conId'
  | 'symbol'
  | 'secType'
  | 'lastTradeDateOrContractMonth'
  | 'strike'
  | 'right'
  | 'multiplier'
  | 'exchange'
  | 'primaryExch'
  | 'currency'
  | 'localSymbol'
  | 'tradingClass'
>;

const id = (n: number) => String(n);

/**
 * The eleven contract fields most messages carry in this order (conId to tradingClass). The exchange slot is the
 * contract's own unless the message puts another there (PORTFOLIO_VALUE the primary exchange, EXECUTION_DATA the fill's).
 */
function contractFields(
  c: {
    conId: number;
    symbol: string;
    secType: string;
    lastTradeDateOrContractMonth: string;
    strike: number;
    right: string;
    multiplier: string;
    exchange: string;
    currency: string;
    localSymbol: string;
    tradingClass: string;
  },
  exchange = c.exchange,
): string[] {
  return [
    fInt(c.conId),
    c.symbol,
    c.secType,
    c.lastTradeDateOrContractMonth,
    fDbl(c.strike),
    c.right,
    c.multiplier,
    exchange,
    c.currency,
    c.localSymbol,
    c.tradingClass,
  ];
}

// ---- connection -----------------------------------------------------------------------------------

/** Handshake reply: server version and connection time (the first frame after "API\0"). */
export function serverVersion(version: number, connectionTime: string): string[] {
  return [String(version), connectionTime];
}

export function nextValidId(orderId: number): string[] {
  return [id(IN.NEXT_VALID_ID), '1', fInt(orderId)];
}

export function managedAccounts(accounts: readonly string[]): string[] {
  return [id(IN.MANAGED_ACCTS), '1', accounts.join(',')];
}

export function currentTime(epochSeconds: number): string[] {
  return [id(IN.CURRENT_TIME), '1', fInt(epochSeconds)];
}

/**
 * ERR_MSG. `reqId` -1 reaches the client as EventName.info (1100, 326, 2104…), anything else as an
 * error. Non-ASCII is escaped as \uXXXX, which the client decodes at sv ≥ 153.
 */
export function errorMessage(sv: number, reqId: number, code: number, message: string, advancedOrderRejectJson = ''): string[] {
  const ascii = message.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const f = [id(IN.ERR_MSG), '2', fInt(reqId), fInt(code), ascii];
  if (sv >= SV.ADVANCED_ORDER_REJECT) f.push(advancedOrderRejectJson);
  return f;
}

// ---- positions and account ------------------------------------------------------------------------

export function position(account: string, c: WireContract, pos: Decimal, avgCost: number): string[] {
  return [id(IN.POSITION), '3', account, ...contractFields(c), fDec(pos), fDbl(avgCost)];
}

export function positionEnd(): string[] {
  return [id(IN.POSITION_END), '1'];
}

/** POSITION_MULTI v1 (reqPositionsMulti): like POSITION, with the request id first and the model code last. */
export function positionMulti(reqId: number, account: string, c: WireContract, pos: Decimal, avgCost: number, modelCode: string): string[] {
  return [id(IN.POSITION_MULTI), '1', fInt(reqId), account, ...contractFields(c), fDec(pos), fDbl(avgCost), modelCode];
}

export function positionMultiEnd(reqId: number): string[] {
  return [id(IN.POSITION_MULTI_END), '1', fInt(reqId)];
}

/** ACCOUNT_UPDATE_MULTI v1 (reqAccountUpdatesMulti): one account value. */
export function accountUpdateMulti(reqId: number, account: string, modelCode: string, key: string, value: string, currency: string): string[] {
  return [id(IN.ACCOUNT_UPDATE_MULTI), '1', fInt(reqId), account, modelCode, key, value, currency];
}

export function accountUpdateMultiEnd(reqId: number): string[] {
  return [id(IN.ACCOUNT_UPDATE_MULTI_END), '1', fInt(reqId)];
}

export function accountValue(key: string, value: string, currency: string, account: string): string[] {
  return [id(IN.ACCT_VALUE), '2', key, value, currency, account];
}

export interface PortfolioValueView {
  readonly contract: WireContract;
  readonly position: Decimal;
  readonly marketPrice: number;
  readonly marketValue: number;
  readonly averageCost: number;
  readonly unrealizedPnl: number;
  readonly realizedPnl: number;
}

/** PORTFOLIO_VALUE v8: note it carries primaryExch, not exchange. */
export function portfolioValue(v: PortfolioValueView, account: string): string[] {
  const c = v.contract;
  return [
    id(IN.PORTFOLIO_VALUE),
    '8',
    ...contractFields(c, c.primaryExch),
    fDec(v.position),
    fDbl(v.marketPrice),
    fDbl(v.marketValue),
    fDbl(v.averageCost),
    fDbl(v.unrealizedPnl),
    fDbl(v.realizedPnl),
    account,
  ];
}

export function accountUpdateTime(hhmm: string): string[] {
  return [id(IN.ACCT_UPDATE_TIME), '1', hhmm];
}

export function accountDownloadEnd(account: string): string[] {
  return [id(IN.ACCT_DOWNLOAD_END), '1', account];
}

export function accountSummary(reqId: number, account: string, tag: string, value: string, currency: string): string[] {
  return [id(IN.ACCOUNT_SUMMARY), '1', fInt(reqId), account, tag, value, currency];
}

export function accountSummaryEnd(reqId: number): string[] {
  return [id(IN.ACCOUNT_SUMMARY_END), '1', fInt(reqId)];
}

/** PNL; an undefined component is sent as Double.MAX_VALUE (the client decodes it as undefined). */
export function pnl(reqId: number, daily: number | undefined, unrealized: number | undefined, realized: number | undefined): string[] {
  return [id(IN.PNL), fInt(reqId), fDbl(daily), fDbl(unrealized), fDbl(realized)];
}

export function pnlSingle(
  reqId: number,
  pos: Decimal,
  daily: number | undefined,
  unrealized: number | undefined,
  realized: number | undefined,
  value: number | undefined,
): string[] {
  return [id(IN.PNL_SINGLE), fInt(reqId), fDec(pos), fDbl(daily), fDbl(unrealized), fDbl(realized), fDbl(value)];
}

// ---- market data ----------------------------------------------------------------------------------

/** TICK_PRICE v6; the client also emits the matching size tick for BID/ASK/LAST (and delayed twins). */
/** A quote's size: a number straight from the market (no Decimal built per tick), or a Decimal. */
const size = (s: Decimal | number | undefined) => (typeof s === 'number' ? fSize(s) : fDec(s));

export function tickPrice(reqId: number, tickType: number, price: number, sz: Decimal | number | undefined, attribMask = 0): string[] {
  return [id(IN.TICK_PRICE), '6', fInt(reqId), fInt(tickType), fDbl(price), size(sz), fInt(attribMask)];
}

export function tickSize(reqId: number, tickType: number, sz: Decimal | number): string[] {
  return [id(IN.TICK_SIZE), '6', fInt(reqId), fInt(tickType), size(sz)];
}

export function tickGeneric(reqId: number, tickType: number, value: number): string[] {
  return [id(IN.TICK_GENERIC), '6', fInt(reqId), fInt(tickType), fDbl(value)];
}

export function tickString(reqId: number, tickType: number, value: string): string[] {
  return [id(IN.TICK_STRING), '6', fInt(reqId), fInt(tickType), value];
}

export interface OptionComputationView {
  /** Undefined fields are sent as TWS's "not computed" sentinels (-1 for prices and IV, -2 for greeks). */
  readonly impliedVol?: number;
  readonly delta?: number;
  readonly optPrice?: number;
  readonly pvDividend?: number;
  readonly gamma?: number;
  readonly vega?: number;
  readonly theta?: number;
  readonly undPrice?: number;
}

/** TICK_OPTION_COMPUTATION at sv ≥ 156: no version field; tickAttrib (0 return-based, 1 price-based) follows the tick type. */
export function tickOptionComputation(reqId: number, tickType: number, tickAttrib: number, v: OptionComputationView): string[] {
  const or = (x: number | undefined, na: string) => (x === undefined || !Number.isFinite(x) ? na : fDbl(x));
  return [
    id(IN.TICK_OPTION_COMPUTATION),
    fInt(reqId),
    fInt(tickType),
    fInt(tickAttrib),
    or(v.impliedVol, '-1'),
    or(v.delta, '-2'),
    or(v.optPrice, '-1'),
    or(v.pvDividend, '-1'),
    or(v.gamma, '-2'),
    or(v.vega, '-2'),
    or(v.theta, '-2'),
    or(v.undPrice, '-1'),
  ];
}

export function tickSnapshotEnd(reqId: number): string[] {
  return [id(IN.TICK_SNAPSHOT_END), '1', fInt(reqId)];
}

export function marketDataType(reqId: number, type: number): string[] {
  return [id(IN.MARKET_DATA_TYPE), '1', fInt(reqId), fInt(type)];
}

/** TICK_REQ_PARAMS (no version). The client reads minTick with readInt (a known bug), so "0.01" decodes as 0. */
export function tickReqParams(reqId: number, minTick: number, bboExchange: string, snapshotPermissions: number): string[] {
  return [id(IN.TICK_REQ_PARAMS), fInt(reqId), String(minTick), bboExchange, fInt(snapshotPermissions)];
}

// ---- contract details -----------------------------------------------------------------------------

export interface ContractDetailsView extends WireContract {
  readonly marketName: string;
  readonly minTick: number;
  readonly orderTypes: string;
  readonly validExchanges: string;
  readonly underConId: number;
  readonly longName: string;
  readonly contractMonth: string;
  readonly industry: string;
  readonly category: string;
  readonly subcategory: string;
  readonly timeZoneId: string;
  readonly tradingHours: string;
  readonly liquidHours: string;
  readonly secIdList: ReadonlyArray<readonly [string, string]>;
  readonly underSymbol: string;
  readonly underSecType: string;
  readonly marketRuleIds: string;
  readonly realExpirationDate: string;
  readonly lastTradeDate: string;
  readonly stockType: string;
  readonly minSize: string;
  readonly sizeIncrement: string;
  readonly suggestedSizeIncrement: string;
}

/**
 * CONTRACT_DATA: a version field (8) and mdSizeMultiplier before 164, sizeMinTick at 163 only, minSize/sizeIncrement/
 * suggestedSizeIncrement from 164, lastTradeDate from 182, the ineligibility-reason list from 186. evMultiplier is
 * empty as TWS sends it (IB's Python client decodes it as an int: Double.MAX would kill its reader).
 */
export function contractData(sv: number, reqId: number, d: ContractDetailsView): string[] {
  const rules = sv >= SV.SIZE_RULES;
  return [
    id(IN.CONTRACT_DATA),
    ...(rules ? [] : ['8']),
    fInt(reqId),
    d.symbol,
    d.secType,
    d.lastTradeDateOrContractMonth,
    ...(sv >= SV.LAST_TRADE_DATE ? [d.lastTradeDate] : []),
    fDbl(d.strike),
    d.right,
    d.exchange,
    d.currency,
    d.localSymbol,
    d.marketName,
    d.tradingClass,
    fInt(d.conId),
    fDbl(d.minTick),
    ...(rules ? [] : ['1']),
    d.multiplier,
    d.orderTypes,
    d.validExchanges,
    '1',
    fInt(d.underConId),
    d.longName,
    d.primaryExch,
    d.contractMonth,
    d.industry,
    d.category,
    d.subcategory,
    d.timeZoneId,
    d.tradingHours,
    d.liquidHours,
    '',
    '',
    fInt(d.secIdList.length),
    ...d.secIdList.flatMap(([tag, value]) => [tag, value]),
    '0',
    d.underSymbol,
    d.underSecType,
    d.marketRuleIds,
    d.realExpirationDate,
    d.stockType,
    ...(rules ? [d.minSize, d.sizeIncrement, d.suggestedSizeIncrement] : sv >= SV.FRACTIONAL_SIZE_SUPPORT ? [d.sizeIncrement] : []),
    ...(sv >= SV.INELIGIBILITY_REASONS ? ['0'] : []),
  ];
}

export interface BondDetailsView extends ContractDetailsView {
  readonly cusip: string;
  readonly coupon: number;
  readonly maturity: string;
  readonly issueDate: string;
}

/**
 * BOND_CONTRACT_DATA: TWS answers reqContractDetails on a bond with this message instead of CONTRACT_DATA. A version
 * field (6) and mdSizeMultiplier before 164; time zone and trading hours from 188; size rules from 164.
 */
export function bondContractData(sv: number, reqId: number, d: BondDetailsView): string[] {
  const rules = sv >= SV.SIZE_RULES;
  return [
    id(IN.BOND_CONTRACT_DATA),
    ...(rules ? [] : ['6']),
    fInt(reqId),
    d.symbol,
    d.secType,
    d.cusip,
    fDbl(d.coupon),
    d.maturity,
    d.issueDate,
    '',
    'Government',
    'FIXED',
    '0',
    '0',
    '0',
    '',
    d.exchange,
    d.currency,
    d.marketName,
    d.tradingClass,
    fInt(d.conId),
    fDbl(d.minTick),
    ...(rules ? [] : ['1']),
    d.orderTypes,
    d.validExchanges,
    '',
    '',
    '0',
    '',
    d.longName,
    ...(sv >= SV.BOND_TRADING_HOURS ? [d.timeZoneId, d.tradingHours, d.liquidHours] : []),
    '',
    '',
    fInt(d.secIdList.length),
    ...d.secIdList.flatMap(([tag, value]) => [tag, value]),
    '0',
    d.marketRuleIds,
    ...(rules ? [d.minSize, d.sizeIncrement, d.suggestedSizeIncrement] : []),
  ];
}

/** SECURITY_DEFINITION_OPTION_PARAMETER (no version): one exchange's expirations and strikes of an option chain. */
export function secDefOptParams(
  reqId: number,
  exchange: string,
  underlyingConId: number,
  tradingClass: string,
  multiplier: string,
  expirations: readonly string[],
  strikes: readonly number[],
): string[] {
  return [
    id(IN.SECURITY_DEFINITION_OPTION_PARAMETER),
    fInt(reqId),
    exchange,
    fInt(underlyingConId),
    tradingClass,
    multiplier,
    fInt(expirations.length),
    ...expirations,
    fInt(strikes.length),
    ...strikes.map((k) => fDbl(k)),
  ];
}

export function secDefOptParamsEnd(reqId: number): string[] {
  return [id(IN.SECURITY_DEFINITION_OPTION_PARAMETER_END), fInt(reqId)];
}

export interface SymbolSampleView {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: string;
  readonly primaryExch: string;
  readonly currency: string;
  readonly derivativeSecTypes: readonly string[];
  readonly description: string;
}

/** SYMBOL_SAMPLES (reqMatchingSymbols): description and issuerId from 176. */
export function symbolSamples(sv: number, reqId: number, rows: readonly SymbolSampleView[]): string[] {
  return [
    id(IN.SYMBOL_SAMPLES),
    fInt(reqId),
    fInt(rows.length),
    ...rows.flatMap((r) => [
      fInt(r.conId),
      r.symbol,
      r.secType,
      r.primaryExch,
      r.currency,
      fInt(r.derivativeSecTypes.length),
      ...r.derivativeSecTypes,
      ...(sv >= SV.BOND_ISSUERID ? [r.description, ''] : []),
    ]),
  ];
}

export interface BarView {
  readonly date: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly wap: number;
  readonly count: number;
}

/** HISTORICAL_DATA (no version since 124; the end message is separate only from 196, beyond what the simulator speaks). */
export function historicalData(reqId: number, startDate: string, endDate: string, bars: readonly BarView[]): string[] {
  return [
    id(IN.HISTORICAL_DATA),
    fInt(reqId),
    startDate,
    endDate,
    fInt(bars.length),
    ...bars.flatMap((b) => [b.date, fDbl(b.open), fDbl(b.high), fDbl(b.low), fDbl(b.close), fInt(b.volume), fDbl(b.wap), fInt(b.count)]),
  ];
}

/** HISTORICAL_DATA_UPDATE (keepUpToDate; no version): the last bar again, bar count before the date, close before high. */
export function historicalDataUpdate(reqId: number, b: BarView): string[] {
  return [
    id(IN.HISTORICAL_DATA_UPDATE),
    fInt(reqId),
    fInt(b.count),
    b.date,
    fDbl(b.open),
    fDbl(b.close),
    fDbl(b.high),
    fDbl(b.low),
    fDbl(b.wap),
    fInt(b.volume),
  ];
}

export function headTimestamp(reqId: number, timestamp: string): string[] {
  return [id(IN.HEAD_TIMESTAMP), fInt(reqId), timestamp];
}

/** MARKET_RULE (no version): the price increments of a rule id, lowest edge first. */
export function marketRule(ruleId: number, increments: ReadonlyArray<readonly [number, number]>): string[] {
  return [id(IN.MARKET_RULE), fInt(ruleId), fInt(increments.length), ...increments.flatMap(([edge, inc]) => [fDbl(edge), fDbl(inc)])];
}

export function contractDataEnd(reqId: number): string[] {
  return [id(IN.CONTRACT_DATA_END), '1', fInt(reqId)];
}

// ---- orders and executions ------------------------------------------------------------------------

export interface WhatIfView {
  readonly initMarginBefore: number;
  readonly maintMarginBefore: number;
  readonly equityWithLoanBefore: number;
  readonly initMarginChange: number;
  readonly maintMarginChange: number;
  readonly equityWithLoanChange: number;
  readonly initMarginAfter: number;
  readonly maintMarginAfter: number;
  readonly equityWithLoanAfter: number;
}

export interface OpenOrderView {
  readonly orderId: number;
  readonly contract: WireContract;
  readonly action: string;
  readonly totalQuantity: Decimal;
  readonly orderType: string;
  readonly lmtPrice?: number;
  readonly auxPrice?: number;
  readonly tif: string;
  readonly account: string;
  readonly orderRef: string;
  readonly clientId: number;
  readonly permId: number;
  readonly parentId: number;
  readonly outsideRth: boolean;
  /** As the client sent them ('' / 0 / unset when it did not). */
  readonly ocaGroup?: string;
  readonly ocaType?: number;
  readonly goodTillDate?: string;
  readonly allOrNone?: boolean;
  readonly minQty?: number;
  readonly triggerMethod?: number;
  /** A TRAIL's current stop and its percent trail (unset otherwise); the decoders read trailStopPrice twice, the later wins. */
  readonly trailStopPrice?: number;
  readonly trailingPercent?: number;
  readonly whatIf: boolean;
  readonly status: string;
  readonly margin?: WhatIfView;
  readonly commission?: number;
  readonly commissionCurrency: string;
  readonly warningText: string;
  readonly filledQuantity?: Decimal;
}

/**
 * OPEN_ORDER for a plain (non-combo, non-algo, unconditioned) order: 133 fields at 193 (§3.5). faProfile until 176;
 * duration 158, postToAts 160, autoCancelParent 162, the peg-best/mid fields 170, customerAccount 183,
 * professionalCustomer 184, bondAccruedInterest 185, includeOvernight 189, extOperator and manualOrderIndicator 193.
 */
export function openOrder(sv: number, o: OpenOrderView): string[] {
  const c = o.contract;
  const m = o.margin;
  const u = UNSET_DOUBLE;
  const f: string[] = [
    id(IN.OPEN_ORDER),
    fInt(o.orderId),
    // contract
    ...contractFields(c),
    // main order fields
    o.action,
    fDec(o.totalQuantity),
    o.orderType,
    fDbl(o.lmtPrice),
    fDbl(o.auxPrice),
    o.tif,
    o.ocaGroup ?? '',
    o.account,
    'O',
    '0',
    o.orderRef,
    fInt(o.clientId),
    fInt(o.permId),
    fBool(o.outsideRth),
    '0',
    '0',
    '',
    '', // sharesAllocation (ignored)
    '',
    '',
    '', // faGroup, faMethod, faPercentage
    ...(sv < SV.FA_PROFILE_DESUPPORT ? [''] : []), // faProfile
    '', // modelCode
    o.goodTillDate ?? '',
    '',
    u,
    '', // goodTillDate, rule80A, percentOffset, settlingFirm
    '0',
    '',
    '-1', // shortSaleSlot, designatedLocation, exemptCode
    '0',
    u,
    u,
    u,
    u,
    u, // auctionStrategy, startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper
    UNSET_INTEGER, // displaySize
    '0',
    '0',
    fBool(o.allOrNone ?? false),
    o.minQty === undefined ? UNSET_INTEGER : fInt(o.minQty),
    fInt(o.ocaType ?? 0),
    '0',
    '0',
    u, // blockOrder, sweepToFill, allOrNone, minQty, ocaType, eTradeOnly, firmQuoteOnly, nbboPriceCap
    fInt(o.parentId),
    fInt(o.triggerMethod ?? 0), // parentId, triggerMethod
    u,
    '0',
    '',
    u,
    '0',
    '0', // volatility, volatilityType, deltaNeutralOrderType (empty: no DN fields), dnAuxPrice, continuousUpdate, referencePriceType
    fDbl(o.trailStopPrice),
    fDbl(o.trailingPercent), // trailStopPrice, trailingPercent
    u,
    UNSET_INTEGER, // basisPoints, basisPointsType
    '',
    '0',
    '0', // comboLegsDescription, comboLegsCount, orderComboLegsCount
    '0', // smartComboRoutingParamsCount
    UNSET_INTEGER,
    UNSET_INTEGER,
    u, // scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement (unset: no scale fields)
    '', // hedgeType (empty: no hedgeParam)
    '0',
    '',
    '',
    '0', // optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    '0', // deltaNeutralContract present
    '', // algoStrategy (empty: no params)
    '0',
    fBool(o.whatIf),
    o.status, // solicited, whatIf, status
    m ? fDbl(m.initMarginBefore) : u,
    m ? fDbl(m.maintMarginBefore) : u,
    m ? fDbl(m.equityWithLoanBefore) : u,
    m ? fDbl(m.initMarginChange) : u,
    m ? fDbl(m.maintMarginChange) : u,
    m ? fDbl(m.equityWithLoanChange) : u,
    m ? fDbl(m.initMarginAfter) : u,
    m ? fDbl(m.maintMarginAfter) : u,
    m ? fDbl(m.equityWithLoanAfter) : u,
    fDbl(o.commission),
    u,
    u,
    o.commissionCurrency,
    o.warningText,
    '0',
    '0', // randomizeSize, randomizePrice
    '0', // conditionsCount (no PEG BENCH fields for MKT/LMT)
    '',
    u,
    fDbl(o.trailStopPrice),
    u,
    u,
    u,
    u,
    '0', // adjustedOrderType, triggerPrice, trailStopPrice, lmtPriceOffset, adjustedStop, adjustedStopLimit, adjustedTrailingAmount, adjustableTrailingUnit
    '',
    '',
    '', // softDollarTier name, value, displayName
    u,
    '0',
    '0',
    '0',
    '0', // cashQty, dontUseAutoPriceForHedge, isOmsContainer, discretionaryUpToLimitPrice, usePriceMgmtAlgo
  ];
  if (sv >= SV.DURATION) f.push(UNSET_INTEGER);
  if (sv >= SV.POST_TO_ATS) f.push(UNSET_INTEGER);
  if (sv >= SV.AUTO_CANCEL_PARENT) f.push('0');
  // minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf
  if (sv >= SV.PEGBEST_PEGMID_OFFSETS) f.push(UNSET_INTEGER, UNSET_INTEGER, u, u, u);
  if (sv >= SV.CUSTOMER_ACCOUNT) f.push('');
  if (sv >= SV.PROFESSIONAL_CUSTOMER) f.push('0');
  if (sv >= SV.BOND_ACCRUED_INTEREST) f.push('');
  if (sv >= SV.INCLUDE_OVERNIGHT) f.push('0');
  if (sv >= SV.CME_TAGGING_FIELDS_IN_OPEN_ORDER) f.push('', UNSET_INTEGER); // extOperator, manualOrderIndicator
  return f;
}

export function openOrderEnd(): string[] {
  return [id(IN.OPEN_ORDER_END), '1'];
}

/** An order TWS no longer works (filled, cancelled, rejected), as reqCompletedOrders lists it. */
export interface CompletedOrderView extends OpenOrderView {
  readonly filledQuantity: Decimal;
  /** "yyyyMMdd-HH:mm:ss" (UTC). */
  readonly completedTime: string;
  readonly completedStatus: string;
}

/**
 * COMPLETED_ORDER (no order id, no client id: TWS names a completed order by permId and orderRef), in the order the
 * official processCompletedOrderMsg reads it, for a plain MKT/LMT order: faProfile until 176, the peg-best/mid
 * fields from 170, customerAccount 183, professionalCustomer 184.
 */
export function completedOrder(sv: number, o: CompletedOrderView): string[] {
  const c = o.contract;
  const u = UNSET_DOUBLE;
  return [
    id(IN.COMPLETED_ORDER),
    ...contractFields(c),
    o.action,
    fDec(o.totalQuantity),
    o.orderType,
    fDbl(o.lmtPrice),
    fDbl(o.auxPrice),
    o.tif,
    o.ocaGroup ?? '',
    o.account,
    'O',
    '0',
    o.orderRef,
    fInt(o.permId),
    fBool(o.outsideRth),
    '0',
    '0',
    '', // permId, outsideRth, hidden, discretionaryAmt, goodAfterTime
    '',
    '',
    '', // faGroup, faMethod, faPercentage
    ...(sv < SV.FA_PROFILE_DESUPPORT ? [''] : []), // faProfile
    '',
    o.goodTillDate ?? '',
    '',
    u,
    '', // modelCode, goodTillDate, rule80A, percentOffset, settlingFirm
    '0',
    '',
    '-1', // shortSaleSlot, designatedLocation, exemptCode
    u,
    u,
    u,
    u,
    u, // startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper
    UNSET_INTEGER,
    '0',
    fBool(o.allOrNone ?? false),
    o.minQty === undefined ? UNSET_INTEGER : fInt(o.minQty),
    fInt(o.ocaType ?? 0),
    fInt(o.triggerMethod ?? 0), // displaySize, sweepToFill, allOrNone, minQty, ocaType, triggerMethod
    u,
    '0',
    '',
    u,
    '0',
    '0', // volatility, volatilityType, deltaNeutralOrderType (empty), dnAuxPrice, continuousUpdate, referencePriceType
    fDbl(o.trailStopPrice),
    fDbl(o.trailingPercent), // trailStopPrice, trailingPercent
    '',
    '0',
    '0',
    '0', // comboLegsDescription, comboLegsCount, orderComboLegsCount, smartComboRoutingParamsCount
    UNSET_INTEGER,
    UNSET_INTEGER,
    u, // scale fields (unset)
    '',
    '',
    '',
    '0',
    '0',
    '', // hedgeType, clearingAccount, clearingIntent, notHeld, deltaNeutralContract, algoStrategy
    '0',
    o.status,
    '0',
    '0', // solicited, status, randomizeSize, randomizePrice
    '0', // conditionsCount
    fDbl(o.trailStopPrice),
    u,
    u,
    '0',
    '0', // trailStopPrice, lmtPriceOffset, cashQty, dontUseAutoPriceForHedge, isOmsContainer
    '',
    fDec(o.filledQuantity),
    '0',
    '0',
    '',
    '0',
    '0',
    '0', // autoCancelDate, filledQuantity, refFuturesConId, autoCancelParent, shareholder, imbalanceOnly, routeMarketableToBbo, parentPermId
    o.completedTime,
    o.completedStatus,
    // minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf
    ...(sv >= SV.PEGBEST_PEGMID_OFFSETS ? [UNSET_INTEGER, UNSET_INTEGER, u, u, u] : []),
    ...(sv >= SV.CUSTOMER_ACCOUNT ? [''] : []),
    ...(sv >= SV.PROFESSIONAL_CUSTOMER ? ['0'] : []),
  ];
}

export function completedOrdersEnd(): string[] {
  return [id(IN.COMPLETED_ORDERS_END)];
}

export interface OrderStatusView {
  readonly orderId: number;
  readonly status: string;
  readonly filled: Decimal;
  readonly remaining: Decimal;
  readonly avgFillPrice: number;
  readonly permId: number;
  readonly parentId: number;
  readonly lastFillPrice: number;
  readonly clientId: number;
  readonly whyHeld: string;
}

/** ORDER_STATUS at sv ≥ 131 (no version), mktCapPrice last. */
export function orderStatus(s: OrderStatusView): string[] {
  return [
    id(IN.ORDER_STATUS),
    fInt(s.orderId),
    s.status,
    fDec(s.filled),
    fDec(s.remaining),
    fDbl(s.avgFillPrice),
    fInt(s.permId),
    fInt(s.parentId),
    fDbl(s.lastFillPrice),
    fInt(s.clientId),
    s.whyHeld,
    '0',
  ];
}

export interface ExecutionView {
  readonly orderId: number;
  readonly contract: WireContract;
  readonly execId: string;
  readonly time: string;
  readonly account: string;
  readonly exchange: string;
  readonly side: 'BOT' | 'SLD';
  readonly shares: Decimal;
  readonly price: number;
  readonly permId: number;
  readonly clientId: number;
  readonly cumQty: Decimal;
  readonly avgPrice: number;
  readonly orderRef: string;
  /** 1 added, 2 removed liquidity. */
  readonly lastLiquidity: number;
}

/**
 * EXECUTION_DATA at sv ≥ 136 (no version); reqId -1 for live fills, the request id for reqExecutions;
 * pendingPriceRevision from 178.
 */
export function execDetails(sv: number, reqId: number, e: ExecutionView): string[] {
  const c = e.contract;
  return [
    id(IN.EXECUTION_DATA),
    fInt(reqId),
    fInt(e.orderId),
    ...contractFields(c, e.exchange),
    e.execId,
    e.time,
    e.account,
    e.exchange,
    e.side,
    fDec(e.shares),
    fDbl(e.price),
    fInt(e.permId),
    fInt(e.clientId),
    '0',
    fDec(e.cumQty),
    fDbl(e.avgPrice),
    e.orderRef,
    '',
    UNSET_DOUBLE,
    '',
    fInt(e.lastLiquidity),
    ...(sv >= SV.PENDING_PRICE_REVISION ? ['0'] : []),
  ];
}

export function execDetailsEnd(reqId: number): string[] {
  return [id(IN.EXECUTION_DATA_END), '1', fInt(reqId)];
}

/** COMMISSION_REPORT; an undefined realized P&L or yield is sent as Double.MAX_VALUE. */
export function commissionReport(execId: string, commission: number, currency: string, realizedPnl: number | undefined): string[] {
  return [id(IN.COMMISSION_REPORT), '1', execId, fDbl(commission), currency, fDbl(realizedPnl), UNSET_DOUBLE, '0'];
}
