// The one input dispatcher's routing rule: which layer gets a keypress, as a pure function of the UI state.
import { resolveKey, type CommandId, type KeyTable, type Scope } from '../keymap/bindings.js';
import type { UiState } from './ui-state.js';

/*
 * Priorities (STYLE.md "One input dispatcher with priorities"): an open dialog > the palette or filter line >
 * help > the focused pane > every list pane > global. A dialog swallows every key it does not handle, and an
 * input line swallows what is not one of its keys by typing it, so nothing leaks to the panes underneath.
 */

export type Route =
  | { readonly kind: 'command'; readonly command: CommandId; readonly scope: 'dialog' | 'input' | 'pane' }
  | { readonly kind: 'text'; readonly text: string }
  /** Consumed by a layer that has no use for it. */
  | { readonly kind: 'swallow' }
  /** Nobody binds this key here. */
  | { readonly kind: 'none' };

/**
 * `key` is the canonical key name (keys.ts `keyOf`), undefined for multi-character input; `text` is what it would
 * type into a line (keys.ts `textOf`).
 */
export function routeKey(ui: UiState, table: KeyTable, key: string | undefined, text: string | undefined, replay = false): Route {
  if (ui.dialog?.kind === 'trade' && ui.dialog.input !== undefined) {
    // A dialog that asks for typed text (the account's last four, FLATTEN) is an input line: the confirm key types.
    const command = key === undefined ? undefined : resolveKey(table, key, ['input']);
    if (command) return { kind: 'command', command, scope: 'input' };
    return text !== undefined ? { kind: 'text', text } : { kind: 'swallow' };
  }
  if (ui.dialog?.kind === 'detail') {
    // The detail view reads like a page: its own answers (Esc, Enter, q close), then the list keys that scroll it.
    const answer = key === undefined ? undefined : resolveKey(table, key, ['dialog']);
    if (answer) return { kind: 'command', command: answer, scope: 'dialog' };
    const scroll = key === undefined ? undefined : resolveKey(table, key, ['pane']);
    return scroll?.startsWith('nav.') ? { kind: 'command', command: scroll, scope: 'dialog' } : { kind: 'swallow' };
  }
  if (ui.dialog) {
    const command = key === undefined ? undefined : resolveKey(table, key, ['dialog']);
    return command ? { kind: 'command', command, scope: 'dialog' } : { kind: 'swallow' };
  }
  if (ui.overlay?.kind === 'palette' || ui.overlay?.kind === 'filter') {
    const command = key === undefined ? undefined : resolveKey(table, key, ['input']);
    if (command) return { kind: 'command', command, scope: 'input' };
    return text !== undefined ? { kind: 'text', text } : { kind: 'swallow' };
  }
  if (key === undefined) return { kind: 'none' };
  // In a replay the player's keys come first (they shadow freeze, first/last row and the chart keys on purpose),
  // except under help: someone reading the keys is not driving the player (g, G and Space then scroll help or
  // nothing). The recording info is the player's own page, so there they act (and close it).
  const player: Scope[] = replay && ui.overlay?.kind !== 'help' ? ['replay'] : [];
  const base: Scope[] = [...player, ui.focus, 'pane', 'global'];
  const scopes: Scope[] = ui.overlay?.kind === 'help' || ui.overlay?.kind === 'replayInfo' ? ['help', ...base] : base;
  const command = resolveKey(table, key, scopes);
  return command ? { kind: 'command', command, scope: 'pane' } : { kind: 'none' };
}
