// Alerts as JSON-safe values: for the recording (a transition per FeedEvent), `report --json` and the audit log.
import type { FeedEventOf, JsonValue } from '../../model/events.js';
import type { AlertRow } from '../../model/state.js';
import type { Alert, AlertTransition, ReductionTarget, RuleName } from './types.js';

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

/**
 * A recorded alert (PortfolioState.alerts, folded from alertChanged) as the Alerts pane and `report` list it. The
 * row was written by `alertJson`; a rule or reduction this version does not know is shown as recorded.
 */
export function alertOfRow(r: AlertRow): Alert {
  return {
    id: r.id,
    rule: r.rule as RuleName,
    severity: r.severity,
    title: r.title,
    detail: r.detail,
    firstSeenAt: r.firstSeenAt,
    raisedAt: r.raisedAt,
    lastSeenAt: r.lastSeenAt,
    acknowledged: r.acknowledged,
    ...(r.acknowledgedAt !== undefined ? { acknowledgedAt: r.acknowledgedAt } : {}),
    ...(r.reduction !== undefined && r.reduction !== null && typeof r.reduction === 'object' && !Array.isArray(r.reduction)
      ? { reduction: r.reduction as unknown as ReductionTarget }
      : {}),
  };
}
