// Benchmark: the console's CPU and resident memory in a real 200x50 tmux pane, against `top -d 1` in the same session.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRODUCT_BIN, report, type BenchResult } from './measure.js';
import { shebangNodeFlags } from './node-flags.js';
import { CLK_TCK, cpuTicks, rssMb, threadTicks } from './proc.js';

/*
 * What the issue measures (issue 21): `tws-risk demo` in a 200x50 tmux pane, its CPU over a window after a warm-up,
 * read from /proc/PID/stat, as a ratio to `top -d 1` in a second window of the same session over the same window
 * (the anchor: another full-screen terminal program refreshing once a second, on the same loaded machine). Three
 * runs: the demo steady, the demo with the panes frozen (Space), and the console alone (`live` against `sim` in
 * another process: the demo's simulator runs inside the console's process and its CPU counts there). Resident
 * memory is read at the end of the steady run; BENCH_CONSOLE_MEMORY_S runs the demo longer for the memory figure
 * alone (the README's figure is after 5 minutes: BENCH_CONSOLE_MEMORY_S=300).
 */

const WARMUP_S = Number(process.env.BENCH_CONSOLE_WARMUP_S ?? 20);
const MEASURE_S = Number(process.env.BENCH_CONSOLE_S ?? 30);
const MEMORY_S = Number(process.env.BENCH_CONSOLE_MEMORY_S ?? 0);
const RUNS = (process.env.BENCH_CONSOLE_RUNS ?? 'steady,frozen,alone').split(',').filter(Boolean);
/** Extra Node flags for the console (e.g. a V8 flag under test), after the product's own. */
const EXTRA_FLAGS = (process.env.BENCH_CONSOLE_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
/** A pinned simulator calendar: the session looks the same whatever day the bench runs. */
const START = '2026-03-02T14:30:00Z';
const SOCKET = `tws-risk-bench-${process.pid}`;
const SIM_SOCKET = `${SOCKET}-sim`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** A new tmux server and session; once more after a moment if the server went away as it started (seen under load). */
async function startSession(args: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      tmux('new-session', ...args);
      return;
    } catch (e) {
      if (attempt === 3) throw e;
      spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
      await sleep(1000);
    }
  }
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Waits until `ok()` holds, up to a generous deadline (a loaded machine starts Node slowly). */
async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

interface Run {
  consoleCpu: number;
  /** The console's CPU by thread (proc.ts threadTicks), % of a core. */
  threads: { main: number; v8Workers: number; other: number };
  topCpu: number;
  simCpu?: number;
  rssMb: number;
}

async function run(kind: 'steady' | 'frozen' | 'alone', measureS: number, home: string): Promise<Run> {
  const node = [process.execPath, ...shebangNodeFlags(), ...EXTRA_FLAGS].map(shq).join(' ');
  const bin = shq(PRODUCT_BIN);
  const env = `HOME=${shq(home)} XDG_CONFIG_HOME=${shq(join(home, 'config'))} XDG_DATA_HOME=${shq(join(home, 'data'))} XDG_STATE_HOME=${shq(join(home, 'state'))}`;
  let simPid: number | undefined;
  let simPort = 0;
  const sim = kind === 'alone' ? spawnSim(home) : undefined;
  try {
    if (sim) {
      ({ pid: simPid, port: simPort } = await sim.ready);
    }
    // The console records, as a user's does (into the bench's own HOME).
    const cmd = kind === 'alone' ? `${bin} live --port ${simPort} --client-id 7` : `${bin} demo --start ${START}`;
    await startSession(['-d', '-s', 'bench', '-x', '200', '-y', '50', `exec env ${env} ${node} ${cmd}`]);
    tmux('new-window', '-d', '-t', 'bench', 'exec top -d 1');
    const consolePid = Number(tmux('display', '-p', '-t', 'bench:0', '#{pane_pid}'));
    const topPid = Number(tmux('display', '-p', '-t', 'bench:1', '#{pane_pid}'));
    await until('the console to draw its panes', () => tmux('capture-pane', '-p', '-t', 'bench:0').includes('Positions'));
    if (kind === 'frozen') {
      tmux('send-keys', '-t', 'bench:0', 'Space');
      await until('FROZEN on the status bar', () => tmux('capture-pane', '-p', '-t', 'bench:0').includes('FROZEN'), 10_000);
    }
    await sleep(WARMUP_S * 1000);
    const c0 = cpuTicks(consolePid);
    const th0 = threadTicks(consolePid);
    const t0 = cpuTicks(topPid);
    const s0 = simPid ? cpuTicks(simPid) : 0;
    const w0 = performance.now();
    await sleep(measureS * 1000);
    const secs = (performance.now() - w0) / 1000;
    const pct = (ticks: number) => (ticks / CLK_TCK / secs) * 100;
    const th1 = threadTicks(consolePid);
    const out: Run = {
      consoleCpu: pct(cpuTicks(consolePid) - c0),
      threads: { main: pct(th1.main - th0.main), v8Workers: pct(th1.v8Workers - th0.v8Workers), other: pct(th1.other - th0.other) },
      topCpu: pct(cpuTicks(topPid) - t0),
      rssMb: rssMb(consolePid),
      ...(simPid ? { simCpu: pct(cpuTicks(simPid) - s0) } : {}),
    };
    if (!tmux('capture-pane', '-p', '-t', 'bench:0').includes('Positions')) throw new Error(`${kind}: the console is no longer drawing`);
    return out;
  } finally {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    if (sim) sim.stop();
  }
}

