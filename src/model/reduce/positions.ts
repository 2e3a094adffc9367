// Position handlers: PORTFOLIO_VALUE (marks), POSITION and POSITION_END, and snapshot requests.
import type { Contract } from '../contract.js';
import type { FeedEventOf } from '../events.js';
import { Decimal, decimalEquals, sameDecimal } from '../money.js';
import { PMap } from '../pmap.js';
import type { PortfolioRow, PortfolioState, PositionRow, UnknownQuantityRow } from '../state.js';
import { acceptAccount, dropOtherAccount, dropOtherAccountInto, touched, type Draft } from './common.js';

/** Same facts (ignoring when they arrived)? Then keep the old row so memoised views skip it. */
function samePortfolio(a: PortfolioRow, b: PortfolioRow): boolean {
  return (
    eq(a.position, b.position) &&
    eq(a.marketPrice, b.marketPrice) &&
    eq(a.marketValue, b.marketValue) &&
    eq(a.averageCost, b.averageCost) &&
    eq(a.unrealizedPnl, b.unrealizedPnl) &&
    eq(a.realizedPnl, b.realizedPnl)
  );
}

function eq(a: Decimal | undefined, b: Decimal | undefined): boolean {
  return a === undefined ? b === undefined : b !== undefined && decimalEquals(a, b);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The old Decimal when the new one is the same, so that rows share unchanged values instead of holding copies. */
function keep(old: Decimal | undefined, next: Decimal): Decimal {
  return old !== undefined && sameDecimal(old, next) ? old : next;
}

/** Same fields with the same values (Decimals by value); field order is not compared. */
function sameContract(a: Contract, b: Contract): boolean {
  if (a === b) return true;
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  let fields = 0;
  for (const k in rb) {
    fields++;
    const x = ra[k];
    const y = rb[k];
    if (x !== y && !(x instanceof Decimal && y instanceof Decimal && sameDecimal(x, y))) return false;
  }
  for (const _ in ra) fields--;
  return fields === 0;
}

/**
 * The row a mark makes, sharing what did not change with the row it replaces. Marks repeat the contract, the
 * position and often the costs; a row kept in state then points at the values it already had instead of
 * holding a freshly decoded contract and six new Decimals (with thousands of rows, that is most of what a long
 * replay keeps promoting into the old generation). Fields keep the event's order: keyframes are the state's JSON.
 */
function portfolioRow(ev: FeedEventOf<'portfolioUpdated'>, position: Decimal, old: PortfolioRow | undefined): PortfolioRow {
  // Built field by field in the order the source and the recording write a mark's fields (keyframes are the state's
  // JSON): an object rest (`{ type, seq, ...fields } = ev`) is a runtime call in V8, not an inline copy.
  const row: Mutable<PortfolioRow> = { account: ev.account, contract: ev.contract, position } as Mutable<PortfolioRow>;
  if (ev.marketPrice !== undefined) row.marketPrice = ev.marketPrice;
  if (ev.marketValue !== undefined) row.marketValue = ev.marketValue;
  if (ev.averageCost !== undefined) row.averageCost = ev.averageCost;
  if (ev.unrealizedPnl !== undefined) row.unrealizedPnl = ev.unrealizedPnl;
  if (ev.realizedPnl !== undefined) row.realizedPnl = ev.realizedPnl;
  row.updatedAt = ev.receivedAt;
  if (old !== undefined) {
    if (sameContract(old.contract, row.contract)) row.contract = old.contract;
    row.position = keep(old.position, row.position);
    if (row.marketPrice !== undefined) row.marketPrice = keep(old.marketPrice, row.marketPrice);
    if (row.marketValue !== undefined) row.marketValue = keep(old.marketValue, row.marketValue);
    if (row.averageCost !== undefined) row.averageCost = keep(old.averageCost, row.averageCost);
    if (row.unrealizedPnl !== undefined) row.unrealizedPnl = keep(old.unrealizedPnl, row.unrealizedPnl);
    if (row.realizedPnl !== undefined) row.realizedPnl = keep(old.realizedPnl, row.realizedPnl);
  }
  return row;
}

/** Upserts a row by conId; a zero position removes it. */
function put<R extends { readonly position: { isZero(): boolean } }>(
  map: PMap<number, R>,
  conId: number,
  row: R,
  same: (a: R, b: R) => boolean,
): PMap<number, R> {
  if (row.position.isZero()) return map.delete(conId);
  const old = map.get(conId);
  return old && same(old, row) ? map : map.set(conId, row);
}

/**
 * A row whose quantity TWS did not give (NaN, infinite, unset): it leaves the stream's map, where its old quantity
 * would pass for current and a 0 would make it vanish, and is kept under `stream:conId` until a usable quantity comes.
 */
function unknownQuantity(
  state: PortfolioState,
  ev: FeedEventOf<'portfolioUpdated' | 'positionUpdated'>,
  stream: UnknownQuantityRow['stream'],
  account: string | undefined,
): PortfolioState {
  const conId = ev.contract.conId;
  const row: UnknownQuantityRow = {
    account: ev.account || (account ?? ''),
    contract: ev.contract,
    stream,
    sent: ev.unknownQuantity ?? 'nothing',
    updatedAt: ev.receivedAt,
    ...('marketPrice' in ev && ev.marketPrice !== undefined ? { marketPrice: ev.marketPrice } : {}),
  };
  const pending = state.pending[stream];
  return {
    ...state,
    account,
    [stream]: state[stream].delete(conId),
    unknownQuantities: state.unknownQuantities.set(`${stream}:${conId}`, row),
    pending: pending ? { ...state.pending, [stream]: pending.delete(conId) } : state.pending,
    lastUpdate: touched(state, ev),
  };
}

/** A usable quantity for the row ends its unknown entry from the same stream. */
function known(state: PortfolioState, stream: UnknownQuantityRow['stream'], conId: number): PortfolioState['unknownQuantities'] {
  // Nearly always empty: no key is built and hashed for every mark.
  if (state.unknownQuantities.size === 0) return state.unknownQuantities;
  const k = `${stream}:${conId}`;
  return state.unknownQuantities.get(k) === undefined ? state.unknownQuantities : state.unknownQuantities.delete(k);
}

export function portfolioUpdated(state: PortfolioState, ev: FeedEventOf<'portfolioUpdated'>): PortfolioState {
  if (ev.position === undefined) {
    const acc = acceptAccount(state, ev.account);
    return acc.accepted ? unknownQuantity(state, ev, 'portfolio', acc.account) : dropOtherAccount(state);
  }
  const d: Draft = { ...state };
  portfolioUpdatedInto(d, ev, ev.position);
  return d;
}

/**
 * `portfolioUpdated` on a draft (reducer.ts `reduceBatch`), for a mark with a usable quantity (one without goes
 * through `portfolioUpdated`, whose computed keys are no hot path). `made`: the rows this run made (see
 * `optionComputedInto` in market.ts); a mark for one of them, with the same fields present, sets them in place.
 */
export function portfolioUpdatedInto(d: Draft, ev: FeedEventOf<'portfolioUpdated'>, position: Decimal, made?: Set<object>): void {
  const acc = acceptAccount(d, ev.account);
  if (!acc.accepted) return dropOtherAccountInto(d);
  const conId = ev.contract.conId;
  const old = d.portfolio.get(conId);
  const pending = d.pending.portfolio;
  d.account = acc.account;
  if (old !== undefined && pending === undefined && made !== undefined && made.has(old) && sameFieldsPresent(old, ev) && !position.isZero()) {
    if (!sameMark(old, ev, position)) markInPlace(old as Mutable<PortfolioRow>, ev, position);
  } else {
    const row = portfolioRow(ev, position, old);
    const before = d.portfolio;
    d.portfolio = put(before, conId, row, samePortfolio);
    if (made !== undefined && d.portfolio !== before && !position.isZero()) made.add(row);
    if (pending) d.pending = { ...d.pending, portfolio: put(pending, conId, row, samePortfolio) };
  }
  d.unknownQuantities = known(d, 'portfolio', conId);
  d.lastUpdate = touched(d, ev);
}

/** The mark gives the same optional fields as the row holds: set in place, the row keeps its key order. */
function sameFieldsPresent(row: PortfolioRow, ev: FeedEventOf<'portfolioUpdated'>): boolean {
  return (
    (row.marketPrice === undefined) === (ev.marketPrice === undefined) &&
    (row.marketValue === undefined) === (ev.marketValue === undefined) &&
    (row.averageCost === undefined) === (ev.averageCost === undefined) &&
    (row.unrealizedPnl === undefined) === (ev.unrealizedPnl === undefined) &&
    (row.realizedPnl === undefined) === (ev.realizedPnl === undefined)
  );
}

/** `samePortfolio` of the row and the one the mark would make, for a mark with the row's fields present. */
function sameMark(row: PortfolioRow, ev: FeedEventOf<'portfolioUpdated'>, position: Decimal): boolean {
  return (
    eq(row.position, position) &&
    eq(row.marketPrice, ev.marketPrice) &&
    eq(row.marketValue, ev.marketValue) &&
    eq(row.averageCost, ev.averageCost) &&
    eq(row.unrealizedPnl, ev.unrealizedPnl) &&
    eq(row.realizedPnl, ev.realizedPnl)
  );
}

/** What `portfolioRow` makes from the mark and the row it replaces, set into that row (same fields present). */
function markInPlace(row: Mutable<PortfolioRow>, ev: FeedEventOf<'portfolioUpdated'>, position: Decimal): void {
  row.account = ev.account;
  if (!sameContract(row.contract, ev.contract)) row.contract = ev.contract;
  row.position = keep(row.position, position);
  if (ev.marketPrice !== undefined) row.marketPrice = keep(row.marketPrice, ev.marketPrice);
  if (ev.marketValue !== undefined) row.marketValue = keep(row.marketValue, ev.marketValue);
  if (ev.averageCost !== undefined) row.averageCost = keep(row.averageCost, ev.averageCost);
  if (ev.unrealizedPnl !== undefined) row.unrealizedPnl = keep(row.unrealizedPnl, ev.unrealizedPnl);
  if (ev.realizedPnl !== undefined) row.realizedPnl = keep(row.realizedPnl, ev.realizedPnl);
  row.updatedAt = ev.receivedAt;
}

function samePosition(a: PositionRow, b: PositionRow): boolean {
  return eq(a.position, b.position) && eq(a.averageCost, b.averageCost);
}

export function positionUpdated(state: PortfolioState, ev: FeedEventOf<'positionUpdated'>): PortfolioState {
  const acc = acceptAccount(state, ev.account);
  if (!acc.accepted) return dropOtherAccount(state);
  if (ev.position === undefined) return unknownQuantity(state, ev, 'positions', acc.account);
  const conId = ev.contract.conId;
  const old = state.positions.get(conId);
  const row: PositionRow = {
    account: ev.account,
    contract: old !== undefined && sameContract(old.contract, ev.contract) ? old.contract : ev.contract,
    position: keep(old?.position, ev.position),
    updatedAt: ev.receivedAt,
    ...(ev.averageCost ? { averageCost: keep(old?.averageCost, ev.averageCost) } : {}),
  };
  const pending = state.pending.positions;
  return {
    ...state,
    account: acc.account,
    positions: put(state.positions, conId, row, samePosition),
    unknownQuantities: known(state, 'positions', conId),
    pending: pending ? { ...state.pending, positions: put(pending, conId, row, samePosition) } : state.pending,
    lastUpdate: touched(state, ev),
  };
}

export function positionsEnded(state: PortfolioState, ev: FeedEventOf<'positionsEnded'>): PortfolioState {
  const { positions, ...rest } = state.pending;
  return {
    ...state,
    positions: positions ?? state.positions,
    pending: rest,
    complete: { ...state.complete, positions: true },
    lastUpdate: touched(state, ev),
  };
}

/** The unknown entries of one stream dropped: a new snapshot lists again those that are still unknown. */
function withoutUnknown(state: PortfolioState, stream: UnknownQuantityRow['stream']): PortfolioState['unknownQuantities'] {
  let m = state.unknownQuantities;
  for (const [k, r] of m.entries()) if (r.stream === stream) m = m.delete(k);
  return m;
}

/**
 * Starts collecting a fresh snapshot; the live map stays visible (and current) until the *End message swaps it in.
 * Unknown-quantity rows of the stream go at once (they hold no number to keep showing): the snapshot repeats those
 * still unknown, and one TWS no longer lists cannot linger and block flattening for good.
 */
export function snapshotRequested(state: PortfolioState, ev: FeedEventOf<'snapshotRequested'>): PortfolioState {
  switch (ev.snapshot) {
    case 'positions':
      return {
        ...state,
        pending: { ...state.pending, positions: PMap.empty() },
        unknownQuantities: withoutUnknown(state, 'positions'),
        complete: { ...state.complete, positions: false },
      };
    case 'account':
      return {
        ...state,
        unknownQuantities: withoutUnknown(state, 'portfolio'),
        pending: { ...state.pending, portfolio: PMap.empty(), accountValues: PMap.empty() },
        complete: { ...state.complete, accountDownload: false },
      };
    case 'accountSummary':
      return { ...state, complete: { ...state.complete, accountSummary: false } };
    case 'openOrders':
      return { ...state, complete: { ...state.complete, openOrders: false } };
  }
}
