// Key names: one canonical spelling for every key the console reacts to, read from config and from Ink's key events.
import { withoutEscapeSequences } from '../model/text.js';

/**
 * The key flags a terminal input library reports with each keypress. Structurally the subset of Ink's `Key` we
 * read, so this module needs no Ink import (src/keymap may import the model only, DESIGN.md "Folders").
 */
export interface KeyFlags {
  readonly upArrow: boolean;
  readonly downArrow: boolean;
  readonly leftArrow: boolean;
  readonly rightArrow: boolean;
  readonly pageUp: boolean;
  readonly pageDown: boolean;
  readonly home: boolean;
  readonly end: boolean;
  readonly return: boolean;
  readonly escape: boolean;
  readonly ctrl: boolean;
  readonly shift: boolean;
  readonly tab: boolean;
  readonly backspace: boolean;
  readonly delete: boolean;
  readonly meta: boolean;
}

/** Named keys, spelt as a config file writes them. */
export const NAMED_KEYS = [
  'tab',
  'shift+tab',
  'enter',
  'esc',
  'space',
  'backspace',
  'delete',
  'up',
  'down',
  'left',
  'right',
  'home',
  'end',
  'pageup',
  'pagedown',
] as const;

const NAMED = new Set<string>(NAMED_KEYS);
const ALIASES: Readonly<Record<string, string>> = {
  return: 'enter',
  escape: 'esc',
  'page-up': 'pageup',
  'page-down': 'pagedown',
  pgup: 'pageup',
  pgdn: 'pagedown',
  backtab: 'shift+tab',
};

/** What a valid key looks like, for error messages (STYLE.md: "names a bad key and lists the valid ones"). */
export const KEY_FORMS = `a single printable character ("j", "G", "?", ":"), ctrl+<letter> ("ctrl+d"), alt+<character> ("alt+x"), or one of ${NAMED_KEYS.join(', ')}`;

/**
 * Characters that can arrive as the tail of an escape sequence when a terminal, tmux or SSH splits it
 * (reference/ux-and-peers.md §2.5): CSI/SS3 introducers `[` and `O`, arrows A–D, End/Home F/H, F1–F4 P–S,
 * Shift-Tab Z, kitty CSI-u `u`, `~`, parameter digits and `;`. Ink flushes an unfinished escape after 20 ms
 * (ink · src/components/App.tsx), so a split arrow reaches the app as Esc and then `[B`, or `[` and `B`.
 */
export const ESCAPE_TAIL_KEYS: ReadonlySet<string> = new Set([
  '[',
  'O',
  'A',
  'B',
  'C',
  'D',
  'F',
  'H',
  'P',
  'Q',
  'R',
  'S',
  'Z',
  'u',
  '~',
  ';',
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
]);

/** True when `key` (canonical) can be produced by a split escape sequence. */
export function isEscapeTail(key: string): boolean {
  return ESCAPE_TAIL_KEYS.has(key);
}

/**
 * Keys a dangerous or confirming command may never use: the escape tails, Esc (the head of every escape sequence, and
 * what a split arrow arrives as first), and Enter and Space, whose auto-repeat has confirmed destructive prompts by
 * itself (lazygit#4649, reference/ux-and-peers.md §2.2).
 */
export function unsafeForDangerous(key: string): boolean {
  return isEscapeTail(key) || key === 'enter' || key === 'space' || key === 'esc';
}

function isPrintable(ch: string): boolean {
  // C1 controls (U+0080-U+009F) too: U+009B is a one-byte CSI to many terminals, so it must never be echoed as text.
  return [...ch].length === 1 && !/[\u0000-\u001f\u007f-\u009f]/u.test(ch);
}

/** Parses a key as written in a config file into its canonical name, or explains what is wrong. */
export function parseKeySpec(spec: string): { key: string } | { error: string } {
  if (typeof spec !== 'string' || spec.length === 0) return { error: `"${String(spec)}" is not a key; valid keys are ${KEY_FORMS}` };
  if (spec === ' ') return { key: 'space' };
  if (isPrintable(spec)) return { key: spec };
  const lower = spec.toLowerCase().replaceAll('-', '+').replace(/\s+/g, '');
  const aliased = ALIASES[lower] ?? ALIASES[spec.toLowerCase()] ?? lower;
  if (NAMED.has(aliased)) return { key: aliased };
  const ctrl = /^(?:ctrl|control|c)\+([a-z]|space)$/.exec(aliased);
  if (ctrl) return { key: `ctrl+${ctrl[1]}` };
  const alt = /^(?:alt|meta|m)\+(.+)$/i.exec(spec.replace(/^(alt|meta|m)-/i, '$1+'));
  if (alt && isPrintable(alt[1]!)) return { key: `alt+${alt[1]}` };
  return { error: `"${spec}" is not a key; valid keys are ${KEY_FORMS}` };
}

