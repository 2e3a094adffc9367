// Benchmark: the console's rendering cost: frames with 2,000 positions at 200x50, bytes/s at 4 Hz, start to first frame.
import { AccountSession } from '../src/session/session.js';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';
import { DEFAULT_BINDINGS } from '../src/keymap/bindings.js';
import type { FeedEvent } from '../src/model/events.js';
import { Decimal } from '../src/model/money.js';
import { reduce, reduceAll } from '../src/model/reducer.js';
import type { PortfolioRow, PortfolioState } from '../src/model/state.js';
import type { AppProps } from '../src/views/App.js';
import type { ConsoleSnapshot } from '../src/views/store.js';
import { peakRssMb, report, type BenchResult } from './measure.js';
import { syntheticEvents } from './synthetic.js';

// As runConsole does before it loads the views: React's production build (nothing here has loaded React yet).
process.env.NODE_ENV ??= 'production';

const POSITIONS = 2000;
const FRAMES = Number(process.env.BENCH_RENDER_FRAMES ?? 200);
const STREAM_MS = Number(process.env.BENCH_RENDER_STREAM_MS ?? 6000);
const MOVING = 50;

/** A terminal that counts what is written to it: 200x50, a TTY, so Ink renders interactively (alternate screen, diffs). */
class CountingTty extends EventEmitter {
  readonly isTTY = true;
  columns = 200;
  rows = 50;
  bytes = 0;
  writes = 0;
  onWrite: ((chunk: string) => void) | undefined;
  write = (chunk: string, cb?: () => void): boolean => {
    this.bytes += Buffer.byteLength(chunk);
    this.writes++;
    this.onWrite?.(chunk);
    cb?.();
    return true;
  };
}

