// The edge: @stoqey/ib shapes become FeedEvent bodies here, and nowhere else (numbers become Decimal once).
import type { CommissionReport, Contract as IbContract, Execution, Order, OrderState } from '@stoqey/ib';
import { optionRightOf, type Contract } from '../../model/contract.js';
import type { FeedEventBody, OptionTickKind, OrderInfo, PriceField } from '../../model/events.js';
import { Decimal, fromIbNumber, isUnset } from '../../model/money.js';
import { toOrderStatus } from '../../model/orders.js';
import { neutralise, neutraliseDeep } from '../../model/text.js';

const ZERO = new Decimal(0);

function str(s: string | undefined | null): string | undefined {
  return s === undefined || s === null || s === '' ? undefined : s;
}

/** A TWS contract as our Contract. Strike 0 and multiplier 0/empty mean "none" on the wire. */
export function toContract(c: IbContract): Contract {
  const strike = c.strike && !isUnset(c.strike) && c.strike !== 0 ? fromIbNumber(c.strike) : undefined;
  const multiplier = c.multiplier && !isUnset(Number(c.multiplier)) ? fromIbNumber(Number(c.multiplier)) : undefined;
  const right = optionRightOf(c.right as string | undefined);
  const out: { -readonly [K in keyof Contract]: Contract[K] } = {
    conId: c.conId ?? 0,
    symbol: c.symbol ?? '',
    secType: (c.secType as string | undefined) ?? '',
    currency: c.currency ?? '',
  };
  const exchange = str(c.exchange);
  const primary = str(c.primaryExch);
  const local = str(c.localSymbol);
  const tradingClass = str(c.tradingClass);
  const expiry = str(c.lastTradeDateOrContractMonth);
  if (exchange) out.exchange = exchange;
  if (primary) out.primaryExchange = primary;
  if (local) out.localSymbol = local;
  if (tradingClass) out.tradingClass = tradingClass;
  if (expiry) out.expiry = expiry;
  if (strike) out.strike = strike;
  if (right) out.right = right;
  if (multiplier && !multiplier.isZero()) out.multiplier = multiplier;
  return out;
}

/** The wire fields toContract reads, as last seen for one conId. */
interface WireKey {
  readonly symbol: unknown;
  readonly secType: unknown;
  readonly currency: unknown;
  readonly exchange: unknown;
  readonly primaryExch: unknown;
  readonly localSymbol: unknown;
  readonly tradingClass: unknown;
  readonly expiry: unknown;
  readonly strike: unknown;
  readonly right: unknown;
  readonly multiplier: unknown;
}

function wireKey(c: IbContract): WireKey {
  return {
    symbol: c.symbol,
    secType: c.secType,
    currency: c.currency,
    exchange: c.exchange,
    primaryExch: c.primaryExch,
    localSymbol: c.localSymbol,
    tradingClass: c.tradingClass,
    expiry: c.lastTradeDateOrContractMonth,
    strike: c.strike,
    right: c.right,
    multiplier: c.multiplier,
  };
}

function sameWire(k: WireKey, c: IbContract): boolean {
  return (
    k.symbol === c.symbol &&
    k.secType === c.secType &&
    k.currency === c.currency &&
    k.exchange === c.exchange &&
    k.primaryExch === c.primaryExch &&
    k.localSymbol === c.localSymbol &&
    k.tradingClass === c.tradingClass &&
    k.expiry === c.lastTradeDateOrContractMonth &&
    (k.strike === c.strike || (Number.isNaN(k.strike) && Number.isNaN(c.strike))) &&
    k.right === c.right &&
    k.multiplier === c.multiplier
  );
}

/** A position's fields in WireEntry's memo. */
const Slot = { Position: 0, AverageCost: 1, MarketPrice: 2, MarketValue: 3, UnrealizedPnl: 4, RealizedPnl: 5 } as const;
type Slot = (typeof Slot)[keyof typeof Slot];

/** One contract as TWS last sent it, and the Decimals last made from its rows' numbers. */
class WireEntry {
  /** NaN equals nothing: the first number of each field is always parsed. */
  private readonly numbers: (number | undefined | null)[] = new Array<number>(6).fill(NaN);
  private readonly decimals: (Decimal | undefined)[] = new Array<undefined>(6).fill(undefined);

  constructor(
    readonly key: WireKey,
    readonly contract: Contract,
  ) {}

