import { describe, expect, it } from 'vitest';
import { accountCurrencies, accountValue, baseValue } from '../../src/model/account-values.js';
import { encodeState } from '../../src/model/codec.js';
import type { FeedEvent, FeedEventBody, FeedEventOf } from '../../src/model/events.js';
import { isTerminalStatus, type OrderStatus } from '../../src/model/orders.js';
import { dec } from '../../src/model/money.js';
import { reduce, reduceAll, reduceBatch } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { EventLog, acct, option, portfolio, stock } from '../support/events.js';

const ACC = 'DU1234567';
const AAPL = stock(265598, 'AAPL', 'USD');
const SAP = stock(14204, 'SAP', 'EUR', 'IBIS');
const TOYOTA = stock(13905, '7203', 'JPY', 'TSEJ');
const AAPL_C = option(700001, 'AAPL', '20261218', '200', 'C');

/** The facts of a state, without bookkeeping that legitimately differs between runs (seq, times). */
function facts(s: PortfolioState): unknown {
  const o = encodeState(s) as Record<string, unknown>;
  for (const k of ['lastSeq', 'lastEventAt', 'lastUpdate', 'messages', 'operatorActions']) delete o[k];
  const stripTimes = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(stripTimes)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([k]) => k !== 'updatedAt')
              .map(([k, x]) => [k, stripTimes(x)]),
          )
        : v;
  const out = stripTimes(o) as Record<string, unknown>;
  // Map iteration order depends on history (hash trie layout after deletes); compare maps as sorted entries.
  for (const [k, v] of Object.entries(out)) {
    if (Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2)) {
      out[k] = [...v].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    }
  }
  return out;
}

function usdBaseSession(): EventLog {
  const log = new EventLog();
  log.pushAll([
    { type: 'healthChanged', health: 'ready', host: '127.0.0.1', port: 7497, clientId: 17 },
    { type: 'managedAccountsReceived', accounts: [ACC] },
    { type: 'snapshotRequested', snapshot: 'account' },
    acct(ACC, 'NetLiquidation', '1250000.50', 'USD'),
    acct(ACC, 'NetLiquidation-S', '1100000.25', 'USD'),
    acct(ACC, 'NetLiquidation-C', '150000.25', 'USD'),
    acct(ACC, 'MaintMarginReq', '310000.00', 'USD'),
    acct(ACC, 'Cushion', '0.42', ''),
    acct(ACC, 'AccountType', 'INDIVIDUAL', ''),
    acct(ACC, 'ExchangeRate', '1.00', 'USD'),
    acct(ACC, 'ExchangeRate', '1.0825', 'EUR'),
    acct(ACC, 'ExchangeRate', '0.0066225', 'JPY'),
    acct(ACC, 'CashBalance', '200000.00', 'USD'),
    acct(ACC, 'CashBalance', '-50000.00', 'EUR'),
    acct(ACC, 'CashBalance', '3000000', 'JPY'),
    acct(ACC, 'CashBalance', '165742.50', 'BASE'),
    portfolio(ACC, AAPL, '1000', '190.10', '150'),
    portfolio(ACC, SAP, '500', '170.5'),
    portfolio(ACC, TOYOTA, '2000', '2850'),
    portfolio(ACC, AAPL_C, '-10', '7.25', '9.00'),
    { type: 'accountTimeUpdated', time: '14:30' },
    { type: 'accountDownloadEnded', account: ACC },
  ]);
  return log;
}

