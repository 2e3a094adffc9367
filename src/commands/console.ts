// Runs the terminal console on a feed until the operator quits, then prints one line about the session.
import { alertConfigOf, alertEffectsOf } from '../config/load.js';
import { createAlertEffects, quitSignals, waitForHooksAtQuit, type AlertEffects } from './alert-effects.js';
import type { Settings } from '../config/settings.js';
import { systemClock, type Clock } from '../model/clock.js';
import { sessionEndText, type SessionEnd } from '../model/connection.js';
import { applyOverrides } from '../keymap/overrides.js';
import type { Feed } from '../streams/feed.js';
import type { StreamFollower } from '../streams/nats/follow.js';
import type { ReplayPlayer } from '../streams/replay/player.js';
import type { RotatingRecorder } from '../streams/recorder.js';
import type { CommandId } from '../keymap/bindings.js';
import type { TradeTarget } from '../views/trading-actions.js';
import { createConsoleTrading, type ConsoleTrading, type ConsoleTradingSource } from './console-trading.js';
import { accountMaskForced, duration, isScreenMasked, maskAccounts } from '../views/format.js';
import { EXIT, onOutputClosed, type CommandIo } from './io.js';
import { selfCommand, verifyHint } from './self-command.js';
import { guardCursorRestore } from './cursor-guard.js';
import type { AccountFeedHold, AccountsPublishing, FeedHold, PublishFlags, Publishing } from './publish.js';
import { riskParamsOf } from './stress.js';
import { accountAuditName, accountGateway, followAccounts, type AccountsTrading } from './accounts-console.js';
import type { MultiLiveSession } from './live.js';
import type { AccountSet } from '../session/accounts.js';
import type { SessionFeed } from '../session/session.js';

/** Erase the whole screen and put the cursor home: the alternate screen is the console's, nothing else is on it. */
const CLEAR_SCREEN = '\u001b[2J\u001b[H';

/** A frame slower than this is reported in the session summary. */
export const SLOW_FRAME_MS = 100;

/** Where the data comes from, as the status bar says it. */
export type ConsoleSourceMode = 'live' | 'paper' | 'demo' | 'replay' | 'follow';

export interface ConsoleOptions {
  /** The live or demo session's feed; absent in a replay, whose player is the source. */
  readonly feed?: Feed;
  /** `tws-risk replay FILE`: the player feeds the panes and the transport keys drive it; nothing can trade. */
  readonly replay?: ReplayPlayer;
  /**
   * `fleet --open`: another host's session followed from NATS; its events are the publisher's (seq kept), so like a
   * replay it runs no rules of its own (the recorded alerts are listed) and can never trade.
   */
  readonly follow?: Pick<StreamFollower, 'state' | 'events$' | 'status' | 'close'>;
  /** The source, stopped when the console closes (unless `close` is given, which then does it). */
  readonly source?: { stop(): void };
  readonly recorder?: Pick<RotatingRecorder, 'files'> & { readonly failure?: Error | undefined };
  /** Why the session is not recorded although recording was asked for (the directory cannot be written). */
  readonly recordingOff?: string;
  readonly mode: ConsoleSourceMode;
  readonly endpoint?: { readonly host: string; readonly port: number };
  readonly settings: Settings;
  readonly io: CommandIo;
  /** --color; overrides settings.ui.color. */
  readonly color?: 'auto' | '16' | '256' | 'truecolor';
  /** Read-only unless a trading mode is passed in (issue 7); a replay never trades. */
  readonly trading?: 'readOnly' | 'trade' | 'replay';
  readonly onTrade?: (command: CommandId, target: TradeTarget) => void;
  /** With trading 'trade': the live source orders go to and our client id (dialogs, arming, audit log). */
  readonly trade?: { readonly source: ConsoleTradingSource; readonly clientId: number; readonly auditDir?: string };
  /** Problems found before the console started (settings), shown as alerts. */
  readonly problems?: readonly string[];
  /**
   * Closes the session (source, feed and recording) before the summary is printed, so the recording is sealed.
   * `reason` is the footer's sentence for `end`: the quit, a signal or the terminal gone.
   */
  readonly close?: (reason: string, end: SessionEnd) => Promise<void>;
  /** Time for the store, arming and the session summary (default: the system clock; the live session's clock). */
  readonly clock?: Clock;
  /** --publish: events and summaries to NATS JetStream (docs/fleet.md); a live or demo session only. */
  readonly publish?: PublishFlags & { readonly publish: string };
  /** The TWS client id of a live or demo session: its published summaries' instance (`c<id>`), one fleet row each. */
  readonly clientId?: number;
  /**
   * Several accounts of one login (`--account all` or a list, issue 20): `feed` is the connection's own; each account
   * gets its own session core (risk, alerts, trading) and the Accounts pane chooses which one the other panes show.
   */
  readonly multi?: Pick<MultiLiveSession, 'router' | 'accounts'>;
  /**
   * With `multi` and `publish`: the hold openLiveMulti's onAccountFeed was given, keeping each account's events from its
   * first until the publisher connects (each account is then published from seq 1 under its own subjects).
   */
  readonly publishHold?: AccountFeedHold;
  /** With `publish` on one account: openLive's onFeed hold, so the published stream starts at seq 1 (publish.ts holdFeed). */
  readonly publishHeld?: FeedHold;
  /** Terminal streams (tests); default the process's. */
  readonly streams?: { readonly stdout?: NodeJS.WriteStream; readonly stdin?: NodeJS.ReadStream; readonly stderr?: NodeJS.WriteStream };
}

