// Orders like TWS (issue 18 item 4): options and futures trade in whole contracts, so a fractional quantity is
// rejected with 10243 and nothing is booked, while a fractional stock order fills.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, OrderAction, OrderType, type IBApi } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

describe('fractional quantities', () => {
  let sim: Simulator;
  let api: IBApi | undefined;
  let rec: Recorder;

  beforeAll(async () => {
    ({ sim } = await startTestSim());
    ({ api, rec } = await connectApi(sim.port, 601));
  });

  afterAll(async () => {
    disconnectAll(api);
    await sim.close();
  });

  it('rejects 0.5 of an option and 1.5 of a future (10243) and fills 0.5 of a stock', async () => {
    const mkt = (qty: number) => ({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: qty, transmit: true });
    api!.placeOrder(2_000_001, { conId: 734559211, exchange: 'SMART' }, mkt(0.5));
    api!.placeOrder(2_000_002, { conId: 637533641, exchange: 'CME' }, mkt(1.5));
    api!.placeOrder(2_000_003, { conId: 265598, exchange: 'SMART' }, mkt(0.5));
    await waitFor(
      () => rec.errors.filter((e) => e.code === 10243).length === 2 && rec.of(EventName.orderStatus).some((s) => s[0] === 2_000_003 && s[1] === 'Filled'),
      20_000,
      'two rejections and one fill',
    );
    expect(
      rec.errors
        .filter((e) => e.code === 10243)
        .map((e) => e.reqId)
        .sort(),
    ).toEqual([2_000_001, 2_000_002]);
    // Nothing of the rejected orders was booked: no open order or execution names them.
    expect(rec.of(EventName.openOrder).some((o) => o[0] === 2_000_001 || o[0] === 2_000_002)).toBe(false);
    expect(rec.of(EventName.execDetails).some((e) => (e[2] as { orderId: number }).orderId !== 2_000_003)).toBe(false);
  });
});
