// The reducer: PortfolioState as a pure, deterministic fold of FeedEvents. One handler per event type.
import type { FeedEvent } from './events.js';
import * as alerts from './reduce/alerts.js';
import * as account from './reduce/account.js';
import * as market from './reduce/market.js';
import * as orders from './reduce/orders.js';
import * as positions from './reduce/positions.js';
import * as session from './reduce/session.js';
import type { Draft } from './reduce/common.js';
import { INITIAL_STATE, type PortfolioState } from './state.js';

/** The state after `ev`: `state` itself when nothing changes, otherwise a new object (`reduce` stamps it in place). */
function apply(state: PortfolioState, ev: FeedEvent): PortfolioState {
  switch (ev.type) {
    case 'healthChanged':
      return session.healthChanged(state, ev);
    case 'snapshotRequested':
      return positions.snapshotRequested(state, ev);
    case 'managedAccountsReceived':
      return account.managedAccountsReceived(state, ev);
    case 'accountChanged':
      return account.accountChanged(state, ev);
    case 'accountValueUpdated':
      return account.accountValueUpdated(state, ev);
    case 'accountTimeUpdated':
      return account.accountTimeUpdated(state, ev);
    case 'brokerTimeReceived':
      return session.brokerTimeReceived(state, ev);
    case 'accountDownloadEnded':
      return account.accountDownloadEnded(state, ev);
    case 'accountSummaryUpdated':
      return account.accountSummaryUpdated(state, ev);
    case 'accountSummaryEnded':
      return account.accountSummaryEnded(state, ev);
    case 'portfolioUpdated':
      return positions.portfolioUpdated(state, ev);
    case 'positionUpdated':
      return positions.positionUpdated(state, ev);
    case 'positionsEnded':
      return positions.positionsEnded(state, ev);
    case 'priceTicked':
      return market.priceTicked(state, ev);
    case 'optionComputed':
      return market.optionComputed(state, ev);
    case 'dividendsReceived':
      return market.dividendsReceived(state, ev);
    case 'pnlUpdated':
      return market.pnlUpdated(state, ev);
    case 'openOrderUpdated':
      return orders.openOrderUpdated(state, ev);
    case 'openOrdersEnded':
      return orders.openOrdersEnded(state, ev);
    case 'orderStatusUpdated':
      return orders.orderStatusUpdated(state, ev);
    case 'executionReceived':
      return orders.executionReceived(state, ev);
    case 'executionsEnded':
      return orders.executionsEnded(state, ev);
    case 'commissionReceived':
      return orders.commissionReceived(state, ev);
    case 'brokerMessage':
      return session.brokerMessage(state, ev);
    case 'operatorActed':
      return session.operatorActed(state, ev);
    case 'guardActed':
      return session.guardActed(state, ev);
    case 'alertChanged':
      // A record of what the alert engine said (docs/alerts.md "Recording"): only `alerts` changes.
      return alerts.alertChanged(state, ev);
    default: {
      const never: never = ev;
      throw new Error(`unhandled event ${(never as { type: string }).type}`);
    }
  }
}

/**
 * Folds one event into the state. An event at or below `lastSeq` was already applied (a keyframe overlap or a
 * duplicated delivery) and returns the same state reference.
 */
export function reduce(state: PortfolioState, ev: FeedEvent): PortfolioState {
  if (ev.seq <= state.lastSeq) return state;
  const next = apply(state, ev);
  if (next === state) return { ...state, lastSeq: ev.seq, lastEventAt: ev.receivedAt };
  // A handler's result is a new object (a spread of `state`) that nothing else holds yet: it takes the stamp in
  // place instead of being copied once more. That copy was a whole state object per event, garbage that a long
  // replay pays for in scavenges.
  const stamped = next as { -readonly [K in keyof PortfolioState]: PortfolioState[K] };
  stamped.lastSeq = ev.seq;
  stamped.lastEventAt = ev.receivedAt;
  return stamped;
}

/**
 * Folds a run of events into one new state: what `reduceAll` gives, but the busy market-data events set fields of one
 * copy instead of each making a new state (a spread of some forty fields per event: the feed's costliest step after
 * the wire's own decoding, and most of its garbage). The states between the events are never made, so only callers
 * that need no state per event use it (streams/feed.ts: one socket read's market data). Returns `state` itself when
 * every event was already applied.
 */
export function reduceBatch(state: PortfolioState, events: readonly FeedEvent[]): PortfolioState {
  // `owned`: `cur` is a copy made here (nothing else holds it), which may be set in place.
  let cur = state;
  let owned = false;
  // Rows made by this run (option, price and portfolio rows): nothing outside it has seen them, so they may be set in place.
  const made = new Set<object>();
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    if (ev.seq <= cur.lastSeq) continue;
    if (!owned) {
      cur = { ...cur };
      owned = true;
    }
    const d = cur as Draft;
    switch (ev.type) {
      case 'optionComputed':
        market.optionComputedInto(d, ev, made);
        break;
      case 'portfolioUpdated':
        if (ev.position !== undefined) positions.portfolioUpdatedInto(d, ev, ev.position, made);
        else cur = apply(d, ev);
        break;
      case 'priceTicked':
        market.priceTickedInto(d, ev, made);
        break;
      case 'accountSummaryUpdated':
        account.accountSummaryUpdatedInto(d, ev);
        break;
      case 'accountTimeUpdated':
        account.accountTimeUpdatedInto(d, ev);
        break;
      case 'pnlUpdated':
        market.pnlUpdatedInto(d, ev);
        break;
      default:
        // Every other handler makes a new object (or returns the one it was given), which is then ours to stamp.
        cur = apply(d, ev);
    }
    const stamped = cur as Draft;
    stamped.lastSeq = ev.seq;
    stamped.lastEventAt = ev.receivedAt;
  }
  return cur;
}

/** Folds a whole sequence from the initial (or a given) state. */
export function reduceAll(events: Iterable<FeedEvent>, from: PortfolioState = INITIAL_STATE): PortfolioState {
  let s = from;
  for (const ev of events) s = reduce(s, ev);
  return s;
}
