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
import { eventsSubject, HDR_HOST, HDR_SESSION, SUBJECT_ROOT, accountToken } from './subjects.js';
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
 * which may be skewed): its events and its once-a-second summaries. A publisher that restarts is a new session (seq
 * from 1) on the same summary subject (host and role): once ours has gone silent and the new one is heard, the follow
 * moves on to it, folding it from its own start, and says so.
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
  /** The session followed before the publisher restarted: the follow moved on to `session`. */
  readonly restartedFrom?: string;
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
  /** The session followed: the one opened, or the restarted publisher's new one. */
  private session: string;
  /** Bumped when the follow moves to a new session: a loop or a refetch of the previous one stops using what it reads. */
  private generation = 0;
  /** The summary subject of the session followed (its host and role), and the time of its newest summary. */
  private ownSubject: string | undefined;
  private ownAt = -Infinity;
  /** Where each other session of the same host first appears among the account's events (bounded): a new one is read from there. */
  private readonly firstSeen = new Map<string, number>();
  private restartedFrom: string | undefined;
  /** The next fold starts from an empty state (a new session), the panes keeping the old one until then. */
  private fresh = false;
  private moving = false;
  /** Fetches made to fill a gap (tests read it: a gap is read again from the stream, not only awaited). */
  refetches = 0;
  /** The latest fetches (at most 64): the stream sequence each started at and the messages it read (a gap is read from where it is). */
  readonly refetchLog: { readonly from: number; readonly read: number }[] = [];

  readonly state$: Observable<PortfolioState> = this.stateSubject.asObservable();
  readonly events$: Observable<FeedEvent> = this.eventSubject.asObservable();

  private constructor(private readonly o: FollowOptions) {
    this.session = o.session;
  }

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
    f.runEvents(f.consumers[0]!);
    void f.run(
      f.consumers[1]!,
      (data, m) => {
        const s = decodeSummary(data);
        if (typeof s === 'string' || s.session !== f.session) return;
        f.ownSubject = m.subject;
        f.ownAt = Math.max(f.ownAt, s.at);
        // A summary older than what we have heard says nothing about now (the last one of a dead publisher).
        if (o.clock.now() - s.at < o.staleAfterMs) f.heard();
      },
      (m) => f.restarted(m),
    );
    void f.watch();
    return f;
  }

  private runEvents(msgs: ConsumerMessages): void {
    // Text from the stream is someone else's: neutralised where it enters, as the recording reader does.
    void this.run(
      msgs,
      (data, m) => this.onEvent(neutraliseRecorded(decodeEvent(JSON.parse(data))), true, m.seq),
      (m) => {
        this.liveAt = m.seq;
        const s = m.headers?.get(HDR_SESSION);
        if (s && s !== this.session && !this.firstSeen.has(s) && m.headers?.get(HDR_HOST) === this.o.host) {
          this.firstSeen.set(s, m.seq);
          if (this.firstSeen.size > 64) this.firstSeen.delete(this.firstSeen.keys().next().value!);
        }
        if (m.info.pending === 0 && !this.caughtUp) {
          this.caughtUp = true;
          this.begin();
        }
      },
      true,
    );
  }

  /**
   * A summary of another session on our session's subject (same host and role), newer than ours and fresh, while ours
   * is silent: the publisher restarted. Not while ours is still heard (two publishers on one subject would take turns).
   */
  private restarted(m: JsMsg): void {
    const session = m.headers?.get(HDR_SESSION);
    if (this.moving || !session || session === this.session || m.subject !== this.ownSubject) return;
    const s = decodeSummary(m.string());
    if (typeof s === 'string' || s.session !== session || s.host !== this.o.host || s.at <= this.ownAt) return;
    const now = this.o.clock.now();
    if (now - s.at >= this.o.staleAfterMs || (this.lastHeardAt !== undefined && now - this.lastHeardAt <= this.o.staleAfterMs)) return;
    void this.moveTo(session, s.at);
  }

  /** Follows `session` from its first event (where it first appeared among the account's events, else the stream's start). */
  private async moveTo(session: string, at: number): Promise<void> {
    this.moving = true;
    this.generation++;
    this.consumers[0]?.stop();
    if (this.refetchTimer) clearTimeout(this.refetchTimer);
    this.refetchTimer = undefined;
    const from = this.firstSeen.get(session);
    this.restartedFrom = this.session;
    this.session = session;
    this.ownAt = at;
    this.held.clear();
    this.expected = this.firstSeq = this.unkeptFrom = undefined;
    this.caughtUp = false;
    this.liveAt = from === undefined ? 0 : from - 1;
    this.fresh = true;
    this.heard();
    try {
      const c = await jetstream(this.o.nc).consumers.get(this.o.stream, {
        filter_subjects: eventsSubject(this.o.account),
        ...(from === undefined ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }),
      });
      const msgs = await c.consume();
      if (this.closed) msgs.stop();
      else {
        this.consumers[0] = msgs;
        this.runEvents(msgs);
      }
    } catch (e) {
      this.error = `cannot follow the publisher's new session: ${(e as Error).message}`;
    } finally {
      this.moving = false;
    }
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
      session: neutralise(this.session),
      connected: this.connected,
      ...(this.lastHeardAt !== undefined ? { lastHeardAt: this.lastHeardAt } : {}),
      ...(this.lastEventAt !== undefined ? { lastEventAt: this.lastEventAt } : {}),
      ...(silent !== undefined && silent > this.o.staleAfterMs ? { silentMs: silent } : {}),
      ...(lo !== undefined && next !== undefined ? { gap: { after: lo - 1, next, held: this.held.size } } : {}),
      ...(this.firstSeq !== undefined && this.firstSeq > 1 ? { firstSeq: this.firstSeq } : {}),
      ...(this.error ? { error: neutralise(this.error) } : {}),
      ...(this.restartedFrom !== undefined ? { restartedFrom: neutralise(this.restartedFrom) } : {}),
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

  /**
   * `each` for the session's messages; `after` for every message, once `each` has seen it. `events`: the loop of the
   * events consumer, which stops when the follow moves to a new session (the summaries' loop reads every session).
   */
  private async run(msgs: ConsumerMessages, each: (data: string, m: JsMsg) => void, after?: (m: JsMsg) => void, events = false): Promise<void> {
    const generation = this.generation;
    const moved = () => events && generation !== this.generation;
    try {
      for await (const m of msgs) {
        if (this.closed || moved()) break;
        if (m.headers?.get(HDR_SESSION) === this.session) this.readOne(() => each(m.string(), m));
        after?.(m);
      }
    } catch (e) {
      if (!this.closed && !moved()) this.error = `following stopped: ${(e as Error).message}`;
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
    const base = this.fresh ? INITIAL_STATE : this.stateSubject.value;
    this.fresh = false;
    this.stateSubject.next(reduce(base, ev));
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
    const generation = this.generation;
    let more = false;
    let failed = false;
    this.unkeptFrom = undefined;
    try {
      const read = await readEventsFrom(this.o.nc, this.o.stream, this.o.account, from, this.o.refetchBatch ?? 5_000);
      // The follow moved to a restarted publisher's session meanwhile: this read was for the previous one.
      if (generation === this.generation) {
        this.refetchLog.push({ from, read: read.messages.length });
        if (this.refetchLog.length > 64) this.refetchLog.shift();
        for (const m of read.messages)
          if (m.session === this.session) this.readOne(() => this.onEvent(neutraliseRecorded(decodeEvent(JSON.parse(m.data))), false, m.streamSeq));
        const last = read.messages[read.messages.length - 1];
        // What lies past this batch is read on next time (it may hold events not kept while held was full).
        if (read.more && last) this.unkeptFrom = Math.min(this.unkeptFrom ?? Infinity, last.streamSeq + 1);
        more = read.more;
      }
    } catch (e) {
      if (generation === this.generation) {
        failed = true;
        this.unkeptFrom = Math.min(this.unkeptFrom ?? Infinity, from);
        this.error = `cannot read the missing events again: ${(e as Error).message}`;
      }
    } finally {
      this.refetching = false;
    }
    // At once when the next events are surely in the stream (nothing held, some not kept) or a batch moved the fold.
    if (this.held.size > 0 || this.unkeptFrom !== undefined)
      this.scheduleRefetch(!failed && ((this.held.size === 0 && this.unkeptFrom !== undefined) || (more && this.expected !== before)));
  }
}
