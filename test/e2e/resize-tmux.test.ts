// A resize never leaves a row showing another row's numbers: after any sequence of resizes the console's screen is
// exactly what a fresh console draws at the final size (a paused replay in tmux, where the data cannot move).
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { hasTmux, tmuxServer, type TmuxServer } from '../support/tmux.js';

const server = tmuxServer('resize-e2e');
afterAll(() => {
  if (hasTmux) server.kill();
  rmSync(server.dir, { recursive: true, force: true });
});

const FILE = 'recordings/flatten-disconnect.jsonl.gz';

/** The screen as a person sees it: blank cells at the end of a line look the same whether written or cleared. */
const visible = (screen: string) => screen.split('\n').map((l) => l.trimEnd()).join('\n');

/** Opens the replay at a size, closes its info overlay and seeks to a recorded moment with positions on screen. */
async function openPaused(s: TmuxServer, session: string, columns: number, rows: number): Promise<void> {
  s.tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', String(rows), `node bin/tws-risk replay ${FILE}`);
  await s.waitForScreen(session, (x) => /Sealed and verified/.test(x), 'the recording info');
  await s.press(session, '?');
  await s.waitForScreen(session, (x) => !/Sealed and verified/.test(x), 'the info closed');
  await s.press(session, ':', 'goto 14:30:05');
  await s.waitForScreen(session, (x) => /goto 14:30:05/.test(x), 'the palette line');
  await s.press(session, 'Enter');
  await s.waitForScreen(session, (x) => /14:30:05 UTC #\d/.test(x) && /AAPL/.test(x) && !/goto 14/.test(x), 'the seek');
}

describe('resizing the console in tmux', () => {
  it.skipIf(!hasTmux)('heals completely across every layout boundary (80, 120, 180 columns; 24, 28, 40 rows)', async () => {
    await openPaused(server, 'resized', 120, 30);
    const sizes: ReadonlyArray<readonly [number, number]> = [
      [110, 30], [119, 30], [80, 24], [200, 50], [181, 40], [179, 40], [121, 28], [120, 28], [79, 24], [180, 41], [120, 29],
    ];
    for (const [x, y] of sizes) {
      server.tmux('resize-window', '-t', 'resized', '-x', String(x), '-y', String(y));
      // Each size is drawn before the next resize: the status bar is back on the first line at the new width.
      await server.waitForScreen('resized', (s) => s.split('\n')[0]!.startsWith(' REPLAY') && s.split('\n').length >= y, `the frame at ${x}x${y}`);
    }
    const [fx, fy] = sizes[sizes.length - 1]!;
    await openPaused(server, 'fresh', fx, fy);
    const fresh = server.capture('fresh');
    const healed = await server.waitForScreen('resized', (s) => visible(s) === visible(fresh), 'the resized screen to equal a fresh one', 15_000).catch(() => server.capture('resized'));
    expect(visible(healed)).toBe(visible(fresh));

    // Something else writes over the screen (a stray process on the same terminal): Ctrl-L redraws it whole.
    const tty = server.tmux('display-message', '-p', '-t', 'resized', '#{pane_tty}').trim();
    writeFileSync(tty, '\u001b[5;5HGARBAGE OVER THE CONSOLE');
    await server.waitForScreen('resized', (x) => x.includes('GARBAGE OVER THE CONSOLE'), 'the stray text on screen');
    await server.press('resized', 'C-l');
    const redrawn = await server.waitForScreen('resized', (x) => visible(x) === visible(fresh), 'the redraw after Ctrl-L', 15_000).catch(() => server.capture('resized'));
    expect(visible(redrawn)).toBe(visible(fresh));
  }, 180_000);
});
