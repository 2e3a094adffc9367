// Follows one account's session live from the stream: folds the publisher's events in seq order, read-only, never past a gap.
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import type { Clock } from '../../model/clock.js';
import { decodeEvent } from '../../model/codec.js';
import type { FeedEvent } from '../../model/events.js';
import { reduce } from '../../model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../model/state.js';
import { neutralise, neutraliseRecorded } from '../../model/text.js';
import { readEventsFrom } from './fleet.js';
import { eventsSubject, HDR_SESSION, SUBJECT_ROOT, accountToken } from './subjects.js';
import { decodeSummary } from './summary.js';

/*
 * The console's feed when it follows an account from NATS (docs/fleet.md "Following an account"). The events keep the
 * publisher's seq and receive time, so the fold is the publisher's own. Events arrive in stream order, which is not
 * always seq order (a batch resent after a lost acknowledgement lands after later ones) and may lack some (a publisher
 * that fell behind past its buffer dropped them): an event past a gap is held, the missing range is read again from
 * the stream, and the state never advances over missing events. So the fold cannot start at the first event read:
 * everything is held until the consumer has caught up with the stream, and the fold starts at the lowest seq held
 * (seq 1 unless the stream has lost its oldest messages; one that has lost none never lost the session's start, which
 * is then a gap like any other, not yet stored). Liveness is what arrives here, on our clock (never the publisher's,
 * which may be skewed): its events and its once-a-second summaries.
 */

export interface FollowStatus {
  /** The server as shown (credentials left out), the publisher's host and session. */
  readonly server: string;
  readonly host: string;
  readonly session: string;
  /** Our connection to NATS. */
  readonly connected: boolean;
  /** When we last heard from the publisher (an event or a summary of its session), on our clock; undefined before. */
  readonly lastHeardAt?: number;
  /** When the last event folded arrived, on our clock. */
  readonly lastEventAt?: number;
  /** The publisher is silent: nothing heard for `staleAfterMs`. */
  readonly silentMs?: number;
  /** Seqs missing between the state's last seq and the next event held; the state stays at `after`. */
  readonly gap?: { readonly after: number; readonly next: number; readonly held: number };
  /** The stream no longer holds the session's first events (retention): the fold starts at this seq. */
  readonly firstSeq?: number;
  /** Why following stopped (the stream or its consumer went away), if it did. */
  readonly error?: string;
}

export interface FollowOptions {
  readonly nc: NatsConnection;
  readonly stream: string;
  readonly account: string;
  readonly session: string;
  readonly host: string;
  readonly server: string;
  readonly clock: Clock;
  /** Silent for this long is said so (the fleet's stale-after). */
  readonly staleAfterMs: number;
  /** How soon a gap is read again from the stream, and then how often while it lasts (default 1 s). */
  readonly refetchMs?: number;
  /** Events held past a gap at most; beyond it the newest are not kept (they are in the stream, read again from there). */
  readonly maxHeld?: number;
  /** Messages one gap refetch reads at most (default 5 000); a gap needing more is read on in the next ones. */
  readonly refetchBatch?: number;
}

export class StreamFollower {
  private readonly stateSubject = new BehaviorSubject<PortfolioState>(INITIAL_STATE);
  private readonly eventSubject = new Subject<FeedEvent>();
  private readonly held = new Map<number, FeedEvent>();
  /** The seq to fold next; undefined until the fold's start is known. */
  private expected: number | undefined;
  private firstSeq: number | undefined;
  /** The stream's first sequence when following began: above 1, retention has removed its oldest messages. */
  private streamFirst = 1;
  /** The live consumer has delivered everything the stream held (a message with nothing pending after it). */
  private caughtUp = false;
  /** The stream sequence of the last message the live consumer delivered. */
  private liveAt = 0;
  /**
   * The lowest stream sequence of an event of the session read and not kept (held was full): a refetch starts there.
   * Anything else missing is not in the stream up to `liveAt` (the live consumer delivers every message in stream
   * order), so without it a refetch starts past `liveAt`.
   */
  private unkeptFrom: number | undefined;
  private lastHeardAt: number | undefined;
  private lastEventAt: number | undefined;
  private connected = true;
  private error: string | undefined;
  private closed = false;
  private refetchTimer: ReturnType<typeof setTimeout> | undefined;
  private refetching = false;
  private readonly consumers: ConsumerMessages[] = [];
  /** Fetches made to fill a gap (tests read it: a gap is read again from the stream, not only awaited). */
  refetches = 0;
  /** The latest fetches (at most 64): the stream sequence each started at and the messages it read (a gap is read from where it is). */
  readonly refetchLog: { readonly from: number; readonly read: number }[] = [];

