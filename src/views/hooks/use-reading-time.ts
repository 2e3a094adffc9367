// When a confirmation is on screen for its reading time: the console's plan dialogs and the fleet view's remote confirmation.
import { useLayoutEffect, useRef } from 'react';

/** The wiring's side of the reading time (src/trading/reading-time.ts): the rule and the clock are there. */
export interface ReadingTimePort {
  onScreen(id: string, ready: () => void): () => void;
}

export interface ReadingTimeHooks {
  /** The wiring, read when the confirmation shows (absent: no trading, nothing to time). */
  readonly port: () => ReadingTimePort | undefined;
  /** Resolves once the frame just committed is written to the terminal (default: at once). */
  readonly written?: () => Promise<void>;
  /** The reading time of `id` passed (true), or it left the screen before or after (false). */
  readonly ready: (id: string, ready: boolean) => void;
}

/*
 * The reading time runs from the first frame that shows the confirmation whole (every order, or every line saying what
 * is asked, on it): this render committed it, and once it is written the wiring starts the clock. `id` is what is on
 * screen whole now (undefined: nothing, or something cut: not readable, whatever the time); `shape` is anything else
 * whose change starts the time again (the console's plan cut or whole under a typed word). A layout effect: the
 * confirmation leaves the screen in the same commit as the frame that changed it, so no key handled after that frame
 * is written finds the previous frame's time (a passive effect ran after such keys).
 */
export function useReadingTime(id: string | undefined, shape: unknown, hooks: ReadingTimeHooks): void {
  const latest = useRef(hooks);
  latest.current = hooks;
  useLayoutEffect(() => {
    const port = latest.current.port();
    if (id === undefined || !port) return;
    let gone = false;
    let off: (() => void) | undefined;
    void (latest.current.written?.() ?? Promise.resolve()).then(() => {
      if (!gone) off = port.onScreen(id, () => latest.current.ready(id, true));
    });
    return () => {
      gone = true;
      off?.();
      latest.current.ready(id, false);
    };
  }, [id, shape]);
}
