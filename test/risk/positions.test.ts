// Classification remembered per contract object: a book read again classifies the same, and a changed context is seen.
import { describe, expect, it } from 'vitest';
import type { Contract } from '../../src/model/contract.js';
import { Decimal } from '../../src/model/money.js';
import { stressParams } from '../../src/risk/params.js';
import { classifyPositions } from '../../src/risk/positions.js';

const NOW = Date.UTC(2026, 10, 23, 15, 0);
const stock: Contract = { conId: 1, symbol: 'AAPL', secType: 'STK', currency: 'USD', exchange: 'SMART' };
const other: Contract = { conId: 2, symbol: 'MSFT', secType: 'STK', currency: 'USD', exchange: 'SMART' };
const call: Contract = {
  conId: 3,
  symbol: 'AAPL',
  secType: 'OPT',
  currency: 'USD',
  expiry: '20270115',
  strike: new Decimal(200),
  right: 'C',
  multiplier: new Decimal(100),
};
const spx: Contract = {
  conId: 4,
  symbol: 'SPX',
  secType: 'OPT',
  currency: 'USD',
  expiry: '20270115',
  strike: new Decimal(5000),
  right: 'P',
  multiplier: new Decimal(100),
};
/** The same contracts as new objects: nothing remembered for them. */
const fresh = (cs: readonly Contract[]) => cs.map((c) => ({ ...c }));

describe('classifyPositions', () => {
  const regT = stressParams({ now: NOW });
  const pm = stressParams({ now: NOW, marginMethod: 'portfolio' });

  it('classifies a book read again as new contract objects would be classified, with the same objects', () => {
    const book = [stock, other, call, spx];
    const first = classifyPositions(book, regT);
    const again = classifyPositions(book, regT);
    again.forEach((c, i) => expect(c).toBe(first[i]));
    expect(again).toEqual(classifyPositions(fresh(book), regT));
    expect(first[2]!.underlyingConId).toBe(1);
    expect(first[2]!.groupKey).toBe('STK|AAPL|USD');
    expect(first[3]!.driver).toBe('IND');
  });

  it('sees a changed context: the stock under an option closed, an option opened on a stock, another margin method', () => {
    classifyPositions([stock, other, call], regT);
    // The stock closed: the option is no longer linked to a held stock.
    const noStock = classifyPositions([other, call], regT);
    expect(noStock[1]!.underlyingConId).toBeUndefined();
    expect(noStock).toEqual(classifyPositions(fresh([other, call]), regT));
    // No option on AAPL any more: the stock joins its class's bucket.
    expect(classifyPositions([stock, other], regT)[0]!.groupKey).toBe('STK|*|USD');
    expect(classifyPositions([stock, other, call], regT)[0]!.groupKey).toBe('STK|AAPL|USD');
    // Portfolio margin gives every stock a group of its own.
    const scanned = classifyPositions([stock, other], pm);
    expect(scanned.map((c) => c.groupKey)).toEqual(['STK|AAPL|USD', 'STK|MSFT|USD']);
    expect(scanned).toEqual(classifyPositions(fresh([stock, other]), pm));
    expect(classifyPositions([stock, other], regT).map((c) => c.groupKey)).toEqual(['STK|*|USD', 'STK|*|USD']);
  });
});
