// Benchmark: the session's risk pass on the demo's book as its marks move, with the liquidation search reused or not.
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../src/sim/index.js';
import { createStressRunner } from '../src/session/stress-model.js';
import { Feed } from '../src/streams/feed.js';
import { TwsSource } from '../src/streams/tws/source.js';
import { report } from './measure.js';

/*
 * What the console pays once a second (issue 21 item 1): the demo's simulator (seed 1, the bench's pinned calendar)
 * at 10x, one pass every 100 ms, so each pass sees a virtual second of marks as the console's pass does. Two runners
 * take the same state in turn: the anchor searches again on every changed pass (searchMaxAgeMs 0, what the session
 * did before it reused searches), the other as the console runs it. Interleaved in one process, a busy machine slows
 * both alike; the value is the anchor's time over the console's. A third runner takes the same states as a frozen
 * console's pass for the alerts alone (display false: no curves, no model greeks), reported beside them.
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
  const anchor = createStressRunner({ searchMaxAgeMs: 0 });
  const reused = createStressRunner();
  const frozen = createStressRunner();
  const times = { anchor: [] as number[], reused: [] as number[], frozen: [] as number[] };
  for (let i = 0; i < PASSES; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const state = feed.state;
    const now = sim.now();
    // Alternate which goes first, so neither always runs on a warmer cache.
    const order = i % 2 === 0 ? (['anchor', 'reused', 'frozen'] as const) : (['frozen', 'reused', 'anchor'] as const);
    for (const k of order) {
      const t0 = performance.now();
      const r = k === 'anchor' ? anchor(state, now) : k === 'reused' ? reused(state, now) : frozen(state, now, false);
      const ms = performance.now() - t0;
      if (!r.ok) throw new Error(r.error);
      if (i >= 10) times[k].push(ms);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  report([
    {
      name: 'risk-pass',
      metric: 'risk pass on the demo book, marks moving: searching every pass / reusing the search (mean ms)',
      value: Number((mean(times.anchor) / mean(times.reused)).toFixed(2)),
      unit: '×',
      extra: {
        anchorMeanMs: Number(mean(times.anchor).toFixed(2)),
        anchorMedianMs: Number(median(times.anchor).toFixed(2)),
        reusedMeanMs: Number(mean(times.reused).toFixed(2)),
        reusedMedianMs: Number(median(times.reused).toFixed(2)),
        frozenMeanMs: Number(mean(times.frozen).toFixed(2)),
        frozenMedianMs: Number(median(times.frozen).toFixed(2)),
        passes: times.reused.length,
        searches: reused.stats.searches,
        confirmed: reused.stats.confirmed,
        subjectsSearched: reused.stats.subjectsSearched,
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
