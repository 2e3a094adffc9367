// The console store: the one throttle between the feed and the views, publishing immutable snapshots.
import type { Observable, Subscription } from 'rxjs';
import { systemClock, type Clock, type TimerHandle } from '../model/clock.js';
import type { FeedEvent, FeedEventBody, FeedEventType } from '../model/events.js';
import type { PortfolioState } from '../model/state.js';
import type { Alert } from '../risk/alerts/index.js';
import type { FollowStatus } from '../streams/nats/follow.js';
import type { ReplayStatus } from '../streams/replay/player.js';
import type { AccountsView } from '../session/accounts.js';
import type { AccountSession } from '../session/session.js';
import type { RiskResult } from '../session/stress-model.js';

/*
 * DESIGN.md "Views are pure functions of a throttled view model. Throttle once, at the store boundary": price-like
 * events are coalesced and published at most every `throttleMs`; health, broker messages, orders, fills and
 * operator actions publish at once. A slow consumer always gets the newest snapshot, never a backlog (STYLE.md
 * "Publish snapshots, not live objects"). Views read it with useSyncExternalStore and never subscribe to streams.
 */

/** What the store reads: the feed's current state and its stamped events (and where operator acts are recorded). */
export interface FeedLike {
  readonly state: PortfolioState;
  readonly events$: Observable<FeedEvent>;
  /** Records an operator action in the session (the real Feed's publish); absent in tests that need no record. */
  publish?(body: FeedEventBody): unknown;
}

/** Events the operator must see without delay (health, alerts, orders, fills, their own actions). */
export const IMMEDIATE_EVENTS: ReadonlySet<FeedEventType> = new Set<FeedEventType>([
  'healthChanged',
  'snapshotRequested',
  'managedAccountsReceived',
  'accountChanged',
  'brokerMessage',
  'operatorActed',
  'alertChanged',
  'positionsEnded',
  'accountDownloadEnded',
  'accountSummaryEnded',
  'openOrdersEnded',
  'openOrderUpdated',
  'orderStatusUpdated',
  'executionReceived',
  'commissionReceived',
]);

/**
 * The console's frame pace while only prices and the clock move (StoreOptions.frameMs): two frames a second. Each
 * frame lays out and serialises the whole screen, so this, not the size of a change, sets the console's CPU
 * (docs/performance.md).
 */
export const CONSOLE_FRAME_MS = 500;

export interface ConsoleSnapshot {
  /** The state the panes show: held while frozen. */
  readonly state: PortfolioState;
  /** The newest state (the status bar shows live health and what arrived while frozen). */
  readonly live: PortfolioState;
  /** Risk of `state`, computed at this cadence (never inside a component); while frozen, the risk shown at the freeze. */
  readonly risk?: RiskResult;
  /** Alerts listed after this publish's evaluation of the LIVE state (frozen or not), most severe first. */
  readonly alerts?: readonly Alert[];
  /** The clock for ages and the status bar (ms). */
  readonly now: number;
  /**
   * Real time, when `now` is not (a replay's recorded time): what a flash message's few seconds are counted on. On the
   * recorded clock a paused replay kept "no later marker" on screen for good, and a seek back for as long as it went.
   */
  readonly wall?: number;
  /** Set while frozen: when the freeze began, and the live seq at that moment. */
  readonly frozen?: { readonly at: number; readonly seq: number };
  /** Increments with every publish. */
  readonly version: number;
  /** In a replay: the player's position, speed, markers and the file's verification. */
  readonly replay?: ReplayStatus;
  /** Following an account from NATS: the publisher, its silence, a gap being read again. */
  readonly follow?: FollowStatus;
  /** Several accounts followed (issue 20): every account's row, the aggregate, which one the panes show. */
  readonly accounts?: AccountsView;
}

