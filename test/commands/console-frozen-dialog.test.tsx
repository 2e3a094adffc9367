// A trading key pressed on frozen panes, on the simulator at 80x24: the dialog is on the live state and says where it
// differs from the frozen screen; the word is asked when quantities differ; a refusal on a gone row says it is gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '../../src/model/orders.js';
import { clock as clockText } from '../../src/views/format.js';
import { waitFor } from '../sim/helpers.js';
import { JumpClock } from '../support/jump-clock.js';
import { armConsole, auditLines, startTradingConsole, ticksKnown, type TradingConsole } from '../support/trading-console.js';

const CLIENT = 33;
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-frozen-dialog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The frame's text with the dialog's borders and wrapping undone: a wrapped line reads as one. */
const joined = (f: string) => f.replace(/\s*║\s*\n\s*║\s*/g, ' ').replace(/ {2,}/g, ' ');

const qty = (c: TradingConsole, symbol: string) =>
  Number([...c.feed.state.positions.values()].find((r) => r.contract.symbol === symbol && r.contract.secType === 'STK')?.position ?? 0);

/** A foreign client's market order, filled and no longer listed open in our feed (else a plan would rightly wait on it). */
async function foreign(c: TradingConsole, symbol: string, action: 'BUY' | 'SELL', quantity: number): Promise<void> {
  const before = qty(c, symbol);
  await c.sim.trigger({ incident: 'foreign-order', clientId: 42, symbol, secType: 'STK', action, quantity: String(quantity), orderType: 'MKT' });
  const want = before + (action === 'BUY' ? quantity : -quantity);
  await waitFor(() => qty(c, symbol) === want, 20_000, `${symbol} at ${want} in the feed`);
  await waitFor(
    () => ![...c.feed.state.orders.values()].some((o) => o.clientId === 42 && !TERMINAL_STATUSES.has(o.status) && o.listed !== false),
    20_000,
    'no open foreign order in the feed',
  );
}

