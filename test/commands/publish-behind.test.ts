// When a guard's log speaks of its publishing backlog: a lasting one once (and its end), a healthy batch in flight never.
import { describe, expect, it } from 'vitest';
import { BEHIND_WARN_MS, noteBehind, type BehindMemory, type BehindNote } from '../../src/commands/publish.js';
import type { PublishStatus } from '../../src/streams/nats/publisher.js';

const T0 = Date.UTC(2026, 11, 7, 18, 0, 0);
const status = (behind: number, o: Partial<PublishStatus> = {}): PublishStatus => ({
  url: 'nats://127.0.0.1:4222',
  connected: true,
  behind,
  dropped: 0,
  published: 100,
  ...o,
});
const text = (s: PublishStatus) =>
  s.behind === 0 && s.dropped === 0 && s.connected ? undefined : `publishing behind by ${s.behind}${s.connected ? '' : ' (NATS disconnected)'}`;

/** The notes of a run of statuses, one every 100 ms (the guard's evaluation tick). */
function notes(run: readonly PublishStatus[]): Array<BehindNote & { at: number }> {
  let m: BehindMemory = { warned: false };
  const out: Array<BehindNote & { at: number }> = [];
  run.forEach((s, i) => {
    const r = noteBehind(m, s, text(s), T0 + i * 100);
    m = r.memory;
    if (r.note) out.push({ ...r.note, at: i * 100 });
  });
  return out;
}

describe('noteBehind', () => {
  it('a healthy loopback NATS (a few events in flight, every other tick, for a minute) says nothing', () => {
    expect(notes(Array.from({ length: 600 }, (_, i) => status(i % 2 === 0 ? 3 : 0)))).toEqual([]);
  });

  it(`a backlog lasting ${BEHIND_WARN_MS / 1000} s is warned once, and its end said once`, () => {
    const run = [...Array.from({ length: 150 }, () => status(5)), status(0), status(0)];
    expect(notes(run)).toEqual([
      { event: 'publish.behind', msg: 'publishing behind by 5', forMs: BEHIND_WARN_MS, at: BEHIND_WARN_MS },
      { event: 'publish.caughtUp', published: 100, forMs: 15_000, at: 15_000 },
    ]);
  });

  it('NATS disconnected, or events dropped, is warned at once', () => {
    expect(notes([status(2, { connected: false })])).toEqual([{ event: 'publish.behind', msg: 'publishing behind by 2 (NATS disconnected)', forMs: 0, at: 0 }]);
    expect(notes([status(0), status(10_000, { dropped: 1 })]).map((n) => [n.event, n.at])).toEqual([['publish.behind', 100]]);
  });
});
