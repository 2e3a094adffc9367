import { describe, expect, it } from 'vitest';
import type { OrderStatus } from '../../src/model/orders.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduceAll } from '../../src/model/reducer.js';
import type { PortfolioState } from '../../src/model/state.js';
import { arm, DISARMED, isArmed } from '../../src/trading/arming.js';
import { guardFlatten } from '../../src/trading/guard.js';
import {
  coarsestLadder,
  isDenial,
  ladderFor,
  limitFor,
  parseScope,
  planCancel,
  planFlatten,
  planLimit,
  planReduce,
  roundOnLadder,
  type FlattenOptions,
  type Ladder,
} from '../../src/trading/plan.js';
import { laddersByExchange } from '../../src/trading/session.js';
import { formatDenial, legTarget, type Denial, type FlattenPlan } from '../../src/trading/types.js';
import { EventLog, acct, option, portfolio, stock } from '../support/events.js';

const ACC = 'DU1234567';
const AAPL = stock(265598, 'AAPL', 'USD');
const SAP = stock(14204, 'SAP', 'EUR');
const CALL = option(700001, 'AAPL', '20261218', '200', 'C');
const ES = { conId: 620731036, symbol: 'ES', secType: 'FUT', currency: 'USD', expiry: '20261218', multiplier: dec(50), exchange: 'CME' };

function pos(c: typeof AAPL, q: string): FeedEventBody {
  return { type: 'positionUpdated', account: ACC, contract: c, position: dec(q), averageCost: dec(1) };
}

function book(extra: FeedEventBody[] = []): { log: EventLog; state: PortfolioState } {
  const log = new EventLog(Date.now() - 1000);
  log.pushAll([
    { type: 'healthChanged', health: 'ready' },
    acct(ACC, 'NetLiquidation', '1000000', 'USD'),
    acct(ACC, 'ExchangeRate', '1', 'USD'),
    acct(ACC, 'ExchangeRate', '1.08', 'EUR'),
    portfolio(ACC, AAPL, '100.5', '190.10'),
    portfolio(ACC, SAP, '-40', '170.50'),
    portfolio(ACC, CALL, '-3', '7.25'),
    portfolio(ACC, ES, '2', '6020.25'),
    { type: 'accountDownloadEnded', account: ACC },
    pos(AAPL, '100.5'),
    pos(SAP, '-40'),
    pos(CALL, '-3'),
    pos(ES, '2'),
    { type: 'positionsEnded' },
    { type: 'openOrdersEnded' },
    ...extra,
  ]);
  return { log, state: reduceAll(log.events) };
}

const OPTS = { clientId: 17, orderType: 'LMT' as const, collar: 0.02, now: 1 };

function plan(state: PortfolioState, scope: string, opts: FlattenOptions = OPTS): FlattenPlan {
  const p = planFlatten(state, parseScope(scope) as never, opts);
  if (isDenial(p)) throw new Error(formatDenial(p));
  return p;
}

