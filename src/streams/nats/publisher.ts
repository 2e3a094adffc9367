// Publishes a feed's events and a throttled risk summary to JetStream from a bounded buffer that never blocks the feed.
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import type { FeedEvent } from '../../model/events.js';
import { encodeEvent } from '../../model/codec.js';
import type { EventSink } from '../feed.js';
import { connectNats, redactedUrl, type NatsTarget } from './connect.js';
import { DEFAULT_LIMITS, ensureStream, eventsSubject, HDR_HOST, HDR_SESSION, summarySubject, type StreamLimits } from './subjects.js';
import type { RiskSummary } from './summary.js';

/*
 * DESIGN.md "Publishing is optional, never blocks the console". The feed hands each event over synchronously (an
 * EventSink, like the flight recorder) and returns at once; one async loop drains the buffer into JetStream, a window
 * of publishes in flight, each with a Nats-Msg-Id (session:seq) so a resend after a lost ack is stored once. When
 * NATS is slow or gone the buffer fills up to its bound; past it the oldest events are dropped and counted (the live
 * picture matters more than its history, which stays in the local recording). The summary is one slot: the newest
 * replaces an unsent one.
 */

export interface PublisherOptions extends NatsTarget {
  readonly stream?: Partial<StreamLimits>;
  /** This host's name (os.hostname()) and the session id, carried in headers and summaries. */
  readonly host: string;
  readonly session: string;
  /** Events kept while NATS is behind (default 10 000). */
  readonly maxBuffer?: number;
  /** Publishes in flight at once (default 64). */
  readonly window?: number;
}

export interface PublishStatus {
  readonly url: string;
  readonly connected: boolean;
  /** Events waiting to be stored. */
  readonly behind: number;
  /** Events dropped because the buffer was full, since the start. */
  readonly dropped: number;
  readonly published: number;
  readonly lastError?: string;
}

interface Pending {
  readonly subject: string;
  readonly data: string;
  readonly id: string;
  /** The session header: the publisher's, or one account's when a process publishes several (publish.ts). */
  readonly session: string;
}

