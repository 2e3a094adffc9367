// Account updates and positions per account ("multi", issue 18): after the snapshot and its end, TWS keeps pushing
// changed values and changed positions to the subscriber until it cancels; ledgerAndNLV keeps only the ledger and the
// net liquidation. Read by a raw client at 178 and decoded in the official client's field order.
import { describe, it, expect, afterAll } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { startTestSim, waitFor } from './helpers.js';
import { decodeAccountUpdateMulti, decodePositionMulti } from './official-decoder.js';
import { RawClient, frame } from './raw-client.js';

const ACCOUNT = 'DU1234567';
const AAPL = '265598';
/** The per-currency ledger keys of TWS's $LEDGER and ledgerAndNLV answers, written out here. */
const LEDGER = new Set([
  'CashBalance',
  'TotalCashBalance',
  'AccruedCash',
  'StockMarketValue',
  'OptionMarketValue',
  'FutureOptionValue',
  'FuturesPNL',
  'NetLiquidationByCurrency',
  'UnrealizedPnL',
  'RealizedPnL',
  'ExchangeRate',
  'TBondValue',
  'CorporateBondValue',
  'NetLiquidation',
]);

describe('multi subscriptions keep streaming until cancelled', () => {
  let sim: Simulator;
  let raw: RawClient | undefined;

  afterAll(async () => {
    raw?.close();
    await sim?.close();
  });

  /** Frames of one message id since index `from`. */
  const since = (c: RawClient, from: number, msgId: number) => c.frames.slice(from).filter((f) => f[0] === String(msgId));
  const values = (c: RawClient, from: number, reqId: number) =>
    since(c, from, 73)
      .map(decodeAccountUpdateMulti)
      .filter((v) => v.reqId === String(reqId));
  const positions = (c: RawClient, from: number, reqId: number) =>
    since(c, from, 71)
      .map(decodePositionMulti)
      .filter((p) => p.reqId === String(reqId));

  /** Every frame the client sent so far has been read by the server once the current time comes back. */
  async function roundTrip(c: RawClient): Promise<void> {
    const n = c.count(49);
    c.write(frame([49, 1]));
    await waitFor(() => c.count(49) > n, 20_000, 'current time');
  }

  it('pushes changed values (all, or ledger and NLV only) and changed positions at 178; a cancel stops each stream', async () => {
    ({ sim } = await startTestSim({ speed: 0, cadence: { accountMs: 10_000 } }));
    raw = new RawClient(sim.port);
    await raw.start(601, 'v157..178');
    const c = raw;
    c.write(frame([76, 1, 7, ACCOUNT, '', 0]));
    c.write(frame([76, 1, 8, ACCOUNT, '', 1]));
    c.write(frame([74, 1, 9, ACCOUNT, '']));
    await waitFor(() => c.count(74) === 2 && c.count(72) === 1, 20_000, 'both snapshots');

    const full = values(c, 0, 7);
    const ledger = values(c, 0, 8);
    expect(full.map((v) => v.key)).toContain('ExcessLiquidity');
    expect(ledger.map((v) => v.key)).toEqual(expect.arrayContaining(['CashBalance', 'NetLiquidation', 'UnrealizedPnL']));
    expect(ledger.filter((v) => !LEDGER.has(v.key ?? ''))).toEqual([]);
    expect(ledger.length).toBeLessThan(full.length);
    const aaplBefore = positions(c, 0, 9).find((p) => p.conId === AAPL)!;
    expect(aaplBefore).toMatchObject({ account: ACCOUNT, exchange: 'NASDAQ' });

    // The periodic push: the market moves, and at the account cadence only values that changed are repeated.
    const last = new Map(full.map((v) => [`${v.key}|${v.currency}`, v.value]));
    let mark = c.frames.length;
    sim.advance(10_000);
    await waitFor(() => values(c, mark, 7).length > 0, 20_000, 'periodic multi values');
    await roundTrip(c);
    const periodic = values(c, mark, 7);
    expect(periodic.map((v) => v.key)).toContain('UnrealizedPnL');
    for (const v of periodic) {
      expect(v.value, `${v.key}/${v.currency} repeated unchanged`).not.toBe(last.get(`${v.key}|${v.currency}`));
      last.set(`${v.key}|${v.currency}`, v.value);
    }
    expect(values(c, mark, 8).filter((v) => !LEDGER.has(v.key ?? ''))).toEqual([]);

    // A fill pushes at once: the new position to the positions stream, the moved cash to both value streams.
    mark = c.frames.length;
    await sim.trigger({ incident: 'manual-order', symbol: 'AAPL', secType: 'STK', action: 'BUY', quantity: '50', orderType: 'MKT' });
    sim.advance(1_000);
    await waitFor(() => positions(c, mark, 9).some((p) => p.conId === AAPL), 20_000, 'the AAPL position change');
    expect(Number(positions(c, mark, 9).find((p) => p.conId === AAPL)!.position)).toBe(Number(aaplBefore.position) + 50);
    const cash = sim.snapshot().cash.USD!;
    await waitFor(
      () => values(c, mark, 7).some((v) => v.key === 'CashBalance' && v.currency === 'USD' && Number(v.value) === Number(cash)),
      20_000,
      'full stream cash',
    );
    await waitFor(
      () => values(c, mark, 8).some((v) => v.key === 'CashBalance' && v.currency === 'USD' && Number(v.value) === Number(cash)),
      20_000,
      'ledger stream cash',
    );

    // Cancel the full value stream and the positions stream; the ledger stream stays and proves the next fill landed.
    c.write(frame([77, 1, 7]));
    c.write(frame([75, 1, 9]));
    await roundTrip(c);
    mark = c.frames.length;
    await sim.trigger({ incident: 'manual-order', symbol: 'AAPL', secType: 'STK', action: 'BUY', quantity: '25', orderType: 'MKT' });
    sim.advance(11_000);
    const cash2 = () => sim.snapshot().cash.USD!;
    await waitFor(
      () => cash2() !== cash && values(c, mark, 8).some((v) => v.key === 'CashBalance' && v.currency === 'USD' && Number(v.value) === Number(cash2())),
      20_000,
      'ledger stream after the second fill',
    );
    await roundTrip(c);
    expect(values(c, mark, 7)).toEqual([]);
    expect(positions(c, mark, 9)).toEqual([]);
    expect(c.closed).toBe(false);
  });
});
