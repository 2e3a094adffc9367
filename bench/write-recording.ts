// Benchmark setup: writes the synthetic stream as a gzip recording through the real writer and recorder.
import { performance } from 'node:perf_hooks';
import { statSync } from 'node:fs';
import { reduce } from '../src/model/reducer.js';
import { INITIAL_STATE } from '../src/model/state.js';
import { FlightRecorder } from '../src/streams/recorder.js';
import { RecordingWriter } from '../src/streams/recording/writer.js';
import { peakRssMb, report } from './measure.js';
import { syntheticEvents } from './synthetic.js';

const file = process.argv[2];
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
if (!file) throw new Error('usage: write-recording.js FILE');
const t0 = performance.now();
const writer = new RecordingWriter({
  file,
  gzip: true,
  appVersion: 'bench',
  source: 'synthetic',
  account: 'DU1234567',
  baseCurrency: 'USD',
  startedAtMs: Date.UTC(2026, 10, 23, 14, 30),
});
const recorder = new FlightRecorder(writer, { everyEvents: 5000, everyMs: 60_000 });
let state = INITIAL_STATE;
let n = 0;
for (const ev of syntheticEvents({ events: EVENTS, positions: 2000 })) {
  state = reduce(state, ev);
  recorder.record(ev, state);
  // Let the compressor drain now and then, as a live session's idle time would.
  if (++n % 20_000 === 0) await new Promise((r) => setImmediate(r));
}
await recorder.close('bench', state, state.lastEventAt);
const ms = performance.now() - t0;
report([
  {
    name: 'recorder',
    metric: 'events/s written (reduce + gzip recording)',
    value: Math.round(EVENTS / (ms / 1000)),
    unit: 'events/s',
    extra: { bytes: statSync(file).size, bytesPerEvent: Math.round(statSync(file).size / EVENTS), peakRssMb: Math.round(peakRssMb()) },
  },
]);
