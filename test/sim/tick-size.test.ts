// Prices off the contract's tick grid are refused with TWS's error 110 (the order never works); on-tick prices and
// tws-risk's own closing limits (rounded to the tick contract details give) are accepted, through real clients.
import { afterEach, describe, expect, it } from 'vitest';
import { EventName, OrderAction, OrderType, type Contract, type IBApi, type Order } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { orderFor } from '../../src/trading/execute.js';
import { isDenial, planFlatten } from '../../src/trading/plan.js';
import { connectApi, decodingErrors, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

const AAPL: Contract = { conId: 265598, exchange: 'SMART' };
const AAPL_CALL: Contract = { conId: 734559211, exchange: 'SMART' };
const ES: Contract = { conId: 637533641, exchange: 'CME' };
const OFF_TICK = 'The price does not conform to the minimum price variation for this contract.';
/** Far from the market, so an accepted order rests (and its status is all there is to see). */
const buy = (lmtPrice: number): Order => ({ action: OrderAction.BUY, orderType: OrderType.LMT, totalQuantity: 1, lmtPrice, transmit: true });

let sim: Simulator | undefined;
const apis: IBApi[] = [];
const recorders: Recorder[] = [];
const closers: Array<() => void> = [];

afterEach(async () => {
  while (closers.length) closers.pop()!();
  disconnectAll(...apis);
  apis.length = 0;
  await sim?.close();
  sim = undefined;
  for (const r of recorders) expect(decodingErrors(r)).toEqual([]);
  recorders.length = 0;
});

async function client(clientId: number) {
  ({ sim } = await startTestSim({ orders: { ackDelayMs: 20, fillDelayMs: 30, partialIntervalMs: 60 } }));
  const c = await connectApi(sim.port, clientId);
  apis.push(c.api);
  recorders.push(c.rec);
  return { s: sim, ...c };
}

const statusesOf = (rec: Recorder, id: number) =>
  rec
    .of(EventName.orderStatus)
    .filter((a) => a[0] === id)
    .map((a) => a[1] as string);

describe('minimum price variation', () => {
  it('refuses a stock limit of 100.001 and an option limit of 1.003 with error 110 on the order id; neither order works', async () => {
    const { s, api, rec, nextValidId } = await client(21);
    const [stock, option, future, onTick] = [nextValidId, nextValidId + 1, nextValidId + 2, nextValidId + 3];
    api.placeOrder(stock, AAPL, buy(100.001));
    api.placeOrder(option, AAPL_CALL, buy(1.003));
    api.placeOrder(future, ES, buy(5000.1)); // ES trades in quarter points
    // One accepted order after them: once its Submitted is seen, the three before it have been answered.
    api.placeOrder(onTick, AAPL, buy(100.01));
    await waitFor(() => statusesOf(rec, onTick).includes('Submitted'), 10_000, 'the on-tick order Submitted');
    for (const id of [stock, option, future]) {
      expect(rec.errors.filter((e) => e.reqId === id).map((e) => [e.code, e.message])).toEqual([[110, OFF_TICK]]);
      expect(statusesOf(rec, id)).toEqual([]);
      expect(rec.of(EventName.openOrder).some((a) => a[0] === id)).toBe(false);
    }
    const open = s.snapshot().openOrders.map((o) => o.orderId);
    expect(open).toEqual([onTick]);
    expect(rec.errors.filter((e) => e.reqId === onTick)).toEqual([]);
  });

  it('accepts on-tick prices, a double a float step off the grid, and quarter points on ES', async () => {
    const { s, api, rec, nextValidId } = await client(22);
    const ids = [nextValidId, nextValidId + 1, nextValidId + 2, nextValidId + 3];
    api.placeOrder(ids[0]!, AAPL_CALL, buy(1.05));
    api.placeOrder(ids[1]!, AAPL_CALL, buy(0.1 + 0.2)); // 0.30000000000000004 on the wire
    api.placeOrder(ids[2]!, ES, buy(5000.25));
    api.placeOrder(ids[3]!, AAPL, buy(100));
    await waitFor(() => ids.every((id) => statusesOf(rec, id).includes('Submitted')), 10_000, 'every order Submitted');
    expect(rec.errors.filter((e) => ids.includes(e.reqId))).toEqual([]);
    expect(
      s
        .snapshot()
        .openOrders.map((o) => o.orderId)
        .sort((a, b) => a - b),
    ).toEqual(ids);
  });

  it('refuses a modification to an off-tick limit with 110 and the order keeps working at its old limit', async () => {
    const { s, api, rec, nextValidId: id } = await client(23);
    api.placeOrder(id, AAPL, buy(100.01));
    await waitFor(() => statusesOf(rec, id).includes('Submitted'), 10_000, 'Submitted');
    api.placeOrder(id, AAPL, buy(100.015));
    api.reqOpenOrders();
    await waitFor(() => rec.of(EventName.openOrderEnd).length > 0, 10_000, 'open orders');
    expect(rec.errors.filter((e) => e.reqId === id).map((e) => e.code)).toEqual([110]);
    const order = s.snapshot().openOrders.find((o) => o.orderId === id);
    expect(order).toMatchObject({ status: 'Submitted', lmtPrice: 100.01 });
  });

  it("accepts tws-risk's own flatten of the whole demo book as marketable limits rounded to each contract's tick", async () => {
    ({ sim } = await startTestSim({ speed: 0 }));
    const s = sim;
    const source = new TwsSource({ host: '127.0.0.1', port: s.port, clientId: 24, heartbeatMs: 300, heartbeatTimeoutMs: 10_000 });
    const feed = new Feed(source.events$);
    source.start();
    closers.push(
      () => source.stop(),
      () => feed.close('done'),
    );
    await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders, 15_000, 'sync');
    // The ticks the trading session fetches on arming: contract details' minTick, per position.
    const minTicks = new Map<number, number>();
    for (const conId of feed.state.positions.keys()) {
      const d = await source.contractDetails(conId, 10_000);
      if (d?.minTick) minTicks.set(conId, d.minTick);
    }
    const plan = planFlatten(feed.state, { kind: 'all' }, { clientId: 24, orderType: 'LMT', collar: 0.02, minTicks, now: Date.now() });
    if (isDenial(plan)) throw new Error(plan.code);
    // Every tick the book has: cents, quarter points (ES), half-yen (Toyota), nickels (SPX options), pips (EUR.USD).
    expect(new Set(minTicks.values()).size).toBeGreaterThanOrEqual(4);
    const ids: number[] = [];
    for (const leg of plan.legs) {
      expect(leg.limitPrice).toBeDefined();
      const r = source.placeOrder(leg.contract, orderFor(leg, plan));
      if (!r.ok) throw new Error(r.reason);
      ids.push(r.orderId);
    }
    // A refused order (110, or Inactive for margin) is never an open order at the simulator: every leg is one.
    await waitFor(() => ids.every((id) => s.snapshot().openOrders.some((o) => o.clientId === 24 && o.orderId === id)), 15_000, 'every leg working');
    expect(ids.length).toBe(plan.legs.length);
  });
});
