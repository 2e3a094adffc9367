// Mounts the console on a terminal with the render options DESIGN.md asks for, and returns Ink's instance.
import { render, type Instance } from 'ink';
import { App, type AppProps } from './App.js';
import { isScreenMasked, maskAccounts, setScreenMasked } from './format.js';

/**
 * The terminal as Ink sees it, with every write masked while masking is on: dialogs, log lines and panes all reach
 * the screen through here, so no view can show an account id the status bar hides.
 */
function maskingStream(stdout: NodeJS.WriteStream): NodeJS.WriteStream {
  return new Proxy(stdout, {
    get(target, prop) {
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (...a: unknown[]) => boolean)(isScreenMasked() && typeof chunk === 'string' ? maskAccounts(chunk) : chunk, ...rest);
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
}

/**
 * Alternate screen (the shell's screen comes back on exit), incremental rendering (only changed lines are
 * written), at most 30 frames per second, and no Ctrl-C exit or console patching: Ctrl-C is a keymap command like
 * any other, and nothing may print over the frame (gemini-cli `interactiveCli.tsx` does the same). `interactive`
 * follows the TTY, not CI detection, so a console started under CI=true in tmux still draws.
 */
export function renderConsole(props: AppProps, streams: TerminalStreams = {}, onRender?: (ms: number) => void): Instance {
  const stdout = maskingStream(streams.stdout ?? process.stdout);
  // The first frame is masked too: the App sets this from its toggle on every render after.
  setScreenMasked(props.maskAccount ?? false);
  return render(<App {...props} />, {
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
}
