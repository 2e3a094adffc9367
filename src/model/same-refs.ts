// sameRefs: whether two lists hold the very same objects, in order (the key of every "unchanged since last time" cache).

/**
 * Identity, not equality: a cache keyed on what it read is valid while each of those is the same object (the reducer
 * returns the same reference for a no-op, STYLE.md), and comparing by identity costs nothing however large each is.
 * No last key (`undefined`) is never the same.
 */
export function sameRefs(a: readonly unknown[] | undefined, b: readonly unknown[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
