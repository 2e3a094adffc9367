// Shapes shared by the pure row formatters: cells, rows, list view models, filtering, sorting and windowing.
import type { PaneId } from '../../keymap/bindings.js';
import { isAsciiText, textWidth, type ColumnSpec } from '../format.js';
import type { Slot } from '../theme.js';
import type { ListContext, ListUi } from '../ui-state.js';
import { sameRefs } from '../../model/same-refs.js';
import { contractLabel, contractLabelNarrow, type Contract } from '../../model/contract.js';

/** Text with a meaning; the text alone must carry it (signs, words), the slot adds colour. */
export interface Cell {
  readonly text: string;
  readonly slot?: Slot;
  /** Shown instead of `text` when the column is narrower than it: the same facts, what tells rows apart first. */
  readonly narrow?: string;
  /** Shown instead of `text` in the detail view (Enter): what the column leaves out for room, such as a currency. */
  readonly detail?: string;
}

/** What a cell shows in a column `width` cells wide (its narrow form when the full text would be cut). */
export function cellText(cell: Cell | undefined, width: number): string {
  if (!cell) return '';
  return cell.narrow !== undefined && textWidth(cell.text) > width ? cell.narrow : cell.text;
}

/** A contract's label cell: the full label, and the narrow one where the contract has it. */
export function labelCell(c: Contract): Cell {
  const narrow = contractLabelNarrow(c);
  return narrow === undefined ? { text: contractLabel(c) } : { text: contractLabel(c), narrow };
}

/** One display row: a data row (selectable, keyed by conId, order key or execId) or a group header. */
export interface RowVM {
  readonly id: string;
  readonly kind: 'row' | 'group';
  readonly cells: Readonly<Record<string, Cell>>;
  /** Slot for the whole row (e.g. inactive orders muted). */
  readonly slot?: Slot;
  /** Group headers: their one line. */
  readonly label?: string;
}

/** A list pane's view model: only the visible rows, plus what navigation needs. */
export interface ListVM {
  readonly pane: PaneId;
  /** Facts for the title bar: "14 · by class · sort |value|↓ · filter aap". */
  readonly info: string;
  readonly columns: readonly ColumnSpec[];
  readonly rows: readonly RowVM[];
  readonly selectedId?: string;
  /** Data rows after the filter. */
  readonly total: number;
  readonly context: ListContext;
  /** Shown instead of rows when there are none (a sentence, not a blank pane). */
  readonly empty?: string;
  /** Every column before fitting to the width: the detail view shows each of the selected row's cells in full. */
  readonly allColumns?: readonly ColumnSpec[];
}

/** Case-insensitive substring filter; a leading "!" keeps the rows that do not match (k9s `/!x`). */
export function filterMatcher(filter: string): (haystack: string) => boolean {
  const f = filter.trim().toLowerCase();
  if (f === '' || f === '!') return () => true;
  const invert = f.startsWith('!');
  const needle = invert ? f.slice(1).trim() : f;
  return (h) => h.toLowerCase().includes(needle) !== invert;
}

/**
 * Sorts in place with a stable tie-break on id, so rows with equal keys never swap places between frames. Keys are
 * computed once per row, not per comparison (a 2,000-row sort compares about 22,000 times).
 */
