// The flatten dialog's IBKR what-if line in a real terminal: for a many-order plan, ours and the difference are on screen,
// and at 80x24 the whole line wraps within the dialog, its caveat included, with the answer keys still on screen.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T0 } from '../sim/helpers.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('whatif', 'test/e2e/what-if-line-tmux.test.ts');
const { dir, freshUser, newSession, waitForScreen, press, arm } = server;

describe('the what-if line', () => {
  it.skipIf(!hasTmux)(
    'flattening all 14 demo positions at 200x50 shows our estimate and the difference beside the sum of per-order changes',
    async () => {
      const err = join(dir, 'stderr.txt');
      newSession('w', { columns: 200, rows: 50, env: freshUser() }, `node bin/tws-risk demo --trade --start ${T0} --seed 7 --no-record 2>${err}`);
      await waitForScreen('w', (s) => /READY/.test(s) && /TSLA/.test(s), 'the ready console');
      const account = /account (\w+)/.exec(readFileSync(err, 'utf8'))![1]!;
      await arm('w', account.slice(-4));
      await press('w', ':');
      await waitForScreen('w', (s) => /^:/m.test(s), 'the palette line');
      await press('w', 'trade.flattenScope all', 'Enter');
      const dialog = await waitForScreen(
        'w',
        (s) => /FLATTEN all\?/.test(s) && /IBKR what-if: maint when asked/.test(s),
        "IBKR's answer in the dialog",
        60_000,
      );
      const line = dialog.split('\n').find((l) => l.includes('IBKR what-if:'))!;
      expect(line, dialog).toMatch(/sum of \d+ per-order changes = [\d,]+; ours after the plan [\d,]+, difference [+-][\d,]+/);
      await press('w', 'Escape');
      await waitForScreen('w', (s) => !/FLATTEN all\?/.test(s), 'the dialog closed');
    },
    150_000,
  );

  it.skipIf(!hasTmux)(
    'at 80x24 the line wraps within the dialog: figures and caveat whole, the answer keys below it',
    async () => {
      const err = join(dir, 'stderr80.txt');
      newSession('n', { columns: 80, rows: 24, env: freshUser('data80') }, `node bin/tws-risk demo --trade --start ${T0} --seed 7 --no-record 2>${err}`);
      await waitForScreen('n', (s) => /READY/.test(s), 'the ready console');
      const account = /account (\w+)/.exec(readFileSync(err, 'utf8'))![1]!;
      await arm('n', account.slice(-4));
      await press('n', ':');
      await waitForScreen('n', (s) => /^:/m.test(s), 'the palette line');
      await press('n', 'trade.flattenScope all', 'Enter');
      // Read once the plan's reading time has passed: until then the key row says when Enter will work instead.
      const dialog = await waitForScreen(
        'n',
        (s) => /FLATTEN all\?/.test(s) && /IBKR what-if: maint when asked/.test(s) && !/Read the plan:/.test(s),
        "IBKR's answer in the dialog, its reading time passed",
        60_000,
      );
      const rows = dialog.replace(/\n$/, '').split('\n');
      expect(rows, dialog).toHaveLength(24);
      // The dialog's rows inside its double border, from the what-if line to the first blank or key row after it.
      // The border and its padding of two: a wrapped line's continuation rows keep their own two-space indent.
      const inside = rows.map((r) => /║ {2}(.*?)\s*║/.exec(r)?.[1] ?? '');
      const from = inside.findIndex((t) => t.startsWith('IBKR what-if:'));
      let to = from + 1;
      while (to < inside.length && inside[to]!.startsWith('  ')) to++;
      const line = inside
        .slice(from, to)
        .map((t) => t.trim())
        .join(' ');
      expect(line, dialog).toMatch(
        /^IBKR what-if: maint when asked [\d,]+ USD \+ sum of \d+ per-order changes = [\d,]+; ours after the plan [\d,]+, difference [+-][\d,]+ \(each order alone against today's portfolio, not TWS's margin after the whole plan\)$/,
      );
      // The keys that answer the dialog are still on screen, below it.
      expect(
        inside.slice(to).some((t) => /continues .* cancels \(the default\)/.test(t)),
        dialog,
      ).toBe(true);
      await press('n', 'Escape');
      await waitForScreen('n', (s) => !/FLATTEN all\?/.test(s), 'the dialog closed');
    },
    150_000,
  );
});