describe('reducer on a multi-currency account', () => {
  it('keys account values by (tag, currency) and keeps segments, BASE and dimensionless rows apart', () => {
    const s = reduceAll(usdBaseSession().events);
    expect(s.account).toBe(ACC);
    expect(s.baseCurrency).toBe('USD');
    expect(accountValue(s, 'NetLiquidation', 'USD')?.value?.toString()).toBe('1250000.5');
    expect(accountValue(s, 'NetLiquidation', 'USD', 'S')?.value?.toString()).toBe('1100000.25');
    expect(accountValue(s, 'NetLiquidation', 'USD', 'C')?.value?.toString()).toBe('150000.25');
    expect(accountValue(s, 'CashBalance', 'BASE')?.value?.toString()).toBe('165742.5');
    expect(accountValue(s, 'CashBalance', 'EUR')?.value?.toString()).toBe('-50000');
    expect(accountValue(s, 'Cushion', '')?.value?.toString()).toBe('0.42');
    // A text value is kept verbatim and never parsed into a number.
    expect(accountValue(s, 'AccountType', '')?.raw).toBe('INDIVIDUAL');
    expect(accountValue(s, 'AccountType', '')?.value).toBeUndefined();
    expect(baseValue(s, 'MaintMarginReq')?.toString()).toBe('310000');
    expect(accountCurrencies(s)).toEqual(['EUR', 'JPY', 'USD']);
  });

  it('tracks exchange rates per currency with the base at 1', () => {
    const s = reduceAll(usdBaseSession().events);
    expect(s.fxRates.get('USD')?.toString()).toBe('1');
    expect(s.fxRates.get('EUR')?.toString()).toBe('1.0825');
    expect(s.fxRates.get('JPY')?.toString()).toBe('0.0066225');
    // EUR cash in base currency, exactly: -50000 * 1.0825
    expect(accountValue(s, 'CashBalance', 'EUR')!.value!.mul(s.fxRates.get('EUR')!).toString()).toBe('-54125');
  });

  it('keeps portfolio rows per conId in their own currency, with exact decimals', () => {
    const s = reduceAll(usdBaseSession().events);
    expect(s.portfolio.size).toBe(4);
    const toyota = s.portfolio.get(TOYOTA.conId)!;
    expect(toyota.contract.currency).toBe('JPY');
    expect(toyota.marketValue?.toString()).toBe('5700000');
    const call = s.portfolio.get(AAPL_C.conId)!;
    expect(call.position.toString()).toBe('-10');
    expect(call.marketValue?.toString()).toBe('-7250');
    expect(s.complete.accountDownload).toBe(true);
    expect(s.accountTime).toBe('14:30');
  });

  it('reads a JPY-base account whose NetLiquidation is in JPY while other rows are per currency', () => {
    const log = new EventLog();
    const J = 'DU7654321';
    const s = reduceAll(
      log.pushAll([
        acct(J, 'NetLiquidationByCurrency', '1220.00', 'USD'),
        acct(J, 'NetLiquidationByCurrency', '5000.00', 'JPY'),
        acct(J, 'NetLiquidationByCurrency', '196059.62', 'BASE'),
        acct(J, 'ExchangeRate', '156.6062', 'USD'),
        acct(J, 'ExchangeRate', '1.00', 'JPY'),
        acct(J, 'CashBalance', '1220.00', 'USD'),
        acct(J, 'NetLiquidation', '196059.62', 'JPY'),
        acct(J, 'ExcessLiquidity', '180000', 'JPY'),
      ]),
    );
    expect(s.baseCurrency).toBe('JPY');
    expect(baseValue(s, 'NetLiquidation')?.toString()).toBe('196059.62');
    expect(baseValue(s, 'ExcessLiquidity')?.toString()).toBe('180000');
    // The USD row stays in USD; it is never mistaken for the account total.
    expect(accountValue(s, 'NetLiquidationByCurrency', 'USD')?.value?.toString()).toBe('1220');
    expect(accountValue(s, 'NetLiquidationByCurrency', 'BASE')?.value?.toString()).toBe('196059.62');
    expect(accountValue(s, 'NetLiquidation', 'USD')).toBeUndefined();
    expect(s.fxRates.get('USD')?.toString()).toBe('156.6062');
    expect(s.fxRates.get('JPY')?.toString()).toBe('1');
  });

  it('removes a row when its position goes to zero, in both position streams', () => {
    const log = usdBaseSession();
    log.push(portfolio(ACC, SAP, '0', '171'));
    log.push({ type: 'positionUpdated', account: ACC, contract: AAPL, position: dec(1000), averageCost: dec(150) });
    log.push({ type: 'positionUpdated', account: ACC, contract: AAPL, position: dec(0) });
    const s = reduceAll(log.events);
    expect(s.portfolio.get(SAP.conId)).toBeUndefined();
    expect(s.portfolio.size).toBe(3);
    expect(s.positions.size).toBe(0);
  });

  it('never mixes accounts: rows for a second account are dropped and counted', () => {
    const log = usdBaseSession();
    log.push(acct('DU9999999', 'NetLiquidation', '1', 'USD'));
    log.push(portfolio('DU9999999', stock(1, 'XYZ', 'USD'), '5', '10'));
    const s = reduceAll(log.events);
    expect(baseValue(s, 'NetLiquidation')?.toString()).toBe('1250000.5');
    expect(s.portfolio.get(1)).toBeUndefined();
    expect(s.otherAccountRows).toBe(2);
  });
});

