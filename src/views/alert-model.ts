// The Alerts pane's engine: the alert rules of src/risk/alerts, run with their lifecycle at the view-model cadence.
import type { PortfolioState } from '../model/state.js';
import {
  DEFAULT_ALERT_CONFIG, INITIAL_ALERT_STATE, acknowledgeAll, activeAlerts, evaluateAlerts,
  type Alert, type AlertConfig, type AlertState,
} from '../risk/alerts/index.js';
import type { StressReport } from '../risk/report.js';

/*
 * docs/alerts.md "API": the console evaluates every few hundred milliseconds with its own clock; a finding must
 * persist before it is raised and be gone for a cool-down before it clears, so the engine's state lives here,
 * beside the stress grid, and the store calls it on every publish. Recording the transitions as FeedEvents needs
 * an alert event in the model (issue 9); acknowledgements are recorded already (operatorActed alertAcknowledged).
 */

export interface AlertRunner {
  /** One evaluation: the alerts listed after it, most severe first. */
  evaluate(state: PortfolioState, report: StressReport | undefined, now: number): readonly Alert[];
  /** Acknowledges every listed alert (they stay listed until their condition clears); returns their ids. */
  acknowledgeAll(now: number): readonly string[];
  /** The alerts as of the last evaluation or acknowledgement. */
  listed(): readonly Alert[];
}

function sameList(a: readonly Alert[], b: readonly Alert[]): boolean {
  return a.length === b.length && a.every((x, i) => {
    const y = b[i]!;
    return x.id === y.id && x.severity === y.severity && x.title === y.title && x.acknowledged === y.acknowledged && x.raisedAt === y.raisedAt;
  });
}

export function createAlertRunner(config: AlertConfig = DEFAULT_ALERT_CONFIG, ourClientId?: number): AlertRunner {
  let state: AlertState = INITIAL_ALERT_STATE;
  let listed: readonly Alert[] = [];
  return {
    evaluate(portfolio, report, now) {
      const next = evaluateAlerts(state, {
        state: portfolio, config, now, ...(report ? { stress: report } : {}), ...(ourClientId !== undefined ? { ourClientId } : {}),
      }).state;
      const fresh = activeAlerts(next);
      // The engine builds a new state on every evaluation; keep the list's identity while what it shows is the same,
      // so the Alerts pane's view model is reused (view-model.ts memoPaneVM).
      if (!sameList(fresh, listed)) listed = fresh;
      state = next;
      return listed;
    },
    acknowledgeAll(now) {
      const ids = listed.filter((a) => !a.acknowledged).map((a) => a.id);
      state = acknowledgeAll(state, now);
      listed = activeAlerts(state);
      return ids;
    },
    listed: () => listed,
  };
}
