// Benchmark: reader + reducer from a gzip recording (streamed, verified line by line), with peak memory.
import { performance } from 'node:perf_hooks';
import { reduce } from '../src/model/reducer.js';
import { INITIAL_STATE } from '../src/model/state.js';
import { readRecording } from '../src/streams/recording/reader.js';
import { peakRssMb, report } from './measure.js';

const file = process.argv[2];
if (!file) throw new Error('usage: reader.js FILE');
// CPU as well as wall: on a shared machine the wall time moves with the load far more than the CPU time does (the
// CPU counts zlib's inflating thread too).
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let state = INITIAL_STATE;
let events = 0;
for await (const item of readRecording(file, { skipKeyframeStates: true })) {
  if (item.kind === 'event') {
    state = reduce(state, item.event);
    events++;
  }
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
const rate = events / (ms / 1000);
const rss = peakRssMb();
report([
  {
    name: 'reader+reducer',
    metric: 'events/s from a gzip recording',
    value: Math.round(rate),
    unit: 'events/s',
    target: '>= 100,000',
    pass: rate >= 100_000,
    extra: { events, ms: Math.round(ms), cpuMs: Math.round(cpuMs), eventsPerCpuSecond: Math.round(events / (cpuMs / 1000)), positions: state.portfolio.size },
  },
  { name: 'reader+reducer', metric: 'peak RSS while reading', value: Math.round(rss), unit: 'MB', target: '< 200', pass: rss < 200 },
]);
