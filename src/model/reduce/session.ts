// Session handlers: health transitions, TWS messages and operator actions.
import { legacyCause } from '../connection.js';
import type { FeedEventOf } from '../events.js';
import { ACTION_HISTORY, MESSAGE_HISTORY, type PortfolioState } from '../state.js';
import { foldAlerts } from './alerts.js';
import { touched } from './common.js';

export function healthChanged(state: PortfolioState, ev: FeedEventOf<'healthChanged'>): PortfolioState {
  const endpoint =
    ev.host !== undefined && ev.port !== undefined && ev.clientId !== undefined
      ? { host: ev.host, port: ev.port, clientId: ev.clientId }
      : state.endpoint;
  const { healthReason: _old, healthCause: _oldCause, healthRetryAt: _oldRetry, ...rest } = state;
  const cause = ev.cause === undefined ? legacyCause(ev.health, ev.reason) : ev.cause;
  return {
    ...rest,
    health: ev.health,
    ...(ev.reason ? { healthReason: ev.reason } : {}),
    ...(cause ? { healthCause: cause } : {}),
    ...(ev.retryAt !== undefined ? { healthRetryAt: ev.retryAt } : {}),
    ...(endpoint ? { endpoint } : {}),
    lastUpdate: touched(state, ev),
  };
}

export function brokerTimeReceived(state: PortfolioState, ev: FeedEventOf<'brokerTimeReceived'>): PortfolioState {
  return { ...state, brokerTimeOffsetMs: ev.time - ev.receivedAt, lastUpdate: touched(state, ev) };
}

/** Appends to a bounded history: the state keeps the newest entries, the recording keeps all of them. */
function appendBounded<T>(list: readonly T[], item: T, max: number): readonly T[] {
  return list.length < max ? [...list, item] : [...list.slice(list.length - max + 1), item];
}

export function brokerMessage(state: PortfolioState, ev: FeedEventOf<'brokerMessage'>): PortfolioState {
  return { ...state, messages: appendBounded(state.messages, ev, MESSAGE_HISTORY), lastUpdate: touched(state, ev) };
}

export function operatorActed(state: PortfolioState, ev: FeedEventOf<'operatorActed'>): PortfolioState {
  const row = { seq: ev.seq, at: ev.receivedAt, action: ev.action, detail: ev.detail };
  // An acknowledgement marks the recorded alerts it names (model/reduce/alerts.ts); other actions leave them.
  const alerts = foldAlerts(state.alerts, ev);
  return { ...state, ...(alerts !== state.alerts ? { alerts } : {}), operatorActions: appendBounded(state.operatorActions, row, ACTION_HISTORY), lastUpdate: touched(state, ev) };
}

/** A record of what the guard daemon did (docs/guard.md "Recording"): the portfolio is what TWS says it is. */
export function guardActed(state: PortfolioState, ev: FeedEventOf<'guardActed'>): PortfolioState {
  return { ...state, lastUpdate: touched(state, ev) };
}
