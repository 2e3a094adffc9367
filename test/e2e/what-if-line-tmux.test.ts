// The flatten dialog's IBKR what-if line in a real terminal: for a many-order plan, ours and the difference are on screen, not cut.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV, DATA_DIR_ENV } from '../../src/config/load.js';
import { T0 } from '../sim/helpers.js';
import { ensureBuilt, hasTmux, tmuxServer } from '../support/tmux.js';

const server = tmuxServer('whatif');
const { dir, tmux, waitForScreen, press } = server;
if (!hasTmux) console.warn('test/e2e/what-if-line-tmux.test.ts: skipped because tmux is not installed (on PATH); .ci/run installs it with apt-get');

beforeAll(() => {
  if (hasTmux) ensureBuilt();
}, 120_000);

afterAll(() => {
  if (hasTmux) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('the what-if line', () => {
  it.skipIf(!hasTmux)(
    'flattening all 14 demo positions at 200x50 shows our estimate and the difference beside the sum of per-order changes',
    async () => {
      const err = join(dir, 'stderr.txt');
      tmux(
        'new-session',
        '-d',
        '-s',
        'w',
        '-x',
        '200',
        '-y',
        '50',
        '-e',
        `${DATA_DIR_ENV}=${join(dir, 'data')}`,
        '-e',
        `${CONFIG_ENV}=${join(dir, 'none.json')}`,
        `node bin/tws-risk demo --trade --start ${T0} --seed 7 --no-record 2>${err}`,
      );
      await waitForScreen('w', (s) => /READY/.test(s) && /TSLA/.test(s), 'the ready console');
      const account = /account (\w+)/.exec(readFileSync(err, 'utf8'))![1]!;
      await press('w', ':');
      await waitForScreen('w', (s) => /^:/m.test(s), 'the palette line');
      await press('w', 'trade.arm', 'Enter');
      await waitForScreen('w', (s) => /Type the last four characters of the account id/.test(s), 'the arming dialog');
      await press('w', account.slice(-4), 'Enter');
      await waitForScreen('w', (s) => / ARMED \d/.test(s.split('\n')[0]!), 'ARMED in the status bar');
      await press('w', ':');
      await waitForScreen('w', (s) => /^:/m.test(s), 'the palette line');
      await press('w', 'trade.flattenScope all', 'Enter');
      const dialog = await waitForScreen('w', (s) => /FLATTEN all\?/.test(s) && /IBKR what-if: maint now/.test(s), "IBKR's answer in the dialog", 60_000);
      const line = dialog.split('\n').find((l) => l.includes('IBKR what-if:'))!;
      expect(line, dialog).toMatch(/sum of \d+ per-order changes = [\d,]+; ours after the plan [\d,]+, difference [+-][\d,]+/);
      await press('w', 'Escape');
      await waitForScreen('w', (s) => !/FLATTEN all\?/.test(s), 'the dialog closed');
    },
    150_000,
  );
});