describe('flatten planner', () => {
  it('closes each position with exactly the opposite quantity, options before their underlying', () => {
    const p = plan(book().state, 'underlying:AAPL');
    expect(p.legs.map((l) => [l.contract.secType, l.action, l.quantity.toString()])).toEqual([
      ['OPT', 'BUY', '3'],
      ['STK', 'SELL', '100.5'],
    ]);
  });

  it('sets marketable limits: the collar against us, rounded away from the mark onto the tick', () => {
    const ticks = new Map([[ES.conId, 0.25]]);
    const p = plan(book().state, 'all', { ...OPTS, priceGrids: ticks });
    const by = new Map(p.legs.map((l) => [l.conId, l]));
    // SELL 100.5 AAPL: 190.10 × 0.98 = 186.298 → down to 186.29
    expect(by.get(AAPL.conId)!.limitPrice!.toString()).toBe('186.29');
    // BUY 40 SAP: 170.50 × 1.02 = 173.91 exactly
    expect(by.get(SAP.conId)!.limitPrice!.toString()).toBe('173.91');
    // BUY 3 calls: 7.25 × 1.02 = 7.395 → up to 7.40
    expect(by.get(CALL.conId)!.limitPrice!.toString()).toBe('7.4');
    // SELL 2 ES: 6020.25 × 0.98 = 5899.845 → down to the 0.25 grid: 5899.75
    expect(by.get(ES.conId)!.limitPrice!.toString()).toBe('5899.75');
    // Notional in base: SAP 40 × 170.50 × 1.08 = 7365.6; ES 2 × 6020.25 × 50 = 602025
    expect(by.get(SAP.conId)!.notionalBase!.toString()).toBe('7365.6');
    expect(by.get(ES.conId)!.notionalBase!.toString()).toBe('602025');
    expect(p.notes.some((n) => n.includes('tick size unknown'))).toBe(true);
  });

  it('selects by currency, class and conId', () => {
    const s = book().state;
    expect(plan(s, 'currency:EUR').legs.map((l) => l.conId)).toEqual([SAP.conId]);
    expect(plan(s, 'class:FUT').legs.map((l) => l.conId)).toEqual([ES.conId]);
    expect(plan(s, `conid:${CALL.conId}`).legs.map((l) => l.action)).toEqual(['BUY']);
    expect(planFlatten(s, { kind: 'currency', currency: 'JPY' }, OPTS)).toMatchObject({ code: 'NOTHING_TO_DO' });
  });

  it('selects by the currency the risk is in, as the Positions pane groups: EUR.USD (quoted in USD) is EUR', () => {
    const EURUSD = { conId: 12087792, symbol: 'EUR', secType: 'CASH', currency: 'USD', localSymbol: 'EUR.USD', exchange: 'IDEALPRO' };
    const s = book([portfolio(ACC, EURUSD as typeof AAPL, '100000', '1.08'), pos(EURUSD as typeof AAPL, '100000')]).state;
    expect(plan(s, 'currency:EUR').legs.map((l) => [l.conId, l.action, l.quantity.toString()])).toEqual([
      [SAP.conId, 'BUY', '40'],
      [EURUSD.conId, 'SELL', '100000'],
    ]);
    expect(plan(s, 'currency:USD').legs.map((l) => l.conId)).not.toContain(EURUSD.conId);
  });

  it('cancels our open orders on the targets first, and refuses when another client has orders there', () => {
    const order = (clientId: number, orderId: number) => ({
      type: 'openOrderUpdated' as const,
      order: {
        orderId,
        clientId,
        permId: orderId,
        account: ACC,
        contract: AAPL,
        action: 'BUY' as const,
        totalQuantity: dec(10),
        orderType: 'LMT',
        limitPrice: dec(150),
        status: 'Submitted' as const,
      },
    });
    const mine = plan(book([order(17, 1_000_005)]).state, 'underlying:AAPL');
    expect(mine.cancels.map((c) => c.orderId)).toEqual([1_000_005]);
    const foreign = planFlatten(book([order(99, 55)]).state, { kind: 'underlying', symbol: 'AAPL' }, OPTS);
    expect(foreign).toMatchObject({ code: 'FOREIGN_ORDERS_OPEN' });
    // Named as the Orders pane and the cancel listing name it: quantity grouped, the limit at the contract's precision.
    expect(formatDenial(foreign as never)).toContain('(BUY 10 AAPL LMT @ 150.00 (order 55, client 99))');
  });

  it('refuses to plan before positions and open orders are known', () => {
    const log = new EventLog();
    log.pushAll([pos(AAPL, '1')]);
    expect(planFlatten(reduceAll(log.events), { kind: 'all' }, OPTS)).toMatchObject({ code: 'SNAPSHOT_PENDING' });
  });

  it('parses scopes and names a bad one', () => {
    expect(parseScope('currency:EUR')).toEqual({ kind: 'currency', currency: 'EUR' });
    expect(parseScope('conid:42')).toEqual({ kind: 'conid', conId: 42 });
    expect(parseScope('sector:tech')).toMatch(/unknown scope "sector:tech"/);
    expect(parseScope('currency:euro')).toMatch(/not a 3-letter code/);
  });
});

