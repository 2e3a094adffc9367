// The Account pane: TWS's balances and requirements per segment, our estimate beside them, ages, and the margin band.
import { accountValue } from '../../model/account-values.js';
import type { Decimal } from '../../model/money.js';
import type { AccountValue, PortfolioState, Segment } from '../../model/state.js';
import { age, fitColumns, fxRate, money, percent, type ColumnSpec } from '../format.js';
import type { StressModel } from '../../session/stress-model.js';
import type { Slot } from '../theme.js';
import type { RowVM } from './common.js';

/*
 * Bands follow TWS's Account window (risk-model.md §1.3): yellow within 5% of the requirement, orange when the
 * cushion is depleted, red at liquidation; IBKR's own warning fires at ELV ≤ 110% of maintenance (§0.2). Each band
 * is a word in the pane, the slot only adds colour.
 */
export type MarginBand = 'ok' | 'warn' | 'near' | 'depleted' | 'breach' | 'unknown' | 'unreadable';

export const BAND_WORDS: Readonly<Record<MarginBand, string>> = {
  ok: 'OK',
  warn: 'WARN ≤110% of maintenance',
  near: 'WITHIN 5% of maintenance',
  depleted: 'DEPLETED cushion',
  breach: 'BREACH liquidation',
  unknown: 'no requirement yet',
  unreadable: 'UNKNOWN: TWS sent a value that is not a number',
};

export const BAND_SLOTS: Readonly<Record<MarginBand, Slot>> = {
  ok: 'risk.ok',
  warn: 'risk.warn',
  near: 'risk.warn',
  depleted: 'risk.breach',
  breach: 'risk.breach',
  unknown: 'muted',
  unreadable: 'risk.warn',
};

/** The band of EquityWithLoanValue against maintenance: breach below it, depleted within 1%, near within 5%, warn within 10%. */
export function marginBand(elv: Decimal | undefined, maint: Decimal | undefined): MarginBand {
  if (elv === undefined || maint === undefined) return 'unknown';
  if (maint.isZero()) return elv.isNegative() ? 'breach' : 'ok';
  const ratio = elv.div(maint).toNumber();
  if (ratio < 1) return 'breach';
  if (ratio <= 1.01) return 'depleted';
  if (ratio <= 1.05) return 'near';
  if (ratio <= 1.1) return 'warn';
  return 'ok';
}

const ROWS: readonly { tag: string; label: string; estimate?: 'netLiquidation' | 'maintMargin' | 'initMargin' }[] = [
  { tag: 'NetLiquidation', label: 'Net liquidation', estimate: 'netLiquidation' },
  { tag: 'EquityWithLoanValue', label: 'Equity with loan' },
  { tag: 'MaintMarginReq', label: 'Maintenance margin', estimate: 'maintMargin' },
  { tag: 'InitMarginReq', label: 'Initial margin', estimate: 'initMargin' },
  { tag: 'ExcessLiquidity', label: 'Excess liquidity' },
  { tag: 'AvailableFunds', label: 'Available funds' },
];

export const ACCOUNT_COLUMNS: readonly ColumnSpec[] = [
  { id: 'label', header: 'Account', width: 16, align: 'left', priority: 0, flex: true },
  { id: 'total', header: 'Reported', width: 12, align: 'right', priority: 0 },
  { id: 'S', header: 'Securities', width: 11, align: 'right', priority: 3 },
  { id: 'C', header: 'Commodities', width: 11, align: 'right', priority: 3 },
  { id: 'estimate', header: 'Our estimate', width: 12, align: 'right', priority: 1 },
  { id: 'age', header: 'Age', width: 5, align: 'right', priority: 2 },
];

/** The row from account updates, else from the account summary (two streams, never merged into one number). */
export function accountRow(state: PortfolioState, tag: string, currency: string, segment?: Segment): AccountValue | undefined {
  return accountValue(state, tag, currency, segment) ?? accountValue(state, tag, currency, segment, 'accountSummary');
}

/** A numeric row TWS sent whose text is not a number ("abc", "", NaN, a sentinel): unknown, never a value. */
export function unreadable(v: AccountValue | undefined): boolean {
  return v !== undefined && v.value === undefined;
}

/** Tags the band and the cushion are read from: if one is unreadable, neither may say OK. */
const BAND_TAGS: readonly (readonly [string, boolean])[] = [
  ['EquityWithLoanValue', true],
  ['MaintMarginReq', true],
  ['ExcessLiquidity', true],
  ['NetLiquidation', true],
  ['Cushion', false],
];

export interface AccountVM {
  readonly columns: readonly ColumnSpec[];
  readonly rows: readonly RowVM[];
  readonly band: MarginBand;
  readonly bandText: string;
  readonly cushion: string;
  /** Cash per currency: "EUR 95,000.00 ×1.08001". */
  readonly cash: readonly RowVM[];
  readonly cashColumns: readonly ColumnSpec[];
  readonly empty?: string;
}

