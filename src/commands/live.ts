// Opens a live session: TWS source → feed (→ flight recorder). Used by report, demo and the console.
import { dirname, join, resolve } from 'node:path';
import { Subject, switchMap, take } from 'rxjs';
import { dataDir } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { systemClock, type Clock } from '../model/clock.js';
import { isFatalCause, stopReasonOf, type FatalCause, type SessionEnd } from '../model/connection.js';
import { Feed } from '../streams/feed.js';
import { RotatingRecorder } from '../streams/recorder.js';
import type { RecordingSource } from '../streams/recording/format.js';
import { AccountRouter, parseAccounts } from '../streams/tws/multi.js';
import { AFTER_PREVIOUS } from '../streams/health.js';
import { TwsSource, type TwsSourceOptions } from '../streams/tws/source.js';
import { appVersion } from '../version.js';
import { EXIT, type CommandIo } from './io.js';

export interface LiveOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  readonly account?: string;
  /** Record to the settings' directory (rotating), or not at all. */
  readonly record: boolean;
  /** Record to this file instead (still rotating by size and day). */
  readonly recordFile?: string;
  readonly recordingSource: RecordingSource;
  readonly settings: Settings;
  readonly onRecorderError?: (err: Error) => void;
  /** The recordings budget's notes (files deleted, files kept for review), besides the note recorded in the feed. */
  readonly onRecorderNote?: (text: string) => void;
  /** Time for the source's timers, the feed's stamps and the waits' deadlines (default: the system clock). */
  readonly clock?: Clock;
  /** The source's timing (heartbeat, backoff, open-orders poll), where a caller needs other than the defaults. */
  readonly sourceOptions?: Partial<Omit<TwsSourceOptions, 'host' | 'port' | 'clientId' | 'account' | 'clock'>>;
  /** Called with the feed before the source starts: a subscriber that must see every event from seq 1 (publishing). */
  readonly onFeed?: (feed: Feed) => void;
}

export interface LiveSession {
  readonly source: TwsSource;
  readonly feed: Feed;
  readonly recorder?: RotatingRecorder;
  /** The session's time: everything built on it (arming, deadlines, the console) reads this clock. */
  readonly clock: Clock;
  /** Recording was asked for but cannot be written (the directory is unwritable...): why. The session runs without. */
  readonly recordingProblem?: string;
  /** Stops the source and seals the recording with `reason`; `end` (a quit by default) names the source's last event. */
  close(reason: string, end?: SessionEnd): Promise<void>;
}

/** Where recordings go when the settings leave it empty: the platform data directory. */
export function defaultRecordingDir(settings: Settings): string {
  return settings.recorder.dir || join(dataDir(), 'recordings');
}

export function openLive(o: LiveOptions): LiveSession {
  const clock = o.clock ?? systemClock;
  const source = new TwsSource({ ...o.sourceOptions, host: o.host, port: o.port, clientId: o.clientId, clock, ...(o.account ? { account: o.account } : {}) });
  const r = o.settings.recorder;
  let recorder: RotatingRecorder | undefined;
  let recordingProblem: string | undefined;
  if (o.record) {
    const dir = o.recordFile ? dirname(resolve(o.recordFile)) : defaultRecordingDir(o.settings);
    try {
      recorder = new RotatingRecorder({
        dir,
        ...(o.recordFile ? { firstFile: resolve(o.recordFile) } : {}),
        source: o.recordingSource,
        appVersion: appVersion(),
        // A file named on the command line is compressed when its name says so; otherwise the setting decides.
        gzip: o.recordFile ? o.recordFile.endsWith('.gz') : r.gzip,
        rotateBytes: r.rotateBytes,
        budget: { maxBytes: r.maxBytes, keepDays: r.keepDays },
        // Recorded too, so a review of this session knows which earlier recordings it removed.
        onNote: (text) => {
          feed.publish({ type: 'operatorActed', action: 'note', detail: { recorder: 'budget', text } });
          o.onRecorderNote?.(text);
        },
        policy: { everyEvents: r.keyframeEveryEvents, everyMs: r.keyframeEveryMs },
        meta: { host: o.host, port: o.port, clientId: o.clientId },
        ...(o.onRecorderError ? { onError: o.onRecorderError } : {}),
      });
    } catch (e) {
      // Watching the account matters more than recording it: start anyway, and let the caller say so.
      recordingProblem = `cannot record in ${dir}: ${(e as Error).message}`;
    }
  }
  const feed = new Feed(source.events$, {
    now: () => clock.now(),
    ...(recorder ? { sink: recorder } : {}),
    ...(o.onRecorderError ? { onSinkError: o.onRecorderError } : {}),
  });
  o.onFeed?.(feed);
  source.start();
  return {
    source,
    feed,
    ...(recorder ? { recorder } : {}),
    clock,
    ...(recordingProblem ? { recordingProblem } : {}),
    async close(reason: string, end: SessionEnd = 'quit') {
      source.stop(stopReasonOf(end));
      await feed.close(reason);
    },
  };
}

