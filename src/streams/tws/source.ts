// TwsSource: one connection to TWS / IB Gateway through @stoqey/ib, as FeedEvent bodies. This file is the connection
// (lifecycle, health, heartbeat, the followed account, TWS's notices); what it asks for is in subscriptions.ts, the
// raw events it turns into FeedEvent bodies in raw-events.ts (wire shapes in map.ts), and orders in orders.ts.
//
// Decisions (reference/tws-protocol.md §5, §7): IBApiNext owns the socket, account summary and PnL; positions,
// account updates, orders, executions and market data come from raw IBApi events so that our own reducer is the
// only store. Reconnection, the heartbeat and the ready gate are ours, not the library's (its watchdog misses
// zombies, and it queues orders while disconnected and replays them later).
import { ConnectionState, EventName, IBApiNext, type IBApi } from '@stoqey/ib';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { systemClock, type Clock, type TimerHandle } from '../../model/clock.js';
import type { Contract } from '../../model/contract.js';
import type { FeedEventBody } from '../../model/events.js';
import type { DirectSource } from '../feed.js';
import { OPERATOR_STOP_REASON, type ConnectionCause, type FatalCause } from '../../model/connection.js';
import type { OrderRequest, OrderSnapshot, SendRefusal, SendResult, WhatIfReply } from '../../model/orders.js';
import { neutraliseDeep } from '../../model/text.js';
import { backoffDelay, deriveHealth, INITIAL_HEALTH_INPUTS, isConnectedAndSynced, type HealthInputs } from '../health.js';
import { classify } from './error-codes.js';
import { installWireGuard } from './guard.js';
import type { HotDecoder } from './hot-decode.js';
import { farmName, NEUTRAL_BODIES } from './map.js';
import { OrderDesk } from './orders.js';
import { RawEvents } from './raw-events.js';
import { RepeatLimiter } from './repeat-limit.js';
import { Subscriptions, type WatchedStream } from './subscriptions.js';

/** Our raw request ids start here, far above IBApiNext's own (which count up from 1): no collisions (§5 #7). */
const RAW_REQ_ID_BASE = 700_000;
/** TWS reports whole seconds: a drift below this is rounding, not news worth an event. */
const BROKER_TIME_DRIFT_MS = 2_000;

export interface TwsSourceOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  /** Account to follow when the login manages several; else the first one, with a notice. */
  readonly account?: string;
  /**
   * Follow several accounts of one (advisor) login at once, through reqAccountUpdatesMulti and reqPositionsMulti:
   * 'all' the login manages, or the ones named (each must be managed). Overrides `account`; orders still go to the
   * first. Route the events per account with multi.ts.
   */
  readonly accounts?: 'all' | readonly string[];
  readonly heartbeatMs?: number;
  readonly heartbeatTimeoutMs?: number;
  /**
   * An attempt whose API handshake (TWS's server version) has not arrived within this time is abandoned: the socket
   * is closed and the backoff runs. TWS can accept the TCP connection and stay silent (its "accept incoming API
   * connection" prompt, a busy start-up, a zombie), and nothing else would ever end the wait.
   */
  readonly handshakeTimeoutMs?: number;
  /** Connected but no nextValidId within this time: reconnect (§5 #2). */
  readonly readyTimeoutMs?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number; readonly jitter: number };
  /** Poll open orders and executions this often to see other clients' and manual TWS orders (§5 #12). 0 disables. */
  readonly openOrdersPollMs?: number;
  /** Subscribe market data for positions (options get model greeks). At most this many lines. */
  readonly maxMarketDataLines?: number;
  /**
   * A subscribed stream that stops updating for longer than this (ms) makes health degraded, with the stream named.
   * Defaults: model/freshness.ts STALE_AFTER_MS (market data 30 s, portfolio marks 200 s).
   */
  readonly staleAfterMs?: Partial<Record<WatchedStream, number>>;
  /** Diagnostic log (the library's own logger never writes to the terminal). */
  readonly log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /**
   * Time for the heartbeat, its timeout, the handshake and ready timeouts, reconnect backoff, the open-orders poll, the contract
   * details timeout and staleness (default: the system clock). The socket itself always runs in real time.
   */
  readonly clock?: Clock;
}

/** A FeedEvent body and, where it is not in the body, the account it belongs to (see routed$). */
export interface RoutedBody {
  readonly body: FeedEventBody;
  readonly account?: string;
}

const SILENT_LOGGER = { debug() {}, info() {}, warn() {}, error() {} };

