// The detail view (Enter on a row): every field of the selected row in full, wrapped to the width, never cut.
import { alertTitleAt, type Alert, type ReductionTarget } from '../../risk/alerts/index.js';
import type { JsonValue } from '../../model/events.js';
import type { ModelGreeks } from '../../risk/model-greeks.js';
import type { OptionRow } from '../../model/state.js';
import { clock, duration, money, percent, textWidth, wrap, type ColumnSpec } from '../format.js';
import type { Slot } from '../theme.js';
import type { PaneVM } from '../view-model.js';
import type { ConsoleSnapshot } from '../store.js';
import type { Cell, ListVM, RowVM } from './common.js';
import { byNearest, distanceText } from './stress.js';

/*
 * Issue 16 item 8: a table cuts cells to fit ("…"); nothing important may be cut without a way to read it. The
 * detail is captured when it opens (the row may re-sort or vanish underneath); its lines hold the raw text, and the
 * view model wraps them to whatever width the terminal has (`detailVM`), neutralising control characters on the way.
 */

/** A field (`label` then its value) or, without a label, a line of its own; `heading` starts a section. */
export interface DetailLine {
  readonly label?: string;
  readonly text: string;
  readonly slot?: Slot;
  readonly heading?: boolean;
}

export interface Detail {
  readonly title: string;
  readonly lines: readonly DetailLine[];
}

/** The selected row's cells under their headers, every column (those the width dropped too). */
function rowFields(list: Pick<ListVM, 'columns' | 'allColumns'>, row: RowVM): DetailLine[] {
  const columns: readonly ColumnSpec[] = list.allColumns ?? list.columns;
  return columns.flatMap((c) => {
    const cell = row.cells[c.id];
    if (!cell || cell.text.trim() === '') return [];
    return [{ label: c.header.trim() === '' ? c.id : c.header.trim(), text: cell.detail ?? cell.text, ...(cell.slot ? { slot: cell.slot } : {}) }];
  });
}

function selectedRow(list: ListVM): RowVM | undefined {
  return list.rows.find((r) => r.kind === 'row' && r.id === list.selectedId);
}

/** How a number in an alert's detail reads: a time of day, a duration, a share or move in percent, a multiple. */
type FieldKind = 'time' | 'duration' | 'percent' | 'move' | 'times';

/**
 * The rules' number fields by their name (src/risk/alerts/rules): epoch times, durations in ms, fractions (a Cushion,
 * a share of NetLiquidation, a limit on either), relative moves (a margin jump, a distance to liquidation) and ratios
 * (EquityWithLoanValue over maintenance, a calibration factor). The raw 0.5784578503700708 or 1796639185557 read as
 * nothing to an operator.
 */
const FIELD_KINDS: Readonly<Record<string, FieldKind>> = {
  at: 'time',
  since: 'time',
  lastAt: 'time',
  lastUpdate: 'time',
  anchorAt: 'time',
  ageMs: 'duration',
  limitMs: 'duration',
  cushion: 'percent',
  share: 'percent',
  threshold: 'percent',
  reported: 'move',
  estimate: 'move',
  unexplained: 'move',
  nearest: 'move',
  down: 'move',
  up: 'move',
  ratio: 'times',
  limit: 'times',
  factor: 'times',
};

/** Fields whose name means otherwise under one rule: margin.jump's calibration limit is a multiple ("limit 2×"). */
const RULE_FIELD_KINDS: Readonly<Record<string, Readonly<Record<string, FieldKind>>>> = { 'margin.jump': { 'factor.threshold': 'times' } };

/** One leaf of an alert's detail as a person reads it; amounts and quantities (decimal strings) grouped. */
function fieldText(rule: string, path: string, value: string | number | boolean): string {
  if (typeof value === 'number') {
    const kind = RULE_FIELD_KINDS[rule]?.[path] ?? FIELD_KINDS[path.slice(path.lastIndexOf('.') + 1)];
    if (!Number.isFinite(value)) return String(value);
    switch (kind) {
      case 'time':
        return clock(value);
      case 'duration':
        return duration(value);
      case 'percent':
        return percent(value, 1);
      case 'move':
        return percent(value, 1, true);
      case 'times':
        return `${Number(value.toFixed(3))}×`;
      default:
        return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
    }
  }
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return money(Number(value), Math.min(2, value.split('.')[1]?.length ?? 0));
  return String(value);
}

