// The Decimal → float boundary and the Reg T rules, against hand values (risk-model.md §1.4).
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import { toFloat, toQuanta } from '../../src/risk/boundary.js';
import { DEFAULT_MARGIN_RULES } from '../../src/risk/params.js';
import { nakedShortOptionPerUnit, shortStockMaintPerShare, stockRequirement } from '../../src/risk/margin.js';

describe('toFloat', () => {
  it('equals Decimal#toNumber (the nearest double) on prices, quantities, amounts and edge cases', () => {
    const samples = [
      '0',
      '-0',
      '1',
      '-1',
      '0.1',
      '0.3',
      '185.2',
      '-0.05',
      '12345.67',
      '99.999999',
      '1e-7',
      '0.0001',
      '-50000',
      '123456789.123456',
      '1234567890123456789',
      '9007199254740993',
      '1e30',
      '-1e-30',
      '5e-324',
      '1.7976931348623157e308',
      '0.1234567890123456789',
      '2650',
      '0.00673',
      '98.40',
    ];
    for (let i = 1; i < 2000; i++) samples.push((((i * 7919) % 100_003) / 97).toFixed(i % 9), ((-i * 104729) / 13).toFixed(4));
    for (const s of samples) {
      const d = new Decimal(s);
      expect(Object.is(toFloat(d), d.toNumber()) || (toFloat(d) === 0 && d.isZero()), s).toBe(true);
    }
  });

  it('quantizes amounts to whole 0.0001 units, without negative zero', () => {
    expect(toQuanta(12.34567)).toBe(123457);
    expect(Object.is(toQuanta(-0.00001), 0)).toBe(true);
  });
});

describe('Reg T rules', () => {
  const rules = DEFAULT_MARGIN_RULES;

  it('short stock maintenance by price tier: 30% above $16.67, $5/share, 100%, $2.50/share', () => {
    expect(shortStockMaintPerShare(50, 0.3)).toBeCloseTo(15, 12);
    expect(shortStockMaintPerShare(10, 0.3)).toBe(5);
    expect(shortStockMaintPerShare(4, 0.3)).toBe(4);
    expect(shortStockMaintPerShare(1, 0.3)).toBe(2.5);
  });

  it('stock requirements: long 25% maintenance / 50% initial; short initial at least 30%', () => {
    expect(stockRequirement(100, 40, rules, false)).toBe(1000);
    expect(stockRequirement(100, 40, rules, true)).toBe(2000);
    expect(stockRequirement(-100, 40, rules, false)).toBeCloseTo(1200, 9);
    expect(stockRequirement(-100, 10, rules, true)).toBe(500); // max(30% × 1,000, $5 × 100)
  });

  it('naked short options: premium + max(20%·S − OTM, 10%·S or 10%·K)', () => {
    // Call, S = 100, K = 110, premium 2: 2 + max(20 − 10, 10) = 12.
    expect(nakedShortOptionPerUnit(true, 100, 110, 2, 0.2, 0.1)).toBe(12);
    // Put far out of the money, S = 100, K = 70: 0.5 + max(20 − 30, 7) = 7.5 (the 10%·K floor).
    expect(nakedShortOptionPerUnit(false, 100, 70, 0.5, 0.2, 0.1)).toBe(7.5);
    // Broad index, 15%: S = 6000, K = 6000 put, premium 80: 80 + 900.
    expect(nakedShortOptionPerUnit(false, 6000, 6000, 80, 0.15, 0.1)).toBe(980);
  });
});
