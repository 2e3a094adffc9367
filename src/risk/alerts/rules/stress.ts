// Stress rules from the stress report: the lowest stressed Cushion over the built-in scenarios, liquidation distances.
import type { AssetClass } from '../../../model/contract.js';
import type { DistanceLimits } from '../../liquidation.js';
import type { ScenarioResult } from '../../report.js';
import { ASSET_CLASS_NAMES } from '../../scenario-text.js';
import { level, money, move, pct } from '../format.js';
import type { Finding } from '../types.js';
import type { AlertConfig, Levels } from '../config.js';
import { clearLevel, levelOf, type RuleContext } from './context.js';

/*
 * The report's scenarios are anchored on the reported account (docs/stress-model.md): a scenario's
 * Cushion is its ExcessLiquidity' / NetLiquidation'. A scenario whose NetLiquidation' is not positive has
 * no Cushion; it counts as −100% (the account is wiped out). Liquidation distances are the smallest
 * uniform shocks (per price class, per currency, along the combined crash) that take ExcessLiquidity to
 * 0 (risk-model.md §1.3); a distance of 0 means ExcessLiquidity is already negative, which excess.negative
 * reports, so it is not repeated here.
 */

function cushionOf(s: ScenarioResult): number {
  return s.cushion !== undefined ? s.cushion.toNumber() : -1;
}

export function stressRules(ctx: RuleContext): Finding[] {
  const report = ctx.stress;
  if (!report) return [];
  const out: Finding[] = [];
  const base = report.baseCurrency;
  const rules = ctx.config.rules;

  const cs = rules['cushion.stressed'];
  if (cs.enabled) {
    const families = new Set(cs.families);
    const considered = report.scenarios.filter((s) => families.has(s.family));
    // Each Cushion read once (a Decimal to a number is a string's parse; the scan compared each twice).
    const cushions = considered.map(cushionOf);
    let w = -1;
    for (let i = 0; i < cushions.length; i++) if (w < 0 || cushions[i]! < cushions[w]!) w = i;
    const worst: ScenarioResult | undefined = considered[w];
    if (worst) {
      const c = cushions[w]!;
      const lv = levelOf(c, cs.below, 'below');
      const target = clearLevel(cs.below, 'below');
      if (lv) {
        const below = cushions.filter((x) => x < lv.threshold).length;
        const head = worst.breach
          ? `"${worst.label}" would liquidate this account: stressed ExcessLiquidity ${money(worst.excessLiquidity, base)} (Cushion ${pct(c)})`
          : `Under "${worst.label}" the Cushion would fall to ${pct(c)} (ExcessLiquidity ${money(worst.excessLiquidity, base)})`;
        out.push({
          id: 'cushion.stressed',
          rule: 'cushion.stressed',
          severity: lv.severity,
          title: `${head}, below the ${level(lv.threshold)} stressed level; ${below} of ${considered.length} scenarios are below it`,
          detail: {
            scenario: worst.id,
            label: worst.label,
            cushion: c,
            excessLiquidity: worst.excessLiquidity.toString(),
            netLiquidation: worst.netLiquidation.toString(),
            threshold: lv.threshold,
            scenariosBelow: below,
            scenarios: considered.length,
            currency: base,
          },
          ...(target !== undefined ? { reduction: { kind: 'stressedCushion', min: target, families: [...cs.families] } as const } : {}),
        });
      }
    }
  }

  const ld = rules['liquidation.distance'];
  if (ld.enabled) {
    for (const d of report.liquidationDistance) {
      if (d.nearest === null || d.nearest === 0) continue;
      const levels = ld.within[d.kind];
      const dist = Math.abs(d.nearest);
      const lv = levelOf(dist, levels, 'below');
      if (!lv) continue;
      const target = clearLevel(levels, 'below');
      const name = d.key.slice(d.key.indexOf(':') + 1);
      const what =
        d.kind === 'px'
          ? `${ASSET_CLASS_NAMES[name as AssetClass] ?? name} ${move(d.nearest)}`
          : d.kind === 'fx'
            ? `${name} ${move(d.nearest)} vs ${base}`
            : `A combined crash with prices ${move(d.nearest)} (the Risk-off scenario scaled)`;
      out.push({
        id: `liquidation.${d.key}`,
        rule: 'liquidation.distance',
        severity: lv.severity,
        title: `${what} would liquidate this account (ExcessLiquidity reaches 0): within the ${level(lv.threshold)} ${lv.severity} limit`,
        detail: { key: d.key, kind: d.kind, nearest: d.nearest, down: d.down, up: d.up, threshold: lv.threshold },
        ...(target !== undefined ? { reduction: { kind: 'liquidationDistance', key: d.key, min: target } as const } : {}),
      });
    }
  }
  return out;
}

/**
 * How far `liquidation.distance` looks, per kind: its farthest level, 0 when the rule is off. A distance beyond it gives
 * the rule no finding, so a risk pass that only the alert rules read need not search farther
 * (StressRunnerOptions.alertLimits).
 */
export function distanceLimitsOf(config: AlertConfig): DistanceLimits {
  const ld = config.rules['liquidation.distance'];
  const far = (levels: Levels) => (ld.enabled ? (clearLevel(levels, 'below') ?? 0) : 0);
  return { px: far(ld.within.px), fx: far(ld.within.fx), crash: far(ld.within.crash) };
}