/** `tws-risk sim` in its own process on a free port, its port read from its first log line. */
function spawnSim(home: string): { ready: Promise<{ pid: number; port: number }>; stop: () => void } {
  const log = join(home, 'sim.log');
  writeFileSync(log, '', { mode: 0o600 });
  const node = [process.execPath, ...shebangNodeFlags()].map(shq).join(' ');
  // In tmux too, on its own server (the console's is killed and started again between runs), so it ends with the bench.
  const sim = `exec ${node} ${shq(PRODUCT_BIN)} sim --port 0 --control-port 0 --start ${START} 2>${shq(log)}`;
  const r = spawnSync('tmux', ['-L', SIM_SOCKET, 'new-session', '-d', '-s', 'sim', sim], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux: the simulator did not start: ${r.stderr.trim()}`);
  const ready = (async () => {
    let port = 0;
    await until('the simulator to listen', () => {
      const m = /127\.0\.0\.1:(\d+)/.exec(readFileSync(log, 'utf8'));
      if (m) port = Number(m[1]);
      return port > 0;
    });
    return { pid: Number(spawnSync('tmux', ['-L', SIM_SOCKET, 'display', '-p', '-t', 'sim:0', '#{pane_pid}'], { encoding: 'utf8' }).stdout.trim()), port };
  })();
  return { ready, stop: () => spawnSync('tmux', ['-L', SIM_SOCKET, 'kill-server']) };
}

const results: BenchResult[] = [];
const home = mkdtempSync(join(tmpdir(), 'tws-risk-bench-console-'));
try {
  for (const kind of RUNS as ('steady' | 'frozen' | 'alone')[]) {
    const r = await run(kind, MEASURE_S, home);
    const ratio = r.consoleCpu / r.topCpu;
    const target = kind === 'frozen' ? 2 : 5;
    results.push({
      name: 'console',
      metric: `CPU of ${kind === 'alone' ? '`live` against `sim` in another process' : kind === 'frozen' ? 'the demo, panes frozen' : 'the demo, steady'}, 200x50 tmux, ${MEASURE_S} s after ${WARMUP_S} s, vs \`top -d 1\``,
      value: Number(ratio.toFixed(1)),
      unit: '× top',
      ...(kind === 'alone' ? {} : { target: `≤ ${target}×`, pass: ratio <= target }),
      extra: {
        consoleCpuPercent: Number(r.consoleCpu.toFixed(2)),
        topCpuPercent: Number(r.topCpu.toFixed(2)),
        // Where the console's share goes: its main thread, V8's workers (GC and compilation), the rest.
        mainThreadCpuPercent: Number(r.threads.main.toFixed(2)),
        v8WorkersCpuPercent: Number(r.threads.v8Workers.toFixed(2)),
        otherThreadsCpuPercent: Number(r.threads.other.toFixed(2)),
        rssMb: Math.round(r.rssMb),
        ...(r.simCpu !== undefined ? { simCpuPercent: Number(r.simCpu.toFixed(2)) } : {}),
      },
    });
  }
  if (MEMORY_S > 0) {
    const r = await run('steady', MEMORY_S, home);
    results.push({
      name: 'console',
      metric: `resident memory of the demo after ${WARMUP_S + MEMORY_S} s, 200x50 tmux`,
      value: Math.round(r.rssMb),
      unit: 'MB',
      target: '≤ 150',
      pass: r.rssMb <= 150,
      extra: { consoleCpuPercent: Number(r.consoleCpu.toFixed(2)), topCpuPercent: Number(r.topCpu.toFixed(2)) },
    });
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
report(results);
