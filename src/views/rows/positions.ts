// The Positions pane: rows grouped by asset class or currency, with marks, values, P&L, greeks and stress share.
import { assetClassOf, contractLabel, exposureCurrency } from '../../model/contract.js';
import type { Decimal } from '../../model/money.js';
import type { OptionRow, PortfolioRow, PortfolioState, UnknownQuantityRow } from '../../model/state.js';
import { compactMoney, contractPrice, fitColumns, money, percent, quantity, type ColumnSpec } from '../format.js';
import type { SortOption } from '../list-sorts.js';
import type { StressModel } from '../../session/stress-model.js';
import type { ModelGreeks } from '../../risk/model-greeks.js';
import type { ListUi } from '../ui-state.js';
import { RowCache, filterMatcher, labelCell, listInfo, listVM, sortInfo, sortRows, windowRows, type Cell, type ListVM, type RowVM } from './common.js';

/** The orders `sort.next` cycles through on this pane, the first being the default. */
export const POSITIONS_SORTS: readonly SortOption[] = [
  // By size whatever the side (a short's −71,400 before a long's 48,925): the bars say so, which "value" did not. In
  // ASCII the bars would read as the title's separators (`·` is drawn `|`), so words there.
  { key: 'value', label: '|value|', asciiLabel: 'abs value', desc: true },
  { key: 'pnl', label: 'P&L', desc: false },
  { key: 'worst', label: 'worst-loss share', desc: true },
  { key: 'symbol', label: 'symbol', desc: false },
  { key: 'quantity', label: 'quantity', desc: true },
];

/** Columns by priority: at 80 columns the label, quantity, value in base, P&L and stress share stay. */
/*
 * Narrow widths drop the highest priority number first. The worst-case loss (Worst%) is the console's question, so it
 * is the last to go; then the P&L; the mark before them (the value beside it carries the size); the descriptive
 * columns (local value, class, currency) and the option greeks go first.
 */
export const POSITION_COLUMNS: readonly ColumnSpec[] = [
  { id: 'label', header: 'Position', width: 19, align: 'left', priority: 0, flex: true },
  { id: 'class', header: 'Class', width: 5, align: 'left', priority: 6 },
  { id: 'ccy', header: 'Ccy', width: 3, align: 'left', priority: 5 },
  { id: 'qty', header: 'Qty', width: 8, align: 'right', priority: 0 },
  { id: 'mark', header: 'Mark', width: 10, align: 'right', priority: 3 },
  { id: 'local', header: 'Local value', width: 12, align: 'right', priority: 7 },
  { id: 'base', header: 'Value base', width: 11, align: 'right', priority: 0 },
  { id: 'pnl', header: 'Unrl P&L', width: 10, align: 'right', priority: 2 },
  { id: 'delta', header: 'Delta', width: 6, align: 'right', priority: 4 },
  { id: 'iv', header: 'IV', width: 6, align: 'right', priority: 4 },
  { id: 'worst', header: 'Worst%', width: 6, align: 'right', priority: 1 },
  { id: 'flag', header: 'Flag', width: 8, align: 'left', priority: 0 },
];

/** What a row shows and sorts by, derived once per PORTFOLIO_VALUE row and FX rate (the reducer keeps row identity). */
interface RowFacts {
  readonly id: string;
  readonly kind: 'row';
  readonly row: PortfolioRow;
  readonly label: string;
  readonly labelCell: Cell;
  readonly cls: string;
  /** What the filter searches. */
  readonly haystack: string;
  readonly baseValue?: Decimal;
  readonly pnlBase?: Decimal;
  /** Sort keys as numbers, so a sort never touches Decimal. */
  readonly absValue?: number;
  readonly pnlNumber?: number;
  readonly absQuantity: number;
}

interface PositionFacts extends RowFacts {
  readonly share?: number;
  readonly unpriced?: string;
}

const cache = new RowCache<PortfolioRow>();
const factsCache = new WeakMap<PortfolioRow, { rate: Decimal | undefined; facts: RowFacts }>();

function rowFacts(row: PortfolioRow, rate: Decimal | undefined): RowFacts {
  const hit = factsCache.get(row);
  if (hit && hit.rate === rate) return hit.facts;
  const c = row.contract;
  const label = contractLabel(c);
  const cls = assetClassOf(c.secType) === 'UNKNOWN' ? c.secType || '?' : c.secType;
  const baseValue = rate && row.marketValue ? row.marketValue.mul(rate) : undefined;
  const pnlBase = rate && row.unrealizedPnl ? row.unrealizedPnl.mul(rate) : undefined;
  const facts: RowFacts = {
    id: String(c.conId),
    kind: 'row',
    row,
    label,
    labelCell: labelCell(c),
    cls,
    haystack: `${label} ${c.symbol} ${c.localSymbol ?? ''} ${cls} ${c.currency}`,
    ...(baseValue ? { baseValue, absValue: baseValue.abs().toNumber() } : {}),
    ...(pnlBase ? { pnlBase, pnlNumber: pnlBase.toNumber() } : {}),
    absQuantity: row.position.abs().toNumber(),
  };
  factsCache.set(row, { rate, facts });
  return facts;
}

