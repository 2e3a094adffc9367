// The console's one input listener: every keypress, in arrival order, to one handler (the dispatcher in App).
import { useInput, usePaste, useStdin } from 'ink';
import { useCallback, useEffect, useRef } from 'react';
import {
  chunkKeys,
  keyOf,
  NO_FLAGS,
  leadingBackspaces,
  pastedItems,
  pasteMarkerTail,
  readAsText,
  textOf,
  type KeyFlags,
  type ReadPart,
} from '../../keymap/keys.js';

/*
 * Keys are handled in arrival order, one per turn of the event loop once a backlog forms, so each key sees the one
 * before it rendered. Keys typed faster than one read (SSH, tmux send-keys) arrive as one chunk and are split into
 * keys. A key typed before a dialog opened is dropped: nothing typed ahead may answer a dialog (lazygit#2291).
 * A chunk typed into an open dialog is one unknown input, which the dialog swallows, except in a dialog that reads
 * typed text (the arming code, FLATTEN): there text and then Enter in one read (fast typing, paste, SSH batching)
 * are its text and its Enter, in order, and whatever follows that Enter is dropped; so in the palette and the filter
 * line. Such an Enter only submits the text; no burst can confirm a plan, whose confirm key is another key in a
 * dialog opened after the burst.
 * Ink cuts a read at escape sequences and paste markers and drops the sequences it has no key for, so a `y` pasted
 * with a colour code (`ESC[0my`) or inside a bracketed paste reaches us as a lone y. The read's length, taken before
 * Ink reads it, tells it apart: in a dialog that does not read text, only Esc, Enter and the arrow and paging keys
 * (none of which may confirm) act when their read carried more than the key itself. (This holds because the kitty
 * keyboard protocol is not enabled: under it a lone y would arrive as the longer `ESC[121u`.)
 */

/** Keys that only cancel, close or move, and arrive as escape sequences or control bytes longer than their input. */
const NEVER_CONFIRM: ReadonlySet<string> = new Set(['esc', 'enter', 'up', 'down', 'left', 'right', 'pageup', 'pagedown', 'home', 'end']);

export interface KeyQueueOptions {
  /** A dialog is open: a chunk is then one unknown input, which the dialog swallows whole. */
  readonly dialogOpen: () => boolean;
  /** The open dialog reads typed text: a chunk is then its text, up to and including the first Enter. */
  readonly dialogTakesText: () => boolean;
  /** A text line (the palette, the filter) is open: a chunk is its text up to and including the first Enter, as in a text dialog. */
  readonly lineOpen?: () => boolean;
  /** Changes whenever a dialog opens; keys queued under an older value are dropped. */
  readonly dialogEpoch: () => number;
  /** The console is quitting: drop whatever is left. */
  readonly stopped: () => boolean;
}

/**
 * `handle` gets each key with `more`: whether keys are queued behind it (a burst: typed ahead, pasted, batched by SSH).
 * The handler can then leave the frame to the burst's last key instead of drawing one per key.
 */
