// Keeps Ink's line-tokenising and width caches across frames, so a line that did not change is not re-measured.
import { importAnsiTokenize, importInkOutput } from './ink-output.js';
import { sameRefs } from '../model/same-refs.js';

/*
 * Ink (8.0) builds a new Output for every frame, and with it new caches of each line's styled characters
 * (@alcalzone/ansi-tokenize) and of string widths (string-width). Those two were a quarter of the console's busy time
 * in a CPU profile of the demo at 200x50 (docs/performance.md), almost all of it re-measuring lines that had not
 * changed since the previous frame. Ink does not export Output, so this reaches its module by path (the same URL its
 * renderer imports, hence the same class) and points every Output at one shared, bounded set of caches. The cached
 * values are immutable strings, numbers and arrays of cells Ink only reads, so sharing them changes no frame.
 * Anything unexpected (another Ink version without these members) leaves Ink as it is: slower, never wrong.
 */

/** Entries per cache before it starts over, whatever the generations hold (a guard; a frame needs a few thousand). */
const MAX_ENTRIES = 20_000;

/*
 * A cache that keeps what the last two frames used. A count bound alone was not enough: the tokenised lines are
 * arrays of one cell object per character (10-20 kB for a 200-column line), lines with a moving mark or clock are new
 * every frame, and 20,000 of them were most of the console's resident memory after five minutes (docs/performance.md).
 * Each frame starts a generation: what the frame before used and this one uses again moves forward, the rest is let go.
 */
class GenerationMap<K, V> {
  private current = new Map<K, V>();
  private older = new Map<K, V>();
  nextGeneration(): void {
    this.older = this.current;
    this.current = new Map();
  }
  get(key: K): V | undefined {
    let v = this.current.get(key);
    if (v === undefined) {
      v = this.older.get(key);
      if (v !== undefined) this.current.set(key, v);
    }
    return v;
  }
  clear(): void {
    this.current = new Map();
    this.older = new Map();
  }
  has(key: K): boolean {
    return this.current.has(key) || this.older.has(key);
  }
  set(key: K, value: V): this {
    if (this.current.size >= MAX_ENTRIES) this.current.clear();
    this.current.set(key, value);
    return this;
  }
}

interface Clip {
  readonly x1?: number | undefined;
  readonly x2?: number | undefined;
  readonly y1?: number | undefined;
  readonly y2?: number | undefined;
}

type Operation =
  | { readonly type: 'write'; readonly x: number; readonly y: number; readonly text: string; readonly transformers: readonly unknown[] }
  | { readonly type: 'clip'; readonly clip: Clip }
  | { readonly type: 'unclip' };

interface Cell {
  readonly type: 'char';
  readonly value: string;
  readonly fullWidth: boolean;
  readonly styles: readonly unknown[];
}

interface OutputCaches {
  widths: Map<string, number>;
  blockWidths: Map<string, number>;
  styledChars: Map<string, unknown>;
  getStyledChars(line: string): Cell[];
  getStringWidth(text: string): number;
  getWidestLine(text: string): number;
}

interface OutputLike {
  caches: OutputCaches;
  operations: Operation[];
  width: number;
  height: number;
  get(): { output: string; height: number };
  applyWriteOperation(output: (Cell[] | undefined)[], operation: Operation, clip: Clip | undefined): void;
  sliceLineToColumns(line: string, from: number, to: number): string;
}

let installed: boolean | undefined;

/**
 * Rows drawn and rows reused since start (bench/render.ts reports them per frame); `reuse` off draws every row as Ink
 * does (tests compare the two).
 */
export const inkRowCache = { reuse: true, rowsDrawn: 0, rowsReused: 0, writesReused: 0 };

/*
 * Rows that did not change are not drawn again. Ink's Output.get() starts each frame from a blank 200x50 grid (10,000
 * cell objects), applies every write of the frame and serialises every row, although a moved mark changes one or two
 * rows. A row's text is a function of the screen width and of the writes that reach it, in order: each write's text,
 * position, transformers (functions: compared by identity, and a memoised component keeps its own) and the clip in
 * force. That list is the row's key; a row whose key equals the previous frame's keeps the previous frame's text, and
 * only the other rows are drawn, by Ink's own applyWriteOperation on a grid that holds just those rows (it skips rows
 * it has not been given). So a row is reused only where Ink would have drawn the same text.
 */
