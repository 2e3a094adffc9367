// Client → server request parsing at the negotiated server version (tws-protocol.md §3.3, field orders from
// @stoqey/ib's encoder.js and IB's client.py). A request with missing fields throws RequestError; the session logs it
// and carries on, so nothing a client sends can crash the server.
import type { ContractQuery } from './instruments.js';
import { SERVER_VERSION, SV } from './wire.js';

/** Outgoing message ids as the client numbers them (OUT_MSG_ID). */
export const OUT = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  REQ_OPEN_ORDERS: 5,
  REQ_ACCOUNT_DATA: 6,
  REQ_EXECUTIONS: 7,
  REQ_IDS: 8,
  REQ_CONTRACT_DATA: 9,
  SET_SERVER_LOGLEVEL: 14,
  REQ_HISTORICAL_DATA: 20,
  CANCEL_HISTORICAL_DATA: 25,
  REQ_AUTO_OPEN_ORDERS: 15,
  REQ_ALL_OPEN_ORDERS: 16,
  REQ_COMPLETED_ORDERS: 99,
  REQ_MANAGED_ACCTS: 17,
  REQ_CURRENT_TIME: 49,
  REQ_GLOBAL_CANCEL: 58,
  REQ_MARKET_DATA_TYPE: 59,
  REQ_POSITIONS: 61,
  REQ_ACCOUNT_SUMMARY: 62,
  CANCEL_ACCOUNT_SUMMARY: 63,
  CANCEL_POSITIONS: 64,
  START_API: 71,
  REQ_POSITIONS_MULTI: 74,
  CANCEL_POSITIONS_MULTI: 75,
  REQ_ACCOUNT_UPDATES_MULTI: 76,
  CANCEL_ACCOUNT_UPDATES_MULTI: 77,
  REQ_SEC_DEF_OPT_PARAMS: 78,
  REQ_MATCHING_SYMBOLS: 81,
  REQ_HEAD_TIMESTAMP: 87,
  CANCEL_HEAD_TIMESTAMP: 90,
  REQ_MARKET_RULE: 91,
  REQ_PNL: 92,
  CANCEL_PNL: 93,
  REQ_PNL_SINGLE: 94,
  CANCEL_PNL_SINGLE: 95,
} as const;

export class RequestError extends Error {}

/** A field TWS reads with Java's Integer.parseInt that is not a 32-bit integer: TWS answers 320, not silence. */
export class NumberFormatError extends RequestError {
  constructor(readonly input: string) {
    super(`For input string: ${JSON.stringify(input)}`);
  }
}

/** The order fields the simulator acts on (PLACE_ORDER carries about 118; the rest are ignored). */
export interface OrderRequest {
  readonly action: string;
  readonly totalQuantity: string;
  readonly orderType: string;
  readonly lmtPrice?: number;
  readonly auxPrice?: number;
  readonly tif: string;
  readonly account: string;
  readonly orderRef: string;
  /** False when the client sent "0" or "" (TWS then holds the order untransmitted; tws-protocol.md §2.5). */
  readonly transmit: boolean;
  readonly parentId: number;
  readonly whatIf: boolean;
  /** One-cancels-all group name ('' none) and how a fill treats the others (1 cancel, 2 and 3 reduce; IB "OCA"). */
  readonly ocaGroup?: string;
  readonly ocaType?: number;
  /** Fields TWS keeps and echoes in OPEN_ORDER; the simulator only echoes them (no session hours, no GTD expiry). */
  readonly outsideRth?: boolean;
  readonly triggerMethod?: number;
  readonly goodTillDate?: string;
  readonly allOrNone?: boolean;
  /** '' when unset. */
  readonly minQty?: number;
  /** A TRAIL order's initial stop price (optional) and its trailing amount as a percentage (instead of auxPrice). */
  readonly trailStopPrice?: number;
  readonly trailingPercent?: number;
}

export interface ExecutionFilterRequest {
  readonly clientId: number;
  readonly acctCode: string;
  /** "yyyymmdd-hh:mm:ss" (UTC in the simulator), '' for no filter. */
  readonly time: string;
  readonly symbol: string;
  readonly secType: string;
  readonly exchange: string;
  readonly side: string;
}

