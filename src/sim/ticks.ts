// Market data for one subscription: which TWS ticks a quote turns into, sending only what changed.
import { ibDividendsValue } from './dividends.js';
import type { Instrument } from './instruments.js';
import type { Quote } from './market.js';
import * as M from './messages.js';

/** TWS tick type ids used by the simulator (live, and the delayed twins after reqMarketDataType(3|4)). */
export const TICK = {
  BID_SIZE: 0,
  BID: 1,
  ASK: 2,
  ASK_SIZE: 3,
  LAST: 4,
  LAST_SIZE: 5,
  HIGH: 6,
  LOW: 7,
  VOLUME: 8,
  CLOSE: 9,
  BID_OPTION: 10,
  ASK_OPTION: 11,
  MODEL_OPTION: 13,
  LOW_13_WEEK: 15,
  HIGH_13_WEEK: 16,
  LOW_26_WEEK: 17,
  HIGH_26_WEEK: 18,
  LOW_52_WEEK: 19,
  HIGH_52_WEEK: 20,
  AVG_VOLUME: 21,
  OPTION_IMPLIED_VOL: 24,
  MARK_PRICE: 37,
  LAST_TIMESTAMP: 45,
  SHORTABLE: 46,
  IB_DIVIDENDS: 59,
  DELAYED_BID: 66,
  DELAYED_ASK: 67,
  DELAYED_LAST: 68,
  DELAYED_BID_SIZE: 69,
  DELAYED_ASK_SIZE: 70,
  DELAYED_HIGH: 72,
  DELAYED_LOW: 73,
  DELAYED_VOLUME: 74,
  DELAYED_CLOSE: 75,
  DELAYED_BID_OPTION: 80,
  DELAYED_ASK_OPTION: 81,
  DELAYED_MODEL_OPTION: 83,
  DELAYED_LAST_TIMESTAMP: 88,
} as const;

/** Generic tick 165 ("Misc. Stats"): lows and highs over 13, 26 and 52 weeks of daily bars, and the average daily volume. */
export interface MiscStats {
  /** [low, high] over 13, 26 and 52 weeks, before today's trading. */
  readonly ranges: readonly (readonly [number, number])[];
  readonly avgVolume: number;
}

/** One reqMktData subscription and what was last sent per tick type. */
export interface MarketDataSub {
  readonly inst: Instrument;
  readonly delayed: boolean;
  /**
   * Generic tick list: 106 adds OPTION_IMPLIED_VOL, 221 MARK_PRICE, 456 IB_DIVIDENDS (payers only, dividends.ts),
   * 165 the week ranges and average volume (with `stats`), 236 SHORTABLE (stocks).
   */
  readonly generic: ReadonlySet<string>;
  /** Generic tick 165's figures, from the instrument's daily bars when the subscription began. */
  readonly stats?: MiscStats;
  /** By tick type: the message last sent (its fields after the request id are what "changed" compares). */
  readonly last: Map<number, readonly string[]>;
}

