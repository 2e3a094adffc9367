// Benchmark: live ingest (a recorded TWS byte stream into state, against the bare @stoqey/ib client decoding the same
// bytes), and tick-to-state latency through the simulator.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { EventName, IBApi } from '@stoqey/ib';
import { firstValueFrom, filter } from 'rxjs';
import { errorMessage, IN } from '../src/sim/messages.js';
import { startSimulator } from '../src/sim/index.js';
import { encodeFrame, SERVER_VERSION } from '../src/sim/wire.js';
import { Feed } from '../src/streams/feed.js';
import { TwsSource } from '../src/streams/tws/source.js';
import { peakRssMb, report } from './measure.js';

const RECORD_MS = Number(process.env.BENCH_LIVE_RECORD_MS ?? 3_000);
const FRAMES = Number(process.env.BENCH_LIVE_FRAMES ?? 150_000);
const ROUNDS = Number(process.env.BENCH_LIVE_ROUNDS ?? 9);
const SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);
/** 'bare' or 'ours' runs only that client's rounds and skips the latency part: for `node --cpu-prof`. */
const ONLY = process.env.BENCH_LIVE_ONLY;
const CLIENT_ID = 51;
/** Info code (no health effect) and text of the frame that ends the recorded stream: both clients stop at it. */
const END_CODE = 2119;
const END_TEXT = 'bench: end of the recorded stream';

async function waitUntil(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const listen = (server: Server) => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
const closeServer = (server: Server, sockets: Set<Socket>) => {
  for (const s of sockets) s.destroy();
  return new Promise<void>((r) => server.close(() => r()));
};

/**
 * Records what the simulator sends one TwsSource, through a pass-through proxy: the bytes of a real session (handshake,
 * snapshots, a fast market), whose request ids are the ones the next TwsSource with the same client id asks for.
 */
async function recordStream(): Promise<{ bytes: Buffer; repeats: number }> {
  const sim = await startSimulator({
    port: 0,
    controlPort: null,
    seed: 5,
    speed: 50,
    log: false,
    market: { tickMs: 10 },
    cadence: { portfolioMs: 10, pnlMs: 10 },
  });
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = createConnection(sim.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      chunks.push(d);
      client.write(d);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const port = await listen(proxy);
  const source = new TwsSource({ host: '127.0.0.1', port, clientId: CLIENT_ID, openOrdersPollMs: 0 });
  const feed = new Feed(source.events$);
  source.start();
  await waitUntil(() => feed.state.health === 'ready' && feed.state.complete.accountDownload, 15_000);
  await new Promise((r) => setTimeout(r, RECORD_MS));
  source.stop();
  await feed.close('bench');
  await closeServer(proxy, sockets);
  await sim.close();
  // A frame cut by the stop is dropped. The snapshot (up to ACCT_DOWNLOAD_END) is served once and the market after it
  // again until the stream holds BENCH_LIVE_FRAMES frames: a loaded machine records fewer frames in the same time, and
  // a short stream measures the socket's start more than the decoding.
  const bytes = Buffer.concat(chunks);
  let whole = 0;
  let frames = 0;
  let snapshotEnd = -1;
  let snapshotFrames = 0;
  while (whole + 4 <= bytes.length && whole + 4 + bytes.readUInt32BE(whole) <= bytes.length) {
    const len = bytes.readUInt32BE(whole);
    const msgId = bytes.toString('latin1', whole + 4, bytes.indexOf(0, whole + 4));
    whole += 4 + len;
    frames++;
    if (snapshotEnd < 0 && msgId === String(IN.ACCT_DOWNLOAD_END)) {
      snapshotEnd = whole;
      snapshotFrames = frames;
    }
  }
  if (snapshotEnd < 0) throw new Error('the recording holds no ACCT_DOWNLOAD_END');
  const market = bytes.subarray(snapshotEnd, whole);
  const repeats = Math.max(1, Math.ceil((FRAMES - snapshotFrames) / (frames - snapshotFrames)));
  const parts = [bytes.subarray(0, snapshotEnd), ...Array.from({ length: repeats }, () => market)];
  return { bytes: Buffer.concat([...parts, encodeFrame(errorMessage(SERVER_VERSION, -1, END_CODE, END_TEXT))]), repeats };
}

/** Serves the recorded bytes to each client as fast as it reads them, once its handshake arrives; ignores its requests. */
async function serveStream(stream: Buffer): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.once('data', () => s.write(stream));
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  return { port: await listen(server), close: () => closeServer(server, sockets) };
}

interface Round {
  readonly ms: number;
  readonly cpuMs: number;
  /** Decoded messages (bare) or FeedEvents in state (ours). */
  readonly count: number;
}

function timed(run: (done: (count: number) => void) => () => void): Promise<Round> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const stop = run((count) => {
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      // Torn down after the event that ended the stream has been delivered, not from inside the decoder's loop.
      setImmediate(() => {
        stop();
        resolve({ ms, cpuMs: (cpu.user + cpu.system) / 1000, count });
      });
    });
  });
}

