// Text formatting and measuring for the views: the only place that counts cells, pads, groups digits or spells ages.
import type { Decimal } from '../model/money.js';
import { groupedQuantity } from '../model/quantity-text.js';
import { contractPrice, priceDecimals } from '../model/price-text.js';
import { endsInText, neutralise } from '../model/text.js';
import { ASCII_GLYPHS, ASCII_WORDS } from './theme.js';

// Prices are written in the model (src/streams and src/risk write them into markers and alert titles): one formatter.
export { contractPrice, priceDecimals };

/*
 * Every sign and state is carried by characters, never by colour alone (DESIGN.md "Terminal"): negative
 * amounts start with "-", gains in P&L columns with "+", ages are words ("12s", "3m"), flags are words.
 */

/** East Asian wide and emoji ranges that take two terminal cells (enough for IB symbols and our own glyphs). */
function cellWidth(cp: number): number {
  if (cp < 0x1100) return 1;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** Terminal cells `s` occupies (no ANSI codes in our strings: colour is applied by Ink). */
export function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += cellWidth(ch.codePointAt(0)!);
  return w;
}

/**
 * Cuts `s` to at most `width` cells, ending in "…" when cut. Every cell of every pane passes here, so this is also
 * the console's last line of defence: a control character that got past the edges (src/model/text.ts) is shown
 * as an escape, never sent to the terminal.
 */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const s = neutralise(text);
  if (textWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = cellWidth(ch.codePointAt(0)!);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/** "…", a cut's mark (or one the views wrote; those are "..." already on an ASCII terminal, format.ts `ellipsis`). */
const ELLIPSIS = 0x2026;

/**
 * `text` in ASCII for a terminal whose locale is not UTF-8 (theme.ts `asciiOnly`): our glyphs by their stand-ins,
 * accented letters by their base letter, anything else by "?" per cell. `keepWidth` (a laid-out frame) keeps every
 * glyph to its cell count; without it (a command's text lines) "…" becomes "..." and "≤" "<=". ANSI escapes are
 * ASCII and pass untouched.
 */
export function toAscii(text: string, keepWidth = true): string {
  if (!/[^\x00-\x7f]/.test(text)) return text;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out += ch;
    else if (cp >= 0x300 && cp <= 0x36f)
      continue; // a combining accent: its letter went out already
    else if (cp === ELLIPSIS && keepWidth && endsInText(out, 2)) {
      // A cut (ours or Ink's truncate-end): "..." over the cut's last two letters, cell for cell. A one-cell "~" read
      // like the dialogs' "~108,000 USD" (approximately); every other "…" the views write is "..." already in ASCII.
      out = `${out.slice(0, -2)}...`;
    } else {
      const glyph = (keepWidth ? undefined : ASCII_WORDS[ch]) ?? ASCII_GLYPHS[ch];
      if (glyph !== undefined) out += glyph;
      else {
        const base = ch.normalize('NFD').charAt(0);
        out += base.charCodeAt(0) < 0x80 ? base : '?'.repeat(cellWidth(cp));
      }
    }
  }
  return out;
}

/** "…" where the views write one themselves (progress, "… 4 more"): "..." on an ASCII terminal, where "…" means a cut. */
export function ellipsis(): string {
  return isAsciiText() ? '...' : '…';
}

/** Exactly `width` cells: truncated with "…" or padded with spaces on the side away from `align`. */
export function pad(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  const t = truncate(s, width);
  const fill = ' '.repeat(Math.max(0, width - textWidth(t)));
  return align === 'right' ? fill + t : t + fill;
}

