// `--publish nats://HOST:PORT` for the console and the guard: starts the publisher and feeds it events and summaries.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../model/clock.js';
import type { FeedEvent } from '../model/events.js';
import type { SessionView } from '../session/session.js';
import { riskSummary } from '../session/summary.js';
import type { Feed } from '../streams/feed.js';
import { NatsPublisher, type PublishStatus } from '../streams/nats/publisher.js';
import { accountToken } from '../streams/nats/subjects.js';
import type { RiskSummary } from '../streams/nats/summary.js';

export { publishFlagsProblem, SUMMARY_EVERY_MS, type PublishFlags } from './publish-flags.js';
import { SUMMARY_EVERY_MS, type PublishFlags } from './publish-flags.js';

export interface Publishing {
  readonly publisher: NatsPublisher;
  /** The host and session the summaries name: a remote command aimed at this publisher names them too. */
  readonly host: string;
  readonly session: string;
  /** Stops the summaries, sends what is buffered (bounded), closes the connection. */
  stop(): Promise<void>;
}

/**
 * Connects and attaches: every event the feed stamps (seq kept) and, every SUMMARY_EVERY_MS, the summary of `view()`.
 * Throws with a readable reason when NATS cannot be reached at start (unless `retry`); later outages only make it fall
 * behind.
 */
export async function startPublishing(o: {
  readonly flags: PublishFlags & { readonly publish: string };
  readonly feed: Feed;
  readonly view: () => SessionView | undefined;
  readonly role: RiskSummary['role'];
  /** Which publisher of that role on this host (a guard: `c<client id>`): its own summary subject, one row each. */
  readonly instance?: string;
  readonly mode: RiskSummary['mode'];
  /** A guard: the rules it answers remote commands for, while it listens (listed in its summaries). */
  readonly commands?: () => RiskSummary['commands'];
  readonly clock: Clock;
  readonly env?: NodeJS.ProcessEnv;
  readonly host?: string;
  /** Events stamped before this call, held by a subscriber attached before the source started (openLive's onFeed). */
  readonly held?: { readonly events: readonly FeedEvent[]; readonly release: () => void };
  /**
   * Keep trying when NATS cannot be reached at start (a guard or console started before nats-server at boot), with a bounded
   * backoff (RETRY_DELAYS_MS), until it answers or `signal` aborts; events keep being held meanwhile. Without it the
   * first failure throws.
   */
  readonly retry?: PublishRetry;
}): Promise<Publishing> {
  const host = o.host ?? hostname();
  // Unique even for two publishers started in the same millisecond by one process: it makes the Nats-Msg-Id, and a
  // shared one would make JetStream drop one publisher's events as duplicates of the other's.
  const session = `${host}-${process.pid}-${o.clock.now()}-${randomBytes(4).toString('hex')}`;
  // Subscribed before connecting: the events the feed stamps while NATS answers are held here, then handed over in order.
  // The feed has delivered the event's state before its event (feed.ts): the state names the account it belongs to.
  const waiting: Array<{ ev: FeedEvent; account: string | undefined }> = (o.held?.events ?? []).map((ev) => ({ ev, account: undefined }));
  o.held?.release();
  let publisher: NatsPublisher | undefined;
  const sub = o.feed.events$.subscribe({
    next: (ev) => {
      if (publisher) publisher.event(ev, o.feed.state.account);
      else if (waiting.push({ ev, account: o.feed.state.account }) > 10_000) waiting.shift();
    },
  });
  try {
    publisher = await connectPublisher({ ...o, host, session });
  } catch (e) {
    sub.unsubscribe();
    throw e;
  }
  for (const w of waiting.splice(0)) publisher.event(w.ev, w.account ?? o.feed.state.account);
  const pub = publisher;
  const tick = () => {
    const st = pub.status();
    const commands = o.commands?.();
    const s = riskSummary(
      o.feed.state,
      o.view(),
      {
        host,
        session,
        role: o.role,
        ...(o.instance !== undefined ? { instance: o.instance } : {}),
        mode: o.mode,
        publishing: { behind: st.behind, dropped: st.dropped },
        ...(commands ? { commands } : {}),
      },
      o.clock.now(),
    );
    if (s) pub.summary(s);
  };
  const timer = setInterval(tick, SUMMARY_EVERY_MS);
  return {
    publisher: pub,
    host,
    session,
    async stop() {
      clearInterval(timer);
      sub.unsubscribe();
      tick();
      await pub.close();
    },
  };
}

/** Waits between attempts to reach NATS at start: quick at first (a server starting beside us), then once a minute. */
export const RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 60_000];

/** Keep trying to reach NATS at start: until it answers or `signal` aborts, told of each failure and the wait after it. */
export interface PublishRetry {
  readonly signal: AbortSignal;
  readonly onRetry: (message: string, attempt: number, inMs: number) => void;
}

