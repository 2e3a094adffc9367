// Help text generated from the binding table: the overlay's rows per pane, and the README keys table.
import {
  CATEGORIES,
  COMMANDS,
  COMMAND_IDS,
  commandEnabled,
  paneStack,
  type Bindings,
  type Category,
  type CommandId,
  type PaneId,
  type Scope,
} from './bindings.js';
import { keyLabel } from './keys.js';

export interface HelpRow {
  readonly command: CommandId;
  /** "j ↓", or "palette" for a command without keys. */
  readonly keys: string;
  readonly description: string;
  /** Why it is unavailable ("needs --trade"); such rows are shown dimmed. */
  readonly disabled?: string;
}

export interface HelpSection {
  readonly category: Category;
  readonly rows: readonly HelpRow[];
}

function keysText(bindings: Bindings, id: CommandId, ascii: boolean): string {
  const keys = bindings[id];
  return keys.length > 0 ? keys.map((k) => keyLabel(k, ascii)).join(' ') : `:${id}`;
}

/**
 * The overlay for a focused pane: the commands of its scope stack plus help's own keys, by category in table
 * order. Trading commands are listed even without --trade, dimmed, so the operator knows they exist.
 */
export function helpSections(bindings: Bindings, pane: PaneId, trade: boolean, replay = false, ascii = false): HelpSection[] {
  const scopes = new Set<Scope>([...paneStack(pane), 'help', ...(replay ? (['replay'] as const) : [])]);
  return CATEGORIES.flatMap((category) => {
    const rows = COMMAND_IDS.filter((id) => COMMANDS[id].category === category && scopes.has(COMMANDS[id].scope)).map((id) => ({
      command: id,
      keys: keysText(bindings, id, ascii),
      description: COMMANDS[id].description,
      ...(commandEnabled(id, trade, replay) ? {} : { disabled: disabledReason(id, replay) }),
    }));
    return rows.length > 0 ? [{ category, rows }] : [];
  });
}

/** Why a command is dimmed: a replay never trades; replay commands exist only in a replay; trading needs --trade. */
export function disabledReason(id: CommandId, replay: boolean): string {
  if (COMMANDS[id].needsReplay) return 'replay only';
  return replay ? 'a replay never trades' : 'needs --trade';
}

const SCOPE_NAMES: Readonly<Record<Scope, string>> = {
  global: 'anywhere',
  pane: 'any list pane',
  account: 'Account',
  positions: 'Positions',
  stress: 'Stress',
  orders: 'Orders',
  executions: 'Executions',
  alerts: 'Alerts',
  accounts: 'Accounts',
  help: 'help overlay',
  input: 'palette and filter line',
  dialog: 'dialogs',
  replay: 'replays',
};

/** The README keys table (Markdown), regenerated from the defaults and checked by a test. */
export function keysMarkdown(bindings: Bindings): string {
  const lines = ['| keys | command | what it does | where |', '|---|---|---|---|'];
  for (const id of COMMAND_IDS) {
    const c = COMMANDS[id];
    const keys = bindings[id].length > 0 ? bindings[id].map((k) => `\`${keyLabel(k)}\``).join(' ') : 'palette';
    const notes = [c.needsTrade ? 'needs --trade' : '', c.needsReplay ? 'replay only' : '', c.dangerous ? 'dangerous' : ''].filter(Boolean).join(', ');
    lines.push(`| ${keys.replaceAll('|', '\\|')} | \`${id}\` | ${c.description}${notes ? ` (${notes})` : ''} | ${SCOPE_NAMES[c.scope]} |`);
  }
  return lines.join('\n');
}
