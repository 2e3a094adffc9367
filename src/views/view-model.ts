// The view model: a pure function of the store's snapshot, the UI state and the terminal size. No Ink here.
import { COMMANDS, COMMAND_IDS, PANE_IDS, commandEnabled, type Bindings, type CommandId, type PaneId } from '../keymap/bindings.js';
import { disabledReason, helpSections } from '../keymap/help.js';
import { keyLabel as keyName } from '../keymap/keys.js';
import { age, ellipsis, isAsciiText, textWidth, timeLeft, wrap } from './format.js';
import { fitTabs } from './tabs.js';
import { PANES, PANE_LIST } from './panes/registry.js';
import { GRID_MIN, layoutFor, SIDEBAR_MIN, visiblePanes, type Layout } from './layout.js';
import type { AccountVM } from './rows/account.js';
import type { AlertsVM } from './rows/alerts.js';
import { detailVM } from './rows/detail.js';
import type { Cell, ListVM } from './rows/common.js';
import { replayBar, replayedDialog, replayInfo } from './rows/replay.js';
import { armedElsewhere, armedUntil, figuresCells, statusCells, type ConsoleMode, type TradingMode } from './rows/status.js';
import type { StressVM } from './rows/stress.js';
import type { ConsoleSnapshot } from './store.js';
import type { ListContext, UiState } from './ui-state.js';
import { THEME_NAMES } from './theme.js';
import { armingEnded, markCells, planCell, planCells } from './trade-dialog.js';
import { isPictureLine, WORSE_MARK } from './trading-actions.js';
import { sameRefs } from '../model/same-refs.js';

/*
 * DESIGN.md "Views are pure functions of a throttled view model": everything a pane shows is computed here, from the
 * snapshot the store published (state and risk) and the UI state, then rendered by thin components. Only the panes
 * on screen are built, and only their visible rows.
 */

export interface ViewInput {
  readonly snapshot: ConsoleSnapshot;
  readonly ui: UiState;
  readonly size: { readonly columns: number; readonly rows: number };
  readonly mode: ConsoleMode;
  readonly trading: TradingMode;
  readonly endpoint?: { readonly host: string; readonly port: number };
  readonly bindings: Bindings;
  /** Settings and keymap problems, shown as alerts. */
  readonly problems: readonly string[];
  /** IBKR's what-if line for the trade dialog's plan (TradingActions.whatIf), once asked: it arrives after the dialog opened. */
  readonly whatIf?: string;
}

export type PaneVM =
  | { readonly kind: 'account'; readonly pane: 'account'; readonly info: string; readonly account: AccountVM }
  | { readonly kind: 'list'; readonly pane: PaneId; readonly info: string; readonly list: ListVM }
  | { readonly kind: 'stress'; readonly pane: 'stress'; readonly info: string; readonly stress: StressVM }
  | { readonly kind: 'alerts'; readonly pane: 'alerts'; readonly info: string; readonly alerts: AlertsVM };

export interface HelpLine {
  readonly keys: string;
  readonly text: string;
  readonly heading?: boolean;
  readonly disabled?: string;
  /** A description's continuation under its first line (the why of a disabled command is said there only). */
  readonly continued?: boolean;
}

/** The help overlay's keys column, in cells; descriptions wrap in the rest of the width. */
export const HELP_KEYS_WIDTH = 22;

export interface PaletteItem {
  readonly command: CommandId;
  readonly keys: string;
  readonly description: string;
  readonly args?: string;
  readonly disabled?: string;
}

export interface ViewModel {
  readonly layout: Layout;
  readonly focus: PaneId;
  readonly status: readonly Cell[];
  /** The figures line under the status bar: the account's key numbers and the worst stress result, on every layout. */
  readonly figures: readonly Cell[];
  /**
   * Set when the terminal has fewer rows than the screen's lines and a pane need (`COMPACT`): only the status bar,
   * the figures, these lines (why, and what is open that cannot be shown) and the hint are drawn, in that order of
   * priority, so the frame is never taller than the terminal. Panes and dialogs are not drawn; a plan's confirm key is
   * refused as for a cut plan.
   */
  readonly compact?: readonly (readonly Cell[])[];
  readonly tabs: readonly { readonly pane: PaneId; readonly label: string; readonly focused: boolean }[];
  readonly panes: Readonly<Partial<Record<PaneId, PaneVM>>>;
  readonly titles: { readonly [P in PaneId]: string };
  /** The bottom line: a flash message, the filter being typed, or key hints. */
  readonly hint: readonly Cell[];
  /** A flash message too wide for one line goes on under it (FLASH_LINES in all): a refusal is read whole, not cut. */
  readonly hintMore?: readonly (readonly Cell[])[];
  /** `more` says how to scroll when lines are below the fold. */
  readonly help?: { readonly title: string; readonly lines: readonly HelpLine[]; readonly top: number; readonly more?: string };
  /** `rows`: the rows it takes, its line included (PALETTE_ROWS where the terminal has them). */
  readonly palette?: {
    readonly text: string;
    readonly items: readonly PaletteItem[];
    readonly index: number;
    readonly hint: string;
    readonly error?: string;
    readonly rows: number;
  };
  /** `hidden`: order lines of a trading plan (confirm or word phase) cut to fit the terminal; its confirm key is refused while any are hidden. */
  readonly dialog?: {
    readonly title: string;
    readonly lines: readonly Cell[];
    readonly hidden?: number;
    /** Drawn without its border: the body is too short for it (view-model.ts `dialogFrames`). */
    readonly bare?: boolean;
    /** A detail view (Enter on a row): drawn over the whole body, and where it is scrolled to. */
    readonly scroll?: { readonly top: number; readonly max: number; readonly page: number; readonly total: number };
  };
  /** A replay's transport line, under the status bar. */
  readonly replayBar?: readonly Cell[];
  /**
   * In a replay: the trading dialog the operator had open at the replay's time, as a strip of `height` rows under the
   * panes (border included), never over them.
   */
  readonly replayStrip?: { readonly title: string; readonly lines: readonly Cell[]; readonly height: number };
  /** The recording info's marker list as shown, for the list keys that move through it (commands/replay.ts). */
  readonly replayMarkers?: ListContext;
}

