// Orders typed into TWS by hand, in a real terminal: the Orders pane and the global cancel's outcome name each by its whole permId.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T0 } from '../sim/helpers.js';
import { controlChannel, simSnapshot, type ControlChannel } from '../support/control.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('manual', 'test/e2e/manual-orders-tmux.test.ts', () => control?.close());
const { dir, freshUser, newSession, waitForScreen, press, arm } = server;
let control: ControlChannel | undefined;

describe('manual TWS orders', () => {
  it.skipIf(!hasTmux)(
    'two manual orders read apart in the Orders pane at 200x50, and the global cancel reports each by the same name',
    async () => {
      const err = join(dir, 'stderr.txt');
      newSession('m', { columns: 200, rows: 50, env: freshUser() }, `node bin/tws-risk demo --trade --start ${T0} --seed 7 --no-record 2>${err}`);
      await waitForScreen('m', (s) => /READY/.test(s) && /TSLA/.test(s), 'the ready console');
      const hello = /control channel (\d+)\), account (\S+)/.exec(readFileSync(err, 'utf8'));
      expect(hello, 'the demo names its control channel and account').not.toBeNull();
      control = await controlChannel(Number(hello![1]));
      // Two resting sells far above the market, typed into TWS: client 0, negative API ids, told apart by permId.
      for (const lmtPrice of [400, 410])
        await control.request({ incident: 'manual-order', symbol: 'AAPL', secType: 'STK', action: 'SELL', quantity: 1, orderType: 'LMT', lmtPrice });
      const manual = (await simSnapshot(control)).openOrders.filter((o) => o.clientId === 0) as unknown as { permId: number }[];
      expect(manual.length).toBe(2);
      const names = manual.map((o) => `p${o.permId}`);

      await press('m', '4');
      const orders = await waitForScreen('m', (s) => /▶4 Orders\s+2 open/.test(s), 'both manual orders listed');
      for (const name of names) expect(orders, `${name} whole in the Orders pane`).toMatch(new RegExp(`(^|\\s|›)${name}\\s+TWS\\s+SELL`, 'm'));

      await arm('m', hello![2]!.slice(-4));
      await press('m', ':');
      await waitForScreen('m', (s) => /^:/m.test(s), 'the palette line');
      await press('m', 'trade.globalCancel', 'Enter');
      const dialog = await waitForScreen('m', (s) => /GLOBAL CANCEL\?/.test(s) && /y sends/.test(s), 'the global cancel dialog');
      // The confirmation lists what it cancels, each manual order as such, by the name the Orders pane gives it.
      for (const name of names) expect(dialog).toMatch(new RegExp(`SELL 1 AAPL LMT @ 4[01]0\\.00 · manual \\(TWS\\) · order ${name}\\b`));
      await press('m', 'y');
      const outcome = await waitForScreen('m', (s) => /GLOBAL CANCEL: sent/.test(s) && /every order reached a final state/.test(s), 'the outcome');
      for (const name of names) expect(outcome).toMatch(new RegExp(`order ${name} \\(client 0\\): `));
      expect((await simSnapshot(control)).openOrders).toEqual([]);
    },
    150_000,
  );
});
