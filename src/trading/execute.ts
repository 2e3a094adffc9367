// Execution: the only place that sends orders. Guard → audit → send → follow each order to a typed outcome.
import type { Clock } from '../model/clock.js';
import type { FeedEventBody } from '../model/events.js';
import { orderKey, orderName, TERMINAL_STATUSES } from '../model/orders.js';
import type { OrderRow, PortfolioState } from '../model/state.js';
import type { OrderRequest, OrderSnapshot, SendResult } from '../model/orders.js';
import { groupedQuantity, groupedQuantityText, type Decimal } from '../model/money.js';
import { reconcileOrder, type ReconciledOutcome } from './reconcile.js';
import { contractLabel, type Contract } from '../model/contract.js';
import type { ArmState, TradeMode } from './arming.js';
import type { AuditLog } from './audit.js';
import { guardAny, guardFlatten } from './guard.js';
import type { CancelPlan, CloseLeg, Denial, FlattenPlan } from './types.js';
import { formatDenial, legTarget } from './types.js';

/** What execution needs from the world; the live source and feed provide it, tests may too. */
export interface TradingDeps {
  readonly mode: TradeMode;
  readonly state: () => PortfolioState;
  readonly sourceReady: () => boolean;
  readonly arm: () => ArmState;
  /** Time for the deadline, the guard's freshness and expiry checks, and the follow-up polls (the feed's clock). */
  readonly clock: Clock;
  readonly placeOrder: (contract: Contract, order: OrderRequest) => SendResult;
  readonly cancelOrder: (orderId: number) => { ok: true } | { ok: false; reason: string };
  readonly globalCancel: () => { ok: true } | { ok: false; reason: string };
  /** Records an operator event in the session (feed.publish). */
  readonly publish: (body: FeedEventBody) => void;
  readonly audit: AuditLog;
  /** Our API client id: orders are identified by (client id, order id). */
  readonly clientId: number;
  /**
   * The feed's events (Feed.events$): orders are followed on them, waking on each event about a followed order, a
   * position or the connection, until the deadline. Without it (a bare test harness) the state is polled every pollMs.
   */
  readonly events?: { subscribe(next: (e: FeedEventBody) => void): { unsubscribe(): void } };
  /** Poll interval when there is no event stream (ms). */
  readonly pollMs?: number;
  /**
   * Changes each time the connection is lost (TwsSource.connectionEpoch): an order sent before a change may not
   * have reached TWS, and the answers to those that did may be lost. Without it a drop is not noticed as such.
   */
  readonly connectionEpoch?: () => number;
  /** Asks TWS for open orders, completed orders and executions now (TwsSource.orderSnapshot): the reconciliation's evidence. */
  readonly orderSnapshot?: (timeoutMs: number) => Promise<OrderSnapshot | undefined>;
}

/**
 * `closed`: no longer listed as open by TWS, final state not reported to this client (other clients' orders).
 * After a lost connection each order sent is reconciled with what the reconnected TWS lists (reconcile.ts), and may
 * also read `partiallyFilled`, `working`, `neverReceived` or `unknown`, with its evidence.
 */
export type Outcome = 'filled' | 'cancelled' | 'rejected' | 'closed' | 'timedOut' | 'notSent' | ReconciledOutcome;

const FINAL: ReadonlySet<Outcome> = new Set<Outcome>(['filled', 'cancelled', 'rejected', 'closed']);
/** The order reached an end at TWS (filled, cancelled, rejected or closed): nothing of it can still fill. */
export function isFinal(o: Outcome): boolean {
  return FINAL.has(o);
}

