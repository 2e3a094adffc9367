// The Stress pane: scenario × (total, currency, asset class) heat map, liquidation distances, and a P&L-vs-shock chart.
import type { Decimal } from '../../model/money.js';
import { clock, compactMoney, ellipsis, fitColumns, isAsciiText, money, pad, percent, textWidth, type ColumnSpec } from '../format.js';
import type { SortOption } from '../list-sorts.js';
import type { CurvePoint, RiskResult, StressModel, StressScenarioRow, StressSubject } from '../../session/stress-model.js';
import type { Slot } from '../theme.js';
import type { ListUi } from '../ui-state.js';
import { RowCache, filterMatcher, hiddenInfo, listInfo, sortInfo, sortRows, windowRows, type Cell, type ListVM, type RowVM } from './common.js';

/** The orders `sort.next` cycles through on this pane, the first being the default. */
export const STRESS_SORTS: readonly SortOption[] = [
  { key: 'scenario', label: 'scenario', desc: false },
  { key: 'total', label: 'P&L', desc: false },
  { key: 'excess', label: 'excess liquidity', desc: false },
];

/** Heat of a P&L relative to NetLiquidation: ≥10% loss is hot, ≥3% warm; gains are cool. */
export function heatSlot(pnl: number, nlv: number): Slot {
  if (!Number.isFinite(pnl) || !(nlv > 0)) return 'heat.flat';
  const r = pnl / nlv;
  if (r <= -0.1) return 'heat.loss3';
  if (r <= -0.03) return 'heat.loss2';
  if (r < -0.0005) return 'heat.loss1';
  if (r >= 0.03) return 'heat.gain2';
  if (r > 0.0005) return 'heat.gain1';
  return 'heat.flat';
}

const CELL_WIDTH = 9;

function baseColumns(): ColumnSpec[] {
  return [
    { id: 'label', header: 'Scenario', width: 18, align: 'left', priority: 0, flex: true },
    { id: 'total', header: 'P&L', width: 10, align: 'right', priority: 0 },
  ];
}

/** The heat map's columns, and which breakdown keys only an "Other" column sums (they did not fit one each). */
export interface StressColumns {
  readonly columns: readonly ColumnSpec[];
  /** Breakdown columns not shown one by one (summed in their group's Other column, or the whole group left out). */
  readonly hidden: number;
  readonly rest: { readonly ccy: readonly string[]; readonly cls: readonly string[] };
}

const COLUMN_GAP = 1;
const need = (cs: readonly ColumnSpec[]) => cs.reduce((sum, c) => sum + c.width, 0) + COLUMN_GAP * Math.max(0, cs.length - 1);

/**
 * Heat-map columns: the total, then currencies and/or classes (the toggled breakdown first), EL', flag. A breakdown
 * is shown whole, or its first columns and an "Other n" column summing the rest, or not at all: the visible columns of
 * a group always add up to the total (issue 16 item 9). The pane's title says how many are not shown one by one.
 */
export function stressLayout(m: StressModel, prefer: 'currency' | 'class', width: number): StressColumns {
  const group = (kind: 'ccy' | 'cls', keys: readonly string[]) =>
    keys.map<ColumnSpec>((c) => ({ id: `${kind}:${c}`, header: c, width: CELL_WIDTH, align: 'right', priority: 10 }));
  const groups =
    prefer === 'currency'
      ? ([
          ['ccy', m.currencies],
          ['cls', m.classes],
        ] as const)
      : ([
          ['cls', m.classes],
          ['ccy', m.currencies],
        ] as const);
  const head = baseColumns();
  const excess: ColumnSpec = { id: 'excess', header: 'Excess liq', width: 11, align: 'right', priority: 5 };
  const flag: ColumnSpec = { id: 'flag', header: 'Flag', width: 6, align: 'left', priority: 0 };
  // Excess liquidity outranks the breakdowns; it goes only when not even it fits beside the label, total and flag.
  const fixed = need([...head, excess, flag]) <= width ? [excess, flag] : [flag];
  const chosen: ColumnSpec[] = [];
  const rest = { ccy: [] as string[], cls: [] as string[] };
  let hidden = fixed.length === 1 ? 1 : 0;
  for (const [kind, keys] of groups) {
    const all = group(kind, keys);
    const fits = (cs: readonly ColumnSpec[]) => need([...head, ...chosen, ...cs, ...fixed]) <= width;
    let picked: ColumnSpec[] = [];
    if (fits(all)) picked = all;
    else {
      // k columns one by one and an Other column for the rest; with fewer than one, the group is left out.
      for (let k = all.length - 1; k >= 1; k--) {
        const other: ColumnSpec = { id: `rest:${kind}`, header: `Other ${all.length - k}`, width: CELL_WIDTH, align: 'right', priority: 10 };
        if (fits([...all.slice(0, k), other])) {
          picked = [...all.slice(0, k), other];
          rest[kind] = keys.slice(k);
          break;
        }
      }
      hidden += picked.length === 0 ? all.length : all.length - (picked.length - 1);
    }
    chosen.push(...picked);
  }
  const specs = [...head, ...chosen, ...fixed];
  return {
    columns: fitColumns(
      specs.map((c) => ({ ...c, priority: 0 })),
      width,
    ),
    hidden,
    rest,
  };
}

