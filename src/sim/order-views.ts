// Wire views of orders and executions (what OPEN_ORDER, ORDER_STATUS and EXECUTION_DATA carry).
import { ZERO } from '../model/money.js';
import type * as M from './messages.js';
import { isOpen, type SimExecution, type SimOrder } from './orders.js';
import { twsTime } from './wire.js';

export function openOrderView(o: SimOrder): M.OpenOrderView {
  return {
    orderId: o.orderId,
    contract: o.inst,
    action: o.action,
    totalQuantity: o.totalQty,
    orderType: o.orderType,
    lmtPrice: o.lmtPrice,
    auxPrice: o.auxPrice,
    tif: o.tif,
    account: o.account,
    orderRef: o.orderRef,
    clientId: o.clientId,
    permId: o.permId,
    // What TWS holds is what the client sent: these come back as placed (a bot checks its bracket and OCA links here).
    parentId: o.parentId,
    outsideRth: o.outsideRth,
    ocaGroup: o.ocaGroup,
    ocaType: o.ocaType,
    goodTillDate: o.goodTillDate,
    allOrNone: o.allOrNone,
    minQty: o.minQty,
    triggerMethod: o.triggerMethod,
    trailStopPrice: o.trailStopPrice,
    trailingPercent: o.trailingPercent,
    whatIf: false,
    status: o.status,
    // TWS fills in the commission of a finished order in its final OPEN_ORDER's orderState.
    commission: o.status === 'Filled' ? o.commission.toNumber() : undefined,
    commissionCurrency: o.status === 'Filled' ? o.inst.currency : '',
    warningText: '',
  };
}

/** completedStatus as TWS words it; the time is the order's last fill when it had one (the sim keeps no cancel time). */
export function completedOrderView(o: SimOrder, lastFillAt: number | undefined): M.CompletedOrderView {
  const words: Record<string, string> = { Filled: 'Filled', Cancelled: 'Cancelled by Trader', Inactive: 'Rejected' };
  return {
    ...openOrderView(o),
    filledQuantity: o.filled,
    completedTime: lastFillAt === undefined ? '' : twsTime(lastFillAt),
    completedStatus: words[o.status] ?? o.status,
  };
}

export function orderStatusView(o: SimOrder): M.OrderStatusView {
  const avg = o.filled.isZero() ? 0 : o.fillValue.div(o.filled).toNumber();
  return {
    orderId: o.orderId,
    status: o.status,
    filled: o.filled,
    remaining: isOpen(o) ? o.totalQty.sub(o.filled) : ZERO,
    avgFillPrice: avg,
    permId: o.permId,
    parentId: o.parentId,
    lastFillPrice: o.lastFillPrice,
    clientId: o.clientId,
    whyHeld: o.whyHeld,
  };
}

/** EXECUTION_DATA's view of a fill; acctNumber is the account it was booked in (an advisor login's sub-account too). */
export function executionView(e: SimExecution): M.ExecutionView {
  const o = e.order;
  // Stocks report the venue they traded on (the primary exchange here); derivatives their exchange.
  const exchange = o.inst.secType === 'STK' ? o.inst.primaryExch || 'ISLAND' : o.inst.exchange;
  return {
    orderId: o.orderId,
    contract: o.inst,
    execId: e.execId,
    time: twsTime(e.time),
    account: o.account,
    exchange,
    side: e.side,
    shares: e.shares,
    price: e.price.toNumber(),
    permId: o.permId,
    clientId: o.clientId,
    cumQty: e.cumQty,
    avgPrice: e.avgPrice.toDecimalPlaces(8).toNumber(),
    orderRef: o.orderRef,
    lastLiquidity: o.orderType === 'MKT' ? 2 : 1,
  };
}
