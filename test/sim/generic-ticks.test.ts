// reqMktData's generic tick list through @stoqey/ib: a list TWS refuses gets its 321 (the text a gateway sent),
// generic ticks on a snapshot are refused, and 165 (week ranges, average volume) and 236 (shortable) are served.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, SecType, type Contract, type IBApi } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

const AAPL: Contract = { conId: 265598, exchange: 'SMART', secType: SecType.STK };
const EURUSD: Contract = { conId: 12087792, exchange: 'IDEALPRO', secType: SecType.CASH };

// The 321 an IB gateway sent for a refused STK list (10 Feb 2026), with this request's list in it.
const STK_LEGAL =
  '100(Option Volume),101(Option Open Interest),105(Average Opt Volume),106(impvolat),165(Misc. Stats),221/220(Creditman Mark Price),' +
  '225(Auction),232/221(Pl Price),233(RTVolume),236(inventory),258/47(Fundamentals),292(Wide_news),293(TradeCount),294(TradeRate),' +
  '295(VolumeRate),318(LastRTHTrade),375(RTTrdVolume),411(rthistvol),456/59(IBDividends),460(Bond Factor Multiplier),' +
  '577(EtfNavLast(navlast)),586(IPOHLMPRC),587(Pl Price Delayed),588(Futures Open Interest),595(Short-Term Volume X Mins),' +
  '614(EtfNavMisc(high/low)),619(Creditman Slow Mark Price),623(EtfFrozenNavLast(fznavlast))';

describe('generic tick lists', () => {
  let sim: Simulator;
  let api: IBApi;
  let rec: Recorder;

  beforeAll(async () => {
    ({ sim } = await startTestSim({ speed: 0 }));
    ({ api, rec } = await connectApi(sim.port, 701));
  });

  afterAll(async () => {
    disconnectAll(api);
    await sim.close();
  });

  const errorOf = (reqId: number) => rec.errors.find((e) => e.reqId === reqId);
  const ticks = (reqId: number, event: EventName) =>
    new Map(
      rec
        .of(event)
        .filter((a) => a[0] === reqId)
        .map((a) => [a[1] as number, a[2] as number]),
    );

  it('refuses an unknown id, a non-number, and a tick illegal for the security type with 321, listing the legal ones', async () => {
    api.reqMktData(1, AAPL, '999', false, false);
    api.reqMktData(2, AAPL, 'abc', false, false);
    api.reqMktData(3, EURUSD, '456', false, false);
    api.reqMktData(4, AAPL, '233,456', false, false); // legal for STK: accepted
    await waitFor(() => errorOf(1) && errorOf(2) && errorOf(3) && ticks(4, EventName.tickPrice).size > 0, 20_000, 'answers');
    expect(errorOf(1)).toMatchObject({
      code: 321,
      message: `Error validating request.-'bQ' : cause - Incorrect generic tick list of 999.  Legal ones for (STK) are: ${STK_LEGAL}`,
    });
    expect(errorOf(2)!.message).toContain('Incorrect generic tick list of abc.');
    expect(errorOf(3)!.message).toContain('Legal ones for (CASH) are: 100(Option Volume)');
    expect(errorOf(3)!.message).not.toContain('456/59');
    expect(errorOf(4)).toBeUndefined();
    expect(sim.snapshot().sessions[0]!.marketData).toBe(1);
    api.cancelMktData(4);
  });

  it('refuses generic ticks on a snapshot', async () => {
    api.reqMktData(5, AAPL, '165', true, false);
    api.reqMktData(6, AAPL, '', true, false);
    await waitFor(() => errorOf(5) && rec.of(EventName.tickSnapshotEnd).some((a) => a[0] === 6), 20_000, 'answers');
    expect(errorOf(5)).toMatchObject({
      code: 321,
      message: "Error validating request.-'bQ' : cause - Snapshot market data subscription is not applicable to generic ticks",
    });
  });

  it('serves 165 (13/26/52-week lows and highs, average volume) and 236 (shortable) for a stock', async () => {
    api.reqMktData(7, AAPL, '165,236', false, false);
    await waitFor(
      () => ticks(7, EventName.tickPrice).has(20) && ticks(7, EventName.tickSize).has(21) && ticks(7, EventName.tickGeneric).has(46),
      20_000,
      '165 and 236',
    );
    const p = ticks(7, EventName.tickPrice);
    const [low13, high13, low26, high26, low52, high52] = [15, 16, 17, 18, 19, 20].map((t) => p.get(t)!);
    // Wider windows hold narrower ones; the start price (228.50, the last close) lies inside each.
    expect(low52).toBeLessThanOrEqual(low26!);
    expect(low26).toBeLessThanOrEqual(low13!);
    expect(high52).toBeGreaterThanOrEqual(high26!);
    expect(high26).toBeGreaterThanOrEqual(high13!);
    expect(low13).toBeLessThanOrEqual(228.5);
    expect(high13).toBeGreaterThanOrEqual(228.5);
    expect(low52).toBeLessThan(high52!);
    expect(ticks(7, EventName.tickSize).get(21)).toBeGreaterThan(0);
    expect(ticks(7, EventName.tickGeneric).get(46)).toBe(3);
    api.cancelMktData(7);
  });
});