class SilentTtyIn extends EventEmitter {
  readonly isTTY = true;
  read = () => null;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

/** 2,000 positions in four currencies with marks, greeks and account values, ready and synchronised. */
function book(): { state: PortfolioState; rows: PortfolioRow[] } {
  const events = [...syntheticEvents({ events: POSITIONS + 8000, positions: POSITIONS, seed: 7 })];
  let state = reduceAll(events);
  let seq = state.lastSeq;
  const at = state.lastEventAt;
  for (const b of [
    { type: 'healthChanged', health: 'ready', host: '127.0.0.1', port: 7497, clientId: 1 },
    { type: 'accountValueUpdated', account: 'DU1234567', key: 'NetLiquidation', currency: 'USD', value: '25000000' },
    { type: 'accountValueUpdated', account: 'DU1234567', key: 'EquityWithLoanValue', currency: 'USD', value: '24000000' },
    { type: 'accountValueUpdated', account: 'DU1234567', key: 'MaintMarginReq', currency: 'USD', value: '9000000' },
    { type: 'accountValueUpdated', account: 'DU1234567', key: 'InitMarginReq', currency: 'USD', value: '12000000' },
    { type: 'accountValueUpdated', account: 'DU1234567', key: 'ExchangeRate', currency: 'USD', value: '1' },
    { type: 'positionsEnded' },
    { type: 'openOrdersEnded' },
  ] as const) {
    state = reduce(state, { ...b, seq: ++seq, receivedAt: at } as FeedEvent);
  }
  const rows = [...state.portfolio.values()].sort((a, b) => (b.marketValue?.abs().toNumber() ?? 0) - (a.marketValue?.abs().toNumber() ?? 0));
  return { state, rows };
}

/** The same position at a new mark (what TWS sends as PORTFOLIO_VALUE when a price moves). */
function moved(row: PortfolioRow, step: number, seq: number, at: number): FeedEvent {
  // Never a factor of 1, and at least 0.1%: the mark visibly moves (a move that rounds away draws no frame at all).
  const px = row.marketPrice!.mul(1 + 0.001 * ((step % 3) + 1) * (step % 2 ? 1 : -1)).toDecimalPlaces(2);
  const mult = row.contract.multiplier ?? new Decimal(1);
  return {
    type: 'portfolioUpdated',
    account: row.account,
    contract: row.contract,
    position: row.position,
    marketPrice: px,
    marketValue: px.mul(row.position).mul(mult),
    averageCost: row.averageCost!,
    unrealizedPnl: new Decimal(step % 100),
    realizedPnl: new Decimal(0),
    seq,
    receivedAt: at,
  } as FeedEvent;
}

const quantile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

function appProps(store: AppProps['store']): AppProps {
  return { store, mode: 'demo', trading: 'readOnly', bindings: DEFAULT_BINDINGS, theme: { name: 'dark', depth: '256', noColor: false } };
}

/** Child mode: from process start to the first frame written, the views imported lazily as runConsole does. */
async function firstFrame(): Promise<void> {
  const startup = performance.now(); // Node's own start and this module's imports
  const { state } = book();
  const built = performance.now();
  const tty = new CountingTty();
  const shown = new Promise<number>((resolve) => (tty.onWrite = (chunk) => chunk.includes('Positions') && resolve(performance.now())));
  const [{ renderConsole }, { ConsoleStore }, { createStressRunner }, { createAlertRunner }] = await Promise.all([
    import('../src/views/render-console.js'),
    import('../src/views/store.js'),
    import('../src/session/stress-model.js'),
    import('../src/session/alert-runner.js'),
  ]);
  const feed = { state, events$: new Subject<FeedEvent>() };
  const store = new ConsoleStore(feed, { throttleMs: 250, session: new AccountSession(feed, { risk: createStressRunner(), alerts: createAlertRunner() }) });
  const ink = renderConsole(appProps(store), { stdout: tty as unknown as NodeJS.WriteStream, stdin: new SilentTtyIn() as unknown as NodeJS.ReadStream });
  const at = await shown;
  ink.unmount();
  store.dispose();
  report([
    {
      name: 'render',
      // A real session has no test book to build: that time is left out (and reported beside).
      metric: 'process start to first frame (views imported, store, first render of 2,000 positions at 200x50)',
      value: Number((at - built + startup).toFixed(1)),
      unit: 'ms',
      extra: { sinceProcessStartMs: Number(at.toFixed(1)), testBookBuildMs: Number((built - startup).toFixed(1)) },
    },
  ]);
}

if (process.argv[2] === 'first-frame') {
  await firstFrame();
  process.exit(0);
}

/*
 * Child mode: the row cache alone (src/views/ink-output-cache.ts), Output.get() on the same synthetic 200x50 frames:
 * two clipped columns of coloured rows as the panes write them, 27 of 40 rows changing every frame (a Text drawn
 * again brings a new transformer, as Ink's does), an age column every other frame. BENCH_RENDER_BEFORE=DIR (another
 * checkout, built) loads that build's row cache into the same process, and the two take turns, round by round, so a
 * before/after pair is measured under the same load.
 */
async function rowCache(): Promise<void> {
  const { createRequire } = await import('node:module');
  const { pathToFileURL } = await import('node:url');
  const { importInkOutput } = await import('../src/views/ink-output.js');
  type Output = {
    get(): { output: string };
    write(x: number, y: number, text: string, o: { transformers: unknown[] }): void;
    clip(c: object): void;
    unclip(): void;
  };
  const OutputClass = ((await importInkOutput()) as { default: { new (o: { width: number; height: number }): Output; prototype: Output } }).default;
  const chalk = (
    (await import(pathToFileURL(createRequire(import.meta.url).resolve('chalk')).href)) as {
      default: {
        level: number;
        green(s: string): string;
        red(s: string): string;
        dim(s: string): string;
        cyan(s: string): string;
        inverse(s: string): string;
        bold(s: string): string;
      };
    }
  ).default;
  chalk.level = 2;
  const inkGet = OutputClass.prototype.get;
  const install = async (url: string) => {
    const m = (await import(url)) as { shareInkOutputCaches(): Promise<boolean>; inkRowCache: { rowsDrawn: number } };
    OutputClass.prototype.get = inkGet;
    if (!(await m.shareInkOutputCaches())) throw new Error(`${url}: the row cache did not install`);
    const get = OutputClass.prototype.get;
    OutputClass.prototype.get = inkGet;
    return { get, stats: m.inkRowCache };
  };
  const impls: [string, Awaited<ReturnType<typeof install>>][] = [
    ['this build', await install(new URL('../src/views/ink-output-cache.js', import.meta.url).href)],
  ];
  const before = process.env.BENCH_RENDER_BEFORE;
  if (before) impls.push(['before', await install(pathToFileURL(`${before}/dist/src/views/ink-output-cache.js`).href)]);
  const signed = (n: number) => (n >= 0 ? chalk.green(`+${n.toLocaleString('en-US')}`) : chalk.red(n.toLocaleString('en-US')));
  const same = (t: string) => t;
  const frame = (f: number): Output => {
    const o = new OutputClass({ width: 200, height: 50 });
    o.write(0, 0, `${chalk.bold(' DEMO ')} 127.0.0.1:4001 DU1234567 USD READY 14:${String(30 + ((f >> 1) % 30)).padStart(2, '0')}:00`, {
      transformers: [same],
    });
    o.clip({ x1: 0, x2: 115, y1: 2, y2: 48 });
    for (let r = 0; r < 40; r++) {
      const moving = r % 3 !== 0;
      const v = moving ? Math.round(Math.sin(f * 0.7 + r) * 10000) : r * 1000;
      const text = `${` POS${r}`.padEnd(20)}STK   USD ${String(100 + r).padStart(6)} ${(100 + v / 1000).toFixed(2).padStart(9)}  ${signed(v)}  ${chalk.dim('0.12')}  ${signed(v * 3)}`;
      o.write(0, 4 + r, text, { transformers: [moving ? (r === 5 ? (t: string) => chalk.inverse(t) : (t: string) => t) : same] });
    }
    o.unclip();
    o.clip({ x1: 118, x2: 200, y1: 2, y2: 48 });
    for (let r = 0; r < 12; r++)
      o.write(118, 4 + r, `${`Account row ${r}`.padEnd(30)}${chalk.cyan((559174 + r).toLocaleString('en-US').padStart(12))}   ${(f >> 1) % 60}s`, {
        transformers: [same],
      });
    o.unclip();
    o.write(0, 49, `${chalk.cyan('?')} help  : commands  Tab pane  o sort  Space freeze  q quit`, { transformers: [same] });
    return o;
  };
  const FRAMES_PER_ROUND = 200;
  // The first rounds (the JIT still compiling both) are left out.
  const WARMUP_ROUNDS = 4;
  const ROUNDS = 12;
  const ms = new Map<string, number[]>(impls.map(([name]) => [name, []]));
  const lastOutput = new Map<string, string>();
  let drawn = 0;
  for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
    for (const [name, impl] of round & 1 ? [...impls].reverse() : impls) {
      const drawn0 = impl.stats.rowsDrawn;
      const t0 = process.cpuUsage();
      let out = '';
      for (let f = 0; f < FRAMES_PER_ROUND; f++) out = impl.get.call(frame(f)).output;
      const c = process.cpuUsage(t0);
      if (round >= 0) ms.get(name)!.push((c.user + c.system) / 1000 / FRAMES_PER_ROUND);
      lastOutput.set(name, out);
      if (name === 'this build') drawn = (impl.stats.rowsDrawn - drawn0) / FRAMES_PER_ROUND;
    }
  }
  if (before && lastOutput.get('before') !== lastOutput.get('this build')) throw new Error('the two row caches drew different frames');
  const median = (xs: number[]) => Number(quantile(xs, 0.5).toFixed(3));
  report([
    {
      name: 'render',
      metric: `row cache: Output.get of a synthetic 200x50 frame (27 of 40 rows moving), CPU median of ${ROUNDS} rounds`,
      value: median(ms.get('this build')!),
      unit: 'ms',
      extra: { rowsDrawnPerFrame: Number(drawn.toFixed(1)), ...(before ? { before: median(ms.get('before')!), beforeDir: before } : {}) },
    },
  ]);
}

