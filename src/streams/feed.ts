// The feed: stamps every fact with a gap-free seq and its receive time, folds it into state, and records it.
import { BehaviorSubject, Subject, Subscription, type Observable } from 'rxjs';
import type { FeedEvent, FeedEventBody } from '../model/events.js';
import { reduce, reduceBatch } from '../model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../model/state.js';

/**
 * A source that hands each body to a function by a plain call (TwsSource.events$): the feed listens this way when it
 * can, so no rxjs Subscriber chain runs per message. Returns the function that stops listening.
 */
export interface DirectSource {
  /**
   * `owned` (second argument of `next`): the body was made for this call and nothing else holds it or will be handed
   * it (this listener is the source's only consumer), so the listener may stamp it in place instead of copying it.
   */
  listen(next: (body: FeedEventBody, owned?: boolean) => void, readEnded?: () => void): () => void;
  /**
   * True when `listen` calls `readEnded` after every socket read's bodies, and after every body it hands over outside
   * a read (a timer's, a connection's): the feed may then hold a read's market data until the read ends and fold it
   * into one state (see `Feed`).
   */
  readonly signalsReads?: boolean;
}

/** Where recorded events go; the flight recorder implements it. */
export interface EventSink {
  /** One event, with the states before and after it. */
  record(ev: FeedEvent, stateAfter: PortfolioState, stateBefore: PortfolioState): void;
  /**
   * A run of events folded into one state (one socket read's market data), in seq order, with the states before the
   * first and after the last: the states between them were never made. A sink without it is given each event with
   * its own states, folded again for it (correct, and as slow as before runs).
   */
  recordRun?(events: readonly FeedEvent[], stateAfter: PortfolioState, stateBefore: PortfolioState): void;
  close(reason: string, finalState?: PortfolioState): Promise<void>;
}

/**
 * Events a feed on a read-signalling source folds a socket read at a time: the busy market data (99% of a live
 * stream's events). Their states between two events of one read are never made: subscribers see one state per read,
 * and each of its events after it. Every other event (health, orders, executions, errors, snapshots' ends, accounts,
 * operator and guard actions, alerts) first delivers the run before it, then gets a state of its own: whatever reacts
 * to those (the trading session disarming on a not-ready state, orders followed on their events) sees each one.
 */
const RUN_TYPES: ReadonlySet<FeedEvent['type']> = new Set<FeedEvent['type']>([
  'optionComputed',
  'portfolioUpdated',
  'priceTicked',
  'accountSummaryUpdated',
  'accountTimeUpdated',
  'pnlUpdated',
]);

export interface FeedOptions {
  /** Wall clock for `receivedAt` (injected so tests and replays are deterministic). */
  readonly now?: () => number;
  readonly sink?: EventSink;
  readonly initial?: PortfolioState;
  /** Called when the sink throws (disk full...): recording stops, the feed goes on, the operator is told. */
  readonly onSinkError?: (err: Error) => void;
}

/** One running pipeline: source → seq → sink + reducer → state. */
export class Feed {
  private readonly stateSubject: BehaviorSubject<PortfolioState>;
  private readonly eventSubject = new Subject<FeedEvent>();
  private readonly subscription: Subscription;
  private seq: number;
  private sink: EventSink | undefined;
  private closed = false;
  /** Events stamped while another was being delivered (see `publish`). */
  private readonly queue: FeedEvent[] = [];
  private publishing = false;
  /** This socket read's market data so far, stamped, not yet folded or delivered (see RUN_TYPES). */
  private run: FeedEvent[] = [];

  /**
   * The state after every event, except inside one socket read's run of market data (RUN_TYPES), which gives one
   * state for the run. Subscribers that need a throttle apply it at the store boundary.
   */
  readonly state$: Observable<PortfolioState>;
  /** Every stamped event, in order; `state` already includes the event (and, inside a run, the rest of its run). */
  readonly events$: Observable<FeedEvent>;

  constructor(
    source$: Observable<FeedEventBody>,
    private readonly opts: FeedOptions = {},
  ) {
    const initial = opts.initial ?? INITIAL_STATE;
    this.seq = initial.lastSeq;
    this.sink = opts.sink;
    this.stateSubject = new BehaviorSubject(initial);
    this.state$ = this.stateSubject.asObservable();
    this.events$ = this.eventSubject.asObservable();
    const direct = source$ as Observable<FeedEventBody> & Partial<DirectSource>;
    if (typeof direct.listen !== 'function') this.subscription = source$.subscribe({ next: (b) => this.publish(b) });
    else if (direct.signalsReads)
      this.subscription = new Subscription(
        direct.listen(
          (b, owned) => this.take(b, owned === true),
          () => this.flush(),
        ),
      );
    else this.subscription = new Subscription(direct.listen((b) => void this.publish(b)));
  }

  /** The current state: after the last event delivered (a socket read still being taken in is not in it yet). */
  get state(): PortfolioState {
    return this.stateSubject.value;
  }

