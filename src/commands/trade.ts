// `tws-risk flatten` and `tws-risk cancel`: the headless kill switch, through the same planner, guard and audit log.
import { join } from 'node:path';
import { dataDir, loadSettings } from '../config/load.js';
import { contractLabel, exposureCurrency } from '../model/contract.js';
import { cancelAdvice, outcomeText, stillWorking, type ExecutionResult, type WorkingAdvice } from '../trading/execute.js';
import { TradingSession } from '../trading/session.js';
import { DEFAULT_COLLAR, describeOrder, isDenial, isOpen, parseScope, planCancel, planFlatten, scopeText, staleMarkDenial } from '../trading/plan.js';
import type { PortfolioState } from '../model/state.js';
import { formatDenial, type CancelPlan, type Denial, type FlattenPlan, type FlattenScope } from '../trading/types.js';
import { appVersion } from '../version.js';
import { contractPrice, money, quantity } from '../views/format.js';
import { afterFlatten, afterLines } from './after-flatten.js';
import { cancelListing, openOrders } from './cancel-listing.js';
import { planJson } from './plan-json.js';
import { planWhatIf, whatIfJson, whatIfLine, type PlanWhatIf } from '../trading/what-if.js';
import type { Clock } from '../model/clock.js';
import { Decimal, groupedQuantityText } from '../model/money.js';
import { EXIT, type CommandIo } from './io.js';
import { connectionFailure, openLive, resolveConnection, waitForData, type ConnectionFlags, type LiveSession } from './live.js';

export interface TradeFlags extends ConnectionFlags {
  readonly trade?: boolean;
  readonly 'confirm-account'?: string;
  readonly json?: boolean;
  readonly config?: string;
  readonly 'no-record'?: boolean;
  readonly record?: string;
}

export interface FlattenFlags extends TradeFlags {
  readonly scope?: string;
  readonly mkt?: boolean;
  readonly collar?: string;
  readonly 'what-if-timeout'?: string;
}

export interface CancelFlags extends TradeFlags {
  readonly all?: boolean;
  readonly global?: boolean;
  readonly order?: string;
}

/** What tests (and nothing else) replace in a headless command, as GuardRuntime does for the guard. */
export interface HeadlessRuntime {
  /** The session's time: the feed's stamps, arming, the what-if budget and the marks' age (default: the system clock). */
  readonly clock?: Clock;
}

function auditDir(): string {
  return join(dataDir(), 'audit');
}

export function planText(p: FlattenPlan): string[] {
  // A reduction (planReduce, the guard's `reduce`) trims positions to a target: "flatten" would say they all close.
  const lines = [
    p.partial
      ? `reduce ${scopeText(p.scope)} on ${p.account} (a partial reduction, not a flatten): ${p.cancels.length} cancel(s), ${p.legs.length} reducing order(s)`
      : `flatten ${scopeText(p.scope)} on ${p.account}: ${p.cancels.length} cancel(s), ${p.legs.length} closing order(s)`,
  ];
  for (const c of p.cancels) lines.push(`  cancel ${c.description}`);
  for (const l of p.legs) {
    const px = l.orderType === 'LMT' ? `LMT ${contractPrice(l.limitPrice, l.contract, true)} (mark ${contractPrice(l.mark, l.contract)})` : 'MKT';
    lines.push(
      `  ${l.action.padEnd(4)} ${quantity(l.quantity).padStart(10)} ${contractLabel(l.contract).padEnd(24)} ${px.padEnd(28)} ~${l.notionalBase ? money(l.notionalBase) : '?'} ${p.baseCurrency}`,
    );
  }
  if (p.totalNotionalBase) lines.push(`  total notional ~${money(p.totalNotionalBase)} ${p.baseCurrency}`);
  for (const n of p.notes) lines.push(`  note: ${n}`);
  return lines;
}

function resultJson(r: ExecutionResult): Record<string, unknown> {
  return {
    planId: r.planId,
    complete: r.complete,
    flat: r.flat ?? null,
    denial: r.denial ? { code: r.denial.code, message: formatDenial(r.denial) } : null,
    cancels: r.cancels,
    orders: r.legs,
    readOnlyApi: r.readOnlyApi,
    reconciled: r.reconciled === true,
  };
}

