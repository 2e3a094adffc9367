// The UI reducer: focus, overlays, and per-pane selection, scroll, filter and sort. Pure; changed only by commands.
import { PANE_IDS, type CommandId, type PaneId } from '../keymap/bindings.js';
import { PANES, SIDEBAR_PANES, paneOfKey } from './panes/registry.js';
import type { DetailLine } from './rows/detail.js';
import { THEME_NAMES, type ThemeName } from './theme.js';
import type { PreviewMark } from './trading-actions.js';

/*
 * STYLE.md "State and reducer": what a replay must show is a FeedEvent; scroll and focus stay here. Pane focus is
 * ours, not Ink's focus manager's (STYLE.md "Pane focus is ours"). The selection is a row id (conId, order key,
 * execId), so it follows the row while rows re-sort live; `selectedIndex` is only where to land if it vanishes.
 */

export interface ListUi {
  readonly selectedId?: string;
  readonly selectedIndex: number;
  /** First display row shown (the view model clamps it so the selection stays visible). */
  readonly top: number;
  readonly filter: string;
  readonly sort: { readonly key: string; readonly desc: boolean };
}

export type Overlay =
  | { readonly kind: 'help'; readonly top: number }
  /**
   * A replay's recording header, verification and markers (opens with the replay; `i` toggles it). The marker list
   * keeps its selection by seq (as a row id) and its first shown row, like a pane's list; Enter jumps to the marker.
   */
  | { readonly kind: 'replayInfo'; readonly selectedId?: string; readonly selectedIndex?: number; readonly top?: number }
  /**
   * `picked`: the operator moved to a suggestion (↓ ↑), so Enter runs that one; otherwise Enter runs only what the
   * typed text names. `error`: why the last Enter ran nothing (cleared by typing).
   */
  | { readonly kind: 'palette'; readonly text: string; readonly index: number; readonly picked?: boolean; readonly error?: string }
  | { readonly kind: 'filter'; readonly pane: PaneId; readonly text: string; readonly previous: string };

/**
 * A trading dialog's phase: the plan being built (opened at the key, before the plan exists), typing (arm, word),
 * waiting for the confirm key, sending, or showing the outcome.
 */
export type TradePhase = 'planning' | 'arm' | 'word' | 'confirm' | 'sending' | 'done';

export type Dialog =
  | { readonly kind: 'confirmQuit' }
  /** A row in full (Enter on a row), captured when it opened; `top` is the first line shown. */
  | { readonly kind: 'detail'; readonly title: string; readonly lines: readonly DetailLine[]; readonly top: number }
  | {
      readonly kind: 'trade';
      readonly phase: TradePhase;
      readonly title: string;
      readonly lines: readonly string[];
      /** The locked plan (the wiring keeps it); absent for arming. */
      readonly planId?: string;
      /** The word to type before confirming (bulk flatten). */
      readonly word?: string;
      /** What has been typed, while the dialog takes text (arm, word). */
      readonly input?: string;
      /** A refusal or a wrong answer, shown in the dialog. */
      readonly error?: string;
      /** The plan's marks: their ages are read again on every publish while the plan is under review. */
      readonly marks?: readonly PreviewMark[];
      /**
       * How many of `lines`, from the first, say what is sent (the account, the cancels, each order): those must be on
       * screen to confirm. The lines after them (realized P&L, margin after, mark ages) are cut first when the terminal
       * is short, and their cut does not lock the confirm key. Absent: every line counts.
       */
      readonly orderLines?: number;
      /**
       * The plan has been on screen, every order on it, for its reading time: the footer offers the confirm key. The
       * rule itself is the wiring's (TradingActions.readyIn); this only changes what the footer says.
       */
      readonly ready?: boolean;
      /** The plan's reading time (ms), said in the footer until it has passed. */
      readonly readMs?: number;
      /** A confirm (or word's Enter) came before the reading time: what the dialog says about it (nothing was sent). */
      readonly tooSoon?: string;
    };

export interface UiState {
  readonly focus: PaneId;
  /** What the main area of the sidebar layout shows: the last focused pane that is not in the sidebar. */
  readonly main: PaneId;
  readonly lists: { readonly [P in PaneId]: ListUi };
  readonly positionsGroup: 'class' | 'currency';
  readonly stressColumns: 'currency' | 'class';
  /** Stress subject (`px:STK`, `fx:EUR`) whose P&L curve is charted. */
  readonly stressSubject?: string;
  readonly overlay?: Overlay;
  readonly dialog?: Dialog;
  readonly theme: ThemeName;
  readonly maskAccount: boolean;
  readonly flash?: { readonly text: string; readonly at: number };
  /** Several accounts are followed: the Accounts pane exists (a single-account console has none). */
  readonly accountsPane?: boolean;
}