/** Rows the palette takes at the bottom (input line plus suggestions), where the terminal has them. */
export const PALETTE_ROWS = 7;
/**
 * Rows the other lines always take (status, figures, tab bar, hint) and the fewest the body keeps (layout.ts): the
 * palette gives up suggestions rather than push the frame past the terminal's height, where Ink squeezed its lines
 * onto the status bar's row at 40x10.
 */
const PALETTE_LEAVES = 4 + 3;
/** Rows the figures line takes under the status bar. */
export const FIGURES_ROWS = 1;
/** The fewest rows a pane is drawn in: its title, its header and one row (layout.ts keeps the body at least this). */
const PANE_MIN_ROWS = 3;
/** How long a flash message stays on the hint line. */
export const FLASH_MS = 6000;
/** The most lines a flash message takes at the bottom (the panes give up the rows while it is shown). */
export const FLASH_LINES = 3;

/** "2 Positions" with a focus marker that does not rely on colour. */
export function paneTitle(pane: PaneId, focused: boolean): string {
  return `${focused ? '▶' : ' '}${PANE_IDS.indexOf(pane) + 1} ${PANES[pane].title}`;
}

/** A key as the console shows it: arrows spelled out on an ASCII-only terminal ("Down", not "v"). */
const keyLabel = (key: string): string => keyName(key, isAsciiText());

function firstKey(bindings: Bindings, id: CommandId): string | undefined {
  const k = bindings[id][0];
  return k === undefined ? undefined : keyLabel(k);
}

const PALETTE_IDS = COMMAND_IDS.filter((id) => COMMANDS[id].palette);

/**
 * The palette line's words. One leading ":" is the palette's own prompt typed again (`::sort.r`) or pasted with the
 * command (`:sort.r` from a note), not part of the command's name.
 */
function paletteWords(text: string): string[] {
  return text.trim().replace(/^:/, '').trim().split(/\s+/);
}

/** Commands whose id, or its part after the dot, starts with `head` (case-insensitive): what Enter and Tab complete. */
function prefixMatches(head: string): CommandId[] {
  const h = head.toLowerCase();
  if (h === '') return [];
  return PALETTE_IDS.filter(
    (id) =>
      id.toLowerCase().startsWith(h) ||
      id
        .slice(id.indexOf('.') + 1)
        .toLowerCase()
        .startsWith(h),
  );
}

/**
 * Palette suggestions: commands the typed word starts (see prefixMatches) first, then those whose id or description
 * contains every part of it. The suggestions only help to find a command; Enter runs what `resolvePalette` says.
 */
export function paletteItems(bindings: Bindings, trade: boolean, text: string, replay = false): PaletteItem[] {
  const [head = ''] = paletteWords(text);
  const words = head
    .toLowerCase()
    .split(/[.\s]+/)
    .filter(Boolean);
  const first = new Set(prefixMatches(head));
  const ordered = [...PALETTE_IDS.filter((id) => first.has(id)), ...PALETTE_IDS.filter((id) => !first.has(id))];
  return ordered.flatMap((id) => {
    const c = COMMANDS[id];
    const hay = `${id} ${c.description}`.toLowerCase();
    if (!first.has(id) && !words.every((w) => hay.includes(w))) return [];
    return [
      {
        command: id,
        keys: bindings[id].map(keyLabel).join(' '),
        description: c.description,
        ...(c.args ? { args: c.args } : {}),
        ...(commandEnabled(id, trade, replay) ? {} : { disabled: disabledReason(id, replay) }),
      },
    ];
  });
}

export type PaletteOutcome =
  | { readonly kind: 'run'; readonly command: CommandId; readonly arg?: string }
  /** Enter or Tab filled in more of the command: the new line. */
  | { readonly kind: 'complete'; readonly text: string }
  | { readonly kind: 'error'; readonly message: string };

function commonPrefix(ids: readonly string[]): string {
  return ids.reduce((p, id) => {
    let i = 0;
    while (i < p.length && i < id.length && p[i]!.toLowerCase() === id[i]!.toLowerCase()) i++;
    return p.slice(0, i);
  });
}

/**
 * What the palette line means (k9s's command line): an exact command id or a unique prefix of one (of the id or of
 * its part after the dot) names that command; several matches complete to their common part; anything else is "no
 * such command". A word after the command is its argument, and a command that takes none, or a theme that does not
 * exist, is refused rather than read as something else. Never the top suggestion by itself: `:tr` is not quit.
 */
export function resolvePalette(text: string): PaletteOutcome {
  const [head = '', ...restWords] = paletteWords(text);
  const rest = restWords.join(' ');
  if (head === '') return { kind: 'error', message: 'Type a command (Tab completes)' };
  const exact = PALETTE_IDS.find((id) => id.toLowerCase() === head.toLowerCase());
  const matches = exact ? [exact] : prefixMatches(head);
  if (matches.length === 0) return { kind: 'error', message: `No such command: ${head}` };
  if (matches.length > 1) {
    const idPrefix = matches.filter((id) => id.toLowerCase().startsWith(head.toLowerCase()));
    const common = idPrefix.length === matches.length ? commonPrefix(idPrefix) : '';
    if (common.length > head.length) return { kind: 'complete', text: common };
    const shown = matches.slice(0, 4).join(', ');
    return {
      kind: 'error',
      message: `${head} could be ${matches.length} commands (${shown}${matches.length > 4 ? `, ${ellipsis()}` : ''}); type more or pick one`,
    };
  }
  const command = matches[0]!;
  const spec = COMMANDS[command];
  if (rest !== '' && !spec.args) return { kind: 'error', message: `${command} takes no argument (got "${rest}")` };
  if (command === 'view.theme' && rest !== '' && !(THEME_NAMES as readonly string[]).includes(rest)) {
    return { kind: 'error', message: `view.theme: no theme "${rest}"; choose ${THEME_NAMES.join(', ')}` };
  }
  return { kind: 'run', command, ...(rest !== '' ? { arg: rest } : {}) };
}

