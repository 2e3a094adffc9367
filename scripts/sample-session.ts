// A deterministic multi-currency session (USD base; EUR, JPY, CHF, GBP) used for the shipped sample recording.
import type { Contract } from '../src/model/contract.js';
import type { FeedEvent, FeedEventBody } from '../src/model/events.js';
import { dec } from '../src/model/money.js';

export const SAMPLE_ACCOUNT = 'DU1234567';
/** 2026-11-23 14:30:00 UTC: 09:30 in New York. */
export const SAMPLE_START_MS = Date.UTC(2026, 10, 23, 14, 30, 0);

const A = SAMPLE_ACCOUNT;
const C = {
  aapl: { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', exchange: 'NASDAQ', primaryExchange: 'NASDAQ' },
  sap: { conId: 14204, symbol: 'SAP', secType: 'STK', currency: 'EUR', exchange: 'IBIS', primaryExchange: 'IBIS' },
  toyota: { conId: 13905, symbol: '7203', secType: 'STK', currency: 'JPY', exchange: 'TSEJ' },
  nesn: { conId: 39395, symbol: 'NESN', secType: 'STK', currency: 'CHF', exchange: 'EBS' },
  aaplCall: {
    conId: 710000101,
    symbol: 'AAPL',
    secType: 'OPT',
    currency: 'USD',
    exchange: 'SMART',
    expiry: '20261218',
    strike: dec(200),
    right: 'C',
    multiplier: dec(100),
    localSymbol: 'AAPL  261218C00200000',
  },
  esFut: { conId: 620731036, symbol: 'ES', secType: 'FUT', currency: 'USD', exchange: 'CME', expiry: '20261218', multiplier: dec(50), localSymbol: 'ESZ6' },
  eurusd: { conId: 12087792, symbol: 'EUR', secType: 'CASH', currency: 'USD', exchange: 'IDEALPRO', localSymbol: 'EUR.USD' },
} satisfies Record<string, Contract>;

const FX: Record<string, string> = { USD: '1', EUR: '1.0825', JPY: '0.0066225', CHF: '1.1342', GBP: '1.2710' };

function pf(contract: Contract, position: string, price: string, avgCost: string): FeedEventBody {
  const mult = contract.multiplier ?? dec(1);
  return {
    type: 'portfolioUpdated',
    account: A,
    contract,
    position: dec(position),
    marketPrice: dec(price),
    marketValue: dec(position).mul(price).mul(mult),
    averageCost: dec(avgCost).mul(mult),
    unrealizedPnl: dec(price).sub(avgCost).mul(position).mul(mult),
    realizedPnl: dec(0),
  };
}

function av(key: string, value: string, currency: string): FeedEventBody {
  return { type: 'accountValueUpdated', account: A, key, value, currency };
}

/** The sample's events with fixed times: the same bytes every run. */
export function sampleSession(): FeedEvent[] {
  const out: FeedEvent[] = [];
  let t = SAMPLE_START_MS;
  const push = (b: FeedEventBody, dt = 40) => {
    t += dt;
    out.push({ ...b, seq: out.length + 1, receivedAt: t } as FeedEvent);
  };
  push({ type: 'healthChanged', health: 'connecting', host: '127.0.0.1', port: 7497, clientId: 4217 });
  push({ type: 'healthChanged', health: 'connected', host: '127.0.0.1', port: 7497, clientId: 4217 });
  push({ type: 'managedAccountsReceived', accounts: [A] });
  push({ type: 'brokerMessage', id: -1, code: 2104, message: 'Market data farm connection is OK:usfarm', class: 'info' });
  push({ type: 'brokerMessage', id: -1, code: 2106, message: 'HMDS data farm connection is OK:ushmds', class: 'info' });
  push({ type: 'healthChanged', health: 'ready', reason: 'nextValidId seen, heartbeat answered' });
  push({ type: 'snapshotRequested', snapshot: 'account' });
  for (const [ccy, rate] of Object.entries(FX)) push(av('ExchangeRate', rate, ccy), 2);
  const cash: Record<string, string> = { USD: '412500.00', EUR: '-35000.00', JPY: '2500000', CHF: '18000.00', GBP: '9500.00' };
  for (const [ccy, v] of Object.entries(cash)) push(av('CashBalance', v, ccy), 2);
  push(av('CashBalance', '394152.91', 'BASE'), 2);
  for (const [k, v] of [
    ['NetLiquidation', '1046214.37'],
    ['NetLiquidation-S', '1001089.37'],
    ['NetLiquidation-C', '45125.00'],
    ['EquityWithLoanValue', '1031714.37'],
    ['EquityWithLoanValue-S', '986589.37'],
    ['EquityWithLoanValue-C', '45125.00'],
    ['GrossPositionValue', '652061.46'],
    ['InitMarginReq', '265080.12'],
    ['InitMarginReq-S', '242080.12'],
    ['InitMarginReq-C', '23000.00'],
    ['MaintMarginReq', '213064.10'],
    ['MaintMarginReq-S', '192064.10'],
    ['MaintMarginReq-C', '21000.00'],
    ['AvailableFunds', '766634.25'],
    ['ExcessLiquidity', '818650.27'],
  ] as const) {
    push(av(k, v, 'USD'), 2);
  }
  push(av('Cushion', '0.782489', ''), 2);
  push(av('AccountType', 'INDIVIDUAL', ''), 2);
  for (const [ccy, v] of [
    ['USD', '691114.00'],
    ['EUR', '50375.00'],
    ['JPY', '8200000'],
    ['CHF', '58000.00'],
    ['GBP', '9500.00'],
  ] as const) {
    push(av('NetLiquidationByCurrency', v, ccy), 2);
  }
  push(pf(C.aapl, '1000', '190.10', '150.25'));
  push(pf(C.sap, '500', '170.50', '160.00'));
  push(pf(C.toyota, '2000', '2850', '2700'));
  push(pf(C.nesn, '400', '100.00', '105.50'));
  push(pf(C.aaplCall, '-10', '7.25', '9.00'));
  push(pf(C.esFut, '1', '6020.25', '6000.00'));
  push(pf(C.eurusd, '25000', '1.0825', '1.0790'));
  push({ type: 'accountTimeUpdated', time: '09:30' });
  push({ type: 'accountDownloadEnded', account: A });
  push({ type: 'snapshotRequested', snapshot: 'positions' });
  for (const [c, q, cost] of [
    [C.aapl, '1000', '150.25'],
    [C.sap, '500', '160'],
    [C.toyota, '2000', '2700'],
    [C.nesn, '400', '105.5'],
    [C.aaplCall, '-10', '900'],
    [C.esFut, '1', '300000'],
    [C.eurusd, '25000', '1.079'],
  ] as const) {
    push({ type: 'positionUpdated', account: A, contract: c, position: dec(q), averageCost: dec(cost) }, 5);
  }
  push({ type: 'positionsEnded' });
  push({
    type: 'optionComputed',
    conId: C.aaplCall.conId,
    kind: 'model',
    delayed: false,
    impliedVol: 0.2431,
    delta: 0.3412,
    gamma: 0.0121,
    vega: 0.3105,
    theta: -0.0612,
    optionPrice: 7.25,
    underlyingPrice: 190.1,
    pvDividend: 0.25,
  });
  // A few minutes of marks: AAPL drifts down, the call with it.
  const path = ['189.85', '189.40', '189.95', '188.70', '188.25', '188.90', '187.60', '187.95', '188.40', '188.10'];
  path.forEach((p, i) => {
    push({ type: 'priceTicked', conId: C.aapl.conId, field: 'last', price: dec(p), delayed: false }, 1500);
    if (i % 3 === 2) {
      const opt = (7.25 + (Number(p) - 190.1) * 0.3412).toFixed(2);
      push({
        type: 'optionComputed',
        conId: C.aaplCall.conId,
        kind: 'model',
        delayed: false,
        impliedVol: 0.2431 + i * 0.001,
        delta: 0.3412 - i * 0.002,
        optionPrice: Number(opt),
        underlyingPrice: Number(p),
      });
      push(pf(C.aapl, '1000', p, '150.25'));
      push(pf(C.aaplCall, '-10', opt, '9.00'));
    }
  });
  // A dropped connection, and recovery.
  push({ type: 'brokerMessage', id: -1, code: 1100, message: 'Connectivity between IB and Trader Workstation has been lost.', class: 'connection' }, 2000);
  push({ type: 'healthChanged', health: 'degraded', reason: 'TWS lost its connection to IB (1100)' });
  push(
    {
      type: 'brokerMessage',
      id: -1,
      code: 1102,
      message: 'Connectivity between IB and Trader Workstation has been restored - data maintained.',
      class: 'connection',
    },
    9000,
  );
  push({ type: 'healthChanged', health: 'ready', reason: 'connectivity restored, data maintained (1102)' });
  // The operator trims the ES future (an order, a fill and its commission).
  push({ type: 'operatorActed', action: 'note', detail: { text: 'sample: manual trim of ES from another client' } }, 3000);
  const order = {
    orderId: 31,
    clientId: 7,
    permId: 1804289383,
    account: A,
    contract: C.esFut,
    action: 'SELL' as const,
    totalQuantity: dec(1),
    orderType: 'MKT',
    tif: 'DAY',
    status: 'PreSubmitted' as const,
  };
  push({ type: 'openOrderUpdated', order });
  push({ type: 'orderStatusUpdated', orderId: 31, clientId: 7, permId: 1804289383, status: 'Submitted', filled: dec(0), remaining: dec(1) });
  push({
    type: 'executionReceived',
    reqId: -1,
    execId: '0000e0d5.674a1b2c.01.01',
    orderId: 31,
    clientId: 7,
    permId: 1804289383,
    account: A,
    contract: C.esFut,
    side: 'SLD',
    shares: dec(1),
    price: dec('6018.50'),
    cumQty: dec(1),
    avgPrice: dec('6018.50'),
    time: '20261123 09:36:12 US/Eastern',
  });
  push({
    type: 'orderStatusUpdated',
    orderId: 31,
    clientId: 7,
    permId: 1804289383,
    status: 'Filled',
    filled: dec(1),
    remaining: dec(0),
    avgFillPrice: dec('6018.50'),
    lastFillPrice: dec('6018.50'),
  });
  push({ type: 'commissionReceived', execId: '0000e0d5.674a1b2c.01.01', commission: dec('2.25'), currency: 'USD', realizedPnl: dec('922.75') });
  push(pf(C.esFut, '0', '6018.50', '6000.00'));
  push({ type: 'positionUpdated', account: A, contract: C.esFut, position: dec(0) });
  push(av('MaintMarginReq', '192064.10', 'USD'));
  push(av('MaintMarginReq-C', '0.00', 'USD'));
  push(av('ExcessLiquidity', '839650.27', 'USD'));
  push({ type: 'pnlUpdated', account: A, dailyPnl: dec('-3120.40'), unrealizedPnl: dec('57412.11'), realizedPnl: dec('922.75') });
  return out;
}