/** The panes this console has: every one, less the Accounts pane unless several accounts are followed. */
export function panesOf(ui: Pick<UiState, 'accountsPane'>): readonly PaneId[] {
  return ui.accountsPane ? PANE_IDS : PANE_IDS.filter((p) => p !== 'accounts');
}

function initialList(pane: PaneId): ListUi {
  const s = PANES[pane].sorts[0]!;
  return { selectedIndex: 0, top: 0, filter: '', sort: { key: s.key, desc: s.desc } };
}

export function initialUi(o: { theme?: ThemeName; maskAccount?: boolean; focus?: PaneId; replayInfo?: boolean; accountsPane?: boolean } = {}): UiState {
  // With several accounts the console opens on the Accounts pane: which account the others show is the first question.
  const focus = o.focus ?? (o.accountsPane ? 'accounts' : 'positions');
  return {
    focus,
    main: SIDEBAR_PANES.includes(focus) ? 'positions' : focus,
    lists: Object.fromEntries(PANE_IDS.map((p) => [p, initialList(p)])) as UiState['lists'],
    positionsGroup: 'class',
    stressColumns: 'currency',
    theme: o.theme ?? 'dark',
    maskAccount: o.maskAccount ?? false,
    ...(o.replayInfo ? { overlay: { kind: 'replayInfo' } as const } : {}),
    ...(o.accountsPane ? { accountsPane: true } : {}),
  };
}

/** What a list looks like right now, from the view model: rows in display order and the rows it can show. */
export interface ListContext {
  readonly rows: readonly { readonly id: string; readonly selectable: boolean }[];
  /** Display rows visible in the pane. */
  readonly height: number;
  /** The top row the view showed (after its clamping). */
  readonly top: number;
  /** The row the view showed as selected (the stored id, or where a vanished one's place fell). */
  readonly selected?: string;
  /** Subjects of the Stress chart, for `stress.subject*`, and the one charted now. */
  readonly subjects?: readonly string[];
  readonly subject?: string;
}

export type UiAction =
  | { readonly type: 'command'; readonly command: CommandId; readonly list?: ListContext; readonly arg?: string }
  /** Text typed into the palette or filter line. */
  | { readonly type: 'text'; readonly text: string }
  /** Replaces the palette's line (a completion), with why nothing ran if so. */
  | { readonly type: 'paletteLine'; readonly text: string; readonly error?: string }
  | { readonly type: 'flash'; readonly text: string; readonly at: number }
  /** The flash gone before its time: what it said was about a command another has now followed. */
  | { readonly type: 'clearFlash' }
  | { readonly type: 'closeOverlay' }
  | { readonly type: 'closeDialog' }
  | { readonly type: 'openDialog'; readonly dialog: Dialog }
  /** Replaces the open dialog's content without counting as a new dialog (progress while orders are followed). */
  | { readonly type: 'updateDialog'; readonly dialog: Dialog }
  /** Selects a row by id directly (tests set a selection this way). */
  | { readonly type: 'select'; readonly pane: PaneId; readonly id: string };

function focusPane(ui: UiState, pane: PaneId): UiState {
  if (!panesOf(ui).includes(pane)) return ui;
  return { ...ui, focus: pane, main: SIDEBAR_PANES.includes(pane) ? ui.main : pane };
}

function withList(ui: UiState, pane: PaneId, change: Partial<ListUi>): UiState {
  return { ...ui, lists: { ...ui.lists, [pane]: { ...ui.lists[pane], ...change } } };
}

