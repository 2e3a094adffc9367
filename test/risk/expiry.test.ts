// Options at and around expiry in the risk engine: the New York close across DST, intrinsic value after it, sane
// prices in the last minutes, and no position left unpriced because TWS stopped sending greeks for an expired option.
import { describe, expect, it } from 'vitest';
import { reduceAll } from '../../src/model/reducer.js';
import { expiryInstant } from '../../src/risk/expiry.js';
import { buildStressGrid, updateStressGrid } from '../../src/risk/grid.js';
import { stressParams } from '../../src/risk/params.js';
import {
  americanPriceBatch,
  black76AmericanPrice,
  bsmAmericanPrice,
  bsmPrice,
  europeanPriceBatch,
  gbsPrice,
  type OptionBatch,
} from '../../src/risk/pricing/index.js';
import { stressReportFromGrid } from '../../src/risk/report.js';
import { EventLog, option, stock } from '../support/events.js';
import { av, greeks, holding, report, result, scenario } from './stress-fixtures.js';

const YEAR_MS = 365 * 86_400_000;
const iso = (t: number) => (Number.isNaN(t) ? 'NaN' : new Date(t).toISOString());

describe('expiry instant: 16:00 New York on the expiry date', () => {
  it.each([
    ['20260116', '2026-01-16T21:00:00.000Z', 'winter (EST)'],
    ['20260306', '2026-03-06T21:00:00.000Z', 'the Friday before daylight time starts'],
    ['20260308', '2026-03-08T20:00:00.000Z', 'the Sunday daylight time starts'],
    ['20260320', '2026-03-20T20:00:00.000Z', 'summer (EDT)'],
    ['20261030', '2026-10-30T20:00:00.000Z', 'the last Friday of daylight time'],
    ['20261101', '2026-11-01T21:00:00.000Z', 'the Sunday daylight time ends'],
    ['20281229', '2028-12-29T21:00:00.000Z', 'a year end'],
    ['202612', 'NaN', 'a futures month has no day'],
    ['20261399', 'NaN', 'not a date'],
  ])('%s → %s (%s)', (expiry, expected) => {
    expect(iso(expiryInstant(expiry, 16))).toBe(expected);
  });
});

describe('pricing as T → 0: finite, within a hair of intrinsic, intrinsic at and after expiry', () => {
  const S = 100,
    r = 0.05,
    vol = 0.3;
  const times: ReadonlyArray<readonly [string, number]> = [
    ['one hour', 1 / (365 * 24)],
    ['one minute', 1 / (365 * 24 * 60)],
    ['one second', 1 / (365 * 86_400)],
    ['1e-15 years', 1e-15],
    ['zero', 0],
    ['a day past', -1 / 365],
  ];
  for (const [what, T] of times) {
    it(`${what}`, () => {
      // The largest time value an at-the-money option can have with this much time left, plus discounting slack.
      const bound = T > 0 ? 0.5 * S * vol * Math.sqrt(T) + S * r * T + 1e-12 : 0;
      for (const K of [90, 100, 110]) {
        for (const call of [true, false]) {
          const iv = Math.max(0, call ? S - K : K - S);
          const prices = [
            gbsPrice(call, S, K, T, r, r, vol),
            bsmPrice({ right: call ? 'C' : 'P', S, K, T, r, vol }),
            bsmAmericanPrice({ right: call ? 'C' : 'P', S, K, T, r, vol }),
            black76AmericanPrice({ right: call ? 'C' : 'P', F: S, K, T, r, vol }),
          ];
          const n = 2;
          const f = () => new Float64Array(n);
          const batch: OptionBatch = {
            S: f().fill(S),
            pvDividend: f(),
            K: f().fill(K),
            T: f().fill(T),
            r: f().fill(r),
            b: f().fill(r),
            vol: new Float64Array([vol, 0]),
            isCall: new Uint8Array(n).fill(call ? 1 : 0),
          };
          const eu = f(),
            am = f();
          europeanPriceBatch(eu, batch, n);
          americanPriceBatch(am, batch, n);
          prices.push(...eu, ...am);
          for (const p of prices) {
            expect(Number.isFinite(p), `${what} K=${K} ${call ? 'C' : 'P'}: ${p}`).toBe(true);
            expect(Math.abs(p - iv), `${what} K=${K} ${call ? 'C' : 'P'}: ${p} vs intrinsic ${iv}`).toBeLessThanOrEqual(bound + 1e-9);
          }
        }
      }
    });
  }
});