describe('reduction planner (planReduce)', () => {
  const trim = (c: { conId: number }, quantity: string, position: string) => ({ conId: c.conId, quantity: dec(quantity), position: dec(position) });

  it("orders part of each position, in the direction that reduces it, options first, with the flatten's limits", () => {
    const p = planReduce(book().state, [trim(AAPL, '-40', '100.5'), trim(SAP, '15', '-40'), trim(CALL, '3', '-3')], OPTS);
    if (isDenial(p)) throw new Error(formatDenial(p));
    expect(p.partial).toBe(true);
    expect(p.scope).toEqual({ kind: 'conids', conIds: [14204, 265598, 700001] });
    expect(p.legs.map((l) => [l.contract.symbol, l.contract.secType, l.action, l.quantity.toString(), legTarget(l).toString()])).toEqual([
      ['AAPL', 'OPT', 'BUY', '3', '0'],
      ['SAP', 'STK', 'BUY', '15', '-25'],
      ['AAPL', 'STK', 'SELL', '40', '60.5'],
    ]);
    // SELL 40 AAPL at 190.10 × 0.98 → 186.29, as a flatten would; notional of the trim only: 15 × 170.50 × 1.08.
    expect(p.legs[2]!.limitPrice!.toString()).toBe('186.29');
    expect(p.legs[1]!.notionalBase!.toString()).toBe('2762.1');
  });

  it('refuses a trim that would not reduce: the wrong direction, more than the position, or a zero position', () => {
    const { state } = book();
    expect(planReduce(state, [trim(AAPL, '40', '100.5')], OPTS)).toEqual({ code: 'WOULD_INCREASE_POSITION', conId: AAPL.conId });
    expect(planReduce(state, [trim(AAPL, '-100.6', '100.5')], OPTS)).toEqual({ code: 'WOULD_INCREASE_POSITION', conId: AAPL.conId });
    expect(planReduce(state, [trim(SAP, '-1', '-40')], OPTS)).toEqual({ code: 'WOULD_INCREASE_POSITION', conId: SAP.conId });
    expect(planReduce(state, [trim(AAPL, '0', '100.5')], OPTS)).toMatchObject({ code: 'NOTHING_TO_DO' });
    expect(planReduce(state, [trim(AAPL, '-1', '100.5'), trim(AAPL, '-2', '100.5')], OPTS)).toMatchObject({ code: 'NOTHING_TO_DO' });
  });

  it('refuses when the position is not the one the trim was computed on', () => {
    expect(planReduce(book().state, [trim(AAPL, '-40', '120')], OPTS)).toEqual({ code: 'TARGET_CHANGED', conId: AAPL.conId, shown: '120', now: '100.5' });
    expect(planReduce(book().state, [trim({ conId: 1 }, '-1', '5')], OPTS)).toEqual({ code: 'TARGET_CHANGED', conId: 1, shown: '5', now: '0' });
  });

  it("has the flatten's checks: snapshots, other clients' orders refused, ours cancelled first, no mark no limit", () => {
    const order = (clientId: number, orderId: number) => ({
      type: 'openOrderUpdated' as const,
      order: {
        orderId,
        clientId,
        permId: orderId,
        account: ACC,
        contract: AAPL,
        action: 'BUY' as const,
        totalQuantity: dec(10),
        orderType: 'LMT',
        limitPrice: dec(150),
        status: 'Submitted' as const,
      },
    });
    const mine = planReduce(book([order(17, 1_000_005)]).state, [trim(AAPL, '-40', '100.5')], OPTS);
    expect(isDenial(mine) ? mine : mine.cancels.map((c) => c.orderId)).toEqual([1_000_005]);
    expect(planReduce(book([order(99, 55)]).state, [trim(AAPL, '-40', '100.5')], OPTS)).toMatchObject({ code: 'FOREIGN_ORDERS_OPEN' });
    const log = new EventLog();
    log.pushAll([pos(AAPL, '1')]);
    expect(planReduce(reduceAll(log.events), [trim(AAPL, '-1', '1')], OPTS)).toMatchObject({ code: 'SNAPSHOT_PENDING' });
    const noMark = book([pos(stock(1, 'NEW', 'USD'), '10')]).state;
    expect(planReduce(noMark, [trim({ conId: 1 }, '-5', '10')], OPTS)).toEqual({ code: 'NO_MARK', conIds: [1] });
  });

  it('passes the guard while the positions are as planned, and is refused once one changed', () => {
    const armed = { armed: true as const, until: Date.now() + 60_000, by: 'palette' as const };
    const { log, state } = book();
    const p = planReduce(state, [trim(AAPL, '-40', '100.5')], OPTS) as FlattenPlan;
    const ctx = (s: PortfolioState) => ({ mode: 'trade' as const, state: s, sourceReady: true, arm: armed, now: Date.now() });
    expect(guardFlatten(ctx(state), p, 'first')).toBeUndefined();
    expect(guardFlatten(ctx(state), p, 'close')).toBeUndefined();
    log.push(pos(AAPL, '30'));
    expect(guardFlatten(ctx(reduceAll(log.events)), p, 'close')).toEqual({ code: 'TARGET_CHANGED', conId: AAPL.conId, shown: '100.5', now: '30' });
  });

  it('is refused before the first send when a position it does not trim changed (the trims were computed from the whole account)', () => {
    const armed = { armed: true as const, until: Date.now() + 60_000, by: 'palette' as const };
    const { log, state } = book();
    const p = planReduce(state, [trim(AAPL, '-80', '100.5')], OPTS) as FlattenPlan;
    const ctx = (s: PortfolioState) => ({ mode: 'trade' as const, state: s, sourceReady: true, arm: armed, now: Date.now() });
    expect(guardFlatten(ctx(state), p, 'first')).toBeUndefined();
    // The short calls the stock covers grew after the dialog opened: selling 80 shares now leaves them uncovered.
    log.push(pos(CALL, '-10'));
    expect(guardFlatten(ctx(reduceAll(log.events)), p, 'first')).toMatchObject({ code: 'TARGET_CHANGED', now: 'another position changed' });
    // A flatten plan of the same stock is not tied to other positions.
    const f = plan(state, `conid:${AAPL.conId}`);
    expect(guardFlatten(ctx(reduceAll(log.events)), f, 'first')).toBeUndefined();
  });
});

