// User key overrides from the settings: validated entry by entry; a bad entry is named and the defaults stay in force.
import { COMMANDS, COMMAND_IDS, DEFAULT_BINDINGS, PANE_IDS, isCommandId, paneStack, type Bindings, type CommandId, type Scope } from './bindings.js';
import { isEscapeTail, parseKeySpec, unsafeForDangerous } from './keys.js';

/*
 * Like gemini-cli's `loadCustomKeybindings` (STYLE.md "Validate user bindings; keep the defaults on error"):
 * a user entry adds a key to a command (in front of its defaults), `-command` removes a key from it, and every
 * problem becomes one message naming the entry, while the rest still applies. On top of that: conflicts are
 * checked per scope stack, and a dangerous command is refused on a key a split escape sequence can produce.
 */

/** One entry of the `keymap` setting: `{ "key": "ctrl+n", "command": "nav.down" }`, or `"-nav.down"` to unbind. */
export interface KeymapEntry {
  readonly key: string;
  readonly command: string;
}

export interface OverrideResult {
  readonly bindings: Bindings;
  /** One sentence per problem, each naming the entry (`keymap[2]`) and what to do. */
  readonly errors: readonly string[];
  /** The indexes of the entries in force (file order); every other entry was refused with one of `errors`. */
  readonly applied: readonly number[];
}

/** Two commands that one key would mean at the same time. */
export interface Conflict {
  readonly key: string;
  readonly commands: readonly [CommandId, CommandId];
  /** The scope stack (or layer scope) where both apply. */
  readonly where: string;
}

/** Every key that means two commands within one scope stack (pane, `pane`, `global`) or one layer scope. */
export function findConflicts(bindings: Bindings): Conflict[] {
  const out: Conflict[] = [];
  const seen = new Set<string>();
  const check = (scopes: readonly Scope[], where: string) => {
    const byKey = new Map<string, CommandId>();
    for (const id of COMMAND_IDS) {
      if (!scopes.includes(COMMANDS[id].scope)) continue;
      for (const key of bindings[id]) {
        const other = byKey.get(key);
        if (other && other !== id) {
          const tag = `${key}|${[other, id].sort().join('|')}`;
          if (!seen.has(tag)) {
            seen.add(tag);
            out.push({ key, commands: [other, id], where });
          }
        } else byKey.set(key, id);
      }
    }
  };
  for (const pane of PANE_IDS) check(paneStack(pane), `the ${pane} pane`);
  for (const layer of ['help', 'input', 'dialog', 'replay'] as const) check([layer], `the ${layer} scope`);
  return out;
}

const validCommands = () => COMMAND_IDS.join(', ');
const UNSAFE_FOR_DANGEROUS = '[ O A-D F H P-S Z u ~ ; digits, Enter, Esc or Space';

/** Commands that answer a dialog with yes: held to the same keys as the dangerous ones. */
const CONFIRMING: ReadonlySet<CommandId> = new Set(['dialog.confirm']);

/**
 * Commands whose key opens a dialog, or leads to one (the palette and its Enter): the confirm key must differ from
 * all of them, so a doubled or repeated key never opens and confirms (DESIGN.md Safety).
 */
function opensDialog(id: CommandId): boolean {
  return COMMANDS[id].dangerous === true || id === 'app.quit' || id === 'palette.open' || id === 'input.submit';
}

function unsafeWhy(key: string): string {
  if (isEscapeTail(key)) return 'can be the tail of an escape sequence (an arrow key split over SSH or tmux)';
  if (key === 'esc') return 'starts every escape sequence (a split arrow arrives as Esc first)';
  return 'auto-repeats, so it can confirm by itself';
}

function mutable(b: Bindings): Record<CommandId, string[]> {
  return Object.fromEntries(COMMAND_IDS.map((id) => [id, [...b[id]]])) as Record<CommandId, string[]>;
}

