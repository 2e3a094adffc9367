// Prices off the contract's grid (its market rule's ladder at that price) are refused with TWS's error 110 (the order
// never works); on-grid prices and tws-risk's own closing limits (rounded on the ladders it fetched) are accepted, and
// the simulator's own quotes and fills are on that grid, so a limit at its bid or ask is accepted: through real clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventName, IBApiTickType, OrderAction, OrderType, type Contract, type IBApi, type Order } from '@stoqey/ib';
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
const SPX_PUT: Contract = { conId: 735012442, exchange: 'SMART' };
/** The ladders as IB's rules read (penny-pilot equity options, SPX options, US stocks): literals, not the simulator's table. */
const PENNY: Ladder = [
  [0, 0.01],
  [3, 0.05],
];
const SPX_LADDER: Ladder = [
  [0, 0.05],
  [3, 0.1],
];
const CENT: Ladder = [[0, 0.01]];
type Ladder = ReadonlyArray<readonly [number, number]>;
const incrementAt = (ladder: Ladder, price: number) => ladder.filter(([edge]) => price >= edge).at(-1)![1];
/** A whole number of the rung's increment, to within a float step (the wire carries doubles). */
const onLadder = (ladder: Ladder, price: number) => {
  const n = price / incrementAt(ladder, price);
  return Math.abs(n - Math.round(n)) < 1e-6;
};
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

