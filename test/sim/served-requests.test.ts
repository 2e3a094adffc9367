// Requests TWS serves that clients such as ib_async send at start-up (issue 18 item 3): positions and account updates
// per account ("multi"), option chains, symbol search and head timestamps, through the real @stoqey/ib client at 193
// and, for the versioned symbol samples, a raw client at 178 decoded in the official field order.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, SecType, type IBApi } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, disconnectAll, startTestSim, waitFor } from './helpers.js';
import { decodeSymbolSamples } from './official-decoder.js';
import { RawClient, frame } from './raw-client.js';

describe('served requests', () => {
  let sim: Simulator;
  let api: IBApi | undefined;
  let raw: RawClient | undefined;

  beforeAll(async () => {
    ({ sim } = await startTestSim());
  });

  afterAll(async () => {
    raw?.close();
    disconnectAll(api);
    await sim.close();
  });

  it('positions and account updates per account, option chains, symbol search, head timestamp; a wrong account is refused', async () => {
    const c = await connectApi(sim.port, 401);
    api = c.api;
    const of = (name: EventName) => c.rec.of(name);
    api.reqPositionsMulti(21, 'DU1234567', '');
    api.reqAccountUpdatesMulti(22, 'DU1234567', '', false);
    api.reqSecDefOptParams(23, 'AAPL', '', SecType.STK, 265598);
    api.reqMatchingSymbols(24, 'aa');
    api.reqHeadTimestamp(25, { conId: 265598, exchange: 'SMART' }, 'TRADES', true, 1);
    api.reqPnLSingle(26, 'DU0000000', '', 265598);
    api.reqPositionsMulti(27, 'DU0000000', '');
    await waitFor(
      () =>
        of(EventName.positionMultiEnd).length === 1 &&
        of(EventName.accountUpdateMultiEnd).length === 1 &&
        of(EventName.securityDefinitionOptionParameterEnd).length === 1 &&
        of(EventName.symbolSamples).length === 1 &&
        of(EventName.headTimestamp).length === 1 &&
        c.rec.errors.some((e) => e.reqId === 26) &&
        c.rec.errors.some((e) => e.reqId === 27),
      20_000,
      'every answer',
    );
    const aapl = of(EventName.positionMulti).find((p) => (p[3] as { conId: number }).conId === 265598)!;
    expect(aapl.slice(0, 3)).toEqual([21, 'DU1234567', '']);
    expect(aapl[3]).toMatchObject({ exchange: 'NASDAQ', tradingClass: 'NMS' });
    const keys = of(EventName.accountUpdateMulti).map((a) => a[3]);
    expect(keys).toContain('NetLiquidation');
    expect(keys).toContain('ExcessLiquidity');
    const chains = of(EventName.securityDefinitionOptionParameter);
    const smart = chains.find((r) => r[1] === 'SMART')!;
    expect(smart.slice(0, 5)).toEqual([23, 'SMART', 265598, 'AAPL', 100]);
    // The March 2026 monthly (third Friday) is listed at the start; the book's strikes are in the chain.
    expect(smart[5]).toContain('20260320');
    expect(smart[6]).toEqual(expect.arrayContaining([210, 220, 240]));
    expect(chains.map((r) => r[1])).toContain('CBOE');
    const [, samples] = of(EventName.symbolSamples)[0] as [number, Array<{ contract: { symbol: string }; derivativeSecTypes: string[] }>];
    expect(samples.find((s) => s.contract.symbol === 'AAPL')!.derivativeSecTypes).toEqual(['OPT']);
    // A year of history before the start (Monday 2 March 2026, 14:30 UTC).
    expect(of(EventName.headTimestamp)[0]).toEqual([25, '20250302-14:30:00']);
    expect(c.rec.errors.find((e) => e.reqId === 26)!.code).toBe(321);
    expect(c.rec.errors.find((e) => e.reqId === 27)!.code).toBe(321);
    expect(c.rec.errors.filter((e) => e.code === 505)).toEqual([]);
  });

  it('symbol samples at 178 carry the description fields (since 176) in the official order', async () => {
    raw = new RawClient(sim.port);
    await raw.start(402, 'v157..178');
    raw.write(frame([81, 31, 'TSL']));
    await waitFor(() => raw!.count(79) === 1, 20_000, 'symbol samples');
    const s = decodeSymbolSamples(
      178,
      raw.frames.find((f) => f[0] === '79')!,
    );
    expect(s.reqId).toBe(31);
    expect(s.rows).toEqual([
      {
        conId: '76792991',
        symbol: 'TSLA',
        secType: 'STK',
        primaryExchange: 'NASDAQ',
        currency: 'USD',
        derivativeSecTypes: '',
        description: 'TESLA INC',
        issuerId: '',
      },
    ]);
  });
});
