// `tws-risk demo`: the embedded simulator on a free loopback port, reached through the same live source as TWS.
import { existsSync, readdirSync } from 'node:fs';
import { alertConfigOf, alertEffectsOf, loadSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import type { Alert } from '../risk/alerts/index.js';
import { riskParamsOf } from './stress.js';
import { sessionEndText, type SessionEnd } from '../model/connection.js';
import { isoTimeProblemText, parseIsoTime } from '../model/iso-time.js';
import { startSimulator } from '../sim/index.js';
import { scenarioDir } from '../sim/scenario.js';
import type { Feed } from '../streams/feed.js';
import { colorFlag, connectedConsole, noteRecorderError, noteRecordingStopped, runConsole } from './console.js';
import { drawableTerminal, EXIT, onOutputClosed, type CommandIo } from './io.js';
import { selfCommand, verifyHint } from './self-command.js';
import { publishFlagsProblem, type PublishFlags } from './publish-flags.js';
import { openLive, openLiveMulti, SEVERAL_ACCOUNTS_NOT_RECORDED, severalAccountsProblem } from './live.js';
import { parseAccounts } from '../streams/tws/multi.js';
import { missingData } from './state-json.js';
import { stateText } from './state-text.js';
import { wrap } from '../views/format.js';

/** How long `demo --once` waits past the account download for option computations and the account summary. */
const ONCE_GRACE_MS = 10_000;

export interface DemoFlags extends PublishFlags {
  readonly scenario?: string;
  readonly seed?: string;
  readonly speed?: string;
  /** The simulated market's start (ISO date-time); default now. Pins the calendar: contracts, expiries, sessions. */
  readonly start?: string;
  readonly 'no-record'?: boolean;
  readonly record?: string;
  readonly config?: string;
  /** Print one summary after the first complete snapshot and exit (scripts, smoke tests). */
  readonly once?: boolean;
  /** Colour depth for the console: 16, 256, truecolor (default: the setting, else detected). */
  readonly color?: string;
  /** Enables the trading commands (arming, flatten and cancel dialogs); read-only without it. */
  readonly trade?: boolean;
  /** `all` or a list: follow several accounts of the simulator's advisor login (scenario advisor-login by default). */
  readonly account?: string;
}

const CLIENT_ID = 4217;

/** The width of the terminal stderr writes to; undefined for a file or a pipe (a script reads the line whole). */
const stderrColumns = (): number | undefined => (process.stderr.isTTY === true ? process.stderr.columns : undefined);

/**
 * The demo's first words on stderr, left on the shell's screen under the console: where the simulator listens and
 * whose account it is. Short enough for one line at 80 columns, and wrapped at spaces short of the last column on a
 * narrower terminal: at 81 characters its last one went onto a row of its own, which the console's screen did not
 * give back whole (a stray "7" left after quitting). `columns` undefined (not a terminal): one line.
 */
export function bannerLines(
  who: string,
  sim: { readonly host: string; readonly port: number; readonly controlPort: number | null },
  columns: number | undefined,
): string[] {
  const line = `demo: simulator on ${sim.host}:${sim.port} (control channel ${sim.controlPort ?? 'off'}), ${who}`;
  return columns === undefined || columns < 2 ? [line] : wrap(line, columns - 1);
}

/**
 * On a terminal, opens the console (issue 6) until the operator quits. With --once, or when stdout is not a
 * terminal (pipes, scripts, TERM=dumb), prints the text summary instead: once, or every two seconds until Ctrl-C.
 * On exit it prints where the session was recorded.
 */
export async function demoCommand(f: DemoFlags, io: CommandIo): Promise<number> {
  if (f.record && f['no-record']) return usage('--record and --no-record contradict each other', io);
  const publishProblem = publishFlagsProblem(f);
  if (publishProblem) return usage(publishProblem, io);
  const color = colorFlag(f.color);
  if (color === null) return usage(`--color expects 16, 256, truecolor or auto, got ${JSON.stringify(f.color)}`, io);
  if (f.record && existsSync(f.record)) return usage(`${f.record} exists; a recording is never overwritten (choose another name)`, io);
  const seed = f.seed === undefined ? 1 : Number(f.seed);
  const speed = f.speed === undefined ? 1 : Number(f.speed);
  if (!Number.isInteger(seed) || seed < 0) return usage(`--seed expects a non-negative integer, got ${JSON.stringify(f.seed)}`, io);
  if (!Number.isFinite(speed) || speed < 0) return usage(`--speed expects a non-negative number, got ${JSON.stringify(f.speed)}`, io);
  const start = f.start === undefined ? undefined : parseIsoTime(f.start.trim());
  if (typeof start === 'string') return usage(isoTimeProblemText('--start', f.start!, start), io);
  const several = f.account === undefined ? undefined : parseAccounts(f.account);
  if (f.account !== undefined && !several) return usage(`--account expects all or a list like DU2000001,DU2000003, got ${JSON.stringify(f.account)}`, io);
  if (several) {
    const problem = severalAccountsProblem(f) ?? (f.once || !drawableTerminal(process.stdout) || !drawableTerminal(process.stdin) ? SEVERAL_TEXT : undefined);
    if (problem) return usage(problem, io);
  }
  if (f.scenario !== undefined) {
    const unknown = unknownScenario(f.scenario);
    if (unknown) return usage(unknown, io);
  }
  const loaded = loadSettings(f.config);
  for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
  for (const w of loaded.warnings ?? []) io.err(w);
  let sim;
  try {
    sim = await startSimulator({
      port: 0,
      controlPort: 0,
      seed,
      speed,
      ...(start !== undefined ? { startTime: start } : {}),
      // Several accounts need an advisor login: the shipped one unless another scenario is named.
      ...(f.scenario ? { scenario: f.scenario } : several ? { scenario: 'advisor-login' } : {}),
      log: false,
    });
  } catch (e) {
    io.err(`tws-risk demo: ${(e as Error).message}`);
    return EXIT.invalid;
  }
  // From here on the simulator holds two ports: whatever happens, it is closed before the command returns.
  try {
    if (several) return await runDemoAccounts(f, io, sim, loaded, color, several);
    return await runDemo(f, io, sim, loaded, color);
  } finally {
    await sim.close();
  }
}

async function runDemo(
  f: DemoFlags,
  io: CommandIo,
  sim: Awaited<ReturnType<typeof startSimulator>>,
  loaded: ReturnType<typeof loadSettings>,
  color: ReturnType<typeof colorFlag>,
): Promise<number> {
  let consoleFeed: Feed | undefined;
  // --publish on the console: the events from seq 1 are held until its publisher takes them (it starts once loaded).
  const held =
    f.publish !== undefined && drawableTerminal(process.stdout) && drawableTerminal(process.stdin) && !f.once
      ? (await import('./publish.js')).holdFeed()
      : undefined;
  const session = openLive({
    host: sim.host,
    port: sim.port,
    clientId: CLIENT_ID,
    record: f.record !== undefined || (f['no-record'] !== true && loaded.settings.recorder.enabled),
    ...(f.record ? { recordFile: f.record } : {}),
    recordingSource: 'demo',
    settings: loaded.settings,
    // Noted in the session either way (recording.stopped is an alert, hooked: the text summary lists it too); in text
    // mode it goes to stderr as well.
    onRecorderError: (e) => {
      noteRecorderError(() => consoleFeed ?? session.feed)(e);
      if (!consoleFeed) io.err(`recording stopped: ${e.message}`);
    },
    // On the console the note is in the session (recorded); in text mode it goes to stderr as well.
    onRecorderNote: (t) => (consoleFeed ? undefined : io.err(t)),
    ...(held ? { onFeed: held.onFeed } : {}),
  });
  // A dumb terminal (TERM=dumb) is written to as a pipe is: the summary whole, every two seconds, no screen control.
  const tty = drawableTerminal(process.stdout);
  const useConsole = tty && drawableTerminal(process.stdin) && !f.once;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  // Without the console, Ctrl-C is how the operator quits (the banner says so), and it comes as SIGINT: a quit.
  // A hangup or a kill is not, and the recording says which it was.
  let ended: SessionEnd | undefined;
  const endBy = (end: SessionEnd) => () => {
    ended ??= end;
    stop();
  };
  const onSignal = new Map([['SIGINT', endBy('quit')] as const, ['SIGTERM', endBy('SIGTERM')] as const, ['SIGHUP', endBy('SIGHUP')] as const]);
  // Kept until the session is closed: a second signal (a shell passing on the terminal's hangup, Ctrl-C again) would
  // otherwise take its default action and end the process before the recording is sealed.
  // Installed before the banner that says so: until a listener exists, a signal takes its default action and kills the
  // process at once (a Ctrl-C straight after the banner, or a supervisor's SIGTERM, ended it with nothing sealed).
  if (!useConsole) for (const [s, l] of onSignal) process.on(s, l);
  // Text written to a pipe its reader closed (`demo | head -3`): the session ends as on a hangup, sealed and indexed.
  const offOutputClosed = useConsole ? undefined : onOutputClosed(endBy('outputClosed'));
  // --once ends by itself after its one summary: no Ctrl-C to tell of.
  for (const line of bannerLines(`account ${sim.account}${useConsole || f.once ? '' : '; Ctrl-C to quit'}`, sim, stderrColumns())) io.err(line);
  if (session.recordingProblem) io.err(`demo: not recording: ${session.recordingProblem}`);
  // Noted in the session for the console and the text summary alike: recording.stopped lists it.
  if (session.recordingProblem) noteRecordingStopped(session.feed, `not started: ${session.recordingProblem}`);
  if (useConsole) {
    consoleFeed = session.feed;
    return await runConsole({
      feed: session.feed,
      source: session.source,
      ...(session.recorder ? { recorder: session.recorder } : {}),
      ...(session.recordingProblem ? { recordingOff: session.recordingProblem } : {}),
      ...connectedConsole({
        mode: 'demo',
        endpoint: sim,
        loaded,
        io,
        color,
        trade: f.trade,
        source: session.source,
        clientId: CLIENT_ID,
        clock: session.clock,
        close: (r, end) => session.close(r, end),
      }),
      ...(f.publish !== undefined ? { publish: { ...f, publish: f.publish }, ...(held ? { publishHeld: held } : {}) } : {}),
    });
  }
  // The alert engine runs in text mode as on the console: alerts are judged, recorded, hooked and printed (a piped demo
  // through a margin spike ran none: no alert, nothing recorded, no hook; ops trial). Set up inside the try below, so
  // that a failure there still closes the session (sealed, indexed).
  let judge: TextAlerts | undefined;
  let alerts: readonly Alert[] = [];
  const look = () => (alerts = judge?.evaluate(session.clock.now()) ?? []);
  const draw = () => {
    const s = session.feed.state;
    look();
    // Only a terminal refreshed in place is cut to its size; --once and a pipe get every position, whole lines.
    const lines = [
      ...stateText(s, tty && !f.once ? { width: process.stdout.columns ?? 80, maxPositions: Math.max(5, (process.stdout.rows ?? 24) - 18) } : {}),
      ...alertLines(alerts),
    ];
    // Redrawn in place: the clearing sequence is ours, so it is written beside the text sink, whose last line of defence
    // would print it as the visible text "\u001b[H\u001b[2J". --once prints once and leaves the screen as it was.
    if (tty && !f.once) {
      process.stdout.write('\x1b[H\x1b[2J');
      io.out(lines.join('\n'));
    } else if (tty) io.out(lines.join('\n'));
    else io.out(`${lines.join('\n')}\n`);
  };
  // --once waits for what a report waits for (option computations, the account summary), so the recording it leaves
  // is a complete snapshot: one cut at the account download replayed with every option unpriced and rosier figures.
  // The simulator sends it all within a second; past ONCE_GRACE_MS after the download it prints what it has.
  let downloadedAt: number | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let judging: ReturnType<typeof setInterval> | undefined;
  try {
    judge = await textAlerts(session.feed, loaded.settings, tty ? process.stdout : undefined, () => session.clock.now());
    timer = setInterval(
      () => {
        const s = session.feed.state;
        if (f.once) {
          if (s.complete.accountDownload && s.complete.positions) {
            downloadedAt ??= session.clock.now();
            if (missingData(s).length === 0 || session.clock.now() - downloadedAt > ONCE_GRACE_MS) {
              draw();
              stop();
            }
          }
          return;
        }
        draw();
      },
      f.once ? 100 : 2000,
    );
    // Judged every second between the summaries, as the console's store paces its evaluations.
    judging = f.once ? undefined : setInterval(look, 1000);
    await stopped;
  } finally {
    clearInterval(timer);
    clearInterval(judging);
    const files = session.recorder?.files ?? [];
    const end = ended ?? 'quit';
    try {
      await session.close(sessionEndText(end), end);
    } finally {
      for (const [s, l] of onSignal) process.off(s, l);
      offOutputClosed?.();
    }
    const failure = session.recorder?.failure;
    const endedText = end === 'quit' ? '' : `; ended: ${sessionEndText(end)}`;
    io.err(
      (failure
        ? `session recording STOPPED (${failure.message})${files.length > 0 ? `; ${files.join(', ')} holds the session until then, unsealed` : ''}`
        : files.length > 0
          ? `session recorded to ${files.join(', ')} (${verifyHint(selfCommand(), files)})`
          : session.recordingProblem
            ? `session not recorded (${session.recordingProblem})`
            : 'session not recorded') + endedText,
    );
    // As the console's quit (docs/alerts.md "Hook"): a hook still running is waited for, up to its timeout, and said on
    // stderr; the session's signal handlers are gone, so Ctrl-C again kills it (it waited in silence, deaf to Ctrl-C).
    await judge?.atQuit((l) => io.err(l));
  }
  // A closed output is not the operator's quit: a pipeline under `set -o pipefail` is told its writer was cut off.
  // A recording that stopped (a full disk) fails the session: exit 1, as the console does (README "Exit codes").
  return ended === 'outputClosed' ? EXIT.outputClosed : session.recorder?.failure ? EXIT.invalid : EXIT.ok;
}

const SEVERAL_TEXT =
  '--account with several accounts opens the console (a terminal, no --once); for text, run `tws-risk sim --scenario advisor-login` and `tws-risk report --account all`';

/** The console on several accounts of the simulator's advisor login (issue 20): not recorded, as `live` with several. */
async function runDemoAccounts(
  f: DemoFlags,
  io: CommandIo,
  sim: Awaited<ReturnType<typeof startSimulator>>,
  loaded: ReturnType<typeof loadSettings>,
  color: ReturnType<typeof colorFlag>,
  accounts: 'all' | readonly string[],
): Promise<number> {
  // --publish: each account's events are held from its first until the console has connected to NATS.
  const hold = f.publish !== undefined ? (await import('./publish.js')).holdAccountFeeds() : undefined;
  const m = openLiveMulti({
    host: sim.host,
    port: sim.port,
    clientId: CLIENT_ID,
    accounts,
    settings: loaded.settings,
    ...(hold ? { onAccountFeed: hold.onAccountFeed } : {}),
  });
  const wanted = f['no-record'] !== true && loaded.settings.recorder.enabled;
  for (const line of bannerLines(
    `advisor login ${sim.account}, following ${accounts === 'all' ? 'all its accounts' : accounts.join(', ')}`,
    sim,
    stderrColumns(),
  ))
    io.err(line);
  if (wanted) io.err(`demo: not recording: ${SEVERAL_ACCOUNTS_NOT_RECORDED}`);
  return await runConsole({
    feed: m.connection.feed,
    source: m.source,
    multi: m,
    ...(wanted ? { recordingOff: SEVERAL_ACCOUNTS_NOT_RECORDED } : {}),
    ...connectedConsole({
      mode: 'demo',
      endpoint: sim,
      loaded,
      io,
      color,
      trade: f.trade,
      source: m.source,
      clientId: CLIENT_ID,
      clock: m.clock,
      close: (r, end) => m.close(r, end),
    }),
    ...(f.publish !== undefined && hold ? { publish: { ...f, publish: f.publish }, publishHold: hold } : {}),
  });
}

/** The shipped scenarios' names, from the simulator's scenarios directory. */
export function shippedScenarios(): string[] {
  const dir = scenarioDir();
  if (!dir) return [];
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/** Why `--scenario` names nothing (neither a shipped scenario nor a file), listing the names that exist; else undefined. */
function unknownScenario(name: string): string | undefined {
  const shipped = shippedScenarios();
  if (shipped.includes(name) || existsSync(name)) return undefined;
  return `unknown scenario ${JSON.stringify(name)}: not a shipped scenario (${shipped.join(', ') || 'none found'}) nor a file`;
}

function usage(message: string, io: CommandIo): number {
  io.err(`tws-risk demo: ${message}`);
  return EXIT.usage;
}

/** The text summary's alert engine: one pass of the rules, and the quit-time wait for its hooks. */
interface TextAlerts {
  evaluate(now: number): readonly Alert[];
  /** Waits for the hooks still running, as the console's quit does (`waitForHooksAtQuit`, Ctrl-C kills them). */
  atQuit(err: (line: string) => void): Promise<number>;
}

/** The headless core's alert engine for the text summary: risk and the rules on the live state, their effects. */
async function textAlerts(feed: Feed, settings: Settings, terminal: NodeJS.WriteStream | undefined, now: () => number): Promise<TextAlerts> {
  const [{ AccountSession }, { createStressRunner }, { createAlertRunner }, { distanceLimitsOf }, { createAlertEffects, quitSignals, waitForHooksAtQuit }] =
    await Promise.all([
      import('../session/session.js'),
      import('../session/stress-model.js'),
      import('../session/alert-runner.js'),
      import('../risk/alerts/rules/stress.js'),
      import('./alert-effects.js'),
    ]);
  const config = alertConfigOf(settings);
  // The bell only on a terminal: in a pipe or a file a BEL is a stray byte.
  const effects = createAlertEffects({
    settings: alertEffectsOf(settings),
    ...(terminal ? { terminal } : {}),
    note: (detail) => feed.publish({ type: 'operatorActed', action: 'alertHook', detail }),
    now,
  });
  const core = new AccountSession(feed, {
    risk: createStressRunner({ params: riskParamsOf(settings), alertLimits: distanceLimitsOf(config) }),
    alerts: createAlertRunner(config, { publish: (b) => feed.publish(b), onTransitions: (ts, s) => effects.handle(ts, s.account) }),
  });
  return {
    // No pane draws these passes: the rules read the engine's report, as the guard's do.
    evaluate: (now) => core.evaluate(now, now, 1000, false).alerts ?? [],
    atQuit: (err) => waitForHooksAtQuit([effects], { err, now, interrupt: quitSignals(err) }),
  };
}

/** The active alerts under the summary, most severe first, as `report` lists them. */
function alertLines(alerts: readonly Alert[]): string[] {
  if (alerts.length === 0) return ['alerts: none'];
  return ['alerts:', ...alerts.map((a) => `  ${a.severity.toUpperCase().padEnd(8)} ${a.title}`)];
}
