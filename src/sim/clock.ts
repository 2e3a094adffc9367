// Virtual clock: simulated time that runs at `speed` × real time (or only when stepped), with ordered timers.
//
// Why a scheduler instead of setTimeout: every simulated event (market tick, fill, incident) fires at an
// exact virtual instant, in (time, insertion) order, so a run with the same seed produces the same
// market path whatever the machine load. When the host cannot keep up with `speed`, virtual time slows
// down instead of piling up a backlog (see `maxLagMs`).

export interface TimerHandle {
  readonly id: number;
}

interface Timer {
  readonly id: number;
  due: number;
  readonly seq: number;
  readonly period: number; // 0 = one-shot
  readonly fn: () => void;
  cancelled: boolean;
}

export interface ClockOptions {
  /** Virtual start time, epoch ms. */
  readonly start: number;
  /** Virtual ms per real ms. 0 = manual: time moves only through `advance()`. */
  readonly speed: number;
  /** Called when a timer callback throws; the clock keeps running. */
  readonly onError?: (err: unknown) => void;
}

/** Real time spent running timers before yielding to I/O, so sockets stay responsive at high speed. */
const SLICE_MS = 8;
/** If the clock falls this far behind (real ms), it re-anchors: virtual time slows rather than bursts. */
const MAX_LAG_REAL_MS = 250;

export class VirtualClock {
  private heap: Timer[] = [];
  private seqCounter = 0;
  private idCounter = 0;
  private current: number;
  private anchorVirtual: number;
  private anchorReal: number;
  private speedValue: number;
  private wake: NodeJS.Timeout | undefined;
  private pendingImmediate: NodeJS.Immediate | undefined;
  private draining = false;
  private stopped = false;
  /** Virtual time stands still until begin(), so setup time never shifts the first timers' phase. */
  private running = false;
  private readonly onError: (err: unknown) => void;

  constructor(opts: ClockOptions) {
    this.current = opts.start;
    this.anchorVirtual = opts.start;
    this.anchorReal = performance.now();
    this.speedValue = Math.max(0, opts.speed);
    this.onError = opts.onError ?? (() => {});
  }

  /** Current virtual time (epoch ms). Never reaches the deadline of a timer that has not fired yet. */
  now(): number {
    if (this.draining || this.speedValue === 0 || this.stopped || !this.running) return this.current;
    const top = this.heap[0];
    let t = this.target();
    // A timer due at t has not run yet, so t itself has not fully happened: stop just before it.
    if (top && top.due <= t) t = top.due - 1;
    if (t > this.current) this.current = t;
    return this.current;
  }

  /** Starts virtual time (at `start`, whatever real time has passed since construction). */
  begin(): void {
    if (this.running) return;
    this.running = true;
    this.anchorVirtual = this.current;
    this.anchorReal = performance.now();
    this.reschedule();
  }

  get speed(): number {
    return this.speedValue;
  }

  get manual(): boolean {
    return this.speedValue === 0;
  }

  /** Changes the speed without a jump in virtual time. */
  setSpeed(speed: number): void {
    const now = this.now();
    this.running = true;
    this.anchorVirtual = now;
    this.anchorReal = performance.now();
    this.speedValue = Math.max(0, speed);
    this.reschedule();
  }

  /** One-shot timer `delayMs` of virtual time from now. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.add(fn, Math.max(0, Math.round(delayMs)), 0);
  }

  /** Repeating timer every `periodMs` of virtual time (first run one period from now). */
  setInterval(fn: () => void, periodMs: number): TimerHandle {
    const p = Math.max(1, Math.round(periodMs));
    return this.add(fn, p, p);
  }

  clear(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.heap.find((x) => x.id === handle.id);
    if (t) t.cancelled = true;
  }

  /** Manual stepping: runs every timer due within `ms` of virtual time, in order, synchronously. */
  advance(ms: number): void {
    const end = this.now() + Math.max(0, Math.round(ms));
    this.draining = true;
    try {
      for (let top = this.heap[0]; top && top.due <= end; top = this.heap[0]) this.runTop();
    } finally {
      this.draining = false;
    }
    this.current = Math.max(this.current, end);
    if (this.speedValue > 0 && this.running) {
      this.anchorVirtual = this.current;
      this.anchorReal = performance.now();
      this.reschedule();
    }
  }

  /** Number of live timers (the soak test checks this stays bounded). */
  get pendingTimers(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  stop(): void {
    this.stopped = true;
    if (this.wake) clearTimeout(this.wake);
    if (this.pendingImmediate) clearImmediate(this.pendingImmediate);
    this.wake = undefined;
    this.pendingImmediate = undefined;
    this.heap = [];
  }

  /** Where virtual time should be now, in whole ms (keeps timestamps and timer deadlines integral). */
  private target(): number {
    return Math.floor(this.anchorVirtual + (performance.now() - this.anchorReal) * this.speedValue);
  }

  private add(fn: () => void, delay: number, period: number): TimerHandle {
    const t: Timer = { id: ++this.idCounter, due: this.now() + delay, seq: ++this.seqCounter, period, fn, cancelled: false };
    if (!this.stopped) {
      this.push(t);
      if (!this.draining) this.reschedule();
    }
    return { id: t.id };
  }

  private runTop(): void {
    const t = this.pop();
    if (!t || t.cancelled) return;
    if (t.due > this.current) this.current = t.due;
    if (t.period > 0) {
      // Re-arm before running so a callback may cancel its own interval.
      const next: Timer = { ...t, due: t.due + t.period, seq: ++this.seqCounter };
      this.push(next);
      // Keep the handle id valid: clear() finds the re-armed timer by the same id.
    }
    try {
      t.fn();
    } catch (err) {
      this.onError(err);
    }
  }

  private drain = (): void => {
    this.wake = undefined;
    this.pendingImmediate = undefined;
    if (this.stopped || !this.running || this.speedValue === 0) return;
    const started = performance.now();
    this.draining = true;
    try {
      let target = this.target();
      for (let top = this.heap[0]; top && top.due <= target; top = this.heap[0]) {
        this.runTop();
        if (this.stopped) return;
        // Yield only between instants: code that runs while we yield reads now() == current, so every timer due at
        // current must have run by then, or stopping the clock there would differ from stepping to it by hand.
        if (performance.now() - started > SLICE_MS && this.heap[0]?.due !== this.current) break;
        target = this.target();
      }
      const top = this.heap[0];
      if (top && top.due <= this.target()) {
        // Behind schedule: re-anchor if the lag is large, then continue after pending I/O.
        const lagReal = (this.target() - top.due) / this.speedValue;
        if (lagReal > MAX_LAG_REAL_MS) {
          this.anchorVirtual = top.due;
          this.anchorReal = performance.now();
        }
        this.pendingImmediate = setImmediate(this.drain);
        return;
      }
    } finally {
      this.draining = false;
    }
    this.reschedule();
  };

  private reschedule(): void {
    if (this.stopped || !this.running || this.speedValue === 0 || this.draining || this.pendingImmediate) return;
    if (this.wake) clearTimeout(this.wake);
    this.wake = undefined;
    // Drop cancelled timers at the top so they do not cause useless wake-ups.
    while (this.heap[0]?.cancelled) this.pop();
    const top = this.heap[0];
    if (!top) return;
    const delayReal = Math.max(0, (top.due - this.target()) / this.speedValue);
    this.wake = setTimeout(this.drain, Math.min(delayReal, 2_147_000_000));
  }

  // Binary min-heap on (due, seq).
  private less(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
