// Every server → client message the simulator builds goes through @stoqey/ib's own Decoder at sv 193:
// no decoding error (505), and the decoded values are the ones sent (expected values are literals here,
// written from the protocol reference, not recomputed with the builders).
import { describe, it, expect, afterAll } from 'vitest';
import { Decoder } from '@stoqey/ib/dist/core/io/decoder.js';
import { Decimal } from '../../src/model/money.js';
import * as Messages from '../../src/sim/messages.js';
import type { WireContract } from '../../src/sim/messages.js';

interface Decoded {
  events: Array<{ name: string; args: unknown[] }>;
  errors: Array<{ message: string; code: number; reqId?: number }>;
  infos: Array<{ message: string; code: number }>;
}

function decode(fields: string[]): Decoded {
  const out: Decoded = { events: [], errors: [], infos: [] };
  const d = new Decoder({
    serverVersion: 193,
    emitEvent: (name: string, ...args: unknown[]) => out.events.push({ name, args }),
    emitError: (message: string, code: number, reqId?: number) => out.errors.push({ message, code, reqId }),
    emitInfo: (message: string, code: number) => out.infos.push({ message, code }),
  } as ConstructorParameters<typeof Decoder>[0]);
  d.enqueueMessage(fields);
  d.process();
  return out;
}

/** Decodes and asserts a clean decode of exactly one event named `name`; returns its arguments. */
function one(fields: string[], name: string): unknown[] {
  const r = decode(fields);
  expect(r.errors, JSON.stringify(r.errors)).toEqual([]);
  const ev = r.events.filter((e) => e.name === name);
  expect(ev, `events: ${r.events.map((e) => e.name).join(',')}`).toHaveLength(1);
  return ev[0]!.args;
}

// Track which builders the tests exercise, so a new message kind cannot slip in untested.
const used = new Set<string>();
const M = new Proxy(Messages, {
  get(target, key: string) {
    used.add(key);
    return (target as Record<string, unknown>)[key];
  },
}) as typeof Messages;

const option: WireContract = {
  conId: 734559211,
  symbol: 'AAPL',
  secType: 'OPT',
  lastTradeDateOrContractMonth: '20270219',
  strike: 240,
  right: 'C',
  multiplier: '100',
  exchange: 'SMART',
  primaryExch: '',
  currency: 'USD',
  localSymbol: 'AAPL  270219C00240000',
  tradingClass: 'AAPL',
};
const stock: WireContract = {
  conId: 265598,
  symbol: 'AAPL',
  secType: 'STK',
  lastTradeDateOrContractMonth: '',
  strike: 0,
  right: '',
  multiplier: '',
  exchange: 'SMART',
  primaryExch: 'NASDAQ',
  currency: 'USD',
  localSymbol: 'AAPL',
  tradingClass: 'AAPL',
};
const d = (s: string) => new Decimal(s);

