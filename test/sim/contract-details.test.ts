// Contract details as TWS sends them (issue 18 item 2): dated sessions in the contract's time zone with holidays
// CLOSED, futures by their full last trading day, size rules per secType, market rules answered, and positions on the
// listing exchange with TWS's trading class. Expected values are literals read off the exchange calendar.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, OrderAction, OrderType, SecType, type IBApi } from '@stoqey/ib';
import { detailsOf, MARKET_RULES, marketRuleIdOf, priceIncrementAt } from '../../src/sim/contract-details.js';
import { buildUniverse, type Instrument } from '../../src/sim/instruments.js';
import { roundToLadder } from '../../src/sim/market.js';
import * as M from '../../src/sim/messages.js';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, disconnectAll, startTestSim, T0, waitFor } from './helpers.js';
import { decodeContractData } from './official-decoder.js';

const at = (iso: string) => Date.parse(iso);
const byId = (u: readonly Instrument[], conId: number) => u.find((i) => i.conId === conId)!;

describe('contract details fields', () => {
  // T0 is Monday 2 March 2026, 09:30 New York.
  const u = buildUniverse(at(T0));

  it('stocks: dated regular sessions from today, weekends CLOSED, in the contract time zone', () => {
    const d = detailsOf(byId(u, 265598), at(T0));
    expect(d.tradingHours).toBe(
      '20260302:0930-20260302:1600;20260303:0930-20260303:1600;20260304:0930-20260304:1600;20260305:0930-20260305:1600;' +
        '20260306:0930-20260306:1600;20260307:CLOSED;20260308:CLOSED',
    );
    expect(d.liquidHours).toBe(d.tradingHours);
    expect(d).toMatchObject({
      tradingClass: 'NMS',
      marketName: 'NMS',
      primaryExch: 'NASDAQ',
      minSize: '0.0001',
      sizeIncrement: '0.0001',
      marketRuleIds: '26,26',
    });
  });

  it('US holidays are CLOSED: Friday 3 July 2026 (Independence Day observed)', () => {
    const t = at('2026-07-01T15:00:00Z');
    const d = detailsOf(byId(buildUniverse(t), 265598), t);
    expect(d.tradingHours.split(';').slice(0, 5)).toEqual([
      '20260701:0930-20260701:1600',
      '20260702:0930-20260702:1600',
      '20260703:CLOSED',
      '20260704:CLOSED',
      '20260705:CLOSED',
    ]);
  });

  it("the date is the contract time zone's: 23:30 UTC on Monday is still Monday in New York, already Tuesday in Tokyo", () => {
    const t = at('2026-03-02T23:30:00Z');
    const uu = buildUniverse(t);
    expect(detailsOf(byId(uu, 265598), t).tradingHours.slice(0, 8)).toBe('20260302');
    expect(detailsOf(byId(uu, 13905), t).tradingHours.slice(0, 8)).toBe('20260303');
  });

  it('futures: full last trading day, the delivery month, overnight sessions opening the evening before, whole-contract sizes', () => {
    const es = detailsOf(byId(u, 637533641), at(T0));
    expect(es).toMatchObject({
      lastTradeDateOrContractMonth: '20260320',
      contractMonth: '202603',
      realExpirationDate: '20260320',
      lastTradeDate: '20260320',
      minSize: '1',
      sizeIncrement: '1',
      marketRuleIds: '67',
    });
    expect(es.tradingHours.split(';').slice(0, 2)).toEqual(['20260301:1700-20260302:1600', '20260302:1700-20260303:1600']);
    expect(es.tradingHours.split(';')[5]).toBe('20260307:CLOSED');
    const cl = detailsOf(byId(u, 742168315), at(T0));
    // CLJ6 delivers in April and stops trading on 20 March (three business days before the 25th of March).
    expect(cl).toMatchObject({ localSymbol: 'CLJ6', contractMonth: '202604', lastTradeDateOrContractMonth: '20260320', realExpirationDate: '20260320' });
    const opt = detailsOf(byId(u, 734559211), at(T0));
    expect(opt).toMatchObject({ minSize: '1', sizeIncrement: '1', marketRuleIds: '32,32,32,32,32' });
    expect(opt.realExpirationDate).toBe(opt.lastTradeDateOrContractMonth);
  });

  it('lists one market rule per valid exchange, each a ladder whose first rung is the minTick and whose rungs coarsen on it', () => {
    for (const inst of u) {
      const d = detailsOf(inst, at(T0));
      const ids = d.marketRuleIds.split(',');
      expect(ids.length, inst.localSymbol).toBe(d.validExchanges.split(',').length);
      const rule = MARKET_RULES[marketRuleIdOf(inst)]!;
      expect(new Set(ids), inst.localSymbol).toEqual(new Set([String(marketRuleIdOf(inst))]));
      // minTick is the finest increment: the first rung; every coarser rung is a whole number of minTicks.
      expect(rule[0], inst.localSymbol).toEqual([0, inst.minTick]);
      for (const [k, [edge, inc]] of rule.entries()) {
        expect(inc / inst.minTick, `${inst.localSymbol} from ${edge}`).toBeCloseTo(Math.round(inc / inst.minTick), 9);
        expect(inc, `${inst.localSymbol} from ${edge}`).toBeGreaterThanOrEqual(inst.minTick);
        // Each edge is on both rungs it joins, so rounding up onto the ladder from below an edge lands on the grid.
        const below = k > 0 ? rule[k - 1]![1] : inc;
        for (const step of [below, inc]) expect(edge / step, `${inst.localSymbol} edge ${edge}`).toBeCloseTo(Math.round(edge / step), 9);
      }
    }
    // The ladder's increment is the rung at or below the price: AAPL options 0.01 below 3.00, 0.05 from it.
    const call = byId(u, 734559211);
    expect([2.99, 3, 3.52].map((p) => priceIncrementAt(call, p))).toEqual([0.01, 0.05, 0.05]);
    expect([2.95, 3, 21].map((p) => priceIncrementAt(byId(u, 735012458), p))).toEqual([0.05, 0.1, 0.1]);
  });

  it('rounds quotes and fills onto the ladder at their own price, across the 3.00 edge', () => {
    const call = byId(u, 734559211);
    const put = byId(u, 735012458);
    expect([2.983, 2.999, 3.02, 9.71].map((p) => roundToLadder(call, p, 'up'))).toEqual([2.99, 3, 3.05, 9.75]);
    expect([2.983, 3.001, 3.04, 9.71].map((p) => roundToLadder(call, p, 'down'))).toEqual([2.98, 3, 3, 9.7]);
    expect([2.97, 3.04, 21.06].map((p) => roundToLadder(put, p))).toEqual([2.95, 3, 21.1]);
    expect([2.92, 3.01].map((p) => roundToLadder(put, p, 'up'))).toEqual([2.95, 3.1]);
    // A one-rung ladder is the minTick: AAPL stock on the cent, Toyota on half a yen.
    expect(roundToLadder(byId(u, 265598), 228.537, 'down')).toBe(228.53);
    expect(roundToLadder(byId(u, 13905), 2890.3, 'up')).toBe(2890.5);
  });

  it("IB's Python client can read every CONTRACT_DATA field at 157 and 193 (evMultiplier empty, not Double.MAX)", () => {
    for (const sv of [157, 193]) {
      for (const inst of u.filter((i) => i.secType !== 'BOND')) {
        const f = decodeContractData(sv, M.contractData(sv, 1, detailsOf(inst, at(T0))));
        expect(f.evMultiplier, `${inst.localSymbol} at ${sv}`).toBe('');
      }
    }
  });
});