/**
 * Names for fields whose dotted key reads as nothing to an operator, and words for their coded values (user trial:
 * `factor.kind: Initial`, `factor.scope: C`, `factor.factor: 3.808×`). The recorded detail keeps its keys
 * (docs/alerts.md); only the view names them. margin.jump's calibration is reported ÷ our rules-based estimate per
 * segment: C is the commodities segment, S the securities one, total the whole account (src/risk/margin.ts).
 */
const RULE_FIELD_LABELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'margin.jump': {
    'factor.kind': 'requirement',
    'factor.scope': 'segment',
    'factor.reported': 'reported by TWS',
    'factor.estimated': 'our estimate',
    'factor.factor': 'reported / our estimate',
    'factor.threshold': 'limit',
  },
};
const RULE_FIELD_VALUES: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, string>>>>>> = {
  'margin.jump': {
    'factor.kind': { Initial: 'initial margin', Maintenance: 'maintenance margin' },
    'factor.scope': { C: 'commodities', S: 'securities', total: 'total (the whole account)' },
  },
};

/** An alert's detail (a JSON value from the rule) as fields: nested keys are joined with dots, values as people read them. */
function jsonFields(rule: string, value: JsonValue, prefix = ''): DetailLine[] {
  if (value === null || typeof value !== 'object')
    return value === null
      ? []
      : [
          {
            label: RULE_FIELD_LABELS[rule]?.[prefix] ?? (prefix || 'detail'),
            text: RULE_FIELD_VALUES[rule]?.[prefix]?.[String(value)] ?? fieldText(rule, prefix, value),
          },
        ];
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return [{ label: prefix || 'detail', text: value.map(String).join(', ') }];
    return value.flatMap((v, i) => jsonFields(rule, v, `${prefix}[${i}]`));
  }
  return Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : jsonFields(rule, v, prefix ? `${prefix}.${k}` : k)));
}

/** What a leverage reduction would have to reach (the reduce dialog's target), in words rather than its JSON. */
function reductionText(r: ReductionTarget): string {
  switch (r.kind) {
    case 'cushion':
      return `Cushion back to ${percent(r.min)} or more`;
    case 'stressedCushion':
      return `stressed Cushion back to ${percent(r.min)} or more${r.families && r.families.length > 0 ? ` (${r.families.join(', ')})` : ''}`;
    case 'excessLiquidity':
      return `ExcessLiquidity back to ${money(r.min)} or more`;
    case 'equityToMaint':
      return `EquityWithLoanValue back to ${Number(r.min.toFixed(3))}× maintenance or more`;
    case 'liquidationDistance':
      return `${r.key} at least ${percent(r.min)} from liquidation`;
    case 'concentration':
      return `${r.underlying} down to ${percent(r.max)} of gross or less`;
  }
}

function alertFields(alerts: readonly Alert[], shown: readonly Cell[], now: number): DetailLine[] {
  const out: DetailLine[] = [{ text: 'Alerts', heading: true }];
  // The pane's lines (alerts, then notices) in full; each engine alert then with its rule's detail.
  for (const c of shown) out.push({ text: c.text, ...(c.slot ? { slot: c.slot } : {}) });
  for (const a of alerts) {
    out.push({ text: `${a.severity.toUpperCase()} ${alertTitleAt(a, now)}`, heading: true });
    out.push({ label: 'rule', text: a.rule }, ...jsonFields(a.rule, a.detail));
    if (a.reduction) out.push({ label: 'reduction', text: reductionText(a.reduction) });
  }
  return out;
}

const greek = (v: number | undefined, places: number) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(places));