/**
 * Several accounts of one login over one connection (`--account all` or a list): the connection's own feed (health,
 * notices: what waitForData watches until the accounts are known) and one feed per followed account. Nothing is
 * recorded: a flight recording holds one account.
 */
export interface MultiLiveSession {
  readonly source: TwsSource;
  readonly router: AccountRouter;
  /** Every event of the connection, unrouted: its health is the connection's. */
  readonly connection: LiveSession;
  /** One session per followed account, once the accounts are known (each with its own feed and state). */
  readonly accounts: ReadonlyMap<string, LiveSession>;
  readonly clock: Clock;
  close(reason: string, end?: SessionEnd): Promise<void>;
}

export function openLiveMulti(
  o: Omit<LiveOptions, 'account' | 'record' | 'recordFile' | 'recordingSource' | 'onFeed'> & {
    readonly accounts: 'all' | readonly string[];
    /** Called with each account's feed as it is made, before its first event (publishing: its stream from seq 1). */
    readonly onAccountFeed?: (account: string, feed: Feed) => void;
  },
): MultiLiveSession {
  const clock = o.clock ?? systemClock;
  const source = new TwsSource({ ...o.sourceOptions, host: o.host, port: o.port, clientId: o.clientId, clock, accounts: o.accounts });
  const router = new AccountRouter(source, o.accounts);
  const now = () => clock.now();
  const feeds: Feed[] = [];
  const session = (feed: Feed): LiveSession => ({ source, feed, clock, close: async (reason) => feed.close(reason) });
  const connection = session(new Feed(source.events$, { now }));
  feeds.push(connection.feed);
  const accounts = new Map<string, LiveSession>();
  router.onAccounts((list) => {
    for (const a of list) {
      // The account's events (its early ones first) flow once the hook has subscribed to the feed, so a publisher
      // attached there sees every event from seq 1.
      const open = new Subject<void>();
      const feed = new Feed(
        open.pipe(
          take(1),
          switchMap(() => router.streamOf(a)),
        ),
        { now },
      );
      feeds.push(feed);
      accounts.set(a, session(feed));
      o.onAccountFeed?.(a, feed);
      open.next();
    }
  });
  source.start();
  return {
    source,
    router,
    connection,
    accounts,
    clock,
    async close(reason: string, end: SessionEnd = 'quit') {
      source.stop(stopReasonOf(end));
      router.stop();
      for (const f of feeds) await f.close(reason);
    },
  };
}

/**
 * Why a console following several accounts is not recorded (said on its status bar, in each account's log and on the
 * exit line): a flight recording holds one account, and its replay shows one account's picture.
 */
export const SEVERAL_ACCOUNTS_NOT_RECORDED = 'a flight recording holds one account and several are followed; to record one, run it with --account ACCOUNT';

/**
 * `--record FILE` with several accounts: refused before anything starts. (`--publish` is not: each account is
 * published as its own session, docs/fleet.md "Several accounts".)
 */
export function severalAccountsProblem(f: { readonly record?: string | undefined }): string | undefined {
  if (f.record !== undefined) return `--record: ${SEVERAL_ACCOUNTS_NOT_RECORDED}`;
  return undefined;
}

/** How long a headless command waits for the socket before saying it cannot connect. */
export const CONNECT_DEADLINE_MS = 4_000;

export type WaitOutcome =
  | { readonly kind: 'ok' }
  /**
   * `answered`: TWS itself refused us (client id in use, account not managed), so it is running; `cause`: the typed
   * cause of a refusal after which retrying cannot help.
   */
  | { readonly kind: 'cannotConnect'; readonly reason: string; readonly answered?: boolean; readonly cause?: FatalCause }
  | { readonly kind: 'timedOut' };

/**
 * Waits until `done(state)` holds on a usable connection. Gives up early (cannotConnect) when the socket never
 * opened within CONNECT_DEADLINE_MS, was refused, or hit a fatal condition (client id in use, account not managed).
 */
