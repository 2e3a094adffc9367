// The Executions pane in a real terminal: a yen fill's realized P&L (six figures and more) is shown whole, never cut.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from '../../src/model/money.js';
import { describe, expect, it } from 'vitest';
import { T0 } from '../sim/helpers.js';
import { controlChannel, type ControlChannel } from '../support/control.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('realized', 'test/e2e/executions-realized-tmux.test.ts', () => control?.close());
const { dir, tmux, newSession, waitForScreen, press } = server;
let control: ControlChannel | undefined;

interface SimPosition {
  readonly symbol: string;
  readonly secType: string;
  readonly position: string;
  readonly avgCost: string;
}
interface SimExecution {
  readonly execId: string;
  readonly conId: number;
  readonly shares: string;
  readonly price: string;
  readonly commission?: string;
}

/** "+118,777.75": how a realized figure reads, signed, grouped, in cents. */
const signed = (d: Decimal) => `${d.isNegative() ? '-' : '+'}${Number(d.abs().toFixed(2)).toLocaleString('en-US', { minimumFractionDigits: 2 })}`;

describe('the Executions pane realized column', () => {
  it.skipIf(!hasTmux)(
    'selling 2,000 Toyota (7203, JPY) well above cost shows each fill realized P&L in full at 200x50',
    async () => {
      const err = join(dir, 'stderr.txt');
      newSession('r', { columns: 200, rows: 50 }, `node bin/tws-risk demo --start ${T0} --seed 7 --no-record --config ${join(dir, 'none.json')} 2>${err}`);
      await waitForScreen('r', (s) => /READY/.test(s) && /7203/.test(s), 'the ready console');
      const hello = /control channel (\d+)\)/.exec(readFileSync(err, 'utf8'));
      expect(hello, 'the demo names its control channel').not.toBeNull();
      control = await controlChannel(Number(hello![1]));
      const before = (await control.request({ cmd: 'snapshot' })).snapshot as { positions: SimPosition[] };
      const toyota = before.positions.find((p) => p.symbol === '7203' && p.secType === 'STK')!;
      expect(Number(toyota.position)).toBe(2000);

      // Another API client sells the whole line at market: the fills come to this console as executions.
      await control.request({ incident: 'foreign-order', clientId: 42, symbol: '7203', secType: 'STK', action: 'SELL', quantity: 2000, orderType: 'MKT' });
      let fills: SimExecution[] = [];
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const snap = (await control.request({ cmd: 'snapshot' })).snapshot as { executions: SimExecution[] };
        fills = snap.executions.filter((e) => e.commission !== undefined);
        if (fills.reduce((n, e) => n + Number(e.shares), 0) === 2000) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(fills.reduce((n, e) => n + Number(e.shares), 0)).toBe(2000);

      // Realized per fill, as IB books a sale: shares × (price − average cost) − commission, in yen.
      const expected = fills.map((e) => signed(new Decimal(e.shares).times(new Decimal(e.price).minus(toyota.avgCost)).minus(e.commission!)));
      expect(
        expected.every((t) => t.replace(/[^\d]/g, '').length >= 8),
        'the sale is big enough for a figure of six digits and cents',
      ).toBe(true);

      await press('r', '5');
      const screen = await waitForScreen(
        'r',
        (s) => /▶5 Executions/.test(s) && new RegExp(`${fills.length} fills`).test(s) && (s.match(/ JPY\s+[+-][\d,.]+/g) ?? []).length >= fills.length,
        'every fill with its realized P&L',
      );
      const shown = [...screen.matchAll(/SLD\s+[\d,]+ 7203\s+[\d,.]+\s+[\d,.]+ JPY\s+(\S+)/g)].map((m) => m[1]!);
      expect(shown.length, screen).toBe(fills.length);
      expect(
        shown.filter((t) => t.includes('…')),
        screen,
      ).toEqual([]);
      expect([...shown].sort()).toEqual([...expected].sort());

      // At 80x24 a six-figure yen amount still fits; a wider one would drop the column (the detail view has it), never be cut.
      tmux('resize-window', '-t', 'r', '-x', '80', '-y', '24');
      // The tab bar appears only in the tabbed layout of small terminals.
      const narrow = await waitForScreen('r', (s) => /\[5 Executions\]/.test(s), 'the 80x24 tabbed layout');
      const rowsAt80 = narrow.split('\n').filter((l) => /SLD\s+[\d,]+ 7203/.test(l));
      expect(rowsAt80.length, narrow).toBeGreaterThan(0);
      for (const line of rowsAt80) expect(line, narrow).not.toMatch(/…/);
    },
    150_000,
  );
});