export class TwsSource {
  /** Bodies as they are emitted (see `emit`), and the same with their account for routed$. */
  private readonly bodies = new Subject<FeedEventBody>();
  private readonly routedBodies = new Subject<RoutedBody>();
  /**
   * Every fact this source observes, as FeedEvent bodies (the feed stamps seq and time). Every string in them is
   * TWS's text: control characters are made visible here, where it enters, so no symbol or message can drive the
   * operator's terminal.
   */
  readonly events$: Observable<FeedEventBody> & DirectSource = Object.assign(this.bodies.asObservable(), {
    listen: (next: (body: FeedEventBody, owned?: boolean) => void, readEnded?: () => void) => this.listen(next, readEnded),
    signalsReads: true as const,
  });
  /** Called with every body before the Subject's subscribers (see `listen`). */
  private listeners: ((body: FeedEventBody, owned?: boolean) => void)[] = [];
  /** Called after each socket read's bodies, and after each body emitted outside a read (see `listen`). */
  private readEnds: (() => void)[] = [];
  /** Inside a socket read (guard.ts calls back around the library's onData): bodies wait for its end. */
  private reading = false;
  private completed = false;
  /**
   * The same events, each with the account it belongs to where the wire says so apart from the body (the end of one
   * account's *Multi snapshot): what multi.ts routes to per-account feeds when several accounts are followed.
   */
  readonly routed$: Observable<RoutedBody> = this.routedBodies.asObservable();

  private ib: IBApiNext | undefined;
  private api: IBApi | undefined;
  private subs: Subscription[] = [];
  /** The library subscriptions of the last synchronisation (account summary, PnL): a resynchronisation ends them first. */
  private syncSubs: Subscription[] = [];
  private inputs: HealthInputs = INITIAL_HEALTH_INPUTS;
  private lastHealth = '';
  private stopped = true;
  private attempt = 0;
  /** When the next connection attempt is due (the source's clock), while it waits for it; shown to the operator. */
  private retryAt: number | undefined;
  /**
   * When the connection last went down (the source's clock), until it is usable again: each refused attempt is logged,
   * so its return is logged too, with how long it was away.
   */
  private downSince: number | undefined;
  private timers = new Set<TimerHandle>();
  private heartbeatPending: TimerHandle | undefined;
  private heartbeatAnsweredAt: number | undefined;
  /** TWS's clock minus ours, as last published (brokerTimeReceived). */
  private brokerOffset: number | undefined;
  /** Counts answers, so a late timeout can tell whether the answer it waited for arrived meanwhile. */
  private heartbeatAnswers = 0;
  private readonly clock: Clock;
  private nextReqId = RAW_REQ_ID_BASE;
  private account: string | undefined;
  private synced = false;
  /** MANAGED_ACCTS seen on this connection: nothing is requested before the login is known to manage the account. */
  private accountsSeen = false;
  /** The login in use does not manage the followed account (said once per change, as an accountChanged event). */
  private accountLost = false;
  /** Counts lost connections: an order sent before a change of epoch may have been lost on the way. */
  private epoch = 0;
  private readonly opts: Required<Omit<TwsSourceOptions, 'account' | 'accounts' | 'log' | 'clock'>> & Pick<TwsSourceOptions, 'account' | 'accounts' | 'log'>;
  /** Every account followed in multi-account mode (`accounts`), once MANAGED_ACCTS named them; else empty. */
  private followed: readonly string[] = [];
  /** Identical broker messages beyond a few per window are counted, not emitted (a storm must not fill a recording). */
  private readonly repeats = new RepeatLimiter();
  private readonly orders = new OrderDesk();
  private readonly subscriptions: Subscriptions;
  private readonly rawEvents: RawEvents;

  constructor(options: TwsSourceOptions) {
    this.clock = options.clock ?? systemClock;
    this.opts = {
      heartbeatMs: 10_000,
      heartbeatTimeoutMs: 5_000,
      handshakeTimeoutMs: 10_000,
      readyTimeoutMs: 10_000,
      backoff: { initialMs: 500, maxMs: 30_000, jitter: 0.2 },
      openOrdersPollMs: 5_000,
      maxMarketDataLines: 90,
      staleAfterMs: {},
      ...options,
    };
    const emit = (b: FeedEventBody, account?: string) => this.emit(b, account);
    const reqId = () => this.nextReqId++;
    this.subscriptions = new Subscriptions({
      clock: this.clock,
      clientId: this.opts.clientId,
      maxMarketDataLines: this.opts.maxMarketDataLines,
      openOrdersPollMs: this.opts.openOrdersPollMs,
      staleAfterMs: this.opts.staleAfterMs,
      orders: this.orders,
      emit,
      reqId,
      later: (ms, fn) => this.later(ms, fn),
      onError: (id, code, message) => this.onError(id, code, message),
    });
    this.rawEvents = new RawEvents({
      emit,
      account: () => this.account,
      follows: (account) => (this.opts.accounts ? this.followed.includes(account) : account === this.account),
      orders: this.orders,
      subscriptions: this.subscriptions,
      nextValidId: (id) => this.onNextValidId(id),
      currentTime: (seconds) => {
        this.onBrokerTime(seconds);
        this.onHeartbeatAnswer();
      },
      managedAccounts: (list) => this.onManagedAccounts(list),
      info: (code, message) => this.onInfo(code, message),
    });
  }

