// Colour themes as semantic slots (dark, light, mono) at a colour depth; NO_COLOR selects mono.

/*
 * Views name a meaning (`risk.breach`), never a colour (STYLE.md "Name colours by meaning"; k9s skins,
 * gemini-cli semantic tokens). Mono maps slots to bold, inverse and dim only. Colour is never the only carrier:
 * every slot's meaning is also written as a word or sign by the view model (BREACH, STALE 12s, "-").
 */

export const SLOTS = [
  'text',
  'muted',
  'heading',
  'title',
  'title.focused',
  'selection',
  'border',
  'pnl.gain',
  'pnl.loss',
  'risk.ok',
  'risk.warn',
  'risk.breach',
  'heat.loss3',
  'heat.loss2',
  'heat.loss1',
  'heat.flat',
  'heat.gain1',
  'heat.gain2',
  'data.live',
  'data.stale',
  'data.unpriced',
  'mode.live',
  'mode.paper',
  'mode.demo',
  'mode.replay',
  'mode.readOnly',
  'mode.armed',
  'mode.frozen',
  'dialog.danger',
  'disabled',
  'key',
  'flash',
] as const;
export type Slot = (typeof SLOTS)[number];

/** What Ink's <Text> accepts; colours are names (16), `ansi256(n)` (256) or hex (truecolor). */
export interface TextStyle {
  readonly color?: string;
  readonly backgroundColor?: string;
  readonly bold?: boolean;
  readonly dimColor?: boolean;
  readonly inverse?: boolean;
  readonly underline?: boolean;
}

export type Theme = { readonly [S in Slot]: TextStyle };
export type ThemeName = 'dark' | 'light' | 'mono';
export type ColorDepth = '16' | '256' | 'truecolor';
export const THEME_NAMES: readonly ThemeName[] = ['dark', 'light', 'mono'];

/** One colour at the three depths: [16-colour name, 256-colour index, hex]. */
type Tri = readonly [string, number, string];

const pick = (c: Tri, depth: ColorDepth): string => (depth === '16' ? c[0] : depth === '256' ? `ansi256(${c[1]})` : c[2]);

// Palettes (16 name, xterm-256 index, hex). The 256 and hex values are the same hue; 16 falls back to ANSI names.
const RED: Tri = ['red', 196, '#ff5f5f'];
const DARK_RED: Tri = ['red', 124, '#af0000'];
const ORANGE: Tri = ['yellow', 208, '#ff8700'];
const YELLOW: Tri = ['yellow', 220, '#ffd700'];
const GREEN: Tri = ['green', 76, '#5fd700'];
const DARK_GREEN: Tri = ['green', 28, '#008700'];
const CYAN: Tri = ['cyan', 45, '#00d7ff'];
const BLUE: Tri = ['blue', 33, '#0087ff'];
const MAGENTA: Tri = ['magenta', 170, '#d75fd7'];
const GREY: Tri = ['gray', 244, '#808080'];
const WHITE: Tri = ['white', 255, '#eeeeee'];
const BLACK: Tri = ['black', 16, '#000000'];

function colourTheme(depth: ColorDepth, light: boolean): Theme {
  const c = (t: Tri): string => pick(t, depth);
  const fg = light ? BLACK : WHITE;
  const gain = light ? DARK_GREEN : GREEN;
  const loss = light ? DARK_RED : RED;
  return {
    text: {},
    muted: { dimColor: true },
    heading: { bold: true },
    title: { bold: true, color: c(light ? BLUE : CYAN) },
    'title.focused': { bold: true, inverse: true, color: c(light ? BLUE : CYAN) },
    selection: { inverse: true },
    border: { color: c(GREY) },
    'pnl.gain': { color: c(gain) },
    'pnl.loss': { color: c(loss) },
    'risk.ok': { color: c(gain) },
    'risk.warn': { color: c(light ? ORANGE : YELLOW), bold: true },
    'risk.breach': { color: c(loss), bold: true, inverse: true },
    'heat.loss3': { color: c(fg), backgroundColor: c(DARK_RED), bold: true },
    'heat.loss2': { color: c(loss), bold: true },
    'heat.loss1': { color: c(loss) },
    'heat.flat': { dimColor: true },
    'heat.gain1': { color: c(gain) },
    'heat.gain2': { color: c(gain), bold: true },
    'data.live': { color: c(gain) },
    'data.stale': { color: c(ORANGE), bold: true },
    'data.unpriced': { color: c(MAGENTA), bold: true },
    'mode.live': { color: c(fg), backgroundColor: c(DARK_RED), bold: true },
    'mode.paper': { color: c(BLACK), backgroundColor: c(YELLOW), bold: true },
    'mode.demo': { color: c(BLACK), backgroundColor: c(CYAN), bold: true },
    'mode.replay': { color: c(fg), backgroundColor: c(BLUE), bold: true },
    'mode.readOnly': { color: c(gain) },
    'mode.armed': { color: c(fg), backgroundColor: c(RED), bold: true },
    'mode.frozen': { color: c(BLACK), backgroundColor: c(ORANGE), bold: true },
    'dialog.danger': { color: c(loss), bold: true },
    disabled: { dimColor: true },
    key: { bold: true, color: c(light ? BLUE : CYAN) },
    flash: { color: c(light ? ORANGE : YELLOW) },
  };
}

