// The manual clock the product's timing tests run on: time moves only when told, timers fire in order.
import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/model/clock.js';

const T0 = Date.parse('2026-03-02T14:30:00Z');

describe('ManualClock', () => {
  it('stands still until advanced, then runs due timers in due-time order, each seeing its own time', () => {
    const c = new ManualClock(T0);
    const seen: Array<[string, number]> = [];
    c.setTimeout(() => seen.push(['b', c.now()]), 200);
    c.setTimeout(() => seen.push(['a', c.now()]), 100);
    c.setTimeout(() => seen.push(['c', c.now()]), 300);
    expect(c.now()).toBe(T0);
    expect(c.advance(199)).toBe(1);
    expect(seen).toEqual([['a', T0 + 100]]);
    expect(c.now()).toBe(T0 + 199);
    c.advance(1);
    expect(seen).toEqual([
      ['a', T0 + 100],
      ['b', T0 + 200],
    ]);
    expect(c.pending).toBe(1);
  });

  it('runs timers due at the same time in creation order', () => {
    const c = new ManualClock(T0);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) c.setTimeout(() => seen.push(i), 50);
    c.advance(50);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('runs a timer scheduled during a step when it falls due within the step, and not otherwise', () => {
    const c = new ManualClock(T0);
    const seen: number[] = [];
    c.setTimeout(() => {
      seen.push(c.now() - T0);
      c.setTimeout(() => seen.push(c.now() - T0), 100); // due at 200: inside the step
      c.setTimeout(() => seen.push(c.now() - T0), 500); // due at 600: after it
    }, 100);
    c.advance(300);
    expect(seen).toEqual([100, 200]);
    c.advance(300);
    expect(seen).toEqual([100, 200, 600]);
  });

  it('repeats an interval every period until cleared, also from inside its own callback', () => {
    const c = new ManualClock(T0);
    const seen: number[] = [];
    const h = c.setInterval(() => {
      seen.push(c.now() - T0);
      if (seen.length === 3) c.clear(h);
    }, 250);
    c.advance(10_000);
    expect(seen).toEqual([250, 500, 750]);
    expect(c.pending).toBe(0);
  });

  it('never runs a cleared timeout, and ignores clearing twice or clearing nothing', () => {
    const c = new ManualClock(T0);
    let ran = false;
    const h = c.setTimeout(() => (ran = true), 10);
    c.clear(h);
    c.clear(h);
    c.clear(undefined);
    c.advance(100);
    expect(ran).toBe(false);
  });

  it('advances to the next timer on demand, and says when none is left', () => {
    const c = new ManualClock(T0);
    c.setTimeout(() => undefined, 700);
    expect(c.nextDue()).toBe(T0 + 700);
    expect(c.advanceToNext()).toBe(T0 + 700);
    expect(c.now()).toBe(T0 + 700);
    expect(c.advanceToNext()).toBeUndefined();
  });

  it('refuses to go backwards or start at a non-time', () => {
    expect(() => new ManualClock(Number.NaN)).toThrow(/finite epoch ms/);
    expect(() => new ManualClock(T0).advance(-1)).toThrow(/ms >= 0/);
  });
});

describe('systemClock', () => {
  it('reads the wall clock and runs real timers that can be cleared', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    let cleared = false;
    const h = systemClock.setTimeout(() => (cleared = true), 1);
    systemClock.clear(h);
    const fired = await new Promise<boolean>((r) => systemClock.setTimeout(() => r(true), 1));
    expect(fired).toBe(true);
    expect(cleared).toBe(false);
  });
});
