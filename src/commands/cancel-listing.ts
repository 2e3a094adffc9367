// What a cancel acts on, one line per order (contract, side, quantity, limit, whose): the console's dialog and `cancel`.
import { contractLabel } from '../model/contract.js';
import { orderName } from '../model/orders.js';
import type { OrderRow, PortfolioState } from '../model/state.js';
import { isOpen } from '../trading/plan.js';
import { contractPrice } from '../views/format.js';

/** The open orders a cancel acts on (trading/plan.ts isOpen), in the order TWS listed them. */
export function openOrders(state: PortfolioState): OrderRow[] {
  return [...state.orders.values()].filter(isOpen);
}

/** One order a cancel acts on: contract, side, quantity, type and limit, and whose it is (this client, another, TWS). */
export function cancelListing(o: OrderRow, clientId: number): string {
  const i = o.info;
  const whose = o.clientId === clientId ? 'this client' : o.clientId === 0 ? 'manual (TWS)' : `another client (${o.clientId})`;
  const limit = i?.limitPrice ? ` @ ${contractPrice(i.limitPrice, i.contract)}` : '';
  const what = i ? `${i.action} ${i.totalQuantity.toString()} ${contractLabel(i.contract)} ${i.orderType}${limit}` : `contract not known yet (${o.status})`;
  return `  ${what} · ${whose} · order ${orderName(o.orderId, o.permId)}`;
}