describe('reducer under duplicated and reordered TWS messages', () => {
  const ORDER = {
    orderId: 1_000_001,
    clientId: 17,
    permId: 555,
    account: ACC,
    contract: AAPL,
    action: 'SELL' as const,
    totalQuantity: dec(1000),
    orderType: 'LMT',
    limitPrice: dec('189.5'),
    status: 'Submitted' as const,
  };
  const exec = (execId: string, shares: string, cum: string): FeedEventBody => ({
    type: 'executionReceived',
    reqId: -1,
    execId,
    orderId: ORDER.orderId,
    clientId: 17,
    permId: 555,
    account: ACC,
    contract: AAPL,
    side: 'SLD',
    shares: dec(shares),
    price: dec('189.5'),
    cumQty: dec(cum),
    avgPrice: dec('189.5'),
    time: '20261123 09:31:00 US/Eastern',
  });
  const status = (s: OrderStatus, filled: string, remaining: string): FeedEventBody => ({
    type: 'orderStatusUpdated',
    orderId: ORDER.orderId,
    clientId: 17,
    permId: 555,
    status: s,
    filled: dec(filled),
    remaining: dec(remaining),
  });
  const trading: FeedEventBody[] = [
    { type: 'openOrderUpdated', order: ORDER },
    status('Submitted', '0', '1000'),
    exec('0001.01', '400', '400'),
    { type: 'commissionReceived', execId: '0001.01', commission: dec('2.01'), currency: 'USD' },
    status('Submitted', '400', '600'),
    exec('0001.02', '600', '1000'),
    { type: 'commissionReceived', execId: '0001.02', commission: dec('2.99'), currency: 'USD' },
    status('Filled', '1000', '0'),
    portfolio(ACC, AAPL, '0', '189.5'),
  ];

  it('reaches the same facts when every message is delivered twice', () => {
    const once = new EventLog();
    const twice = new EventLog();
    for (const b of [...usdBaseSession().events]) {
      once.push(b);
      twice.push(b);
    }
    once.pushAll(trading);
    for (const b of trading) {
      twice.push(b);
      twice.push(b);
    }
    const a = reduceAll(once.events);
    const b = reduceAll(twice.events);
    expect(facts(b)).toEqual(facts(a));
    expect(b.executions.size).toBe(2);
    expect(b.orders.get(`17:${ORDER.orderId}`)?.status).toBe('Filled');
    expect(b.executions.get('0001.02')?.commission?.toString()).toBe('2.99');
  });

  it('keeps a terminal status and the highest fill when an older status arrives late', () => {
    const log = usdBaseSession();
    log.pushAll([
      { type: 'openOrderUpdated', order: ORDER },
      status('Filled', '1000', '0'),
      status('Submitted', '400', '600'),
      { type: 'openOrderUpdated', order: ORDER },
    ]);
    const row = reduceAll(log.events).orders.get(`17:${ORDER.orderId}`)!;
    expect(row.status).toBe('Filled');
    expect(row.filled.toString()).toBe('1000');
    expect(row.remaining?.toString()).toBe('0');
  });

  it('joins a commission report that arrives before its execution', () => {
    const log = new EventLog();
    log.push({ type: 'commissionReceived', execId: 'X1', commission: dec('1.25'), currency: 'EUR', realizedPnl: dec('-3.5') });
    log.push(exec('X1', '10', '10'));
    const s = reduceAll(log.events);
    expect(s.executions.get('X1')?.commission?.toString()).toBe('1.25');
    expect(s.executions.get('X1')?.realizedPnl?.toString()).toBe('-3.5');
    expect(s.pendingCommissions.size).toBe(0);
  });

  it('accepts an order status before its open order, and manual TWS orders keyed by permId', () => {
    const log = new EventLog();
    log.push({ ...status('PreSubmitted', '0', '1000') });
    log.push({ type: 'openOrderUpdated', order: ORDER });
    log.push({ type: 'openOrderUpdated', order: { ...ORDER, orderId: 0, clientId: 0, permId: 9001, status: 'Submitted' } });
    log.push({ type: 'orderStatusUpdated', orderId: 0, clientId: 0, permId: 9001, status: 'Cancelled', filled: dec(0), remaining: dec(1000) });
    const s = reduceAll(log.events);
    expect(s.orders.size).toBe(2);
    expect(s.orders.get(`17:${ORDER.orderId}`)?.info?.limitPrice?.toString()).toBe('189.5');
    expect(s.orders.get('perm:9001')?.status).toBe('Cancelled');
  });

  it('reads a status text that is no TWS status (an old recording, a new TWS) as Unknown, which is not final', () => {
    const log = new EventLog();
    log.push({ type: 'openOrderUpdated', order: ORDER });
    // Events decoded from a recording carry whatever text was recorded: the type cannot vouch for it.
    log.push({ ...status('Submitted', '0', '1000'), status: 'Parked' } as unknown as FeedEventBody);
    const s = reduceAll(log.events);
    expect(s.orders.get(`17:${ORDER.orderId}`)?.status).toBe('Unknown');
    expect(isTerminalStatus('Unknown')).toBe(false);
  });

  it('closes an open order the open-orders snapshot no longer lists, and keeps listed ones open', () => {
    const log = new EventLog();
    log.push({ type: 'openOrderUpdated', order: ORDER });
    log.push({ type: 'openOrderUpdated', order: { ...ORDER, orderId: 0, clientId: 99, permId: 77 } });
    log.push({ type: 'openOrdersEnded', listed: [`17:${ORDER.orderId}`] });
    const s = reduceAll(log.events);
    expect(s.orders.get(`17:${ORDER.orderId}`)?.listed).toBe(true);
    expect(s.orders.get(`17:${ORDER.orderId}`)?.status).toBe('Submitted');
    expect(s.orders.get('perm:77')?.listed).toBe(false);
    // TWS no longer lists it: final, though nobody told us whether it was cancelled.
    expect(s.orders.get('perm:77')?.status).toBe('Closed');
    expect(isTerminalStatus('Closed')).toBe(true);
  });

  it('calls an unlisted order Filled when its known fills cover its quantity', () => {
    const log = new EventLog();
    log.push({ type: 'openOrderUpdated', order: ORDER });
    log.push(status('Submitted', ORDER.totalQuantity.toString(), '0'));
    log.push({ type: 'openOrdersEnded', listed: [] });
    expect(reduceAll(log.events).orders.get(`17:${ORDER.orderId}`)?.status).toBe('Filled');
  });

  it('reopens a closed order that a later snapshot or message says is still working', () => {
    const log = new EventLog();
    log.push({ type: 'openOrderUpdated', order: { ...ORDER, status: 'PreSubmitted' } });
    log.push({ type: 'openOrdersEnded', listed: [] });
    expect(reduceAll(log.events).orders.get(`17:${ORDER.orderId}`)?.status).toBe('Closed');
    log.push({ type: 'openOrdersEnded', listed: [`17:${ORDER.orderId}`] });
    expect(reduceAll(log.events).orders.get(`17:${ORDER.orderId}`)?.status).toBe('PreSubmitted');
    log.push({ type: 'openOrdersEnded', listed: [] });
    log.push(status('Submitted', '0', ORDER.totalQuantity.toString()));
    expect(reduceAll(log.events).orders.get(`17:${ORDER.orderId}`)?.status).toBe('Submitted');
    // A final status TWS sends is never undone by a late working one.
    log.push(status('Cancelled', '0', ORDER.totalQuantity.toString()));
    log.push({ type: 'openOrdersEnded', listed: [`17:${ORDER.orderId}`] });
    log.push(status('Submitted', '0', ORDER.totalQuantity.toString()));
    expect(reduceAll(log.events).orders.get(`17:${ORDER.orderId}`)?.status).toBe('Cancelled');
  });

  it('returns the same state reference for an event it has already applied', () => {
    const events = usdBaseSession().events;
    const s = reduceAll(events);
    expect(reduce(s, events[5]!)).toBe(s);
    expect(reduceAll(events, s)).toBe(s);
  });

  it('keeps the map and row references when a duplicate portfolio row arrives', () => {
    const log = usdBaseSession();
    const s1 = reduceAll(log.events);
    const s2 = reduce(s1, log.push(portfolio(ACC, AAPL, '1000', '190.10', '150')));
    expect(s2.portfolio).toBe(s1.portfolio);
    expect(s2.lastUpdate.portfolio).toBeGreaterThan(s1.lastUpdate.portfolio!);
  });
});

