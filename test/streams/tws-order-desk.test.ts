// The order desk's open-order lists (src/streams/tws/orders.ts): what each OPEN_ORDER_END names, and which updates are news.
import { describe, expect, it } from 'vitest';
import { orderInfo } from '../../src/streams/tws/map.js';
import { OrderDesk } from '../../src/streams/tws/orders.js';

const contract = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', exchange: 'SMART' } as Parameters<typeof orderInfo>[1];
const info = (orderId: number, clientId: number, permId: number, lmtPrice: number, status = 'Submitted') =>
  orderInfo(
    orderId,
    contract,
    { action: 'BUY', totalQuantity: 10, orderType: 'LMT', lmtPrice, clientId, permId, account: 'DU1' } as Parameters<typeof orderInfo>[2],
    { status } as Parameters<typeof orderInfo>[3],
  );

describe('OrderDesk', () => {
  it('says an open order is news only when it differs from what was last emitted for it', () => {
    const desk = new OrderDesk();
    expect(desk.openOrderSeen(info(7, 21, 900, 101))).toBe(true);
    expect(desk.openOrderSeen(info(7, 21, 900, 101))).toBe(false);
    expect(desk.openOrderSeen(info(7, 21, 900, 102))).toBe(true);
    expect(desk.openOrderSeen(info(7, 21, 900, 102, 'Cancelled'))).toBe(true);
  });

  it('each OPEN_ORDER_END names the orders listed since the previous one, repeats included, manual orders by permId', () => {
    const desk = new OrderDesk();
    desk.openOrderSeen(info(7, 21, 900, 101));
    desk.openOrderSeen(info(0, 0, 901, 99));
    expect(desk.openOrdersEnded().sort()).toEqual(['21:7', 'perm:901']);
    // A poll repeats an unchanged order: no event for it, but the list that poll ends still names it.
    expect(desk.openOrderSeen(info(7, 21, 900, 101))).toBe(false);
    expect(desk.openOrdersEnded()).toEqual(['21:7']);
    expect(desk.openOrdersEnded()).toEqual([]);
  });
});
