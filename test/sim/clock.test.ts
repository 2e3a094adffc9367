// The virtual clock: ordered timers, manual stepping, speed.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/sim/clock.js';
import { waitFor } from './helpers.js';

describe('virtual clock', () => {
  it('runs timers in (time, insertion) order when stepped manually, with now() at each deadline', () => {
    const c = new VirtualClock({ start: 1_000, speed: 0 });
    const seen: string[] = [];
    c.setTimeout(() => seen.push(`b@${c.now()}`), 20);
    c.setTimeout(() => seen.push(`a@${c.now()}`), 10);
    c.setTimeout(() => seen.push(`c@${c.now()}`), 20);
    const h = c.setInterval(() => seen.push(`i@${c.now()}`), 15);
    c.advance(31);
    expect(seen).toEqual(['a@1010', 'i@1015', 'b@1020', 'c@1020', 'i@1030']);
    expect(c.now()).toBe(1_031);
    c.clear(h);
    c.advance(100);
    expect(seen).toHaveLength(5);
    c.stop();
  });

  it('keeps running when a timer throws, reporting the error', () => {
    const errors: unknown[] = [];
    const c = new VirtualClock({ start: 0, speed: 0, onError: (e) => errors.push(e) });
    let ran = false;
    c.setTimeout(() => {
      throw new Error('boom');
    }, 1);
    c.setTimeout(() => (ran = true), 2);
    c.advance(5);
    expect(ran).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('runs at speed × real time and never lets now() pass an unfired timer', async () => {
    const c = new VirtualClock({ start: 0, speed: 100 });
    const fired: number[] = [];
    c.setInterval(() => fired.push(c.now()), 1_000);
    c.begin();
    await waitFor(() => fired.length >= 5, 5_000, 'five virtual seconds');
    // Virtual time starts at begin(), so timers set before it keep their exact phase.
    expect(fired.slice(0, 5)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    c.stop();
    expect(c.pendingTimers).toBe(0);
  });

  it('finishes every timer of an instant before it yields, so no one sees now() at a deadline with a timer pending', async () => {
    // A slow timer (longer than the clock's time slice) shares its deadline with a market step. Code that runs in
    // between (a client's request, a test) must not read now() == 10 while the step due at 10 has not run: stopping
    // the clock there would give a different market path than stepping to 10 by hand (seen on a busy machine).
    const c = new VirtualClock({ start: 0, speed: 1 });
    let stepped = false;
    let seen: { now: number; stepped: boolean } | undefined;
    c.setTimeout(() => {
      const until = performance.now() + 30;
      while (performance.now() < until) {
        // busier than the 8 ms slice
      }
      setImmediate(() => (seen = { now: c.now(), stepped }));
    }, 10);
    c.setTimeout(() => (stepped = true), 10);
    c.begin();
    await waitFor(() => seen, 5_000, 'the code queued by the slow timer');
    expect(seen!.now).toBeGreaterThanOrEqual(10);
    expect(seen!.stepped).toBe(true);
    c.stop();
  });
});