function isOption(secType: string): boolean {
  return secType === 'OPT' || secType === 'FOP' || secType === 'WAR';
}

/**
 * The Delta cell: our lattice model's delta with an `m` after it where the engine prices the option on its cash
 * dividends (American stock option, dividend before expiry), else TWS's own. Enter shows both and their source.
 */
function deltaText(opt: boolean, option: OptionRow | undefined, model: ModelGreeks | undefined): string {
  if (!opt) return '';
  if (model) return `${model.delta.toFixed(2)}m`;
  return option?.delta !== undefined ? option.delta.toFixed(2) : '';
}

function positionRow(f: PositionFacts, option: OptionRow | undefined, rate: Decimal | undefined, model: ModelGreeks | undefined): RowVM {
  return cache.get(f.row, [option, rate, f.share, f.unpriced, model], () => {
    const c = f.row.contract;
    const opt = isOption(c.secType);
    const pnl = f.pnlBase;
    return {
      id: f.id,
      kind: 'row',
      cells: {
        label: f.labelCell,
        class: { text: f.cls, slot: 'muted' },
        ccy: { text: c.currency, slot: 'muted' },
        qty: { text: quantity(f.row.position), ...(f.row.position.isNegative() ? { slot: 'pnl.loss' as const } : {}) },
        mark: { text: contractPrice(f.row.marketPrice, c) },
        local: { text: money(f.row.marketValue), slot: 'muted' },
        base: { text: f.baseValue === undefined ? 'no rate' : money(f.baseValue), ...(f.baseValue === undefined ? { slot: 'data.stale' as const } : {}) },
        pnl: {
          text: pnl === undefined ? '-' : compactMoney(pnl, true),
          ...(pnl ? { slot: pnl.isNegative() ? ('pnl.loss' as const) : ('pnl.gain' as const) } : {}),
        },
        delta: { text: deltaText(opt, option, model) },
        iv: { text: opt && option?.impliedVol !== undefined ? percent(option.impliedVol, 1) : opt ? 'no IV' : '' },
        worst: { text: f.share === undefined ? '' : percent(f.share, 0), ...(f.share !== undefined && f.share >= 0.25 ? { slot: 'risk.warn' as const } : {}) },
        flag: f.unpriced ? { text: 'UNPRICED', slot: 'data.unpriced' } : { text: '' },
      },
    };
  });
}

/**
 * Positions whose quantity TWS did not give, one per contract (the portfolio stream's entry first, it has the mark):
 * shown with `?` and a flag, never valued, never in a total.
 */
function unknownRows(state: PortfolioState): UnknownQuantityRow[] {
  const byConId = new Map<number, UnknownQuantityRow>();
  for (const r of state.unknownQuantities.values()) {
    const had = byConId.get(r.contract.conId);
    if (!had || (had.stream === 'positions' && r.stream === 'portfolio')) byConId.set(r.contract.conId, r);
  }
  return [...byConId.values()].sort((a, b) => a.contract.conId - b.contract.conId);
}

function unknownRowVM(r: UnknownQuantityRow): RowVM {
  const c = r.contract;
  const cls = assetClassOf(c.secType) === 'UNKNOWN' ? c.secType || '?' : c.secType;
  return {
    id: `unknown:${c.conId}`,
    kind: 'row',
    cells: {
      label: labelCell(c),
      class: { text: cls, slot: 'muted' },
      ccy: { text: c.currency, slot: 'muted' },
      qty: { text: '?', slot: 'risk.warn' },
      mark: { text: contractPrice(r.marketPrice, c) },
      local: { text: '-', slot: 'muted' },
      base: { text: 'excluded', slot: 'data.stale' },
      pnl: { text: '-' },
      delta: { text: '' },
      iv: { text: '' },
      worst: { text: '' },
      flag: { text: 'UNKNOWN QTY', slot: 'risk.warn' },
    },
  };
}

/** Why a position cannot be valued: the engine's reason, or no mark from TWS. */
function unpricedReason(row: PortfolioRow, stress: StressModel | undefined): string | undefined {
  return stress?.unpriced.get(row.contract.conId) ?? (row.marketPrice === undefined ? 'no mark from TWS' : undefined);
}

