// The suite's wait helper awaits an async condition: a promise (always truthy) once ended every such wait at once.
import { describe, expect, it } from 'vitest';
import { waitFor } from '../sim/helpers.js';

describe('waitFor', () => {
  it('waits until an async predicate resolves truthy, and returns what it resolved to', async () => {
    let polls = 0;
    const v = await waitFor(async () => {
      polls++;
      await Promise.resolve();
      return polls >= 3 ? `after ${polls}` : undefined;
    });
    expect(v).toBe('after 3');
    expect(polls).toBe(3);
  });

  it('still takes a plain predicate', async () => {
    let polls = 0;
    expect(await waitFor(() => ++polls >= 2 && polls)).toBe(2);
  });
});