describe('messages decode cleanly with @stoqey/ib Decoder at server version 193', () => {
  it('connection messages: nextValidId, managedAccounts, currentTime', () => {
    expect(one(M.nextValidId(1001), 'nextValidId')).toEqual([1001]);
    expect(one(M.managedAccounts(['DU1234567', 'DU7654321']), 'managedAccounts')).toEqual(['DU1234567,DU7654321']);
    expect(one(M.currentTime(1_772_461_800), 'currentTime')).toEqual([1_772_461_800]);
    expect(M.serverVersion(193, '20260302 14:30:00 UTC')).toEqual(['193', '20260302 14:30:00 UTC']);
  });

  it('ERR_MSG with id -1 is info, with an id is an error carrying code, id and the decoded text', () => {
    const info = decode(M.errorMessage(193, -1, 2104, 'Market data farm connection is OK:usfarm'));
    expect(info.infos).toEqual([{ message: 'Market data farm connection is OK:usfarm', code: 2104 }]);
    expect(info.errors).toEqual([]);
    const err = decode(M.errorMessage(193, 42, 202, 'Order Canceled - reason: Zürich'));
    expect(err.errors).toEqual([{ message: 'Order Canceled - reason: Zürich', code: 202, reqId: 42 }]);
  });

  it('POSITION and POSITION_END', () => {
    const [account, contract, pos, avgCost] = one(M.position('DU1234567', option, d('-5'), 410), 'position');
    expect(account).toBe('DU1234567');
    expect(contract).toMatchObject({
      conId: 734559211,
      symbol: 'AAPL',
      secType: 'OPT',
      lastTradeDateOrContractMonth: '20270219',
      strike: 240,
      right: 'C',
      multiplier: 100,
      exchange: 'SMART',
      currency: 'USD',
      localSymbol: 'AAPL  270219C00240000',
      tradingClass: 'AAPL',
    });
    expect(pos).toBe(-5);
    expect(avgCost).toBe(410);
    const [, , fractional] = one(M.position('DU1234567', stock, d('100.5'), 185.2), 'position');
    expect(fractional).toBe(100.5);
    expect(one(M.positionEnd(), 'positionEnd')).toEqual([]);
  });

  it('ACCT_VALUE, PORTFOLIO_VALUE, ACCT_UPDATE_TIME, ACCT_DOWNLOAD_END', () => {
    expect(one(M.accountValue('NetLiquidation-S', '555366.42', 'USD', 'DU1234567'), 'updateAccountValue')).toEqual([
      'NetLiquidation-S',
      '555366.42',
      'USD',
      'DU1234567',
    ]);
    const args = one(
      M.portfolioValue(
        { contract: stock, position: d('500'), marketPrice: 228.53, marketValue: 114265, averageCost: 185.2, unrealizedPnl: 21665, realizedPnl: -12.5 },
        'DU1234567',
      ),
      'updatePortfolio',
    );
    expect(args[0]).toMatchObject({ conId: 265598, symbol: 'AAPL', secType: 'STK', primaryExch: 'NASDAQ', currency: 'USD', localSymbol: 'AAPL' });
    expect(args.slice(1)).toEqual([500, 228.53, 114265, 185.2, 21665, -12.5, 'DU1234567']);
    expect(one(M.accountUpdateTime('14:35'), 'updateAccountTime')).toEqual(['14:35']);
    expect(one(M.accountDownloadEnd('DU1234567'), 'accountDownloadEnd')).toEqual(['DU1234567']);
  });

  it('ACCOUNT_SUMMARY and its end', () => {
    expect(one(M.accountSummary(9, 'DU1234567', 'Cushion', '0.512345', ''), 'accountSummary')).toEqual([9, 'DU1234567', 'Cushion', '0.512345', '']);
    expect(one(M.accountSummaryEnd(9), 'accountSummaryEnd')).toEqual([9]);
  });

  it('PNL and PNL_SINGLE, with an unset value decoded as undefined', () => {
    expect(one(M.pnl(3, -1234.5, 42675.5, undefined), 'pnl')).toEqual([3, -1234.5, 42675.5, undefined]);
    expect(one(M.pnlSingle(4, d('500'), 120.25, 21665, 0, 114265), 'pnlSingle')).toEqual([4, 500, 120.25, 21665, 0, 114265]);
  });

  it('TICK_PRICE (with its implied size tick), TICK_SIZE, TICK_GENERIC, TICK_STRING', () => {
    const r = decode(M.tickPrice(7, 2, 228.54, d('300'), 1));
    expect(r.errors).toEqual([]);
    expect(r.events.map((e) => [e.name, ...e.args])).toEqual([
      ['tickPrice', 7, 2, 228.54, true],
      ['tickSize', 7, 3, 300],
    ]);
    // Library quirk: BID_SIZE is tick type 0, which decoder.js tests for truthiness, so a BID tickPrice never
    // yields its size tick; the simulator therefore also sends explicit TICK_SIZE messages, as TWS does.
    expect(one(M.tickPrice(7, 1, 228.52, d('300'), 1), 'tickPrice')).toEqual([7, 1, 228.52, true]);
    expect(one(M.tickPrice(7, 9, 227.1, undefined), 'tickPrice')).toEqual([7, 9, 227.1, false]);
    expect(one(M.tickSize(7, 8, d('1250000')), 'tickSize')).toEqual([7, 8, 1250000]);
    expect(one(M.tickGeneric(7, 24, 0.27), 'tickGeneric')).toEqual([7, 24, 0.27]);
    expect(one(M.tickString(7, 45, '1772461800'), 'tickString')).toEqual([7, 45, '1772461800']);
  });

  it('TICK_OPTION_COMPUTATION with greeks, and with TWS n/a sentinels', () => {
    const full = one(
      M.tickOptionComputation(8, 13, 0, {
        impliedVol: 0.27,
        delta: 0.41,
        optPrice: 6.85,
        pvDividend: 0.28,
        gamma: 0.012,
        vega: 0.45,
        theta: -0.06,
        undPrice: 228.5,
      }),
      'tickOptionComputation',
    );
    expect(full).toEqual([8, 13, 0, 0.27, 0.41, 6.85, 0.28, 0.012, 0.45, -0.06, 228.5]);
    const na = one(M.tickOptionComputation(8, 10, 0, { optPrice: 6.8, undPrice: 228.5 }), 'tickOptionComputation');
    expect(na).toEqual([8, 10, 0, undefined, undefined, 6.8, undefined, undefined, undefined, undefined, 228.5]);
  });

  it('TICK_SNAPSHOT_END, MARKET_DATA_TYPE, TICK_REQ_PARAMS', () => {
    expect(one(M.tickSnapshotEnd(11), 'tickSnapshotEnd')).toEqual([11]);
    expect(one(M.marketDataType(11, 3), 'marketDataType')).toEqual([11, 3]);
    // The client reads minTick with readInt (a library bug): "0.01" arrives as 0.
    expect(one(M.tickReqParams(11, 0.01, '9c0001', 3), 'tickReqParams')).toEqual([11, 0, '9c0001', 3]);
  });

  it('CONTRACT_DATA and BOND_CONTRACT_DATA and their end', () => {
    const details: Messages.ContractDetailsView = {
      ...option,
      marketName: 'AAPL',
      minTick: 0.01,
      orderTypes: 'LMT,MKT',
      validExchanges: 'SMART,CBOE',
      underConId: 265598,
      longName: 'APPLE INC',
      contractMonth: '202702',
      industry: 'Technology',
      category: 'Computers',
      subcategory: '',
      timeZoneId: 'US/Eastern',
      tradingHours: '0930-1600',
      liquidHours: '0930-1600',
      secIdList: [['ISIN', 'US0378331005']],
      underSymbol: 'AAPL',
      underSecType: 'STK',
      marketRuleIds: '26',
      realExpirationDate: '20270219',
      lastTradeDate: '20270219',
      stockType: '',
      minSize: '1',
      sizeIncrement: '1',
      suggestedSizeIncrement: '1',
    };
    const [reqId, cd] = one(M.contractData(193, 5, details), 'contractDetails') as [number, Record<string, unknown>];
    expect(reqId).toBe(5);
    expect(cd.contract).toMatchObject({
      conId: 734559211,
      symbol: 'AAPL',
      secType: 'OPT',
      strike: 240,
      right: 'C',
      multiplier: 100,
      lastTradeDate: '20270219',
    });
    expect(cd).toMatchObject({ minTick: 0.01, underConId: 265598, longName: 'APPLE INC', timeZoneId: 'US/Eastern', underSymbol: 'AAPL', minSize: 1 });
    expect(cd.secIdList).toEqual([{ tag: 'ISIN', value: 'US0378331005' }]);

    const bond: Messages.BondDetailsView = {
      ...details,
      conId: 563840112,
      symbol: 'US-T',
      secType: 'BOND',
      strike: 0,
      right: '',
      multiplier: '0.01',
      lastTradeDateOrContractMonth: '20341115',
      cusip: '91282CLW9',
      coupon: 4.25,
      maturity: '20341115',
      issueDate: '20241115',
      secIdList: [['CUSIP', '91282CLW9']],
    };
    const [, bd] = one(M.bondContractData(193, 6, bond), 'bondContractDetails') as [number, Record<string, unknown>];
    expect(bd).toMatchObject({ cusip: '91282CLW9', coupon: 4.25, maturity: '20341115', issueDate: '20241115' });
    expect(bd.contract).toMatchObject({ conId: 563840112, symbol: 'US-T', secType: 'BOND' });
    expect(one(M.contractDataEnd(5), 'contractDetailsEnd')).toEqual([5]);
  });

  it('POSITION_MULTI, ACCOUNT_UPDATE_MULTI, option chains, symbol samples, head timestamp and their ends', () => {
    const [reqId, account, modelCode, contract, pos, avgCost] = one(M.positionMulti(8, 'DU1234567', stock, d('100'), 201.5, ''), 'positionMulti') as [
      number,
      string,
      string,
      Record<string, unknown>,
      number,
      number,
    ];
    expect([reqId, account, modelCode, pos, avgCost]).toEqual([8, 'DU1234567', '', 100, 201.5]);
    expect(contract).toMatchObject({ conId: 265598, symbol: 'AAPL', exchange: 'SMART' });
    expect(one(M.positionMultiEnd(8), 'positionMultiEnd')).toEqual([8]);
    expect(one(M.accountUpdateMulti(9, 'DU1234567', '', 'NetLiquidation', '1000.5', 'USD'), 'accountUpdateMulti')).toEqual([
      9,
      'DU1234567',
      '',
      'NetLiquidation',
      '1000.5',
      'USD',
    ]);
    // @stoqey/ib reads this reqId with readStr.
    expect(one(M.accountUpdateMultiEnd(9), 'accountUpdateMultiEnd')).toEqual(['9']);
    expect(one(M.secDefOptParams(10, 'SMART', 265598, 'AAPL', '100', ['20260417', '20260515'], [210, 240]), 'securityDefinitionOptionParameter')).toEqual([
      10,
      'SMART',
      265598,
      'AAPL',
      100,
      ['20260417', '20260515'],
      [210, 240],
    ]);
    expect(one(M.secDefOptParamsEnd(10), 'securityDefinitionOptionParameterEnd')).toEqual([10]);
    const [sreq, samples] = one(
      M.symbolSamples(193, 11, [
        { conId: 265598, symbol: 'AAPL', secType: 'STK', primaryExch: 'NASDAQ', currency: 'USD', derivativeSecTypes: ['OPT'], description: 'APPLE INC' },
      ]),
      'symbolSamples',
    ) as [number, Array<Record<string, unknown>>];
    expect(sreq).toBe(11);
    expect(samples[0]).toMatchObject({
      contract: { conId: 265598, symbol: 'AAPL', secType: 'STK', primaryExch: 'NASDAQ', currency: 'USD' },
      derivativeSecTypes: ['OPT'],
    });
    expect(one(M.headTimestamp(12, '20250302-14:30:00'), 'headTimestamp')).toEqual([12, '20250302-14:30:00']);
  });

  it('HISTORICAL_DATA ends with the client\'s "finished" row', () => {
    const r = decode(
      M.historicalData(13, '20260301 14:30:00 UTC', '20260302 14:30:00 UTC', [
        { date: '20260227', open: 227.1, high: 229, low: 226.5, close: 228.5, volume: 2100000, wap: 228, count: 21000 },
      ]),
    );
    expect(r.errors).toEqual([]);
    expect(r.events.map((e) => e.args)).toEqual([
      [13, '20260227', 227.1, 229, 226.5, 228.5, 2100000, 21000, 228, undefined],
      [13, 'finished-20260301 14:30:00 UTC-20260302 14:30:00 UTC', -1, -1, -1, -1, -1, -1, -1, false],
    ]);
  });

  it('HISTORICAL_DATA_UPDATE (keepUpToDate): the bar count before the date, close before high on the wire', () => {
    const bar = { date: '20260302 14:40:00 US/Eastern', open: 228.1, high: 228.9, low: 227.95, close: 228.4, volume: 25600, wap: 228.42, count: 256 };
    expect(one(M.historicalDataUpdate(14, bar), 'historicalDataUpdate')).toEqual([
      14,
      '20260302 14:40:00 US/Eastern',
      228.1,
      228.9,
      227.95,
      228.4,
      25600,
      256,
      228.42,
    ]);
  });

  it('MARKET_RULE', () => {
    expect(
      one(
        M.marketRule(32, [
          [0, 0.01],
          [3, 0.05],
        ]),
        'marketRule',
      ),
    ).toEqual([
      32,
      [
        { lowEdge: 0, increment: 0.01 },
        { lowEdge: 3, increment: 0.05 },
      ],
    ]);
  });

  it('OPEN_ORDER (133 fields) with what-if margins, ORDER_STATUS, OPEN_ORDER_END', () => {
    const fields = M.openOrder(193, {
      orderId: 1001,
      contract: stock,
      action: 'BUY',
      totalQuantity: d('150'),
      orderType: 'LMT',
      lmtPrice: 227.5,
      tif: 'DAY',
      account: 'DU1234567',
      orderRef: 'ref-1',
      clientId: 7,
      permId: 1000000042,
      parentId: 0,
      outsideRth: false,
      whatIf: true,
      status: 'PreSubmitted',
      commissionCurrency: 'USD',
      warningText: '',
      commission: 1.0,
      margin: {
        initMarginBefore: 351637.81,
        maintMarginBefore: 254690.47,
        equityWithLoanBefore: 526474.42,
        initMarginChange: 17062.5,
        maintMarginChange: 8531.25,
        equityWithLoanChange: -1,
        initMarginAfter: 368700.31,
        maintMarginAfter: 263221.72,
        equityWithLoanAfter: 526473.42,
      },
    });
    expect(fields).toHaveLength(133);
    const [orderId, contract, order, state] = one(fields, 'openOrder') as [number, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    expect(orderId).toBe(1001);
    expect(contract).toMatchObject({ conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' });
    expect(order).toMatchObject({
      orderId: 1001,
      action: 'BUY',
      totalQuantity: 150,
      orderType: 'LMT',
      lmtPrice: 227.5,
      auxPrice: undefined,
      tif: 'DAY',
      account: 'DU1234567',
      orderRef: 'ref-1',
      clientId: 7,
      permId: 1000000042,
      whatIf: true,
    });
    expect(state).toMatchObject({
      status: 'PreSubmitted',
      initMarginBefore: 351637.81,
      initMarginChange: 17062.5,
      initMarginAfter: 368700.31,
      maintMarginAfter: 263221.72,
      equityWithLoanAfter: 526473.42,
      commission: 1,
      commissionCurrency: 'USD',
    });

    const st = one(
      M.orderStatus({
        orderId: 1001,
        status: 'Submitted',
        filled: d('100'),
        remaining: d('50'),
        avgFillPrice: 227.48,
        permId: 1000000042,
        parentId: 0,
        lastFillPrice: 227.49,
        clientId: 7,
        whyHeld: '',
      }),
      'orderStatus',
    );
    expect(st).toEqual([1001, 'Submitted', 100, 50, 227.48, 1000000042, 0, 227.49, 7, '', 0]);
    expect(one(M.openOrderEnd(), 'openOrderEnd')).toEqual([]);
  });

  it('COMPLETED_ORDER and COMPLETED_ORDERS_END', () => {
    const [contract, order, state] = one(
      M.completedOrder(193, {
        orderId: 0,
        contract: stock,
        action: 'SELL',
        totalQuantity: d('20'),
        orderType: 'MKT',
        tif: 'DAY',
        account: 'DU1234567',
        orderRef: 'ref-9',
        clientId: 0,
        permId: 1000000077,
        parentId: 0,
        outsideRth: false,
        whatIf: false,
        status: 'Filled',
        commissionCurrency: 'USD',
        warningText: '',
        filledQuantity: d('20'),
        completedTime: '20260302-14:35:00',
        completedStatus: 'Filled Size: 20',
      }),
      'completedOrder',
    ) as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    expect(contract).toMatchObject({ conId: 265598, symbol: 'AAPL', secType: 'STK' });
    expect(order).toMatchObject({ action: 'SELL', totalQuantity: 20, orderType: 'MKT', permId: 1000000077, orderRef: 'ref-9', filledQuantity: 20 });
    expect(state).toMatchObject({ status: 'Filled', completedTime: '20260302-14:35:00', completedStatus: 'Filled Size: 20' });
    expect(one(M.completedOrdersEnd(), 'completedOrdersEnd')).toEqual([]);
  });

  it('EXECUTION_DATA (live, reqId -1), its end, and COMMISSION_REPORT', () => {
    const [reqId, contract, exec] = one(
      M.execDetails(193, -1, {
        orderId: 1001,
        contract: option,
        execId: '00003b9a.00000001.01.01',
        time: '20260302 14:31:05 UTC',
        account: 'DU1234567',
        exchange: 'CBOE',
        side: 'SLD',
        shares: d('3'),
        price: 6.8,
        permId: 1000000042,
        clientId: 7,
        cumQty: d('3'),
        avgPrice: 6.8,
        orderRef: 'ref-1',
        lastLiquidity: 2,
      }),
      'execDetails',
    ) as [number, Record<string, unknown>, Record<string, unknown>];
    expect(reqId).toBe(-1);
    expect(contract).toMatchObject({ conId: 734559211, secType: 'OPT', strike: 240, right: 'C', multiplier: 100, exchange: 'CBOE' });
    expect(exec).toMatchObject({
      orderId: 1001,
      execId: '00003b9a.00000001.01.01',
      time: '20260302 14:31:05 UTC',
      acctNumber: 'DU1234567',
      exchange: 'CBOE',
      side: 'SLD',
      shares: 3,
      price: 6.8,
      permId: 1000000042,
      clientId: 7,
      cumQty: 3,
      avgPrice: 6.8,
      orderRef: 'ref-1',
      lastLiquidity: 2,
      pendingPriceRevision: false,
    });
    expect(one(M.execDetailsEnd(12), 'execDetailsEnd')).toEqual([12]);
    const [report] = one(M.commissionReport('00003b9a.00000001.01.01', 1.95, 'USD', undefined), 'commissionReport') as [Record<string, unknown>];
    expect(report).toEqual({
      execId: '00003b9a.00000001.01.01',
      commission: 1.95,
      currency: 'USD',
      realizedPNL: undefined,
      yield: undefined,
      yieldRedemptionDate: 0,
    });
    const [closing] = one(M.commissionReport('x', 1, 'USD', -250.5), 'commissionReport') as [Record<string, unknown>];
    expect(closing.realizedPNL).toBe(-250.5);
  });

  afterAll(() => {
    // Every exported builder was exercised above (IN is the id table, not a builder).
    const builders = Object.entries(Messages)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k);
    expect(builders.filter((b) => !used.has(b))).toEqual([]);
  });
});