/** The --color value, undefined when absent, null when invalid. */
export function colorFlag(v: string | undefined): '16' | '256' | 'truecolor' | 'auto' | undefined | null {
  if (v === undefined) return undefined;
  return v === '16' || v === '256' || v === 'truecolor' || v === 'auto' ? v : null;
}

/**
 * A recording failure while the console is up goes to the console's log as a note (stderr would scribble over the
 * frame); the Alerts pane then says recording stopped.
 */
export function noteRecorderError(feed: () => Feed | undefined): (e: Error) => void {
  // The feed is mid-publish when its sink throws: it queues this note right after the event being recorded.
  return (e) => noteRecordingStopped(feed(), e.message);
}

/** The operator-log note the Alerts pane and the status bar read to say that the session is not being recorded. */
export function noteRecordingStopped(feed: Feed | undefined, reason: string): void {
  feed?.publish({ type: 'operatorActed', action: 'recorderStopped', detail: { reason } });
}

/** What a session leaves behind: the one line printed on the normal screen after the alternate screen closes. */
export function sessionSummary(o: {
  command: string;
  startedAt: number;
  endedAt: number;
  /** The session feed's events (with several accounts: the connection's, TWS's messages and the connection's notes). */
  events: number;
  account?: string;
  /**
   * Several accounts followed (issue 20): named instead of `account`, each with its own feed's events (what TWS sent
   * for it plus its arming, alerts and notes, which the connection's count does not hold).
   */
  accounts?: readonly { readonly account: string; readonly events: number }[];
  baseCurrency?: string;
  health: string;
  files: readonly string[];
  /** Render times above SLOW_FRAME_MS, if any. */
  slowFrames?: readonly number[];
  /** The recording a replay played (instead of where the session was recorded). */
  replayed?: string;
  /** The NATS server a follow read (nothing is recorded here: the stream holds it). */
  followed?: string;
  /** Recording stopped mid-session (a write failed): why. */
  recordingStopped?: string;
  /** Recording was asked for but could not start: why. */
  recordingOff?: string;
  /** How the user runs this tool (self-command.ts): `tws-risk`, `npx tws-risk` under npm, or `node bin/tws-risk`. */
  self?: string;
  /** What ended the session when it was not the operator's quit: a signal, the terminal gone (sessionEndText). */
  ended?: string;
}): string {
  const verify = verifyHint(o.self ?? 'tws-risk', o.files);
  const dur = duration(o.endedAt - o.startedAt);
  const count = (n: number) => `${n.toLocaleString('en-US')} event${n === 1 ? '' : 's'}`;
  const acct =
    o.accounts && o.accounts.length > 0
      ? `accounts ${o.accounts.map((a) => `${a.account} (${count(a.events)})`).join(', ')}`
      : o.account
        ? `account ${o.account}${o.baseCurrency ? ` (${o.baseCurrency})` : ''}`
        : 'no account seen';
  const files = o.files.join(', ');
  const rec =
    o.replayed !== undefined
      ? `replayed ${o.replayed} (read-only)`
      : o.recordingStopped !== undefined
        ? `recording STOPPED (${o.recordingStopped})${o.files.length > 0 ? `; ${files} ${o.files.length > 1 ? 'hold' : 'holds'} the session until then, unsealed (${verify})` : ''}`
        : o.files.length > 0
          ? `recorded to ${files} (${verify})`
          : o.recordingOff !== undefined
            ? `not recorded (${o.recordingOff})`
            : 'not recorded';
  const source = o.followed !== undefined ? `followed from NATS ${o.followed}` : rec;
  const slow = o.slowFrames?.length
    ? `; ${o.slowFrames.length} ${o.slowFrames.length === 1 ? 'frame' : 'frames'} took over ${SLOW_FRAME_MS} ms (slowest ${Math.round(Math.max(...o.slowFrames))} ms)`
    : '';
  const events = o.accounts && o.accounts.length > 0 ? `${count(o.events)} on the connection` : count(o.events);
  const ended = o.ended !== undefined ? `; ended: ${o.ended}` : '';
  return `tws-risk ${o.command}: ${dur}, ${events}, ${acct}, last health ${o.health.toUpperCase()}; ${source}${slow}${ended}`;
}

