// The real @stoqey/ib client, over TCP, against the simulator: every data stream the console uses arrives,
// decodes cleanly, and agrees with the simulator's own truth (snapshot) and with identities computed here.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { EventName, IBApiNextTickType, IBApiTickType, MarketDataType, OrderAction, OrderType, SecType, type IBApi, type IBApiNext } from '@stoqey/ib';
import { Decimal } from '../../src/model/money.js';
import { snapshotValue, type Simulator } from '../../src/sim/index.js';
import { FRONT_AAPL_CALL } from '../../src/sim/instruments.js';
import { accountValues, connectApi, connectNext, decodingErrors, disconnectAll, startTestSim, waitFor, type Recorder } from './helpers.js';

const ACCOUNT = 'DU1234567';
const AAPL_CALL = 734559211;
const AAPL_PUT = 734559377;
const ES_FOP = 741231107;

describe('simulator seen through @stoqey/ib', () => {
  let sim: Simulator;
  let logs: string[];
  let api: IBApi;
  let rec: Recorder;
  let next: { ib: IBApiNext; raw: IBApi; rec: Recorder };

  beforeAll(async () => {
    ({ sim, logs } = await startTestSim({ cadence: { portfolioMs: 500, accountMs: 2_000, summaryMs: 1_000, pnlMs: 250 } }));
    ({ api, rec } = await connectApi(sim.port, 5));
    next = await connectNext(sim.port, 6);
  });

  afterAll(async () => {
    disconnectAll(api, next?.ib);
    await sim.close();
    expect(decodingErrors(rec)).toEqual([]);
    expect(decodingErrors(next.rec)).toEqual([]);
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('completes the handshake at server version 193: nextValidId, managed accounts, farm status', async () => {
    expect((api as unknown as { serverVersion: number }).serverVersion).toBe(193);
    await waitFor(() => rec.of(EventName.managedAccounts).length > 0);
    expect(rec.of(EventName.managedAccounts)[0]).toEqual([ACCOUNT]);
    await waitFor(() => rec.infos.length >= 3);
    expect(rec.infos.map((i) => i.code)).toEqual([2104, 2106, 2158]);
    expect(rec.infos[0]!.message).toBe('Market data farm connection is OK:usfarm');
    expect(await next.ib.getManagedAccounts()).toEqual([ACCOUNT]);
    const t = await next.ib.getCurrentTime();
    expect(Math.abs(t * 1000 - sim.now())).toBeLessThan(5_000);
  });

  it('delivers every position with TWS avgCost conventions, matching the simulator', async () => {
    const update = await firstValueFrom(next.ib.getPositions().pipe(timeout(5_000)));
    const rows = update.all.get(ACCOUNT) ?? [];
    const truth = sim.snapshot().positions;
    expect(rows.map((r) => r.contract.conId).sort()).toEqual(truth.map((p) => p.conId).sort());
    for (const p of truth) {
      const row = rows.find((r) => r.contract.conId === p.conId)!;
      expect(String(row.pos)).toBe(p.position);
      expect(row.avgCost).toBeCloseTo(Number(p.avgCost), 6);
    }
    // Conventions written down independently of the simulator: price × multiplier for derivatives.
    const byId = (id: number) => rows.find((r) => r.contract.conId === id)!;
    expect(byId(265598).avgCost).toBeCloseTo(185.2, 9); // AAPL stock: per share
    expect(byId(AAPL_CALL).avgCost).toBeCloseTo(685, 9); // 6.85 × 100
    expect(byId(AAPL_PUT).pos).toBe(-5); // short equity option
    expect(byId(637533641).avgCost).toBeCloseTo(5975.25 * 50, 6); // ES future
    expect(byId(563840112).contract.multiplier).toBe(0.01); // bond: face value × percent price
    const classes = new Set(rows.map((r) => `${r.contract.secType}/${r.contract.currency}`));
    for (const c of ['STK/USD', 'STK/EUR', 'STK/CHF', 'STK/JPY', 'OPT/USD', 'FUT/USD', 'FOP/USD', 'CASH/USD', 'BOND/USD']) {
      expect(classes.has(c), c).toBe(true);
    }
  });

  it('sends account values, then portfolio rows, then the update time, then download end; identities hold', async () => {
    const start = rec.of(EventName.all).length;
    const order: string[] = [];
    const onAll = (name: string) => order.push(name);
    api.on(EventName.all, onAll);
    api.reqAccountUpdates(true, ACCOUNT);
    await waitFor(() => rec.of(EventName.accountDownloadEnd).length > 0);
    api.off(EventName.all, onAll);
    expect(start).toBeGreaterThanOrEqual(0);
    const relevant = order.filter((n) =>
      [EventName.updateAccountValue, EventName.updatePortfolio, EventName.updateAccountTime, EventName.accountDownloadEnd].includes(n as EventName),
    );
    const firstPortfolio = relevant.indexOf(EventName.updatePortfolio);
    const lastValue = relevant.lastIndexOf(EventName.updateAccountValue);
    const time = relevant.indexOf(EventName.updateAccountTime);
    expect(lastValue).toBeLessThan(firstPortfolio);
    expect(relevant.lastIndexOf(EventName.updatePortfolio)).toBeLessThan(time);
    expect(relevant.indexOf(EventName.accountDownloadEnd)).toBe(relevant.length - 1);

    const v = accountValues(rec);
    const n = (key: string, ccy = 'USD') => {
      const x = v.get(`${key}|${ccy}`);
      if (!(x instanceof Decimal)) throw new Error(`missing ${key}/${ccy}`);
      return x;
    };
    // risk-model.md §0.1, §0.2 and the -S/-C split (§1.2).
    for (const seg of ['', '-S', '-C']) {
      expect(n(`ExcessLiquidity${seg}`).eq(n(`EquityWithLoanValue${seg}`).sub(n(`MaintMarginReq${seg}`))), seg).toBe(true);
      expect(n(`AvailableFunds${seg}`).eq(n(`EquityWithLoanValue${seg}`).sub(n(`InitMarginReq${seg}`))), seg).toBe(true);
    }
    for (const key of ['NetLiquidation', 'EquityWithLoanValue', 'InitMarginReq', 'MaintMarginReq', 'TotalCashValue']) {
      expect(n(key).eq(n(`${key}-S`).add(n(`${key}-C`))), key).toBe(true);
    }
    const cushion = new Decimal(v.get('Cushion|') as string);
    expect(
      cushion
        .sub(n('ExcessLiquidity').div(n('NetLiquidation')))
        .abs()
        .lte('0.0000005'),
    ).toBe(true);
    expect(n('NetLiquidationByCurrency', 'BASE').eq(n('NetLiquidation'))).toBe(true);
    expect(n('InitMarginReq').gt(n('MaintMarginReq'))).toBe(true);
    expect(v.get('AccountCode|')).toBe(ACCOUNT);

    // Per-currency rows reconcile with the BASE total through ExchangeRate (cents of rounding per currency).
    const ccys = ['USD', 'EUR', 'CHF', 'JPY', 'GBP'];
    const converted = ccys.reduce((acc, c) => acc.add(n('NetLiquidationByCurrency', c).mul(n('ExchangeRate', c))), new Decimal(0));
    expect(converted.sub(n('NetLiquidation')).abs().lte('0.1')).toBe(true);
    expect(n('ExchangeRate', 'USD').eq(1)).toBe(true);

    // Cash never moves with the market: it equals the simulator's ledger exactly.
    const cash = sim.snapshot().cash;
    for (const c of ccys) expect(n('CashBalance', c).eq(new Decimal(cash[c]!)), c).toBe(true);
  });

  it('sends portfolio rows whose values tie out (position × price × multiplier) and add up to the ledger rows', () => {
    const latest = new Map<number, unknown[]>();
    for (const args of rec.of(EventName.updatePortfolio)) latest.set((args[0] as { conId: number }).conId, args);
    expect(latest.size).toBe(sim.snapshot().positions.length);
    const stockByCcy = new Map<string, Decimal>();
    for (const [contract, pos, price, value] of latest.values() as Iterable<
      [{ secType: string; currency: string; multiplier?: number }, number, number, number]
    >) {
      const mult = contract.multiplier ? contract.multiplier : 1;
      expect(Math.abs(value - pos * price * mult)).toBeLessThan(0.006 + Math.abs(value) * 1e-12);
      if (contract.secType === 'STK') {
        stockByCcy.set(contract.currency, (stockByCcy.get(contract.currency) ?? new Decimal(0)).add(String(value)));
      }
    }
    const v = accountValues(rec);
    for (const [ccy, total] of stockByCcy) expect((v.get(`StockMarketValue|${ccy}`) as Decimal).sub(total).abs().lte('0.01'), ccy).toBe(true);
  });

  it('feeds IBApiNext.getAccountUpdates (values, portfolio and timestamp in one cache)', async () => {
    const update = await firstValueFrom(
      next.ib.getAccountUpdates(ACCOUNT).pipe(
        filter((u) => u.all.timestamp !== undefined && (u.all.portfolio?.get(ACCOUNT)?.length ?? 0) === sim.snapshot().positions.length),
        timeout(5_000),
      ),
    );
    const nlv = update.all.value?.get(ACCOUNT)?.get('NetLiquidation')?.get('USD')?.value;
    expect(Number(nlv)).toBeGreaterThan(0);
    expect(update.all.timestamp).toMatch(/^\d{2}:\d{2}$/);
  });

  it('answers reqAccountSummary including $LEDGER:ALL, consistent with the account values', async () => {
    const tags = 'NetLiquidation,EquityWithLoanValue,MaintMarginReq,ExcessLiquidity,Cushion,AccountType,$LEDGER:ALL';
    const update = await firstValueFrom(next.ib.getAccountSummary('All', tags).pipe(timeout(5_000)));
    const acct = update.all.get(ACCOUNT)!;
    const val = (tag: string, ccy: string) => acct.get(tag)?.get(ccy)?.value;
    expect(val('AccountType', '')).toBe('INDIVIDUAL');
    const el = new Decimal(val('ExcessLiquidity', 'USD')!);
    expect(el.eq(new Decimal(val('EquityWithLoanValue', 'USD')!).sub(val('MaintMarginReq', 'USD')!))).toBe(true);
    for (const ccy of ['BASE', 'USD', 'EUR', 'CHF', 'JPY', 'GBP']) {
      for (const tag of ['CashBalance', 'NetLiquidationByCurrency', 'ExchangeRate', 'StockMarketValue']) {
        expect(val(tag, ccy), `${tag}/${ccy}`).toBeDefined();
      }
    }
    expect(val('ExchangeRate', 'BASE')).toBe('1.00');
    expect(val('CashBalance', 'CHF')).toBe(sim.snapshot().cash.CHF + '.00');
    expect(new Decimal(val('NetLiquidationByCurrency', 'BASE')!).eq(val('NetLiquidation', 'USD')!)).toBe(true);
  });

  it('streams PnL and PnL single', async () => {
    const pnl = await firstValueFrom(
      next.ib.getPnL(ACCOUNT).pipe(
        filter((p) => p.unrealizedPnL !== undefined),
        timeout(5_000),
      ),
    );
    expect(typeof pnl.dailyPnL).toBe('number');
    expect(pnl.realizedPnL).toBe(0);
    const single = await firstValueFrom(next.ib.getPnLSingle(ACCOUNT, '', 265598).pipe(timeout(5_000)));
    expect(single.position).toBe(500);
    const mark = Number(sim.snapshot().positions.find((p) => p.conId === 265598)!.marketPrice);
    expect(single.marketValue! / 500).toBeGreaterThan(mark * 0.95);
    expect(single.marketValue! / 500).toBeLessThan(mark * 1.05);
    // A live subscription keeps receiving updates on the PnL cadence (firstValueFrom above cancelled its own).
    api.reqPnL(501, ACCOUNT, '');
    await waitFor(() => rec.of(EventName.pnl).filter((a) => a[0] === 501).length >= 3, 5_000, 'PnL updates');
    api.cancelPnL(501);
  });

  it('streams stock quotes (bid < ask, sizes) and option greeks on model, bid and ask computations', async () => {
    const stock = await firstValueFrom(
      next.ib.getMarketData({ conId: 265598, exchange: 'SMART' }, '106,221', false, false).pipe(
        filter((u) =>
          [IBApiTickType.BID, IBApiTickType.ASK, IBApiTickType.BID_SIZE, IBApiTickType.OPTION_IMPLIED_VOL, IBApiTickType.MARK_PRICE].every((t) => u.all.has(t)),
        ),
        timeout(5_000),
      ),
    );
    const bid = stock.all.get(IBApiTickType.BID)!.value!;
    const ask = stock.all.get(IBApiTickType.ASK)!.value!;
    expect(bid).toBeLessThan(ask);
    expect(stock.all.get(IBApiTickType.BID_SIZE)!.value).toBeGreaterThan(0);
    expect(stock.all.get(IBApiTickType.OPTION_IMPLIED_VOL)?.value).toBeGreaterThan(0);
    expect(stock.all.get(IBApiTickType.MARK_PRICE)?.value).toBeGreaterThan(bid - 0.02);

    const want = [
      IBApiNextTickType.MODEL_OPTION_IV,
      IBApiNextTickType.MODEL_OPTION_DELTA,
      IBApiNextTickType.MODEL_OPTION_GAMMA,
      IBApiNextTickType.MODEL_OPTION_VEGA,
      IBApiNextTickType.MODEL_OPTION_THETA,
      IBApiNextTickType.MODEL_OPTION_PRICE,
      IBApiTickType.BID,
      IBApiTickType.ASK,
    ];
    for (const [conId, sign] of [
      [AAPL_CALL, 1],
      [AAPL_PUT, -1],
      [ES_FOP, 1],
    ] as const) {
      const u = await firstValueFrom(
        next.ib.getMarketData({ conId, exchange: conId === ES_FOP ? 'CME' : 'SMART' }, '', false, false).pipe(
          filter((x) => want.every((t) => x.all.get(t)?.value !== undefined)),
          timeout(5_000),
        ),
      );
      const g = (t: number) => u.all.get(t)!.value!;
      const delta = g(IBApiNextTickType.MODEL_OPTION_DELTA);
      expect(delta * sign, `delta ${conId}`).toBeGreaterThan(0);
      expect(Math.abs(delta)).toBeLessThan(1);
      expect(g(IBApiNextTickType.MODEL_OPTION_GAMMA)).toBeGreaterThan(0);
      expect(g(IBApiNextTickType.MODEL_OPTION_VEGA)).toBeGreaterThan(0);
      expect(g(IBApiNextTickType.MODEL_OPTION_THETA)).toBeLessThan(0);
      const model = g(IBApiNextTickType.MODEL_OPTION_PRICE);
      expect(model).toBeGreaterThanOrEqual(g(IBApiTickType.BID));
      expect(model).toBeLessThanOrEqual(g(IBApiTickType.ASK));
    }
    // The per-contract implied vol (AAPL call 27%, put 30%) is what the model computation reports.
    const iv = await firstValueFrom(
      next.ib.getMarketData({ conId: AAPL_PUT, exchange: 'SMART' }, '', false, false).pipe(
        filter((x) => x.all.get(IBApiNextTickType.MODEL_OPTION_IV)?.value !== undefined),
        timeout(5_000),
      ),
    );
    expect(iv.all.get(IBApiNextTickType.MODEL_OPTION_IV)!.value).toBeCloseTo(0.3, 9);
  });

  it('answers reqMarketDataType(3) with live data when the account has it (IB: live is always returned instead), and snapshots complete', async () => {
    const { api: delayed, rec: drec } = await connectApi(sim.port, 31);
    try {
      delayed.reqMarketDataType(MarketDataType.DELAYED);
      delayed.reqMktData(1, { conId: 14204, exchange: 'SMART' }, '', false, false);
      await waitFor(() => drec.of(EventName.tickPrice).some((a) => a[1] === IBApiTickType.BID));
      expect(drec.of(EventName.marketDataType)[0]).toEqual([1, 1]);
      expect(drec.of(EventName.tickPrice).filter((a) => (a[1] as number) >= 66)).toEqual([]);
      delayed.reqMktData(2, { symbol: 'EUR', secType: SecType.CASH, currency: 'USD', exchange: 'IDEALPRO' }, '', true, false);
      await waitFor(() => drec.of(EventName.tickSnapshotEnd).some((a) => a[0] === 2));
      delayed.reqMktData(3, { symbol: 'NOPE', secType: SecType.STK, currency: 'USD', exchange: 'SMART' }, '', false, false);
      await waitFor(() => drec.errors.some((e) => e.reqId === 3 && e.code === 200));
      expect(decodingErrors(drec)).toEqual([]);
    } finally {
      delayed.disconnect();
    }
  });

  it('without a live subscription: 10089 for live data, delayed ticks (66-75) after reqMarketDataType(3|4)', async () => {
    const { sim: noLive } = await startTestSim({ liveMarketData: false, speed: 0 });
    const { api: d, rec: drec } = await connectApi(noLive.port, 32);
    try {
      d.reqMktData(1, { conId: 14204, exchange: 'SMART' }, '', false, false);
      await waitFor(() => drec.errors.some((e) => e.reqId === 1 && e.code === 10089), 20_000, '10089');
      d.reqMarketDataType(MarketDataType.DELAYED);
      d.reqMktData(2, { conId: 14204, exchange: 'SMART' }, '', false, false);
      await waitFor(() => drec.of(EventName.tickPrice).some((a) => a[0] === 2 && a[1] === IBApiTickType.DELAYED_BID), 20_000, 'delayed bid');
      expect(drec.of(EventName.marketDataType).find((a) => a[0] === 2)).toEqual([2, 3]);
      d.reqMarketDataType(MarketDataType.DELAYED_FROZEN);
      d.reqMktData(3, { conId: 14204, exchange: 'SMART' }, '', false, false);
      await waitFor(() => drec.of(EventName.marketDataType).some((a) => a[0] === 3), 20_000, 'type of line 3');
      expect(drec.of(EventName.marketDataType).find((a) => a[0] === 3)).toEqual([3, 4]);
      expect(drec.of(EventName.tickPrice).filter((a) => a[0] !== 1 && (a[1] as number) < 66)).toEqual([]);
    } finally {
      d.disconnect();
      await noLive.close();
    }
  });

  it('answers contract details (and 200 for an unknown contract)', async () => {
    const [aapl] = await next.ib.getContractDetails({ symbol: 'AAPL', secType: SecType.STK, currency: 'USD', exchange: 'SMART' });
    expect(aapl!.contract.conId).toBe(265598);
    expect(aapl!.longName).toBe('APPLE INC');
    const opts = await next.ib.getContractDetails({ symbol: 'AAPL', secType: SecType.OPT, currency: 'USD', exchange: 'SMART' });
    // The demo's two AAPL options and the front-month call the instrument table lists beside them.
    expect(opts.map((d) => d.contract.conId).sort()).toEqual([AAPL_CALL, AAPL_PUT, FRONT_AAPL_CALL].sort());
    await expect(next.ib.getContractDetails({ symbol: 'ZZZZ', secType: SecType.STK, currency: 'USD' })).rejects.toMatchObject({ code: 200 });
    // Bonds answer with BOND_CONTRACT_DATA, as TWS does.
    api.reqContractDetails(77, { conId: 563840112 });
    await waitFor(() => rec.of(EventName.bondContractDetails).length > 0);
    expect((rec.of(EventName.bondContractDetails)[0]![1] as { cusip: string }).cusip).toBe('91282CLW9');
  });

  it('lists open orders (own, all) and executions with commission reports', async () => {
    const id = 1_000;
    api.placeOrder(
      id,
      { conId: 265598, exchange: 'SMART' },
      { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: 100, totalQuantity: 10, transmit: true },
    );
    await waitFor(() => sim.snapshot().openOrders.some((o) => o.orderId === id && o.status === 'Submitted'));
    const all = await next.ib.getAllOpenOrders();
    expect(all.some((o) => o.orderId === id && o.order.clientId === 5 && o.order.lmtPrice === 100)).toBe(true);
    const own = await firstValueFrom(next.ib.getOpenOrders().pipe(timeout(5_000)));
    expect(own.all.some((o) => o.orderId === id)).toBe(false); // client 6 has none of its own

    api.placeOrder(id + 1, { conId: 265598, exchange: 'SMART' }, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 5, transmit: true });
    await waitFor(() => rec.of(EventName.commissionReport).length > 0, 5_000, 'live commission report');
    const execs = await next.ib.getExecutionDetails({});
    const mine = execs.filter((e) => e.execution.orderId === id + 1);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.execution.shares).toBe(5);
    const reports = await next.ib.getCommissionReport({});
    expect(reports.some((r) => r.execId === mine[0]!.execution.execId && r.commission === 1)).toBe(true);
    api.cancelOrder(id);
    await waitFor(() => !sim.snapshot().openOrders.some((o) => o.orderId === id));
    expect(snapshotValue(sim.snapshot(), 'AccountCode', '')).toBe(ACCOUNT);
  });
});