export function marketDataSub(inst: Instrument, delayed: boolean, genericTickList: string, stats?: MiscStats): MarketDataSub {
  return {
    inst,
    delayed,
    ...(stats ? { stats } : {}),
    generic: new Set(
      genericTickList
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
    last: new Map(),
  };
}

/**
 * The messages for one subscription at this market step: every tick when `force` (a new subscription),
 * otherwise only the ticks whose fields changed since last sent (the sub remembers them).
 * @param impliedVol the underlying's implied vol, for generic tick 106
 */
export function ticksFor(reqId: number, sub: MarketDataSub, q: Quote, stepTime: number, impliedVol: number, force: boolean): string[][] {
  const out: string[][] = [];
  const d = sub.delayed;
  const pick = (live: number, delayed: number) => (d ? delayed : live);
  const emit = (tickType: number, fields: string[]) => {
    if (!force && sameAfterReqId(sub.last.get(tickType), fields)) return;
    sub.last.set(tickType, fields);
    out.push(fields);
  };
  // Prices carry their size, and sizes also go out as TICK_SIZE, as TWS does (the client drops the size
  // implied by a BID tickPrice: BID_SIZE is tick type 0 and decoder.js tests it for truthiness).
  if (q.bid !== undefined) {
    emit(pick(TICK.BID, TICK.DELAYED_BID), M.tickPrice(reqId, pick(TICK.BID, TICK.DELAYED_BID), q.bid, q.bidSize, 1));
    emit(pick(TICK.BID_SIZE, TICK.DELAYED_BID_SIZE), M.tickSize(reqId, pick(TICK.BID_SIZE, TICK.DELAYED_BID_SIZE), q.bidSize));
  }
  if (q.ask !== undefined) {
    emit(pick(TICK.ASK, TICK.DELAYED_ASK), M.tickPrice(reqId, pick(TICK.ASK, TICK.DELAYED_ASK), q.ask, q.askSize, 1));
    emit(pick(TICK.ASK_SIZE, TICK.DELAYED_ASK_SIZE), M.tickSize(reqId, pick(TICK.ASK_SIZE, TICK.DELAYED_ASK_SIZE), q.askSize));
  }
  if (sub.inst.secType !== 'CASH') {
    // IDEALPRO has no last trade; everything else does.
    emit(pick(TICK.LAST, TICK.DELAYED_LAST), M.tickPrice(reqId, pick(TICK.LAST, TICK.DELAYED_LAST), q.last, q.lastSize));
    emit(pick(TICK.VOLUME, TICK.DELAYED_VOLUME), M.tickSize(reqId, pick(TICK.VOLUME, TICK.DELAYED_VOLUME), q.volume));
    const ts = String(Math.floor(stepTime / 1000));
    emit(pick(TICK.LAST_TIMESTAMP, TICK.DELAYED_LAST_TIMESTAMP), M.tickString(reqId, pick(TICK.LAST_TIMESTAMP, TICK.DELAYED_LAST_TIMESTAMP), ts));
  }
  emit(pick(TICK.HIGH, TICK.DELAYED_HIGH), M.tickPrice(reqId, pick(TICK.HIGH, TICK.DELAYED_HIGH), q.high, undefined));
  emit(pick(TICK.LOW, TICK.DELAYED_LOW), M.tickPrice(reqId, pick(TICK.LOW, TICK.DELAYED_LOW), q.low, undefined));
  emit(pick(TICK.CLOSE, TICK.DELAYED_CLOSE), M.tickPrice(reqId, pick(TICK.CLOSE, TICK.DELAYED_CLOSE), q.close, undefined));
  if (sub.generic.has('221')) emit(TICK.MARK_PRICE, M.tickPrice(reqId, TICK.MARK_PRICE, q.mark, undefined));
  if (sub.generic.has('106') && (sub.inst.secType === 'STK' || sub.inst.secType === 'IND')) {
    emit(TICK.OPTION_IMPLIED_VOL, M.tickGeneric(reqId, TICK.OPTION_IMPLIED_VOL, impliedVol));
  }
  const st = sub.stats;
  if (st && sub.generic.has('165')) {
    // Today's range moves the week ranges as the session makes new highs or lows.
    const types = [
      [TICK.LOW_13_WEEK, TICK.HIGH_13_WEEK],
      [TICK.LOW_26_WEEK, TICK.HIGH_26_WEEK],
      [TICK.LOW_52_WEEK, TICK.HIGH_52_WEEK],
    ] as const;
    st.ranges.forEach(([low, high], i) => {
      emit(types[i]![0], M.tickPrice(reqId, types[i]![0], Math.min(low, q.low), undefined));
      emit(types[i]![1], M.tickPrice(reqId, types[i]![1], Math.max(high, q.high), undefined));
    });
    emit(TICK.AVG_VOLUME, M.tickSize(reqId, TICK.AVG_VOLUME, st.avgVolume));
  }
  // Every simulated stock is easy to borrow: SHORTABLE above 2.5 ("at least 1000 shares available", IB's tick 46).
  if (sub.generic.has('236') && sub.inst.secType === 'STK') emit(TICK.SHORTABLE, M.tickGeneric(reqId, TICK.SHORTABLE, 3));
  if (sub.generic.has('456') && sub.inst.secType === 'STK') {
    // Not a delayed twin: TWS sends tick 59 whatever the market data type.
    const v = ibDividendsValue(sub.inst.symbol, stepTime);
    if (v !== undefined) emit(TICK.IB_DIVIDENDS, M.tickString(reqId, TICK.IB_DIVIDENDS, v));
  }
  const o = q.option;
  if (o) {
    const greeks = { gamma: o.gamma, vega: o.vega, theta: o.theta, pvDividend: o.pvDividend, undPrice: o.undPrice };
    const bidT = pick(TICK.BID_OPTION, TICK.DELAYED_BID_OPTION);
    const askT = pick(TICK.ASK_OPTION, TICK.DELAYED_ASK_OPTION);
    const modelT = pick(TICK.MODEL_OPTION, TICK.DELAYED_MODEL_OPTION);
    // Bid/ask computations carry the IV implied by that price; n/a (-1) when it has none, as TWS does.
    emit(
      bidT,
      M.tickOptionComputation(reqId, bidT, 0, { ...greeks, impliedVol: o.bidIv, delta: o.bidIv === undefined ? undefined : o.delta, optPrice: q.bid }),
    );
    emit(
      askT,
      M.tickOptionComputation(reqId, askT, 0, { ...greeks, impliedVol: o.askIv, delta: o.askIv === undefined ? undefined : o.delta, optPrice: q.ask }),
    );
    emit(modelT, M.tickOptionComputation(reqId, modelT, 0, { ...greeks, impliedVol: o.iv, delta: o.delta, optPrice: o.price }));
  }
  return out;
}

/** Whether two messages of one tick type carry the same fields after the message id, version and request id. */
function sameAfterReqId(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 3; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