export type ClientRequest =
  | { readonly type: 'startApi'; readonly clientId: number; readonly capabilities: string }
  | { readonly type: 'reqIds'; readonly numIds: number }
  | { readonly type: 'reqManagedAccts' }
  | { readonly type: 'reqCurrentTime' }
  | { readonly type: 'setServerLogLevel'; readonly level: number }
  | { readonly type: 'reqPositions' }
  | { readonly type: 'cancelPositions' }
  | { readonly type: 'reqAccountSummary'; readonly reqId: number; readonly group: string; readonly tags: string }
  | { readonly type: 'cancelAccountSummary'; readonly reqId: number }
  | { readonly type: 'reqAccountUpdates'; readonly subscribe: boolean; readonly acctCode: string }
  | { readonly type: 'reqPnL'; readonly reqId: number; readonly account: string; readonly modelCode: string }
  | { readonly type: 'cancelPnL'; readonly reqId: number }
  | { readonly type: 'reqPnLSingle'; readonly reqId: number; readonly account: string; readonly modelCode: string; readonly conId: number }
  | { readonly type: 'cancelPnLSingle'; readonly reqId: number }
  | {
      readonly type: 'reqMktData';
      readonly reqId: number;
      readonly contract: ContractQuery;
      readonly genericTickList: string;
      readonly snapshot: boolean;
      readonly regulatorySnapshot: boolean;
    }
  | { readonly type: 'cancelMktData'; readonly reqId: number }
  | { readonly type: 'reqMarketDataType'; readonly marketDataType: number }
  | { readonly type: 'reqContractDetails'; readonly reqId: number; readonly contract: ContractQuery }
  | { readonly type: 'reqOpenOrders' }
  | { readonly type: 'reqAllOpenOrders' }
  | { readonly type: 'reqAutoOpenOrders'; readonly autoBind: boolean }
  | { readonly type: 'reqCompletedOrders'; readonly apiOnly: boolean }
  | { readonly type: 'reqExecutions'; readonly reqId: number; readonly filter: ExecutionFilterRequest }
  | { readonly type: 'placeOrder'; readonly orderId: number; readonly contract: ContractQuery; readonly order: OrderRequest }
  | { readonly type: 'cancelOrder'; readonly orderId: number }
  | { readonly type: 'reqGlobalCancel' }
  | { readonly type: 'reqMarketRule'; readonly marketRuleId: number }
  | { readonly type: 'reqPositionsMulti'; readonly reqId: number; readonly account: string; readonly modelCode: string }
  | { readonly type: 'cancelPositionsMulti'; readonly reqId: number }
  | { readonly type: 'reqAccountUpdatesMulti'; readonly reqId: number; readonly account: string; readonly modelCode: string; readonly ledgerAndNlv: boolean }
  | { readonly type: 'cancelAccountUpdatesMulti'; readonly reqId: number }
  | {
      readonly type: 'reqSecDefOptParams';
      readonly reqId: number;
      readonly symbol: string;
      readonly futFopExchange: string;
      readonly secType: string;
      readonly conId: number;
    }
  | { readonly type: 'reqMatchingSymbols'; readonly reqId: number; readonly pattern: string }
  | {
      readonly type: 'reqHeadTimestamp';
      readonly reqId: number;
      readonly contract: ContractQuery;
      readonly useRth: boolean;
      readonly whatToShow: string;
      readonly formatDate: number;
    }
  | { readonly type: 'cancelHeadTimestamp'; readonly reqId: number }
  | {
      readonly type: 'reqHistoricalData';
      readonly reqId: number;
      readonly contract: ContractQuery;
      readonly endDateTime: string;
      readonly barSize: string;
      readonly duration: string;
      readonly useRth: boolean;
      readonly whatToShow: string;
      readonly formatDate: number;
      readonly keepUpToDate: boolean;
    }
  | { readonly type: 'cancelHistoricalData'; readonly reqId: number }
  | { readonly type: 'unknown'; readonly msgId: number; readonly fields: readonly string[] };

/** A cursor over one message's fields. */
class Cursor {
  private i = 0;
  constructor(private readonly fields: readonly string[]) {}

  str(): string {
    if (this.i >= this.fields.length) throw new RequestError(`missing field ${this.i} of message ${this.fields[0] ?? '?'}`);
    return this.fields[this.i++]!;
  }

