// The busiest market-data messages decoded from @stoqey/ib's own token queue straight to our listeners (a guarded fast path under guard.ts).
//
// Why: in a live stream, TICK_OPTION_COMPUTATION, TICK_PRICE, PORTFOLIO_VALUE and TICK_SIZE are nine frames in ten.
// For each, the library queues an {name, args} record, spreads it into the controller's emitEvent, which emits it
// three times through its emitter (the event, 'result', 'all'), and TICK_PRICE emits a second, tickSize, event that
// nothing in the product reads. Here the same tokens are read from the library's own queue, with the library's reader
// semantics (readInt, readDouble, readDecimal: the same empty-field and unset sentinels), and handed to the same
// functions RawEvents listens with. A message is taken only when all its tokens are there; a short one is left to the
// library, which reports its underrun as before. The library still owns the socket, the handshake, the token queue
// and every other message (guard.ts frames the reads into that queue); this path is taken only
// - for server versions whose field layouts were checked against decoder.js (1.6.x) and IB's EDecoder.java,
// - while the only listener of the event is ours (RawEvents registers it on a fresh IBApi per connection; IBApiNext
//   listens to these events only for getMarketData and getAccountUpdates, which the product does not call), and
//   nobody listens to 'result' or 'all'.
// Anything else goes to the library's decoder as before (docs/performance.md, "Fifth pass").
import { EventName, OptionType, type Contract as IbContract } from '@stoqey/ib';
import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id.js';

/**
 * MIN_SERVER_VER.PRICE_BASED_VOLATILITY: from here TICK_OPTION_COMPUTATION has no version field, a tick attribute
 * after the tick type, and always all eight values. TICK_PRICE, TICK_SIZE and PORTFOLIO_VALUE carry their own
 * version field, read as the library reads it.
 */
export const HOT_MIN_SERVER_VERSION = 156;
/** The library's MAX_SUPPORTED_SERVER_VERSION (CME_TAGGING_FIELDS_IN_OPEN_ORDER): it negotiates nothing higher. */
export const HOT_MAX_SERVER_VERSION = 193;

/**
 * The part of @stoqey/ib's Decoder (dist/core/io/decoder.js) read here: its token queue, which holds the rest of the
 * message being decoded (its id already read), then the undefined that ends it, then nothing (the library decodes each
 * frame as it arrives).
 */
export interface TokenQueue {
  readonly serverVersion: number;
  dataQueue: (string | undefined)[];
}

/** The listeners RawEvents registers for these events, with the arguments the library emits them with. */
export interface HotListeners {
  tickPrice(reqId: number, tickType: number, price: number | undefined): void;
  tickOptionComputation(
    reqId: number,
    tickType: number,
    attrib: number | undefined,
    iv?: number,
    delta?: number,
    optPrice?: number,
    pvDiv?: number,
    gamma?: number,
    vega?: number,
    theta?: number,
    und?: number,
  ): void;
  updatePortfolio(c: IbContract, pos: number, px: number, mv: number, avg?: number, upl?: number, rpl?: number, account?: string): void;
}

/** Decodes message `msgId` from the queue and delivers it; false, with nothing read, when the library should. */
export type HotDecoder = (msgId: number, d: TokenQueue) => boolean;

/** One of our listeners threw on a message decoded here: the guard reports it as it does a throw under the library's emit. */
export class HotListenerError extends Error {
  constructor(
    readonly event: string,
    readonly original: unknown,
  ) {
    super((original as Error)?.message ?? String(original));
  }
}

/** The part of the IBApi emitter (eventemitter3) the decoder asks. */
interface Listened {
  listenerCount(event: string): number;
}

const OPTION_TYPES: readonly string[] = Object.values(OptionType);

