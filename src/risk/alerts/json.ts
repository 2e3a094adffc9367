// Alerts as JSON-safe values: for the recording (a transition per FeedEvent), `report --json` and the audit log.
import type { FeedEventOf, JsonValue } from '../../model/events.js';
import type { Alert, AlertTransition } from './types.js';

/** An alert as plain JSON (no undefined fields). */
export function alertJson(a: Alert): { readonly [k: string]: JsonValue } {
  return {
    id: a.id,
    rule: a.rule,
    severity: a.severity,
    title: a.title,
    detail: a.detail,
    firstSeenAt: a.firstSeenAt,
    raisedAt: a.raisedAt,
    lastSeenAt: a.lastSeenAt,
    acknowledged: a.acknowledged,
    ...(a.acknowledgedAt !== undefined ? { acknowledgedAt: a.acknowledgedAt } : {}),
    ...(a.reduction ? { reduction: { ...a.reduction } } : {}),
  };
}

/** A transition as the body the wiring records (docs/alerts.md "Wiring"). */
export function transitionJson(t: AlertTransition): { readonly [k: string]: JsonValue } {
  return { kind: t.kind, at: t.at, ...(t.from ? { from: t.from } : {}), alert: alertJson(t.alert) };
}

/** The alertChanged FeedEvent body of one transition: what the console publishes and the recording keeps. */
export function alertChangedBody(t: AlertTransition): Omit<FeedEventOf<'alertChanged'>, 'seq' | 'receivedAt'> {
  return { type: 'alertChanged', kind: t.kind, at: t.at, ...(t.from ? { from: t.from } : {}), alert: alertJson(t.alert) };
}
