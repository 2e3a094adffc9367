// An order's limit and a fill's price are facts, shown to their last digit in the Orders and Executions panes, never rounded to the contract type's decimals.
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/model/money.js';
import { executionsVM } from '../../src/views/rows/executions.js';
import { ordersVM } from '../../src/views/rows/orders.js';
import { initialUi } from '../../src/views/ui-state.js';
import { ACCOUNT, AAPL, T0, bookState } from '../support/book.js';
import { stock } from '../support/events.js';

const ui = initialUi();
/** A Madrid stock around 4 EUR: its tick (0.0005) is finer than a cent though its price is over 1. */
const TEF = stock(13000, 'TEF', 'EUR', 'BM');

const texts = (vm: ReturnType<typeof ordersVM>, id: string) => vm.rows.map((r) => r.cells[id]?.text);

describe('exact order and fill prices', () => {
  it('shows a sub-cent limit as sent and a midpoint fill as filled, padded to the contract decimals otherwise', () => {
    const state = bookState({
      extra: [
        {
          type: 'openOrderUpdated',
          order: {
            orderId: 7,
            clientId: 4217,
            permId: 9007,
            account: ACCOUNT,
            contract: TEF,
            action: 'BUY',
            totalQuantity: dec('1000'),
            orderType: 'LMT',
            limitPrice: dec('4.2345'),
            status: 'Submitted',
          },
        },
        { type: 'orderStatusUpdated', orderId: 7, clientId: 4217, permId: 9007, status: 'Submitted', filled: dec(0), remaining: dec('1000') },
        {
          type: 'openOrderUpdated',
          order: {
            orderId: 8,
            clientId: 4217,
            permId: 9008,
            account: ACCOUNT,
            contract: AAPL,
            action: 'SELL',
            totalQuantity: dec('100'),
            orderType: 'LMT',
            limitPrice: dec('230.5'),
            status: 'Submitted',
          },
        },
        { type: 'orderStatusUpdated', orderId: 8, clientId: 4217, permId: 9008, status: 'Submitted', filled: dec(0), remaining: dec('100') },
        {
          type: 'executionReceived',
          reqId: -1,
          execId: '0001.01',
          orderId: 9,
          clientId: 4217,
          permId: 9009,
          account: ACCOUNT,
          contract: AAPL,
          side: 'BOT',
          shares: dec('200'),
          // A midpoint fill between 228.45 and 228.46: cents (half to even) would read 228.46, half a cent a share off.
          price: dec('228.455'),
          cumQty: dec('200'),
          avgPrice: dec('228.455'),
          time: '20261123 09:31:02 US/Eastern',
        },
      ],
    });
    const orders = ordersVM(state, ui.lists.orders, 400, 20, T0);
    expect(texts(orders, 'limit')).toEqual(expect.arrayContaining(['4.2345', '230.50']));
    const executions = executionsVM(state, ui.lists.executions, 400, 20);
    expect(executions.rows.map((r) => r.cells['price']?.text)).toEqual(['228.455']);
    // One fill is said in the singular ("1 fills" before).
    expect(executions.info).toMatch(/^1 fill\b(?!s)/);
  });
});
