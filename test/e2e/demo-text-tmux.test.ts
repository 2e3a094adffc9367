// `tws-risk demo` as text in a real terminal (--once, or stdin not a terminal): no escape sequence shown as text.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T0 } from '../sim/helpers.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('demo-text', 'test/e2e/demo-text-tmux.test.ts');
const { dir, tmux, newSession, waitForScreen } = server;

const demo = `node bin/tws-risk demo --start ${T0} --seed 7 --no-record --config ${join(dir, 'none.json')}`;

describe('demo as text in a terminal', () => {
  it.skipIf(!hasTmux)(
    '--once prints the account under the command line, with no "\\u001b" text before it',
    async () => {
      newSession('o', { columns: 100, rows: 40 }, `printf 'before the demo\\n'; ${demo} --once 2>/dev/null; sleep 60`);
      const screen = await waitForScreen('o', (s) => /positions \(\d+\), value in/.test(s) && /US-T/.test(s), 'the printed account');
      expect(screen).not.toMatch(/\\u001b|\\x1b/);
      expect(screen).toMatch(/^account DU\d+ {2}base USD/m);
      // Printed once, below what was on the screen: the screen is not cleared.
      expect(screen).toMatch(/^before the demo$/m);
    },
    120_000,
  );

  it.skipIf(!hasTmux)(
    'with stdin not a terminal it redraws the account in place: the screen is cleared, not filled with escape text',
    async () => {
      newSession('r', { columns: 100, rows: 40 }, `${demo} </dev/null 2>/dev/null`);
      // Drawn after clearing the screen and homing the cursor: the account is the screen's first line.
      const screen = await waitForScreen('r', (s) => /^account DU\d+/m.test(s) || /u001b/.test(s), 'the first drawing');
      expect(screen).not.toMatch(/\\u001b|\\x1b/);
      expect(screen.split('\n')[0]).toMatch(/^account DU\d+ {2}base USD/);
      tmux('send-keys', '-t', 'r', 'C-c');
    },
    120_000,
  );
});