describe('contract details, market rules and positions over the socket', () => {
  let sim: Simulator;
  let api: IBApi | undefined;

  beforeAll(async () => {
    ({ sim } = await startTestSim());
  });

  afterAll(async () => {
    disconnectAll(api);
    await sim.close();
  });

  it('answers reqMarketRule, lists ES by its month, and reports AAPL on NASDAQ with trading class NMS', async () => {
    const c = await connectApi(sim.port, 301);
    api = c.api;
    api.reqContractDetails(11, { symbol: 'ES', secType: SecType.FUT, lastTradeDateOrContractMonth: '202603', exchange: 'CME', currency: 'USD' });
    api.reqMarketRule(67);
    api.reqMarketRule(4242);
    api.reqPositions();
    await waitFor(
      () => c.rec.of(EventName.contractDetailsEnd).length === 1 && c.rec.of(EventName.marketRule).length === 1 && c.rec.of(EventName.positionEnd).length === 1,
      20_000,
      'answers',
    );
    const [, cd] = c.rec.of(EventName.contractDetails)[0] as [number, { contract: Record<string, unknown>; realExpirationDate: string; tradingHours: string }];
    expect(cd.contract).toMatchObject({ conId: 637533641, lastTradeDateOrContractMonth: '20260320' });
    expect(cd.realExpirationDate).toBe('20260320');
    expect(cd.tradingHours.startsWith('20260301:1700-20260302:1600;')).toBe(true);
    expect(c.rec.of(EventName.marketRule)[0]).toEqual([67, [{ lowEdge: 0, increment: 0.25 }]]);
    await waitFor(() => c.rec.infos.some((i) => i.code === 321), 20_000, 'unknown market rule refused');
    const aapl = c.rec.of(EventName.position).find((p) => (p[1] as { conId: number }).conId === 265598)!;
    expect(aapl[1]).toMatchObject({ exchange: 'NASDAQ', tradingClass: 'NMS' });
    expect(c.rec.errors.filter((e) => e.code === 505)).toEqual([]);
  });

  it('resolves a security id (ISIN, CUSIP) to its one contract and refuses one it does not know with 200', async () => {
    const c = await connectApi(sim.port, 302);
    disconnectAll(api);
    api = c.api;
    const q = (reqId: number, secIdType: string, secId: string, secType: SecType) =>
      c.api.reqContractDetails(reqId, { secIdType, secId, secType, exchange: 'SMART', currency: '' });
    q(21, 'ISIN', 'US0378331005', SecType.STK);
    q(22, 'ISIN', 'US0000000000', SecType.STK);
    q(23, 'CUSIP', '000000000', SecType.BOND);
    q(24, 'CUSIP', '91282CLW9', SecType.BOND);
    q(25, 'isin', 'jp3633400001', SecType.STK);
    const ended = (id: number) => c.rec.of(EventName.contractDetailsEnd).some((a) => a[0] === id);
    const refused = (id: number) => c.rec.errors.some((e) => e.reqId === id && e.code === 200);
    await waitFor(() => ended(21) && refused(22) && refused(23) && ended(24) && ended(25), 20_000, 'answers');
    const rows = (id: number) => c.rec.of(EventName.contractDetails).filter((a) => a[0] === id);
    const of = (id: number) => rows(id).map((a) => (a[1] as { contract: { conId: number } }).contract.conId);
    expect(of(21)).toEqual([265598]);
    // TWS answers a bond with BOND_CONTRACT_DATA.
    expect(c.rec.of(EventName.bondContractDetails).map((a) => [a[0], (a[1] as { contract: { conId: number } }).contract.conId])).toEqual([[24, 563840112]]);
    expect(of(25)).toEqual([13905]);
    expect((rows(21)[0]![1] as { secIdList: unknown }).secIdList).toEqual([{ tag: 'ISIN', value: 'US0378331005' }]);
    expect(c.rec.errors.find((e) => e.reqId === 22)!.message).toBe('No security definition has been found for the request');

    // PLACE_ORDER carries the security id too: TSLA by ISIN alone is TSLA, not "ambiguous".
    c.api.placeOrder(
      c.nextValidId,
      { secIdType: 'ISIN', secId: 'US88160R1014', secType: SecType.STK, exchange: 'SMART', currency: 'USD' },
      {
        action: OrderAction.BUY,
        orderType: OrderType.LMT,
        lmtPrice: 1,
        totalQuantity: 1,
        transmit: false,
      },
    );
    await waitFor(() => c.rec.of(EventName.openOrder).some((a) => a[0] === c.nextValidId), 20_000, 'the order by ISIN');
    expect((c.rec.of(EventName.openOrder).find((a) => a[0] === c.nextValidId)![1] as { conId: number }).conId).toBe(76792991);
    expect(c.rec.errors.filter((e) => e.reqId === c.nextValidId)).toEqual([]);
    c.api.cancelOrder(c.nextValidId);
  });
});
