// Each incident is observable from the client side, through the real @stoqey/ib client.
import { describe, it, expect, afterEach } from 'vitest';
import { firstValueFrom, timeout } from 'rxjs';
import { ConnectionState, ErrorCode, EventName, IBApi, IBApiNextTickType, OrderAction, OrderType, type Contract, type IBApiNext, type Order } from '@stoqey/ib';
import { Decimal } from '../../src/model/money.js';
import type { Simulator } from '../../src/sim/index.js';
import { accountValues, after, connectApi, connectNext, decodingErrors, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

const ACCOUNT = 'DU1234567';
/**
 * Frozen prices (volScale 0) and a stopped clock (speed 0: no time decay or accrual between two reads, however slow
 * the machine) make before/after comparisons exact.
 */
const FROZEN = { market: { volScale: 0 }, speed: 0 };

let sim: Simulator | undefined;
const clients: Array<IBApi | IBApiNext> = [];
const recorders: Recorder[] = [];

async function open(opts = {}): Promise<Simulator> {
  ({ sim } = await startTestSim(opts));
  return sim;
}
async function raw(port: number, clientId: number) {
  const c = await connectApi(port, clientId);
  clients.push(c.api);
  recorders.push(c.rec);
  return c;
}

afterEach(async () => {
  disconnectAll(...clients);
  clients.length = 0;
  await sim?.close();
  sim = undefined;
  for (const r of recorders) expect(decodingErrors(r)).toEqual([]);
  recorders.length = 0;
});

describe('connection incidents', () => {
  it('refuses a second connection with a client id in use (326 via EventName.info); the first keeps working', async () => {
    const s = await open();
    const first = await raw(s.port, 7);
    const second = new IBApi({ host: '127.0.0.1', port: s.port });
    clients.push(second);
    const infos: number[] = [];
    let disconnected = false;
    second.on(EventName.info, (_m: string, code: number) => infos.push(code));
    second.on(EventName.disconnected, () => (disconnected = true));
    second.connect(7);
    await waitFor(() => infos.includes(326) && disconnected, 5_000, '326 then disconnect');
    first.api.reqCurrentTime();
    await waitFor(() => first.rec.of(EventName.currentTime).length > 0);
  });

  it('socket drop: IBApiNext reconnects and gets its positions again', async () => {
    const s = await open();
    const { ib, rec } = await connectNext(s.port, 9, 200);
    clients.push(ib);
    recorders.push(rec);
    const states: ConnectionState[] = [];
    ib.connectionState.subscribe((st) => states.push(st));
    const sub = ib.getPositions().subscribe(() => {});
    await waitFor(() => rec.of(EventName.positionEnd).length === 1);
    await s.trigger({ incident: 'drop' });
    await waitFor(() => states.includes(ConnectionState.Disconnected), 5_000, 'Disconnected');
    await waitFor(() => rec.of(EventName.positionEnd).length === 2, 10_000, 'positions after reconnect');
    expect(states.at(-1)).toBe(ConnectionState.Connected);
    sub.unsubscribe();
  });

  it('TWS restart: connection refused while down, then accepted with positions intact', async () => {
    const s = await open({ orders: { ackDelayMs: 10, fillDelayMs: 10 } });
    const { api, rec, nextValidId } = await raw(s.port, 10);
    api.placeOrder(nextValidId, { conId: 265598, exchange: 'SMART' }, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 7, transmit: true });
    await waitFor(() => s.snapshot().positions.find((p) => p.conId === 265598)!.position === '507');
    const truth = s.snapshot().positions.map((p) => [p.conId, p.position]);

    await s.trigger({ incident: 'restart', downSeconds: 1.5 });
    await waitFor(() => rec.of(EventName.disconnected).length > 0, 5_000, 'client sees the drop');
    const probe = new IBApi({ host: '127.0.0.1', port: s.port });
    clients.push(probe);
    const probeErrors: Array<{ code: number; message: string }> = [];
    probe.on(EventName.error, (err: Error, code: number) => probeErrors.push({ code, message: err.message }));
    probe.connect(11);
    await waitFor(() => probeErrors.some((e) => e.code === ErrorCode.CONNECT_FAIL && /ECONNREFUSED/.test(e.message)), 5_000, 'connection refused');

    const { ib, rec: nrec } = await connectNext(s.port, 12, 250).catch(async () => connectNext(s.port, 12, 250));
    clients.push(ib);
    recorders.push(nrec);
    const update = await firstValueFrom(ib.getPositions().pipe(timeout(10_000)));
    const rows = update.all.get(ACCOUNT)!.map((r) => [r.contract.conId, String(r.pos)]);
    expect(rows.sort()).toEqual(truth.sort());
  });

  it('zombie: the socket stays open but getCurrentTime never answers, until it recovers', async () => {
    const s = await open();
    const { ib, raw: api, rec } = await connectNext(s.port, 13);
    clients.push(ib);
    recorders.push(rec);
    expect(await ib.getCurrentTime()).toBeGreaterThan(0);
    await s.trigger({ incident: 'zombie' });
    const answer = await Promise.race([ib.getCurrentTime(), after(1_000, 'no answer')]);
    expect(answer).toBe('no answer');
    expect(ib.isConnected).toBe(true);
    // New connections hang too: TCP accepts, the handshake is never answered.
    const late = new IBApi({ host: '127.0.0.1', port: s.port });
    clients.push(late);
    let lateReady = false;
    late.on(EventName.nextValidId, () => (lateReady = true));
    late.connect(14);
    expect(await Promise.race([waitFor(() => lateReady, 800).then(() => 'ready'), after(800, 'hung')])).toBe('hung');
    await s.trigger({ incident: 'recover' });
    api.reqCurrentTime();
    await waitFor(() => rec.of(EventName.currentTime).length >= 2, 5_000, 'currentTime after recovery');
  });

  it('connectivity lost and restored: 1100, fills wait, 1102 resumes; 1101 drops market and account data subscriptions', async () => {
    const s = await open({ orders: { ackDelayMs: 10, fillDelayMs: 10 } });
    const { api, rec, nextValidId } = await raw(s.port, 15);
    api.reqMktData(1, { conId: 265598, exchange: 'SMART' }, '', false, false);
    api.reqAccountSummary(2, 'All', 'NetLiquidation');
    api.reqPnL(3, s.snapshot().account, '');
    api.reqPositions();
    api.reqAccountUpdates(true, s.snapshot().account);
    await waitFor(() => rec.of(EventName.tickPrice).length > 0 && rec.of(EventName.accountDownloadEnd).length > 0);
    const subscribed = { marketData: 1, summaries: 1, pnl: 1, positions: true, account: true };
    expect(s.snapshot().sessions[0]).toMatchObject(subscribed);
    await s.trigger({ incident: 'connectivity-lost' });
    await waitFor(() => rec.infos.some((i) => i.code === 1100));
    expect(rec.infos.find((i) => i.code === 1100)!.message).toBe('Connectivity between IB and Trader Workstation has been lost.');
    api.placeOrder(nextValidId, { conId: 265598, exchange: 'SMART' }, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 3, transmit: true });
    await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === nextValidId && a[1] === 'Submitted'));
    expect(await Promise.race([waitFor(() => rec.of(EventName.execDetails).length > 0, 600).then(() => 'filled'), after(600, 'held')])).toBe('held');
    await s.trigger({ incident: 'connectivity-restored', dataLost: false });
    await waitFor(() => rec.infos.some((i) => i.code === 1102));
    await waitFor(() => rec.of(EventName.execDetails).length > 0, 5_000, 'fill after 1102');
    expect(s.snapshot().sessions[0]).toMatchObject(subscribed);
    await s.trigger({ incident: 'connectivity-lost' });
    await s.trigger({ incident: 'connectivity-restored', dataLost: true });
    await waitFor(() => rec.infos.some((i) => i.code === 1101));
    expect(s.snapshot().sessions[0]).toMatchObject({ marketData: 0, summaries: 0, pnl: 0, positions: false, account: false });
  });

  it('data farm messages 2104, 2106, 2108 (and 2103 pauses market data)', async () => {
    const s = await open();
    const { rec } = await raw(s.port, 16);
    await s.trigger({ incident: 'farm', code: 2108 });
    await s.trigger({ incident: 'farm', code: 2106, farm: 'euhmds' });
    await s.trigger({ incident: 'farm', code: 2103 });
    await s.trigger({ incident: 'farm', code: 2104 });
    await waitFor(() => rec.infos.filter((i) => [2108, 2106, 2103].includes(i.code)).length >= 4);
    const msgs = rec.infos.map((i) => `${i.code} ${i.message}`);
    expect(msgs).toContain('2108 Market data farm connection is inactive but should be available upon demand.usfarm');
    expect(msgs).toContain('2106 HMDS data farm connection is OK:euhmds');
    expect(msgs).toContain('2103 Market data farm connection is broken:usfarm');
    expect(msgs.at(-1)).toBe('2104 Market data farm connection is OK:usfarm');
  });
});

