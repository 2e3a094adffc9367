// The stress part of `report`: which scenarios to run (built-in, --shock, --scenarios FILE) and the engine call.
import { readFileSync } from 'node:fs';
import type { PortfolioState } from '../model/state.js';
import type { Settings } from '../config/settings.js';
import { buildStressReport, type StressReport } from '../risk/report.js';
import { bookMovers, bookScenarios } from '../risk/alerts/scenarios.js';
import type { MarginMethodSetting } from '../risk/params.js';
import { nearestName } from '../model/nearest-name.js';
import { stressParams } from '../risk/params.js';
import { parseScenario, parseScenarioFile } from '../risk/scenario-text.js';
import type { Scenario, ScenarioShocks } from '../risk/scenario-types.js';

/**
 * Built-in scenarios for the book, then the user's file, then each --shock; or every problem found. `warnings`: each
 * --shock name that nothing in the book carries (unmatchedShockNames), which moves nothing.
 */
export function chooseScenarios(
  state: PortfolioState,
  shocks: readonly string[],
  file: string | undefined,
): { scenarios: Scenario[]; warnings: string[] } | { problems: string[] } {
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
  const warnings: string[] = [];
  for (const text of shocks) {
    const r = parseScenario(text, { baseCurrency: base });
    if (r.ok) {
      scenarios.push(r.scenario);
      for (const w of unmatchedShockNames(r.scenario.shocks, state)) warnings.push(`--shock ${JSON.stringify(text)}: ${w}`);
    } else problems.push(...r.problems.map((p) => `--shock ${JSON.stringify(text)}: ${p}`));
  }
  return problems.length > 0 ? { problems } : { scenarios, warnings };
}

/**
 * The names of a typed shock that no position or cash row of the book carries, each as a sentence: such a shock
 * moves nothing, and its row of zeros reads as "this move costs nothing" when the name was mistyped (sym:APPL for
 * AAPL). A name that is held, even if hedged to zero, is not listed. A scenario file's names are not checked: it
 * holds standing scenarios, some for names the account holds only at times.
 */
export function unmatchedShockNames(shocks: ScenarioShocks, state: PortfolioState): string[] {
  // What the built-in scenarios are chosen from (bookScenarios): the same classes, symbols and currencies.
  // A row at zero (closed today) holds nothing a shock could move.
  const movers = bookMovers(
    state,
    stressParams({ now: 0 }),
    [...state.portfolio.values()].filter((r) => !r.position.isZero()),
  );
  const symbols = new Set(movers.classes.map((c) => c.symbol));
  const drivers = new Set<string>(movers.drivers);
  const currencies = new Set(movers.currencies);
  const out: string[] = [];
  const unmatched = (kind: string, name: string, held: ReadonlySet<string>, what: string) => {
    if (held.has(name)) return;
    const near = nearestName(name, held, 1);
    out.push(`${kind}:${name} matches no ${what} in the book, so it moves nothing${near ? ` (did you mean ${kind}:${near}?)` : ''}`);
  };
  for (const name of Object.keys(shocks.sym)) unmatched('sym', name, symbols, 'position');
  for (const name of Object.keys(shocks.fx)) unmatched('fx', name, currencies, 'cash balance or position');
  for (const name of Object.keys(shocks.px)) unmatched('px', name, drivers, 'position of that class');
  return out;
}

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

/** The stress report, or why it cannot be built from this state (never throws). */
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