  readonly state$: Observable<PortfolioState> = this.stateSubject.asObservable();
  readonly events$: Observable<FeedEvent> = this.eventSubject.asObservable();

  private constructor(private readonly o: FollowOptions) {}

  /** Subscribes to the account's events (from the stream's first) and its summaries (the last, then each new one). */
  static async start(o: FollowOptions): Promise<StreamFollower> {
    const f = new StreamFollower(o);
    const js = jetstream(o.nc);
    f.streamFirst = (await (await jetstreamManager(o.nc)).streams.info(o.stream)).state.first_seq;
    const events = await js.consumers.get(o.stream, { filter_subjects: eventsSubject(o.account), deliver_policy: DeliverPolicy.All });
    const summaries = await js.consumers.get(o.stream, {
      filter_subjects: `${SUBJECT_ROOT}.${accountToken(o.account)}.summary.*`,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    f.consumers.push(await events.consume(), await summaries.consume());
    // Text from the stream is someone else's: neutralised where it enters, as the recording reader does.
    void f.run(
      f.consumers[0]!,
      (data, m) => f.onEvent(neutraliseRecorded(decodeEvent(JSON.parse(data))), true, m.seq),
      (m) => {
        f.liveAt = m.seq;
        if (m.info.pending === 0 && !f.caughtUp) {
          f.caughtUp = true;
          f.begin();
        }
      },
    );
    void f.run(f.consumers[1]!, (data) => {
      const s = decodeSummary(data);
      // A summary older than what we have heard says nothing about now (the last one of a dead publisher).
      if (typeof s !== 'string' && s.session === o.session && o.clock.now() - s.at < o.staleAfterMs) f.heard();
    });
    void f.watch();
    return f;
  }

  get state(): PortfolioState {
    return this.stateSubject.value;
  }

  status(): FollowStatus {
    const now = this.o.clock.now();
    const silent = this.lastHeardAt === undefined ? undefined : now - this.lastHeardAt;
    const lo = this.expected;
    const next = this.firstHeld();
    return {
      server: this.o.server,
      host: neutralise(this.o.host),
      session: neutralise(this.o.session),
      connected: this.connected,
      ...(this.lastHeardAt !== undefined ? { lastHeardAt: this.lastHeardAt } : {}),
      ...(this.lastEventAt !== undefined ? { lastEventAt: this.lastEventAt } : {}),
      ...(silent !== undefined && silent > this.o.staleAfterMs ? { silentMs: silent } : {}),
      ...(lo !== undefined && next !== undefined ? { gap: { after: lo - 1, next, held: this.held.size } } : {}),
      ...(this.firstSeq !== undefined && this.firstSeq > 1 ? { firstSeq: this.firstSeq } : {}),
      ...(this.error ? { error: neutralise(this.error) } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.refetchTimer) clearTimeout(this.refetchTimer);
    for (const c of this.consumers) c.stop();
    this.eventSubject.complete();
    this.stateSubject.complete();
  }

  /** The lowest seq held past the gap (a loop: up to maxHeld keys would overflow a spread's arguments). */
  private firstHeld(): number | undefined {
    let min: number | undefined;
    for (const k of this.held.keys()) if (min === undefined || k < min) min = k;
    return min;
  }

  private heard(): void {
    this.lastHeardAt = this.o.clock.now();
  }

  /** `each` for the session's messages; `after` for every message, once `each` has seen it. */
  private async run(msgs: ConsumerMessages, each: (data: string, m: JsMsg) => void, after?: (m: JsMsg) => void): Promise<void> {
    try {
      for await (const m of msgs) {
        if (this.closed) break;
        if (m.headers?.get(HDR_SESSION) === this.o.session) this.readOne(() => each(m.string(), m));
        after?.(m);
      }
    } catch (e) {
      if (!this.closed) this.error = `following stopped: ${(e as Error).message}`;
    }
  }

  private readOne(each: () => void): void {
    try {
      each();
    } catch (e) {
      // A damaged message is not folded, and the gap it leaves is said like any other (it is never skipped over).
      this.error = `a message in the stream cannot be read: ${(e as Error).message}`;
    }
  }

  private async watch(): Promise<void> {
    for await (const s of this.o.nc.status()) {
      if (s.type === 'disconnect') this.connected = false;
      else if (s.type === 'reconnect') this.connected = true;
    }
  }

  /**
   * Folds an event in seq order; one past a gap is held until the gap is filled. `streamSeq` is where the stream
   * keeps it: an event that cannot be held (held is full) is read again from there.
   */
  onEvent(ev: FeedEvent, live = true, streamSeq?: number): void {
    if (this.closed) return;
    if (live) this.heard();
    if (this.expected === undefined) {
      // Where the fold starts is known once the stream has been read to its end (or held is full): hold until then.
      this.hold(ev, streamSeq);
      if (this.caughtUp || this.held.size >= this.maxHeld) this.begin();
      return;
    }
    if (ev.seq < this.expected) return; // a duplicate (a resend, or a refetch overlapping the live delivery)
    if (ev.seq > this.expected) {
      this.hold(ev, streamSeq);
      this.scheduleRefetch();
      return;
    }
    this.fold(ev);
    this.foldHeld();
    // Everything held is folded, but events not kept are still to be read: they are in the stream, read at once.
    if (this.held.size === 0 && this.unkeptFrom !== undefined) this.scheduleRefetch(true);
  }

  private get maxHeld(): number {
    return this.o.maxHeld ?? 100_000;
  }

  private hold(ev: FeedEvent, streamSeq: number | undefined): void {
    if (this.held.has(ev.seq)) return;
    if (this.held.size < this.maxHeld) this.held.set(ev.seq, ev);
    else if (streamSeq !== undefined) this.unkeptFrom = Math.min(this.unkeptFrom ?? Infinity, streamSeq);
  }

  /**
   * Starts the fold at the lowest seq held. Below it, seqs the stream lacks are a retention loss only when the stream
   * has lost messages; one that has lost none never stored them yet (a resend to come): a gap, held and read again.
   */
  private begin(): void {
    const lowest = this.firstHeld();
    if (this.expected !== undefined || lowest === undefined || this.closed) return;
    const lost = lowest > 1 && this.streamFirst > 1;
    this.expected = lost ? lowest : 1;
    if (lost) this.firstSeq = lowest;
    this.foldHeld();
    if (this.held.size > 0 || this.unkeptFrom !== undefined) this.scheduleRefetch(this.held.size === 0);
  }

  private foldHeld(): void {
    for (let next = this.held.get(this.expected!); next; next = this.held.get(this.expected!)) {
      this.held.delete(next.seq);
      this.fold(next);
    }
  }

  private fold(ev: FeedEvent): void {
    this.expected = ev.seq + 1;
    this.lastEventAt = this.o.clock.now();
    this.stateSubject.next(reduce(this.stateSubject.value, ev));
    this.eventSubject.next(ev);
  }

  private scheduleRefetch(soon = false): void {
    if (this.refetchTimer || this.refetching || this.closed) return;
    this.refetchTimer = setTimeout(
      () => {
        this.refetchTimer = undefined;
        void this.refetch();
      },
      soon ? 0 : (this.o.refetchMs ?? 1_000),
    );
  }

  /**
   * Reads the stream again from where the missing events can be (never the session's start), a bounded batch at a
   * time; while they are still missing, tries again later, at once when a batch moved the fold and more is left.
   */
  private async refetch(): Promise<void> {
    if ((this.held.size === 0 && this.unkeptFrom === undefined) || this.expected === undefined || this.closed) return;
    this.refetching = true;
    this.refetches++;
    const from = this.unkeptFrom ?? this.liveAt + 1;
    const before = this.expected;
    let more = false;
    let failed = false;
    this.unkeptFrom = undefined;
    try {
      const read = await readEventsFrom(this.o.nc, this.o.stream, this.o.account, from, this.o.refetchBatch ?? 5_000);
      this.refetchLog.push({ from, read: read.messages.length });
      if (this.refetchLog.length > 64) this.refetchLog.shift();
      for (const m of read.messages)
        if (m.session === this.o.session) this.readOne(() => this.onEvent(neutraliseRecorded(decodeEvent(JSON.parse(m.data))), false, m.streamSeq));
      const last = read.messages[read.messages.length - 1];
      // What lies past this batch is read on next time (it may hold events not kept while held was full).
      if (read.more && last) this.unkeptFrom = Math.min(this.unkeptFrom ?? Infinity, last.streamSeq + 1);
      more = read.more;
    } catch (e) {
      failed = true;
      this.unkeptFrom = Math.min(this.unkeptFrom ?? Infinity, from);
      this.error = `cannot read the missing events again: ${(e as Error).message}`;
    } finally {
      this.refetching = false;
    }
    // At once when the next events are surely in the stream (nothing held, some not kept) or a batch moved the fold.
    if (this.held.size > 0 || this.unkeptFrom !== undefined)
      this.scheduleRefetch(!failed && ((this.held.size === 0 && this.unkeptFrom !== undefined) || (more && this.expected !== before)));
  }
}
