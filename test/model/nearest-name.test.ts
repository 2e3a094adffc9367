// "Did you mean": the one known name a typo away, never a guess between two.
import { describe, expect, it } from 'vitest';
import { nearestName, typoDistance } from '../../src/model/nearest-name.js';

describe('nearestName', () => {
  it('counts a swap of two neighbouring letters as one edit, as a change, an addition or a drop is', () => {
    expect(typoDistance('APPL', 'AAPL')).toBe(1);
    expect(typoDistance('CFH', 'CHF')).toBe(1);
    expect(typoDistance('liquidation.cras', 'liquidation.crash')).toBe(1);
    expect(typoDistance('MSFT', 'MSFT')).toBe(0);
    expect(typoDistance('TSLA', 'AAPL')).toBe(4);
  });

  it('names the closest within the edits allowed, and nothing when two are as close or none is close enough', () => {
    expect(nearestName('APPL', ['AAPL', 'MSFT', 'TSLA'], 1)).toBe('AAPL');
    expect(nearestName('APPL', ['MSFT', 'TSLA'], 1)).toBeUndefined();
    // CHF and CAD are both one edit from CHD: a guess between them would mislead.
    expect(nearestName('CHD', ['CHF', 'CAD'], 1)).toBeUndefined();
    expect(nearestName('foreign.clinet', ['foreign.client', 'manual.order'], 2)).toBe('foreign.client');
    expect(nearestName('SAPP', ['SAP'], 1)).toBe('SAP');
    expect(nearestName('SAPPP', ['SAP'], 1)).toBeUndefined();
  });
});