/** Mono: bold, inverse and dim only (also what NO_COLOR gets). */
const MONO: Theme = {
  text: {},
  muted: { dimColor: true },
  heading: { bold: true },
  title: { bold: true },
  'title.focused': { bold: true, inverse: true },
  selection: { inverse: true },
  border: { dimColor: true },
  'pnl.gain': {},
  'pnl.loss': {},
  'risk.ok': {},
  'risk.warn': { bold: true },
  'risk.breach': { bold: true, inverse: true },
  'heat.loss3': { bold: true, inverse: true },
  'heat.loss2': { bold: true },
  'heat.loss1': {},
  'heat.flat': { dimColor: true },
  'heat.gain1': {},
  'heat.gain2': {},
  'data.live': {},
  'data.stale': { bold: true },
  'data.unpriced': { bold: true },
  'mode.live': { bold: true, inverse: true },
  'mode.paper': { bold: true, inverse: true },
  'mode.demo': { bold: true, inverse: true },
  'mode.replay': { bold: true, inverse: true },
  'mode.readOnly': {},
  'mode.armed': { bold: true, inverse: true },
  'mode.frozen': { bold: true, inverse: true },
  'dialog.danger': { bold: true },
  disabled: { dimColor: true },
  key: { bold: true },
  flash: { bold: true },
};

/** The theme for a name and depth. */
export function themeFor(name: ThemeName, depth: ColorDepth): Theme {
  return name === 'mono' ? MONO : colourTheme(depth, name === 'light');
}

export type ColorOption = 'auto' | ColorDepth;

/**
 * Which theme and depth to use: NO_COLOR (any value, no-color.org) forces mono; `--color` (or the setting) names
 * the depth; otherwise truecolor when COLORTERM says so, 256 for *-256color terminals, else 16. COLORTERM is not
 * forwarded over SSH (reference/ux-and-peers.md §2.5), hence the flag.
 */
export function resolveTheme(o: { theme: ThemeName; color: ColorOption; env: Readonly<Record<string, string | undefined>> }): {
  name: ThemeName;
  depth: ColorDepth;
  noColor: boolean;
} {
  const noColor = o.env.NO_COLOR !== undefined && o.env.NO_COLOR !== '';
  const depth: ColorDepth =
    o.color !== 'auto' ? o.color : /truecolor|24bit/i.test(o.env.COLORTERM ?? '') ? 'truecolor' : /256/.test(o.env.TERM ?? '') ? '256' : '16';
  return { name: noColor ? 'mono' : o.theme, depth, noColor };
}

/** FORCE_COLOR level for chalk (Ink's colouring), so an explicit --color is honoured even where detection says less. */
export function forceColorLevel(color: ColorOption): string | undefined {
  return color === '16' ? '1' : color === '256' ? '2' : color === 'truecolor' ? '3' : undefined;
}

/**
 * Whether the terminal gets ASCII only: `ui.ascii` forces it; otherwise the locale decides, read as the C library
 * does (the first non-empty of LC_ALL, LC_CTYPE, LANG). A locale that names no UTF-8 charset ("C", "POSIX",
 * "en_US.ISO-8859-1") cannot show "─", "▶" or "−", and a terminal set up for it shows mojibake. No locale at all
 * is taken as UTF-8: containers and some SSH setups leave every variable unset on terminals that do show UTF-8.
 * Every caller (the console's screen, the text commands) asks here, so they never disagree.
 */
export function asciiOnly(env: Readonly<Record<string, string | undefined>>, forced = false): boolean {
  if (forced) return true;
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '');
  return locale !== undefined && !/utf-?8/i.test(locale);
}

/**
 * The ASCII stand-in for each glyph the views and commands draw, one cell for one cell so that a laid-out frame keeps
 * its columns: box drawing (Ink's single, double, round and bold borders and our axis), chart bars, markers, signs.
 */
export const ASCII_GLYPHS: Readonly<Record<string, string>> = {
  '─': '-',
  '━': '-',
  '═': '=',
  '│': '|',
  '┃': '|',
  '║': '|',
  '┼': '+',
  '╋': '+',
  '╬': '+',
  '┌': '+',
  '┐': '+',
  '└': '+',
  '┘': '+',
  '├': '+',
  '┤': '+',
  '┬': '+',
  '┴': '+',
  '╭': '+',
  '╮': '+',
  '╰': '+',
  '╯': '+',
  '┏': '+',
  '┓': '+',
  '┗': '+',
  '┛': '+',
  '╔': '+',
  '╗': '+',
  '╚': '+',
  '╝': '+',
  '█': '#',
  '▀': "'",
  '▄': '.',
  '▏': '|',
  '▶': '>',
  '›': '>',
  '‹': '<',
  '◆': '*',
  '■': '#',
  '‖': '=',
  '⧗': '~',
  '−': '-',
  '–': '-',
  '—': '-',
  '·': '|',
  '…': '~',
  '•': '*',
  '●': '*',
  '×': 'x',
  '±': '~',
  '≤': '<',
  '≥': '>',
  '≈': '~',
  '→': '>',
  '←': '<',
  '↑': '^',
  '↓': 'v',
  '↔': '-',
  '✓': '+',
  '⚠': '!',
  '§': 'S',
  '✗': 'x',
};

/** Where width does not matter (text a command prints), a few glyphs read better spelled out. */
export const ASCII_WORDS: Readonly<Record<string, string>> = {
  '…': '...',
  '×': 'x',
  '±': '+/-',
  '≤': '<=',
  '≥': '>=',
  '→': '->',
  '←': '<-',
  '·': '-',
  '−': '-',
};