/** The heat map's columns alone (see stressLayout). */
export function stressColumns(m: StressModel, prefer: 'currency' | 'class', width: number): readonly ColumnSpec[] {
  return stressLayout(m, prefer, width).columns;
}

const cache = new RowCache<StressScenarioRow>();

function moneyCell(d: Decimal | undefined, nlv: number): Cell {
  if (d === undefined) return { text: '' };
  const n = d.toNumber();
  return { text: compactMoney(n, true), slot: heatSlot(n, nlv) };
}

function scenarioRow(s: StressScenarioRow, m: StressModel, rest: StressColumns['rest']): RowVM {
  const nlv = m.netLiquidation.toNumber();
  return cache.get(s, [nlv, rest.ccy.join(','), rest.cls.join(',')], () => {
    const cells: Record<string, Cell> = {
      label: { text: s.label },
      total: moneyCell(s.total, nlv),
      excess: { text: compactMoney(s.excessLiquidity.toNumber()), ...(s.excessLiquidity.isNegative() ? { slot: 'risk.breach' as const } : {}) },
      flag: s.breach ? { text: 'BREACH', slot: 'risk.breach' } : s.warn ? { text: 'WARN', slot: 'risk.warn' } : { text: '' },
    };
    for (const c of m.currencies) cells[`ccy:${c}`] = moneyCell(s.byCurrency[c], nlv);
    for (const c of m.classes) cells[`cls:${c}`] = moneyCell(s.byClass[c], nlv);
    const sum = (parts: Readonly<Record<string, Decimal>>, keys: readonly string[]) =>
      keys.reduce<Decimal | undefined>((a, k) => (parts[k] ? (a ? a.add(parts[k]) : parts[k]) : a), undefined);
    if (rest.ccy.length > 0) cells['rest:ccy'] = moneyCell(sum(s.byCurrency, rest.ccy), nlv);
    if (rest.cls.length > 0) cells['rest:cls'] = moneyCell(sum(s.byClass as Readonly<Record<string, Decimal>>, rest.cls), nlv);
    return { id: s.id, kind: 'row', cells };
  });
}

/** Distances in the order that matters: breached now, then the nearest finite ones, then those with none in range. */
export function byNearest(subjects: readonly StressSubject[]): StressSubject[] {
  const rank = (s: StressSubject) => (s.distance.nearest === null ? Infinity : Math.abs(s.distance.nearest));
  return subjects
    .map((s, i) => ({ s, i }))
    .sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i)
    .map(({ s }) => s);
}

/** "Equities −23.7%", "EUR none within ±30%". */
export function distanceText(s: StressSubject): Cell {
  const d = s.distance;
  if (d.nearest === 0) {
    // The move that would cure it, when one within range does (the report's "cures it").
    const cure = d.cure === undefined ? '' : d.cure === null ? ' (no move in range cures it)' : ` (${percent(d.cure, 1, true)} cures it)`;
    return { text: `${s.label} BREACH now${cure}`, slot: 'risk.breach' };
  }
  // "+/-" chosen before the width is measured: the cell-for-cell stand-in "~" would read "about 50%".
  if (d.nearest === null) return { text: `${s.label} none ${isAsciiText() ? '+/-' : '±'}${Math.round(d.range * 100)}%`, slot: 'muted' };
  const near = Math.abs(d.nearest) <= 0.1;
  return { text: `${s.label} ${percent(d.nearest, 1, true)}`, slot: near ? 'risk.breach' : Math.abs(d.nearest) <= 0.2 ? 'risk.warn' : 'text' };
}

/**
 * The liquidation line in `width` columns (joined as StressPane draws it: a space after the heading, " · " between):
 * whole facts, nearest first, then how many more there are (Enter's detail lists them all). A fact cut at the
 * terminal's edge misread: "Equities none ±50…" lost its range, and in ASCII "Equities none +/-..." its number.
 */