describe('snapshots that arrive in pieces', () => {
  it('shows the old account until the new download ends, then drops rows that vanished', () => {
    const log = usdBaseSession();
    const before = reduceAll(log.events);
    log.push({ type: 'snapshotRequested', snapshot: 'account' });
    log.push(acct(ACC, 'NetLiquidation', '1240000', 'USD'));
    log.push(portfolio(ACC, AAPL, '1000', '189'));
    const mid = reduceAll(log.events);
    // Mid-download: live values update, rows not yet re-sent are still shown, and the snapshot is not complete.
    expect(mid.complete.accountDownload).toBe(false);
    expect(mid.portfolio.size).toBe(before.portfolio.size);
    expect(baseValue(mid, 'NetLiquidation')?.toString()).toBe('1240000');
    log.push(portfolio(ACC, SAP, '500', '171'));
    log.push({ type: 'accountDownloadEnded', account: ACC });
    const after = reduceAll(log.events);
    expect(after.complete.accountDownload).toBe(true);
    expect([...after.portfolio.keys()].sort()).toEqual([AAPL.conId, SAP.conId].sort());
    expect(accountValue(after, 'CashBalance', 'EUR')).toBeUndefined();
    expect(baseValue(after, 'NetLiquidation')?.toString()).toBe('1240000');
  });

  it('replaces positions with the new snapshot at positionEnd', () => {
    const log = new EventLog();
    log.push({ type: 'snapshotRequested', snapshot: 'positions' });
    log.push({ type: 'positionUpdated', account: ACC, contract: AAPL, position: dec(10) });
    log.push({ type: 'positionUpdated', account: ACC, contract: SAP, position: dec('2.5') });
    log.push({ type: 'positionsEnded' });
    log.push({ type: 'snapshotRequested', snapshot: 'positions' });
    log.push({ type: 'positionUpdated', account: ACC, contract: SAP, position: dec('3.75') });
    log.push({ type: 'positionsEnded' });
    const s = reduceAll(log.events);
    expect([...s.positions.keys()]).toEqual([SAP.conId]);
    expect(s.positions.get(SAP.conId)?.position.toString()).toBe('3.75');
    expect(s.complete.positions).toBe(true);
  });
});

