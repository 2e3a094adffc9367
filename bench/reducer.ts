// Benchmark: events per second through the reducer (1,000,000 synthetic events, 2,000 positions, 4 currencies).
import { performance } from 'node:perf_hooks';
import type { FeedEvent } from '../src/model/events.js';
import { reduce } from '../src/model/reducer.js';
import { INITIAL_STATE } from '../src/model/state.js';
import { peakRssMb, report } from './measure.js';
import { syntheticEvents } from './synthetic.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = 10_000;

let state = INITIAL_STATE;
let reduceMs = 0;
let batch: FeedEvent[] = [];
const flush = () => {
  const t0 = performance.now();
  for (const ev of batch) state = reduce(state, ev);
  reduceMs += performance.now() - t0;
  batch = [];
};
// Events are generated in batches outside the timed region, so only the fold is measured.
for (const ev of syntheticEvents({ events: EVENTS, positions: 2000 })) {
  batch.push(ev);
  if (batch.length === BATCH) flush();
}
flush();
const rate = EVENTS / (reduceMs / 1000);
report([
  {
    name: 'reducer',
    metric: 'events/s through the reducer',
    value: Math.round(rate),
    unit: 'events/s',
    target: '>= 200,000',
    pass: rate >= 200_000,
    extra: { events: EVENTS, positions: state.portfolio.size, ms: Math.round(reduceMs), peakRssMb: Math.round(peakRssMb()) },
  },
]);
