// One trading session for the console and the headless commands: arming with its TTL, audit, price ladders, locked plans, one send.
import { join } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../model/clock.js';
import type { Contract } from '../model/contract.js';
import type { FeedEventBody, JsonValue, OperatorEvent } from '../model/events.js';
import { dialogShownOf } from '../model/operator.js';
import type { OrderRequest, OrderSnapshot, SendResult } from '../model/orders.js';
import type { PortfolioState } from '../model/state.js';
import type { Arming } from '../model/state.js';
import { arm as armTyped, armStateOf, isArmed, type ArmState, type TradeMode } from './arming.js';
import { AuditLog } from './audit.js';
import { executeCancel, executeFlatten, type ExecutionResult, type TradingDeps } from './execute.js';
import { guardAny } from './guard.js';
import type { Ladder, PriceGrid } from './plan.js';
import { formatDenial, type CancelPlan, type Denial, type FlattenPlan } from './types.js';

/**
 * How long a contract's price grid may take to come (its details, then its rules, each bounded by the gateway's own
 * timeout): a plan waiting on it (the guard, `trade`) goes on with the default tick after this, never blocked forever.
 */
export const GRID_FETCH_MS = 15_000;

/**
 * Each valid exchange's ladder, from contract details' comma lists (TWS gives one rule id per valid exchange). One id
 * for several exchanges is theirs all; lists that do not pair up keep their rules under no exchange (`#id`), so an
 * order is priced on the coarsest of them.
 */
export function laddersByExchange(validExchanges: string, ruleIds: readonly number[], rules: ReadonlyMap<number, Ladder>): Map<string, Ladder> {
  const exchanges = validExchanges
    .split(',')
    .map((e) => e.trim().toUpperCase())
    .filter(Boolean);
  const out = new Map<string, Ladder>();
  ruleIds.forEach((id, i) => {
    const ladder = rules.get(id);
    if (!ladder) return;
    if (ruleIds.length === exchanges.length) out.set(exchanges[i]!, ladder);
    else if (ruleIds.length === 1) for (const e of exchanges) out.set(e, ladder);
    else out.set(`#${id}`, ladder);
  });
  return out;
}

/** The default arming time, as the settings' `trading.armMinutes` defaults it. */
export const DEFAULT_ARM_MINUTES = 5;

/**
 * The gateway port: where orders leave the trading layer. Orders cross it as Decimals (OrderRequest); only the TWS
 * edge (src/streams/tws/orders.ts) turns them into numbers. TwsSource is one.
 */
export interface TradingGateway {
  /** Handshake, nextValidId and a heartbeat answered, no 1100: the source refuses to send otherwise. */
  readonly ready: boolean;
  placeOrder(contract: Contract, order: OrderRequest): SendResult;
  cancelOrder(orderId: number): { ok: true } | { ok: false; reason: string };
  globalCancel(): { ok: true } | { ok: false; reason: string };
  /**
   * Contract details (minimum tick, one market rule id per valid exchange) for marketable limits on the grid TWS
   * accepts; absent: limits on the default tick.
   */
  contractDetails?(conId: number): Promise<{ minTick?: number; marketRuleIds?: string; validExchanges?: string } | undefined>;
  /** A market rule's price ladder (reqMarketRule), undefined when TWS does not answer in time. */
  marketRule?(ruleId: number): Promise<Ladder | undefined>;
  /** Lost connections so far, and TWS's order lists now: orders out during a drop are reconciled (TwsSource). */
  readonly connectionEpoch?: number;
  orderSnapshot?(timeoutMs: number): Promise<OrderSnapshot | undefined>;
}

/** What the session reads and records through: the feed's state, every state (a disconnect disarms), its events, publish. */
export interface TradingFeed {
  readonly state: PortfolioState;
  readonly state$?: { subscribe(next: (s: PortfolioState) => void): { unsubscribe(): void } };
  /** Every event (Feed.events$): sent orders are followed on it, not by polling the state. */
  readonly events$?: { subscribe(next: (e: FeedEventBody) => void): { unsubscribe(): void } };
  publish(body: FeedEventBody): unknown;
}