  /** Integer; '' is 0 as in the Java client. Anything Integer.parseInt refuses (a fraction, beyond int32) is malformed. */
  int(): number {
    const s = this.str();
    if (s === '') return 0;
    const n = /^[+-]?\d{1,10}$/.test(s) ? Number(s) : NaN;
    if (!(n >= -2147483648 && n <= 2147483647)) throw new NumberFormatError(s);
    return n;
  }

  /** Double or undefined ('' and Double.MAX_VALUE are "unset"). */
  dbl(): number | undefined {
    const s = this.str();
    if (s === '') return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n >= 1.7e308) return undefined;
    return n;
  }

  bool(): boolean {
    const s = this.str();
    return s === '1' || s.toLowerCase() === 'true';
  }

  skip(n: number): void {
    for (let k = 0; k < n; k++) this.str();
  }

  get done(): boolean {
    return this.i >= this.fields.length;
  }
}

function contract(c: Cursor, withSecId: boolean): ContractQuery {
  const q = {
    conId: c.int(),
    symbol: c.str(),
    secType: c.str(),
    lastTradeDateOrContractMonth: c.str(),
    strike: c.dbl() ?? 0,
    right: c.str(),
    multiplier: c.str(),
    exchange: c.str(),
    primaryExch: c.str(),
    currency: c.str(),
    localSymbol: c.str(),
    tradingClass: c.str(),
  };
  return withSecId ? { ...q, secIdType: c.str(), secId: c.str() } : q;
}