export function sortRows<T>(rows: T[], key: (r: T) => number | string | undefined, desc: boolean, id: (r: T) => string): T[] {
  const keyed = rows.map((r) => ({ r, k: key(r), id: id(r) }));
  keyed.sort((a, b) => {
    const ka = a.k;
    const kb = b.k;
    // Missing values sort last in either direction.
    if (ka === undefined || kb === undefined) return ka === kb ? cmp(a.id, b.id) : ka === undefined ? 1 : -1;
    const c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : cmp(String(ka), String(kb));
    return c !== 0 ? (desc ? -c : c) : cmp(a.id, b.id);
  });
  keyed.forEach((x, i) => (rows[i] = x.r));
  return rows;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A display row before formatting: its id and whether it is a data row (a group header is not). */
export interface DisplayItem {
  readonly id: string;
  readonly kind: 'row' | 'group';
}

/**
 * The visible window of `display` rows for a pane `height` rows tall: the selection (by id, else where it was)
 * is kept in view, starting from the stored top. Only the window is formatted (`toRow`), so a 2,000-row book
 * formats the two dozen rows on screen. Returns those rows and the navigation context.
 */
export function windowRows<T extends DisplayItem>(
  display: readonly T[],
  ui: ListUi,
  height: number,
  toRow: (t: T) => RowVM,
): { rows: RowVM[]; selectedId?: string; context: ListContext } {
  const selectable = display.flatMap((r, i) => (r.kind === 'row' ? [i] : []));
  let sel = display.findIndex((r) => r.kind === 'row' && r.id === ui.selectedId);
  if (sel < 0 && selectable.length > 0) sel = selectable[Math.min(ui.selectedIndex, selectable.length - 1)]!;
  const h = Math.max(1, height);
  let top = Math.max(0, Math.min(ui.top, Math.max(0, display.length - h)));
  if (sel >= 0) {
    if (sel < top) top = sel;
    if (sel > top + h - 1) top = sel - h + 1;
  }
  const selectedId = sel >= 0 ? display[sel]!.id : undefined;
  return {
    rows: display.slice(top, top + h).map(toRow),
    ...(selectedId !== undefined ? { selectedId } : {}),
    context: {
      rows: display.map((r) => ({ id: r.id, selectable: r.kind === 'row' })),
      height: h,
      top,
      ...(selectedId !== undefined ? { selected: selectedId } : {}),
    },
  };
}

/**
 * What the pane cannot show, for its title (issue 16 item 9): "+3 columns" dropped for width, "↑ 4 above" and
 * "↓ 2 more" rows outside the window. Nothing is hidden silently.
 */
export function hiddenInfo(hiddenColumns: number, context: Pick<ListContext, 'rows' | 'top' | 'height'>): string {
  const below = context.rows.length - context.top - context.height;
  return listInfo([
    hiddenColumns > 0 && `+${hiddenColumns} ${hiddenColumns === 1 ? 'column' : 'columns'}`,
    // In ASCII the arrows would read as letters ("v 80 more"): the words say it alone.
    context.top > 0 && (isAsciiText() ? `${context.top} above` : `↑ ${context.top} above`),
    below > 0 && (isAsciiText() ? `${below} more below` : `↓ ${below} more`),
  ]);
}

/**
 * Assembles a list view model from its window (windowRows) and what the pane says about itself. `specs` are the
 * columns before fitting, so the title can say how many the width dropped.
 */
export function listVM(
  pane: PaneId,
  info: string,
  columns: readonly ColumnSpec[],
  win: ReturnType<typeof windowRows>,
  total: number,
  empty: string | undefined,
  specs: readonly ColumnSpec[] = columns,
): ListVM {
  return {
    pane,
    info: listInfo([info, hiddenInfo(specs.length - columns.length, win.context)]),
    columns,
    rows: win.rows,
    ...(win.selectedId !== undefined ? { selectedId: win.selectedId } : {}),
    total,
    context: win.context,
    ...(total === 0 && empty !== undefined ? { empty } : {}),
    allColumns: specs,
  };
}

/** Reuses a row view model while its inputs are the same objects, so memoised rows skip rendering. */
export class RowCache<K extends object> {
  private readonly cache = new WeakMap<K, { deps: readonly unknown[]; row: RowVM }>();

  get(key: K, deps: readonly unknown[], make: () => RowVM): RowVM {
    const hit = this.cache.get(key);
    if (hit && sameRefs(hit.deps, deps)) return hit.row;
    const row = make();
    this.cache.set(key, { deps, row });
    return row;
  }
}

/** Title-bar text for a list's sort and filter: "sort |value|↓ · filter aap" ("sort abs value desc" in ASCII). */
export function listInfo(parts: readonly (string | false | undefined)[]): string {
  return parts.filter(Boolean).join(' · ');
}

/**
 * A pane's facts (listInfo) in `room` columns, whole: when they do not fit, whole facts go rather than the terminal
 * cutting the last one mid-number ("↓ 8…"). How the pane is grouped and sorted goes first (its columns and rows show
 * it), then facts from the end; the first (the count) goes last.
 */
export function fitInfo(info: string, room: number): string {
  if (textWidth(info) <= room) return info;
  const parts = info.split(' · ');
  const mode = (i: number) => /^(by|sort) /.test(parts[i]!);
  const later = parts
    .map((_, i) => i)
    .filter((i) => i > 0)
    .reverse();
  const gone = new Set<number>();
  for (const i of [...later.filter(mode), ...later.filter((i) => !mode(i)), 0]) {
    gone.add(i);
    const kept = parts.filter((_, j) => !gone.has(j)).join(' · ');
    if (textWidth(kept) <= room) return kept;
  }
  return '';
}

export function sortInfo(label: string, desc: boolean, asciiLabel = label): string {
  if (isAsciiText()) return `sort ${asciiLabel} ${desc ? 'desc' : 'asc'}`;
  return `sort ${label}${desc ? '↓' : '↑'}`;
}
