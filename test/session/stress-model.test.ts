// The Stress pane's adapter over the risk engine: incremental equals fresh, shares of the worst loss, curves, errors.
import { describe, expect, it } from 'vitest';
import { INITIAL_STATE } from '../../src/model/state.js';
import { CURVE_SHOCKS, createStressRunner, type StressModel } from '../../src/session/stress-model.js';
import { bookState } from '../support/book.js';

function model(r: ReturnType<ReturnType<typeof createStressRunner>>): StressModel {
  if (!r.ok) throw new Error(r.error);
  return r.model;
}

describe('createStressRunner', () => {
  const state = bookState();

  it('builds the heat map for the account: built-in scenarios, currencies and classes held', () => {
    const m = model(createStressRunner()(state, state.lastEventAt));
    expect(m.scenarios[0]).toMatchObject({ label: 'No change', breach: false });
    expect(m.scenarios[0]!.total.isZero()).toBe(true);
    expect(m.currencies).toEqual(['EUR', 'USD']);
    expect(m.classes).toEqual(expect.arrayContaining(['STK', 'OPT']));
    expect(m.worst?.label).toBe('Equities −30%');
    expect([...m.unpriced.keys()]).toEqual([900001]);
  });

  it('attributes the worst loss to positions: the equity book carries all of an equity crash', () => {
    const m = model(createStressRunner()(state, state.lastEventAt));
    const shares = [...m.shareOfWorst.values()];
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(m.shareOfWorst.get(265598)!).toBeGreaterThan(m.shareOfWorst.get(272093)!); // AAPL 114k > MSFT 41k
  });

  it('charts each class and currency from −30% to +30%, zero at no shock, with its liquidation distance', () => {
    const m = model(createStressRunner()(state, state.lastEventAt));
    const stk = m.subjects.find((s) => s.key === 'px:STK')!;
    expect(stk.label).toBe('Equities');
    expect(stk.curve.map((p) => p.shock)).toEqual(CURVE_SHOCKS);
    expect(stk.curve.find((p) => p.shock === 0)!.pnl).toBe(0);
    expect(stk.curve[0]!.pnl).toBeLessThan(0);
    expect(m.subjects.find((s) => s.key === 'fx:EUR')?.label).toBe('EUR vs USD');
    expect(m.subjects.find((s) => s.key === 'crash')?.curve).toEqual([]);
  });

  it('updates incrementally to the same numbers as a fresh build', () => {
    const run = createStressRunner();
    run(state, state.lastEventAt);
    const moved = bookState({ prices: { aapl: '240', msft: '390' } });
    const incremental = model(run(moved, moved.lastEventAt));
    const fresh = model(createStressRunner()(moved, moved.lastEventAt));
    expect(incremental.scenarios.map((s) => s.total.toString())).toEqual(fresh.scenarios.map((s) => s.total.toString()));
    expect(incremental.scenarios[1]!.total.toString()).not.toBe(model(createStressRunner()(state, state.lastEventAt)).scenarios[1]!.total.toString());
  });

  it('says what it waits for instead of throwing before the account arrives', () => {
    expect(createStressRunner()(INITIAL_STATE, 0)).toEqual({ ok: false, error: 'waiting for the account and its positions', waiting: true });
  });
});
