// Freshness: ages are derived from the last update per stream and a clock, never stored as flags.
import type { StreamName } from './events.js';
import type { PortfolioState } from './state.js';

/** Milliseconds since the stream last updated, or undefined if it never did. */
export function streamAge(state: PortfolioState, stream: StreamName, now: number): number | undefined {
  const at = state.lastUpdate[stream];
  return at === undefined ? undefined : Math.max(0, now - at);
}

/**
 * Default staleness limits. TWS pushes account values only on change and about every 3 minutes
 * (risk-model.md §1.2), so their limit is longer than a quote's.
 */
export const STALE_AFTER_MS: Readonly<Partial<Record<StreamName, number>>> = {
  accountValues: 200_000,
  accountSummary: 200_000,
  portfolio: 200_000,
  marketData: 30_000,
  optionComputations: 60_000,
};

/**
 * Is the stream stale now? It is when it never arrived, when it is older than its limit, when the connection is
 * not usable (data cannot be current without a connection, whatever its age), or while the login does not manage
 * the account shown (accountChange): nothing about that account can arrive.
 */
export function isStale(state: PortfolioState, stream: StreamName, now: number, limits = STALE_AFTER_MS): boolean {
  if (state.health !== 'ready' && state.health !== 'degraded') return true;
  if (accountLost(state)) return true;
  const age = streamAge(state, stream, now);
  if (age === undefined) return true;
  const limit = limits[stream];
  return limit !== undefined && age > limit;
}

/** Does the login in use no longer manage the account this state describes (a reconnect landed on another login)? */
export function accountLost(state: PortfolioState): boolean {
  return state.accountChange !== undefined && state.accountChange.until === undefined;
}