/** The NATS publisher of one session (`session` names it in the stream), tried again at start as `retry` says. */
function connectPublisher(o: {
  readonly flags: PublishFlags & { readonly publish: string };
  readonly role: RiskSummary['role'];
  readonly env?: NodeJS.ProcessEnv;
  readonly host: string;
  readonly session: string;
  readonly clock: Clock;
  readonly retry?: PublishRetry;
}): Promise<NatsPublisher> {
  return connectRetrying(
    () =>
      NatsPublisher.start({
        url: o.flags.publish,
        ...(o.flags['nats-creds'] ? { credsFile: o.flags['nats-creds'] } : {}),
        ...(o.env ? { env: o.env } : {}),
        ...(o.flags['nats-stream'] ? { stream: { name: o.flags['nats-stream'] } } : {}),
        host: o.host,
        session: o.session,
        name: `tws-risk ${o.role}@${o.host}`,
      }),
    o.clock,
    o.retry,
  );
}
/**
 * The first connection of a publisher (guard, console): without `retry` the first failure throws; with it, failures
 * wait RETRY_DELAYS_MS and try again, and an abort during a wait throws. A console or guard started before nats-server
 * (a reboot) thus joins the fleet once it answers.
 */
export async function connectRetrying<T>(start: () => Promise<T>, clock: Clock, retry: PublishRetry | undefined): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (e) {
      if (!retry || retry.signal.aborted) throw e;
      const inMs = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length) - 1]!;
      retry.onRetry((e as Error).message, attempt, inMs);
      const signal = retry.signal;
      const waited = await new Promise<boolean>((resolve) => {
        const t = clock.setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        }, inMs);
        const onAbort = () => {
          clock.clear(t);
          resolve(false);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (!waited) throw new Error('stopped before NATS could be reached');
    }
  }
}

/** One account of a process that follows several: its feed and what its session last computed. */
export interface PublishedAccount {
  readonly feed: Feed;
  readonly view: () => SessionView | undefined;
}

export interface AccountsPublishing {
  readonly publisher: NatsPublisher;
  /** Each account's session id (its events' Tws-Risk-Session header and its summaries' `session`). */
  readonly sessions: ReadonlyMap<string, string>;
  /**
   * Publishes one more account, from the next event its feed stamps: call it as the feed is made (openLiveMulti's
   * onAccountFeed), so its stream starts at seq 1.
   */
  add(account: string, a: PublishedAccount, held?: readonly FeedEvent[]): void;
  stop(): Promise<void>;
}

/** How many events of one account a hold keeps while NATS answers (the oldest go first, as startPublishing's). */
const HOLD_LIMIT = 10_000;

/** The events a one-account feed stamps from its first until startPublishing takes them (its `held`). */
export interface FeedHold {
  /** openLive's onFeed: subscribes before the source starts. */
  readonly onFeed: (feed: Feed) => void;
  readonly events: readonly FeedEvent[];
  /** Stops holding: the publisher has taken over, or the console runs without publishing. */
  readonly release: () => void;
}

/**
 * For one account's feed that publishes: the guard, whose publisher starts once NATS answers (retried while it is
 * down), and a console on one account, which subscribes its publisher only once it has loaded (a second or more on a
 * loaded box, hundreds of events of a live account). Without a hold the stream began there, not at seq 1.
 */
export function holdFeed(): FeedHold {
  const events: FeedEvent[] = [];
  let off = () => {};
  let released = false;
  return {
    onFeed(feed) {
      if (released) return;
      const sub = feed.events$.subscribe({ next: (ev) => void (events.push(ev) > HOLD_LIMIT && events.shift()) });
      off = () => sub.unsubscribe();
    },
    events,
    release() {
      released = true;
      off();
    },
  };
}

/**
 * For a console that publishes several accounts. openLiveMulti's onAccountFeed needs a subscriber before an account's
 * first event, but the console connects to NATS only once it runs: `onAccountFeed` holds each account's events from
 * its first, `attach` hands them, in order, to the publisher, which takes over the feed from the next event, and
 * `release` drops them (NATS could not be reached: the console runs without publishing).
 */
export interface AccountFeedHold {
  onAccountFeed(account: string, feed: Feed): void;
  attach(add: (account: string, feed: Feed, held: readonly FeedEvent[]) => void): void;
  release(): void;
}

export function holdAccountFeeds(): AccountFeedHold {
  const held = new Map<string, { feed: Feed; events: FeedEvent[]; off: () => void }>();
  let attached: ((account: string, feed: Feed, held: readonly FeedEvent[]) => void) | undefined;
  let released = false;
  return {
    onAccountFeed(account, feed) {
      if (released) return;
      if (attached) return attached(account, feed, []);
      const events: FeedEvent[] = [];
      const sub = feed.events$.subscribe({ next: (ev) => void (events.push(ev) > HOLD_LIMIT && events.shift()) });
      held.set(account, { feed, events, off: () => sub.unsubscribe() });
    },
    attach(add) {
      attached = add;
      // Synchronous: no event can arrive between the publisher's subscription and the hold's end.
      for (const [account, h] of held) {
        add(account, h.feed, h.events);
        h.off();
      }
      held.clear();
    },
    release() {
      released = true;
      for (const h of held.values()) h.off();
      held.clear();
    },
  };
}

