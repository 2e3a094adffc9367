// The console's trading wiring (issue 7): arming, locked plans, one send per dialog, the session's audit log.
import { join } from 'node:path';
import { dataDir } from '../config/load.js';
import type { CommandId } from '../keymap/bindings.js';
import { systemClock, type Clock } from '../model/clock.js';
import { contractLabel } from '../model/contract.js';
import type { FeedEventBody, JsonValue } from '../model/events.js';
import type { PortfolioState } from '../model/state.js';
import type { Contract } from '../model/contract.js';
import type { OrderRequest, OrderSnapshot, SendResult } from '../model/orders.js';
import { arm as armWith, DEFAULT_ARM_MS, DISARMED, isArmed, type ArmState, type TradeMode } from '../trading/arming.js';
import { AuditLog } from '../trading/audit.js';
import { executeCancel, executeFlatten, outcomeText, type ExecutionResult, type LegResult, type TradingDeps } from '../trading/execute.js';
import { guardAny } from '../trading/guard.js';
import { DEFAULT_COLLAR, isDenial, parseScope, planCancel, planFlatten, planReduce, scopeText } from '../trading/plan.js';
import { proposeForAlert, type Alert, type ReductionProposal } from '../risk/alerts/index.js';
import { formatDenial, isBulkScope, type CancelPlan, type Denial, type FlattenPlan, type FlattenScope } from '../trading/types.js';
import type { ConfirmOutcome, PreviewPlan, TradeProgress, TradeTarget, TradingActions } from '../views/trading-actions.js';
import { appVersion } from '../version.js';
import { planJson } from './plan-json.js';
import { afterFlatten, afterLines } from './after-flatten.js';

/** What the wiring needs from the live session. */
export interface ConsoleTradingSource {
  readonly ready: boolean;
  placeOrder(contract: Contract, order: OrderRequest): SendResult;
  cancelOrder(orderId: number): { ok: true } | { ok: false; reason: string };
  globalCancel(): { ok: true } | { ok: false; reason: string };
  /** Contract details (minimum tick) for marketable limits on the grid TWS accepts; optional for tests. */
  contractDetails?(conId: number): Promise<{ minTick?: number } | undefined>;
  /** Lost connections so far, and TWS's order lists now: orders out during a drop are reconciled (TwsSource). */
  readonly connectionEpoch?: number;
  orderSnapshot?(timeoutMs: number): Promise<OrderSnapshot | undefined>;
}

export interface ConsoleTradingOptions {
  readonly mode: TradeMode;
  readonly feed: {
    readonly state: PortfolioState;
    /** Every state (Feed.state$): a disconnect disarms at once, even one followed by a quick reconnect. */
    readonly state$?: { subscribe(next: (s: PortfolioState) => void): { unsubscribe(): void } };
    publish(body: FeedEventBody): unknown;
  };
  readonly source: ConsoleTradingSource;
  readonly clientId: number;
  /** Where the session's audit log goes; default `<data dir>/audit`. */
  readonly auditDir?: string;
  /** Time for arming expiry, plan ids and deadlines, and the watch and progress timers (default: the system clock). */
  readonly clock?: Clock;
  readonly armMs?: number;
  /** How long a send is followed before its orders count as timed out. */
  readonly timeoutMs?: number;
  /** How often expiry and the connection are checked (ms). */
  readonly watchMs?: number;
}

export interface ConsoleTrading extends TradingActions {
  /** The audit file, once the first trading action opened it. */
  readonly auditFile: string | undefined;
  /** Appends an alert transition (transitionJson) to the audit log if one is open; a closed or unopened log takes none. */
  recordAlert(transition: { readonly [k: string]: JsonValue }): void;
  /** Disarms (if armed), stops watching and closes the audit log. */
  close(reason: string): void;
}

/** A locked plan; `again` plans it anew from the state now (offered when TARGET_CHANGED refuses the locked one). */
type Locked =
  | { readonly kind: 'flatten'; readonly plan: FlattenPlan; readonly scope: FlattenScope; readonly again: () => PreviewPlan | string }
  | { readonly kind: 'cancel'; readonly plan: CancelPlan; readonly id: string };

/** A reduction metric as the dialog says it: money for ExcessLiquidity, a ratio, or a percentage. */
function metricText(p: ReductionProposal, v: number): string {
  if (!Number.isFinite(v)) return 'beyond the searched range';
  switch (p.target.kind) {
    case 'excessLiquidity':
      return Math.round(v).toLocaleString('en-US');
    case 'equityToMaint':
      return `${v.toFixed(2)}×`;
    default:
      return `${(v * 100).toFixed(1)}%`;
  }
}