/**
 * Renders the console until quit (a keymap command), SIGINT/SIGTERM/SIGHUP or the end of its terminal's input,
 * restores the terminal, closes the session with what ended it (SessionEnd) and prints the summary. The views are imported here, lazily, so that headless commands never load Ink and so
 * that an explicit --color reaches chalk before it first reads the environment.
 */
/** What a console on a TWS connection (live or demo, one account or several) is given alike. */
export function connectedConsole(c: {
  readonly mode: 'live' | 'demo';
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly loaded: { readonly settings: Settings; readonly problems: readonly string[]; readonly warnings?: readonly string[] };
  readonly io: CommandIo;
  readonly color: ConsoleOptions['color'] | null | undefined;
  /** --trade: the trading commands act through `source` as `clientId`; read-only without it. */
  readonly trade: boolean | undefined;
  readonly source: ConsoleTradingSource & { stop(): void };
  readonly clientId: number;
  readonly clock: Clock;
  readonly close: (reason: string, end: SessionEnd) => Promise<void>;
}): Pick<ConsoleOptions, 'source' | 'mode' | 'endpoint' | 'settings' | 'io' | 'color' | 'problems' | 'trading' | 'trade' | 'clientId' | 'clock' | 'close'> {
  return {
    source: c.source,
    clientId: c.clientId,
    mode: c.mode,
    endpoint: c.endpoint,
    settings: c.loaded.settings,
    io: c.io,
    ...(c.color ? { color: c.color } : {}),
    // A hook program not found here is in force, not defaulted: said as it is (hook-program.ts).
    problems: [...c.loaded.problems.map((p) => `Settings: ${p} (using defaults)`), ...(c.loaded.warnings ?? []).map((w) => `Settings: ${w}`)],
    trading: c.trade ? 'trade' : 'readOnly',
    ...(c.trade ? { trade: { source: c.source, clientId: c.clientId } } : {}),
    clock: c.clock,
    close: c.close,
  };
}

