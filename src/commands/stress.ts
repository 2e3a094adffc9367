// The stress part of `report`: which scenarios to run (built-in, --shock, --scenarios FILE) and the engine call.
import { readFileSync } from 'node:fs';
import type { PortfolioState } from '../model/state.js';
import type { Settings } from '../config/settings.js';
import { buildStressReport, type StressReport } from '../risk/report.js';
import { bookScenarios } from '../risk/alerts/scenarios.js';
import type { MarginMethodSetting } from '../risk/params.js';
import { parseScenario, parseScenarioFile } from '../risk/scenario-text.js';
import type { Scenario } from '../risk/scenario-types.js';

/** Built-in scenarios for the book, then the user's file, then each --shock; or every problem found. */
export function chooseScenarios(
  state: PortfolioState,
  shocks: readonly string[],
  file: string | undefined,
): { scenarios: Scenario[] } | { problems: string[] } {
  const base = state.baseCurrency ?? 'USD';
  // The session's one selector (src/risk/alerts/scenarios.ts): the console and the alerts judge the same list.
  const scenarios = bookScenarios(state);
  const problems: string[] = [];
  if (file) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      problems.push(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not valid JSON'}`);
    }
    if (json !== undefined) {
      const r = parseScenarioFile(json, file, { baseCurrency: base });
      problems.push(...r.problems);
      scenarios.push(...r.scenarios);
    }
  }
  for (const text of shocks) {
    const r = parseScenario(text, { baseCurrency: base });
    if (r.ok) scenarios.push(r.scenario);
    else problems.push(...r.problems.map((p) => `--shock ${JSON.stringify(text)}: ${p}`));
  }
  return problems.length > 0 ? { problems } : { scenarios };
}

/** The stress report, or why it cannot be built from this state (never throws). */
/** The risk settings every stress pass of a session uses (console, report, alerts): one place reads them. */
export interface RiskSettingsParams {
  readonly marginMethod?: MarginMethodSetting;
  readonly rates?: Readonly<Record<string, number>>;
  readonly dividends?: Settings['risk']['dividends'];
}

/** The settings' risk section, with `report --margin-method` over it when given. */
export function riskParamsOf(settings: Settings, marginMethodFlag?: string): RiskSettingsParams {
  return {
    marginMethod: (marginMethodFlag ?? settings.risk.marginMethod) as MarginMethodSetting,
    rates: settings.risk.rates,
    dividends: settings.risk.dividends,
  };
}

export function stressOf(state: PortfolioState, scenarios: readonly Scenario[], now: number, risk: RiskSettingsParams = {}): StressReport | { error: string } {
  if (!state.baseCurrency || (state.portfolio.size === 0 && state.accountValues.size === 0)) return { error: 'no account data yet' };
  try {
    return buildStressReport(state, scenarios, {
      now,
      ...(risk.marginMethod ? { marginMethod: risk.marginMethod } : {}),
      ...(risk.rates ? { rates: risk.rates } : {}),
      ...(risk.dividends ? { dividends: risk.dividends } : {}),
    });
  } catch (e) {
    return { error: (e as Error).message };
  }
}
