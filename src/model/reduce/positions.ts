// Position handlers: PORTFOLIO_VALUE (marks), POSITION and POSITION_END, and snapshot requests.
import type { Contract } from '../contract.js';
import type { FeedEventOf } from '../events.js';
import { Decimal, decimalEquals, sameDecimal } from '../money.js';
import { PMap } from '../pmap.js';
import type { PortfolioRow, PortfolioState, PositionRow } from '../state.js';
import { acceptAccount, dropOtherAccount, touched } from './common.js';

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
function portfolioRow(ev: FeedEventOf<'portfolioUpdated'>, old: PortfolioRow | undefined): PortfolioRow {
  const { type: _t, seq: _s, receivedAt, ...fields } = ev;
  const row: Mutable<PortfolioRow> = { ...fields, updatedAt: receivedAt };
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

export function portfolioUpdated(state: PortfolioState, ev: FeedEventOf<'portfolioUpdated'>): PortfolioState {
  const acc = acceptAccount(state, ev.account);
  if (!acc.accepted) return dropOtherAccount(state);
  const conId = ev.contract.conId;
  const row = portfolioRow(ev, state.portfolio.get(conId));
  const pending = state.pending.portfolio;
  return {
    ...state,
    account: acc.account,
    portfolio: put(state.portfolio, conId, row, samePortfolio),
    pending: pending ? { ...state.pending, portfolio: put(pending, conId, row, samePortfolio) } : state.pending,
    lastUpdate: touched(state, ev),
  };
}

function samePosition(a: PositionRow, b: PositionRow): boolean {
  return eq(a.position, b.position) && eq(a.averageCost, b.averageCost);
}

export function positionUpdated(state: PortfolioState, ev: FeedEventOf<'positionUpdated'>): PortfolioState {
  const acc = acceptAccount(state, ev.account);
  if (!acc.accepted) return dropOtherAccount(state);
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

/** Starts collecting a fresh snapshot; the live map stays visible (and current) until the *End message swaps it in. */
export function snapshotRequested(state: PortfolioState, ev: FeedEventOf<'snapshotRequested'>): PortfolioState {
  switch (ev.snapshot) {
    case 'positions':
      return { ...state, pending: { ...state.pending, positions: PMap.empty() }, complete: { ...state.complete, positions: false } };
    case 'account':
      return {
        ...state,
        pending: { ...state.pending, portfolio: PMap.empty(), accountValues: PMap.empty() },
        complete: { ...state.complete, accountDownload: false },
      };
    case 'accountSummary':
      return { ...state, complete: { ...state.complete, accountSummary: false } };
    case 'openOrders':
      return { ...state, complete: { ...state.complete, openOrders: false } };
  }
}