function group(int: string): string {
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

type Num = Decimal | number;

function toFixed(v: Num, dp: number): string {
  return typeof v === 'number' ? Math.abs(v).toFixed(dp) : v.abs().toFixed(dp);
}
function isNeg(v: Num): boolean {
  return typeof v === 'number' ? v < 0 && Math.abs(v) >= 0.5 * 10 ** -12 : v.isNegative() && !v.isZero();
}
function isPos(v: Num): boolean {
  return typeof v === 'number' ? v > 0 : v.isPositive() && !v.isZero();
}

/**
 * An amount with grouped thousands: "1,234,567", "-2,549.30". `sign` adds "+" to gains (P&L columns); a value that
 * rounds to zero is shown without a sign.
 */
export function money(v: Num | undefined, dp = 0, sign = false): string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '-';
  const fixed = toFixed(v, dp);
  const [int = '0', frac] = fixed.split('.');
  const zero = /^[0.]*$/.test(fixed);
  const prefix = zero ? '' : isNeg(v) ? '-' : sign && isPos(v) ? '+' : '';
  return `${prefix}${group(int)}${frac ? `.${frac}` : ''}`;
}

/** Like money, but shortened for narrow cells: "1.23M", "-845k", "12,345". */
export function compactMoney(v: Num | undefined, sign = false): string {
  if (v === undefined) return '-';
  const n = typeof v === 'number' ? v : v.toNumber();
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  const s = n < 0 && a >= 0.5 ? '-' : sign && n >= 0.5 ? '+' : '';
  if (a >= 1e9) return `${s}${(a / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${s}${(a / 1e6).toFixed(2)}M`;
  if (a >= 1e5) return `${s}${Math.round(a / 1e3)}k`;
  return `${s}${group(Math.round(a).toString())}`;
}

/** A quantity as given (fractional shares keep their places), grouped: "-3", "2,000", "0.5". */
export function quantity(v: Decimal | undefined): string {
  return v === undefined ? '-' : groupedQuantity(v);
}

/** A price with its own decimals, at least two: "228.50", "0.00670241", "2,890.00". */
export function price(v: Decimal | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '-';
  const s = typeof v === 'number' ? String(Math.abs(v)) : v.abs().toString();
  const [int = '0', frac = ''] = s.includes('e') ? Math.abs(Number(s)).toFixed(8).replace(/0+$/, '').split('.') : s.split('.');
  return `${isNeg(v) ? '-' : ''}${group(int)}.${frac.padEnd(2, '0')}`;
}

/**
 * An exchange rate (base currency per unit) at the digits FX is quoted in, padded so a column reads alike: a
 * pair's pip and a half (EUR 1.12998, never the 1.13 that hides a 30-pip move), a rate of 10 or more in thousandths
 * like a yen pair (a JPY-base account's USD 149.283), and a rate under 1 in five significant digits (JPY in
 * dollars 0.0066988). The base currency itself is 1.
 */
export function fxRate(v: Decimal): string {
  if (v.eq(1)) return '1';
  const a = v.abs();
  const dp = a.gte(10) ? 3 : a.gte(1) || a.isZero() ? 5 : 4 - Math.floor(Math.log10(a.toNumber()));
  return money(v, dp);
}

/** A fraction as a percentage: 0.237 → "23.7%"; `sign` adds "+" to positive values. */
export function percent(x: number | Decimal | undefined, dp = 1, sign = false): string {
  if (x === undefined) return '-';
  const n = typeof x === 'number' ? x : x.toNumber();
  if (!Number.isFinite(n)) return '-';
  const v = Math.round(n * 100 * 10 ** dp) / 10 ** dp || 0;
  return `${v > 0 && sign ? '+' : ''}${v.toFixed(dp)}%`;
}

