// Finds text Ink draws over other text in the same frame: a layout too short for its lines squeezes them onto each other.
import { importInkOutput } from '../../src/views/ink-output.js';
import { textWidth } from '../../src/views/format.js';
import { strip } from './render-tui.js';

/*
 * Ink (Yoga) shrinks a Text in a column that is too short for its lines, down to no height at all, and still draws it
 * at its place: two lines land on one row and the later one covers the earlier only where it has characters, so the
 * row reads as one line with another line's figure at its end (a 40x10 trial showed "Cushion 61.9%   OK   249,824",
 * Available funds' figure). Nothing in a finished frame tells such a row from a right one, so this watches the
 * writes Ink makes to build each frame (its Output's operations, clipped as Ink clips them) and reports every cell
 * written twice. A frame of the console never needs that: borders, padding and Text siblings each own their cells.
 */

interface Clip {
  x1?: number;
  x2?: number;
  y1?: number;
  y2?: number;
}

type Op = { type: 'write'; x: number; y: number; text: string } | { type: 'clip'; clip: Clip } | { type: 'unclip' };

interface OutputProto {
  operations: Op[];
  get(): unknown;
}

const bound = (a: number | undefined, b: number | undefined, f: (x: number, y: number) => number) => (a === undefined ? b : b === undefined ? a : f(a, b));

/** Each cell written twice in one frame's operations, as "row R: `first` under `second`". */
export function overlapsOf(operations: readonly Op[]): string[] {
  const owner = new Map<string, string>();
  const found: string[] = [];
  const clips: Clip[] = [];
  for (const op of operations) {
    if (op.type === 'clip') {
      const o = clips.at(-1);
      clips.push(
        o
          ? {
              x1: bound(o.x1, op.clip.x1, Math.max),
              x2: bound(o.x2, op.clip.x2, Math.min),
              y1: bound(o.y1, op.clip.y1, Math.max),
              y2: bound(o.y2, op.clip.y2, Math.min),
            }
          : op.clip,
      );
      continue;
    }
    if (op.type === 'unclip') {
      clips.pop();
      continue;
    }
    const clip = clips.at(-1) ?? {};
    strip(op.text)
      .split('\n')
      .forEach((line, i) => {
        const y = op.y + i;
        if ((clip.y1 !== undefined && y < clip.y1) || (clip.y2 !== undefined && y >= clip.y2)) return;
        const from = Math.max(op.x, clip.x1 ?? -Infinity);
        const to = Math.min(op.x + textWidth(line), clip.x2 ?? Infinity);
        for (let x = from; x < to; x++) {
          const key = `${x},${y}`;
          const before = owner.get(key);
          if (before !== undefined) {
            found.push(`row ${y}: "${before}" under "${line}"`);
            return;
          }
          owner.set(key, line);
        }
      });
  }
  return found;
}

/** Watches every frame Ink builds from now on; `take()` returns what was drawn over since the last call. */
export async function watchOverlaps(): Promise<{ take(): string[]; stop(): void }> {
  const Output = ((await importInkOutput()) as { default: { prototype: OutputProto } }).default;
  const get = Output.prototype.get;
  let found: string[] = [];
  Output.prototype.get = function (this: OutputProto) {
    found.push(...overlapsOf(this.operations));
    return get.call(this);
  };
  return {
    take: () => {
      const f = found;
      found = [];
      return f;
    },
    stop: () => {
      Output.prototype.get = get;
    },
  };
}
