// Orders linked to other orders, through the real client on a stepped clock: held (transmit false) orders, brackets
// (attached children), OCA groups, IOC/FOK, stop orders, and OPEN_ORDER echoing what the client sent.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, OrderAction, OrderType, TimeInForce, type Contract, type IBApi, type Order } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, decodingErrors, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

const AAPL: Contract = { conId: 265598, exchange: 'SMART' };
// ack 20 ms, first fill 30 ms later, partial fills 60 ms apart; at most 400 shares an execution.
const FAST = { ackDelayMs: 20, fillDelayMs: 30, partialIntervalMs: 60, maxFillSize: { STK: '400' } };

describe('linked orders, IOC/FOK, stops (stepped clock, still market)', () => {
  let sim: Simulator;
  let logs: string[];
  let api: IBApi;
  let rec: Recorder;
  let nextId: number;
  let mark: number;

  /** A price `pct` percent from the mark, on AAPL's 0.01 grid. */
  const px = (pct: number) => Math.round(mark * (1 + pct / 100) * 100) / 100;
  const statuses = (id: number) =>
    rec
      .of(EventName.orderStatus)
      .filter((a) => a[0] === id)
      .map((a) => a[1] as string);
  const last = (id: number) => statuses(id).at(-1);
  /** The last ORDER_STATUS's whyHeld for `id`. */
  const whyHeld = (id: number) => rec.of(EventName.orderStatus).findLast((a) => a[0] === id)?.[9];
  /** The last OPEN_ORDER's order for `id`. */
  const opened = (id: number) => rec.of(EventName.openOrder).findLast((a) => a[0] === id)?.[2] as Order | undefined;
  const fillsOf = (id: number) =>
    rec
      .of(EventName.execDetails)
      .filter((a) => (a[2] as { orderId: number }).orderId === id)
      .map((a) => (a[2] as { shares: number }).shares);
  const execOrder = () => rec.of(EventName.execDetails).map((a) => (a[2] as { orderId: number }).orderId);
  /** Places an order and waits until the simulator has answered it (an OPEN_ORDER or an error for its id). */
  async function place(order: Order, contract: Contract = AAPL): Promise<number> {
    const id = nextId++;
    const seen = rec.of(EventName.openOrder).filter((a) => a[0] === id).length;
    api.placeOrder(id, contract, order);
    await waitFor(
      () => rec.of(EventName.openOrder).filter((a) => a[0] === id).length > seen || rec.errors.some((e) => e.reqId === id),
      10_000,
      `answer to order ${id}`,
    );
    return id;
  }
  /** Re-places an existing id (a modification). */
  async function replace(id: number, order: Order): Promise<void> {
    const seen = rec.of(EventName.openOrder).filter((a) => a[0] === id).length;
    api.placeOrder(id, AAPL, order);
    await waitFor(() => rec.of(EventName.openOrder).filter((a) => a[0] === id).length > seen, 10_000, `answer to the modification of ${id}`);
  }
  /** Runs `ms` of virtual time (every ack, fill and market step due in it), then waits for `done` on the client. */
  async function step(ms: number, done: () => boolean, what: string): Promise<void> {
    sim.advance(ms);
    await waitFor(done, 10_000, what);
  }

  beforeAll(async () => {
    // speed 0: virtual time moves only by advance(), so every ack and fill happens at a known instant.
    ({ sim, logs } = await startTestSim({ speed: 0, market: { volScale: 0 }, orders: FAST }));
    ({ api, rec, nextValidId: nextId } = await connectApi(sim.port, 5));
    mark = Number(sim.snapshot().positions.find((p) => p.conId === 265598)!.marketPrice);
  });

  afterAll(async () => {
    disconnectAll(api);
    await sim.close();
    expect(decodingErrors(rec)).toEqual([]);
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('bracket: held parent and take-profit go out with the last child; children wait for the parent, then one cancels the other', async () => {
    const position = () => sim.snapshot().positions.find((p) => p.conId === 265598)!.position;
    const before = position();
    const parent = await place({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: px(5), totalQuantity: 10, transmit: false });
    const profit = await place({ action: OrderAction.SELL, orderType: OrderType.LMT, lmtPrice: px(30), totalQuantity: 10, parentId: parent, transmit: false });
    sim.advance(1_000);
    // Held in TWS: nothing sent while the group is incomplete.
    expect(statuses(parent)).toEqual(['PreSubmitted']);
    expect(statuses(profit)).toEqual(['PreSubmitted']);
    const stop = await place({ action: OrderAction.SELL, orderType: OrderType.LMT, lmtPrice: px(-30), totalQuantity: 10, parentId: parent, transmit: true });
    expect(opened(profit)!.parentId).toBe(parent);
    expect(opened(stop)!.parentId).toBe(parent);
    expect(opened(parent)!.parentId).toBe(0);
    expect(rec.of(EventName.orderStatus).findLast((a) => a[0] === stop)![6]).toBe(parent); // ORDER_STATUS parentId

    // After the ack the parent works; the children stay PreSubmitted until it fills.
    await step(FAST.ackDelayMs, () => last(parent) === 'Submitted', 'parent Submitted');
    expect([last(stop), whyHeld(stop)]).toEqual(['PreSubmitted', 'child']);
    expect([last(profit), whyHeld(profit)]).toEqual(['PreSubmitted', 'child']);
    expect(whyHeld(parent)).toBe('');
    // The parent fills; then the marketable stop-loss child works and fills, and its sibling is cancelled.
    await step(FAST.fillDelayMs, () => last(parent) === 'Filled', 'parent Filled');
    await step(FAST.ackDelayMs + FAST.fillDelayMs, () => last(stop) === 'Filled' && last(profit) === 'Cancelled', 'stop child Filled, profit taker Cancelled');
    expect(execOrder().filter((id) => id === parent || id === stop)).toEqual([parent, stop]);
    expect(fillsOf(profit)).toEqual([]);
    expect(rec.errors.some((e) => e.reqId === profit && e.code === 202)).toBe(true);
    await waitFor(() => sim.snapshot().positions.find((p) => p.conId === 265598)!.position === before, 5_000, 'position back where it was');
    // The log names each order's links, so a user can see what the simulator understood.
    expect(logs.find((l) => l.includes(`place order ${stop} `))).toMatch(new RegExp(`SELL 10 AAPL LMT parent=${parent} whatIf=false transmit=true$`));
  });

  it('cancelling a working parent cancels its waiting children (202 each); a child of an unknown parent is refused', async () => {
    const parent = await place({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: px(-20), totalQuantity: 10, transmit: false });
    const child = await place({ action: OrderAction.SELL, orderType: OrderType.LMT, lmtPrice: px(20), totalQuantity: 10, parentId: parent, transmit: true });
    await step(FAST.ackDelayMs, () => last(parent) === 'Submitted', 'parent Submitted');
    expect(last(child)).toBe('PreSubmitted');
    api.cancelOrder(parent);
    await waitFor(() => last(parent) === 'Cancelled' && last(child) === 'Cancelled', 10_000, 'parent and child Cancelled');
    expect([parent, child].every((id) => rec.errors.some((e) => e.reqId === id && e.code === 202))).toBe(true);

    const orphan = await place({ action: OrderAction.SELL, orderType: OrderType.LMT, lmtPrice: px(20), totalQuantity: 1, parentId: 999_999, transmit: true });
    expect(rec.errors.find((e) => e.reqId === orphan)?.code).toBe(135);
  });

  it('re-placing a held order with transmit true transmits it', async () => {
    const id = await place({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 5, transmit: false });
    sim.advance(1_000);
    expect(statuses(id)).toEqual(['PreSubmitted']);
    await replace(id, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 5, transmit: true });
    await step(FAST.ackDelayMs + FAST.fillDelayMs, () => last(id) === 'Filled', 'held order Filled once transmitted');
    expect(fillsOf(id)).toEqual([5]);
  });

  it('OCA type 1: the first fill cancels the rest of the group', async () => {
    const group = { ocaGroup: 'oca-1', ocaType: 1, transmit: true };
    const fills = await place({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: px(5), totalQuantity: 7, ...group });
    const rests = await place({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: px(-20), totalQuantity: 7, ...group });
    expect(opened(rests)!.ocaGroup).toBe('oca-1');
    expect(opened(rests)!.ocaType).toBe(1);
    await step(FAST.ackDelayMs + FAST.fillDelayMs, () => last(fills) === 'Filled' && last(rests) === 'Cancelled', 'one Filled, the other Cancelled');
    expect(fillsOf(rests)).toEqual([]);
  });

  it('OCA type 2: each fill reduces the others by its size; one reduced to nothing is cancelled', async () => {
    const group = { ocaGroup: 'oca-2', ocaType: 2, transmit: true };
    // 1000 shares fill as 400, 400, 200 (maxFillSize 400), each execution taking as much off the resting order.
    const fills = await place({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1000, ...group });
    const rests = await place({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: px(-20), totalQuantity: 1000, ...group });
    await step(FAST.ackDelayMs + FAST.fillDelayMs, () => opened(rests)?.totalQuantity === 600, 'resting order reduced to 600');
    expect(last(rests)).toBe('Submitted');
    await step(FAST.partialIntervalMs, () => opened(rests)?.totalQuantity === 200, 'resting order reduced to 200');
    await step(FAST.partialIntervalMs, () => last(fills) === 'Filled' && last(rests) === 'Cancelled', 'filled; the other cancelled');
    expect(fillsOf(fills)).toEqual([400, 400, 200]);
    expect(fillsOf(rests)).toEqual([]);
  });

  it('IOC fills what one attempt can and cancels the rest; FOK fills whole or is cancelled', async () => {
    const ioc = await place({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 600, tif: TimeInForce.IOC, transmit: true });
    const iocAway = await place({
      action: OrderAction.BUY,
      orderType: OrderType.LMT,
      lmtPrice: px(-20),
      totalQuantity: 5,
      tif: TimeInForce.IOC,
      transmit: true,
    });
    const fokBig = await place({ action: OrderAction.SELL, orderType: OrderType.MKT, totalQuantity: 600, tif: TimeInForce.FOK, transmit: true });
    const fok = await place({ action: OrderAction.SELL, orderType: OrderType.MKT, totalQuantity: 300, tif: TimeInForce.FOK, transmit: true });
    await step(
      FAST.ackDelayMs + FAST.fillDelayMs,
      () => [ioc, iocAway, fokBig].every((id) => last(id) === 'Cancelled') && last(fok) === 'Filled',
      'IOCs and the big FOK Cancelled, the small FOK Filled',
    );
    expect(fillsOf(ioc)).toEqual([400]);
    const iocFinal = rec.of(EventName.orderStatus).findLast((a) => a[0] === ioc)!;
    expect([iocFinal[2], iocFinal[3]]).toEqual([400, 0]); // filled, remaining
    expect(fillsOf(iocAway)).toEqual([]);
    expect(fillsOf(fokBig)).toEqual([]);
    expect(fillsOf(fok)).toEqual([300]);
    // Nothing more happens later: a cancelled IOC does not come back.
    sim.advance(2_000);
    expect(fillsOf(ioc)).toEqual([400]);
  });

  it('echoes in OPEN_ORDER what the client sent: outsideRth, goodTillDate, allOrNone, minQty, OCA group and type', async () => {
    const id = await place({
      action: OrderAction.BUY,
      orderType: OrderType.LMT,
      lmtPrice: px(-20),
      totalQuantity: 10,
      tif: TimeInForce.GTD,
      goodTillDate: '20260310 16:00:00 US/Eastern',
      outsideRth: true,
      allOrNone: true,
      minQty: 5,
      ocaGroup: 'echo',
      ocaType: 3,
      triggerMethod: 8,
      transmit: false,
    });
    const o = opened(id)!;
    expect({
      tif: o.tif,
      goodTillDate: o.goodTillDate,
      outsideRth: o.outsideRth,
      allOrNone: o.allOrNone,
      minQty: o.minQty,
      ocaGroup: o.ocaGroup,
      ocaType: o.ocaType,
      triggerMethod: o.triggerMethod,
    }).toEqual({
      tif: 'GTD',
      goodTillDate: '20260310 16:00:00 US/Eastern',
      outsideRth: true,
      allOrNone: true,
      minQty: 5,
      ocaGroup: 'echo',
      ocaType: 3,
      triggerMethod: 8,
    });
    api.cancelOrder(id);
    await waitFor(() => last(id) === 'Cancelled', 10_000, 'echo order cancelled');
  });

  it('STP waits PreSubmitted for its trigger on the last price, then trades as MKT; STP LMT as LMT; a stop not reached waits', async () => {
    const sellStop = await place({ action: OrderAction.SELL, orderType: OrderType.STP, auxPrice: px(-3), totalQuantity: 5, transmit: true });
    const stopLimit = (lmt: number) =>
      place({ action: OrderAction.SELL, orderType: OrderType.STP_LMT, auxPrice: px(-3), lmtPrice: px(lmt), totalQuantity: 5, transmit: true });
    const lowLimit = await stopLimit(-7);
    const highLimit = await stopLimit(-4);
    const buyStop = await place({ action: OrderAction.BUY, orderType: OrderType.STP, auxPrice: px(3), totalQuantity: 5, transmit: true });
    expect(opened(sellStop)!.auxPrice).toBe(px(-3));
    const all = [sellStop, lowLimit, highLimit, buyStop];
    // Acknowledged but not reached: PreSubmitted, whyHeld 'trigger', as the stops IB simulates show.
    await step(2_000, () => all.every((id) => whyHeld(id) === 'trigger'), 'stops held for their trigger');
    expect(all.map(last)).toEqual(['PreSubmitted', 'PreSubmitted', 'PreSubmitted', 'PreSubmitted']);
    expect(all.map(fillsOf)).toEqual([[], [], [], []]);
    // AAPL falls 5%: the sell stops (at -3%) trigger. The STP becomes a market order and the STP LMT limited at -7% a
    // marketable limit; the one limited at -4% is now a limit above the bid and rests. The buy stop (+3%) never triggers.
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: -5 });
    await step(2_000, () => last(sellStop) === 'Filled' && last(lowLimit) === 'Filled', 'sell stop and low stop limit Filled');
    expect([last(highLimit), whyHeld(highLimit)]).toEqual(['Submitted', '']);
    expect([last(buyStop), whyHeld(buyStop)]).toEqual(['PreSubmitted', 'trigger']);
    expect(fillsOf(highLimit)).toEqual([]);
    expect(fillsOf(buyStop)).toEqual([]);
    const stopFill = rec.of(EventName.execDetails).find((a) => (a[2] as { orderId: number }).orderId === sellStop)![2] as { price: number };
    expect(stopFill.price).toBeLessThan(px(-3));
  });
  it('triggerMethod picks the price a stop watches: a buy stop at the ask is reached on bid/ask (4), not on the last (2)', async () => {
    const reqId = 7001;
    const tick = (type: number) => rec.of(EventName.tickPrice).findLast((a) => a[0] === reqId && a[1] === type)?.[2] as number | undefined;
    api.reqMktData(reqId, AAPL, '', false, false);
    await waitFor(() => tick(2) !== undefined && tick(4) !== undefined, 10_000, 'AAPL ask and last');
    api.cancelMktData(reqId);
    const ask = tick(2)!;
    // The still market's last trades inside the spread, below the ask (the premise of the comparison).
    expect(tick(4)!).toBeLessThan(ask);
    const onLast = await place({ action: OrderAction.BUY, orderType: OrderType.STP, auxPrice: ask, triggerMethod: 2, totalQuantity: 3, transmit: true });
    const onAsk = await place({ action: OrderAction.BUY, orderType: OrderType.STP, auxPrice: ask, triggerMethod: 4, totalQuantity: 3, transmit: true });
    await step(2_000, () => last(onAsk) === 'Filled' && whyHeld(onLast) === 'trigger', 'bid/ask stop Filled, last stop waiting');
    expect(fillsOf(onLast)).toEqual([]);
    expect(fillsOf(onAsk)).toEqual([3]);
  });
});
