// The one binding table: every console command, what it does, where it applies, and its default keys.

/*
 * Shaped after gemini-cli's `ui/key/keyBindings.ts` (STYLE.md "One binding table"): commands are dotted ids,
 * each has a description, a category, a scope and a `dangerous` flag, and the types force every command to
 * appear in both tables. Help, the palette, the README keys table and the override checks all read this file;
 * the views match commands, never key letters.
 */

/** The panes, in tab order (the digit keys follow this order). */
export const PANE_IDS = ['account', 'positions', 'stress', 'orders', 'executions', 'alerts', 'accounts'] as const;
export type PaneId = (typeof PANE_IDS)[number];

/**
 * Where a binding applies. Keys are offered to scopes by priority: dialog > input (palette, filter) > help >
 * the focused pane's own scope > `pane` (every list pane) > `global`. A layer scope (dialog, input, help) may
 * shadow a global key on purpose; within the pane stack (a pane, `pane`, `global`) one key means one command.
 */
export type Scope = 'global' | 'pane' | PaneId | 'help' | 'input' | 'dialog' | 'replay';

/**
 * `replay` is a layer scope of replay sessions only: the player's keys (Space, `.`, g, G, `[`, `]`) shadow freeze,
 * first/last row and the chart keys there, as a video player's keys would (home/end still move the selection).
 */
export const SCOPES: readonly Scope[] = ['global', 'pane', ...PANE_IDS, 'help', 'input', 'dialog', 'replay'];

/** Scopes that are consulted together while a pane has focus: a key may mean only one thing across them. */
export function paneStack(pane: PaneId): readonly Scope[] {
  return [pane, 'pane', 'global'];
}

