// The pricing worker: a rebuild priced by the main thread and a worker equals one priced on the main thread alone, bit for bit.
import { afterAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../src/model/contract.js';
import type { FeedEvent } from '../../src/model/events.js';
import { Decimal } from '../../src/model/money.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { QUANTUM, openBook, type Book, type BookReading } from '../../src/risk/boundary.js';
import { buildStressGrid, evaluateShocks, rebuildStressGrid, updateStressGrid, type StressGrid } from '../../src/risk/grid.js';
import { resolveStressParams, stressParams } from '../../src/risk/params.js';
import {
  lastSharedPricing,
  prepriceOptions,
  pricingWorkerReady,
  pricingWorkerRunning,
  sharedJobControl,
  stopPricingWorker,
} from '../../src/risk/price-pool.js';
import { CHUNK, CLOSED, NEXT, POSTED, STATUS, WAITS } from '../../src/risk/price-worker.js';
import { revalueGroup } from '../../src/risk/revalue.js';
import { riskNavigatorScenarios } from '../../src/risk/scenario-text.js';
import { RISK_ACCOUNT, riskBookEvents, underlyingTick } from '../../bench/risk-book.js';
import { portfolio } from '../support/events.js';

const NOW = Date.UTC(2026, 10, 23, 15, 0);
const book = riskBookEvents({ positions: 700, options: 300, underlyings: 40, now: NOW, seed: 5 });
const state = reduceAll(book.events);
const otherState = reduceAll(riskBookEvents({ positions: 700, options: 300, underlyings: 40, now: NOW, seed: 9 }).events);
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

/** Until the worker has warmed up (a generous deadline, no sleep). */
async function untilReady(): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (!pricingWorkerReady() && performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  expect(pricingWorkerReady()).toBe(true);
}

describe('pricing worker', () => {
  it('a book below pricingWorkerMinOptions, or with it at 0, never starts the worker', async () => {
    await stopPricingWorker();
    buildStressGrid(state, shocks, stressParams({ now: NOW })); // 300 options, below the default 1,000
    buildStressGrid(state, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 0 }));
    expect(pricingWorkerRunning()).toBe(false);
  });

  it('a book whose option contracts pass pricingWorkerMinOptions but whose options cannot be priced (no implied vol) never starts the worker', async () => {
    await stopPricingWorker();
    // 300 option contracts, none with a model vol: every one is unpriced, held at its mark, nothing for a worker.
    const noVol = reduceAll(book.events.filter((e) => e.type !== 'optionComputed'));
    const grid = buildStressGrid(noVol, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 100 }));
    expect(grid.book.positions.filter((p) => p.cls.kind === 'option' && p.unpriced !== undefined).length).toBe(300);
    rebuildStressGrid(grid, noVol);
    expect(pricingWorkerRunning()).toBe(false);
    // The same contracts priced do start it.
    buildStressGrid(state, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 100 }));
    expect(pricingWorkerRunning()).toBe(true);
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
    await untilReady();
    const { groups, shockOf, cols, params, scratch } = shared;
    const outOf = (): Float64Array => scratch.prepriced!.out;
    let aborted: Float64Array | undefined;
    // A group's revaluation throws: the job is posted and the worker may be pricing it still.
    const run = () =>
      prepriceOptions(
        { reading: openBook(state, params, shared.book), groups, shocks: shockOf, cols, params, scratch },
        {
          read: () => undefined,
          meanwhile: () => undefined,
          optionGroup: () => {
            aborted = outOf();
            throw new Error('revaluation failed');
          },
        },
      );
    expect(run).toThrow('revaluation failed');
    scratch.prepriced = undefined;
    let next: Float64Array | undefined;
    expect(
      prepriceOptions(
        { reading: openBook(state, params, shared.book), groups, shocks: shockOf, cols, params, scratch },
        { read: () => undefined, meanwhile: () => undefined, optionGroup: () => (next ??= outOf()) },
      ),
    ).toBe(true);
    scratch.prepriced = undefined;
    expect(aborted).toBeDefined();
    expect(next!.buffer).not.toBe(aborted!.buffer);
    rebuildStressGrid(shared, state);
    expectSameGrid(shared, alone);
  });

  it('the worker prices records as the book is read, waits once it has caught up, and never claims one not posted', async () => {
    const params = stressParams({ now: NOW, pricingWorkerMinOptions: 100 });
    const alone = buildStressGrid(state, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 0 }));
    const shared = buildStressGrid(state, shocks, params);
    await untilReady();
    // Another book's job first: its records stay in the shared buffers, where a record claimed before it was
    // posted would be priced from (and the grid below would then differ from the main thread's).
    buildStressGrid(otherState, shocks, params);
    expect(lastSharedPricing().records).toBeGreaterThan(250);
    const reading = openBook(state, shared.params, shared.book);
    const tick = new Int32Array(new SharedArrayBuffer(4));
    let seenPosted = 0,
      seenWaits = 0,
      catchUps = 0;
    // Reads an option only once the worker has priced every record posted so far and waits for more: the count it
    // prices behind grows while it waits, chunk by chunk.
    const slow: BookReading = {
      ...reading,
      read: (i) => {
        const ctl = sharedJobControl()!;
        const posted = Atomics.load(ctl, POSTED);
        if (reading.classes[i]!.kind === 'option' && posted !== seenPosted) {
          const count = posted & (CLOSED - 1);
          const caughtUp = () => {
            for (let r = 0; r < count; r++) if (Atomics.load(ctl, STATUS + r) === 0) return false;
            return Atomics.load(ctl, WAITS) > seenWaits;
          };
          const deadline = performance.now() + 60_000;
          while (!caughtUp() && performance.now() < deadline) Atomics.wait(tick, 0, 0, 1);
          expect(caughtUp()).toBe(true);
          // Nothing past the posted count was claimed, let alone priced.
          expect(Atomics.load(ctl, NEXT)).toBeLessThanOrEqual(count);
          for (let r = count; r < ctl.length - STATUS; r++) expect(Atomics.load(ctl, STATUS + r)).toBe(0);
          seenPosted = posted;
          seenWaits = Atomics.load(ctl, WAITS);
          catchUps++;
        }
        return reading.read(i);
      },
    };
    const { groups, shockOf, cols, scratch } = shared;
    const n = cols.n;
    const pnl = new Float64Array(alone.pnl.length),
      maint = new Float64Array(alone.groupMaint.length),
      init = new Float64Array(alone.groupInit.length);
    let book: Book | undefined;
    const revalued: number[] = [];
    const priced = prepriceOptions(
      { reading: slow, groups, shocks: shockOf, cols, params: shared.params, scratch },
      {
        read: (b) => (book = b),
        meanwhile: () => undefined,
        optionGroup: (g) => {
          revalueGroup(book!, groups[g]!, shockOf, cols, shared.params, { pnl, byOrdinal: false, maint, init, at: g * n }, scratch);
          revalued.push(g);
        },
      },
    );
    scratch.prepriced = undefined;
    expect(priced).toBe(true);
    const last = lastSharedPricing();
    expect(last.records).toBeGreaterThan(250);
    expect(catchUps).toBeGreaterThanOrEqual(Math.floor(last.records / CHUNK));
    expect(last.workerWaits).toBeGreaterThanOrEqual(catchUps);
    // Every whole chunk was the worker's (the main thread read until it had priced them); the last, short one may not be.
    expect(last.byWorker).toBeGreaterThanOrEqual(Math.floor(last.records / CHUNK));
    expect(revalued).toEqual(groups.flatMap((g, gi) => (g.hasOptions ? [gi] : [])));
    for (const g of revalued) {
      for (const m of groups[g]!.members) expect(pnl.subarray(m * n, (m + 1) * n), `position ${m}`).toEqual(alone.pnl.subarray(m * n, (m + 1) * n));
      expect(maint.subarray(g * n, (g + 1) * n)).toEqual(alone.groupMaint.subarray(g * n, (g + 1) * n));
      expect(init.subarray(g * n, (g + 1) * n)).toEqual(alone.groupInit.subarray(g * n, (g + 1) * n));
    }
  });

  it('a read of the book that throws after the job is posted closes it, and the next rebuild shares the pricing again, equal to the main thread alone', async () => {
    const params = stressParams({ now: NOW, pricingWorkerMinOptions: 100 });
    const alone = buildStressGrid(state, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 0 }));
    const shared = buildStressGrid(state, shocks, params);
    await untilReady();
    const reading = openBook(state, shared.params, shared.book);
    let options = 0;
    let ctl: Int32Array | undefined;
    const failing: BookReading = {
      ...reading,
      read: (i) => {
        ctl = sharedJobControl();
        if (reading.classes[i]!.kind === 'option' && ++options > 100) throw new Error('bad row');
        return reading.read(i);
      },
    };
    const { groups, shockOf, cols, scratch } = shared;
    const run = () =>
      prepriceOptions(
        { reading: failing, groups, shocks: shockOf, cols, params: shared.params, scratch },
        { read: () => undefined, meanwhile: () => undefined, optionGroup: () => undefined },
      );
    expect(run).toThrow('bad row');
    expect(scratch.prepriced).toBeUndefined();
    // Closed: the count is final and no chunk is left to claim, so a worker waiting for more records stops.
    expect(Atomics.load(ctl!, POSTED) & CLOSED).toBe(CLOSED);
    expect(Atomics.load(ctl!, NEXT)).toBeGreaterThanOrEqual(Atomics.load(ctl!, POSTED) & (CLOSED - 1));
    expect(pricingWorkerRunning()).toBe(true);
    const deadline = performance.now() + 60_000;
    let byWorker = 0;
    while (byWorker === 0 && performance.now() < deadline) {
      rebuildStressGrid(shared, state);
      expect(sharedJobControl()).not.toBe(ctl);
      byWorker = lastSharedPricing().byWorker;
      expectSameGrid(shared, alone);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(byWorker).toBeGreaterThan(0);
  });

  it('an update after a rebuild shared with the worker equals a fresh rebuild on the main thread alone', async () => {
    const params = stressParams({ now: NOW, pricingWorkerMinOptions: 100 });
    const shared = buildStressGrid(state, shocks, params);
    await untilReady();
    // A rebuild the worker took part in (a generous deadline, no sleep), then ticks revalued on the main thread.
    const deadline = performance.now() + 60_000;
    do rebuildStressGrid(shared, state);
    while (lastSharedPricing().byWorker === 0 && performance.now() < deadline);
    expect(lastSharedPricing().byWorker).toBeGreaterThan(0);
    let s = state,
      seq = 1_000_000;
    for (const [u, move] of [
      [3, 0.004],
      [11, -0.02],
    ] as const) {
      const tick = underlyingTick(book, u, move, NOW + 1000, ++seq);
      seq += tick.length;
      for (const e of tick) s = reduce(s, e);
      expect(
        updateStressGrid(
          shared,
          s,
          NOW + 1000,
          tick.map((e) => ('conId' in e ? e.conId : 0)),
        ).rebuilt,
      ).toBe(false);
    }
    expectSameGrid(shared, buildStressGrid(s, shocks, stressParams({ now: NOW + 1000, pricingWorkerMinOptions: 0 })));
  });

  it('an option on a STIR future is left to the main thread, which adds the rate shock in points: shared equals alone', async () => {
    // Ten SR3 calls, deep in the money (strike 90, future 96): under +50 bp each loses 0.50 × 2,500 = 1,250.
    const sr3 = { symbol: 'SR3', currency: 'USD', exchange: 'CME', multiplier: new Decimal(2500) };
    const at = NOW - 1000;
    let seq = 2_000_000;
    const extra: FeedEvent[] = [];
    for (let k = 0; k < 10; k++) {
      const conId = 9_000_000 + k;
      const c: Contract = { conId, secType: 'FOP', expiry: '20270312', strike: new Decimal(90), right: 'C', ...sr3 };
      extra.push({ ...portfolio(RISK_ACCOUNT, c, '1', '6'), seq: ++seq, receivedAt: at } as FeedEvent);
      extra.push({ type: 'optionComputed', conId, kind: 'model', delayed: false, impliedVol: 0.01, underlyingPrice: 96, seq: ++seq, receivedAt: at });
    }
    const withSr3 = reduceAll([...book.events, ...extra]);
    const alone = buildStressGrid(withSr3, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 0 }));
    const shared = buildStressGrid(withSr3, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 100 }));
    await untilReady();
    const deadline = performance.now() + 60_000;
    do rebuildStressGrid(shared, withSr3);
    while (lastSharedPricing().byWorker === 0 && performance.now() < deadline);
    expect(lastSharedPricing().byWorker).toBeGreaterThan(0);
    expectSameGrid(shared, alone);
    const j = shared.cols.shocks.findIndex((x) => x.rates === 0.005 && x.vol === 0 && Object.keys(x.px).length === 0);
    const n = shared.cols.n;
    for (let k = 0; k < 10; k++) {
      const i = shared.positionIndex.get(9_000_000 + k)!;
      expect(shared.pnl[i * n + j]! * QUANTUM).toBeCloseTo(-1_250, 2);
    }
  });

  it('pricingWorkerMinOptions is checked like every parameter', () => {
    const r = resolveStressParams({ now: NOW, pricingWorkerMinOptions: -1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain('pricingWorkerMinOptions: -1 is outside [0, Infinity]');
  });
});
