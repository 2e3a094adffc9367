// The account after a flatten, as the risk engine sees it: the preview shows where margin and stress would land.
import { assetClassOf, contractLabel } from '../model/contract.js';
import { ageText } from '../model/mark.js';
import { Decimal } from '../model/money.js';
import type { PortfolioState } from '../model/state.js';
import { applyTrims, withRequirements } from '../risk/alerts/reduction.js';
import { noLoanClasses } from '../risk/boundary.js';
import { stressParams } from '../risk/params.js';
import type { Calibration } from '../risk/margin.js';
import type { ScenarioResult, StressReport } from '../risk/report.js';
import type { FlattenPlan } from '../trading/types.js';
import { PICTURE_AFTER, PICTURE_NOW, WORSE_MARK } from '../views/trading-actions.js';
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
  /**
   * Whose maintenance figure the pictures show: `reported` is TWS's requirement now, and after it that requirement
   * moved by our estimate's change; `estimate` is ours throughout (TWS sent no requirement).
   */
  readonly requirement: 'reported' | 'estimate';
  /**
   * How old TWS's requirement was when the picture was made (ms; reported only): TWS sends account values every
   * three minutes, while its what-if answers are priced when asked, so the two "now" figures are different moments.
   */
  readonly requirementAgeMs?: number;
  /** Our own estimate's change of the maintenance requirement (after − before, base currency, cents). */
  readonly estimateChange: string;
  /** Our own estimate of the maintenance requirement before and after (base currency, cents), which "after" follows. */
  readonly estimateBefore: string;
  readonly estimateAfter: string;
  /** Why "after" may not move where TWS's would: legs our margin model gives no requirement of their own. */
  readonly notes: readonly string[];
  /**
   * What the flatten makes worse, one line each (WORSE_MARK first): margin, excess, cushion, then every scenario that
   * loses more (all of them: the audit log and `--json` carry this; a dialog shows the first few, afterLines).
   */
  readonly worse: readonly string[];
}

/** Scenario lines a dialog lists at most; the rest are counted (the dialog must keep its answer keys on screen). */
const MAX_WORSE_SCENARIOS = 4;
const WORSE_SCENARIO = `${WORSE_MARK}scenario `;

const whole = (d: Decimal) => Number(d.toFixed(0)).toLocaleString('en-US');

/**
 * Before against after, figure by figure: more margin, less excess or cushion, and every scenario that loses more
 * (a currency shock loses more when the flatten leaves that currency's exposure larger). Moves under one unit of
 * the base currency are noise of the estimate and are not listed.
 */
export function worseAfter(a: StressReport, b: StressReport, base: string): string[] {
  const out: string[] = [];
  const za = a.scenarios.find((s) => s.family === 'base') ?? a.scenarios[0];
  const zb = b.scenarios.find((s) => s.family === 'base') ?? b.scenarios[0];
  if (za && zb) {
    if (zb.maintMargin.sub(za.maintMargin).greaterThanOrEqualTo(1))
      out.push(`${WORSE_MARK}maint margin (est.) grows ${whole(za.maintMargin)} -> ${whole(zb.maintMargin)} ${base}`);
    if (za.excessLiquidity.sub(zb.excessLiquidity).greaterThanOrEqualTo(1))
      out.push(`${WORSE_MARK}excess liquidity falls ${whole(za.excessLiquidity)} -> ${whole(zb.excessLiquidity)} ${base}`);
    if (za.cushion && zb.cushion && zb.cushion.lessThan(za.cushion.sub(0.0005)))
      out.push(`${WORSE_MARK}cushion falls ${za.cushion.mul(100).toFixed(1)}% -> ${zb.cushion.mul(100).toFixed(1)}%`);
  }
  const before = new Map(a.scenarios.map((s) => [s.id, s]));
  const grown = b.scenarios
    .map((s) => ({ s, was: before.get(s.id) }))
    .filter(
      (x): x is { s: ScenarioResult; was: ScenarioResult } =>
        x.was !== undefined && x.s.family !== 'base' && x.was.pnl.total.sub(x.s.pnl.total).greaterThanOrEqualTo(1) && x.s.pnl.total.isNegative(),
    )
    .sort((x, y) => x.s.pnl.total.sub(x.was.pnl.total).comparedTo(y.s.pnl.total.sub(y.was.pnl.total)));
  for (const { s, was } of grown) out.push(`${WORSE_SCENARIO}${s.label} loses more ${whole(was.pnl.total)} -> ${whole(s.pnl.total)} ${base}`);
  return out;
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
  const estimate = stressOf(
    closed,
    chosen.scenarios.filter((s) => s.family === 'base'),
    now,
  );
  if ('error' in estimate) return undefined;
  const b = stressOf(withRequirements(closed, a.margin.calibration, estimate.margin.calibration), chosen.scenarios, now);
  if ('error' in b) return undefined;
  const ours = (c: Calibration) => c.maint.reduce((sum, p) => sum.add(p.estimated), new Decimal(0));
  const oursBefore = ours(a.margin.calibration);
  const oursAfter = ours(estimate.margin.calibration);
  const change = oursAfter.sub(oursBefore);
  const reported = a.margin.calibration.maint.some((p) => p.reported !== undefined);
  // The last account update's time: its newest value row, since TWS resends only what changed (an unchanged
  // requirement is as of that push). Not the stream's last event: ACCT_UPDATE_TIME comes every 3 s with the marks.
  let asOf: number | undefined;
  for (const r of state.accountValues.values()) if (asOf === undefined || r.updatedAt > asOf) asOf = r.updatedAt;
  return {
    before: picture(a),
    after: picture(b),
    requirement: reported ? 'reported' : 'estimate',
    ...(reported && asOf !== undefined ? { requirementAgeMs: Math.max(0, now - asOf) } : {}),
    estimateChange: change.toFixed(2),
    estimateBefore: oursBefore.toFixed(2),
    estimateAfter: oursAfter.toFixed(2),
    notes: unmodelled(plan, change),
    worse: worseAfter(a, b, a.baseCurrency),
  };
}