export const CATEGORIES = [
  'General',
  'Panes',
  'Navigation',
  'Lists',
  'Positions',
  'Stress',
  'Alerts',
  'Trading',
  'Replay',
  'Help',
  'Input',
  'Dialogs',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const COMMAND_IDS = [
  'app.quit',
  'help.toggle',
  'palette.open',
  'view.freeze',
  'view.redraw',
  'view.maskAccount',
  'view.theme',
  'pane.next',
  'pane.prev',
  'pane.account',
  'pane.positions',
  'pane.stress',
  'pane.orders',
  'pane.executions',
  'pane.alerts',
  'pane.accounts',
  'nav.down',
  'nav.up',
  'nav.top',
  'nav.bottom',
  'nav.pageDown',
  'nav.pageUp',
  'row.detail',
  'filter.open',
  'filter.clear',
  'sort.next',
  'sort.reverse',
  'positions.group',
  'stress.columns',
  'stress.subjectNext',
  'stress.subjectPrev',
  'alerts.ack',
  'trade.arm',
  'trade.disarm',
  'trade.flatten',
  'trade.flattenScope',
  'trade.reduce',
  'trade.cancel',
  'trade.cancelAll',
  'trade.globalCancel',
  'replay.pause',
  'replay.step',
  'replay.faster',
  'replay.slower',
  'replay.speed',
  'replay.start',
  'replay.end',
  'replay.goto',
  'replay.nextMarker',
  'replay.prevMarker',
  'replay.info',
  'help.close',
  'input.submit',
  'input.cancel',
  'input.backspace',
  'input.clear',
  'input.complete',
  'input.next',
  'input.prev',
  'dialog.confirm',
  'dialog.cancel',
] as const;
export type CommandId = (typeof COMMAND_IDS)[number];

export interface CommandSpec {
  readonly description: string;
  readonly category: Category;
  readonly scope: Scope;
  /** Changes the account (orders, cancels) or arms trading: never on an escape-tail key, never on Enter. */
  readonly dangerous?: boolean;
  /** Only available when the console was started with a trading mode (--trade); otherwise dimmed "needs --trade". */
  readonly needsTrade?: boolean;
  /** Offered in the command palette (rarely used and dangerous commands live there). */
  readonly palette?: boolean;
  /** Only in a replay (`tws-risk replay FILE`); elsewhere the palette shows it dimmed. */
  readonly needsReplay?: boolean;
  /** What the palette accepts after the command, for its hint ("dark|light|mono"). */
  readonly args?: string;
}

export const COMMANDS: { readonly [C in CommandId]: CommandSpec } = {
  'app.quit': { description: 'Quit (asks first while trading is armed)', category: 'General', scope: 'global', palette: true },
  'help.toggle': { description: 'Show the keys of the focused pane', category: 'General', scope: 'global', palette: true },
  'palette.open': { description: 'Open the command palette', category: 'General', scope: 'global' },
  'view.freeze': { description: 'Freeze the panes; data keeps arriving underneath (FROZEN)', category: 'General', scope: 'global', palette: true },
  'view.redraw': { description: 'Redraw the whole screen (after something wrote over it)', category: 'General', scope: 'global', palette: true },
  'view.maskAccount': { description: 'Mask or show the account id', category: 'General', scope: 'global', palette: true },
  'view.theme': { description: 'Switch the colour theme', category: 'General', scope: 'global', palette: true, args: 'dark|light|mono' },
  'pane.next': { description: 'Focus the next pane', category: 'Panes', scope: 'global', palette: true },
  'pane.prev': { description: 'Focus the previous pane', category: 'Panes', scope: 'global', palette: true },
  'pane.account': { description: 'Focus Account', category: 'Panes', scope: 'global', palette: true },
  'pane.positions': { description: 'Focus Positions', category: 'Panes', scope: 'global', palette: true },
  'pane.stress': { description: 'Focus Stress', category: 'Panes', scope: 'global', palette: true },
  'pane.orders': { description: 'Focus Orders', category: 'Panes', scope: 'global', palette: true },
  'pane.executions': { description: 'Focus Executions', category: 'Panes', scope: 'global', palette: true },
  'pane.alerts': { description: 'Focus Alerts and log', category: 'Panes', scope: 'global', palette: true },
  'pane.accounts': {
    description: 'Focus Accounts (several accounts followed; Enter shows the selected one)',
    category: 'Panes',
    scope: 'global',
    palette: true,
  },
  'nav.down': { description: 'Next row', category: 'Navigation', scope: 'pane' },
  'nav.up': { description: 'Previous row', category: 'Navigation', scope: 'pane' },
  'nav.top': { description: 'First row', category: 'Navigation', scope: 'pane', palette: true },
  'nav.bottom': { description: 'Last row', category: 'Navigation', scope: 'pane', palette: true },
  'nav.pageDown': { description: 'Half a page down', category: 'Navigation', scope: 'pane' },
  'nav.pageUp': { description: 'Half a page up', category: 'Navigation', scope: 'pane' },
  'row.detail': {
    description: 'Show the selected row in full, every field wrapped (↑ ↓ PgUp PgDn scroll, Esc closes); on Accounts: show that account in every pane',
    category: 'Lists',
    scope: 'pane',
    palette: true,
  },
  'filter.open': { description: 'Filter the rows (a leading ! inverts)', category: 'Lists', scope: 'pane', palette: true, args: 'TEXT' },
  'filter.clear': { description: 'Clear the filter', category: 'Lists', scope: 'pane', palette: true },
  'sort.next': { description: 'Sort by the next column', category: 'Lists', scope: 'pane', palette: true },
  'sort.reverse': { description: 'Reverse the sort order', category: 'Lists', scope: 'pane', palette: true },
  'positions.group': { description: 'Group by asset class or by currency', category: 'Positions', scope: 'positions', palette: true },
  'stress.columns': { description: 'Break P&L down by currency or by asset class', category: 'Stress', scope: 'stress', palette: true },
  'stress.subjectNext': { description: 'Chart the next class or currency', category: 'Stress', scope: 'stress', palette: true },
  'stress.subjectPrev': { description: 'Chart the previous class or currency', category: 'Stress', scope: 'stress', palette: true },
  'alerts.ack': { description: 'Acknowledge the listed alerts (they stay listed until they clear)', category: 'Alerts', scope: 'alerts', palette: true },
  'trade.arm': {
    description: 'Arm trading for a few minutes (type the last four characters of the account)',
    category: 'Trading',
    scope: 'global',
    dangerous: true,
    needsTrade: true,
    palette: true,
    args: 'LAST4',
  },
  'trade.disarm': { description: 'Disarm trading now', category: 'Trading', scope: 'global', needsTrade: true, palette: true },
  'trade.flatten': {
    description: 'Flatten the selected position (opens a dialog)',
    category: 'Trading',
    scope: 'positions',
    dangerous: true,
    needsTrade: true,
    palette: true,
  },
  'trade.flattenScope': {
    description: 'Flatten many positions: all, currency:CCY, class:CLS or underlying:SYM (opens a dialog; type FLATTEN)',
    category: 'Trading',
    scope: 'global',
    dangerous: true,
    needsTrade: true,
    palette: true,
    args: 'SCOPE',
  },
  'trade.reduce': {
    description: "Trim positions as a risk alert's leverage reduction proposes (opens a dialog; type REDUCE)",
    category: 'Trading',
    scope: 'global',
    dangerous: true,
    needsTrade: true,
    palette: true,
    args: '[ALERT-ID]',
  },
  'trade.cancel': {
    description: 'Cancel the selected order (opens a dialog)',
    category: 'Trading',
    scope: 'orders',
    dangerous: true,
    needsTrade: true,
    palette: true,
  },
  'trade.cancelAll': {
    description: 'Cancel every open order of this client (opens a dialog)',
    category: 'Trading',
    scope: 'global',
    dangerous: true,
    needsTrade: true,
    palette: true,
  },
  'trade.globalCancel': {
    description: 'Cancel every open order of the account, any client (reqGlobalCancel; opens a dialog)',
    category: 'Trading',
    scope: 'global',
    dangerous: true,
    needsTrade: true,
    palette: true,
  },
  'replay.pause': { description: 'Play or pause the replay', category: 'Replay', scope: 'replay', needsReplay: true, palette: true },
  'replay.step': { description: 'Play exactly one event (pauses)', category: 'Replay', scope: 'replay', needsReplay: true, palette: true },
  'replay.faster': { description: 'Faster (0.25x to 64x, then max)', category: 'Replay', scope: 'replay', needsReplay: true, palette: true },
  'replay.slower': { description: 'Slower', category: 'Replay', scope: 'replay', needsReplay: true, palette: true },
  'replay.speed': { description: 'Set the replay speed', category: 'Replay', scope: 'replay', needsReplay: true, palette: true, args: '0.25-64|max' },
  'replay.start': { description: 'Go to the start of the recording', category: 'Replay', scope: 'replay', needsReplay: true, palette: true },
  'replay.end': { description: 'Go to the end of the recording', category: 'Replay', scope: 'replay', needsReplay: true, palette: true },
  'replay.goto': {
    description: "Go to a recorded time (UTC on the recording's day, or ISO-8601)",
    category: 'Replay',
    scope: 'replay',
    needsReplay: true,
    palette: true,
    args: 'HH:MM[:SS[.mmm]]',
  },
  'replay.nextMarker': {
    description: 'Next marker: alert, disconnect, breach, operator action, order (pauses there)',
    category: 'Replay',
    scope: 'replay',
    needsReplay: true,
    palette: true,
  },
  'replay.prevMarker': { description: 'Previous marker (pauses there)', category: 'Replay', scope: 'replay', needsReplay: true, palette: true },
  'replay.info': { description: 'The recording: header, verification, markers', category: 'Replay', scope: 'replay', needsReplay: true, palette: true },
  'help.close': { description: 'Close help', category: 'Help', scope: 'help' },
  'input.submit': { description: 'Run the command or apply the filter', category: 'Input', scope: 'input' },
  'input.cancel': { description: 'Close the line without running anything', category: 'Input', scope: 'input' },
  'input.backspace': { description: 'Delete the last character', category: 'Input', scope: 'input' },
  'input.clear': { description: 'Clear the line', category: 'Input', scope: 'input' },
  'input.complete': { description: 'Complete the command in the palette (again: the next suggestion)', category: 'Input', scope: 'input' },
  'input.next': { description: 'Next suggestion (Enter then runs it)', category: 'Input', scope: 'input' },
  'input.prev': { description: 'Previous suggestion', category: 'Input', scope: 'input' },
  'dialog.confirm': { description: 'Confirm (never Enter, never the key that opened the dialog)', category: 'Dialogs', scope: 'dialog' },
  'dialog.cancel': { description: 'Cancel (the default)', category: 'Dialogs', scope: 'dialog' },
};

/** Keys per command (canonical names, see keys.ts). An empty list means the command lives in the palette only. */
export type Bindings = { readonly [C in CommandId]: readonly string[] };

/**
 * Defaults from reference/ux-and-peers.md §2.6. Dangerous commands are on the palette or on keys that no escape
 * sequence ends with (`X`, `x`); the digits, `[` and `]` only move focus or the chart, harmless if a split
 * sequence fires them.
 */
export const DEFAULT_BINDINGS: Bindings = {
  'app.quit': ['q', 'ctrl+c'],
  'help.toggle': ['?'],
  'palette.open': [':'],
  'view.freeze': ['space'],
  'view.redraw': ['ctrl+l'],
  'view.maskAccount': [],
  'view.theme': [],
  'pane.next': ['tab'],
  'pane.prev': ['shift+tab'],
  'pane.account': ['1'],
  'pane.positions': ['2'],
  'pane.stress': ['3'],
  'pane.orders': ['4'],
  'pane.executions': ['5'],
  'pane.alerts': ['6'],
  'pane.accounts': ['7'],
  'nav.down': ['j', 'down'],
  'nav.up': ['k', 'up'],
  'nav.top': ['g', 'home'],
  'nav.bottom': ['G', 'end'],
  'nav.pageDown': ['ctrl+d', 'pagedown'],
  'nav.pageUp': ['ctrl+u', 'pageup'],
  'row.detail': ['enter'],
  'filter.open': ['/'],
  'filter.clear': ['esc'],
  'sort.next': ['o'],
  'sort.reverse': ['r'],
  'positions.group': ['c'],
  'stress.columns': ['c'],
  'stress.subjectNext': [']'],
  'stress.subjectPrev': ['['],
  'alerts.ack': ['a'],
  'trade.arm': [],
  'trade.disarm': ['!'],
  'trade.flatten': ['X'],
  'trade.flattenScope': [],
  'trade.reduce': [],
  'trade.cancel': ['x'],
  'trade.cancelAll': [],
  'trade.globalCancel': [],
  'replay.pause': ['space'],
  'replay.step': ['.'],
  'replay.faster': ['+', '='],
  'replay.slower': ['-'],
  'replay.speed': [],
  'replay.start': ['g'],
  'replay.end': ['G'],
  'replay.goto': [],
  'replay.nextMarker': [']'],
  'replay.prevMarker': ['['],
  'replay.info': ['i'],
  'help.close': ['?', 'q', 'esc', 'ctrl+g'],
  'input.submit': ['enter'],
  'input.cancel': ['esc', 'ctrl+g'],
  'input.backspace': ['backspace', 'delete'],
  'input.clear': ['ctrl+u'],
  'input.complete': ['tab'],
  'input.next': ['down', 'ctrl+n'],
  'input.prev': ['up', 'shift+tab', 'ctrl+p'],
  'dialog.confirm': ['y'],
  'dialog.cancel': ['n', 'esc', 'q', 'ctrl+g', 'enter'],
};

/** The pane a `pane.<id>` command focuses. */
export const PANE_COMMANDS: { readonly [P in PaneId]: CommandId } = {
  account: 'pane.account',
  positions: 'pane.positions',
  stress: 'pane.stress',
  orders: 'pane.orders',
  executions: 'pane.executions',
  alerts: 'pane.alerts',
  accounts: 'pane.accounts',
};

export function isCommandId(s: string): s is CommandId {
  return (COMMAND_IDS as readonly string[]).includes(s);
}

/** Is the command usable in this session? Trading commands need a trading mode, replay commands a replay. */
export function commandEnabled(command: CommandId, trade: boolean, replay = false): boolean {
  const c = COMMANDS[command];
  return (trade || c.needsTrade !== true) && (replay || c.needsReplay !== true);
}

/** key → command for each scope, built once per binding set. */
export type KeyTable = ReadonlyMap<Scope, ReadonlyMap<string, CommandId>>;

/** Indexes bindings by scope and key. Later entries never replace earlier ones (the override check reports those). */
export function keyTable(bindings: Bindings): KeyTable {
  const table = new Map<Scope, Map<string, CommandId>>(SCOPES.map((s) => [s, new Map()]));
  for (const id of COMMAND_IDS) {
    const scoped = table.get(COMMANDS[id].scope)!;
    for (const key of bindings[id]) if (!scoped.has(key)) scoped.set(key, id);
  }
  return table;
}

/** The command `key` means, looking through `scopes` in priority order. */
export function resolveKey(table: KeyTable, key: string, scopes: readonly Scope[]): CommandId | undefined {
  for (const s of scopes) {
    const hit = table.get(s)?.get(key);
    if (hit) return hit;
  }
  return undefined;
}
