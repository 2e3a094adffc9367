// Historical data with keepUpToDate (issue 18): after the bars, TWS keeps sending the last bar (HISTORICAL_DATA_UPDATE)
// as the market moves, a new bar when the old one ends, until cancelHistoricalData; an end date is refused with 321.
// Read by a raw client at 157 in the official field order, and by the real @stoqey/ib client at 193.
import { describe, it, expect, afterAll } from 'vitest';
import { BarSizeSetting, EventName, WhatToShow, type IBApi } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, decodingErrors, disconnectAll, startTestSim, waitFor } from './helpers.js';
import { decodeError, decodeHistoricalData, decodeHistoricalDataUpdate } from './official-decoder.js';
import { RawClient, frame } from './raw-client.js';

const AAPL = 265598;
/** The session start (2 March 2026 14:30 UTC, the New York open) in epoch seconds. */
const T0_S = 1_772_461_800;

/** REQ_HISTORICAL_DATA at sv ≥ 124 (no version field), in the official client's order. */
function histFrame(reqId: number, end: string, barSize: string, duration: string, keepUpToDate: boolean): Buffer {
  return frame([
    20,
    reqId,
    AAPL,
    'AAPL',
    'STK',
    '',
    0,
    '',
    '',
    'SMART',
    '',
    'USD',
    '',
    '',
    0,
    end,
    barSize,
    duration,
    1,
    'TRADES',
    2,
    keepUpToDate ? 1 : 0,
    '',
  ]);
}

describe('historical data kept up to date', () => {
  const sims: Simulator[] = [];
  let raw: RawClient | undefined;
  let api: IBApi | undefined;

  afterAll(async () => {
    raw?.close();
    disconnectAll(api);
    for (const s of sims) await s.close();
  });

  it('at 157: the last bar follows the market, the next bar starts on its boundary, a cancel stops it, an end date gets 321', async () => {
    const { sim } = await startTestSim({ speed: 0 });
    sims.push(sim);
    sim.advance(12 * 60_000);
    raw = new RawClient(sim.port);
    await raw.start(701, 'v157..157');
    const c = raw;
    const updates = (from = 0) =>
      c.frames
        .slice(from)
        .filter((f) => f[0] === '90')
        .map(decodeHistoricalDataUpdate)
        .filter((u) => u.reqId === '11');
    const roundTrip = async () => {
      const n = c.count(49);
      c.write(frame([49, 1]));
      await waitFor(() => c.count(49) > n, 20_000, 'current time');
    };

    c.write(histFrame(12, '20260302 14:40:00 UTC', '5 mins', '1800 S', true));
    c.write(histFrame(11, '', '5 mins', '1800 S', true));
    await waitFor(() => c.count(17) === 1 && c.count(4) > 0, 20_000, 'the bars and the refusal');
    const refusal = c.frames
      .filter((f) => f[0] === '4')
      .map((f) => decodeError(157, f))
      .find((e) => e.reqId === '12')!;
    expect(refusal.code).toBe('321');
    expect(refusal.message).toContain('End date not supported with live updates');
    const hist = decodeHistoricalData(c.frames.find((f) => f[0] === '17')!);
    expect(hist.reqId).toBe(11);
    expect(hist.bars.map((b) => Number(b.date))).toEqual([T0_S, T0_S + 300, T0_S + 600]);

    // Step the market a quarter of a second at a time through the rest of the 14:40 bar and into the next one.
    for (let k = 0; k < 4 * 60 * 4; k++) sim.advance(250);
    await roundTrip();
    const seen = updates();
    const dates = [...new Set(seen.map((u) => Number(u.date)))];
    expect(dates).toEqual([T0_S + 600, T0_S + 900]);
    // The unfinished bar changes many times inside its minute, not only once a minute.
    expect(seen.filter((u) => Number(u.date) === T0_S + 600).length).toBeGreaterThan(4);
    for (const u of seen) {
      expect(Number(u.high)).toBeGreaterThanOrEqual(Math.max(Number(u.open), Number(u.close)));
      expect(Number(u.low)).toBeLessThanOrEqual(Math.min(Number(u.open), Number(u.close)));
    }
    expect(new Set(seen.filter((u) => Number(u.date) === T0_S + 600).map((u) => u.open))).toEqual(new Set([hist.bars[2]!.open]));
    const aapl = sim.snapshot().positions.find((p) => p.conId === AAPL)!;
    expect(Number(seen.at(-1)!.close)).toBeCloseTo(Number(aapl.marketPrice), 2);

    c.write(frame([25, 1, 11]));
    await roundTrip();
    const mark = c.frames.length;
    for (let k = 0; k < 40; k++) sim.advance(250);
    c.write(frame([25, 1, 11]));
    await waitFor(() => c.frames.slice(mark).some((f) => f[0] === '4'), 20_000, 'the second cancel refused');
    expect(updates(mark)).toEqual([]);
    const again = decodeError(
      157,
      c.frames.slice(mark).find((f) => f[0] === '4')!,
    );
    expect(again).toMatchObject({ reqId: '11', code: '366' });
  });

  it('at 193 through @stoqey/ib: historicalDataUpdate events follow the bars', async () => {
    const { sim } = await startTestSim({ speed: 0 });
    sims.push(sim);
    sim.advance(3 * 60_000);
    const c = await connectApi(sim.port, 702);
    api = c.api;
    api.reqHistoricalData(21, { conId: AAPL, exchange: 'SMART' }, '', '600 S', BarSizeSetting.MINUTES_ONE, WhatToShow.TRADES, 1, 2, true);
    await waitFor(() => c.rec.of(EventName.historicalData).some((r) => r[0] === 21 && String(r[1]).startsWith('finished')), 20_000, 'the bars');
    for (let k = 0; k < 4 * 90; k++) sim.advance(250);
    await waitFor(
      () =>
        new Set(
          c.rec
            .of(EventName.historicalDataUpdate)
            .filter((r) => r[0] === 21)
            .map((r) => r[1]),
        ).size >= 2,
      20_000,
      'updates of two bars',
    );
    const dates = c.rec.of(EventName.historicalDataUpdate).map((r) => Number(r[1]));
    // At 14:33:00 the 14:32 bar is complete; the updates start with the 14:33 bar.
    expect(Math.min(...dates)).toBe(T0_S + 180);
    expect(dates.every((d) => d % 60 === 0)).toBe(true);
    // Daily bars too: today's bar (the session day of the start) follows the market.
    api.reqHistoricalData(22, { conId: AAPL, exchange: 'SMART' }, '', '5 D', BarSizeSetting.DAYS_ONE, WhatToShow.TRADES, 1, 1, true);
    await waitFor(() => c.rec.of(EventName.historicalData).some((r) => r[0] === 22 && String(r[1]).startsWith('finished')), 20_000, 'the daily bars');
    const n = c.rec.of(EventName.historicalDataUpdate).filter((r) => r[0] === 22).length;
    for (let k = 0; k < 8; k++) sim.advance(250);
    await waitFor(() => c.rec.of(EventName.historicalDataUpdate).filter((r) => r[0] === 22).length > n, 20_000, 'a daily update');
    const daily = c.rec
      .of(EventName.historicalDataUpdate)
      .filter((r) => r[0] === 22)
      .at(-1)!;
    expect(daily[1]).toBe('20260302');
    expect(Number(daily[5])).toBeCloseTo(Number(sim.snapshot().positions.find((p) => p.conId === AAPL)!.marketPrice), 2);
    expect(decodingErrors(c.rec)).toEqual([]);
  });
});
