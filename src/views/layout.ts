// Screen layout as a pure function of the terminal size: tabs when small, a sidebar when medium, every pane when large.
import type { PaneId } from '../keymap/bindings.js';
import { SIDEBAR_PANES } from './panes/registry.js';

/*
 * The frame is exactly the terminal's height (never more: an overflowing frame makes Ink clear the screen on every
 * render, which flickers in tmux; ink · src/ink.tsx `shouldClearTerminalForFrame`). Chrome: the status bar on top,
 * the hint (or filter) line at the bottom, a tab bar while some panes are hidden, and the palette when open.
 */

export type LayoutKind = 'tabs' | 'sidebar' | 'grid';

export interface PaneBox {
  readonly pane: PaneId;
  readonly width: number;
  /** Rows including the pane's title line. */
  readonly height: number;
}

export interface LayoutColumn {
  readonly width: number;
  readonly panes: readonly PaneBox[];
}

export interface Layout {
  readonly kind: LayoutKind;
  readonly columns: number;
  readonly rows: number;
  readonly showTabs: boolean;
  /** Rows between the chrome lines. */
  readonly bodyHeight: number;
  readonly body: readonly LayoutColumn[];
}

/** Below these, panes become tabs (80x24 must stay usable). */
export const SIDEBAR_MIN = { columns: 120, rows: 28 } as const;
/** From here every pane is on screen at once. */
export const GRID_MIN = { columns: 180, rows: 40 } as const;

const GAP = 1;

/** Splits `total` rows among weights, every part at least `min` where possible, the remainder to the first. */
function split(total: number, weights: readonly number[], min = 3): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.max(min, Math.floor((total * w) / sum)));
  let diff = total - parts.reduce((a, b) => a + b, 0);
  for (let i = 0; diff !== 0 && i < parts.length * 4; i++) {
    const k = i % parts.length;
    if (diff > 0) {
      parts[k]! += 1;
      diff -= 1;
    } else if (parts[k]! > 1) {
      parts[k]! -= 1;
      diff += 1;
    }
  }
  return parts;
}

/**
 * From this many body rows the sidebar layout's main column holds Positions above Stress, when the main pane is one of
 * them: at 120x40 Positions alone left 14 empty rows under the demo's 14 positions and the Stress pane, the reason the
 * console exists, was a tab away. Stress gets what Positions does not fill, between STRESS_MIN rows and 45%.
 */
export const SIDEBAR_STACK_MIN_ROWS = 30;
const STRESS_MIN = 12;

function mainColumn(main: PaneId, bodyHeight: number, positionsWant: number | undefined): { pane: PaneId; height: number }[] {
  if ((main !== 'positions' && main !== 'stress') || bodyHeight < SIDEBAR_STACK_MIN_ROWS) return [{ pane: main, height: bodyHeight }];
  const most = Math.floor((bodyHeight * 45) / 100);
  const left = positionsWant === undefined ? most : bodyHeight - (positionsWant + 1);
  const stress = Math.max(STRESS_MIN, Math.min(most, left));
  // Always in this order, whichever of the two has the focus: Tab between them moves the highlight, not the panes.
  return [
    { pane: 'positions', height: bodyHeight - stress },
    { pane: 'stress', height: stress },
  ];
}

/** Rows a list pane keeps before the Account pane above it grows: its title, its header and four rows. */
export const LIST_KEEPS = 6;

/**
 * The Account pane's height in a column whose other panes are `others`: all its lines (`want`, title included) while
 * each other pane keeps its own content or LIST_KEEPS rows, whichever is less; else what is left, never below
 * `floor` (the fixed block it had before, where its cash lines are cut and named). The Account pane is a fixed set of figures
 * that cannot scroll, while the lists below it can, so it is the one that gets the room.
 */
function accountHeight(avail: number, want: number | undefined, floor: number, others: readonly (number | undefined)[], othersMin: number): number {
  if (want === undefined) return floor;
  const keep = others.reduce<number>((sum, w) => sum + Math.min(LIST_KEEPS, w === undefined ? LIST_KEEPS : w + 1), 0);
  const most = avail - others.length * othersMin;
  return Math.max(1, Math.min(most, Math.max(floor, Math.min(want, avail - keep))));
}

/**
 * The layout for a terminal of `columns` × `rows` with `focus` and, for the sidebar layout, `main` (the big pane
 * shown beside the sidebar when the focus is in the sidebar). `extraRows` are taken by the open palette. `wants`
 * are the rows each pane's content would fill (title excluded; PaneEntry.wants): the Account pane grows to show all
 * its lines when the column has the room.
 */