let previous: { width: number; rows: string[]; keys: unknown[][] } | undefined;

const intersectBound = (a: number | undefined, b: number | undefined, tighter: (x: number, y: number) => number) =>
  a === undefined ? b : b === undefined ? a : tighter(a, b);

/** Ink's intersectClips (output.js): nested clips intersect. */
function intersect(outer: Clip | undefined, inner: Clip): Clip {
  if (!outer) return inner;
  return {
    x1: intersectBound(outer.x1, inner.x1, Math.max),
    x2: intersectBound(outer.x2, inner.x2, Math.min),
    y1: intersectBound(outer.y1, inner.y1, Math.max),
    y2: intersectBound(outer.y2, inner.y2, Math.min),
  };
}

function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/*
 * A write's lines as they land on the grid: Ink's applyWriteOperation tokenises the write's text, serialises each of its
 * lines again, slices them to the clip, runs the transformers (chalk) over each line and tokenises the result, for every
 * write that reaches a drawn row, every frame; most writes are the text the frame before wrote at the same place. So
 * the lines after clip and transform (cells and their widths) are kept per write, keyed as a row is (text, position,
 * clip, transformers by identity), for the last two frames; only placing them on the grid is done again.
 */
interface PreparedLine {
  readonly cells: readonly Cell[];
  readonly widths: readonly number[];
}

interface PreparedWrite {
  readonly opY: number;
  readonly transformers: readonly unknown[];
  /** x and y after clipping, and the lines still visible, each made on first use (a transformer runs only for a row drawn). */
  readonly atX: number;
  readonly atY: number;
  readonly lines: readonly string[];
  /**
   * Each line's cells before the transformers, in the frame it was prepared in (dropped after it): a transformer that
   * returns its line as it is (a Text with no colour of its own) leaves those cells, which need not be tokenised again.
   */
  fresh: readonly (readonly Cell[])[] | undefined;
  readonly made: (PreparedLine | undefined)[];
  /**
   * Whether its placed lines are kept: from the write's second frame on. A write seen once (a row whose figures moved)
   * is mostly never seen again, and its cells, kept for two frames, outlived a young-generation collection and were
   * copied and promoted for nothing (docs/performance.md, "sixth pass").
   */
  keep: boolean;
}

/** By text, then by position and clip. */
const preparedWrites = new GenerationMap<string, Map<string, PreparedWrite>>();

const isClipEmpty = (clip: Clip) =>
  (clip.x1 !== undefined && clip.x2 !== undefined && clip.x1 >= clip.x2) || (clip.y1 !== undefined && clip.y2 !== undefined && clip.y1 >= clip.y2);

/** Ink's sliceLineToColumns (output.js 8.0) on a line's cells rather than its text: the cells from column `from` to `to`. */
function sliceCells(output: OutputLike, cells: readonly Cell[], from: number, to: number): Cell[] {
  const result: Cell[] = [];
  if (from >= to) return result;
  let column = 0;
  for (const character of cells) {
    const width = output.caches.getStringWidth(character.value);
    const start = column;
    column += width;
    if (column <= from) continue;
    if (start >= to) break;
    // Only part of this wide character is visible: the cell count and styles are kept, the glyph dropped.
    result.push(width > 1 && (start < from || column > to) ? blankCell(character) : character);
  }
  return result;
}

/*
 * Ink's applyWriteOperation (output.js 8.0) up to the placing of cells: the clip tests, slices and offsets; undefined when
 * nothing shows. Ink serialises each line's cells, and to slice one to the clip tokenises that text again and serialises
 * the slice; here the slice is taken from the cells the write's text was tokenised into (a slice that keeps every cell
 * is the line as it is). The tokeniser reads back the cells it serialised (test/views/ink-output-cache.test.tsx compares
 * every frame with Ink's own drawing).
 */
