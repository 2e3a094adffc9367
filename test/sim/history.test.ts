// Historical bars (issue 18 item 3): a seeded year of daily bars before the start for every underlying, intraday bars
// that agree with them, and bars of the session from the simulated path, through the real @stoqey/ib client at 193.
import { describe, it, expect, afterAll } from 'vitest';
import { EventName, SecType, WhatToShow, BarSizeSetting, type IBApi } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

type Row = [number, string, number, number, number, number, number, number, number];
const AAPL = { conId: 265598, symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

/** Sends one reqHistoricalData and returns its bars (the client ends the list with a "finished" row). */
async function bars(api: IBApi, rec: Recorder, reqId: number, args: Parameters<IBApi['reqHistoricalData']>): Promise<Row[]> {
  api.reqHistoricalData(...args);
  const mine = () => (rec.of(EventName.historicalData) as Row[]).filter((r) => r[0] === reqId);
  await waitFor(() => mine().some((r) => r[1].startsWith('finished')) || rec.errors.some((e) => e.reqId === reqId), 20_000, `bars ${reqId}`);
  return mine().filter((r) => !r[1].startsWith('finished'));
}

describe('historical data', () => {
  const sims: Simulator[] = [];
  const apis: IBApi[] = [];

  afterAll(async () => {
    disconnectAll(...apis);
    for (const s of sims) await s.close();
  });

  async function client(seed: number, clientId: number): Promise<{ sim: Simulator; api: IBApi; rec: Recorder }> {
    const { sim } = await startTestSim({ seed, speed: 0 });
    sims.push(sim);
    const { api, rec } = await connectApi(sim.port, clientId);
    apis.push(api);
    return { sim, api, rec };
  }

  it('a year of daily bars before the start: trading days only, ending at the start mark, the same for the same seed', async () => {
    const a = await client(11, 501);
    const daily = await bars(a.api, a.rec, 1, [1, AAPL, '', '1 Y', BarSizeSetting.DAYS_ONE, WhatToShow.TRADES, 1, 1, false]);
    const dates = daily.map((r) => r[1]);
    expect(daily.length).toBeGreaterThanOrEqual(245);
    expect(dates).toContain('20260213');
    expect(dates).not.toContain('20260216'); // Presidents' Day
    expect(dates).not.toContain('20260228'); // Saturday
    expect(dates).not.toContain('20251225');
    const last = daily.find((r) => r[1] === '20260227')!;
    expect(last[5]).toBe(228.5); // AAPL's start price in the simulator's factor table
    for (const [, , open, high, low, close] of daily) {
      expect(low).toBeLessThanOrEqual(Math.min(open, close));
      expect(high).toBeGreaterThanOrEqual(Math.max(open, close));
    }
    const b = await client(11, 502);
    const again = await bars(b.api, b.rec, 1, [1, AAPL, '', '1 Y', BarSizeSetting.DAYS_ONE, WhatToShow.TRADES, 1, 1, false]);
    expect(again.filter((r) => r[1] < '20260302')).toEqual(daily.filter((r) => r[1] < '20260302'));
    const c = await client(12, 503);
    const other = await bars(c.api, c.rec, 1, [1, AAPL, '', '1 M', BarSizeSetting.DAYS_ONE, WhatToShow.TRADES, 1, 1, false]);
    expect(other.find((r) => r[1] === '20260226')![5]).not.toBe(daily.find((r) => r[1] === '20260226')![5]);
  });

  it('intraday bars before the start run through the regular session in New York time and close at the daily close', async () => {
    const { api, rec } = await client(11, 504);
    const daily = await bars(api, rec, 2, [2, AAPL, '20260227 21:00:00 UTC', '1 D', BarSizeSetting.DAYS_ONE, WhatToShow.TRADES, 1, 1, false]);
    const five = await bars(api, rec, 3, [3, AAPL, '20260227 21:00:00 UTC', '1 D', BarSizeSetting.MINUTES_FIVE, WhatToShow.TRADES, 1, 1, false]);
    expect(five).toHaveLength(78);
    expect(five[0]![1]).toBe('20260227 09:30:00 US/Eastern');
    expect(five[77]![1]).toBe('20260227 15:55:00 US/Eastern');
    expect(five[77]![5]).toBe(daily.find((r) => r[1] === '20260227')![5]);
    expect(five[0]![2]).toBe(daily.find((r) => r[1] === '20260227')![2]);
  });

  it('bars of the session come from the simulated path; options and second bars get error 162', async () => {
    const { sim, api, rec } = await client(11, 505);
    sim.advance(30 * 60_000);
    const mins = await bars(api, rec, 4, [4, AAPL, '', '1800 S', BarSizeSetting.MINUTES_ONE, WhatToShow.TRADES, 1, 2, false]);
    expect(mins.length).toBeGreaterThanOrEqual(25);
    // formatDate 2: epoch seconds, all within the 30 virtual minutes after the start (2 March 2026 14:30 UTC).
    for (const r of mins) {
      expect(Number(r[1])).toBeGreaterThanOrEqual(1_772_461_800);
      expect(Number(r[1])).toBeLessThan(1_772_461_800 + 1800);
    }
    await bars(api, rec, 5, [5, { conId: 734559211, exchange: 'SMART' }, '', '1 D', BarSizeSetting.HOURS_ONE, WhatToShow.TRADES, 1, 1, false]);
    await bars(api, rec, 6, [6, AAPL, '', '60 S', BarSizeSetting.SECONDS_ONE, WhatToShow.TRADES, 1, 1, false]);
    expect(rec.errors.find((e) => e.reqId === 5)!.code).toBe(162);
    expect(rec.errors.find((e) => e.reqId === 6)!.code).toBe(162);
    expect(rec.errors.filter((e) => e.code === 505)).toEqual([]);
  });

  it("refuses a bar size TWS does not offer ('7 mins') and TRADES on a currency pair with 162, as TWS does", async () => {
    const { api, rec } = await client(11, 603);
    const EURUSD = { conId: 12087792, symbol: 'EUR', secType: SecType.CASH, exchange: 'IDEALPRO', currency: 'USD' };
    expect(await bars(api, rec, 7, [7, AAPL, '', '1 D', '7 mins' as BarSizeSetting, WhatToShow.TRADES, 1, 1, false])).toEqual([]);
    expect(await bars(api, rec, 8, [8, EURUSD, '', '1 D', BarSizeSetting.HOURS_ONE, WhatToShow.TRADES, 1, 1, false])).toEqual([]);
    expect(rec.errors.find((e) => e.reqId === 7)).toMatchObject({
      code: 162,
      message: 'Historical Market Data Service error message:Invalid bar size: 7 mins',
    });
    expect(rec.errors.find((e) => e.reqId === 8)).toMatchObject({
      code: 162,
      message: 'Historical Market Data Service error message:No historical market data for EUR/CASH@IDEALPRO Last 3600',
    });
    // The same pair by MIDPOINT, and a bar size TWS offers, are served.
    expect((await bars(api, rec, 9, [9, EURUSD, '', '1 W', BarSizeSetting.HOURS_ONE, WhatToShow.MIDPOINT, 1, 1, false])).length).toBeGreaterThan(0);
    expect((await bars(api, rec, 10, [10, AAPL, '', '1 W', BarSizeSetting.MINUTES_TWENTY, WhatToShow.TRADES, 1, 1, false])).length).toBeGreaterThan(0);
  });
});