export function useKeyQueue(handle: (key: string | undefined, text: string | undefined, more: boolean) => void, o: KeyQueueOptions): void {
  // bracketed: from a terminal paste, which may only reach the text line or text dialog it was pasted into.
  const queue = useRef<{ key?: string; text?: string; epoch: number; pasted: boolean; bracketed?: boolean }[]>([]);
  const draining = useRef(false);
  const { stdin } = useStdin();
  const readLength = useRef(0);
  // Which read (readable event) this is, and the last one that carried a paste.
  const reads = useRef(0);
  const pasteRead = useRef(-1);
  // A key that may be the first part of a cut paste marker: the read it came in and the rest of the marker.
  const cutMarker = useRef<{ read: number; tail: string } | undefined>(undefined);
  useEffect(() => {
    // Prepended, so it runs before Ink's own listener reads (and empties) the buffer.
    const onReadable = () => {
      reads.current++;
      readLength.current = (stdin as NodeJS.ReadStream).readableLength ?? 0;
    };
    stdin.prependListener('readable', onReadable);
    return () => {
      stdin.removeListener('readable', onReadable);
    };
  }, [stdin]);
  const drain = useCallback(() => {
    const item = queue.current.shift();
    if (item === undefined || o.stopped()) {
      queue.current = [];
      draining.current = false;
      return;
    }
    const textLine = o.dialogOpen() ? o.dialogTakesText() : (o.lineOpen?.() ?? false);
    // A paste whose line or dialog has gone (closed by a key queued before it) is dropped, not run as keys.
    const swallowed = (item.pasted && o.dialogOpen() && !o.dialogTakesText()) || (item.bracketed === true && !textLine);
    if (item.epoch === o.dialogEpoch() && !swallowed) handle(item.key, item.text, queue.current.length > 0);
    // The burst's last item was dropped: the keys before it left their frame to it, so it is asked for with no key.
    else if (queue.current.length === 0) handle(undefined, undefined, false);
    if (queue.current.length > 0) setImmediate(drain);
    else draining.current = false;
  }, [handle, o]);

  const push = useCallback(
    (items: { key?: string; text?: string }[], epoch: number, pasted: boolean, bracketed = false) => {
      queue.current.push(...items.map((i) => ({ ...i, epoch, pasted, ...(bracketed ? { bracketed } : {}) })));
      if (!draining.current) {
        draining.current = true;
        drain();
      }
    },
    [drain],
  );

  /*
   * Bracketed paste (usePaste turns the terminal's mode on while the console runs, and off at exit): a terminal's
   * paste arrives marked, whatever its length, so even a lone pasted y is known for a paste. A paste is text: it
   * reaches a line or a dialog that reads text (up to its first Enter) and nothing else; it never answers a dialog
   * or runs a key. A paste whose end marker never comes is closed by the edited Ink once input has been quiet for a while
   * (src/views/ink-paste-guard.ts): it arrives here from a timer, with no read of its own, so the next read is keys again.
   */
  const paste = (text: string) => {
    const textLine = o.dialogOpen() ? o.dialogTakesText() : (o.lineOpen?.() ?? false);
    if (textLine) push(pastedItems(text), o.dialogEpoch(), true, true);
  };
  const onPaste = (text: string) => {
    pasteRead.current = reads.current;
    paste(text);
  };

  const onKey = (input: string, key: KeyFlags) => {
    // The rest of a paste: a terminal that passes pasted text through as it is (tmux paste-buffer -p) lets an ESC [201~
    // copied with it end the paste early at Ink, and what follows in that read arrives as keys (a q quit the console, a
    // BEL closed the filter line as Ctrl-g). A paste is one write of the terminal's; a key typed after it is a read of its own.
    if (pasteRead.current === reads.current) {
      paste(input);
      return;
    }
    const cut = cutMarker.current;
    cutMarker.current = undefined;
    if (cut !== undefined && cut.read === reads.current - 1 && input.startsWith(cut.tail)) {
      // The rest of a cut marker: this read is the paste (a paste longer than one read still runs its later reads as keys).
      pasteRead.current = reads.current;
      paste(input.slice(cut.tail.length));
      return;
    }
    const tail = pasteMarkerTail(input, key);
    if (tail !== undefined) cutMarker.current = { read: reads.current, tail };
    const epoch = o.dialogEpoch();
    // Pasted lines are not commands: after a text line's Enter, the rest of a paste ("AAPL\nq") would run as keys.
    const textLine = o.dialogOpen() ? o.dialogTakesText() : (o.lineOpen?.() ?? false);
    const chunk = o.dialogOpen() && !textLine ? undefined : chunkKeys(input, key, textLine ? { untilEnter: true } : {});
    const k = keyOf(input, key);
    const t = textOf(input, key);
    const items = chunk ?? [{ ...(k !== undefined ? { key: k } : {}), ...(t !== undefined ? { text: t } : {}) }];
    const pasted = readLength.current > [...input].length && !(k !== undefined && NEVER_CONFIRM.has(k));
    push(items, epoch, pasted);
  };

  /*
   * A read that Ink cuts into several events (at an escape sequence, a DEL, a BS or an ETX) is held until Ink has
   * handed over all of it (its events come in one synchronous turn, so a microtask sees the whole read). One that
   * carries text is an unbracketed paste and goes on as that text alone (readAsText: no control byte or escape
   * sequence in it acts as a key); any other (a held Backspace, arrows typed fast, a bracketed paste) goes on event
   * by event as before. A read that is one event is that event, at once.
   */
  const held = useRef<ReadPart[] | undefined>(undefined);
  const release = () => {
    const parts = held.current ?? [];
    held.current = undefined;
    const text = readAsText(parts);
    if (text !== undefined) {
      for (const part of parts.slice(0, leadingBackspaces(parts))) if ('input' in part) onKey(part.input, part.key);
      if (text !== '') onKey(text, NO_FLAGS);
      return;
    }
    for (const part of parts) {
      if ('paste' in part) onPaste(part.paste);
      else onKey(part.input, part.key);
    }
  };
  const hold = (part: ReadPart, partLength: number): boolean => {
    if (held.current === undefined) {
      if (readLength.current <= partLength) return false;
      held.current = [];
      queueMicrotask(release);
    }
    held.current.push(part);
    return true;
  };

  usePaste((text) => {
    if (held.current !== undefined) held.current.push({ paste: text });
    else onPaste(text);
  });

  useInput((input, key) => {
    if (!hold({ input, key }, [...input].length)) onKey(input, key);
  });
}