export function wholeFacts(heading: Cell, facts: readonly Cell[], width: number): Cell[] {
  const more = (n: number): Cell => ({ text: `+${n} more`, slot: 'muted' });
  const out: Cell[] = [heading];
  let used = textWidth(heading.text);
  for (let i = 0; i < facts.length; i++) {
    const sep = i === 0 ? 1 : 3;
    const left = facts.length - i - 1;
    // Room for this fact and, when facts would follow, for the count of those not shown.
    const tail = left > 0 ? 3 + textWidth(more(left).text) : 0;
    const w = sep + textWidth(facts[i]!.text);
    if (used + w + tail > width) return [...out, more(facts.length - i)];
    out.push(facts[i]!);
    used += w;
  }
  return out;
}

export interface ChartVM {
  readonly title: string;
  /** Lines of cells, top to bottom; bars are glyphs, so the chart reads without colour. */
  readonly lines: readonly (readonly Cell[])[];
}

const UPPER = '▀';
const LOWER = '▄';
const FULL = '█';

/**
 * A column chart of P&L against the shock: bars rise above the zero line for gains and hang below it for losses,
 * in half-cell steps; shocks where ExcessLiquidity goes negative are marked "x" on the axis. `rows` ≥ 3.
 */
export function curveChart(s: StressSubject, width: number, rows: number, base: string): ChartVM | undefined {
  const pts: readonly CurvePoint[] = s.curve;
  if (pts.length === 0 || rows < 3) return undefined;
  const max = Math.max(0, ...pts.map((p) => p.pnl));
  const min = Math.min(0, ...pts.map((p) => p.pnl));
  const yLabels = [compactMoney(max, true), compactMoney(min, true)];
  const yw = Math.max(...yLabels.map(textWidth)) + 1;
  const colW = Math.max(1, Math.min(5, Math.floor((width - yw) / pts.length)));
  const plotRows = rows - 2; // axis labels and the zero/axis line take two
  const span = max - min || 1;
  // Rows above the zero line, in proportion to the positive range (at least one when there are gains).
  let up = Math.round((plotRows * max) / span);
  if (max > 0 && up === 0) up = 1;
  if (min < 0 && up === plotRows) up = plotRows - 1;
  const down = plotRows - up;
  const halves = (v: number, cells: number, range: number) => (range > 0 ? Math.round((Math.abs(v) / range) * cells * 2) : 0);
  const lines: Cell[][] = [];
  for (let r = 0; r < up; r++) {
    const level = up - r; // 1 = just above zero
    const cells: Cell[] = [{ text: pad(r === 0 ? yLabels[0]! : '', yw) }];
    for (const p of pts) {
      const h = p.pnl > 0 ? halves(p.pnl, up, max) : 0;
      const glyph = h >= level * 2 ? FULL : h === level * 2 - 1 ? LOWER : ' ';
      cells.push({ text: pad(glyph.repeat(Math.max(1, colW - 1)), colW), slot: 'pnl.gain' });
    }
    lines.push(cells);
  }
  const axis: Cell[] = [{ text: pad('0', yw) }];
  for (const p of pts) {
    const mark = p.excessLiquidity < 0 ? 'x' : p.shock === 0 ? '┼' : '─';
    axis.push({ text: mark + '─'.repeat(colW - 1), ...(p.excessLiquidity < 0 ? { slot: 'risk.breach' as const } : { slot: 'muted' as const }) });
  }
  lines.push(axis);
  for (let r = 0; r < down; r++) {
    const level = r + 1; // 1 = just below zero
    const cells: Cell[] = [{ text: pad(r === down - 1 ? yLabels[1]! : '', yw) }];
    for (const p of pts) {
      const h = p.pnl < 0 ? halves(p.pnl, down, -min) : 0;
      const glyph = h >= level * 2 ? FULL : h === level * 2 - 1 ? UPPER : ' ';
      cells.push({ text: pad(glyph.repeat(Math.max(1, colW - 1)), colW), slot: 'pnl.loss' });
    }
    lines.push(cells);
  }
  const ticks: Cell[] = [{ text: pad('', yw) }];
  pts.forEach((p, i) => {
    const show = i === 0 || i === pts.length - 1 || p.shock === 0 || (colW >= 4 && i % 2 === 0);
    ticks.push({ text: pad(show ? `${p.shock > 0 ? '+' : ''}${Math.round(p.shock * 100)}` : '', colW), slot: 'muted' });
  });
  lines.push(ticks);
  const broke = pts.filter((p) => p.excessLiquidity < 0).length;
  return {
    title: `P&L (${base}) vs ${s.label} shock, %${broke > 0 ? ' · x = excess liquidity below 0' : ''}`,
    lines,
  };
}