export async function waitForData(session: LiveSession, done: (s: LiveSession['feed']['state']) => boolean, timeoutMs: number): Promise<WaitOutcome> {
  // The deadlines are the session's time; how often we look is not, so the polling stays on a real timer.
  const now = () => session.clock.now();
  const started = now();
  let everConnected = false;
  for (;;) {
    const s = session.feed.state;
    if (s.health !== 'disconnected' && s.health !== 'connecting') everConnected = true;
    const reason = s.healthReason ?? '';
    const fatal = s.health === 'disconnected' && isFatalCause(s.healthCause);
    if (fatal || (!everConnected && (now() - started > CONNECT_DEADLINE_MS || s.healthCause === 'cannotConnect'))) {
      // Still connecting at the deadline, the state's reason is what it is doing ("opening the socket and handshake"):
      // say what did not happen, and what the try before it ended with.
      const why =
        s.health === 'connecting'
          ? `the API handshake did not complete within ${CONNECT_DEADLINE_MS / 1000} s${reason.includes(AFTER_PREVIOUS) ? ` (the try before: ${reason.slice(reason.indexOf(AFTER_PREVIOUS) + AFTER_PREVIOUS.length)})` : ''}`
          : reason || 'no answer';
      return { kind: 'cannotConnect', reason: why, ...(fatal ? { answered: true, cause: s.healthCause as FatalCause } : {}) };
    }
    if ((s.health === 'ready' || s.health === 'degraded') && done(s)) return { kind: 'ok' };
    if (now() - started > timeoutMs) return { kind: 'timedOut' };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The one message for "cannot connect" (exit 3), naming host:port and the way to try without a broker. When TWS
 * itself answered with a refusal (`answered`), asking whether it runs would mislead: the reason says what to change.
 */
export function cannotConnectLines(command: string, host: string, port: number, reason: string, answered = false): string[] {
  const first = `tws-risk ${command}: cannot connect to TWS at ${host}:${port}: ${reason}`;
  if (answered) return [first];
  return [first, '  Is TWS or IB Gateway running with the API enabled on that port? To try tws-risk without a broker: tws-risk demo'];
}

/**
 * Says on stderr why a headless command's connection gave up, and returns the exit code. An account the login does not
 * manage is the operator's input, not the connection: exit 1 (README "Exit codes"), naming the accounts it manages. The
 * rest cannot connect: exit 3.
 */
export function connectionFailure(
  io: Pick<CommandIo, 'err'>,
  command: string,
  at: { readonly host: string; readonly port: number },
  r: Extract<WaitOutcome, { kind: 'cannotConnect' }>,
): number {
  if (r.cause === 'accountNotManaged') {
    io.err(`tws-risk ${command}: ${r.reason}; choose one of them with --account`);
    return EXIT.invalid;
  }
  if (r.cause === 'notTws') {
    // The reason names host:port and what answered there; the usual ports are the likeliest fix.
    io.err(`tws-risk ${command}: cannot connect: ${r.reason}`);
    io.err(`  TWS listens on 7497 (paper) or 7496 (live), IB Gateway on 4002 or 4001, with the API enabled. To try tws-risk without a broker: tws-risk demo`);
    return EXIT.cannotConnect;
  }
  for (const l of cannotConnectLines(command, at.host, at.port, r.reason, r.answered)) io.err(l);
  return EXIT.cannotConnect;
}

/** Connection flags shared by report, flatten and cancel, resolved against the settings. */
export interface ConnectionFlags {
  readonly host?: string;
  readonly port?: string;
  readonly 'client-id'?: string;
  readonly account?: string;
  readonly timeout?: string;
}

export function intFlag(name: string, v: string | undefined, min: number, max: number): number | string | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) return `--${name} expects an integer from ${min} to ${max}, got ${JSON.stringify(v)}`;
  return Number(v);
}

/** host, port, client id, account and timeout from flags over settings, or a usage error sentence. */
export function resolveConnection(
  f: ConnectionFlags,
  settings: Settings,
  defaultTimeoutS: number,
  severalAccounts = false,
): { host: string; port: number; clientId: number; account?: string; timeoutMs: number } | string {
  const port = intFlag('port', f.port, 1, 65535);
  const clientId = intFlag('client-id', f['client-id'], 0, 2147483647);
  const timeout = intFlag('timeout', f.timeout, 1, 3600);
  for (const v of [port, clientId, timeout]) if (typeof v === 'string') return v;
  const c = settings.connection;
  const account = f.account || c.account;
  // Headless trading and the guard follow exactly one account; a report and the console read several (docs/fleet.md).
  if (!severalAccounts && parseAccounts(account))
    return `--account ${JSON.stringify(account)} names several accounts; only \`tws-risk report\` and the console follow several (this command follows exactly one)`;
  return {
    host: f.host ?? c.host,
    port: (port as number | undefined) ?? c.port,
    clientId: (clientId as number | undefined) ?? c.clientId,
    ...(account ? { account } : {}),
    timeoutMs: ((timeout as number | undefined) ?? defaultTimeoutS) * 1000,
  };
}
