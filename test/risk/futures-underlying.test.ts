// What a future is on (equity index, commodity, currency, rate) and how the built-in crashes move each kind.
import { describe, expect, it } from 'vitest';
import { currencyFutureOf, futureUnderlyingOf, type Contract } from '../../src/model/contract.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { Decimal } from '../../src/model/money.js';
import { bookScenarios } from '../../src/risk/alerts/scenarios.js';
import { stock } from '../support/events.js';
import { av, contract, greeks, holding, report, result, stateOf } from './stress-fixtures.js';

const USD_ACCOUNT = [av('NetLiquidation', '1000000'), av('EquityWithLoanValue', '1000000'), av('CashBalance', '1000000', 'USD')];

const future = (conId: number, symbol: string, multiplier: number, exchange: string): Contract =>
  contract({ conId, symbol, secType: 'FUT', currency: 'USD', exchange, expiry: '20270319', multiplier: new Decimal(multiplier) });

// IB spells CME's 6E, 6A and 6J by the currency: each quoted in USD per unit of it.
const SIX_E = future(31, 'EUR', 125_000, 'CME'); // 1 at 1.08: 135,000 USD of euros
const SIX_A = future(32, 'AUD', 100_000, 'CME'); // 1 at 0.65: 65,000 USD of Australian dollars
const SIX_J = future(33, 'JPY', 12_500_000, 'CME'); // 1 at 0.0065: 81,250 USD of yen
const CL = future(34, 'CL', 1000, 'NYMEX'); // 1 at 70: 70,000
const ZN = future(35, 'ZN', 1000, 'CBOT'); // 1 at 110: 110,000

/** The built-in scenario of this book whose label starts with `name`, and its P&L. */
function crash(bodies: readonly FeedEventBody[], name: string): { id: string; label: string; pnl: number } {
  const s = bookScenarios(stateOf(bodies)).find((x) => x.label.startsWith(name));
  if (!s) throw new Error(`no built-in scenario "${name}"`);
  return { id: s.id, label: s.label, pnl: result(report(bodies, [s.id]), s.id).pnl.total.toNumber() };
}

describe('futureUnderlyingOf: the table of roots, then the exchange', () => {
  it('names each kind from the symbol, a future option like its future', () => {
    const of = (symbol: string, exchange = '', secType = 'FUT') => futureUnderlyingOf({ secType, symbol, currency: 'USD', exchange });
    expect([of('ES'), of('FESX'), of('ES', 'CME', 'FOP')]).toEqual(['equityIndex', 'equityIndex', 'equityIndex']);
    expect([of('CL'), of('GC'), of('ZC'), of('CL', '', 'FOP')]).toEqual(['commodity', 'commodity', 'commodity', 'commodity']);
    expect([of('EUR'), of('JPY'), of('M6E'), of('EUR', 'CME', 'FOP')]).toEqual(['currency', 'currency', 'currency', 'currency']);
    expect([of('ZN'), of('ZB'), of('SR3'), of('GBL'), of('ZN', 'CBOT', 'FOP')]).toEqual(['rate', 'rate', 'rate', 'rate', 'rate']);
  });

  it('takes a root not listed on NYMEX or COMEX as a commodity, and leaves any other unknown root unclassified', () => {
    expect(futureUnderlyingOf({ secType: 'FUT', symbol: 'QX', currency: 'USD', exchange: 'NYMEX' })).toBe('commodity');
    expect(futureUnderlyingOf({ secType: 'FUT', symbol: 'QX', currency: 'USD', exchange: 'COMEX' })).toBe('commodity');
    expect(futureUnderlyingOf({ secType: 'FUT', symbol: 'QX', currency: 'USD', exchange: 'CME' })).toBeUndefined();
    // Not a future: a stock whose symbol is a root.
    expect(futureUnderlyingOf({ secType: 'STK', symbol: 'CL', currency: 'USD', exchange: 'NYSE' })).toBeUndefined();
  });

  it('maps the micro and mini currency roots to their currency, the full-size ones by their ISO symbol', () => {
    expect(['M6E', 'E7', 'M6A', 'M6B', 'MJY', 'MXP', 'EUR'].map((symbol) => currencyFutureOf({ secType: 'FUT', symbol, currency: 'USD' }))).toEqual([
      'EUR',
      'EUR',
      'AUD',
      'GBP',
      'JPY',
      'MXN',
      'EUR',
    ]);
  });
});