/** Tab: completes the typed command as far as it is certain, adding a space where an argument follows. */
export function completePalette(text: string): string | undefined {
  const [head = '', ...restWords] = paletteWords(text);
  if (head === '' || restWords.length > 0) return undefined;
  const exact = PALETTE_IDS.find((id) => id.toLowerCase() === head.toLowerCase());
  const matches = exact ? [exact] : prefixMatches(head);
  if (matches.length === 1) return `${matches[0]!}${COMMANDS[matches[0]!].args ? ' ' : ''}`;
  const idPrefix = matches.filter((id) => id.toLowerCase().startsWith(head.toLowerCase()));
  const common = matches.length > 1 && idPrefix.length === matches.length ? commonPrefix(idPrefix) : '';
  return common.length > head.length ? common : undefined;
}

/** The footer's word for a pane's own command (the help overlay has the full descriptions). */
const PANE_KEY_WORDS: Partial<Record<CommandId, string>> = {
  'positions.group': 'group',
  'stress.columns': 'columns',
  'stress.subjectNext': 'next chart',
  'stress.subjectPrev': 'prev chart',
  'alerts.ack': 'ack',
  'trade.flatten': 'flatten',
  'trade.cancel': 'cancel order',
};

/** What mode the keys are in, first on the footer: help open, a filter on the focused pane, frozen, armed. */
function stateCells(input: ViewInput): Cell[] {
  const { ui, snapshot } = input;
  const out: Cell[] = [];
  if (ui.overlay?.kind === 'help') out.push({ text: ' HELP ', slot: 'heading' });
  const filter = ui.lists[ui.focus].filter;
  if (filter !== '' && ui.overlay?.kind !== 'filter') out.push({ text: ` FILTER ${filter} `, slot: 'heading' });
  if (snapshot.frozen) out.push({ text: ' FROZEN ', slot: 'mode.frozen' });
  if (input.trading === 'trade' && armedUntil(snapshot.live, snapshot.now) !== undefined) out.push({ text: ' ARMED ', slot: 'mode.armed' });
  return out.flatMap((c) => [c, { text: ' ' }]);
}

/**
 * The hint line, and the flash message's further lines when it is wider than the terminal: wrapped at spaces under
 * its first word (past the mode cells), at most FLASH_LINES in all, the last cut with "…" only beyond that.
 */
function hintLines(input: ViewInput, now: number, columns: number, maxLines = FLASH_LINES): { hint: Cell[]; more?: Cell[][] } {
  const hint = hintLine(input, now);
  const flash = hint[hint.length - 1];
  if (flash?.slot !== 'flash') return { hint };
  const indent = hint.slice(0, -1).reduce((w, c) => w + textWidth(c.text), 0);
  const room = columns - indent;
  if (textWidth(flash.text) <= room || room < 20) return { hint };
  const lines = wrap(flash.text, room);
  if (lines.length <= 1 || maxLines <= 1) return { hint };
  const kept = [...lines.slice(0, maxLines - 1), lines.slice(maxLines - 1).join(' ')];
  const pad = ' '.repeat(indent);
  return {
    hint: [...hint.slice(0, -1), { text: kept[0]!, slot: 'flash' }],
    more: kept.slice(1).map((l) => [{ text: `${pad}${l}`, slot: 'flash' as const }]),
  };
}

function hintLine(input: ViewInput, now: number): Cell[] {
  const { ui, bindings } = input;
  if (ui.overlay?.kind === 'filter') {
    return [
      { text: `Filter ${PANES[ui.overlay.pane].title}: `, slot: 'heading' },
      { text: `${ui.overlay.text}▏` },
      { text: `  ${firstKey(bindings, 'input.submit')} keep · ${firstKey(bindings, 'input.cancel')} cancel · ! inverts`, slot: 'muted' },
    ];
  }
  const state = stateCells(input);
  // Counted in real time (a replay's clock pauses and jumps: ConsoleSnapshot.wall).
  if (ui.flash && (input.snapshot.wall ?? now) - ui.flash.at < FLASH_MS) return [...state, { text: ui.flash.text, slot: 'flash' }];
  const trade = input.trading === 'trade';
  const replay = input.mode === 'replay';
  // The focused pane's own keys, so the footer changes with the focus (the rest are in help).
  // In a replay the player's keys shadow some of them ([ ] are markers there): those are left out.
  const playerKeys = new Set(replay ? COMMAND_IDS.filter((id) => COMMANDS[id].scope === 'replay').flatMap((id) => bindings[id]) : []);
  const paneKeys: [CommandId, string][] = COMMAND_IDS.filter(
    (id) => COMMANDS[id].scope === ui.focus && PANE_KEY_WORDS[id] && commandEnabled(id, trade, replay) && !playerKeys.has(bindings[id][0] ?? ''),
  ).map((id) => [id, PANE_KEY_WORDS[id]!]);
  const filtered = ui.lists[ui.focus].filter !== '';
  const hints: [CommandId, string][] =
    ui.dialog?.kind === 'trade' || ui.dialog?.kind === 'confirmQuit'
      ? // The dialog takes every key: the panes' keys listed under it did nothing. Its own keys are in it, and the
        // footer says the same: once the plan has gone out nothing is left to cancel, the cancel key closes the
        // result; while orders are on the way it does nothing (trade-dialog.ts), so it is not offered.
        ui.dialog.kind === 'trade' && ui.dialog.phase === 'sending'
        ? []
        : ui.dialog.kind === 'trade' && ui.dialog.phase === 'done'
          ? [['dialog.cancel', 'close']]
          : [['dialog.cancel', 'cancel (the default)']]
      : ui.dialog?.kind === 'detail'
        ? [
            ['nav.down', 'scroll'],
            ['nav.pageDown', 'page'],
            ['nav.bottom', 'end'],
            ['dialog.cancel', 'close'],
          ]
        : ui.overlay?.kind === 'help'
          ? [
              ['help.close', 'close help'],
              ['nav.down', 'scroll'],
              ['nav.pageDown', 'page'],
            ]
          : ui.overlay?.kind === 'replayInfo'
            ? [
                // The recording's page is open: q closes it (a second q quits), so the footer says what the keys do here.
                ['nav.down', 'select marker'],
                ['row.detail', 'jump there'],
                ['help.close', 'close this page'],
              ]
            : replay
              ? [
                  ['replay.pause', input.snapshot.replay?.paused === false ? 'pause' : 'play'],
                  ['replay.step', 'step'],
                  ['replay.faster', 'faster'],
                  ['replay.slower', 'slower'],
                  ['replay.nextMarker', 'marker'],
                  ['palette.open', 'goto'],
                  ['help.toggle', 'help'],
                  ...paneKeys,
                  ['app.quit', 'quit'],
                ]
              : [
                  ['help.toggle', 'help'],
                  ['palette.open', 'commands'],
                  ...paneKeys,
                  // On the Accounts pane, Enter is what matters: it chooses the account every other pane shows.
                  ...(ui.focus === 'accounts' ? ([['row.detail', 'show account']] as [CommandId, string][]) : []),
                  filtered ? ['filter.clear', 'clear filter'] : ['filter.open', 'filter'],
                  ['pane.next', 'pane'],
                  ['sort.next', 'sort'],
                  ['view.freeze', input.snapshot.frozen ? 'thaw' : 'freeze'],
                  ['app.quit', 'quit'],
                ];
  const pairs = hints.flatMap(([id, word]): Cell[][] => {
    // Esc is the key everyone tries first to close a view: named when it is one of the command's keys.
    const k = (id === 'dialog.cancel' || id === 'help.close') && bindings[id].includes('esc') ? keyLabel('esc') : firstKey(bindings, id);
    return k
      ? [
          [
            { text: k, slot: 'key' as const },
            { text: ` ${word}  `, slot: 'muted' as const },
          ],
        ]
      : [];
  });
  // Whole hints only: one cut to the width read "Space freez…" at 80 columns (the rest are in help).
  const out: Cell[] = [...state];
  let used = state.reduce((w, c) => w + textWidth(c.text), 0);
  for (const pair of pairs) {
    const w = textWidth(pair.map((c) => c.text).join(''));
    if (used + w - 2 > input.size.columns) break;
    out.push(...pair);
    used += w;
  }
  // The last hint's trailing gap would reach past the edge, where Ink cuts the line with "…" over its last letter.
  const last = out[out.length - 1];
  if (last && last.slot === 'muted') out[out.length - 1] = { ...last, text: last.text.trimEnd() };
  return out;
}

