// The Alerts and log pane: conditions that need the operator now, then TWS messages and operator actions, newest first.
import { contractLabel } from '../../model/contract.js';
import type { PortfolioState } from '../../model/state.js';
import { alertTitleAt, type Alert } from '../../risk/alerts/index.js';
import { age, clock, count, ellipsis, fitColumns, money, textWidth, type ColumnSpec } from '../format.js';
import { groupedQuantityText } from '../../model/money.js';
import type { OperatorEvent } from '../../model/events.js';
import type { RiskResult } from '../../session/stress-model.js';
import type { Slot } from '../theme.js';
import type { ListUi } from '../ui-state.js';
import { RowCache, filterMatcher, listInfo, listVM, windowRows, type Cell, type ListVM, type RowVM } from './common.js';

/** One line of the pane's top part: an alert of the engine, or a notice about the console itself. */
export interface AlertLine {
  readonly level: 'critical' | 'warning' | 'info';
  readonly text: string;
  /** Seen by the operator (`a`): shown dimmed, still listed until the condition clears. */
  readonly acknowledged?: boolean;
}

const LEVEL_SLOT: Readonly<Record<AlertLine['level'], Slot>> = { critical: 'risk.breach', warning: 'risk.warn', info: 'muted' };

/**
 * The engine's alerts (src/risk/alerts: debounced, with cool-down and acknowledgement; docs/alerts.md), then what
 * only the console knows: positions the stress engine could not price, a recording that stopped, settings problems.
 */
export function alertLines(
  state: PortfolioState,
  alerts: readonly Alert[],
  risk: RiskResult | undefined,
  now: number,
  problems: readonly string[],
): AlertLine[] {
  const out: AlertLine[] = alerts.map((a) => ({
    level: a.severity,
    // The mark comes first, where a narrow pane cannot cut it off. Ages in a title count on `now`: the console's clock
    // live, the player's in a replay (whose recorded title kept the age of its raise).
    text: `${a.severity.toUpperCase()} ${a.acknowledged ? '[ack] ' : ''}${alertTitleAt(a, now)} · ${age(now - a.raisedAt)}`,
    ...(a.acknowledged ? { acknowledged: true } : {}),
  }));
  if (risk && !risk.ok && state.portfolio.size > 0 && state.account) out.push({ level: 'warning', text: `NOTICE Stress not available: ${risk.error}` });
  if (risk?.ok && risk.model.unpriced.size > 0) {
    const names = [...risk.model.unpriced.keys()].map((id) => {
      const row = state.portfolio.get(id);
      return row ? contractLabel(row.contract) : String(id);
    });
    out.push({ level: 'warning', text: `NOTICE ${count(names.length, 'position')} UNPRICED, held at their mark in every scenario: ${names.join(', ')}` });
  }
  const stopped = state.operatorActions.find((a) => a.action === 'recorderStopped');
  // Said once: by the recording.stopped alert when the engine raised it, else (a replay of an older recording, the
  // rule turned off) by this notice.
  if (stopped?.action === 'recorderStopped' && !alerts.some((a) => a.rule === 'recording.stopped'))
    out.push({ level: 'warning', text: `NOTICE Recording STOPPED: ${stopped.detail.reason}; the session is no longer recorded` });
  for (const p of problems) out.push({ level: 'warning', text: `NOTICE ${p}` });
  return out;
}

export const LOG_COLUMNS: readonly ColumnSpec[] = [
  { id: 'time', header: 'Time', width: 8, align: 'left', priority: 0 },
  { id: 'kind', header: 'Kind', width: 10, align: 'left', priority: 1 },
  { id: 'code', header: 'Code', width: 5, align: 'right', priority: 2 },
  { id: 'text', header: 'Message', width: 20, align: 'left', priority: 0, flex: true },
];

const CLASS_SLOT: Readonly<Record<string, Slot>> = {
  error: 'risk.breach',
  connection: 'risk.warn',
  warning: 'risk.warn',
  order: 'text',
  data: 'muted',
  info: 'muted',
};

interface LogEntry {
  readonly id: string;
  readonly at: number;
  readonly seq: number;
  readonly source: object;
  readonly deps?: readonly unknown[];
  readonly make: () => RowVM;
}

const cache = new RowCache<object>();

/**
 * The contract a log line names by conId, in words: the order line the plan's dialog listed (what the operator read),
 * else the position, order or fill that carries it. Undefined for a contract this state never saw.
 */
export type ConIdLabel = (conId: number, planId?: string) => string | undefined;