describe('a currency future moves with its pair once, and with no commodity or equity crash', () => {
  const sixE = [...USD_ACCOUNT, holding(SIX_E, '1', '1.08')];

  it('a long 6E under the built-in EUR −10%: −10% of 135,000, with no translation on a USD account', () => {
    const s = crash(sixE, 'EUR \u221210% vs USD');
    expect(s.id).toBe('fx:EUR=-10%');
    expect(s.pnl).toBeCloseTo(-13_500, 6);
  });

  it('a long 6E in "Commodities down": held still (before: −20% of 135,000 = −27,000)', () => {
    const s = crash(sixE, 'Commodities down');
    expect(s.id).toBe('px:FUT=-20%,px:CMDTY=-20%,sym:EUR=+0%');
    expect(s.label).toBe('Commodities down: Futures \u221220%, Commodities \u221220%, EUR futures by FX only');
    expect(s.pnl).toBe(0);
    // Nor in Risk-off, whose basket moves leave the euro where it was against the dollar.
    expect(crash(sixE, 'Risk-off').pnl).toBe(0);
  });

  it('a long 6A in "Commodities down" loses AUD\u2019s 10% once: −6,500 (before: 0.8 × 0.9 − 1 = −28%, −18,200)', () => {
    const s = crash([...USD_ACCOUNT, holding(SIX_A, '1', '0.65')], 'Commodities down');
    expect(s.id).toBe('px:FUT=-20%,px:CMDTY=-20%,sym:AUD=+0%,fx:AUD=-10%');
    expect(s.label).toBe('Commodities down: Futures \u221220%, Commodities \u221220%, AUD futures by FX only, AUD \u221210% vs USD');
    expect(s.pnl).toBeCloseTo(-6_500, 6);
  });

  it('a long 6J gains the yen\u2019s 10% in Risk-off, as in the flight to JPY: +8,125 (before: 0.8 × 1.1 − 1 = −12%, −9,750)', () => {
    const sixJ = [...USD_ACCOUNT, holding(SIX_J, '1', '0.0065')];
    expect(crash(sixJ, 'Risk-off').pnl).toBeCloseTo(8_125, 6);
    // The flight to JPY and CHF is the ladder's JPY +10% when no franc is held (one scenario per id).
    expect(crash(sixJ, 'JPY +10% vs USD').pnl).toBeCloseTo(8_125, 6);
    // The equity crash does not name it and moves no future class: nothing moves it there.
    const equity = crash(sixJ, 'Equity crash');
    expect(equity.id).toBe('px:STK=-20%,px:IND=-20%,vol=+75%');
    expect(equity.pnl).toBe(0);
  });
});

describe('a currency future whose symbol is also a stock held', () => {
  it('is not named (a sym: shock moves the whole symbol): Nokia (NOK) keeps Risk-off’s −20% beside a krone future', () => {
    const nok = future(38, 'NOK', 2_000_000, 'CME'); // 1 at 0.095: 190,000
    const bodies = [...USD_ACCOUNT, holding(nok, '1', '0.095'), holding(stock(39, 'NOK', 'USD'), '1000', '5')];
    const s = bookScenarios(stateOf(bodies)).find((x) => x.label.startsWith('Risk-off'))!;
    expect(Object.keys(s.shocks.sym)).toEqual([]);
    const r = result(report(bodies, [s.id]), s.id);
    // The stock: −20% of 5,000. The future as before the classes: (1 − 0.2) × (1 − 0.1) − 1 = −28% of 190,000.
    expect(r.pnl.byAssetClass.STK?.toNumber()).toBeCloseTo(-1_000, 6);
    expect(r.pnl.byAssetClass.FUT?.toNumber()).toBeCloseTo(-53_200, 6);
  });
});

