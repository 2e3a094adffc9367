// The console's trading wiring (issue 7): arming, locked plans, one send per dialog, the session's audit log.
import { join } from 'node:path';
import { dataDir } from '../config/load.js';
import type { CommandId } from '../keymap/bindings.js';
import type { Clock } from '../model/clock.js';
import { contractLabel } from '../model/contract.js';
import type { JsonValue } from '../model/events.js';
import { outcomeText, stillWorking, type ExecutionResult, type LegResult } from '../trading/execute.js';
import type { TradeMode } from '../trading/arming.js';
import { TradingSession, type TradingFeed, type TradingGateway } from '../trading/session.js';
import {
  DEFAULT_COLLAR,
  isDenial,
  isOpen,
  parseScope,
  planCancel,
  planFlatten,
  planReduce,
  scopeSnapshot,
  scopeText,
  staleMarkDenial,
} from '../trading/plan.js';
import { alertName, proposeForAlert, type Alert, type ReductionProposal } from '../risk/alerts/index.js';
import { reductionFills } from './reduction-fills.js';
import { formatDenial, isBulkScope, type CancelPlan, type FlattenPlan, type FlattenScope } from '../trading/types.js';
import type { OrderRow, PortfolioState } from '../model/state.js';
import { orderName } from '../model/orders.js';
import {
  FROZEN_MARK,
  type ConfirmOutcome,
  type PreviewMark,
  type PreviewPlan,
  type TradeProgress,
  type TradeTarget,
  type TradingActions,
} from '../views/trading-actions.js';
import { appVersion } from '../version.js';
import { DEFAULT_CONFIRM_READ_MS } from '../config/settings.js';
import { readingTime } from '../trading/reading-time.js';
import { planJson } from './plan-json.js';
import { afterFlatten, afterLines, type AfterFlatten } from './after-flatten.js';
import { cancelListing, openOrders } from './cancel-listing.js';
import { planWhatIf, whatIfJson, whatIfLine, type PlanWhatIf, type WhatIfGateway } from '../trading/what-if.js';
import { Decimal, groupedQuantityText } from '../model/money.js';
import { expectedRealized, realizedLines } from './expected-pnl.js';
import { clock as clockText, contractPrice, quantity } from '../views/format.js';
import { diffText, frozenJson, frozenLine, orderDiffs, positionDiffs, type FrozenDiff, type FrozenPicture } from './frozen-plan.js';

/**
 * What the wiring needs from the live session: the trading gateway (TwsSource is one); with whatIfOrder, a flatten
 * preview also shows IBKR's own post-flatten requirement (what-if.ts).
 */
export type ConsoleTradingSource = TradingGateway & Partial<WhatIfGateway>;

export interface ConsoleTradingOptions {
  readonly mode: TradeMode;
  /** The feed; its every state (Feed.state$) disarms at once on a disconnect, even one followed by a quick reconnect. */
  readonly feed: TradingFeed;
  readonly source: ConsoleTradingSource;
  readonly clientId: number;
  /** Where the session's audit log goes; default `<data dir>/audit`. */
  readonly auditDir?: string;
  /** The audit file's name part (default `console`); with several accounts, one per account so no two share a file. */
  readonly auditName?: string;
  /** Time for arming expiry, plan ids and deadlines, and the watch and progress timers (default: the system clock). */
  readonly clock?: Clock;
  /** The settings' `trading.armMinutes`: how long an arming lasts (default 5). */
  readonly armMinutes?: number;
  /** The settings' `trading.confirmReadMs`: how long a plan is on screen before it can be confirmed (default 500). */
  readonly confirmReadMs?: number;
  /** The reading time's clock: monotonic (the default, monotonicClock), never the wall clock above; tests pin it. */
  readonly readClock?: Clock;
  /** How long a send is followed before its orders count as timed out. */
  readonly timeoutMs?: number;
  /** How often expiry and the connection are checked (ms). */
  readonly watchMs?: number;
}

export interface ConsoleTrading extends TradingActions {
  /** The one trading session these actions drive (the account's session core holds it: AccountSession.trading). */
  readonly session: TradingSession;
  /** The audit file, once the first trading action opened it. */
  readonly auditFile: string | undefined;
  /** Appends an alert transition (transitionJson) to the audit log if one is open; a closed or unopened log takes none. */
  recordAlert(transition: { readonly [k: string]: JsonValue }): void;
  /** Disarms (if armed), stops watching and closes the audit log. */
  close(reason: string): void;
}