/**
 * Several accounts of one login from one process (`--account all`): one connection and one buffer, each account under
 * its own `tws-risk.<account>.…` subjects and its own session (each feed counts its own seq), a summary per account
 * every SUMMARY_EVERY_MS. The account is the router's name for the feed, known before TWS's first word about it.
 */
export async function startPublishingAccounts(o: {
  readonly flags: PublishFlags & { readonly publish: string };
  readonly accounts?: ReadonlyMap<string, PublishedAccount>;
  readonly role: RiskSummary['role'];
  /** Which publisher of that role on this host (a console: `c<client id>`): its own summary subject per account. */
  readonly instance?: string;
  readonly mode: RiskSummary['mode'];
  readonly clock: Clock;
  readonly env?: NodeJS.ProcessEnv;
  readonly host?: string;
  /** As startPublishing's: keep trying to reach NATS at start (the accounts' hold keeps their events meanwhile). */
  readonly retry?: PublishRetry;
}): Promise<AccountsPublishing> {
  const host = o.host ?? hostname();
  const base = `${host}-${process.pid}-${o.clock.now()}-${randomBytes(4).toString('hex')}`;
  const pub = await connectPublisher({ ...o, host, session: base });
  const followed = new Map<string, PublishedAccount & { readonly session: string; readonly off: () => void }>();
  const sessions = new Map<string, string>();
  const add = (account: string, a: PublishedAccount, held: readonly FeedEvent[] = []) => {
    if (followed.has(account)) return;
    const session = `${base}-${accountToken(account)}`;
    for (const ev of held) pub.event(ev, account, session);
    const sub = a.feed.events$.subscribe({ next: (ev) => pub.event(ev, account, session) });
    followed.set(account, { ...a, session, off: () => sub.unsubscribe() });
    sessions.set(account, session);
  };
  for (const [account, a] of o.accounts ?? []) add(account, a);
  const tick = () => {
    const st = pub.status();
    for (const [account, a] of followed) {
      // The router's name is the account's, even before its feed has seen TWS say it.
      const state = a.feed.state.account ? a.feed.state : { ...a.feed.state, account };
      const s = riskSummary(
        state,
        a.view(),
        {
          host,
          session: a.session,
          role: o.role,
          ...(o.instance !== undefined ? { instance: o.instance } : {}),
          mode: o.mode,
          publishing: { behind: st.behind, dropped: st.dropped },
        },
        o.clock.now(),
      );
      if (s) pub.summary(s);
    }
  };
  const timer = setInterval(tick, SUMMARY_EVERY_MS);
  return {
    publisher: pub,
    sessions,
    add,
    async stop() {
      clearInterval(timer);
      for (const a of followed.values()) a.off();
      tick();
      await pub.close();
    },
  };
}

/**
 * A backlog worth a warning: NATS gone, events dropped, this many waiting, or a backlog this old. Less is a healthy
 * publisher's batch in flight: a guard on loopback NATS warned `publish.behind`/`publish.caughtUp` up to 15 times a
 * minute (189 of 217 lines of its log), hiding what mattered.
 */
export const BEHIND_WARN_EVENTS = 1_000;
export const BEHIND_WARN_MS = 10_000;

export interface BehindMemory {
  /** Since when the publisher has been behind without a break, if it is. */
  readonly since?: number;
  /** The warning was given for this stretch: its end is said too. */
  readonly warned: boolean;
}

export type BehindNote =
  | { readonly event: 'publish.behind'; readonly msg: string; readonly forMs: number }
  | { readonly event: 'publish.caughtUp'; readonly published: number; readonly forMs: number };

/** What to log about the backlog now (one warning per lasting stretch, and its end), and what to remember. */
export function noteBehind(m: BehindMemory, st: PublishStatus, text: string | undefined, now: number): { memory: BehindMemory; note?: BehindNote } {
  if (text === undefined) {
    const memory: BehindMemory = { warned: false };
    return m.warned ? { memory, note: { event: 'publish.caughtUp', published: st.published, forMs: now - (m.since ?? now) } } : { memory };
  }
  const since = m.since ?? now;
  if (m.warned) return { memory: { since, warned: true } };
  const lasting = !st.connected || st.dropped > 0 || st.behind > BEHIND_WARN_EVENTS || now - since >= BEHIND_WARN_MS;
  return lasting ? { memory: { since, warned: true }, note: { event: 'publish.behind', msg: text, forMs: now - since } } : { memory: { since, warned: false } };
}
