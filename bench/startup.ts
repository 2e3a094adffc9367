// Benchmark: start-up of the installed bin as users run it, as a ratio to `node -e 0` timed in the same rounds.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { report, type BenchResult } from './measure.js';
import { shebangNodeFlags } from './node-flags.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(root, 'bin', 'tws-risk');
const SAMPLE = join(root, 'recordings', 'sample-multicurrency.jsonl');
const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 7);

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
  /** Text on stdout that ends the measurement (the console's first frame); otherwise the process's exit does. */
  readonly until?: string;
  /** Run in a pseudo-terminal (script(1)), as the console needs one. */
  readonly tty?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  /** Against the ≤ 3× target (the product's own commands, as installed). */
  readonly target?: boolean;
  /** The process is node itself (not npm or npx in front of it): its CPU time is read too (see CPU_PRELOAD). */
  readonly cpu?: boolean;
}

/*
 * On a shared, loaded machine a wall-clock ratio says as much about the scheduler as about the program, so each node
 * case also reports the CPU time (user + system) its process used from its start to its end: the first frame (the
 * first write holding the case's `until` text) or its exit. A preload (NODE_OPTIONS=--require) reads
 * process.cpuUsage() there and appends it to a file; it changes nothing else the process does.
 */
const scratch = mkdtempSync(join(tmpdir(), 'tws-risk-bench-startup-'));
const CPU_PRELOAD = join(scratch, 'cpu-preload.cjs');
writeFileSync(
  CPU_PRELOAD,
  `'use strict';
const fs = require('node:fs');
const out = process.env.TWS_BENCH_CPU_OUT;
const until = process.env.TWS_BENCH_CPU_UNTIL;
let done = false;
const note = () => {
  if (done || !out) return;
  done = true;
  const c = process.cpuUsage();
  fs.appendFileSync(out, String((c.user + c.system) / 1000) + '\\n');
};
if (until) {
  const write = process.stdout.write;
  process.stdout.write = function (chunk, ...rest) {
    if (!done && String(chunk).includes(until)) note();
    return write.call(this, chunk, ...rest);
  };
}
process.on('exit', () => { if (!until) note(); });
`,
);

