// The simulator answers generic tick 456 (IB Dividends) with tick 59 for its payers, from its pinned start time.
import { EventName } from '@stoqey/ib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, decodingErrors, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

const AAPL = 265598;
const TSLA = 76792991;

const open: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

async function sim(opts: Parameters<typeof startTestSim>[0] = {}): Promise<Simulator> {
  const { sim: s } = await startTestSim({ speed: 0, ...opts });
  open.push(() => s.close());
  return s;
}

/** The values of tick 59 the client received on `reqId`, in order. */
const dividendTicks = (rec: Recorder, reqId: number) =>
  rec
    .of(EventName.tickString)
    .filter((a) => a[0] === reqId && a[1] === 59)
    .map((a) => a[2] as string);

const pricesOn = (rec: Recorder, reqId: number) => rec.of(EventName.tickPrice).some((a) => a[0] === reqId);

describe('simulator: generic tick 456 (IB Dividends)', () => {
  it('answers a payer with tick 59 "past12,next12,YYYYMMDD,amount" from its schedule, a non-payer and a plain request with none', async () => {
    // Started 2026-03-02 (helpers T0). AAPL pays 0.29 (228.50 × 0.5% / 4, to the cent) on the 10th of Feb, May, Aug
    // and Nov (docs/simulator.md): four payments in the year before (2025-05-10 … 2026-02-10) and four after.
    const s = await sim();
    const { api, rec } = await connectApi(s.port, 1);
    open.push(() => disconnectAll(api));
    api.reqMktData(1, { conId: AAPL, exchange: 'SMART' }, '456', false, false);
    api.reqMktData(2, { conId: TSLA, exchange: 'SMART' }, '456', false, false);
    api.reqMktData(3, { conId: AAPL, exchange: 'SMART' }, '', false, false);
    await waitFor(() => dividendTicks(rec, 1).length > 0 && pricesOn(rec, 2) && pricesOn(rec, 3), 20_000, 'ticks on all three lines');
    expect(dividendTicks(rec, 1)).toEqual(['1.16,1.16,20260510,0.29']);
    expect(dividendTicks(rec, 2)).toEqual([]);
    expect(dividendTicks(rec, 3)).toEqual([]);
    expect(decodingErrors(rec)).toEqual([]);
  });

  it('moves to the following ex-date once the market passes one, and says so on the open line', async () => {
    // Two minutes before 2026-05-10 00:00 UTC, AAPL's ex-date: after it the next is 10 August.
    const s = await sim({ startTime: '2026-05-09T23:58:00Z' });
    const { api, rec } = await connectApi(s.port, 1);
    open.push(() => disconnectAll(api));
    api.reqMktData(7, { conId: AAPL, exchange: 'SMART' }, '456', false, false);
    await waitFor(() => dividendTicks(rec, 7).length > 0, 20_000, 'the first tick 59');
    expect(dividendTicks(rec, 7)).toEqual(['1.16,1.16,20260510,0.29']);
    s.advance(4 * 60_000);
    await waitFor(() => dividendTicks(rec, 7).length > 1, 20_000, 'tick 59 after the ex-date');
    expect(dividendTicks(rec, 7)).toEqual(['1.16,1.16,20260510,0.29', '1.16,1.16,20260810,0.29']);
  });
});
