// Benchmark: seek latency in a long recording, as the replay player does it (nearest keyframe, then fold forward).
import { performance } from 'node:perf_hooks';
import { ReplayPlayer } from '../src/streams/replay/player.js';
import { loadIndex } from '../src/streams/replay/seek.js';
import { peakRssMb, report } from './measure.js';

const file = process.argv.at(-1);
if (!file || !file.includes('.jsonl')) throw new Error('usage: seek.js FILE');
const index = await loadIndex(file);
const last = index.at(-1)?.seq ?? 0;
const player = await ReplayPlayer.open(file, { scan: false });
const times: number[] = [];
/** CPU per seek (zlib's thread included): the wall time of one seek on a shared machine is mostly the load. */
const cpuTimes: number[] = [];
// Deterministic targets spread over the file, between keyframes (the worst case folds almost a full interval).
for (let i = 1; i <= 20; i++) {
  const seq = Math.floor((last * i) / 21) + 4_999;
  const t = performance.now();
  const c = process.cpuUsage();
  await player.seekTo({ seq });
  times.push(performance.now() - t);
  const u = process.cpuUsage(c);
  cpuTimes.push((u.user + u.system) / 1000);
}
/** Wall and CPU ms of one seek. */
async function timed(seq: number): Promise<[number, number]> {
  const t = performance.now();
  const c = process.cpuUsage();
  await player.seekTo({ seq });
  const u = process.cpuUsage(c);
  return [performance.now() - t, (u.user + u.system) / 1000];
}
// The short seeks a reviewer makes around one moment (markers, skipping on, going back a little): 10 keyframe
// intervals spread over the file, in each a seek 1,000 events past its keyframe (not measured), then 3,000 events
// ahead of it (folds on from the player's position) and back to 2,000 past the keyframe (the keyframe decoded for
// the first seek, reused).
const ahead: [number, number][] = [];
const back: [number, number][] = [];
const paths = new Set<string>();
for (let i = 1; i <= 10; i++) {
  const kf = index[Math.floor((index.length * i) / 11)]!.seq;
  await player.seekTo({ seq: kf + 1_000 });
  ahead.push(await timed(kf + 4_000));
  paths.add(`ahead:${player.lastSeek()?.from}`);
  back.push(await timed(kf + 2_000));
  paths.add(`back:${player.lastSeek()?.from}`);
}
await player.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const firstCpuMs = cpuTimes[0]!;
times.sort((a, b) => a - b);
cpuTimes.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
report([
  {
    name: 'replay seek',
    metric: 'seek to any point of a 1,000,000-event gzip recording, median',
    value: Number(q(0.5).toFixed(1)),
    unit: 'ms',
    target: '< 200',
    pass: q(0.5) < 200,
    extra: { keyframes: index.length, samples: times.length, cpuMedianMs: Math.round(cpuTimes[Math.floor(cpuTimes.length / 2)]!) },
  },
  {
    name: 'replay seek',
    metric: 'seek, worst of 20',
    value: Number(times.at(-1)!.toFixed(1)),
    unit: 'ms',
    target: '< 200',
    pass: times.at(-1)! < 200,
    extra: { peakRssMb: Math.round(peakRssMb()), cpuWorstMs: Math.round(cpuTimes.at(-1)!), firstCpuMs: Math.round(firstCpuMs) },
  },
  {
    name: 'replay seek',
    metric: 'seek 3,000 events ahead within a keyframe interval, median of 10',
    value: Number(median(ahead.map((x) => x[0])).toFixed(1)),
    unit: 'ms',
    extra: { cpuMedianMs: Math.round(median(ahead.map((x) => x[1]))), paths: [...paths].join(' ') },
  },
  {
    name: 'replay seek',
    metric: 'seek 2,000 events back within a keyframe interval, median of 10',
    value: Number(median(back.map((x) => x[0])).toFixed(1)),
    unit: 'ms',
    extra: { cpuMedianMs: Math.round(median(back.map((x) => x[1]))) },
  },
]);
