// The session's alert engine: the rules of src/risk/alerts, run with their lifecycle on the live state.
import type { FeedEventBody } from '../model/events.js';
import type { PortfolioState } from '../model/state.js';
import {
  DEFAULT_ALERT_CONFIG,
  INITIAL_ALERT_STATE,
  acknowledgeAll,
  activeAlerts,
  alertChangedBody,
  evaluateAlerts,
  type Alert,
  type AlertConfig,
  type AlertState,
  type AlertTransition,
} from '../risk/alerts/index.js';
import type { StressReport } from '../risk/report.js';

/*
 * docs/alerts.md "API": the session evaluates every few hundred milliseconds with its own clock; a finding must
 * persist before it is raised and be gone for a cool-down before it clears, so the engine's state lives here,
 * beside the stress grid, and the session (src/session/session.ts) calls it on the LIVE state. Each transition is recorded in the session as
 * one alertChanged FeedEvent (docs/alerts.md "Recording"), then handed to the side effects (bell, hook, audit log);
 * acknowledgements are recorded by the store (operatorActed alertAcknowledged).
 */

export interface AlertRunnerOptions {
  /** The console's own API client id: its orders are never a foreign client's. */
  readonly ourClientId?: number;
  /** What that client is, in alert titles (default "this console"). */
  readonly ourName?: string;
  /** Records a transition in the session (Feed.publish); absent, transitions are not recorded (tests, replays). */
  readonly publish?: (body: FeedEventBody) => unknown;
  /** The side effects of an evaluation's transitions, with the state they were seen on; called after `publish`. */
  readonly onTransitions?: (transitions: readonly AlertTransition[], state: PortfolioState) => void;
}

export interface AlertRunner {
  /** One evaluation: the alerts listed after it, most severe first. */
  evaluate(state: PortfolioState, report: StressReport | undefined, now: number): readonly Alert[];
  /** Acknowledges every listed alert (they stay listed until their condition clears); returns their ids. */
  acknowledgeAll(now: number): readonly string[];
  /** The alerts as of the last evaluation or acknowledgement. */
  listed(): readonly Alert[];
  /** Forgets every alert and the rules' memory (a replay seek moved the clock). */
  reset?(): void;
}

function sameList(a: readonly Alert[], b: readonly Alert[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i]!;
      return x.id === y.id && x.severity === y.severity && x.title === y.title && x.acknowledged === y.acknowledged && x.raisedAt === y.raisedAt;
    })
  );
}

export function createAlertRunner(config: AlertConfig = DEFAULT_ALERT_CONFIG, opts: AlertRunnerOptions = {}): AlertRunner {
  const { ourClientId, ourName, publish, onTransitions } = opts;
  let state: AlertState = INITIAL_ALERT_STATE;
  let listed: readonly Alert[] = [];
  return {
    evaluate(portfolio, report, now) {
      const r = evaluateAlerts(state, {
        state: portfolio,
        config,
        now,
        ...(report ? { stress: report } : {}),
        ...(ourClientId !== undefined ? { ourClientId } : {}),
        ...(ourName !== undefined ? { ourName } : {}),
      });
      state = r.state;
      const fresh = activeAlerts(state);
      // The engine builds a new state on every evaluation; keep the list's identity while what it shows is the same,
      // so the Alerts pane's view model is reused (view-model.ts memoPaneVM).
      if (!sameList(fresh, listed)) listed = fresh;
      if (r.transitions.length > 0) {
        // One alertChanged event each, in order; published from inside the feed's own delivery (the session evaluates
        // on an event) it is queued by the feed right after that event (streams/feed.ts), so no deferral is needed.
        if (publish) for (const t of r.transitions) publish(alertChangedBody(t));
        onTransitions?.(r.transitions, portfolio);
      }
      return listed;
    },
    acknowledgeAll(now) {
      const ids = listed.filter((a) => !a.acknowledged).map((a) => a.id);
      state = acknowledgeAll(state, now);
      listed = activeAlerts(state);
      return ids;
    },
    listed: () => listed,
    reset() {
      state = INITIAL_ALERT_STATE;
      listed = [];
    },
  };
}