/** Moves the selection within the selectable rows and scrolls only as far as needed to keep it visible. */
function navigate(list: Pick<ListUi, 'selectedId' | 'selectedIndex'>, ctx: ListContext, command: CommandId): Partial<ListUi> {
  const selectable = ctx.rows.flatMap((r, i) => (r.selectable ? [i] : []));
  if (selectable.length === 0) return {};
  const current = ctx.rows.findIndex((r) => r.id === (ctx.selected ?? list.selectedId));
  // Position among selectable rows; a vanished selection continues from where it was.
  let at = current >= 0 ? selectable.indexOf(current) : Math.min(list.selectedIndex, selectable.length - 1);
  const half = Math.max(1, Math.floor(ctx.height / 2));
  switch (command) {
    case 'nav.down':
      at = current >= 0 ? at + 1 : at;
      break;
    case 'nav.up':
      at -= 1;
      break;
    case 'nav.top':
      at = 0;
      break;
    case 'nav.bottom':
      at = selectable.length - 1;
      break;
    case 'nav.pageDown':
      at += half;
      break;
    case 'nav.pageUp':
      at -= half;
      break;
    default:
      break;
  }
  at = Math.max(0, Math.min(selectable.length - 1, at));
  const display = selectable[at]!;
  const h = Math.max(1, ctx.height);
  // Keep a group header above the first row of its group in view when scrolling up to it.
  const headerAbove = display > 0 && !ctx.rows[display - 1]!.selectable ? display - 1 : display;
  let top = Math.min(ctx.top, headerAbove);
  if (display > top + h - 1) top = display - h + 1;
  top = Math.max(0, Math.min(top, Math.max(0, ctx.rows.length - h)));
  return { selectedId: ctx.rows[display]!.id, selectedIndex: at, top };
}

function cycle<T>(list: readonly T[], current: T | undefined, step: number): T | undefined {
  if (list.length === 0) return undefined;
  const i = current === undefined ? -1 : list.indexOf(current);
  return list[((((i < 0 ? (step > 0 ? -1 : 0) : i) + step) % list.length) + list.length) % list.length];
}

export function reduceUi(ui: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'flash':
      return { ...ui, flash: { text: action.text, at: action.at } };
    case 'clearFlash': {
      if (!ui.flash) return ui;
      const { flash: _gone, ...rest } = ui;
      return rest;
    }
    case 'closeOverlay': {
      const { overlay: _gone, ...rest } = ui;
      return rest;
    }
    case 'closeDialog': {
      const { dialog: _gone, ...rest } = ui;
      return rest;
    }
    case 'openDialog':
    case 'updateDialog':
      return { ...ui, dialog: action.dialog };
    case 'select':
      return withList(ui, action.pane, { selectedId: action.id });
    case 'text':
      return typeText(ui, action.text);
    case 'paletteLine':
      return ui.overlay?.kind === 'palette'
        ? { ...ui, overlay: { kind: 'palette', text: action.text, index: 0, ...(action.error ? { error: action.error } : {}) } }
        : ui;
    case 'command':
      return command(ui, action);
  }
}

function typeText(ui: UiState, text: string): UiState {
  const d = ui.dialog;
  if (d?.kind === 'trade' && d.input !== undefined) return { ...ui, dialog: { ...d, input: d.input + text } };
  const o = ui.overlay;
  if (o?.kind === 'palette') return { ...ui, overlay: { kind: 'palette', text: o.text + text, index: 0 } };
  if (o?.kind === 'filter') return withList({ ...ui, overlay: { ...o, text: o.text + text } }, o.pane, { filter: o.text + text });
  return ui;
}

function editLine(ui: UiState, edit: (s: string) => string): UiState {
  const d = ui.dialog;
  if (d?.kind === 'trade' && d.input !== undefined) return { ...ui, dialog: { ...d, input: edit(d.input) } };
  const o = ui.overlay;
  if (o?.kind === 'palette') return { ...ui, overlay: { kind: 'palette', text: edit(o.text), index: 0 } };
  if (o?.kind === 'filter') {
    const text = edit(o.text);
    return withList({ ...ui, overlay: { ...o, text } }, o.pane, { filter: text });
  }
  return ui;
}

