// Alert title numbers: a configured level is shown with every digit it was set with, and no more.
import { describe, expect, it } from 'vitest';
import { level, pct } from '../../../src/risk/alerts/format.js';

describe('level', () => {
  it('shows the configured fraction as a percentage exactly, without trailing zeros or float noise', () => {
    expect(level(0.618)).toBe('61.8%');
    expect(level(0.1)).toBe('10%');
    expect(level(0.0125)).toBe('1.25%');
    // 0.07 × 100 is 7.000000000000001 in binary floating point.
    expect(level(0.07)).toBe('7%');
    expect(level(0.6185)).toBe('61.85%');
    expect(level(-0.05)).toBe('-5%');
    expect(level(-0)).toBe('0%');
    expect(level(1)).toBe('100%');
    // A measured value keeps its fixed decimals (pct), a level does not round.
    expect(pct(0.618, 0)).toBe('62%');
  });
});
