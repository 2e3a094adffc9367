// The open trade dialog on the simulator: mark ages that move with the clock, a stale mark refused and re-offered on
// fresh data, fill prices in the result, and the footer when the arming expires under the dialog.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../sim/helpers.js';
import { JumpClock } from '../support/jump-clock.js';
import { armConsole, startTradingConsole, ticksKnown } from '../support/trading-console.js';

const CLIENT = 32;
const TOYOTA = '7203';
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-dialog-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the trade dialog while it is open', () => {
  it("shows each mark's age as it grows, refuses a stale mark and re-offers the plan on fresh data, then shows fill prices; the footer says when the arming expired", async () => {
    const clock = new JumpClock();
    const c = await startTradingConsole({ clientId: CLIENT, auditDir: dir, clock, size: { columns: 140, rows: 50 }, trading: { armMinutes: 10 } });
    const { sim, feed, tui } = c;
    try {
      await tui.waitForFrame((f) => f.includes('READY') && f.includes(TOYOTA), 'the console on live data', 20_000);
      await armConsole(tui);
      await ticksKnown(c.trading.session, feed.state.positions.keys());
      await tui.write(`/${TOYOTA}\r`);
      await tui.waitForFrame((f) => /^›7203/m.test(f), 'Toyota selected');
      const toyota = [...feed.state.positions.values()].find((r) => r.contract.symbol === TOYOTA)!.contract.conId;

      // (a) The mark and its age, read again on every publish: a jump of 60 s shows at least 60 s.
      await tui.write('X');
      const opened = await tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('sends'), 'the flatten dialog');
      expect(opened).toMatch(/7203 mark [\d,.]+, \d+ s old/);
      expect(opened).toMatch(/Expected realized P&L [+-][\d,]+\.\d\d [A-Z]{3} at the planned limits/);
      clock.offset += 60_000;
      await tui.waitForFrame((f) => /7203 mark [\d,.]+, (6\d|[7-9]\d|1\d\d) s old/.test(f), 'the age moved by the jump');

      // Past the portfolio mark's 200 s limit: STALE in the dialog; the confirm is refused and the plan offered again
      // once the simulator has sent a fresh mark.
      clock.offset += 150_000;
      await tui.waitForFrame((f) => f.includes('STALE (older than 200 s)'), 'the stale mark');
      const jumpedAt = clock.now();
      await waitFor(() => (feed.state.portfolio.get(toyota)?.updatedAt ?? 0) >= jumpedAt, 20_000, 'a fresh Toyota mark from the simulator');
      await tui.write('y');
      const replanned = await tui.waitForFrame((f) => f.includes('MARK_STALE') && f.includes('sends'), 'the refusal and the new plan');
      expect(replanned).toMatch(/Refused: the mark of 7203 is \d+ s old, older than 200 s/);
      expect(replanned).not.toContain('STALE (older than 200 s)');
      expect(sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT)).toEqual([]);

      // (d) The new plan sends; the result carries the average fill and each execution's price.
      await tui.write('y');
      const done = await tui.waitForFrame((f) => f.includes('FLAT: every position in scope reads zero'), 'the result', 30_000);
      const fills = sim.snapshot().executions.filter((e) => (e as { clientId?: number }).clientId === CLIENT) as unknown as { price: number | string }[];
      expect(fills.length).toBeGreaterThan(0);
      // Quantities grouped as in the Qty column (filled 2,000).
      expect(done).toMatch(/FILLED \(filled [\d,]+ avg [\d,.]+ fills [\d,]+ @ [\d,.]+/);
      // Each fill as the Executions pane shows a yen stock's price: grouped, in cents of a yen. The dialog wraps the
      // result line where it must, so its lines are read joined (a fill's "@ price" may straddle two).
      const joined = done.replace(/\s*║\s*\n\s*║\s*/g, ' ');
      for (const f of fills) expect(joined).toContain(`@ ${Number(f.price).toLocaleString('en-US', { minimumFractionDigits: 2 })}`);
      await tui.write('\u001b');
      await tui.waitForFrame((f) => !f.includes(': sent'), 'the result closed');

      // (e) A plan open when the arming runs out: the footer says so instead of offering the confirm key.
      const other = [...feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && !r.position.isZero() && r.contract.symbol !== TOYOTA)!;
      await tui.write(`:trade.flattenScope conid:${other.contract.conId}\r`);
      await tui.waitForFrame((f) => f.includes('sends') && f.includes('mark'), 'a second flatten dialog');
      clock.offset += 10 * 60_000;
      const ended = await tui.waitForFrame((f) => f.includes('Trading is no longer armed'), 'the footer after expiry');
      expect(ended).toContain('(the arming expired)');
      expect(ended).toContain('confirming is refused (NOT_ARMED)');
      expect(ended).not.toMatch(/y sends/);
    } finally {
      await c.close();
    }
  }, 120_000);
});