describe('quotes and fills on the price ladder', () => {
  /** Every BID and ASK price a client received on `reqId`, in order. */
  const quotesOf = (rec: Recorder, reqId: number, field: number) =>
    rec
      .of(EventName.tickPrice)
      .filter((a) => a[0] === reqId && a[1] === field)
      .map((a) => a[2] as number);
  const barrier = async (api: IBApi, rec: Recorder) => {
    const n = rec.of(EventName.currentTime).length;
    api.reqCurrentTime();
    await waitFor(() => rec.of(EventName.currentTime).length > n, 20_000, 'the current-time barrier');
  };

  it('quotes every option bid and ask on its ladder over 30 simulated minutes (AAPL above $3 on 0.05, SPX on 0.10), at least a rung apart; stocks stay on the cent', async () => {
    ({ sim } = await startTestSim({ speed: 0 }));
    const { api, rec } = await connectApi(sim.port, 31);
    apis.push(api);
    recorders.push(rec);
    // The demo's options on both rules (the AAPL 240 call and 210 put, the SPX 5700 and 5400 puts, the front-month
    // AAPL 220 call and SPX 6050 put), and AAPL stock, whose single rung is the cent.
    const subs: Array<[number, number, Ladder]> = [
      [734559211, 1, PENNY],
      [734559377, 2, PENNY],
      [734559100, 3, PENNY],
      [735012442, 4, SPX_LADDER],
      [735012458, 5, SPX_LADDER],
      [735012400, 6, SPX_LADDER],
      [265598, 7, CENT],
    ];
    for (const [conId, reqId] of subs) api.reqMktData(reqId, { conId, exchange: 'SMART' }, '', false, false);
    await barrier(api, rec);
    for (let s = 0; s < 180; s++) {
      sim.advance(10_000);
      await barrier(api, rec);
    }
    for (const [conId, reqId, ladder] of subs) {
      const bids = quotesOf(rec, reqId, IBApiTickType.BID);
      const asks = quotesOf(rec, reqId, IBApiTickType.ASK);
      // The quotes moved: many values, each on the rung at its own price.
      expect(new Set(bids).size, `${conId} distinct bids`).toBeGreaterThan(3);
      expect(new Set(asks).size, `${conId} distinct asks`).toBeGreaterThan(3);
      for (const p of [...bids, ...asks]) expect(onLadder(ladder, p), `${conId} quote ${p}`).toBe(true);
      for (const p of quotesOf(rec, reqId, IBApiTickType.LAST)) expect(onLadder(ladder, p), `${conId} last ${p}`).toBe(true);
      // The quote at the end: a spread of at least one rung at the bid.
      const [bid, ask] = [bids.at(-1)!, asks.at(-1)!];
      expect(ask - bid, `${conId} spread`).toBeGreaterThanOrEqual(incrementAt(ladder, bid) - 1e-9);
    }
    // The AAPL 240 call and the SPX 5700 put quote above $3 throughout, where the coarse rung applies.
    for (const reqId of [1, 4]) expect(Math.min(...quotesOf(rec, reqId, IBApiTickType.BID))).toBeGreaterThan(3);
    // Their model prices are not on the grid (TWS's model prices are not either): the quotes were rounded onto it.
    const models = rec
      .of(EventName.tickOptionComputation)
      .filter((a) => a[0] === 1 && a[1] === IBApiTickType.MODEL_OPTION)
      .map((a) => a[5] as number);
    expect(models.some((p) => !onLadder(PENNY, p))).toBe(true);
    // Stocks are untouched: on the cent, and not only on the option's 0.05 rung.
    const stock = [...quotesOf(rec, 7, IBApiTickType.BID), ...quotesOf(rec, 7, IBApiTickType.ASK)];
    expect(stock.some((p) => !onLadder([[0, 0.05]], p))).toBe(true);
  }, 120_000);

  it('accepts a BUY LMT at the ask and a SELL LMT at the bid (no 110) and fills them at those prices, for an AAPL and an SPX option', async () => {
    // Fills within one market step (250 ms): the quote read before the order is the one it fills against.
    ({ sim } = await startTestSim({ speed: 0, orders: { ackDelayMs: 20, fillDelayMs: 30, partialIntervalMs: 60, slippageBps: 2 } }));
    const s = sim;
    const { api, rec, nextValidId } = await connectApi(s.port, 32);
    apis.push(api);
    recorders.push(rec);
    api.reqMktData(1, AAPL_CALL, '', false, false);
    api.reqMktData(2, SPX_PUT, '', false, false);
    s.advance(60_000);
    await waitFor(() => [1, 2].every((id) => quotesOf(rec, id, IBApiTickType.ASK).length > 0), 10_000, 'quotes');
    const n = rec.of(EventName.currentTime).length;
    api.reqCurrentTime();
    await waitFor(() => rec.of(EventName.currentTime).length > n, 20_000, 'the current-time barrier');
    const quote = (reqId: number) => ({ bid: quotesOf(rec, reqId, IBApiTickType.BID).at(-1)!, ask: quotesOf(rec, reqId, IBApiTickType.ASK).at(-1)! });
    const [call, put] = [quote(1), quote(2)];
    expect(call.bid).toBeGreaterThan(3);
    expect(put.bid).toBeGreaterThan(3);
    const orders: Array<[number, Contract, OrderAction, number]> = [
      [nextValidId, AAPL_CALL, OrderAction.BUY, call.ask],
      [nextValidId + 1, AAPL_CALL, OrderAction.SELL, call.bid],
      [nextValidId + 2, SPX_PUT, OrderAction.BUY, put.ask],
      [nextValidId + 3, SPX_PUT, OrderAction.SELL, put.bid],
    ];
    for (const [id, c, action, lmtPrice] of orders) api.placeOrder(id, c, { action, orderType: OrderType.LMT, totalQuantity: 1, lmtPrice, transmit: true });
    const ids = orders.map(([id]) => id);
    // Accepted, then filled before the next market step moves the quote.
    await waitFor(() => ids.every((id) => statusesOf(rec, id).includes('PreSubmitted')) || rec.errors.some((e) => ids.includes(e.reqId)), 10_000, 'answers');
    s.advance(100);
    await waitFor(() => ids.every((id) => statusesOf(rec, id).includes('Filled')) || rec.errors.some((e) => ids.includes(e.reqId)), 10_000, 'fills');
    expect(rec.errors.filter((e) => ids.includes(e.reqId)).map((e) => [e.reqId, e.code])).toEqual([]);
    const fills = rec.of(EventName.execDetails).map((a) => a[2] as { orderId: number; price: number; shares: number });
    for (const [id, , , lmtPrice] of orders) {
      expect(fills.filter((f) => f.orderId === id).map((f) => [f.price, f.shares])).toEqual([[lmtPrice, 1]]);
    }
  });
});