  /** fromIbNumber(n), handing out the Decimal made last time while this field's number repeats (Decimals are immutable). */
  decimal(slot: Slot, n: number | undefined | null): Decimal | undefined {
    if (this.numbers[slot] === n) return this.decimals[slot];
    const d = fromIbNumber(n);
    this.numbers[slot] = n;
    this.decimals[slot] = d;
    return d;
  }
}

/**
 * One connection's contracts, by conId. Every PORTFOLIO_VALUE and POSITION repeats its contract, and most of its
 * numbers (the position, its cost, the realized P&L) stay the same from one mark to the next: while the wire fields
 * are the ones seen last time, the Contract made then is handed out again (already neutralised), and so is the
 * Decimal of a number that did not change, instead of formatting and parsing it once more. The reducer then finds
 * them unchanged by identity. A contract whose fields changed is made afresh and replaces the old one.
 */
export class ContractCache {
  private readonly byConId = new Map<number, WireEntry>();

  entry(c: IbContract): WireEntry | undefined {
    const conId = c.conId;
    if (!conId) return undefined;
    const hit = this.byConId.get(conId);
    if (hit !== undefined && sameWire(hit.key, c)) return hit;
    const entry = new WireEntry(wireKey(c), neutraliseDeep(toContract(c)));
    this.byConId.set(conId, entry);
    return entry;
  }
}

function opt<K extends string>(key: K, v: Decimal | undefined): Partial<Record<K, Decimal>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, Decimal>);
}

/** A body under construction. */
type Building<T extends FeedEventBody['type']> = { -readonly [K in keyof Extract<FeedEventBody, { type: T }>]: Extract<FeedEventBody, { type: T }>[K] };

/** Sets `key` when `n` is a number (not an unset sentinel): fields are added in the order of the calls. */
function setIb<T extends object>(out: T, key: keyof T & string, entry: WireEntry | undefined, slot: Slot, n: number | undefined | null): void {
  const d = entry ? entry.decimal(slot, n) : fromIbNumber(n);
  if (d !== undefined) (out as Record<string, unknown>)[key] = d;
}

/**
 * The quantity as Decimal, or what TWS sent instead: NaN, an infinity or an unset sentinel is not a quantity, and
 * reading it as 0 would make the position vanish (issue 14 item 10).
 */
function setQuantity(out: { position?: Decimal; unknownQuantity?: string }, entry: WireEntry | undefined, n: number | undefined | null): void {
  const d = entry ? entry.decimal(Slot.Position, n) : fromIbNumber(n);
  if (d !== undefined) out.position = d;
  else out.unknownQuantity = n === undefined || n === null ? 'nothing' : Number.isNaN(n) ? 'NaN' : Number.isFinite(n) ? 'unset' : String(n);
}

// Bodies of the busiest messages are built field by field in the order the recording writes them: the spreads of
// small optional objects they were built from cost an object each, per message.

export function positionBody(account: string, contract: IbContract, pos: number, avgCost?: number, contracts?: ContractCache): FeedEventBody {
  const e = contracts?.entry(contract);
  const out: Building<'positionUpdated'> = {
    type: 'positionUpdated',
    account: neutralise(account),
    contract: e ? e.contract : neutraliseDeep(toContract(contract)),
  };
  setQuantity(out, e, pos);
  setIb(out, 'averageCost', e, Slot.AverageCost, avgCost);
  return out;
}

export function portfolioBody(
  contract: IbContract,
  position: number,
  marketPrice: number,
  marketValue: number,
  averageCost: number | undefined,
  unrealizedPnl: number | undefined,
  realizedPnl: number | undefined,
  account: string | undefined,
  contracts?: ContractCache,
): FeedEventBody {
  const e = contracts?.entry(contract);
  const out: Building<'portfolioUpdated'> = {
    type: 'portfolioUpdated',
    account: neutralise(account ?? ''),
    contract: e ? e.contract : neutraliseDeep(toContract(contract)),
  };
  setQuantity(out, e, position);
  setIb(out, 'marketPrice', e, Slot.MarketPrice, marketPrice);
  setIb(out, 'marketValue', e, Slot.MarketValue, marketValue);
  setIb(out, 'averageCost', e, Slot.AverageCost, averageCost);
  setIb(out, 'unrealizedPnl', e, Slot.UnrealizedPnl, unrealizedPnl);
  setIb(out, 'realizedPnl', e, Slot.RealizedPnl, realizedPnl);
  return out;
}

