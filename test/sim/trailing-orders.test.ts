// Trailing stops (TRAIL by amount and by percent) and market-if-touched orders, through the real client on a stepped
// clock with a still market: the trail stop ratchets with the market and never back, and OPEN_ORDER echoes it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, OrderAction, OrderType, type Contract, type IBApi, type Order } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, decodingErrors, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

const AAPL: Contract = { conId: 265598, exchange: 'SMART' };
const FAST = { ackDelayMs: 20, fillDelayMs: 30, partialIntervalMs: 60, maxFillSize: { STK: '400' } };
const cents = (x: number) => Math.round(x * 100) / 100;

describe('TRAIL and MIT (stepped clock, still market)', () => {
  let sim: Simulator;
  let logs: string[];
  let api: IBApi;
  let rec: Recorder;
  let nextId: number;
  let nextReq = 9000;

  const last = (id: number) => rec.of(EventName.orderStatus).findLast((a) => a[0] === id)?.[1] as string | undefined;
  const whyHeld = (id: number) => rec.of(EventName.orderStatus).findLast((a) => a[0] === id)?.[9];
  const opened = (id: number) => rec.of(EventName.openOrder).findLast((a) => a[0] === id)?.[2] as Order | undefined;
  const fillsOf = (id: number) =>
    rec
      .of(EventName.execDetails)
      .filter((a) => (a[2] as { orderId: number }).orderId === id)
      .map((a) => a[2] as { shares: number; price: number });
  async function place(order: Order): Promise<number> {
    const id = nextId++;
    api.placeOrder(id, AAPL, order);
    await waitFor(() => opened(id) !== undefined || rec.errors.some((e) => e.reqId === id), 10_000, `answer to order ${id}`);
    return id;
  }
  /** AAPL's bid and last now, as the client sees them. */
  async function quote(): Promise<{ bid: number; last: number }> {
    const reqId = nextReq++;
    const tick = (type: number) => rec.of(EventName.tickPrice).findLast((a) => a[0] === reqId && a[1] === type)?.[2] as number | undefined;
    api.reqMktData(reqId, AAPL, '', false, false);
    await waitFor(() => tick(1) !== undefined && tick(4) !== undefined, 10_000, 'AAPL bid and last');
    api.cancelMktData(reqId);
    return { bid: tick(1)!, last: tick(4)! };
  }
  /** The order as reqOpenOrders lists it now (a fresh OPEN_ORDER). */
  async function listed(id: number): Promise<Order> {
    const seen = rec.of(EventName.openOrderEnd).length;
    api.reqOpenOrders();
    await waitFor(() => rec.of(EventName.openOrderEnd).length > seen, 10_000, 'open orders listed');
    return opened(id)!;
  }
  async function step(ms: number, done: () => boolean, what: string): Promise<void> {
    sim.advance(ms);
    await waitFor(done, 10_000, what);
  }

  beforeAll(async () => {
    ({ sim, logs } = await startTestSim({ speed: 0, market: { volScale: 0 }, orders: FAST }));
    ({ api, rec, nextValidId: nextId } = await connectApi(sim.port, 5));
  });

  afterAll(async () => {
    disconnectAll(api);
    await sim.close();
    expect(decodingErrors(rec)).toEqual([]);
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('SELL TRAIL by amount: the stop starts the amount below the last, rises with it, never falls, and triggers as MKT', async () => {
    const q0 = await quote();
    const amount = cents(q0.last * 0.02);
    const id = await place({ action: OrderAction.SELL, orderType: OrderType.TRAIL, auxPrice: amount, totalQuantity: 5, transmit: true });
    expect(opened(id)!.auxPrice).toBe(amount);
    const start = cents(q0.last - amount);
    expect(opened(id)!.trailStopPrice).toBe(start);
    await step(1_000, () => whyHeld(id) === 'trigger', 'trail held for its trigger');
    // +5%: the stop follows the last up; -1% from there stays above it and leaves the stop where it was.
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: 5 });
    sim.advance(1_000);
    const up = await quote();
    const raised = (await listed(id)).trailStopPrice!;
    expect(raised).toBe(cents(up.last - amount));
    expect(raised).toBeGreaterThan(start);
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: -1 });
    sim.advance(1_000);
    expect((await listed(id)).trailStopPrice).toBe(raised);
    expect([last(id), fillsOf(id)]).toEqual(['PreSubmitted', []]);
    // -3% more: below the raised stop (the stop from the start would still wait): it triggers and fills at the market.
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: -3 });
    await step(2_000, () => last(id) === 'Filled', 'trail Filled');
    const fill = fillsOf(id);
    expect(fill.map((f) => f.shares)).toEqual([5]);
    expect(fill[0]!.price).toBeLessThan(raised);
    expect(fill[0]!.price).toBeGreaterThan(start);
  });

  it('BUY TRAIL by percent: the stop starts the percent above the last and falls with the market; echoed with trailingPercent', async () => {
    const q0 = await quote();
    const id = await place({ action: OrderAction.BUY, orderType: OrderType.TRAIL, trailingPercent: 2, totalQuantity: 5, transmit: true });
    const o = opened(id)!;
    expect(o.trailingPercent).toBe(2);
    expect(o.auxPrice).toBeUndefined();
    const start = Math.ceil(q0.last * 1.02 * 100 - 1e-6) / 100;
    expect(o.trailStopPrice).toBe(start);
    await step(1_000, () => whyHeld(id) === 'trigger', 'trail held for its trigger');
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: -5 });
    sim.advance(1_000);
    const down = await quote();
    const lowered = (await listed(id)).trailStopPrice!;
    expect(lowered).toBe(Math.ceil(down.last * 1.02 * 100 - 1e-6) / 100);
    expect(lowered).toBeLessThan(start);
    // +3%: above the lowered stop, below the first one.
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: 3 });
    await step(2_000, () => last(id) === 'Filled', 'trail Filled');
    expect(fillsOf(id)[0]!.price).toBeGreaterThan(lowered);
    expect(fillsOf(id)[0]!.price).toBeLessThan(start);
    // reqCompletedOrders carries the stop it triggered at.
    const seen = rec.of(EventName.completedOrdersEnd).length;
    api.reqCompletedOrders(false);
    await waitFor(() => rec.of(EventName.completedOrdersEnd).length > seen, 10_000, 'completed orders');
    const done = rec
      .of(EventName.completedOrder)
      .map((a) => a[1] as Order)
      .find((c) => c.permId === o.permId)!;
    expect([done.orderType, done.trailingPercent, done.trailStopPrice]).toEqual(['TRAIL', 2, lowered]);
  });

  it('a TRAIL follows the price its trigger method names: bid/ask (4) trails the bid for a sell', async () => {
    const q0 = await quote();
    expect(q0.bid).toBeLessThan(q0.last); // the still market's last trades inside the spread
    const id = await place({ action: OrderAction.SELL, orderType: OrderType.TRAIL, auxPrice: 1, triggerMethod: 4, totalQuantity: 1, transmit: true });
    expect(opened(id)!.trailStopPrice).toBe(cents(q0.bid - 1));
    api.cancelOrder(id);
    await waitFor(() => last(id) === 'Cancelled', 10_000, 'trail cancelled');
  });

  it("a bracket's trailing stop-loss starts its trail from the market of its release, not of its placement", async () => {
    const q0 = await quote();
    const amount = cents(q0.last * 0.02);
    const parent = await place({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: cents(q0.last * 0.96), totalQuantity: 3, transmit: false });
    const child = await place({ action: OrderAction.SELL, orderType: OrderType.TRAIL, auxPrice: amount, totalQuantity: 3, parentId: parent, transmit: true });
    await step(1_000, () => last(parent) === 'Submitted' && whyHeld(child) === 'child', 'parent working, child held');
    // -5%: the parent fills; the trail placed 2% under the old price would be reached at once.
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: -5 });
    await step(1_000, () => last(parent) === 'Filled' && whyHeld(child) === 'trigger', 'parent Filled, child trailing');
    const q1 = await quote();
    expect((await listed(child)).trailStopPrice).toBe(cents(q1.last - amount));
    expect([last(child), fillsOf(child)]).toEqual(['PreSubmitted', []]);
    api.cancelOrder(child);
    await waitFor(() => last(child) === 'Cancelled', 10_000, 'child cancelled');
  });

  it('MIT: a buy below the market and a sell above it wait PreSubmitted; the one the market touches trades as MKT', async () => {
    const q0 = await quote();
    const buy = await place({ action: OrderAction.BUY, orderType: OrderType.MIT, auxPrice: cents(q0.last * 0.97), totalQuantity: 4, transmit: true });
    const sell = await place({ action: OrderAction.SELL, orderType: OrderType.MIT, auxPrice: cents(q0.last * 1.03), totalQuantity: 4, transmit: true });
    expect(opened(buy)!.auxPrice).toBe(cents(q0.last * 0.97));
    await step(1_000, () => whyHeld(buy) === 'trigger' && whyHeld(sell) === 'trigger', 'MITs held for their trigger');
    expect([last(buy), last(sell)]).toEqual(['PreSubmitted', 'PreSubmitted']);
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: -5 });
    await step(2_000, () => last(buy) === 'Filled', 'buy MIT Filled');
    expect(fillsOf(buy)[0]!.price).toBeLessThan(cents(q0.last * 0.97));
    expect([last(sell), whyHeld(sell), fillsOf(sell)]).toEqual(['PreSubmitted', 'trigger', []]);
  });
});