if (process.argv[2] === 'row-cache') {
  await rowCache();
  process.exit(0);
}

const results: BenchResult[] = [];
const { renderConsole } = await import('../src/views/render-console.js');
const { inkRowCache } = await import('../src/views/ink-output-cache.js');
const { ConsoleStore, CONSOLE_FRAME_MS } = await import('../src/views/store.js');
const { createStressRunner } = await import('../src/session/stress-model.js');
const { createAlertRunner } = await import('../src/session/alert-runner.js');
const { state: base, rows } = book();

// 1. Frames: a new snapshot through the view model, React and Ink's layout and output, until the frame is written.
//    "full": every pane's inputs change (new risk result, the clock a second on), so every pane is rebuilt and
//    re-rendered; "tick": one mark moves, the common case, where unchanged panes keep their view models.
{
  const tty = new CountingTty();
  const riskStart = performance.now();
  const risk = createStressRunner()(base, base.lastEventAt);
  const riskMs = performance.now() - riskStart;
  let snapshot: ConsoleSnapshot = { state: base, live: base, risk, now: base.lastEventAt, version: 1 };
  const listeners = new Set<() => void>();
  const store = {
    subscribe: (l: () => void) => (listeners.add(l), () => listeners.delete(l)),
    getSnapshot: () => snapshot,
    toggleFreeze() {},
    acknowledgeAlerts: (): readonly string[] => [],
  };
  let rendered: (() => void) | undefined;
  const inkMs: number[] = [];
  const ink = renderConsole(
    appProps(store),
    { stdout: tty as unknown as NodeJS.WriteStream, stdin: new SilentTtyIn() as unknown as NodeJS.ReadStream },
    (ms) => {
      inkMs.push(ms);
      rendered?.();
    },
  );
  await new Promise((r) => setTimeout(r, 100));
  let state = base;
  let undrawn = 0;
  const measure = async (full: boolean): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < FRAMES + 10; i++) {
      state = reduce(state, moved(rows[i % 20]!, i, state.lastSeq + 1, state.lastEventAt + 1));
      const done = new Promise<void>((r) => (rendered = r));
      const t0 = performance.now();
      snapshot = {
        ...snapshot,
        state,
        live: state,
        version: snapshot.version + 1,
        now: full ? snapshot.now + 1000 : snapshot.now,
        ...(full && risk ? { risk: { ...risk } } : {}),
      };
      for (const l of listeners) l();
      // A snapshot that changes nothing visible draws no frame: not waited for (and not counted) after 1 s.
      if (await Promise.race([done.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 1000))])) {
        undrawn++;
        continue;
      }
      if (i >= 10) times.push(performance.now() - t0); // after warm-up
      await new Promise((r) => setTimeout(r, 35)); // past the 30 fps throttle, so every frame is drawn at once
    }
    return times;
  };
  const rowsBefore = { ...inkRowCache };
  const full = await measure(true);
  const rowsFull = { drawn: inkRowCache.rowsDrawn - rowsBefore.rowsDrawn, reused: inkRowCache.rowsReused - rowsBefore.rowsReused };
  const tick = await measure(false);
  const rowsTick = {
    drawn: inkRowCache.rowsDrawn - rowsBefore.rowsDrawn - rowsFull.drawn,
    reused: inkRowCache.rowsReused - rowsBefore.rowsReused - rowsFull.reused,
  };
  /** Rows Ink drew (not reused from the frame before) per frame drawn. */
  const perFrame = (r: { drawn: number; reused: number }) => Number(((r.drawn / (r.drawn + r.reused || 1)) * 50).toFixed(1));
  ink.unmount();
  results.push(
    {
      name: 'render',
      metric: `full frame (every pane rebuilt), ${POSITIONS} positions at 200x50, median`,
      value: Number(quantile(full, 0.5).toFixed(2)),
      unit: 'ms',
      target: '< 33 (30 fps)',
      pass: quantile(full, 0.5) < 33,
      extra: { frames: full.length, inkLayoutAndOutputMedianMs: Number(quantile(inkMs, 0.5).toFixed(2)), rowsDrawnPerFrame: perFrame(rowsFull) },
    },
    {
      name: 'render',
      metric: `full frame (every pane rebuilt), ${POSITIONS} positions at 200x50, p99`,
      value: Number(quantile(full, 0.99).toFixed(2)),
      unit: 'ms',
      extra: { riskBuildMs: Math.round(riskMs) },
    },
    {
      name: 'render',
      metric: 'frame after one mark moves (unchanged panes reused), median',
      value: Number(quantile(tick, 0.5).toFixed(2)),
      unit: 'ms',
      extra: { p99: Number(quantile(tick, 0.99).toFixed(2)), undrawnSnapshots: undrawn, rowsDrawnPerFrame: perFrame(rowsTick) },
    },
  );
}

