// Scenario keys for expiry days: extra positions (validated like every scenario key) and a start moved before the expiry.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/sim/config.js';
import { loadScenario, parseScenario, ScenarioError } from '../../src/sim/scenario.js';
import { FRONT_AAPL_CALL, FRONT_SPX_PUT } from '../../src/sim/instruments.js';

const moved = parseScenario({ name: 'moved', startBeforeExpiryMinutes: 10 });
const startOf = (start: string) => new Date(resolveOptions({ startTime: start }, moved).startTime).toISOString();

describe('expiry-day scenario and startBeforeExpiryMinutes', () => {
  it('holds the front-month options and keeps the start (the demo console runs on the wall clock)', () => {
    expect(loadScenario('expiry-day').positions?.map((p) => p.conId)).toEqual([FRONT_AAPL_CALL, FRONT_SPX_PUT]);
    expect(resolveOptions({ startTime: '2026-03-02T14:30:00Z' }, loadScenario('expiry-day')).startTime).toBe(Date.parse('2026-03-02T14:30:00Z'));
  });

  it.each([
    ['2026-03-02T14:30:00Z', '2026-03-20T19:50:00.000Z', 'a Monday: the next expiry day, 15:50 New York (daylight time)'],
    ['2026-03-20T19:55:00Z', '2026-03-20T19:55:00.000Z', "already within 10 minutes of today's expiry: kept"],
    ['2026-03-20T14:00:00Z', '2026-03-20T19:50:00.000Z', 'the morning of an expiry day: later that day'],
    ['2026-03-20T20:00:00Z', '2026-04-17T19:50:00.000Z', "at the expiry instant: the next month's"],
    ['2026-12-31T23:59:00Z', '2027-01-15T20:50:00.000Z', "a year end: January's, under standard time"],
    ['2026-06-15T12:00:00Z', '2026-06-18T19:50:00.000Z', 'June 2026: Thursday, Juneteenth being the third Friday'],
  ])('start %s → %s (%s)', (start, expected) => {
    expect(startOf(start)).toBe(expected);
  });

  it('refuses bad positions, naming each', () => {
    const bad = () =>
      parseScenario({ positions: [{ conId: 'x', quantity: '1', avgPrice: '2' }, { conId: 1, quantity: 'ten', avgPrice: '2', side: 'buy' }, 7] }, 'f.json');
    expect(bad).toThrow(ScenarioError);
    try {
      bad();
    } catch (e) {
      expect((e as ScenarioError).problems).toEqual([
        'f.json: positions[0].conId: expected a positive integer, got "x"',
        'f.json: positions[1].side: unknown key',
        'f.json: positions[1].quantity: expected a number, got "ten"',
        'f.json: positions[2]: expected {"conId", "quantity", "avgPrice"}, got 7',
      ]);
    }
    expect(() => parseScenario({ startBeforeExpiryMinutes: -1 }, 'g.json')).toThrow(/startBeforeExpiryMinutes/);
  });
});