/*
 * A paste's start marker (ESC [200~) cut by a read boundary, with more than Ink's 20 ms between the parts (a slow SSH
 * link): Ink hands over the part it holds as a key of its own (Esc, or "[", "[2", "[20" with the ESC taken off), then
 * parses the rest of the marker and the pasted text after it as typed keys. Each part, with the rest that completes it.
 */
const MARKER_TAILS: ReadonlyMap<string, string> = new Map([
  ['', '[200~'],
  ['[', '200~'],
  ['[2', '00~'],
  ['[20', '0~'],
]);

/** The rest of a paste's start marker when this read is its first part cut off by a read boundary, else undefined. */
export function pasteMarkerTail(input: string, key: KeyFlags): string | undefined {
  return key.escape && input === '' ? MARKER_TAILS.get('') : MARKER_TAILS.get(input);
}

/**
 * The canonical name of one keypress, or undefined for input that is not a single key (pasted text, or the
 * rest of a split escape sequence such as `[B`, which must never be read as two keys).
 */
export function keyOf(input: string, key: KeyFlags): string | undefined {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.backspace) return 'backspace';
  if (key.delete) return 'delete';
  if ([...input].length !== 1) return undefined;
  if (key.ctrl) return input === ' ' ? 'ctrl+space' : `ctrl+${input.toLowerCase()}`;
  if (key.meta) return `alt+${input}`;
  if (input === ' ') return 'space';
  return isPrintable(input) ? input : undefined;
}

/**
 * Keys typed faster than one read (SSH, tmux send-keys) reach the app as one multi-character input: its keys, one
 * per character, or undefined when the input is a single key (or carries a modifier, which a chunk never does).
 * `untilEnter`: only the keys up to and including the first Enter.
 */
export function chunkKeys(input: string, key: KeyFlags, o: { untilEnter?: boolean } = {}): { key?: string; text?: string }[] | undefined {
  if (keyOf(input, key) !== undefined || key.ctrl || key.meta || [...input].length < 2) return undefined;
  // Control bytes that came in one read with text were pasted with it (a BEL ending a title sequence, a DEL, a Ctrl-U):
  // they are dropped, not run as Ctrl-g, Backspace or clear-line. A burst of control bytes alone (a held Backspace)
  // stays keys.
  const all = [...input];
  const chars = all.some((ch) => isPrintable(ch)) ? all.filter((ch) => isPrintable(ch) || ch === '\r' || ch === '\n') : all;
  // A text line's chunk ends at its first Enter (what follows was typed for whatever that Enter leads to).
  const enter = o.untilEnter ? chars.findIndex((ch) => keyOfChar(ch) === 'enter') : -1;
  return (enter < 0 ? chars : chars.slice(0, enter + 1)).map((ch) => {
    const k = keyOfChar(ch);
    const t = textOf(ch, NO_FLAGS);
    return { ...(k !== undefined ? { key: k } : {}), ...(t !== undefined ? { text: t } : {}) };
  });
}

/**
 * Text a terminal pasted (bracketed paste): its printable characters up to its first Enter, and that Enter, as a text
 * line takes a burst. What follows that Enter is dropped: a pasted line is never a command. Every other control byte
 * is dropped too: a BEL ending a copied title sequence or a stray ETX is part of the text, not Ctrl-g or Ctrl-c,
 * which would close the line or quit and leave the rest of the paste to run as keys. An escape sequence (a colour
 * code copied with the text) is dropped whole, never leaving its "[31m" behind.
 */
export function pastedItems(text: string): { key?: string; text?: string }[] {
  const chars = [...withoutEscapeSequences(text)];
  const enter = chars.findIndex((ch) => keyOfChar(ch) === 'enter');
  const items: { key?: string; text?: string }[] = [];
  for (const ch of enter < 0 ? chars : chars.slice(0, enter)) {
    if (ch === ' ') items.push({ key: 'space', text: ' ' });
    else if (isPrintable(ch)) items.push({ key: ch, text: ch });
  }
  if (enter >= 0) items.push({ key: 'enter' });
  return items;
}