/** Parses one framed message (fields[0] is the message id). Throws RequestError if fields are missing. */
export function parseRequest(fields: readonly string[], sv: number = SERVER_VERSION): ClientRequest {
  const c = new Cursor(fields);
  const msgId = c.int();
  switch (msgId) {
    case OUT.START_API: {
      c.int(); // version 2
      const clientId = c.int();
      return { type: 'startApi', clientId, capabilities: c.done ? '' : c.str() };
    }
    case OUT.REQ_IDS:
      c.int();
      return { type: 'reqIds', numIds: c.int() };
    case OUT.REQ_MANAGED_ACCTS:
      return { type: 'reqManagedAccts' };
    case OUT.REQ_CURRENT_TIME:
      return { type: 'reqCurrentTime' };
    case OUT.SET_SERVER_LOGLEVEL:
      c.int();
      return { type: 'setServerLogLevel', level: c.int() };
    case OUT.REQ_POSITIONS:
      return { type: 'reqPositions' };
    case OUT.CANCEL_POSITIONS:
      return { type: 'cancelPositions' };
    case OUT.REQ_ACCOUNT_SUMMARY: {
      c.int();
      return { type: 'reqAccountSummary', reqId: c.int(), group: c.str(), tags: c.str() };
    }
    case OUT.CANCEL_ACCOUNT_SUMMARY:
      c.int();
      return { type: 'cancelAccountSummary', reqId: c.int() };
    case OUT.REQ_ACCOUNT_DATA: {
      c.int();
      const subscribe = c.bool();
      return { type: 'reqAccountUpdates', subscribe, acctCode: c.done ? '' : c.str() };
    }
    case OUT.REQ_PNL:
      return { type: 'reqPnL', reqId: c.int(), account: c.str(), modelCode: c.str() };
    case OUT.CANCEL_PNL:
      return { type: 'cancelPnL', reqId: c.int() };
    case OUT.REQ_PNL_SINGLE:
      return { type: 'reqPnLSingle', reqId: c.int(), account: c.str(), modelCode: c.str(), conId: c.int() };
    case OUT.CANCEL_PNL_SINGLE:
      return { type: 'cancelPnLSingle', reqId: c.int() };
    case OUT.REQ_MKT_DATA: {
      c.int(); // version 11
      const reqId = c.int();
      const q = contract(c, false);
      if (q.secType.toUpperCase() === 'BAG') {
        const legs = c.int();
        c.skip(legs * 4);
      }
      if (c.bool()) c.skip(3); // delta-neutral contract
      const genericTickList = c.str();
      const snapshot = c.bool();
      const regulatorySnapshot = c.bool();
      return { type: 'reqMktData', reqId, contract: q, genericTickList, snapshot, regulatorySnapshot };
    }
    case OUT.CANCEL_MKT_DATA:
      c.int();
      return { type: 'cancelMktData', reqId: c.int() };
    case OUT.REQ_MARKET_DATA_TYPE:
      c.int();
      return { type: 'reqMarketDataType', marketDataType: c.int() };
    case OUT.REQ_CONTRACT_DATA: {
      c.int(); // version 8
      const reqId = c.int();
      const q = contract(c, false);
      // includeExpired, then secIdType and secId (EClient.reqContractDetails); older frames may stop earlier.
      if (c.done) return { type: 'reqContractDetails', reqId, contract: q };
      c.bool();
      return { type: 'reqContractDetails', reqId, contract: { ...q, secIdType: c.done ? '' : c.str(), secId: c.done ? '' : c.str() } };
    }
    case OUT.REQ_OPEN_ORDERS:
      return { type: 'reqOpenOrders' };
    case OUT.REQ_ALL_OPEN_ORDERS:
      return { type: 'reqAllOpenOrders' };
    case OUT.REQ_COMPLETED_ORDERS:
      return { type: 'reqCompletedOrders', apiOnly: c.bool() };
    case OUT.REQ_AUTO_OPEN_ORDERS:
      c.int();
      return { type: 'reqAutoOpenOrders', autoBind: c.bool() };
    case OUT.REQ_EXECUTIONS: {
      c.int(); // version 3
      const reqId = c.int();
      const filter: ExecutionFilterRequest = {
        clientId: c.int(),
        acctCode: c.str(),
        time: c.str(),
        symbol: c.str(),
        secType: c.str(),
        exchange: c.str(),
        side: c.str(),
      };
      return { type: 'reqExecutions', reqId, filter };
    }
    case OUT.PLACE_ORDER:
      return parsePlaceOrder(c);
    case OUT.CANCEL_ORDER:
      // A version field (1) before 192; the manual-cancel fields that follow are not needed.
      if (sv < SV.CME_TAGGING_FIELDS) c.int();
      return { type: 'cancelOrder', orderId: c.int() };
    case OUT.REQ_GLOBAL_CANCEL:
      return { type: 'reqGlobalCancel' };
    case OUT.REQ_MARKET_RULE:
      return { type: 'reqMarketRule', marketRuleId: c.int() };
    case OUT.REQ_POSITIONS_MULTI:
      c.int();
      return { type: 'reqPositionsMulti', reqId: c.int(), account: c.str(), modelCode: c.str() };
    case OUT.CANCEL_POSITIONS_MULTI:
      c.int();
      return { type: 'cancelPositionsMulti', reqId: c.int() };
    case OUT.REQ_ACCOUNT_UPDATES_MULTI: {
      c.int();
      const reqId = c.int();
      const account = c.str();
      const modelCode = c.str();
      return { type: 'reqAccountUpdatesMulti', reqId, account, modelCode, ledgerAndNlv: c.done ? false : c.bool() };
    }
    case OUT.CANCEL_ACCOUNT_UPDATES_MULTI:
      c.int();
      return { type: 'cancelAccountUpdatesMulti', reqId: c.int() };
    case OUT.REQ_SEC_DEF_OPT_PARAMS:
      return { type: 'reqSecDefOptParams', reqId: c.int(), symbol: c.str(), futFopExchange: c.str(), secType: c.str(), conId: c.int() };
    case OUT.REQ_MATCHING_SYMBOLS:
      return { type: 'reqMatchingSymbols', reqId: c.int(), pattern: c.str() };
    case OUT.REQ_HEAD_TIMESTAMP: {
      const reqId = c.int();
      const q = contract(c, false);
      c.bool(); // includeExpired
      const useRth = c.bool();
      const whatToShow = c.str();
      return { type: 'reqHeadTimestamp', reqId, contract: q, useRth, whatToShow, formatDate: c.int() };
    }
    case OUT.REQ_HISTORICAL_DATA: {
      // No version field since 124 (SYNT_REALTIME_BARS).
      const reqId = c.int();
      const q = contract(c, false);
      c.bool(); // includeExpired
      const endDateTime = c.str();
      const barSize = c.str();
      const duration = c.str();
      const useRth = c.bool();
      const whatToShow = c.str();
      const formatDate = c.int();
      if (q.secType.toUpperCase() === 'BAG') c.skip(c.int() * 4);
      const keepUpToDate = c.done ? false : c.bool();
      return { type: 'reqHistoricalData', reqId, contract: q, endDateTime, barSize, duration, useRth, whatToShow, formatDate, keepUpToDate };
    }
    case OUT.CANCEL_HISTORICAL_DATA:
      c.int(); // version 1
      return { type: 'cancelHistoricalData', reqId: c.int() };
    case OUT.CANCEL_HEAD_TIMESTAMP:
      return { type: 'cancelHeadTimestamp', reqId: c.int() };
    default:
      return { type: 'unknown', msgId, fields };
  }
}

