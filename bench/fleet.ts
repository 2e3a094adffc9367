// Benchmark: 200 accounts publishing events and summaries into one local nats-server; fleet update latency, reader CPU, stream bytes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { FeedEvent } from '../src/model/events.js';
import { readSummaries } from '../src/streams/nats/fleet.js';
import { NatsPublisher } from '../src/streams/nats/publisher.js';
import { ALL_SUMMARIES, DEFAULT_STREAM } from '../src/streams/nats/subjects.js';
import type { RiskSummary } from '../src/streams/nats/summary.js';
import { report, type BenchResult } from './measure.js';
import { productNodeFlags } from './node-flags.js';
import { syntheticEvents } from './synthetic.js';

/*
 * One process stands for 200 hosts: a real NatsPublisher (its own connection, buffer and JetStream acks) per account,
 * each sending its summary once a second (staggered, as independent hosts are) and EVENTS_PER_S synthetic FeedEvents
 * a second (the bench's synthetic mix: marks, ticks, greeks, account values, fills). The fleet reader is a second
 * process, so its CPU is its own: a live consumer of every summary subject, which is what keeps a fleet view current.
 * A summary's `at` is stamped (sub-millisecond, epoch) when it is handed to the publisher; the reader's receipt time
 * minus it is the update latency: the publisher's queue, JetStream's store and ack, and the delivery to the reader.
 */

const ACCOUNTS = Number(process.env.BENCH_FLEET_ACCOUNTS ?? 200);
const EVENTS_PER_S = Number(process.env.BENCH_FLEET_EVENTS_PER_S ?? 10);
const WARMUP_MS = Number(process.env.BENCH_FLEET_WARMUP_MS ?? 5_000);
const MEASURE_MS = Number(process.env.BENCH_FLEET_MS ?? 30_000);
/** 3: a three-node JetStream cluster on loopback and the stream at replicas 3 (docs/fleet.md "A three-node cluster"). */
const CLUSTER = Number(process.env.BENCH_FLEET_CLUSTER ?? 1);
const TICK_MS = 100;

const hiResNow = () => performance.timeOrigin + performance.now();

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function procCpuS(pid: number): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

async function reader(url: string, warmupMs: number, measureMs: number): Promise<void> {
  const nc = await connect({ servers: url.split(',') });
  const js = jetstream(nc);
  const c = await js.consumers.get(DEFAULT_STREAM, { filter_subjects: ALL_SUMMARIES, deliver_policy: DeliverPolicy.New });
  const msgs = await c.consume({ max_messages: 1_000 });
  const latencies: number[] = [];
  const rows = new Map<string, RiskSummary>();
  let measuring = false;
  let cpu0 = process.cpuUsage();
  let t0 = 0;
  process.stdout.write('READY\n');
  const done = new Promise<void>((resolve) => {
    setTimeout(() => {
      measuring = true;
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      setTimeout(resolve, measureMs);
    }, warmupMs);
  });
  const loop = (async () => {
    for await (const m of msgs) {
      const s = JSON.parse(m.string()) as RiskSummary;
      // What a fleet view does with each: the row of that publisher replaced.
      rows.set(m.subject, s);
      if (measuring) latencies.push(hiResNow() - s.at);
    }
  })();
  await done;
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  msgs.stop();
  await loop;
  // `fleet --json` reads the last summary of every publisher once: how long that takes with ACCOUNTS of them.
  const r0 = performance.now();
  const read = await readSummaries(nc, DEFAULT_STREAM);
  const readMs = performance.now() - r0;
  await nc.close();
  latencies.sort((a, b) => a - b);
  process.stdout.write(
    `RESULT ${JSON.stringify({
      n: latencies.length,
      median: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? NaN,
      cpuPct: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
      rowsSeen: rows.size,
      readMs,
      readRows: read.summaries.length,
    })}\n`,
  );
}

async function startServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn('nats-server', ['-js', '-sd', join(dir, 'store'), '-a', '127.0.0.1', '-p', '-1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${log}`)), 20_000);
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
      if (m && /Server is ready/.test(log)) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('error', (e) => reject(new Error(`cannot start nats-server (apt-get install nats-server): ${e.message}`)));
  });
  return { child, url: `nats://127.0.0.1:${port}` };
}