/** Where model greeks come from, as the detail names it: "model (lattice, div 0.23 on 2027-02-19)". */
export function modelGreeksSource(g: ModelGreeks): string {
  const divs = g.dividends.map((d) => `${d.amount} on ${d.exDate}${d.projected ? ' (projected)' : ''}`).join(' + ');
  return `model (lattice, div ${divs}${g.from === 'settings' ? ', settings' : ''})`;
}

/**
 * An option position's greeks with their source: our lattice model's (bump-and-reprice, docs/stress-model.md) where
 * the engine prices it on its cash dividends, TWS's otherwise; with the model's, TWS's delta beside it.
 */
function greekLines(model: ModelGreeks | undefined, tws: OptionRow | undefined): DetailLine[] {
  if (!model && !tws) return [];
  const out: DetailLine[] = [{ text: 'Greeks', heading: true }];
  if (model) {
    out.push(
      { label: 'Source', text: modelGreeksSource(model) },
      { label: 'Delta', text: greek(model.delta, 4) },
      { label: 'Gamma', text: greek(model.gamma, 4) },
      { label: 'Vega', text: `${greek(model.vega, 4)} per vol point` },
      { label: 'Theta', text: `${greek(model.theta, 4)} per day` },
      { label: 'Model price', text: greek(model.price, 4) },
      { label: 'TWS delta', text: `${greek(tws?.delta, 4)} (TWS, escrowed dividends)` },
    );
    return out;
  }
  out.push(
    { label: 'Source', text: 'TWS' },
    { label: 'Delta', text: greek(tws?.delta, 4) },
    { label: 'Gamma', text: greek(tws?.gamma, 4) },
    { label: 'Vega', text: `${greek(tws?.vega, 4)} per vol point` },
    { label: 'Theta', text: `${greek(tws?.theta, 4)} per day` },
  );
  return out;
}

/** The greeks section of a position's detail, for option rows of the Positions pane. */
function positionGreeks(snapshot: ConsoleSnapshot, rowId: string): DetailLine[] {
  const conId = Number(rowId);
  const row = Number.isInteger(conId) ? snapshot.state.portfolio.get(conId) : undefined;
  const secType = row?.contract.secType;
  if (secType !== 'OPT' && secType !== 'FOP' && secType !== 'WAR') return [];
  const model = snapshot.risk?.ok ? snapshot.risk.model.modelGreeks.get(conId) : undefined;
  return greekLines(model, snapshot.state.options.get(conId));
}

/**
 * What Enter shows for the focused pane: the selected row of a list, the scenario with its liquidation distances,
 * the log line with every alert, or the whole account. Undefined when there is nothing to show (an empty list).
 */
