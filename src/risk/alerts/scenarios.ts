// The stress input of the alert rules: the built-in scenarios for what the account holds, and a report that never throws.
import type { PortfolioState } from '../../model/state.js';
import { currenciesOf } from '../boundary.js';
import { stressParams, type StressParamsInput } from '../params.js';
import { classifyPositions } from '../positions.js';
import { buildStressReport, type StressReport } from '../report.js';
import { builtinScenarios } from '../scenario-text.js';
import type { Scenario } from '../scenario-types.js';

/**
 * The built-in scenario families (docs/scenarios.md) for the price-driver classes and currencies the account
 * holds: the set the stress rules judge ("stressed Cushion under any built-in scenario").
 */
export function alertScenarios(state: PortfolioState, params: Omit<StressParamsInput, 'now'> = {}): Scenario[] {
  const rows = [...state.portfolio.values()];
  const classes = classifyPositions(rows.map((r) => r.contract), stressParams({ ...params, now: 0 }));
  const drivers = [...new Set(classes.flatMap((c) => (c.driver ? [c.driver] : [])))];
  return builtinScenarios(state.baseCurrency ?? 'USD', currenciesOf(state, rows), drivers);
}

export type AlertStress = { readonly ok: true; readonly report: StressReport } | { readonly ok: false; readonly error: string };

/**
 * The stress report for the alert rules, or why there is none (no account or positions yet, or the engine
 * failed): the rules then degrade (docs/alerts.md "Without a stress report"). Never throws.
 */
export function stressForAlerts(state: PortfolioState, now: number, params: Omit<StressParamsInput, 'now'> = {}): AlertStress {
  if (!state.account || state.portfolio.size === 0) return { ok: false, error: 'waiting for the account and its positions' };
  try {
    return { ok: true, report: buildStressReport(state, alertScenarios(state, params), { ...params, now }) };
  } catch (err) {
    return { ok: false, error: `stress engine: ${err instanceof Error ? err.message : String(err)}` };
  }
}
