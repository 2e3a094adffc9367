// The pricing worker: a rebuild priced by the main thread and a worker equals one priced on the main thread alone, bit for bit.
import { afterAll, describe, expect, it } from 'vitest';
import { reduceAll } from '../../src/model/reducer.js';
import { buildStressGrid, evaluateShocks, rebuildStressGrid, type StressGrid } from '../../src/risk/grid.js';
import { resolveStressParams, stressParams } from '../../src/risk/params.js';
import { lastSharedPricing, prepriceOptions, pricingWorkerReady, pricingWorkerRunning, stopPricingWorker } from '../../src/risk/price-pool.js';
import { riskNavigatorScenarios } from '../../src/risk/scenario-text.js';
import { riskBookEvents } from '../../bench/risk-book.js';

const NOW = Date.UTC(2026, 10, 23, 15, 0);
const book = riskBookEvents({ positions: 700, options: 300, underlyings: 40, now: NOW, seed: 5 });
const state = reduceAll(book.events);
const shocks = riskNavigatorScenarios(['STK', 'FUT', 'BOND']).map((s) => s.shocks);
// A cash dividend before expiry on a few underlyings: their American options take the lattice on the main thread.
const exDate = new Date(NOW + 20 * 86_400_000).toISOString().slice(0, 10);
const dividends = Object.fromEntries(book.underlyings.slice(0, 5).map((u) => [u.symbol, [{ exDate, amount: u.price * 0.01 }]]));

/** Every vector and sum of two grids, compared exactly (Object.is on every element). */
function expectSameGrid(a: StressGrid, b: StressGrid): void {
  for (const key of ['pnl', 'groupMaint', 'groupInit', 'pnlSum', 'nlvSum', 'maintS', 'initS', 'maintC', 'initC'] as const) {
    const x = a[key],
      y = b[key];
    expect(x.length, key).toBe(y.length);
    let diff = -1;
    for (let i = 0; i < x.length && diff < 0; i++) if (!Object.is(x[i], y[i])) diff = i;
    expect(diff, `${key} differs at ${diff}`).toBe(-1);
  }
}

afterAll(() => stopPricingWorker());

describe('pricing worker', () => {
  it('a book below pricingWorkerMinOptions, or with it at 0, never starts the worker', async () => {
    await stopPricingWorker();
    buildStressGrid(state, shocks, stressParams({ now: NOW })); // 300 options, below the default 1,000
    buildStressGrid(state, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 0 }));
    expect(pricingWorkerRunning()).toBe(false);
  });

  it('a rebuild shared with the worker equals one on the main thread alone, every element, lattice options included', async () => {
    for (const marginMethod of ['regT', 'portfolio'] as const) {
      const alone = buildStressGrid(state, shocks, stressParams({ now: NOW, dividends, marginMethod, pricingWorkerMinOptions: 0 }));
      const shared = buildStressGrid(state, shocks, stressParams({ now: NOW, dividends, marginMethod, pricingWorkerMinOptions: 100 }));
      expect(pricingWorkerRunning()).toBe(true);
      expectSameGrid(shared, alone);
      // The worker starts and warms up while the first rebuilds run (they price alone), and takes chunks only when it
      // gets a core: rebuild until it has priced some (a generous deadline, no sleep), each rebuild equal to the main
      // thread's alone, and each one after the worker said it was ready shared with it.
      const deadline = performance.now() + 60_000;
      let byWorker = 0;
      while (byWorker === 0 && performance.now() < deadline) {
        const ready = pricingWorkerReady();
        rebuildStressGrid(shared, state);
        const last = lastSharedPricing();
        if (ready) expect(last.records).toBeGreaterThan(250); // every option but the lattice's
        byWorker = last.byWorker;
        expectSameGrid(shared, alone);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(byWorker).toBeGreaterThan(0);
      // The liquidation search's own columns never read the rebuild's prices.
      const extra = shocks.slice(3, 9);
      expect(evaluateShocks(shared, extra)).toEqual(evaluateShocks(alone, extra));
    }
  });

  it('a rebuild that throws while the worker holds its job leaves it no buffer of a later job to write to', async () => {
    const alone = buildStressGrid(state, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 0 }));
    const shared = buildStressGrid(state, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 100 }));
    const deadline = performance.now() + 60_000;
    while (!pricingWorkerReady() && performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(pricingWorkerReady()).toBe(true);
    const { book: b, groups, shockOf, cols, params, scratch } = shared;
    const outOf = (): Float64Array => scratch.prepriced!.out;
    let aborted: Float64Array | undefined;
    // A group's revaluation throws: the job is posted and the worker may be pricing it still.
    const run = () =>
      prepriceOptions(
        b,
        groups,
        shockOf,
        cols,
        params,
        scratch,
        () => undefined,
        () => {
          aborted = outOf();
          throw new Error('revaluation failed');
        },
      );
    expect(run).toThrow('revaluation failed');
    scratch.prepriced = undefined;
    let next: Float64Array | undefined;
    expect(
      prepriceOptions(
        b,
        groups,
        shockOf,
        cols,
        params,
        scratch,
        () => undefined,
        () => (next ??= outOf()),
      ),
    ).toBe(true);
    scratch.prepriced = undefined;
    expect(aborted).toBeDefined();
    expect(next!.buffer).not.toBe(aborted!.buffer);
    rebuildStressGrid(shared, state);
    expectSameGrid(shared, alone);
  });

  it('pricingWorkerMinOptions is checked like every parameter', () => {
    const r = resolveStressParams({ now: NOW, pricingWorkerMinOptions: -1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain('pricingWorkerMinOptions: -1 is outside [0, Infinity]');
  });
});
