// sameRefs: the same objects in the same order, by identity; equal copies, another order or length, or no key are not.
import { describe, expect, it } from 'vitest';
import { sameRefs } from '../../src/model/same-refs.js';

describe('sameRefs', () => {
  const a = { n: 1 };
  const b = [1, 2];
  it('is true for the very same objects in order, empty lists included', () => {
    expect(sameRefs([a, b, 'x', 3], [a, b, 'x', 3])).toBe(true);
    expect(sameRefs([], [])).toBe(true);
  });
  it('is false for an equal copy, another order, another length, or no last key', () => {
    expect(sameRefs([a, b], [{ n: 1 }, b])).toBe(false);
    expect(sameRefs([a, b], [b, a])).toBe(false);
    expect(sameRefs([a], [a, b])).toBe(false);
    expect(sameRefs([a, b], [a])).toBe(false);
    expect(sameRefs(undefined, [])).toBe(false);
  });
});
