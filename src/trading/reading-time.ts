// A confirmation's reading time (docs/trading.md "Reading time"), one rule for the console's plans and the fleet's requests.
import { monotonicClock, type Clock } from '../model/clock.js';

/*
 * A confirm key works only once what it confirms has been on screen, whole, for `readMs`. The view says when the
 * frame showing it was written (onScreen) and when it left; the rule (readyIn) lives here, on the side that sends, so
 * no path to a send skips it. The time is a span, so it runs on a monotonic clock: the wall clock (arming expiry, mark
 * ages, audit stamps) may be stepped by NTP or by hand, and a step must neither shorten the reading nor hold the key.
 */
export interface ReadingTime {
  readonly readMs: number;
  /**
   * The frame showing `id` whole was written: its reading time runs from now, and `ready` is called once it passed.
   * The returned function takes it off screen (a resize cut it, the dialog closed or shows another): not confirmable
   * until it is shown again, and then its time starts again.
   */
  onScreen(id: string, ready: () => void): () => void;
  /** Milliseconds until `id` can be confirmed: 0 once read, Infinity while it is not on screen whole. */
  readyIn(id: string): number;
  /** How long `id` has been on screen whole (whole milliseconds), or null when it is not. */
  shownMs(id: string): number | null;
}

/** The reading time of `readMs`, counted on `clock` (monotonic unless a test injects its own). */
export function readingTime(readMs: number, clock: Clock = monotonicClock): ReadingTime {
  // When each id's frame was written whole; an id not in here is not on screen.
  const onScreenAt = new Map<string, number>();
  const readyIn = (id: string): number => {
    const at = onScreenAt.get(id);
    return at === undefined ? Infinity : Math.max(0, at + readMs - clock.now());
  };
  return {
    readMs,
    onScreen(id, ready) {
      const at = clock.now();
      onScreenAt.set(id, at);
      // A timer that fires early by this clock (a pinned clock in a test) waits the rest.
      let timer = clock.setTimeout(function check() {
        const left = readyIn(id);
        if (left > 0 && left !== Infinity) {
          timer = clock.setTimeout(check, left);
          timer.unref?.();
        } else if (left === 0) ready();
      }, readMs);
      timer.unref?.();
      return () => {
        clock.clear(timer);
        if (onScreenAt.get(id) === at) onScreenAt.delete(id);
      };
    },
    readyIn,
    shownMs(id) {
      const at = onScreenAt.get(id);
      return at === undefined ? null : Math.max(0, Math.round(clock.now() - at));
    },
  };
}
