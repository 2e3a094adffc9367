// Sort orders per pane: the keys `sort.next` cycles through, in order, with the label the pane title shows.
import type { PaneId } from '../keymap/bindings.js';

export interface SortOption {
  readonly key: string;
  readonly label: string;
  /** Descending first (largest loss, newest) unless false. */
  readonly desc: boolean;
}

export const SORTS: { readonly [P in PaneId]: readonly SortOption[] } = {
  account: [{ key: 'table', label: 'table', desc: false }],
  positions: [
    { key: 'value', label: 'value', desc: true },
    { key: 'pnl', label: 'P&L', desc: false },
    { key: 'worst', label: 'worst-loss share', desc: true },
    { key: 'symbol', label: 'symbol', desc: false },
    { key: 'quantity', label: 'quantity', desc: true },
  ],
  stress: [
    { key: 'scenario', label: 'scenario', desc: false },
    { key: 'total', label: 'P&L', desc: false },
    { key: 'excess', label: 'excess liquidity', desc: false },
  ],
  orders: [
    { key: 'time', label: 'time', desc: true },
    { key: 'status', label: 'status', desc: false },
    { key: 'symbol', label: 'symbol', desc: false },
  ],
  executions: [
    { key: 'time', label: 'time', desc: true },
    { key: 'symbol', label: 'symbol', desc: false },
    { key: 'commission', label: 'commission', desc: true },
  ],
  alerts: [{ key: 'time', label: 'time', desc: true }],
};
