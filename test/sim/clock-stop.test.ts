// Stopping a running virtual clock between two slices of one instant finishes that instant first.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/sim/clock.js';
import { waitFor } from './helpers.js';

describe('virtual clock: setSpeed(0) mid-instant', () => {
  it('runs the timers still due at the instant it stops at, as advance() to that instant would', async () => {
    const c = new VirtualClock({ start: 0, speed: 1000 });
    const seen: string[] = [];
    let stoppedAt = -1;
    c.setTimeout(() => {
      seen.push(`a@${c.now()}`);
      // Overrun the clock's slice so that it yields to I/O before running b, due at the same instant; the immediate
      // queued here runs in that gap, before the clock's own.
      const until = performance.now() + 20;
      while (performance.now() < until) { /* busy */ }
      setImmediate(() => {
        stoppedAt = c.now();
        c.setSpeed(0);
      });
    }, 50);
    c.setTimeout(() => seen.push(`b@${c.now()}`), 50);
    c.setTimeout(() => seen.push(`late@${c.now()}`), 60_000);
    c.begin();
    await waitFor(() => stoppedAt >= 0, 10_000, 'the clock stopped');
    expect(stoppedAt).toBe(50);
    expect(seen).toEqual(['a@50', 'b@50']);
    expect(c.now()).toBe(50);
    c.stop();
  });
});