/** A free loopback port: bound, noted, closed (the cluster's configuration names its ports before the servers start). */
function rotate(xs: readonly string[], k: number): string[] {
  return xs.map((_, i) => xs[(i + k) % xs.length]!);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Three nats-servers in one JetStream cluster, each configured as a deployment would be (the configuration in
 * docs/fleet.md): server_name, its own store_dir, cluster { name, listen, routes } to the other two.
 */
async function startCluster(dir: string, n: number): Promise<{ children: ChildProcess[]; urls: string[] }> {
  const client = await Promise.all(Array.from({ length: n }, freePort));
  const route = await Promise.all(Array.from({ length: n }, freePort));
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const conf = join(dir, `n${i}.conf`);
    writeFileSync(
      conf,
      [
        `server_name: n${i}`,
        `listen: 127.0.0.1:${client[i]}`,
        `jetstream { store_dir: "${join(dir, `store-${i}`)}" }`,
        `cluster { name: tws-risk, listen: 127.0.0.1:${route[i]}, routes: [${route.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}] }`,
      ].join('\n'),
    );
    children.push(spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'ignore', 'ignore'] }));
  }
  const urls = client.map((p) => `nats://127.0.0.1:${p}`);
  // Ready when the cluster has elected its JetStream meta leader and places a stream on three nodes.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const nc = await connect({ servers: urls });
      try {
        await (
          await jetstreamManager(nc)
        ).streams.add({
          name: DEFAULT_STREAM,
          subjects: ['tws-risk.*.events', 'tws-risk.*.summary.*'],
          num_replicas: n,
          max_bytes: 1024 ** 3,
          duplicate_window: 120_000_000_000,
        });
        return { children, urls };
      } finally {
        await nc.close();
      }
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`the cluster did not come up: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function summary(i: number, session: string, lastSeq: number): RiskSummary {
  const nlv = 1_000_000 + i * 1_000;
  return {
    format: 'tws-risk-summary',
    account: `DU${String(1_000_000 + i)}`,
    host: `host-${i}`,
    session,
    role: 'guard',
    at: hiResNow(),
    lastSeq,
    lastEventAt: Date.now(),
    health: 'ready',
    baseCurrency: 'USD',
    netLiquidation: `${nlv}.37`,
    excessLiquidity: `${(nlv * 0.41).toFixed(2)}`,
    cushion: '0.4117',
    worstStress: { scenario: 'equity -20%, vol x2', loss: `${(nlv * 0.18).toFixed(2)}` },
    alerts: { critical: 0, warning: i % 7 === 0 ? 1 : 0, info: 2 },
    armed: false,
    mode: 'readOnly',
    publishing: { behind: 0, dropped: 0 },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tws-risk-bench-nats-'));
  const load0 = loadavg();
  const cluster = CLUSTER > 1 ? await startCluster(dir, CLUSTER) : undefined;
  const { child: server, url } = cluster ? { child: cluster.children[0]!, url: cluster.urls.join(',') } : await startServer(dir);
  const publishers: NatsPublisher[] = [];
  let readerProc: ChildProcess | undefined;
  try {
    for (let i = 0; i < ACCOUNTS; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, ACCOUNTS - i) }, (_, k) =>
          // In a cluster each host lists its nearest node first: the publishers spread over the nodes.
          NatsPublisher.start({ url: cluster ? rotate(cluster.urls, i + k).join(',') : url, host: `host-${i + k}`, session: `bench-${i + k}` }),
        ),
      );
      publishers.push(...batch);
    }
    // A pool of realistic events (the download first, then the live mix); each account sends them with its own seq.
    const pool = [...syntheticEvents({ events: 5_000, positions: 30, seed: 7 })].slice(200);
    const seqs = new Array<number>(ACCOUNTS).fill(0);

    const rp = spawn(process.execPath, [...productNodeFlags(), fileURLToPath(import.meta.url), 'reader', url, String(WARMUP_MS), String(MEASURE_MS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    readerProc = rp;
    let out = '';
    rp.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const readerExit = new Promise<number | null>((r) => rp.once('exit', r));
    const deadline = Date.now() + 20_000;
    while (!out.includes('READY\n')) {
      if (Date.now() > deadline || rp.exitCode !== null) throw new Error(`the reader did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }

    const servers = cluster ? cluster.children : [server];
    // The cluster's CPU is the three servers' together.
    const serversCpu = () => {
      const each = servers.map((c) => procCpuS(c.pid!));
      return each.every((x) => x !== undefined) ? each.reduce((a, x) => a! + x!, 0) : undefined;
    };
    const serverCpu0 = serversCpu();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const perTick = (EVENTS_PER_S * TICK_MS) / 1000;
    let tick = 0;
    let carry = 0;
    let behindMax = 0;
    const runMs = WARMUP_MS + MEASURE_MS + 500;
    const timer = setInterval(() => {
      tick++;
      carry += perTick;
      const n = Math.floor(carry);
      carry -= n;
      for (let i = 0; i < ACCOUNTS; i++) {
        const p = publishers[i]!;
        const account = `DU${String(1_000_000 + i)}`;
        for (let k = 0; k < n; k++) {
          const ev = pool[(seqs[i]! + i * 13) % pool.length]!;
          p.event({ ...ev, seq: ++seqs[i]! } as FeedEvent, account);
        }
        // Once a second, each account in its own tenth of it: independent hosts do not tick together.
        if (tick % (1000 / TICK_MS) === i % (1000 / TICK_MS)) p.summary(summary(i, `bench-${i}`, seqs[i]!));
        behindMax = Math.max(behindMax, p.status().behind);
      }
    }, TICK_MS);
    await new Promise((r) => setTimeout(r, runMs));
    clearInterval(timer);
    const publishS = (performance.now() - t0) / 1000;
    const pubCpu = process.cpuUsage(cpu0);
    const serverCpu1 = serversCpu();
    if ((await readerExit) !== 0) throw new Error(`the reader failed:\n${out}`);
    const r = JSON.parse(
      out
        .split('\n')
        .find((l) => l.startsWith('RESULT '))!
        .slice(7),
    ) as {
      n: number;
      median: number;
      p99: number;
      max: number;
      cpuPct: number;
      rowsSeen: number;
      readMs: number;
      readRows: number;
    };
    await Promise.all(publishers.map((p) => p.close()));
    const dropped = publishers.reduce((a, p) => a + p.status().dropped, 0);
    publishers.length = 0;

    const nc = await connect({ servers: url.split(',') });
    const info = await (await jetstreamManager(nc)).streams.info(DEFAULT_STREAM);
    await nc.close();
    const bytesPerAccountMin = info.state.bytes / ACCOUNTS / (publishS / 60);
    const load1 = loadavg();
    const extra = {
      accounts: ACCOUNTS,
      servers: CLUSTER,
      replicas: info.config.num_replicas,
      streamLeader: info.cluster?.leader ?? 'n/a',
      eventsPerSecondPerAccount: EVENTS_PER_S,
      measuredSeconds: MEASURE_MS / 1000,
      samples: r.n,
      maxMs: Math.round(r.max * 100) / 100,
      rowsSeen: r.rowsSeen,
      publisherCpuPct: Math.round(((pubCpu.user + pubCpu.system) / 1e6 / publishS) * 1000) / 10,
      serverCpuPct: serverCpu0 !== undefined && serverCpu1 !== undefined ? Math.round(((serverCpu1 - serverCpu0) / publishS) * 1000) / 10 : 'n/a',
      streamMessages: info.state.messages,
      streamBytes: info.state.bytes,
      publishSeconds: Math.round(publishS * 10) / 10,
      publisherBacklogMax: behindMax,
      dropped,
      loadavgBefore: load0.map((l) => l.toFixed(2)).join(' '),
      loadavgAfter: load1.map((l) => l.toFixed(2)).join(' '),
    };
    const results: BenchResult[] = [
      {
        name: 'fleet',
        metric: `summary publish to fleet reader, median (${ACCOUNTS} accounts)`,
        value: Math.round(r.median * 100) / 100,
        unit: 'ms',
        target: '< 100 ms',
        pass: r.median < 100,
        extra,
      },
      {
        name: 'fleet',
        metric: `summary publish to fleet reader, p99 (${ACCOUNTS} accounts)`,
        value: Math.round(r.p99 * 100) / 100,
        unit: 'ms',
        target: '< 1000 ms (a row refreshes each second)',
        pass: r.p99 < 1_000,
      },
      {
        name: 'fleet',
        metric: 'fleet reader CPU (live consumer of every summary)',
        value: Math.round(r.cpuPct * 10) / 10,
        unit: '% of one core',
        target: '< 25 %',
        pass: r.cpuPct < 25,
      },
      { name: 'fleet', metric: `fleet --json read of ${r.readRows} last summaries`, value: Math.round(r.readMs), unit: 'ms' },
      {
        name: 'fleet',
        metric: `stream bytes per account per minute (${EVENTS_PER_S} events/s + 1 summary/s)`,
        value: Math.round(bytesPerAccountMin),
        unit: 'B',
      },
    ];
    if (r.readRows !== ACCOUNTS || r.rowsSeen !== ACCOUNTS)
      throw new Error(`the reader saw ${r.rowsSeen} rows live and read ${r.readRows}; expected ${ACCOUNTS}`);
    report(results);
  } finally {
    await Promise.all(publishers.map((p) => p.close().catch(() => undefined)));
    if (readerProc && readerProc.exitCode === null) readerProc.kill('SIGTERM');
    for (const child of cluster ? cluster.children : [server]) {
      if (child.exitCode !== null) continue;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'reader') await reader(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
else await main();