function helpVM(input: ViewInput, height: number): ViewModel['help'] {
  const { ui, bindings } = input;
  const trade = input.trading === 'trade';
  const lines: HelpLine[] = [];
  for (const section of helpSections(bindings, ui.focus, trade, input.mode === 'replay', isAsciiText())) {
    lines.push({ keys: '', text: section.category, heading: true });
    for (const r of section.rows) {
      // Wrapped, not cut: what a command takes or needs is often at the end of its description (trade.arm's code).
      const room = input.size.columns - HELP_KEYS_WIDTH - (r.disabled ? textWidth(`(${r.disabled}) `) : 0);
      wrap(r.description, Math.max(20, room)).forEach((text, i) =>
        lines.push({ keys: i === 0 ? r.keys : '', text, ...(r.disabled ? { disabled: r.disabled } : {}), ...(i > 0 ? { continued: true } : {}) }),
      );
    }
  }
  const visible = Math.max(1, height - 1);
  const top = Math.min(ui.overlay?.kind === 'help' ? ui.overlay.top : 0, Math.max(0, lines.length - visible));
  const more =
    top + visible < lines.length
      ? `more below (${[firstKey(bindings, 'nav.down'), firstKey(bindings, 'nav.pageDown')].filter(Boolean).join(', ')})`
      : undefined;
  return { title: `Keys for ${PANES[ui.focus].title} (${firstKey(bindings, 'help.close') ?? 'palette'} closes)`, lines, top, ...(more ? { more } : {}) };
}

/** The last view model built per pane, reused while its inputs are the same (so its component skips rendering). */
const paneMemo = new Map<PaneId, { inputs: readonly unknown[]; vm: PaneVM }>();

/** A pane's view model from its registry entry, rebuilt only when what it reads changed (PaneEntry.inputs). */
function memoPaneVM(input: ViewInput, pane: PaneId, width: number, height: number): PaneVM {
  const entry = PANES[pane];
  const inputs = [width, height, input.ui.lists[pane], ...entry.inputs(input)];
  const hit = paneMemo.get(pane);
  if (hit && sameRefs(hit.inputs, inputs)) return hit.vm;
  // The frame's title line and the selection marker's column are not the pane's.
  const vm = entry.build(input, { width: Math.max(10, width - 1), height: Math.max(1, height - 1) });
  paneMemo.set(pane, { inputs, vm });
  return vm;
}

/** The rows each pane's content would fill, for the layouts that show more than one pane. */
function panesWant(input: ViewInput, size: ViewInput['size']): Partial<Record<PaneId, number>> {
  const out: Partial<Record<PaneId, number>> = {};
  if (size.columns < SIDEBAR_MIN.columns) return out;
  // Every pane is on screen in the grid, which does not read how many rows Positions fills: not counted there.
  const grid = size.columns >= GRID_MIN.columns && size.rows >= GRID_MIN.rows;
  for (const entry of PANE_LIST) if (entry.wants && !(grid && entry.id === 'positions')) out[entry.id] = entry.wants(input);
  return out;
}