/** A locked plan; `again` plans it anew from the state now (offered when TARGET_CHANGED refuses the locked one). */
type Locked =
  { readonly kind: 'flatten'; readonly plan: FlattenPlan; readonly again: () => PreviewPlan | string } | { readonly kind: 'cancel'; readonly plan: CancelPlan };

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
  // Both figures: at the marks (what the Account pane will read if every fill is at its mark) and at the worst fills
  // the plan accepts (each order at its limit, commissions paid), which is what the trims were sized to keep inside.
  const worst = p.fills.collar > 0 || p.fills.commissions;
  const bound = p.target.kind === 'concentration' ? 'at most' : 'at least';
  const after = worst
    ? `after ${metricText(p, p.afterAtMarks)} at marks, ${bound} ${metricText(p, p.after)} at the worst fills the plan accepts`
    : `after ${metricText(p, p.after)}`;
  return [
    `For ${alert.severity.toUpperCase()} ${alert.id}: ${p.metric} now ${metricText(p, p.before)}, ${after} (limit ${metricText(p, p.limit)})${p.withinLimit ? '' : ' STILL OUTSIDE the limit'}`,
    ...(p.notes.length === 0 ? [] : [`note: ${p.notes[0]}${p.notes.length > 1 ? ` (+${p.notes.length - 1} more in the audit log)` : ''}`]),
  ];
}

const fmt = (n: { toFixed(d: number): string } | undefined) => (n === undefined ? '?' : Number(n.toFixed(0)).toLocaleString('en-US'));

/** The lines of flattenLines that say what is sent: the account line, each cancel, each order. */
export const orderLineCount = (p: FlattenPlan): number => 1 + p.cancels.length + p.legs.length;

/** A flatten plan as dialog lines: cancels first, then each order with action, quantity, contract, limit, notional. */
export function flattenLines(p: FlattenPlan): string[] {
  const lines = [`Account ${p.account} · scope ${scopeText(p.scope)} · ${p.cancels.length} cancel(s), ${p.legs.length} order(s)`];
  for (const c of p.cancels) lines.push(`first cancel ${c.description}`);
  for (const l of p.legs) {
    // The limit at its contract's decimals beside the mark line's, never rounded (exact): what is sent, padded.
    const px = l.orderType === 'LMT' ? `LMT ${l.limitPrice ? contractPrice(l.limitPrice, l.contract, true) : '?'}` : 'MKT';
    lines.push(`${l.action} ${quantity(l.quantity)} ${contractLabel(l.contract)} ${px} ~${fmt(l.notionalBase)} ${p.baseCurrency}`);
  }
  if (p.totalNotionalBase) lines.push(`Total ~${fmt(p.totalNotionalBase)} ${p.baseCurrency} (marketable limits, collar ${DEFAULT_COLLAR * 100}%)`);
  for (const n of p.notes) lines.push(`note: ${n}`);
  return lines;
}

/** A cancel dialog names the one account it acts on first, like the flatten dialog (an advisor login has several). */
function cancelLines(c: CancelPlan, state: PortfolioState, clientId: number): { title: string; lines: string[]; orderLines?: number } {
  const acct = `Account ${state.account ?? '(not known yet)'}`;
  switch (c.kind) {
    case 'order':
      return { title: 'Cancel order?', lines: [acct, `Cancel ${c.description}`] };
    case 'client': {
      const ids = new Set(c.orderIds);
      const listed = openOrders(state).filter((o) => o.clientId === clientId && ids.has(o.orderId));
      const lines = [acct, `Cancel ${c.orderIds.length} open order(s) of this client:`, ...listed.map((o) => cancelListing(o, clientId))];
      return { title: "Cancel this client's orders?", lines, orderLines: lines.length };
    }
    case 'global': {
      // A deliberate confirmation shows what it acts on: every order, whose it is. They are the dialog's order lines,
      // so, as for a flatten, the confirm key does nothing while one of them is cut off the screen.
      const lines = [
        acct,
        `Cancels every open order of the account: ${c.openOrders} order(s).`,
        `This also cancels other clients' and manual TWS orders: ${c.otherClients} of them are not from this console.`,
        ...openOrders(state).map((o) => cancelListing(o, clientId)),
      ];
      return { title: 'GLOBAL CANCEL?', lines, orderLines: lines.length };
    }
  }
}

