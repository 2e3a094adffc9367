// Reg T strategy recognition: CBOE/IBKR strategy requirements reproduced from the rules, at zero shock and stressed −20% / +10%.
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { stock } from '../support/events.js';
import { av, contract, greeks, holding, report, result } from './stress-fixtures.js';

/*
 * Every expected value below is the rule applied by hand to the shocked state (S = 100 at no shock, 80 at −20%,
 * 110 at +10%), never a number read from the engine. To make the options' values their intrinsic values (so the
 * hand arithmetic needs no pricing model), they expire in 4 days, the USD rate is 0 (DEFAULT_RATES has 4%) and the implied vol 0.01%: the
 * time value left is under 0.0005 per share, 0.5 per 1,000 shares, inside the 1.00 tolerance. No requirement is
 * reported, so the estimate is shown uncalibrated, as it is.
 */

const EXPIRY = '20261127';
const SCENARIOS = ['base', 'px:STK=-20%', 'px:STK=+10%'];
const PRICES: Record<string, number> = { base: 100, 'px:STK=-20%': 80, 'px:STK=+10%': 110 };

let nextId = 100;
/** An option on `symbol` (10 contracts of 100 by default), marked at its intrinsic value at S = 100. */
function option(symbol: string, right: 'C' | 'P', strike: number, contracts: number): FeedEventBody[] {
  const conId = nextId++;
  const c = contract({ conId, symbol, secType: 'OPT', currency: 'USD', expiry: EXPIRY, strike: new Decimal(strike), right, multiplier: new Decimal(100) });
  const intrinsic = Math.max(0, right === 'C' ? 100 - strike : strike - 100);
  return [holding(c, String(contracts), String(intrinsic)), greeks(conId, 0.0001, 100)];
}

function shares(symbol: string, qty: number): FeedEventBody {
  return holding(stock(nextId++, symbol, 'USD'), String(qty), '100');
}

const account = [av('NetLiquidation', '1000000'), av('EquityWithLoanValue', '1000000'), av('CashBalance', '1000000', 'USD')];

/** Stressed maintenance requirement of the book in each scenario. */
function maintenance(legs: FeedEventBody[][], params: Record<string, unknown> = {}): Record<string, number> {
  const r = report([...account, ...legs.flat()], SCENARIOS, { defaultRate: 0, rates: { USD: 0 }, ...params });
  return Object.fromEntries(SCENARIOS.map((s) => [s, result(r, s).maintMargin.toNumber()]));
}

function expectRule(actual: Record<string, number>, rule: (S: number) => number): void {
  for (const s of SCENARIOS) {
    const expected = rule(PRICES[s]!);
    expect(Math.abs(actual[s]! - expected), `${s}: ${actual[s]} vs the rule's ${expected}`).toBeLessThan(1);
  }
}

const pos = (x: number) => Math.max(0, x);
/** Naked short option per share (CBOE, risk-model.md §1.4): value + max(base·S − OTM, 10%·(S for calls, K for puts)). */
const nakedCall = (S: number, K: number, base = 0.2, min = 0.1) => pos(S - K) + Math.max(base * S - pos(K - S), min * S);
const nakedPut = (S: number, K: number, base = 0.2, min = 0.1) => pos(K - S) + Math.max(base * S - pos(S - K), min * K);

describe('vertical spreads', () => {
  it('a put credit spread (short 10 XYZ 100 puts, long 10 95 puts) requires its width, 5,000, at any price', () => {
    expectRule(maintenance([option('XYZ', 'P', 100, -10), option('XYZ', 'P', 95, 10)]), () => 5 * 1000);
  });

  it('calibrated to a reported 5,000, the credit spread stays at 5,000 at −20% and +10% (was 7,294 and 2,735)', () => {
    const r = report([...account, av('MaintMarginReq', '5000'), ...option('XYZ', 'P', 100, -10), ...option('XYZ', 'P', 95, 10)], SCENARIOS, {
      defaultRate: 0,
      rates: { USD: 0 },
    });
    for (const s of SCENARIOS) expect(result(r, s).maintMargin.toFixed(0)).toBe('5000');
  });

  it('a call credit spread requires its width (or its short leg alone when less); debit spreads nothing beyond the premium', () => {
    // At −20% the naked 100 call needs max(16 − 20, 8) = 8 per share, less than the width of 10.
    expectRule(maintenance([option('XYZ', 'C', 100, -10), option('XYZ', 'C', 110, 10)]), (S) => 1000 * Math.min(10, nakedCall(S, 100)));
    expectRule(maintenance([option('XYZ', 'C', 100, 10), option('XYZ', 'C', 105, -10)]), () => 0);
    expectRule(maintenance([option('XYZ', 'P', 100, 10), option('XYZ', 'P', 95, -10)]), () => 0);
  });

  it('a far out-of-the-money credit spread never requires more than its short leg alone', () => {
    // Short 10 150 calls, long 10 200 calls: width 50 per share, but the naked call needs max(20%·S − OTM, 10%·S).
    expectRule(maintenance([option('XYZ', 'C', 150, -10), option('XYZ', 'C', 200, 10)]), (S) => 1000 * Math.min(50, nakedCall(S, 150)));
  });
});

