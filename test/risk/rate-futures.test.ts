// Interest-rate futures and their options move with a scenario's rates shock: bond futures by duration, STIR and yield futures by points.
import { describe, expect, it } from 'vitest';
import { rateFutureOf, futureUnderlyingOf, type Contract } from '../../src/model/contract.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { Decimal } from '../../src/model/money.js';
import { bookScenarios } from '../../src/risk/alerts/scenarios.js';
import { buildStressGrid, columnAccountAt, updateStressGrid } from '../../src/risk/grid.js';
import { stressParams } from '../../src/risk/params.js';
import { riskNavigatorScenarios } from '../../src/risk/scenario-text.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { EventLog } from '../support/events.js';
import { NOW, av, contract, greeks, holding, report, result, stateOf } from './stress-fixtures.js';

const USD_ACCOUNT = [av('NetLiquidation', '1000000'), av('EquityWithLoanValue', '1000000'), av('CashBalance', '1000000', 'USD')];

const future = (conId: number, symbol: string, multiplier: number, exchange: string): Contract =>
  contract({ conId, symbol, secType: 'FUT', currency: 'USD', exchange, expiry: '20270319', multiplier: new Decimal(multiplier) });

const futureOption = (conId: number, symbol: string, multiplier: number, exchange: string, strike: number, right: 'C' | 'P'): Contract =>
  contract({
    conId,
    symbol,
    secType: 'FOP',
    currency: 'USD',
    exchange,
    expiry: '20270312',
    strike: new Decimal(strike),
    right,
    multiplier: new Decimal(multiplier),
  });

const ZN = future(51, 'ZN', 1000, 'CBOT');
const SR3 = future(52, 'SR3', 2500, 'CME');
const TEN_Y = future(53, '10Y', 1000, 'CBOT'); // the micro 10-year yield future, quoted in yield percent
const CL = future(54, 'CL', 1000, 'NYMEX');

/** Total P&L of a book under one scenario, by its text form. */
const pnl = (bodies: readonly FeedEventBody[], text: string) => result(report(bodies, [text]), text).pnl.total.toNumber();

describe('the table: what each rate future is quoted in', () => {
  it('bond futures carry a duration and convexity, STIR futures are 100 − rate, the micro yield futures are in yield', () => {
    const of = (symbol: string, secType = 'FUT') => rateFutureOf({ futureUnderlying: futureUnderlyingOf({ secType, symbol, currency: 'USD' }), symbol });
    expect(of('ZN')).toEqual({ quote: 'price', duration: 6.4, convexity: 45 });
    expect(of('ZN', 'FOP')).toEqual(of('ZN'));
    expect([of('SR3'), of('SR1'), of('ZQ'), of('GE'), of('BAX')].map((q) => q?.quote)).toEqual(['rate', 'rate', 'rate', 'rate', 'rate']);
    expect([of('2YY'), of('5YY'), of('10Y'), of('30Y')].map((q) => q?.quote)).toEqual(['yield', 'yield', 'yield', 'yield']);
    // Every bond future's duration rises with its deliverable term.
    const d = ['ZT', 'ZF', 'ZN', 'TN', 'ZB', 'UB'].map((s) => (of(s) as { duration: number }).duration);
    expect([...d].sort((a, b) => a - b)).toEqual(d);
    // Not a rate future: no quote, whatever the symbol.
    expect([of('CL'), of('ES'), rateFutureOf({ futureUnderlying: undefined, symbol: 'ZN' })]).toEqual([undefined, undefined, undefined]);
  });
});

describe('bond futures move by duration and convexity', () => {
  const tenZn = [...USD_ACCOUNT, holding(ZN, '10', '110')];

  it('10 ZN long at 110 under +100 bp: 10 × 1000 × 110 × (−6.4% + ½ × 45 × 0.01²) = −70,400 + 2,475 = −67,925', () => {
    expect(pnl(tenZn, 'rates=+100bp')).toBeCloseTo(-67_925, 6);
  });

  it('and under −100 bp: +70,400 + 2,475 = +72,875; a short gains what the long loses', () => {
    expect(pnl(tenZn, 'rates=-100bp')).toBeCloseTo(72_875, 6);
    expect(pnl([...USD_ACCOUNT, holding(ZN, '-10', '110')], 'rates=+100bp')).toBeCloseTo(67_925, 6);
  });

  it('with a price move in the same scenario: F·(1 + move)·(1 − D·Δr + ½·C·Δr²), as a bond', () => {
    // 1,100,000 × (0.9 × (1 − 0.064 + 0.00225) − 1) = 1,100,000 × −0.155575
    expect(pnl(tenZn, 'px:FUT=-10%,rates=+100bp')).toBeCloseTo(-171_132.5, 6);
  });

  it('before this change the ZN read 0 under rates: it no longer does in the Risk Navigator grid either', () => {
    const grid = buildStressGrid(
      stateOf(tenZn),
      riskNavigatorScenarios(['FUT']).map((s) => s.shocks),
      stressParams({ now: NOW }),
    );
    const j = grid.cols.shocks.findIndex((s) => s.rates === 0.005 && s.vol === 0 && Object.keys(s.px).length === 0);
    // 1,100,000 × (−0.032 + ½ × 45 × 0.005²) = 1,100,000 × −0.0314375
    expect(columnAccountAt(grid, j).pnl).toBeCloseTo(-34_581.25, 6);
  });
});

