// A clock that stands still until the test moves it, with real timers: a key pressed "100 ms" later is 100 ms later.
import { systemClock, type Clock } from '../../src/model/clock.js';

/**
 * Time stands still until the test sets `t` (however slow the machine, a y pressed "100 ms" after a plan is 100 ms
 * after it by this clock); timers stay real, so the TWS heartbeat is answered and the reading-time check runs.
 */
export class PinnedClock implements Clock {
  constructor(public t: number) {}
  now = () => this.t;
  setTimeout = systemClock.setTimeout;
  setInterval = systemClock.setInterval;
  clear = systemClock.clear;
}
