// Benchmark: the simulator through the real @stoqey/ib client into state (events/s), and tick-to-state latency.
import { performance } from 'node:perf_hooks';
import { firstValueFrom, filter } from 'rxjs';
import { startSimulator } from '../src/sim/index.js';
import { Feed } from '../src/streams/feed.js';
import { TwsSource } from '../src/streams/tws/source.js';
import { peakRssMb, report } from './measure.js';

const RUN_MS = Number(process.env.BENCH_LIVE_MS ?? 8_000);
const SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);

async function waitUntil(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

// 1. Throughput: a fast simulated market (a step every virtual 10 ms at 50x: 5,000 steps/s) streamed to one client.
{
  const sim = await startSimulator({
    port: 0,
    controlPort: null,
    seed: 5,
    speed: 50,
    log: false,
    market: { tickMs: 10 },
    cadence: { portfolioMs: 10, pnlMs: 10 },
  });
  const source = new TwsSource({ host: '127.0.0.1', port: sim.port, clientId: 51, openOrdersPollMs: 0 });
  const feed = new Feed(source.events$);
  source.start();
  await waitUntil(() => feed.state.health === 'ready' && feed.state.complete.accountDownload, 15_000);
  const seq0 = feed.state.lastSeq;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, RUN_MS));
  const events = feed.state.lastSeq - seq0;
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  source.stop();
  await feed.close('bench');
  await sim.close();
  report([
    {
      name: 'live',
      metric: 'events/s from the simulator through @stoqey/ib into state',
      value: Math.round(events / secs),
      unit: 'events/s',
      extra: {
        events,
        seconds: Number(secs.toFixed(1)),
        cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / (secs * 1000)) * 100),
        note: 'simulator and client in one process',
      },
    },
  ]);
}

// 2. Latency: a price jump applied in the simulator until the client's state shows the new AAPL mark.
{
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 6, speed: 1, log: false, market: { tickMs: 250, volScale: 0 } });
  const source = new TwsSource({ host: '127.0.0.1', port: sim.port, clientId: 52, openOrdersPollMs: 0 });
  const feed = new Feed(source.events$);
  source.start();
  await waitUntil(() => feed.state.health === 'ready' && feed.state.complete.accountDownload && feed.state.prices.size > 0, 15_000);
  const aapl = [...feed.state.portfolio.values()].find((r) => r.contract.symbol === 'AAPL' && r.contract.secType === 'STK')!.contract.conId;
  const lat: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const seen = firstValueFrom(feed.events$.pipe(filter((e) => e.type === 'priceTicked' && e.conId === aapl)));
    const t = performance.now();
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: i % 2 === 0 ? 0.01 : -0.0099 });
    sim.advance(250);
    await seen;
    lat.push(performance.now() - t);
  }
  source.stop();
  await feed.close('bench');
  await sim.close();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  report([
    { name: 'live', metric: 'simulator price change to updated state, median', value: Number(q(0.5).toFixed(2)), unit: 'ms', extra: { samples: lat.length } },
    {
      name: 'live',
      metric: 'simulator price change to updated state, p99',
      value: Number(q(0.99).toFixed(2)),
      unit: 'ms',
      extra: { peakRssMb: Math.round(peakRssMb()) },
    },
  ]);
}