/** Each leg's locked mark with the time it arrived: the dialog shows its age on every publish. */
export function planMarks(p: FlattenPlan): PreviewMark[] {
  return p.legs.flatMap((l) =>
    l.mark && l.markAt !== undefined && l.markLimitMs !== undefined
      ? [{ conId: l.conId, label: contractLabel(l.contract), price: l.mark.toString(), at: l.markAt, limitMs: l.markLimitMs }]
      : [],
  );
}

/**
 * What an order filled at, from the state: the order's average fill price, then each execution's size and price
 * (our client's executions of that order id). Empty when nothing filled.
 */
export function fillText(state: PortfolioState, clientId: number, orderId: number | undefined): string {
  if (orderId === undefined) return '';
  const execs = [...state.executions.values()].filter((e) => e.orderId === orderId && e.clientId === clientId).sort((a, b) => a.execId.localeCompare(b.execId));
  const avg = state.orders.get(`${clientId}:${orderId}`)?.avgFillPrice ?? execs[execs.length - 1]?.avgPrice;
  if (execs.length === 0 && (!avg || avg.isZero())) return '';
  // Prices as the Executions pane shows them (the contract's decimals, never rounded): 228.40 there is not 228.4 here.
  const contract = execs[0]?.contract;
  const px = (v: Decimal) => (contract ? contractPrice(v, contract, true) : v.toString());
  const fills = execs.map((e) => `${quantity(e.shares)} @ ${px(e.price)}`).join(', ');
  return `${avg && !avg.isZero() ? ` avg ${px(avg)}` : ''}${fills ? ` fills ${fills}` : ''}`;
}

export function outcomeLine(l: LegResult, fills = ''): string {
  // A cancel's label already names its order ("order 12 (client 0) ..."): the id is not said twice.
  const id = l.orderId === undefined || l.label.startsWith('order ') ? '' : `order ${l.orderId} `;
  const filled = l.outcome === 'filled' || Number(l.filled) > 0 ? ` (filled ${groupedQuantityText(l.filled)}${fills})` : '';
  return `${id}${l.label}: ${outcomeText(l.outcome).toUpperCase()}${stillWorking(l)}${filled}${l.code ? ` [${l.code} ${l.message ?? ''}]` : ''}${l.evidence ? `; ${l.evidence}` : ''}`;
}

/** A position the refusal says is gone (or changed) in the live data: `AAPL: 0 now (500 on the frozen screen)`. */
const diffGone = (d: FrozenDiff) => `${d.label}: ${quantity(d.now)} now (${quantity(d.shown)} on the frozen screen)`;

/** A refusal's reason on a frozen row: `Panes FROZEN since 14:31:05: AAPL: 0 now (500 on the frozen screen).` */
const frozenWhy = (at: number, diffs: readonly string[]) => `${FROZEN_MARK}${clockText(at)}: ${diffs.join(', ')}.`;