export function layoutFor(
  columns: number,
  rows: number,
  focus: PaneId,
  main: PaneId,
  extraRows = 0,
  accounts = false,
  wants: Partial<Record<PaneId, number>> = {},
): Layout {
  const kind: LayoutKind =
    columns >= GRID_MIN.columns && rows >= GRID_MIN.rows ? 'grid' : columns >= SIDEBAR_MIN.columns && rows >= SIDEBAR_MIN.rows ? 'sidebar' : 'tabs';
  const showTabs = kind !== 'grid';
  const chrome = 1 /* status */ + 1 /* hint */ + (showTabs ? 1 : 0) + extraRows;
  const bodyHeight = Math.max(3, rows - chrome);
  if (kind === 'tabs') {
    return { kind, columns, rows, showTabs, bodyHeight, body: [{ width: columns, panes: [{ pane: focus, width: columns, height: bodyHeight }] }] };
  }
  if (kind === 'sidebar') {
    const side = Math.min(56, Math.floor((columns * 38) / 100));
    const mainWidth = columns - side - GAP;
    // The side column holds the registry's sidebar panes: the first (Account) as tall as its lines, the others the rest.
    const [first, ...others] = SIDEBAR_PANES as [PaneId, ...PaneId[]];
    const want = wants[first];
    const top = accountHeight(
      bodyHeight,
      want === undefined ? undefined : want + 1,
      Math.min(12, Math.floor(bodyHeight / 2)),
      others.map((p) => wants[p]),
      3,
    );
    const heights =
      others.length > 0
        ? split(
            bodyHeight - top,
            others.map(() => 1),
            3,
          )
        : [];
    return {
      kind,
      columns,
      rows,
      showTabs,
      bodyHeight,
      body: [
        { width: mainWidth, panes: mainColumn(main, bodyHeight, wants.positions).map((b) => ({ ...b, width: mainWidth })) },
        {
          width: side,
          panes: [
            { pane: first, width: side, height: others.length > 0 ? top : bodyHeight },
            ...others.map((pane, i) => ({ pane, width: side, height: heights[i]! })),
          ],
        },
      ],
    };
  }
  const left = Math.floor((columns * 58) / 100);
  const right = columns - left - GAP;
  const [positions, stress] = split(bodyHeight, [55, 45], 8) as [number, number];
  // Several accounts: the Accounts pane heads the right column (a row per account, the aggregate, the title, the header).
  const accountsRows = accounts ? Math.min(10, Math.floor(bodyHeight / 4)) : 0;
  const lists = ['orders', 'executions', 'alerts'] as const;
  const account = accountHeight(
    bodyHeight - accountsRows,
    wants.account === undefined ? undefined : wants.account + 1,
    Math.min(12, Math.floor(bodyHeight / 3)),
    lists.map((p) => wants[p]),
    4,
  );
  const [shareOrders, shareExecutions, shareAlerts] = split(bodyHeight - account - accountsRows, [1, 1, 1], 4) as [number, number, number];
  // While the Alerts pane wants more than its share, a list whose content (title included) is shorter than its own
  // gives it the rows it would leave empty: at 200x50 with no orders and no fills, alerts were cut under empty rows.
  const short = wants.alerts !== undefined && wants.alerts + 1 > shareAlerts;
  const fitted = (share: number, want: number | undefined) => (!short || want === undefined ? share : Math.min(share, Math.max(3, want + 1)));
  const orders = fitted(shareOrders, wants.orders);
  const executions = fitted(shareExecutions, wants.executions);
  const alerts = shareAlerts + shareOrders - orders + shareExecutions - executions;
  return {
    kind,
    columns,
    rows,
    showTabs,
    bodyHeight,
    body: [
      {
        width: left,
        panes: [
          { pane: 'positions', width: left, height: positions },
          { pane: 'stress', width: left, height: stress },
        ],
      },
      {
        width: right,
        panes: [
          ...(accounts ? [{ pane: 'accounts' as const, width: right, height: accountsRows }] : []),
          { pane: 'account', width: right, height: account },
          { pane: 'orders', width: right, height: orders },
          { pane: 'executions', width: right, height: executions },
          { pane: 'alerts', width: right, height: alerts },
        ],
      },
    ],
  };
}

/** Panes on screen in this layout. */
export function visiblePanes(l: Layout): PaneId[] {
  return l.body.flatMap((c) => c.panes.map((p) => p.pane));
}