/** An age in words: "0s", "12s", "3m", "2h", "4d"; "never" when there was nothing. */
export function age(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'never';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/**
 * Time left before something ends, rounded up so it never claims less than is left: an arming of 5 minutes reads
 * "5m" until a whole minute has gone, and the last minute counts down in seconds ("59s" … "1s").
 */
export function timeLeft(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'never';
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.ceil(s / 60);
  if (m < 60) return `${m}m`;
  return m % 60 === 0 ? `${m / 60}h` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A duration for the session summary: "42s", "4m12s", "1h05m". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Wall-clock time of day, local: "14:32:05". */
export function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** A count with its noun: "1 position", "14 positions". */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${money(n)} ${n === 1 ? noun : plural}`;
}

/** An account id shown with all but its last four characters hidden: "DU1234567" → "•••••4567". */
export function maskAccount(account: string): string {
  return account.length <= 4 ? account : `${'•'.repeat(account.length - 4)}${account.slice(-4)}`;
}

/** IB account ids: individual U…, paper DU…, advisor F…/DF…, broker I…/DI…, then digits. */
const ACCOUNT_ID = /\b(?:D?[UFI])\d{5,10}\b/g;

/**
 * Every account id in `text` (IB's shapes, and any `known` id) masked like maskAccount. The masked form has the same
 * width, so a masked screen line keeps its layout. Used on every line of text a command prints and on every write
 * to the console's terminal when masking is on (`--mask`, `ui.maskAccount`, `view.maskAccount`).
 */
export function maskAccounts(text: string, known: readonly string[] = []): string {
  let out = text.replace(ACCOUNT_ID, (m) => maskAccount(m));
  for (const k of known) if (k.length > 4 && out.includes(k)) out = out.split(k).join(maskAccount(k));
  return out;
}

let forced = false;
/** `--mask` on the command line: the console starts masked whatever the settings say (cli.ts sets it per command). */
export function setAccountMaskForced(on: boolean): void {
  forced = on;
}
export function accountMaskForced(): boolean {
  return forced;
}

let asciiText = false;
/**
 * Whether the console draws for an ASCII-only terminal (theme.ts `asciiOnly`), set once before the first frame. The
 * stream swaps glyphs cell for cell after layout, so an arrow can only become a letter there ("sort valuev"); text
 * whose glyph needs a word to read ("sort value desc", "Down") is chosen here, before widths are measured.
 */
export function setAsciiText(on: boolean): void {
  asciiText = on;
}
export function isAsciiText(): boolean {
  return asciiText;
}

let screenMasked = false;
/** Whether the console's terminal output is masked now (the App keeps this in step with its toggle). */
export function setScreenMasked(on: boolean): void {
  screenMasked = on;
}
export function isScreenMasked(): boolean {
  return screenMasked;
}

/** A column: where it sits, how wide it is, and when it is dropped on narrow screens. */
export interface ColumnSpec {
  readonly id: string;
  readonly header: string;
  readonly width: number;
  readonly align: 'left' | 'right';
  /** 0 is never dropped; higher numbers go first when the width is short. */
  readonly priority: number;
  /** Takes the width left over (one per table, usually the label). */
  readonly flex?: boolean;
}

/** Cells between columns. */
export const COLUMN_GAP = 1;

/**
 * The columns that fit in `width`, widths resolved: the highest priority numbers are dropped until the fixed
 * columns and the flex column's own width fit; the flex column then takes what is left.
 */
export function fitColumns(specs: readonly ColumnSpec[], width: number): readonly ColumnSpec[] {
  // The same specs and width give the very same array, so memoised rows see unchanged props between frames.
  // A pane's own constant specs are found by identity first: writing out the key was half the Account pane's view
  // model, rebuilt every second for its Age column (docs/performance.md "Frozen, session 10").
  const byWidth = fittedBySpecs.get(specs);
  const known = byWidth?.get(width);
  if (known) return known;
  const key = `${width}|${specs.map((c) => `${c.id}:${c.header}:${c.width}:${c.align}:${c.priority}:${c.flex ? 1 : 0}`).join(',')}`;
  let out = fitted.get(key);
  if (!out) {
    out = fit(specs, width);
    if (fitted.size > 256) fitted.clear();
    fitted.set(key, out);
  }
  if (byWidth) {
    if (byWidth.size > 16) byWidth.clear();
    byWidth.set(width, out);
  } else fittedBySpecs.set(specs, new Map([[width, out]]));
  return out;
}

const fitted = new Map<string, readonly ColumnSpec[]>();
/** By the specs array itself (specs are never changed in place: ColumnSpec is read-only), then by width. */
const fittedBySpecs = new WeakMap<readonly ColumnSpec[], Map<number, readonly ColumnSpec[]>>();

function fit(specs: readonly ColumnSpec[], width: number): readonly ColumnSpec[] {
  let cols = [...specs];
  const need = (cs: readonly ColumnSpec[]) => cs.reduce((sum, c) => sum + c.width, 0) + COLUMN_GAP * Math.max(0, cs.length - 1);
  while (need(cols) > width) {
    const droppable = cols.filter((c) => c.priority > 0);
    if (droppable.length === 0) break;
    const worst = droppable.reduce((a, b) => (b.priority >= a.priority ? b : a));
    cols = cols.filter((c) => c !== worst);
  }
  const spare = Math.max(0, width - need(cols));
  // The columns that cannot go are still too wide (a 40-column terminal): the flexible one (a name) narrows, so the
  // numbers keep their width instead of the terminal cutting the last one mid-number ("48,9…").
  let over = need(cols) - width;
  if (over > 0)
    cols = cols.map((c) => {
      if (!c.flex || over <= 0) return c;
      const give = Math.min(over, Math.max(0, c.width - MIN_FLEX_WIDTH));
      over -= give;
      return { ...c, width: c.width - give };
    });
  return cols.map((c) => (c.flex ? { ...c, width: c.width + spare } : c));
}

/** The narrowest a flexible (name) column gets when the columns that stay do not fit: a name's first few letters. */
const MIN_FLEX_WIDTH = 6;

/** One line of cells laid out on fitted columns. */
export function layoutLine(cols: readonly ColumnSpec[], text: (c: ColumnSpec) => string): string {
  return cols.map((c) => pad(text(c), c.width, c.align)).join(' '.repeat(COLUMN_GAP));
}

/** Cells of a line, padded to their column, with the gap that follows each but the last kept apart (uncoloured). */
export function layoutCells(cols: readonly ColumnSpec[], text: (c: ColumnSpec) => string): { col: ColumnSpec; text: string; gap: string }[] {
  return cols.map((c, i) => ({ col: c, text: pad(text(c), c.width, c.align), gap: i < cols.length - 1 ? ' '.repeat(COLUMN_GAP) : '' }));
}

/**
 * `text` broken into lines of at most `width` cells, at spaces where it can and inside a word only when the word
 * alone is wider: nothing is cut (the detail view, issue 16 item 8). Newlines in the text start new lines; every
 * other control character is neutralised, as in `truncate`.
 */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  for (const para of text.split(/\r?\n/)) {
    let line = '';
    let used = 0;
    const push = () => {
      out.push(line.trimEnd());
      line = '';
      used = 0;
    };
    for (const token of neutralise(para).split(/( +)/)) {
      if (token === '') continue;
      const tw = textWidth(token);
      if (used + tw <= w) {
        line += token;
        used += tw;
      } else if (token.startsWith(' ')) push();
      else {
        if (used > 0) push();
        for (const ch of token) {
          const cw = cellWidth(ch.codePointAt(0)!);
          if (used + cw > w && used > 0) push();
          line += ch;
          used += cw;
        }
      }
    }
    push();
  }
  return out;
}

/**
 * A scenario's name in `room` columns, cut between words ("ES −30% (single-name…"), never inside one: a name such
 * as "ES −30%" cut to "ES −3…" would read as another number. Empty when not even its first word fits. The cut's mark
 * is ellipsis(), measured: on an ASCII terminal a "…" becomes "..." over the last two letters (format.ts `toAscii`),
 * which cut "at least 10%…" to "at least 1...", a threshold of 1.
 */
export function wordCut(label: string, room: number): string {
  // truncate() with all the room there is: the label neutralised, whole.
  const text = truncate(label, Number.MAX_SAFE_INTEGER);
  if (textWidth(text) <= room) return text;
  const mark = ellipsis();
  let kept = '';
  for (const word of text.split(' ')) {
    if (word === '') continue;
    const next = kept === '' ? word : `${kept} ${word}`;
    if (textWidth(next) + textWidth(mark) > room) break;
    kept = next;
  }
  return kept === '' ? '' : `${kept}${mark}`;
}