/** An outcome as the operator reads it ("never received", "partially filled"). */
export function outcomeText(o: Outcome): string {
  return o.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

/**
 * An order the deadline left working is said as such, with what to do: it stays at TWS (nothing cancels it by
 * itself, DESIGN.md "Safety") and can still fill, so "timed out" alone would read as if it were gone.
 */
export function stillWorking(l: LegResult, advice: WorkingAdvice = CONSOLE_ADVICE): string {
  const w = l.working;
  if (!w) return '';
  const px = w.limitPrice === undefined ? w.orderType : `${w.orderType} ${w.limitPrice}`;
  return `, still working at ${px} (${groupedQuantityText(w.remaining)} left): ${advice(l.orderId)}`;
}

/** What to do about an order left working, said to whoever reads the outcome. */
export type WorkingAdvice = (orderId: number | undefined) => string;

/** The console's: its Orders pane cancels the selected order with `x`. */
export const CONSOLE_ADVICE: WorkingAdvice = () => 'cancel it (x in Orders) or re-flatten';

/**
 * A headless command's or the guard's: the command that cancels it. TWS lets only the client that placed an order
 * cancel it one by one, so the command connects as that client id; `busy` says when that id is still held (the guard's
 * own connection), which TWS would refuse (326) until it is free.
 */
export function cancelAdvice(c: {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  readonly account?: string | undefined;
  readonly busy?: string;
}): WorkingAdvice {
  return (orderId) => {
    const host = c.host === '127.0.0.1' ? '' : ` --host ${c.host}`;
    const cmd = `tws-risk cancel --order ${orderId ?? 'ID'}${host} --port ${c.port} --client-id ${c.clientId} --trade --confirm-account ${c.account ?? 'ACCOUNT'}`;
    return `cancel it in TWS, or with \`${cmd}\`${c.busy ? ` ${c.busy}` : ''}; or flatten again`;
  };
}

export interface LegResult {
  readonly conId: number;
  readonly label: string;
  readonly orderId?: number;
  readonly outcome: Outcome;
  readonly filled: string;
  readonly code?: number;
  readonly message?: string;
  /** Set when the outcome was reconciled after a lost connection: what TWS listed, or did not. */
  readonly evidence?: string;
  readonly execIds?: readonly string[];
  /** Timed out and still open at TWS: it can still fill, and stays until cancelled (prices and sizes as decimal strings). */
  readonly working?: { readonly orderType: string; readonly limitPrice?: string; readonly remaining: string };
}

export interface ExecutionResult {
  readonly planId: string;
  readonly denial?: Denial;
  readonly cancels: readonly LegResult[];
  readonly legs: readonly LegResult[];
  /** Every order reached a final state (filled, cancelled or rejected). */
  readonly complete: boolean;
  /** Flatten only: every closed position reads zero in the positions stream (a reduction: reads its target). */
  readonly flat?: boolean;
  /** TWS answered 321 (read-only API): the caller must disarm. */
  readonly readOnlyApi: boolean;
  /** The connection was lost while orders were out: their outcomes were reconciled after the reconnect. */
  readonly reconciled?: boolean;
}

const sleep = (clock: Clock, ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));

/**
 * Resolves on the next feed event `relevant` accepts, or just after the deadline: the caller then reads the state
 * again. Subscribed in the same turn as the caller's last read of the state, so no event falls between the two.
 */
function nextChange(deps: TradingDeps, deadline: number, relevant: (e: FeedEventBody) => boolean): Promise<void> {
  const events = deps.events;
  if (!events) return sleep(deps.clock, deps.pollMs ?? 50);
  return new Promise<void>((resolve) => {
    let done = false;
    let sub: { unsubscribe(): void } | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      deps.clock.clear(timer);
      sub?.unsubscribe();
      resolve();
    };
    const timer = deps.clock.setTimeout(finish, Math.max(0, deadline - deps.clock.now()) + 1);
    sub = events.subscribe((e) => {
      if (relevant(e)) finish();
    });
    if (done) sub.unsubscribe();
  });
}

/** The connection changed (a drop, a reconnect, 1100): followed orders may need reconciling, or sending must stop. */
const connectionEvent = (e: FeedEventBody) => e.type === 'healthChanged';

/** Events that can change what is known about these orders: their status, open-order rows and list, fills, errors. */
function aboutOrders(orders: readonly Followed[]): (e: FeedEventBody) => boolean {
  const keys = new Set(orders.map((o) => o.key));
  const perms = new Set(orders.flatMap((o) => (o.permId ? [o.permId] : [])));
  const ours = new Set(orders.filter((o) => o.ours).map((o) => o.orderId));
  const mine = (clientId: number, orderId: number, permId: number) => keys.has(orderKey(clientId, orderId, permId)) || (permId > 0 && perms.has(permId));
  return (e) => {
    switch (e.type) {
      case 'orderStatusUpdated':
      case 'executionReceived':
        // Our own orders also by id alone: an answer whose client id TWS left out still concerns them.
        return mine(e.clientId, e.orderId, e.permId) || ours.has(e.orderId);
      case 'openOrderUpdated':
        return mine(e.order.clientId, e.order.orderId, e.order.permId);
      case 'openOrdersEnded':
        return true;
      case 'brokerMessage':
        return ours.has(e.id);
      default:
        return connectionEvent(e);
    }
  };
}