describe('guard', () => {
  const armed = { armed: true as const, until: Date.now() + 60_000, by: 'palette' as const };
  const ctx = (state: PortfolioState, over: object = {}) => ({ mode: 'trade' as const, state, sourceReady: true, arm: armed, now: Date.now(), ...over });

  it('checks in order: replay, read-only, ready, armed', () => {
    const { state } = book();
    const p = plan(state, 'all');
    expect(guardFlatten(ctx(state, { mode: 'replay' }), p, 'first')?.code).toBe('REPLAY_SOURCE');
    expect(guardFlatten(ctx(state, { mode: 'readOnly' }), p, 'first')?.code).toBe('READ_ONLY');
    expect(guardFlatten(ctx(state, { sourceReady: false }), p, 'first')?.code).toBe('NOT_READY');
    expect(guardFlatten(ctx(state, { arm: DISARMED }), p, 'first')?.code).toBe('NOT_ARMED');
    expect(guardFlatten(ctx(state, { arm: { ...armed, until: Date.now() - 1 } }), p, 'first')?.code).toBe('NOT_ARMED');
    expect(guardFlatten(ctx(state), p, 'first')).toBeUndefined();
  });

  it('refuses when positions changed since the plan was shown, naming the position', () => {
    const { log } = book();
    const before = reduceAll(log.events);
    const p = plan(before, 'underlying:AAPL');
    log.push(pos(AAPL, '60'));
    const d = guardFlatten(ctx(reduceAll(log.events)), p, 'first');
    expect(d).toEqual({ code: 'TARGET_CHANGED', conId: AAPL.conId, shown: '100.5', now: '60' });
    expect(formatDenial(d!)).toBe('Refused: positions changed since the plan was shown (TARGET_CHANGED conId=265598 shown=100.5 now=60); review the new plan');
  });

  it('refuses a limit the market moved past by more than the collar (MARK_MOVED); a smaller move or one the other way is sent', () => {
    const { log, state } = book();
    const long = plan(state, 'conid:265598'); // SELL 100.5 AAPL LMT 186.29 at mark 190.10
    const short = plan(state, 'conid:14204'); // BUY 40 SAP LMT 173.91 at mark 170.50
    expect([long.legs[0]!.limitPrice!.toString(), short.legs[0]!.limitPrice!.toString()]).toEqual(['186.29', '173.91']);
    const at = (c: typeof AAPL, q: string, price: string) => {
      log.push(portfolio(ACC, c, q, price));
      return reduceAll(log.events);
    };
    // A move inside the collar: the limit is still marketable and close to the limit of now.
    expect(guardFlatten(ctx(at(AAPL, '100.5', '187')), long, 'first')).toBeUndefined();
    // AAPL falls just below the SELL's limit (186.29 over 185): inside the collar past it (185 × 1.02 = 188.70), sent.
    expect(guardFlatten(ctx(at(AAPL, '100.5', '185')), long, 'first')).toBeUndefined();
    // AAPL falls to 182: 186.29 is past 182 × 1.02 = 185.64, it would not fill.
    const fell = guardFlatten(ctx(at(AAPL, '100.5', '182')), long, 'first');
    expect(fell).toEqual({
      code: 'MARK_MOVED',
      conId: AAPL.conId,
      label: 'AAPL',
      action: 'SELL',
      limit: '186.29',
      markThen: '190.1',
      markNow: '182',
      limitNow: '178.36',
      collar: 0.02,
    });
    expect(formatDenial(fell!)).toBe(
      'Refused: AAPL moved from 190.1 to 182 since the plan was made; its SELL LMT 186.29 is past the market by more than the 2% collar, it would not fill; nothing was sent (MARK_MOVED conId=265598); review the new plan',
    );
    // AAPL rises 3%: the SELL's limit, 5% under the market now, is still marketable and fills at the market's price;
    // a kill switch is not held up by a rally.
    expect(guardFlatten(ctx(at(AAPL, '100.5', '196')), long, 'close', long.legs)).toBeUndefined();
    // A short's BUY below a market that rose past it: 173.91 under 180 × 0.98 = 176.40.
    expect(guardFlatten(ctx(at(SAP, '-40', '180')), short, 'first')).toMatchObject({ code: 'MARK_MOVED', action: 'BUY', limit: '173.91' });
    // Market orders have no limit to move past.
    expect(guardFlatten(ctx(reduceAll(log.events)), plan(state, 'conid:14204', { ...OPTS, orderType: 'MKT' }), 'first')).toBeUndefined();
  });

  it('refuses to send a closing order while any order still works on its contract, a pending cancel included', () => {
    const order = (clientId: number, orderId: number, status: OrderStatus) => ({
      type: 'openOrderUpdated' as const,
      order: {
        orderId,
        clientId,
        permId: orderId,
        account: ACC,
        contract: AAPL,
        action: 'SELL' as const,
        totalQuantity: dec(30),
        orderType: 'LMT',
        limitPrice: dec(250),
        status,
      },
    });
    const { log, state } = book();
    const p = plan(state, 'underlying:AAPL');
    const stockLeg = p.legs.filter((l) => l.conId === AAPL.conId);
    expect(guardFlatten(ctx(state), p, 'close', stockLeg)).toBeUndefined();
    log.push(order(17, 1_000_009, 'PendingCancel'));
    const d = guardFlatten(ctx(reduceAll(log.events)), p, 'close', stockLeg);
    expect(d).toMatchObject({ code: 'ORDERS_STILL_OPEN', conId: AAPL.conId });
    expect(formatDenial(d!)).toMatch(/SELL 30 .* \(order 1000009, client 17\).*ORDERS_STILL_OPEN/);
    // Once it is cancelled the leg may go.
    log.push(order(17, 1_000_009, 'Cancelled'));
    expect(guardFlatten(ctx(reduceAll(log.events)), p, 'close', stockLeg)).toBeUndefined();
  });

  it('refuses on stale data', () => {
    const { state } = book();
    const p = plan(state, 'all');
    const later = Date.now() + 10 * 60_000;
    expect(guardFlatten(ctx(state, { now: later, arm: { ...armed, until: later + 1 } }), p, 'first')?.code).toBe('DATA_STALE');
  });
});