describe('a trading dialog opened on frozen panes', () => {
  it('names the live quantity beside the frozen one, asks the word, keeps the orders on an 80x24 screen; a gone row is refused saying so', async () => {
    const c = await startTradingConsole({ clientId: CLIENT, auditDir: dir, clock: new JumpClock(), size: { columns: 80, rows: 24 } });
    const { tui, feed } = c;
    try {
      await tui.waitForFrame((f) => f.includes('READY'), 'the console on live data', 20_000);
      await armConsole(tui);
      await ticksKnown(c.trading.session, feed.state.positions.keys());
      const nesn = qty(c, 'NESN');
      expect(nesn).toBeGreaterThan(0);
      await tui.write('2');
      await tui.write('/NESN\r');
      await tui.waitForFrame((f) => /^›NESN\b/m.test(f), 'NESN selected');
      await tui.write(' ');
      await tui.waitForFrame((f) => f.split('\n')[0]!.includes('FROZEN'), 'FROZEN in the status bar');
      const frozenAt = c.store.getSnapshot().frozen!.at;

      await foreign(c, 'NESN', 'BUY', 500);
      // The frozen pane still shows the old quantity.
      expect(tui.lastFrame()).toMatch(new RegExp(`^›NESN\\s+${nesn.toLocaleString('en-US')}\\b`, 'm'));

      await tui.write('X');
      const frame = await tui.waitForFrame((f) => f.includes('Flatten NESN') && f.includes('Type FLATTEN'), 'the flatten dialog');
      const text = joined(frame);
      const live = (nesn + 500).toLocaleString('en-US');
      expect(text).toContain(
        `Panes FROZEN since ${clockText(frozenAt)}. This plan is on the live positions: NESN ${live} now (${nesn.toLocaleString('en-US')} on the frozen screen)`,
      );
      // The orders are on the live quantity, and on screen whole at 80x24 (the confirm key would do nothing otherwise).
      expect(text).toContain(`SELL ${live} NESN`);
      expect(text).not.toContain('enlarge the terminal to see every order');
      // The quantities differ: a single position's flatten asks the word, so y alone sends nothing.
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('to unlock the confirm key: y'), 'y typed into the word, not confirming');
      expect(c.sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT)).toEqual([]);
      const shown = auditLines<{ type?: string; detail?: { frozen?: { differs?: string[] } } }>(c.trading).filter((l) => l.detail?.frozen);
      expect(shown.at(-1)?.detail?.frozen?.differs).toEqual([`NESN ${live} now (${nesn.toLocaleString('en-US')} on the frozen screen)`]);
      await tui.write('\u001b');
      await tui.waitForFrame((f) => !f.includes('Type FLATTEN'), 'the dialog closed');
      await tui.write('\u001b');
      await tui.waitForFrame((f) => !f.includes('filter NESN'), 'the filter cleared');

      // A row whose position another client closed while frozen: refused as ever, saying it is gone in the live data.
      const aapl = qty(c, 'AAPL');
      expect(aapl).toBeGreaterThan(0);
      await tui.write('/AAPL\r');
      // The filter keeps AAPL's options too: down to the stock's row (its quantity follows the bare symbol).
      const stockRow = /^›AAPL\s+[\d,]+\s+[\d,]*\.\d+\s/m;
      await tui.waitForFrame((f) => /^›AAPL/m.test(f), 'an AAPL row selected');
      for (let i = 0; i < 10 && !stockRow.test(tui.lastFrame()); i++) {
        const before = tui.lastFrame().match(/^›.*$/m)?.[0];
        await tui.write('j');
        await tui.waitForFrame((f) => f.match(/^›.*$/m)?.[0] !== before, 'the next row selected');
      }
      expect(tui.lastFrame()).toMatch(stockRow);
      await foreign(c, 'AAPL', 'SELL', aapl);
      await tui.write('X');
      // The flash wraps at spaces onto the rows under the hint line: read back as one line.
      const refused = (await tui.waitForFrame((f) => f.includes('NOTHING_TO_DO'), 'the refusal')).replace(/\s+/g, ' ');
      expect(refused).toContain(
        `Panes FROZEN since ${clockText(frozenAt)}: AAPL: 0 now (${aapl.toLocaleString('en-US')} on the frozen screen). Nothing to do: no position in scope conid:`,
      );
    } finally {
      await c.close();
    }
  }, 120_000);

  it('a global cancel names the order that is open now and not on the frozen screen', async () => {
    const c = await startTradingConsole({ clientId: CLIENT + 1, auditDir: dir, clock: new JumpClock(), size: { columns: 80, rows: 24 } });
    const { tui, feed } = c;
    // Resting foreign limits (far from the market): listed by the open-orders poll, never filled.
    const rest = async (symbol: string, quantity: string) => {
      await c.sim.trigger({ incident: 'foreign-order', clientId: 42, symbol, secType: 'STK', action: 'BUY', quantity, orderType: 'LMT', lmtPrice: 1 });
      let key: string | undefined;
      await waitFor(
        () =>
          (key = [...feed.state.orders.entries()].find(
            ([, o]) => o.clientId === 42 && o.info?.contract.symbol === symbol && !TERMINAL_STATUSES.has(o.status) && o.listed !== false,
          )?.[0]) !== undefined,
        20_000,
        `the foreign ${symbol} order listed open`,
      );
      return feed.state.orders.get(key!)!.orderId;
    };
    try {
      await tui.waitForFrame((f) => f.includes('READY'), 'the console on live data', 20_000);
      await armConsole(tui);
      await rest('AAPL', '5');
      await tui.write(' ');
      await tui.waitForFrame((f) => f.split('\n')[0]!.includes('FROZEN'), 'FROZEN in the status bar');
      const frozenAt = c.store.getSnapshot().frozen!.at;
      const msft = await rest('MSFT', '7');
      await tui.write(':trade.globalCancel\r');
      const text = joined(await tui.waitForFrame((f) => f.includes('GLOBAL CANCEL?') && f.includes('sends'), 'the global cancel dialog'));
      expect(text).toContain(
        `Panes FROZEN since ${clockText(frozenAt)}. This plan is on the live orders: order ${msft} (BUY 7 MSFT) open now (not on the frozen screen)`,
      );
      expect(text).not.toContain('enlarge the terminal to see every order');
    } finally {
      await c.close();
    }
  }, 120_000);
});