/** (a) The bare client: @stoqey/ib's IBApi decoding the stream, listeners that only count. */
function bare(port: number): Promise<Round> {
  return timed((done) => {
    const api = new IBApi({ host: '127.0.0.1', port });
    let count = 0;
    api.on(EventName.result, () => count++);
    api.on(EventName.info, (message: string) => {
      if (message === END_TEXT) done(count);
    });
    api.connect(CLIENT_ID);
    return () => {
      api.removeAllListeners();
      api.disconnect();
    };
  });
}

/** (b) Ours: TwsSource (IBApiNext, raw events, FeedEvent bodies) into a Feed, whose reducer folds them into state. */
function ours(port: number): Promise<Round> {
  return timed((done) => {
    const source = new TwsSource({ host: '127.0.0.1', port, clientId: CLIENT_ID, openOrdersPollMs: 0 });
    const feed = new Feed(source.events$);
    const sub = feed.events$.subscribe((e) => {
      if (e.type === 'brokerMessage' && e.message === END_TEXT) done(feed.state.lastSeq);
    });
    source.start();
    return () => {
      sub.unsubscribe();
      source.stop();
      void feed.close('bench');
    };
  });
}

/** (c) TwsSource alone, its bodies counted: where (b)'s time goes, the source's share against the feed and reducer's. */
function sourceOnly(port: number): Promise<Round> {
  return timed((done) => {
    const source = new TwsSource({ host: '127.0.0.1', port, clientId: CLIENT_ID, openOrdersPollMs: 0 });
    let count = 0;
    const sub = source.events$.subscribe((b) => {
      count++;
      if (b.type === 'brokerMessage' && b.message === END_TEXT) done(count);
    });
    source.start();
    return () => {
      sub.unsubscribe();
      source.stop();
    };
  });
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 1. Ingest: the same recorded stream to (a) and (b), interleaved (the order alternates), as fast as each reads it;
// (c) after each pair.
if (ONLY === 'bare' || ONLY === 'ours') {
  // BENCH_LIVE_STREAM names a file: the stream is read from it when it exists, else recorded and saved there, so runs
  // of two builds (a profile, a check that the events are unchanged) read the same bytes.
  const file = process.env.BENCH_LIVE_STREAM;
  const bytes = file && existsSync(file) ? readFileSync(file) : (await recordStream()).bytes;
  if (file && !existsSync(file)) writeFileSync(file, bytes, { mode: 0o600 });
  const server = await serveStream(bytes);
  for (let i = 0; i < ROUNDS; i++) await (ONLY === 'bare' ? bare : ours)(server.port);
  await server.close();
  process.exit(0);
}
{
  const { bytes: stream, repeats } = await recordStream();
  const server = await serveStream(stream);
  // One of each first, unmeasured: the JIT warms up on both paths.
  await bare(server.port);
  await ours(server.port);
  await sourceOnly(server.port);
  const a: Round[] = [];
  const b: Round[] = [];
  const c: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      a.push(await bare(server.port));
      b.push(await ours(server.port));
    } else {
      b.push(await ours(server.port));
      a.push(await bare(server.port));
    }
    c.push(await sourceOnly(server.port));
  }
  await server.close();
  const messages = a[0]!.count;
  const events = b[0]!.count;
  if (a.some((r) => r.count !== messages) || b.some((r) => r.count !== events)) throw new Error('rounds saw different counts');
  const wallRatio = median(a.map((r, i) => r.ms / b[i]!.ms));
  const cpuRatio = median(a.map((r, i) => r.cpuMs / b[i]!.cpuMs));
  const sourceCpuRatio = median(a.map((r, i) => r.cpuMs / c[i]!.cpuMs));
  const rate = (rs: readonly Round[], n: number) => Math.round(n / (median(rs.map((r) => r.ms)) / 1000));
  report([
    {
      name: 'live',
      metric: 'ingest: recorded TWS stream into state, against the bare @stoqey/ib client (bare wall / ours, median of rounds)',
      value: Number(wallRatio.toFixed(2)),
      unit: '×',
      target: '>= 0.8×',
      pass: wallRatio >= 0.8,
      extra: {
        cpuRatio: Number(cpuRatio.toFixed(2)),
        sourceOnlyCpuRatio: Number(sourceCpuRatio.toFixed(2)),
        rounds: ROUNDS,
        bytes: stream.length,
        marketRepeats: repeats,
        messages,
        events,
        bareMsgsPerSec: rate(a, messages),
        oursMsgsPerSec: rate(b, messages),
        oursEventsPerSec: rate(b, events),
        bareCpuMs: Math.round(median(a.map((r) => r.cpuMs))),
        oursCpuMs: Math.round(median(b.map((r) => r.cpuMs))),
        sourceOnlyCpuMs: Math.round(median(c.map((r) => r.cpuMs))),
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