export interface StressVM {
  readonly list: ListVM;
  readonly subjects: readonly string[];
  readonly subject?: string;
  readonly distances: readonly Cell[];
  readonly chart?: ChartVM;
  readonly worst?: string;
  readonly error?: string;
}

/**
 * Lays the pane out in `height` rows (below its title): the heat map with its header (at least 6 rows), one line of
 * liquidation distances, and the chart (6 to 10 rows) when the pane is 14 rows or more.
 */
export function stressVM(
  risk: RiskResult | undefined,
  ui: ListUi,
  prefer: 'currency' | 'class',
  subject: string | undefined,
  width: number,
  height: number,
): StressVM {
  const empty: ListVM = { pane: 'stress', info: '', columns: fitColumns(baseColumns(), width), rows: [], total: 0, context: { rows: [], height: 1, top: 0 } };
  if (!risk) return { list: { ...empty, empty: `Computing the stress scenarios${ellipsis()}` }, subjects: [], distances: [] };
  if (!risk.ok) return { list: { ...empty, empty: risk.error }, subjects: [], distances: [], error: risk.error };
  const m = risk.model;
  const matches = filterMatcher(ui.filter);
  const indexed = m.scenarios
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => matches(`${s.label} ${s.family} ${s.breach ? 'breach' : ''} ${s.warn ? 'warn' : ''}`));
  const key = (x: { s: StressScenarioRow; i: number }) =>
    ui.sort.key === 'total' ? x.s.total.toNumber() : ui.sort.key === 'excess' ? x.s.excessLiquidity.toNumber() : x.i;
  sortRows(indexed, key, ui.sort.desc, (x) => String(x.i).padStart(6, '0'));
  const display = indexed.map(({ s }) => ({ id: s.id, kind: 'row' as const, s }));
  const subjects = m.subjects.filter((s) => s.charted).map((s) => s.key);
  const chosen = m.subjects.find((s) => s.key === subject && s.charted) ?? m.subjects.find((s) => s.charted);
  // Rows below the column header: the heat map keeps at least 6, the distances line takes 1, the chart up to 10.
  const available = height - 1;
  const chartTotal = available >= 13 ? Math.min(10, available - 7) : 0;
  const chart = chosen && chartTotal >= 6 ? curveChart(chosen, width, chartTotal - 1, m.baseCurrency) : undefined;
  const listHeight = Math.max(1, available - 1 - (chart ? chart.lines.length + 1 : 0));
  const layout = stressLayout(m, prefer, width);
  const win = windowRows(display, ui, listHeight, (d) => scenarioRow(d.s, m, layout.rest));
  const sort = STRESS_SORTS.find((s) => s.key === ui.sort.key) ?? STRESS_SORTS[0]!;
  const breaches = m.scenarios.filter((s) => s.breach).length;
  const warns = m.scenarios.filter((s) => s.warn && !s.breach).length;
  return {
    list: {
      pane: 'stress',
      info: listInfo([
        `${indexed.length}${ui.filter ? ` of ${m.scenarios.length}` : ''} scenarios`,
        breaches > 0 && `${breaches} BREACH`,
        warns > 0 && `${warns} WARN`,
        `by ${prefer}`,
        sortInfo(sort.label, ui.sort.desc),
        ui.filter && `filter ${ui.filter}`,
        hiddenInfo(layout.hidden, win.context),
      ]),
      columns: layout.columns,
      rows: win.rows,
      ...(win.selectedId !== undefined ? { selectedId: win.selectedId } : {}),
      total: indexed.length,
      context: { ...win.context, subjects, ...(chosen ? { subject: chosen.key } : {}) },
      ...(indexed.length === 0 ? { empty: ui.filter ? `No scenario matches "${ui.filter}".` : 'No scenarios.' } : {}),
    },
    subjects,
    ...(chosen ? { subject: chosen.key } : {}),
    // A reused search says when it ran (the probes since confirmed it, src/session/stress-model.ts).
    distances: wholeFacts(
      { text: m.distancesAsOf === undefined ? 'Liquidation at:' : `Liquidation at (searched ${clock(m.distancesAsOf)}):`, slot: 'heading' },
      byNearest(m.subjects).map(distanceText),
      width,
    ),
    ...(chart ? { chart } : {}),
    ...(m.worst ? { worst: `worst ${m.worst.label} ${money(m.worst.total)} ${m.baseCurrency}` } : {}),
  };
}
