// Helpers shared by the reducer's handlers: freshness stamps and the one-account rule.
import { STREAM_OF, type FeedEvent, type StreamName } from '../events.js';
import type { PortfolioState } from '../state.js';

/**
 * A state being built: a copy that nothing else holds yet, which handlers set field by field (`reduceBatch` folds a
 * run of events into one such copy instead of spreading a new state of some forty fields per event).
 */
export type Draft = { -readonly [K in keyof PortfolioState]: PortfolioState[K] };

/** Stamps the event's stream as updated at its receive time. */
export function touched(state: PortfolioState, ev: FeedEvent): PortfolioState['lastUpdate'] {
  const stream = STREAM_OF[ev.type];
  if (state.lastUpdate[stream] === ev.receivedAt) return state.lastUpdate;
  // Copied, then set: a spread with a computed key after it (`{ ...o, [k]: v }`) is built by V8's slow path, and it
  // was the reducer's most expensive line. Same keys in the same order (a new stream's key goes last).
  const next: { -readonly [K in StreamName]?: number } = { ...state.lastUpdate };
  next[stream] = ev.receivedAt;
  return next;
}

/**
 * Applies the one-account rule: the first account named by a row becomes the state's account; rows for any other
 * account are dropped and counted. Returns the account to use, or undefined to drop the row.
 */
export function acceptAccount(state: PortfolioState, account: string): { account?: string; accepted: boolean } {
  if (!account) return { account: state.account, accepted: true };
  if (state.account === undefined) return { account, accepted: true };
  return { account: state.account, accepted: state.account === account };
}

/** The state with an other-account row counted and nothing else changed except freshness. */
export function dropOtherAccount(state: PortfolioState): PortfolioState {
  return { ...state, otherAccountRows: state.otherAccountRows + 1 };
}

/** `dropOtherAccount` on a draft. */
export function dropOtherAccountInto(d: Draft): void {
  d.otherAccountRows = d.otherAccountRows + 1;
}
