// Orders through the real client: status transitions, fills, partial fills, commissions, and positions,
// cash and account values moving consistently; cancels, global cancel across clients, read-only, rejects.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, OrderAction, OrderType, type Contract, type IBApi, type Order } from '@stoqey/ib';
import { Decimal } from '../../src/model/money.js';
import type { Simulator } from '../../src/sim/index.js';
import { roundToTick } from '../../src/sim/market.js';
import { onTick } from '../../src/sim/orders.js';
import { accountValues, connectApi, decodingErrors, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

const ACCOUNT = 'DU1234567';
const FAST = { ackDelayMs: 20, fillDelayMs: 30, partialIntervalMs: 60 };

interface Fill {
  execId: string;
  side: string;
  shares: number;
  price: number;
  contract: Contract;
}

/** Places an order and waits until it is Filled and every execution has its commission report. */
async function placeAndFill(
  api: IBApi,
  rec: Recorder,
  id: number,
  contract: Contract,
  order: Order,
): Promise<{ fills: Fill[]; commissions: Map<string, { commission: number; currency: string }> }> {
  api.placeOrder(id, contract, { transmit: true, ...order });
  await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === id && a[1] === 'Filled'), 10_000, `order ${id} Filled`);
  const fills = rec
    .of(EventName.execDetails)
    .filter((a) => (a[2] as { orderId: number }).orderId === id)
    .map((a) => ({ ...(a[2] as Omit<Fill, 'contract'>), contract: a[1] as Contract }));
  const commissions = new Map<string, { commission: number; currency: string }>();
  await waitFor(
    () => {
      for (const [r] of rec.of(EventName.commissionReport) as Array<[{ execId: string; commission: number; currency: string }]>) commissions.set(r.execId, r);
      return fills.every((f) => commissions.has(f.execId));
    },
    5_000,
    `commission reports of order ${id}`,
  );
  return { fills, commissions };
}

const dec = (x: number | string) => new Decimal(String(x));