/**
 * Applies the user's entries over `defaults`. Removals first, then additions in file order; an addition that
 * would create a conflict, or put a dangerous command on an unsafe key, is refused with its reason.
 */
export function applyOverrides(entries: unknown, defaults: Bindings = DEFAULT_BINDINGS): OverrideResult {
  const errors: string[] = [];
  const applied = new Set<number>();
  if (entries === undefined || entries === null) return { bindings: defaults, errors, applied: [] };
  if (!Array.isArray(entries)) {
    return { bindings: defaults, errors: ['keymap: expected a list of {"key": "...", "command": "..."} entries; using the default keys'], applied: [] };
  }
  const b = mutable(defaults);
  const parsed: { i: number; key: string; command: CommandId; remove: boolean }[] = [];
  entries.forEach((raw: unknown, i) => {
    const where = `keymap[${i}]`;
    if (typeof raw !== 'object' || raw === null || typeof (raw as KeymapEntry).key !== 'string' || typeof (raw as KeymapEntry).command !== 'string') {
      errors.push(`${where}: expected {"key": "...", "command": "..."}`);
      return;
    }
    const { key: spec, command: rawCommand } = raw as KeymapEntry;
    const remove = rawCommand.startsWith('-');
    const command = remove ? rawCommand.slice(1) : rawCommand;
    if (!isCommandId(command)) {
      errors.push(`${where}: unknown command "${command}"; valid commands are ${validCommands()}`);
      return;
    }
    const key = parseKeySpec(spec);
    if ('error' in key) {
      errors.push(`${where}: ${key.error}`);
      return;
    }
    parsed.push({ i, key: key.key, command, remove });
  });
  for (const p of parsed.filter((e) => e.remove)) {
    const list = b[p.command];
    const at = list.indexOf(p.key);
    if (at < 0) errors.push(`keymap[${p.i}]: "${p.key}" is not bound to ${p.command}, so there is nothing to remove`);
    else {
      list.splice(at, 1);
      applied.add(p.i);
    }
  }
  for (const p of parsed.filter((e) => !e.remove)) {
    const where = `keymap[${p.i}]`;
    const confirming = CONFIRMING.has(p.command);
    if ((COMMANDS[p.command].dangerous || confirming) && unsafeForDangerous(p.key)) {
      const what = confirming ? 'confirms dialogs' : 'is dangerous';
      errors.push(`${where}: refused: ${p.command} ${what} and "${p.key}" ${unsafeWhy(p.key)}; choose another key (not ${UNSAFE_FOR_DANGEROUS})`);
      continue;
    }
    // The confirm key and a key that opens a dialog must differ, whichever of the two the entry binds.
    const clashWith = confirming
      ? COMMAND_IDS.find((id) => opensDialog(id) && b[id].includes(p.key))
      : opensDialog(p.command)
        ? [...CONFIRMING].find((id) => b[id].includes(p.key))
        : undefined;
    if (clashWith) {
      const [confirm, opener] = confirming ? [p.command, clashWith] : [clashWith, p.command];
      errors.push(
        `${where}: refused: "${p.key}" would both open a dialog (${opener}) and confirm it (${confirm}), so a doubled key ` +
          `could confirm what it opened; choose another key`,
      );
      continue;
    }
    if (b[p.command].includes(p.key)) {
      applied.add(p.i);
      continue;
    }
    b[p.command].unshift(p.key);
    const clash = findConflicts(b).find((c) => c.key === p.key && c.commands.includes(p.command));
    if (clash) {
      b[p.command].shift();
      const other = clash.commands[0] === p.command ? clash.commands[1] : clash.commands[0];
      errors.push(
        `${where}: "${p.key}" for ${p.command} conflicts with ${other} in ${clash.where}; ` +
          `unbind it first with {"key": "${p.key}", "command": "-${other}"} or choose another key`,
      );
    } else applied.add(p.i);
  }
  return { bindings: b, errors, applied: [...applied].sort((x, y) => x - y) };
}
