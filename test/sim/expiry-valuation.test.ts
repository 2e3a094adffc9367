// The simulator's own marks for an option at and around its expiry: intrinsic value at and after it, finite greeks
// and a sane quote in its last minutes, and an account that values it without NaN.
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/model/money.js';
import { Ledger } from '../../src/sim/ledger.js';
import { DEFAULT_MARGIN } from '../../src/sim/margin.js';
import { Market } from '../../src/sim/market.js';
import { DEMO_CASH, DEMO_POSITIONS, FRONT_AAPL_CALL, FRONT_SPX_PUT, buildUniverse } from '../../src/sim/instruments.js';
import { valueAccount } from '../../src/sim/valuation.js';

/** 15:55 New York on Friday 20 March 2026; the front options expire at 16:00 (20:00 UTC). */
const START = Date.parse('2026-03-20T19:55:00Z');
const EXPIRY = Date.parse('2026-03-20T20:00:00Z');
const universe = buildUniverse(START);
const call = universe.find((i) => i.conId === FRONT_AAPL_CALL)!;
const put = universe.find((i) => i.conId === FRONT_SPX_PUT)!;

/** A frozen market (volScale 0: AAPL stays 228.50, SPX 6000) stepped to `t`. */
function marketAt(t: number): Market {
  const m = new Market(universe, { tickMs: 250, volScale: 0, jumps: null }, 1, START);
  m.step(t);
  return m;
}

describe('simulator marks around expiry', () => {
  it.each([
    ['at the expiry instant', EXPIRY],
    ['a minute after', EXPIRY + 60_000],
    ['a week after', EXPIRY + 7 * 86_400_000],
  ])('%s: the AAPL 220 call marks 8.50 and the SPX 6050 put 50, with the greeks of intrinsic value', (_what, t) => {
    const m = marketAt(t);
    const c = m.quote(call),
      p = m.quote(put);
    expect(c.mark).toBe(8.5);
    expect(p.mark).toBe(50);
    expect([c.option!.delta, c.option!.gamma, c.option!.vega, c.option!.theta]).toEqual([1, 0, 0, 0]);
    expect([p.option!.delta, p.option!.gamma, p.option!.vega, p.option!.theta]).toEqual([-1, 0, 0, 0]);
    expect(c.bid!).toBeLessThanOrEqual(8.5);
    expect(c.ask!).toBeGreaterThanOrEqual(8.5);
  });

  it.each([
    ['five minutes before', EXPIRY - 5 * 60_000],
    ['one second before', EXPIRY - 1000],
    ['one millisecond before', EXPIRY - 1],
  ])('%s: finite marks and greeks, within cents of intrinsic, never below it by more than discounting', (_what, t) => {
    const m = marketAt(t);
    for (const [q, intrinsic] of [
      [m.quote(call), 8.5],
      [m.quote(put), 50],
    ] as const) {
      for (const v of [q.mark, q.bid!, q.ask!, q.option!.delta, q.option!.gamma, q.option!.vega, q.option!.theta]) expect(Number.isFinite(v)).toBe(true);
      expect(Math.abs(q.mark - intrinsic)).toBeLessThan(0.05);
      expect(q.bid!).toBeLessThanOrEqual(q.ask!);
    }
  });

  it('the account holding them past expiry values to finite figures, the options at intrinsic × 100', () => {
    const ledger = new Ledger(
      'DU1',
      'USD',
      {
        positions: [
          ...DEMO_POSITIONS,
          { conId: FRONT_AAPL_CALL, quantity: '4', avgPrice: '7.40' },
          { conId: FRONT_SPX_PUT, quantity: '-2', avgPrice: '61.00' },
        ],
        cash: DEMO_CASH,
      },
      universe,
    );
    const view = valueAccount(ledger, marketAt(EXPIRY + 60_000), { margin: DEFAULT_MARGIN, spike: {} });
    for (const r of view.rows) if (/^-?\d/.test(r.value)) expect(Number.isFinite(Number(r.value)), r.key).toBe(true);
    const row = (conId: number) => view.portfolio.find((x) => x.inst.conId === conId)!;
    expect(row(FRONT_AAPL_CALL).marketValue.eq(dec('3400'))).toBe(true); // 4 × 8.50 × 100
    expect(row(FRONT_SPX_PUT).marketValue.eq(dec('-10000'))).toBe(true); // −2 × 50 × 100
  });
});
