// The Account pane's cash by currency in a real terminal: every currency is either listed or named as not shown.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T0 } from '../sim/helpers.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('cash', 'test/e2e/account-cash-tmux.test.ts');
const { dir, tmux, newSession, waitForScreen, press } = server;

// The demo account's cash balances (docs/simulator.md: USD, EUR, CHF, JPY, GBP).
const CURRENCIES = ['CHF', 'EUR', 'GBP', 'JPY', 'USD'];

/** A cash row of the Account pane: currency, balance with cents, then the rate. */
const cashRow = (ccy: string) => new RegExp(`(^|\\s)${ccy}\\s+-?[\\d,]+\\.\\d\\d\\s+×`, 'm');

describe('the Account pane cash list', () => {
  it.skipIf(!hasTmux)(
    'lists every balance at 200x50, 120x30 and 80x24: the pane takes the room its column has (the cut is in account-height.test)',
    async () => {
      newSession('a', { columns: 200, rows: 50 }, `node bin/tws-risk demo --start ${T0} --seed 7 --speed 0 --no-record --config ${join(dir, 'none.json')}`);
      // Balances arrive one account value at a time: every one is soon listed.
      const wide = await waitForScreen(
        'a',
        (s) => /READY/.test(s) && /Cushion \d/.test(s) && CURRENCIES.every((c) => cashRow(c).test(s)),
        'every balance at 200x50',
      );
      expect(wide).not.toMatch(/not shown/);

      tmux('resize-window', '-t', 'a', '-x', '120', '-y', '30');
      const side = await waitForScreen('a', (s) => /Cushion \d/.test(s) && CURRENCIES.every((c) => cashRow(c).test(s)), 'every balance at 120x30');
      expect(side).not.toMatch(/not shown/);

      tmux('resize-window', '-t', 'a', '-x', '80', '-y', '24');
      await press('a', '1');
      const narrow = await waitForScreen('a', (s) => /▶1 Account/.test(s) && CURRENCIES.every((c) => cashRow(c).test(s)), 'every balance at 80x24');
      expect(narrow).not.toMatch(/not shown/);
    },
    150_000,
  );
});