export function hotDecoder(api: Listened, on: HotListeners): HotDecoder {
  const quiet = () => api.listenerCount(EventName.result) === 0 && api.listenerCount(EventName.all) === 0;
  const ours = (name: EventName) => api.listenerCount(name) === 1 && quiet();
  return (msgId, d) => {
    switch (msgId) {
      case IN_MSG_ID.TICK_OPTION_COMPUTATION:
        return inRange(d) && ours(EventName.tickOptionComputation) && tickOptionComputation(d.dataQueue, on);
      case IN_MSG_ID.TICK_PRICE:
        // The library emits a tickSize after a bid, ask or last price: skipped only while nobody would hear it.
        return inRange(d) && ours(EventName.tickPrice) && api.listenerCount(EventName.tickSize) === 0 && tickPrice(d.dataQueue, on);
      case IN_MSG_ID.PORTFOLIO_VALUE:
        return inRange(d) && ours(EventName.updatePortfolio) && portfolioValue(d.dataQueue, on);
      case IN_MSG_ID.TICK_SIZE:
        // decodeMsg_TICK_SIZE: version, ticker id, tick type, size; nothing to deliver while nobody listens.
        return inRange(d) && api.listenerCount(EventName.tickSize) === 0 && quiet() && take(d.dataQueue, 4);
      default:
        return false;
    }
  };
}

function inRange(d: TokenQueue): boolean {
  const sv = d.serverVersion;
  return sv >= HOT_MIN_SERVER_VERSION && sv <= HOT_MAX_SERVER_VERSION;
}

// The library's readers (decoder.js 1.6.x) on one token, without its shift per token. The equivalence test
// (test/streams/tws-hot-decode.test.ts) compares every body with the library's decoding of the same frames.

/** readInt: "" is 0. */
function int(t: string): number {
  return t === '' ? 0 : parseInt(t, 10);
}

/** readDouble: "" is 0, Number.MAX_VALUE is undefined. */
function dbl(t: string): number | undefined {
  if (t === '') return 0;
  const v = parseFloat(t);
  return v === Number.MAX_VALUE ? undefined : v;
}

/** readDecimal: "" is undefined; thousands separators dropped; Number.MAX_VALUE and Infinity are undefined. */
function dec(t: string): number | undefined {
  if (t === '') return undefined;
  const v = parseFloat(t.replaceAll(',', ''));
  return v === Number.MAX_VALUE || v === Infinity ? undefined : v;
}

/** Whether the queue holds `n` more tokens of this message (no end marker among them). */
function has(q: readonly (string | undefined)[], n: number): boolean {
  if (q.length < n) return false;
  for (let i = 0; i < n; i++) if (q[i] === undefined) return false;
  return true;
}

/** Removes the first `n` tokens (all of this message that was read), as `n` readStr calls would. */
function drop(q: (string | undefined)[], n: number): void {
  q.copyWithin(0, n);
  q.length -= n;
}

/** `n` tokens read past (none kept), when they are all there. */
function take(q: (string | undefined)[], n: number): boolean {
  if (!has(q, n)) return false;
  drop(q, n);
  return true;
}

/** decoder.js decodeMsg_TICK_PRICE (EDecoder.processTickPriceMsg): version, reqId, tick type, price[, size[, attribute mask]]. */
function tickPrice(q: (string | undefined)[], on: HotListeners): boolean {
  if (!has(q, 1)) return false;
  const version = int(q[0]!);
  // The size (for the tickSize nobody hears) and the attribute mask are read past, as the library reads them.
  const n = version >= 3 ? 6 : version >= 2 ? 5 : 4;
  if (!has(q, n)) return false;
  const reqId = int(q[1]!);
  const tickType = int(q[2]!);
  const price = dbl(q[3]!);
  drop(q, n);
  try {
    on.tickPrice(reqId, tickType, price);
  } catch (e) {
    throw new HotListenerError(EventName.tickPrice, e);
  }
  return true;
}

