// margin.jump: a margin requirement change that positions and prices do not explain (what a house-margin change looks like).
import { accountValue } from '../../../model/account-values.js';
import { Decimal } from '../../../model/money.js';
import type { PortfolioState } from '../../../model/state.js';
import type { CalibrationPart } from '../../margin.js';
import type { StressReport } from '../../report.js';
import { level, money, move, pct } from '../format.js';
import { SEVERITY_RANK, maxSeverity, type Finding, type MarginMemory } from '../types.js';
import { levelOf, type StatefulRule } from './context.js';

/*
 * IBKR can raise its house margin on an instrument at any time; the account sees MaintMarginReq jump
 * with no trade. The rule keeps a baseline (anchor): the reported requirements, and our own zero-shock
 * estimate (the stress report's calibration), taken whenever positions or executions change and for
 * `settleMs` after (TWS pushes the new requirement shortly after a fill, in either order with the
 * position). Outside that window, a reported rise of more than the threshold is "unexplained" when our
 * estimate did not move alike: prices move margin too, and the estimate follows prices. The estimate is
 * compared both as it is now and as it was when the reported row arrived (TWS's rows lag prices by up
 * to 3 minutes, risk-model.md §1.2); the closer explanation wins, so a price move never looks like a
 * house change. Without a stress report there is nothing to compare with: the threshold is larger
 * (`aboveWithoutEstimate`) and the title says so. A rise that lasts `holdMs` becomes the new baseline.
 *
 * A baseline needs history, which a one-shot `tws-risk report` does not have. So the rule also looks once, with no
 * memory: a reported requirement far above our rules-based estimate (the calibration factor, reported / estimate,
 * per segment, above `factorAbove`, and by at least `factorMinShare` of NetLiquidation) is what a house-margin or
 * concentration charge our rules do not know looks like. Both views report under the one id, the worse severity.
 */

const sumEstimated = (parts: readonly CalibrationPart[]) => parts.reduce((a, p) => a + p.estimatedFloat, 0);

function estimates(stress: StressReport | undefined): { maint?: number; init?: number } {
  if (!stress) return {};
  const maint = sumEstimated(stress.margin.calibration.maint);
  const init = sumEstimated(stress.margin.calibration.init);
  return { ...(Number.isFinite(maint) ? { maint } : {}), ...(Number.isFinite(init) ? { init } : {}) };
}

/** Each rows map's key: positions change with trades, and the rule asks 4 times a second (a string per row each time). */
const keys = new WeakMap<object, string>();

/** Positions as a string, to notice any change (conId order). */
export function positionsKey(state: PortfolioState): string {
  const rows = state.positions.size > 0 ? state.positions : state.portfolio;
  const known = keys.get(rows);
  if (known !== undefined) return known;
  const parts: string[] = [];
  for (const r of rows.values()) parts.push(`${r.contract.conId}:${r.position.toString()}`);
  const key = parts.sort().join(',');
  keys.set(rows, key);
  return key;
}

interface Jump {
  readonly from: Decimal;
  readonly to: Decimal;
  /** Reported change, relative. */
  readonly reported: number;
  /** Our estimate's change over the same time (the closer of now and when the row arrived). */
  readonly estimate?: number;
  /** The part the estimate does not explain: (1 + reported) / (1 + estimate) − 1. */
  readonly unexplained: number;
}

function jumpOf(to: Decimal, from: Decimal, anchorEst: number | undefined, candidates: readonly (number | undefined)[]): Jump {
  const reported = to.div(from).toNumber() - 1;
  let best: number | undefined;
  if (anchorEst !== undefined && anchorEst > 0) {
    for (const c of candidates) {
      if (c === undefined || !(c > 0)) continue;
      const e = c / anchorEst - 1;
      if (best === undefined || Math.abs((1 + reported) / (1 + e) - 1) < Math.abs((1 + reported) / (1 + best) - 1)) best = e;
    }
  }
  return best === undefined
    ? { from, to, reported, unexplained: reported }
    : { from, to, reported, estimate: best, unexplained: (1 + reported) / (1 + best) - 1 };
}

/**
 * TWS announces the requirement at its next margin change (LookAheadMaintMarginReq, risk-model.md §1.2, e.g. the
 * overnight futures margin). A jump to within 2% of what was announced at the anchor, when that differed from the
 * requirement then, is that scheduled change, not a house change.
 */