  /**
   * Adds a fact that did not come from the source (operator actions, alert transitions): same stamping, same
   * recording. Called while the feed is publishing (a subscriber reacting to an event: the session's alert engine,
   * a disarm on a lost connection, a recorder failure), the event is stamped at once and delivered right after the
   * one being published, in order, so every subscriber sees every event in seq order and no caller has to defer.
   */
  publish(body: FeedEventBody): FeedEvent {
    // Whatever this read took in before goes first: seq order is delivery order.
    if (this.run.length > 0) this.flush();
    const ev = stamp(body, ++this.seq, (this.opts.now ?? Date.now)());
    if (this.publishing) {
      this.queue.push(ev);
      return ev;
    }
    this.publishing = true;
    try {
      // The usual case, no event queued: delivered without a trip through the queue.
      if (this.queue.length === 0) this.deliver(ev);
      else this.queue.push(ev);
      for (let next = this.queue.shift(); next; next = this.queue.shift()) this.deliver(next);
    } finally {
      // Should delivery throw (a reducer bug), what is still queued keeps its seq and goes out with the next publish.
      this.publishing = false;
    }
    return ev;
  }

  /**
   * A body from a read-signalling source: market data waits for the read's end, anything else goes out at once. A
   * body the source says nobody else holds (`owned`) takes its seq and time in place: the copy `stamp` makes was an
   * object of some ten fields per event, a tenth of the feed's own work and most of its garbage.
   */
  private take(body: FeedEventBody, owned: boolean): void {
    if (this.publishing || !RUN_TYPES.has(body.type)) this.publish(body);
    else if (owned) this.run.push(stampInPlace(body, ++this.seq, (this.opts.now ?? Date.now)()));
    else this.run.push(stamp(body, ++this.seq, (this.opts.now ?? Date.now)()));
  }

  /** Folds the run taken in so far into one state and delivers it; then what subscribers published meanwhile. */
  private flush(): void {
    if (this.run.length === 0 || this.publishing) return;
    // Taken out first: should delivery throw (a reducer bug), these events are not delivered twice.
    const events = this.run;
    this.run = [];
    this.publishing = true;
    try {
      this.deliverRun(events);
      for (let next = this.queue.shift(); next; next = this.queue.shift()) this.deliver(next);
    } finally {
      this.publishing = false;
    }
  }

  private deliverRun(events: readonly FeedEvent[]): void {
    const prev = this.stateSubject.value;
    const next = reduceBatch(prev, events);
    const sink = this.sink;
    if (sink && !this.closed) {
      try {
        if (sink.recordRun) sink.recordRun(events, next, prev);
        else {
          // A sink that wants each event's own states gets them, folded again the ordinary way.
          let s = prev;
          for (const ev of events) {
            const after = reduce(s, ev);
            sink.record(ev, after, s);
            s = after;
          }
        }
      } catch (err) {
        this.sink = undefined;
        this.opts.onSinkError?.(err as Error);
      }
    }
    this.stateSubject.next(next);
    if (this.eventSubject.observed) for (const ev of events) this.eventSubject.next(ev);
  }

  private deliver(ev: FeedEvent): void {
    const prev = this.stateSubject.value;
    const next = reduce(prev, ev);
    if (this.sink && !this.closed) {
      try {
        this.sink.record(ev, next, prev);
      } catch (err) {
        // Recording must never take the console down; say so and carry on without it.
        this.sink = undefined;
        this.opts.onSinkError?.(err as Error);
      }
    }
    this.stateSubject.next(next);
    this.eventSubject.next(ev);
  }

  /** Stops reading the source and seals the recording. */
  async close(reason: string): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.subscription.unsubscribe();
    await this.sink?.close(reason, this.stateSubject.value);
    this.eventSubject.complete();
    this.stateSubject.complete();
  }
}

/** `stamp` without the copy, for a body nothing else holds: the same keys in the same order (seq, then receivedAt, last). */
function stampInPlace(b: FeedEventBody, seq: number, receivedAt: number): FeedEvent {
  const ev = b as FeedEventBody & { seq: number; receivedAt: number };
  ev.seq = seq;
  ev.receivedAt = receivedAt;
  return ev as FeedEvent;
}

/**
 * The body with its seq and receive time, keys in the body's order and then these two (the recorded JSON's order).
 * One spread per event type: a single spread site sees every body shape, goes megamorphic and takes V8's slow path
 * (3-4 times the cost of a spread whose site has seen one shape, measured on twenty shapes); that copy was 6% of live
 * ingest. The body is copied, never stamped in place: a body can go to several feeds (multi.ts routes one to each
 * account) and callers may publish one object more than once.
 */
function stamp(b: FeedEventBody, seq: number, receivedAt: number): FeedEvent {
  switch (b.type) {
    case 'optionComputed':
      return { ...b, seq, receivedAt };
    case 'portfolioUpdated':
      return { ...b, seq, receivedAt };
    case 'priceTicked':
      return { ...b, seq, receivedAt };
    case 'accountTimeUpdated':
      return { ...b, seq, receivedAt };
    case 'pnlUpdated':
      return { ...b, seq, receivedAt };
    case 'accountValueUpdated':
      return { ...b, seq, receivedAt };
    case 'accountSummaryUpdated':
      return { ...b, seq, receivedAt };
    case 'positionUpdated':
      return { ...b, seq, receivedAt };
    case 'dividendsReceived':
      return { ...b, seq, receivedAt };
    case 'openOrderUpdated':
      return { ...b, seq, receivedAt };
    case 'orderStatusUpdated':
      return { ...b, seq, receivedAt };
    case 'executionReceived':
      return { ...b, seq, receivedAt };
    case 'commissionReceived':
      return { ...b, seq, receivedAt };
    case 'brokerMessage':
      return { ...b, seq, receivedAt };
    case 'healthChanged':
      return { ...b, seq, receivedAt };
    default:
      // Rare events (snapshots' ends, operator and guard actions, alerts): one shared site is cheap enough for them.
      return { ...b, seq, receivedAt } as FeedEvent;
  }
}
