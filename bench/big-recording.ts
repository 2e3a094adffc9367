// Benchmark: verify, report --replay and replay --events of the big recording, as ratios to `gzip -dc | sha256sum` of it.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report, type BenchResult } from './measure.js';
import { shebangNodeFlags } from './node-flags.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(root, 'bin', 'tws-risk');
const file = process.argv[2];
if (!file) throw new Error('usage: big-recording.js FILE');
const ROUNDS = Number(process.env.BENCH_BIG_ROUNDS ?? 1);

const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
const node = [process.execPath, ...shebangNodeFlags(), BIN].map(q).join(' ');

interface Case {
  readonly name: string;
  readonly shell: string;
  readonly target?: number;
  /** Exit codes that are the command's verdict on the file, not a failure of the run. */
  readonly okCodes?: readonly number[];
}

// Each case is one shell pipeline under /usr/bin/time: wall seconds, CPU seconds (user + system, every process of the
// pipeline: on a loaded shared machine the wall ratio swings with the load, the CPU ratio much less) and the peak
// RSS of its largest process.
const CASES: readonly Case[] = [
  { name: 'gzip -dc | sha256sum', shell: `gzip -dc ${q(file)} | sha256sum > /dev/null` },
  { name: 'verify', shell: `${node} verify ${q(file)} > /dev/null`, target: 1.5 },
  // The synthetic recording has no positions snapshot: the report says so and exits 6, having done all its work.
  { name: 'report --replay', shell: `${node} report --replay ${q(file)} > /dev/null`, target: 1.5, okCodes: [6] },
  { name: 'replay --events', shell: `${node} replay ${q(file)} --events > /dev/null`, target: 2 },
];

interface Run {
  readonly s: number;
  readonly cpu: number;
  readonly rssMb: number;
}

function once(c: Case): Run {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', 'sh', '-c', c.shell], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if ((r.status !== 0 && !(c.okCodes ?? []).includes(r.status ?? -1)) || !m) throw new Error(`${c.name} failed (${r.status}): ${r.stderr.slice(-500)}`);
  return { s: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024 };
}

// Rounds interleave the cases, so that the anchor and each command see the same load on a shared machine.
const runs = new Map<string, Run[]>(CASES.map((c) => [c.name, []]));
for (let r = 0; r < ROUNDS; r++) for (const c of CASES) runs.get(c.name)!.push(once(c));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const anchor = median(runs.get(CASES[0]!.name)!.map((x) => x.s));
const anchorCpu = median(runs.get(CASES[0]!.name)!.map((x) => x.cpu));
const results: BenchResult[] = [];
for (const c of CASES) {
  const s = median(runs.get(c.name)!.map((x) => x.s));
  const cpu = median(runs.get(c.name)!.map((x) => x.cpu));
  const rss = Math.max(...runs.get(c.name)!.map((x) => x.rssMb));
  if (c.target === undefined) {
    results.push({
      name: 'big recording',
      metric: `${c.name} (the anchor), median of ${ROUNDS}`,
      value: Number(s.toFixed(1)),
      unit: 's',
      extra: { cpuSeconds: Number(cpu.toFixed(1)) },
    });
    continue;
  }
  const ratio = s / anchor;
  results.push({
    name: 'big recording',
    metric: `${c.name}, × gzip -dc | sha256sum`,
    value: Number(ratio.toFixed(2)),
    unit: '×',
    target: `<= ${c.target}×`,
    pass: ratio <= c.target,
    extra: { seconds: Number(s.toFixed(1)), cpuSeconds: Number(cpu.toFixed(1)), cpuRatio: Number((cpu / anchorCpu).toFixed(2)) },
  });
  results.push({ name: 'big recording', metric: `${c.name}, peak RSS`, value: Math.round(rss), unit: 'MB', target: '<= 150', pass: rss <= 150 });
}
report(results);
