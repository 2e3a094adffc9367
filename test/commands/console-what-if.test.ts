// The console's flatten preview asks TWS for what-if margins (in a --trade session only) and audits the answer.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsoleTrading } from '../../src/commands/console-trading.js';
import { ManualClock } from '../../src/model/clock.js';
import { T0, waitFor } from '../sim/helpers.js';
import { startSimFeed } from '../support/sim-feed.js';
import { ticksKnown } from '../support/trading-console.js';

const CLIENT = 31; // sim-feed's client id
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-whatif-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flatten preview with IBKR what-if margins', () => {
  it('shows "asking" at once, then IBKR\'s post-flatten requirement beside ours, and audits what TWS said', async () => {
    const live = await startSimFeed({ speed: 0 });
    const clock = new ManualClock(Date.parse(T0));
    const trading = createConsoleTrading({
      mode: 'trade',
      feed: live.feed,
      source: live.source,
      clientId: CLIENT,
      auditDir: dir,
      clock,
      armMinutes: 5,
      watchMs: 500,
    });
    try {
      const conId = [...live.feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && !r.position.isZero())!.contract.conId;
      expect(trading.arm('4567').ok).toBe(true);
      await ticksKnown(trading.session, [conId]);
      const plan = trading.preview('trade.flatten', { conId });
      if (typeof plan === 'string') throw new Error(plan);
      expect(trading.whatIf!(plan.id)).toMatch(/^IBKR what-if: asking TWS/);
      await waitFor(() => !/asking/.test(trading.whatIf!(plan.id) ?? 'asking'), 10_000, 'the what-if answer');
      const line = trading.whatIf!(plan.id)!;
      expect(line).toMatch(/^IBKR what-if: maint after [\d,]+ [A-Z]{3}; ours [\d,]+, difference [+-][\d,]+$/);
      // The difference is IBKR's figure minus ours, as printed.
      const [, ibkr, ours, diff] = /maint after ([\d,]+) .*ours ([\d,]+), difference ([+-][\d,]+)/.exec(line)!.map((x) => x.replaceAll(',', ''));
      expect(Math.abs(Number(ibkr) - Number(ours) - Number(diff))).toBeLessThanOrEqual(1);
      // Nothing was placed: the console's own order list is empty.
      expect([...live.feed.state.orders.values()].filter((o) => o.clientId === CLIENT)).toEqual([]);
      trading.decline(plan.id);
      const audit = readFileSync(trading.auditFile!, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type?: string; detail?: { planId?: string; maintAfter?: string | null; shown?: string } });
      const entry = audit.find((e) => e.type === 'whatIf');
      expect(entry?.detail).toMatchObject({ planId: plan.id, shown: line });
      expect(Number(entry?.detail?.maintAfter)).toBeGreaterThan(0);
    } finally {
      trading.close('test over');
      await live.close();
    }
  }, 30_000);

  it('a gateway without what-if (no TWS to ask) adds no line', async () => {
    const live = await startSimFeed({ speed: 0 });
    const src = live.source;
    const gateway = {
      get ready() {
        return src.ready;
      },
      placeOrder: src.placeOrder.bind(src),
      cancelOrder: src.cancelOrder.bind(src),
      globalCancel: src.globalCancel.bind(src),
    };
    const trading = createConsoleTrading({
      mode: 'trade',
      feed: live.feed,
      source: gateway,
      clientId: CLIENT,
      auditDir: dir,
      clock: new ManualClock(Date.parse(T0)),
    });
    try {
      const conId = [...live.feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && !r.position.isZero())!.contract.conId;
      expect(trading.arm('4567').ok).toBe(true);
      const plan = trading.preview('trade.flatten', { conId });
      if (typeof plan === 'string') throw new Error(plan);
      expect(trading.whatIf!(plan.id)).toBeUndefined();
      trading.decline(plan.id);
    } finally {
      trading.close('test over');
      await live.close();
    }
  }, 30_000);
});