export function buildViewModel(input: ViewInput): ViewModel {
  const { snapshot, ui, size } = input;
  const now = snapshot.now;
  const palette = ui.overlay?.kind === 'palette';
  const replay = snapshot.replay;
  // One row always goes to the figures line (FIGURES_ROWS), whatever the size.
  const strip = replay ? replayStripFor(input) : undefined;
  // The rows the status, figures, tab bar, hint and the body's fewest leave: the flash's further lines and the palette
  // share them (the frame is never taller than the terminal, or Ink squeezes its lines over each other).
  const spare = size.rows - PALETTE_LEAVES - (replay ? 1 : 0) - (strip?.height ?? 0);
  // With the palette open its line and a suggestion come first; a flash then keeps the rows left.
  // Fewer rows than the status bar, figures, tab bar, hint (a replay's bar and strip, the palette's two) and a pane take:
  // drawn in full the frame would be taller than the terminal, which scrolls it, and Ink then draws each frame over the
  // wrong rows (the status bar's connection state lost off the top). The compact screen keeps what fits.
  const fullRows = 1 + FIGURES_ROWS + 1 + 1 + (replay ? 1 + (strip?.height ?? 0) : 0) + (palette ? 2 : 0) + PANE_MIN_ROWS;
  const compact = size.rows < fullRows ? compactLines(input, fullRows) : undefined;
  // A flash (a refused key's reason) gets the rows under the status bar and figures on the compact screen.
  const flashRows = compact ? Math.max(1, size.rows - 1 - FIGURES_ROWS) : 1 + Math.max(0, spare - (palette ? 2 : 0));
  const hints = hintLines(input, now, size.columns, Math.min(FLASH_LINES, flashRows));
  const paletteRows = Math.max(2, Math.min(PALETTE_ROWS, spare - (hints.more?.length ?? 0)));
  const layout = layoutFor(
    size.columns,
    size.rows,
    ui.focus,
    ui.main,
    FIGURES_ROWS + (palette ? paletteRows : 0) + (replay ? 1 : 0) + (strip?.height ?? 0) + (hints.more?.length ?? 0),
    ui.accountsPane === true,
    panesWant(input, size),
  );
  const panes: Partial<Record<PaneId, PaneVM>> = {};
  const replayDialog = replayDialogFor(input, layout.bodyHeight);
  const covered = ui.overlay?.kind === 'help' || ui.dialog !== undefined || replayDialog !== undefined || compact !== undefined;
  if (!covered) {
    for (const col of layout.body) for (const box of col.panes) panes[box.pane] = memoPaneVM(input, box.pane, box.width, box.height);
  }
  const shown = new Set(visiblePanes(layout));
  const titles = Object.fromEntries(PANE_IDS.map((p) => [p, paneTitle(p, p === ui.focus)])) as ViewModel['titles'];
  const vm: ViewModel = {
    layout,
    focus: ui.focus,
    status: statusCells(
      {
        live: snapshot.live,
        mode: input.mode,
        ...(input.endpoint ? { endpoint: input.endpoint } : {}),
        maskAccount: ui.maskAccount,
        trading: input.trading,
        now,
        ...(snapshot.frozen ? { frozen: snapshot.frozen } : {}),
        ...(snapshot.follow ? { follow: snapshot.follow } : {}),
        ...(replay
          ? { recording: { ...(replay.account ? { account: replay.account } : {}), ...(replay.baseCurrency ? { baseCurrency: replay.baseCurrency } : {}) } }
          : {}),
        // With several accounts the bar counts every account's alerts: one not on screen is never hidden.
        ...(snapshot.accounts ? { alerts: snapshot.accounts.alerts.map((a) => a.alert) } : snapshot.alerts ? { alerts: snapshot.alerts } : {}),
        ...(snapshot.accounts
          ? {
              accounts: {
                count: snapshot.accounts.rows.length,
                all: snapshot.accounts.selected === 'all',
                index: snapshot.accounts.rows.findIndex((r) => r.account === snapshot.accounts?.shown) + 1,
                armedElsewhere: armedElsewhere(snapshot.accounts, now),
              },
            }
          : {}),
      },
      size.columns,
    ),
    figures: figuresCells(snapshot.state, snapshot.risk, size.columns, { now, ...(replay ? { replay: { seq: replay.seq } } : {}) }),
    tabs: fitTabs(
      PANE_LIST.map(({ id: p, title, short }, i) => ({
        pane: p,
        digit: i + 1,
        title,
        short,
        focused: p === ui.focus || (!shown.has(ui.focus) && p === ui.main),
      })).filter((t) => t.pane !== 'accounts' || ui.accountsPane),
      size.columns,
    ),
    ...(compact ? { compact } : {}),
    panes,
    titles,
    hint: hints.hint,
    ...(hints.more ? { hintMore: hints.more } : {}),
    ...(ui.overlay?.kind === 'help' ? { help: helpVM(input, layout.bodyHeight) } : {}),
    ...(ui.overlay?.kind === 'palette'
      ? {
          palette: {
            text: ui.overlay.text,
            items: paletteItems(input.bindings, input.trading === 'trade', ui.overlay.text, input.mode === 'replay'),
            index: ui.overlay.index,
            hint: `${firstKey(input.bindings, 'input.submit') ?? ''} runs · ${firstKey(input.bindings, 'input.complete') ?? ''} completes · ${firstKey(input.bindings, 'input.next') ?? ''} picks · ${firstKey(input.bindings, 'input.cancel') ?? ''} closes`,
            ...(ui.overlay.error ? { error: ui.overlay.error } : {}),
            rows: paletteRows,
          },
        }
      : {}),
    ...(ui.dialog?.kind === 'detail'
      ? { dialog: detailDialog(ui.dialog, size.columns, layout.bodyHeight) }
      : ui.dialog?.kind === 'confirmQuit'
        ? { dialog: quitDialog(input, layout.bodyHeight) }
        : ui.dialog?.kind === 'trade'
          ? // Compact: no row for it, so every order counts as not shown (its confirm key refused).
            { dialog: tradeDialog(input, ui.dialog, compact ? 0 : layout.bodyHeight, size.columns, size.rows) }
          : replayDialog
            ? { dialog: { title: replayDialog.title, lines: replayDialog.lines } }
            : {}),
    ...(replay ? { replayBar: replayBar(replay, size.columns) } : {}),
    ...(replayDialog?.list ? { replayMarkers: replayDialog.list } : {}),
    ...(strip ? { replayStrip: strip } : {}),
  };
  return vm;
}

/** The compact screen's middle lines: why the panes are not drawn, and what is open that cannot be shown. */
function compactLines(input: ViewInput, fullRows: number): Cell[][] {
  const { ui, size } = input;
  const lines: Cell[] = [{ text: `Panes need ${fullRows} rows (this terminal has ${size.rows}): enlarge it to see them.`, slot: 'risk.warn' }];
  if (ui.dialog?.kind === 'trade') {
    const yes = firstKey(input.bindings, 'dialog.confirm') ?? 'y';
    // First: with three rows it is the one line shown.
    lines.unshift({ text: `A trading dialog is open but not shown: ${yes} does nothing until it is.`, slot: 'dialog.danger' });
  } else if (ui.dialog || ui.overlay?.kind === 'help' || ui.overlay?.kind === 'palette' || ui.overlay?.kind === 'replayInfo') {
    const what = ui.overlay?.kind === 'palette' ? 'command line' : ui.overlay?.kind === 'help' ? 'help page' : 'dialog';
    const close = firstKey(input.bindings, ui.overlay?.kind === 'palette' ? 'input.cancel' : 'dialog.cancel');
    lines.push({ text: `A ${what} is open but not shown${close ? ` (${close} closes it)` : ''}.` });
  }
  // The first line wrapped where the rows allow (App.tsx keeps the first rows when they do not).
  return wrapCells(lines, size.columns).map((c) => [c]);
}

