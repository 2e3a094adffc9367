// Benchmark: the simulator's steady cost with one console-like client attached, per simulated second and per real second.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EventName, IBApi, type Contract } from '@stoqey/ib';
import { startSimulator } from '../src/sim/index.js';
import { SUMMARY_TAGS } from '../src/streams/tws/subscriptions.js';
import { PRODUCT_BIN, report, type BenchResult } from './measure.js';
import { productNodeFlags } from './node-flags.js';
import { CLK_TCK, cpuTicks } from './proc.js';

/*
 * Two figures (issue 21: the demo runs the simulator inside the console's process, so its steady cost is the console's):
 * - in process, manual clock: CPU of `advance()` per simulated second (market steps, pushes, socket writes), with the
 *   client's decoding outside the measured spans. Low noise: the figure to compare a change by.
 * - own process: `tws-risk sim` at speed 1 with the client attached, its CPU per real second from /proc/PID/stat
 *   (Linux) over windows after a warm-up, as the issue measures it against `top -d 1`.
 * BENCH_SIM_BIN runs another build's bin for the second (before/after pairs); BENCH_SIM_ONLY=inproc|process one part.
 */

const START = '2026-03-02T14:30:00Z';
const SPAN_S = Number(process.env.BENCH_SIM_SPAN_S ?? 120);
const ROUNDS = Number(process.env.BENCH_SIM_ROUNDS ?? 5);
const WARMUP_S = Number(process.env.BENCH_SIM_WARMUP_S ?? 10);
const WINDOW_S = Number(process.env.BENCH_SIM_WINDOW_S ?? 10);
const WINDOWS = Number(process.env.BENCH_SIM_WINDOWS ?? 5);
const ONLY = process.env.BENCH_SIM_ONLY;
const BIN = process.env.BENCH_SIM_BIN ?? PRODUCT_BIN;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function until(pred: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A raw client asking what the console asks for (src/streams/tws/subscriptions.ts), counting what it receives. */
async function consoleClient(port: number, account: string): Promise<{ api: IBApi; times: () => number; ticks: () => number }> {
  const api = new IBApi({ host: '127.0.0.1', port });
  let ready = false;
  let positionsDone = false;
  let times = 0;
  let ticks = 0;
  const contracts: Contract[] = [];
  api.on(EventName.error, () => {});
  api.once(EventName.nextValidId, () => (ready = true));
  api.on(EventName.position, (_a: string, c: Contract) => contracts.push(c));
  api.once(EventName.positionEnd, () => (positionsDone = true));
  api.on(EventName.currentTime, () => times++);
  api.on(EventName.tickPrice, () => ticks++);
  api.connect(61);
  await until(() => ready, 'nextValidId');
  api.reqAccountUpdates(true, account);
  api.reqPositions();
  api.reqAllOpenOrders();
  api.reqExecutions(9001, {});
  api.reqAccountSummary(9002, 'All', SUMMARY_TAGS);
  api.reqPnL(9003, account, '');
  await until(() => positionsDone, 'the positions');
  contracts.forEach((c, i) =>
    api.reqMktData(100 + i, { ...c, exchange: c.exchange || c.primaryExch || 'SMART' }, c.secType === 'STK' ? '456' : '', false, false),
  );
  return { api, times: () => times, ticks: () => ticks };
}

async function inProcess(): Promise<BenchResult> {
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 1, speed: 0, startTime: START, log: false });
  const c = await consoleClient(sim.port, sim.account);
  // Everything asked so far is answered before the clock moves; then each simulated second ends at a barrier.
  const barrier = async () => {
    const n = c.times();
    c.api.reqCurrentTime();
    await until(() => c.times() > n, 'the current-time barrier');
  };
  await barrier();
  const rounds: number[] = [];
  try {
    for (let r = 0; r < ROUNDS + 1; r++) {
      let us = 0;
      for (let s = 0; s < SPAN_S; s++) {
        const before = process.cpuUsage();
        sim.advance(1000);
        const d = process.cpuUsage(before);
        us += d.user + d.system;
        await barrier();
      }
      // The first round warms the code up (and fills the "last sent" caches): not counted.
      if (r > 0) rounds.push(us / 1000 / SPAN_S);
    }
    if (c.ticks() === 0) throw new Error('the client received no ticks');
  } finally {
    c.api.disconnect();
    await sim.close();
  }
  return {
    name: 'sim',
    metric: `simulator CPU per simulated second, manual clock, one console-like client (median of ${ROUNDS} x ${SPAN_S} s)`,
    value: Number(median(rounds).toFixed(3)),
    unit: 'ms/s',
    extra: { rounds: rounds.map((x) => x.toFixed(3)).join(' ') },
  };
}

async function ownProcess(): Promise<BenchResult> {
  const port = 20000 + (process.pid % 20000);
  const child: ChildProcess = spawn(
    process.execPath,
    [...productNodeFlags(), BIN, 'sim', '--port', String(port), '--control-port', '0', '--seed', '1', '--start', START],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let up = false;
  child.stderr!.on('data', (d: Buffer) => (up ||= d.toString().includes('TWS API on')));
  const windows: number[] = [];
  let c: Awaited<ReturnType<typeof consoleClient>> | undefined;
  try {
    await until(() => up, 'the simulator to listen');
    c = await consoleClient(port, 'DU1234567');
    await sleep(WARMUP_S * 1000);
    for (let w = 0; w < WINDOWS; w++) {
      const t0 = performance.now();
      const c0 = cpuTicks(child.pid!);
      await sleep(WINDOW_S * 1000);
      const ms = ((cpuTicks(child.pid!) - c0) * 1000) / CLK_TCK;
      windows.push(ms / ((performance.now() - t0) / 1000));
    }
    if (c.ticks() === 0) throw new Error('the client received no ticks');
  } finally {
    c?.api.disconnect();
    child.kill('SIGTERM');
  }
  return {
    name: 'sim',
    metric: `\`tws-risk sim\` CPU per real second, own process, one console-like client (median of ${WINDOWS} x ${WINDOW_S} s after ${WARMUP_S} s)`,
    value: Number(median(windows).toFixed(1)),
    unit: 'ms/s',
    extra: { windows: windows.map((x) => x.toFixed(1)).join(' '), load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') },
  };
}

const results: BenchResult[] = [];
if (ONLY !== 'process') results.push(await inProcess());
if (ONLY !== 'inproc') results.push(await ownProcess());
report(results);
process.exit(0);