export function positionsVM(
  state: PortfolioState,
  stress: StressModel | undefined,
  ui: ListUi,
  group: 'class' | 'currency',
  width: number,
  height: number,
): ListVM {
  const base = state.baseCurrency;
  const matches = filterMatcher(ui.filter);
  const facts: PositionFacts[] = [];
  for (const row of state.portfolio.values()) {
    const f = rowFacts(row, base ? state.fxRates.get(row.contract.currency) : undefined);
    if (!matches(f.haystack)) continue;
    const share = stress?.shareOfWorst.get(row.contract.conId);
    const unpriced = unpricedReason(row, stress);
    facts.push(share === undefined && unpriced === undefined ? f : { ...f, ...(share !== undefined ? { share } : {}), ...(unpriced ? { unpriced } : {}) });
  }
  const sortKey = (f: PositionFacts): number | string | undefined => {
    switch (ui.sort.key) {
      case 'pnl':
        return f.pnlNumber;
      case 'worst':
        return f.share;
      case 'symbol':
        return f.label;
      case 'quantity':
        return f.absQuantity;
      default:
        return f.absValue;
    }
  };
  sortRows(facts, sortKey, ui.sort.desc, (f) => f.id);
  const groups = new Map<string, PositionFacts[]>();
  for (const f of facts) {
    const k = group === 'class' ? f.cls : exposureCurrency(f.row.contract);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(f);
  }
  const unknownGroups = new Map<string, RowVM[]>();
  let unknownCount = 0;
  for (const r of unknownRows(state)) {
    const vm = unknownRowVM(r);
    if (!matches(`${vm.cells.label!.text} ${r.contract.symbol} ${r.contract.localSymbol ?? ''} ${vm.cells.class!.text} ${r.contract.currency} UNKNOWN`))
      continue;
    const k = group === 'class' ? vm.cells.class!.text : exposureCurrency(r.contract);
    let g = unknownGroups.get(k);
    if (!g) unknownGroups.set(k, (g = []));
    g.push(vm);
    unknownCount++;
    if (!groups.has(k)) groups.set(k, []);
  }
  const display: (RowVM | PositionFacts)[] = [];
  for (const k of [...groups.keys()].sort()) {
    const members = groups.get(k)!;
    const unknown = unknownGroups.get(k) ?? [];
    const total = members.reduce<Decimal | undefined>((sum, f) => (f.baseValue === undefined ? sum : sum ? sum.add(f.baseValue) : f.baseValue), undefined);
    const unpriced = members.filter((f) => f.unpriced).length;
    display.push({
      id: `group:${k}`,
      kind: 'group',
      cells: {},
      label:
        `${k} · ${members.length + unknown.length} · ${total ? `${money(total)} ${base ?? ''}` : 'no value'}${unpriced ? ` · ${unpriced} UNPRICED` : ''}` +
        (unknown.length ? ` · ${unknown.length} UNKNOWN QTY not in totals or risk` : ''),
      slot: 'heading',
    });
    display.push(...members, ...unknown);
  }
  const toRow = (d: (typeof display)[number]): RowVM =>
    'cells' in d
      ? d
      : positionRow(
          d,
          state.options.get(d.row.contract.conId),
          base ? state.fxRates.get(d.row.contract.currency) : undefined,
          stress?.modelGreeks.get(d.row.contract.conId),
        );
  const specs = base ? POSITION_COLUMNS.map((c) => (c.id === 'base' ? { ...c, header: `Value ${base}` } : c)) : POSITION_COLUMNS;
  const columns = fitColumns(specs, width);
  const win = windowRows(display, ui, height - 1, toRow); // one row for the column header
  const sort = POSITIONS_SORTS.find((s) => s.key === ui.sort.key) ?? POSITIONS_SORTS[0]!;
  return listVM(
    'positions',
    listInfo([
      `${facts.length + unknownCount}${ui.filter ? ` of ${state.portfolio.size + unknownRows(state).length}` : ''}`,
      unknownCount > 0 && `${unknownCount} UNKNOWN QTY`,
      `by ${group === 'class' ? 'class' : 'currency'}`,
      sortInfo(sort.label, ui.sort.desc, sort.asciiLabel),
      ui.filter && `filter ${ui.filter}`,
    ]),
    columns,
    win,
    facts.length + unknownCount,
    ui.filter ? `No position matches "${ui.filter}".` : state.complete.positions ? 'No positions.' : 'Waiting for the positions snapshot.',
    specs,
  );
}