/**
 * In a replay: the recording's header, verification and markers while `i` has it open (the player's own page, over
 * the body, cut to its height). Nothing else in a replay covers the panes.
 */
function replayDialogFor(input: ViewInput, height: number): (ViewModel['dialog'] & { list?: ListContext }) | undefined {
  const r = input.snapshot.replay;
  const o = input.ui.overlay;
  if (!r || input.ui.dialog || o?.kind !== 'replayInfo') return undefined;
  const k = (id: CommandId) => firstKey(input.bindings, id) ?? `:${id}`;
  const room = Math.max(1, height - 3);
  const keys = {
    close: input.bindings['help.close'].includes('esc') ? keyLabel('esc') : k('help.close'),
    play: k('replay.pause'),
    markers: `${k('replay.prevMarker')} ${k('replay.nextMarker')}`,
    jump: k('row.detail'),
    pick: (['up', 'down'].every((x) => input.bindings['nav.up'].includes(x) || input.bindings['nav.down'].includes(x))
      ? [keyLabel('up'), keyLabel('down')]
      : [k('nav.up'), k('nav.down')]
    ).join(' '),
  };
  const d = replayInfo(r, keys, {
    room,
    columns: input.size.columns,
    ...(o.selectedId !== undefined ? { selectedId: o.selectedId } : {}),
    ...(o.top !== undefined ? { top: o.top } : {}),
  });
  const lines =
    d.lines.length <= room
      ? d.lines
      : [...d.lines.slice(0, room - 1), { text: `${ellipsis()} ${d.lines.length - room + 1} more line(s)`, slot: 'muted' as const }];
  return { title: d.title, lines, list: d.list };
}

/**
 * The recorded trading dialog open at the replay's time, as a strip under the panes: a third of the screen, its last
 * line (that the operator had not decided yet) always kept. A long plan (a flatten of every position) keeps, before
 * anything else, the account's figures now and after with their worst losses (wrapped, not cut at the border: the
 * cushion is at the end of the row), growing past a third for them while the panes keep a third; then its heading
 * and as many orders as fit, then the lines about it (notes, realized P&L). One row says what is cut, orders first.
 */
function replayStripFor(input: ViewInput): ViewModel['replayStrip'] {
  const d = replayedDialog(input.snapshot.state);
  if (!d) return undefined;
  const { rows: screen, columns } = input.size;
  // Border and padding take 4 columns; border and title 3 rows. The status, figures, replay and tab bars and the hint take 5.
  const width = Math.max(20, columns - 4);
  const rows = d.lines.flatMap((c, i) => {
    const role = i === d.lines.length - 1 ? ('last' as const) : d.roles[i]!;
    const cells = role === 'figures' && !c.text.startsWith('worst ') ? wrapCells([c], width) : [c];
    return cells.map((cell) => ({ cell, role, line: i }));
  });
  const third = Math.max(4, Math.floor(screen / 3));
  const cut = rows.length + 3 > third;
  const must = rows.filter((r) => r.role === 'figures' || r.role === 'last').length + (cut ? 1 : 0);
  const height = Math.min(rows.length + 3, Math.max(third, Math.min(must + 3, screen - 5 - Math.floor(screen / 3))));
  let budget = height - 3;
  const keep = new Set<number>();
  const take = (pick: (r: (typeof rows)[number]) => boolean) => {
    rows.forEach((r, i) => {
      if (budget > 0 && !keep.has(i) && pick(r)) {
        keep.add(i);
        budget--;
      }
    });
  };
  take((r) => r.role === 'last');
  take((r) => r.role === 'figures');
  if (rows.length > height - 3) budget--;
  for (const role of ['head', 'order', 'info'] as const) take((r) => r.role === role);
  const lost = rows.filter((_, i) => !keep.has(i));
  const lines: Cell[] = [];
  if (lost.length > 0 && budget >= 0) {
    const orders = new Set(rows.filter((r) => r.role === 'order').map((r) => r.line)).size;
    const ordersLost = new Set(lost.filter((r) => r.role === 'order').map((r) => r.line)).size;
    const others = new Set(lost.filter((r) => r.role !== 'order').map((r) => r.line)).size;
    const what = [
      ...(ordersLost > 0 ? [`${ordersLost} of ${orders} orders`] : []),
      ...(others > 0 ? [`${others} ${ordersLost > 0 ? 'other ' : 'more '}line(s)`] : []),
    ].join(' and ');
    const first = rows.findIndex((_, i) => !keep.has(i));
    rows.forEach((r, i) => {
      if (i === first) lines.push({ text: `${ellipsis()} ${what} not shown`, slot: 'muted' });
      if (keep.has(i)) lines.push(r.cell);
    });
  } else rows.forEach((r, i) => keep.has(i) && lines.push(r.cell));
  return { title: d.title, lines, height };
}

/**
 * Cells wider than the dialog wrap onto rows of their own, continued two cells in, in the same colour: a money line or
 * a refusal cut at the border ("at the li…") hides what it is about. `width` is the text's room in the dialog.
 */
function wrapCells(cells: readonly Cell[], width: number): Cell[] {
  return cells.flatMap((c) => (textWidth(c.text) <= width ? [c] : wrap(c.text, width - 2).map((text, i) => ({ ...c, text: i === 0 ? text : `  ${text}` }))));
}

/*
 * How a dialog is fitted to the body: in its double border (the border and its padding take 6 columns, the border and
 * the title 3 rows); where that is too tall, without the border and without blank separator lines (the title takes
 * 1 row, the text the whole width), which keeps the arming prompt readable at 40x10; where even that is too tall, one
 * plain sentence saying how big the terminal must be. Ink draws a column taller than its box by squeezing its lines
 * onto each other, so a dialog that did not fit was drawn as overlapping fragments ("the account id: ▏characters of").
 */
interface DialogFrame {
  readonly bare: boolean;
  /** Rows the frame takes around the lines (border, title). */
  readonly rows: number;
  /** Columns a line has. */
  readonly width: number;
}