/** Events that can make a position read its target. */
function aboutPositions(conIds: readonly number[]): (e: FeedEventBody) => boolean {
  const ids = new Set(conIds);
  return (e) => (e.type === 'positionUpdated' && ids.has(e.contract.conId)) || e.type === 'positionsEnded' || connectionEvent(e);
}

function deny(deps: TradingDeps, d: Denial, context: { planId: string; conId?: number; orderId?: number }): Denial {
  deps.audit.append({ kind: 'denied', detail: { code: d.code, message: formatDenial(d), ...context } });
  deps.publish({ type: 'operatorActed', action: 'denied', detail: { code: d.code, message: formatDenial(d), ...context } });
  return d;
}

/** The last TWS error for an order id, if any (rejections arrive as ERR_MSG with the order id). */
function orderError(state: PortfolioState, orderId: number): { code: number; message: string } | undefined {
  for (let i = state.messages.length - 1; i >= 0; i--) {
    const m = state.messages[i]!;
    if (m.id === orderId && m.code !== 202 && m.code !== 399) return { code: m.code, message: m.message };
  }
  return undefined;
}

interface Followed {
  /** The order's key in state.orders (client id and order id, or perm id for manual orders). */
  readonly key: string;
  readonly orderId: number;
  readonly conId: number;
  readonly label: string;
  /** Our own order: TWS reports its errors to us by order id. */
  readonly ours: boolean;
  readonly clientId: number;
  readonly permId?: number;
  readonly orderRef?: string;
  readonly quantity?: Decimal;
  readonly planId: string;
}

/** The first word TWS said about an order (its own messages or an execution), or undefined while it said nothing. */
function confirmation(s: PortfolioState, o: Followed): { by: string; status: string | null; permId: number | null } | undefined {
  const row = s.orders.get(o.key);
  if (row) return { by: row.info ? 'openOrder' : 'orderStatus', status: row.status, permId: row.permId || null };
  for (const e of s.executions.values())
    if (e.orderId === o.orderId && e.clientId === o.clientId) return { by: 'execution', status: null, permId: e.permId || null };
  const err = o.ours ? orderError(s, o.orderId) : undefined;
  if (err) return { by: 'error', status: `${err.code}`, permId: null };
  return undefined;
}

const RECONCILE_SNAPSHOT_MS = 10_000;

/**
 * The connection was lost after these orders left: wait for the reconnect (until the deadline), ask TWS what it has,
 * and give each order the outcome its evidence supports. Nothing is sent again.
 */
async function reconcileAfterDrop(deps: TradingDeps, orders: readonly Followed[], deadline: number, confirmed: ReadonlySet<string>): Promise<LegResult[]> {
  const back = () => deps.sourceReady() && deps.state().health === 'ready';
  while (!back() && deps.clock.now() <= deadline) await nextChange(deps, deadline, connectionEvent);
  const snap = back() && deps.orderSnapshot ? await deps.orderSnapshot(RECONCILE_SNAPSHOT_MS) : undefined;
  const why = !back()
    ? 'the connection to TWS did not come back before the deadline'
    : !deps.orderSnapshot
      ? 'this session cannot ask TWS for its orders'
      : 'TWS did not answer the request for its orders';
  const results = orders.map((o): LegResult => {
    const r = snap
      ? reconcileOrder(
          {
            orderId: o.orderId,
            clientId: o.clientId,
            conId: o.conId,
            ...(o.permId ? { permId: o.permId } : {}),
            ...(o.orderRef ? { orderRef: o.orderRef } : {}),
            ...(o.quantity ? { quantity: o.quantity } : {}),
          },
          snap,
        )
      : {
          outcome: 'unknown' as const,
          filled: undefined,
          execIds: [],
          evidence: `the connection was lost after the order was sent and ${why}; check TWS before acting again`,
        };
    return {
      conId: o.conId,
      label: o.label,
      orderId: o.orderId,
      outcome: r.outcome,
      filled: r.filled?.toString() ?? '0',
      evidence: r.evidence,
      execIds: r.execIds,
    };
  });
  for (const [i, o] of orders.entries()) {
    const r = results[i]!;
    // TWS lists it: it did receive the order, whatever we heard before the drop.
    if (!confirmed.has(o.key) && r.outcome !== 'neverReceived' && r.outcome !== 'unknown') {
      deps.audit.append({
        kind: 'orderConfirmed',
        detail: { planId: o.planId, orderId: o.orderId, clientId: o.clientId, by: 'reconciliation', status: r.outcome, permId: null },
      });
    }
    const detail = {
      planId: o.planId,
      orderId: o.orderId,
      clientId: o.clientId,
      conId: o.conId,
      outcome: r.outcome,
      filled: r.filled,
      execIds: [...(r.execIds ?? [])],
      evidence: r.evidence ?? null,
    };
    deps.audit.append({ kind: 'reconciled', detail });
    deps.publish({ type: 'operatorActed', action: 'reconciled', detail });
  }
  return results;
}

