// One sample of every FeedEvent type (the Record type makes the list complete), for codec and recorder tests.
import type { FeedEventBody, FeedEventType } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { option, portfolio, stock } from './events.js';

const ACC = 'DU1234567';
const AAPL = stock(265598, 'AAPL', 'USD');
const CALL = option(700001, 'AAPL', '20261218', '200.5', 'C');

export const SAMPLE_BODIES: { readonly [T in FeedEventType]: Extract<FeedEventBody, { type: T }> } = {
  healthChanged: { type: 'healthChanged', health: 'ready', reason: 'heartbeat answered', host: '127.0.0.1', port: 7497, clientId: 17 },
  snapshotRequested: { type: 'snapshotRequested', snapshot: 'positions' },
  managedAccountsReceived: { type: 'managedAccountsReceived', accounts: [ACC, 'DU7654321'] },
  accountValueUpdated: { type: 'accountValueUpdated', account: ACC, key: 'NetLiquidation-S', currency: 'USD', value: '1000.25' },
  accountTimeUpdated: { type: 'accountTimeUpdated', time: '14:31' },
  accountDownloadEnded: { type: 'accountDownloadEnded', account: ACC },
  accountSummaryUpdated: { type: 'accountSummaryUpdated', account: ACC, tag: 'CashBalance', currency: 'EUR', value: '-5000' },
  accountSummaryEnded: { type: 'accountSummaryEnded' },
  portfolioUpdated: portfolio(ACC, CALL, '-3', '7.35', '9.10') as Extract<FeedEventBody, { type: 'portfolioUpdated' }>,
  positionUpdated: { type: 'positionUpdated', account: ACC, contract: AAPL, position: dec('100.5'), averageCost: dec('150.123456789') },
  positionsEnded: { type: 'positionsEnded' },
  priceTicked: { type: 'priceTicked', conId: AAPL.conId, field: 'mark', price: dec('190.015'), delayed: true },
  optionComputed: { type: 'optionComputed', conId: CALL.conId, kind: 'model', delayed: false, impliedVol: 0.2512, delta: 0.43, gamma: 0.01, vega: 0.3, theta: -0.05, optionPrice: 7.3, underlyingPrice: 190.1, pvDividend: 0.96 },
  pnlUpdated: { type: 'pnlUpdated', account: ACC, dailyPnl: dec('-1234.56'), unrealizedPnl: dec('100') },
  openOrderUpdated: {
    type: 'openOrderUpdated',
    order: { orderId: 1_000_001, clientId: 17, permId: 42, account: ACC, contract: CALL, action: 'BUY', totalQuantity: dec('3'), orderType: 'LMT', limitPrice: dec('7.4'), tif: 'DAY', orderRef: 'tws-risk:flatten', status: 'Submitted' },
  },
  openOrdersEnded: { type: 'openOrdersEnded' },
  orderStatusUpdated: { type: 'orderStatusUpdated', orderId: 1_000_001, clientId: 17, permId: 42, status: 'Filled', filled: dec(3), remaining: dec(0), avgFillPrice: dec('7.38'), lastFillPrice: dec('7.38') },
  executionReceived: {
    type: 'executionReceived', reqId: -1, execId: '0000e0d5.6d1b.01', orderId: 1_000_001, clientId: 17, permId: 42, account: ACC, contract: CALL,
    side: 'BOT', shares: dec(3), price: dec('7.38'), cumQty: dec(3), avgPrice: dec('7.38'), time: '20261123 09:31:00 US/Eastern', orderRef: 'tws-risk:flatten',
  },
  executionsEnded: { type: 'executionsEnded', reqId: 9 },
  commissionReceived: { type: 'commissionReceived', execId: '0000e0d5.6d1b.01', commission: dec('1.95'), currency: 'USD', realizedPnl: dec('-51.2') },
  brokerMessage: { type: 'brokerMessage', id: -1, code: 2104, message: 'Market data farm connection is OK:usfarm', class: 'info' },
  operatorActed: { type: 'operatorActed', action: 'dialogShown', detail: { planId: 'flat-1', legs: ['SELL 3 AAPL STK MKT'], scope: 'conid:700001' } },
  alertChanged: {
    type: 'alertChanged', kind: 'escalated', at: 1_795_000_000_000, from: 'warning',
    alert: {
      id: 'cushion.band', rule: 'cushion.band', severity: 'critical', title: 'Cushion 4.1% is below 5%', detail: { cushion: 0.041, threshold: 0.05 },
      firstSeenAt: 1_794_999_990_000, raisedAt: 1_794_999_991_000, lastSeenAt: 1_795_000_000_000, acknowledged: false, reduction: { kind: 'cushion', min: 0.05 },
    },
  },
  guardActed: {
    type: 'guardActed', step: 'decided', policyHash: 'ab'.repeat(32), actionId: 'guard-1', rule: 'rules[0]', action: 'globalCancel',
    alert: { id: 'excess.negative', severity: 'critical', title: 'ExcessLiquidity is negative' }, heldMs: 0, dryRun: true, plan: ['GLOBAL CANCEL: 2 open order(s)'],
  },
  // Last, so that the indices the recording tests rely on stay where they were.
  brokerTimeReceived: { type: 'brokerTimeReceived', time: Date.UTC(2026, 10, 23, 14, 31, 5) },
  accountChanged: { type: 'accountChanged', followed: ACC, managed: ['DU7654321'] },
};
