// The Accounts pane (several accounts followed): one row per account and the aggregate row "all".
import type { Decimal } from '../../model/money.js';
import { ALL_ACCOUNTS } from '../../risk/aggregate.js';
import type { AccountRow, AccountsView } from '../../session/accounts.js';
import { fitColumns, money, type ColumnSpec } from '../format.js';
import type { Slot } from '../theme.js';
import type { ListUi } from '../ui-state.js';
import { listInfo, listVM, windowRows, type Cell, type ListVM, type RowVM } from './common.js';

export const ACCOUNT_COLUMNS: readonly ColumnSpec[] = [
  { id: 'mark', header: ' ', width: 1, align: 'left', priority: 0 },
  { id: 'account', header: 'Account', width: 10, align: 'left', priority: 0, flex: true },
  { id: 'health', header: 'Health', width: 8, align: 'left', priority: 1 },
  { id: 'nlv', header: 'NLV', width: 14, align: 'right', priority: 0 },
  { id: 'excess', header: 'Excess liq', width: 14, align: 'right', priority: 1 },
  { id: 'cushion', header: 'Cushion', width: 7, align: 'right', priority: 0 },
  { id: 'stress', header: 'Worst stress', width: 14, align: 'right', priority: 2 },
  { id: 'alerts', header: 'Alerts', width: 9, align: 'left', priority: 0 },
];

const inCcy = (v: Decimal | undefined, ccy: string | undefined): string => (v === undefined ? 'n/a' : `${money(v, 0)} ${ccy ?? ''}`.trim());
const pct = (v: Decimal | undefined): string => (v === undefined ? 'n/a' : `${v.mul(100).toFixed(1)}%`);

function alertCell(r: Pick<AccountRow, 'alerts' | 'worstSeverity'>): Cell {
  if (r.alerts === 0) return { text: 'none', slot: 'muted' };
  const slot: Slot = r.worstSeverity === 'critical' ? 'risk.breach' : r.worstSeverity === 'warning' ? 'risk.warn' : 'muted';
  const word = r.worstSeverity === 'critical' ? 'CRIT' : r.worstSeverity === 'warning' ? 'WARN' : 'info';
  return { text: `${r.alerts} ${word}`, slot };
}

function accountRow(r: AccountRow, view: AccountsView): RowVM {
  return {
    id: r.account,
    kind: 'row',
    cells: {
      // The mark says which account the other panes show, without relying on colour.
      mark: { text: view.shown === r.account ? '●' : ' ' },
      account: { text: r.account },
      health: { text: r.health.toUpperCase(), ...(r.health === 'ready' ? {} : { slot: 'data.stale' as const }) },
      nlv: { text: inCcy(r.netLiquidation, r.baseCurrency) },
      excess: { text: inCcy(r.excessLiquidity, r.baseCurrency), ...(r.excessLiquidity?.isNegative() ? { slot: 'pnl.loss' as const } : {}) },
      cushion: { text: pct(r.cushion) },
      stress: { text: r.worstStress ? money(r.worstStress.pnl, 0, true) : 'n/a', ...(r.worstStress?.pnl.isNegative() ? { slot: 'pnl.loss' as const } : {}) },
      alerts: alertCell(r),
    },
  };
}

function aggregateRow(view: AccountsView): RowVM {
  const a = view.aggregate;
  const ccy = a.baseCurrency;
  const alerts = view.rows.reduce((n, r) => n + r.alerts, 0);
  const worst = view.alerts[0]?.alert.severity;
  return {
    id: ALL_ACCOUNTS,
    kind: 'row',
    cells: {
      mark: { text: view.selected === ALL_ACCOUNTS ? '●' : ' ' },
      account: { text: `all (${view.rows.length})` },
      health: { text: view.rows.every((r) => r.health === 'ready') ? 'READY' : 'MIXED' },
      nlv: { text: inCcy(a.netLiquidation, ccy) },
      excess: { text: inCcy(a.excessLiquidity, ccy), ...(a.excessLiquidity?.isNegative() ? { slot: 'pnl.loss' as const } : {}) },
      cushion: { text: a.worstCushion ? `${pct(a.worstCushion.cushion)}` : 'n/a' },
      stress: { text: a.worstStress ? money(a.worstStress.pnl, 0, true) : 'n/a', ...(a.worstStress?.pnl.isNegative() ? { slot: 'pnl.loss' as const } : {}) },
      alerts: alertCell({ alerts, ...(worst ? { worstSeverity: worst } : {}) }),
    },
  };
}

/** The rows (every account, then "all": sums in the first account's base currency, worst cushion, worst stress). */
export function accountsVM(view: AccountsView, ui: ListUi, width: number, height: number): ListVM {
  const display = [...view.rows.map((r) => ({ id: r.account, kind: 'row' as const, r })), { id: ALL_ACCOUNTS, kind: 'row' as const, r: undefined }];
  const win = windowRows(display, ui, height - 1, (d) => (d.r ? accountRow(d.r, view) : aggregateRow(view)));
  const a = view.aggregate;
  const info = listInfo([
    `${view.rows.length} accounts`,
    view.selected === ALL_ACCOUNTS ? `all selected, panes show ${view.shown ?? 'none'}` : `showing ${view.selected}`,
    a.worstCushion && `worst cushion ${a.worstCushion.account}`,
    a.problems.length > 0 && `${a.problems.length} note(s): ${a.problems[0]}`,
  ]);
  return listVM('accounts', info, fitColumns(ACCOUNT_COLUMNS, width), win, display.length, 'No account known yet.', ACCOUNT_COLUMNS);
}