describe('market data farm outage (2103 … 2104)', () => {
  /** The last updatePortfolio row of a contract: [marketPrice, marketValue, unrealizedPnL]. */
  const lastRow = (rec: Recorder, conId: number) => {
    const a = rec
      .of(EventName.updatePortfolio)
      .filter((x) => (x[0] as { conId: number }).conId === conId)
      .at(-1);
    return a ? [a[2], a[3], a[5]].map(Number) : undefined;
  };
  /** One request's answer: everything the simulator sent before it has been read. */
  async function roundTrip(api: IBApi, rec: Recorder): Promise<void> {
    const n = rec.of(EventName.currentTime).length;
    api.reqCurrentTime();
    await waitFor(() => rec.of(EventName.currentTime).length > n, 5_000, 'currentTime');
  }

  it('holds the portfolio marks, market values and unrealized P&L while the farm is down; they move again after 2104', async () => {
    // A stopped clock stepped by hand: the market walks (default volatility) exactly as far as the test says.
    const s = await open({ speed: 0 });
    const { api, rec } = await raw(s.port, 31);
    api.reqAccountUpdates(true, ACCOUNT);
    await waitFor(() => rec.of(EventName.accountDownloadEnd).length > 0);
    const aapl = () => s.snapshot().positions.find((p) => p.conId === 265598)!;
    s.advance(1_000);
    await s.trigger({ incident: 'farm', code: 2103 });
    const atOutage = aapl();
    const nlv = () => s.snapshot().accountValues.find((r) => r.key === 'NetLiquidation' && r.currency === 'USD')!.value;
    const nlvAtOutage = nlv();
    // The first portfolio push of the outage (t = 3 s) carries the marks of the last market step before it.
    s.advance(2_000);
    await roundTrip(api, rec);
    const held = lastRow(rec, 265598)!;
    expect(held).toEqual([atOutage.marketPrice, atOutage.marketValue, atOutage.unrealizedPnl].map(Number));
    const rows = rec.of(EventName.updatePortfolio).length;
    // 8 s more of market steps and portfolio pushes (every 3 s): the walk goes on underneath, the marks stand still.
    for (let t = 0; t < 8_000; t += 250) s.advance(250);
    // A second 2103 while down keeps the first marks.
    await s.trigger({ incident: 'farm', code: 2103 });
    s.advance(3_000);
    await roundTrip(api, rec);
    expect(rec.of(EventName.updatePortfolio).length).toBe(rows);
    expect(aapl()).toEqual(atOutage);
    expect(nlv()).toBe(nlvAtOutage);

    await s.trigger({ incident: 'farm', code: 2104 });
    s.advance(3_000);
    await roundTrip(api, rec);
    const moved = lastRow(rec, 265598)!;
    expect(moved[0]).not.toBe(held[0]);
    expect(moved[1]).not.toBe(held[1]);
    expect(moved[2]).not.toBe(held[2]);
    expect(nlv()).not.toBe(nlvAtOutage);
  });
});

