// The bundle's edits of Ink's input-parser.js and App.js: a bracketed paste whose end marker never comes is closed.
/*
 * Why: Ink (8.0) holds everything after a paste's start marker (ESC [200~) until its end marker (ESC [201~), with no
 * timeout and no size limit, so a stray start marker (hostile or garbled input) made the console ignore every key,
 * Ctrl-C included, until it was killed. With these edits a paste with no input for PASTE_IDLE_MS is closed: what it
 * held goes out as a paste (text, which reaches only a text line or text dialog, never keys), and input after it is
 * keys again. A paste holding more than PASTE_CAP characters hands over what it holds as a paste and stays open: its
 * memory (and Ink's re-scan of it on every read) stays bounded, and the rest of a long genuine paste is still text,
 * where closing it at the cap would run the rest as keys. scripts/bundle.ts runs these edits on Ink's files as it
 * bundles them; the unbundled build (dist/src) makes the same edits as Node loads Ink's files (installInkPasteGuard,
 * on Node 22.15+, whose module.registerHooks it needs); the tests run Ink as published. Anything unexpected (another
 * Ink whose files do not have these lines) leaves the files as they are, and the build warns.
 */
import * as nodeModule from 'node:module';

/** Quiet time after which an open paste is closed: a terminal writes a paste at once, a slow link in pieces well inside it. */
export const PASTE_IDLE_MS = 400;
/** Characters an open paste holds before it hands them over (and stays open). */
export const PASTE_CAP = 256 * 1024;

/** Ink 8.0's parseKeypresses, where a paste start finds no end marker. */
const NO_END = `            if (endIndex === -1) {
                return pendingFrom(escapeIndex);
            }`;

const NO_END_CAPPED = `            if (endIndex === -1) {
                // tws-risk: a paste held past the cap goes out as it is, and stays open (src/views/ink-paste-guard.ts).
                if (input.length - afterStart > ${PASTE_CAP}) {
                    events.push({ paste: input.slice(afterStart) });
                    return { events, pending: pasteStart };
                }
                return pendingFrom(escapeIndex);
            }`;

/** Ink 8.0's parser object: the methods the App edit calls are added after reset(). */
const RESET = `        reset() {
            pending = '';
        },`;

const RESET_AND_PASTE = `${RESET}
        // tws-risk: whether a paste is open, and closing it (its text, or undefined) (src/views/ink-paste-guard.ts).
        pasteHeld() {
            return pending.startsWith(pasteStart);
        },
        closePaste() {
            if (!pending.startsWith(pasteStart)) {
                return undefined;
            }
            const held = pending.slice(pasteStart.length);
            pending = '';
            return held;
        },`;

/** Ink 8.0's App.js, at the end of a read: the escape flush timer, which a held paste never starts. */
const FLUSH = `        if (inputParserRef.current.hasPendingEscape()) {
            schedulePendingInputFlush();
        }`;

const FLUSH_OR_CLOSE = `${FLUSH}
        // tws-risk: a paste with no input for ${PASTE_IDLE_MS} ms is closed (src/views/ink-paste-guard.ts). The timer is the
        // escape flush's own, so every read, and clearInputState at exit, clear it.
        else if (inputParserRef.current.pasteHeld?.()) {
            pendingInputFlushRef.current = setTimeout(() => {
                pendingInputFlushRef.current = undefined;
                const held = inputParserRef.current.closePaste?.();
                if (held !== undefined) {
                    handleInputEvent({ paste: held });
                }
            }, ${PASTE_IDLE_MS});
        }`;

/** `text` with `from` replaced by `to`, or undefined unless `from` is there exactly once (the file is not the one an edit knows). */
export function replaceOnce(text: string, from: string, to: string): string | undefined {
  const at = text.indexOf(from);
  if (at === -1 || text.indexOf(from, at + 1) !== -1) return undefined;
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** Ink's input-parser.js with the cap and the pasteHeld/closePaste methods, or undefined if its lines are not Ink 8.0's. */
export function guardInkPasteParser(text: string): string | undefined {
  const capped = replaceOnce(text, NO_END, NO_END_CAPPED);
  return capped === undefined ? undefined : replaceOnce(capped, RESET, RESET_AND_PASTE);
}

/** Ink's components/App.js with the idle close of a held paste, or undefined if its lines are not Ink 8.0's. */
export function guardInkPasteApp(text: string): string | undefined {
  // handleInputEvent is declared inside handleReadable, before the lines edited: the timer calls it from there.
  if (!text.includes('const handleInputEvent = (event) => {')) return undefined;
  return replaceOnce(text, FLUSH, FLUSH_OR_CLOSE);
}

type LoadHook = (url: string, context: unknown, next: (url: string, context?: unknown) => { format?: string | null; source?: unknown }) => unknown;
const registerHooks = (nodeModule as { registerHooks?: (hooks: { load: LoadHook }) => unknown }).registerHooks;
let installed = false;

/**
 * The same edits for the unbundled build: Ink's two files are edited as Node loads them. Only from dist/src: the bundle
 * holds its edited Ink already (and its start-up pays for no hook), and under the tests Ink stays as published, whichever
 * test ran main() first in a worker.
 */
export function installInkPasteGuard(): void {
  if (installed || registerHooks === undefined || !/[\\/]dist[\\/]src[\\/]/.test(import.meta.url)) return;
  installed = true;
  registerHooks({
    load(url, context, next) {
      const result = next(url, context);
      const guard = /\/ink\/build\/input-parser\.js$/.test(url)
        ? guardInkPasteParser
        : /\/ink\/build\/components\/App\.js$/.test(url)
          ? guardInkPasteApp
          : undefined;
      if (guard === undefined || result.source === undefined || result.source === null) return result;
      const text = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
      const edited = guard(text);
      return edited === undefined ? result : { ...result, source: edited };
    },
  });
}
