// Keeps Ink's line-tokenising and width caches across frames, so a line that did not change is not re-measured.
import { importInkOutput } from './ink-output.js';

/*
 * Ink (8.0) builds a new Output for every frame, and with it new caches of each line's styled characters
 * (@alcalzone/ansi-tokenize) and of string widths (string-width). Those two were a quarter of the console's busy time
 * in a CPU profile of the demo at 200x50 (docs/performance.md), almost all of it re-measuring lines that had not
 * changed since the previous frame. Ink does not export Output, so this reaches its module by path (the same URL its
 * renderer imports, hence the same class) and points every Output at one shared, bounded set of caches. The cached
 * values are immutable strings, numbers and arrays of cells Ink only reads, so sharing them changes no frame.
 * Anything unexpected (another Ink version without these members) leaves Ink as it is: slower, never wrong.
 */

/** Entries per cache before it starts over: a 200x50 screen has a few thousand distinct lines and cells. */
const MAX_ENTRIES = 20_000;

class BoundedMap<K, V> extends Map<K, V> {
  override set(key: K, value: V): this {
    if (this.size >= MAX_ENTRIES) this.clear();
    return super.set(key, value);
  }
}

interface OutputLike {
  caches: { widths: Map<string, number>; blockWidths: Map<string, number>; styledChars: Map<string, unknown> };
  get(): unknown;
}

let installed: boolean | undefined;

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
    shared.widths = new BoundedMap();
    shared.blockWidths = new BoundedMap();
    shared.styledChars = new BoundedMap();
    const get = Output.prototype.get;
    // get() is where a frame's writes are applied, the only reader of the caches.
    Output.prototype.get = function (this: OutputLike) {
      this.caches = shared;
      return get.call(this);
    };
    installed = true;
  } catch {
    installed = false;
  }
  return installed;
}