export interface StoreOptions {
  /** Minimum interval between publishes caused by price-like events (settings.ui.throttleMs, default 250). */
  readonly throttleMs: number;
  /** Re-publish this often without events, so ages and the clock move (default 1000). */
  readonly clockMs?: number;
  /**
   * Frame pacing: the views are told of a publish caused only by price-like events or the clock at most this often
   * (at most once per `clockMs` while frozen); health, alerts, orders, fills and operator actions are told at once.
   * Default `throttleMs` (no pacing beyond the throttle). The snapshot itself is built, and risk and the alerts
   * evaluated, at every publish: commands and keys always read the newest one.
   */
  readonly frameMs?: number;
  /** Time for the throttle, the clock tick, the risk cadence and the alerts' durations (default: the system clock). */
  readonly clock?: Clock;
  /**
   * The time the panes show and risk and alerts are evaluated at, when it is not `now`: a replay's recorded time.
   * Throttling and the risk cadence stay on `now` (real time), so a fast replay does not recompute risk faster.
   */
  readonly displayNow?: () => number;
  /** A replay's status, read at every publish. */
  readonly replay?: () => ReplayStatus;
  /** A follow's status, read at every publish (the clock tick keeps its "silent for" moving). */
  readonly follow?: () => FollowStatus;
  /**
   * The account's headless core (src/session): it runs risk and the alert engine on the LIVE state at each publish;
   * the store only throttles and holds the picture while frozen. Absent: the panes show state alone.
   */
  readonly session?: Pick<AccountSession, 'evaluate' | 'acknowledgeAlerts' | 'replaced'>;
  /** Several accounts (src/session/accounts.ts): their rows, read at every publish after the session's evaluation. */
  readonly accounts?: () => AccountsView;
}

export class ConsoleStore {
  private snapshot: ConsoleSnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly subscription: Subscription;
  private readonly tick: TimerHandle;
  private timer: TimerHandle | undefined;
  private timerDue = 0;
  private lastPublish = -Infinity;
  private frozenState: PortfolioState | undefined;
  private frozenRisk: RiskResult | undefined;
  private disposed = false;
  /** An immediate event arrived since the last publish: that publish is told to the views at once. */
  private urgent = false;
  private toldAt = -Infinity;
  private tellTimer: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly now: () => number;

  constructor(
    private readonly feed: FeedLike,
    private readonly opts: StoreOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.now = () => this.clock.now();
    const now = this.now();
    // The first frame does not wait for the first risk pass (a grid over a big book takes a while): it follows at once.
    this.snapshot = {
      state: feed.state,
      live: feed.state,
      now: opts.displayNow?.() ?? now,
      ...(opts.displayNow ? { wall: now } : {}),
      version: 1,
      ...(opts.replay ? { replay: opts.replay() } : {}),
    };
    this.lastPublish = now;
    if (opts.session) this.schedule(0);
    this.subscription = feed.events$.subscribe({ next: (ev) => this.onEvent(ev) });
    this.tick = this.clock.setInterval(() => this.publishPaced(), opts.clockMs ?? 1000);
    this.tick.unref?.();
  }

  /** useSyncExternalStore's subscribe. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** useSyncExternalStore's getSnapshot: the same object until the next publish. */
  readonly getSnapshot = (): ConsoleSnapshot => this.snapshot;

  get frozen(): boolean {
    return this.frozenState !== undefined;
  }

  /** Freeze or thaw the panes. Data keeps flowing into `live`; the status bar says FROZEN. Publishes at once. */
  setFrozen(frozen: boolean): void {
    if (frozen === this.frozen) return;
    this.frozenState = frozen ? this.snapshot.state : undefined;
    // The panes keep the risk they showed; risk and alerts on the live state go on underneath.
    this.frozenRisk = frozen ? this.snapshot.risk : undefined;
    this.publish();
  }

  toggleFreeze(): void {
    this.setFrozen(!this.frozen);
  }

  /**
   * The operator acknowledges every listed alert: recorded in the session, and the alerts say so at once. Returns the
   * ids acknowledged now (none when every listed alert already was), so the console can say which happened.
   */
  acknowledgeAlerts(): readonly string[] {
    const ids = this.opts.session?.acknowledgeAlerts(this.now()) ?? [];
    this.publish();
    return ids;
  }

  /**
   * The state was replaced rather than advanced (a replay seek): forget the last risk result and the alerts'
   * debounce memory, which belong to another moment, and publish.
   */
  replaced(): void {
    this.opts.session?.replaced();
    this.publish();
  }

  /** Publishes now and tells the views at once (also used after a UI action that needs fresh data, e.g. thawing). */
  publish(): void {
    this.publishNow(false);
  }

  /**
   * Publishes now if an immediate event (an operator action, a fill) is waiting for its publish at the next turn:
   * the console calls it after a key, so what the key recorded is drawn in the key's own frame.
   */
  publishUrgent(): void {
    if (this.urgent && this.timer) this.publishNow(false);
  }