describe('connection health', () => {
  const health = (body: Partial<FeedEventOf<'healthChanged'>>) =>
    reduceAll(new EventLog().pushAll([{ type: 'healthChanged', health: 'disconnected', ...body } as FeedEventBody]));

  it('keeps the typed cause beside the sentence, and no cause when the source says none', () => {
    expect(health({ reason: 'stopped by the operator', cause: 'operatorStop' })).toMatchObject({
      healthReason: 'stopped by the operator',
      healthCause: 'operatorStop',
    });
    // null: the source had no cause to give; the sentence is never read for one.
    expect(health({ reason: 'client id 1 is already in use', cause: null }).healthCause).toBeUndefined();
    const next = reduce(health({ reason: 'x', cause: 'heartbeatTimeout' }), {
      type: 'healthChanged',
      health: 'ready',
      reason: 'ok',
      cause: null,
      seq: 2,
      receivedAt: Date.UTC(2026, 10, 23, 15),
    });
    expect(next.healthCause).toBeUndefined();
  });

  it('reads a healthChanged without cause (recorded before causes were typed) as the sentence was read then', () => {
    expect(health({ reason: 'client id 17 is already in use by another API client (326)' }).healthCause).toBe('clientIdInUse');
    expect(health({ reason: 'account DU1 is not managed by this login' }).healthCause).toBe('accountNotManaged');
    expect(health({ health: 'connecting', reason: 'opening the socket and handshake, after: cannot connect to h:1' }).healthCause).toBe('cannotConnect');
    expect(health({ health: 'degraded', reason: 'TWS lost its connection to IB (1100): data is not updating' }).healthCause).toBe('connectivityLost');
    expect(health({ reason: 'stopped by the operator' }).healthCause).toBeUndefined();
  });
});

