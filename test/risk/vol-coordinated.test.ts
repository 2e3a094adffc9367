// Volatility that moves with price: the volterm shock, its term scaling and the coordinated built-in ladder.
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import { bookScenarios } from '../../src/risk/alerts/scenarios.js';
import { bsmPrice } from '../../src/risk/pricing/index.js';
import { formatScenario, parseShocks } from '../../src/risk/scenario-text.js';
import { option, stock } from '../support/events.js';
import { NOW, av, contract, greeks, holding, newYorkClose, report, result, stateOf } from './stress-fixtures.js';

const USD_ACCOUNT = [av('NetLiquidation', '1000000'), av('EquityWithLoanValue', '1000000'), av('CashBalance', '1000000', 'USD')];
const YEAR = 365 * 86_400_000;

describe('volterm in the text form', () => {
  it('parses, and formats back to the same id', () => {
    const r = parseShocks('px:IND=-10%,vol=+30%,volterm=30');
    expect(r.ok && r.shocks.volTermDays).toBe(30);
    expect(r.ok && formatScenario(r.shocks)).toBe('px:IND=-10%,vol=+30%,volterm=30');
  });

  it('is dropped without a vol move (nothing to scale), and refused below one day', () => {
    const r = parseShocks('px:IND=-10%,volterm=30');
    expect(r.ok && formatScenario(r.shocks)).toBe('px:IND=-10%');
    const bad = parseShocks('vol=+30%,volterm=0');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.join()).toMatch(/volterm/);
  });
});

describe('a short 90 put in a 10% fall, vol fixed and vol coordinated by term', () => {
  // SPX options (European BSM), S = 100, σ = 20%, r = 4% (the USD default): one 20.25 days out, one about 119 days.
  const nearAt = newYorkClose(2026, 11, 13); // 13 Dec 2026 16:00 New York = 21:00 UTC
  const farAt = newYorkClose(2027, 2, 22); // 22 Mar 2027 16:00 New York = 20:00 UTC (daylight time)
  const put = (conId: number, expiry: string) =>
    contract({ conId, symbol: 'SPX', secType: 'OPT', currency: 'USD', expiry, strike: new Decimal(90), right: 'P', multiplier: new Decimal(100) });
  const bodies = [
    ...USD_ACCOUNT,
    holding(put(1, '20261213'), '-1', '0.05'),
    greeks(1, 0.2, 100),
    holding(put(2, '20270322'), '-1', '0.60'),
    greeks(2, 0.2, 100),
  ];
  const price = (S: number, vol: number, at: number) => bsmPrice({ right: 'P', S, K: 90, T: (at - NOW) / YEAR, r: 0.04, vol });
  const loss = (vol: number, at: number) => -100 * (price(90, vol, at) - price(100, 0.2, at));

  it('the near put takes the full +30%, the far one +30% × √(30 / days to expiry)', () => {
    const r = report(bodies, ['px:IND=-10%', 'px:IND=-10%,vol=+30%,volterm=30', 'px:IND=-10%,vol=+30%']);
    const farDays = (farAt - NOW) / 86_400_000;
    const farVol = 0.2 * (1 + 0.3 * Math.sqrt(30 / farDays));
    const plain = loss(0.2, nearAt) + loss(0.2, farAt);
    const coordinated = loss(0.26, nearAt) + loss(farVol, farAt);
    const flat = loss(0.26, nearAt) + loss(0.26, farAt);
    expect(result(r, 'px:IND=-10%').pnl.total.toNumber()).toBeCloseTo(plain, 1);
    expect(result(r, 'px:IND=-10%,vol=+30%,volterm=30').pnl.total.toNumber()).toBeCloseTo(coordinated, 1);
    expect(result(r, 'px:IND=-10%,vol=+30%').pnl.total.toNumber()).toBeCloseTo(flat, 1);
    // The spike makes the fall worse; the term scaling keeps the far put's vol move below the flat one.
    expect(coordinated).toBeLessThan(plain - 50);
    expect(coordinated).toBeGreaterThan(flat + 10);
  });
});