export function paneDetail(vm: PaneVM, snapshot: ConsoleSnapshot): Detail | undefined {
  switch (vm.kind) {
    case 'list': {
      const row = selectedRow(vm.list);
      return row
        ? {
            title: `${vm.pane[0]!.toUpperCase()}${vm.pane.slice(1)}: ${row.cells[vm.list.columns[0]?.id ?? '']?.text ?? row.id}`,
            lines: vm.pane === 'positions' ? [...rowFields(vm.list, row), ...positionGreeks(snapshot, row.id)] : rowFields(vm.list, row),
          }
        : undefined;
    }
    case 'alerts': {
      const row = selectedRow(vm.alerts.list);
      const log: DetailLine[] = row ? [{ text: 'Log line', heading: true }, ...rowFields(vm.alerts.list, row)] : [];
      return { title: row ? 'Log line and alerts' : 'Alerts', lines: [...log, ...alertFields(snapshot.alerts ?? [], vm.alerts.all, snapshot.now)] };
    }
    case 'stress': {
      const risk = snapshot.risk;
      const m = risk?.ok ? risk.model : undefined;
      const s = m?.scenarios.find((x) => x.id === vm.stress.list.selectedId);
      const distances: DetailLine[] = m
        ? [
            { text: 'Liquidation at', heading: true },
            ...byNearest(m.subjects).map((x): DetailLine => {
              const c = distanceText(x);
              return { text: c.text, ...(c.slot ? { slot: c.slot } : {}) };
            }),
          ]
        : [];
      if (!m || !s) return distances.length > 0 ? { title: 'Stress', lines: distances } : undefined;
      const ccy = m.baseCurrency;
      const share = (v: { toNumber(): number } | undefined) =>
        v && !m.netLiquidation.isZero() ? ` (${percent(v.toNumber() / m.netLiquidation.toNumber(), 1, true)} of NLV)` : '';
      const lines: DetailLine[] = [
        { label: 'Scenario', text: s.label },
        { label: 'Family', text: s.family },
        { label: `P&L ${ccy}`, text: `${money(s.total, 0, true)}${share(s.total)}` },
        { label: `Excess liquidity ${ccy}`, text: money(s.excessLiquidity), ...(s.excessLiquidity.isNegative() ? { slot: 'risk.breach' as const } : {}) },
        ...(s.cushion ? [{ label: 'Cushion', text: percent(s.cushion) }] : []),
        ...(s.breach
          ? [{ label: 'Flag', text: 'BREACH: excess liquidity below 0, liquidation', slot: 'risk.breach' as const }]
          : s.warn
            ? [{ label: 'Flag', text: 'WARN: equity at or below 110% of maintenance', slot: 'risk.warn' as const }]
            : []),
        { text: `By currency (${ccy})`, heading: true },
        ...m.currencies.map((c) => ({ label: c, text: money(s.byCurrency[c], 0, true) })),
        { text: `By asset class (${ccy})`, heading: true },
        ...m.classes.map((c) => ({ label: c, text: money(s.byClass[c], 0, true) })),
        ...distances,
      ];
      return { title: `Scenario ${s.label}`, lines };
    }
    case 'account': {
      const a = vm.account;
      if (a.empty) return { title: 'Account', lines: [{ text: a.empty }] };
      const lines: DetailLine[] = [];
      for (const r of a.rows) {
        lines.push({ text: r.cells[a.columns[0]?.id ?? '']?.text ?? r.id, heading: true });
        lines.push(...rowFields({ columns: a.columns.slice(1) }, r));
      }
      lines.push({ label: 'Cushion', text: a.cushion }, { label: 'Margin band', text: a.bandText });
      if (a.cash.length > 0)
        lines.push(
          { text: 'Cash', heading: true },
          ...a.cash.map((r) => ({
            text: a.cashColumns
              .map((c) => r.cells[c.id]?.text ?? '')
              .filter(Boolean)
              .join('  '),
          })),
        );
      return { title: 'Account', lines };
    }
  }
}

/** The detail laid out: wrapped to `width`, the window of `height` lines from `top` (clamped), and how to scroll. */
export function detailVM(
  d: Detail & { readonly top: number },
  width: number,
  height: number,
): { lines: Cell[]; top: number; max: number; page: number; total: number } {
  const labels = d.lines.filter((l) => l.label !== undefined).map((l) => textWidth(l.label!));
  // Labels take a column of their own up to a third of the width; a longer label wraps like its value.
  const labelWidth = Math.min(Math.max(0, ...labels) + 2, Math.max(6, Math.floor(width / 3)));
  const all: Cell[] = [];
  for (const l of d.lines) {
    if (l.label === undefined) {
      if (l.heading && all.length > 0) all.push({ text: '' });
      for (const t of wrap(l.text, width)) all.push({ text: t, ...(l.heading ? { slot: 'heading' as const } : l.slot ? { slot: l.slot } : {}) });
      continue;
    }
    const label = wrap(`${l.label}:`, labelWidth - 1);
    const value = wrap(l.text, Math.max(1, width - labelWidth));
    for (let i = 0; i < Math.max(label.length, value.length); i++) {
      const left = label[i] ?? '';
      all.push({ text: `${left}${' '.repeat(Math.max(0, labelWidth - textWidth(left)))}${value[i] ?? ''}`, ...(l.slot ? { slot: l.slot } : {}) });
    }
  }
  const room = Math.max(1, height);
  const max = Math.max(0, all.length - room);
  const top = Math.max(0, Math.min(d.top, max));
  return { lines: all.slice(top, top + room), top, max, page: Math.max(1, room - 1), total: all.length };
}
