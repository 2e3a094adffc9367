// Alert handlers: the alerts the operator was shown, folded from recorded alertChanged events and acknowledgements.
import type { AlertSeverity, FeedEvent, FeedEventOf, JsonValue } from '../events.js';
import type { PMap } from '../pmap.js';
import type { AlertRow, PortfolioState } from '../state.js';

/*
 * DESIGN.md "Alerts are recorded facts": the alert engine (src/risk/alerts) runs in the session core and publishes
 * each transition as an alertChanged event; the state keeps what those events said, so that a replay lists what
 * the operator was shown, never what today's rules would say. These handlers touch `alerts` only (no freshness
 * stamp, no other field), so the portfolio facts of a recording fold exactly as they did before alerts were kept.
 */

const SEVERITIES: ReadonlySet<string> = new Set<AlertSeverity>(['info', 'warning', 'critical']);

type JsonObject = { readonly [k: string]: JsonValue };

const num = (v: JsonValue | undefined, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/**
 * The row a recorded alert describes, or undefined when it names no alert (no id, or an unknown severity): such an
 * event stays in the recording and the operator log, but lists nothing rather than a guess.
 */
export function alertRowOf(alert: JsonObject, at: number): AlertRow | undefined {
  const id = alert.id;
  const severity = alert.severity;
  if (typeof id !== 'string' || id === '' || typeof severity !== 'string' || !SEVERITIES.has(severity)) return undefined;
  const raisedAt = num(alert.raisedAt, at);
  const acknowledgedAt = alert.acknowledgedAt;
  return {
    id,
    rule: typeof alert.rule === 'string' ? alert.rule : id,
    severity: severity as AlertSeverity,
    title: typeof alert.title === 'string' ? alert.title : id,
    detail: alert.detail ?? null,
    firstSeenAt: num(alert.firstSeenAt, raisedAt),
    raisedAt,
    lastSeenAt: num(alert.lastSeenAt, at),
    acknowledged: alert.acknowledged === true,
    ...(typeof acknowledgedAt === 'number' ? { acknowledgedAt } : {}),
    ...(alert.reduction !== undefined && alert.reduction !== null ? { reduction: alert.reduction } : {}),
    changedAt: at,
  };
}

/** The alerts after one event: a transition sets or removes its row, an acknowledgement marks the rows it names. */
export function foldAlerts(alerts: PMap<string, AlertRow>, ev: FeedEvent): PMap<string, AlertRow> {
  if (ev.type === 'alertChanged') {
    const row = alertRowOf(ev.alert, ev.at);
    if (!row) return alerts;
    return ev.kind === 'cleared' ? alerts.delete(row.id) : alerts.set(row.id, row);
  }
  if (ev.type === 'operatorActed' && ev.action === 'alertAcknowledged') {
    let out = alerts;
    for (const id of ev.detail.ids) {
      const row = out.get(id);
      if (row && !row.acknowledged) out = out.set(row.id, { ...row, acknowledged: true, acknowledgedAt: ev.receivedAt });
    }
    return out;
  }
  return alerts;
}

export function alertChanged(state: PortfolioState, ev: FeedEventOf<'alertChanged'>): PortfolioState {
  const alerts = foldAlerts(state.alerts, ev);
  return alerts === state.alerts ? state : { ...state, alerts };
}
