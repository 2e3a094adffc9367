// The ISO date-time grammar of --start, --at and a scenario's startTime: days and times that do not exist are refused.
import { describe, expect, it } from 'vitest';
import { isoTimeProblemText, parseIsoTime } from '../../src/model/iso-time.js';

describe('parseIsoTime', () => {
  it('reads a date-time in UTC, with an offset, or a date alone at midnight UTC', () => {
    expect(parseIsoTime('2026-03-02T14:30:00Z')).toBe(Date.UTC(2026, 2, 2, 14, 30));
    expect(parseIsoTime('2026-03-02T14:30:00.25+01:00')).toBe(Date.UTC(2026, 2, 2, 13, 30, 0, 250));
    expect(parseIsoTime('2028-02-29')).toBe(Date.UTC(2028, 1, 29));
  });

  it('refuses a day its month does not have (Date.parse rolls it into the next month) and an hour past 23', () => {
    expect(Date.parse('2026-02-30T14:30:00Z')).toBe(Date.UTC(2026, 2, 2, 14, 30));
    expect(parseIsoTime('2026-02-30T14:30:00Z')).toBe('calendar');
    expect(parseIsoTime('2026-02-29T14:30:00Z')).toBe('calendar');
    expect(parseIsoTime('2026-04-31')).toBe('calendar');
    expect(parseIsoTime('2026-02-31T25:30:00Z')).toBe('calendar');
    expect(parseIsoTime('2026-03-02T14:60:00Z')).toBe('calendar');
    expect(parseIsoTime('2026-03-02T14:30:00+24:00')).toBe('offset');
    expect(parseIsoTime('yesterday')).toBe('form');
    expect(parseIsoTime('1')).toBe('form');
  });

  it('says what was wrong after the form expected', () => {
    expect(isoTimeProblemText('--start', '2026-02-30T14:30:00Z', 'calendar')).toBe(
      '--start expects an ISO date-time like 2026-03-02T14:30:00Z, got "2026-02-30T14:30:00Z": no such date and time (a day of its month, hours 00-23, minutes and seconds 00-59)',
    );
  });
});