/**
 * decoder.js decodeMsg_TICK_OPTION_COMPUTATION at server version ≥ 156 (EDecoder.processTickOptionComputationMsg):
 * reqId, tick type, attribute, then IV, delta, option price, PV of dividends, gamma, vega, theta, underlying price.
 * -1 (prices, IV) and -2 (greeks) are "not computed", as the library maps them.
 */
function tickOptionComputation(q: (string | undefined)[], on: HotListeners): boolean {
  if (!has(q, 11)) return false;
  const reqId = int(q[0]!);
  const tickType = int(q[1]!);
  const attrib = int(q[2]!);
  let iv = dbl(q[3]!);
  if (iv === -1) iv = undefined;
  let delta = dbl(q[4]!);
  if (delta === -2) delta = undefined;
  let optPrice = dbl(q[5]!);
  if (optPrice === -1) optPrice = undefined;
  let pvDiv = dbl(q[6]!);
  if (pvDiv === -1) pvDiv = undefined;
  let gamma = dbl(q[7]!);
  if (gamma === -2) gamma = undefined;
  let vega = dbl(q[8]!);
  if (vega === -2) vega = undefined;
  let theta = dbl(q[9]!);
  if (theta === -2) theta = undefined;
  let und = dbl(q[10]!);
  if (und === -1) und = undefined;
  drop(q, 11);
  try {
    on.tickOptionComputation(reqId, tickType, attrib, iv, delta, optPrice, pvDiv, gamma, vega, theta, und);
  } catch (e) {
    throw new HotListenerError(EventName.tickOptionComputation, e);
  }
  return true;
}

/** decoder.js decodeMsg_PORTFOLIO_VALUE (EDecoder.processPortfolioValueMsg), the contract built field by field as there. */
function portfolioValue(q: (string | undefined)[], on: HotListeners): boolean {
  if (!has(q, 1)) return false;
  const version = int(q[0]!);
  const n =
    1 +
    (version >= 6 ? 1 : 0) +
    5 +
    (version >= 7 ? 2 : 0) +
    1 +
    (version >= 2 ? 1 : 0) +
    (version >= 8 ? 1 : 0) +
    3 +
    (version >= 3 ? 3 : 0) +
    (version >= 4 ? 1 : 0);
  if (!has(q, n)) return false;
  let i = 1;
  const c: IbContract = {};
  if (version >= 6) c.conId = int(q[i++]!);
  c.symbol = q[i++]!;
  c.secType = q[i++] as IbContract['secType'];
  c.lastTradeDateOrContractMonth = q[i++]!;
  c.strike = dbl(q[i++]!);
  const right = q[i++]!;
  c.right = OPTION_TYPES.includes(right) ? (right as OptionType) : undefined;
  if (version >= 7) {
    // The library reads the multiplier as a number (EDecoder keeps its text): as the library, since its listeners expect that.
    c.multiplier = dbl(q[i++]!);
    c.primaryExch = q[i++]!;
  }
  c.currency = q[i++]!;
  if (version >= 2) c.localSymbol = q[i++]!;
  if (version >= 8) c.tradingClass = q[i++]!;
  const position = dec(q[i++]!);
  const marketPrice = dbl(q[i++]!);
  const marketValue = dbl(q[i++]!);
  let averageCost: number | undefined;
  let unrealizedPnl: number | undefined;
  let realizedPnl: number | undefined;
  if (version >= 3) {
    averageCost = dbl(q[i++]!);
    unrealizedPnl = dbl(q[i++]!);
    realizedPnl = dbl(q[i++]!);
  }
  const account = version >= 4 ? q[i++] : undefined;
  // (The library's extra primaryExch for version 6 at server version 39 is outside this path's range.)
  drop(q, n);
  try {
    on.updatePortfolio(c, position as number, marketPrice as number, marketValue as number, averageCost, unrealizedPnl, realizedPnl, account);
  } catch (e) {
    throw new HotListenerError(EventName.updatePortfolio, e);
  }
  return true;
}
