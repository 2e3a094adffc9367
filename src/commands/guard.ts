// `tws-risk guard`: a headless kill switch on its own host that acts on the alert engine by a written policy (docs/guard.md).
import { chmodSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { hookProgramWarnings } from '../config/hook-program.js';
import { alertConfigOf, alertEffectsOf, CONFIG_ENV, dataDir, loadSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { systemClock, type Clock, type TimerHandle } from '../model/clock.js';
import { isFatalCause } from '../model/connection.js';
import type { FeedEventBody, GuardActedBody } from '../model/events.js';
import { streamAge } from '../model/freshness.js';
import { marketNow, type PortfolioState } from '../model/state.js';
import { isMarketOpen } from '../risk/alerts/session.js';
import { proposeForAlert, type Alert } from '../risk/alerts/index.js';
import { createAlertRunner } from '../session/alert-runner.js';
import {
  carryOver,
  decide,
  decideCommand,
  EMPTY_MEMORY,
  lastActionAt,
  refundCommand,
  restored,
  settle,
  type CountedAction,
  type GuardMemory,
  type Verdict,
} from '../session/guard-engine.js';
import { isTradingAction, parsePolicy, policyLines, type GuardPolicy, type PolicyRule } from '../session/guard-policy.js';
import { AccountSession } from '../session/session.js';
import { createStressRunner, type RiskFunction, type RiskResult } from '../session/stress-model.js';
import { Feed } from '../streams/feed.js';
import { FARM_DOWN_REASON } from '../streams/health.js';
import { mkdirPrivate } from '../streams/recording/open-unique.js';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { decodeCommand, type CommandReply } from '../streams/nats/command.js';
import { commandSubject } from '../streams/nats/subjects.js';
import { TwsSource, type TwsSourceOptions } from '../streams/tws/source.js';
import { AuditLog } from '../trading/audit.js';
import { cancelAdvice, isFinal, outcomeText, stillWorking, type ExecutionResult } from '../trading/execute.js';
import { guardAny } from '../trading/guard.js';
import { DEFAULT_COLLAR, isDenial, isOpen, planCancel, planFlatten, planReduce, type ReduceTrim } from '../trading/plan.js';
import { reductionFills } from './reduction-fills.js';
import { TradingSession } from '../trading/session.js';
import { formatDenial, type CancelPlan, type Denial, type FlattenPlan } from '../trading/types.js';
import { appVersion } from '../version.js';
import { createAlertEffects, type AlertEffects } from './alert-effects.js';
import { guardLog } from './guard-log.js';
import { claimStatusLock, pidAlive, type LockClaim } from './guard-lock.js';
import { EXIT, onOutputClosed, type CommandIo } from './io.js';
import { defaultRecordingDir, openLive, resolveConnection, type ConnectionFlags, type LiveSession } from './live.js';
import { riskParamsOf } from './stress.js';
import { holdFeed, noteBehind, publishFlagsProblem, startPublishing, type BehindMemory, type PublishFlags, type Publishing } from './publish.js';
import { planText } from './trade.js';
import { groupedQuantityText } from '../model/money.js';

/*
 * The guard runs the console's headless core (AccountSession: the stress runner and the alert engine on the live
 * state) on its own timer, and turns listed alerts into actions through the policy's decisions (session/guard-engine.ts)
 * and the same TradingSession as `flatten` and `cancel`: plan, guard, one send, follow, audit. Without --trade it is a
 * dry run that says and records what it would have done. DESIGN.md "Safety": when in doubt it refuses and says why.
 */

export interface GuardFlags extends ConnectionFlags, PublishFlags {
  readonly policy?: string;
  readonly trade?: boolean;
  readonly 'confirm-account'?: string;
  readonly config?: string;
  readonly record?: string;
  readonly 'no-record'?: boolean;
  readonly 'status-file'?: string;
}

/** What tests (and nothing else) replace: time, the evaluation cadence, where files go, the source's timing. */
export interface GuardRuntime {
  readonly clock?: Clock;
  /** How often the policy is evaluated (default 500 ms). */
  readonly evalMs?: number;
  readonly auditDir?: string;
  readonly settings?: Settings;
  readonly source?: Partial<Omit<TwsSourceOptions, 'host' | 'port' | 'clientId' | 'account' | 'clock'>>;
  readonly env?: NodeJS.ProcessEnv;
  /** Seconds to wait for each order or cancel of an action to end (default: --timeout, else 30). */
  readonly actionTimeoutMs?: number;
  /** Sees each risk pass the guard's session computes (tests check what a pass holds). */
  readonly onRiskPass?: (result: RiskResult) => void;
}

/**
 * How many times one action plans again after a refusal that a plan of now would not meet (MARK_MOVED,
 * TARGET_CHANGED): a market that outruns the collar three plans in a row is a human's to judge, and is escalated.
 */
export const MAX_REPLANS = 2;

/** The guard's client id when none is given: not the console's default (4217), so both can run beside each other. */
export const DEFAULT_GUARD_CLIENT_ID = 4218;
/** The status file is rewritten at least this often, so a monitor can tell a live guard from a dead one. */
export const STATUS_EVERY_MS = 5_000;

/** One line of what the guard would do now, for the status file and `guard status`. */
export interface VerdictStatus {
  readonly rule: string;
  readonly action: string;
  readonly alert: string;
  /**
   * `dryRun`: the rule has acted in this episode in a dry run: planned, nothing sent. `nothingToDo`: it found
   * nothing to do (no order left to cancel, no trim), sent nothing, and `why` says what it found.
   */
  readonly state: Verdict['kind'] | 'dryRun' | 'nothingToDo';
  readonly why?: string;
}

/** The status file (`guard status` reads it): is it connected, what would it do now, when did it last act. */
export interface GuardStatus {
  readonly format: 'tws-risk-guard-status';
  readonly pid: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly stopped: boolean;
  readonly mode: 'trade' | 'dryRun';
  readonly account: string | null;
  readonly connection: { readonly health: string; readonly reason: string | null };
  readonly policy: { readonly file: string; readonly hash: string; readonly rules: number };
  /** Why no trading action could run now, if so. */
  readonly blocked: string | null;
  readonly wouldDo: readonly VerdictStatus[];
  readonly lastAction: {
    readonly at: string;
    readonly actionId: string;
    readonly rule: string;
    readonly action: string;
    readonly alert: string;
    readonly outcome: string;
  } | null;
  readonly actionsLastHour: number;
  /** When the trading actions of the last hour, and the last one, were decided: a restart keeps its limits from these. */
  readonly actionTimes: readonly string[];
  readonly lastActionAt: string | null;
  /** The same actions with the severity of the alert each answered: the limits hold only actions on alerts as severe. */
  readonly actions?: readonly { readonly at: string; readonly severity: CountedAction['severity'] }[];
  readonly audit: string;
  readonly recording: string | null;
}

export interface GuardHandle {
  /** Resolves with the exit code once the guard has stopped (recording sealed, audit log closed). */
  readonly done: Promise<number>;
  /** Reads the policy file again; a bad one is refused and the running policy kept. True if the new one is in force. */
  reload(): boolean;
  stop(reason: string): Promise<number>;
  status(): GuardStatus;
  readonly statusFile: string;
  readonly auditFile: string;
  readonly recordingFile?: string;
  /** The action being followed, if any (tests wait for it). */
  idle(): Promise<void>;
}

function readPolicy(file: string): { policy?: GuardPolicy; problems: readonly string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { problems: [`${file}: cannot read the policy: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`] };
  }
  return parsePolicy(text, file);
}

/** Why the guard cannot create `dir` and a file in it (the error, e.g. `EROFS: read-only file system, mkdir '…'`), or undefined. */
function unwritable(dir: string): string | undefined {
  try {
    mkdirPrivate(dir);
    // A directory that exists may still refuse a new file (read-only, another user's): a file is tried and removed.
    const probe = join(dir, `.tws-risk-guard-probe-${process.pid}`);
    writeFileSync(probe, '', { mode: 0o600, flag: 'wx' });
    unlinkSync(probe);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Writes a small JSON file whole or not at all, private to the user (0600 in a 0700 directory). */
function writeAtomic(file: string, text: string): void {
  mkdirPrivate(dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** The client ids a `cancelClient foreign` rule means now: every API client with open orders that is neither ours nor expected. */
export function foreignClientIds(state: PortfolioState, ours: number, expected: readonly number[]): number[] {
  return clientsWithOpenOrders(state).filter((id) => id !== ours && !expected.includes(id));
}

/** The API clients with open orders (manual TWS orders, client 0, are reached only by globalCancel). */
function clientsWithOpenOrders(state: PortfolioState): number[] {
  return [...new Set([...state.orders.values()].filter((o) => isOpen(o) && o.clientId > 0).map((o) => o.clientId))].sort((a, b) => a - b);
}

/** The reduction's trims, each cut to at most `pct` percent of its position (whole units, rounded down). */
export function capTrims(trims: readonly ReduceTrim[], pct: number): { trims: ReduceTrim[]; capped: boolean } {
  let capped = false;
  const out: ReduceTrim[] = [];
  for (const t of trims) {
    const max = t.position.abs().mul(pct).div(100).toDecimalPlaces(0, 1 /* ROUND_DOWN: never more than the cap */);
    if (t.quantity.abs().lessThanOrEqualTo(max)) {
      out.push(t);
      continue;
    }
    capped = true;
    if (max.isZero()) continue;
    out.push({ ...t, quantity: t.quantity.isNegative() ? max.neg() : max });
  }
  return { trims: out, capped };
}

/** An action to run: a rule's, for an alert it matched, or asked for by an operator's command (with a stand-in alert). */
interface Act {
  readonly rule: PolicyRule;
  readonly alert: Alert;
  readonly heldMs: number;
  readonly operator?: { readonly name: string; readonly from: string; readonly requestId: string };
}

type ActionOutcome = Extract<GuardActedBody, { step: 'result' }>['outcome'];

/** What an action will do, planned on the state now. */
type Planned =
  | { readonly kind: 'cancel'; readonly plan: CancelPlan; readonly lines: readonly string[] }
  | { readonly kind: 'flatten'; readonly plan: FlattenPlan; readonly lines: readonly string[] }
  /** Other API clients' orders: TWS lets only the client that placed an order cancel it (or a global cancel). */
  | {
      readonly kind: 'asClients';
      readonly clientIds: readonly number[];
      readonly own: boolean;
      readonly lines: readonly string[];
      /** The open orders it would cancel (by state key): a dry run remembers them as planned. */
      readonly orderKeys: readonly string[];
    }
  | { readonly kind: 'nothing'; readonly lines: readonly string[] }
  | { readonly kind: 'refused'; readonly lines: readonly string[] };

/** The risk function, telling `onRiskPass` of each pass when a test listens. */
function riskRunner(run: RiskFunction, onRiskPass?: (result: RiskResult) => void): RiskFunction {
  if (!onRiskPass) return run;
  return (state, now, display) => {
    const result = run(state, now, display);
    onRiskPass(result);
    return result;
  };
}

export async function startGuard(f: GuardFlags, io: CommandIo, rt: GuardRuntime = {}): Promise<GuardHandle | number> {
  const clock = rt.clock ?? systemClock;
  if (!f.policy) {
    io.err('tws-risk guard: --policy FILE is required (docs/guard.md "The policy file")');
    return EXIT.usage;
  }
  if ((f.trade === true) !== (f['confirm-account'] !== undefined)) {
    io.err(
      'tws-risk guard: --trade and --confirm-account ACCOUNT go together (without both, the guard is a dry run: it says what it would do and sends nothing)',
    );
    return EXIT.usage;
  }
  const publishProblem = publishFlagsProblem(f);
  if (publishProblem) {
    io.err(`tws-risk guard: ${publishProblem}`);
    return EXIT.usage;
  }
  const env = rt.env ?? process.env;
  // Made first: from here on every line the guard prints is a log line, with its priority under journald.
  const log = guardLog({ io, clock, journald: env.JOURNAL_STREAM !== undefined });
  const policyFile = resolve(f.policy);
  const first = readPolicy(policyFile);
  if (!first.policy) {
    for (const p of first.problems) io.err(p);
    io.err(`tws-risk guard: ${first.problems.length} problem(s) in the policy; not started`);
    return EXIT.usage;
  }
  let policy = first.policy;
  const trade = f.trade === true;
  const loaded = rt.settings ? { settings: rt.settings, path: '', exists: true, problems: [] as string[] } : loadSettings(f.config, env);
  // The file $TWS_RISK_CONFIG names (the systemd unit's way) not there is a deploy gone wrong, not "no settings".
  const settingsProblems = [
    ...(!loaded.exists && env[CONFIG_ENV] !== undefined && f.config === undefined ? [`${loaded.path}: no such file (named by $${CONFIG_ENV})`] : []),
    ...loaded.problems,
  ];
  // A hook program not found or not executable here: said at start, not refused (it may be installed after the guard).
  for (const w of hookProgramWarnings(alertEffectsOf(loaded.settings).hook?.command, loaded.path || 'settings', env))
    log('warning', 'settings.hookProgram', { file: loaded.path, msg: w });
  if (settingsProblems.length > 0) {
    // A key that falls back to its default changes what the guard acts on: without the trading engine's
    // expectedClientIds a cancelClient foreign cancels that engine's orders. A trading guard never starts on a guess.
    for (const p of settingsProblems) log(trade ? 'err' : 'warning', 'settings.problem', { file: loaded.path, msg: p });
    if (trade) {
      log('err', 'settings.refused', {
        file: loaded.path,
        msg: `${settingsProblems.length} problem(s) in the settings; a trading guard does not start on settings it cannot read whole (\`tws-risk config validate --config ${loaded.path}\` names each); not started`,
      });
      return EXIT.usage;
    }
    log('warning', 'settings.defaults', {
      file: loaded.path,
      msg: 'dry run: each key named above is at its default (the whole file, if it could not be read); with --trade the guard would not start',
    });
  }
  const settings = loaded.settings;
  const c = resolveConnection({ ...f, 'client-id': f['client-id'] ?? String(DEFAULT_GUARD_CLIENT_ID) }, settings, 30);
  if (typeof c === 'string') {
    io.err(`tws-risk guard: ${c}`);
    return EXIT.usage;
  }
  const alertConfig = alertConfigOf(settings);
  const expected = alertConfig.rules['foreign.client'].expectedClientIds;
  if (expected.includes(c.clientId)) {
    io.err(
      `tws-risk guard: client id ${c.clientId} is listed in alerts.foreign.client.expectedClientIds (the trading engine's); the guard needs its own (--client-id N)`,
    );
    return EXIT.usage;
  }
  const confirm = f['confirm-account'];
  const actionTimeoutMs = rt.actionTimeoutMs ?? c.timeoutMs;
  const statusFile = resolve(f['status-file'] ?? join(dataDir(env), 'guard', 'status.json'));
  const auditDir = rt.auditDir ?? join(dataDir(env), 'audit');
  // The guard records by default: its session and its actions are the review's evidence (--no-record to opt out).
  const record = f['no-record'] !== true && (f.record !== undefined || settings.recorder.enabled);
  // Checked before connecting: a guard that cannot write its audit log cannot act (each action is audited before it is
  // sent), and one that cannot write its status or recording is unseen and unreviewable. Once connected, a failure
  // to open them left a process that held the connection and did nothing, and that systemd saw as active.
  const places: [string, string][] = [
    ['the audit log', auditDir],
    ['the status file', dirname(statusFile)],
    ...(record ? ([['the recording', f.record !== undefined ? dirname(resolve(f.record)) : defaultRecordingDir(settings)]] as [string, string][]) : []),
  ];
  for (const [what, dir] of places) {
    const why = unwritable(dir);
    if (why === undefined) continue;
    log('err', 'guard.unwritable', { dir, msg: `tws-risk guard: cannot write ${what} under ${dir} (${why}); not started` });
    return EXIT.usage;
  }
  // Two guards writing one status file make `guard status` (and a monitor) alternate between them, and a restart
  // would restore the limits of the wrong one. The lock beside it is the claim, taken in one step: two guards started
  // in the same instant both found no live status and both ran. A file a dead process left is taken over.
  let claim: LockClaim;
  let lockFailed: string | undefined;
  try {
    claim = claimStatusLock(statusFile);
  } catch (e) {
    // The directory was found writable just above: a lock that still cannot be made (a file system without hard
    // links) leaves nothing to share the file with, so the guard starts, saying so.
    lockFailed = `cannot claim ${statusFile}.lock (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): started without the claim, so another guard on this status file would not be refused`;
    claim = { ok: true, lock: `${statusFile}.lock`, release: () => {} };
  }
  // The status check stays for a guard of an older version, which writes the file without taking the lock.
  const owner = liveOwner(statusFile, clock.now());
  if (!claim.ok || owner) {
    if (claim.ok) claim.release();
    const pid = owner?.pid ?? (!claim.ok ? claim.holder : undefined);
    const said =
      owner && owner.pid === pid
        ? `another guard (pid ${owner.pid}, ${owner.mode === 'trade' ? 'trading' : 'dry run'}, status written ${Math.max(0, Math.round(owner.ageMs / 1000))} s ago) writes this status file`
        : !claim.ok && claim.why === 'held'
          ? `another guard (pid ${pid}) holds ${claim.lock} and has not written a live status yet (starting, or stuck)`
          : `${claim.ok ? '' : claim.why}`;
    log('err', 'status.inUse', {
      file: statusFile,
      ...(pid !== undefined ? { pid } : {}),
      msg: `${said}; give this one its own --status-file, or stop that one; not started`,
    });
    return EXIT.usage;
  }

  // With --publish, every event from seq 1 is held until NATS answers, so the stream has the session whole.
  const held = f.publish !== undefined ? holdFeed() : undefined;
  const live: LiveSession = openLive({
    ...c,
    record,
    ...(f.record !== undefined ? { recordFile: f.record } : {}),
    recordingSource: 'live',
    settings,
    clock,
    ...(rt.source ? { sourceOptions: rt.source } : {}),
    onRecorderNote: (t) => log('notice', 'recorder.note', { msg: t }),
    onRecorderError: (e) => log('err', 'recorder.error', { msg: e.message }),
    ...(held ? { onFeed: held.onFeed } : {}),
  });
  // Connected from here: any failure before the guard runs must end it, or the open socket keeps an idle process alive.
  const publishAbort = new AbortController();
  try {
    if (live.recordingProblem) log('err', 'recorder.unavailable', { msg: live.recordingProblem });
    const feed = live.feed;
    const startedAt = clock.now();
    const audit = new AuditLog(
      join(auditDir, `tws-risk-audit-${new Date(startedAt).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-guard.jsonl`),
      { appVersion: appVersion(), account: confirm ?? null, mode: 'guard', meta: { clientId: c.clientId, dryRun: !trade, policy: policyFile } },
      () => clock.now(),
    );
    const recordGuard = (body: GuardActedBody) => feed.publish({ type: 'guardActed', ...body } as FeedEventBody);
    /*
     * A reload's audit entry that cannot be written (a full disk) is said, not thrown: thrown from the SIGHUP handler it
     * ended the daemon with a stack trace. At start it throws (the start fails whole, disconnected, exit 1).
     */
    const auditReload = (entry: Parameters<AuditLog['append']>[0]) => {
      try {
        audit.append(entry);
      } catch (e) {
        log('crit', 'audit.appendFailed', {
          file: audit.file,
          msg: `${(e as Error).message}: the policy's ${String(entry.detail.outcome)} is not in the audit log`,
        });
      }
    };
    const policyLoaded = (reload: boolean) => {
      const entry = {
        kind: 'policy' as const,
        detail: { outcome: reload ? 'reloaded' : 'loaded', file: policyFile, hash: policy.hash, rules: policyLines(policy), limits: { ...policy.limits } },
      };
      if (reload) auditReload(entry);
      else audit.append(entry);
      recordGuard({ step: 'policyLoaded', policyHash: policy.hash, file: policyFile, rules: policy.rules.length, reload });
      log('notice', reload ? 'policy.reloaded' : 'policy.loaded', { file: policyFile, hash: policy.hash, rules: policy.rules.length });
      for (const l of policyLines(policy)) log('info', 'policy.rule', { rule: l });
    };
    log('notice', 'guard.start', {
      version: appVersion(),
      mode: trade ? 'trade' : 'dry-run',
      host: c.host,
      port: c.port,
      clientId: c.clientId,
      account: confirm ?? c.account,
      audit: audit.file,
      recording: live.recorder?.file,
    });
    // Said after guard.start, whose line opens every run's log.
    if (lockFailed) log('warning', 'status.lockFailed', { file: statusFile, msg: lockFailed });
    if (!trade)
      log('notice', 'guard.dryRun', {
        msg: 'dry run: every action is planned, logged and recorded, and nothing is sent (--trade --confirm-account ACCOUNT to act)',
      });
    policyLoaded(false);

    const effects: AlertEffects = createAlertEffects({
      settings: alertEffectsOf(settings),
      note: (detail) => {
        feed.publish({ type: 'operatorActed', action: 'alertHook', detail });
        // Every note is a page that did not go out (failed, killed at its timeout, not started, dropped): at `err`, so
        // the journal watch of docs/deployment.md (`journalctl -p err`) sees a dead pager.
        log('err', 'hook.note', { outcome: detail.outcome, msg: detail.message });
      },
      audit: (t) => audit.append({ kind: 'alert', detail: t }),
      env,
    });
    const trading = new TradingSession({
      mode: trade ? 'trade' : 'readOnly',
      actor: 'guard',
      feed,
      gateway: live.source,
      clientId: c.clientId,
      clock,
      armMinutes: 1,
      audit: { dir: auditDir, name: 'guard', appVersion: appVersion() },
      auditLog: audit,
    });
    const session = new AccountSession(feed, {
      trading,
      risk: riskRunner(createStressRunner({ params: riskParamsOf(settings) }), rt.onRiskPass),
      alerts: createAlertRunner(alertConfig, {
        ourClientId: c.clientId,
        ourName: 'the guard',
        publish: (b) => feed.publish(b),
        onTransitions: (ts, s) => {
          effects.handle(ts, s.account);
          for (const t of ts) {
            log(t.alert.severity === 'critical' ? 'crit' : t.alert.severity === 'warning' ? 'warning' : 'info', `alert.${t.kind}`, {
              id: t.alert.id,
              severity: t.alert.severity,
              title: t.alert.title,
            });
          }
        },
      }),
    });

    // Publishing (docs/fleet.md) is a copy for the fleet: NATS being unreachable never keeps the kill switch from running.
    let lastView: ReturnType<AccountSession['evaluate']> | undefined;
    let publishing: Publishing | undefined;
    let behind: BehindMemory = { warned: false };
    let unreachable = 0;
    // Set once the command subject is subscribed: the summaries then list the policy's rules an operator may ask for.
    let commandsListening = false;
    // Connected in the background: the kill switch evaluates from its first tick, whatever NATS takes to answer. NATS
    // down at start (a reboot that starts the guard first) is tried again until it answers: the box joins the fleet then.
    const publishingStarted: Promise<void> =
      f.publish === undefined
        ? Promise.resolve()
        : startPublishing({
            flags: { ...f, publish: f.publish },
            feed,
            ...(held ? { held } : {}),
            view: () => lastView,
            role: 'guard',
            instance: `c${c.clientId}`,
            mode: trade ? 'trade' : 'readOnly',
            commands: () => (commandsListening ? policy.rules.map((r) => ({ name: r.name, action: r.do })) : undefined),
            clock,
            env,
            retry: {
              signal: publishAbort.signal,
              onRetry: (msg, attempt, inMs) => {
                unreachable = attempt;
                // The first failure is an error; the retries after it are routine until NATS answers (said at notice).
                log(attempt === 1 ? 'err' : 'info', 'publish.unavailable', {
                  msg: `${msg}; the guard runs without publishing for now and tries again in ${inMs / 1000} s`,
                  attempt,
                });
              },
            },
          })
            .then((p) => {
              publishing = p;
              log('notice', 'publish.start', {
                url: p.publisher.status().url,
                stream: f['nats-stream'] ?? 'TWS_RISK',
                host: p.host,
                session: p.session,
                ...(unreachable > 0 ? { msg: `connected after ${unreachable} failed attempt(s)` } : {}),
              });
            })
            .catch((e: unknown) => {
              held?.release();
              if (!publishAbort.signal.aborted) log('err', 'publish.unavailable', { msg: `${(e as Error).message}; the guard runs without publishing` });
            });
    // A lasting backlog is warned once, and its end said; a batch in flight on a healthy NATS is not (publish.ts noteBehind).
    const notePublishing = () => {
      if (!publishing) return;
      const r = noteBehind(behind, publishing.publisher.status(), publishing.publisher.behindText(), clock.now());
      behind = r.memory;
      if (r.note?.event === 'publish.behind') log('warning', 'publish.behind', { msg: r.note.msg, forMs: r.note.forMs });
      else if (r.note) log('notice', 'publish.caughtUp', { published: r.note.published, forMs: r.note.forMs });
    };

    let memory: GuardMemory = EMPTY_MEMORY;
    // A restart (systemd's Restart=on-failure, a reboot) must not reset the cool-down and the hourly cap mid-incident.
    const previous = readStatus(statusFile);
    // A dry run's actions sent nothing: they do not hold the first run that trades.
    if (previous && !('problem' in previous) && !(trade && previous.mode === 'dryRun')) {
      const counted: CountedAction[] = previous.actions
        ? previous.actions.map((a) => ({ at: Date.parse(a.at), severity: a.severity }))
        : // A status file from before the severities were kept: each action as critical, holding all, as it did then.
          [...new Set([...(previous.actionTimes ?? []), ...(previous.lastActionAt ? [previous.lastActionAt] : [])])].map((t) => ({
            at: Date.parse(t),
            severity: 'critical' as const,
          }));
      memory = restored(
        counted.filter((a) => a.severity === 'info' || a.severity === 'warning' || a.severity === 'critical'),
        policy,
        clock.now(),
      );
      const last = lastActionAt(memory);
      if (last !== undefined) {
        log('notice', 'limits.restored', {
          from: statusFile,
          actionsLastHour: memory.actions.filter((a) => clock.now() - a.at < 3_600_000).length,
          lastActionAt: new Date(last).toISOString(),
        });
      }
    }
    let verdicts: readonly Verdict[] = [];
    let blocked: string | undefined;
    let inFlight: Promise<void> | undefined;
    let lastAction: GuardStatus['lastAction'] = null;
    let stopping = false;
    let exitCode: number = EXIT.ok;
    let everReady = false;
    let actionSeq = 0;
    // Client id and pid make it unique across guards of one host: two guards of one account each named their sale guard-…-1.
    const newActionId = (now: number) => `guard-${new Date(now).toISOString().slice(0, 19).replace(/[-:]/g, '')}-c${c.clientId}-p${process.pid}-${++actionSeq}`;
    let lastStatusText = '';
    let lastStatusAt = 0;
    const shown = new Map<string, string>();
    /** Dry run: the open orders (by state key) an action planned to cancel, and which action; see `asClients`. */
    const dryPlanned = new Map<string, string>();

    const whyBlocked = (now: number): string | undefined => {
      const s = feed.state;
      if (trade && s.account !== undefined && s.account !== confirm) return `connected account ${s.account} is not the confirmed ${confirm}`;
      // The checks every send passes, except the arming (the guard arms for each action it takes).
      const d = guardAny({ mode: 'trade', state: s, sourceReady: live.source.ready, arm: { armed: true, until: now + 60_000, by: 'headless', at: now }, now });
      if (d?.code === 'NOT_READY' && d.health === 'degraded' && d.reason.startsWith(FARM_DOWN_REASON)) {
        // Cancels wait too (docs/guard.md "Market data farm down"): the alerts are priced off these marks, and a cancel
        // can take away a protective stop. Say exactly what lifts the hold.
        return `${formatDenial(d)}: every trading action, cancels included, waits until TWS says that farm is connected again (2104, 2106 or 2158: data farm connection is OK) and the marks are fresh`;
      }
      if (d) return formatDenial(d);
      if (!s.complete.accountDownload) return 'waiting for the account values';
      for (const stream of ['accountValues', 'portfolio'] as const) {
        const age = streamAge(s, stream, now);
        if (age === undefined || age > policy.limits.maxDataAgeMs) {
          return `stale data: ${stream} ${age === undefined ? 'never arrived' : `last updated ${Math.round(age / 1000)} s ago`} (limits.maxDataAgeMs ${policy.limits.maxDataAgeMs})`;
        }
      }
      return undefined;
    };

    const verdictStatus = (v: Verdict): VerdictStatus => ({
      rule: v.rule.name,
      action: v.rule.do,
      alert: v.alert.id,
      state: v.kind === 'done' && v.dryRun ? 'dryRun' : v.kind === 'done' && v.nothingToDo !== undefined ? 'nothingToDo' : v.kind,
      ...(v.kind === 'done' && v.dryRun
        ? { why: 'planned only, nothing went to TWS; the guard acts with --trade --confirm-account ACCOUNT' }
        : v.kind === 'done' && v.nothingToDo !== undefined
          ? { why: `${v.nothingToDo}; nothing went to TWS, and the rule acts again only when the alert clears and is raised again` }
          : v.kind === 'held'
            ? { why: v.why }
            : v.kind === 'waiting'
              ? { why: `due in ${Math.ceil(v.dueInMs / 1000)} s (when.forMs)` }
              : v.kind === 'done' && v.failed
                ? { why: 'failed; not retried until the alert clears' }
                : {}),
    });

    const status = (): GuardStatus => {
      const now = clock.now();
      const s = feed.state;
      return {
        format: 'tws-risk-guard-status',
        pid: process.pid,
        startedAt: new Date(startedAt).toISOString(),
        updatedAt: new Date(now).toISOString(),
        stopped: stopping,
        mode: trade ? 'trade' : 'dryRun',
        account: s.account ?? null,
        connection: { health: s.health, reason: s.healthReason ?? null },
        policy: { file: policyFile, hash: policy.hash, rules: policy.rules.length },
        blocked: blocked ?? null,
        wouldDo: verdicts.map(verdictStatus),
        lastAction,
        actionsLastHour: memory.actions.filter((a) => now - a.at < 3_600_000).length,
        actionTimes: memory.actions.map((a) => new Date(a.at).toISOString()),
        lastActionAt: ((t) => (t === undefined ? null : new Date(t).toISOString()))(lastActionAt(memory)),
        actions: memory.actions.map((a) => ({ at: new Date(a.at).toISOString(), severity: a.severity })),
        audit: audit.file,
        recording: live.recorder?.file ?? null,
      };
    };
    const writeStatus = (force = false) => {
      const now = clock.now();
      const st = status();
      const key = JSON.stringify({ ...st, updatedAt: '' });
      if (!force && key === lastStatusText && now - lastStatusAt < STATUS_EVERY_MS) return;
      lastStatusText = key;
      lastStatusAt = now;
      try {
        writeAtomic(statusFile, `${JSON.stringify(st, null, 2)}\n`);
      } catch (e) {
        log('err', 'status.unwritable', { file: statusFile, msg: (e as Error).message });
      }
    };

    const hookAction = (a: { rule: PolicyRule; alert: Alert }, actionId: string, outcome: string, lines: readonly string[]) => {
      effects.action({
        action: a.rule.do,
        outcome,
        alert: { id: a.alert.id, severity: a.alert.severity, title: a.alert.title },
        rule: a.rule.name,
        policyHash: policy.hash,
        dryRun: !trade,
        account: feed.state.account ?? null,
        lines: [...lines],
        actionId,
      });
    };

    /** Plans what a rule's action would do on the state now; nothing is sent here. */
    const plan = async (rule: PolicyRule, alert: Alert, now: number): Promise<Planned> => {
      const s = feed.state;
      const opts = { clientId: c.clientId, orderType: 'LMT' as const, collar: DEFAULT_COLLAR, priceGrids: trading.priceGrids, now };
      const fromDenial = (d: Denial): Planned =>
        d.code === 'NOTHING_TO_DO' ? { kind: 'nothing', lines: [formatDenial(d)] } : { kind: 'refused', lines: [formatDenial(d)] };
      const asClients = (all: readonly number[], what: string): Planned => {
        // A dry run cancels nothing, so an order an earlier dry-run action planned is still open: the live guard would
        // have cancelled it then, and would find nothing of it now. The dry run says the same, instead of planning the
        // same order again for each alert (three foreign clients' alerts, three plans naming one order).
        for (const k of [...dryPlanned.keys()]) {
          const o = s.orders.get(k);
          if (!o || !isOpen(o)) dryPlanned.delete(k);
        }
        const earlier = new Set<string>();
        let skipped = 0;
        const orders = (id: number) =>
          [...s.orders.values()].filter((o) => {
            if (!isOpen(o) || o.clientId !== id) return false;
            if (trade || !dryPlanned.has(o.key)) return true;
            earlier.add(dryPlanned.get(o.key)!);
            skipped++;
            return false;
          });
        const byClient = all.map((id) => ({ id, keys: orders(id).map((o) => o.key) })).filter((x) => x.keys.length > 0);
        const since =
          skipped > 0
            ? [`${skipped} open order(s) left out: planned by ${[...earlier].join(', ')} in this dry run, which a live guard would have cancelled then`]
            : [];
        if (byClient.length === 0) return { kind: 'nothing', lines: [`no open order of ${what}`, ...since] };
        const ids = byClient.map((x) => x.id);
        const lines = byClient.map(
          ({ id, keys }) =>
            `cancel ${keys.length} open order(s) of API client ${id}${id === c.clientId ? " (the guard's own)" : ' (connecting as that client: TWS lets only the client that placed an order cancel it)'}`,
        );
        return {
          kind: 'asClients',
          clientIds: ids.filter((id) => id !== c.clientId),
          own: ids.includes(c.clientId),
          lines: [...lines, ...since],
          orderKeys: byClient.flatMap((x) => x.keys),
        };
      };
      switch (rule.do) {
        case 'notify':
          return { kind: 'nothing', lines: [alert.title] };
        case 'cancelOwn': {
          const p = planCancel(s, { kind: 'client' }, c.clientId);
          return isDenial(p)
            ? fromDenial(p)
            : { kind: 'cancel', plan: p, lines: [`cancel the guard's ${p.kind === 'client' ? p.orderIds.length : 0} open order(s)`] };
        }
        case 'globalCancel': {
          const p = planCancel(s, { kind: 'global' }, c.clientId);
          return isDenial(p)
            ? fromDenial(p)
            : {
                kind: 'cancel',
                plan: p,
                lines: [
                  `GLOBAL CANCEL: ${p.kind === 'global' ? `${p.openOrders} open order(s), ${p.otherClients} of them from other API clients or typed into TWS by hand` : ''}`,
                ],
              };
        }
        case 'cancelAll': {
          const planned = asClients(clientsWithOpenOrders(s), 'any API client');
          const manual = [...s.orders.values()].filter((o) => isOpen(o) && o.clientId <= 0).length;
          return manual > 0 && planned.kind === 'asClients'
            ? { ...planned, lines: [...planned.lines, `${manual} order(s) typed into TWS by hand are left: only globalCancel reaches them`] }
            : planned;
        }
        case 'cancelClient': {
          const ids =
            rule.clientIds === 'foreign'
              ? foreignClientIds(s, c.clientId, expected)
              : (rule.clientIds ?? []).filter((id) => clientsWithOpenOrders(s).includes(id));
          return asClients(
            ids,
            rule.clientIds === 'foreign' ? 'a foreign client (neither the guard nor an expected one)' : `clients ${(rule.clientIds as number[]).join(', ')}`,
          );
        }
        case 'reduce': {
          if (!alert.reduction)
            return {
              kind: 'refused',
              lines: [`${alert.id} proposes no leverage reduction (only the risk alerts do: cushion, margin, liquidation, concentration)`],
            };
          // Priced at the plan's limits: those on each contract's own price ladder once its ticks are known, so the
          // trims are proposed, their ticks fetched, and proposed again on the limits the plan will send.
          const first = proposeForAlert(s, alert.reduction, now, reductionFills(s, opts));
          if (!first.error && first.trims.length > 0) await trading.fetchTicks(first.trims.map((t) => t.conId));
          const proposal =
            first.error || first.trims.length === 0
              ? first
              : proposeForAlert(feed.state, alert.reduction, now, reductionFills(feed.state, { ...opts, priceGrids: trading.priceGrids }));
          if (proposal.error) return { kind: 'refused', lines: [`no leverage reduction for ${alert.id}: ${proposal.error}`] };
          if (proposal.trims.length === 0)
            return {
              kind: proposal.withinLimit ? 'nothing' : 'refused',
              lines: [
                proposal.withinLimit ? `${proposal.metric} is inside its limit now` : `no trim helps: ${proposal.notes[proposal.notes.length - 1] ?? ''}`,
              ],
            };
          const capped = capTrims(proposal.trims, rule.maxReductionPct ?? 100);
          if (capped.trims.length === 0) return { kind: 'refused', lines: [`every trim is below one unit at maxReductionPct ${rule.maxReductionPct}`] };
          await trading.fetchTicks(capped.trims.map((t) => t.conId));
          const p = planReduce(feed.state, capped.trims, { ...opts, priceGrids: trading.priceGrids });
          if (isDenial(p)) return fromDenial(p);
          const note = capped.capped
            ? [`capped at maxReductionPct ${rule.maxReductionPct}: the reduction may not bring ${proposal.metric} back inside its limit (${proposal.limit})`]
            : [];
          return { kind: 'flatten', plan: p, lines: [...planText(p), ...note] };
        }
        case 'flatten': {
          const scope = rule.scope!;
          const preview = planFlatten(s, scope, opts);
          if (!isDenial(preview)) await trading.fetchTicks(preview.legs.map((l) => l.conId));
          const p = planFlatten(feed.state, scope, { ...opts, priceGrids: trading.priceGrids });
          return isDenial(p) ? fromDenial(p) : { kind: 'flatten', plan: p, lines: planText(p) };
        }
      }
    };

    // The guard's log is read where there is no Orders pane: it names the command, and that the guard holds the id.
    const advice = (clientId: number) =>
      cancelAdvice({
        host: c.host,
        port: c.port,
        clientId,
        account: confirm ?? feed.state.account,
        busy: `once client ${clientId} is free (TWS refuses a second connection with an id in use, 326${clientId === c.clientId ? ': the guard holds it until it stops' : ''})`,
      });
    const resultLines = (r: ExecutionResult, clientId = c.clientId): string[] => {
      const lines: string[] = [];
      if (r.denial) lines.push(formatDenial(r.denial));
      for (const l of [...r.cancels, ...r.legs])
        lines.push(
          `${l.orderId === undefined || l.label.startsWith('order ') ? '' : `order ${l.orderId} `}${l.label}: ${outcomeText(l.outcome)}${stillWorking(l, advice(clientId))}${Number(l.filled) > 0 ? ` (filled ${groupedQuantityText(l.filled)})` : ''}${l.code ? ` [${l.code} ${l.message ?? ''}]` : ''}`,
        );
      if (r.reconciled)
        lines.push('the connection was lost while orders were out: each was reconciled with what TWS lists after the reconnect; nothing was sent again');
      if (r.readOnlyApi) lines.push(formatDenial({ code: 'READ_ONLY_API' }));
      return lines;
    };

    /** Arms for one action, shows (locks and audits) its plan, confirms it as the policy and follows it. */
    const send = async (
      t: TradingSession,
      id: string,
      p: Extract<Planned, { kind: 'cancel' | 'flatten' }>,
      detail: { [k: string]: string | number | boolean | null | string[] },
      asClient = c.clientId,
    ): Promise<{ ok: boolean; lines: string[]; replan?: 'MARK_MOVED' | 'TARGET_CHANGED'; planId?: string }> => {
      const armed = t.armHeadless();
      if ('code' in armed) return { ok: false, lines: [formatDenial(armed)] };
      try {
        t.show(id, p.kind === 'cancel' ? { kind: 'cancel', plan: p.plan } : { kind: 'flatten', plan: p.plan }, detail);
        const r = await t.confirm(id, () => (p.kind === 'cancel' ? t.executeCancel(p.plan, actionTimeoutMs) : t.executeFlatten(p.plan, actionTimeoutMs)));
        if (!r) return { ok: false, lines: ['the plan could not be confirmed (another action is being followed)'] };
        const flat = p.kind === 'flatten' ? r.flat === true : true;
        // Refused because the plan no longer fits the market or the book, with nothing of it left working: a plan made
        // on the state now can go where this one could not (an order still working would be refused beside it anyway).
        const code = r.denial?.code;
        const replan =
          p.kind === 'flatten' &&
          (code === 'MARK_MOVED' || code === 'TARGET_CHANGED') &&
          !r.reconciled &&
          [...r.cancels, ...r.legs].every((l) => isFinal(l.outcome) || l.outcome === 'notSent')
            ? code
            : undefined;
        return {
          ...(replan ? { replan } : {}),
          planId: r.planId,
          ok: r.complete && flat && !r.denial,
          lines: [
            ...resultLines(r, asClient),
            ...(p.kind === 'flatten'
              ? [
                  r.flat
                    ? p.plan.partial
                      ? 'done: every trimmed position reads its target'
                      : 'flat: every position in scope reads zero'
                    : 'NOT done: some position in scope does not read its target',
                ]
              : []),
          ],
        };
      } finally {
        t.disarm('guard action done');
      }
    };

    /**
     * Cancels the open orders of another API client by connecting as that client for the time it takes: TWS lets only
     * the client that placed an order cancel it (or a global cancel, which takes every client's). While that client is
     * connected TWS refuses its id (326), and the action fails and is escalated, never forced.
     */
    const cancelAsClient = async (clientId: number, id: string): Promise<{ ok: boolean; lines: string[]; planId?: string }> => {
      const source = new TwsSource({ ...rt.source, host: c.host, port: c.port, clientId, clock, ...(c.account ? { account: c.account } : {}) });
      const borrowed = new Feed(source.events$, { now: () => clock.now() });
      source.start();
      try {
        const waitMs = Math.min(actionTimeoutMs, 20_000);
        const deadline = clock.now() + waitMs;
        for (;;) {
          const s = borrowed.state;
          if (s.health === 'ready' && s.complete.openOrders) break;
          if (s.health === 'disconnected' && isFatalCause(s.healthCause))
            return {
              ok: false,
              lines: [
                `API client ${clientId}: cannot connect as it: ${s.healthReason ?? 'refused'} (is it still connected? only it, or globalCancel, can cancel its orders)`,
              ],
            };
          if (clock.now() > deadline)
            return {
              ok: false,
              lines: [
                `API client ${clientId}: no usable connection as it within ${Math.round(waitMs / 1000)} s (${s.health}${s.healthReason ? `: ${s.healthReason}` : ''})`,
              ],
            };
          await new Promise((r) => setTimeout(r, 50));
        }
        const p = planCancel(borrowed.state, { kind: 'client' }, clientId);
        if (isDenial(p)) return { ok: p.code === 'NOTHING_TO_DO', lines: [`API client ${clientId}: ${formatDenial(p)}`] };
        // Its own feed carries its arming and follows its orders (arming is state reduced from that feed's events; the
        // guard's own session must never read it). Its steps go to the guard's audit log; the result to the recording.
        const t = new TradingSession({
          mode: 'trade',
          actor: 'guard',
          feed: borrowed,
          gateway: source,
          clientId,
          clock,
          armMinutes: 1,
          audit: { dir: auditDir, name: 'guard', appVersion: appVersion() },
          auditLog: audit,
        });
        try {
          const r = await send(
            t,
            `${id}-client${clientId}`,
            { kind: 'cancel', plan: p, lines: [] },
            { planId: `${id}-client${clientId}`, kind: 'cancelClient', clientId, orderIds: p.kind === 'client' ? p.orderIds.map(String) : [] },
            clientId,
          );
          return { ok: r.ok, lines: r.lines.map((l) => `API client ${clientId}: ${l}`), ...(r.planId ? { planId: r.planId } : {}) };
        } finally {
          t.close('guard action done');
        }
      } finally {
        source.stop();
        await borrowed.close('guard: cancelled as another client');
      }
    };

    /**
     * One decided action: planned, recorded and audited with the alert (or the operator who asked) and the rule, then
     * sent (or not, in a dry run). `settled` gets whether it ended well and whether anything went to TWS.
     */
    const run = async (
      a: Act,
      actionId: string,
      settled: (ok: boolean, sent: boolean, dryRun: boolean, nothingToDo?: string) => void,
    ): Promise<{ outcome: ActionOutcome; plan: string[]; lines: string[] }> => {
      const now = clock.now();
      const planned = await plan(a.rule, a.alert, now);
      const alertRef = { id: a.alert.id, severity: a.alert.severity, title: a.alert.title };
      const op: { operator?: { name: string; from: string; requestId: string } } = a.operator ? { operator: { ...a.operator } } : {};
      recordGuard({
        step: 'decided',
        policyHash: policy.hash,
        actionId,
        rule: a.rule.name,
        action: a.rule.do,
        alert: alertRef,
        heldMs: a.heldMs,
        dryRun: !trade,
        plan: [...planned.lines],
        ...op,
      });
      audit.append({
        kind: 'guardDecision',
        detail: {
          actionId,
          policyHash: policy.hash,
          rule: a.rule.name,
          ruleText: a.rule.text,
          action: a.rule.do,
          alert: { ...alertRef, raisedAt: new Date(a.alert.raisedAt).toISOString() },
          heldMs: a.heldMs,
          dryRun: !trade,
          plan: [...planned.lines],
          ...op,
        },
      });
      log(isTradingAction(a.rule.do) ? 'crit' : 'warning', 'action.decided', {
        id: actionId,
        rule: a.rule.name,
        action: a.rule.do,
        alert: a.alert.id,
        severity: a.alert.severity,
        heldMs: a.heldMs,
        dryRun: !trade,
        plan: planned.lines.join('; '),
        ...(a.operator ? { operator: a.operator.name, from: a.operator.from, request: a.operator.requestId } : {}),
      });
      let outcome: ActionOutcome;
      let lines: string[];
      // The execution plans' ids (`flat-…`, `reduce-…`, `cancel-…`) that the trading session's own audit entries carry
      // (orderSent, orderStatus, brokerError, result): the guardResult names them beside the actionId.
      const executionPlanIds: string[] = [];
      const sent = <T extends { planId?: string }>(r: T): T => {
        if (r.planId) executionPlanIds.push(r.planId);
        return r;
      };
      if (a.rule.do === 'notify') {
        outcome = 'done';
        lines = [`notified: ${a.alert.title}`];
      } else if (planned.kind === 'nothing') {
        outcome = 'nothingToDo';
        lines = [...planned.lines];
      } else if (planned.kind === 'refused') {
        outcome = 'refused';
        lines = [...planned.lines];
      } else if (!trade) {
        if (planned.kind === 'asClients') for (const k of planned.orderKeys) dryPlanned.set(k, actionId);
        outcome = 'dryRun';
        lines = ['dry run: nothing sent (the guard runs with --trade --confirm-account ACCOUNT to act)'];
      } else if (planned.kind === 'asClients') {
        const results: { ok: boolean; lines: string[] }[] = [];
        if (planned.own) {
          const p = planCancel(feed.state, { kind: 'client' }, c.clientId);
          if (!isDenial(p))
            results.push(
              sent(await send(trading, `${actionId}-own`, { kind: 'cancel', plan: p, lines: [] }, { planId: `${actionId}-own`, kind: 'cancelOwn' })),
            );
        }
        for (const id of planned.clientIds) results.push(sent(await cancelAsClient(id, actionId)));
        outcome = results.every((r) => r.ok) ? 'done' : 'failed';
        lines = results.flatMap((r) => r.lines);
      } else {
        const detail = (id: string, p: Extract<Planned, { kind: 'cancel' | 'flatten' }>) => ({
          planId: id,
          // A flatten's or reduction's own id, which its orders carry; a cancel's is made as it is sent (guardResult).
          executionPlanId: p.kind === 'flatten' ? p.plan.id : null,
          kind: a.rule.do,
          rule: a.rule.name,
          alert: a.alert.id,
          policyHash: policy.hash,
          plan: [...p.lines],
        });
        let r = sent(await send(trading, actionId, planned, detail(actionId, planned)));
        lines = [...r.lines];
        // The market (or the book) moved past the plan before an order of it went out: the kill switch plans again on the
        // state now and sends that, through every check again, instead of ending the episode with positions left open.
        // A flatten only: a reduction planned again is proposed and capped (maxReductionPct) on what is left, so its cap
        // would compound over the re-plans; it is escalated as before.
        for (let n = 1; a.rule.do === 'flatten' && !r.ok && r.replan && n <= MAX_REPLANS; n++) {
          const after = r.replan;
          const id = `${actionId}-replan${n}`;
          const again = await plan(a.rule, a.alert, clock.now());
          lines.push(`planned again (${n} of ${MAX_REPLANS}) after ${after}: ${again.lines.join('; ')}`);
          log('crit', 'action.replanned', { id: actionId, replan: id, after, plan: again.lines.join('; ') });
          audit.append({
            kind: 'guardDecision',
            detail: {
              actionId: id,
              replanOf: actionId,
              after,
              policyHash: policy.hash,
              rule: a.rule.name,
              action: a.rule.do,
              alert: alertRef,
              dryRun: false,
              plan: [...again.lines],
            },
          });
          if (again.kind === 'nothing') {
            r = { ok: true, lines: [] };
            break;
          }
          if (again.kind !== 'flatten') {
            r = { ok: false, lines: [] };
            break;
          }
          r = sent(await send(trading, id, again, detail(id, again)));
          lines.push(...r.lines);
        }
        outcome = r.ok ? 'done' : 'failed';
      }
      const ok = outcome === 'done' || outcome === 'nothingToDo' || outcome === 'dryRun';
      recordGuard({ step: 'result', policyHash: policy.hash, actionId, outcome, lines });
      audit.append({
        kind: 'guardResult',
        detail: { actionId, executionPlanIds, policyHash: policy.hash, rule: a.rule.name, action: a.rule.do, alert: a.alert.id, outcome, lines },
      });
      const level = ok ? (outcome === 'dryRun' ? 'notice' : 'warning') : 'crit';
      log(level, 'action.result', { id: actionId, rule: a.rule.name, action: a.rule.do, alert: a.alert.id, outcome, result: lines.join('; ') });
      if (outcome === 'dryRun') log('notice', 'action.dryRun', { id: actionId, msg: `would ${a.rule.do} for ${a.alert.id}: ${planned.lines.join('; ')}` });
      // A failure escalates: it is said loudly, given to the hook, and not retried until the alert clears.
      if (!ok)
        log('crit', 'action.escalated', {
          id: actionId,
          rule: a.rule.name,
          msg: `${a.rule.do} for ${a.alert.id} ${outcome}; not retried until the alert clears and is raised again`,
        });
      hookAction(a, actionId, outcome, lines);
      lastAction = { at: new Date(clock.now()).toISOString(), actionId, rule: a.rule.name, action: a.rule.do, alert: a.alert.id, outcome };
      // Refused or nothing to do: nothing went to TWS, so the action gives back its place in the limits.
      settled(ok, outcome !== 'refused' && outcome !== 'nothingToDo', outcome === 'dryRun', outcome === 'nothingToDo' ? lines.join('; ') : undefined);
      return { outcome, plan: [...planned.lines], lines };
    };

    const logVerdicts = (list: readonly Verdict[]) => {
      const seen = new Set<string>();
      for (const v of list) {
        seen.add(v.key);
        // The reason, not its countdown: a cool-down is said once, not every second it lasts.
        const text = v.kind === 'held' ? `held:${v.why.replace(/\d+/g, 'N')}` : v.kind;
        if (shown.get(v.key) === text) continue;
        shown.set(v.key, text);
        if (v.kind === 'held') log('warning', 'action.held', { rule: v.rule.name, action: v.rule.do, alert: v.alert.id, why: v.why });
        else if (v.kind === 'waiting') log('info', 'action.waiting', { rule: v.rule.name, action: v.rule.do, alert: v.alert.id, dueInMs: v.dueInMs });
      }
      for (const k of [...shown.keys()]) if (!seen.has(k)) shown.delete(k);
    };

    /*
     * The remote kill switch (docs/fleet.md "Remote kill switch"): with --publish, an operator's request on
     * `tws-risk.<account>.command` names one of this policy's rules; the guard runs that rule's action as it would for
     * an alert (plan, checks, audit, recording, one send) and answers with the outcome once the action has ended.
     */
    let commandSub: Subscription | undefined;
    const onCommand = async (msg: Msg): Promise<void> => {
      const now = clock.now();
      const account = feed.state.account ?? null;
      const reply = (r: Omit<CommandReply, 'format' | 'account' | 'dryRun'>) => {
        try {
          const guard = publishing ? { guard: { host: publishing.host, session: publishing.session } } : {};
          msg.respond(JSON.stringify({ format: 'tws-risk-command-reply', account, dryRun: !trade, ...r, ...guard } satisfies CommandReply));
        } catch (e) {
          log('err', 'command.replyFailed', { msg: (e as Error).message });
        }
      };
      const req = decodeCommand(msg.string());
      // Aimed at another guard of this account (another host, or this host's earlier session): not ours to answer.
      if (typeof req !== 'string' && req.target && publishing && (req.target.host !== publishing.host || req.target.session !== publishing.session)) {
        log('notice', 'command.otherGuard', { request: req.id, target: `${req.target.host} ${req.target.session}` });
        return;
      }
      const refuse = (why: string, rule: PolicyRule | undefined) => {
        const who: Record<string, string> =
          typeof req === 'string' ? {} : { request: req.id, operator: req.operator, from: req.from, asked: String(req.rule), confirmed: req.account };
        log('warning', 'command.refused', { ...who, why });
        audit.append({ kind: 'guardCommand', detail: { outcome: 'refused', why, account, ...who } });
        reply({
          id: typeof req === 'string' ? null : req.id,
          outcome: 'refused',
          rule: rule?.name ?? null,
          action: rule?.do ?? null,
          actionId: null,
          plan: [],
          lines: [why],
        });
      };
      if (typeof req === 'string') return refuse(`not a command this guard reads: ${req}`, undefined);
      // Every guard of the account hears the subject: one that ran an unaimed command would run it beside the others
      // (the user trial's two trading guards each sold the position). Refused, so nothing runs twice.
      if (!req.target)
        return refuse(
          'the command names no guard: every guard of the account hears it, so none runs it; ask with `fleet command`, which names one (--guard HOST/SESSION when several listen)',
          undefined,
        );
      if (stopping) return refuse('the guard is stopping', undefined);
      if (account === null || req.account !== account)
        return refuse(`the command confirms account ${req.account}; this guard follows ${account ?? 'no account yet'}`, undefined);
      const rule = typeof req.rule === 'number' ? policy.rules[req.rule] : policy.rules.find((r) => r.name === req.rule);
      if (!rule)
        return refuse(
          `no rule ${JSON.stringify(req.rule)} in the policy ${policy.hash.slice(0, 12)} (rules: ${policy.rules.map((r) => r.name).join(', ')}); a command runs only the policy's own actions`,
          undefined,
        );
      // The rule the operator confirmed, by place, name and action: a policy reloaded since then refuses, never substitutes.
      if (req.expect && (rule.name !== req.expect.name || rule.do !== req.expect.action))
        return refuse(
          `the policy changed: the operator confirmed ${req.expect.name} (${req.expect.action}), the policy ${policy.hash.slice(0, 12)} has ${rule.name} (${rule.do}) there; nothing was done`,
          rule,
        );
      const d = decideCommand(memory, policy, rule, {
        now,
        busy: inFlight !== undefined,
        marketOpen: isMarketOpen(marketNow(feed.state, now), alertConfig.session),
        ...(() => {
          const b = whyBlocked(now);
          return b ? { blocked: b } : {};
        })(),
      });
      if (d.kind === 'held') return refuse(`held: ${d.why}`, rule);
      memory = d.memory;
      const id = newActionId(now);
      const operator = { name: req.operator, from: req.from, requestId: req.id };
      const stand: Alert = {
        id: 'operator',
        rule: 'operator' as Alert['rule'],
        severity: 'critical',
        title: `operator ${req.operator} asked from ${req.from}`,
        detail: null,
        firstSeenAt: now,
        raisedAt: now,
        lastSeenAt: now,
        acknowledged: false,
      };
      log('warning', 'command.accepted', { request: req.id, operator: req.operator, from: req.from, rule: rule.name, action: rule.do, id });
      const running = run({ rule, alert: stand, heldMs: 0, operator }, id, (_ok, sent) => {
        if (!sent) memory = refundCommand(memory, d);
      });
      if (isTradingAction(rule.do)) {
        inFlight = running
          .then(
            () => undefined,
            () => undefined,
          )
          .finally(() => {
            inFlight = undefined;
          });
      }
      try {
        const r = await running;
        reply({ id: req.id, outcome: r.outcome, rule: rule.name, action: rule.do, actionId: id, plan: r.plan, lines: r.lines });
      } catch (e) {
        log('crit', 'action.error', { id, msg: (e as Error).message });
        reply({
          id: req.id,
          outcome: 'failed',
          rule: rule.name,
          action: rule.do,
          actionId: id,
          plan: [],
          lines: [`the guard failed: ${(e as Error).message}`],
        });
      }
      writeStatus(true);
    };
    const listenForCommands = (account: string) => {
      if (!publishing || commandSub || stopping) return;
      const subject = commandSubject(account);
      try {
        commandSub = publishing.publisher.connection.subscribe(subject, {
          callback: (err, msg) => {
            if (err) {
              // Refused by the server (permissions) or closed: the summaries stop offering commands no one will hear.
              commandsListening = false;
              log('err', 'command.subscription', { msg: err.message });
            } else void onCommand(msg);
          },
        });
        commandsListening = true;
        log('notice', 'command.listening', { subject, msg: 'an operator may ask for one of this policy\'s actions (docs/fleet.md "Remote kill switch")' });
      } catch (e) {
        log('err', 'command.unavailable', { subject, msg: (e as Error).message });
      }
    };

    let resolveDone!: (code: number) => void;
    const done = new Promise<number>((r) => (resolveDone = r));
    let timer: TimerHandle | undefined;
    let lastHealth = '';

    const tick = () => {
      if (stopping) return;
      const now = clock.now();
      const s = feed.state;
      const health = `${s.health}${s.healthReason ? `: ${s.healthReason}` : ''}`;
      if (health !== lastHealth) {
        lastHealth = health;
        log(s.health === 'ready' ? 'notice' : 'warning', 'connection', { health: s.health, reason: s.healthReason, account: s.account });
      }
      if (s.health === 'ready') everReady = true;
      if (s.health === 'disconnected' && s.healthCause === 'accountNotManaged') {
        // The operator's --account, not the connection: exit 1 like report, live and flatten (README "Exit codes"),
        // naming the accounts the login manages.
        log('err', 'account.notManaged', {
          reason: s.healthReason,
          msg: `${s.healthReason ?? 'the account is not managed by this login'}; choose one of them with --account`,
        });
        exitCode = EXIT.invalid;
        void stop('account not managed');
        return;
      }
      if (s.health === 'disconnected' && isFatalCause(s.healthCause)) {
        log('err', 'connection.fatal', { reason: s.healthReason, msg: everReady ? 'the connection cannot come back by itself' : 'cannot connect' });
        exitCode = EXIT.cannotConnect;
        void stop('fatal connection condition');
        return;
      }
      if (trade && s.account !== undefined && s.account !== confirm) {
        log('err', 'account.mismatch', {
          connected: s.account,
          confirmed: confirm,
          msg: formatDenial({ code: 'ACCOUNT_MISMATCH', confirmed: confirm!, connected: s.account }),
        });
        exitCode = EXIT.usage;
        void stop('account mismatch');
        return;
      }
      if (s.account !== undefined) listenForCommands(s.account);
      // display false: the guard reads the alerts (from the engine's report) and the worst scenario (for the fleet's
      // summary), never the panes' P&L curves or lattice greeks, so its passes leave them out (AccountSession.evaluate).
      const view = session.evaluate(now, now, undefined, false);
      lastView = view;
      notePublishing();
      blocked = whyBlocked(now);
      const d = decide(memory, policy, {
        alerts: view.alerts ?? [],
        now,
        ...(blocked ? { blocked } : {}),
        busy: inFlight !== undefined,
        marketOpen: isMarketOpen(marketNow(s, now), alertConfig.session),
      });
      memory = d.memory;
      verdicts = d.verdicts;
      logVerdicts(d.verdicts);
      for (const a of d.acts) {
        const id = newActionId(now);
        const settled = (ok: boolean, sent: boolean, dryRun: boolean, nothingToDo?: string) => (memory = settle(memory, a.key, ok, sent, dryRun, nothingToDo));
        if (!isTradingAction(a.rule.do)) {
          void run(a, id, settled);
          continue;
        }
        inFlight = run(a, id, settled)
          .then(() => undefined)
          .catch((e: unknown) => {
            log('crit', 'action.error', { id, msg: (e as Error).message });
            memory = settle(memory, a.key, false);
          })
          .finally(() => {
            inFlight = undefined;
          });
      }
      writeStatus();
    };

    const stop = async (reason: string): Promise<number> => {
      if (stopping) return done;
      stopping = true;
      if (timer) clock.clear(timer);
      log('notice', 'guard.stopping', { reason, waitingForAction: inFlight !== undefined });
      let recordingFile: string | undefined;
      // Whatever fails while stopping is said and ends in a non-zero exit; it never leaves `done` unresolved, nor
      // escapes as an unhandled rejection (a stack trace, from a signal handler's `void stop()`).
      try {
        commandSub?.unsubscribe();
        commandsListening = false;
        // An action already sent is followed to its end (bounded by its own deadlines): stopping never abandons one.
        await inFlight;
        trading.close(reason);
        await effects.idle();
        recordingFile = live.recorder?.file;
        await live.close(`guard stopped: ${reason}`);
        publishAbort.abort();
        await publishingStarted;
        await publishing?.stop();
      } catch (e) {
        log('crit', 'guard.stopError', { msg: (e as Error).message });
        exitCode = exitCode === EXIT.ok ? EXIT.invalid : exitCode;
      }
      try {
        audit.close();
      } catch (e) {
        // A full disk (ENOSPC) or a failing device: the footer is not written. Every entry before it was fsync'd as
        // it was appended, so the file holds them all, unsealed; `tws-risk verify` says so.
        log('crit', 'audit.closeFailed', {
          file: audit.file,
          msg: `${(e as Error).message}: the audit log is not sealed (its entries up to now are on disk)`,
        });
        exitCode = exitCode === EXIT.ok ? EXIT.invalid : exitCode;
      }
      log('notice', 'guard.stopped', { reason, recording: recordingFile, audit: audit.file, exit: exitCode });
      writeStatus(true);
      // After the last write: a guard that takes the file over next finds it marked stopped.
      claim.release();
      resolveDone(exitCode);
      return exitCode;
    };

    const reload = (): boolean => {
      const r = readPolicy(policyFile);
      if (!r.policy) {
        for (const p of r.problems) log('err', 'policy.problem', { msg: p });
        log('err', 'policy.rejected', {
          file: policyFile,
          kept: policy.hash,
          msg: `the new policy has ${r.problems.length} problem(s); the running policy ${policy.hash.slice(0, 12)} stays in force`,
        });
        auditReload({ kind: 'policy', detail: { outcome: 'rejected', file: policyFile, kept: policy.hash, problems: [...r.problems] } });
        recordGuard({ step: 'policyRejected', policyHash: policy.hash, file: policyFile, problems: [...r.problems] });
        return false;
      }
      // A rule written as before keeps its episodes (it does not act again on an alert it answered); the limits carry over.
      memory = carryOver(memory, policy, r.policy);
      policy = r.policy;
      shown.clear();
      policyLoaded(true);
      writeStatus(true);
      return true;
    };

    // An evaluation that throws is a bug: said loudly every time (the same error pass after pass folded into its count by
    // guard-log.ts), and the guard keeps its last decisions (it acts on none).
    timer = clock.setInterval(() => {
      try {
        tick();
      } catch (e) {
        log('crit', 'guard.error', { msg: (e as Error).stack ?? String(e) });
      }
    }, rt.evalMs ?? 500);
    writeStatus(true);
    return {
      done,
      reload,
      stop,
      status,
      statusFile,
      auditFile: audit.file,
      ...(live.recorder?.file ? { recordingFile: live.recorder.file } : {}),
      idle: async () => {
        while (inFlight) await inFlight;
      },
    };
  } catch (e) {
    // Said plainly, not through the log: the log's own clock may be what failed.
    io.err(`tws-risk guard: could not start: ${(e as Error).message}; disconnecting, not started`);
    publishAbort.abort();
    await live.close('guard failed to start');
    claim.release();
    return EXIT.invalid;
  }
}

/** A status older than this is a guard that is gone or stuck (`guard status`'s default --max-age): its file is free. */
export const STATUS_STALE_MS = 3 * STATUS_EVERY_MS;

/** The live guard that writes `file`, if another does: not stopped, not this process, alive, and written recently. */
export function liveOwner(file: string, now: number): { pid: number; mode: GuardStatus['mode']; ageMs: number } | undefined {
  const st = readStatus(file);
  if (st === undefined || 'problem' in st || st.stopped || !Number.isInteger(st.pid) || st.pid <= 0 || st.pid === process.pid) return undefined;
  const ageMs = now - Date.parse(st.updatedAt);
  if (!(ageMs < STATUS_STALE_MS) || !pidAlive(st.pid)) return undefined;
  return { pid: st.pid, mode: st.mode, ageMs };
}

/** `tws-risk guard`: starts the daemon and wires the signals: SIGHUP reloads the policy, SIGTERM and SIGINT stop it. */
export async function guardCommand(f: GuardFlags, io: CommandIo): Promise<number> {
  const h = await startGuard(f, io);
  if (typeof h === 'number') return h;
  // when-exit (loaded by conf, through atomically) treats the first SIGHUP as an exit: it runs its clean-ups and sends
  // the signal again, so one `kill -HUP` reloaded twice. For this daemon SIGHUP means reload, never exit: its
  // listener goes. (Upstream, when-exit could leave a signal alone when the program listens for it itself.)
  for (const l of process.listeners('SIGHUP')) process.off('SIGHUP', l);
  const onHup = () => h.reload();
  const onStop = (sig: string) => () => void h.stop(sig);
  const term = onStop('SIGTERM');
  const int = onStop('SIGINT');
  process.on('SIGHUP', onHup);
  process.on('SIGTERM', term);
  process.on('SIGINT', int);
  // Its log's reader gone (`guard | head`, a log shipper that died): stopped as on SIGTERM, the recording sealed.
  let outputGone = false;
  const offOutputClosed = onOutputClosed(() => {
    outputGone = true;
    void h.stop('output closed');
  });
  try {
    const code = await h.done;
    return outputGone && code === EXIT.ok ? EXIT.outputClosed : code;
  } finally {
    process.off('SIGHUP', onHup);
    process.off('SIGTERM', term);
    process.off('SIGINT', int);
    offOutputClosed();
  }
}

/** `tws-risk guard check --policy FILE`: validates a policy as the daemon would, without connecting (exit 0 or 2). */
export function guardCheckCommand(f: { readonly policy?: string }, io: CommandIo): number {
  if (!f.policy) {
    io.err('tws-risk guard check: --policy FILE is required');
    return EXIT.usage;
  }
  const file = resolve(f.policy);
  const r = readPolicy(file);
  if (!r.policy) {
    for (const p of r.problems) io.err(p);
    io.err(`tws-risk guard check: ${r.problems.length} problem(s) in the policy`);
    return EXIT.usage;
  }
  const l = r.policy.limits;
  io.out(`${file}: valid (sha256 ${r.policy.hash})`);
  for (const line of policyLines(r.policy)) io.out(`  ${line}`);
  io.out(
    `  limits: at most ${l.maxActionsPerHour} trading action(s) an hour, ${l.coolDownMs} ms apart, ${l.window === 'market' ? 'in market hours only' : 'at any time'}, on data younger than ${l.maxDataAgeMs} ms`,
  );
  return EXIT.ok;
}

/** The status file as the guard wrote it, or why it cannot be read. */
function readStatus(file: string): GuardStatus | { problem: string } | undefined {
  try {
    const st = JSON.parse(readFileSync(file, 'utf8')) as GuardStatus;
    if (st.format !== 'tws-risk-guard-status') return { problem: 'not a guard status file' };
    return st;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { problem: (e as Error).message };
  }
}

/** What `guard status` says of a state or an outcome that sent nothing; the others are said as they are written. */
const STATE_TEXT: Readonly<Record<string, string>> = { dryRun: 'not sent (dry run)', nothingToDo: 'nothing to do, nothing sent' };

/** `tws-risk guard status`: what the status file says, for a person or a monitor (exit 0 only when healthy). */
export function guardStatusCommand(
  f: { readonly 'status-file'?: string; readonly json?: boolean; readonly 'max-age'?: string },
  io: CommandIo,
  now = Date.now(),
  env: NodeJS.ProcessEnv = process.env,
): number {
  const file = resolve(f['status-file'] ?? join(dataDir(env), 'guard', 'status.json'));
  const maxAgeS = f['max-age'] === undefined ? 15 : Number(f['max-age']);
  if (!Number.isFinite(maxAgeS) || maxAgeS <= 0) {
    io.err(`tws-risk guard status: --max-age expects seconds (a positive number), got ${JSON.stringify(f['max-age'])}`);
    return EXIT.usage;
  }
  const read = readStatus(file);
  if (read === undefined || 'problem' in read) {
    const why = read === undefined ? 'no such file: is the guard running, with this --status-file?' : read.problem;
    if (f.json) io.out(JSON.stringify({ healthy: false, problem: `${file}: ${why}` }));
    else io.err(`tws-risk guard status: ${file}: ${why}`);
    return EXIT.invalid;
  }
  const st = read;
  const ageS = (now - Date.parse(st.updatedAt)) / 1000;
  const problems: string[] = [];
  if (st.stopped) problems.push('the guard has stopped');
  else if (ageS > maxAgeS) problems.push(`the status is ${Math.round(ageS)} s old (more than --max-age ${maxAgeS}): the guard is not running or is stuck`);
  if (st.connection.health !== 'ready') problems.push(`not connected: ${st.connection.health}${st.connection.reason ? ` (${st.connection.reason})` : ''}`);
  // A guard that could not act now is not a working kill switch, whatever the reason (stale data, a snapshot pending).
  else if (st.blocked && !st.stopped) problems.push(`cannot act now: ${st.blocked}`);
  if (f.json) {
    io.out(JSON.stringify({ healthy: problems.length === 0, problems, ageSeconds: Math.round(ageS), status: st }, null, 2));
    return problems.length === 0 ? EXIT.ok : EXIT.invalid;
  }
  io.out(
    `guard ${st.stopped ? 'STOPPED' : 'running'} (pid ${st.pid}), ${st.mode === 'trade' ? 'TRADING' : 'dry run'}, account ${st.account ?? '?'}, status ${Math.round(ageS)} s old`,
  );
  io.out(`connection: ${st.connection.health}${st.connection.reason ? ` (${st.connection.reason})` : ''}`);
  io.out(`policy: ${st.policy.file} (sha256 ${st.policy.hash.slice(0, 12)}…, ${st.policy.rules} rule(s)); ${st.actionsLastHour} action(s) in the last hour`);
  if (st.blocked) io.out(`trading actions held: ${st.blocked}`);
  if (st.wouldDo.length === 0) io.out('would do now: nothing (no listed alert matches a rule)');
  // A dry run's action, or one that found nothing to do, sent nothing: "done" would read as if orders were cancelled.
  for (const v of st.wouldDo) io.out(`would do now: ${v.rule} ${v.action} for ${v.alert}: ${STATE_TEXT[v.state] ?? v.state}${v.why ? ` (${v.why})` : ''}`);
  io.out(
    st.lastAction
      ? `last action: ${st.lastAction.at} ${st.lastAction.action} for ${st.lastAction.alert} (${st.lastAction.rule}): ${STATE_TEXT[st.lastAction.outcome] ?? st.lastAction.outcome}`
      : 'last action: none',
  );
  for (const p of problems) io.err(`tws-risk guard status: ${p}`);
  return problems.length === 0 ? EXIT.ok : EXIT.invalid;
}
