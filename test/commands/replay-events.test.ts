// replay --events lines: the time text from the per-second cache is the ISO time of the event, whatever its millisecond.
import { describe, expect, it } from 'vitest';
import { eventLine } from '../../src/commands/replay-events.js';
import type { FeedEvent } from '../../src/model/events.js';

const at = (receivedAt: number, seq = 1) =>
  ({ type: 'brokerMessage', id: -1, code: 2104, message: 'farm OK', class: 'info', seq, receivedAt }) as unknown as FeedEvent;

describe('eventLine', () => {
  it('writes the receive time as ISO-8601 for every millisecond within and across seconds', () => {
    const base = Date.UTC(2026, 10, 23, 14, 30, 59);
    const times = [base, base + 5, base + 40, base + 999, base + 1000, base + 1007, base + 60_000 + 99, 0, 7];
    for (const t of times) expect(eventLine(at(t)).split(' ')[0]).toBe(new Date(t).toISOString());
  });

  it('falls back to Date for times that are not whole non-negative milliseconds', () => {
    for (const t of [1.5, -1, -1001]) expect(eventLine(at(t)).split(' ')[0]).toBe(new Date(t).toISOString());
  });

  it('lists the fields after seq and type, in their order', () => {
    expect(eventLine(at(Date.UTC(2026, 10, 23, 14, 30), 12))).toBe('2026-11-23T14:30:00.000Z #12 brokerMessage id=-1 code=2104 message="farm OK" class=info');
  });
});
