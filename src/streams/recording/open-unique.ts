// Exclusive file creation with a numbered fallback: two sessions started in the same second never collide.
import { openSync } from 'node:fs';

/** `name.jsonl.gz` → `name-2.jsonl.gz`: the number goes before the (possibly double) extension. */
export function numbered(file: string, n: number): string {
  const m = /^(.*?)((?:\.[a-z0-9]+){0,2})$/i.exec(file)!;
  return `${m[1]}-${n}${m[2]}`;
}

/** Opens `file` for exclusive writing; when `unique`, tries `-2`, `-3`... on EEXIST instead of failing. */
export function openExclusive(file: string, unique: boolean): { fd: number; file: string } {
  for (let n = 1; ; n++) {
    const path = n === 1 ? file : numbered(file, n);
    try {
      return { fd: openSync(path, 'wx'), file: path };
    } catch (e) {
      if (!unique || (e as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 1000) throw e;
    }
  }
}