function prepareWrite(
  output: OutputLike,
  op: Extract<Operation, { type: 'write' }>,
  clip: Clip | undefined,
  styledCharsToString: Serialise,
): PreparedWrite | undefined {
  const { text, transformers } = op;
  let { x, y } = op;
  const characterLines: Cell[][] = [[]];
  for (const character of output.caches.getStyledChars(text)) {
    if (character.value === '\n') characterLines.push([]);
    else characterLines.at(-1)!.push(character);
  }
  let cellLines: readonly (readonly Cell[])[] = characterLines;
  let lines = characterLines.map((cells) => styledCharsToString(cells));
  if (clip) {
    if (isClipEmpty(clip)) return undefined;
    const horizontally = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
    const vertically = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
    if (horizontally) {
      const width = output.caches.getWidestLine(text);
      if (x + width < clip.x1! || x > clip.x2!) return undefined;
    }
    if (vertically) {
      if (y + lines.length < clip.y1! || y > clip.y2!) return undefined;
    }
    if (horizontally) {
      const sliced = lines.map((line, i): [string, readonly Cell[]] => {
        const cells = characterLines[i]!;
        const from = x < clip.x1! ? clip.x1! - x : 0;
        const width = output.caches.getStringWidth(line);
        const to = x + width > clip.x2! ? clip.x2! - x : width;
        if (from === 0) {
          // A slice that keeps every cell is the line itself.
          let cellsWidth = 0;
          for (const c of cells) cellsWidth += output.caches.getStringWidth(c.value);
          if (to >= cellsWidth) return [line, cells];
        }
        const slice = sliceCells(output, cells, from, to);
        return [styledCharsToString(slice), slice];
      });
      lines = sliced.map(([line]) => line);
      cellLines = sliced.map(([, cells]) => cells);
      if (x < clip.x1!) x = clip.x1!;
    }
    if (vertically) {
      const from = y < clip.y1! ? clip.y1! - y : 0;
      const height = lines.length;
      const to = y + height > clip.y2! ? clip.y2! - y : height;
      lines = lines.slice(from, to);
      cellLines = cellLines.slice(from, to);
      if (y < clip.y1!) y = clip.y1!;
    }
  }
  return { opY: op.y, transformers, atX: x, atY: y, lines, fresh: cellLines, made: [], keep: false };
}

function preparedWrite(output: OutputLike, op: Extract<Operation, { type: 'write' }>, clip: Clip | undefined, styledCharsToString: Serialise): PreparedWrite {
  let at = preparedWrites.get(op.text);
  if (at === undefined) {
    at = new Map();
    preparedWrites.set(op.text, at);
  }
  const where = `${op.x} ${op.y} ${clip?.x1} ${clip?.x2} ${clip?.y1} ${clip?.y2}`;
  const found = at.get(where);
  if (found && sameRefs(found.transformers, op.transformers)) {
    inkRowCache.writesReused++;
    found.keep = true;
    return found;
  }
  // A write that shows nothing is remembered too (no lines), so that it is not prepared again. Another transformer at
  // the same place replaces the entry: a Text drawn again has a new one, and the old one is not seen again.
  const entry = prepareWrite(output, op, clip, styledCharsToString) ?? {
    opY: op.y,
    transformers: op.transformers,
    atX: 0,
    atY: 0,
    lines: [],
    fresh: undefined,
    made: [],
    keep: false,
  };
  at.set(where, entry);
  return entry;
}

const blankCell = (cell: Cell): Cell => ({ ...cell, value: ' ', fullWidth: false });

/*
 * One blank cell for every empty cell of a drawn row (Ink makes 200 objects a row): cells are only ever replaced on the
 * grid, never changed in place (Ink's applyWriteOperation, placeWrite and styledCharsToString only read them).
 */
const BLANK: Cell = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: Object.freeze([]) as readonly unknown[] });

/** The rest of Ink's applyWriteOperation: the prepared lines placed on the rows being drawn, wide characters as Ink does. */
function placeWrite(output: OutputLike, grid: (Cell[] | undefined)[], w: PreparedWrite): void {
  try {
    placeLines(output, grid, w);
  } finally {
    // Only its first frame reads them: the write, kept for two frames, should not keep them out of the young generation.
    w.fresh = undefined;
  }
}