function resultText(r: ExecutionResult, advice: WorkingAdvice): string[] {
  const lines: string[] = [];
  if (r.denial) lines.push(formatDenial(r.denial));
  for (const l of [...r.cancels, ...r.legs]) {
    lines.push(
      `  ${l.orderId === undefined ? '- ' : l.label.startsWith('order ') ? '' : `order ${l.orderId} `}${l.label}: ${outcomeText(l.outcome)}${stillWorking(l, advice)}${l.outcome === 'filled' || Number(l.filled) > 0 ? ` (filled ${groupedQuantityText(l.filled)})` : ''}${l.code ? ` [${l.code} ${l.message ?? ''}]` : ''}`,
    );
    if (l.evidence) lines.push(`      evidence: ${l.evidence}`);
    else if (l.outcome === 'notSent' && l.message) lines.push(`      ${l.message}`);
  }
  if (r.reconciled)
    lines.push(
      'the connection to TWS was lost while orders were out: each sent order above was reconciled with what TWS lists after the reconnect; nothing was sent again',
    );
  if (r.flat !== undefined) lines.push(r.flat ? 'flat: every position in scope reads zero' : 'NOT flat: some position in scope is still open');
  if (r.readOnlyApi) lines.push(formatDenial({ code: 'READ_ONLY_API' }));
  return lines;
}

interface Prepared {
  readonly session: LiveSession;
  readonly account: string;
  readonly trading: boolean;
  readonly clientId: number;
  /** Where it connected: an order left working is cancelled by connecting there as the same client. */
  readonly host: string;
  readonly port: number;
  /** The settings' `trading.armMinutes`: a headless arming lasts as long as the console's. */
  readonly armMinutes: number;
}

/** Connects, waits for positions and open orders, and checks --trade/--confirm-account. */
async function prepare(command: string, f: TradeFlags, io: CommandIo, rt: HeadlessRuntime): Promise<Prepared | number> {
  if ((f.trade === true) !== (f['confirm-account'] !== undefined)) {
    io.err(`tws-risk ${command}: --trade and --confirm-account ACCOUNT go together (without both, the command only prints its plan)`);
    return EXIT.usage;
  }
  const loaded = loadSettings(f.config);
  // A file $TWS_RISK_CONFIG names and that is not there is refused with --trade, as the guard refuses it.
  const refused = [...loaded.problems, ...(loaded.exists ? [] : (loaded.warnings ?? []))];
  if (f.trade === true && refused.length > 0) {
    // Sending on a guess: the connection, the account and the recording come from this file, as the guard's do
    // (docs/guard.md "Settings"); a dry run may print its plan on the defaults.
    for (const p of refused) io.err(`tws-risk ${command}: ${p}`);
    io.err(
      `tws-risk ${command}: --trade does not send on settings it cannot read whole (\`tws-risk config validate --config ${loaded.path}\` names each problem); nothing was sent`,
    );
    return EXIT.usage;
  }
  for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
  for (const w of loaded.warnings ?? []) io.err(w);
  const c = resolveConnection(f, loaded.settings, 30);
  if (typeof c === 'string') {
    io.err(`tws-risk ${command}: ${c}`);
    return EXIT.usage;
  }
  // A dry run only reads: it records nothing unless --record asks (a cron job must not fill the data directory).
  // Sending orders is recorded by default, like the console, for the review that may follow.
  const record = f.record !== undefined || (f.trade === true && f['no-record'] !== true && loaded.settings.recorder.enabled);
  const session = openLive({
    ...c,
    ...(rt.clock ? { clock: rt.clock } : {}),
    record,
    ...(f.record !== undefined ? { recordFile: f.record } : {}),
    recordingSource: 'live',
    settings: loaded.settings,
    onRecorderNote: (t) => io.err(t),
  });
  if (session.recordingProblem) io.err(`tws-risk ${command}: not recording: ${session.recordingProblem}`);
  const r = await waitForData(session, (s) => s.complete.positions && s.complete.openOrders && s.complete.accountDownload, c.timeoutMs);
  if (r.kind !== 'ok') {
    await session.close(`${command}: ${r.kind}`);
    if (r.kind === 'cannotConnect') {
      return connectionFailure(io, command, c, r);
    }
    io.err(`tws-risk ${command}: timed out waiting for positions and open orders`);
    return EXIT.timedOut;
  }
  const account = session.feed.state.account ?? '';
  const confirm = f['confirm-account'];
  if (confirm !== undefined && confirm !== account) {
    io.err(formatDenial({ code: 'ACCOUNT_MISMATCH', confirmed: confirm, connected: account }));
    await session.close(`${command}: account mismatch`);
    return EXIT.usage;
  }
  return { session, account, trading: f.trade === true, clientId: c.clientId, host: c.host, port: c.port, armMinutes: loaded.settings.trading.armMinutes };
}