/** The ConIdLabel of one state; the plans' shown order lines are indexed once per call. */
export function conIdLabels(state: PortfolioState): ConIdLabel {
  let shown: Map<string, string> | undefined;
  const fromDialogs = (conId: number, planId: string | undefined): string | undefined => {
    if (!shown) {
      shown = new Map();
      for (const a of state.operatorActions)
        if (a.action === 'dialogShown')
          for (const l of a.detail.legs ?? []) if (typeof l !== 'string' && l.contract) shown.set(`${a.detail.planId}|${l.conId}`, l.contract);
    }
    return shown.get(`${planId ?? ''}|${conId}`);
  };
  return (conId, planId) => {
    const read = fromDialogs(conId, planId);
    if (read) return read;
    const c =
      state.portfolio.get(conId)?.contract ??
      state.positions.get(conId)?.contract ??
      [...state.orders.values()].find((o) => o.info?.contract.conId === conId)?.info?.contract ??
      [...state.executions.values()].find((x) => x.contract.conId === conId)?.contract;
    return c ? contractLabel(c) : undefined;
  };
}

/** `conid:742168315` as a scope, with the contract beside it when known: `conid:742168315 CLJ6`. */
function scopeText(scope: string, planId: string, label: ConIdLabel): string {
  const m = /^conid:(\d+)$/.exec(scope);
  const name = m ? label(Number(m[1]), planId) : undefined;
  return name ? `${scope} ${name}` : scope;
}

/**
 * One operator action as the log shows it: what happened in words, times in local time, never raw JSON. Every order
 * names its contract (`SELL 100,000 EUR.USD`, README "Quantities") when `label` knows it, the conId otherwise.
 */
export function operatorText(e: OperatorEvent, label: ConIdLabel = () => undefined): string {
  switch (e.action) {
    case 'alertAcknowledged':
      return `acknowledged ${e.detail.ids.join(', ')}`;
    case 'armed':
      return `armed${e.detail.until !== undefined ? ` until ${clock(e.detail.until)}` : ''}${e.detail.by ? ` (${e.detail.by})` : ''}`;
    case 'disarmed':
      return `disarmed${e.detail.reason ? `: ${e.detail.reason}` : ''}`;
    case 'dialogShown':
      return `dialog shown: plan ${e.detail.planId}${e.detail.scope ? ` (${scopeText(e.detail.scope, e.detail.planId, label)})` : ''}${e.detail.legs ? `, ${count(e.detail.legs.length, 'order')}` : ''}`;
    case 'decision':
      // "cancel plan …" read as if orders had been cancelled: the operator declined the plan, nothing was sent.
      return `${e.detail.decision === 'confirm' ? 'confirmed' : 'declined'} plan ${e.detail.planId}${e.detail.by ? ` (${e.detail.by})` : ''}`;
    case 'ordersSent': {
      const d = e.detail;
      const what = label(d.conId, d.planId) ?? `conid:${d.conId}`;
      return `orders sent for plan ${d.planId}: order ${d.orderId} ${d.action} ${groupedQuantityText(String(d.quantity))} ${what} ${d.orderType}${d.limitPrice !== null ? ` ${d.limitPrice}` : ''}`;
    }
    case 'cancelsSent':
      return `orders sent for plan ${e.detail.planId} (cancel ${e.detail.cancel})${e.detail.orderIds.length > 0 ? `: order ${e.detail.orderIds.join(', ')}` : ''}`;
    case 'reconciled':
      return `reconciled order ${e.detail.orderId} of plan ${e.detail.planId}: ${e.detail.outcome}${e.detail.evidence ? ` (${e.detail.evidence})` : ''}`;
    case 'denied':
      return `refused ${e.detail.code}${e.detail.message ? `: ${e.detail.message}` : ''}`;
    case 'recorderStopped':
      return `recording stopped: ${e.detail.reason}`;
    case 'alertHook':
      return e.detail.message;
    case 'note':
      return `note ${e.detail.text}`;
  }
}

export interface AlertsVM {
  /** The alert lines that fit (the last says how many more), */
  readonly alerts: readonly Cell[];
  /** and every one of them, for the detail view. */
  readonly all: readonly Cell[];
  readonly list: ListVM;
}

/** "2 alerts, 1 new": how many are listed and how many the operator has not acknowledged yet. */
function alertCount(alerts: readonly Alert[]): string {
  if (alerts.length === 0) return count(0, 'alert');
  const fresh = alerts.filter((a) => !a.acknowledged).length;
  return `${count(alerts.length, 'alert')}, ${fresh === 0 ? 'all acked' : `${fresh} new`}`;
}

