// `tws-risk report`: connect (or read a recording), wait for a complete snapshot, print it once, exit.
import { alertConfigOf, loadSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import type { PortfolioState } from '../model/state.js';
import { RecordingError } from '../streams/recording/reader.js';
import { parseAt, recordingStart, stateAt } from '../streams/replay/state-at.js';
import { EXIT, type CommandIo } from './io.js';
import type { ConnectionFlags } from './live.js';
import { missingData, stateJson } from './state-json.js';
import { stateText } from './state-text.js';
import { chooseScenarios, riskParamsOf, stressOf, type RiskSettingsParams } from './stress.js';
import { formatStressReportText } from '../risk/report-text.js';
import { toReportJson } from '../risk/report-json.js';
import type { Scenario } from '../risk/scenario-types.js';
import { alertJson, bookScenarios, evaluateOnce, hasCritical, type Alert } from '../risk/alerts/index.js';
import { recordedAlerts } from '../session/session.js';

export interface ReportFlags extends ConnectionFlags {
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
  state: PortfolioState, f: ReportFlags, settings: Settings, scenarios: readonly Scenario[], now: number, io: CommandIo,
  extra: Record<string, unknown> = {}, stressAt = state.lastEventAt || now, recorded = false,
): boolean {
  const risk = riskParamsOf(settings, f['margin-method']);
  const stress = stressOf(state, scenarios, stressAt, risk);
  const alerts: readonly Alert[] = recorded ? recordedAlerts(state) : lookOnce(state, settings, risk, scenarios, stress, now, stressAt);
  const critical = hasCritical(alerts);
  // A replay's verdict is what was recorded; where today's rules would judge the same moment differently (a file from
  // before alerts were recorded, changed thresholds), say so beside it, never instead of it.
  const differently = recorded ? judgedDifferently(alerts, lookOnce(state, settings, risk, scenarios, stress, now, stressAt)) : [];
  // `now` is the caller's clock: the wall clock live, the recording's time in a replay (never today's date there).
  const st = stateJson(state, now);
  if (f.json) {
    const { accountValues, accountSummary, ...rest } = st;
    const doc = 'error' in stress ? { ...rest, stressError: stress.error } : { ...(toReportJson(stress) as Record<string, unknown>), ...rest, asOf: rest.asOf };
    io.out(JSON.stringify({
      ...doc, alerts: alerts.map(alertJson), ...(recorded ? { todaysRulesDiffer: differently.map(alertJson) } : {}),
      reported: { accountValues, accountSummary }, ...extra,
    }, null, 2));
    return critical;
  }
  for (const l of stateText(state)) io.out(l);
  io.out('');
  if ('error' in stress) io.out(`stress: not available (${stress.error})`);
  else io.out(formatStressReportText(stress, io.columns ?? Infinity));
  io.out('');
  if (alerts.length === 0) io.out(recorded ? 'alerts: none recorded at this point' : 'alerts: none');
  else for (const a of alerts) io.out(`alert ${a.severity.toUpperCase().padEnd(8)} ${a.title}`);
  if (differently.length > 0) {
    io.out("today's rules would list (not recorded, not part of this report's verdict):");
    for (const a of differently) io.out(`  ${a.severity.toUpperCase().padEnd(8)} ${a.title}`);
  }
  return critical;
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
  state: PortfolioState, settings: Settings, risk: RiskSettingsParams, scenarios: readonly Scenario[], stress: ReturnType<typeof stressOf>, now: number,
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
  // The TWS client (and RxJS under it) only for a live report: `report --replay` reads a file.
  const { cannotConnectLines, openLive, resolveConnection, waitForData } = await import('./live.js');
  const loaded = loadSettings(f.config);
  for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
  const c = resolveConnection(f, loaded.settings, 20);
  if (typeof c === 'string') {
    io.err(`tws-risk report: ${c}`);
    return EXIT.usage;
  }
  // A report only reads: it records nothing unless --record FILE asks.
  const session = openLive({ ...c, record: f.record !== undefined, ...(f.record !== undefined ? { recordFile: f.record } : {}), recordingSource: 'live', settings: loaded.settings });
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
    if (r.kind === 'cannotConnect') {
      for (const l of cannotConnectLines('report', c.host, c.port, r.reason)) io.err(l);
      return EXIT.cannotConnect;
    }
    if (r.kind === 'timedOut') {
      const missing = missingData(s);
      io.err(`tws-risk report: timed out after ${Math.round((session.clock.now() - started) / 1000)} s waiting for ${missing.join('; ') || `a usable connection (${s.health})`}`);
      print(s, f, loaded.settings, scenarios, session.clock.now(), io);
      return EXIT.timedOut;
    }
    return print(s, f, loaded.settings, scenarios, session.clock.now(), io) ? EXIT.criticalAlert : EXIT.ok;
  } finally {
    await session.close('report done');
  }
}

async function reportFromRecording(file: string, at: string | undefined, f: ReportFlags, io: CommandIo): Promise<number> {
  try {
    let atMs: number | undefined;
    if (at) {
      const parsed = parseAt(at, await recordingStart(file));
      if (typeof parsed === 'string') {
        io.err(`tws-risk report: ${parsed}`);
        return EXIT.usage;
      }
      atMs = parsed;
    }
    const r = await stateAt(file, atMs);
    if (r.summary && !r.summary.sealed) io.err(`warning: ${file} is not sealed (the writer crashed or is still writing); showing what it holds`);
    const chosen = chooseScenarios(r.state, f.shock ?? [], f.scenarios);
    if ('problems' in chosen) {
      for (const p of chosen.problems) io.err(`tws-risk report: ${p}`);
      return EXIT.usage;
    }
    const loaded = loadSettings(f.config);
    for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
    // A replay's clock is the recording's: --at, else its last event, else its start; never the wall clock, so option
    // time to expiry is what it was when recorded, whatever day the report is run.
    const now = atMs ?? (r.state.lastEventAt || (await recordingStart(file)));
    // A review's verdict comes from what was recorded: the alerts the session listed at that point (an operator's
    // own stop at the end of every recording is not a lost connection), never today's rules on the replayed state.
    const critical = print(r.state, f, loaded.settings, chosen.scenarios, now, io, { replay: { file, at: atMs === undefined ? null : new Date(atMs).toISOString(), events: r.events } }, now, true);
    return critical ? EXIT.criticalAlert : EXIT.ok;
  } catch (e) {
    if (e instanceof RecordingError) {
      io.err(`tws-risk report: ${e.message}`);
      return EXIT.invalid;
    }
    throw e;
  }
}