export const CASH_COLUMNS: readonly ColumnSpec[] = [
  { id: 'ccy', header: 'Cash', width: 5, align: 'left', priority: 0 },
  { id: 'cash', header: 'Balance', width: 16, align: 'right', priority: 0 },
  { id: 'rate', header: 'Rate', width: 11, align: 'right', priority: 1 },
  { id: 'base', header: 'In base', width: 12, align: 'right', priority: 2, flex: true },
];

/** The cash balance per currency TWS reported (not the BASE total nor a segment's). */
function cashBalances(state: PortfolioState): (AccountValue & { readonly value: Decimal })[] {
  const out: (AccountValue & { readonly value: Decimal })[] = [];
  for (const v of state.accountValues.values()) {
    if (v.tag !== 'CashBalance' || v.segment || !v.currency || v.currency === 'BASE' || !v.value) continue;
    out.push(v as AccountValue & { readonly value: Decimal });
  }
  return out;
}

/**
 * Rows the Account pane's content fills (AccountPane): the header, a row per figure, the cushion line, then the
 * cash header and a row per currency; one line while the download has not named the base currency.
 */
export function accountRowsWanted(state: PortfolioState): number {
  if (!state.baseCurrency) return 1;
  // Asked every frame (the layout reads it); the reducer keeps the map's identity while no account value changes.
  let cash = cashCounts.get(state.accountValues);
  if (cash === undefined) {
    cash = cashBalances(state).length;
    cashCounts.set(state.accountValues, cash);
  }
  return 1 + ROWS.length + 1 + (cash > 0 ? 1 + cash : 0);
}

const cashCounts = new WeakMap<PortfolioState['accountValues'], number>();

export function accountVM(state: PortfolioState, stress: StressModel | undefined, width: number, now: number): AccountVM {
  const base = state.baseCurrency;
  const columns = fitColumns(ACCOUNT_COLUMNS, width);
  if (!base) {
    return {
      columns,
      rows: [],
      band: 'unknown',
      bandText: BAND_WORDS.unknown,
      cushion: '-',
      cash: [],
      cashColumns: [],
      empty: 'Waiting for the account download (NetLiquidation names the base currency).',
    };
  }
  const rows: RowVM[] = ROWS.map((r) => {
    const total = accountRow(state, r.tag, base);
    const s = accountRow(state, r.tag, base, 'S');
    const c = accountRow(state, r.tag, base, 'C');
    const est = r.estimate && stress ? stress.estimates[r.estimate] : undefined;
    const newest = Math.max(total?.updatedAt ?? -Infinity, s?.updatedAt ?? -Infinity, c?.updatedAt ?? -Infinity);
    return {
      id: r.tag,
      kind: 'row',
      cells: {
        label: { text: r.label },
        total: unreadable(total) ? { text: '?', slot: 'risk.warn' } : { text: money(total?.value) },
        S: unreadable(s) ? { text: '?', slot: 'risk.warn' } : { text: money(s?.value), slot: 'muted' },
        C: unreadable(c) ? { text: '?', slot: 'risk.warn' } : { text: money(c?.value), slot: 'muted' },
        estimate: { text: est === undefined ? '-' : money(est), slot: 'muted' },
        age: { text: Number.isFinite(newest) ? age(now - newest) : '-', slot: 'muted' },
      },
    };
  });
  const elv = accountRow(state, 'EquityWithLoanValue', base)?.value;
  const maint = accountRow(state, 'MaintMarginReq', base)?.value;
  const cushionRow = accountRow(state, 'Cushion', '');
  const cushion = cushionRow?.value;
  const bad = BAND_TAGS.some(([tag, inBase]) => unreadable(accountRow(state, tag, inBase ? base : '')));
  // An unreadable input never leaves the band at OK (nor at "no requirement yet"); a worse band it found stays.
  const found = marginBand(elv, maint);
  const band: MarginBand = bad && (found === 'ok' || found === 'unknown') ? 'unreadable' : found;
  const cash: RowVM[] = [];
  for (const v of cashBalances(state)) {
    const rate = state.fxRates.get(v.currency);
    cash.push({
      id: `cash:${v.currency}`,
      kind: 'row',
      cells: {
        ccy: { text: v.currency },
        cash: { text: money(v.value, 2), ...(v.value.isNegative() ? { slot: 'pnl.loss' as const } : {}) },
        rate: { text: rate ? `×${fxRate(rate)}` : 'no rate', ...(rate ? {} : { slot: 'data.stale' as const }) },
        base: { text: rate ? `${money(v.value.mul(rate))} ${base}` : '-', slot: 'muted' },
      },
    });
  }
  cash.sort((a, b) => (a.id < b.id ? -1 : 1));
  return {
    columns,
    rows,
    band,
    bandText: BAND_WORDS[band],
    cushion: unreadable(cushionRow) ? '? unknown' : cushion === undefined ? '-' : percent(cushion),
    cash,
    cashColumns: fitColumns(CASH_COLUMNS, width),
  };
}