/** What the reduction achieves, above the orders: the alert, the metric before and after, the proposal's notes. */
export function reductionLines(alert: Alert, p: ReductionProposal): string[] {
  // Short: the orders come first in the dialog and must stay on screen; every note is in the audit log in full.
  return [
    `For ${alert.severity.toUpperCase()} ${alert.id}: ${p.metric} now ${metricText(p, p.before)}, after ${metricText(p, p.after)} (limit ${metricText(p, p.limit)})${p.withinLimit ? '' : ' STILL OUTSIDE the limit'}`,
    ...(p.notes.length === 0 ? [] : [`note: ${p.notes[0]}${p.notes.length > 1 ? ` (+${p.notes.length - 1} more in the audit log)` : ''}`]),
  ];
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

const fmt = (n: { toFixed(d: number): string } | undefined) => (n === undefined ? '?' : Number(n.toFixed(0)).toLocaleString('en-US'));

/** A flatten plan as dialog lines: cancels first, then each order with action, quantity, contract, limit, notional. */
export function flattenLines(p: FlattenPlan): string[] {
  const lines = [`Account ${p.account} · scope ${scopeText(p.scope)} · ${p.cancels.length} cancel(s), ${p.legs.length} order(s)`];
  for (const c of p.cancels) lines.push(`first cancel ${c.description}`);
  for (const l of p.legs) {
    const px = l.orderType === 'LMT' ? `LMT ${l.limitPrice?.toString() ?? '?'}` : 'MKT';
    lines.push(`${l.action} ${l.quantity.toString()} ${contractLabel(l.contract)} ${px} ~${fmt(l.notionalBase)} ${p.baseCurrency}`);
  }
  if (p.totalNotionalBase) lines.push(`Total ~${fmt(p.totalNotionalBase)} ${p.baseCurrency} (marketable limits, collar ${DEFAULT_COLLAR * 100}%)`);
  for (const n of p.notes) lines.push(`note: ${n}`);
  return lines;
}

function cancelLines(c: CancelPlan): { title: string; lines: string[] } {
  switch (c.kind) {
    case 'order':
      return { title: 'Cancel order?', lines: [`Cancel ${c.description}`] };
    case 'client':
      return { title: 'Cancel this client\'s orders?', lines: [`Cancel ${c.orderIds.length} open order(s) of this client: ${c.orderIds.join(', ')}`] };
    case 'global':
      return {
        title: 'GLOBAL CANCEL?',
        lines: [
          `Cancels every open order of the account: ${c.openOrders} order(s).`,
          `This also cancels other clients' and manual TWS orders: ${c.otherClients} of them are not from this console.`,
        ],
      };
  }
}

function outcomeLine(l: LegResult): string {
  const id = l.orderId === undefined ? '' : `order ${l.orderId} `;
  const filled = l.outcome === 'filled' || Number(l.filled) > 0 ? ` (filled ${l.filled})` : '';
  return `${id}${l.label}: ${outcomeText(l.outcome).toUpperCase()}${filled}${l.code ? ` [${l.code} ${l.message ?? ''}]` : ''}${l.evidence ? `; ${l.evidence}` : ''}`;
}

/** Creates the console's trading actions on a live session. Nothing is sent unless `mode` is 'trade'. */
export function createConsoleTrading(o: ConsoleTradingOptions): ConsoleTrading {
  const clock = o.clock ?? systemClock;
  const now = () => clock.now();
  const armMs = o.armMs ?? DEFAULT_ARM_MS;
  let armState: ArmState = DISARMED;
  let audit: AuditLog | undefined;
  let closed = false;
  const locked = new Map<string, Locked>();
  let sending = false;

  const log = (): AuditLog => {
    audit ??= new AuditLog(join(o.auditDir ?? join(dataDir(), 'audit'), `tws-risk-audit-${stamp(now())}-console.jsonl`), {
      appVersion: appVersion(), account: o.feed.state.account ?? null, mode: 'console', meta: { clientId: o.clientId },
    }, now);
    return audit;
  };
  const publish = (action: string, detail: { [k: string]: JsonValue }) => o.feed.publish({ type: 'operatorActed', action, detail } as FeedEventBody);

  const recordDisarm = (reason: string) => {
    log().append({ kind: 'disarmed', detail: { reason } });
    publish('disarmed', { reason });
  };
  const disarm = (reason: string) => {
    if (!armState.armed) return;
    armState = DISARMED;
    recordDisarm(reason);
  };
  // Disarmed at once on the state that says not ready. The feed is mid-publish here: it queues the disarm right
  // after the event that caused it (streams/feed.ts), so the recording says why, in order.
  const states = o.feed.state$?.subscribe((s) => {
    if (!armState.armed || s.health === 'ready') return;
    armState = DISARMED;
    if (!closed) recordDisarm(`connection not ready (${s.health}${s.healthReason ? `: ${s.healthReason}` : ''})`);
  });

  // Arming ends by itself, and with the connection: a reconnect must be armed again.
  const watch = clock.setInterval(() => {
    if (!armState.armed) return;
    if (!isArmed(armState, now())) disarm('expired');
    else if (!o.source.ready || o.feed.state.health !== 'ready') disarm(`connection not ready (${o.feed.state.health})`);
  }, o.watchMs ?? 500);
  watch.unref?.();

  const deps = (): TradingDeps => ({
    mode: o.mode,
    state: () => o.feed.state,
    sourceReady: () => o.source.ready,
    arm: () => armState,
    clock,
    placeOrder: (contract, order) => o.source.placeOrder(contract, order),
    cancelOrder: (id) => o.source.cancelOrder(id),
    globalCancel: () => o.source.globalCancel(),
    publish: (b) => o.feed.publish(b),
    audit: log(),
    clientId: o.clientId,
    ...(o.source.connectionEpoch !== undefined ? { connectionEpoch: () => o.source.connectionEpoch ?? 0 } : {}),
    ...(o.source.orderSnapshot ? { orderSnapshot: (ms: number) => o.source.orderSnapshot!(ms) } : {}),
  });

  // Tick sizes, fetched once per conId when trading is armed, so a dialog (which must open at once) has them.
  const minTicks = new Map<number, number>();
  const fetchTicks = async () => {
    for (const row of o.feed.state.positions.values()) {
      const conId = row.contract.conId;
      if (minTicks.has(conId) || !o.source.contractDetails) continue;
      const d = await o.source.contractDetails(conId).catch(() => undefined);
      if (d?.minTick) minTicks.set(conId, d.minTick);
    }
  };

  const guardNow = (): Denial | undefined => guardAny({ mode: o.mode, state: o.feed.state, sourceReady: o.source.ready, arm: armState, now: now() });

  const flattenPreview = (scope: FlattenScope): PreviewPlan | string => {
    const plan = planFlatten(o.feed.state, scope, { clientId: o.clientId, orderType: 'LMT', collar: DEFAULT_COLLAR, minTicks, now: now() });
    if (isDenial(plan)) return formatDenial(plan);
    locked.set(plan.id, { kind: 'flatten', plan, scope, again: () => flattenPreview(scope) });
    const picture = afterFlatten(o.feed.state, plan, now());
    const shown = {
      title: isBulkScope(scope) ? `FLATTEN ${scopeText(scope)}?` : `Flatten ${contractLabel(plan.legs[0]!.contract)}?`,
      lines: [...flattenLines(plan), ...afterLines(picture, plan.baseCurrency)],
    };
    // The dialog's text is recorded with the plan, so a replay shows exactly what the operator read.
    const detail = { ...planJson(plan), afterFlatten: picture ?? null, shown } as { [k: string]: JsonValue };
    log().append({ kind: 'planShown', detail });
    publish('dialogShown', detail);
    return { id: plan.id, ...shown, ...(isBulkScope(scope) ? { word: 'FLATTEN' } : {}) };
  };

  /**
   * The leverage reduction an alert proposes, as a plan: the trims computed on the state now (proposeForAlert),
   * planned like a flatten (planReduce: reducing only, never past zero), locked, and confirmed after typing REDUCE.
   */
  const reducePreview = (alert: Alert): PreviewPlan | string => {
    if (!alert.reduction) return `${alert.id} has no leverage reduction (only the risk alerts do: cushion, margin, liquidation, concentration)`;
    const at = now();
    const proposal = proposeForAlert(o.feed.state, alert.reduction, at);
    if (proposal.error) return `No leverage reduction for ${alert.id}: ${proposal.error}`;
    if (proposal.trims.length === 0) {
      return proposal.withinLimit ? `Nothing to trim for ${alert.id}: ${proposal.metric} is inside its limit now` : `No trim helps ${alert.id}: ${proposal.notes[proposal.notes.length - 1] ?? ''}`;
    }
    const plan = planReduce(o.feed.state, proposal.trims, { clientId: o.clientId, orderType: 'LMT', collar: DEFAULT_COLLAR, minTicks, now: at });
    if (isDenial(plan)) return formatDenial(plan);
    locked.set(plan.id, { kind: 'flatten', plan, scope: plan.scope, again: () => reducePreview(alert) });
    const picture = afterFlatten(o.feed.state, plan, at);
    const shown = {
      title: `REDUCE leverage for ${alert.id}?`,
      lines: [...flattenLines(plan), ...reductionLines(alert, proposal), ...afterLines(picture, plan.baseCurrency)],
    };
    const reduction = {
      alert: alert.id, notes: [...proposal.notes], metric: proposal.metric, before: proposal.before, after: proposal.after, limit: proposal.limit, withinLimit: proposal.withinLimit,
      ...(proposal.rankedBy ? { rankedBy: proposal.rankedBy } : {}),
    };
    const detail = JSON.parse(JSON.stringify({ ...planJson(plan), reduction, afterFlatten: picture ?? null, shown })) as { [k: string]: JsonValue };
    log().append({ kind: 'planShown', detail });
    publish('dialogShown', detail);
    return { id: plan.id, ...shown, word: 'REDUCE' };
  };

  const decide = (planId: string, decision: 'confirm' | 'cancel') => {
    log().append({ kind: 'decision', detail: { planId, decision, by: 'console' } });
    publish('decision', { planId, decision, by: 'console' });
  };

  const afterResult = (r: ExecutionResult, lines: string[]): string[] => {
    if (r.readOnlyApi) {
      lines.push(formatDenial({ code: 'READ_ONLY_API' }));
      disarm('TWS API is read-only (321)');
    }
    return lines;
  };

  /** Follows our orders of a plan in the state while they are worked (the progress view). */
  const progressOf = (ref: string, cancelIds: readonly number[]): TradeProgress => {
    const rows = [...o.feed.state.orders.values()]
      .filter((r) => (r.clientId === o.clientId && r.info?.orderRef === ref) || (cancelIds.includes(r.orderId) && r.clientId === o.clientId))
      .map((r) => ({ label: `order ${r.orderId} ${r.info ? `${r.info.action} ${r.info.totalQuantity.toString()} ${contractLabel(r.info.contract)}` : ''}`.trim(), status: `${r.status} (filled ${r.filled.toString()})` }));
    return { rows, done: false, lines: [] };
  };

  return {
    get auditFile() {
      return audit?.file;
    },
    recordAlert(transition) {
      if (audit && !closed) audit.append({ kind: 'alert', detail: transition });
    },
    account: () => o.feed.state.account,
    arm(typed) {
      const r = armWith(o.mode, o.feed.state.account, typed, now(), armMs);
      if ('code' in r) {
        if (o.mode === 'trade') log().append({ kind: 'denied', detail: { code: r.code, message: formatDenial(r), action: 'arm' } });
        return { ok: false, message: r.code === 'NOT_ARMED' ? 'Those are not the last four characters of the account id; not armed (NOT_ARMED)' : formatDenial(r) };
      }
      if (!o.source.ready || o.feed.state.health !== 'ready') return { ok: false, message: formatDenial({ code: 'NOT_READY', health: o.feed.state.health, reason: o.feed.state.healthReason ?? 'not ready' }) };
      if (!r.armed) return { ok: false, message: 'Not armed' };
      armState = r;
      const account = o.feed.state.account ?? '';
      log().append({ kind: 'armed', detail: { by: 'palette', account, until: new Date(r.until).toISOString() } });
      publish('armed', { until: r.until, by: 'palette', account });
      void fetchTicks();
      return { ok: true, message: `Trading ARMED on ${account} for ${Math.round(armMs / 60_000)} min` };
    },
    disarm: () => disarm('operator'),
    preview(command: CommandId, target: TradeTarget): PreviewPlan | string {
      if (sending) return 'An order is still being followed; wait for its outcome';
      const d = guardNow();
      if (d) return formatDenial(d);
      switch (command) {
        case 'trade.flatten':
          if (target.conId === undefined) return 'Select a position in the Positions pane to flatten it (or use trade.flattenScope SCOPE)';
          return flattenPreview({ kind: 'conid', conId: target.conId });
        case 'trade.flattenScope': {
          const scope = parseScope((target.arg ?? '').trim());
          if (typeof scope === 'string') return `trade.flattenScope: ${scope}`;
          return flattenPreview(scope);
        }
        case 'trade.reduce': {
          const listed = target.alerts ?? [];
          const id = target.arg?.trim();
          // Listed most severe first: without an id, the most severe alert that proposes a reduction.
          const alert = id ? listed.find((a) => a.id === id) : listed.find((a) => a.reduction);
          if (!alert) return id ? `No listed alert ${id} (trade.reduce takes the id of a listed alert)` : 'No listed alert proposes a leverage reduction';
          return reducePreview(alert);
        }
        case 'trade.cancel':
        case 'trade.cancelAll':
        case 'trade.globalCancel': {
          let what: Parameters<typeof planCancel>[1];
          if (command === 'trade.cancel') {
            const row = target.orderKey === undefined ? undefined : o.feed.state.orders.get(target.orderKey);
            if (!row) return 'Select an order in the Orders pane to cancel it';
            what = { kind: 'order', orderId: row.orderId };
          } else what = command === 'trade.cancelAll' ? { kind: 'client' } : { kind: 'global' };
          const plan = planCancel(o.feed.state, what, o.clientId);
          if (isDenial(plan)) return formatDenial(plan);
          const id = `cancel-${now().toString(36)}`;
          locked.set(id, { kind: 'cancel', plan, id });
          const shown = cancelLines(plan);
          const detail = { planId: id, ...plan, shown: { title: shown.title, lines: [...shown.lines] } } as unknown as { [k: string]: JsonValue };
          log().append({ kind: 'planShown', detail });
          publish('dialogShown', detail);
          return { id, ...shown };
        }
        default:
          return `${command} is not a dialog`;
      }
    },
    async confirm(planId, progress): Promise<ConfirmOutcome> {
      const l = locked.get(planId);
      // One dialog, one send: the plan is taken before anything is sent, a second confirm finds nothing.
      if (!l || sending) return { kind: 'refused', message: 'This plan was already confirmed or closed; nothing sent' };
      locked.delete(planId);
      decide(planId, 'confirm');
      sending = true;
      const ref = `tws-risk:${planId}`;
      const timer = clock.setInterval(() => progress(progressOf(ref, l.kind === 'flatten' ? l.plan.cancels.map((c) => c.orderId) : [])), 200);
      try {
        if (l.kind === 'flatten') {
          const r = await executeFlatten(deps(), l.plan, o.timeoutMs ?? 30_000);
          if (r.denial && r.cancels.length === 0 && r.legs.length === 0) {
            const message = formatDenial(r.denial);
            if (r.denial.code === 'TARGET_CHANGED') {
              const replan = l.again();
              return typeof replan === 'string' ? { kind: 'refused', message: `${message}. ${replan}` } : { kind: 'refused', message, replan };
            }
            return { kind: 'refused', message };
          }
          const lines = [...(r.denial ? [formatDenial(r.denial)] : []), ...r.cancels.map(outcomeLine), ...r.legs.map(outcomeLine)];
          if (r.reconciled) lines.push('CONNECTION LOST while orders were out: each was reconciled with what TWS lists after the reconnect; nothing was sent again');
          if (l.plan.partial) lines.push(r.flat ? 'DONE: every trimmed position reads its target' : 'NOT done: some trimmed position does not read its target');
          else lines.push(r.flat ? 'FLAT: every position in scope reads zero' : 'NOT flat: some position in scope is still open');
          return { kind: 'sent', lines: afterResult(r, lines), ...(r.flat !== undefined ? { flat: r.flat } : {}) };
        }
        const r = await executeCancel(deps(), l.plan, o.timeoutMs ?? 30_000);
        if (r.denial) return { kind: 'refused', message: formatDenial(r.denial) };
        const lines = r.cancels.map(outcomeLine);
        lines.push(r.complete ? 'Done: every order reached a final state' : 'Not complete: some order is still open');
        return { kind: 'sent', lines: afterResult(r, lines) };
      } finally {
        clock.clear(timer);
        sending = false;
      }
    },
    decline(planId) {
      if (!locked.delete(planId)) return;
      decide(planId, 'cancel');
    },
    close(reason) {
      if (closed) return;
      closed = true;
      clock.clear(watch);
      states?.unsubscribe();
      disarm(reason);
      audit?.close();
    },
  };
}