/**
 * The trading session of one headless command: the same arming, audit, price ladders, lock and one-send rule as the
 * console's. The typed --confirm-account is the deliberate step; the arming lasts `trading.armMinutes`.
 */
function tradingFor(p: Prepared, command: string): TradingSession {
  return new TradingSession({
    mode: 'trade',
    actor: 'headless',
    feed: p.session.feed,
    gateway: p.session.source,
    clientId: p.clientId,
    clock: p.session.clock,
    armMinutes: p.armMinutes,
    audit: { dir: auditDir(), name: command, appVersion: appVersion(), meta: { command } },
  });
}

/** Arms the session for this command; a refusal (not ready) is reported like any denial. */
function armed(t: TradingSession): Denial | undefined {
  const r = t.armHeadless();
  return 'code' in r ? r : undefined;
}

function finish(io: CommandIo, json: boolean, payload: Record<string, unknown>, text: string[]): void {
  if (json) io.out(JSON.stringify(payload, null, 2));
  else for (const l of text) io.out(l);
}

export async function flattenCommand(f: FlattenFlags, io: CommandIo, rt: HeadlessRuntime = {}): Promise<number> {
  if (!f.scope) {
    io.err('tws-risk flatten: --scope is required (all, currency:EUR, class:OPT, underlying:AAPL, conid:N)');
    return EXIT.usage;
  }
  const scope = parseScope(f.scope);
  if (typeof scope === 'string') {
    io.err(`tws-risk flatten: ${scope}`);
    return EXIT.usage;
  }
  const collar = f.collar === undefined ? DEFAULT_COLLAR : Number(f.collar) / 100;
  if (!Number.isFinite(collar) || collar < 0 || collar > 0.2) {
    io.err(`tws-risk flatten: --collar expects a percentage from 0 to 20, got ${JSON.stringify(f.collar)}`);
    return EXIT.usage;
  }
  const whatIfSeconds = f['what-if-timeout'] === undefined ? DEFAULT_WHAT_IF_SECONDS : Number(f['what-if-timeout']);
  if (
    f['what-if-timeout'] !== undefined &&
    (f['what-if-timeout'].trim() === '' || !Number.isFinite(whatIfSeconds) || whatIfSeconds < 0 || whatIfSeconds > 120)
  ) {
    io.err(`tws-risk flatten: --what-if-timeout expects seconds from 0 to 120, got ${JSON.stringify(f['what-if-timeout'])}`);
    return EXIT.usage;
  }
  const p = await prepare('flatten', f, io, rt);
  if (typeof p === 'number') return p;
  const json = f.json === true;
  try {
    const t = tradingFor(p, 'flatten');
    try {
      const orderType = f.mkt ? 'MKT' : 'LMT';
      // Price ladders from contract details and market rules, so marketable limits are on the grid TWS accepts.
      const preview = planFlatten(p.session.feed.state, scope, { clientId: p.clientId, orderType, collar, now: t.now() });
      if (!isDenial(preview) && !f.mkt) await t.fetchTicks(preview.legs.map((l) => l.conId));
      const plan = planFlatten(p.session.feed.state, scope, { clientId: p.clientId, orderType, collar, priceGrids: t.priceGrids, now: t.now() });
      if (isDenial(plan) && plan.code === 'NOTHING_TO_DO' && scope.kind !== 'all')
        return noMatch('flatten', `no position matches --scope ${scopeText(scope)}`, scopeChoices(p.session.feed.state, scope), json, io);
      if (isDenial(plan)) return reportDenial(plan, json, io);
      const picture = afterFlatten(p.session.feed.state, plan, t.now());
      const pictureLines = afterLines(picture, plan.baseCurrency, { allScenarios: true });
      const ours = picture ? new Decimal(picture.after.maintMargin) : undefined;
      const ask = () => askWhatIf(p, plan, whatIfSeconds * 1000);
      if (!p.trading) {
        const w = await ask();
        finish(io, json, { dryRun: true, plan: planJson(plan), afterFlatten: picture ?? null, whatIf: w ? whatIfJson(w, ours, plan.baseCurrency) : null }, [
          ...planText(plan),
          ...pictureLines,
          ...(w ? [whatIfLine(w, ours, plan.baseCurrency)] : []),
          'dry run: nothing sent (add --trade --confirm-account ACCOUNT to send)',
        ]);
        return EXIT.ok;
      }
      const refused = armed(t);
      if (refused) return reportDenial(refused, json, io);
      t.show(plan.id, { kind: 'flatten', plan }, { ...planJson(plan), afterFlatten: picture ?? null } as never);
      // Asked after the plan is locked and before it is sent, as the console's dialog does; bounded, so a TWS that
      // does not answer delays the flatten by the budget at most.
      const w = await ask();
      const whatIf = w ? whatIfJson(w, ours, plan.baseCurrency) : null;
      if (whatIf) t.audit().append({ kind: 'whatIf', detail: whatIf });
      // The limits come from the plan's marks, and the what-if wait (up to --what-if-timeout) may have outlived them:
      // checked again before sending, as the console checks when its dialog is confirmed.
      const late = staleMarkDenial(plan, t.now());
      if (late) {
        t.audit().append({ kind: 'denied', detail: { code: late.code, message: formatDenial(late), planId: plan.id } });
        return reportDenial(late, json, io);
      }
      const deadline = Number(f.timeout ?? 30) * 1000;
      const result = await t.confirm(plan.id, () => t.executeFlatten(plan, deadline));
      if (!result) throw new Error('the plan just shown could not be confirmed');
      finish(io, json, { dryRun: false, plan: planJson(plan), afterFlatten: picture ?? null, whatIf, result: resultJson(result), audit: t.auditFile }, [
        ...planText(plan),
        ...pictureLines,
        ...(w ? [whatIfLine(w, ours, plan.baseCurrency)] : []),
        ...resultText(result, cancelAdvice({ host: p.host, port: p.port, clientId: p.clientId, account: p.account })),
        `audit: ${t.auditFile}`,
      ]);
      return result.complete && result.flat ? EXIT.ok : EXIT.incomplete;
    } finally {
      t.close('flatten done');
    }
  } finally {
    await p.session.close('flatten done');
  }
}

