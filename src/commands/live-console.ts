// `tws-risk` / `tws-risk live`: the console on TWS or IB Gateway, recorded by default.
import { existsSync } from 'node:fs';
import { loadSettings } from '../config/load.js';
import type { Feed } from '../streams/feed.js';
import { colorFlag, connectedConsole, noteRecorderError, noteRecordingStopped, runConsole } from './console.js';
import { drawableTerminal, EXIT, terminalNeeded, type CommandIo } from './io.js';
import { publishFlagsProblem, type PublishFlags } from './publish-flags.js';
import { openLive, openLiveMulti, resolveConnection, SEVERAL_ACCOUNTS_NOT_RECORDED, severalAccountsProblem, type ConnectionFlags } from './live.js';
import { parseAccounts } from '../streams/tws/multi.js';

export interface LiveFlags extends Omit<ConnectionFlags, 'timeout'>, PublishFlags {
  readonly 'no-record'?: boolean;
  readonly record?: string;
  readonly color?: string;
  /** Enables the trading commands (arming, flatten and cancel dialogs); read-only without it. */
  readonly trade?: boolean;
  readonly config?: string;
}

/**
 * Opens the console and keeps it open whatever the connection does: a supervision console must show "cannot
 * connect" and keep retrying (with the source's backoff), not exit. For one-shot checks use `tws-risk report`.
 */
export async function liveCommand(f: LiveFlags, io: CommandIo): Promise<number> {
  const usage = (m: string) => {
    io.err(`tws-risk live: ${m}`);
    return EXIT.usage;
  };
  if (f.record && f['no-record']) return usage('--record and --no-record contradict each other');
  if (f.record && existsSync(f.record)) return usage(`${f.record} exists; a recording is never overwritten (choose another name)`);
  const publishProblem = publishFlagsProblem(f);
  if (publishProblem) return usage(publishProblem);
  const color = colorFlag(f.color);
  if (color === null) return usage(`--color expects 16, 256, truecolor or auto, got ${JSON.stringify(f.color)}`);
  if (!drawableTerminal(process.stdout) || !drawableTerminal(process.stdin)) {
    io.err(`tws-risk live: the console needs ${terminalNeeded()}; for scripts and cron use \`tws-risk report\` (or --json)`);
    return EXIT.invalid;
  }
  const loaded = loadSettings(f.config);
  for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
  for (const w of loaded.warnings ?? []) io.err(w);
  const c = resolveConnection(f, loaded.settings, 20, true);
  if (typeof c === 'string') return usage(c);
  const several = parseAccounts(c.account);
  if (several) {
    const problem = severalAccountsProblem(f);
    if (problem) return usage(problem);
    // An advisor login, several of its accounts (issue 20): one connection, a session core per account, not recorded.
    // --publish: each account's events are held from its first until the console has connected to NATS.
    const hold = f.publish !== undefined ? (await import('./publish.js')).holdAccountFeeds() : undefined;
    const m = openLiveMulti({
      host: c.host,
      port: c.port,
      clientId: c.clientId,
      accounts: several,
      settings: loaded.settings,
      ...(hold ? { onAccountFeed: hold.onAccountFeed } : {}),
    });
    const wanted = f['no-record'] !== true && loaded.settings.recorder.enabled;
    return runConsole({
      feed: m.connection.feed,
      source: m.source,
      multi: m,
      ...(wanted ? { recordingOff: SEVERAL_ACCOUNTS_NOT_RECORDED } : {}),
      ...connectedConsole({
        mode: 'live',
        endpoint: c,
        loaded,
        io,
        color,
        trade: f.trade,
        source: m.source,
        clientId: c.clientId,
        clock: m.clock,
        close: (r, end) => m.close(r, end),
      }),
      ...(f.publish !== undefined && hold ? { publish: { ...f, publish: f.publish }, publishHold: hold } : {}),
    });
  }
  let feed: Feed | undefined;
  // --publish: the events from seq 1 are held until the console's publisher takes them (it starts once the console loaded).
  const held = f.publish !== undefined ? (await import('./publish.js')).holdFeed() : undefined;
  const session = openLive({
    host: c.host,
    port: c.port,
    clientId: c.clientId,
    ...(c.account ? { account: c.account } : {}),
    record: f.record !== undefined || (f['no-record'] !== true && loaded.settings.recorder.enabled),
    ...(f.record ? { recordFile: f.record } : {}),
    recordingSource: 'live',
    settings: loaded.settings,
    onRecorderError: noteRecorderError(() => feed),
    ...(held ? { onFeed: held.onFeed } : {}),
  });
  feed = session.feed;
  // An unwritable recording directory does not keep a supervision console from starting; the bar and the
  // Alerts pane say it is not recording, and so does the exit line.
  if (session.recordingProblem) noteRecordingStopped(session.feed, `not started: ${session.recordingProblem}`);
  return runConsole({
    feed: session.feed,
    source: session.source,
    ...(session.recorder ? { recorder: session.recorder } : {}),
    ...(session.recordingProblem ? { recordingOff: session.recordingProblem } : {}),
    ...connectedConsole({
      mode: 'live',
      endpoint: c,
      loaded,
      io,
      color,
      trade: f.trade,
      source: session.source,
      clientId: c.clientId,
      clock: session.clock,
      close: (r, end) => session.close(r, end),
    }),
    ...(f.publish !== undefined && held ? { publish: { ...f, publish: f.publish }, publishHeld: held } : {}),
  });
}
