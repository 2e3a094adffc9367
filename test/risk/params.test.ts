// Stress parameters: defaults, merging of nested rule sets, and every problem reported at once.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MARGIN_RULES, resolveStressParams, stressParams } from '../../src/risk/params.js';

describe('resolveStressParams', () => {
  it('needs only now; nested rules merge field by field over the defaults', () => {
    const r = resolveStressParams({ now: 1, margin: { stockLongMaint: 0.3, fx: { TRY: [0.2, 0.2] } }, rates: { USD: 0.05 } });
    if (!r.ok) throw new Error(r.problems.join());
    expect(r.params.margin.stockLongMaint).toBe(0.3);
    expect(r.params.margin.stockLongInit).toBe(DEFAULT_MARGIN_RULES.stockLongInit);
    expect(r.params.margin.fx.TRY).toEqual([0.2, 0.2]);
    expect(r.params.margin.fx.CHF).toEqual([0.05, 0.03]); // risk-model.md §2.5
    expect(r.params.warnRatio).toBe(1.1);
    expect(r.params.liquidation).toEqual({ priceRange: 0.5, fxRange: 0.3, tolerance: 1e-4 });
  });

  it('reports every problem, each naming its path', () => {
    const r = resolveStressParams({
      now: Number.NaN,
      marginMethod: 'spam' as never,
      warnRatio: 0.5,
      margin: { optionBasePct: -1 },
      portfolioMargin: { pointsPerSide: 2.5 },
      liquidation: { fxRange: 3 },
      bogus: 1,
    } as never);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      'bogus: unknown parameter',
      'now: expected a finite number, got NaN',
      'marginMethod: expected "auto", "regT" or "portfolio", got spam',
      'margin.optionBasePct: -1 is outside [0, 10]',
      'portfolioMargin.pointsPerSide: expected a whole number from 1 to 50, got 2.5',
      'warnRatio: 0.5 is outside [1, 10]',
      'liquidation.fxRange: 3 is outside [0.001, 1]',
    ]);
    expect(() => stressParams({ now: -1 })).toThrow(/now: -1 is outside/);
  });
});
