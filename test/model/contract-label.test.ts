// A contract's label in a narrow column keeps what tells two options apart (strike and right) ahead of the expiry.
import { describe, expect, it } from 'vitest';
import { contractLabel, contractLabelNarrow, type Contract } from '../../src/model/contract.js';
import { Decimal } from '../../src/model/money.js';

const option = (over: Partial<Contract>): Contract => ({
  conId: 1,
  symbol: 'SPX',
  secType: 'OPT',
  currency: 'USD',
  expiry: '20270219',
  strike: new Decimal(5700),
  right: 'P',
  ...over,
});

describe('contractLabelNarrow', () => {
  it('puts strike and right before a two-digit-year expiry for options, futures options and warrants', () => {
    expect(contractLabel(option({}))).toBe('SPX 20270219 5700 P');
    expect(contractLabelNarrow(option({}))).toBe('SPX 5700P 270219');
    expect(contractLabelNarrow(option({ symbol: 'ES', secType: 'FOP', expiry: '20261218', strike: new Decimal(6300), right: 'C' }))).toBe('ES 6300C 261218');
    expect(contractLabelNarrow(option({ secType: 'WAR', strike: new Decimal('12.5'), right: 'C' }))).toBe('SPX 12.5C 270219');
  });

  it('keeps an expiry it does not recognise as it is, and leaves out what is missing', () => {
    expect(contractLabelNarrow(option({ expiry: '202702' }))).toBe('SPX 5700P 202702');
    expect(contractLabelNarrow(option({ expiry: undefined }))).toBe('SPX 5700P');
  });

  it('has no narrow form for contracts whose label already leads with what tells them apart', () => {
    expect(contractLabelNarrow({ conId: 2, symbol: 'AAPL', secType: 'STK', currency: 'USD' })).toBeUndefined();
    expect(contractLabelNarrow({ conId: 3, symbol: 'ES', secType: 'FUT', currency: 'USD', localSymbol: 'ESZ6' })).toBeUndefined();
    expect(contractLabelNarrow({ conId: 4, symbol: 'EUR', secType: 'CASH', currency: 'USD', localSymbol: 'EUR.USD' })).toBeUndefined();
  });
});
