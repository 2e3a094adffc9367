// A terminal with TERM=dumb counts as no terminal: the demo prints its text summary, live refuses, no screen control.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T0, waitFor } from '../sim/helpers.js';
import { exitStatus, hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('dumb', 'test/e2e/dumb-terminal-tmux.test.ts');
const { dir, tmux, newSession, freshUser, press } = server;

// Set in the command itself: tmux gives each pane its own TERM, which a session variable would not override.
const dumb = 'export TERM=dumb NO_COLOR=1;';

describe('TERM=dumb (user trial)', () => {
  it.skipIf(!hasTmux)(
    'demo prints the account as text, as to a pipe, and writes not one escape sequence (no alternate screen, no cursor moves)',
    async () => {
      const raw = join(dir, 'demo.raw');
      const exitFile = join(dir, 'demo.exit');
      // Started on Enter, once every byte the pane receives goes to `raw` (pipe-pane: the program's output, unrendered).
      newSession(
        'd',
        { columns: 100, rows: 40, env: freshUser('d-data'), exitFile },
        `${dumb} read go; node bin/tws-risk demo --start ${T0} --seed 7 --no-record`,
      );
      tmux('pipe-pane', '-O', '-t', 'd', `cat > ${raw}`);
      await press('d', 'Enter');
      // Printed every two seconds: two summaries prove it runs as the text mode, not once by chance.
      const out = await waitFor(
        () => {
          const t = existsSync(raw) ? readFileSync(raw, 'latin1') : '';
          return (t.match(/^account DU\d+ {2}base USD/gm) ?? []).length >= 2 && t;
        },
        60_000,
        'two text summaries',
      );
      tmux('send-keys', '-t', 'd', 'C-c');
      expect(await exitStatus(exitFile, 'the demo to end on Ctrl-C')).toBe('exit 0');
      expect(out).toMatch(/demo: simulator on 127\.0\.0\.1:\d+ .*; Ctrl-C to quit/);
      // Not a byte of screen control: no ESC at all (alternate screen, hidden cursor, synchronized output, clearing).
      expect(out.includes('\x1b'), JSON.stringify(out.slice(0, 400))).toBe(false);
    },
    120_000,
  );

  it.skipIf(!hasTmux)(
    'live refuses at once, saying a dumb terminal cannot draw the console, and opens nothing',
    async () => {
      const exitFile = join(dir, 'live.exit');
      const errFile = join(dir, 'live.err');
      // stdin and stdout stay the terminal; stderr goes to a file, read whole once the command has ended (a loaded tmux
      // once showed an empty pane for the refusal).
      newSession('l', { columns: 100, rows: 24, env: freshUser('l-data'), exitFile }, `${dumb} node bin/tws-risk live --port 1 2>${errFile}`);
      expect(await exitStatus(exitFile, 'live to refuse')).toBe('exit 1');
      expect(readFileSync(errFile, 'utf8')).toMatch(/^tws-risk live: the console needs a terminal that can move its cursor \(TERM=dumb cannot\); /);
    },
    60_000,
  );
});