/** One event Ink made of a read: a keypress's input and flags, or a bracketed paste's text. */
export type ReadPart = { readonly input: string; readonly key: KeyFlags } | { readonly paste: string };

/**
 * A read that Ink cut into several events (at escape sequences, DEL, BS and ETX) and that carries printable text, as
 * the text it was, or undefined when it is not one (no text in it, or a bracketed paste, which is handled as such).
 * Such a read is a paste (unbracketed: tmux paste-buffer without -p, terminals and SSH clients that send a paste as
 * it is), not keystrokes: its control bytes are dropped and its escape sequences (CSI, OSC to BEL or ST, DCS) go
 * whole, so a BEL, DEL, Ctrl-U or title sequence in it never acts as Ctrl-g, Backspace or clear-line. Ink hands an
 * escape it cannot name (ESC ] of a title, ESC \\ of its end) over as Alt and the next character: it is put back as
 * ESC and that character, so the sequence it opens is dropped with its body. Enter stays, as a text line takes it.
 */
export function readAsText(parts: readonly ReadPart[]): string | undefined {
  return textOfRead(parts.slice(leadingBackspaces(parts)));
}

/**
 * How many Backspaces open a read before anything else: keys typed behind a busy event loop (Backspace, Backspace, A)
 * share a read, and those Backspaces are keys. A paste does not begin with a DEL: copied text begins with text (or a
 * colour or title sequence, which is not a Backspace), so what a pasted DEL could do, it still cannot.
 */
export function leadingBackspaces(parts: readonly ReadPart[]): number {
  const n = parts.findIndex((p) => !('input' in p) || !p.key.backspace || p.key.ctrl || p.key.meta);
  return n < 0 ? parts.length : n;
}

function textOfRead(parts: readonly ReadPart[]): string | undefined {
  if (parts.some((p) => 'paste' in p) || !parts.some((p) => 'input' in p && textOf(p.input, p.key) !== undefined)) return undefined;
  const raw = parts
    .map((p) => {
      if (!('input' in p)) return '';
      if (p.key.meta && [...p.input].length === 1) return `\u001b${p.input}`;
      if (p.key.return) return '\r';
      return textOf(p.input, p.key) !== undefined ? p.input : '';
    })
    .join('');
  return [...withoutEscapeSequences(raw)].filter((ch) => isPrintable(ch) || ch === '\r' || ch === '\n').join('');
}

export const NO_FLAGS: KeyFlags = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
};

/**
 * The key of one character of a chunk that arrived in one read (keys typed faster than the terminal is read):
 * Enter, Tab, Backspace and Ctrl-letters as control bytes, everything printable as itself.
 */
export function keyOfChar(ch: string): string | undefined {
  if (ch === '\r' || ch === '\n') return 'enter';
  if (ch === '\t') return 'tab';
  if (ch === '\u007f' || ch === '\b') return 'backspace';
  const code = ch.codePointAt(0)!;
  if (code >= 1 && code <= 26) return `ctrl+${String.fromCharCode(code + 96)}`;
  if (ch === ' ') return 'space';
  return isPrintable(ch) ? ch : undefined;
}

/** The printable text a keypress types into an input line (palette, filter), or undefined for control keys. */
export function textOf(input: string, key: KeyFlags): string | undefined {
  if (key.ctrl || key.meta || key.escape || key.return || key.tab || key.backspace || key.delete) return undefined;
  if (key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end) return undefined;
  const text = [...input].filter((ch) => isPrintable(ch)).join('');
  return text.length > 0 ? text : undefined;
}

const LABELS: Readonly<Record<string, string>> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  tab: 'Tab',
  'shift+tab': 'Shift-Tab',
  enter: 'Enter',
  esc: 'Esc',
  space: 'Space',
  backspace: 'Backspace',
  delete: 'Del',
};

/** The arrows spelled out for an ASCII-only terminal, where "↓" would become "v" and read as the v key. */
const ASCII_LABELS: Readonly<Record<string, string>> = { up: 'Up', down: 'Down', left: 'Left', right: 'Right' };

/** How help shows a key: "Ctrl-d", "Shift-Tab", "↓" ("Down" with `ascii`), "G". */
export function keyLabel(key: string, ascii = false): string {
  if (ascii && ASCII_LABELS[key]) return ASCII_LABELS[key]!;
  if (LABELS[key]) return LABELS[key]!;
  if (key.startsWith('ctrl+')) return `Ctrl-${key.slice(5)}`;
  if (key.startsWith('alt+')) return `Alt-${key.slice(4)}`;
  return key;
}