function dialogFrames(columns: number): readonly DialogFrame[] {
  return [
    { bare: false, rows: 3, width: Math.max(20, columns - 6) },
    { bare: true, rows: 1, width: Math.max(20, columns) },
  ];
}

/** The one sentence shown instead of a dialog the terminal cannot hold, wrapped to its width (ConfirmDialog, bare). */
function enlargeDialog(columns: number, needRows: number, hidden?: number): NonNullable<ViewModel['dialog']> {
  const [title = '', ...rest] = wrap(`Enlarge the terminal to see this dialog (needs ${columns}x${needRows})`, Math.max(20, columns));
  return { title, lines: rest.map((text) => ({ text, slot: 'dialog.danger' as const })), bare: true, ...(hidden ? { hidden } : {}) };
}

/** A dialog of fixed lines (quit while armed) fitted to the body: boxed, else bare, else the sentence saying what it needs. */
function fitDialog(title: string, lines: readonly Cell[], height: number, size: ViewInput['size']): NonNullable<ViewModel['dialog']> {
  for (const f of dialogFrames(size.columns)) {
    const rows = wrapCells(f.bare ? lines.filter((c) => c.text !== '') : lines, f.width);
    if (rows.length + f.rows <= height) return { title, lines: rows, ...(f.bare ? { bare: true } : {}) };
  }
  return enlargeDialog(size.columns, size.rows - height + 3 + wrapCells(lines, dialogFrames(size.columns)[0]!.width).length);
}

/** A trading dialog: the locked plan, then what to type or press; the safe answer (cancel) is the default. */
function tradeDialog(
  input: ViewInput,
  d: Extract<NonNullable<UiState['dialog']>, { kind: 'trade' }>,
  height: number,
  columns: number,
  rows: number,
): ViewModel['dialog'] {
  const yes = firstKey(input.bindings, 'dialog.confirm') ?? '';
  const no = input.bindings['dialog.cancel'].map(keyLabel).join(' / ');
  const submit = firstKey(input.bindings, 'input.submit') ?? '';
  const back = firstKey(input.bindings, 'input.cancel') ?? '';
  // Long lines (a refusal: sentence, code, next step) go one clause per line, so a narrow terminal keeps the code.
  const clauses = (ls: readonly string[]) => ls.flatMap(planCells);
  const orderCount = d.phase === 'arm' ? 0 : (d.orderLines ?? d.lines.length);
  const orders: Cell[] = clauses(d.lines.slice(0, orderCount));
  const info: Cell[] = [...clauses(d.lines.slice(orderCount)), ...markCells(d, input.snapshot.live, input.snapshot.now)];
  // The account's figures now and after (with their worst losses), the lines most read: a cut keeps them (below).
  const figures: Cell[] = clauses(d.lines.slice(orderCount).filter(isPictureLine));
  const rest: Cell[] = [...clauses(d.lines.slice(orderCount).filter((l) => !isPictureLine(l))), ...markCells(d, input.snapshot.live, input.snapshot.now)];
  /*
   * What a cut keeps of the lines about the plan, whole lines in order of importance: the figures now and after, the
   * "after" figures together with the notes that qualify them (after-flatten.ts: the lines after it that are not
   * WORSE lines, "our estimate cannot see closing EUR.USD"), then the rest as the plan lists it. A user trial at 80x24
   * read a sentence cut mid-line ("… at the planned limits (if filled,") and an "after" margin whose caveat was cut.
   */
  const about = d.lines.slice(orderCount);
  const lastPicture = about.findLastIndex(isPictureLine);
  const qualifies = (l: string, i: number) => lastPicture >= 0 && i > lastPicture && !l.startsWith(WORSE_MARK);
  const units: Cell[][] = [
    ...about.flatMap((l, i) => (isPictureLine(l) ? [[...clauses([l]), ...(i === lastPicture ? clauses(about.filter(qualifies)) : [])]] : [])),
    ...about.flatMap((l, i) => (isPictureLine(l) || qualifies(l, i) ? [] : [clauses([l])])),
    ...markCells(d, input.snapshot.live, input.snapshot.now).map((c) => [c]),
  ];
  const ended = armingEnded(d, input.snapshot.live, input.snapshot.now);
  const tail: Cell[] = [];
  if (d.error) tail.push({ text: '' }, ...d.error.split('; ').map((text): Cell => ({ text, slot: 'dialog.danger' })));
  if (d.tooSoon && (d.phase === 'confirm' || d.phase === 'word')) tail.push({ text: d.tooSoon, slot: 'dialog.danger' });
  // The reading time (docs/trading.md): until it has passed the footer names no sending key, and says when it will.
  const readS = `${Number(((d.readMs ?? 0) / 1000).toFixed(1))} s`;
  // IBKR's what-if line takes the blank row above the keys and wraps like any line: its figures and their caveat are
  // read whole. Being in the tail, its rows are kept on screen and the plan's lines give way to it.
  const whatIf = input.whatIf && (d.phase === 'confirm' || d.phase === 'word') ? input.whatIf : undefined;
  tail.push({ text: whatIf ?? '' });
  switch (d.phase) {
    case 'planning':
      tail.push({ text: `Building the plan from the newest data${ellipsis()}`, slot: 'muted' }, { text: `${no} cancels`, slot: 'key' });
      break;
    case 'arm':
      tail.push(
        { text: `Type the last four characters of the account id: ${d.input ?? ''}▏` },
        { text: `${submit} arms    ${back} cancels (the default)`, slot: 'key' },
      );
      break;
    case 'word':
      if (ended) tail.push({ text: ended, slot: 'dialog.danger' });
      tail.push(
        { text: `Type ${d.word ?? ''} to unlock the confirm key: ${d.input ?? ''}▏` },
        d.ready
          ? { text: `${submit} continues    ${back} cancels (the default)`, slot: 'key' }
          : { text: `Read the plan: ${submit} works after ${readS} on screen    ${back} cancels (the default)`, slot: 'key' },
      );
      break;
    case 'confirm':
      if (ended) tail.push({ text: ended, slot: 'dialog.danger' }, { text: `${no} closes`, slot: 'key' });
      else if (d.ready) tail.push({ text: `${yes} sends    ${no} cancels (the default)`, slot: 'key' });
      else tail.push({ text: `Read the plan: ${yes} works after ${readS} on screen    ${no} cancels (the default)`, slot: 'key' });
      break;
    case 'sending':
      tail.push({ text: `Sending; following each order (the confirm key does nothing now)${ellipsis()}`, slot: 'dialog.danger' });
      break;
    case 'done':
      tail.push({ text: `${no} closes`, slot: 'key' });
      break;
  }
  // The answer keys must stay on screen: a long plan is cut (border and title take 3 rows) and says how much is not
  // shown. What is sent (the orders) comes first and must be on screen whole for the confirm key to work; the lines
  // about it (realized P&L, margin after, mark ages) are cut first, and their cut only says so. The arming dialog has
  // no orders: its lines are about the account, cut like those.
  const fitIn = (f: DialogFrame): NonNullable<ViewModel['dialog']> | undefined => {
    const orderRows = wrapCells(orders, f.width);
    const infoRows = wrapCells(info, f.width);
    const tailRows = wrapCells(f.bare ? tail.filter((c) => c.text !== '') : tail, f.width);
    const room = height - f.rows - tailRows.length;
    const notice = (n: number, what: 'orders' | 'info') =>
      wrapCells(
        [
          what === 'orders'
            ? {
                text: `${ellipsis()} ${n} more line(s) not shown: enlarge the terminal to see every order (${yes} does nothing until then)`,
                slot: 'dialog.danger',
              }
            : d.phase === 'arm'
              ? { text: `${ellipsis()} ${n} more line(s) not shown`, slot: 'muted' }
              : { text: `${ellipsis()} ${n} more line(s) about the plan not shown (every order is above); enlarge the terminal to read them`, slot: 'muted' },
        ],
        f.width,
      );
    // A cut keeps the figures now and after: before the other lines about the plan, and, once the orders are cut
    // anyway (the confirm key then does nothing), in place of the orders after the first line.
    const figureRows = wrapCells(figures, f.width);
    const restRows = wrapCells(rest, f.width);
    let shown: Cell[];
    let hidden = 0;
    if (orderRows.length + infoRows.length <= room) shown = [...orderRows, ...infoRows];
    else if (orderRows.length + notice(infoRows.length, 'info').length <= room) {
      const keep = Math.max(0, room - orderRows.length - notice(infoRows.length, 'info').length);
      // Whole lines, the first that does not fit ending the cut: never half a sentence, never a less important line in
      // place of a more important one.
      const kept: Cell[] = [];
      for (const u of units) {
        const r = wrapCells(u, f.width);
        if (kept.length + r.length > keep) break;
        kept.push(...r);
      }
      shown = [...orderRows, ...kept, ...notice(infoRows.length - kept.length, 'info')];
    } else {
      const all = [...orderRows, ...restRows];
      const withFigures = room - notice(all.length, 'orders').length - figureRows.length >= 1;
      const pool = withFigures ? all : [...orderRows, ...infoRows];
      const kept = Math.max(0, room - notice(pool.length, 'orders').length - (withFigures ? figureRows.length : 0));
      hidden = Math.max(0, orderRows.length - kept);
      shown = [...pool.slice(0, kept), ...notice(pool.length - kept, 'orders'), ...(withFigures ? figureRows : [])];
    }
    if (shown.length + tailRows.length + f.rows > height) return undefined;
    // The word phase counts its cut too: its reading time runs over a cut plan (the word sends nothing), and starts again
    // once every order is on screen, so the confirm key after it never inherits time the orders were not all shown.
    return {
      title: d.title,
      lines: [...shown, ...tailRows],
      ...(hidden > 0 && (d.phase === 'confirm' || d.phase === 'word') ? { hidden } : {}),
      ...(f.bare ? { bare: true } : {}),
    };
  };
  for (const f of dialogFrames(columns)) {
    const fitted = fitIn(f);
    if (fitted) return fitted;
  }
  // Not even the keys and a line saying what is cut fit: the sentence alone, every order counted as not shown, so the
  // confirm key is refused as for a cut plan (commands/dialogs.ts) and no reading time runs.
  const boxed = dialogFrames(columns)[0]!;
  const whole = wrapCells(orders, boxed.width).length + wrapCells(info, boxed.width).length + wrapCells(tail, boxed.width).length;
  const plan = d.phase === 'confirm' || d.phase === 'word';
  return enlargeDialog(columns, rows - height + boxed.rows + whole, plan ? Math.max(1, wrapCells(orders, boxed.width).length) : undefined);
}