export function orderInfo(orderId: number, contract: IbContract, order: Order, state: OrderState): OrderInfo {
  const action = order.action === 'SELL' ? 'SELL' : order.action === 'SSHORT' ? 'SSHORT' : 'BUY';
  return {
    orderId,
    clientId: order.clientId ?? 0,
    permId: order.permId ?? 0,
    account: order.account ?? '',
    contract: toContract(contract),
    action,
    totalQuantity: fromIbNumber(order.totalQuantity) ?? ZERO,
    orderType: (order.orderType as string | undefined) ?? '',
    status: toOrderStatus(state.status),
    ...opt('limitPrice', fromIbNumber(order.lmtPrice)),
    ...opt('auxPrice', fromIbNumber(order.auxPrice)),
    ...(order.tif ? { tif: order.tif as string } : {}),
    ...(order.orderRef ? { orderRef: order.orderRef } : {}),
  };
}

export function executionBody(reqId: number, contract: IbContract, e: Execution): FeedEventBody {
  return {
    type: 'executionReceived',
    reqId,
    execId: e.execId ?? '',
    orderId: e.orderId ?? 0,
    clientId: e.clientId ?? 0,
    permId: e.permId ?? 0,
    account: e.acctNumber ?? '',
    contract: toContract(contract),
    side: e.side === 'SLD' ? 'SLD' : 'BOT',
    shares: fromIbNumber(e.shares) ?? ZERO,
    price: fromIbNumber(e.price) ?? ZERO,
    cumQty: fromIbNumber(e.cumQty) ?? ZERO,
    avgPrice: fromIbNumber(e.avgPrice) ?? ZERO,
    time: e.time ?? '',
    ...(e.orderRef ? { orderRef: e.orderRef } : {}),
  };
}

export function commissionBody(r: CommissionReport): FeedEventBody {
  return {
    type: 'commissionReceived',
    execId: r.execId ?? '',
    commission: fromIbNumber(r.commission) ?? ZERO,
    currency: r.currency ?? '',
    ...opt('realizedPnl', fromIbNumber(r.realizedPNL)),
  };
}

/**
 * Body types whose builders here leave no control character in them: price and option ticks hold only numbers and
 * the names in this file's tick tables; marks and positions neutralise their account and contract as they are built
 * (a cached contract once). The source hands these on without walking them again; they are most of a busy feed.
 */
export const NEUTRAL_BODIES: ReadonlySet<FeedEventBody['type']> = new Set(['priceTicked', 'optionComputed', 'portfolioUpdated', 'positionUpdated']);

/** TWS tick types for prices we keep (live and delayed twins). */
const PRICE_TICKS: ReadonlyMap<number, { field: PriceField; delayed: boolean }> = new Map([
  [1, { field: 'bid', delayed: false }],
  [2, { field: 'ask', delayed: false }],
  [4, { field: 'last', delayed: false }],
  [9, { field: 'close', delayed: false }],
  [37, { field: 'mark', delayed: false }],
  [66, { field: 'bid', delayed: true }],
  [67, { field: 'ask', delayed: true }],
  [68, { field: 'last', delayed: true }],
  [75, { field: 'close', delayed: true }],
]);

/** A price tick for a contract, or undefined for tick types we ignore and for unset prices (-1, 0 on bid/ask). */
export function priceBody(conId: number, tickType: number, price: number): FeedEventBody | undefined {
  const t = PRICE_TICKS.get(tickType);
  // Judged on the number, so that a tick we ignore is never parsed into a Decimal.
  if (!t || isUnset(price) || !(price > 0)) return undefined;
  return { type: 'priceTicked', conId, field: t.field, price: fromIbNumber(price)!, delayed: t.delayed };
}

const OPTION_TICKS: ReadonlyMap<number, { kind: OptionTickKind; delayed: boolean }> = new Map([
  [10, { kind: 'bid', delayed: false }],
  [11, { kind: 'ask', delayed: false }],
  [12, { kind: 'last', delayed: false }],
  [13, { kind: 'model', delayed: false }],
  [80, { kind: 'bid', delayed: true }],
  [81, { kind: 'ask', delayed: true }],
  [82, { kind: 'last', delayed: true }],
  [83, { kind: 'model', delayed: true }],
]);

/** TWS sends -1 for "not computed" prices and IV; @stoqey/ib usually maps it to undefined already. */
function definedPrice(v: number | undefined): number | undefined {
  return v === undefined || !Number.isFinite(v) || v === -1 || isUnset(v) ? undefined : v;
}

/** Greeks use -2 for "not computed" (a delta of -1 is a real deep in-the-money put). */
function definedGreek(v: number | undefined): number | undefined {
  return v === undefined || !Number.isFinite(v) || v === -2 || isUnset(v) ? undefined : v;
}

