// PMap: a small persistent hash map (hash trie), so the reducer can return new state without copying whole maps.
//
// Why not Map + copy: with thousands of positions, copying a Map per event costs O(n) and would cap the fold at a
// few thousand events per second. A 32-way hash trie copies only the path to the changed key (a few 32-slot
// arrays), keeps every untouched row's reference (so memoised rows skip work), and iterates in a deterministic
// order that depends only on the keys.

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
type Branch<K, V> = readonly (Node<K, V> | undefined)[];
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

/** A node holding `a` (any node kind with hash ha) and a new leaf `b`, split at `shift`. */
function split<K, V>(a: Leaf<K, V> | Collision<K, V>, b: Leaf<K, V>, shift: number): Node<K, V> {
  const branch: (Node<K, V> | undefined)[] = new Array(WIDTH);
  const ia = (a.h >>> shift) & MASK;
  const ib = (b.h >>> shift) & MASK;
  if (ia === ib) {
    branch[ia] = split(a, b, shift + BITS);
  } else {
    branch[ia] = a;
    branch[ib] = b;
  }
  return branch;
}

interface Op {
  sizeDelta: number;
}

function setIn<K extends Key, V>(node: Node<K, V> | undefined, shift: number, leaf: Leaf<K, V>, op: Op): Node<K, V> {
  if (node === undefined) {
    op.sizeDelta = 1;
    return leaf;
  }
  if (isBranch(node)) {
    const i = (leaf.h >>> shift) & MASK;
    const child = node[i];
    const next = setIn(child, shift + BITS, leaf, op);
    if (next === child) return node;
    const copy = node.slice();
    copy[i] = next;
    return copy;
  }
  if (isCollision(node)) {
    if (node.h !== leaf.h) {
      op.sizeDelta = 1;
      return split(node, leaf, shift);
    }
    const idx = node.list.findIndex((l) => l.k === leaf.k);
    if (idx >= 0) {
      if (node.list[idx]!.v === leaf.v) return node;
      const list = node.list.slice();
      list[idx] = leaf;
      return { h: node.h, list };
    }
    op.sizeDelta = 1;
    return { h: node.h, list: [...node.list, leaf] };
  }
  if (node.k === leaf.k) return node.v === leaf.v ? node : leaf;
  op.sizeDelta = 1;
  if (node.h === leaf.h) return { h: node.h, list: [node, leaf] };
  return split(node, leaf, shift);
}

function deleteIn<K extends Key, V>(node: Node<K, V> | undefined, shift: number, h: number, k: K, op: Op): Node<K, V> | undefined {
  if (node === undefined) return undefined;
  if (isBranch(node)) {
    const i = (h >>> shift) & MASK;
    const child = node[i];
    const next = deleteIn(child, shift + BITS, h, k, op);
    if (next === child) return node;
    const copy = node.slice();
    copy[i] = next;
    // Collapse a branch left with a single leaf so lookups stay short after deletions.
    let only: Node<K, V> | undefined;
    let count = 0;
    for (const c of copy) {
      if (c !== undefined) {
        count++;
        only = c;
        if (count > 1) break;
      }
    }
    if (count === 0) return undefined;
    if (count === 1 && only !== undefined && !isBranch(only)) return only;
    return copy;
  }
  if (isCollision(node)) {
    if (node.h !== h) return node;
    const list = node.list.filter((l) => l.k !== k);
    if (list.length === node.list.length) return node;
    op.sizeDelta = -1;
    return list.length === 1 ? list[0] : { h, list };
  }
  if (node.k === k) {
    op.sizeDelta = -1;
    return undefined;
  }
  return node;
}

function* iterate<K, V>(node: Node<K, V> | undefined): Generator<Leaf<K, V>> {
  if (node === undefined) return;
  if (isBranch(node)) {
    for (const c of node) if (c !== undefined) yield* iterate(c);
  } else if (isCollision(node)) {
    yield* node.list;
  } else {
    yield node;
  }
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

  static from<K extends Key, V>(entries: Iterable<readonly [K, V]>): PMap<K, V> {
    let m = PMap.empty<K, V>();
    for (const [k, v] of entries) m = m.set(k, v);
    return m;
  }

  get(k: K): V | undefined {
    const h = hashOf(k);
    let node = this.root;
    let shift = 0;
    while (node !== undefined) {
      if (isBranch(node)) {
        node = node[(h >>> shift) & MASK];
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
    const op: Op = { sizeDelta: 0 };
    const root = setIn(this.root, 0, { h: hashOf(k), k, v }, op);
    return root === this.root ? this : new PMap(root, this.size + op.sizeDelta);
  }

  delete(k: K): PMap<K, V> {
    const op: Op = { sizeDelta: 0 };
    const root = deleteIn(this.root, 0, hashOf(k), k, op);
    return root === this.root ? this : root === undefined ? PMap.empty() : new PMap(root, this.size + op.sizeDelta);
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

  [Symbol.iterator](): Generator<[K, V]> {
    return this.entries();
  }
}
