// The simulator's Reg T option pairing (CBOE rules): each expected figure is worked out by hand from the rule.
import { describe, expect, it } from 'vitest';
import { dec, Decimal } from '../../src/model/money.js';
import { buildUniverse, type Instrument } from '../../src/sim/instruments.js';
import { DEFAULT_MARGIN, optionGroupRequirement, type OptionHolding } from '../../src/sim/margin.js';
import { T0 } from './helpers.js';

// An AAPL option of the simulated universe (multiplier 100, 20% base, 10% floor), restruck for each leg.
const aaplCall = buildUniverse(Date.parse(T0)).find((i) => i.symbol === 'AAPL' && i.secType === 'OPT' && i.right === 'C')!;
let nextConId = 1;
const opt = (right: 'C' | 'P', strike: number, qty: number, mark: number, expiry = aaplCall.lastTradeDateOrContractMonth): OptionHolding => ({
  inst: { ...aaplCall, conId: nextConId++, right, strike, lastTradeDateOrContractMonth: expiry } as Instrument,
  qty: dec(String(qty)),
  mark: dec(String(mark)),
  und: dec('200'),
});
const req = (legs: OptionHolding[], shares = 0, spike = {}) => optionGroupRequirement(legs, dec(String(shares)), DEFAULT_MARGIN, spike).maint.toString();
// Naked short option per contract at S = 200: premium + max(20% × 200 − OTM, 10% × S (call) or K (put)), × 100.
const nakedCall = (mark: number, strike: number) => (mark + Math.max(40 - Math.max(0, strike - 200), 20)) * 100;

describe('simulator margin: option strategies (CBOE rules)', () => {
  it('a credit vertical needs its width, a debit vertical nothing beyond its premium', () => {
    expect(req([opt('C', 200, -1, 5), opt('C', 210, 1, 2)])).toBe('1000'); // (210 − 200) × 100
    expect(req([opt('C', 200, 1, 5), opt('C', 210, -1, 2)])).toBe('0');
    expect(req([opt('P', 200, -3, 5), opt('P', 190, 3, 2)])).toBe('3000'); // (200 − 190) × 100 × 3
    expect(req([opt('P', 200, 2, 5), opt('P', 190, -2, 2)])).toBe('0');
  });

  it('butterflies, iron condors and boxes need their largest loss at expiry', () => {
    expect(req([opt('C', 190, 1, 14), opt('C', 200, -2, 6), opt('C', 210, 1, 2)])).toBe('0'); // long butterfly
    // Iron condor: a 10-wide call side and a 15-wide put side; only one can lose at expiry.
    expect(req([opt('C', 210, -1, 3), opt('C', 220, 1, 1), opt('P', 190, -1, 3), opt('P', 175, 1, 1)])).toBe('1500');
    // Short box (short 190 call, long 210 call, short 210 put, long 190 put): loses the width at any price.
    expect(req([opt('C', 190, -1, 14), opt('C', 210, 1, 2), opt('P', 210, -1, 12), opt('P', 190, 1, 2)])).toBe('2000');
    expect(req([opt('C', 190, 1, 14), opt('C', 210, -1, 2), opt('P', 210, 1, 12), opt('P', 190, -1, 2)])).toBe('0'); // long box
  });

  it("a short straddle needs the greater naked side plus the other side's premium", () => {
    // Call: 6 + max(40, 20) = 46; put: 5 + max(40, 20) = 45 per unit; the call is greater, plus the put's 5.
    expect(req([opt('C', 200, -1, 6), opt('P', 200, -1, 5)])).toBe(String(4600 + 500));
    // Strangle, OTM legs: call 3 + max(40 − 10, 20) = 33; put 2 + max(40 − 15, 0.1 × 185 = 18.5) = 27.
    expect(req([opt('C', 210, -2, 3), opt('P', 185, -2, 2)])).toBe(String((33 + 2) * 100 * 2));
  });

  it('a covered call needs its in-the-money amount beside the stock; uncovered contracts stay naked', () => {
    expect(req([opt('C', 190, -1, 12)], 100)).toBe('1000'); // (200 − 190) × 100
    expect(req([opt('C', 210, -1, 2)], 100)).toBe('0');
    expect(req([opt('P', 210, -1, 12)], -100)).toBe('1000'); // covered put: (210 − 200) × 100
    // 150 shares cover one contract of two: the other is naked.
    expect(req([opt('C', 210, -2, 2)], 150)).toBe(String(nakedCall(2, 210)));
    // Long shares do not cover a put.
    expect(req([opt('P', 190, -1, 2)], 100)).toBe(String((2 + Math.max(40 - 10, 19)) * 100));
  });

  it('pairs in order: verticals first, the rest naked; other expiries do not pair; a spike scales the figure', () => {
    expect(req([opt('C', 200, -2, 5), opt('C', 210, 1, 2)])).toBe(String(1000 + nakedCall(5, 200)));
    // A vertical takes the short call before the straddle could.
    expect(req([opt('C', 200, -1, 5), opt('C', 210, 1, 2), opt('P', 200, -1, 5)])).toBe(String(1000 + 4500));
    expect(req([opt('C', 200, -1, 5), opt('C', 210, 1, 2, '20990119')])).toBe(String(nakedCall(5, 200)));
    expect(req([opt('C', 200, -1, 5), opt('C', 210, 1, 2)], 0, { OPT: 2 })).toBe('2000');
    // Far out of the money, a 100-wide credit spread is capped at what its short leg would need naked:
    // 0.5 + max(40 − 50, 10% × 150) = 15.5 per unit, under the 100 width.
    expect(new Decimal(req([opt('P', 150, -1, 0.5), opt('P', 50, 1, 0.01)])).toNumber()).toBe(1550);
  });
});
