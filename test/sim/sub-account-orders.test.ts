// Orders on an advisor (FA) login: an order naming a sub-account fills in that sub-account only (positions, executions'
// acctNumber, its values and positions on the *Multi streams, its what-if margin), one naming no account gets TWS's 436,
// one naming an account the login does not manage gets 321. Through the real @stoqey/ib client.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, OrderAction, OrderType, type Contract, type IBApi } from '@stoqey/ib';
import { Decimal } from '../../src/model/money.js';
import { snapshotValue, type Simulator } from '../../src/sim/index.js';
import { FA_BOOKS, connectApi, decodingErrors, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

const MAIN = 'DU1234567';
const SUB = 'DU2000001';
const AAPL: Contract = { conId: 265598, exchange: 'SMART' };
const FAST = { ackDelayMs: 20, fillDelayMs: 30, partialIntervalMs: 60 };

describe('orders for the sub-accounts of an advisor login', () => {
  let sim: Simulator;
  let logs: string[];
  let api: IBApi;
  let rec: Recorder;
  let nextId: number;

  beforeAll(async () => {
    // Frozen prices: the books compared before and after the fill move only by the fill.
    ({ sim, logs } = await startTestSim({ subAccounts: FA_BOOKS, orders: FAST, market: { volScale: 0 } }));
    ({ api, rec, nextValidId: nextId } = await connectApi(sim.port, 5));
    api.reqAccountUpdates(true, MAIN);
    api.reqPositionsMulti(31, 'All', '');
    api.reqAccountUpdatesMulti(32, SUB, '', false);
    await waitFor(
      () =>
        rec.of(EventName.accountDownloadEnd).length > 0 && rec.of(EventName.positionMultiEnd).length > 0 && rec.of(EventName.accountUpdateMultiEnd).length > 0,
      20_000,
      'the subscriptions answered',
    );
  });

  afterAll(async () => {
    disconnectAll(api);
    await sim.close();
    expect(decodingErrors(rec)).toEqual([]);
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('fills an order naming a sub-account in that account only, and says so on every stream', async () => {
    const others = [MAIN, 'DU2000002', 'DU2000003'];
    const before = new Map(others.map((a) => [a, sim.snapshot(a)]));
    const subBefore = sim.snapshot(SUB);
    expect(subBefore.positions.find((p) => p.conId === 265598)!.position).toBe('100');
    const cashBefore = new Decimal(subBefore.cash.USD!);
    const mainCountBefore = rec.of(EventName.updatePortfolio).length;

    const id = nextId++;
    api.placeOrder(id, AAPL, { action: OrderAction.SELL, orderType: OrderType.MKT, totalQuantity: 40, account: SUB, transmit: true });
    await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === id && a[1] === 'Filled'), 20_000, 'the order filled');

    // OPEN_ORDER and EXECUTION_DATA name the sub-account.
    const open = rec.of(EventName.openOrder).filter((a) => a[0] === id);
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((a) => (a[2] as { account: string }).account === SUB)).toBe(true);
    const execs = rec.of(EventName.execDetails).filter((a) => (a[2] as { orderId: number }).orderId === id);
    expect(execs.map((a) => (a[2] as { acctNumber: string }).acctNumber)).toEqual([SUB]);
    const exec = execs[0]![2] as { execId: string; price: number; shares: number };
    expect(exec.shares).toBe(40);
    const commission = await waitFor(
      () => (rec.of(EventName.commissionReport) as Array<[{ execId: string; commission: number }]>).find(([r]) => r.execId === exec.execId)?.[0].commission,
      20_000,
      'the commission report',
    );

    // The simulator's truth: the sub-account's book moved by exactly the fill, every other account's did not.
    const sub = sim.snapshot(SUB);
    expect(sub.positions.find((p) => p.conId === 265598)!.position).toBe('60');
    const cashAfter = cashBefore.add(new Decimal(String(exec.price)).mul(40)).sub(new Decimal(String(commission)));
    expect(new Decimal(sub.cash.USD!).eq(cashAfter)).toBe(true);
    expect(sub.executions.map((e) => [e.orderId, e.account, e.side, e.shares])).toEqual([[id, SUB, 'SLD', '40']]);
    for (const a of others) {
      const now = sim.snapshot(a);
      expect(now.positions.map((p) => [p.conId, p.position])).toEqual(before.get(a)!.positions.map((p) => [p.conId, p.position]));
      expect(now.cash).toEqual(before.get(a)!.cash);
      expect(now.executions).toEqual([]);
    }

    // POSITION_MULTI and ACCOUNT_UPDATE_MULTI follow the sub-account; reqAccountUpdates (the login's own) does not.
    await waitFor(
      () => rec.of(EventName.positionMulti).some((a) => a[1] === SUB && (a[3] as { conId: number }).conId === 265598 && Number(a[4]) === 60),
      20_000,
      'POSITION_MULTI of the sub-account',
    );
    await waitFor(
      () =>
        rec
          .of(EventName.accountUpdateMulti)
          .some((a) => a[0] === 32 && a[1] === SUB && a[3] === 'CashBalance' && a[5] === 'USD' && new Decimal(a[4] as string).eq(cashAfter)),
      20_000,
      "the sub-account's CashBalance on its multi stream",
    );
    expect(rec.of(EventName.positionMulti).some((a) => a[1] === MAIN && (a[3] as { conId: number }).conId === 265598 && Number(a[4]) === 60)).toBe(false);
    expect(
      rec
        .of(EventName.updatePortfolio)
        .slice(mainCountBefore)
        .some((a) => (a[0] as { conId: number }).conId === 265598 && a[1] === 60),
    ).toBe(false);

    // reqExecutions filtered by account: the sub-account's fill under it, none under the login's own.
    api.reqExecutions(41, { acctCode: SUB });
    api.reqExecutions(42, { acctCode: MAIN });
    await waitFor(() => rec.of(EventName.execDetailsEnd).filter((a) => a[0] === 41 || a[0] === 42).length === 2, 20_000, 'both execution lists');
    const listed = (reqId: number) =>
      rec
        .of(EventName.execDetails)
        .filter((a) => a[0] === reqId)
        .map((a) => (a[2] as { orderId: number }).orderId);
    expect(listed(41)).toEqual([id]);
    expect(listed(42)).toEqual([]);
  });

  it("answers a what-if for a sub-account from that account's margin, not the login's", async () => {
    const id = nextId++;
    api.placeOrder(id, AAPL, { action: OrderAction.SELL, orderType: OrderType.MKT, totalQuantity: 10, account: 'DU2000002', whatIf: true, transmit: true });
    await waitFor(() => rec.of(EventName.openOrder).some((a) => a[0] === id), 20_000, 'the what-if answer');
    const [, , order, state] = rec.of(EventName.openOrder).find((a) => a[0] === id)! as [number, unknown, { account: string }, { initMarginBefore: number }];
    expect(order.account).toBe('DU2000002');
    const subInit = Number(snapshotValue(sim.snapshot('DU2000002'), 'InitMarginReq'));
    const mainInit = Number(snapshotValue(sim.snapshot(MAIN), 'InitMarginReq'));
    expect(state.initMarginBefore).toBeCloseTo(subInit, 2);
    expect(Math.abs(state.initMarginBefore - mainInit)).toBeGreaterThan(1000);
    expect(sim.snapshot('DU2000002').executions).toEqual([]);
  });

  it('rejects an order naming no account (436, no allocation) and one naming an account the login does not manage (321)', async () => {
    const blank = nextId++;
    api.placeOrder(blank, AAPL, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, transmit: true });
    const stranger = nextId++;
    api.placeOrder(stranger, AAPL, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, account: 'DU9999999', transmit: true });
    const e436 = await waitFor(() => rec.errors.find((e) => e.reqId === blank), 20_000, 'the answer to the order naming no account');
    expect(e436.code).toBe(436);
    expect(e436.message).toMatch(/You must specify an allocation \(either a single account, group, or profile\)/);
    const e321 = await waitFor(() => rec.errors.find((e) => e.reqId === stranger), 20_000, 'the answer to the order naming a stranger');
    expect(e321.code).toBe(321);
    expect(e321.message).toContain('Invalid account code DU9999999');
    for (const a of [MAIN, ...Object.keys(FA_BOOKS)]) expect(sim.snapshot(a).openOrders).toEqual([]);
    expect(rec.of(EventName.openOrder).some((a) => a[0] === blank || a[0] === stranger)).toBe(false);
  });
});