export class NatsPublisher implements EventSink {
  private readonly buffer: Pending[] = [];
  private summaryPending: Pending[] | undefined;
  private dropped = 0;
  private published = 0;
  private lastError: string | undefined;
  private connected = true;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private readonly js: JetStreamClient;
  private readonly maxBuffer: number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly o: PublisherOptions,
  ) {
    this.js = jetstream(nc, { timeout: 5_000 });
    this.maxBuffer = o.maxBuffer ?? 10_000;
    void this.watch();
    this.loop = this.drain();
  }

  /** Connects and makes sure the stream exists; throws (with the URL, never the password) when it cannot. */
  static async start(o: PublisherOptions): Promise<NatsPublisher> {
    let nc: NatsConnection;
    try {
      nc = await connectNats(o);
    } catch (e) {
      throw new Error(`cannot connect to NATS at ${redactedUrl(o.url)}: ${(e as Error).message}`);
    }
    try {
      await ensureStream(await jetstreamManager(nc), { ...DEFAULT_LIMITS, ...o.stream });
    } catch (e) {
      await nc.close();
      throw new Error(`NATS at ${redactedUrl(o.url)}: cannot use stream ${o.stream?.name ?? DEFAULT_LIMITS.name}: ${(e as Error).message}`);
    }
    return new NatsPublisher(nc, o);
  }

  /** EventSink: queues the event for `tws-risk.<account>.events`; events before the account is known wait for it. */
  record(ev: FeedEvent, stateAfter: { readonly account?: string }): void {
    this.event(ev, stateAfter.account);
  }

  /** EventSink: a run's events under the account after it (one run never changes an account once it is known). */
  recordRun(events: readonly FeedEvent[], stateAfter: { readonly account?: string }): void {
    for (const ev of events) this.event(ev, stateAfter.account);
  }

  private early: FeedEvent[] = [];

  /**
   * `session`: each account of a process that publishes several has its own (its feed has its own seq, and the
   * Nats-Msg-Id `session:seq` must not make JetStream drop one account's events as another's duplicates).
   */
  event(ev: FeedEvent, account: string | undefined, session = this.o.session): void {
    if (this.closed) return;
    if (account === undefined) {
      // The handshake's events come before TWS names the account: held (bounded like the buffer) until it does.
      this.early.push(ev);
      if (this.early.length > this.maxBuffer) {
        this.early.shift();
        this.dropped++;
      }
      return;
    }
    for (const e of this.early.splice(0)) this.push({ subject: eventsSubject(account), data: encodeEvent(e), id: `${session}:${e.seq}`, session });
    this.push({ subject: eventsSubject(account), data: encodeEvent(ev), id: `${session}:${ev.seq}`, session });
  }

  /** Queues a summary, replacing one not yet sent. */
  summary(s: RiskSummary): void {
    if (this.closed) return;
    const p = {
      subject: summarySubject(s.account, s.host, s.role, s.instance),
      data: JSON.stringify(s),
      id: `${s.session}:summary:${s.at}`,
      session: s.session,
    };
    // One slot per subject: several accounts' summaries of one tick all go, a newer one of the same account replaces.
    this.summaryPending = [...(this.summaryPending ?? []).filter((q) => q.subject !== p.subject), p];
    this.wake?.();
  }

  /** The connection, for the guard's command subscription (the same credential answers commands). */
  get connection(): NatsConnection {
    return this.nc;
  }

  status(): PublishStatus {
    return {
      url: redactedUrl(this.o.url),
      connected: this.connected,
      behind: this.buffer.length + this.early.length,
      dropped: this.dropped,
      published: this.published,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** One line for the status bar or the log when publishing is not keeping up, else undefined. */
  behindText(): string | undefined {
    const s = this.status();
    if (s.behind === 0 && s.dropped === 0 && s.connected) return undefined;
    return `publishing behind by ${s.behind}${s.dropped ? `, ${s.dropped} dropped` : ''}${s.connected ? '' : ' (NATS disconnected)'}`;
  }

  /** EventSink: sends what is buffered (a few seconds at most), then closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    const deadline = Date.now() + 3_000;
    while ((this.buffer.length > 0 || this.summaryPending) && this.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.closed = true;
    this.wake?.();
    await this.loop;
    await this.nc.close().catch(() => undefined);
  }

  private push(p: Pending): void {
    this.buffer.push(p);
    if (this.buffer.length > this.maxBuffer) {
      this.buffer.shift();
      this.dropped++;
    }
    this.wake?.();
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.connected = false;
      else if (s.type === 'reconnect') this.connected = true;
    }
  }

  private send(p: Pending): Promise<unknown> {
    const h = headers();
    h.set(HDR_SESSION, p.session);
    h.set(HDR_HOST, this.o.host);
    return this.js.publish(p.subject, p.data, { msgID: p.id, headers: h, timeout: 5_000 });
  }

  private async drain(): Promise<void> {
    const window = this.o.window ?? 64;
    let backoff = 100;
    while (!this.closed) {
      if (this.buffer.length === 0 && !this.summaryPending) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      // The batch stays at the head of the buffer until stored: a failure resends it (the msg ids make that safe).
      const batch = this.buffer.slice(0, window);
      const summary = this.summaryPending;
      try {
        await Promise.all([...batch.map((p) => this.send(p)), ...(summary ?? []).map((p) => this.send(p))]);
        // Overflow may have shifted stored entries out meanwhile: remove exactly the ones just sent that are still there.
        const sent = new Set(batch);
        while (this.buffer.length > 0 && sent.has(this.buffer[0]!)) this.buffer.shift();
        const left = this.summaryPending?.filter((q) => !summary?.includes(q));
        this.summaryPending = left?.length ? left : undefined;
        this.published += batch.length;
        this.lastError = undefined;
        backoff = 100;
      } catch (e) {
        this.lastError = (e as Error).message;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
  }
}
