// Market handlers: TICK_PRICE, TICK_OPTION_COMPUTATION, IB Dividends (tick 59) and PNL.
import type { FeedEventOf, PriceField } from '../events.js';
import { decimalEquals, type Decimal } from '../money.js';
import type { DividendRow, OptionRow, PortfolioState, PriceRow } from '../state.js';
import { acceptAccount, dropOtherAccountInto, touched, type Draft } from './common.js';

export function priceTicked(state: PortfolioState, ev: FeedEventOf<'priceTicked'>): PortfolioState {
  const d: Draft = { ...state };
  priceTickedInto(d, ev);
  return d;
}

/**
 * `priceTicked` on a draft (reducer.ts `reduceBatch`): the same fields set in the same order. A row this run made
 * (`made`, see `optionComputedInto`) is updated in place, its prices object with it (made together with the row).
 */
export function priceTickedInto(d: Draft, ev: FeedEventOf<'priceTicked'>, made?: Set<object>): void {
  const old = d.prices.get(ev.conId);
  const last = old?.prices[ev.field];
  if (old && last && decimalEquals(last, ev.price) && old.delayed === ev.delayed) {
    d.lastUpdate = touched(d, ev);
    return;
  }
  if (old !== undefined && made !== undefined && made.has(old)) {
    const row = old as { -readonly [K in keyof PriceRow]: PriceRow[K] };
    (row.prices as { -readonly [F in PriceField]?: Decimal })[ev.field] = ev.price;
    row.delayed = ev.delayed;
    row.updatedAt = ev.receivedAt;
    d.lastUpdate = touched(d, ev);
    return;
  }
  // Copied, then set (not `{ ...old.prices, [field]: price }`, which V8 builds on its slow path): same key order.
  const prices: { -readonly [F in PriceField]?: Decimal } = { ...old?.prices };
  prices[ev.field] = ev.price;
  const row: PriceRow = {
    conId: ev.conId,
    prices,
    delayed: ev.delayed,
    updatedAt: ev.receivedAt,
  };
  d.prices = d.prices.set(ev.conId, row);
  made?.add(row);
  d.lastUpdate = touched(d, ev);
}

/**
 * Merges an option computation. Missing fields never erase defined ones (reference/tws-protocol.md §5 #9); the
 * underlying price and pv dividend are taken from any tick kind; greeks from a MODEL tick win over bid/ask/last.
 * Field by field rather than a loop over the greeks' names: the busiest event of a live feed, and keyed reads and
 * writes over them cost more than the rest of the handler. New fields are added in the same order as before
 * (greeks, then underlying price and pv dividend): keyframes are the state's JSON.
 */
export function optionComputed(state: PortfolioState, ev: FeedEventOf<'optionComputed'>): PortfolioState {
  const d: Draft = { ...state };
  optionComputedInto(d, ev);
  return d;
}

/**
 * `optionComputed` on a draft (reducer.ts `reduceBatch`). `made`: the rows this run made, which nothing outside it
 * has seen yet: one of them is updated in place (same fields set in the same order as on a copy) and stays where it
 * is in the map. A live run updates each option's row about a dozen times (several tick kinds, a read of a few
 * hundred events); a copy of the row and of its path in the map each time was most of this handler's cost.
 */
