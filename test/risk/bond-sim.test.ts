// The shipped path for bonds: the simulator's US-T through the real client moves with rates= (issue 17 item 7).
import { afterEach, describe, expect, it } from 'vitest';
import { buildStressReport } from '../../src/risk/report.js';
import { startSimulator } from '../../src/sim/index.js';
import { T0, waitFor } from '../sim/helpers.js';
import { scenario } from './stress-fixtures.js';
import { connectFeed } from '../support/sim-feed.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const UST = 563840112;

describe('the simulator Treasury, as TWS describes it on the portfolio row', () => {
  it('carries its coupon and maturity in the contract, so rates=+100bp moves it by about −D × 1%', async () => {
    const sim = await startSimulator({ port: 0, controlPort: null, seed: 9, speed: 0, startTime: T0, log: false });
    cleanup.push(() => sim.close());
    const { feed, close } = connectFeed(sim.port, 71, { openOrdersPollMs: 0 });
    cleanup.push(close);
    await waitFor(
      () => feed.state.complete.accountDownload && feed.state.portfolio.has(UST) && feed.state.brokerTimeOffsetMs !== undefined,
      20_000,
      "the portfolio with the US-T and TWS's clock",
    );
    const row = feed.state.portfolio.get(UST)!;
    expect(row.contract.localSymbol).toBe('T 4 1/4 11/15/34');
    expect(row.contract.expiry).toBe('20341115');

    // The engine takes local time and adds TWS's clock offset: the local time at which the simulator reads T0.
    const r = buildStressReport(feed.state, [scenario('rates=+100bp')], { now: Date.parse(T0) - (feed.state.brokerTimeOffsetMs ?? 0) });
    const value = row.marketValue!.toNumber();
    const pnl = r.scenarios[0]!.pnl.byAssetClass.BOND!.toNumber();
    // A par bond with the same coupon and 17.4 half-years left (2 Mar 2026 → 15 Nov 2034): D = (1/y)(1 − (1 + y/2)^−n).
    const years = (Date.UTC(2034, 10, 15) - Date.parse(T0)) / (365.25 * 86_400_000);
    const dPar = (1 / 0.0425) * (1 - (1 + 0.0425 / 2) ** -(2 * years));
    expect(dPar).toBeGreaterThan(7);
    // The mark (97.85) is near par, and convexity (about 60) adds ½·C·Δy² ≈ +0.3%: so about −D·1% + 0.3%, within 0.2%.
    expect(Math.abs(pnl / value - (-0.01 * dPar + 0.003)), `${pnl} on ${value}`).toBeLessThan(0.002);
  }, 30_000);
});