describe('market data', () => {
  it('keeps the last defined option values and prefers model greeks over bid/ask ticks', () => {
    const log = new EventLog();
    log.push({ type: 'optionComputed', conId: 7, kind: 'model', delayed: false, impliedVol: 0.25, delta: 0.55, underlyingPrice: 601.1, pvDividend: 1.2 });
    log.push({ type: 'optionComputed', conId: 7, kind: 'ask', delayed: false, impliedVol: 0.3, delta: 0.6 });
    log.push({ type: 'optionComputed', conId: 7, kind: 'bid', delayed: false });
    const o = reduceAll(log.events).options.get(7)!;
    expect(o.impliedVol).toBe(0.25);
    expect(o.delta).toBe(0.55);
    expect(o.underlyingPrice).toBe(601.1);
    expect(o.pvDividend).toBe(1.2);
    expect(o.fromModel).toBe(true);
  });

  it('stamps each stream with the time of its last update', () => {
    const log = usdBaseSession();
    const at = Date.UTC(2026, 10, 23, 15, 0);
    log.push({ type: 'priceTicked', conId: AAPL.conId, field: 'last', price: dec('191.2'), delayed: false }, at);
    const s = reduceAll(log.events);
    expect(s.lastUpdate.marketData).toBe(at);
    expect(s.lastUpdate.portfolio).toBeLessThan(at);
    expect(s.prices.get(AAPL.conId)?.prices.last?.toString()).toBe('191.2');
  });
});

describe('scale', () => {
  it('shares every untouched row when one of 2,000 positions changes', () => {
    const log = new EventLog();
    for (let i = 1; i <= 2000; i++) log.push(portfolio(ACC, stock(i, `S${i}`, ['USD', 'EUR', 'JPY', 'GBP'][i % 4]!), '100', '10'));
    const s1 = reduceAll(log.events);
    const s2 = reduce(s1, log.push(portfolio(ACC, stock(1234, 'S1234', 'USD'), '100', '11')));
    expect(s2.portfolio.size).toBe(2000);
    let shared = 0;
    for (const [k, row] of s1.portfolio) if (s2.portfolio.get(k) === row) shared++;
    expect(shared).toBe(1999);
    expect(s1.portfolio.get(1234)!.marketPrice!.toString()).toBe('10');
  });

  it('folds from the initial state without touching it', () => {
    const before = JSON.stringify(encodeState(INITIAL_STATE));
    reduceAll(usdBaseSession().events as FeedEvent[]);
    expect(JSON.stringify(encodeState(INITIAL_STATE))).toBe(before);
  });
});

