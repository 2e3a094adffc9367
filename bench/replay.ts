// Benchmark: `tws-risk replay` at max speed without rendering (the player with its verification scan), peak memory.
import { performance } from 'node:perf_hooks';
import { ReplayPlayer } from '../src/streams/replay/player.js';
import { peakRssMb, report } from './measure.js';

const file = process.argv[2];
if (!file) throw new Error('usage: replay.js FILE');
const t0 = performance.now();
// As the console opens it: header, index, state at the start, and the background scan for markers and integrity.
const player = await ReplayPlayer.open(file, { speed: 'max' });
let events = 0;
player.events$.subscribe(() => events++);
player.play();
await player.finished();
const ms = performance.now() - t0;
const integrity = await player.scanned();
const scanMs = performance.now() - t0;
const rate = events / (ms / 1000);
const rss = peakRssMb();
await player.close();
report([
  {
    name: 'replay',
    metric: 'events/s played at max speed, no rendering (verification scan running beside)',
    value: Math.round(rate),
    unit: 'events/s',
    extra: { events, ms: Math.round(ms), scanMs: Math.round(scanMs), integrity: integrity.state, markers: player.status().markers.length },
  },
  { name: 'replay', metric: 'peak RSS while playing', value: Math.round(rss), unit: 'MB', target: '< 200', pass: rss < 200 },
]);