/**
 * Follows orders until each is final (or no longer listed as open) or the deadline passes, auditing the first word
 * TWS says about each (`orderConfirmed`). A connection lost since `epoch` (the one the orders were sent on) ends the
 * following: the state can no longer be trusted for them, so each is reconciled with what TWS lists after the
 * reconnect (`disrupted`).
 */
async function follow(deps: TradingDeps, orders: readonly Followed[], deadline: number, epoch: number): Promise<{ results: LegResult[]; disrupted: boolean }> {
  const confirmed = new Set<string>();
  const relevant = aboutOrders(orders);
  for (;;) {
    const s = deps.state();
    for (const o of orders) {
      if (confirmed.has(o.key)) continue;
      const c = confirmation(s, o);
      if (!c) continue;
      confirmed.add(o.key);
      deps.audit.append({
        kind: 'orderConfirmed',
        detail: { planId: o.planId, orderId: o.orderId, clientId: o.clientId, by: c.by, status: c.status, permId: c.permId },
      });
    }
    if ((deps.connectionEpoch?.() ?? epoch) !== epoch) {
      const known = orders.map((o) => ({ ...o, permId: o.permId || s.orders.get(o.key)?.permId || undefined }));
      return { results: await reconcileAfterDrop(deps, known, deadline, confirmed), disrupted: true };
    }
    const errOf = (o: Followed) => (o.ours ? orderError(s, o.orderId) : undefined);
    const done = orders.every((o) => {
      const row = s.orders.get(o.key);
      return (row && (TERMINAL_STATUSES.has(row.status) || row.listed === false)) || errOf(o) !== undefined;
    });
    if (done || deps.clock.now() > deadline) {
      const results = orders.map((o) => {
        const row = s.orders.get(o.key);
        const err = errOf(o);
        const status = row?.status;
        const outcome: Outcome =
          status === 'Filled'
            ? 'filled'
            : status === 'Cancelled' || status === 'ApiCancelled'
              ? 'cancelled'
              : status === 'Inactive' || err
                ? 'rejected'
                : row?.listed === false
                  ? 'closed'
                  : 'timedOut';
        return {
          conId: o.conId,
          label: o.label,
          orderId: o.orderId,
          outcome,
          filled: row?.filled.toString() ?? '0',
          ...(err && outcome !== 'filled' ? { code: err.code, message: err.message } : {}),
          ...(outcome === 'timedOut' && row ? { working: workingOf(row, o) } : {}),
        };
      });
      return { results, disrupted: false };
    }
    await nextChange(deps, deadline, relevant);
  }
}

/** What an order the deadline left open still works for: its type and limit, and what is left of it. */
function workingOf(row: OrderRow, o: Followed): NonNullable<LegResult['working']> {
  const total = row.info?.totalQuantity ?? o.quantity;
  const remaining = row.remaining ?? total?.sub(row.filled);
  return {
    orderType: row.info?.orderType ?? '?',
    ...(row.info?.limitPrice ? { limitPrice: row.info.limitPrice.toString() } : {}),
    remaining: remaining?.toString() ?? '?',
  };
}