describe('reduceBatch: a run of events folded into one state', () => {
  /** A session's snapshot, then market data of every busy kind, repeats, other-account rows and rare events mixed in. */
  function mixedSession(): EventLog {
    const log = usdBaseSession();
    const other = 'DU7654321';
    for (let i = 0; i < 30; i++) {
      const px = (190 + (i % 7) * 0.25).toFixed(2);
      log.pushAll([
        { type: 'priceTicked', conId: AAPL.conId, field: i % 3 === 0 ? 'bid' : 'mark', price: dec(px), delayed: i % 11 === 0 },
        {
          type: 'optionComputed',
          conId: AAPL_C.conId,
          kind: i % 4 === 0 ? 'model' : 'bid',
          delayed: false,
          impliedVol: 0.25 + (i % 5) / 100,
          delta: 0.4,
          ...(i % 2 === 0 ? { gamma: 0.01, underlyingPrice: 190 + i } : {}),
        },
        portfolio(ACC, AAPL, i === 17 ? '0' : '1000', px, '150'),
        portfolio(i % 9 === 0 ? other : ACC, SAP, '500', (170 + i / 10).toFixed(2)),
        { type: 'accountSummaryUpdated', account: ACC, tag: 'NetLiquidation', currency: 'USD', value: String(1_250_000 + i) },
        { type: 'accountSummaryUpdated', account: other, tag: 'NetLiquidation', currency: 'USD', value: '1' },
        { type: 'accountTimeUpdated', time: `14:${String(30 + (i % 30)).padStart(2, '0')}` },
        { type: 'pnlUpdated', account: i % 10 === 5 ? other : ACC, dailyPnl: dec(String(i * 10)), ...(i % 2 ? { unrealizedPnl: dec('5') } : {}) },
      ]);
      // Marks set in place within a run: one lacking a field the row has (a fresh row then), one repeating the row's
      // numbers (no change), one with an equal contract in another object and one with a changed contract.
      if (i % 6 === 2) {
        const { unrealizedPnl: _u, ...noPnl } = portfolio(ACC, AAPL, '1000', px, '150') as FeedEventOf<'portfolioUpdated'>;
        log.pushAll([noPnl, portfolio(ACC, AAPL, '1000', px, '150')]);
      }
      if (i % 7 === 4) log.pushAll([portfolio(ACC, AAPL, '1000', px, '150'), portfolio(ACC, { ...AAPL }, '1000', px, '150')]);
      if (i % 13 === 5) log.push(portfolio(ACC, { ...AAPL, primaryExchange: 'NASDAQ.NMS' }, '1000', px, '150'));
      // A mark with no usable quantity, a rare event and a repeat now and then.
      if (i % 8 === 3) log.push({ ...(portfolio(ACC, TOYOTA, '1', '2850') as FeedEventOf<'portfolioUpdated'>), position: undefined, unknownQuantity: 'NaN' });
      if (i % 8 === 6) log.pushAll([acct(ACC, 'ExchangeRate', '1.09', 'EUR'), { type: 'positionsEnded' }]);
      if (i % 5 === 0) log.push({ type: 'accountTimeUpdated', time: '14:30' }, log.events.at(-1)!.receivedAt);
    }
    return log;
  }

  it('gives the state reduceAll gives, whatever runs the events are cut into', () => {
    const events = mixedSession().events;
    const expected = JSON.stringify(encodeState(reduceAll(events)));
    for (const size of [1, 2, 7, 64, events.length]) {
      let s = INITIAL_STATE;
      for (let i = 0; i < events.length; i += size) s = reduceBatch(s, events.slice(i, i + size));
      expect({ size, json: JSON.stringify(encodeState(s)) }).toEqual({ size, json: expected });
    }
  });

  it('never changes a state it gave: rows a run made are set in place only within that run', () => {
    const events = mixedSession().events;
    const given: { state: PortfolioState; json: string }[] = [];
    let s = INITIAL_STATE;
    for (let i = 0; i < events.length; i += 5) {
      s = reduceBatch(s, events.slice(i, i + 5));
      given.push({ state: s, json: JSON.stringify(encodeState(s)) });
    }
    expect(given.filter((g) => JSON.stringify(encodeState(g.state)) !== g.json).map((g) => g.state.lastSeq)).toEqual([]);
  });

  it('leaves the state it starts from as it was, and returns it when every event was already applied', () => {
    const events = mixedSession().events;
    const half = reduceAll(events.slice(0, 100));
    const before = JSON.stringify(encodeState(half));
    const { portfolio: rows, options, lastUpdate } = half;
    const after = reduceBatch(half, events.slice(100));
    expect(after).not.toBe(half);
    expect(after.lastSeq).toBe(events.length);
    expect(JSON.stringify(encodeState(half))).toBe(before);
    expect([half.portfolio, half.options, half.lastUpdate]).toEqual([rows, options, lastUpdate]);
    expect(half.portfolio).toBe(rows);
    expect(reduceBatch(after, events.slice(50))).toBe(after);
  });
});