  /** The connection is usable for trading: handshake, nextValidId and heartbeat done, no connectivity loss. */
  get ready(): boolean {
    return deriveHealth(this.inputs).health === 'ready';
  }

  /** When TWS last answered the heartbeat (clock ms), for diagnostics: a silent socket stops moving it. */
  get lastHeartbeatAt(): number | undefined {
    return this.heartbeatAnsweredAt;
  }

  /** How many times the connection was lost so far (see OrderSnapshot). */
  get connectionEpoch(): number {
    return this.epoch;
  }

  /** Every account followed in multi-account mode, once known; else empty. */
  get followedAccounts(): readonly string[] {
    return this.followed;
  }

  /** The account being followed, once chosen. */
  get followedAccount(): string | undefined {
    return this.account;
  }

  /** Starts connecting; reconnects by itself until `stop()` (or a fatal 326). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /**
   * Disconnects and stops every timer; the events stream completes. `reason` is the last healthChanged's sentence
   * (cause operatorStop): what ended the session, "stopped by the operator" unless a signal or a lost terminal did.
   */
  stop(reason: string = OPERATOR_STOP_REASON): void {
    this.stopped = true;
    this.flushRepeats(true);
    this.teardown();
    this.setInputs({ ...this.inputs, socket: 'disconnected', down: { cause: 'operatorStop', reason } });
    this.routedBodies.complete();
    this.bodies.complete();
    this.completed = true;
    this.listeners = [];
    this.readEnds = [];
  }