describe('arming', () => {
  it('arms only with the last four characters of the account, and expires', () => {
    expect(arm('trade', ACC, '4567', 1000, 5000)).toEqual({ armed: true, until: 6000, by: 'palette', at: 1000 });
    expect(arm('trade', ACC, '1234', 1000)).toEqual({ code: 'NOT_ARMED' });
    // The refusal fits the console's flash line at 80 columns (it was cut before the command that arms).
    expect(formatDenial({ code: 'NOT_ARMED' })).toBe('Refused: trading is not armed; arm it first with :trade.arm (NOT_ARMED)');
    expect(arm('readOnly', ACC, '4567', 1000)).toEqual({ code: 'READ_ONLY' });
    expect(arm('replay', ACC, '4567', 1000)).toEqual({ code: 'REPLAY_SOURCE' });
    const s = arm('trade', ACC, '4567', 1000, 5000);
    expect(isArmed(s as never, 5999)).toBe(true);
    expect(isArmed(s as never, 6000)).toBe(false);
  });
});

describe('cancel planner', () => {
  it("cancels one of our orders, refuses another client's, and counts other clients in a global cancel", () => {
    const mk = (clientId: number, orderId: number) => ({
      type: 'openOrderUpdated' as const,
      order: {
        orderId,
        clientId,
        permId: orderId,
        account: ACC,
        contract: AAPL,
        action: 'BUY' as const,
        totalQuantity: dec(1),
        orderType: 'LMT',
        limitPrice: dec(1),
        status: 'Submitted' as const,
      },
    });
    // A manual TWS order has no API order id: it is named by its permId, as the Orders pane shows it.
    const { state } = book([mk(17, 1_000_001), mk(99, 7), { ...mk(0, 0), order: { ...mk(0, 0).order, permId: 1_000_000_004 } }]);
    expect(planCancel(state, { kind: 'order', orderId: 1_000_001 }, 17)).toMatchObject({ kind: 'order', orderId: 1_000_001 });
    const foreign = planCancel(state, { kind: 'order', orderId: 7 }, 17);
    expect(foreign).toMatchObject({ code: 'FOREIGN_ORDER', orderId: 7, clientId: 99 });
    // The refusal says whose order it is and how it can be cancelled, short enough for one line.
    expect(formatDenial(foreign as Denial)).toBe("Refused: order 7 is client 99's; use :trade.globalCancel or TWS (FOREIGN_ORDER)");
    const manual = planCancel(state, { kind: 'order', orderId: 0 }, 17);
    expect(formatDenial(manual as Denial)).toBe('Refused: order p1000000004 is a manual TWS order; use :trade.globalCancel or TWS (FOREIGN_ORDER)');
    expect(planCancel(state, { kind: 'client' }, 17)).toEqual({ kind: 'client', orderIds: [1_000_001] });
    expect(planCancel(state, { kind: 'global' }, 17)).toEqual({ kind: 'global', openOrders: 3, otherClients: 2 });
  });
});

