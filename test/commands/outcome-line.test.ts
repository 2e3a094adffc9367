// A result line names each order once (a cancel's label already starts with its order id), and one left working as such.
import { describe, expect, it } from 'vitest';
import { outcomeLine } from '../../src/commands/console-trading.js';

describe('outcomeLine', () => {
  it('says the order id once, whether the label names it or not', () => {
    expect(outcomeLine({ conId: 0, orderId: -1, label: 'order -1 (client 0) BUY 100 AAPL LMT at 150', outcome: 'cancelled', filled: '0' })).toBe(
      'order -1 (client 0) BUY 100 AAPL LMT at 150: CANCELLED',
    );
    expect(outcomeLine({ conId: 265598, orderId: 12, label: 'SELL 500 AAPL', outcome: 'filled', filled: '500' }, ' avg 228.41')).toBe(
      'order 12 SELL 500 AAPL: FILLED (filled 500 avg 228.41)',
    );
  });

  it('names an order the deadline left working, with its limit, what is left and what to do', () => {
    const working = { orderType: 'LMT', limitPrice: '190.47', remaining: '500' };
    expect(outcomeLine({ conId: 265598, orderId: 12, label: 'SELL 500 AAPL', outcome: 'timedOut', filled: '0', working })).toBe(
      'order 12 SELL 500 AAPL: TIMED OUT, still working at LMT 190.47 (500 left): cancel it (x in Orders) or re-flatten',
    );
  });
});
