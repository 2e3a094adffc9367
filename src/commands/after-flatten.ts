// The account after a flatten, as the risk engine sees it: the preview shows where margin and stress would land.
import { Decimal } from '../model/money.js';
import type { PortfolioState } from '../model/state.js';
import { applyTrims, withRequirements } from '../risk/alerts/reduction.js';
import { noLoanClasses } from '../risk/boundary.js';
import { stressParams } from '../risk/params.js';
import type { ScenarioResult, StressReport } from '../risk/report.js';
import type { FlattenPlan } from '../trading/types.js';
import { chooseScenarios, stressOf } from './stress.js';

export interface Picture {
  readonly netLiquidation: string;
  readonly maintMargin: string;
  readonly excessLiquidity: string;
  readonly cushion: string;
  /** The scenario that loses most, with what it leaves. */
  readonly worst: { readonly label: string; readonly pnl: string; readonly excessLiquidity: string; readonly breach: boolean } | null;
}

export interface AfterFlatten {
  readonly before: Picture;
  readonly after: Picture;
}

function picture(r: StressReport): Picture {
  const zero = r.scenarios.find((s) => s.family === 'base') ?? r.scenarios[0]!;
  const worst = r.scenarios.reduce<ScenarioResult | undefined>((w, s) => (!w || s.pnl.total.lessThan(w.pnl.total) ? s : w), undefined);
  const money = (d: Decimal) => d.toFixed(2);
  return {
    netLiquidation: money(zero.netLiquidation),
    maintMargin: money(zero.maintMargin),
    excessLiquidity: money(zero.excessLiquidity),
    cushion: zero.cushion?.toFixed(4) ?? 'n/a',
    worst: worst ? { label: worst.label, pnl: money(worst.pnl.total), excessLiquidity: money(worst.excessLiquidity), breach: worst.breach } : null,
  };
}

/**
 * Before and after: the same built-in scenarios on the state now and on the state with the plan's positions closed
 * at their marks (proceeds to cash). An estimate, like the margin it shows; undefined when no report can be built.
 */
export function afterFlatten(state: PortfolioState, plan: FlattenPlan, now: number): AfterFlatten | undefined {
  const chosen = chooseScenarios(state, [], undefined);
  if (!('scenarios' in chosen)) return undefined;
  // Each leg's signed change: the whole position for a flatten, the trim for a reduction.
  const trims = new Map(plan.legs.map((l) => [l.conId, l.action === 'SELL' ? l.quantity.neg() : l.quantity]));
  const a = stressOf(state, chosen.scenarios, now);
  if ('error' in a) return undefined;
  const closed = applyTrims(state, trims, new Set(noLoanClasses(stressParams({ now }))));
  // TWS's reported requirement moves by our estimate's change (the calibration is kept), as the reduction does.
  const estimate = stressOf(closed, chosen.scenarios.filter((s) => s.family === 'base'), now);
  if ('error' in estimate) return undefined;
  const b = stressOf(withRequirements(closed, a.margin.calibration, estimate.margin.calibration), chosen.scenarios, now);
  if ('error' in b) return undefined;
  return { before: picture(a), after: picture(b) };
}

/** Two lines for a dialog or the headless plan. */
export function afterLines(x: AfterFlatten | undefined, base: string): string[] {
  if (!x) return ['after the flatten: no stress estimate (account data incomplete)'];
  const line = (tag: string, p: Picture) => {
    const pct = p.cushion === 'n/a' ? 'n/a' : `${(Number(p.cushion) * 100).toFixed(1)}%`;
    const worst = p.worst ? `; worst ${p.worst.label} ${Number(p.worst.pnl).toLocaleString('en-US', { maximumFractionDigits: 0 })}${p.worst.breach ? ' BREACH' : ''}` : '';
    return `${tag} maint (est.) ${Number(p.maintMargin).toLocaleString('en-US', { maximumFractionDigits: 0 })} ${base}, excess ${Number(p.excessLiquidity).toLocaleString('en-US', { maximumFractionDigits: 0 })}, cushion ${pct}${worst}`;
  };
  return [line('now:  ', x.before), line('after:', x.after)];
}
