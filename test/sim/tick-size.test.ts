// Prices off the contract's grid (its market rule's ladder at that price) are refused with TWS's error 110 (the order
// never works); on-grid prices and tws-risk's own closing limits (rounded on the ladders it fetched) are accepted,
// through real clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventName, OrderAction, OrderType, type Contract, type IBApi, type Order } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { orderFor } from '../../src/trading/execute.js';
import { dec } from '../../src/model/money.js';
import { isDenial, ladderFor, limitFor, planFlatten } from '../../src/trading/plan.js';
import { TradingSession, type TradingGateway } from '../../src/trading/session.js';
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

  it('refuses an AAPL option limit of 3.52 (0.05 from 3.00, the penny rule) and accepts 2.99, 3.55 and 3.00; SPX options on 0.10 from 3.00', async () => {
    const { s, api, rec, nextValidId } = await client(25);
    const SPX_PUT: Contract = { conId: 735012458, exchange: 'SMART' };
    const refused = [
      [nextValidId, AAPL_CALL, 3.52],
      [nextValidId + 1, SPX_PUT, 3.05],
      [nextValidId + 2, SPX_PUT, 1.02],
    ] as const;
    const accepted = [
      [nextValidId + 3, AAPL_CALL, 2.99],
      [nextValidId + 4, AAPL_CALL, 3.55],
      [nextValidId + 5, AAPL_CALL, 3],
      [nextValidId + 6, SPX_PUT, 3.1],
      [nextValidId + 7, SPX_PUT, 2.95],
    ] as const;
    for (const [id, c, px] of [...refused, ...accepted]) api.placeOrder(id, c, buy(px));
    const ids = accepted.map(([id]) => id);
    await waitFor(() => ids.every((id) => statusesOf(rec, id).includes('Submitted')), 10_000, 'the on-grid orders Submitted');
    for (const [id] of refused) expect(rec.errors.filter((e) => e.reqId === id).map((e) => [e.code, e.message])).toEqual([[110, OFF_TICK]]);
    expect(rec.errors.filter((e) => ids.includes(e.reqId))).toEqual([]);
    expect(
      s
        .snapshot()
        .openOrders.map((o) => o.orderId)
        .sort((a, b) => a - b),
    ).toEqual(ids);
  });

  it("accepts tws-risk's own flatten of the whole demo book, each limit on its market rule's ladder (options above $3 on 0.05 and 0.10)", async () => {
    ({ sim } = await startTestSim({ speed: 0 }));
    const s = sim;
    const source = new TwsSource({ host: '127.0.0.1', port: s.port, clientId: 24, heartbeatMs: 300, heartbeatTimeoutMs: 10_000 });
    const feed = new Feed(source.events$);
    source.start();
    const dir = mkdtempSync(join(tmpdir(), 'tws-risk-ladder-'));
    // The real source as the gateway, counting the rules asked: each distinct rule is asked once for the whole book.
    const asked: number[] = [];
    const gateway: TradingGateway = {
      get ready() {
        return source.ready;
      },
      placeOrder: (c, o) => source.placeOrder(c, o),
      cancelOrder: (id) => source.cancelOrder(id),
      globalCancel: () => source.globalCancel(),
      contractDetails: (conId) => source.contractDetails(conId),
      marketRule: (id) => (asked.push(id), source.marketRule(id)),
    };
    const session = new TradingSession({ mode: 'trade', actor: 'headless', feed, gateway, clientId: 24, audit: { dir, name: 'test', appVersion: '0' } });
    closers.push(
      () => rmSync(dir, { recursive: true, force: true }),
      () => source.stop(),
      () => feed.close('done'),
      () => session.close('done'),
    );
    await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders, 15_000, 'sync');
    const conIds = [...feed.state.positions.keys()];
    const opts = { clientId: 24, orderType: 'LMT' as const, collar: 0.02, now: Date.now() };
    // While the grids are being fetched a plan is refused, not rounded to the default tick; a second fetch waits on the first.
    const first = session.fetchTicks(conIds);
    expect([...session.pendingGrids].sort()).toEqual([...conIds].sort());
    expect(planFlatten(feed.state, { kind: 'all' }, { ...opts, priceGrids: session.priceGrids, pendingGrids: session.pendingGrids })).toMatchObject({
      code: 'TICKS_PENDING',
    });
    await Promise.all([first, session.fetchTicks(conIds)]);
    expect(session.pendingGrids.size).toBe(0);
    expect(asked.length).toBe(new Set(asked).size);
    const plan = planFlatten(feed.state, { kind: 'all' }, { ...opts, priceGrids: session.priceGrids, pendingGrids: session.pendingGrids });
    if (isDenial(plan)) throw new Error(plan.code);
    expect(plan.notes.filter((n) => n.includes('tick size unknown'))).toEqual([]);
    const leg = (conId: number) => plan.legs.find((l) => l.conId === conId)!;
    // The AAPL call (long, SELL) is priced above $3: its limit is on 0.05, at most the collar below the mark.
    const call = leg(AAPL_CALL.conId!);
    expect(call.action).toBe('SELL');
    expect(call.limitPrice!.greaterThan(3)).toBe(true);
    expect(call.limitPrice!.mod('0.05').isZero()).toBe(true);
    expect(call.limitPrice!.lessThanOrEqualTo(call.mark!.mul(0.98))).toBe(true);
    expect(call.mark!.mul(0.98).minus(call.limitPrice!).lessThan(0.05)).toBe(true);
    // The SPX put (short, BUY) routes to SMART, which its details do not list: the coarsest of its rules, 0.10 above 3.
    const put = leg(735012458);
    expect(put.action).toBe('BUY');
    expect(put.limitPrice!.greaterThan(3)).toBe(true);
    expect(put.limitPrice!.mod('0.1').isZero()).toBe(true);
    expect(put.limitPrice!.greaterThanOrEqualTo(put.mark!.mul(1.02))).toBe(true);
    expect(put.limitPrice!.minus(put.mark!.mul(1.02)).lessThan(0.1)).toBe(true);
    // Limits computed across the 3.00 edge on the fetched ladder: BUY at 2.94 (2.9988 up to 3.00), SELL at 3.08
    // (3.0184 down to 3.00, where the minTick alone gives 3.01, which the simulator refuses).
    const penny = ladderFor(session.priceGrids.get(AAPL_CALL.conId!), 'SMART')!;
    expect(penny).toEqual([
      [0, 0.01],
      [3, 0.05],
    ]);
    const across = [limitFor(dec('2.94'), 'BUY', 0.02, penny), limitFor(dec('3.08'), 'SELL', 0.02, penny)];
    expect(across.map(String)).toEqual(['3', '3']);
    const ids: number[] = [];
    for (const l of plan.legs) {
      expect(l.limitPrice).toBeDefined();
      const r = source.placeOrder(l.contract, orderFor(l, plan));
      if (!r.ok) throw new Error(r.reason);
      ids.push(r.orderId);
    }
    // A refused order (110, or Inactive for margin) is never an open order at the simulator: every leg is one.
    await waitFor(() => ids.every((id) => s.snapshot().openOrders.some((o) => o.clientId === 24 && o.orderId === id)), 15_000, 'every leg working');
    expect(ids.length).toBe(plan.legs.length);
    expect(new Set(plan.legs.map((l) => String(ladderFor(session.priceGrids.get(l.conId), l.contract.exchange ?? 'SMART')))).size).toBeGreaterThanOrEqual(5);
  });
});