/** Where the audit log goes: `<dir>/tws-risk-audit-<time>-<name>.jsonl`, opened on the first trading action. */
export interface AuditTarget {
  readonly dir: string;
  /** `console`, or the headless command (`flatten`, `cancel`). */
  readonly name: string;
  readonly appVersion: string;
  readonly meta?: Record<string, string | number | boolean | null>;
}

/** A plan locked when it was shown; the console adds what it needs to offer a new plan (`again`). */
export type LockedPlan = { readonly kind: 'flatten'; readonly plan: FlattenPlan } | { readonly kind: 'cancel'; readonly plan: CancelPlan };

export interface TradingSessionOptions {
  readonly mode: TradeMode;
  /**
   * Who decides: the console's operator (a dialog), the headless command line (--trade --confirm-account), or the
   * guard daemon's written policy (started with --trade --confirm-account).
   */
  readonly actor: 'console' | 'headless' | 'guard';
  readonly feed: TradingFeed;
  readonly gateway: TradingGateway;
  readonly clientId: number;
  readonly audit: AuditTarget;
  /**
   * An audit log already open, to write to instead of opening one (the guard keeps one log for its whole run, and for
   * the sessions it opens under another client's id). The session does not close it.
   */
  readonly auditLog?: AuditLog;
  /** The settings' `trading.armMinutes`: how long an arming lasts (default 5). */
  readonly armMinutes?: number;
  /** Arming expiry, plan ids, deadlines and the watch timer (default: the system clock). */
  readonly clock?: Clock;
  /** How often expiry and the connection are checked (ms). */
  readonly watchMs?: number;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/** Minutes as the operator reads them: "5 minutes", "1 minute", "0.5 minutes". */
export function minutesText(minutes: number): string {
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/**
 * The one place trading state lives for a session (DESIGN.md "Safety"): the arming and its expiry, the audit log,
 * the price ladders, the plans locked when shown, and the rule that one plan sends once and nothing else is confirmed
 * while a send is followed. The console's dialogs and the headless commands are two ways of driving it.
 */
export class TradingSession<L extends LockedPlan = LockedPlan> {
  readonly clock: Clock;
  readonly armMinutes: number;
  readonly armMs: number;
  /** Price grids by conId, fetched once each (fetchTicks), so a dialog (which must open at once) has them. */
  readonly priceGrids = new Map<number, PriceGrid>();
  /**
   * The grid fetches under way, by conId: a second ask (a dialog's, the guard's) waits on the first; a plan made
   * meanwhile without waiting is refused (TICKS_PENDING).
   */
  private readonly gridFetches = new Map<number, Promise<void>>();
  /** conIds whose grid has been asked for (answered or not): neverAsked leaves them out. */
  private readonly gridsAsked = new Set<number>();
  /** Market rules by id, each asked once (many contracts share one); a rule TWS did not give is asked again next time. */
  private readonly rules = new Map<number, Promise<Ladder | undefined>>();
  /** The arming a disarm was published for: it stays in the state until the feed delivers the disarm (feed.ts queue). */
  private disarmedArming: Arming | undefined;
  private log: AuditLog | undefined;
  private closed = false;
  private sending = false;
  private readonly locked = new Map<string, L>();
  private readonly watch: TimerHandle;
  private readonly states: { unsubscribe(): void } | undefined;

  constructor(private readonly o: TradingSessionOptions) {
    this.clock = o.clock ?? systemClock;
    this.armMinutes = o.armMinutes ?? DEFAULT_ARM_MINUTES;
    this.armMs = this.armMinutes * 60_000;
    // Disarmed at once on the state that says not ready. The feed is mid-publish here: it queues the disarm right
    // after the event that caused it (streams/feed.ts), so the recording says why, in order.
    this.states = o.feed.state$?.subscribe((s) => {
      if (s.health === 'ready' || this.closed) return;
      this.disarmState(s, `connection not ready (${s.health}${s.healthReason ? `: ${s.healthReason}` : ''})`);
    });
    // Arming ends by itself, and with the connection: a reconnect must be armed again.
    this.watch = this.clock.setInterval(() => {
      const arm = this.arming;
      if (!arm.armed) return;
      if (!isArmed(arm, this.now())) this.disarm('expired');
      else if (!o.gateway.ready || o.feed.state.health !== 'ready') this.disarm(`connection not ready (${o.feed.state.health})`);
    }, o.watchMs ?? 500);
    this.watch.unref?.();
  }

  get mode(): TradeMode {
    return this.o.mode;
  }

  get clientId(): number {
    return this.o.clientId;
  }

  get state(): PortfolioState {
    return this.o.feed.state;
  }

  /** The arming in force: the state's, reduced from the armed/disarmed events this session recorded (guard.ts reads it). */
  get arming(): ArmState {
    const a = this.o.feed.state.arming;
    return a === this.disarmedArming ? armStateOf(undefined) : armStateOf(a);
  }

  /** The audit file, once the first trading action opened it. */
  get auditFile(): string | undefined {
    return this.o.auditLog?.file ?? this.log?.file;
  }

  /** A send is being followed: no other plan is shown or confirmed until its outcome. */
  get busy(): boolean {
    return this.sending;
  }

  now(): number {
    return this.clock.now();
  }

  /** The session's audit log, opened on first use. */
  audit(): AuditLog {
    if (this.o.auditLog) return this.o.auditLog;
    this.log ??= new AuditLog(
      join(this.o.audit.dir, `tws-risk-audit-${stamp(this.now())}-${this.o.audit.name}.jsonl`),
      {
        appVersion: this.o.audit.appVersion,
        account: this.o.feed.state.account ?? null,
        mode: this.o.actor,
        ...(this.o.audit.meta ? { meta: this.o.audit.meta } : {}),
      },
      () => this.now(),
    );
    return this.log;
  }

  /** Records an operator event in the session (the feed's recording). */
  publish(e: OperatorEvent): void {
    this.o.feed.publish({ type: 'operatorActed', ...e });
  }

  /**
   * Arms from the console: `typed` must be the last four characters of the account id (arming.ts), the connection
   * ready. Lasts `armMinutes`. A wrong answer is audited; the price ladders of the positions are fetched.
   */
  armTyped(typed: string): ArmState | Denial {
    const r = armTyped(this.o.mode, this.o.feed.state.account, typed, this.now(), this.armMs);
    if ('code' in r) {
      if (this.o.mode === 'trade') this.audit().append({ kind: 'denied', detail: { code: r.code, message: formatDenial(r), action: 'arm' } });
      return r;
    }
    const notReady = this.notReady();
    if (notReady) return notReady;
    if (!r.armed) return r;
    this.armed(r, 'palette');
    void this.fetchTicks([...this.o.feed.state.positions.keys()]);
    return r;
  }

  /**
   * Arms for a headless command: typing the account id on the command line (--confirm-account, checked against
   * the connected account by the caller) is the deliberate step. Lasts `armMinutes`, like the console's.
   */
  armHeadless(): ArmState | Denial {
    if (this.o.mode === 'replay') return { code: 'REPLAY_SOURCE' };
    if (this.o.mode === 'readOnly') return { code: 'READ_ONLY' };
    const at = this.now();
    return this.armed(
      { armed: true, until: at + this.armMs, by: 'headless', at },
      this.o.actor === 'guard' ? 'guard --trade --confirm-account' : 'headless --trade --confirm-account',
    );
  }

  disarm(reason: string): void {
    this.disarmState(this.o.feed.state, reason);
  }

  /** The checks any send passes (mode, connection, snapshots, freshness, arming) on the state now. */
  guard(): Denial | undefined {
    return guardAny({ mode: this.o.mode, state: this.o.feed.state, sourceReady: this.o.gateway.ready, arm: this.arming, now: this.now() });
  }

  /** conIds whose price grid is being fetched now. */
  get pendingGrids(): ReadonlySet<number> {
    return new Set(this.gridFetches.keys());
  }

  /**
   * Of `conIds`, those whose grid was never asked for: a position that appeared after arming (arming asks for the
   * positions held then). A contract asked for and not described is not among them: waiting for it again on every
   * plan would hold each flatten for the details' timeout.
   */
  neverAsked(conIds: Iterable<number>): number[] {
    return [...new Set(conIds)].filter((conId) => !this.gridsAsked.has(conId) && !this.priceGrids.has(conId));
  }

  /**
   * Fetches the price grid (minTick and market rules) of each conId without one, all at once (one after another, a
   * 14-position book took 14 round trips, and a flatten opened meanwhile rounded to the default, which TWS refuses:
   * 110), and waits for those already under way; a contract TWS does not describe keeps the default. Resolves within
   * GRID_FETCH_MS whatever the gateway does: the guard plans after it.
   */
  async fetchTicks(conIds: Iterable<number>): Promise<void> {
    if (!this.o.gateway.contractDetails) return;
    // A grid without rules (details that listed none, or rules not answered) is asked again: it may be the minTick alone.
    const wanted = [...new Set(conIds)].filter((conId) => !this.priceGrids.get(conId)?.ladders?.size);
    if (wanted.length === 0) return;
    const all = Promise.all(wanted.map((conId) => this.gridFetches.get(conId) ?? this.startGridFetch(conId)));
    let timer: TimerHandle | undefined;
    const bound = new Promise<void>((r) => (timer = this.clock.setTimeout(r, GRID_FETCH_MS)));
    try {
      await Promise.race([all, bound]);
    } finally {
      this.clock.clear(timer);
    }
  }

  private startGridFetch(conId: number): Promise<void> {
    this.gridsAsked.add(conId);
    const g = this.o.gateway;
    const fetch = (async () => {
      const d = await g.contractDetails!(conId).catch(() => undefined);
      if (!d) return;
      const ids = [
        ...new Set(
          (d.marketRuleIds ?? '')
            .split(',')
            .filter((x) => /^\d+$/.test(x.trim()))
            .map(Number),
        ),
      ];
      const rules = new Map<number, Ladder>();
      await Promise.all(
        ids.map(async (id) => {
          const ladder = await this.rule(id);
          if (ladder) rules.set(id, ladder);
        }),
      );
      const idList = (d.marketRuleIds ?? '').split(',').map((x) => Number(x.trim()));
      // Only a complete set: a missing rule may be the coarse one, so with any missing the minTick alone is kept.
      const ladders = rules.size === ids.length && ids.length > 0 ? laddersByExchange(d.validExchanges ?? '', idList, rules) : undefined;
      const grid: PriceGrid = { ...(d.minTick ? { minTick: d.minTick } : {}), ...(ladders?.size ? { ladders } : {}) };
      if (grid.minTick !== undefined || grid.ladders) this.priceGrids.set(conId, grid);
    })().finally(() => this.gridFetches.delete(conId));
    this.gridFetches.set(conId, fetch);
    return fetch;
  }

  /** A market rule, asked once; forgotten when not answered, so the next fetch asks again. */
  private rule(id: number): Promise<Ladder | undefined> {
    let r = this.rules.get(id);
    if (!r) {
      const ask = this.o.gateway.marketRule;
      r = ask ? ask.call(this.o.gateway, id).catch(() => undefined) : Promise.resolve(undefined);
      this.rules.set(id, r);
      void r.then((l) => {
        if (!l && this.rules.get(id) === r) this.rules.delete(id);
      });
    }
    return r;
  }

  /**
   * A plan as shown to the operator: locked under its id, audited (`planShown`, the whole plan JSON) and recorded
   * (`dialogShown`: the plan's id, scope, orders and what the dialog said).
   */
  show(id: string, locked: L, detail: { [k: string]: JsonValue }): void {
    this.locked.set(id, locked);
    this.audit().append({ kind: 'planShown', detail });
    this.publish({ action: 'dialogShown', detail: dialogShownOf(id, detail) });
  }

  /** The operator declined a shown plan: it is unlocked and the decision audited. */
  decline(id: string): void {
    if (!this.locked.delete(id)) return;
    this.decide(id, 'cancel');
  }

  /**
   * The one-send rule: the locked plan is taken before anything is sent (a second confirm finds nothing), the
   * decision audited, and `send` runs alone. Undefined when the plan was already taken or another send is followed.
   */
  async confirm<R>(id: string, send: (locked: L) => Promise<R>): Promise<R | undefined> {
    const l = this.locked.get(id);
    if (!l || this.sending) return undefined;
    this.locked.delete(id);
    this.decide(id, 'confirm');
    this.sending = true;
    try {
      return await send(l);
    } finally {
      this.sending = false;
    }
  }

  /** Executes a confirmed flatten or reduction through the guard; TWS's read-only API (321) disarms. */
  async executeFlatten(plan: FlattenPlan, timeoutMs: number): Promise<ExecutionResult> {
    return this.after(await executeFlatten(this.deps(), plan, timeoutMs));
  }

  async executeCancel(plan: CancelPlan, timeoutMs: number): Promise<ExecutionResult> {
    return this.after(await executeCancel(this.deps(), plan, timeoutMs));
  }

  /** Appends an alert transition to the audit log if one is open; an unopened or closed log takes none. */
  recordAlert(transition: { readonly [k: string]: JsonValue }): void {
    const log = this.o.auditLog ?? this.log;
    if (log && !this.closed) log.append({ kind: 'alert', detail: transition });
  }

  /** Disarms (if armed), stops watching and seals the audit log. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clear(this.watch);
    this.states?.unsubscribe();
    this.disarm(reason);
    this.log?.close();
  }

  /** What execution needs, on this session's state, gateway, arming and audit log. */
  deps(): TradingDeps {
    const g = this.o.gateway;
    return {
      mode: this.o.mode,
      state: () => this.o.feed.state,
      sourceReady: () => g.ready,
      arm: () => this.arming,
      clock: this.clock,
      placeOrder: (contract, order) => g.placeOrder(contract, order),
      cancelOrder: (id) => g.cancelOrder(id),
      globalCancel: () => g.globalCancel(),
      publish: (b) => this.o.feed.publish(b),
      ...(this.o.feed.events$ ? { events: this.o.feed.events$ } : {}),
      audit: this.audit(),
      clientId: this.o.clientId,
      ...(g.connectionEpoch !== undefined ? { connectionEpoch: () => g.connectionEpoch ?? 0 } : {}),
      ...(g.orderSnapshot ? { orderSnapshot: (ms: number) => g.orderSnapshot!(ms) } : {}),
    };
  }

  private after(r: ExecutionResult): ExecutionResult {
    if (r.readOnlyApi) this.disarm('TWS API is read-only (321)');
    return r;
  }

  private notReady(): Denial | undefined {
    const s = this.o.feed.state;
    return this.o.gateway.ready && s.health === 'ready' ? undefined : { code: 'NOT_READY', health: s.health, reason: s.healthReason ?? 'not ready' };
  }

  /** Disarms the arming `s` holds, once: the disarm may wait in the feed's queue while later states still show it. */
  private disarmState(s: PortfolioState, reason: string): void {
    if (!s.arming || s.arming === this.disarmedArming) return;
    this.disarmedArming = s.arming;
    this.recordDisarm(reason);
  }

  /** Records the arming; the state's `arming`, reduced from this event, is what the guard then reads. */
  private armed(a: ArmState & { armed: true }, by: string): ArmState {
    const account = this.o.feed.state.account ?? '';
    this.audit().append({ kind: 'armed', detail: { by, account, until: new Date(a.until).toISOString() } });
    this.publish({ action: 'armed', detail: { until: a.until, by: a.by, account } });
    return a;
  }

  private decide(planId: string, decision: 'confirm' | 'cancel'): void {
    const by =
      this.o.actor === 'console' ? 'console' : this.o.actor === 'guard' ? 'guard policy (--trade --confirm-account)' : 'headless --trade --confirm-account';
    this.audit().append({ kind: 'decision', detail: { planId, decision, by } });
    this.publish({ action: 'decision', detail: { planId, decision, by: this.o.actor } });
  }

  private recordDisarm(reason: string): void {
    this.audit().append({ kind: 'disarmed', detail: { reason } });
    this.publish({ action: 'disarmed', detail: { reason } });
  }
}