/** A small USD book: 2 AAPL calls (K 220) and 1 SPX put (K 6050) expiring 20 March 2026, and the AAPL stock. */
function expiringBook(withGreeks: boolean) {
  const aapl = stock(265598, 'AAPL', 'USD');
  const call = option(7001, 'AAPL', '20260320', '220', 'C');
  const put = option(7002, 'SPX', '20260320', '6050', 'P');
  return [
    av('NetLiquidation', '1000000'),
    av('EquityWithLoanValue', '1000000'),
    av('CashBalance', '1000000', 'USD'),
    holding(aapl, '100', '228.50'),
    holding(call, '2', '8.60'),
    holding(put, '1', '50.20'),
    ...(withGreeks ? [greeks(7001, 0.28, 228.5), greeks(7002, 0.17, 6000)] : [greeks(7001, undefined, 228.5), greeks(7002, undefined, 6000)]),
  ];
}

const EXPIRY = Date.parse('2026-03-20T20:00:00Z'); // 16:00 New York under daylight time

describe('an expiring option in the stress report', () => {
  it('after 16:00 New York every scenario values it at intrinsic (not 21:00 UTC, an hour later)', () => {
    const r = report(expiringBook(true), ['px:STK=+10%', 'px:STK=-10%', 'px:IND=-10%,vol=+50%'], { now: EXPIRY + 5 * 60_000 });
    expect(r.unpriced).toEqual([]);
    // AAPL 228.5: the call's intrinsic goes 8.5 → 31.35 (+10%) and → 0 (−10%); 2 × 100 each. The stock adds 100 × ±22.85.
    expect(Number(result(r, 'px:STK=+10%').pnl.total)).toBeCloseTo(2 * 100 * (31.35 - 8.5) + 100 * 22.85, 6);
    expect(Number(result(r, 'px:STK=-10%').pnl.total)).toBeCloseTo(2 * 100 * (0 - 8.5) - 100 * 22.85, 6);
    // SPX 6000 → 5400: the 6050 put's intrinsic goes 50 → 650 whatever the vol; 1 × 100.
    expect(Number(result(r, 'px:IND=-10%,vol=+50%').pnl.total)).toBeCloseTo(100 * (650 - 50), 6);
  });

  it('in its last minutes it still has time value, and every figure is finite', () => {
    const r = report(expiringBook(true), ['px:STK=+10%', 'px:STK=-10%'], { now: EXPIRY - 5 * 60_000, clockStepMs: 1000 });
    expect(r.unpriced).toEqual([]);
    const down = Number(result(r, 'px:STK=-10%').pnl.total);
    const up = Number(result(r, 'px:STK=+10%').pnl.total);
    expect(Number.isFinite(down) && Number.isFinite(up)).toBe(true);
    // Losses at most the call's premium plus the stock's fall; gains near intrinsic's.
    expect(down).toBeLessThan(-100 * 22.85);
    expect(down).toBeGreaterThan(-100 * 22.85 - 2 * 100 * 9);
    expect(up).toBeGreaterThan(100 * 22.85 + 2 * 100 * (31.35 - 9));
  });

  it('with no implied vol (TWS stops sending greeks): unpriced before expiry, intrinsic after it', () => {
    const before = report(expiringBook(false), ['px:STK=+10%'], { now: EXPIRY - 3_600_000 });
    expect(before.unpriced.map((u) => [u.conId, u.reason])).toEqual([
      [7001, 'no implied vol'],
      [7002, 'no implied vol'],
    ]);
    const after = report(expiringBook(false), ['px:STK=+10%'], { now: EXPIRY });
    expect(after.unpriced).toEqual([]);
    expect(Number(result(after, 'px:STK=+10%').pnl.total)).toBeCloseTo(2 * 100 * (31.35 - 8.5) + 100 * 22.85, 6);
  });

  it('the live grid, its clock rolling over the expiry with no new event, prices the greekless options at intrinsic', () => {
    const log = new EventLog(EXPIRY - 7_200_000);
    log.pushAll(expiringBook(false));
    const state = reduceAll(log.events);
    const scenarios = [scenario('px:STK=+10%')];
    const grid = buildStressGrid(
      state,
      scenarios.map((s) => s.shocks),
      stressParams({ now: EXPIRY - 3_600_000 }),
    );
    expect(stressReportFromGrid(grid, state, scenarios).unpriced).toHaveLength(2);
    updateStressGrid(grid, state, EXPIRY + 1000, []);
    const r = stressReportFromGrid(grid, state, scenarios);
    expect(r.unpriced).toEqual([]);
    expect(Number(r.scenarios[0]!.pnl.total)).toBeCloseTo(2 * 100 * (31.35 - 8.5) + 100 * 22.85, 6);
  });

  it("runs on TWS's clock: a local clock an hour behind still sees the options expired when TWS says they are", () => {
    // TWS reports its time (brokerTimeReceived) one hour and one second ahead of this machine, which reads an hour
    // before the expiry: the market's clock is past it, and the greekless options are worth intrinsic.
    const local = EXPIRY - 3_600_000;
    const log = new EventLog(local - 60_000);
    log.pushAll(expiringBook(false));
    log.push({ type: 'brokerTimeReceived', time: EXPIRY + 1000 }, local);
    const state = reduceAll(log.events);
    expect(state.brokerTimeOffsetMs).toBe(3_601_000);
    const scenarios = [scenario('px:STK=+10%')];
    const grid = buildStressGrid(
      state,
      scenarios.map((s) => s.shocks),
      stressParams({ now: local }),
    );
    const r = stressReportFromGrid(grid, state, scenarios);
    expect(r.unpriced).toEqual([]);
    expect(Number(r.scenarios[0]!.pnl.total)).toBeCloseTo(2 * 100 * (31.35 - 8.5) + 100 * 22.85, 6);
    // And the update path: the same local time, the same answer.
    updateStressGrid(grid, state, local + 1000, []);
    expect(stressReportFromGrid(grid, state, scenarios).unpriced).toEqual([]);
  });

  it("depends on the market's time only: the same market instant from any local clock gives the same figures", () => {
    // Two machines an hour and two years from TWS's clock, both at the same market instant: every figure, the margin
    // method's evidence included (it builds grids of its own), must agree.
    const market = EXPIRY - 30 * 86_400_000;
    const reportAt = (offset: number) => {
      const log = new EventLog(market - offset - 60_000);
      log.pushAll(expiringBook(true));
      // A reported securities requirement: the margin method (auto) then compares estimates built from grids of its own.
      log.pushAll([av('MaintMarginReq-S', '9000'), av('MaintMarginReq', '9000'), av('InitMarginReq-S', '12000'), av('InitMarginReq', '12000')]);
      log.push({ type: 'brokerTimeReceived', time: market }, market - offset);
      const state = reduceAll(log.events);
      const scenarios = [scenario('px:STK=-10%'), scenario('px:STK=+10%')];
      const grid = buildStressGrid(
        state,
        scenarios.map((s) => s.shocks),
        stressParams({ now: market - offset, marginMethod: 'auto' }),
      );
      const r = stressReportFromGrid(grid, state, scenarios);
      expect(grid.marginChoice.source).toBe('requirement');
      return JSON.stringify({ scenarios: r.scenarios.map((x) => [x.pnl.total, x.maintMargin]), method: grid.marginChoice });
    };
    expect(reportAt(3_600_000)).toBe(reportAt(0));
    expect(reportAt(-2 * YEAR_MS)).toBe(reportAt(0));
  });
});
