// TWS's limits on what a client asks: a ticker id still streaming (322), the account's 100 market data lines (101),
// 50 messages a second (100, then the close) and integers beyond int32 (320), each answered as TWS answers it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, SecType, type Contract, type IBApi } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, disconnectAll, startTestSim, waitFor } from './helpers.js';
import { RawClient, frame, handshake } from './raw-client.js';

const AAPL: Contract = { conId: 265598, exchange: 'SMART', secType: SecType.STK };

describe('request limits', () => {
  let sim: Simulator;
  const apis: IBApi[] = [];
  const raws: RawClient[] = [];

  beforeAll(async () => {
    ({ sim } = await startTestSim({ speed: 0 }));
  });

  afterAll(async () => {
    disconnectAll(...apis);
    for (const r of raws) r.close();
    await sim.close();
  });

  it('a second reqMktData on a ticker id still streaming gets 322; the first stream goes on', async () => {
    const { api, rec } = await connectApi(sim.port, 501);
    apis.push(api);
    api.reqMktData(7, AAPL, '', false, false);
    await waitFor(() => rec.of(EventName.tickPrice).some((a) => a[0] === 7), 20_000, 'AAPL ticks');
    api.reqMktData(7, { conId: 272093, exchange: 'SMART', secType: SecType.STK }, '', false, false);
    await waitFor(() => rec.errors.some((e) => e.reqId === 7), 20_000, '322');
    expect(rec.errors.find((e) => e.reqId === 7)).toMatchObject({ code: 322, message: "Error processing request.-'bO' : cause - Duplicate ticker id" });
    expect(sim.snapshot().sessions.find((s) => s.clientId === 501)!.marketData).toBe(1);
    api.cancelMktData(7);
    // Once cancelled, the id is free again.
    api.reqMktData(7, AAPL, '', false, false);
    await waitFor(() => sim.snapshot().sessions.find((s) => s.clientId === 501)!.marketData === 1, 20_000, 'the id again');
    expect(rec.errors.filter((e) => e.reqId === 7)).toHaveLength(1);
    api.cancelMktData(7);
  });

  it('the 101st simultaneous market data line, counted over every client of the account, gets 101', async () => {
    const a = await connectApi(sim.port, 502);
    const b = await connectApi(sim.port, 503);
    apis.push(a.api, b.api);
    // @stoqey/ib paces its own requests under TWS's 50 a second.
    for (let i = 0; i < 60; i++) a.api.reqMktData(1000 + i, AAPL, '', false, false);
    for (let i = 0; i < 40; i++) b.api.reqMktData(2000 + i, AAPL, '', false, false);
    const lines = () => sim.snapshot().sessions.reduce((n, s) => n + s.marketData, 0);
    await waitFor(() => lines() === 100, 20_000, '100 lines');
    b.api.reqMktData(2100, AAPL, '', false, false);
    await waitFor(() => b.rec.errors.some((e) => e.reqId === 2100), 20_000, '101');
    expect(b.rec.errors.find((e) => e.reqId === 2100)).toMatchObject({ code: 101, message: 'Max number of tickers has been reached.' });
    expect(a.rec.errors.concat(b.rec.errors).filter((e) => e.reqId !== 2100)).toEqual([]);
    a.api.cancelMktData(1000);
    await waitFor(() => lines() === 99, 20_000, 'a line freed');
    b.api.reqMktData(2101, AAPL, '', false, false);
    await waitFor(() => lines() === 100, 20_000, 'the freed line used again');
    disconnectAll(a.api, b.api);
    await waitFor(() => lines() === 0, 20_000, 'lines released on disconnect');
  });

  it('over 50 messages in a second: the excess gets error 100; a client that keeps on at twice the rate is closed', async () => {
    const c = new RawClient(sim.port);
    raws.push(c);
    await c.start(504);
    // 60 requests in one write arrive within the same second whatever the machine.
    c.write(Buffer.concat(Array.from({ length: 60 }, () => frame([49, 1]))));
    await waitFor(() => c.count(49) + c.frames.filter((f) => f[0] === '4' && f[3] === '100').length === 60, 20_000, '60 answers');
    expect(c.count(49)).toBe(50);
    const refusals = c.frames.filter((f) => f[0] === '4' && f[3] === '100');
    expect(refusals).toHaveLength(10);
    expect(refusals[0]!.slice(2, 5)).toEqual(['-1', '100', 'Max rate of messages per second has been exceeded:max=50 rec=51']);
    expect(c.closed).toBe(false);
    c.write(Buffer.concat(Array.from({ length: 60 }, () => frame([49, 1]))));
    await waitFor(() => c.closed, 20_000, 'closed after twice the rate');
  });

  it('an order id or client id beyond int32 gets 320 (NumberFormatException), the connection stays', async () => {
    const c = new RawClient(sim.port);
    raws.push(c);
    await c.start(505);
    c.write(frame([4, '2147483648', ''])); // CANCEL_ORDER at 193
    c.write(frame([49, 1]));
    await waitFor(() => c.count(49) === 1, 20_000, 'currentTime after');
    const e = c.frames.find((f) => f[0] === '4' && f[3] === '320')!;
    expect(e.slice(2, 4)).toEqual(['-1', '320']);
    expect(e[4]).toContain('NumberFormatException: For input string: "2147483648"');

    const d = new RawClient(sim.port);
    raws.push(d);
    d.write(handshake());
    await waitFor(() => d.frames.length >= 1, 20_000, 'server version');
    d.write(frame([71, 2, '-2147483649', '']));
    await waitFor(() => d.frames.some((f) => f[0] === '4' && f[3] === '320'), 20_000, '320 for the client id');
    expect(d.count(9)).toBe(0); // not started
    d.write(frame([71, 2, 506, '']));
    await waitFor(() => d.count(9) === 1, 20_000, 'started with a valid client id');
  });
});