/** Border and padding take 4 columns; border and title 3 rows (DetailView). */
function detailDialog(d: Extract<NonNullable<UiState['dialog']>, { kind: 'detail' }>, columns: number, height: number): ViewModel['dialog'] {
  const v = detailVM(d, Math.max(10, columns - 4), Math.max(1, height - 3));
  const where = v.max > 0 ? ` · lines ${v.top + 1}-${Math.min(v.total, v.top + v.lines.length)} of ${v.total}` : '';
  return { title: `${d.title}${where}`, lines: v.lines, scroll: { top: v.top, max: v.max, page: v.page, total: v.total } };
}

function quitDialog(input: ViewInput, height: number): ViewModel['dialog'] {
  const until = armedUntil(input.snapshot.live, input.snapshot.now);
  const yes = firstKey(input.bindings, 'dialog.confirm') ?? 'y';
  const no = input.bindings['dialog.cancel'].map(keyLabel).join(' / ');
  return fitDialog(
    'Quit while trading is ARMED?',
    [
      { text: `Trading is ARMED${until !== undefined ? ` for ${timeLeft(until - input.snapshot.now)} more` : ''}.`, slot: 'dialog.danger' },
      { text: 'Quitting disarms it and stops watching this account.' },
      { text: '' },
      { text: `${yes} quits    ${no} stays (the default)`, slot: 'key' },
    ],
    height,
    input.size,
  );
}

/**
 * Whether two view models draw the same screen: structural equality of the plain data they hold (cells, rows,
 * layout), with anything that is not plain data (a class instance, a function) equal only to itself. A false
 * "different" costs one frame; a false "same" would hide a change, so the comparison never guesses.
 */
export function sameView(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameView(a[i], b[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(a) as unknown;
  if ((proto !== Object.prototype && proto !== null) || Object.getPrototypeOf(b) !== proto) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameView((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