describe('market and margin incidents', () => {
  async function subscribed(s: Simulator, clientId: number) {
    const c = await raw(s.port, clientId);
    c.api.reqAccountUpdates(true, ACCOUNT);
    await waitFor(() => c.rec.of(EventName.accountDownloadEnd).length > 0);
    return c;
  }
  const num = (rec: Recorder, key: string, ccy = 'USD') => accountValues(rec).get(`${key}|${ccy}`) as Decimal;

  it('margin spike: requirements jump with no position change, pushed at once', async () => {
    const s = await open(FROZEN);
    const { rec } = await subscribed(s, 17);
    const positions = JSON.stringify(s.snapshot().positions.map((p) => [p.conId, p.position]));
    const mmC = num(rec, 'MaintMarginReq-C');
    const mmS = num(rec, 'MaintMarginReq-S');
    await s.trigger({ incident: 'margin-spike', factor: 2, secTypes: ['FUT', 'FOP'] });
    await waitFor(() => !num(rec, 'MaintMarginReq-C').eq(mmC), 5_000, 'new MaintMarginReq-C');
    expect(num(rec, 'MaintMarginReq-C').sub(mmC.mul(2)).abs().lte('0.01')).toBe(true);
    expect(num(rec, 'MaintMarginReq-S').eq(mmS)).toBe(true);
    expect(num(rec, 'ExcessLiquidity').eq(num(rec, 'EquityWithLoanValue').sub(num(rec, 'MaintMarginReq')))).toBe(true);
    expect(JSON.stringify(s.snapshot().positions.map((p) => [p.conId, p.position]))).toBe(positions);
  });

  it('currency gap: CHF +20% against the base moves ExchangeRate and NetLiquidation by the CHF exposure', async () => {
    const s = await open(FROZEN);
    const { rec } = await subscribed(s, 18);
    const x0 = num(rec, 'ExchangeRate', 'CHF');
    const nlv0 = num(rec, 'NetLiquidation');
    const chfNlv = num(rec, 'NetLiquidationByCurrency', 'CHF');
    await s.trigger({ incident: 'fx-gap', currency: 'CHF', pct: 20 });
    // The rate and the NetLiquidation it moves are separate messages: a loaded machine can read between them.
    await waitFor(() => !num(rec, 'ExchangeRate', 'CHF').eq(x0) && !num(rec, 'NetLiquidation').eq(nlv0), 5_000, 'new CHF rate and NetLiquidation');
    const x1 = num(rec, 'ExchangeRate', 'CHF');
    expect(x1.div(x0).sub('1.2').abs().lte('0.00000002')).toBe(true);
    // The account is short CHF (loan > Nestle holding): the gap costs |CHF NLV| × ΔX.
    expect(chfNlv.isNegative()).toBe(true);
    const expectedLoss = chfNlv.mul(x1.sub(x0));
    const actual = num(rec, 'NetLiquidation').sub(nlv0);
    // With prices frozen and the simulated clock stopped nothing else moves: what is left is the rounding of the
    // three reported figures to the cent (two NetLiquidations and the CHF NetLiquidationByCurrency times ΔX < 1).
    expect(actual.sub(expectedLoss).abs().lte('0.02')).toBe(true);
    expect(num(rec, 'Cushion', '') ?? accountValues(rec).get('Cushion|')).toBeDefined();
  });

  it('equity crash with a volatility jump: marks fall, option IV jumps', async () => {
    const s = await open(FROZEN);
    const { rec } = await subscribed(s, 19);
    const { ib, rec: nrec } = await connectNext(s.port, 20);
    clients.push(ib);
    recorders.push(nrec);
    const aapl0 = Number(s.snapshot().positions.find((p) => p.conId === 265598)!.marketPrice);
    const iv = (x: { all: ReadonlyMap<number, { value?: number }> }) => x.all.get(IBApiNextTickType.MODEL_OPTION_IV)?.value;
    const seen: number[] = [];
    const sub = ib.getMarketData({ conId: 734559211, exchange: 'SMART' }, '', false, false).subscribe((x) => {
      const v = iv(x);
      if (v !== undefined && seen.at(-1) !== v) seen.push(v);
    });
    await waitFor(() => seen.length > 0, 5_000, 'model IV');
    expect(seen[0]).toBeCloseTo(0.27, 9);
    const nlv0 = num(rec, 'NetLiquidation');
    await s.trigger({ incident: 'crash', pct: -10, volJump: 0.5 });
    await waitFor(() => seen.length > 1, 5_000, 'model IV after the crash');
    expect(seen[1]).toBeCloseTo(0.405, 9);
    sub.unsubscribe();
    await waitFor(
      () => {
        const row = rec
          .of(EventName.updatePortfolio)
          .filter((a) => (a[0] as { conId: number }).conId === 265598)
          .at(-1);
        return row && Math.abs((row[2] as number) - aapl0 * 0.9) < 0.011;
      },
      5_000,
      'AAPL mark −10%',
    );
    expect(num(rec, 'NetLiquidation').lt(nlv0)).toBe(true);
  });

  it('an order by another API client, and one typed into TWS by hand, show up as position changes and executions', async () => {
    const s = await open({ orders: { ackDelayMs: 10, fillDelayMs: 10 } });
    const { api, rec } = await raw(s.port, 0);
    api.reqPositions();
    api.reqAutoOpenOrders(true);
    await waitFor(() => rec.of(EventName.positionEnd).length > 0 && rec.of(EventName.openOrderEnd).length > 0);
    await s.trigger({ incident: 'foreign-order', clientId: 42, symbol: 'MSFT', secType: 'STK', action: 'BUY', quantity: '100', orderType: 'MKT' });
    await waitFor(() => rec.of(EventName.position).some((a) => (a[1] as { conId: number }).conId === 272093 && a[2] === 100), 5_000, 'MSFT position');
    // Not this client's order: no live execDetails, but reqExecutions lists it with the other client id.
    expect(rec.of(EventName.execDetails)).toEqual([]);
    api.reqExecutions(5, {});
    await waitFor(() => rec.of(EventName.execDetailsEnd).length > 0);
    expect(rec.of(EventName.execDetails).map((a) => (a[2] as { clientId: number }).clientId)).toEqual([42]);

    await s.trigger({ incident: 'manual-order', conId: 637533641, action: 'SELL', quantity: '1', orderType: 'MKT' });
    await waitFor(() => rec.of(EventName.position).some((a) => (a[1] as { conId: number }).conId === 637533641 && a[2] === 1), 5_000, 'ES position');
    const manual = rec.of(EventName.openOrder).find((a) => (a[1] as { conId: number }).conId === 637533641)!;
    expect(manual[0]).toBeLessThan(0); // auto-bound manual order: negative id
    expect((manual[2] as { clientId: number }).clientId).toBe(0);
    await waitFor(() => rec.of(EventName.execDetails).some((a) => a[0] === -1 && (a[2] as { clientId: number }).clientId === 0));
  });

  it('a manual TWS order bound by reqOpenOrders on client 0 reports to client 0 when it modifies or cancels it', async () => {
    const s = await open({ orders: { ackDelayMs: 10, fillDelayMs: 10 } });
    const { api, rec } = await raw(s.port, 0);
    // Resting sells far above the market: nothing fills before client 0 acts.
    await s.trigger({ incident: 'manual-order', conId: 637533641, action: 'SELL', quantity: '1', orderType: 'LMT', lmtPrice: 9000 });
    await s.trigger({ incident: 'manual-order', conId: 637533641, action: 'SELL', quantity: '1', orderType: 'LMT', lmtPrice: 9500 });
    expect(rec.of(EventName.openOrder)).toEqual([]); // not bound yet, no reqAutoOpenOrders
    api.reqOpenOrders(); // IB: for client 0 this binds the open manual orders (negative ids)
    await waitFor(() => rec.of(EventName.openOrderEnd).length > 0);
    const bound = rec.of(EventName.openOrder).map((a) => ({ id: a[0] as number, contract: a[1] as Contract, order: a[2] as Order }));
    expect(bound.map((b) => b.id).every((id) => id < 0)).toBe(true);
    const [toFill, toCancel] = [bound.find((b) => b.order.lmtPrice === 9000)!, bound.find((b) => b.order.lmtPrice === 9500)!];
    rec.clear();

    api.cancelOrder(toCancel.id);
    await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === toCancel.id && a[1] === 'Cancelled'), 5_000, 'Cancelled');
    await waitFor(() => rec.errors.some((e) => e.reqId === toCancel.id && e.code === 202), 5_000, '202');

    api.placeOrder(toFill.id, { ...toFill.contract, exchange: 'CME' }, { ...toFill.order, lmtPrice: 1000 }); // now marketable
    await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === toFill.id && a[1] === 'Filled'), 5_000, 'Filled');
    await waitFor(() => rec.of(EventName.execDetails).some((a) => (a[1] as Contract).conId === 637533641), 5_000, 'execDetails');
    await waitFor(() => rec.of(EventName.commissionReport).length > 0, 5_000, 'commissionReport');
    expect(rec.of(EventName.openOrder).some((a) => a[0] === toFill.id && (a[2] as Order).lmtPrice === 1000)).toBe(true);
  });

  it('a manual order auto-bound by reqAutoOpenOrders(true) stays bound to client 0 after reqAutoOpenOrders(false)', async () => {
    const s = await open({ orders: { ackDelayMs: 10, fillDelayMs: 10 } });
    const { api, rec } = await raw(s.port, 0);
    api.reqAutoOpenOrders(true);
    await waitFor(() => rec.of(EventName.openOrderEnd).length > 0);
    await s.trigger({ incident: 'manual-order', conId: 637533641, action: 'SELL', quantity: '1', orderType: 'LMT', lmtPrice: 9000 });
    await waitFor(() => rec.of(EventName.openOrder).length > 0, 5_000, 'the auto-bound order');
    const id = rec.of(EventName.openOrder)[0]![0] as number;
    api.reqAutoOpenOrders(false);
    await waitFor(() => rec.of(EventName.openOrderEnd).length > 1);
    api.cancelOrder(id);
    await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === id && a[1] === 'Cancelled'), 5_000, 'Cancelled');
  });
});
