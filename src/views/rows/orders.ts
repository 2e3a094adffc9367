// The Orders pane: open orders with status and the client id that placed them (0 = typed into TWS).
import { contractLabel } from '../../model/contract.js';
import { isTerminalStatus, orderName } from '../../model/orders.js';
import type { OrderRow, PortfolioState } from '../../model/state.js';
import { age, contractPrice, fitColumns, quantity, type ColumnSpec } from '../format.js';
import type { SortOption } from '../list-sorts.js';
import type { ListUi } from '../ui-state.js';
import { RowCache, filterMatcher, labelCell, listInfo, listVM, sortInfo, sortRows, windowRows, type ListVM, type RowVM } from './common.js';

/** The orders `sort.next` cycles through on this pane, the first being the default. */
export const ORDERS_SORTS: readonly SortOption[] = [
  { key: 'time', label: 'time', desc: true },
  { key: 'status', label: 'status', desc: false },
  { key: 'symbol', label: 'symbol', desc: false },
];

export const ORDER_COLUMNS: readonly ColumnSpec[] = [
  { id: 'order', header: 'Order', width: 7, align: 'right', priority: 0 },
  { id: 'client', header: 'Client', width: 6, align: 'right', priority: 0 },
  { id: 'action', header: 'Side', width: 4, align: 'left', priority: 0 },
  { id: 'qty', header: 'Qty', width: 7, align: 'right', priority: 0 },
  { id: 'label', header: 'Contract', width: 12, align: 'left', priority: 0, flex: true },
  { id: 'type', header: 'Type', width: 4, align: 'left', priority: 2 },
  { id: 'limit', header: 'Limit', width: 9, align: 'right', priority: 1 },
  { id: 'status', header: 'Status', width: 13, align: 'left', priority: 0 },
  { id: 'filled', header: 'Filled', width: 7, align: 'right', priority: 3 },
  { id: 'remaining', header: 'Left', width: 7, align: 'right', priority: 3 },
  { id: 'age', header: 'Age', width: 4, align: 'right', priority: 4 },
];

const cache = new RowCache<OrderRow>();

function orderRow(o: OrderRow, now: number): RowVM {
  // Age moves every second; keep it out of the cache key at second resolution.
  const ageText = age(now - o.updatedAt);
  return cache.get(o, [ageText], () => {
    const info = o.info;
    const done = isTerminalStatus(o.status);
    return {
      id: o.key,
      kind: 'row',
      ...(done ? { slot: 'muted' as const } : {}),
      cells: {
        order: { text: orderName(o.orderId, o.permId) },
        client: { text: o.clientId === 0 ? 'TWS' : String(o.clientId) },
        action: { text: info?.action ?? '?', ...(info?.action === 'BUY' ? { slot: 'pnl.gain' as const } : info ? { slot: 'pnl.loss' as const } : {}) },
        qty: { text: info ? quantity(info.totalQuantity) : '?' },
        label: info ? labelCell(info.contract) : { text: `(waiting for OPEN_ORDER) perm ${o.permId}` },
        type: { text: info?.orderType ?? '' },
        limit: { text: info?.limitPrice ? contractPrice(info.limitPrice, info.contract, true) : '' },
        status: { text: o.status || '?', ...(o.status === 'Inactive' ? { slot: 'risk.warn' as const } : {}) },
        filled: { text: quantity(o.filled) },
        remaining: { text: quantity(o.remaining) },
        age: { text: ageText, slot: 'muted' },
      },
    };
  });
}

export function ordersVM(state: PortfolioState, ui: ListUi, width: number, height: number, now: number): ListVM {
  const matches = filterMatcher(ui.filter);
  const rows = [...state.orders.values()].filter((o) =>
    matches(`${o.orderId} ${o.clientId} ${o.status} ${o.info ? `${contractLabel(o.info.contract)} ${o.info.action} ${o.info.orderType}` : ''}`),
  );
  const key = (o: OrderRow): number | string | undefined =>
    ui.sort.key === 'status'
      ? `${isTerminalStatus(o.status) ? 1 : 0}${o.status}`
      : ui.sort.key === 'symbol'
        ? o.info
          ? contractLabel(o.info.contract)
          : undefined
        : o.updatedAt;
  sortRows(rows, key, ui.sort.desc, (o) => o.key);
  const display = rows.map((o) => ({ id: o.key, kind: 'row' as const, o }));
  const win = windowRows(display, ui, height - 1, (d) => orderRow(d.o, now)); // one row for the column header
  const open = rows.filter((o) => !isTerminalStatus(o.status)).length;
  const sort = ORDERS_SORTS.find((s) => s.key === ui.sort.key) ?? ORDERS_SORTS[0]!;
  // An id is never cut: a manual order's p + permId (10 digits from TWS) widens the column, or two such orders read alike.
  const idWidth = Math.max(0, ...rows.map((o) => orderName(o.orderId, o.permId).length));
  const columns = ORDER_COLUMNS.map((c) => (c.id === 'order' && idWidth > c.width ? { ...c, width: idWidth } : c));
  return listVM(
    'orders',
    listInfo([`${open} open`, rows.length > open && `${rows.length - open} done`, sortInfo(sort.label, ui.sort.desc), ui.filter && `filter ${ui.filter}`]),
    fitColumns(columns, width),
    win,
    rows.length,
    ui.filter ? `No order matches "${ui.filter}".` : state.complete.openOrders ? 'No open orders.' : 'Waiting for the open orders.',
    columns,
  );
}