describe('orders', () => {
  let sim: Simulator;
  let logs: string[];
  let api: IBApi;
  let rec: Recorder;
  let nextId: number;

  beforeAll(async () => {
    ({ sim, logs } = await startTestSim({ orders: { ...FAST, maxFillSize: { STK: '400' } } }));
    ({ api, rec, nextValidId: nextId } = await connectApi(sim.port, 3));
    api.reqAccountUpdates(true, ACCOUNT);
    api.reqPositions();
    await waitFor(() => rec.of(EventName.accountDownloadEnd).length > 0 && rec.of(EventName.positionEnd).length > 0);
  });

  afterAll(async () => {
    disconnectAll(api);
    await sim.close();
    expect(decodingErrors(rec)).toEqual([]);
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('fills a market order: PreSubmitted → Submitted → Filled, live execDetails (reqId -1), commission, position and cash follow', async () => {
    const id = nextId++;
    const cashBefore = accountValues(rec).get('CashBalance|USD') as Decimal;
    const { fills, commissions } = await placeAndFill(
      api,
      rec,
      id,
      { conId: 265598, exchange: 'SMART' },
      { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 100 },
    );
    const statuses = rec
      .of(EventName.orderStatus)
      .filter((a) => a[0] === id)
      .map((a) => a[1]);
    expect(statuses.slice(0, 2)).toEqual(['PreSubmitted', 'Submitted']);
    expect(statuses.at(-1)).toBe('Filled');
    expect(
      rec
        .of(EventName.execDetails)
        .filter((a) => (a[2] as { orderId: number }).orderId === id)
        .every((a) => a[0] === -1),
    ).toBe(true);
    expect(fills).toHaveLength(1);
    expect(fills[0]!.side).toBe('BOT');
    // IBKR-Pro-like fixed schedule: 0.005 USD per share, 1 USD minimum.
    expect(commissions.get(fills[0]!.execId)!.commission).toBe(1);
    await waitFor(() => rec.of(EventName.position).some((a) => (a[1] as { conId: number }).conId === 265598 && a[2] === 600));
    const expected = cashBefore.sub(dec(fills[0]!.price).mul(100)).sub(1);
    await waitFor(() => (accountValues(rec).get('CashBalance|USD') as Decimal).eq(expected), 5_000, 'CashBalance/USD after the fill');
    expect(sim.snapshot().positions.find((p) => p.conId === 265598)!.position).toBe('600');
    // Slippage is small: within 2 bp of the quoted ask, never better than the bid.
    const snap = sim.snapshot().positions.find((p) => p.conId === 265598)!;
    expect(Math.abs(fills[0]!.price / Number(snap.marketPrice) - 1)).toBeLessThan(0.01);
  });

  it('fills a large order in parts (maxFillSize 400): Submitted with filled/remaining, then Filled with the right average', async () => {
    const id = nextId++;
    const { fills } = await placeAndFill(
      api,
      rec,
      id,
      { conId: 265598, exchange: 'SMART' },
      { action: OrderAction.SELL, orderType: OrderType.MKT, totalQuantity: 1000 },
    );
    expect(fills.map((f) => f.shares)).toEqual([400, 400, 200]);
    const st = rec.of(EventName.orderStatus).filter((a) => a[0] === id);
    const partial = st.filter((a) => a[1] === 'Submitted' && (a[2] as number) > 0).map((a) => [a[2], a[3]]);
    expect(partial).toEqual([
      [400, 600],
      [800, 200],
    ]);
    const final = st.filter((a) => a[1] === 'Filled');
    expect(final.length).toBeGreaterThanOrEqual(2); // TWS repeats the final status
    const avg = fills
      .reduce((acc, f) => acc.add(dec(f.price).mul(f.shares)), dec(0))
      .div(1000)
      .toNumber();
    expect(final[0]![4]).toBeCloseTo(avg, 8);
    await waitFor(() => sim.snapshot().positions.find((p) => p.conId === 265598)!.position === '-400');
    // The long position flipped to short: realized P&L was booked on the 600 closed shares.
    expect(Number(sim.snapshot().positions.find((p) => p.conId === 265598)!.realizedPnl)).not.toBe(0);
  });

  it('trades MKT and LMT in every asset class; cash moves in the right currency by the right amount', async () => {
    // `tick`: the increment of the contract's market rule at the limit's price (its minTick, but 0.05 for the AAPL call
    // and 0.10 for the SPX put, both above 3.00); a limit off it is refused (error 110), as TWS refuses it.
    const cases: Array<{ c: Contract; action: 'BUY' | 'SELL'; qty: number; kind: 'notional' | 'futures' | 'fx'; mult: number; ccy: string; tick: number }> = [
      { c: { conId: 14204, exchange: 'SMART' }, action: 'BUY', qty: 20, kind: 'notional', mult: 1, ccy: 'EUR', tick: 0.01 },
      { c: { conId: 38709539, exchange: 'SMART' }, action: 'SELL', qty: 50, kind: 'notional', mult: 1, ccy: 'CHF', tick: 0.01 },
      { c: { conId: 13905, exchange: 'SMART' }, action: 'BUY', qty: 100, kind: 'notional', mult: 1, ccy: 'JPY', tick: 0.5 },
      { c: { conId: 734559211, exchange: 'SMART' }, action: 'BUY', qty: 2, kind: 'notional', mult: 100, ccy: 'USD', tick: 0.05 },
      { c: { conId: 735012458, exchange: 'SMART' }, action: 'BUY', qty: 1, kind: 'notional', mult: 100, ccy: 'USD', tick: 0.1 },
      { c: { conId: 637533641, exchange: 'CME' }, action: 'BUY', qty: 1, kind: 'futures', mult: 50, ccy: 'USD', tick: 0.25 },
      { c: { conId: 741231107, exchange: 'CME' }, action: 'BUY', qty: 1, kind: 'notional', mult: 50, ccy: 'USD', tick: 0.25 },
      { c: { conId: 742168315, exchange: 'NYMEX' }, action: 'SELL', qty: 1, kind: 'futures', mult: 1000, ccy: 'USD', tick: 0.01 },
      { c: { conId: 12087792, exchange: 'IDEALPRO' }, action: 'SELL', qty: 20000, kind: 'fx', mult: 1, ccy: 'USD', tick: 0.00005 },
      { c: { conId: 563840112, exchange: 'SMART' }, action: 'BUY', qty: 10000, kind: 'notional', mult: 0.01, ccy: 'USD', tick: 0.0001 },
    ];
    for (const type of ['MKT', 'LMT'] as const) {
      for (const k of cases) {
        const before = sim.snapshot();
        const posBefore = dec(before.positions.find((p) => p.conId === k.c.conId)?.position ?? '0');
        const mark = Number(before.positions.find((p) => p.conId === k.c.conId)!.marketPrice);
        // A marketable limit: 5% through the market.
        const lmtPrice =
          type === 'LMT' ? roundToTick(k.action === 'BUY' ? mark * 1.05 + 1 : mark * 0.95, k.tick, k.action === 'BUY' ? 'up' : 'down') : undefined;
        const id = nextId++;
        const { fills, commissions } = await placeAndFill(api, rec, id, k.c, {
          action: k.action as OrderAction,
          orderType: type as OrderType,
          totalQuantity: k.qty,
          lmtPrice,
        });
        const sign = k.action === 'BUY' ? 1 : -1;
        const after = sim.snapshot();
        expect(
          dec(after.positions.find((p) => p.conId === k.c.conId)!.position)
            .sub(posBefore)
            .toNumber(),
          `${type} ${k.c.conId}`,
        ).toBe(sign * k.qty);
        if (type === 'LMT') for (const f of fills) expect(sign * (f.price - lmtPrice!)).toBeLessThanOrEqual(1e-9);
        // Every fill is on the grid the limit had to be on, a price TWS would take back as a limit.
        for (const f of fills) expect(onTick(f.price, k.tick), `${type} ${k.c.conId} fill ${f.price}`).toBe(true);
        // Expected cash change, from what the client was told (execDetails + commissionReport).
        const delta = new Map<string, Decimal>();
        const add = (ccy: string, v: Decimal) => delta.set(ccy, (delta.get(ccy) ?? dec(0)).add(v));
        for (const f of fills) {
          const c = commissions.get(f.execId)!;
          add(c.currency, dec(c.commission).neg());
          if (k.kind === 'notional') add(k.ccy, dec(f.price).mul(f.shares).mul(String(k.mult)).mul(-sign));
          if (k.kind === 'fx') {
            add('EUR', dec(f.shares).mul(sign));
            add('USD', dec(f.price).mul(f.shares).mul(-sign));
          }
        }
        for (const [ccy, d] of delta) {
          expect(dec(after.cash[ccy]!).sub(before.cash[ccy]!).eq(d), `${type} ${k.c.conId} cash ${ccy}`).toBe(true);
        }
        // The client's account values caught up with the ledger.
        await waitFor(
          () => [...delta.keys()].every((ccy) => (accountValues(rec).get(`CashBalance|${ccy}`) as Decimal).eq(after.cash[ccy]!)),
          5_000,
          'CashBalance rows',
        );
      }
    }
    // The rows of one account push arrive one message at a time, and on a busy machine the client may hold half of
    // the newest push: the identity must hold once a push is whole.
    const n = (k: string) => accountValues(rec).get(`${k}|USD`) as Decimal;
    await waitFor(
      () => n('ExcessLiquidity').eq(n('EquityWithLoanValue').sub(n('MaintMarginReq'))),
      10_000,
      'ExcessLiquidity = EquityWithLoanValue − MaintMarginReq',
    );
  });

  it('rests a non-marketable limit order, fills it when the market comes through, and cancels another (202)', async () => {
    const mark = Number(sim.snapshot().positions.find((p) => p.conId === 272093)?.marketPrice ?? 415.2);
    const resting = nextId++;
    api.placeOrder(
      resting,
      { conId: 272093, exchange: 'SMART' },
      { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: Number((mark * 0.97).toFixed(2)), totalQuantity: 10, transmit: true },
    );
    await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === resting && a[1] === 'Submitted'));
    await sim.trigger({ incident: 'move', factor: 'MSFT', pct: -6 });
    await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === resting && a[1] === 'Filled'), 5_000, 'limit fill after the move');
    const fill = rec.of(EventName.execDetails).find((a) => (a[2] as { orderId: number }).orderId === resting)![2] as { price: number };
    expect(fill.price).toBeLessThanOrEqual(Number((mark * 0.97).toFixed(2)));

    const cancelled = nextId++;
    api.placeOrder(
      cancelled,
      { conId: 272093, exchange: 'SMART' },
      { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: 1, totalQuantity: 10, transmit: true },
    );
    await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === cancelled && a[1] === 'Submitted'));
    api.cancelOrder(cancelled);
    await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === cancelled && a[1] === 'Cancelled'));
    await waitFor(() => rec.errors.some((e) => e.reqId === cancelled && e.code === 202));
    api.cancelOrder(cancelled);
    await waitFor(() => rec.errors.some((e) => e.reqId === cancelled && e.code === 10148));
    api.cancelOrder(987654);
    await waitFor(() => rec.errors.some((e) => e.reqId === 987654 && e.code === 10147));
  });

  it('rejects what TWS rejects: duplicate id (103), margin (201, Inactive), bad quantity (434), unsupported type (387)', async () => {
    const used = nextId - 1;
    api.placeOrder(used, { conId: 265598, exchange: 'SMART' }, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, transmit: true });
    await waitFor(() => rec.errors.some((e) => e.reqId === used && e.code === 103));

    const huge = nextId++;
    const before = sim.snapshot().positions.find((p) => p.conId === 265598)!.position;
    api.placeOrder(huge, { conId: 265598, exchange: 'SMART' }, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 50_000, transmit: true });
    await waitFor(() => rec.errors.some((e) => e.reqId === huge && e.code === 201));
    expect(rec.errors.find((e) => e.reqId === huge)!.message).toMatch(/EQUITY WITH LOAN VALUE .* MUST EXCEED THE INITIAL MARGIN/);
    expect(rec.of(EventName.orderStatus).some((a) => a[0] === huge && a[1] === 'Inactive')).toBe(true);
    expect(sim.snapshot().positions.find((p) => p.conId === 265598)!.position).toBe(before);

    const zero = nextId++;
    api.placeOrder(zero, { conId: 265598, exchange: 'SMART' }, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 0, transmit: true });
    await waitFor(() => rec.errors.some((e) => e.reqId === zero && e.code === 434));
    // A volatility order is for options only: TWS refuses it on a stock.
    const vol = nextId++;
    api.placeOrder(
      vol,
      { conId: 265598, exchange: 'SMART' },
      { action: OrderAction.SELL, orderType: OrderType.VOL, volatility: 30, volatilityType: 2, totalQuantity: 1, transmit: true },
    );
    await waitFor(() => rec.errors.some((e) => e.reqId === vol && e.code === 387));
  });

  it('answers a what-if order with margin impact and does not trade', async () => {
    const id = nextId++;
    const before = sim.snapshot().executions.length;
    api.placeOrder(
      id,
      { conId: 265598, exchange: 'SMART' },
      { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 100, whatIf: true, transmit: true },
    );
    await waitFor(() => rec.of(EventName.openOrder).some((a) => a[0] === id));
    const [, , order, state] = rec.of(EventName.openOrder).find((a) => a[0] === id)! as [number, unknown, { whatIf: boolean }, Record<string, number>];
    expect(order.whatIf).toBe(true);
    const markOf = (conId: number) => Number(sim.snapshot().positions.find((p) => p.conId === conId)!.marketPrice);
    const S = markOf(265598);
    // Buying 100 shares while short 400 frees the short's 30% on 100 shares, but the short shares then cover only three
    // of the five short AAPL 210 puts (CBOE covered put), so one more put is margined naked (out of the money here).
    const nakedPut = (markOf(734559377) + Math.max(0.2 * S - Math.max(0, S - 210), 0.1 * 210)) * 100;
    const expected = -0.3 * 100 * S + nakedPut;
    // The market moves between the what-if and the snapshot read here: within 2%.
    expect(Math.abs(state.initMarginChange! - expected)).toBeLessThan(Math.abs(expected) * 0.02);
    expect(state.initMarginAfter! - state.initMarginBefore!).toBeCloseTo(state.initMarginChange!, 2);
    // The commission estimate says what currency it is in (it came with an empty one).
    expect((state as unknown as { commissionCurrency: string }).commissionCurrency).toBe('USD');
    expect(sim.snapshot().executions.length).toBe(before);
  });

  it("global cancel cancels every open order, including other clients' and a manual TWS order", async () => {
    const { api: other, rec: orec, nextValidId } = await connectApi(sim.port, 4);
    try {
      const mine = nextId++;
      api.placeOrder(
        mine,
        { conId: 272093, exchange: 'SMART' },
        { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: 1, totalQuantity: 1, transmit: true },
      );
      other.placeOrder(
        nextValidId,
        { conId: 272093, exchange: 'SMART' },
        { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: 2, totalQuantity: 1, transmit: true },
      );
      await sim.trigger({ incident: 'manual-order', conId: 265598, action: 'BUY', quantity: '1', orderType: 'LMT', lmtPrice: 3 });
      await sim.trigger({ incident: 'foreign-order', clientId: 77, conId: 265598, action: 'BUY', quantity: '1', orderType: 'LMT', lmtPrice: 4 });
      await waitFor(() => sim.snapshot().openOrders.filter((o) => o.status === 'Submitted').length >= 4, 5_000, 'four working orders');
      other.reqGlobalCancel();
      await waitFor(() => sim.snapshot().openOrders.length === 0, 5_000, 'no open orders');
      await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === mine && a[1] === 'Cancelled'));
      await waitFor(() => orec.of(EventName.orderStatus).some((a) => a[0] === nextValidId && a[1] === 'Cancelled'));
      expect(decodingErrors(orec)).toEqual([]);
    } finally {
      other.disconnect();
    }
  });
});

describe('read-only API', () => {
  it('answers orders, cancels and global cancel with 321 and never trades', async () => {
    const { sim } = await startTestSim({ readOnlyApi: true });
    const { api, rec, nextValidId } = await connectApi(sim.port, 8);
    try {
      api.placeOrder(
        nextValidId,
        { conId: 265598, exchange: 'SMART' },
        { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, transmit: true },
      );
      await waitFor(() => rec.errors.some((e) => e.reqId === nextValidId && e.code === 321));
      expect(rec.errors.find((e) => e.code === 321)!.message).toMatch(/Read-Only/);
      api.cancelOrder(nextValidId);
      await waitFor(() => rec.errors.filter((e) => e.code === 321).length >= 2);
      api.reqGlobalCancel();
      await waitFor(() => rec.infos.some((i) => i.code === 321));
      expect(sim.snapshot().executions).toEqual([]);
      expect(sim.snapshot().openOrders).toEqual([]);
    } finally {
      api.disconnect();
      await sim.close();
    }
  });
});