const DERIVATIVES: ReadonlySet<string> = new Set(['OPT', 'FOP', 'WAR']);
const HELD_BACK = (symbol: string) =>
  `not sent: an order on ${symbol}'s options did not fill, and closing ${symbol} while they stay open could leave them uncovered`;

/** The order execution sends for a leg (also what a what-if preview asks TWS about, what-if.ts). */
export function orderFor(leg: CloseLeg, plan: FlattenPlan): OrderRequest {
  return {
    action: leg.action,
    totalQuantity: leg.quantity,
    orderType: leg.orderType,
    ...(leg.limitPrice ? { lmtPrice: leg.limitPrice } : {}),
    tif: 'DAY',
    account: plan.account,
    // Marks our orders in TWS and in every report: which plan sent them.
    orderRef: `tws-risk:${plan.id}`,
  };
}

/**
 * Executes a confirmed flatten plan: re-checks it, cancels the orders that would work against it and waits for
 * them, re-checks the positions, sends each closing order once (never resent, also not after a reconnect), and
 * follows every order to Filled, Cancelled, Rejected or the deadline. Says flat only when positions read zero.
 */
export async function executeFlatten(deps: TradingDeps, plan: FlattenPlan, timeoutMs: number): Promise<ExecutionResult> {
  const deadline = deps.clock.now() + timeoutMs;
  const ctx = () => ({ mode: deps.mode, state: deps.state(), sourceReady: deps.sourceReady(), arm: deps.arm(), now: deps.clock.now() });
  const empty = (denial: Denial): ExecutionResult => ({ planId: plan.id, denial, cancels: [], legs: [], complete: false, readOnlyApi: false });

  const first = guardFlatten(ctx(), plan, 'first');
  if (first) return empty(deny(deps, first, { planId: plan.id }));

  // Orders are sent on this connection; a later one may not have seen them (follow reconciles).
  const epoch = deps.connectionEpoch?.() ?? 0;
  const ref = `tws-risk:${plan.id}`;
  const cancelled: Followed[] = [];
  for (const c of plan.cancels) {
    deps.audit.append({ kind: 'cancelSent', detail: { planId: plan.id, orderId: c.orderId, description: c.description } });
    const r = deps.cancelOrder(c.orderId);
    if (!r.ok) return empty(deny(deps, { code: 'NOT_READY', health: deps.state().health, reason: r.reason }, { planId: plan.id, orderId: c.orderId }));
    const row = deps.state().orders.get(orderKey(c.clientId, c.orderId, 0));
    cancelled.push({
      key: orderKey(c.clientId, c.orderId, 0),
      orderId: c.orderId,
      conId: c.conId,
      label: c.description,
      ours: c.clientId === deps.clientId,
      clientId: c.clientId,
      planId: plan.id,
      ...(row?.permId ? { permId: row.permId } : {}),
      ...(row?.info?.orderRef ? { orderRef: row.info.orderRef } : {}),
      ...(row?.info ? { quantity: row.info.totalQuantity } : {}),
    });
  }
  const followedCancels = cancelled.length > 0 ? await follow(deps, cancelled, deadline, epoch) : { results: [], disrupted: false };
  const cancels = followedCancels.results;
  let disrupted = followedCancels.disrupted;
  const DROPPED = 'not sent: the connection to TWS was lost during the flatten; review the reconciled outcomes and plan again';

  // Derivatives first, and each underlying's own legs only once its derivatives are all filled: closing a stock while
  // its short calls are still open would leave them naked. Other underlyings do not wait for them.
  const stages = [plan.legs.filter((l) => DERIVATIVES.has(l.contract.secType)), plan.legs.filter((l) => !DERIVATIVES.has(l.contract.secType))].filter(
    (g) => g.length > 0,
  );
  const legs: LegResult[] = [];
  let denial: Denial | undefined;
  /** Underlyings whose derivatives did not all fill: their own legs wait, the others' go (one rejected SPX put must not keep ES, CL and the FX open). */
  const held = new Set<string>();
  for (const stage of stages) {
    if (disrupted) break;
    const sent: Followed[] = [];
    const waiting = stage.filter((l) => held.has(l.contract.symbol));
    for (const leg of waiting)
      legs.push({ conId: leg.conId, label: contractLabel(leg.contract), outcome: 'notSent', filled: '0', message: HELD_BACK(leg.contract.symbol) });
    for (const leg of stage.filter((l) => !held.has(l.contract.symbol))) {
      if ((deps.connectionEpoch?.() ?? epoch) !== epoch) break;
      // Before every leg: the connection may have dropped, or a cancel may have filled instead (positions changed).
      // An order sent after the deadline would go unfollowed, and the outcome would read as if it were not working.
      // The guard goes first: when a cancel timed out, the order still working is the cause worth naming.
      denial = guardFlatten(ctx(), plan, 'close', [leg]) ?? (deps.clock.now() > deadline ? { code: 'DEADLINE_PASSED', conId: leg.conId } : undefined);
      if (denial) {
        deny(deps, denial, { planId: plan.id, conId: leg.conId });
        break;
      }
      const r = deps.placeOrder(leg.contract, orderFor(leg, plan));
      if (!r.ok) {
        denial = deny(deps, { code: 'NOT_READY', health: deps.state().health, reason: r.reason }, { planId: plan.id, conId: leg.conId });
        break;
      }
      const detail = {
        planId: plan.id,
        orderId: r.orderId,
        conId: leg.conId,
        action: leg.action,
        quantity: leg.quantity.toString(),
        orderType: leg.orderType,
        limitPrice: leg.limitPrice?.toString() ?? null,
      };
      deps.audit.append({ kind: 'orderSent', detail });
      deps.publish({ type: 'operatorActed', action: 'ordersSent', detail });
      sent.push({
        key: orderKey(deps.clientId, r.orderId, 0),
        orderId: r.orderId,
        conId: leg.conId,
        label: `${leg.action} ${groupedQuantity(leg.quantity)} ${contractLabel(leg.contract)}`,
        ours: true,
        clientId: deps.clientId,
        orderRef: ref,
        quantity: leg.quantity,
        planId: plan.id,
      });
    }
    // A connection lost between two sends: the orders already out are reconciled, the rest are not sent.
    const followed = sent.length > 0 ? await follow(deps, sent, deadline, epoch) : { results: [], disrupted: (deps.connectionEpoch?.() ?? epoch) !== epoch };
    disrupted ||= followed.disrupted;
    legs.push(...followed.results);
    for (const leg of stage.filter((l) => !held.has(l.contract.symbol) && !sent.some((f) => f.conId === l.conId)))
      legs.push({
        conId: leg.conId,
        label: contractLabel(leg.contract),
        outcome: 'notSent',
        filled: '0',
        ...(disrupted && !denial ? { message: DROPPED } : {}),
      });
    if (denial || disrupted) break;
    // Closing a stock (or a future) while its short calls still work would leave them naked: only that underlying waits.
    for (const r of followed.results) if (r.outcome !== 'filled') held.add(stage.find((l) => l.conId === r.conId)!.contract.symbol);
  }
  for (const leg of plan.legs.filter((l) => !legs.some((x) => x.conId === l.conId)))
    legs.push({ conId: leg.conId, label: contractLabel(leg.contract), outcome: 'notSent', filled: '0', ...(disrupted ? { message: DROPPED } : {}) });
  for (const l of [...cancels, ...legs]) {
    if (l.orderId !== undefined)
      deps.audit.append({
        kind: l.outcome === 'rejected' ? 'brokerError' : 'orderStatus',
        detail: {
          planId: plan.id,
          orderId: l.orderId,
          outcome: l.outcome,
          filled: l.filled,
          code: l.code ?? null,
          message: l.message ?? null,
          evidence: l.evidence ?? null,
          ...(l.working ? { stillWorking: { ...l.working } } : {}),
        },
      });
  }

  // Flat means the positions stream says zero (a reduction: the trimmed size), not that orders say filled.
  let flat = false;
  while (!denial) {
    const s = deps.state();
    flat = plan.legs.every((l) => {
      const p = s.positions.get(l.conId)?.position;
      const target = legTarget(l);
      return p === undefined ? target.isZero() : p.equals(target);
    });
    if (flat || deps.clock.now() > deadline || legs.some((l) => l.outcome !== 'filled')) break;
    await nextChange(deps, deadline, aboutPositions(plan.legs.map((l) => l.conId)));
  }
  const readOnlyApi = legs.some((l) => l.code === 321) || cancels.some((l) => l.code === 321);
  const result: ExecutionResult = {
    planId: plan.id,
    ...(denial ? { denial } : {}),
    cancels,
    legs,
    complete: !denial && [...cancels, ...legs].every((l) => isFinal(l.outcome)),
    flat,
    readOnlyApi,
    ...(disrupted ? { reconciled: true } : {}),
  };
  deps.audit.append({
    kind: 'result',
    detail: { planId: plan.id, complete: result.complete, flat, readOnlyApi, denial: denial?.code ?? null, reconciled: disrupted },
  });
  return result;
}

