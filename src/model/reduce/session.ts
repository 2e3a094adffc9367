// Session handlers: health transitions, TWS messages and operator actions.
import { legacyCause } from '../connection.js';
import type { FeedEventOf } from '../events.js';
import { ACTION_HISTORY, MESSAGE_HISTORY, type Arming, type OperatorActionRow, type PortfolioState } from '../state.js';
import { foldAlerts } from './alerts.js';
import { touched } from './common.js';

export function healthChanged(state: PortfolioState, ev: FeedEventOf<'healthChanged'>): PortfolioState {
  const endpoint =
    ev.host !== undefined && ev.port !== undefined && ev.clientId !== undefined ? { host: ev.host, port: ev.port, clientId: ev.clientId } : state.endpoint;
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

/**
 * The arming after one operator event: an armed event with its expiry arms, a disarmed event ends it, others leave it.
 * An armed event without `until` (schema-1 files only) is not an arming anyone can honour: it changes nothing.
 */
export function nextArming(arming: Arming | undefined, row: OperatorActionRow): Arming | undefined {
  if (row.action === 'armed')
    return row.detail.until === undefined ? arming : { account: row.detail.account, by: row.detail.by, at: row.at, until: row.detail.until };
  if (row.action === 'disarmed') return undefined;
  return arming;
}

/** The state with `arming` set, or removed when undefined (a disarmed state has no such key, as before schema 2). */
export function withArming(state: PortfolioState, arming: Arming | undefined): PortfolioState {
  if (arming === state.arming) return state;
  const { arming: _old, ...rest } = state;
  return arming ? { ...rest, arming } : rest;
}

export function operatorActed(state: PortfolioState, ev: FeedEventOf<'operatorActed'>): PortfolioState {
  const row = { seq: ev.seq, at: ev.receivedAt, action: ev.action, detail: ev.detail } as OperatorActionRow;
  // An acknowledgement marks the recorded alerts it names (model/reduce/alerts.ts); other actions leave them.
  const alerts = foldAlerts(state.alerts, ev);
  const next = {
    ...state,
    ...(alerts !== state.alerts ? { alerts } : {}),
    operatorActions: appendBounded(state.operatorActions, row, ACTION_HISTORY),
    lastUpdate: touched(state, ev),
  };
  return withArming(next, nextArming(state.arming, row));
}

/** A record of what the guard daemon did (docs/guard.md "Recording"): the portfolio is what TWS says it is. */
export function guardActed(state: PortfolioState, ev: FeedEventOf<'guardActed'>): PortfolioState {
  return { ...state, lastUpdate: touched(state, ev) };
}
