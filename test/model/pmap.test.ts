import { describe, expect, it } from 'vitest';
import { PMap } from '../../src/model/pmap.js';
import { mulberry32 } from '../../src/sim/random.js';

/** The simulator's seeded mulberry32 stream, as a plain function. */
function rng(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r.next();
}

describe('PMap', () => {
  it('agrees with Map over a long random sequence of sets and deletes, numeric and string keys', () => {
    for (const kind of ['number', 'string'] as const) {
      const rand = rng(kind === 'number' ? 1 : 2);
      let p = PMap.empty<number | string, number>();
      const m = new Map<number | string, number>();
      for (let i = 0; i < 20_000; i++) {
        const raw = Math.floor(rand() * 3000);
        const k = kind === 'number' ? raw : `k${raw}`;
        if (rand() < 0.3) {
          p = p.delete(k);
          m.delete(k);
        } else {
          p = p.set(k, i);
          m.set(k, i);
        }
      }
      expect(p.size).toBe(m.size);
      for (const [k, v] of m) expect(p.get(k)).toBe(v);
      expect(new Map(p.entries())).toEqual(m);
      // forEachValue walks the same values in the same order as values().
      const walked: number[] = [];
      p.forEachValue((v) => walked.push(v));
      expect(walked).toEqual([...p.values()]);
    }
  });

  it('leaves earlier versions unchanged (persistence)', () => {
    const a = PMap.from<number, string>([
      [1, 'a'],
      [2, 'b'],
    ]);
    const b = a.set(3, 'c').delete(1);
    expect([...a.entries()].sort()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect([...b.entries()].sort()).toEqual([
      [2, 'b'],
      [3, 'c'],
    ]);
  });

  it('returns itself when a set or delete changes nothing', () => {
    const a = PMap.from<string, number>([['x', 1]]);
    expect(a.set('x', 1)).toBe(a);
    expect(a.delete('nope')).toBe(a);
  });

  it('empties back to zero size after deleting everything', () => {
    let p = PMap.empty<number, number>();
    for (let i = 0; i < 500; i++) p = p.set(i * 7919, i);
    for (let i = 0; i < 500; i++) p = p.delete(i * 7919);
    expect(p.size).toBe(0);
    expect([...p.keys()]).toEqual([]);
  });

  it('distinguishes keys whose hashes collide', () => {
    // Integer keys hash on their low 32 bits, so k and k + 2^32 share a hash: a guaranteed collision.
    const x = 5;
    const y = 5 + 2 ** 32;
    let p = PMap.empty<number, number>().set(x, 1).set(y, 2).set(77, 3);
    expect(p.get(x)).toBe(1);
    expect(p.get(y)).toBe(2);
    expect(p.size).toBe(3);
    p = p.set(x, 4).delete(y);
    expect(p.get(x)).toBe(4);
    expect(p.get(y)).toBeUndefined();
    expect(p.get(77)).toBe(3);
    expect(p.size).toBe(2);
  });

  it('builds from entries the very trie that setting them one by one builds (duplicates, collisions, both key kinds)', () => {
    const rand = rng(7);
    for (const n of [0, 1, 2, 3, 40, 2_000]) {
      const entries: [number | string, number][] = [];
      for (let i = 0; i < n; i++) {
        const r = Math.floor(rand() * n * 2);
        // Numbers, strings, a key and its 2^32 twin (same hash), and some keys given twice (the later value wins).
        const k = i % 7 === 0 ? `k${r}` : i % 11 === 0 ? r + 2 ** 32 : r;
        entries.push([k, i]);
      }
      let one = PMap.empty<number | string, number>();
      for (const [k, v] of entries) one = one.set(k, v);
      const bulk = PMap.from(entries);
      expect(bulk.size).toBe(one.size);
      expect([...bulk.entries()]).toEqual([...one.entries()]);
      // The same nodes, so that a state decoded from a keyframe iterates and encodes exactly like one folded.
      expect((bulk as unknown as { root: unknown }).root).toEqual((one as unknown as { root: unknown }).root);
    }
  });

  it('diff reports exactly the keys whose value differs, after sets, deletes that collapse branches, and collisions', () => {
    const rand = rng(11);
    const naive = (a: PMap<number | string, object>, b: PMap<number | string, object>) => {
      const out = new Map<number | string, [object | undefined, object | undefined]>();
      for (const [k, v] of a) if (b.get(k) !== v) out.set(k, [v, b.get(k)]);
      for (const [k, v] of b) if (a.get(k) === undefined) out.set(k, [undefined, v]);
      return out;
    };
    const keyOf = (r: number) => (r % 13 === 0 ? `k${r}` : r % 17 === 0 ? r + 2 ** 32 : r);
    let base = PMap.empty<number | string, object>();
    for (let i = 0; i < 3_000; i++) base = base.set(keyOf(Math.floor(rand() * 6_000)), { i });
    for (const steps of [0, 1, 2, 5, 50, 2_000]) {
      let next = base;
      for (let s = 0; s < steps; s++) {
        const k = keyOf(Math.floor(rand() * 6_000));
        next = rand() < 0.4 ? next.delete(k) : next.set(k, { s });
      }
      const seen = new Map<number | string, [object | undefined, object | undefined]>();
      expect(PMap.diff(base, next, (k, was, now) => (seen.set(k, [was, now]), true))).toBe(true);
      expect(seen).toEqual(naive(base, next));
      for (const [k, [was, now]] of seen) {
        expect(was).toBe(base.get(k));
        expect(now).toBe(next.get(k));
      }
    }
    // Unrelated maps with the same entries, every value a new object: every key; the same map: none.
    const copy = PMap.from([...base.entries()].map(([k]) => [k, {}] as [number | string, object]));
    let count = 0;
    PMap.diff(base, copy, () => (count++, true));
    expect(count).toBe(base.size);
    PMap.diff(base, base, () => (count++, true));
    expect(count).toBe(base.size);
    // A single key against thousands, both ways, and f stopping the walk.
    const one = PMap.empty<number | string, object>().set(1, {});
    expect(naive(one, base).size).toBeGreaterThan(2_000);
    const small = new Map<number | string, unknown>();
    PMap.diff(one, base, (k, was, now) => (small.set(k, [was, now]), true));
    expect(small).toEqual(naive(one, base));
    let calls = 0;
    expect(PMap.diff(base, PMap.empty(), () => ++calls < 3)).toBe(false);
    expect(calls).toBe(3);
  });
});