  dispose(): void {
    this.disposed = true;
    this.subscription.unsubscribe();
    this.clock.clear(this.tick);
    this.clock.clear(this.timer);
    this.clock.clear(this.tellTimer);
    this.listeners.clear();
  }

  /** A publish for prices or the clock alone: the views hear of it at the frame pace (issue 21: adaptive frame rate). */
  private publishPaced(): void {
    this.publishNow(!this.urgent);
  }

  private publishNow(paced: boolean): void {
    if (this.disposed) return;
    if (this.timer) {
      this.clock.clear(this.timer);
      this.timer = undefined;
    }
    const now = this.now();
    this.lastPublish = now;
    this.urgent = false;
    this.snapshot = this.build(now);
    this.tell(paced, now);
  }

  /*
   * Every frame costs a whole-screen layout and serialisation in Ink, whatever changed, so frames for moving marks
   * are what the console's CPU is made of. Telling the views at most every frameMs (the newest snapshot, when it
   * falls due) bounds that to a few frames a second while marks move and one a second when only the clock does.
   */
  private tell(paced: boolean, now: number): void {
    const gap = this.frozen ? Math.max(this.opts.frameMs ?? this.opts.throttleMs, this.opts.clockMs ?? 1000) : (this.opts.frameMs ?? this.opts.throttleMs);
    const wait = this.toldAt + gap - now;
    if (paced && wait > 0) {
      this.tellTimer ??= this.clock.setTimeout(() => {
        this.tellTimer = undefined;
        if (this.disposed) return;
        // A publish due now too is built first, so the frame shows it rather than waiting a whole frame more.
        if (this.timer && this.timerDue <= this.now()) this.publishNow(false);
        else this.tell(false, this.now());
      }, wait);
      this.tellTimer.unref?.();
      return;
    }
    this.clock.clear(this.tellTimer);
    this.tellTimer = undefined;
    this.toldAt = now;
    for (const l of [...this.listeners]) l();
  }

  private onEvent(ev: FeedEvent): void {
    if (this.disposed) return;
    // Immediate events publish on the store's clock at the next turn, not inside the feed's delivery: a burst (a
    // snapshot end, a reconnect) is one publish, and the session's evaluation, which may publish alert transitions
    // into the feed (queued there in order, streams/feed.ts), runs outside any delivery.
    if (IMMEDIATE_EVENTS.has(ev.type)) {
      this.urgent = true;
      this.schedule(0);
      return;
    }
    this.schedule(this.lastPublish + this.opts.throttleMs - this.now());
  }

  /** Publish after `delayMs`, unless a publish is already due sooner (one timer, at the earliest time asked for). */
  private schedule(delayMs: number): void {
    if (this.disposed) return;
    const due = this.now() + Math.max(0, delayMs);
    if (this.timer && this.timerDue <= due) return;
    this.clock.clear(this.timer);
    this.timerDue = due;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.publishPaced();
      },
      Math.max(0, delayMs),
    );
    this.timer.unref?.();
  }

  private build(realNow: number): ConsoleSnapshot {
    const live = this.feed.state;
    const state = this.frozenState ?? live;
    const now = this.opts.displayNow?.() ?? realNow;
    // Freezing holds the picture only (DESIGN.md): the session runs risk and the alert engine on the live state, so an
    // alert raised while the panes are frozen is still raised, rung, hooked and recorded.
    // Frozen, the panes draw the risk of the freeze: the live pass is for the alerts alone (AccountSession.evaluate).
    const view = this.opts.session?.evaluate(realNow, now, Math.max(1000, this.opts.throttleMs), !this.frozenState);
    if (view?.dueInMs !== undefined) this.schedule(view.dueInMs);
    const liveRisk = view?.risk;
    const risk = this.frozenState ? this.frozenRisk : liveRisk;
    const alerts = view?.alerts;
    const replay = this.opts.replay?.();
    const follow = this.opts.follow?.();
    const accounts = this.opts.accounts?.();
    return {
      state,
      live,
      ...(risk ? { risk } : {}),
      ...(alerts ? { alerts } : {}),
      now,
      ...(this.opts.displayNow ? { wall: realNow } : {}),
      ...(this.frozenState ? { frozen: { at: this.snapshot.frozen?.at ?? now, seq: this.frozenState.lastSeq } } : {}),
      version: this.snapshot.version + 1,
      ...(replay ? { replay } : {}),
      ...(follow ? { follow } : {}),
      ...(accounts ? { accounts } : {}),
    };
  }
}