  /**
   * What the feed uses instead of subscribing to events$: the body is handed to `next` by a plain call, not through
   * rxjs's Subject, Subscriber and observer chain, which cost about 8% of our side of live ingest. A throw from
   * `next` goes back to the decoder's guard (the event is reported dropped) instead of rxjs's asynchronous rethrow.
   * Listeners are called in the order they listened, before events$'s subscribers; none after `stop`.
   * `readEnded` is called when a socket read's bodies have all been handed over, and after every body handed over
   * outside a read (timers, the connection's own events), so a feed may fold a read's market data into one state.
   * `next` is told a body is its own (`owned`) when it is the only listener and nobody subscribes to events$ or
   * routed$: every body is made for its one emit (by raw-events.ts, map.ts, subscriptions.ts or here) and kept by
   * nobody, so the one feed may stamp it in place.
   */
  private listen(next: (body: FeedEventBody, owned?: boolean) => void, readEnded?: () => void): () => void {
    if (this.completed) return () => {};
    this.listeners = [...this.listeners, next];
    if (readEnded) this.readEnds = [...this.readEnds, readEnded];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== next);
      this.readEnds = this.readEnds.filter((l) => l !== readEnded);
    };
  }

  /**
   * The end of a socket read (or of a body outside one). A throw from a listener (the feed folding the read) is
   * reported like one from a listener inside the read (guard.ts): a 508 naming it, and the connection goes on.
   */
  private readEnd(): void {
    const ends = this.readEnds;
    for (let i = 0; i < ends.length; i++) {
      try {
        ends[i]!();
      } catch (e) {
        this.broker({ type: 'brokerMessage', id: -1, code: 508, class: 'error', message: `handling TWS's data failed: ${(e as Error)?.message ?? String(e)}` });
      }
    }
  }

  /**
   * Places an order with a fresh local id, only when ready: @stoqey/ib would otherwise queue it and send it
   * after a reconnect, behind the operator's back (§5 #1). `transmit` is always true (§5 #11).
   */
  placeOrder(contract: Contract, order: OrderRequest): SendResult {
    const refusal = this.refuseUnlessReady('place an order');
    if (refusal) return refusal;
    return this.orders.place(this.api!, contract, order);
  }

  /** TWS's margins before and after one order, asked as a what-if that is not transmitted (OrderDesk.whatIf). */
  whatIfOrder(contract: Contract, order: OrderRequest, timeoutMs = 10_000): Promise<WhatIfReply> {
    const refusal = this.refuseUnlessReady('ask for what-if margins');
    if (refusal) return Promise.resolve(refusal);
    return this.orders.whatIf(this.api!, this.clock, contract, order, timeoutMs);
  }

  cancelOrder(orderId: number): { ok: true } | SendRefusal {
    const refusal = this.refuseUnlessReady('cancel an order');
    if (refusal) return refusal;
    this.api!.cancelOrder(orderId);
    return { ok: true };
  }

  /**
   * Contract details for one conId (minimum tick, the exchange to route to, the market rule id of each valid
   * exchange), or undefined when TWS does not answer within `timeoutMs` (IBApiNext promises never settle on a
   * disconnect, tws-protocol.md §5 #15).
   */
  async contractDetails(
    conId: number,
    timeoutMs = 5_000,
  ): Promise<{ minTick?: number; exchange?: string; marketRuleIds?: string; validExchanges?: string } | undefined> {
    const ib = this.ib;
    if (!ib || !this.ready) return undefined;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<undefined>((r) => (timer = this.clock.setTimeout(() => r(undefined), timeoutMs)));
    try {
      const found = await Promise.race([ib.getContractDetails({ conId }).catch(() => undefined), timeout]);
      const d = found?.[0];
      if (!d) return undefined;
      return {
        ...(d.minTick ? { minTick: d.minTick } : {}),
        ...(d.contract.exchange ? { exchange: d.contract.exchange } : {}),
        ...(d.marketRuleIds ? { marketRuleIds: d.marketRuleIds } : {}),
        ...(d.validExchanges ? { validExchanges: d.validExchanges } : {}),
      };
    } finally {
      this.clock.clear(timer);
    }
  }

  /**
   * One market rule's price ladder ([lowEdge, increment], lowest first), or undefined when TWS does not answer within
   * `timeoutMs` (an unknown id is answered with an error, never a rule: the promise would not settle).
   */
  async marketRule(ruleId: number, timeoutMs = 5_000): Promise<Array<[number, number]> | undefined> {
    const ib = this.ib;
    if (!ib || !this.ready) return undefined;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<undefined>((r) => (timer = this.clock.setTimeout(() => r(undefined), timeoutMs)));
    try {
      const found = await Promise.race([ib.getMarketRule(ruleId).catch(() => undefined), timeout]);
      const ladder = (found ?? [])
        .filter((p) => Number.isFinite(p.lowEdge) && p.increment !== undefined && p.increment > 0)
        .map((p) => [p.lowEdge!, p.increment!] as [number, number])
        .sort((a, b) => a[0] - b[0]);
      return ladder.length > 0 ? ladder : undefined;
    } finally {
      this.clock.clear(timer);
    }
  }

  /**
   * Asks TWS for its open orders, completed orders and executions now, and collects each list up to its end message
   * (or `timeoutMs`): the evidence an execution reconciles its orders with after a reconnect. Read-only. Undefined
   * when the connection is not ready.
   */
  orderSnapshot(timeoutMs = 10_000, account?: string): Promise<OrderSnapshot | undefined> {
    const api = this.api;
    if (!api || !this.ready || !this.synced) return Promise.resolve(undefined);
    // `account`: one of several followed accounts (multi.ts), whose orders a reconciliation reads instead of the first's.
    return this.orders.snapshot(api, this.clock, account ?? this.account, this.nextReqId++, timeoutMs);
  }

  /** reqGlobalCancel: cancels every open order of the account, other clients' and manual TWS orders included. */
  globalCancel(): { ok: true } | SendRefusal {
    const refusal = this.refuseUnlessReady('cancel all orders');
    if (refusal) return refusal;
    this.api!.reqGlobalCancel();
    return { ok: true };
  }

  private refuseUnlessReady(what: string): SendRefusal | undefined {
    if (this.api && this.ready && this.synced) return undefined;
    const h = deriveHealth(this.inputs);
    return { ok: false, reason: `cannot ${what}: the connection is ${h.health} (${h.reason})` };
  }

  // ---- connection lifecycle ----

  private connect(): void {
    if (this.stopped) return;
    this.retryAt = undefined;
    this.teardown();
    const ib = new IBApiNext({ host: this.opts.host, port: this.opts.port, reconnectInterval: 0, connectionWatchdogInterval: 0, logger: SILENT_LOGGER });
    this.ib = ib;
    // Raw events for everything our reducer owns; IBApiNext keeps its private IBApi as `api` (§2.2).
    this.api = (ib as unknown as { api: IBApi }).api;
    // IBApiNext drops the socket itself on 1100/2110 (tws-protocol.md §5 #6), although TWS is still there and will
    // send 1101/1102 when its link to IB returns. We keep the socket and show the loss as degraded instead.
    for (const l of this.api.listeners(EventName.info)) this.api.off(EventName.info, l as (...a: unknown[]) => void);
    // Its only `received` listener stamps Date.now() on every message for its watchdog, which we turn off (the heartbeat
    // is ours): a clock read per message for nothing.
    this.api.removeAllListeners(EventName.received);
    const api = this.api;
    this.guardWire(ib, api, this.rawEvents.attach(api));
    this.inputs = { ...INITIAL_HEALTH_INPUTS, socket: 'connecting', ...(this.inputs.down ? { down: this.inputs.down } : {}) };
    this.emitHealth();
    // connectionState replays its current value (Disconnected) on subscribe: only a drop after an attempt counts.
    let attempted = false;
    this.subs.push(
      ib.connectionState.subscribe((s) => {
        if (this.ib !== ib) return;
        if (s === ConnectionState.Connecting) attempted = true;
        else if (s === ConnectionState.Connected) {
          attempted = true;
          this.onSocketUp();
        } else if (s === ConnectionState.Disconnected && attempted && this.inputs.socket !== 'connecting') {
          this.onSocketDown('socketClosed', 'the connection to TWS closed');
        }
      }),
      ib.error.subscribe((e) => this.onError(e.reqId, e.code, e.error?.message ?? String(e.message))),
    );
    // A connect that fails is not judged from connectionState: @stoqey/ib's IBApiAutoConnection turns the socket's
    // CONNECT_FAIL (502, e.g. ECONNREFUSED) into Disconnected from its own 'error' listener, which runs before
    // IBApiNext publishes that error, so the state would arrive first and without a cause. The 502 names it
    // (onError). A socket that closes before the handshake without an error (TWS hanging up on us) reaches us as the
    // raw `disconnected` event, which the library emits from the socket's close, after any error of that socket.
    api.on(EventName.disconnected, () => {
      if (this.ib === ib && this.inputs.socket === 'connecting') this.onSocketDown('cannotConnect', 'no connection');
    });
    try {
      ib.connect(this.opts.clientId);
    } catch (err) {
      this.onSocketDown('cannotConnect', `cannot connect to ${this.opts.host}:${this.opts.port}: ${(err as Error).message}`);
      return;
    }
    this.later(this.opts.handshakeTimeoutMs, () => this.handshakeTimedOut(ib, api));
  }

  /**
   * The attempt's handshake did not complete in time. As for the heartbeat, a timer that fires late (a blocked event
   * loop) lets pending socket input be read once first, so only a TWS that really stayed silent is given up on.
   */
  private handshakeTimedOut(ib: IBApiNext, api: IBApi): void {
    setImmediate(() => {
      if (this.ib !== ib || this.inputs.socket !== 'connecting') return;
      const seconds = `${Math.round(this.opts.handshakeTimeoutMs / 100) / 10} s`;
      const reason = tcpOpen(api)
        ? `TWS accepted the connection but did not complete the API handshake within ${seconds} (is an "accept incoming connection" prompt open in TWS?)`
        : `cannot connect to ${this.opts.host}:${this.opts.port}: no answer within ${seconds}`;
      // A line of the log too, as a refused attempt is (its 502): a prompt left open in TWS shows there at every try.
      this.broker({ type: 'brokerMessage', id: -1, code: 0, class: 'connection', message: reason });
      this.onSocketDown(tcpOpen(api) ? 'handshakeTimeout' : 'cannotConnect', reason);
    });
  }

  private teardown(): void {
    for (const s of [...this.subs, ...this.syncSubs]) s.unsubscribe();
    this.subs = [];
    this.syncSubs = [];
    for (const t of this.timers) this.clock.clear(t);
    this.timers.clear();
    this.clock.clear(this.heartbeatPending);
    this.heartbeatPending = undefined;
    const ib = this.ib;
    const api = this.api;
    this.ib = undefined;
    this.api?.removeAllListeners();
    this.api = undefined;
    this.subscriptions.reset();
    this.orders.reset();
    this.synced = false;
    this.accountsSeen = false;
    if (ib) {
      try {
        ib.disconnect();
      } catch {
        // already down
      }
    }
    // IBApiNext's disconnect only closes a socket whose handshake completed: one still waiting for TWS's server
    // version would stay open (ESTABLISHED, and TWS's pending prompt with it) behind the next attempt.
    if (api) libSocket(api).client?.destroy();
  }

  private later(ms: number, fn: () => void): TimerHandle {
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref?.();
    this.timers.add(t);
    return t;
  }

  private onSocketUp(): void {
    const { down: _gone, ...rest } = this.inputs;
    this.setInputs({ ...rest, socket: 'connected' });
    this.later(this.opts.readyTimeoutMs, () => {
      if (!this.inputs.nextValidIdSeen && this.inputs.socket === 'connected') {
        this.onSocketDown('noNextValidId', `connected but TWS sent no nextValidId within ${this.opts.readyTimeoutMs} ms`);
      }
    });
  }

  private onSocketDown(cause: ConnectionCause, reason: string): void {
    if (this.inputs.fatal) return;
    this.epoch++;
    this.synced = false;
    this.flushRepeats(true);
    // The wait before the next try is decided first, so the health event that says "down" also says until when.
    const delay = this.stopped ? undefined : backoffDelay(this.attempt++, this.opts.backoff);
    this.retryAt = delay === undefined ? undefined : this.clock.now() + delay;
    this.downSince ??= this.clock.now();
    this.setInputs({ ...this.inputs, socket: 'disconnected', nextValidIdSeen: false, heartbeatAnswered: false, down: { cause, reason } });
    this.teardown();
    if (delay === undefined) return;
    this.opts.log?.('warn', `${reason}; reconnecting in ${delay} ms`);
    this.later(delay, () => this.connect());
  }

  private onFatal(cause: FatalCause, reason: string): void {
    this.setInputs({ ...this.inputs, socket: 'disconnected', fatal: { cause, reason } });
    this.teardown();
  }

  private setInputs(next: HealthInputs): void {
    this.inputs = next;
    this.emitHealth();
  }

  private emitHealth(): void {
    const h = deriveHealth(this.inputs);
    const retryAt = h.health === 'disconnected' && !this.inputs.fatal ? this.retryAt : undefined;
    const key = `${h.health}|${h.cause}|${h.reason}|${retryAt}`;
    if (key === this.lastHealth) return;
    this.lastHealth = key;
    this.emit({
      type: 'healthChanged',
      health: h.health,
      reason: h.reason,
      cause: h.cause,
      host: this.opts.host,
      port: this.opts.port,
      clientId: this.opts.clientId,
      ...(retryAt !== undefined ? { retryAt } : {}),
    });
    if (isConnectedAndSynced(h.health) && this.downSince !== undefined) {
      const away = this.clock.now() - this.downSince;
      this.downSince = undefined;
      // Code 0: no TWS code says this; the source does, in the log beside the refusals it follows.
      this.broker({
        type: 'brokerMessage',
        id: -1,
        code: 0,
        class: 'connection',
        message: `reconnected to ${this.opts.host}:${this.opts.port} after ${awayText(away)}`,
      });
    }
  }

  /**
   * Hands one body to both streams, neutralised once (not once per subscriber). routed$ subscribers come first, as
   * when both read one stream (AccountRouter subscribes before the connection's feed); the body with its account is
   * only made when someone routes.
   */
  private emit(body: FeedEventBody, account?: string): void {
    const b = NEUTRAL_BODIES.has(body.type) ? body : neutraliseDeep(body);
    const routed = this.routedBodies.observed;
    if (routed) this.routedBodies.next(account ? { body: b, account } : { body: b });
    // The array in force when the body went out: one that stops listening meanwhile is replaced, not changed.
    const listeners = this.listeners;
    const observed = this.bodies.observed;
    if (listeners.length === 1) listeners[0]!(b, !routed && !observed);
    else for (let i = 0; i < listeners.length; i++) listeners[i]!(b, false);
    if (observed) this.bodies.next(b);
    if (!this.reading) this.readEnd();
  }

  // ---- heartbeat ----

  private heartbeat(): void {
    if (!this.api || this.heartbeatPending) return;
    const api = this.api;
    const answers = this.heartbeatAnswers;
    this.heartbeatPending = this.clock.setTimeout(() => {
      // After the event loop was blocked (a large first render, a busy machine) this timer fires late, in the timers
      // phase, before the socket's pending input is read: TWS's answer may be sitting unread. Let I/O run once first,
      // so only a TWS that really stayed silent is called a zombie.
      setImmediate(() => {
        if (this.heartbeatAnswers !== answers || this.api !== api) return;
        this.heartbeatPending = undefined;
        // A socket that is open but silent is a zombie (§5 #3): drop it and reconnect.
        this.onSocketDown('heartbeatTimeout', `TWS did not answer the heartbeat within ${this.opts.heartbeatTimeoutMs} ms`);
      });
    }, this.opts.heartbeatTimeoutMs);
    this.heartbeatPending.unref?.();
    this.api.reqCurrentTime();
  }

  /** TWS's clock, from the heartbeat's answer: published when first seen and when it drifts 2 s or more from ours. */
  private onBrokerTime(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds <= 0) return;
    const time = seconds * 1000;
    const offset = time - this.clock.now();
    if (this.brokerOffset !== undefined && Math.abs(offset - this.brokerOffset) < BROKER_TIME_DRIFT_MS) return;
    this.brokerOffset = offset;
    this.emit({ type: 'brokerTimeReceived', time });
  }

  private onHeartbeatAnswer(): void {
    this.clock.clear(this.heartbeatPending);
    this.heartbeatPending = undefined;
    this.heartbeatAnsweredAt = this.clock.now();
    this.heartbeatAnswers++;
    this.flushRepeats(false);
    const first = !this.inputs.heartbeatAnswered;
    if (first) {
      this.attempt = 0;
      this.setInputs({ ...this.inputs, heartbeatAnswered: true });
      this.synchronise();
    }
    this.checkStaleness();
    this.later(this.opts.heartbeatMs, () => this.heartbeat());
  }

  /** Marks subscribed streams that stopped updating; a stream is only watched once it has been requested. */
  private checkStaleness(): void {
    if (!this.synced) return;
    const stale = this.subscriptions.staleStreams();
    const before = this.inputs.staleStreams ?? [];
    if (stale.join() !== before.join()) this.setInputs({ ...this.inputs, staleStreams: stale });
  }

  // ---- synchronisation (at start and after every reconnect) ----

  private synchronise(): void {
    const api = this.api;
    if (!api || !this.account || !this.accountsSeen || this.accountLost) return;
    // Ending the library's subscriptions sends their cancels, so the new ones are fresh requests, not a replay of
    // the old ones' cached values (IBApiNext shares one subscription per request while it has observers).
    for (const s of this.syncSubs) s.unsubscribe();
    this.syncSubs = this.opts.accounts
      ? this.subscriptions.synchroniseMulti(this.ib!, api, this.followed)
      : this.subscriptions.synchronise(this.ib!, api, this.account);
    this.synced = true;
  }

  /**
   * TWS is back with IB but its data was lost (1101): IB says market and account data subscriptions must be
   * resubmitted, on the same socket. Everything a reconnect asks for is asked again, market-data lines included,
   * once per 1101, and the session log says so. Before the first synchronisation there is nothing to ask again.
   */
  private resynchronise(): void {
    const api = this.api;
    if (!api || !this.synced) return;
    this.synchronise();
    if (!this.synced) return;
    const lines = this.subscriptions.resubscribeMarketData(api);
    this.setInputs({ ...this.inputs, dataLost: true });
    const message = `TWS lost its data (1101): requesting the account, positions, orders, executions, account summary, PnL and ${lines} market-data line(s) again`;
    this.opts.log?.('info', message);
    // Code 0: the source's own line, beside TWS's 1101 in the log.
    this.broker({ type: 'brokerMessage', id: -1, code: 0, class: 'connection', message });
  }

  /** The first data after a 1101's resubscription: no longer degraded for it, and stale streams judged afresh. */
  private onDataResumed(): void {
    if (!this.inputs.dataLost) return;
    const { dataLost: _back, ...rest } = this.inputs;
    this.inputs = rest;
    this.checkStaleness();
    this.emitHealth();
  }

  // ---- messages of the connection itself ----

  private onNextValidId(id: number): void {
    this.orders.nextValidId(id);
    if (!this.inputs.nextValidIdSeen) {
      this.setInputs({ ...this.inputs, nextValidIdSeen: true });
      this.heartbeat();
    }
  }

  private onManagedAccounts(list: string): void {
    const accounts = list
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    this.emit({ type: 'managedAccountsReceived', accounts });
    if (this.checkFollowedAccount(accounts)) return;
    if (this.opts.accounts) {
      this.onManagedAccountsMulti(accounts, this.opts.accounts);
      return;
    }
    const wanted = this.opts.account;
    if (wanted && !accounts.includes(wanted)) {
      this.onFatal('accountNotManaged', `account ${wanted} is not managed by this login (it manages ${accounts.join(', ') || 'none'})`);
      return;
    }
    const chosen = wanted ?? accounts[0];
    if (chosen && chosen !== this.account) {
      if (!wanted && accounts.length > 1) {
        this.emit({
          type: 'brokerMessage',
          id: -1,
          code: 0,
          class: 'warning',
          message: `this login manages ${accounts.length} accounts; following ${chosen} (choose with --account)`,
        });
      }
      this.account = chosen;
    }
    this.accountsSeen = true;
    // TWS sends MANAGED_ACCTS before it answers the first heartbeat; should it come after, synchronise now.
    if (this.inputs.heartbeatAnswered && !this.synced) this.synchronise();
  }

  /** Multi-account mode: every named account must be managed; 'all' takes the login's list as first seen. */
  private onManagedAccountsMulti(accounts: readonly string[], wanted: 'all' | readonly string[]): void {
    if (this.followed.length === 0) {
      const list = wanted === 'all' ? accounts : wanted;
      const missing = list.filter((a) => !accounts.includes(a));
      if (missing.length > 0 || list.length === 0) {
        this.onFatal(
          'accountNotManaged',
          `account ${missing.join(', ') || '(none)'} is not managed by this login (it manages ${accounts.join(', ') || 'none'})`,
        );
        return;
      }
      this.followed = [...list];
      this.account = list[0];
    }
    this.accountsSeen = true;
    if (this.inputs.heartbeatAnswered && !this.synced) this.synchronise();
  }

  /**
   * Once an account is followed, a reconnect may land on a login that does not manage it (TWS or the Gateway logged
   * in again as someone else). Following the new login's account instead would show its book as if it were the old
   * one's: say so instead, stay unsynchronised (health connected, naming both) and keep the socket, so that a login
   * managing the account again is noticed on the next reconnect. True when the login does not manage it.
   */
  private checkFollowedAccount(accounts: readonly string[]): boolean {
    // Several accounts followed: losing any one of them is a change of login (AccountRouter tells each account's feed).
    const missing = this.followed.filter((a) => !accounts.includes(a));
    const followed = missing.length > 0 ? missing.join(', ') : this.account;
    if (followed === undefined) return false;
    const lost = this.followed.length > 0 ? missing.length > 0 : !accounts.includes(followed);
    if (lost !== this.accountLost) {
      this.accountLost = lost;
      this.emit({ type: 'accountChanged', followed, managed: [...accounts] });
    }
    if (!lost) return false;
    const others = accounts.join(', ') || 'no account';
    this.setInputs({
      ...this.inputs,
      accountMismatch: `this login manages ${others}, not ${followed} (the account followed): its numbers are not current and trading is refused until a login managing ${followed} is back or tws-risk is restarted`,
    });
    return true;
  }

  /** Frame lengths are checked below the library, and a message that fails to decode stays with that message (guard.ts). */
  private guardWire(ib: IBApiNext, api: IBApi, hot: HotDecoder): void {
    installWireGuard(api, {
      hot,
      onBadFrame: (reason) => {
        if (this.ib !== ib) return;
        this.broker({ type: 'brokerMessage', id: -1, code: 507, class: 'connection', message: reason });
        this.onSocketDown('badFrame', reason);
      },
      onNotTws: (reply) => {
        if (this.ib !== ib) return;
        this.onFatal('notTws', `${this.opts.host}:${this.opts.port} is not TWS: ${reply}; check --host and --port`);
      },
      onMessageError: (reason) => {
        if (this.ib === ib) this.broker({ type: 'brokerMessage', id: -1, code: 508, class: 'error', message: reason });
      },
      readStarted: () => {
        this.reading = true;
      },
      readEnded: () => {
        this.reading = false;
        if (this.subscriptions.readEnded()) this.onDataResumed();
        this.readEnd();
      },
    });
  }

  private broker(body: Extract<FeedEventBody, { type: 'brokerMessage' }>): void {
    for (const b of this.repeats.offer(body, this.clock.now())) this.emit(b);
  }

  private flushRepeats(all: boolean): void {
    for (const b of this.repeats.flush(this.clock.now(), all)) this.emit(b);
  }

  private onInfo(code: number, message: string): void {
    this.broker({ type: 'brokerMessage', id: -1, code, message, class: classify(code).class });
    this.applyEffect(code, message);
  }

  private onError(reqId: number, code: number, message: string): void {
    // Errors for our market-data lines say the line is gone; keep the rest of the feed running.
    this.broker({ type: 'brokerMessage', id: reqId ?? -1, code: code ?? 0, message, class: classify(code).class });
    if (this.ib && (code === 502 || /ECONNREFUSED/.test(message))) {
      // ECONNREFUSED is the errno name (nothing listens on the port), not a sentence: say it plainly.
      const why = /ECONNREFUSED/.test(message) ? 'connection refused' : message;
      this.onSocketDown('cannotConnect', why);
      return;
    }
    this.subscriptions.onError(this.api, reqId, code);
    this.applyEffect(code, message);
  }

  private applyEffect(code: number, message: string): void {
    const effect = classify(code).effect;
    switch (effect) {
      case 'clientIdInUse':
        this.onFatal('clientIdInUse', `client id ${this.opts.clientId} is already in use by another API client (326); choose another with --client-id`);
        break;
      case 'connectivityLost':
      case 'twsToServerBroken':
        this.setInputs({ ...this.inputs, connectivityLost: true });
        break;
      case 'connectivityRestored':
        this.setInputs({ ...this.inputs, connectivityLost: false });
        break;
      case 'connectivityRestoredDataLost':
        // One health change, from lost straight to resubscribing (or to what else holds when nothing was asked yet).
        this.inputs = { ...this.inputs, connectivityLost: false };
        this.resynchronise();
        this.emitHealth();
        break;
      case 'farmDown':
        this.setInputs({ ...this.inputs, farmsDown: [...new Set([...this.inputs.farmsDown, farmName(message)])] });
        break;
      case 'farmUp':
        this.setInputs({ ...this.inputs, farmsDown: this.inputs.farmsDown.filter((f) => f !== farmName(message)) });
        break;
      default:
        break;
    }
  }
}

/** The library's socket object (socket.js), and in it the TCP socket of the current attempt. */
function libSocket(api: IBApi): { client?: { readonly readyState?: string; destroy(): void } } {
  return (api as unknown as { controller: { socket: { client?: { readonly readyState?: string; destroy(): void } } } }).controller.socket;
}

/** Whether the library's TCP socket is open (connected, not closed): TWS accepted it, whatever it said since. */
function tcpOpen(api: IBApi): boolean {
  return libSocket(api).client?.readyState === 'open';
}

/** How long the connection was away, for the reconnect line: tenths under 10 s, whole seconds, then minutes. */
function awayText(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${(Math.round(s * 10) / 10).toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 120) return `${whole} s`;
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}