function placeLines(output: OutputLike, grid: (Cell[] | undefined)[], w: PreparedWrite): void {
  const { caches } = output;
  for (let index = 0; index < w.lines.length; index++) {
    const currentLine = grid[w.atY + index];
    if (!currentLine) continue;
    let line = w.made[index];
    if (line === undefined) {
      const untransformed = w.lines[index]!;
      let text = untransformed;
      for (const transformer of w.transformers) text = (transformer as (s: string, i: number) => string)(text, index + w.atY - w.opY);
      const cells = text === untransformed && w.fresh !== undefined ? w.fresh[index]! : caches.getStyledChars(text);
      line = { cells, widths: cells.map((c) => Math.max(1, caches.getStringWidth(c.value))) };
      if (w.keep) w.made[index] = line;
    }
    const { cells, widths } = line;
    if (cells.length === 0) continue;
    let offsetX = w.atX;
    if (currentLine[offsetX]?.value === '' && offsetX > 0 && caches.getStringWidth(currentLine[offsetX - 1]?.value ?? '') > 1) {
      currentLine[offsetX - 1] = blankCell(currentLine[offsetX - 1]!);
    }
    for (let i = 0; i < cells.length; i++) {
      const character = cells[i]!;
      currentLine[offsetX] = character;
      const characterWidth = widths[i]!;
      for (let offset = 1; offset < characterWidth; offset++) {
        currentLine[offsetX + offset] = { type: 'char', value: offsetX < 0 ? ' ' : '', fullWidth: false, styles: character.styles };
      }
      offsetX += characterWidth;
    }
    if (currentLine[offsetX]?.value === '') currentLine[offsetX] = blankCell(currentLine[offsetX]!);
  }
}

function getByRows(output: OutputLike, styledCharsToString: Serialise): { output: string; height: number } {
  const { width, height, operations } = output;
  const keys: unknown[][] = Array.from({ length: height }, () => []);
  const clipOf = new Array<Clip | undefined>(operations.length);
  const clips: (Clip | undefined)[] = [];
  operations.forEach((op, i) => {
    if (op.type === 'clip') clips.push(intersect(clips.at(-1), op.clip));
    else if (op.type === 'unclip') clips.pop();
    else {
      const clip = clips.at(-1);
      clipOf[i] = clip;
      const from = Math.max(0, op.y, clip?.y1 ?? 0);
      const to = Math.min(height, op.y + lineCount(op.text), clip?.y2 ?? height);
      for (let r = from; r < to; r++) keys[r]!.push(op.text, op.x, op.y, clip?.x1, clip?.x2, clip?.y1, clip?.y2, op.transformers.length, ...op.transformers);
    }
  });
  const last = previous?.width === width ? previous : undefined;
  preparedWrites.nextGeneration();
  const grid: (Cell[] | undefined)[] = new Array<Cell[] | undefined>(height);
  let drawn = 0;
  for (let r = 0; r < height; r++) {
    if (sameRefs(last?.keys[r], keys[r]!) && last!.rows[r] !== undefined) continue;
    grid[r] = new Array<Cell>(width).fill(BLANK);
    drawn++;
  }
  if (drawn > 0) {
    operations.forEach((op, i) => {
      if (op.type !== 'write') return;
      const clip = clipOf[i];
      const from = Math.max(0, op.y, clip?.y1 ?? 0);
      const to = Math.min(height, op.y + lineCount(op.text), clip?.y2 ?? height);
      for (let r = from; r < to; r++) {
        if (grid[r]) {
          placeWrite(output, grid, preparedWrite(output, op, clip, styledCharsToString));
          return;
        }
      }
    });
  }
  // As Ink's get(): holes left by wide characters dropped (the serialiser skips them), trailing blanks trimmed.
  // The grid is sparse (holes for reused rows), which map() would skip: index it instead.
  const rows = Array.from({ length: height }, (_, r) => {
    const row = grid[r];
    return row ? styledCharsToString(row).trimEnd() : last!.rows[r]!;
  });
  previous = { width, rows, keys };
  inkRowCache.rowsDrawn += drawn;
  inkRowCache.rowsReused += height - drawn;
  return { output: rows.join('\n'), height };
}

/*
 * The cells of plain text, one shared frozen cell per character: most of what the console writes is figures, words and
 * the few symbols of its panes (· … − → │ ▶ ✓), and ansi-tokenize made a token, a cell and a styles array for every
 * character of every new write (a moved figure is a new write), a fifth of the console's garbage (docs/performance.md,
 * "The console's garbage"). Each character of these ranges is a grapheme of its own (none extends or joins another),
 * one column wide, no escape, no control and not default-ignorable, so its cell is what the tokeniser makes of it
 * (test/views/ink-output-cache.test.tsx compares every one of them with Ink's); nothing changes a cell in place (BLANK).
 */
