// A risk alert's leverage reduction as a locked plan (trade.reduce) on the real simulator through the real source:
// the crash incident raises cushion.stressed, whose proposal becomes orders for part of positions, sent only on
// confirm, leaving each position at its target (reduced, never flipped), with the audit log intact.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsoleTrading } from '../../src/commands/console-trading.js';
import { DEFAULT_ALERT_CONFIG, evaluateOnce, stressForAlerts, type Alert } from '../../src/risk/alerts/index.js';
import { verifyAuditLog } from '../../src/trading/audit.js';
import { waitFor } from '../sim/helpers.js';
import { startSimFeed } from '../support/sim-feed.js';
import { ticksKnown } from '../support/trading-console.js';

const CLIENT = 31; // sim-feed's client id
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-reduce-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ShownLeg {
  conId: number;
  position: string;
  action: 'BUY' | 'SELL';
  quantity: string;
}

describe('trade.reduce: a leverage reduction through the confirmation flow', () => {
  it('locks the proposal as a plan (type REDUCE), sends nothing until confirmed, then trims to the targets', async () => {
    const live = await startSimFeed({ speed: 20 });
    const trading = createConsoleTrading({ mode: 'trade', feed: live.feed, source: live.source, clientId: CLIENT, auditDir: dir, timeoutMs: 20_000 });
    try {
      // −24%: the simulator pairs the SPX puts as a debit vertical (CBOE), so the stressed Cushion falls under 5% only
      // past about −22%.
      await live.sim.trigger({ incident: 'crash', pct: -24, volJump: 0.8 });
      const alert = await waitFor(
        () => {
          const now = Date.now();
          const stress = stressForAlerts(live.feed.state, now);
          if (!stress.ok) return undefined;
          return evaluateOnce({ state: live.feed.state, config: DEFAULT_ALERT_CONFIG, now, stress: stress.report }).find(
            (a: Alert) => a.id === 'cushion.stressed',
          );
        },
        20_000,
        'cushion.stressed after the crash',
      );
      expect(alert.reduction).toMatchObject({ kind: 'stressedCushion' });

      // Refused until armed, like every trading dialog.
      expect(trading.preview('trade.reduce', { alerts: [alert] })).toMatch(/NOT_ARMED/);
      expect(trading.arm('4567').ok).toBe(true);
      await ticksKnown(trading.session, live.feed.state.positions.keys());
      expect(trading.preview('trade.reduce', { alerts: [alert], arg: 'no.such' })).toBe(
        'No listed alert no.such (trade.reduce takes the id of a listed alert)',
      );

      const plan = trading.preview('trade.reduce', { alerts: [alert] });
      if (typeof plan === 'string') throw new Error(plan);
      expect(plan.word).toBe('REDUCE');
      expect(plan.title).toBe('REDUCE leverage for cushion.stressed?');
      // The orders come first (they must stay on screen), then what the trims do to the metric.
      expect(plan.lines[0]).toMatch(/^Account DU\d+ · scope conids:/);
      expect(plan.lines.find((l) => l.startsWith('For '))).toMatch(
        /^For \w+ cushion\.stressed: lowest stressed Cushion now -?[\d.]+%, after -?[\d.]+% \(limit [\d.]+%\)/,
      );
      expect(plan.lines.findIndex((l) => l.startsWith('For '))).toBeGreaterThan(plan.lines.findIndex((l) => /^(BUY|SELL) /.test(l)));
      // Shown is not sent: no order of ours reached the simulator.
      expect(live.sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT)).toEqual([]);
      expect(live.sim.snapshot().executions.filter((e) => (e as { clientId?: number }).clientId === CLIENT)).toEqual([]);

      const audit = () =>
        readFileSync(trading.auditFile!, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type?: string; detail?: Record<string, unknown> });
      const shown = audit().find((e) => e.type === 'planShown')!.detail!;
      expect(shown.scope).toMatch(/^conids:/);
      expect(shown.reduction).toMatchObject({ alert: 'cushion.stressed', metric: 'lowest stressed Cushion' });
      const legs = shown.legs as ShownLeg[];
      expect(legs.length).toBeGreaterThan(0);
      for (const l of legs) {
        const p = Number(l.position);
        expect(l.action).toBe(p > 0 ? 'SELL' : 'BUY'); // reduces
        expect(Number(l.quantity)).toBeLessThanOrEqual(Math.abs(p)); // never past zero
      }

      // As the console does: the plan is on screen, and confirmed once its reading time has passed.
      await new Promise<void>((read) => trading.onScreen(plan.id, read));
      const outcome = await trading.confirm(plan.id, () => {});
      expect(outcome.kind).toBe('sent');
      if (outcome.kind !== 'sent') return;
      expect(outcome.lines).toContain('DONE: every trimmed position reads its target');
      for (const l of legs) {
        const target = Number(l.position) + (l.action === 'SELL' ? -Number(l.quantity) : Number(l.quantity));
        const at = live.sim.snapshot().positions.find((p) => p.conId === l.conId);
        expect(Number(at?.position ?? 0), `conId ${l.conId}`).toBe(target);
      }
      // One dialog, one send.
      expect(await trading.confirm(plan.id, () => {})).toMatchObject({ kind: 'refused' });
      trading.close('test over');
      const types = audit().map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['armed', 'planShown', 'decision', 'orderSent', 'result']));
      expect((await verifyAuditLog(trading.auditFile!)).ok).toBe(true);
    } finally {
      trading.close('test over');
      await live.close();
    }
  }, 60_000);
});