describe('the built-in ladder: coordinated rungs beside the plain ones, for classes with options held', () => {
  it('a book with index options gets four vol-coordinated down rungs for IND, labelled with the rule', () => {
    const s = bookScenarios(stateOf([...USD_ACCOUNT, holding(option(3, 'SPX', '20261218', '5000', 'P'), '-1', '10'), greeks(3, 0.2, 5500)]));
    const coordinated = s.filter((x) => x.shocks.volTermDays !== undefined && x.family === 'asset');
    expect(coordinated.map((x) => x.id)).toEqual([
      'px:IND=-30%,vol=+90%,volterm=30',
      'px:IND=-20%,vol=+60%,volterm=30',
      'px:IND=-10%,vol=+30%,volterm=30',
      'px:IND=-5%,vol=+15%,volterm=30',
    ]);
    expect(coordinated[2]!.label).toBe('Indexes \u221210%, vol +30% to 30d, less beyond (vol coordinated: +3% per 1% fall)');
    // The plain ladder stays.
    expect(s.some((x) => x.id === 'px:IND=-10%')).toBe(true);
  });

  it('a stock-only book keeps the plain ladder only (the list shape is unchanged)', () => {
    const s = bookScenarios(stateOf([...USD_ACCOUNT, holding(stock(4, 'MSFT', 'USD'), '100', '400')]));
    expect(s.filter((x) => x.shocks.volTermDays !== undefined)).toEqual([]);
    expect(s.filter((x) => x.family === 'asset').map((x) => x.id)).toEqual(
      ['-30%', '-20%', '-10%', '-5%', '+5%', '+10%', '+20%', '+30%'].map((m) => `px:STK=${m}`),
    );
  });
});

describe('an equity crash on a long ES book', () => {
  // 2 ES at 6,000 (multiplier 50: 600,000 notional) and 100 AAPL at 200: the crash moves both by −20%.
  const es = contract({ conId: 7, symbol: 'ES', secType: 'FUT', currency: 'USD', expiry: '20270319', multiplier: new Decimal(50) });
  const bodies = [...USD_ACCOUNT, holding(es, '2', '6000'), holding(stock(8, 'AAPL', 'USD'), '100', '200')];

  it('moves the index future with the indexes: the crash loses 20% of both positions', () => {
    const scenarios = bookScenarios(stateOf(bodies));
    const crash = scenarios.find((s) => s.label.startsWith('Equity crash'))!;
    expect(crash.id).toBe('px:STK=-20%,px:IND=-20%,sym:ES=-20%,vol=+75%');
    const r = report(bodies, [crash.id]);
    // −0.2 × (2 × 50 × 6,000) − 0.2 × (100 × 200) = −120,000 − 4,000.
    expect(result(r, crash.id).pnl.total.toNumber()).toBeCloseTo(-124_000, 6);
  });

  it('holds the index future in "Commodities down", which moves the other futures: a crude future loses 20%, ES nothing', () => {
    // 1 CL at 70 (multiplier 1,000: 70,000 notional) beside the ES and AAPL above.
    const cl = contract({ conId: 9, symbol: 'CL', secType: 'FUT', currency: 'USD', expiry: '20270319', multiplier: new Decimal(1000) });
    const withCrude = [...bodies, holding(cl, '1', '70')];
    const commodities = bookScenarios(stateOf(withCrude)).find((s) => s.label.startsWith('Commodities down'))!;
    expect(commodities.id).toBe('px:FUT=-20%,px:CMDTY=-20%,sym:ES=+0%');
    expect(commodities.label).toBe('Commodities down: Futures −20%, Commodities −20%, ES unchanged');
    // −0.2 × (1 × 1,000 × 70); the ES (and AAPL, a stock) unmoved. Before: another −120,000 for the ES.
    expect(result(report(withCrude, [commodities.id]), commodities.id).pnl.total.toNumber()).toBeCloseTo(-14_000, 6);
  });
});
