// The account values are built when first read, from what the account was when valued: a later market step, fill or
// margin spike must not leak into a valuation taken before it.
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/model/money.js';
import { DEMO_CASH, DEMO_POSITIONS, buildUniverse } from '../../src/sim/instruments.js';
import { Ledger } from '../../src/sim/ledger.js';
import { DEFAULT_MARGIN } from '../../src/sim/margin.js';
import { Market } from '../../src/sim/market.js';
import { valueAccount, type ValuationParams } from '../../src/sim/valuation.js';

const START = Date.parse('2026-03-02T14:30:00Z');

function world() {
  const universe = buildUniverse(START);
  const market = new Market(universe, { tickMs: 250, volScale: 1, jumps: null }, 7, START);
  const ledger = new Ledger('DU1', 'USD', { positions: DEMO_POSITIONS, cash: DEMO_CASH }, universe);
  const params: ValuationParams = { margin: DEFAULT_MARGIN, spike: {} };
  return { universe, market, ledger, params };
}

describe('account values read after the world moved', () => {
  it('are those of the moment of valuation, for the market, the ledger and the margin spike', () => {
    // Two identical worlds: in one the rows are read at once, in the other only after the world changed.
    const a = world();
    const b = world();
    valueAccount(a.ledger, a.market, a.params);
    valueAccount(b.ledger, b.market, b.params);
    for (const w of [a, b]) w.market.step(START + 60_000);
    const now = valueAccount(a.ledger, a.market, a.params);
    const later = valueAccount(b.ledger, b.market, b.params);
    const rowsNow = now.rows.map((r) => `${r.key}|${r.currency}|${r.value}`);

    b.market.step(START + 120_000);
    b.market.shockFactors({ kinds: ['equity', 'index'] }, -10);
    const aapl = b.universe.find((i) => i.conId === 265598)!;
    b.ledger.applyFill(aapl, dec('-500'), dec('200'), dec('1'));
    b.params.spike = { ALL: 3 };

    expect(later.rows.map((r) => `${r.key}|${r.currency}|${r.value}`)).toEqual(rowsNow);
    expect(later.byKey.get('NetLiquidation|USD')).toBe(now.byKey.get('NetLiquidation|USD'));
    // And the change was real: a valuation taken now differs.
    expect(valueAccount(b.ledger, b.market, b.params).byKey.get('MaintMarginReq|USD')).not.toBe(now.byKey.get('MaintMarginReq|USD'));
  });
});