// 2. Bytes per second: 50 visible positions moving continuously, published by the real store at 4 Hz; then the
//    same stream with the panes frozen, where only the status bar's clock and data age can change, so frames should
//    fall to about one a second (issue 21: no frame when nothing visible changed).
for (const frozen of [false, true]) {
  const tty = new CountingTty();
  const events$ = new Subject<FeedEvent>();
  const feed = { state: base, events$ };
  // Paced as the console's store is (src/commands/console.ts).
  const store = new ConsoleStore(feed, {
    throttleMs: 250,
    frameMs: CONSOLE_FRAME_MS,
    session: new AccountSession(feed, { risk: createStressRunner(), alerts: createAlertRunner() }),
  });
  let frames = 0;
  const ink = renderConsole(
    appProps(store),
    { stdout: tty as unknown as NodeJS.WriteStream, stdin: new SilentTtyIn() as unknown as NodeJS.ReadStream },
    () => frames++,
  );
  await new Promise((r) => setTimeout(r, 1500)); // first frame and first risk pass
  if (frozen) {
    store.setFrozen(true);
    await new Promise((r) => setTimeout(r, 300));
  }
  const bytes0 = tty.bytes;
  const writes0 = tty.writes;
  const frames0 = frames;
  const version0 = store.getSnapshot().version;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let step = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < 5; k++) {
      const ev = moved(rows[step % MOVING]!, step, feed.state.lastSeq + 1, Date.now());
      step++;
      feed.state = reduce(feed.state, ev);
      events$.next(ev);
    }
  }, 10); // 500 mark changes a second across the 50 positions
  await new Promise((r) => setTimeout(r, STREAM_MS));
  clearInterval(timer);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const publishes = store.getSnapshot().version - version0;
  ink.unmount();
  store.dispose();
  results.push({
    name: 'render',
    metric: `bytes written to the terminal per second, ${MOVING} moving positions, 4 Hz, 200x50${frozen ? ', panes frozen' : ''}`,
    value: Math.round((tty.bytes - bytes0) / secs),
    unit: 'B/s',
    extra: {
      updatesPerSecond: Math.round(step / secs),
      publishesPerSecond: Number((publishes / secs).toFixed(1)),
      framesPerSecond: Number(((frames - frames0) / secs).toFixed(1)),
      writesPerSecond: Number(((tty.writes - writes0) / secs).toFixed(1)),
      // The benchmark's own reducer and 500 events/s are included: an upper bound on the console's share.
      cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / (secs * 1000)) * 100),
      peakRssMb: Math.round(peakRssMb()),
    },
  });
}

// 3. Start to first frame, and 4. the row cache alone: each in a fresh process.
for (const mode of ['first-frame', 'row-cache']) {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), mode], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${mode} child failed: ${child.stderr}`);
  const line = child.stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`${mode} child printed no result`);
  results.push(...(JSON.parse(line.slice(6)) as BenchResult[]));
}

report(results);
process.exit(0);