export function optionBody(
  conId: number,
  tickType: number,
  iv: number | undefined,
  delta: number | undefined,
  optPrice: number | undefined,
  pvDividend: number | undefined,
  gamma: number | undefined,
  vega: number | undefined,
  theta: number | undefined,
  undPrice: number | undefined,
): FeedEventBody | undefined {
  const t = OPTION_TICKS.get(tickType);
  if (!t) return undefined;
  const out: Building<'optionComputed'> = { type: 'optionComputed', conId, kind: t.kind, delayed: t.delayed };
  // Absent, not undefined, when not computed (the recording's JSON is the same either way; the reducer's merge reads absence).
  const impliedVol = definedPrice(iv);
  if (impliedVol !== undefined) out.impliedVol = impliedVol;
  const d = definedGreek(delta);
  if (d !== undefined) out.delta = d;
  const g = definedGreek(gamma);
  if (g !== undefined) out.gamma = g;
  const v = definedGreek(vega);
  if (v !== undefined) out.vega = v;
  const th = definedGreek(theta);
  if (th !== undefined) out.theta = th;
  const p = definedPrice(optPrice);
  if (p !== undefined) out.optionPrice = p;
  const u = definedPrice(undPrice);
  if (u !== undefined) out.underlyingPrice = u;
  const pv = definedPrice(pvDividend);
  if (pv !== undefined) out.pvDividend = pv;
  return out;
}

/** TICK_STRING tick type of IB Dividends (generic tick 456), @stoqey/ib TickType.IB_DIVIDENDS. */
export const IB_DIVIDENDS_TICK = 59;

const AMOUNT = /^\d+(\.\d+)?$/;

/**
 * The IB Dividends tick's value ("past12Months,next12Months,YYYYMMDD,nextAmount", e.g. "0.83,0.92,20130219,0.23") as
 * a dividendsReceived body, or why it is not one. Four fields; amounts are plain non-negative decimals (the next one
 * above 0); the date a real day. The 12-month sums may be empty; the date and the next amount are both given or both
 * empty (nothing announced). Anything else is refused whole: a half-read dividend would price options on a wrong date.
 */
export function dividendsBody(conId: number, value: string): { body: FeedEventBody } | { problem: string } {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 4) return { problem: `expected 4 comma-separated fields, got ${parts.length}` };
  const [past, next, date, amount] = parts as [string, string, string, string];
  for (const [name, v] of [
    ['past12Months', past],
    ['next12Months', next],
    ['nextDividendAmount', amount],
  ] as const) {
    if (v !== '' && !AMOUNT.test(v)) return { problem: `${name} ${JSON.stringify(v)} is not a non-negative amount` };
  }
  if ((date === '') !== (amount === '')) return { problem: 'the next dividend needs both a date and an amount' };
  let nextExDate: string | undefined;
  if (date !== '') {
    const m = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
    const iso = m ? `${m[1]}-${m[2]}-${m[3]}` : '';
    // Date.UTC rolls 20270230 over to 2 March: a day that does not come back as written is not a day.
    if (!m || new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)).toISOString().slice(0, 10) !== iso)
      return { problem: `nextDividendDate ${JSON.stringify(date)} is not a YYYYMMDD date` };
    if (!new Decimal(amount).gt(0)) return { problem: 'the next dividend amount is 0' };
    nextExDate = iso;
  }
  return {
    body: {
      type: 'dividendsReceived',
      conId,
      ...(past !== '' ? { past12Months: new Decimal(past) } : {}),
      ...(next !== '' ? { next12Months: new Decimal(next) } : {}),
      ...(nextExDate ? { nextExDate, nextAmount: new Decimal(amount) } : {}),
    },
  };
}

/** "Market data farm connection is broken:usfarm" → "usfarm". */
export function farmName(message: string): string {
  const i = message.lastIndexOf(':');
  return i >= 0 ? message.slice(i + 1).trim() : message;
}

/** PnL (94) fields as Decimals; unset ones left out. */
export function pnlFields(p: { dailyPnL?: number; unrealizedPnL?: number; realizedPnL?: number }) {
  const out: { dailyPnl?: Decimal; unrealizedPnl?: Decimal; realizedPnl?: Decimal } = {};
  const d = fromIbNumber(p.dailyPnL);
  const u = fromIbNumber(p.unrealizedPnL);
  const r = fromIbNumber(p.realizedPnL);
  if (d) out.dailyPnl = d;
  if (u) out.unrealizedPnl = u;
  if (r) out.realizedPnl = r;
  return out;
}
