// Order and execution handlers: OPEN_ORDER, ORDER_STATUS, EXECUTION_DATA, COMMISSION_REPORT, idempotent by id.
import type { FeedEventOf } from '../events.js';
import { Decimal } from '../money.js';
import { isTerminalStatus, orderKey, toOrderStatus, type OrderStatus } from '../orders.js';
import type { ExecutionRow, OrderRow, PortfolioState } from '../state.js';
import { touched } from './common.js';

const ZERO = new Decimal(0);

/** Recordings made before statuses were typed carry TWS's text as it came: it is read through the same table. */
function nextStatus(old: OrderStatus | undefined, raw: OrderStatus): OrderStatus {
  const incoming = toOrderStatus(raw);
  // Closed is inferred from an absence: TWS telling us the order is still working wins over it.
  if (old !== undefined && old !== 'Closed' && isTerminalStatus(old) && !isTerminalStatus(incoming)) return old;
  return incoming;
}

function withPermIndex(state: PortfolioState, permId: number, key: string): PortfolioState['orderKeyByPermId'] {
  return permId > 0 && state.orderKeyByPermId.get(permId) !== key ? state.orderKeyByPermId.set(permId, key) : state.orderKeyByPermId;
}

export function openOrderUpdated(state: PortfolioState, ev: FeedEventOf<'openOrderUpdated'>): PortfolioState {
  const o = ev.order;
  const key = orderKey(o.clientId, o.orderId, o.permId);
  const old = state.orders.get(key);
  const status = nextStatus(old?.status, o.status);
  const row: OrderRow = {
    ...(old ?? { key, orderId: o.orderId, clientId: o.clientId, filled: ZERO }),
    permId: o.permId || old?.permId || 0,
    info: o,
    status,
    updatedAt: ev.receivedAt,
  };
  return {
    ...state,
    orders: state.orders.set(key, row),
    orderKeyByPermId: withPermIndex(state, row.permId, key),
    lastUpdate: touched(state, ev),
  };
}

/**
 * A fresh open-orders snapshot is TWS's word on which orders still work: one it no longer lists has reached its final
 * state, Filled when its known fills cover its quantity, else Closed (we were not told how). One listed again after
 * we closed it was open after all, and gets back the status its last open-order message gave.
 */
export function openOrdersEnded(state: PortfolioState, ev: FeedEventOf<'openOrdersEnded'>): PortfolioState {
  let orders = state.orders;
  if (ev.listed) {
    const listed = new Set(ev.listed);
    for (const [key, row] of state.orders) {
      const now = listed.has(key);
      if (row.status === 'Closed' && now) {
        const status = row.info && !isTerminalStatus(row.info.status) ? row.info.status : 'Submitted';
        orders = orders.set(key, { ...row, status, listed: true, updatedAt: ev.receivedAt });
        continue;
      }
      if (isTerminalStatus(row.status)) continue;
      if (now) {
        if (row.listed !== true) orders = orders.set(key, { ...row, listed: true, updatedAt: ev.receivedAt });
        continue;
      }
      const total = row.info?.totalQuantity;
      const status: OrderStatus = total !== undefined && total.greaterThan(0) && row.filled.greaterThanOrEqualTo(total) ? 'Filled' : 'Closed';
      orders = orders.set(key, { ...row, status, listed: false, updatedAt: ev.receivedAt });
    }
  }
  return { ...state, orders, complete: { ...state.complete, openOrders: true }, lastUpdate: touched(state, ev) };
}

export function orderStatusUpdated(state: PortfolioState, ev: FeedEventOf<'orderStatusUpdated'>): PortfolioState {
  const key = (ev.orderId <= 0 && state.orderKeyByPermId.get(ev.permId)) || orderKey(ev.clientId, ev.orderId, ev.permId);
  const old = state.orders.get(key);
  const status = nextStatus(old?.status, ev.status);
  // Cumulative fill never goes back: an older status arriving late must not undo a newer one.
  const filled = old && old.filled.greaterThan(ev.filled) ? old.filled : ev.filled;
  const newer = !old || !old.filled.greaterThan(ev.filled);
  const row: OrderRow = {
    ...(old ?? { key, orderId: ev.orderId, clientId: ev.clientId }),
    permId: ev.permId || old?.permId || 0,
    status,
    filled,
    ...(newer
      ? {
          remaining: ev.remaining,
          ...(ev.avgFillPrice ? { avgFillPrice: ev.avgFillPrice } : {}),
          ...(ev.lastFillPrice ? { lastFillPrice: ev.lastFillPrice } : {}),
          ...(ev.whyHeld ? { whyHeld: ev.whyHeld } : {}),
        }
      : {}),
    updatedAt: ev.receivedAt,
  };
  return {
    ...state,
    orders: state.orders.set(key, row),
    orderKeyByPermId: withPermIndex(state, row.permId, key),
    lastUpdate: touched(state, ev),
  };
}

export function executionReceived(state: PortfolioState, ev: FeedEventOf<'executionReceived'>): PortfolioState {
  if (state.executions.get(ev.execId)) {
    // Duplicates come from reconciliation requests after reconnects; the first copy is the record.
    return { ...state, lastUpdate: touched(state, ev) };
  }
  const pending = state.pendingCommissions.get(ev.execId);
  const { type: _t, seq: _s, receivedAt, reqId: _r, ...fields } = ev;
  const row: ExecutionRow = {
    ...fields,
    updatedAt: receivedAt,
    ...(pending
      ? {
          commission: pending.commission,
          commissionCurrency: pending.currency,
          ...(pending.realizedPnl ? { realizedPnl: pending.realizedPnl } : {}),
        }
      : {}),
  };
  return {
    ...state,
    executions: state.executions.set(ev.execId, row),
    pendingCommissions: pending ? state.pendingCommissions.delete(ev.execId) : state.pendingCommissions,
    lastUpdate: touched(state, ev),
  };
}

export function executionsEnded(state: PortfolioState, ev: FeedEventOf<'executionsEnded'>): PortfolioState {
  return { ...state, lastUpdate: touched(state, ev) };
}

export function commissionReceived(state: PortfolioState, ev: FeedEventOf<'commissionReceived'>): PortfolioState {
  const exec = state.executions.get(ev.execId);
  if (!exec) {
    const pendingCommissions = state.pendingCommissions.set(ev.execId, {
      commission: ev.commission,
      currency: ev.currency,
      ...(ev.realizedPnl ? { realizedPnl: ev.realizedPnl } : {}),
    });
    return { ...state, pendingCommissions, lastUpdate: touched(state, ev) };
  }
  if (exec.commission?.equals(ev.commission) && exec.commissionCurrency === ev.currency) {
    return { ...state, lastUpdate: touched(state, ev) };
  }
  const row: ExecutionRow = {
    ...exec,
    commission: ev.commission,
    commissionCurrency: ev.currency,
    ...(ev.realizedPnl ? { realizedPnl: ev.realizedPnl } : {}),
  };
  return { ...state, executions: state.executions.set(ev.execId, row), lastUpdate: touched(state, ev) };
}