describe('price ladders (market rules)', () => {
  // The shapes of IB's rules: penny-class equity options, and SPX options.
  const PENNY: Ladder = [
    [0, 0.01],
    [3, 0.05],
  ];
  const SPX: Ladder = [
    [0, 0.05],
    [3, 0.1],
  ];
  const limit = (mark: string, action: 'BUY' | 'SELL', ladder: Ladder) => limitFor(dec(mark), action, 0.02, ladder).toString();

  it('rounds a SELL down and a BUY up on the increment at its price, across the 3.00 edge onto the coarser grid', () => {
    // SELL at 6.85: 6.713 → 0.05 grid, down: 6.70 (minTick alone would give 6.71, which TWS refuses: 110).
    expect(limit('6.85', 'SELL', PENNY)).toBe('6.7');
    // BUY at 6.85: 6.987 → up: 7.00.
    expect(limit('6.85', 'BUY', PENNY)).toBe('7');
    // BUY at 2.97: 3.0294 is above the edge: up on 0.05 to 3.05, not 3.03.
    expect(limit('2.97', 'BUY', PENNY)).toBe('3.05');
    // BUY at 2.94: 2.9988 up on 0.01 crosses into the 0.05 rung at 3.00, which is on its grid.
    expect(limit('2.94', 'BUY', PENNY)).toBe('3');
    // SELL at 3.08: 3.0184 down on 0.05: 3.00. SELL at 3.05: 2.989 is below the edge: down on 0.01 to 2.98.
    expect(limit('3.08', 'SELL', PENNY)).toBe('3');
    expect(limit('3.05', 'SELL', PENNY)).toBe('2.98');
    // SPX: BUY at 21.00: 21.42 up on 0.10 = 21.5; SELL at 2.00: 1.96 down on 0.05 = 1.95.
    expect(limit('21', 'BUY', SPX)).toBe('21.5');
    expect(limit('2', 'SELL', SPX)).toBe('1.95');
    // A SELL floored to nothing sells at the first step.
    expect(limit('0.01', 'SELL', SPX)).toBe('0.05');
  });

  it('rounds again when the result misses the grid of its own rung (edges that do not align)', () => {
    const odd: Ladder = [
      [0, 0.05],
      [1, 0.3],
    ];
    // Up: 0.99 → 1.00 on 0.05, but 1.00 is on the 0.3 rung and off its grid → 1.20.
    expect(roundOnLadder(dec('0.99'), odd, 'up').toString()).toBe('1.2');
    // Down: 1.10 → 0.90 on 0.3, which is on the 0.05 rung and on its grid.
    expect(roundOnLadder(dec('1.1'), odd, 'down').toString()).toBe('0.9');
    // Already on the grid: unchanged either way.
    expect(roundOnLadder(dec('3.05'), PENNY, 'down').toString()).toBe('3.05');
    expect(roundOnLadder(dec('3.05'), PENNY, 'up').toString()).toBe('3.05');
  });

  it("uses the rule of the order's exchange, else the coarsest of the contract's rules at each price", () => {
    expect(coarsestLadder([PENNY, SPX])).toEqual([
      [0, 0.05],
      [3, 0.1],
    ]);
    // Not nested (0.02 and 0.05): the least common multiple, on both grids.
    expect(
      coarsestLadder([
        [
          [0, 0.01],
          [2, 0.02],
        ],
        PENNY,
      ]),
    ).toEqual([
      [0, 0.01],
      [2, 0.02],
      [3, 0.1],
    ]);
    const grid = {
      minTick: 0.01,
      ladders: laddersByExchange(
        'SMART,AMEX,CBOE',
        [32, 32, 33],
        new Map([
          [32, PENNY],
          [33, SPX],
        ]),
      ),
    };
    expect(ladderFor(grid, 'SMART')).toBe(PENNY);
    expect(ladderFor(grid, 'cboe')).toBe(SPX);
    expect(ladderFor(grid, 'ISE')).toEqual(coarsestLadder([PENNY, SPX]));
    // No rule known: minTick; a bare number is a minTick; nothing: unknown (the planner's default and note).
    expect(ladderFor({ minTick: 0.25 }, 'CME')).toEqual([[0, 0.25]]);
    expect(ladderFor(0.5, 'SMART')).toEqual([[0, 0.5]]);
    expect(ladderFor(undefined, 'SMART')).toBeUndefined();
  });

  it('pairs rule ids with exchanges as TWS lists them; one id serves all, lists that do not pair serve none', () => {
    const rules = new Map([
      [32, PENNY],
      [33, SPX],
    ]);
    expect([...laddersByExchange('SMART,CBOE', [32, 33], rules).keys()]).toEqual(['SMART', 'CBOE']);
    expect([...laddersByExchange('SMART,AMEX,CBOE', [32], rules).entries()]).toEqual([
      ['SMART', PENNY],
      ['AMEX', PENNY],
      ['CBOE', PENNY],
    ]);
    expect([...laddersByExchange('SMART,AMEX,CBOE', [32, 33], rules).keys()]).toEqual(['#32', '#33']);
  });

  it('plans a short call above $3 on its rule, and refuses (TICKS_PENDING) while the grid is still being fetched', () => {
    // BUY 3 calls at 7.27: 7.4154 → minTick 0.01 would give 7.42 (refused by TWS), the penny rule 7.45, SPX's 7.50.
    const s = book([portfolio(ACC, CALL, '-3', '7.27')]).state;
    const grids = new Map([[CALL.conId, { minTick: 0.01, ladders: new Map([['SMART', PENNY]]) }]]);
    const p = plan(s, `conid:${CALL.conId}`, { ...OPTS, priceGrids: grids });
    expect(p.legs[0]!.mark!.toString()).toBe('7.27');
    expect(p.legs[0]!.limitPrice!.toString()).toBe('7.45');
    expect(p.notes.some((n) => n.includes('tick size unknown'))).toBe(false);
    expect(plan(s, `conid:${CALL.conId}`, { ...OPTS, priceGrids: new Map([[CALL.conId, 0.01]]) }).legs[0]!.limitPrice!.toString()).toBe('7.42');
    // SMART is not listed: the coarsest of the contract's rules (here only CBOE's): 0.10.
    const spx = plan(s, `conid:${CALL.conId}`, { ...OPTS, priceGrids: new Map([[CALL.conId, { ladders: new Map([['CBOE', SPX]]) }]]) });
    expect(spx.legs[0]!.limitPrice!.toString()).toBe('7.5');
    // planLimit, the worst fill a leverage reduction is priced at, is the limit the plan sends: on each grid.
    const mark = dec('7.27');
    expect(planLimit(s, CALL.conId, 'BUY', mark, { ...OPTS, priceGrids: grids })?.toString()).toBe('7.45');
    expect(planLimit(s, CALL.conId, 'BUY', mark, { ...OPTS, priceGrids: new Map([[CALL.conId, { ladders: new Map([['CBOE', SPX]]) }]]) })?.toString()).toBe(
      '7.5',
    );
    expect(planLimit(s, CALL.conId, 'BUY', mark, OPTS)?.toString()).toBe('7.42'); // no grid: the plan's default tick, 0.01
    expect(planLimit(s, 1, 'BUY', mark, OPTS)).toBeUndefined();
    const pending = planFlatten(s, { kind: 'conid', conId: CALL.conId }, { ...OPTS, pendingGrids: new Set([CALL.conId]) });
    expect(pending).toEqual({ code: 'TICKS_PENDING', conIds: [CALL.conId] });
    expect(formatDenial(pending as Denial)).toBe(
      `Not yet: the price increments of conId ${CALL.conId} are still being fetched from TWS; retry in a moment (TICKS_PENDING)`,
    );
    // A grid with its rules already known is planned on them, a refetch under way or not.
    expect(isDenial(planFlatten(s, { kind: 'conid', conId: CALL.conId }, { ...OPTS, priceGrids: grids, pendingGrids: new Set([CALL.conId]) }))).toBe(false);
  });
});