/** Creates the console's trading actions on a live session. Nothing is sent unless `mode` is 'trade'. */
export function createConsoleTrading(o: ConsoleTradingOptions): ConsoleTrading {
  const session = new TradingSession<Locked>({
    mode: o.mode,
    actor: 'console',
    feed: o.feed,
    gateway: o.source,
    clientId: o.clientId,
    audit: { dir: o.auditDir ?? join(dataDir(), 'audit'), name: o.auditName ?? 'console', appVersion: appVersion(), meta: { clientId: o.clientId } },
    ...(o.armMinutes !== undefined ? { armMinutes: o.armMinutes } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.watchMs !== undefined ? { watchMs: o.watchMs } : {}),
  });
  const now = () => session.now();
  const readMs = o.confirmReadMs ?? DEFAULT_CONFIRM_READ_MS;
  // On its own monotonic clock, not the session's: a step of the wall clock neither shortens nor holds it.
  const reading = readingTime(readMs, o.readClock);
  const readyIn = reading.readyIn;
  const tooSoon = (planId: string, what: 'confirm' | 'word'): string => {
    const shownMs = reading.shownMs(planId);
    const reason =
      shownMs === null ? 'the plan was not on screen whole yet' : `the plan had been on screen ${shownMs} ms, less than its reading time of ${readMs} ms`;
    // Audited as a decision the console refused: the operator pressed the key, nothing was sent, the plan stays locked.
    session.audit().append({ kind: 'decision', detail: { planId, decision: 'tooSoon', what, reason, shownMs, readMs, by: 'console' } });
    const key = what === 'word' ? 'Enter' : 'the confirm key';
    if (shownMs === null) return `Not yet: the plan is not on screen whole; read it, then press ${key}; nothing was sent`;
    return `Too soon (${shownMs} ms): read the plan, then press ${key}; nothing was sent`;
  };
  /** TWS's what-if answers per shown plan, with our estimate they are compared with; the dialog reads its line. */
  const whatIfs = new Map<string, { state: PlanWhatIf | 'pending'; ours: Decimal | undefined; base: string }>();
  const askWhatIf = (plan: FlattenPlan, picture: AfterFlatten | undefined) => {
    const gw = o.source;
    if (o.mode !== 'trade' || !gw.whatIfOrder) return;
    const ours = picture ? new Decimal(picture.after.maintMargin) : undefined;
    whatIfs.set(plan.id, { state: 'pending', ours, base: plan.baseCurrency });
    void planWhatIf({ whatIfOrder: gw.whatIfOrder.bind(gw) }, plan).then((w) => {
      whatIfs.set(plan.id, { state: w, ours, base: plan.baseCurrency });
      const detail = whatIfJson(w, ours, plan.baseCurrency);
      try {
        session.audit().append({ kind: 'whatIf', detail });
      } catch {
        // A closed audit log (the session ended meanwhile) takes nothing; the answer is still shown.
      }
    });
  };
  const lockOpts = () => ({
    clientId: o.clientId,
    orderType: 'LMT' as const,
    collar: DEFAULT_COLLAR,
    priceGrids: session.priceGrids,
    pendingGrids: session.pendingGrids,
  });

  /** The positions in scope on the frozen screen and live whose quantities differ (none when not frozen). */
  const scopeDiffs = (scope: FlattenScope, frozen: FrozenPicture | undefined): FrozenDiff[] => {
    if (!frozen) return [];
    const conIds = (st: PortfolioState) => scopeSnapshot(st, scope).positions.map((r) => r.contract.conId);
    return positionDiffs(frozen.state, o.feed.state, [...conIds(o.feed.state), ...conIds(frozen.state)]);
  };

  const flattenPreview = (scope: FlattenScope, frozen?: FrozenPicture): PreviewPlan | string => {
    const plan = planFlatten(o.feed.state, scope, { ...lockOpts(), now: now() });
    if (isDenial(plan)) {
      // Refused as ever; on a frozen row the refusal first says why the screen showed something to do (first, so a
      // flash cut at the bottom of a narrow screen loses the end of the code's sentence, not the reason).
      const diffs = scopeDiffs(scope, frozen);
      return frozen && diffs.length > 0 ? `${frozenWhy(frozen.at, diffs.map(diffGone))} ${formatDenial(plan)}` : formatDenial(plan);
    }
    const stale = staleMarkDenial(plan, now());
    if (stale) return formatDenial(stale);
    const picture = afterFlatten(o.feed.state, plan, now());
    const diffs = scopeDiffs(scope, frozen);
    const frozenLines = frozen ? [frozenLine(frozen.at, 'positions', diffs.map(diffText))] : [];
    const shown = {
      title: isBulkScope(scope) ? `FLATTEN ${scopeText(scope)}?` : `Flatten ${contractLabel(plan.legs[0]!.contract)}?`,
      lines: [
        ...frozenLines,
        ...flattenLines(plan),
        ...realizedLines(expectedRealized(o.feed.state, plan), plan.baseCurrency),
        ...afterLines(picture, plan.baseCurrency),
      ],
    };
    // The dialog's text is recorded with the plan, so a replay shows exactly what the operator read. A plan offered
    // again (a refusal's replan) is on screens the operator has read since: it carries no frozen line.
    session.show(plan.id, { kind: 'flatten', plan, again: () => flattenPreview(scope) }, {
      ...planJson(plan),
      afterFlatten: picture ?? null,
      shown,
      ...(frozen ? { frozen: frozenJson(frozen.at, diffs) } : {}),
    } as {
      [k: string]: JsonValue;
    });
    askWhatIf(plan, picture);
    // The key was pressed on quantities that are not the plan's: the word is asked, so a confirm key pressed on the
    // frozen numbers' trust cannot send the live ones (docs/trading.md "Frozen panes").
    const word = isBulkScope(scope) || diffs.length > 0 ? { word: 'FLATTEN' } : {};
    return { id: plan.id, ...shown, readMs, marks: planMarks(plan), orderLines: frozenLines.length + orderLineCount(plan), ...word };
  };

  /**
   * The leverage reduction an alert proposes, as a plan: the trims computed on the state now (proposeForAlert),
   * planned like a flatten (planReduce: reducing only, never past zero), locked, and confirmed after typing REDUCE.
   */
  const reducePreview = (alert: Alert, frozen?: FrozenPicture): PreviewPlan | string => {
    if (!alert.reduction) return `${alert.id} has no leverage reduction (only the risk alerts do: cushion, margin, liquidation, concentration)`;
    const at = now();
    // At the limits this plan sends (lockOpts: its collar, the price grids known now), commissions paid.
    const proposal = proposeForAlert(o.feed.state, alert.reduction, at, reductionFills(o.feed.state, lockOpts()));
    if (proposal.error) return `No leverage reduction for ${alert.id}: ${proposal.error}`;
    if (proposal.trims.length === 0) {
      return proposal.withinLimit
        ? `Nothing to trim for ${alert.id}: ${proposal.metric} is inside its limit now`
        : `No trim helps ${alert.id}: ${proposal.notes[proposal.notes.length - 1] ?? ''}`;
    }
    const plan = planReduce(o.feed.state, proposal.trims, { ...lockOpts(), now: at });
    if (isDenial(plan)) return formatDenial(plan);
    const stale = staleMarkDenial(plan, at);
    if (stale) return formatDenial(stale);
    const picture = afterFlatten(o.feed.state, plan, at);
    // The trims are of live positions; the frozen line names those the frozen screen shows otherwise.
    const diffs = frozen
      ? positionDiffs(
          frozen.state,
          o.feed.state,
          plan.legs.map((l) => l.conId),
        )
      : [];
    const frozenLines = frozen ? [frozenLine(frozen.at, 'positions', diffs.map(diffText))] : [];
    const shown = {
      // The rule in words, not its config key (`cushion.band` read as nothing in a user trial).
      title: `REDUCE leverage for the ${alertName(alert.id, alert.rule)} alert?`,
      lines: [
        ...frozenLines,
        ...flattenLines(plan),
        ...realizedLines(expectedRealized(o.feed.state, plan), plan.baseCurrency),
        ...reductionLines(alert, proposal),
        ...afterLines(picture, plan.baseCurrency),
      ],
    };
    const reduction = {
      alert: alert.id,
      notes: [...proposal.notes],
      metric: proposal.metric,
      before: proposal.before,
      after: proposal.after,
      afterAtMarks: proposal.afterAtMarks,
      fills: { collar: proposal.fills.collar, commissions: proposal.fills.commissions, limits: proposal.fills.limitPrice ? 'plan' : 'collar' },
      limit: proposal.limit,
      withinLimit: proposal.withinLimit,
      ...(proposal.rankedBy ? { rankedBy: proposal.rankedBy } : {}),
    };
    const detail = JSON.parse(
      JSON.stringify({ ...planJson(plan), reduction, afterFlatten: picture ?? null, shown, ...(frozen ? { frozen: frozenJson(frozen.at, diffs) } : {}) }),
    ) as { [k: string]: JsonValue };
    session.show(plan.id, { kind: 'flatten', plan, again: () => reducePreview(alert) }, detail);
    askWhatIf(plan, picture);
    return { id: plan.id, ...shown, readMs, marks: planMarks(plan), orderLines: frozenLines.length + orderLineCount(plan), word: 'REDUCE' };
  };

  /** Follows our orders of a plan in the state while they are worked (the progress view). */
  const progressOf = (ref: string, cancelIds: readonly number[]): TradeProgress => {
    const rows = [...o.feed.state.orders.values()]
      .filter((r) => (r.clientId === o.clientId && r.info?.orderRef === ref) || (cancelIds.includes(r.orderId) && r.clientId === o.clientId))
      .map((r) => ({
        label: `order ${r.orderId} ${r.info ? `${r.info.action} ${r.info.totalQuantity.toString()} ${contractLabel(r.info.contract)}` : ''}`.trim(),
        status: `${r.status} (filled ${r.filled.toString()})`,
      }));
    return { rows, done: false, lines: [] };
  };

  const readOnlyLine = (r: ExecutionResult, lines: string[]): string[] => (r.readOnlyApi ? [...lines, formatDenial({ code: 'READ_ONLY_API' })] : lines);

  const send = async (planId: string, l: Locked, progress: (p: TradeProgress) => void): Promise<ConfirmOutcome> => {
    const ref = `tws-risk:${planId}`;
    const timer = session.clock.setInterval(() => progress(progressOf(ref, l.kind === 'flatten' ? l.plan.cancels.map((c) => c.orderId) : [])), 200);
    try {
      if (l.kind === 'flatten') {
        // The plan stays locked while the dialog is open, but its limits come from its marks: once one is older than
        // its freshness limit nothing is sent, and the plan is offered again on the marks of now.
        const stale = staleMarkDenial(l.plan, now());
        if (stale) {
          const message = formatDenial(stale);
          session.audit().append({ kind: 'denied', detail: { code: stale.code, message, planId } });
          const replan = l.again();
          return typeof replan === 'string' ? { kind: 'refused', message: `${message}. ${replan}` } : { kind: 'refused', message, replan };
        }
        const r = await session.executeFlatten(l.plan, o.timeoutMs ?? 30_000);
        if (r.denial && r.cancels.length === 0 && r.legs.length === 0) {
          const message = formatDenial(r.denial);
          // Both mean the plan shown is not the plan of now: the operator reviews the new one (its reading time anew).
          if (r.denial.code === 'TARGET_CHANGED' || r.denial.code === 'MARK_MOVED') {
            const replan = l.again();
            return typeof replan === 'string' ? { kind: 'refused', message: `${message}. ${replan}` } : { kind: 'refused', message, replan };
          }
          return { kind: 'refused', message };
        }
        const filledAt = (x: LegResult) => outcomeLine(x, fillText(o.feed.state, o.clientId, x.orderId));
        const lines = [...(r.denial ? [formatDenial(r.denial)] : []), ...r.cancels.map((x) => outcomeLine(x)), ...r.legs.map(filledAt)];
        if (r.reconciled)
          lines.push('CONNECTION LOST while orders were out: each was reconciled with what TWS lists after the reconnect; nothing was sent again');
        if (l.plan.partial) lines.push(r.flat ? 'DONE: every trimmed position reads its target' : 'NOT done: some trimmed position does not read its target');
        else lines.push(r.flat ? 'FLAT: every position in scope reads zero' : 'NOT flat: some position in scope is still open');
        return { kind: 'sent', lines: readOnlyLine(r, lines), ...(r.flat !== undefined ? { flat: r.flat } : {}) };
      }
      const r = await session.executeCancel(l.plan, o.timeoutMs ?? 30_000);
      if (r.denial) return { kind: 'refused', message: formatDenial(r.denial) };
      const lines = r.cancels.map((x) => outcomeLine(x));
      lines.push(r.complete ? 'Done: every order reached a final state' : 'Not complete: some order is still open');
      return { kind: 'sent', lines: readOnlyLine(r, lines) };
    } finally {
      session.clock.clear(timer);
    }
  };

  return {
    session: session as unknown as TradingSession,
    get auditFile() {
      return session.auditFile;
    },
    recordAlert: (transition) => session.recordAlert(transition),
    account: () => o.feed.state.account,
    armMinutes: () => session.armMinutes,
    onScreen: reading.onScreen,
    readyIn,
    tooSoon,
    arm(typed) {
      const r = session.armTyped(typed);
      if ('code' in r)
        return {
          ok: false,
          message: r.code === 'NOT_ARMED' ? 'Those are not the last four characters of the account id; not armed (NOT_ARMED)' : formatDenial(r),
        };
      if (!r.armed) return { ok: false, message: 'Not armed' };
      return { ok: true, message: `Trading ARMED on ${o.feed.state.account ?? ''} for ${session.armMinutes} min` };
    },
    disarm: () => session.disarm('operator'),
    // Only plans with limits wait: a cancel has no price to put on a ladder. They wait for the ladders arming asked for
    // and for those of positions that appeared since (an engine's new option above $3 would otherwise be rounded to the
    // default 0.01, which TWS refuses with 110 for that leg of the flatten).
    pending: (command: CommandId) => {
      if (command !== 'trade.flatten' && command !== 'trade.flattenScope' && command !== 'trade.reduce') return undefined;
      const want = [...session.pendingGrids, ...session.neverAsked(o.feed.state.positions.keys())];
      return want.length > 0 ? session.fetchTicks(want) : undefined;
    },
    preview(command: CommandId, target: TradeTarget): PreviewPlan | string {
      if (session.busy) return 'An order is still being followed; wait for its outcome';
      const d = session.guard();
      if (d) return formatDenial(d);
      switch (command) {
        case 'trade.flatten':
          if (target.conId === undefined) return 'Select a position in the Positions pane to flatten it (or use trade.flattenScope SCOPE)';
          return flattenPreview({ kind: 'conid', conId: target.conId }, target.frozen);
        case 'trade.flattenScope': {
          const scope = parseScope((target.arg ?? '').trim());
          if (typeof scope === 'string') return `trade.flattenScope: ${scope}`;
          return flattenPreview(scope, target.frozen);
        }
        case 'trade.reduce': {
          const listed = target.alerts ?? [];
          const id = target.arg?.trim();
          // Listed most severe first: without an id, the most severe alert that proposes a reduction.
          const alert = id ? listed.find((a) => a.id === id) : listed.find((a) => a.reduction);
          if (!alert) return id ? `No listed alert ${id} (trade.reduce takes the id of a listed alert)` : 'No listed alert proposes a leverage reduction';
          return reducePreview(alert, target.frozen);
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
          // The orders the plan acts on, read on the frozen screen too: one order, this client's, or every one.
          const key = target.orderKey;
          const pick = (r: OrderRow) => (what.kind === 'order' ? `${r.clientId}:${r.orderId}` === key : what.kind === 'global' || r.clientId === o.clientId);
          const diffs = target.frozen ? orderDiffs(target.frozen.state, o.feed.state, pick) : [];
          const plan = planCancel(o.feed.state, what, o.clientId);
          if (isDenial(plan)) {
            return target.frozen && diffs.length > 0 ? `${frozenWhy(target.frozen.at, diffs)} ${formatDenial(plan)}` : formatDenial(plan);
          }
          const id = `cancel-${now().toString(36)}`;
          const listed = cancelLines(plan, o.feed.state, o.clientId);
          const frozenLines = target.frozen ? [frozenLine(target.frozen.at, 'orders', diffs)] : [];
          // The frozen line is read before the orders: it counts among the lines the confirm key needs on screen.
          const shown = {
            ...listed,
            lines: [...frozenLines, ...listed.lines],
            ...(frozenLines.length > 0 ? { orderLines: frozenLines.length + (listed.orderLines ?? listed.lines.length) } : {}),
          };
          session.show(id, { kind: 'cancel', plan }, {
            planId: id,
            ...plan,
            shown: { title: shown.title, lines: [...shown.lines] },
            ...(target.frozen ? { frozen: frozenJson(target.frozen.at, diffs) } : {}),
          } as unknown as {
            [k: string]: JsonValue;
          });
          return { id, ...shown, readMs };
        }
        default:
          return `${command} is not a dialog`;
      }
    },
    async confirm(planId, progress): Promise<ConfirmOutcome> {
      // The dialog checks first; this is the rule itself, so no path to the send skips the reading time.
      if (readyIn(planId) > 0) return { kind: 'refused', message: tooSoon(planId, 'confirm'), tooSoon: true };
      // One dialog, one send: the session takes the plan before anything is sent, a second confirm finds nothing.
      const r = await session.confirm(planId, (l) => send(planId, l, progress));
      return r ?? { kind: 'refused', message: 'This plan was already confirmed or closed; nothing sent' };
    },
    whatIf(planId) {
      const w = whatIfs.get(planId);
      return w ? whatIfLine(w.state, w.ours, w.base) : undefined;
    },
    decline: (planId) => session.decline(planId),
    close: (reason) => session.close(reason),
  };
}