function scheduled(anchor: NonNullable<MarginMemory['anchor']>, maint: Decimal): boolean {
  if (!anchor.lookAhead) return false;
  const ahead = new Decimal(anchor.lookAhead);
  const was = new Decimal(anchor.maint);
  if (!ahead.gt(0) || ahead.sub(was).abs().lte(was.mul(0.02))) return false;
  return maint.sub(ahead).abs().lte(ahead.mul(0.02));
}

const SEGMENT: Readonly<Record<CalibrationPart['scope'], string>> = { total: '', S: ' (securities)', C: ' (commodities)' };

/** The one-look view: the worst calibration factor above its level, if any (see the header). */
function factorFinding(
  ctx: Parameters<StatefulRule<MarginMemory>>[1],
): { severity: Finding['severity']; text: string; detail: Record<string, string | number> } | undefined {
  const cfg = ctx.config.rules['margin.jump'];
  const cal = ctx.stress?.margin.calibration;
  const base = ctx.state.baseCurrency;
  const nlv = base ? accountValue(ctx.state, 'NetLiquidation', base)?.value : undefined;
  if (!cfg.enabled || !cal || !base || !nlv || !nlv.gt(0)) return undefined;
  let worst: { severity: Finding['severity']; threshold: number; factor: number; part: CalibrationPart; kind: 'Maintenance' | 'Initial' } | undefined;
  for (const [kind, parts] of [
    ['Maintenance', cal.maint],
    ['Initial', cal.init],
  ] as const) {
    for (const p of parts) {
      if (p.mode !== 'scaled' || !p.factor || !p.reported) continue;
      const factor = p.factor.toNumber();
      if (p.reported.sub(p.estimated).div(nlv).toNumber() < cfg.factorMinShare) continue;
      const lv = levelOf(factor, cfg.factorAbove, 'above');
      if (!lv) continue;
      if (!worst || SEVERITY_RANK[lv.severity] > SEVERITY_RANK[worst.severity] || (lv.severity === worst.severity && factor > worst.factor)) {
        worst = { ...lv, factor, part: p, kind };
      }
    }
  }
  if (!worst) return undefined;
  const p = worst.part;
  return {
    severity: worst.severity,
    text:
      `${worst.kind} margin${SEGMENT[p.scope]} ${money(p.reported!, base)} is ${worst.factor.toFixed(2)}× our rules-based estimate ` +
      `${money(p.estimated, base)} (limit ${worst.threshold}×): a house-margin or concentration charge our rules do not know`,
    detail: {
      kind: worst.kind,
      scope: p.scope,
      reported: p.reported!.toString(),
      estimated: p.estimated.toString(),
      factor: worst.factor,
      threshold: worst.threshold,
    },
  };
}

/**
 * margin.jump: the baseline view (a rise since the last position change that the estimate does not explain) and the
 * one-look view (a requirement far above the estimate), as one finding with the worse severity.
 */
export const marginJumpRule: StatefulRule<MarginMemory> = (prev, ctx) => {
  const r = baselineRule(prev, ctx);
  const f = factorFinding(ctx);
  if (!f) return r;
  const jump = r.findings[0];
  const finding: Finding = jump
    ? { ...jump, severity: maxSeverity(jump.severity, f.severity), title: `${jump.title}; ${f.text}`, detail: { jump: jump.detail, factor: f.detail } }
    : { id: 'margin.jump', rule: 'margin.jump', severity: f.severity, title: f.text, detail: { jump: null, factor: f.detail } };
  return { memory: r.memory, findings: [finding] };
};

