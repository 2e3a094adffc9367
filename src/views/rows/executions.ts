// The Executions pane: the day's fills, newest first, with commission and realized P&L once TWS reports them.
import { contractLabel } from '../../model/contract.js';
import type { ExecutionRow, PortfolioState } from '../../model/state.js';
import { contractPrice, fitColumns, money, quantity, type ColumnSpec } from '../format.js';
import type { SortOption } from '../list-sorts.js';
import type { ListUi } from '../ui-state.js';
import { RowCache, filterMatcher, labelCell, listInfo, listVM, sortInfo, sortRows, windowRows, type ListVM, type RowVM } from './common.js';

/** The orders `sort.next` cycles through on this pane, the first being the default. */
export const EXECUTIONS_SORTS: readonly SortOption[] = [
  { key: 'time', label: 'time', desc: true },
  { key: 'symbol', label: 'symbol', desc: false },
  { key: 'commission', label: 'commission', desc: true },
];

export const EXECUTION_COLUMNS: readonly ColumnSpec[] = [
  { id: 'time', header: 'Time', width: 8, align: 'left', priority: 0 },
  { id: 'side', header: 'Side', width: 4, align: 'left', priority: 0 },
  { id: 'qty', header: 'Qty', width: 7, align: 'right', priority: 0 },
  { id: 'label', header: 'Contract', width: 12, align: 'left', priority: 0, flex: true },
  { id: 'price', header: 'Price', width: 10, align: 'right', priority: 0 },
  { id: 'commission', header: 'Commission', width: 13, align: 'right', priority: 0 },
  { id: 'realized', header: 'Realized', width: 10, align: 'right', priority: 2 },
  { id: 'order', header: 'Order', width: 7, align: 'right', priority: 3 },
  { id: 'client', header: 'Client', width: 6, align: 'right', priority: 1 },
];

/** "20261123 14:32:05 US/Eastern" → "14:32:05" (TWS's own time string; the zone stays TWS's). */
export function execTime(time: string): string {
  const m = /(\d{1,2}:\d{2}:\d{2})/.exec(time);
  return m ? m[1]! : time;
}

const cache = new RowCache<ExecutionRow>();

function executionRow(e: ExecutionRow): RowVM {
  return cache.get(e, [], () => ({
    id: e.execId,
    kind: 'row',
    cells: {
      time: { text: execTime(e.time) },
      side: { text: e.side, slot: e.side === 'BOT' ? 'pnl.gain' : 'pnl.loss' },
      qty: { text: quantity(e.shares) },
      label: labelCell(e.contract),
      price: { text: contractPrice(e.price, e.contract, true) },
      commission: e.commission !== undefined ? { text: `${money(e.commission, 2)} ${e.commissionCurrency ?? ''}`.trim() } : { text: 'pending', slot: 'muted' },
      // In the commission report's currency (TWS reports both in it: a yen fill's +118,527.87 is yen). The column keeps
      // the figure alone, as 80 columns hold it; the detail view names the currency.
      realized:
        e.realizedPnl !== undefined
          ? {
              text: money(e.realizedPnl, 2, true),
              detail: `${money(e.realizedPnl, 2, true)} ${e.commissionCurrency ?? e.contract.currency}`,
              ...(e.realizedPnl.isNegative() ? { slot: 'pnl.loss' as const } : {}),
            }
          : { text: '' },
      order: { text: String(e.orderId) },
      client: { text: e.clientId === 0 ? 'TWS' : String(e.clientId) },
    },
  }));
}

export function executionsVM(state: PortfolioState, ui: ListUi, width: number, height: number): ListVM {
  const matches = filterMatcher(ui.filter);
  const rows = [...state.executions.values()].filter((e) => matches(`${contractLabel(e.contract)} ${e.side} ${e.execId} ${e.orderId}`));
  const key = (e: ExecutionRow): number | string | undefined =>
    ui.sort.key === 'symbol' ? contractLabel(e.contract) : ui.sort.key === 'commission' ? e.commission?.toNumber() : `${e.time}|${e.updatedAt}`;
  sortRows(rows, key, ui.sort.desc, (e) => e.execId);
  const display = rows.map((e) => ({ id: e.execId, kind: 'row' as const, e }));
  const win = windowRows(display, ui, height - 1, (d) => executionRow(d.e)); // one row for the column header
  const sort = EXECUTIONS_SORTS.find((s) => s.key === ui.sort.key) ?? EXECUTIONS_SORTS[0]!;
  // A figure is never cut: a yen fill's +118,527.62 widens the column (or, where the pane has no room, drops it for
  // the detail view), while dollar-sized figures keep 80 columns' layout.
  const realizedWidth = Math.max(0, ...rows.map((e) => (e.realizedPnl !== undefined ? money(e.realizedPnl, 2, true).length : 0)));
  const columns = EXECUTION_COLUMNS.map((c) => (c.id === 'realized' && realizedWidth > c.width ? { ...c, width: realizedWidth } : c));
  return listVM(
    'executions',
    listInfo([`${rows.length} ${rows.length === 1 ? 'fill' : 'fills'}`, sortInfo(sort.label, ui.sort.desc), ui.filter && `filter ${ui.filter}`]),
    fitColumns(columns, width),
    win,
    rows.length,
    ui.filter ? `No fill matches "${ui.filter}".` : 'No fills this session.',
    columns,
  );
}