function isPlain(code: number): boolean {
  if (code < 0x2000) return (code >= 0x20 && code <= 0x7e) || code === 0x0a || (code >= 0xa0 && code <= 0xff && code !== 0xad);
  return (
    (code >= 0x2010 && code <= 0x2027) || // dashes, quotes, bullets, ellipsis (not 2028-202F: separators, bidi)
    (code >= 0x2030 && code <= 0x205e) || // per mille, primes, guillemets (not 2060-206F: invisible operators)
    (code >= 0x2190 && code <= 0x22ff) || // arrows, mathematical operators
    (code >= 0x2500 && code <= 0x25fc) || // box drawing, blocks, geometric shapes (not 25FD-25FE: wide)
    code === 0x26a0 ||
    code === 0x2713 ||
    code === 0x2717 ||
    code === 0x29d7
  );
}

const NO_STYLES = Object.freeze([]) as readonly unknown[];

interface AnsiToken {
  readonly type: string;
  readonly code: string;
  readonly endCode: string;
}

/*
 * Styles interned, so that a cell is one shared object per style and character and a change of style is worked out once.
 * The console's lines arrive styled (its Text components squash their colours into the text: bold, dim, inverse, 256
 * colours), so plain text alone left most writes to the tokeniser. A style is what ansi-tokenize's own
 * reduceAnsiCodesIncremental makes of the style before it and the tokens of one SGR sequence, as tokenize reads that
 * sequence; the result is kept by the content of its codes, frozen (nothing changes a style in place: the reducer
 * returns new arrays). The tables are bounded: a guard, as the console uses a few dozen styles.
 */
interface Styles {
  readonly codes: readonly unknown[];
  /** Per SGR sequence: the style it leads to from this one (null: not SGR codes alone, the tokeniser's to read). */
  readonly next: Map<string, Styles | null>;
  /** Per character code: the cell of that character in this style. */
  readonly cells: Cell[];
  /** Per style: the codes that go from this style to that one, as the serialiser writes them. */
  readonly diffs: Map<readonly unknown[], string>;
}

const MAX_STYLES = 1000;
let stylesByKey = new Map<string, Styles>();
const stylesOf = new WeakMap<readonly unknown[], Styles>();
const keyOf = (codes: readonly unknown[]) => (codes as AnsiToken[]).map((c) => `${c.code}\u0000${c.endCode}`).join('\u0001');

function intern(codes: readonly unknown[]): Styles {
  const key = keyOf(codes);
  let st = stylesByKey.get(key);
  if (st === undefined) {
    if (stylesByKey.size >= MAX_STYLES) stylesByKey = new Map();
    const frozen = codes.length === 0 ? NO_STYLES : Object.freeze([...codes]);
    st = { codes: frozen, next: new Map(), cells: [], diffs: new Map() };
    stylesByKey.set(key, st);
    stylesOf.set(frozen, st);
  }
  return st;
}

/** The tokeniser's functions the fast path calls; undefined until the caches are installed (plain text only then). */
let ansi: { tokenize: (s: string) => AnsiToken[]; reduce: (codes: unknown[], tokens: AnsiToken[]) => unknown[] } | undefined;

/** The style after an SGR sequence, as styledCharsFromTokens reaches it token by token; null when it is not only SGR codes. */
function after(from: Styles, sequence: string): Styles | null {
  let to = from.next.get(sequence);
  if (to !== undefined) return to;
  // Before the caches are installed there is no tokeniser to ask: not remembered, so that it is asked once there is.
  if (ansi === undefined) return null;
  to = null;
  const tokens = ansi.tokenize(sequence);
  if (tokens.length > 0 && tokens.every((t) => t.type === 'ansi')) {
    let codes = from.codes as unknown[];
    for (const t of tokens) codes = ansi.reduce(codes, [t]);
    to = intern(codes);
  }
  // Bounded per style by the sequences the console writes; a style's table starts over past the guard.
  if (from.next.size >= MAX_STYLES) from.next.clear();
  from.next.set(sequence, to);
  return to;
}