const baselineRule: StatefulRule<MarginMemory> = (prev, ctx) => {
  const cfg = ctx.config.rules['margin.jump'];
  const { state, now } = ctx;
  const base = state.baseCurrency;
  const row = base ? accountValue(state, 'MaintMarginReq', base) : undefined;
  const maint = row?.value;
  if (!cfg.enabled || !base || !row || !maint) return { memory: prev, findings: [] };
  const init = accountValue(state, 'InitMarginReq', base)?.value;
  const est = estimates(ctx.stress);
  const key = positionsKey(state);
  const executions = state.executions.size;
  const changed = !prev || prev.positionsKey !== key || prev.executions !== executions;
  const changedAt = changed ? now : prev.changedAt;
  const newRow = !prev || prev.reportedAt !== row.updatedAt;
  const estMaintAtReport = newRow ? est.maint : (prev.estMaintAtReport ?? est.maint);
  const estInitAtReport = newRow ? est.init : (prev.estInitAtReport ?? est.init);
  const common = {
    positionsKey: key,
    executions,
    reportedAt: row.updatedAt,
    ...(changedAt !== undefined ? { changedAt } : {}),
    ...(estMaintAtReport !== undefined ? { estMaintAtReport } : {}),
    ...(estInitAtReport !== undefined ? { estInitAtReport } : {}),
  };
  const lookAhead = accountValue(state, 'LookAheadMaintMarginReq', base)?.value;
  const anchorNow = {
    at: now,
    maint: maint.toString(),
    ...(init ? { init: init.toString() } : {}),
    ...(lookAhead ? { lookAhead: lookAhead.toString() } : {}),
    ...(est.maint !== undefined ? { estMaint: est.maint } : {}),
    ...(est.init !== undefined ? { estInit: est.init } : {}),
  };
  const anchor = prev?.anchor;
  const settling = changedAt !== undefined && now - changedAt <= cfg.settleMs;
  // A report that becomes available after the anchor was taken: re-anchor, unless a jump is already being watched.
  const estimateArrived = anchor !== undefined && anchor.estMaint === undefined && est.maint !== undefined && prev?.since === undefined;
  if (!anchor || settling || !new Decimal(anchor.maint).gt(0) || estimateArrived) {
    return { memory: { ...common, anchor: anchorNow }, findings: [] };
  }
  const m = jumpOf(maint, new Decimal(anchor.maint), anchor.estMaint, [est.maint, estMaintAtReport]);
  const i =
    init && anchor.init && new Decimal(anchor.init).gt(0) ? jumpOf(init, new Decimal(anchor.init), anchor.estInit, [est.init, estInitAtReport]) : undefined;
  if (scheduled(anchor, maint)) return { memory: { ...common, anchor }, findings: [] };
  const withEstimate = m.estimate !== undefined;
  const levels = withEstimate ? cfg.above : cfg.aboveWithoutEstimate;
  const lm = levelOf(m.unexplained, levels, 'above');
  const li = i ? levelOf(i.unexplained, i.estimate !== undefined ? cfg.above : cfg.aboveWithoutEstimate, 'above') : undefined;
  if (!lm && !li) return { memory: { ...common, anchor }, findings: [] };
  const since = prev?.since ?? now;
  if (now - since >= cfg.holdMs) {
    // Held long enough to be the new normal: accept it as the baseline (the alert then clears after its cool-down).
    return { memory: { ...common, anchor: anchorNow }, findings: [] };
  }
  // Report the worse of the two: higher severity, then the larger unexplained rise.
  const useInit =
    i !== undefined &&
    li !== undefined &&
    (!lm || SEVERITY_RANK[li.severity] > SEVERITY_RANK[lm.severity] || (li.severity === lm.severity && i.unexplained > m.unexplained));
  const j = useInit ? i : m;
  const lv = (useInit ? li : lm)!;
  const name = useInit ? 'Initial' : 'Maintenance';
  const because =
    j.estimate !== undefined
      ? `our estimate moved ${move(j.estimate)}, leaving ${move(j.unexplained)} unexplained`
      : `no stress estimate to compare with, so the limit is ${level(lv.threshold)}`;
  const jsonJump = (x: Jump | undefined) =>
    x ? { from: x.from.toString(), to: x.to.toString(), reported: x.reported, estimate: x.estimate ?? null, unexplained: x.unexplained } : null;
  const finding: Finding = {
    id: 'margin.jump',
    rule: 'margin.jump',
    severity: lv.severity,
    title:
      `${name} margin rose ${move(j.reported)} (${money(j.from, base)} → ${money(j.to, base)}) with no trade or position change; ` +
      `${because}, as a house-margin change would`,
    detail: { maint: jsonJump(m), init: jsonJump(i), withEstimate, threshold: lv.threshold, anchorAt: anchor.at, currency: base },
  };
  return { memory: { ...common, anchor, since }, findings: [finding] };
};