/** Seconds a headless flatten waits in all for TWS's what-if answers (--what-if-timeout). */
const DEFAULT_WHAT_IF_SECONDS = 5;

/**
 * IBKR's own margin after the plan: each closing order asked of TWS as a what-if (never transmitted), within
 * `totalMs` in all on the session's clock; undefined when told not to ask (0).
 */
function askWhatIf(p: Prepared, plan: FlattenPlan, totalMs: number): Promise<PlanWhatIf | undefined> {
  if (totalMs <= 0 || plan.legs.length === 0) return Promise.resolve(undefined);
  const clock = p.session.clock;
  return planWhatIf(p.session.source, plan, totalMs, { totalMs, now: () => clock.now() });
}

/** What the account holds for a scope's kind, so a scope that matches nothing can name the ones that would. */
function scopeChoices(state: PortfolioState, scope: FlattenScope): { noun: string; items: string[] } {
  const held = [...state.positions.values()].filter((r) => !r.position.isZero()).map((r) => r.contract);
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  switch (scope.kind) {
    case 'currency':
      return { noun: 'position currencies', items: uniq(held.map((c) => `currency:${exposureCurrency(c)}`)) };
    case 'class':
      return { noun: 'position classes', items: uniq(held.map((c) => `class:${c.secType}`)) };
    case 'underlying':
      return { noun: 'underlyings', items: uniq(held.map((c) => `underlying:${c.symbol}`)) };
    default:
      return { noun: 'positions', items: held.sort((a, b) => a.conId - b.conId).map((c) => `conid:${c.conId} (${contractLabel(c)})`) };
  }
}

/**
 * A scope or order id that names nothing is a mistake to fix, not "nothing to do" (exit 1): the operator typed
 * something the account does not hold, and is told what it does hold.
 */
