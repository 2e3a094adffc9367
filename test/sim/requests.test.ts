// Requests as @stoqey/ib's own Encoder writes them at sv 193 parse into what the simulator acts on.
import { describe, it, expect } from 'vitest';
import { Encoder } from '@stoqey/ib/dist/core/io/encoder.js';
import { OptionType, SecType, type Contract, type Order } from '@stoqey/ib';
import { parseRequest, RequestError } from '../../src/sim/requests.js';

/** Runs one Encoder call and returns the fields as they go on the wire (socket.js: booleans 1/0, undefined ''). */
function encode(call: (e: Encoder) => void): string[] {
  let out: string[] = [];
  const errors: string[] = [];
  const flatten = (a: unknown[]): unknown[] => a.flatMap((x) => (Array.isArray(x) ? flatten(x) : [x]));
  const e = new Encoder({
    serverVersion: 193,
    sendMsg: (tokens: unknown[]) => {
      out = flatten(tokens).map((t) => (t === true ? '1' : t === false ? '0' : t === undefined || t === null ? '' : String(t)));
    },
    emitError: (msg: string) => errors.push(msg),
  } as unknown as ConstructorParameters<typeof Encoder>[0]);
  call(e);
  expect(errors).toEqual([]);
  return out;
}

const aaplCall: Contract = {
  conId: 734559211,
  symbol: 'AAPL',
  secType: SecType.OPT,
  lastTradeDateOrContractMonth: '20270219',
  strike: 240,
  right: OptionType.Call,
  multiplier: 100,
  exchange: 'SMART',
  currency: 'USD',
};