describe('butterflies, condors and boxes: the largest loss at expiry', () => {
  it('a long call butterfly (95/100/105) requires nothing beyond its debit', () => {
    expectRule(maintenance([option('XYZ', 'C', 95, 10), option('XYZ', 'C', 100, -20), option('XYZ', 'C', 105, 10)]), () => 0);
  });

  it('a short put butterfly (95/100/105) requires the width of its credit side', () => {
    expectRule(maintenance([option('XYZ', 'P', 95, -10), option('XYZ', 'P', 100, 20), option('XYZ', 'P', 105, -10)]), () => 5 * 1000);
  });

  it('an iron condor requires its wider side: short 95/105, long 90/115 → 10 per share', () => {
    const legs = [option('XYZ', 'P', 95, -10), option('XYZ', 'P', 90, 10), option('XYZ', 'C', 105, -10), option('XYZ', 'C', 115, 10)];
    expectRule(maintenance(legs), () => 10 * 1000);
  });

  it('a long box requires nothing; a short box its width', () => {
    const long = [option('XYZ', 'C', 100, 10), option('XYZ', 'C', 110, -10), option('XYZ', 'P', 110, 10), option('XYZ', 'P', 100, -10)];
    expectRule(maintenance(long), () => 0);
    const short = [option('XYZ', 'C', 100, -10), option('XYZ', 'C', 110, 10), option('XYZ', 'P', 110, -10), option('XYZ', 'P', 100, 10)];
    expectRule(maintenance(short), () => 10 * 1000);
  });
});

describe('straddles and strangles: the greater side plus the other side’s value', () => {
  it('a short straddle at 100', () => {
    expectRule(maintenance([option('XYZ', 'C', 100, -10), option('XYZ', 'P', 100, -10)]), (S) => {
      const c = nakedCall(S, 100),
        p = nakedPut(S, 100);
      return 1000 * (c >= p ? c + pos(100 - S) : p + pos(S - 100));
    });
  });

  it('a short 95/105 strangle', () => {
    expectRule(maintenance([option('XYZ', 'C', 105, -10), option('XYZ', 'P', 95, -10)]), (S) => {
      const c = nakedCall(S, 105),
        p = nakedPut(S, 95);
      return 1000 * (c >= p ? c + pos(95 - S) : p + pos(S - 105));
    });
  });
});

describe('stock with options', () => {
  it('a covered call: the stock requirement plus the call’s in-the-money amount', () => {
    expectRule(maintenance([[shares('XYZ', 1000)], option('XYZ', 'C', 95, -10)]), (S) => 1000 * (0.25 * S + pos(S - 95)));
  });

  it('a covered put: the short stock requirement plus the put’s in-the-money amount', () => {
    expectRule(maintenance([[shares('XYZ', -1000)], option('XYZ', 'P', 105, -10)]), (S) => 1000 * (0.3 * S + pos(105 - S)));
  });

  it('a protective put: min(10% of the put strike + the put’s out-of-the-money amount, 25% of the stock)', () => {
    expectRule(maintenance([[shares('XYZ', 1000)], option('XYZ', 'P', 95, 10)]), (S) => 1000 * Math.min(0.1 * 95 + pos(S - 95), 0.25 * S));
  });

  it('a collar: min(10% of the put strike + the put’s out-of-the-money amount, 25% of the call strike)', () => {
    const legs = [[shares('XYZ', 1000)], option('XYZ', 'P', 90, 10), option('XYZ', 'C', 105, -10)];
    expectRule(maintenance(legs), (S) => 1000 * Math.min(0.1 * 90 + pos(S - 90), 0.25 * 105));
  });

  it('a conversion (long stock, long 100 put, short 100 call): 10% of the strike at any price', () => {
    expectRule(maintenance([[shares('XYZ', 1000)], option('XYZ', 'P', 100, 10), option('XYZ', 'C', 100, -10)]), () => 1000 * 10);
  });

  it('long options give nothing, short options beyond the shares stay naked', () => {
    // 500 shares cover 5 of 10 short 110 calls; the other 5 are naked.
    expectRule(
      maintenance([[shares('XYZ', 500)], option('XYZ', 'C', 110, -10), option('XYZ', 'P', 90, 5)]),
      (S) => 500 * Math.min(0.1 * 90 + pos(S - 90), 0.25 * 110) + 500 * nakedCall(S, 110),
    );
  });
});

describe('underlying rates', () => {
  it('a naked put on a broad-based index ETF (SPY) takes the 15% index base', () => {
    expectRule(maintenance([option('SPY', 'P', 100, -10)]), (S) => 1000 * nakedPut(S, 100, 0.15));
  });

  it('a leveraged ETF by its leverage: 3× → options at 60% / 30%, long stock at 75%', () => {
    const params = { leveragedEtfs: { TQQQ: 3 } };
    expectRule(maintenance([option('TQQQ', 'P', 100, -10)], params), (S) => 1000 * nakedPut(S, 100, 0.6, 0.3));
    expectRule(maintenance([[shares('TQQQ', 100)]], params), (S) => 100 * 0.75 * S);
  });
});
