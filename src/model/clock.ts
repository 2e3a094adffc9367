// The product's clock: every read of the time and every timer outside the simulator goes through one of these.
//
// DESIGN.md "Time is injected": staleness, heartbeat, throttle, arming expiry and alert durations take a Clock, so a
// test pins the time and moves it in virtual milliseconds (ManualClock) instead of waiting for it. The simulator
// keeps its own scheduler (src/sim/clock.ts), which runs at a speed; this one only moves when told to.

/** A scheduled timer. System timers are Node's (they can be `unref`ed, so they never keep the process alive). */
export interface TimerHandle {
  unref?(): unknown;
}

export interface Clock {
  /** Epoch milliseconds (monotonicClock's: milliseconds from an arbitrary start, for spans only). */
  now(): number;
  /** Runs `fn` once, `ms` from now. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Runs `fn` every `ms`, the first time `ms` from now. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or an interval (undefined and already-fired timers are ignored). */
  clear(handle: TimerHandle | undefined): void;
}

/** The real clock: Date.now and Node's timers. The default everywhere, so behaviour without injection is unchanged. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clear: (handle) => {
    // clearTimeout and clearInterval are interchangeable in Node (same Timeout objects).
    if (handle) clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * Time that only moves forward at the pace of real time, for spans that a step of the wall clock must not change (a
 * plan's reading time: an NTP step forward would shorten it, one backwards hold the confirm key for its size).
 * performance.now is monotonic where Date.now follows the system's date; Node's timers already run on monotonic time.
 */
export const monotonicClock: Clock = { ...systemClock, now: () => performance.now() };

interface ManualTimer extends TimerHandle {
  due: number;
  seq: number;
  readonly period: number; // 0 = one-shot
  readonly fn: () => void;
}

/**
 * A clock that stands still until `advance` moves it: due timers then run synchronously, in (due time, creation)
 * order, each seeing `now()` equal to its own due time. Timers created while advancing run too if they fall due
 * within the step. For tests (staleness, heartbeat, expiry in virtual milliseconds) and for any caller that wants
 * time to move only on demand. A callback that throws stops the step and the error propagates to the caller.
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: ManualTimer[] = [];
  private seq = 0;

  constructor(start: number) {
    if (!Number.isFinite(start)) throw new Error(`ManualClock: start must be a finite epoch ms, got ${start}`);
    this.current = start;
  }

  readonly now = (): number => this.current;

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, 0);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    // A zero period would fire forever within one step.
    return this.add(fn, ms, Math.max(1, ms));
  }

  clear(handle: TimerHandle | undefined): void {
    const t = handle as ManualTimer | undefined;
    if (!t || !this.timers.includes(t)) return;
    this.timers = this.timers.filter((x) => x !== t);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way; returns how many ran. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new Error(`ManualClock.advance: expected ms >= 0, got ${ms}`);
    const end = this.current + ms;
    let ran = 0;
    for (let t = this.next(end); t; t = this.next(end)) {
      this.current = Math.max(this.current, t.due);
      if (t.period > 0) {
        t.due += t.period;
        t.seq = ++this.seq;
      } else this.timers = this.timers.filter((x) => x !== t);
      ran++;
      t.fn();
    }
    this.current = end;
    return ran;
  }

  /** Moves time to the next timer's due time and runs the timers due then; returns that time, or undefined if none. */
  advanceToNext(): number | undefined {
    const due = this.nextDue();
    if (due === undefined) return undefined;
    this.advance(due - this.current);
    return due;
  }

  /** When the next timer falls due (undefined when none is scheduled). */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers) if (min === undefined || t.due < min) min = t.due;
    return min;
  }

  /** Timers still scheduled (one-shots not yet run, intervals not cleared). */
  get pending(): number {
    return this.timers.length;
  }

  private add(fn: () => void, ms: number, period: number): ManualTimer {
    const delay = Number.isFinite(ms) ? Math.max(0, ms) : 0;
    const t: ManualTimer = { due: this.current + delay, seq: ++this.seq, period, fn };
    this.timers.push(t);
    return t;
  }

  private next(end: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.due > end) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