describe('request parsing against the real Encoder', () => {
  it('START_API, REQ_IDS, REQ_CURRENT_TIME, REQ_MANAGED_ACCTS, SET_SERVER_LOGLEVEL', () => {
    expect(parseRequest(['71', '2', '7', ''])).toEqual({ type: 'startApi', clientId: 7, capabilities: '' });
    expect(parseRequest(encode((e) => e.reqIds(0)))).toEqual({ type: 'reqIds', numIds: 0 });
    expect(parseRequest(encode((e) => e.reqCurrentTime()))).toEqual({ type: 'reqCurrentTime' });
    expect(parseRequest(encode((e) => e.reqManagedAccts()))).toEqual({ type: 'reqManagedAccts' });
    expect(parseRequest(encode((e) => e.setServerLogLevel(3)))).toEqual({ type: 'setServerLogLevel', level: 3 });
  });

  it('account requests: positions, account summary, account updates, PnL, PnL single', () => {
    expect(parseRequest(encode((e) => e.reqPositions()))).toEqual({ type: 'reqPositions' });
    expect(parseRequest(encode((e) => e.cancelPositions()))).toEqual({ type: 'cancelPositions' });
    expect(parseRequest(encode((e) => e.reqAccountSummary(4, 'All', 'NetLiquidation,$LEDGER:ALL')))).toEqual({
      type: 'reqAccountSummary',
      reqId: 4,
      group: 'All',
      tags: 'NetLiquidation,$LEDGER:ALL',
    });
    expect(parseRequest(encode((e) => e.cancelAccountSummary(4)))).toEqual({ type: 'cancelAccountSummary', reqId: 4 });
    expect(parseRequest(encode((e) => e.reqAccountUpdates(true, 'DU1234567')))).toEqual({ type: 'reqAccountUpdates', subscribe: true, acctCode: 'DU1234567' });
    expect(parseRequest(encode((e) => e.reqPnL(5, 'DU1234567', null as unknown as string)))).toEqual({
      type: 'reqPnL',
      reqId: 5,
      account: 'DU1234567',
      modelCode: '',
    });
    expect(parseRequest(encode((e) => e.reqPnLSingle(6, 'DU1234567', '', 265598)))).toEqual({
      type: 'reqPnLSingle',
      reqId: 6,
      account: 'DU1234567',
      modelCode: '',
      conId: 265598,
    });
    expect(parseRequest(encode((e) => e.cancelPnL(5)))).toEqual({ type: 'cancelPnL', reqId: 5 });
    expect(parseRequest(encode((e) => e.cancelPnLSingle(6)))).toEqual({ type: 'cancelPnLSingle', reqId: 6 });
  });

  it('market data, market data type, contract details', () => {
    const md = parseRequest(encode((e) => e.reqMktData(9, aaplCall, '106,221', true, false)));
    expect(md).toMatchObject({ type: 'reqMktData', reqId: 9, genericTickList: '106,221', snapshot: true, regulatorySnapshot: false });
    expect(md.type === 'reqMktData' && md.contract).toMatchObject({
      conId: 734559211,
      symbol: 'AAPL',
      secType: 'OPT',
      lastTradeDateOrContractMonth: '20270219',
      strike: 240,
      right: 'C',
      multiplier: '100',
      exchange: 'SMART',
      currency: 'USD',
    });
    expect(parseRequest(encode((e) => e.cancelMktData(9)))).toEqual({ type: 'cancelMktData', reqId: 9 });
    expect(parseRequest(encode((e) => e.reqMarketDataType(3)))).toEqual({ type: 'reqMarketDataType', marketDataType: 3 });
    const cd = parseRequest(encode((e) => e.reqContractDetails(10, { symbol: 'ES', secType: SecType.FUT, exchange: 'CME', currency: 'USD' })));
    expect(cd).toMatchObject({ type: 'reqContractDetails', reqId: 10, contract: { conId: 0, symbol: 'ES', secType: 'FUT', exchange: 'CME', strike: 0 } });
  });

  it('orders: open orders, executions, place (MKT, LMT, what-if), cancel, global cancel', () => {
    expect(parseRequest(encode((e) => e.reqOpenOrders()))).toEqual({ type: 'reqOpenOrders' });
    expect(parseRequest(encode((e) => e.reqAllOpenOrders()))).toEqual({ type: 'reqAllOpenOrders' });
    expect(parseRequest(encode((e) => e.reqAutoOpenOrders(true)))).toEqual({ type: 'reqAutoOpenOrders', autoBind: true });
    expect(parseRequest(encode((e) => e.reqExecutions(12, { clientId: '7', side: 'BUY' })))).toEqual({
      type: 'reqExecutions',
      reqId: 12,
      filter: { clientId: 7, acctCode: '', time: '', symbol: '', secType: '', exchange: '', side: 'BUY' },
    });

    const lmt: Order = {
      action: 'SELL' as Order['action'],
      orderType: 'LMT' as Order['orderType'],
      totalQuantity: 2.5,
      lmtPrice: 7.1,
      tif: 'DAY',
      transmit: true,
      orderRef: 'r1',
      account: 'DU1234567',
    };
    const placed = parseRequest(encode((e) => e.placeOrder(1001, aaplCall, lmt)));
    expect(placed).toMatchObject({
      type: 'placeOrder',
      orderId: 1001,
      contract: { conId: 734559211, right: 'C' },
      order: {
        action: 'SELL',
        totalQuantity: '2.5',
        orderType: 'LMT',
        lmtPrice: 7.1,
        tif: 'DAY',
        account: 'DU1234567',
        orderRef: 'r1',
        transmit: true,
        whatIf: false,
      },
    });
    const whatIf = parseRequest(
      encode((e) =>
        e.placeOrder(1002, aaplCall, { ...lmt, whatIf: true, algoStrategy: 'Adaptive', algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }] }),
      ),
    );
    expect(whatIf.type === 'placeOrder' && whatIf.order.whatIf).toBe(true);
    const mkt = parseRequest(
      encode((e) => e.placeOrder(1003, aaplCall, { action: 'BUY' as Order['action'], orderType: 'MKT' as Order['orderType'], totalQuantity: 1 })),
    );
    // transmit omitted: the wire carries "" (tws-protocol.md §2.5), which TWS treats as "do not transmit".
    expect(mkt).toMatchObject({ order: { orderType: 'MKT', lmtPrice: undefined, transmit: false, whatIf: false } });

    expect(parseRequest(encode((e) => e.cancelOrder(1001, {})))).toEqual({ type: 'cancelOrder', orderId: 1001 });
    expect(parseRequest(encode((e) => e.reqGlobalCancel({})))).toEqual({ type: 'reqGlobalCancel' });
  });

  it('reports missing fields as RequestError and unknown ids as unknown', () => {
    expect(() => parseRequest(['94', '1'])).toThrow(RequestError);
    expect(() => parseRequest(['1', '11', 'x'])).toThrow(RequestError);
    expect(parseRequest(['10', '5', '1'])).toEqual({ type: 'unknown', msgId: 10, fields: ['10', '5', '1'] });
  });
});
