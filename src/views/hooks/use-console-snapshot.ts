// The store's newest snapshot for React: the only way a view sees data (views never subscribe to streams).
import { useCallback, useRef, useSyncExternalStore } from 'react';
import type { ConsoleSnapshot, ConsoleStore } from '../store.js';

/**
 * `visible(next)`, when given, is asked at each publish whether the snapshot would change what is on screen; when
 * it would not, React is not told and no frame is drawn (issue 21: a publish that moves nothing visible, a price
 * tick under a frozen pane or off the visible rows, costs no render). Whatever renders next (a key, a resize, a
 * visible publish) reads the newest snapshot, so nothing skipped is lost.
 */
export function useConsoleSnapshot(store: Pick<ConsoleStore, 'subscribe' | 'getSnapshot'>, visible?: (next: ConsoleSnapshot) => boolean): ConsoleSnapshot {
  const check = useRef(visible);
  check.current = visible;
  const shown = useRef(store.getSnapshot());
  /** Bumped for each publish React is told about: what useSyncExternalStore compares. */
  const frame = useRef(0);
  const subscribe = useCallback(
    (notify: () => void) =>
      store.subscribe(() => {
        const next = store.getSnapshot();
        if (next === shown.current || (check.current && !check.current(next))) return;
        shown.current = next;
        frame.current++;
        notify();
      }),
    [store],
  );
  useSyncExternalStore(subscribe, () => frame.current);
  shown.current = store.getSnapshot();
  return shown.current;
}