function noMatch(command: string, problem: string, exists: { noun: string; items: string[] }, json: boolean, io: CommandIo): number {
  const listed = exists.items.length === 0 ? `the account has no ${exists.noun}` : `${exists.noun}: ${exists.items.join(', ')}`;
  if (json) io.out(JSON.stringify({ error: { message: `${problem}; ${listed}`, exists: exists.items } }, null, 2));
  else io.err(`tws-risk ${command}: ${problem}; ${listed}`);
  return EXIT.invalid;
}

function reportDenial(d: Denial, json: boolean, io: CommandIo): number {
  if (json) io.out(JSON.stringify({ denial: { code: d.code, message: formatDenial(d) } }, null, 2));
  else io.err(formatDenial(d));
  return d.code === 'NOTHING_TO_DO' ? EXIT.ok : EXIT.invalid;
}

/** What a cancel sends, and for a client's or a global cancel every order it acts on (as the console's dialog lists them). */
function cancelPlanText(c: CancelPlan, state: PortfolioState, clientId: number): string[] {
  switch (c.kind) {
    case 'order':
      return [`cancel ${c.description}`];
    case 'client': {
      const ids = new Set(c.orderIds);
      const listed = openOrders(state).filter((o) => o.clientId === clientId && ids.has(o.orderId));
      return [`cancel ${c.orderIds.length} open order(s) of this client: ${c.orderIds.join(', ')}`, ...listed.map((o) => cancelListing(o, clientId))];
    }
    case 'global':
      return [
        `GLOBAL CANCEL: ${c.openOrders} open order(s), ${c.otherClients} of them from other API clients or typed into TWS by hand; all are cancelled`,
        ...openOrders(state).map((o) => cancelListing(o, clientId)),
      ];
  }
}

export async function cancelCommand(f: CancelFlags, io: CommandIo, rt: HeadlessRuntime = {}): Promise<number> {
  const chosen = [f.all, f.global, f.order !== undefined].filter(Boolean).length;
  if (chosen !== 1) {
    io.err("tws-risk cancel: choose exactly one of --all (this client's orders), --global (every order, all clients) or --order ID");
    return EXIT.usage;
  }
  if (f.order !== undefined && !/^\d+$/.test(f.order)) {
    io.err(`tws-risk cancel: --order expects an order id, got ${JSON.stringify(f.order)}`);
    return EXIT.usage;
  }
  const p = await prepare('cancel', f, io, rt);
  if (typeof p === 'number') return p;
  const json = f.json === true;
  try {
    const what = f.global ? ({ kind: 'global' } as const) : f.all ? ({ kind: 'client' } as const) : ({ kind: 'order', orderId: Number(f.order) } as const);
    const plan = planCancel(p.session.feed.state, what, p.clientId);
    if (isDenial(plan) && plan.code === 'NOTHING_TO_DO' && what.kind === 'order') {
      const open = [...p.session.feed.state.orders.values()]
        .filter(isOpen)
        .sort((a, b) => a.orderId - b.orderId)
        .map(describeOrder);
      return noMatch('cancel', `order ${what.orderId} is not an open order`, { noun: 'open orders', items: open }, json, io);
    }
    if (isDenial(plan)) return reportDenial(plan, json, io);
    // Listed as planned: once sent, the orders cancelled are no longer open to list.
    const cancelText = cancelPlanText(plan, p.session.feed.state, p.clientId);
    if (!p.trading) {
      finish(io, json, { dryRun: true, plan }, [...cancelText, 'dry run: nothing sent (add --trade --confirm-account ACCOUNT to send)']);
      return EXIT.ok;
    }
    const t = tradingFor(p, 'cancel');
    try {
      const refused = armed(t);
      if (refused) return reportDenial(refused, json, io);
      const id = `cancel-${t.now().toString(36)}`;
      t.show(id, { kind: 'cancel', plan }, { planId: id, ...plan } as never);
      const result = await t.confirm(id, () => t.executeCancel(plan, Number(f.timeout ?? 30) * 1000));
      if (!result) throw new Error('the plan just shown could not be confirmed');
      finish(io, json, { dryRun: false, plan, result: resultJson(result), audit: t.auditFile }, [
        ...cancelText,
        ...resultText(result, cancelAdvice({ host: p.host, port: p.port, clientId: p.clientId, account: p.account })),
        `audit: ${t.auditFile}`,
      ]);
      return result.complete ? EXIT.ok : EXIT.incomplete;
    } finally {
      t.close('cancel done');
    }
  } finally {
    await p.session.close('cancel done');
  }
}