export function optionComputedInto(d: Draft, ev: FeedEventOf<'optionComputed'>, made?: Set<object>): void {
  const old = d.options.get(ev.conId);
  const isModel = ev.kind === 'model';
  const takeGreeks = isModel || !old?.fromModel;
  const inPlace = old !== undefined && made !== undefined && made.has(old);
  const next: { -readonly [K in keyof OptionRow]: OptionRow[K] } = inPlace
    ? (old as { -readonly [K in keyof OptionRow]: OptionRow[K] })
    : { ...(old ?? { conId: ev.conId, fromModel: false, delayed: ev.delayed, updatedAt: ev.receivedAt }) };
  let changed = old === undefined;
  if (takeGreeks) {
    const { impliedVol, delta, gamma, vega, theta, optionPrice } = ev;
    if (impliedVol !== undefined && next.impliedVol !== impliedVol) {
      next.impliedVol = impliedVol;
      changed = true;
    }
    if (delta !== undefined && next.delta !== delta) {
      next.delta = delta;
      changed = true;
    }
    if (gamma !== undefined && next.gamma !== gamma) {
      next.gamma = gamma;
      changed = true;
    }
    if (vega !== undefined && next.vega !== vega) {
      next.vega = vega;
      changed = true;
    }
    if (theta !== undefined && next.theta !== theta) {
      next.theta = theta;
      changed = true;
    }
    if (optionPrice !== undefined && next.optionPrice !== optionPrice) {
      next.optionPrice = optionPrice;
      changed = true;
    }
  }
  if (ev.underlyingPrice !== undefined && next.underlyingPrice !== ev.underlyingPrice) {
    next.underlyingPrice = ev.underlyingPrice;
    changed = true;
  }
  if (ev.pvDividend !== undefined && next.pvDividend !== ev.pvDividend) {
    next.pvDividend = ev.pvDividend;
    changed = true;
  }
  if (isModel && !next.fromModel) {
    next.fromModel = true;
    changed = true;
  }
  if (next.delayed !== ev.delayed && takeGreeks) {
    next.delayed = ev.delayed;
    changed = true;
  }
  if (changed) {
    next.updatedAt = ev.receivedAt;
    if (!inPlace) {
      d.options = d.options.set(ev.conId, next);
      made?.add(next);
    }
  }
  d.lastUpdate = touched(d, ev);
}

const sameAmount = (a: Decimal | undefined, b: Decimal | undefined) => (a === undefined ? b === undefined : b !== undefined && decimalEquals(a, b));

/**
 * A stock's dividends: each tick 59 replaces the row whole (a next dividend no longer sent was paid or withdrawn). An
 * unchanged repeat keeps the row's identity, so the risk engine does not revalue the stock's options for it.
 */
export function dividendsReceived(state: PortfolioState, ev: FeedEventOf<'dividendsReceived'>): PortfolioState {
  const old = state.dividends.get(ev.conId);
  if (
    old &&
    old.nextExDate === ev.nextExDate &&
    sameAmount(old.nextAmount, ev.nextAmount) &&
    sameAmount(old.past12Months, ev.past12Months) &&
    sameAmount(old.next12Months, ev.next12Months)
  ) {
    return { ...state, lastUpdate: touched(state, ev) };
  }
  const row: DividendRow = {
    conId: ev.conId,
    ...(ev.past12Months ? { past12Months: ev.past12Months } : {}),
    ...(ev.next12Months ? { next12Months: ev.next12Months } : {}),
    ...(ev.nextExDate ? { nextExDate: ev.nextExDate } : {}),
    ...(ev.nextAmount ? { nextAmount: ev.nextAmount } : {}),
    updatedAt: ev.receivedAt,
  };
  return { ...state, dividends: state.dividends.set(ev.conId, row), lastUpdate: touched(state, ev) };
}

export function pnlUpdated(state: PortfolioState, ev: FeedEventOf<'pnlUpdated'>): PortfolioState {
  const d: Draft = { ...state };
  pnlUpdatedInto(d, ev);
  return d;
}

/** `pnlUpdated` on a draft (reducer.ts `reduceBatch`). */
export function pnlUpdatedInto(d: Draft, ev: FeedEventOf<'pnlUpdated'>): void {
  const acc = acceptAccount(d, ev.account);
  if (!acc.accepted) return dropOtherAccountInto(d);
  d.account = acc.account;
  d.pnl = {
    updatedAt: ev.receivedAt,
    ...(ev.dailyPnl ? { dailyPnl: ev.dailyPnl } : {}),
    ...(ev.unrealizedPnl ? { unrealizedPnl: ev.unrealizedPnl } : {}),
    ...(ev.realizedPnl ? { realizedPnl: ev.realizedPnl } : {}),
  };
  d.lastUpdate = touched(d, ev);
}
