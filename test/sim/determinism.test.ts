// A seed and the virtual clock make a run reproducible: same seed, same virtual time → same market and
// account, whatever the speed and whatever clients ask for.
import { describe, it, expect } from 'vitest';
import { EventName } from '@stoqey/ib';
import { Market } from '../../src/sim/market.js';
import { buildUniverse } from '../../src/sim/instruments.js';
import { connectApi, startTestSim, waitFor } from './helpers.js';

const START = Date.parse('2026-03-02T14:30:00Z');
const universe = buildUniverse(START);
const AAPL = universe.find((i) => i.conId === 265598)!;

function path(seed: number, steps: number, quoteEveryStep: boolean): number[] {
  const m = new Market(universe, { tickMs: 250, volScale: 1, jumps: { perDay: 50, meanPct: 0, stdPct: 3 } }, seed, START);
  const out: number[] = [];
  for (let i = 1; i <= steps; i++) {
    m.step(START + i * 250);
    if (quoteEveryStep) for (const inst of universe) m.quote(inst);
    out.push(m.factorValue('AAPL')!, m.usdPer('CHF')!, m.quote(AAPL).mark);
  }
  return out;
}

describe('determinism', () => {
  it('the same seed gives the same path; quotes asked for do not consume randomness; another seed differs', () => {
    const a = path(42, 2_000, false);
    expect(path(42, 2_000, true)).toEqual(a);
    expect(path(43, 2_000, false)).not.toEqual(a);
  });

  it('a crash and an FX gap move exactly what they say', () => {
    const m = new Market(universe, { tickMs: 250, volScale: 0, jumps: null }, 1, START);
    const spx = m.factorValue('SPX')!;
    const cl = m.factorValue('CL')!;
    m.shockFactors({ kinds: ['equity', 'index'] }, -10);
    expect(m.factorValue('SPX')).toBeCloseTo(spx * 0.9, 9);
    expect(m.factorValue('CL')).toBe(cl);
    m.shockFx('CHF', 20, 'EUR');
    expect(m.rate('CHF', 'EUR')).toBeCloseTo((1.13 * 1.2) / 1.08, 12);
    m.shockFx('USD', 10, 'EUR');
    expect(m.rate('USD', 'EUR')).toBeCloseTo((1 / 1.08) * 1.1, 12);
  });

  it('two simulators with one seed agree after the same virtual time, even with a client and at different speeds', async () => {
    const a = await startTestSim({ speed: 0, seed: 5 });
    const b = await startTestSim({ speed: 200, seed: 5 });
    const { api, rec } = await connectApi(b.sim.port, 1);
    try {
      api.reqMktData(1, { conId: 734559211, exchange: 'SMART' }, '106', false, false);
      api.reqAccountUpdates(true, 'DU1234567');
      // Ticks sent are not ticks read: under load the client may read its first after the 30 virtual seconds.
      await waitFor(
        () => b.sim.now() - START >= 30_000 && rec.of(EventName.tickOptionComputation).length > 0,
        10_000,
        '30 virtual seconds at speed 200 and an option computation read',
      );
      b.sim.setSpeed(0);
      a.sim.advance(b.sim.now() - START);
      expect(a.sim.now()).toBe(b.sim.now());
      expect(rec.of(EventName.tickOptionComputation).length).toBeGreaterThan(0);
      const sa = a.sim.snapshot();
      const sb = b.sim.snapshot();
      expect(sb.positions).toEqual(sa.positions);
      expect(sb.accountValues).toEqual(sa.accountValues);
    } finally {
      api.disconnect();
      await Promise.all([a.sim.close(), b.sim.close()]);
    }
  });
});