describe('rates= is one shift for every currency, as for bonds and option rates', () => {
  it('a Bund future moves in the same scenario as ZN: 130,000 EUR × (−8.2% + ½ × 78 × 0.01²) at 1.10 = −11,168.30 USD', () => {
    const bund = contract({ conId: 57, symbol: 'GBL', secType: 'FUT', currency: 'EUR', exchange: 'EUREX', expiry: '20270308', multiplier: new Decimal(1000) });
    const bodies = [...USD_ACCOUNT, av('ExchangeRate', '1.1', 'EUR'), holding(bund, '1', '130'), holding(ZN, '10', '110')];
    const r = result(report(bodies, ['rates=+100bp']), 'rates=+100bp');
    expect(r.pnl.byCurrency.EUR?.toNumber()).toBeCloseTo(-11_168.3, 6);
    expect(r.pnl.total.toNumber()).toBeCloseTo(-11_168.3 - 67_925, 6);
  });
});

describe('STIR and yield futures move by points', () => {
  it('4 SR3 long under +50 bp: −0.50 × 2,500 × 4 = −5,000, whatever the price', () => {
    expect(pnl([...USD_ACCOUNT, holding(SR3, '4', '96')], 'rates=+50bp')).toBeCloseTo(-5_000, 6);
    expect(pnl([...USD_ACCOUNT, holding(SR3, '4', '95.5')], 'rates=+50bp')).toBeCloseTo(-5_000, 6);
    expect(pnl([...USD_ACCOUNT, holding(SR3, '4', '96')], 'rates=-100bp')).toBeCloseTo(10_000, 6);
  });

  it('2 micro 10-year yield futures long under +100 bp: the yield rises 1.00 point, +1.00 × 1,000 × 2 = +2,000', () => {
    expect(pnl([...USD_ACCOUNT, holding(TEN_Y, '2', '4.25')], 'rates=+100bp')).toBeCloseTo(2_000, 6);
  });

  it('a STIR future\u2019s price tick revalues it at the new price: an update equals a fresh grid', () => {
    const bodies = [...USD_ACCOUNT, holding(SR3, '4', '96')];
    const shocks = riskNavigatorScenarios(['FUT']).map((s) => s.shocks);
    const log = new EventLog(NOW - 60_000);
    log.pushAll(bodies);
    const before = reduceAll(log.events);
    const grid = buildStressGrid(before, shocks, stressParams({ now: NOW }));
    const ticked = reduce(before, log.push(holding(SR3, '4', '95')));
    expect(updateStressGrid(grid, ticked, NOW, [SR3.conId]).rebuilt).toBe(false);
    const fresh = buildStressGrid(ticked, shocks, stressParams({ now: NOW }));
    expect([...grid.pnl]).toEqual([...fresh.pnl]);
    const j = grid.cols.shocks.findIndex((s) => s.rates === 0.01 && s.vol === 0 && Object.keys(s.px).length === 0);
    expect(columnAccountAt(grid, j).pnl).toBeCloseTo(-10_000, 6);
  });
});

describe('options on rate futures follow their future', () => {
  it('a deep in-the-money ZN call (strike 90, future 110): +1000 × (110 × (1 − 0.06175) − 110) = −6,792.5 under +100 bp', () => {
    const call = futureOption(55, 'ZN', 1000, 'CBOT', 90, 'C');
    expect(pnl([...USD_ACCOUNT, holding(call, '1', '20'), greeks(55, 0.05, 110)], 'rates=+100bp')).toBeCloseTo(-6_792.5, 2);
  });

  it('a deep in-the-money SR3 call (strike 90, future 96): −0.50 × 2,500 = −1,250 under +50 bp', () => {
    const call = futureOption(56, 'SR3', 2500, 'CME', 90, 'C');
    expect(pnl([...USD_ACCOUNT, holding(call, '1', '6'), greeks(56, 0.01, 96)], 'rates=+50bp')).toBeCloseTo(-1_250, 2);
  });
});

describe('no scenario without a rates shock moves them', () => {
  it('a ZN and an SR3 beside a CL in "Commodities down" and Risk-off: the CL\u2019s −14,000 alone', () => {
    const bodies = [...USD_ACCOUNT, holding(CL, '1', '70'), holding(ZN, '10', '110'), holding(SR3, '4', '96')];
    for (const name of ['Commodities down', 'Risk-off']) {
      const s = bookScenarios(stateOf(bodies)).find((x) => x.label.startsWith(name))!;
      expect(s.shocks.rates).toBeUndefined();
      expect(result(report(bodies, [s.id]), s.id).pnl.total.toNumber()).toBeCloseTo(-14_000, 6);
    }
  });
});
