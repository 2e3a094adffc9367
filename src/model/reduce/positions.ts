// Position handlers: PORTFOLIO_VALUE (marks), POSITION and POSITION_END, and snapshot requests.
import type { FeedEventOf } from '../events.js';
import { PMap } from '../pmap.js';
import type { PortfolioRow, PortfolioState, PositionRow } from '../state.js';
import { acceptAccount, dropOtherAccount, touched } from './common.js';

/** Same facts (ignoring when they arrived)? Then keep the old row so memoised views skip it. */
function samePortfolio(a: PortfolioRow, b: PortfolioRow): boolean {
  return (
    a.position.equals(b.position) &&
    eq(a.marketPrice, b.marketPrice) &&
    eq(a.marketValue, b.marketValue) &&
    eq(a.averageCost, b.averageCost) &&
    eq(a.unrealizedPnl, b.unrealizedPnl) &&
    eq(a.realizedPnl, b.realizedPnl)
  );
}

function eq(a: { equals(x: never): boolean } | undefined, b: unknown): boolean {
  return a === undefined ? b === undefined : b !== undefined && a.equals(b as never);
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
  const { type: _t, seq: _s, receivedAt, ...fields } = ev;
  const row: PortfolioRow = { ...fields, updatedAt: receivedAt };
  const conId = ev.contract.conId;
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
  return a.position.equals(b.position) && eq(a.averageCost, b.averageCost);
}

export function positionUpdated(state: PortfolioState, ev: FeedEventOf<'positionUpdated'>): PortfolioState {
  const acc = acceptAccount(state, ev.account);
  if (!acc.accepted) return dropOtherAccount(state);
  const row: PositionRow = {
    account: ev.account,
    contract: ev.contract,
    position: ev.position,
    updatedAt: ev.receivedAt,
    ...(ev.averageCost ? { averageCost: ev.averageCost } : {}),
  };
  const conId = ev.contract.conId;
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
