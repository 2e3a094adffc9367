// PMap: a small persistent hash map (hash trie), so the reducer can return new state without copying whole maps.
//
// Why not Map + copy: with thousands of positions, copying a Map per event costs O(n) and would cap the fold at a
// few thousand events per second. A 32-way hash trie copies only the path to the changed key (a few short
// arrays), keeps every untouched row's reference (so memoised rows skip work), and iterates in a deterministic
// order that depends only on the keys.
//
// Branches are bitmap-compressed (a HAMT): a bitmap of the occupied slots, then only those children, in slot
// order. With thousands of keys most branches near the leaves hold two or three children; as 32-slot arrays
// they were most of the map's memory and of what every set copied (and a long replay's scavenges kept copying).

type Key = string | number;

interface Leaf<K, V> {
  readonly h: number;
  readonly k: K;
  readonly v: V;
}
interface Collision<K, V> {
  readonly h: number;
  readonly list: readonly Leaf<K, V>[];
}
/** `[bitmap, ...children]`: bit i of the bitmap is set when hash chunk i has a child; children in chunk order. */
type Branch<K, V> = readonly (number | Node<K, V>)[];
type Node<K, V> = Branch<K, V> | Leaf<K, V> | Collision<K, V>;

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

/** 32-bit hash: a murmur-style finaliser for numbers, FNV-1a for strings. */
function hashOf(k: Key): number {
  if (typeof k === 'number') {
    let h = Number.isInteger(k) ? k | 0 : hashString(String(k));
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }
  return hashString(k);
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function isBranch<K, V>(n: Node<K, V>): n is Branch<K, V> {
  return Array.isArray(n);
}
function isCollision<K, V>(n: Node<K, V>): n is Collision<K, V> {
  return (n as Collision<K, V>).list !== undefined;
}

/** Bits set in a 32-bit value. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Index in a branch of the child in the slot with bit `bit` (where it is, or where it would go). */
function slotIndex(bits: number, bit: number): number {
  return 1 + popcount(bits & (bit - 1));
}

/** A node holding `a` (a leaf or a collision) and a new leaf `b` with another hash, split from `shift` on. */
function split<K, V>(a: Leaf<K, V> | Collision<K, V>, b: Leaf<K, V>, shift: number): Node<K, V> {
  const ia = (a.h >>> shift) & MASK;
  const ib = (b.h >>> shift) & MASK;
  if (ia === ib) return [1 << ia, split(a, b, shift + BITS)];
  const bits = (1 << ia) | (1 << ib);
  return ia < ib ? [bits, a, b] : [bits, b, a];
}

/**
 * The node that inserting `leaves` (distinct keys, in insertion order) from empty makes: a lone leaf stays a leaf,
 * equal hashes share a collision list in insertion order, and a branch holds its chunks' groups in chunk order (a
 * group in a single chunk is the one child of a branch, as `split` nests them).
 */
function build<K, V>(leaves: Leaf<K, V>[], shift: number): Node<K, V> {
  if (leaves.length === 1) return leaves[0]!;
  const h = leaves[0]!.h;
  let same = true;
  for (let i = 1; i < leaves.length && same; i++) same = leaves[i]!.h === h;
  if (same) return { h, list: leaves };
  const groups: (Leaf<K, V>[] | undefined)[] = new Array(WIDTH);
  let bits = 0;
  for (const l of leaves) {
    const c = (l.h >>> shift) & MASK;
    const g = groups[c];
    if (g === undefined) {
      groups[c] = [l];
      bits |= 1 << c;
    } else {
      g.push(l);
    }
  }
  const node: (number | Node<K, V>)[] = [bits];
  for (let c = 0; c < WIDTH; c++) {
    const g = groups[c];
    if (g !== undefined) node.push(build(g, shift + BITS));
  }
  return node;
}

/** Entries added (1) or removed (-1) by the last setIn/deleteIn (single-threaded, never re-entered). */
let sizeDelta = 0;

function setIn<K extends Key, V>(node: Node<K, V> | undefined, shift: number, leaf: Leaf<K, V>): Node<K, V> {
  if (node === undefined) {
    sizeDelta = 1;
    return leaf;
  }
  if (isBranch(node)) {
    const bits = node[0] as number;
    const bit = 1 << ((leaf.h >>> shift) & MASK);
    const i = slotIndex(bits, bit);
    if ((bits & bit) === 0) {
      sizeDelta = 1;
      const copy: (number | Node<K, V>)[] = new Array(node.length + 1);
      copy[0] = bits | bit;
      for (let j = 1; j < i; j++) copy[j] = node[j]!;
      copy[i] = leaf;
      for (let j = i; j < node.length; j++) copy[j + 1] = node[j]!;
      return copy;
    }
    const child = node[i] as Node<K, V>;
    const next = setIn(child, shift + BITS, leaf);
    if (next === child) return node;
    const copy = node.slice();
    copy[i] = next;
    return copy;
  }
  if (isCollision(node)) {
    if (node.h !== leaf.h) {
      sizeDelta = 1;
      return split(node, leaf, shift);
    }
    const idx = node.list.findIndex((l) => l.k === leaf.k);
    if (idx >= 0) {
      if (node.list[idx]!.v === leaf.v) return node;
      const list = node.list.slice();
      list[idx] = leaf;
      return { h: node.h, list };
    }
    sizeDelta = 1;
    return { h: node.h, list: [...node.list, leaf] };
  }
  if (node.k === leaf.k) return node.v === leaf.v ? node : leaf;
  sizeDelta = 1;
  if (node.h === leaf.h) return { h: node.h, list: [node, leaf] };
  return split(node, leaf, shift);
}

function deleteIn<K extends Key, V>(node: Node<K, V> | undefined, shift: number, h: number, k: K): Node<K, V> | undefined {
  if (node === undefined) return undefined;
  if (isBranch(node)) {
    const bits = node[0] as number;
    const bit = 1 << ((h >>> shift) & MASK);
    if ((bits & bit) === 0) return node;
    const i = slotIndex(bits, bit);
    const child = node[i] as Node<K, V>;
    const next = deleteIn(child, shift + BITS, h, k);
    if (next === child) return node;
    if (next !== undefined) {
      // Collapse a branch left with a single leaf so lookups stay short after deletions.
      if (node.length === 2 && !isBranch(next)) return next;
      const copy = node.slice();
      copy[i] = next;
      return copy;
    }
    const rest = bits & ~bit;
    if (rest === 0) return undefined;
    if (node.length === 3) {
      const only = node[i === 1 ? 2 : 1] as Node<K, V>;
      if (!isBranch(only)) return only;
    }
    const copy: (number | Node<K, V>)[] = new Array(node.length - 1);
    copy[0] = rest;
    for (let j = 1; j < i; j++) copy[j] = node[j]!;
    for (let j = i + 1; j < node.length; j++) copy[j - 1] = node[j]!;
    return copy;
  }
  if (isCollision(node)) {
    if (node.h !== h) return node;
    const list = node.list.filter((l) => l.k !== k);
    if (list.length === node.list.length) return node;
    sizeDelta = -1;
    return list.length === 1 ? list[0] : { h, list };
  }
  if (node.k === k) {
    sizeDelta = -1;
    return undefined;
  }
  return node;
}

function* iterate<K, V>(node: Node<K, V> | undefined): Generator<Leaf<K, V>> {
  if (node === undefined) return;
  if (isBranch(node)) {
    for (let j = 1; j < node.length; j++) yield* iterate(node[j] as Node<K, V>);
  } else if (isCollision(node)) {
    yield* node.list;
  } else {
    yield node;
  }
}

/** Calls f with every leaf's value, in iteration order: a plain walk, without a generator per level of the trie. */
function eachValue<K, V>(node: Node<K, V> | undefined, f: (v: V) => void): void {
  if (node === undefined) return;
  if (isBranch(node)) {
    for (let j = 1; j < node.length; j++) eachValue(node[j] as Node<K, V>, f);
  } else if (isCollision(node)) {
    for (const l of node.list) f(l.v);
  } else {
    f(node.v);
  }
}

/** Every leaf under a node, in iteration order. */
function leavesOf<K, V>(node: Node<K, V> | undefined, out: Leaf<K, V>[]): Leaf<K, V>[] {
  if (node === undefined) return out;
  if (isBranch(node)) for (let j = 1; j < node.length; j++) leavesOf(node[j] as Node<K, V>, out);
  else if (isCollision(node)) for (const l of node.list) out.push(l);
  else out.push(node);
  return out;
}

/**
 * The entries in which two subtrees at the same depth differ, to f (false stops the walk; the result says whether it
 * ran to the end). Shared subtrees are skipped, since a set copies only the path to the changed key; two branches are
 * compared slot by slot (a slot holds the same hash prefix in both); any other pair is compared leaf by leaf by key,
 * which also covers a branch collapsed into a leaf by a delete.
 */
function diffIn<K, V>(a: Node<K, V> | undefined, b: Node<K, V> | undefined, f: (k: K, was: V | undefined, now: V | undefined) => boolean): boolean {
  if (a === b) return true;
  if (a !== undefined && b !== undefined && isBranch(a) && isBranch(b)) {
    const ba = a[0] as number,
      bb = b[0] as number;
    let all = ba | bb;
    while (all !== 0) {
      const bit = all & -all;
      all &= all - 1;
      const ca = (ba & bit) !== 0 ? (a[slotIndex(ba, bit)] as Node<K, V>) : undefined;
      const cb = (bb & bit) !== 0 ? (b[slotIndex(bb, bit)] as Node<K, V>) : undefined;
      if (!diffIn(ca, cb, f)) return false;
    }
    return true;
  }
  const la = leavesOf(a, []),
    lb = leavesOf(b, []);
  for (const x of la) {
    const y = lb.find((l) => l.k === x.k);
    if (y === undefined ? !f(x.k, x.v, undefined) : y.v !== x.v && !f(x.k, x.v, y.v)) return false;
  }
  for (const y of lb) if (!la.some((l) => l.k === y.k) && !f(y.k, undefined, y.v)) return false;
  return true;
}

/** Immutable hash map with structural sharing. `set`/`delete` return `this` when nothing changes. */
export class PMap<K extends Key, V> implements Iterable<[K, V]> {
  private static readonly EMPTY = new PMap<never, never>(undefined, 0);

  private constructor(
    private readonly root: Node<K, V> | undefined,
    /** Number of entries. */
    readonly size: number,
  ) {}

  static empty<K extends Key, V>(): PMap<K, V> {
    return PMap.EMPTY as unknown as PMap<K, V>;
  }

  /**
   * The map `set` would build from these entries one by one (a later duplicate key replaces the value in place), built
   * in one pass: a keyframe decodes maps of thousands of rows at every seek, and inserting them one by one copied the
   * path to each (a new root per entry, garbage that the seek then paid for in collections).
   */
  static from<K extends Key, V>(entries: Iterable<readonly [K, V]>): PMap<K, V> {
    const leaves: Leaf<K, V>[] = [];
    const at = new Map<K, number>();
    for (const [k, v] of entries) {
      const i = at.get(k);
      if (i === undefined) {
        at.set(k, leaves.length);
        leaves.push({ h: hashOf(k), k, v });
      } else {
        leaves[i] = { h: leaves[i]!.h, k, v };
      }
    }
    return leaves.length === 0 ? PMap.empty() : new PMap(build(leaves, 0), leaves.length);
  }

  get(k: K): V | undefined {
    const h = hashOf(k);
    let node = this.root;
    let shift = 0;
    while (node !== undefined) {
      if (isBranch(node)) {
        const bits = node[0] as number;
        const bit = 1 << ((h >>> shift) & MASK);
        if ((bits & bit) === 0) return undefined;
        node = node[slotIndex(bits, bit)] as Node<K, V>;
        shift += BITS;
      } else if (isCollision(node)) {
        return node.h === h ? node.list.find((l) => l.k === k)?.v : undefined;
      } else {
        return node.k === k ? node.v : undefined;
      }
    }
    return undefined;
  }

  has(k: K): boolean {
    return this.get(k) !== undefined;
  }

  set(k: K, v: V): PMap<K, V> {
    sizeDelta = 0;
    const root = setIn(this.root, 0, { h: hashOf(k), k, v });
    return root === this.root ? this : new PMap(root, this.size + sizeDelta);
  }

  delete(k: K): PMap<K, V> {
    sizeDelta = 0;
    const root = deleteIn(this.root, 0, hashOf(k), k);
    return root === this.root ? this : root === undefined ? PMap.empty() : new PMap(root, this.size + sizeDelta);
  }

  *entries(): Generator<[K, V]> {
    for (const l of iterate(this.root)) yield [l.k, l.v];
  }

  *keys(): Generator<K> {
    for (const l of iterate(this.root)) yield l.k;
  }

  *values(): Generator<V> {
    for (const l of iterate(this.root)) yield l.v;
  }

  /**
   * f(value) for every entry, in the order of values(): a rebuild of the risk grid walks a portfolio of thousands of
   * rows, where the nested generators of values() were half of the walk's time.
   */
  forEachValue(f: (v: V) => void): void {
    eachValue(this.root, f);
  }

  /**
   * f(key, value in `before`, value in `after`) for every key whose value differs (by identity; undefined where the key
   * is absent), until f returns false; true when every difference was seen. Subtrees the two maps share are skipped, so
   * a map a few sets or deletes away from `before` costs a few paths (the risk grid's rebuild reads only what changed).
   * The order of the calls is unspecified.
   */
  static diff<K extends Key, V>(before: PMap<K, V>, after: PMap<K, V>, f: (k: K, was: V | undefined, now: V | undefined) => boolean): boolean {
    return diffIn(before.root, after.root, f);
  }

  [Symbol.iterator](): Generator<[K, V]> {
    return this.entries();
  }
}