/** PLACE_ORDER at sv ≥ 145 (no version field). Walks the variable part only as far as `whatIf`. */
function parsePlaceOrder(c: Cursor): ClientRequest {
  const orderId = c.int();
  const q = contract(c, true);
  const action = c.str();
  const totalQuantity = c.str();
  const orderType = c.str();
  const lmtPrice = c.dbl();
  const auxPrice = c.dbl();
  const tif = c.str();
  const ocaGroup = c.str();
  const account = c.str();
  c.str(); // openClose
  c.str(); // origin
  const orderRef = c.str();
  const transmit = c.bool();
  const parentId = c.int();
  const tail: OrderTail = { whatIf: false };
  try {
    readTail(c, q.secType.toUpperCase() === 'BAG', tail);
  } catch {
    // A short hand-made PLACE_ORDER (only the core fields) is still a valid order, just not a what-if.
  }
  return {
    type: 'placeOrder',
    orderId,
    contract: q,
    order: { action, totalQuantity, orderType, lmtPrice, auxPrice, tif, account, orderRef, transmit, parentId, ocaGroup, ...tail },
  };
}

type OrderTail = { whatIf: boolean } & {
  -readonly [
    K in 'outsideRth' | 'triggerMethod' | 'goodTillDate' | 'ocaType' | 'allOrNone' | 'minQty' | 'trailStopPrice' | 'trailingPercent'
  ]?: OrderRequest[K];
};

/** Reads the variable part of PLACE_ORDER into `tail` as far as `whatIf`; a short message leaves the rest unset. */
function readTail(c: Cursor, bag: boolean, tail: OrderTail): void {
  c.skip(3); // blockOrder, sweepToFill, displaySize
  tail.triggerMethod = c.int();
  tail.outsideRth = c.bool();
  c.skip(1); // hidden
  if (bag) {
    const legs = c.int();
    c.skip(legs * 8);
    const legPrices = c.int();
    c.skip(legPrices);
    const params = c.int();
    c.skip(params * 2);
  }
  c.skip(1 + 1 + 1); // sharesAllocation, discretionaryAmt, goodAfterTime
  tail.goodTillDate = c.str();
  c.skip(3 + 1); // faGroup, faMethod, faPercentage, modelCode
  c.skip(3); // shortSaleSlot, designatedLocation, exemptCode
  tail.ocaType = c.int();
  c.skip(2); // rule80A, settlingFirm
  tail.allOrNone = c.bool();
  const minQty = c.str();
  if (minQty !== '' && Number.isFinite(Number(minQty)) && Number(minQty) < 2147483647) tail.minQty = Number(minQty);
  c.skip(3); // percentOffset, eTradeOnly, firmQuoteOnly
  c.skip(1 + 1 + 3 + 2); // nbboPriceCap, auctionStrategy, startingPrice/stockRefPrice/delta, stockRange lower/upper
  c.skip(1); // overridePercentageConstraints
  c.skip(2); // volatility, volatilityType
  const dnType = c.str();
  c.skip(1); // deltaNeutralAuxPrice
  if (dnType !== '') c.skip(8);
  c.skip(2); // continuousUpdate, referencePriceType
  const trailStopPrice = c.dbl();
  const trailingPercent = c.dbl();
  if (trailStopPrice !== undefined) tail.trailStopPrice = trailStopPrice;
  if (trailingPercent !== undefined) tail.trailingPercent = trailingPercent;
  c.skip(2); // scaleInitLevelSize, scaleSubsLevelSize
  const scaleIncrement = c.str();
  if (scaleIncrement !== '') c.skip(7);
  c.skip(3); // scaleTable, activeStartTime, activeStopTime
  const hedgeType = c.str();
  if (hedgeType !== '') c.skip(1);
  c.skip(1 + 2 + 1); // optOutSmartRouting, clearingAccount, clearingIntent, notHeld
  if (c.bool()) c.skip(3); // delta-neutral contract
  const algo = c.str();
  if (algo !== '') {
    const n = c.int();
    c.skip(n * 2);
  }
  c.skip(1); // algoId
  tail.whatIf = c.bool();
}
