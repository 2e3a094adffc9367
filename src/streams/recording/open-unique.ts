// Exclusive, private file creation with a numbered fallback: two sessions started in the same second never collide.
import { mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/** Files the tool writes hold account ids, positions and orders: readable by their owner only. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates `dir` (and missing parents) private to the user; an existing directory keeps its mode. Throws the first
 * mkdir error that is not "already there" (ENOENT, EACCES, EROFS...), naming the path; a file in the way is ENOTDIR.
 *
 * One level at a time, never `{ recursive: true }`: Node 24's recursive mkdir (sync, callback and promise alike)
 * never returns under a parent that exists but refuses new entries with ENOENT (/proc, some FUSE mounts), since it
 * takes each ENOENT for a missing parent and retries forever; the process then ignores SIGTERM too.
 */
export function mkdirPrivate(dir: string): void {
  try {
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (statSync(dir).isDirectory()) return;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: dir });
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw e;
    mkdirPrivate(parent);
    // Once: a second ENOENT with the parent in place means this parent takes no new entries.
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  }
}

/** `name.jsonl.gz` → `name-2.jsonl.gz`: the number goes before the (possibly double) extension. */
export function numbered(file: string, n: number): string {
  const m = /^(.*?)((?:\.[a-z0-9]+){0,2})$/i.exec(file)!;
  return `${m[1]}-${n}${m[2]}`;
}

/**
 * Opens `file` for exclusive writing, mode 0600; when `unique`, tries `-2`, `-3`... on EEXIST instead of failing.
 * O_EXCL also refuses a symlink planted at the name, so nothing is ever written through a link.
 */
export function openExclusive(file: string, unique: boolean): { fd: number; file: string } {
  for (let n = 1; ; n++) {
    const path = n === 1 ? file : numbered(file, n);
    try {
      return { fd: openSync(path, 'wx', PRIVATE_FILE_MODE), file: path };
    } catch (e) {
      if (!unique || (e as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 1000) throw e;
    }
  }
}

/**
 * Creates a companion file (the seek index) that belongs to a file we just created exclusively, so whatever sits
 * at its name is stale or planted: it is unlinked (a symlink is removed, never followed) and the name is created
 * exclusively again. Undefined when that keeps failing: the companion is optional.
 */
export function replaceExclusive(file: string): number | undefined {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return openSync(file, 'wx', PRIVATE_FILE_MODE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
      try {
        unlinkSync(file);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
