// `tws-risk report`: connect (or read a recording), wait for a complete snapshot, print it once, exit.
import { alertConfigOf, loadSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import type { Clock } from '../model/clock.js';
import { contractLabel } from '../model/contract.js';
import type { Feed } from '../streams/feed.js';
import { marketNow, type PortfolioState } from '../model/state.js';
import { RecordingError } from '../streams/recording/reader.js';
import { parseAt, recordingStart, stateAt } from '../streams/replay/state-at.js';
import { EXIT, type CommandIo } from './io.js';
import type { ConnectionFlags, resolveConnection } from './live.js';
import { publishFlagsProblem, type PublishFlags } from './publish-flags.js';
import { aggregateAccounts, aggregateJson, aggregateText, type AccountFigures } from '../risk/aggregate.js';
import { missingData, stateJson } from './state-json.js';
import { stateText } from './state-text.js';
import { chooseScenarios, riskParamsOf, stressOf, type RiskSettingsParams } from './stress.js';
import { formatStressReportText } from '../risk/report-text.js';
import { toReportJson } from '../risk/report-json.js';
import type { Scenario } from '../risk/scenario-types.js';
import { alertJson, bookScenarios, evaluateOnce, hasCritical, type Alert } from '../risk/alerts/index.js';
import { recordedAlerts } from '../session/session.js';

export interface ReportFlags extends ConnectionFlags, PublishFlags {
  readonly json?: boolean;
  readonly replay?: string;
  readonly at?: string;
  readonly config?: string;
  readonly shock?: string[];
  readonly scenarios?: string;
  readonly 'margin-method'?: string;
  readonly record?: string;
}

/**
 * Prints the state, its stress report and the active alerts; returns whether a critical alert is active.
 * JSON: the stress document of docs/report-json.md, plus the state's health, what is missing, positions, orders,
 * the alerts, and the raw account rows under `reported`.
 */
function print(
  state: PortfolioState,
  f: ReportFlags,
  settings: Settings,
  scenarios: readonly Scenario[],
  now: number,
  io: CommandIo,
  extra: Record<string, unknown> = {},
  stressAt = state.lastEventAt || now,
  recorded = false,
  warnings: readonly string[] = [],
): boolean {
  for (const w of warnings) io.err(`warning: ${w}`);
  const b = build(state, f, settings, scenarios, now, io.columns, extra, stressAt, recorded, warnings);
  if (f.json) io.out(JSON.stringify(b.json, null, 2));
  else for (const l of b.text) io.out(l);
  return b.critical;
}

/** One state's report, as the JSON document and as text lines, with its stress report and verdict. */
interface Built {
  readonly critical: boolean;
  readonly stress: ReturnType<typeof stressOf>;
  readonly json: Record<string, unknown>;
  readonly text: readonly string[];
}

function build(
  state: PortfolioState,
  f: ReportFlags,
  settings: Settings,
  scenarios: readonly Scenario[],
  now: number,
  columns: number | undefined,
  extra: Record<string, unknown>,
  stressAt: number,
  recorded: boolean,
  warnings: readonly string[],
): Built {
  const risk = riskParamsOf(settings, f['margin-method']);
  const stress = stressOf(state, scenarios, stressAt, risk);
  const alerts: readonly Alert[] = recorded ? recordedAlerts(state) : lookOnce(state, settings, risk, scenarios, stress, now, stressAt);
  const critical = hasCritical(alerts);
  // A replay's verdict is what was recorded; where today's rules would judge the same moment differently (a file from
  // before alerts were recorded, changed thresholds), say so beside it, never instead of it.
  const differently = recorded ? judgedDifferently(alerts, lookOnce(state, settings, risk, scenarios, stress, now, stressAt)) : [];
  const st = stateJson(state);
  const { accountValues, accountSummary, ...rest } = st;
  // The valuation time on TWS's clock, as the stress report and the text's "as of" (expiries run on it); the state's
  // `receivedAt` beside it is this machine's clock, which a TWS whose clock is elsewhere (a simulator) does not share.
  const asOf = new Date(marketNow(state, stressAt)).toISOString();
  const doc = 'error' in stress ? { asOf, ...rest, stressError: stress.error } : { ...(toReportJson(stress) as Record<string, unknown>), ...rest };
  const json = {
    ...doc,
    alerts: alerts.map(alertJson),
    ...(recorded ? { todaysRulesDiffer: differently.map(alertJson) } : {}),
    reported: { accountValues, accountSummary },
    warnings: [...warnings],
    ...extra,
  };
  if (f.json) return { critical, stress, json, text: [] };
  // Said again beside the figures they concern (stderr may go elsewhere): a shock that moves nothing, a state that
  // lacks data.
  const text: string[] = [...stateText(state), '', ...warnings.map((w) => `WARNING: ${w}`), ...(warnings.length > 0 ? [''] : [])];
  if ('error' in stress) text.push(`stress: not available (${stress.error})`);
  else text.push(formatStressReportText(stress, columns ?? Infinity));
  text.push('');
  if (alerts.length === 0) text.push(recorded ? 'alerts: none recorded at this point' : 'alerts: none');
  else for (const a of alerts) text.push(`alert ${a.severity.toUpperCase().padEnd(8)} ${a.title}`);
  if (differently.length > 0) {
    text.push("today's rules would list (not recorded, not part of this report's verdict):");
    for (const a of differently) text.push(`  ${a.severity.toUpperCase().padEnd(8)} ${a.title}`);
  }
  return { critical, stress, json, text };
}

/** Alerts today's rules list that the recording did not (by id), or at another severity. */
function judgedDifferently(recorded: readonly Alert[], today: readonly Alert[]): readonly Alert[] {
  const had = new Map(recorded.map((a) => [a.id, a.severity]));
  return today.filter((a) => had.get(a.id) !== a.severity);
}

/**
 * A live report's alerts: one look of the rules at the state, judging the session's scenario list (bookScenarios),
 * the list the console's alerts judge; scenarios added by --scenarios or --shock are printed but judge no alert.
 */
function lookOnce(
  state: PortfolioState,
  settings: Settings,
  risk: RiskSettingsParams,
  scenarios: readonly Scenario[],
  stress: ReturnType<typeof stressOf>,
  now: number,
  stressAt: number,
): Alert[] {
  const builtin = bookScenarios(state);
  const same = builtin.length === scenarios.length && builtin.every((s, i) => s.id === scenarios[i]!.id);
  // The same margin method and rates as the printed report (and the console): the alerts judge the engine as set.
  const forAlerts = same ? stress : stressOf(state, builtin, stressAt, risk);
  return evaluateOnce({ state, config: alertConfigOf(settings), now, ...('error' in forAlerts ? {} : { stress: forAlerts }) });
}

export async function reportCommand(f: ReportFlags, io: CommandIo): Promise<number> {
  if (f.replay) return reportFromRecording(f.replay, f.at, f, io);
  if (f.at) {
    io.err('tws-risk report: --at needs --replay FILE');
    return EXIT.usage;
  }
  const publishProblem = publishFlagsProblem(f);
  if (publishProblem) {
    io.err(`tws-risk report: ${publishProblem}`);
    return EXIT.usage;
  }
  // The TWS client (and RxJS under it) only for a live report: `report --replay` reads a file.
  const { connectionFailure, openLive, resolveConnection, waitForData } = await import('./live.js');
  const loaded = loadSettings(f.config);
  for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
  for (const w of loaded.warnings ?? []) io.err(w);
  const c = resolveConnection(f, loaded.settings, 20, true);
  if (typeof c === 'string') {
    io.err(`tws-risk report: ${c}`);
    return EXIT.usage;
  }
  const { parseAccounts } = await import('../streams/tws/multi.js');
  const several = parseAccounts(c.account);
  if (several) return reportAccounts(f, c, several, loaded.settings, io);
  if (f.publish !== undefined) {
    io.err('tws-risk report: --publish is for several accounts (--account all or a list); a console or a guard publishes one');
    return EXIT.usage;
  }
  // A report only reads: it records nothing unless --record FILE asks.
  const session = openLive({
    ...c,
    record: f.record !== undefined,
    ...(f.record !== undefined ? { recordFile: f.record } : {}),
    recordingSource: 'live',
    settings: loaded.settings,
  });
  if (session.recordingProblem) io.err(`tws-risk report: not recording: ${session.recordingProblem}`);
  const started = session.clock.now();
  try {
    const r = await waitForData(session, (s) => missingData(s).length === 0, c.timeoutMs);
    const s = session.feed.state;
    const chosen = chooseScenarios(s, f.shock ?? [], f.scenarios);
    if ('problems' in chosen && r.kind !== 'cannotConnect') {
      for (const p of chosen.problems) io.err(`tws-risk report: ${p}`);
      return EXIT.usage;
    }
    const scenarios = 'scenarios' in chosen ? chosen.scenarios : [];
    const warnings = 'warnings' in chosen ? chosen.warnings : [];
    if (r.kind === 'cannotConnect') {
      return connectionFailure(io, 'report', c, r);
    }
    if (r.kind === 'timedOut') {
      const missing = missingData(s);
      io.err(
        `tws-risk report: timed out after ${Math.round((session.clock.now() - started) / 1000)} s waiting for ${missing.join('; ') || `a usable connection (${s.health})`}`,
      );
      print(s, f, loaded.settings, scenarios, session.clock.now(), io, {}, undefined, false, warnings);
      return EXIT.timedOut;
    }
    return print(s, f, loaded.settings, scenarios, session.clock.now(), io, {}, undefined, false, warnings) ? EXIT.criticalAlert : EXIT.ok;
  } finally {
    await session.close('report done');
  }
}

/**
 * What one of several accounts still lacks: the single report's list, and a mark for every position (no
 * PORTFOLIO_VALUE comes for them: AccountRouter marks each from its contract's market data once it ticks).
 */
function missingOfMany(state: PortfolioState): string[] {
  const unmarked = [...state.positions.values()].filter((p) => !state.portfolio.has(p.contract.conId)).map((p) => contractLabel(p.contract));
  return [...missingData(state), ...(unmarked.length > 0 ? [`a market price for ${unmarked.sort().join(', ')}`] : [])];
}

/**
 * `--account all` or `--account A,B`: every account of one (advisor) login over one connection, a report per account
 * (the single-account report, unchanged) and the aggregate (sums in the first account's base currency, the worst
 * cushion and the worst stress scenario). Exits 5 when any account has a critical alert.
 */
async function reportAccounts(
  f: ReportFlags,
  c: Exclude<ReturnType<typeof resolveConnection>, string>,
  accounts: 'all' | readonly string[],
  settings: Settings,
  io: CommandIo,
): Promise<number> {
  if (f.record !== undefined) {
    io.err('tws-risk report: --record follows one account; it cannot be used with several (--account all or a list)');
    return EXIT.usage;
  }
  const { connectionFailure, openLiveMulti, waitForData } = await import('./live.js');
  const { systemClock } = await import('../model/clock.js');
  // --publish: each account under its own subjects and session, from its first event (docs/fleet.md "Several
  // accounts"); NATS being unreachable is said and the report goes on without it, as for a console.
  const publishing = f.publish === undefined ? undefined : await startAccountsPublishing(f, settings, systemClock, io);
  const m = openLiveMulti({
    host: c.host,
    port: c.port,
    clientId: c.clientId,
    accounts,
    settings,
    clock: systemClock,
    ...(publishing ? { onAccountFeed: publishing.add } : {}),
  });
  const started = m.clock.now();
  try {
    const known = await waitForData(m.connection, () => m.router.followed !== undefined, c.timeoutMs);
    if (known.kind === 'cannotConnect') {
      return connectionFailure(io, 'report', c, known);
    }
    if (known.kind === 'timedOut') {
      io.err(
        `tws-risk report: timed out after ${Math.round((m.clock.now() - started) / 1000)} s waiting for the login's accounts (${m.connection.feed.state.health})`,
      );
      return EXIT.timedOut;
    }
    const left = Math.max(1, c.timeoutMs - (m.clock.now() - started));
    const sessions = [...m.accounts];
    const waits = await Promise.all(sessions.map(([, s]) => waitForData(s, (st) => missingOfMany(st).length === 0, left)));
    const refused = waits.find((w) => w.kind === 'cannotConnect');
    if (refused && refused.kind === 'cannotConnect') return connectionFailure(io, 'report', c, refused);
    const now = m.clock.now();
    const built: Array<{ account: string; b: Built }> = [];
    for (const [account, s] of sessions) {
      const state = s.feed.state;
      const chosen = chooseScenarios(state, f.shock ?? [], f.scenarios);
      if ('problems' in chosen) {
        for (const p of chosen.problems) io.err(`tws-risk report: ${p}`);
        return EXIT.usage;
      }
      for (const w of chosen.warnings) io.err(`warning: ${account}: ${w}`);
      built.push({ account, b: build(state, f, settings, chosen.scenarios, now, io.columns, {}, state.lastEventAt || now, false, chosen.warnings) });
    }
    const figures: AccountFigures[] = built.map(({ account, b }, i) => ({ account, state: sessions[i]![1].feed.state, stress: b.stress }));
    const aggregate = aggregateAccounts(figures);
    const timedOut = sessions
      .filter((_, i) => waits[i]!.kind === 'timedOut')
      .map(([a, s]) => `${a}: ${missingOfMany(s.feed.state).join('; ') || s.feed.state.health}`);
    for (const t of timedOut) io.err(`tws-risk report: timed out waiting for ${t}`);
    const critical = built.some(({ b }) => b.critical);
    if (f.json) {
      io.out(JSON.stringify({ accounts: built.map(({ account, b }) => ({ account, ...b.json })), aggregate: aggregateJson(aggregate) }, null, 2));
    } else {
      for (const { account, b } of built) {
        io.out(`== account ${account} ==`);
        for (const l of b.text) io.out(l);
        io.out('');
      }
      io.out('== all accounts ==');
      for (const l of aggregateText(aggregate)) io.out(l);
    }
    if (timedOut.length > 0) return EXIT.timedOut;
    return critical ? EXIT.criticalAlert : EXIT.ok;
  } finally {
    // The last summary of each account is the one the report printed from; then the connection closes.
    await publishing?.stop();
    await m.close('report done');
  }
}

/** Connects the publisher of several accounts, each with its session core (risk and the alert rules) for its summary. */
async function startAccountsPublishing(
  f: ReportFlags,
  settings: Settings,
  clock: Clock,
  io: CommandIo,
): Promise<{ add: (account: string, feed: Feed) => void; stop: () => Promise<void> } | undefined> {
  const [{ startPublishingAccounts }, { AccountSession }, { createStressRunner }, { createAlertRunner }] = await Promise.all([
    import('./publish.js'),
    import('../session/session.js'),
    import('../session/stress-model.js'),
    import('../session/alert-runner.js'),
  ]);
  let p;
  try {
    p = await startPublishingAccounts({ flags: { ...f, publish: f.publish! }, role: 'report', mode: 'readOnly', clock });
  } catch (e) {
    io.err(`warning: ${(e as Error).message}; the report runs without publishing`);
    return undefined;
  }
  const pub = p;
  return {
    add: (account, feed) => {
      const session = new AccountSession(feed, {
        risk: createStressRunner({ params: riskParamsOf(settings) }),
        alerts: createAlertRunner(alertConfigOf(settings), { publish: (b) => feed.publish(b) }),
      });
      pub.add(account, { feed, view: () => session.evaluate(clock.now(), clock.now()) });
    },
    stop: () => pub.stop(),
  };
}

async function reportFromRecording(file: string, at: string | undefined, f: ReportFlags, io: CommandIo): Promise<number> {
  try {
    let atMs: number | undefined;
    if (at) {
      const start = await recordingStart(file);
      const parsed = parseAt(at, start);
      if (typeof parsed === 'string') {
        io.err(`tws-risk report: ${parsed}`);
        return EXIT.usage;
      }
      // Before the start the state is empty: a report of nothing with exit 0 would pass a cron job's check.
      if (parsed < start) {
        io.err(`tws-risk report: --at ${at} is before the recording starts (${new Date(start).toISOString()}); nothing was recorded then`);
        return EXIT.usage;
      }
      atMs = parsed;
    }
    const r = await stateAt(file, atMs);
    // Past the end the state is the last one recorded, but the report's clock would be --at: the options priced days
    // nearer expiry, as an account nobody recorded. The end is the seal's time, else the last event's (a crash).
    if (atMs !== undefined && r.summary) {
      const end = r.summary.footer ? Date.parse(r.summary.footer.endedAt) : r.summary.lastAt;
      if (atMs > end) {
        io.err(`tws-risk report: --at ${at} is after the recording ends (${new Date(end).toISOString()}); nothing was recorded then`);
        return EXIT.usage;
      }
    }
    if (r.summary && !r.summary.sealed) io.err(`warning: ${file} is not sealed (the writer crashed or is still writing); showing what it holds`);
    const chosen = chooseScenarios(r.state, f.shock ?? [], f.scenarios);
    if ('problems' in chosen) {
      for (const p of chosen.problems) io.err(`tws-risk report: ${p}`);
      return EXIT.usage;
    }
    const loaded = loadSettings(f.config);
    for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
    for (const w of loaded.warnings ?? []) io.err(w);
    // A replay's clock is the recording's: --at, else its last event, else its start; never the wall clock, so option
    // time to expiry is what it was when recorded, whatever day the report is run.
    const now = atMs ?? (r.state.lastEventAt || (await recordingStart(file)));
    // A point before the data the figures need was all in (the positions, option computations) gives rosier figures
    // than the account had: an unpriced option stays at its mark in every scenario. Said, and exit 6, as a live report
    // that never got it exits 4 instead of printing a clean verdict.
    const missing = missingData(r.state, { figuresOnly: true });
    const warnings = [
      ...chosen.warnings,
      ...(missing.length > 0
        ? [`the recorded state at this point lacks ${missing.join('; ')}: the figures leave that out (an unpriced option stays at its mark in every scenario)`]
        : []),
    ];
    // A review's verdict comes from what was recorded: the alerts the session listed at that point (an operator's
    // own stop at the end of every recording is not a lost connection), never today's rules on the replayed state.
    const critical = print(
      r.state,
      f,
      loaded.settings,
      chosen.scenarios,
      now,
      io,
      { replay: { file, at: atMs === undefined ? null : new Date(atMs).toISOString(), events: r.events } },
      now,
      true,
      warnings,
    );
    return critical ? EXIT.criticalAlert : missing.length > 0 ? EXIT.incomplete : EXIT.ok;
  } catch (e) {
    if (e instanceof RecordingError) {
      io.err(`tws-risk report: ${e.message}`);
      return EXIT.invalid;
    }
    throw e;
  }
}
