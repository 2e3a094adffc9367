// End to end on an expiry day: the simulator started minutes before 16:00 New York, seen through the real live source
// and feed, its clock running past the expiry; the risk engine prices the expiring options at intrinsic, never NaN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecType } from '@stoqey/ib';
import { QUANTUM } from '../../src/risk/boundary.js';
import { buildStressGrid } from '../../src/risk/grid.js';
import { stressParams } from '../../src/risk/params.js';
import { buildStressReport } from '../../src/risk/report.js';
import { parseScenario } from '../../src/risk/scenario-text.js';
import type { Scenario } from '../../src/risk/scenario-types.js';
import { FRONT_AAPL_CALL, FRONT_SPX_PUT } from '../../src/sim/instruments.js';
import { startSimFeed, type SimFeed } from '../support/sim-feed.js';
import { connectNext, disconnectAll, waitFor } from './helpers.js';

/** Friday 20 March 2026, 16:00 New York under daylight time. */
const EXPIRY = Date.parse('2026-03-20T20:00:00Z');
const START = EXPIRY - 5 * 60_000;

const TEXTS = ['px:STK=+10%', 'px:STK=-10%', 'px:IND=-10%,vol=+50%', 'px:IND=+5%'];
const scenarios: Scenario[] = TEXTS.map((t) => {
  const r = parseScenario(t, { baseCurrency: 'USD' });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.scenario;
});
/** Held quantity, strike and right of the two expiring positions (scenarios/expiry-day.json). */
const HELD = [
  { conId: FRONT_AAPL_CALL, qty: 4, strike: 220, call: true },
  { conId: FRONT_SPX_PUT, qty: -2, strike: 6050, call: false },
];
const intrinsic = (call: boolean, s: number, k: number) => Math.max(0, call ? s - k : k - s);
/** The price move each scenario gives the held options' underlyings (AAPL is STK, SPX is IND). */
const moveOf = (text: string, conId: number) => {
  const cls = conId === FRONT_AAPL_CALL ? 'STK' : 'IND';
  const m = new RegExp(`px:${cls}=([+-]\\d+)%`).exec(text);
  return m ? Number(m[1]) / 100 : 0;
};

/** Each held expiring option's P&L per scenario and the underlying the engine priced it on, at `now`. */
/**
 * The local time at which the market's clock (TWS's, learnt from its heartbeat answers) reads `simTime`: the risk
 * engine takes local time and adds the offset TWS reported, so a test that speaks in simulator time converts.
 */
function localAt(live: SimFeed, simTime: number): number {
  return simTime - (live.feed.state.brokerTimeOffsetMs ?? 0);
}

function optionFigures(live: SimFeed, now: number) {
  const state = live.feed.state;
  const grid = buildStressGrid(
    state,
    scenarios.map((s) => s.shocks),
    stressParams({ now: localAt(live, now) }),
  );
  const n = grid.cols.n;
  return HELD.map((h) => {
    const i = grid.positionIndex.get(h.conId)!;
    const p = grid.book.positions[i]!;
    return {
      ...h,
      unpriced: p.unpriced,
      underlying: p.underlying,
      mark: p.price,
      american: p.cls.model !== 'bsmEuropean',
      pnl: TEXTS.map((_, j) => grid.pnl[i * n + j]! * QUANTUM),
    };
  });
}

describe('expiry day through the live source', () => {
  let live: SimFeed;

  beforeAll(async () => {
    live = await startSimFeed({ startTime: START, scenario: 'expiry-day', speed: 2 });
  }, 60_000);

  afterAll(async () => {
    await live?.close();
  });

  it('before 16:00 New York the expiring options are held, listed and priced with time value; after it, at intrinsic', async () => {
    const before = live.sim.now();
    expect(before).toBeLessThan(EXPIRY);
    const state = live.feed.state;
    for (const h of HELD) {
      expect(state.portfolio.get(h.conId)?.position.toNumber()).toBe(h.qty);
      expect(state.portfolio.get(h.conId)?.contract.expiry).toBe('20260320');
    }
    const pre = buildStressReport(state, scenarios, { now: localAt(live, before) });
    expect(pre.unpriced).toEqual([]);
    for (const s of pre.scenarios) expect(Number.isFinite(Number(s.pnl.total)), s.label).toBe(true);

    // Run the clock past the expiry and wait for the feed to see the expired options' greeks (no time value left).
    // Stepped by hand, not by speed: a busy machine's clock drops lag, and 300x could take minutes of wall time.
    live.sim.setSpeed(0);
    live.sim.advance(EXPIRY + 20_000 - live.sim.now());
    expect(live.sim.now()).toBeGreaterThan(EXPIRY);
    // Then running again, so the periodic option computations go out after the close.
    live.sim.setSpeed(2);
    await waitFor(
      () => {
        const s = live.feed.state;
        return s.options.get(FRONT_AAPL_CALL)?.delta === 1 && s.options.get(FRONT_SPX_PUT)?.delta === -1 && s.options.get(FRONT_SPX_PUT)?.gamma === 0;
      },
      60_000,
      'expired greeks in the feed',
    );
    live.sim.setSpeed(0);
    const after = live.sim.now();

    const post = buildStressReport(live.feed.state, scenarios, { now: localAt(live, after) });
    expect(post.unpriced).toEqual([]);
    for (const s of post.scenarios) {
      for (const v of [s.pnl.total, s.netLiquidation, s.maintMargin, s.excessLiquidity]) expect(Number.isFinite(Number(v)), s.label).toBe(true);
    }
    for (const f of optionFigures(live, after)) {
      expect(f.unpriced).toBeUndefined();
      expect(f.underlying).toBeGreaterThan(0);
      TEXTS.forEach((text, j) => {
        const s = f.underlying;
        const m = moveOf(text, f.conId);
        const moved = intrinsic(f.call, s * (1 + m), f.strike);
        // The mark moves by the model's change (intrinsic to intrinsic), and an option under a move is worth at least 0,
        // an American one at least its intrinsic value: a mark a moment behind the underlying, below intrinsic, is
        // lifted to it (docs/stress-model.md "Options"). A column that moves neither its price nor vol leaves the mark.
        const stressed = Math.max(f.mark + moved - intrinsic(f.call, s, f.strike), f.american ? moved : 0);
        const expected = m === 0 && !text.includes('vol=') ? 0 : f.qty * 100 * (stressed - f.mark);
        expect(f.pnl[j], `${f.conId} ${text}`).toBeCloseTo(expected, 2);
      });
    }
    // An hour before the expiry the same book is not at intrinsic (time value, discounting): the check above tells.
    const early = optionFigures(live, EXPIRY - 3_600_000).find((f) => f.conId === FRONT_AAPL_CALL)!;
    const fall = TEXTS.indexOf('px:STK=-10%');
    expect(Math.abs(early.pnl[fall]! - 4 * 100 * (0 - intrinsic(true, early.underlying, 220)))).toBeGreaterThan(0.05);
  }, 90_000);

  it("the simulator stops listing today's expiry at 16:00 New York: contract details by description find only later expiries", async () => {
    const { ib } = await connectNext(live.sim.port, 77);
    try {
      const details = await ib.getContractDetails({ symbol: 'AAPL', secType: SecType.OPT, currency: 'USD', exchange: 'SMART' });
      expect(live.sim.now()).toBeGreaterThan(EXPIRY);
      expect(details.map((d) => d.contract.lastTradeDateOrContractMonth).sort()).toEqual(['20260618', '20260618']);
    } finally {
      disconnectAll(ib);
    }
  }, 30_000);
});
