// npm run bench: runs each benchmark in its own process, prints a table and writes JSON under bench/results/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './measure.js';
import { productNodeFlags } from './node-flags.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

const NODE_FLAGS = productNodeFlags();
const only = process.argv.slice(2);

/*
 * One bench's failure (a consistency check that threw, a tool missing) is reported as a failed row and the others
 * still run: a 15-minute run is not thrown away for one of its parts. `npm run bench` then exits 1.
 */
const failed: string[] = [];
function child(script: string, args: string[] = []): BenchResult[] {
  // Only the benches named on the command line, when any are (`npm run bench -- risk console`).
  const name = script.replace(/\.js$/, '');
  const needed = name === 'write-recording' ? ['write-recording', 'reader', 'replay', 'seek', 'big-recording'] : [name];
  if (only.length > 0 && !needed.some((n) => only.includes(n))) return [];
  const r = spawnSync(process.execPath, [...NODE_FLAGS, join(here, script), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('BENCH '));
  if (r.status !== 0 || lines.length === 0) {
    failed.push(`${script} ${r.status !== 0 ? `failed with ${r.status ?? r.signal}` : 'printed no result'}`);
    return [
      {
        name: script.replace(/\.js$/, ''),
        metric: r.status !== 0 ? `FAILED (exit ${r.status ?? r.signal}; its output above)` : 'FAILED (no result)',
        value: NaN,
        unit: '',
        pass: false,
      },
    ];
  }
  return lines.flatMap((l) => JSON.parse(l.slice(6)) as BenchResult[]);
}

process.stdout.write(`node flags: ${NODE_FLAGS.join(' ') || '(none)'}\n`);
const tmp = mkdtempSync(join(tmpdir(), 'tws-risk-bench-'));
const results: BenchResult[] = [];
try {
  results.push(...child('startup.js'));
  results.push(...child('reducer.js'));
  const rec = join(tmp, 'synthetic.jsonl.gz');
  results.push(...child('write-recording.js', [rec]));
  results.push(...child('reader.js', [rec]));
  results.push(...child('replay.js', [rec]));
  results.push(...child('seek.js', [rec]));
  results.push(...child('big-recording.js', [rec]));
  results.push(...child('risk.js'));
  results.push(...child('risk-pass.js'));
  results.push(...child('live.js'));
  results.push(...child('render.js'));
  results.push(...child('console.js'));
  results.push(...child('sim.js'));
  results.push(...child('keys.js'));
  results.push(...child('fleet.js'));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const fmt = (n: number) => n.toLocaleString('en-US');
const rows = results.map((r) => [r.name, r.metric, `${fmt(r.value)} ${r.unit}`, r.target ?? '', r.pass === undefined ? '' : r.pass ? 'ok' : 'MISSED']);
const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((row) => row[i]!.length), ['bench', 'metric', 'value', 'target', ''][i]!.length));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
process.stdout.write(`${line(['bench', 'metric', 'value', 'target', ''])}\n`);
for (const row of rows) process.stdout.write(`${line(row)}\n`);

const out = join(root, 'bench', 'results');
mkdirSync(out, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const doc = { at: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, results };
writeFileSync(join(out, `bench-${stamp}.json`), JSON.stringify(doc, null, 2));
writeFileSync(join(out, 'latest.json'), JSON.stringify(doc, null, 2));
process.stdout.write(`\nwrote bench/results/bench-${stamp}.json\n`);
if (failed.length > 0) process.stdout.write(`failed: ${failed.join('; ')}\n`);
if (results.some((r) => r.pass === false)) process.exitCode = 1;
