// The currency a position is grouped under is the one the stress engine's currency scenarios move it with.
import { describe, expect, it } from 'vitest';
import { exposureCurrency, type Contract } from '../../src/model/contract.js';
import { Decimal } from '../../src/model/money.js';
import { stressParams } from '../../src/risk/params.js';
import { classifyPositions } from '../../src/risk/positions.js';

describe('exposureCurrency', () => {
  it('puts a pair under its first leg and a currency future or its option under the currency it is on', () => {
    expect(exposureCurrency({ secType: 'CASH', symbol: 'EUR', currency: 'USD' })).toBe('EUR');
    expect(exposureCurrency({ secType: 'FUT', symbol: 'EUR', currency: 'USD' })).toBe('EUR');
    expect(exposureCurrency({ secType: 'FOP', symbol: 'JPY', currency: 'USD' })).toBe('JPY');
    expect(exposureCurrency({ secType: 'fut', symbol: 'GBP', currency: 'USD' })).toBe('GBP');
  });

  it('leaves everything else in the currency it is quoted in', () => {
    expect(exposureCurrency({ secType: 'FUT', symbol: 'ES', currency: 'USD' })).toBe('USD');
    expect(exposureCurrency({ secType: 'STK', symbol: 'EUR', currency: 'USD' })).toBe('USD');
    expect(exposureCurrency({ secType: 'OPT', symbol: 'JPY', currency: 'USD' })).toBe('USD');
    expect(exposureCurrency({ secType: 'FUT', symbol: 'USD', currency: 'USD' })).toBe('USD');
    expect(exposureCurrency({ secType: 'STK', symbol: 'SAP', currency: 'EUR' })).toBe('EUR');
  });

  it('is the currency the risk engine moves a currency future with', () => {
    const contracts: Contract[] = [
      { conId: 1, symbol: 'EUR', secType: 'FUT', currency: 'USD', expiry: '20270315', multiplier: new Decimal(125000) },
      { conId: 2, symbol: 'ES', secType: 'FUT', currency: 'USD', expiry: '20270319', multiplier: new Decimal(50) },
      { conId: 3, symbol: 'JPY', secType: 'FUT', currency: 'USD', expiry: '20270315', multiplier: new Decimal(12500000) },
    ];
    const classes = classifyPositions(contracts, stressParams({ now: Date.UTC(2026, 10, 23, 15, 0) }));
    expect(classes.map((k) => k.fxFutureCurrency)).toEqual(['EUR', undefined, 'JPY']);
    expect(contracts.map(exposureCurrency)).toEqual(['EUR', 'USD', 'JPY']);
  });
});
