// Real time plus jumps the test makes: one clock that ages every stamped time at once while real timers keep running.
import { systemClock, type Clock } from '../../src/model/clock.js';

/**
 * Real time plus a jump the test makes: the feed stamps events, the store ages them and trading arms on this one
 * clock, so a jump ages every mark at once, and events arriving after it are fresh again. Timers stay real (the TWS
 * heartbeat must be answered). With `startMs` the clock reads that time now and runs on from it at the real pace.
 */
export class JumpClock implements Clock {
  offset: number;
  constructor(startMs?: number) {
    this.offset = startMs === undefined ? 0 : startMs - systemClock.now();
  }
  now = () => systemClock.now() + this.offset;
  setTimeout = systemClock.setTimeout;
  setInterval = systemClock.setInterval;
  clear = systemClock.clear;
}
