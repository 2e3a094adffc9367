// The headless core of one account: reads the feed, runs risk and the alert engine on the LIVE state, records alerts.
import type { Observable } from 'rxjs';
import type { FeedEvent, FeedEventBody } from '../model/events.js';
import type { PortfolioState } from '../model/state.js';
import { activeAlerts, alertOfRow, type Alert } from '../risk/alerts/index.js';
import type { AlertRunner } from './alert-runner.js';
import type { RiskFunction, RiskResult } from './stress-model.js';
import type { TradingSession } from '../trading/session.js';
import { sameRefs } from '../model/same-refs.js';

/*
 * DESIGN.md "src/session: the headless core". Console, `report`, `replay` and future daemons hold one of these per
 * account; the views read what it computed (through the store's throttled snapshots) and send it intents (acknowledge,
 * a seek replaced the state). Freezing the panes is the store's business: this core always works on the live state,
 * so an alert raised while the panes are frozen is still raised, rung, hooked and recorded (docs/architecture.md).
 * Derived facts (alert transitions, acknowledgements) go back in through the feed, which queues them in order.
 */

/** What the session reads: the feed's current state and its events, and where derived facts are recorded. */
export interface SessionFeed {
  readonly state: PortfolioState;
  readonly events$: Observable<FeedEvent>;
  /** Records a derived fact (the real Feed's publish); absent in a replay and in tests that need no record. */
  publish?(body: FeedEventBody): unknown;
}

export interface SessionOptions {
  /** Risk as a function of state (createStressRunner: the one scenario selector); computed on a cadence. */
  readonly risk?: RiskFunction;
  /**
   * The alert engine, run on every evaluation of the live state. Absent in a replay: the replay lists the alerts the
   * recording holds (PortfolioState.alerts), never what today's rules would say.
   */
  readonly alerts?: AlertRunner;
  /**
   * Lower bound of the risk cadence (default 1 s); raised to 4× the last computation's time on big books. Once a
   * second is ample for scenarios (Risk Navigator refreshes every 10 s, ux-and-peers.md §1.4).
   */
  readonly riskMinIntervalMs?: number;
  /** Option time rolls with the clock: recompute risk at least this often even without new data (default 60 s). */
  readonly riskMaxAgeMs?: number;
  /**
   * The account's one trading session (arming, audit, plans, sends), when this front end may trade: the console with
   * --trade, the guard. Absent in a replay and a read-only console: nothing here can send.
   */
  readonly trading?: TradingSession;
}

/** One evaluation's results. `due`: when risk must be looked at again (a cadence-held recomputation), if at all. */
export interface SessionView {
  readonly risk?: RiskResult;
  /** Listed alerts, most severe first: the engine's in a live session, the recorded ones in a replay. */
  readonly alerts?: readonly Alert[];
  readonly dueInMs?: number;
}

/** The alerts a state recorded (PortfolioState.alerts), listed like the engine's: most severe first. */
export function recordedAlerts(state: PortfolioState): Alert[] {
  const rows = [...state.alerts.values()].map(alertOfRow);
  return activeAlerts({ alerts: Object.fromEntries(rows.map((a) => [a.id, a])), pending: {}, memory: {}, evaluations: 0 });
}

/** The maps risk reads; an evaluation with all of them unchanged reuses the last result. */
function riskInputs(s: PortfolioState): readonly unknown[] {
  return [s.portfolio, s.accountValues, s.options, s.prices, s.fxRates, s.account, s.baseCurrency];
}

export class AccountSession {
  private lastRisk: { inputs: readonly unknown[]; at: number; result: RiskResult; ms: number } | undefined;
  private recorded: { from: PortfolioState['alerts']; list: readonly Alert[] } | undefined;

  constructor(
    readonly feed: SessionFeed,
    private readonly opts: SessionOptions = {},
  ) {}

  /** The account's trading session, if this front end may trade (SessionOptions.trading). */
  get trading(): TradingSession | undefined {
    return this.opts.trading;
  }

  /** Does this session judge alerts itself (live), or list the recorded ones (replay)? */
  get evaluatesAlerts(): boolean {
    return this.opts.alerts !== undefined;
  }

  /**
   * Risk and alerts of the live state. `realNow` paces the risk cadence (real time, so a fast replay does not
   * recompute faster); `asOf` is the time risk and alerts are judged at (a replay's recorded time). `display` false:
   * no pane will draw this evaluation's risk (frozen panes), so a pass may leave out what only panes read; the next
   * evaluation with `display` computes a whole pass at once, whatever the cadence.
   */
  evaluate(realNow: number, asOf: number, minIntervalMs = 1000, display = true): SessionView {
    const live = this.feed.state;
    const { result: risk, dueInMs } = this.riskFor(live, realNow, asOf, minIntervalMs, display);
    const alerts = this.opts.alerts ? this.opts.alerts.evaluate(live, risk?.ok ? risk.report : undefined, asOf) : this.recordedAlerts(live);
    return { ...(risk ? { risk } : {}), alerts, ...(dueInMs !== undefined ? { dueInMs } : {}) };
  }

  /** The recorded alerts of a state, listed like the engine's (most severe first); the same list while they are. */
  recordedAlerts(state: PortfolioState): readonly Alert[] {
    if (this.recorded?.from !== state.alerts) this.recorded = { from: state.alerts, list: recordedAlerts(state) };
    return this.recorded.list;
  }

  /** Intent: the operator acknowledges every listed alert; recorded as one operatorActed event. Returns the ids. */
  acknowledgeAlerts(now: number): readonly string[] {
    const ids = this.opts.alerts?.acknowledgeAll(now) ?? [];
    if (ids.length > 0) this.feed.publish?.({ type: 'operatorActed', action: 'alertAcknowledged', detail: { ids: [...ids] } });
    return ids;
  }

  /** The state was replaced rather than advanced (a replay seek): risk and the rules' memory belong to another moment. */
  replaced(): void {
    this.lastRisk = undefined;
    this.opts.alerts?.reset?.();
  }

  private riskFor(state: PortfolioState, now: number, asOf: number, minIntervalMs: number, display: boolean): { result?: RiskResult; dueInMs?: number } {
    const compute = this.opts.risk;
    if (!compute) return {};
    const inputs = riskInputs(state);
    // A pass made for no pane is not drawn: a pane about to draw gets a whole one now.
    const last = display && this.lastRisk?.result.ok && this.lastRisk.result.display === false ? undefined : this.lastRisk;
    const same = sameRefs(last?.inputs, inputs);
    if (last && same && now - last.at < (this.opts.riskMaxAgeMs ?? 60_000)) return { result: last.result };
    // On a big book a risk pass can take long: keep the risk cadence at no more than a quarter of the CPU.
    const interval = Math.max(this.opts.riskMinIntervalMs ?? minIntervalMs, 4 * (last?.ms ?? 0));
    if (last && now - last.at < interval) return { result: last.result, dueInMs: last.at + interval - now };
    const t0 = performance.now();
    const result = compute(state, asOf, display);
    this.lastRisk = { inputs, at: now, result, ms: performance.now() - t0 };
    return { result };
  }
}