// The bin as its shebang starts it: the flags it sets later (LATE_V8_FLAGS) are its own business, timed here.
const node = [process.execPath, ...shebangNodeFlags()];
const DEMO = ['demo', '--no-record', '--start', '2026-03-02T14:30:00Z'];
// The unbundled build (dist/src), as the shim runs it when there is no bundle: the "before" of the bundle.
const UNBUNDLED = [
  ...node,
  '--input-type=module',
  '-e',
  `const c = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'src', 'cli.js')).href)}); process.exitCode = await c.main(process.argv.slice(1));`,
];
const CASES: readonly Case[] = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'], cpu: true },
  { name: '--help', argv: [...node, BIN, '--help'], cpu: true },
  { name: 'verify (sample recording)', argv: [...node, BIN, 'verify', SAMPLE], target: true, cpu: true },
  { name: 'replay --events (sample recording)', argv: [...node, BIN, 'replay', SAMPLE, '--events'], target: true, cpu: true },
  { name: 'demo to first frame', argv: [...node, BIN, ...DEMO], until: 'Positions', tty: true, target: true, cpu: true },
  { name: 'replay to first frame', argv: [...node, BIN, 'replay', SAMPLE, '--speed', '1'], until: 'Positions', tty: true, target: true, cpu: true },
  // What the bundle's parts are worth, and what the other ways of starting it add.
  {
    name: 'demo to first frame, no compile cache',
    argv: [...node, BIN, ...DEMO],
    until: 'Positions',
    tty: true,
    env: { NODE_DISABLE_COMPILE_CACHE: '1' },
    cpu: true,
  },
  { name: 'demo to first frame, unbundled dist/src', argv: [...UNBUNDLED, ...DEMO], until: 'Positions', tty: true, cpu: true },
  // Node's own script runner (22+): the package.json script without npm's start.
  { name: 'node --run demo to first frame', argv: [process.execPath, '--run', 'demo', '--', ...DEMO.slice(1)], until: 'Positions', tty: true },
  { name: 'npm run demo to first frame', argv: ['npm', 'run', '--silent', 'demo', '--', ...DEMO.slice(1)], until: 'Positions', tty: true },
  { name: 'npx tws-risk demo to first frame', argv: ['npx', '--offline', 'tws-risk', ...DEMO], until: 'Positions', tty: true },
];

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** Milliseconds from spawning the case to its end (exit, or the text it waits for); the child is stopped then. */
function once(c: Case, cpuOut: string): Promise<number> {
  const [cmd, ...args] = c.tty ? ['script', '-qfec', c.argv.map(quote).join(' '), '/dev/null'] : c.argv;
  const cpuEnv = c.cpu
    ? {
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${CPU_PRELOAD}`.trim(),
        TWS_BENCH_CPU_OUT: cpuOut,
        ...(c.until ? { TWS_BENCH_CPU_UNTIL: c.until } : {}),
      }
    : {};
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(cmd!, args, {
      cwd: root,
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, ...c.env, ...cpuEnv, COLUMNS: '120', LINES: '40' },
      detached: c.tty === true,
    });
    let seen = '';
    let finished = false;
    const end = (ms: number) => {
      if (finished) return;
      finished = true;
      if (c.tty && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      done(ms);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (!c.until) return;
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (seen.includes(c.until)) end(performance.now() - t0);
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      if (c.until && !finished) fail(new Error(`${c.name}: exited (${code}) before "${c.until}"`));
      else end(performance.now() - t0);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// Rounds interleave the cases, so that the anchor and each command see the same load on a shared machine.
const times = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
const cpuFile = (c: Case) => join(scratch, `cpu-${CASES.indexOf(c)}.txt`);
for (let r = 0; r < ROUNDS; r++) for (const c of CASES) times.get(c.name)!.push(await once(c, cpuFile(c)));
/** The CPU milliseconds each run of a case used to its end; [] for a case not measured (npm, npx). */
const cpuTimes = new Map(
  CASES.map((c) => {
    try {
      return [c, readFileSync(cpuFile(c), 'utf8').trim().split('\n').map(Number)];
    } catch {
      return [c, []];
    }
  }),
);
const cpuOf = (c: Case): number[] => cpuTimes.get(c) ?? [];
const anchorCpu = median(cpuOf(CASES[0]!));
rmSync(scratch, { recursive: true, force: true });
const anchor = median(times.get('node -e 0')!);
/** CPU to the end (median, ms) and its ratio to the anchor's: the steadier comparison on a loaded machine. */
function cpuExtra(c: Case): Record<string, number> {
  const cpu = cpuOf(c);
  if (cpu.length === 0) return {};
  const m = median(cpu);
  return { cpuMs: Math.round(m), ...(c !== CASES[0] ? { cpuRatio: Number((m / anchorCpu).toFixed(2)) } : {}) };
}
const results: BenchResult[] = CASES.map((c) => {
  const ms = median(times.get(c.name)!);
  const ratio = ms / anchor;
  const isAnchor = c.name === 'node -e 0';
  return {
    name: 'startup',
    metric: isAnchor ? `node -e 0 (the anchor), median of ${ROUNDS}` : `${c.name}, median of ${ROUNDS}, × node -e 0`,
    value: Number((isAnchor ? ms : ratio).toFixed(isAnchor ? 0 : 2)),
    unit: isAnchor ? 'ms' : '×',
    ...(c.target ? { target: '<= 3×', pass: ratio <= 3 } : {}),
    extra: {
      medianMs: Math.round(ms),
      minMs: Math.round(Math.min(...times.get(c.name)!)),
      maxMs: Math.round(Math.max(...times.get(c.name)!)),
      ...cpuExtra(c),
    },
  };
});
report(results);
process.exit(0);