/**
 * The line in place of the alerts cut: how many, and where they all are (the pane's detail view, `allKeys`: the keys
 * that open it), said whole in `width` (the pane's leading space taken off): the longest that fits.
 */
function moreLine(hidden: number, total: number, width: number, allKeys: string | undefined): string {
  const head = `${ellipsis()} ${hidden} more`;
  const tries = allKeys
    ? [`${head} (${total} in all): ${allKeys} lists them all`, `${head}: ${allKeys} lists them all`, `${head}: ${allKeys}`]
    : [`${head} (${total} in all): a taller terminal shows them`];
  return tries.find((t) => textWidth(t) <= width - 1) ?? head;
}

/** Alerts take up to half the pane, and what the log leaves; the log fills the rest. */
export function alertsVM(
  state: PortfolioState,
  engineAlerts: readonly Alert[],
  risk: RiskResult | undefined,
  problems: readonly string[],
  ui: ListUi,
  width: number,
  height: number,
  now: number,
  allKeys?: string,
): AlertsVM {
  const alerts = alertLines(state, engineAlerts, risk, now, problems);
  const lines: Cell[] =
    alerts.length === 0
      ? [{ text: 'OK no alerts', slot: 'risk.ok' }]
      : alerts.map((a) => ({ text: a.text, slot: a.acknowledged ? 'muted' : LEVEL_SLOT[a.level] }));
  const matches = filterMatcher(ui.filter);
  const entries: LogEntry[] = [];
  for (const m of state.messages) {
    const kind = m.class;
    const text = m.id >= 0 ? `${m.message} (id ${m.id})` : m.message;
    if (!matches(`${kind} ${m.code} ${text}`)) continue;
    entries.push({
      id: `msg:${m.seq}`,
      at: m.receivedAt,
      seq: m.seq,
      source: m,
      make: () => ({
        id: `msg:${m.seq}`,
        kind: 'row',
        cells: {
          time: { text: clock(m.receivedAt), slot: 'muted' },
          kind: { text: kind, slot: CLASS_SLOT[kind] ?? 'text' },
          // Code 0 is a line of our own (a reconnect), not a TWS code: nothing to show.
          code: { text: m.code === 0 ? '' : String(m.code) },
          text: { text },
        },
      }),
    });
  }
  const label = conIdLabels(state);
  for (const a of state.operatorActions) {
    const text = operatorText(a, label);
    if (!matches(`operator ${text}`)) continue;
    entries.push({
      id: `op:${a.seq}`,
      at: a.at,
      seq: a.seq,
      source: a,
      // The text is a dependency: a contract first seen after the action names it from then on.
      deps: [text],
      make: () => ({
        id: `op:${a.seq}`,
        kind: 'row',
        cells: { time: { text: clock(a.at), slot: 'muted' }, kind: { text: 'operator', slot: 'key' }, code: { text: '' }, text: { text } },
      }),
    });
  }
  entries.sort((a, b) => b.seq - a.seq);
  const notices = alerts.length - engineAlerts.length;
  const all = state.messages.length + state.operatorActions.length;
  const logCount = ui.filter ? `${money(entries.length)} of ${count(all, 'log line')}` : count(entries.length, 'log line');
  /*
   * Alerts take up to half the pane, and the rows the log leaves empty (its header and its lines, "No messages" when
   * none): at 200x50 a short log left three rows empty under an alert list cut at three.
   */
  const room = Math.max(1, Math.floor((height - 1) / 2), height - 1 - Math.max(1, entries.length));
  const shown = lines.slice(0, room);
  if (shown.length < lines.length) shown[shown.length - 1] = { text: moreLine(lines.length - shown.length + 1, lines.length, width, allKeys), slot: 'muted' };
  const display = entries.map((e) => ({ id: e.id, kind: 'row' as const, e }));
  const logHeight = Math.max(1, height - shown.length - 1);
  const win = windowRows(display, ui, logHeight, (d) => cache.get(d.e.source, d.e.deps ?? [], d.e.make));
  return {
    alerts: shown,
    all: lines,
    list: listVM(
      'alerts',
      // The counts are of what the pane lists: alerts up top, then every log line (messages and operator actions).
      listInfo([alertCount(engineAlerts), notices > 0 && count(notices, 'notice'), logCount, ui.filter && `filter ${ui.filter}`]),
      fitColumns(LOG_COLUMNS, width),
      win,
      entries.length,
      ui.filter ? `No log line matches "${ui.filter}".` : 'No messages from TWS yet.',
      LOG_COLUMNS,
    ),
  };
}
