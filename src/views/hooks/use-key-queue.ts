// The console's one input listener: every keypress, in arrival order, to one handler (the dispatcher in App).
import { useInput } from 'ink';
import { useCallback, useRef } from 'react';
import { chunkKeys, keyOf, textOf } from '../../keymap/keys.js';

/*
 * Keys are handled in arrival order, one per turn of the event loop once a backlog forms, so each key sees the one
 * before it rendered. Keys typed faster than one read (SSH, tmux send-keys) arrive as one chunk and are split into
 * keys. A key typed before a dialog opened is dropped: nothing typed ahead may answer a dialog (lazygit#2291).
 * A chunk typed into an open dialog is one unknown input, which the dialog swallows, except in a dialog that reads
 * typed text (the arming code, FLATTEN): there text and then Enter in one read (fast typing, paste, SSH batching)
 * are its text and its Enter, in order, and whatever follows that Enter is dropped. Such an Enter only submits the
 * text; no burst can confirm a plan, whose confirm key is another key in a dialog opened after the burst.
 */

export interface KeyQueueOptions {
  /** A dialog is open: a chunk is then one unknown input, which the dialog swallows whole. */
  readonly dialogOpen: () => boolean;
  /** The open dialog reads typed text: a chunk is then its text, up to and including the first Enter. */
  readonly dialogTakesText: () => boolean;
  /** Changes whenever a dialog opens; keys queued under an older value are dropped. */
  readonly dialogEpoch: () => number;
  /** The console is quitting: drop whatever is left. */
  readonly stopped: () => boolean;
}

export function useKeyQueue(handle: (key: string | undefined, text: string | undefined) => void, o: KeyQueueOptions): void {
  const queue = useRef<{ key?: string; text?: string; epoch: number }[]>([]);
  const draining = useRef(false);
  const drain = useCallback(() => {
    const item = queue.current.shift();
    if (item === undefined || o.stopped()) {
      queue.current = [];
      draining.current = false;
      return;
    }
    if (item.epoch === o.dialogEpoch()) handle(item.key, item.text);
    if (queue.current.length > 0) setImmediate(drain);
    else draining.current = false;
  }, [handle, o]);

  useInput((input, key) => {
    const epoch = o.dialogEpoch();
    const chunk = !o.dialogOpen() ? chunkKeys(input, key) : o.dialogTakesText() ? chunkKeys(input, key, { untilEnter: true }) : undefined;
    const k = keyOf(input, key);
    const t = textOf(input, key);
    const items = chunk ?? [{ ...(k !== undefined ? { key: k } : {}), ...(t !== undefined ? { text: t } : {}) }];
    queue.current.push(...items.map((i) => ({ ...i, epoch })));
    if (!draining.current) {
      draining.current = true;
      drain();
    }
  });
}
