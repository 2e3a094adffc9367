// Benchmark: the session's risk pass on the demo's book as its marks move, with the liquidation search reused or not.
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startSimulator } from '../src/sim/index.js';
import { DEFAULT_ALERT_CONFIG } from '../src/risk/alerts/config.js';
import { distanceLimitsOf } from '../src/risk/alerts/rules/stress.js';
import { createStressRunner, type RiskFunction } from '../src/session/stress-model.js';
import { Feed } from '../src/streams/feed.js';
import { TwsSource } from '../src/streams/tws/source.js';
import { report } from './measure.js';

/*
 * What the console pays once a second (issue 21 item 1): the demo's simulator (seed 1, the bench's pinned calendar)
 * at 10x, one pass every 100 ms, so each pass sees a virtual second of marks as the console's pass does. Two runners
 * take the same state in turn: the anchor searches again on every changed pass (searchMaxAgeMs 0, what the session
 * did before it reused searches), the other as the console runs it. Interleaved in one process, a busy machine slows
 * both alike; the value is the anchor's time over the console's. A third runner takes the same states as a frozen
 * console's pass for the alerts alone (display false: no curves, no model greeks, the distances only as far as the
 * default alert levels, as the console gives them), reported beside them, and a fourth the same pass searching its
 * distances in full (what a frozen pass did before it was given the levels). A drawn pass
 * is timed with one subject's curve read, as the Stress pane charts one.
 *
 * BENCH_RISK_BEFORE: the dist/ directory of another build (an earlier commit's, built in a scratch copy); its runner
 * takes the same states in the same process, steady and frozen, so a change to the pass is measured as a same-process
 * before/after pair rather than across two runs of a shared machine.
 */

const PASSES = Number(process.env.BENCH_RISK_PASSES ?? 120);

async function waitUntil(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sim = await startSimulator({ port: 0, controlPort: null, seed: 1, speed: 10, startTime: '2026-03-02T14:30:00Z', log: false });
const source = new TwsSource({ host: '127.0.0.1', port: sim.port, clientId: 52, openOrdersPollMs: 0 });
const feed = new Feed(source.events$);
source.start();
try {
  await waitUntil(() => {
    const s = feed.state;
    const options = [...s.portfolio.values()].filter((r) => ['OPT', 'FOP'].includes(r.contract.secType));
    return (
      s.health === 'ready' &&
      s.complete.accountDownload &&
      s.complete.positions &&
      options.length > 0 &&
      options.every((r) => s.options.get(r.contract.conId)?.impliedVol !== undefined)
    );
  }, 30_000);
  const beforeDir = process.env.BENCH_RISK_BEFORE;
  const before = beforeDir
    ? ((await import(pathToFileURL(join(resolve(beforeDir), 'src/session/stress-model.js')).href)) as { createStressRunner: typeof createStressRunner })
        .createStressRunner
    : undefined;
  const runners: Record<string, { readonly run: RiskFunction; readonly display: boolean }> = {
    anchor: { run: createStressRunner({ searchMaxAgeMs: 0 }), display: true },
    reused: { run: createStressRunner(), display: true },
    frozen: { run: createStressRunner({ alertLimits: distanceLimitsOf(DEFAULT_ALERT_CONFIG) }), display: false },
    frozenWhole: { run: createStressRunner(), display: false },
    ...(before ? { beforeReused: { run: before(), display: true }, beforeFrozen: { run: before(), display: false } } : {}),
  };
  const names = Object.keys(runners);
  const times: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, [] as number[]]));
  for (let i = 0; i < PASSES; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const state = feed.state;
    const now = sim.now();
    // Alternate which goes first, so neither always runs on a warmer cache.
    const order = i % 2 === 0 ? names : [...names].reverse();
    for (const k of order) {
      const { run, display } = runners[k]!;
      const t0 = performance.now();
      const r = run(state, now, display);
      // A drawn pass is read as the Stress pane reads it: one subject charted (the curves are computed when read).
      if (r.ok && display) void r.model.subjects.find((s) => s.kind !== 'crash')?.curve.length;
      const ms = performance.now() - t0;
      if (!r.ok) throw new Error(r.error);
      if (i >= 10) times[k]!.push(ms);
    }
  }
  const anchor = runners.anchor!.run as ReturnType<typeof createStressRunner>;
  const reused = runners.reused!.run as ReturnType<typeof createStressRunner>;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  report([
    {
      name: 'risk-pass',
      metric: 'risk pass on the demo book, marks moving: searching every pass / reusing the search (mean ms)',
      value: Number((mean(times.anchor!) / mean(times.reused!)).toFixed(2)),
      unit: '×',
      extra: {
        anchorMeanMs: Number(mean(times.anchor!).toFixed(2)),
        anchorMedianMs: Number(median(times.anchor!).toFixed(2)),
        reusedMeanMs: Number(mean(times.reused!).toFixed(2)),
        reusedMedianMs: Number(median(times.reused!).toFixed(2)),
        frozenMeanMs: Number(mean(times.frozen!).toFixed(2)),
        frozenMedianMs: Number(median(times.frozen!).toFixed(2)),
        frozenWholeMeanMs: Number(mean(times.frozenWhole!).toFixed(2)),
        frozenWholeMedianMs: Number(median(times.frozenWhole!).toFixed(2)),
        ...(before
          ? {
              beforeReusedMeanMs: Number(mean(times.beforeReused!).toFixed(2)),
              beforeReusedMedianMs: Number(median(times.beforeReused!).toFixed(2)),
              beforeFrozenMeanMs: Number(mean(times.beforeFrozen!).toFixed(2)),
              beforeFrozenMedianMs: Number(median(times.beforeFrozen!).toFixed(2)),
            }
          : {}),
        passes: times.reused!.length,
        searches: reused.stats.searches,
        confirmed: reused.stats.confirmed,
        subjectsSearched: reused.stats.subjectsSearched,
        subjectsWalked: reused.stats.subjectsWalked,
        unchanged: reused.stats.unchanged,
        anchorSearches: anchor.stats.searches,
      },
    },
  ]);
} finally {
  source.stop();
  await feed.close('bench');
  await sim.close();
}
