// `tws-risk demo --account all` in a real terminal (tmux): the Accounts pane, Enter switching the panes, trading refused
// on the aggregate row, and the exit line naming every account and why nothing was recorded.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR_ENV } from '../../src/config/load.js';
import { startAdvisorSim, T0 } from '../sim/helpers.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('accounts', 'test/e2e/accounts-tmux.test.ts');
const { dir, tmux, newSession, waitForScreen, press } = server;

describe('tws-risk demo --account all in tmux', () => {
  it.skipIf(!hasTmux)(
    'opens on the Accounts pane, switches the panes with Enter, refuses trading on "all", and says why it did not record',
    async () => {
      const data = join(dir, 'data');
      newSession(
        'fa',
        { columns: 160, rows: 48 },
        `env ${DATA_DIR_ENV}=${data} node bin/tws-risk demo --account all --start ${T0} --speed 0 --trade --config ${join(dir, 'none.json')}`,
      );
      const first = await waitForScreen(
        'fa',
        (s) => /DU1234567 \(1 of 4\) USD READY/.test(s.split('\n')[0]!) && /all \(4\)/.test(s) && /DU2000003/.test(s),
        'the Accounts pane with four accounts',
        60_000,
      );
      expect(first).toMatch(/▶7 Accounts/);
      for (const a of ['DU1234567', 'DU2000001', 'DU2000002', 'DU2000003']) expect(first).toContain(a);

      // Enter on the second row: DU2000001's book (100 AAPL) in the Positions pane, and on the status bar.
      await press('fa', 'j', 'Enter');
      await waitForScreen('fa', (s) => /DU2000001 \(2 of 4\)/.test(s.split('\n')[0]!), 'DU2000001 selected');
      await press('fa', '2');
      const positions = await waitForScreen('fa', (s) => /▶2 Positions/.test(s) && /AAPL +STK/.test(s), "DU2000001's positions");
      expect(positions).not.toMatch(/7203/);
      expect(positions).not.toMatch(/NESN/);

      // The aggregate row: no account is targeted, so arming is refused and says why.
      await press('fa', '7', 'G', 'Enter');
      await waitForScreen('fa', (s) => /ALL 4 accounts/.test(s.split('\n')[0]!), 'the aggregate selected');
      await press('fa', ':', 't', 'r', 'a', 'd', 'e', '.', 'a', 'r', 'm', 'Enter');
      // The whole refusal, to its last word: what the operator must do is its end, which a cut flash hid.
      await waitForScreen(
        'fa',
        (s) => /trading always targets exactly one account\. Select that account in the Accounts pane \(7, then Enter\) first/.test(s.replace(/\s+/g, ' ')),
        'arming refused on the aggregate, the refusal whole',
      );

      await press('fa', 'q');
      const after = await waitForScreen(
        'fa',
        (s) => /tws-risk demo: .* accounts DU1234567 \(\d+ events?\), DU2000001 \(\d+ events?\), DU2000002 \(\d+ events?\), DU2000003 \(\d+ events?\),/.test(s),
        'the exit line',
      );
      expect(after).toMatch(/not recorded \(a flight recording holds one account and several are followed/);
      // Nothing was recorded, and no audit log was opened by the refused arming.
      const files = (() => {
        try {
          return readdirSync(data, { recursive: true }) as string[];
        } catch {
          return [];
        }
      })();
      expect(files.filter((f) => f.endsWith('.jsonl') || f.endsWith('.gz'))).toEqual([]);
    },
    120_000,
  );

  it.skipIf(!hasTmux)(
    'live --account A,B follows the two accounts named on an advisor login, and --no-record says nothing about recording',
    async () => {
      const sim = await startAdvisorSim();
      try {
        newSession(
          'live',
          { columns: 120, rows: 40 },
          `env ${DATA_DIR_ENV}=${join(dir, 'live-data')} node bin/tws-risk live --port ${sim.port} --client-id 75 --account DU2000003,DU2000001 --no-record --config ${join(dir, 'none.json')}`,
        );
        const first = await waitForScreen(
          'live',
          (s) => /DU2000003 \(1 of 2\) EUR READY/.test(s.split('\n')[0]!) && /all \(2\)/.test(s) && /DU2000001/.test(s),
          'the two accounts named, in their order',
          60_000,
        );
        expect(first).not.toMatch(/DU1234567|DU2000002/);
        expect(first.split('\n')[0]).not.toMatch(/REC STOPPED/);
        // The EUR account's own figures, and the sum in its base currency (the first named).
        expect(first).toMatch(/DU2000003 +READY +76,900 EUR/);
        await press('live', 'q');
        // The pane's history too: on a busy machine the line grows a slow-frames note and wraps past the top row.
        const history = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'live');
        for (const deadline = Date.now() + 60_000; !/tws-risk live: .* accounts DU2000003 \(\d+ events?\), DU2000001 \(\d+ events?\),/.test(history());) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for the exit line; pane:\n${history()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        // And the process is gone once it has said so: nothing keeps it alive after its summary.
        // tmux's own flag: its "Pane is dead" line is not always drawn by the time the pane is read.
        for (const deadline = Date.now() + 60_000; tmux('list-panes', '-t', 'live', '-F', '#{pane_dead}').trim() !== '1';) {
          if (Date.now() > deadline) throw new Error('the console did not exit after its summary');
          await new Promise((r) => setTimeout(r, 100));
        }
        const after = history();
        expect(after).toMatch(/; not recorded(; \d+ frames? took over \d+ ms \(slowest \d+ ms\))?$/m);
      } finally {
        await sim.close();
      }
    },
    120_000,
  );
});
