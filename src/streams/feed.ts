// The feed: stamps every fact with a gap-free seq and its receive time, folds it into state, and records it.
import { BehaviorSubject, Subject, Subscription, type Observable } from 'rxjs';
import type { FeedEvent, FeedEventBody } from '../model/events.js';
import { reduce } from '../model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../model/state.js';

/**
 * A source that hands each body to a function by a plain call (TwsSource.events$): the feed listens this way when it
 * can, so no rxjs Subscriber chain runs per message. Returns the function that stops listening.
 */
export interface DirectSource {
  listen(next: (body: FeedEventBody) => void): () => void;
}

/** Where recorded events go; the flight recorder implements it. */
export interface EventSink {
  record(ev: FeedEvent, stateAfter: PortfolioState, stateBefore: PortfolioState): void;
  close(reason: string, finalState?: PortfolioState): Promise<void>;
}

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

  /** The state after every event (subscribers that need a throttle apply it at the store boundary). */
  readonly state$: Observable<PortfolioState>;
  /** Every stamped event, in order. */
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
    const direct = (source$ as Observable<FeedEventBody> & Partial<DirectSource>).listen;
    this.subscription =
      typeof direct === 'function' ? new Subscription(direct.call(source$, (b) => void this.publish(b))) : source$.subscribe({ next: (b) => this.publish(b) });
  }

  /** The current state. */
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
    this.closed = true;
    this.subscription.unsubscribe();
    await this.sink?.close(reason, this.stateSubject.value);
    this.eventSubject.complete();
    this.stateSubject.complete();
  }
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