function command(ui: UiState, a: Extract<UiAction, { type: 'command' }>): UiState {
  const named = paneOfKey(a.command);
  if (named) return focusPane(ui, named);
  const pane = ui.focus;
  const list = ui.lists[pane];
  switch (a.command) {
    case 'pane.next':
    case 'pane.prev': {
      const panes = panesOf(ui);
      const i = panes.indexOf(pane);
      const step = a.command === 'pane.next' ? 1 : -1;
      return focusPane(ui, panes[(i + step + panes.length) % panes.length]!);
    }
    case 'help.toggle':
      return ui.overlay?.kind === 'help' ? reduceUi(ui, { type: 'closeOverlay' }) : { ...ui, overlay: { kind: 'help', top: 0 } };
    case 'help.close':
      return reduceUi(ui, { type: 'closeOverlay' });
    case 'replay.info':
      return ui.overlay?.kind === 'replayInfo' ? reduceUi(ui, { type: 'closeOverlay' }) : { ...ui, overlay: { kind: 'replayInfo' } };
    case 'palette.open':
      return { ...ui, overlay: { kind: 'palette', text: a.arg ?? '', index: 0 } };
    case 'filter.open':
      if (a.arg !== undefined) return withList(ui, pane, { filter: a.arg });
      return { ...ui, overlay: { kind: 'filter', pane, text: list.filter, previous: list.filter } };
    case 'filter.clear':
      return list.filter === '' ? ui : withList(ui, pane, { filter: '' });
    case 'input.backspace':
      return editLine(ui, (s) => [...s].slice(0, -1).join(''));
    case 'input.clear':
      return editLine(ui, () => '');
    case 'input.cancel': {
      const o = ui.overlay;
      const closed = reduceUi(ui, { type: 'closeOverlay' });
      return o?.kind === 'filter' ? withList(closed, o.pane, { filter: o.previous }) : closed;
    }
    case 'input.submit':
      // The palette's submit runs a command (the App resolves it first); the filter's keeps the text.
      return reduceUi(ui, { type: 'closeOverlay' });
    case 'input.next':
    case 'input.prev': {
      const o = ui.overlay;
      if (o?.kind !== 'palette') return ui;
      return { ...ui, overlay: { kind: 'palette', text: o.text, index: Math.max(0, o.index + (a.command === 'input.next' ? 1 : -1)), picked: true } };
    }
    case 'nav.down':
    case 'nav.up':
    case 'nav.top':
    case 'nav.bottom':
    case 'nav.pageDown':
    case 'nav.pageUp': {
      if (ui.overlay?.kind === 'help') {
        const o = ui.overlay;
        const page = Math.max(1, Math.floor((a.list?.height ?? 10) / 2));
        const from = a.list?.top ?? o.top;
        const next = {
          'nav.down': from + 1,
          'nav.up': from - 1,
          'nav.top': 0,
          'nav.bottom': Number.MAX_SAFE_INTEGER,
          'nav.pageDown': from + page,
          'nav.pageUp': from - page,
        }[a.command];
        return { ...ui, overlay: { ...o, top: Math.max(0, next) } };
      }
      if (ui.overlay?.kind === 'replayInfo') {
        const o = ui.overlay;
        return a.list
          ? {
              ...ui,
              overlay: {
                ...o,
                ...navigate({ selectedIndex: o.selectedIndex ?? 0, ...(o.selectedId !== undefined ? { selectedId: o.selectedId } : {}) }, a.list, a.command),
              },
            }
          : ui;
      }
      return a.list ? withList(ui, pane, navigate(list, a.list, a.command)) : ui;
    }
    case 'sort.next': {
      const options = PANES[pane].sorts;
      const next = cycle(
        options.map((o) => o.key),
        list.sort.key,
        1,
      )!;
      const desc = options.find((o) => o.key === next)!.desc;
      return withList(ui, pane, { sort: { key: next, desc } });
    }
    case 'sort.reverse':
      return withList(ui, pane, { sort: { ...list.sort, desc: !list.sort.desc } });
    case 'positions.group':
      return { ...ui, positionsGroup: ui.positionsGroup === 'class' ? 'currency' : 'class' };
    case 'stress.columns':
      return { ...ui, stressColumns: ui.stressColumns === 'currency' ? 'class' : 'currency' };
    case 'stress.subjectNext':
    case 'stress.subjectPrev': {
      const next = cycle(a.list?.subjects ?? [], a.list?.subject ?? ui.stressSubject, a.command === 'stress.subjectNext' ? 1 : -1);
      return next === undefined ? ui : { ...ui, stressSubject: next };
    }
    case 'view.maskAccount':
      return { ...ui, maskAccount: !ui.maskAccount };
    case 'view.theme': {
      const named = THEME_NAMES.find((t) => t === a.arg?.trim());
      return { ...ui, theme: named ?? cycle(THEME_NAMES, ui.theme, 1)! };
    }
    default:
      // Commands with effects outside the UI (quit, freeze, trading, dialog answers) are run by the App.
      return ui;
  }
}