describe('commodity and rate futures in the commodity crash', () => {
  it('a long CL loses the class\u2019s 20% as before: −14,000; a ZN beside it is held still', () => {
    const bodies = [...USD_ACCOUNT, holding(CL, '1', '70'), holding(ZN, '1', '110')];
    const s = crash(bodies, 'Commodities down');
    expect(s.id).toBe('px:FUT=-20%,px:CMDTY=-20%,sym:ZN=+0%');
    expect(s.label).toBe('Commodities down: Futures \u221220%, Commodities \u221220%, ZN unchanged');
    // −0.2 × 70,000 for the CL; the ZN's −22,000 before is gone.
    expect(s.pnl).toBeCloseTo(-14_000, 6);
    expect(crash(bodies, 'Risk-off').pnl).toBeCloseTo(-14_000, 6);
  });

  it('a ZN alone: flat in both crashes that move the Futures class', () => {
    const bodies = [...USD_ACCOUNT, holding(ZN, '1', '110')];
    expect(crash(bodies, 'Commodities down').pnl).toBe(0);
    expect(crash(bodies, 'Risk-off').pnl).toBe(0);
  });
});

describe('future options follow their future', () => {
  // A deep in-the-money 6E put (strike 1.30, future 1.08, σ 5%, mid-March 2027): the American floor makes it worth its
  // intrinsic value, K − F, at the mark and after a 10% fall of the euro alike.
  const put = contract({
    conId: 36,
    symbol: 'EUR',
    secType: 'FOP',
    currency: 'USD',
    exchange: 'CME',
    expiry: '20270312',
    strike: new Decimal('1.3'),
    right: 'P',
    multiplier: new Decimal(125_000),
  });
  const eurPut = [...USD_ACCOUNT, holding(put, '1', '0.22'), greeks(36, 0.05, 1.08)];

  it('a 6E put: nothing in "Commodities down", +125,000 × (1.08 − 0.972) = +13,500 under EUR −10%', () => {
    const commodities = crash(eurPut, 'Commodities down');
    expect(commodities.id).toBe('px:FUT=-20%,px:CMDTY=-20%,sym:EUR=+0%');
    expect(commodities.pnl).toBe(0);
    expect(crash(eurPut, 'EUR \u221210% vs USD').pnl).toBeCloseTo(13_500, 2);
  });

  it('a CL put moves with its future as before: deep in the money, +1,000 × (70 − 56) = +14,000 in "Commodities down"', () => {
    const clPut = contract({
      conId: 40,
      symbol: 'CL',
      secType: 'FOP',
      currency: 'USD',
      exchange: 'NYMEX',
      expiry: '20270216',
      strike: new Decimal(100),
      right: 'P',
      multiplier: new Decimal(1000),
    });
    const bodies = [...USD_ACCOUNT, holding(clPut, '1', '30'), greeks(40, 0.05, 70)];
    const s = crash(bodies, 'Commodities down');
    expect(s.id).toBe('px:FUT=-20%,px:CMDTY=-20%');
    expect(s.pnl).toBeCloseTo(14_000, 2);
  });

  it('a ZN call: nothing in "Commodities down"', () => {
    const call = contract({
      conId: 37,
      symbol: 'ZN',
      secType: 'FOP',
      currency: 'USD',
      exchange: 'CBOT',
      expiry: '20270219',
      strike: new Decimal(111),
      right: 'C',
      multiplier: new Decimal(1000),
    });
    const bodies = [...USD_ACCOUNT, holding(call, '1', '1.2'), greeks(37, 0.06, 110)];
    const s = crash(bodies, 'Commodities down');
    expect(s.id).toBe('px:FUT=-20%,px:CMDTY=-20%,sym:ZN=+0%');
    expect(s.pnl).toBe(0);
  });
});