/** Executes a cancel plan (one order, our orders, or the global cancel) and follows the orders to their end. */
export async function executeCancel(deps: TradingDeps, plan: CancelPlan, timeoutMs: number): Promise<ExecutionResult> {
  const id = `cancel-${deps.clock.now().toString(36)}`;
  const d = guardAny({ mode: deps.mode, state: deps.state(), sourceReady: deps.sourceReady(), arm: deps.arm(), now: deps.clock.now() });
  if (d) return { planId: id, denial: deny(deps, d, { planId: id }), cancels: [], legs: [], complete: false, readOnlyApi: false };
  const deadline = deps.clock.now() + timeoutMs;
  const epoch = deps.connectionEpoch?.() ?? 0;
  const open = [...deps.state().orders.values()].filter((o) => !TERMINAL_STATUSES.has(o.status) && o.listed !== false);
  const asFollowed = (o: (typeof open)[number]): Followed => ({
    key: o.key,
    orderId: o.orderId,
    conId: o.info?.contract.conId ?? 0,
    // Named as the Orders pane names it: a manual TWS order by its permId (its API id is a negative placeholder).
    label: `order ${orderName(o.orderId, o.permId)} (client ${o.clientId})`,
    ours: o.clientId === deps.clientId,
    clientId: o.clientId,
    planId: id,
    ...(o.permId ? { permId: o.permId } : {}),
    ...(o.info?.orderRef ? { orderRef: o.info.orderRef } : {}),
    ...(o.info ? { quantity: o.info.totalQuantity } : {}),
  });
  let targets: Followed[];
  if (plan.kind === 'global') {
    deps.audit.append({ kind: 'globalCancelSent', detail: { planId: id, openOrders: plan.openOrders, otherClients: plan.otherClients } });
    const r = deps.globalCancel();
    if (!r.ok)
      return {
        planId: id,
        denial: deny(deps, { code: 'NOT_READY', health: deps.state().health, reason: r.reason }, { planId: id }),
        cancels: [],
        legs: [],
        complete: false,
        readOnlyApi: false,
      };
    targets = open.map(asFollowed);
  } else {
    const ids = plan.kind === 'order' ? [plan.orderId] : [...plan.orderIds];
    targets = open.filter((o) => o.clientId === deps.clientId && ids.includes(o.orderId)).map(asFollowed);
    for (const orderId of ids) {
      deps.audit.append({ kind: 'cancelSent', detail: { planId: id, orderId } });
      const r = deps.cancelOrder(orderId);
      if (!r.ok)
        return {
          planId: id,
          denial: deny(deps, { code: 'NOT_READY', health: deps.state().health, reason: r.reason }, { planId: id }),
          cancels: [],
          legs: [],
          complete: false,
          readOnlyApi: false,
        };
    }
  }
  const ids = targets.map((t) => t.orderId);
  deps.publish({ type: 'operatorActed', action: 'cancelsSent', detail: { planId: id, cancel: plan.kind, orderIds: ids } });
  const { results: cancels, disrupted } = await follow(deps, targets, deadline, epoch);
  for (const l of cancels)
    deps.audit.append({
      kind: 'orderStatus',
      detail: { planId: id, orderId: l.orderId ?? null, outcome: l.outcome, code: l.code ?? null, evidence: l.evidence ?? null },
    });
  const result: ExecutionResult = {
    planId: id,
    cancels,
    legs: [],
    complete: cancels.every((l) => isFinal(l.outcome)),
    readOnlyApi: cancels.some((l) => l.code === 321),
    ...(disrupted ? { reconciled: true } : {}),
  };
  deps.audit.append({ kind: 'result', detail: { planId: id, complete: result.complete } });
  return result;
}
