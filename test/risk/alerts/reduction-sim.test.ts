// Leverage reduction on the simulator's book under a margin spike: the zero-shock alerts get trims that release margin.
import { describe, expect, it } from 'vitest';
import { accountValue } from '../../../src/model/account-values.js';
import { Decimal } from '../../../src/model/money.js';
import type { PortfolioState } from '../../../src/model/state.js';
import { DEFAULT_ALERT_CONFIG, evaluateOnce, proposeForAlert, stressForAlerts, type Alert } from '../../../src/risk/alerts/index.js';
import type { ReductionTarget } from '../../../src/risk/alerts/types.js';
import { startSimulator } from '../../../src/sim/index.js';
import { Feed } from '../../../src/streams/feed.js';
import { TwsSource } from '../../../src/streams/tws/source.js';
import { T0, waitFor } from '../../sim/helpers.js';
import { syncedWithGreeks } from '../../support/sim-feed.js';

const NOW = Date.parse(T0);
/** The console's plan: a 2% collar, commissions paid. */
const FILLS = { collar: 0.02, commissions: true } as const;
const usd = (s: PortfolioState, key: string) => accountValue(s, key, 'USD')?.value;

/** The metric as TWS reports it, from the account rows alone. */
function reported(s: PortfolioState, t: ReductionTarget): number {
  if (t.kind === 'cushion') return accountValue(s, 'Cushion', '')!.value!.toNumber();
  if (t.kind === 'excessLiquidity') return usd(s, 'ExcessLiquidity')!.toNumber();
  return usd(s, 'EquityWithLoanValue')!.div(usd(s, 'MaintMarginReq')!).toNumber();
}

/*
 * Seed 9, clock stopped at T0. The spike multiplies every requirement TWS reports; the worst scenario is then a
 * single-name ES jump whose only loser (the long future) hedges the short ES calls in our SPAN-style estimate, so
 * ranking by that scenario's losers found nothing to trim. These alerts are at zero shock: any close releases
 * margin (three times as much during the spike), so a proposal must exist and reach the limit.
 */
describe('reduction under a margin spike (simulator, seed 9)', () => {
  // 2.6: above IBKR's 110% warning (ELV ≈ 2.5 × the demo's maintenance, its SPX puts a debit vertical), under ×2.76,
  // where ExcessLiquidity would turn negative.
  for (const factor of [3, 2.6]) {
    it(`×${factor}: each raised margin alert gets trims that reach its limit; sent, they release margin at TWS`, async () => {
      const sim = await startSimulator({ port: 0, controlPort: null, seed: 9, speed: 0, startTime: T0, log: false });
      const source = new TwsSource({
        host: '127.0.0.1',
        port: sim.port,
        clientId: 33,
        heartbeatMs: 500,
        heartbeatTimeoutMs: 10_000,
        backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 },
        openOrdersPollMs: 300,
      });
      const feed = new Feed(source.events$);
      source.start();
      try {
        await waitFor(() => syncedWithGreeks(feed.state, { orders: false }), 20_000, 'a synchronised feed with greeks');
        const maint0 = usd(feed.state, 'MaintMarginReq')!;
        await sim.trigger({ incident: 'margin-spike', factor, secTypes: ['ALL'] });
        // TWS rounds each segment to cents: the spiked total is within a few cents of factor × the old one.
        await waitFor(() => usd(feed.state, 'MaintMarginReq')?.sub(maint0.mul(factor)).abs().lt(0.05), 20_000, 'the spiked requirement');
        const state = feed.state;

        const stress = stressForAlerts(state, NOW);
        if (!stress.ok) throw new Error(stress.error);
        const alerts = evaluateOnce({ state, config: DEFAULT_ALERT_CONFIG, now: NOW, stress: stress.report });
        const zeroShock = alerts.filter((a: Alert) => a.reduction && ['cushion', 'excessLiquidity', 'equityToMaint'].includes(a.reduction.kind));
        const ids = zeroShock.map((a) => a.id);
        expect(ids).toContain('margin.warning');
        if (factor === 3) expect(ids).toEqual(expect.arrayContaining(['excess.negative', 'cushion.band']));

        for (const a of zeroShock) {
          const target = a.reduction!;
          const p = proposeForAlert(state, target, NOW, FILLS);
          expect(p.error, a.id).toBeUndefined();
          expect(p.before, a.id).toBeCloseTo(reported(state, target), 6);
          expect(p.trims.length, a.id).toBeGreaterThan(0);
          expect(p.withinLimit, a.id).toBe(true);
          expect(p.after, a.id).toBeGreaterThanOrEqual(p.limit);
          expect(p.notes.at(-1), a.id).toMatch(/reach(es)? the limit even at the worst fills the plan accepts: the smallest set found/);
          for (const t of p.trims) {
            expect(t.action).toBe(t.position.isNegative() ? 'BUY' : 'SELL');
            expect(t.quantity.abs().lte(t.position.abs())).toBe(true);
            expect(t.after.isZero() || t.after.isNegative() === t.position.isNegative()).toBe(true);
          }
        }

        // Sent to the simulator, the ExcessLiquidity (or, at ×2.6, the margin.warning) trims release maintenance and
        // raise ExcessLiquidity in TWS's own numbers.
        const sent = zeroShock.find((a) => a.id === 'excess.negative') ?? zeroShock.find((a) => a.id === 'margin.warning')!;
        const p = proposeForAlert(state, sent.reduction!, NOW, FILLS);
        const el0 = usd(state, 'ExcessLiquidity')!;
        const m0 = usd(state, 'MaintMarginReq')!;
        for (const t of p.trims) {
          await sim.trigger({ incident: 'manual-order', conId: t.conId, action: t.action, quantity: t.quantity.abs().toString(), orderType: 'MKT' });
        }
        // The clock is stopped: a market order fills on the next step of the market (a second, a negligible move).
        sim.advance(1000);
        await waitFor(() => p.trims.every((t) => (feed.state.positions.get(t.conId)?.position ?? new Decimal(0)).eq(t.after)), 20_000, 'the trims filled');
        await waitFor(() => usd(feed.state, 'MaintMarginReq')!.lt(m0), 20_000, 'maintenance released');
        expect(usd(feed.state, 'ExcessLiquidity')!.gt(el0)).toBe(true);
      } finally {
        source.stop();
        await feed.close('test over');
        await sim.close();
      }
    }, 90_000);
  }
});
