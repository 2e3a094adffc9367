// A flatten plan's limits, in the console dialog and the headless plan text, at their contract's decimals and never rounded.
import { describe, expect, it } from 'vitest';
import { flattenLines } from '../../src/commands/console-trading.js';
import { planText } from '../../src/commands/trade.js';
import { dec } from '../../src/model/money.js';
import type { CloseLeg, FlattenPlan } from '../../src/trading/types.js';

const EURUSD = { conId: 12087792, symbol: 'EUR', secType: 'CASH', currency: 'USD', exchange: 'IDEALPRO' };
const ZN = { conId: 815824239, symbol: 'ZN', secType: 'FUT', currency: 'USD', exchange: 'CBOT', localSymbol: 'ZNH7', multiplier: dec('1000') };

const leg = (contract: CloseLeg['contract'], limit: string, mark: string): CloseLeg => ({
  conId: contract.conId,
  contract,
  position: dec('100000'),
  action: 'SELL',
  quantity: dec('100000'),
  orderType: 'LMT',
  limitPrice: dec(limit),
  mark: dec(mark),
});

const plan = (legs: CloseLeg[]): FlattenPlan => ({
  id: 'flat-1',
  scope: { kind: 'all' },
  account: 'DU1234567',
  cancels: [],
  legs,
  baseCurrency: 'USD',
  fingerprint: '',
  positionsPrint: '',
  notes: [],
});

describe('plan limits', () => {
  it("shows the pair's limit at five decimals, as its mark line does (1.05840, not 1.0584 beside 1.08000)", () => {
    const p = plan([leg(EURUSD, '1.0584', '1.08')]);
    // The quantity grouped as the Qty column and the headless plan group it (100,000, not 100000).
    expect(flattenLines(p)[1]).toMatch(/^SELL 100,000 EUR\.USD LMT 1\.05840 /);
    expect(planText(p)[1]).toMatch(/LMT 1\.05840 \(mark 1\.08000\)/);
  });
  it('shows a Treasury future limit to its 64th and its mark at the same decimals', () => {
    const p = plan([leg(ZN, '110.015625', '110.5')]);
    expect(flattenLines(p)[1]).toContain('LMT 110.015625 ');
    expect(planText(p)[1]).toContain('LMT 110.015625 (mark 110.500000)');
  });
});