/** Where an SGR sequence (ESC [ digits and semicolons m) starting at i ends (the index after its m), else -1. */
function sgrEnd(line: string, i: number): number {
  if (line.charCodeAt(i + 1) !== 0x5b) return -1;
  for (let j = i + 2; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (c === 0x6d) return j + 1;
    if (!((c >= 0x30 && c <= 0x39) || c === 0x3b)) return -1;
  }
  return -1;
}

/**
 * A line's cells when it is plain characters (isPlain) and SGR sequences only, as Ink's getStyledChars gives them (each
 * cell's styles equal to the tokeniser's, interned); else undefined.
 */
export function plainCells(line: string): Cell[] | undefined {
  const cells: Cell[] = [];
  let st = intern(NO_STYLES);
  for (let i = 0; i < line.length;) {
    const code = line.charCodeAt(i);
    if (code === 0x1b) {
      const end = sgrEnd(line, i);
      if (end < 0) return undefined;
      const to = after(st, line.slice(i, end));
      if (to === null) return undefined;
      st = to;
      i = end;
      continue;
    }
    if (!isPlain(code)) return undefined;
    cells.push((st.cells[code] ??= Object.freeze({ type: 'char', value: line[i]!, fullWidth: false, styles: st.codes })));
    i++;
  }
  return cells;
}

/** A row's or a line's cells as text, as ansi-tokenize's styledCharsToString gives them, holes (undefined) skipped. */
type Serialise = (cells: readonly (Cell | undefined)[]) => string;

interface AnsiTokenize {
  tokenize?: (s: string) => unknown[];
  reduceAnsiCodesIncremental?: (codes: unknown[], tokens: unknown[]) => unknown[];
  styledCharsToString?: (cells: Cell[]) => string;
  ansiCodesToString?: (codes: readonly unknown[]) => string;
  diffAnsiCodes?: (from: readonly unknown[], to: readonly unknown[]) => unknown[];
}

/** ansi-tokenize's isSameStyle (styledChars.js 0.3): reduced styles with an empty diff. */
function isSameStyle(from: readonly unknown[], to: readonly unknown[]): boolean {
  if (from === to) return true;
  if (from.length !== to.length) return false;
  for (let i = 0; i < from.length; i++) {
    const a = from[i] as { code: string; endCode: string };
    const b = to[i] as { code: string; endCode: string };
    if (a.code !== b.code || a.endCode !== b.endCode) return false;
  }
  return true;
}

/**
 * The serialiser's pieces: one array for every call (a frame serialises one row at a time), never shortened, since
 * shortening it to nothing let its storage go and every row grew it again; emptied to '' after each call.
 */
const pieces: string[] = [];

/*
 * styledCharsToString (ansi-tokenize 0.3) with the same text, written for the garbage it leaves: it appends each cell's
 * character to a string (a new string object per cell, 200 a row), opens and closes even an unstyled line through
 * ansiCodesToString (a Set and two arrays for nothing) and Ink filters every row into a copy first to drop its holes.
 * Here the pieces go to one reused array joined once, an unstyled start or end adds nothing (ansiCodesToString of no
 * codes and diffAnsiCodes of none to none are both empty), and holes are skipped. A style change still goes through
 * ansi-tokenize's own diffAnsiCodes and ansiCodesToString. test/views/ink-output-cache.test.tsx compares every frame
 * with Ink's own drawing, in colour, and the two serialisers on the same cells.
 */
function joinedSerialiser(
  ansiCodesToString: NonNullable<AnsiTokenize['ansiCodesToString']>,
  diffAnsiCodes: NonNullable<AnsiTokenize['diffAnsiCodes']>,
): Serialise {
  // Between two interned styles the codes are worked out once (the reducer's arrays are never changed in place).
  const diffOf = (from: readonly unknown[], to: readonly unknown[]): string => {
    const interned = stylesOf.get(from);
    if (interned === undefined || (to !== NO_STYLES && !stylesOf.has(to))) return ansiCodesToString(diffAnsiCodes(from, to));
    let d = interned.diffs.get(to);
    if (d === undefined) {
      if (interned.diffs.size >= MAX_STYLES) interned.diffs.clear();
      interned.diffs.set(to, (d = ansiCodesToString(diffAnsiCodes(from, to))));
    }
    return d;
  };
  return (cells) => {
    let prev: Cell | undefined;
    let n = 0;
    try {
      for (let i = 0; i < cells.length; i++) {
        const cell = cells[i];
        if (cell === undefined) continue;
        if (prev === undefined) {
          if (cell.styles.length > 0) pieces[n++] = ansiCodesToString(cell.styles);
        } else if (!isSameStyle(prev.styles, cell.styles)) {
          pieces[n++] = diffOf(prev.styles, cell.styles);
        }
        pieces[n++] = cell.value;
        prev = cell;
      }
      if (prev !== undefined && prev.styles.length > 0) pieces[n++] = diffOf(prev.styles, NO_STYLES);
      // The slots past this call's pieces hold '' (from the calls before): they add nothing to the text.
      return pieces.join('');
    } finally {
      pieces.fill('', 0, n);
    }
  };
}

