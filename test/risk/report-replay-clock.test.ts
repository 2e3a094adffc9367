// `report --replay` reads the recording's clock, never the wall clock: run on any day, before the recorded options
// expire or years after, a sample recording reports the same figures (time to expiry as it was when recorded).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';

async function reportJson(...args: string[]): Promise<Record<string, unknown>> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['report', ...args, '--json'], { out: (x) => out.push(x), err: (x) => err.push(x) });
  expect([0, 5], err.join('\n')).toContain(code);
  return JSON.parse(out.join('\n')) as Record<string, unknown>;
}

/** Runs the report with the system clock faked to `wallClock` (Date only: timers and I/O stay real). */
async function reportOn(wallClock: string, ...args: string[]): Promise<Record<string, unknown>> {
  vi.useFakeTimers({ now: Date.parse(wallClock), toFake: ['Date'] });
  try {
    expect(new Date().toISOString()).toBe(new Date(wallClock).toISOString());
    return await reportJson(...args);
  } finally {
    vi.useRealTimers();
  }
}

afterEach(() => {
  vi.useRealTimers();
});

// The recording (2026-11-23) holds options expiring 2026-12-18, 2027-01-15 and 2027-02-19.
const BEFORE = '2026-01-01T00:00:00Z';
const LONG_AFTER = '2031-07-01T12:00:00Z';

describe('report --replay on a shipped sample, whatever the wall clock says', () => {
  it.each([
    ['the end of the recording', ['--replay', 'recordings/quiet-day.jsonl.gz']],
    ['--at a moment inside it', ['--replay', 'recordings/quiet-day.jsonl.gz', '--at', '14:31:00']],
    ['a recording with an FX gap', ['--replay', 'recordings/chf-gap.jsonl.gz', '--at', '14:31:30']],
  ])(
    '%s: the same JSON before the options expire and years after',
    async (_what, args) => {
      const early = await reportOn(BEFORE, ...args);
      const late = await reportOn(LONG_AFTER, ...args);
      expect(late).toEqual(early);
      // The figures are real ones, with options priced by the model (not left out), as of the recording's time.
      const positions = early.positions as Array<{ secType: string; expiry?: string }>;
      expect(positions.filter((p) => p.secType === 'OPT' || p.secType === 'FOP').length).toBeGreaterThan(0);
      expect(early.unpriced).toEqual([]);
      expect(String(early.asOf).slice(0, 10)).toBe('2026-11-23');
      expect((early.scenarios as unknown[]).length).toBeGreaterThan(0);
    },
    60_000,
  );
});
