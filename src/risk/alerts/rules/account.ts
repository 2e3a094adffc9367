// Account rules from the values TWS reports: ExcessLiquidity below zero, IBKR's 110% warning, Cushion bands.
import { accountValue, baseValue } from '../../../model/account-values.js';
import type { Decimal } from '../../../model/money.js';
import { level, money, pct } from '../format.js';
import type { Finding } from '../types.js';
import { clearLevel, levelOf, type RuleContext } from './context.js';

/*
 * risk-model.md §1.3: IBKR liquidates, in real time and with market orders, as soon as ExcessLiquidity
 * (EquityWithLoanValue − MaintMarginReq) is below 0; its one warning fires at ELV ≤ 110% of maintenance;
 * TWS colours the Cushion (ExcessLiquidity / NetLiquidation). These read the reported values (TWS pushes
 * them on change and about every 3 minutes); the stress rules look at what could happen next.
 */

/** Reported account numbers in base currency; ExcessLiquidity and Cushion computed when TWS sent none. */
export function accountNumbers(ctx: RuleContext): {
  base: string;
  nlv?: Decimal;
  elv?: Decimal;
  maint?: Decimal;
  excess?: Decimal;
  cushion?: number;
} {
  const s = ctx.state;
  const base = s.baseCurrency ?? 'USD';
  const nlv = baseValue(s, 'NetLiquidation');
  const elv = baseValue(s, 'EquityWithLoanValue');
  const maint = baseValue(s, 'MaintMarginReq');
  const excess = baseValue(s, 'ExcessLiquidity') ?? (elv && maint ? elv.sub(maint) : undefined);
  const reported = accountValue(s, 'Cushion', '')?.value;
  const cushion = reported !== undefined ? reported.toNumber() : excess && nlv && nlv.gt(0) ? excess.div(nlv).toNumber() : undefined;
  return {
    base,
    ...(nlv ? { nlv } : {}),
    ...(elv ? { elv } : {}),
    ...(maint ? { maint } : {}),
    ...(excess ? { excess } : {}),
    ...(cushion !== undefined ? { cushion } : {}),
  };
}

export function accountRules(ctx: RuleContext): Finding[] {
  const rules = ctx.config.rules;
  const { base, nlv, elv, maint, excess, cushion } = accountNumbers(ctx);
  const out: Finding[] = [];
  const str = (d: Decimal | undefined) => (d ? d.toString() : null);

  if (rules['excess.negative'].enabled && excess && excess.lt(0)) {
    out.push({
      id: 'excess.negative',
      rule: 'excess.negative',
      severity: rules['excess.negative'].severity,
      title:
        `ExcessLiquidity is ${money(excess, base)}: IBKR liquidates positions in real time with market orders until it is back above 0` +
        (elv && maint ? ` (EquityWithLoanValue ${money(elv, base)}, maintenance ${money(maint, base)})` : ''),
      detail: { excessLiquidity: excess.toString(), equityWithLoanValue: str(elv), maintMarginReq: str(maint), currency: base },
      reduction: { kind: 'excessLiquidity', min: 0 },
    });
  }

  const mw = rules['margin.warning'];
  if (mw.enabled && elv && maint && maint.gt(0) && elv.lte(maint.mul(mw.ratio))) {
    const ratio = elv.div(maint).toNumber();
    out.push({
      id: 'margin.warning',
      rule: 'margin.warning',
      severity: mw.severity,
      title:
        `EquityWithLoanValue ${money(elv, base)} is within ${pct(mw.ratio - 1, 0)} of the maintenance requirement ${money(maint, base)} ` +
        `(${ratio.toFixed(3)}×): IBKR's margin warning line`,
      detail: { equityWithLoanValue: elv.toString(), maintMarginReq: maint.toString(), ratio, limit: mw.ratio, currency: base },
      reduction: { kind: 'equityToMaint', min: mw.ratio },
    });
  }

  const cb = rules['cushion.band'];
  if (cb.enabled && cushion !== undefined) {
    const lv = levelOf(cushion, cb.below, 'below');
    const target = clearLevel(cb.below, 'below');
    if (lv) {
      out.push({
        id: 'cushion.band',
        rule: 'cushion.band',
        severity: lv.severity,
        title:
          `Cushion is ${pct(cushion)}, below the ${level(lv.threshold)} ${lv.severity} band` +
          (excess && nlv ? `: ExcessLiquidity ${money(excess, base)} on NetLiquidation ${money(nlv, base)}` : ''),
        detail: { cushion, threshold: lv.threshold, excessLiquidity: str(excess), netLiquidation: str(nlv), currency: base },
        ...(target !== undefined ? { reduction: { kind: 'cushion', min: target } as const } : {}),
      });
    }
  }
  return out;
}
