// Mounts the console on a terminal with the render options DESIGN.md asks for, and returns Ink's instance.
import { render, type Instance } from 'ink';
import { App, type AppProps } from './App.js';
import { isScreenMasked, maskAccounts, setAsciiText, setScreenMasked, toAscii } from './format.js';
import { shareInkOutputCaches } from './ink-output-cache.js';

// Before the first frame: unchanged lines are then not re-tokenised or re-measured frame after frame.
await shareInkOutputCaches();

/**
 * The terminal as Ink sees it, with every write masked while masking is on: dialogs, log lines and panes all reach
 * the screen through here, so no view can show an account id the status bar hides. On an ASCII-only terminal
 * (theme.ts `asciiOnly`) every glyph is swapped here too, cell for cell, Ink's own borders included.
 */
export function maskingStream(stdout: NodeJS.WriteStream, ascii: boolean): NodeJS.WriteStream {
  const text = (s: string) => {
    const masked = isScreenMasked() ? maskAccounts(s) : s;
    return ascii ? toAscii(masked) : masked;
  };
  return new Proxy(stdout, {
    get(target, prop) {
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) => (target.write as (...a: unknown[]) => boolean)(typeof chunk === 'string' ? text(chunk) : chunk, ...rest);
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export interface TerminalStreams {
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
  readonly stderr?: NodeJS.WriteStream;
  /**
   * Erases the whole screen (the caller owns the terminal's control sequences; views write none). Used after a
   * resize, see below; without it a resize relies on Ink's own erase.
   */
  readonly clearScreen?: () => void;
}

/**
 * Alternate screen (the shell's screen comes back on exit), incremental rendering (only changed lines are
 * written), at most 30 frames per second, and no Ctrl-C exit or console patching: Ctrl-C is a keymap command like
 * any other, and nothing may print over the frame (gemini-cli `interactiveCli.tsx` does the same). `interactive`
 * follows the TTY, not CI detection, so a console started under CI=true in tmux still draws.
 */
export function renderConsole(props: AppProps, streams: TerminalStreams = {}, onRender?: (ms: number) => void, ascii = false): Instance {
  const stdout = maskingStream(streams.stdout ?? process.stdout, ascii);
  // Before the first frame: views choose words over arrows on an ASCII terminal (format.ts `setAsciiText`).
  setAsciiText(ascii);
  // The first frame is masked too: the App sets this from its toggle on every render after.
  setScreenMasked(props.maskAccount ?? false);
  // After a resize, once the App has rendered at the new size, wipe the screen and draw that frame whole.
  let instance: Instance | undefined;
  // A key's frame is written now rather than at the end of Ink's throttle (at most one frame per key; data frames
  // keep the store's pacing and the throttle).
  const keyFrame = () => instance?.waitUntilRenderFlush() ?? Promise.resolve();
  const element = () => <App {...props} onResized={repaint} onKeyHandled={keyFrame} />;
  const repaint = () => {
    if (!instance || !stdout.isTTY) return;
    if (!streams.clearScreen) return;
    instance.clear();
    streams.clearScreen();
    instance.rerender(element());
  };
  instance = render(element(), {
    stdout,
    stdin: streams.stdin ?? process.stdin,
    stderr: streams.stderr ?? process.stderr,
    interactive: Boolean(stdout.isTTY),
    alternateScreen: true,
    incrementalRendering: true,
    maxFps: 30,
    exitOnCtrlC: false,
    patchConsole: false,
    ...(onRender ? { onRender: ({ renderTime }: { renderTime: number }) => onRender(renderTime) } : {}),
  });
  return instance;
}

/*
 * Why a full repaint after every resize: Ink's incremental renderer erases and rewrites only the lines it believes
 * changed, by cursor movements computed for the old size; on a resize it first redraws the tree still laid out for the
 * old width (React has not re-rendered yet), the terminal wraps those lines, and the next diff lands on the wrong rows
 * (fragments stay; a row can show another row's numbers: vadimdemedes/ink issues 1023 and 942, PR 828). So once the App
 * has committed its render at the new size (its onResized), the screen is wiped and Ink, told its last frame is gone,
 * draws the next one whole.
 */