export async function runConsole(o: ConsoleOptions): Promise<number> {
  const clock = o.clock ?? systemClock;
  const startedAt = clock.now();
  const feed = o.replay ?? o.follow ?? o.feed;
  if (!feed) throw new Error('runConsole needs a feed, a replay or a follow');
  // A live or demo session counts its feed's events from the first (those before the console opened are the session's
  // too, and its recording holds them); a replay or a follow counts what it moved through here.
  const firstSeq = o.replay || o.follow ? feed.state.lastSeq : 0;
  const keymap = applyOverrides(o.settings.keymap);
  for (const e of keymap.errors) o.io.err(`warning: ${e}`);
  const { resolveTheme, forceColorLevel, asciiOnly } = await import('../views/theme.js');
  const color = o.color ?? o.settings.ui.color;
  const theme = resolveTheme({ theme: o.settings.ui.theme, color, env: process.env });
  const level = forceColorLevel(color);
  // React's development build checks and times every render (several times slower); a terminal session is production.
  process.env.NODE_ENV ??= 'production';
  if (level && !theme.noColor && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = level;
  const [{ renderConsole }, { ConsoleStore, CONSOLE_FRAME_MS }, { createStressRunner }, { createAlertRunner }, { AccountSession }, { distanceLimitsOf }] =
    await Promise.all([
      import('../views/render-console.js'),
      import('../views/store.js'),
      import('../session/stress-model.js'),
      import('../session/alert-runner.js'),
      import('../session/session.js'),
      import('../risk/alerts/rules/stress.js'),
    ]);
  let multiSet: AccountSet | undefined;
  const slow: number[] = [];
  // A follow from NATS is read-only whatever was asked, as a replay is.
  const tradingMode = o.follow ? 'readOnly' : (o.trading ?? (o.mode === 'replay' ? 'replay' : 'readOnly'));
  const player = o.replay;
  // A replay never trades, whatever was asked.
  const canTrade = tradingMode === 'trade' && o.mode !== 'replay' && o.trade !== undefined && o.feed !== undefined && !player;
  /**
   * One account's headless core: risk (the one scenario selector) and, live, the alert engine on the live state and
   * its effects (bell on the console's own stdout, the hook, the audit line), with its trading session under --trade.
   * A replay runs no rules: it lists the alerts the recording holds (DESIGN.md "Alerts are recorded facts").
   */
  /** Every account's alert effects: their hooks still running at quit are waited for, and said (waitForHooksAtQuit). */
  const allEffects: AlertEffects[] = [];
  const coreOf = (f: SessionFeed, live: Feed | undefined, account?: string) => {
    const trading: ConsoleTrading | undefined =
      canTrade && live && o.trade
        ? createConsoleTrading({
            mode: 'trade',
            feed: live,
            source: account === undefined ? o.trade.source : accountGateway(o.trade.source, account),
            clientId: o.trade.clientId,
            armMinutes: o.settings.trading.armMinutes,
            confirmReadMs: o.settings.trading.confirmReadMs,
            clock,
            ...(o.trade.auditDir ? { auditDir: o.trade.auditDir } : {}),
            // Several accounts: one audit log each, named by its account (two armings in one second never share a file).
            ...(account !== undefined ? { auditName: accountAuditName(account) } : {}),
          })
        : undefined;
    const effects = live
      ? createAlertEffects({
          settings: alertEffectsOf(o.settings),
          terminal: o.streams?.stdout ?? process.stdout,
          note: (detail) => live.publish({ type: 'operatorActed', action: 'alertHook', detail }),
          audit: (t) => trading?.recordAlert(t),
          now: () => clock.now(),
        })
      : undefined;
    if (effects) allEffects.push(effects);
    const alertConfig = alertConfigOf(o.settings);
    const judged = live !== undefined && effects !== undefined;
    const session = new AccountSession(f, {
      ...(trading ? { trading: trading.session } : {}),
      // The margin method the settings name (auto decides from what TWS reports), as report uses. A pass no pane draws
      // (frozen, another account shown) is read by the alert rules alone: its distances only as far as their levels.
      risk: createStressRunner({ params: riskParamsOf(o.settings), ...(judged ? { alertLimits: distanceLimitsOf(alertConfig) } : {}) }),
      ...(live && effects
        ? { alerts: createAlertRunner(alertConfig, { publish: (b) => live.publish(b), onTransitions: (ts, s) => effects.handle(ts, s.account) }) }
        : {}),
    });
    return { session, trading };
  };
  // A live session records each alert transition (alertChanged) and acts on it. A replay or a follow from NATS shows
  // the transitions the publisher recorded and adds none (docs/alerts.md "Recording").
  const live = player || o.follow ? undefined : o.feed;
  let trading: ConsoleTrading | undefined;
  let accountsTrading: AccountsTrading | undefined;
  // Prices and the clock redraw at most this often; health, alerts, orders and keys at once (docs/performance.md).
  const frameMs = Math.max(CONSOLE_FRAME_MS, o.settings.ui.throttleMs);
  let store: InstanceType<typeof ConsoleStore>;
  let offAccounts: (() => void) | undefined;
  if (o.multi && live) {
    const followed = followAccounts({
      multi: o.multi,
      connection: live,
      core: (f, account) => coreOf(f, f, account),
      trade: canTrade,
      ...(o.recordingOff ? { recordingOff: o.recordingOff } : {}),
    });
    const set = followed.set;
    accountsTrading = followed.trading;
    store = new ConsoleStore(set.feed, { throttleMs: o.settings.ui.throttleMs, frameMs, session: set.session, accounts: () => set.view(), clock });
    offAccounts = set.onChange(() => store.publish());
    multiSet = set;
  } else {
    const core = coreOf(feed, live);
    trading = core.trading;
    store = new ConsoleStore(feed, {
      ...(player ? { displayNow: () => player.clock(), replay: () => player.status() } : {}),
      ...(o.follow ? { follow: () => o.follow!.status() } : {}),
      throttleMs: o.settings.ui.throttleMs,
      frameMs,
      session: core.session,
      clock,
    });
  }
  // Publishing is a copy for the fleet, connected in the background: the console opens at once, whatever NATS takes to
  // answer. NATS down at start (a reboot that starts the console first) is tried again until it answers, as a guard
  // does (publish.ts connectRetrying): the log says the first failure and the connection, the retries between are quiet.
  let publishing: Publishing | undefined;
  let accountsPublishing: AccountsPublishing | undefined;
  let behindTimer: ReturnType<typeof setInterval> | undefined;
  const publishAbort = new AbortController();
  let publishingStarted: Promise<void> = Promise.resolve();
  const publishMode = tradingMode === 'trade' ? 'trade' : 'readOnly';
  // The TWS client id names this console's summary subject: two consoles of one account on one host are two rows.
  const publishInstance = o.clientId !== undefined ? { instance: `c${o.clientId}` } : {};
  const publishNote = (say: (text: string) => void) => {
    let failed = 0;
    return {
      retry: {
        signal: publishAbort.signal,
        onRetry: (msg: string, attempt: number, inMs: number) => {
          failed = attempt;
          if (attempt === 1) say(`Publishing: ${msg}; the console runs without publishing for now and tries again in ${inMs / 1000} s, then less often`);
        },
      },
      connected: () => {
        if (failed > 0) say(`Publishing: connected to NATS after ${failed} failed attempt(s)`);
      },
      failed: (e: unknown) => {
        if (!publishAbort.signal.aborted) say(`Publishing: ${(e as Error).message}; the console runs without it`);
      },
    };
  };
  const noteOn = (f: Feed | undefined) => (text: string) => f?.publish({ type: 'operatorActed', action: 'note', detail: { text } });
  if (o.publish && live && o.multi && multiSet) {
    const set = multiSet;
    const multi = o.multi;
    const flags = o.publish;
    const hold = o.publishHold;
    // Said in every account's log (each is its own published session); before any account is known, in the connection's.
    const sayAll = (text: string) => {
      const feeds = set.accounts.flatMap((a) => {
        const f = set.member(a)?.feed;
        return f?.publish ? [f] : [];
      });
      if (feeds.length === 0) noteOn(live)(text);
      for (const f of feeds) f.publish?.({ type: 'operatorActed', action: 'note', detail: { text } });
    };
    const note = publishNote(sayAll);
    publishingStarted = (async () => {
      const { startPublishingAccounts, SUMMARY_EVERY_MS } = await import('./publish.js');
      // Several accounts (docs/fleet.md): one connection, each account its own session, subjects and summary (the
      // risk and alerts its own core last computed), from the events held since its feed was made.
      const pubs = await startPublishingAccounts({ flags, role: 'console', ...publishInstance, mode: publishMode, clock, retry: note.retry });
      accountsPublishing = pubs;
      note.connected();
      const view = (account: string) => () => set.viewOf(account);
      if (hold) hold.attach((account, feed, held) => pubs.add(account, { feed, view: view(account) }, held));
      // Without a hold, each account is published from its next event (its earlier ones are not in the stream).
      else
        multi.router.onAccounts((list) => {
          for (const a of list) {
            const feed = multi.accounts.get(a)?.feed;
            if (feed) pubs.add(a, { feed, view: view(a) });
          }
        });
      // Falling behind and catching up are said once each, in every account's log: each is its own published session.
      let shown: string | undefined;
      behindTimer = setInterval(() => {
        const text = pubs.publisher.behindText();
        if (text === shown) return;
        for (const a of set.accounts)
          set.member(a)?.feed.publish?.({ type: 'operatorActed', action: 'note', detail: { text: text ?? 'publishing caught up' } });
        shown = text;
      }, SUMMARY_EVERY_MS);
    })().catch((e: unknown) => {
      hold?.release();
      note.failed(e);
    });
  } else if (o.publish && live && !o.multi) {
    const flags = o.publish;
    const note = publishNote(noteOn(live));
    publishingStarted = (async () => {
      // Loaded only when asked: a console that does not publish never loads the NATS client.
      const { startPublishing, SUMMARY_EVERY_MS } = await import('./publish.js');
      const p = await startPublishing({
        flags,
        feed: live,
        role: 'console',
        ...publishInstance,
        mode: publishMode,
        clock,
        view: () => {
          const snap = store.getSnapshot();
          return { ...(snap.risk ? { risk: snap.risk } : {}), ...(snap.alerts ? { alerts: snap.alerts } : {}) };
        },
        ...(o.publishHeld ? { held: o.publishHeld } : {}),
        retry: note.retry,
      });
      publishing = p;
      note.connected();
      // Falling behind and catching up are said once each, in the log (recorded like any note).
      let shown: string | undefined;
      behindTimer = setInterval(() => {
        const text = p.publisher.behindText();
        if (text === shown) return;
        live.publish({ type: 'operatorActed', action: 'note', detail: { text: text ?? 'publishing caught up' } });
        shown = text;
      }, SUMMARY_EVERY_MS);
    })().catch((e: unknown) => {
      o.publishHeld?.release();
      note.failed(e);
    });
  }
  // Before Ink hides the cursor (its first frame), when restore-cursor registers its exit hook on process.stderr.
  guardCursorRestore(process.stderr);
  const instance = renderConsole(
    {
      store,
      mode: o.mode,
      trading: o.mode === 'replay' ? 'replay' : tradingMode,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      bindings: keymap.bindings,
      problems: [...(o.problems ?? []), ...keymap.errors.map((e) => `Settings: ${e}`)],
      theme,
      maskAccount: o.settings.ui.maskAccount || accountMaskForced(),
      ...(o.onTrade ? { onTrade: o.onTrade } : {}),
      ...(trading ? { trade: trading } : {}),
      ...(accountsTrading ? { trade: accountsTrading } : {}),
      ...(player ? { replay: player } : {}),
      ...(multiSet ? { accounts: multiSet } : {}),
    },
    { ...o.streams, clearScreen: () => (o.streams?.stdout ?? process.stdout).write(CLEAR_SCREEN) },
    (ms) => {
      // Frames slower than a tenth of a second are worth knowing about (STYLE.md "log slow onRender times").
      if (ms > SLOW_FRAME_MS) slow.push(ms);
    },
    asciiOnly(process.env, o.settings.ui.ascii),
  );
  // Ink wrote the first frame as it mounted: a replay's verification scan starts now, not while the console loads (the
  // frame says "verifying" until it ends; docs/performance.md "Start-up, fifth pass").
  player?.startScan();
  // A seek replaces the state (risk and alert memory belong to another moment); anything else just republishes.
  const offReplay = player?.onChange((kind) => (kind === 'replaced' ? store.replaced() : store.publish()));
  // Ctrl-C arrives as a key in raw mode (app.quit); a signal from outside (kill -INT included, whose default
  // action would end the process with the recording unsealed) still ends the session cleanly, and says which it was:
  // a hangup is not the operator's quit, and the recording must not say it is.
  let ended: SessionEnd | undefined;
  const endBy = (end: SessionEnd) => () => {
    ended ??= end;
    instance.unmount();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = new Map(signals.map((s) => [s, endBy(s)] as const));
  // Listened to until the session is closed, not once: a second signal while it closes (the shell forwarding the hangup
  // the terminal sent, a Ctrl-C once the console has left raw mode) would otherwise take its default action and end the
  // process with the recording unsealed. It changes nothing: the first one said what ended the session.
  for (const [s, l] of onSignal) process.on(s, l);
  // A terminal can go without a SIGHUP reaching us (a wrapper shell that traps it, another session): its input then
  // ends or fails (EIO). Left alone, the console would run on headless, connected and recording, for ever.
  const stdin = o.streams?.stdin ?? process.stdin;
  const onInputGone = stdin.isTTY === true ? endBy('terminalGone') : undefined;
  if (onInputGone) {
    stdin.on('end', onInputGone);
    stdin.on('error', onInputGone);
  }
  // stderr piped to a reader that went (`live 2> >(logger)`): ended as a closed terminal is, sealed.
  const offOutputClosed = onOutputClosed(endBy('outputClosed'));
  const unlisten = () => {
    offOutputClosed();
    for (const [s, l] of onSignal) process.off(s, l);
    if (onInputGone) {
      stdin.off('end', onInputGone);
      stdin.off('error', onInputGone);
    }
  };
  try {
    await instance.waitUntilExit();
  } catch (e) {
    unlisten();
    throw e;
  } finally {
    offReplay?.();
    offAccounts?.();
    store.dispose();
    // Quitting disarms (audited) and closes the session's audit log before the feed closes.
    trading?.close(sessionEndText(ended ?? 'quit'));
    accountsTrading?.close(sessionEndText(ended ?? 'quit'));
  }
  const end = ended ?? 'quit';
  const reason = sessionEndText(end);
  // The health the operator last saw: closing stops the source, which then reads disconnected.
  const health = feed.state.health;
  // A connection still being tried is given up; one made meanwhile is stopped below like any other.
  publishAbort.abort();
  await publishingStarted;
  if (behindTimer) clearInterval(behindTimer);
  try {
    if (o.close) await o.close(reason, end);
    else {
      o.source?.stop();
      await (player ? player.close() : o.follow ? o.follow.close() : o.feed?.close(reason));
    }
    // After the close, so that the session's last events (the recording's seal) are published too.
    await publishing?.stop();
    await accountsPublishing?.stop();
  } finally {
    unlisten();
  }
  // Counted once everything is closed: the quit's disarm, the disconnect that stopping the source publishes and the
  // last socket read's market data (folded at close) are the session's events too.
  const last = feed.state;
  // The exit line names the account: masked like the screen was (the toggle's last state, or --mask).
  const summaryOut =
    o.settings.ui.maskAccount || accountMaskForced() || isScreenMasked() ? (l: string) => o.io.out(maskAccounts(l)) : (l: string) => o.io.out(l);
  summaryOut(
    sessionSummary({
      command: o.mode === 'paper' ? 'live' : o.mode === 'follow' ? 'fleet --open' : o.mode,
      startedAt,
      endedAt: clock.now(),
      events: last.lastSeq - firstSeq,
      ...(multiSet && multiSet.accounts.length > 0
        ? { accounts: multiSet.accounts.map((a) => ({ account: a, events: multiSet!.member(a)?.feed.state.lastSeq ?? 0 })) }
        : { ...(last.account ? { account: last.account } : {}), ...(last.baseCurrency ? { baseCurrency: last.baseCurrency } : {}) }),
      health,
      files: o.recorder?.files ?? [],
      ...(o.recorder?.failure ? { recordingStopped: o.recorder.failure.message } : {}),
      ...(o.recordingOff ? { recordingOff: o.recordingOff } : {}),
      slowFrames: slow,
      ...(player ? { replayed: player.file } : {}),
      ...(o.follow ? { followed: `${o.follow.status().server} (read-only)` } : {}),
      self: selfCommand(),
      ...(end !== 'quit' ? { ended: reason } : {}),
    }),
  );
  if (trading?.auditFile) o.io.out(`trading audit log: ${trading.auditFile} (${verifyHint(selfCommand(), [trading.auditFile])})`);
  for (const f of accountsTrading?.auditFiles ?? []) o.io.out(`trading audit log: ${f} (${verifyHint(selfCommand(), [f])})`);
  // A hook still running (a page for the alert that made the operator quit) is waited for, up to its timeout, and said
  // on stderr with each failure: the session's signal handlers are gone, so Ctrl-C here is ours, and kills them. A
  // hangup (the window closed after q) or a SIGTERM does not: the wait goes on, bounded by the hooks' timeouts.
  await waitForHooksAtQuit(allEffects, { err: (l) => o.io.err(l), now: () => clock.now(), interrupt: quitSignals((l) => o.io.err(l)) });
  // A session whose recording stopped did not do what it was started to do (README "Exit codes": 1, a failed check);
  // a script or a supervisor running it must hear it, not only the exit line.
  return end === 'outputClosed' ? EXIT.outputClosed : o.recorder?.failure ? EXIT.invalid : EXIT.ok;
}