/** The serialiser for this ansi-tokenize: the joined one when it has the two functions that one calls, else its own. */
export function serialiserOf(tk: AnsiTokenize): Serialise | undefined {
  const { styledCharsToString, ansiCodesToString, diffAnsiCodes } = tk;
  if (typeof ansiCodesToString === 'function' && typeof diffAnsiCodes === 'function') return joinedSerialiser(ansiCodesToString, diffAnsiCodes);
  if (typeof styledCharsToString === 'function') return (cells) => styledCharsToString(cells.filter((c) => c !== undefined));
  return undefined;
}

/** Installs the shared caches once; returns whether they are in use. */
export async function shareInkOutputCaches(): Promise<boolean> {
  if (installed !== undefined) return installed;
  installed = false;
  try {
    const mod = (await importInkOutput()) as {
      default: new (o: { width: number; height: number }) => OutputLike;
    };
    const Output = mod.default;
    const probe = new Output({ width: 1, height: 1 });
    const Caches = probe.caches?.constructor as (new () => OutputLike['caches']) | undefined;
    if (!Caches || !(probe.caches.widths instanceof Map) || !(probe.caches.styledChars instanceof Map) || typeof Output.prototype.get !== 'function')
      return false;
    const shared = new Caches();
    // Ink calls only get() and set() on these (output.js OutputCaches).
    const generations = [new GenerationMap<string, number>(), new GenerationMap<string, number>(), new GenerationMap<string, unknown>()] as const;
    shared.widths = generations[0] as unknown as Map<string, number>;
    shared.blockWidths = generations[1] as unknown as Map<string, number>;
    shared.styledChars = generations[2] as unknown as Map<string, unknown>;
    const tokenised = shared.getStyledChars;
    shared.getStyledChars = (line: string) => {
      const hit = generations[2].get(line) as Cell[] | undefined;
      if (hit !== undefined) return hit;
      const plain = plainCells(line);
      if (plain === undefined) return tokenised.call(shared, line);
      generations[2].set(line, plain);
      return plain;
    };
    const get = Output.prototype.get;
    // The tokenizer Ink itself uses, whose cells these are.
    const tk = (await importAnsiTokenize()) as AnsiTokenize;
    const styledCharsToString = serialiserOf(tk);
    if (typeof tk.tokenize === 'function' && typeof tk.reduceAnsiCodesIncremental === 'function')
      ansi = { tokenize: tk.tokenize as never, reduce: tk.reduceAnsiCodesIncremental as never };
    const byRows =
      styledCharsToString !== undefined &&
      typeof Output.prototype.applyWriteOperation === 'function' &&
      typeof Output.prototype.sliceLineToColumns === 'function' &&
      typeof probe.caches.getStyledChars === 'function' &&
      Array.isArray(probe.operations);
    // get() is where a frame's writes are applied, the only reader of the caches.
    Output.prototype.get = function (this: OutputLike) {
      this.caches = shared;
      for (const g of generations) g.nextGeneration();
      if (!(byRows && inkRowCache.reuse)) return get.call(this);
      const frame = getByRows(this, styledCharsToString);
      // Drawing by rows, a frame's tokenised lines are read again only through the prepared writes, which keep what they
      // need: kept here for two frames, they outlived a young-generation collection and were copied for nothing.
      generations[2].clear();
      return frame;
    };
    installed = true;
  } catch {
    installed = false;
  }
  return installed;
}