/**
 * Legs whose closing our estimate cannot see, when it did not move: a CASH pair (our FX margin, risk-model.md §2.5
 * simplified, charges a currency only while its net value is negative, so selling EUR.USD out of a positive EUR
 * balance changes nothing for it while TWS charges the FX position itself), and positions no model prices.
 */
function unmodelled(plan: FlattenPlan, change: Decimal): string[] {
  if (change.abs().greaterThanOrEqualTo(1)) return [];
  const pairs = plan.legs.filter((l) => assetClassOf(l.contract.secType) === 'CASH').map((l) => contractLabel(l.contract));
  const other = plan.legs.filter((l) => assetClassOf(l.contract.secType) === 'UNKNOWN').map((l) => contractLabel(l.contract));
  const out: string[] = [];
  if (pairs.length > 0)
    out.push(
      `our estimate cannot see closing ${pairs.join(', ')}: our FX margin charges a currency only while its net value is negative (TWS's what-if, when asked, has its figure)`,
    );
  if (other.length > 0) out.push(`our estimate has no margin model for ${other.join(', ')}: "after" does not move for it`);
  return out;
}

/**
 * Two lines for a dialog or the headless plan, each saying whose maintenance figure it is, any note, and what gets
 * worse. A dialog (`allScenarios` false) lists the first few scenarios that lose more and counts the rest, which its
 * audit log entry holds; the headless plan, text a script or a person reads whole, lists them all (a dry run writes
 * no audit log to point to).
 */
export function afterLines(x: AfterFlatten | undefined, base: string, o: { readonly allScenarios?: boolean } = {}): string[] {
  if (!x) return ['after the flatten: no stress estimate (account data incomplete)'];
  const signed = (d: Decimal) => `${d.isNegative() ? '-' : '+'}${whole(d.abs())}`;
  // The change shown is the change applied (after − now, both as shown): TWS's figure moves as our estimate does,
  // in proportion per calibrated segment, so our own change (estimateChange) is not what was added to it.
  // Of the whole figures shown, so that now + change = after to the unit on the screen.
  const round = (v: string) => new Decimal(v).toDecimalPlaces(0);
  const applied = round(x.after.maintMargin).sub(round(x.before.maintMargin));
  const age = x.requirementAgeMs !== undefined ? `, ${ageText(x.requirementAgeMs)}` : '';
  // No "; " inside: the dialog puts each "; " clause on a row of its own.
  const whose = {
    now: x.requirement === 'reported' ? `(TWS's account update${age})` : '(our estimate, TWS sent none)',
    after:
      x.requirement === 'reported'
        ? `(TWS's now ${signed(applied)}, moved as our estimate ${whole(new Decimal(x.estimateBefore))} -> ${whole(new Decimal(x.estimateAfter))})`
        : `(our estimate, ${signed(applied)})`,
  };
  const line = (tag: 'now' | 'after', p: Picture) => {
    const pct = p.cushion === 'n/a' ? 'n/a' : `${(Number(p.cushion) * 100).toFixed(1)}%`;
    // The loss before its scenario's name (as the console's figures line): a row cut at its edge keeps the number.
    const worst = p.worst
      ? `; worst ${Number(p.worst.pnl).toLocaleString('en-US', { maximumFractionDigits: 0 })}${p.worst.breach ? ' BREACH' : ''} in ${p.worst.label}`
      : '';
    return `${tag === 'now' ? PICTURE_NOW : PICTURE_AFTER} maint ${whole(new Decimal(p.maintMargin))} ${base} ${whose[tag]}, excess ${whole(new Decimal(p.excessLiquidity))}, cushion ${pct}${worst}`;
  };
  let worse = x.worse;
  const scenarios = worse.filter((l) => l.startsWith(WORSE_SCENARIO)).length;
  if (o.allScenarios !== true && scenarios > MAX_WORSE_SCENARIOS) {
    const kept = worse.length - scenarios + MAX_WORSE_SCENARIOS;
    worse = [...worse.slice(0, kept), `${WORSE_MARK}${scenarios - MAX_WORSE_SCENARIOS} more scenario(s) lose more (in the audit log)`];
  }
  return [line('now', x.before), line('after', x.after), ...x.notes, ...worse];
}
