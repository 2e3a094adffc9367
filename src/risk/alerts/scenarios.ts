// The one scenario selector (built-in scenarios for what the account holds) and the alert rules' stress report.
import type { PortfolioRow, PortfolioState } from '../../model/state.js';
import { currenciesOf, readBook, type Book } from '../boundary.js';
import { exposureByName, nameJumpScenarios } from '../concentration.js';
import { stressParams, type StressParams, type StressParamsInput } from '../params.js';
import { classifyPositions, type PositionClass } from '../positions.js';
import type { AssetClass } from '../../model/contract.js';
import { buildStressReport, type StressReport } from '../report.js';
import { builtinScenarios, heldFuturesOf } from '../scenario-text.js';
import type { Scenario } from '../scenario-types.js';

/**
 * The built-in scenario families (docs/scenarios.md) for the price-driver classes and currencies the account
 * holds. The one selector (DESIGN.md "One scenario selector serves the console, `report`, the flatten preview and the
 * alerts"): the Stress pane, `report` (before any --scenarios file or --shock), the flatten preview and the stress
 * rules all read this list, so an exit 5, a "worst" scenario and an alert name the same scenarios for the same state.
 */
export function bookScenarios(state: PortfolioState, params: Omit<StressParamsInput, 'now'> = {}, book?: Book): Scenario[] {
  const resolved = stressParams({ ...params, now: 0 });
  const { classes, drivers, currencies } = bookMovers(state, resolved);
  // Classes whose options are held also get the vol-coordinated down ladder (docs/scenarios.md).
  const optionDrivers = [...new Set(classes.flatMap((c) => (c.kind === 'option' && c.driver ? [c.driver] : [])))];
  const list = builtinScenarios(state.baseCurrency ?? 'USD', currencies, drivers, optionDrivers, heldFuturesOf(classes));
  // Single-name jumps follow the asset ladder (docs/stress-model.md "Names"); exposures need no valuation clock, so
  // a book read at another time (the stress grid's) names the same jumps.
  const ids = new Set(list.map((s) => s.id));
  const names = nameJumpScenarios(exposureByName(book ?? readBook(state, resolved)), resolved.concentration).filter((s) => !ids.has(s.id));
  const at = list.reduce((last, s, i) => (s.family === 'asset' ? i + 1 : last), 1);
  return [...list.slice(0, at), ...names, ...list.slice(at)];
}

/**
 * What a scenario can move in this book: each position's class, the price-driver classes held (px:), and the
 * currencies (fx:): the cash rows', the positions', and a currency future's own (a 6E on a dollar-only account is
 * exposure the ledger rows do not show; its fx ladder and the crashes' move of it are what move it, docs/scenarios.md
 * "What a future is on"). The symbols `sym:` names are the classes' `symbol`.
 */
export function bookMovers(
  state: PortfolioState,
  params: StressParams,
  rows: readonly PortfolioRow[] = [...state.portfolio.values()],
): { classes: PositionClass[]; drivers: AssetClass[]; currencies: string[] } {
  const classes = classifyPositions(
    rows.map((r) => r.contract),
    params,
  );
  const drivers = [...new Set(classes.flatMap((c) => (c.driver ? [c.driver] : [])))];
  const currencies = [...currenciesOf(state, rows), ...classes.flatMap((c) => c.fxFutureCurrency ?? [])];
  return { classes, drivers, currencies };
}

/**
 * The single-name jumps' ids in a list from bookScenarios, as one key (the asset family's only `sym:` shocks),
 * and the key the book calls for now: the names follow prices (an option's underlying, a mark), which move without
 * the positions changing, so a holder of a selected list compares the two to know when to select again.
 */
export const nameJumpKey = (list: readonly Scenario[]): string => {
  // Asked of the same selected list on every pass whose marks moved; a list is never changed in place.
  let key = jumpKeys.get(list);
  if (key === undefined) {
    key = list
      .filter((s) => s.family === 'asset' && Object.keys(s.shocks.sym).length > 0)
      .map((s) => s.id)
      .join('\n');
    jumpKeys.set(list, key);
  }
  return key;
};
const jumpKeys = new WeakMap<readonly Scenario[], string>();
export const nameJumpKeyOf = (book: Book, concentration: StressParams['concentration']): string =>
  nameJumpKey(nameJumpScenarios(exposureByName(book), concentration));

export type AlertStress = { readonly ok: true; readonly report: StressReport } | { readonly ok: false; readonly error: string };

/**
 * The stress report for the alert rules, or why there is none (no account or positions yet, or the engine
 * failed): the rules then degrade (docs/alerts.md "Without a stress report"). Never throws.
 */
export function stressForAlerts(state: PortfolioState, now: number, params: Omit<StressParamsInput, 'now'> = {}): AlertStress {
  if (!state.account || (state.portfolio.size === 0 && !state.complete.accountDownload))
    return { ok: false, error: 'waiting for the account and its positions' };
  try {
    return { ok: true, report: buildStressReport(state, bookScenarios(state, params), { ...params, now }) };
  } catch (err) {
    return { ok: false, error: `stress engine: ${err instanceof Error ? err.message : String(err)}` };
  }
}
