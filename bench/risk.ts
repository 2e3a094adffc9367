// Benchmark: the stress grid (5,000 positions, 2,000 options on 300 underlyings, 8 currencies × 175 scenarios),
// an incremental update after one underlying ticks, and option revaluations/s against a bare Black-Scholes loop.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { reduce, reduceAll } from '../src/model/reducer.js';
import { readBook } from '../src/risk/boundary.js';
import { buildStressGrid, rebuildStressGrid, updateStressGrid } from '../src/risk/grid.js';
import { lastSharedPricing } from '../src/risk/price-pool.js';
import { anchorsOf, searchDistances } from '../src/risk/liquidation.js';
import { stressReportFromGrid } from '../src/risk/report.js';
import { Decimal } from '../src/model/money.js';
import type { FeedEvent } from '../src/model/events.js';
import { stressParams } from '../src/risk/params.js';
import { Scratch, revalueGroup, strategyGroupRequirement } from '../src/risk/revalue.js';
import { bareBsmLoop } from '../src/risk/pricing/batch.js';
import { builtinScenarios, riskNavigatorScenarios } from '../src/risk/scenario-text.js';
import { peakRssMb, report } from './measure.js';
import { RISK_ACCOUNT, riskBookEvents, underlyingTick } from './risk-book.js';

const NOW = Date.UTC(2026, 10, 23, 15, 0);
const POSITIONS = 5000;
const OPTIONS = 2000;
const UNDERLYINGS = 300;
const RUNS = Number(process.env.BENCH_RISK_RUNS ?? 15);
const WARMUP = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, places = 1) => Math.round(x * 10 ** places) / 10 ** places;

/** A bare Float64Array Black-Scholes loop over as many elements as the grid's option revaluations. */
function bareLoopInputs(N: number): { run: () => void } {
  const S = new Float64Array(N),
    K = new Float64Array(N),
    T = new Float64Array(N),
    r = new Float64Array(N);
  const q = new Float64Array(N),
    vol = new Float64Array(N),
    isCall = new Uint8Array(N),
    out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    S[i] = 100 * (0.7 + (i % 7) * 0.1);
    K[i] = 80 + (i % 41);
    T[i] = 0.05 + (i % 13) * 0.08;
    r[i] = 0.04;
    q[i] = 0;
    vol[i] = 0.15 + (i % 9) * 0.05;
    isCall[i] = i & 1;
  }
  return { run: () => bareBsmLoop(out, S, K, T, r, q, vol, isCall, N) };
}

const book = riskBookEvents({ positions: POSITIONS, options: OPTIONS, underlyings: UNDERLYINGS, now: NOW });
let state = reduceAll(book.events);
const scenarios = riskNavigatorScenarios(['STK', 'FUT', 'BOND']);
const shocks = scenarios.map((s) => s.shocks);
const params = stressParams({ now: NOW });

// The bare loop (section 3) is the anchor of the full grid too: it runs interleaved with the grid, so a busy
// machine slows both alike and the ratio of their medians is what the target reads (issue 21: >= 0.8x). Beside
// wall time, each run's on-CPU time of this (the main) thread, from Linux's schedstat in nanoseconds: on a shared
// machine it leaves out the time spent waiting for a core, which wall time cannot. GC helper threads are not in it.
const SCHEDSTAT = '/proc/thread-self/schedstat';
const hasSchedstat = (() => {
  try {
    return Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]) > 0;
  } catch {
    return false;
  }
})();
const cpuMs = hasSchedstat
  ? () => Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]) / 1e6
  : () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
// The process's CPU time, every thread's (the grid's pricing worker included), for the rebuilds that share their
// option pricing with it: main-thread CPU alone would leave the worker's share out.
const processCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
interface Timed {
  wall: number[];
  cpu: number[];
  proc: number[];
}
const timed = (): Timed => ({ wall: [], cpu: [], proc: [] });
function time(into: Timed | undefined, f: () => void): void {
  const c0 = cpuMs(),
    p0 = processCpuMs(),
    t0 = performance.now();
  f();
  const wall = performance.now() - t0,
    cpu = cpuMs() - c0,
    proc = processCpuMs() - p0;
  if (into) {
    into.wall.push(wall);
    into.cpu.push(cpu);
    into.proc.push(proc);
  }
}

// 1. Full grid: read the book from state and revalue everything, as the console does when the set of positions
// changes (rebuildStressGrid: the grid's own buffers). A fresh buildStressGrid is reported beside it. With 2,000
// options the rebuild shares its option pricing with a worker thread (params.pricingWorkerMinOptions); the same
// rebuild on the main thread alone (the setting at 0) is interleaved with it and reported beside it.
const grid0 = buildStressGrid(state, shocks, params);
const aloneGrid = buildStressGrid(state, shocks, stressParams({ now: NOW, pricingWorkerMinOptions: 0 }));
const revaluations =
  grid0.book.positions.filter((p) => p.cls.kind === 'option' && p.unpriced === undefined).length * scenarios.filter((s) => s.id !== 'base').length;
const bare = bareLoopInputs(revaluations);
// The cost of the Reg T pairing (issue 17), interleaved with the grid: every stock group's strategy requirement in
// every column, from the option values its revaluation produced (kept per group), as a rebuild pays it (the pairing
// planned again only for groups whose legs changed: none here), and with every group planned again (a fresh Scratch).
const pairN = grid0.cols.n;
const pairGroups = grid0.groups.filter((g) => g.hasOptions && g.segment === 'S');
const pairValues = pairGroups.map((g) => {
  const dst = { pnl: grid0.pnl, byOrdinal: false, maint: grid0.groupMaint, init: grid0.groupInit, at: grid0.groups.indexOf(g) * pairN };
  revalueGroup(grid0.book, g, grid0.shockOf, grid0.cols, grid0.params, dst, grid0.scratch);
  return grid0.scratch.values.slice(0, g.members.length * pairN);
});
const pairMaint = new Float64Array(pairN),
  pairInit = new Float64Array(pairN);
const pairing = (scratch: Scratch) => {
  pairGroups.forEach((g, k) => strategyGroupRequirement(grid0.book, g, grid0.shockOf, pairN, grid0.params, pairValues[k]!, pairMaint, pairInit, scratch));
};
// A rebuild lends the positions whose rows did not change (readBook), as when a position opens or closes; the same
// rebuild when every row and contract is a new object (the events reduced again, copied) reads and classifies every
// position again: the cost when everything changed at once. Interleaved with the rest.
const copied = book.events.map((e) => ('contract' in e ? ({ ...e, contract: { ...e.contract } } as FeedEvent) : e));
const everyRow = [state, reduceAll(copied)];
const everyRowGrid = buildStressGrid(state, shocks, params);
// What a console rebuild sees: one position opened (or closed again, every other rebuild), every other row the same
// object. The full grid above rebuilds the very same state, whose portfolio map a rebuild compares in one step
// (readBook's layout), so it reads nothing; this one pays the difference of the two maps and the rows' merge.
const opened = [
  state,
  reduce(state, {
    type: 'portfolioUpdated',
    account: RISK_ACCOUNT,
    contract: { conId: 9_000_001, symbol: 'OPENED', secType: 'STK', currency: 'USD', exchange: 'SMART' },
    position: new Decimal(100),
    marketPrice: new Decimal(25),
    marketValue: new Decimal(2500),
    averageCost: new Decimal(25),
    unrealizedPnl: new Decimal(0),
    realizedPnl: new Decimal(0),
    seq: book.events.length + 1,
    receivedAt: NOW,
  } as FeedEvent),
];
const oneGrid = buildStressGrid(state, shocks, params);
const fullT = timed(),
  everyRowT = timed(),
  bareT = timed(),
  freshT = timed(),
  readT = timed(),
  pairT = timed(),
  planT = timed(),
  aloneT = timed(),
  oneT = timed();
let grid = grid0;
const workerShare: number[] = [];
const serialMs: number[] = [];
const workerWaits: number[] = [];
const oneSerialMs: number[] = [];
for (let i = 0; i < WARMUP + RUNS; i++) {
  const keep = i >= WARMUP;
  time(keep ? bareT : undefined, () => bare.run());
  const started = performance.now();
  time(keep ? fullT : undefined, () => rebuildStressGrid(grid, state));
  const shared = lastSharedPricing();
  if (keep && shared.chunks > 0) {
    workerShare.push(shared.byWorker / shared.chunks);
    // Wall time from the rebuild's start to the worker's job: the part no second core shortens.
    serialMs.push(shared.postedAt - started);
    workerWaits.push(shared.workerWaits);
  } else if (keep) workerShare.push(0);
  time(keep ? aloneT : undefined, () => rebuildStressGrid(aloneGrid, state));
  const oneStarted = performance.now();
  time(keep ? oneT : undefined, () => rebuildStressGrid(oneGrid, opened[(i + 1) % 2]!));
  if (keep && lastSharedPricing().chunks > 0) oneSerialMs.push(lastSharedPricing().postedAt - oneStarted);
  time(keep ? everyRowT : undefined, () => rebuildStressGrid(everyRowGrid, everyRow[(i + 1) % 2]!));
  time(keep ? pairT : undefined, () => pairing(grid0.scratch));
  time(keep ? planT : undefined, () => pairing(new Scratch()));
  time(keep ? readT : undefined, () => readBook(state, params));
  time(keep ? freshT : undefined, () => {
    grid = buildStressGrid(state, shocks, params);
  });
}
const full = median(fullT.wall);
const fullVsBare = median(bareT.wall) / full;
const fullVsBareCpu = median(bareT.cpu) / median(fullT.cpu);
const alone = median(aloneT.wall);
const peak5k = peakRssMb();

// 1a. Growth: the same book ten times over (20,000 options on 3,000 underlyings), interleaved with the 5,000 one.
const bigBook = riskBookEvents({ positions: POSITIONS * 10, options: OPTIONS * 10, underlyings: UNDERLYINGS * 10, now: NOW });
const bigState = reduceAll(bigBook.events);
const bigGrid = buildStressGrid(bigState, shocks, params);
const bigT = timed(),
  smallT = timed();
const BIG_RUNS = Math.max(5, Math.ceil(RUNS / 2));
const bigWorkerShare: number[] = [];
for (let i = 0; i < 2 + BIG_RUNS; i++) {
  const keep = i >= 2;
  time(keep ? smallT : undefined, () => rebuildStressGrid(grid, state));
  time(keep ? bigT : undefined, () => rebuildStressGrid(bigGrid, bigState));
  if (keep) bigWorkerShare.push(lastSharedPricing().chunks > 0 ? lastSharedPricing().byWorker / lastSharedPricing().chunks : 0);
}
const big = median(bigT.wall);
const exponent = Math.log10(big / median(smallT.wall));
const exponentCpu = Math.log10(median(bigT.cpu) / median(smallT.cpu));

// The option phase alone: revalue the groups that hold options (P&L vectors and short-option margin), as the grid does.
const n = grid.cols.n;
const optionGroups = grid.groups.flatMap((g, gi) => (g.hasOptions ? [gi] : []));
const optionMs: number[] = [];
for (let i = 0; i < RUNS + WARMUP; i++) {
  const t0 = performance.now();
  for (const gi of optionGroups) {
    const dst = { pnl: grid.pnl, byOrdinal: false, maint: grid.groupMaint, init: grid.groupInit, at: gi * n };
    revalueGroup(grid.book, grid.groups[gi]!, grid.shockOf, grid.cols, params, dst, grid.scratch);
  }
  if (i >= WARMUP) optionMs.push(performance.now() - t0);
}
const optionPhase = median(optionMs);

// 1b. The option phase again with an announced cash dividend 30 days out on every underlying: the worst case for the
// cash-dividend lattice (nearly every option then expires after its ex-date and leaves the BAW fast path). Interleaved
// with the phase without dividends, by main-thread CPU as well: on the loaded machine wall times taken minutes apart
// (the phase above) do not compare.
const exDate = new Date(NOW + 30 * 86_400_000).toISOString().slice(0, 10);
const divParams = stressParams({ now: NOW, dividends: Object.fromEntries(book.underlyings.map((u) => [u.symbol, [{ exDate, amount: u.price * 0.01 }]])) });
const optionPhaseWith = (p: typeof params) => {
  for (const gi of optionGroups) {
    const dst = { pnl: grid.pnl, byOrdinal: false, maint: grid.groupMaint, init: grid.groupInit, at: gi * n };
    revalueGroup(grid.book, grid.groups[gi]!, grid.shockOf, grid.cols, p, dst, grid.scratch);
  }
};
const divT = timed(),
  plainPhaseT = timed();
for (let i = 0; i < Math.ceil(RUNS / 3) + 2; i++) {
  const keep = i >= 2;
  time(keep ? plainPhaseT : undefined, () => optionPhaseWith(params));
  time(keep ? divT : undefined, () => optionPhaseWith(divParams));
}
const dividendPhase = median(divT.wall);
const dividendPhaseRatioCpu = median(divT.cpu) / median(plainPhaseT.cpu);

// 1c. The liquidation search (report and console: every class, currency, the crash and the largest names) on a
// 400-position book, 160 options on 24 stocks, with and without TWS's dividends (tick 59, quarterly) on every stock,
// interleaved, main-thread CPU: the search evaluates one column at a time, where the lattice has no ladder to share.
const smallBook = riskBookEvents({ positions: 400, options: 160, underlyings: 24, now: NOW });
const smallState = reduceAll(smallBook.events);
const tick59 = smallBook.underlyings.map(
  (u, i) =>
    ({
      type: 'dividendsReceived',
      conId: u.stock,
      next12Months: new Decimal((u.price * 0.04).toFixed(4)),
      nextExDate: exDate,
      nextAmount: new Decimal((u.price * 0.01).toFixed(4)),
      seq: smallState.lastSeq + 1 + i,
      receivedAt: NOW - 1000,
    }) as FeedEvent,
);
const paidState = reduceAll([...smallBook.events, ...tick59]);
const smallScenarios = builtinScenarios('USD', ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'HKD'], ['STK', 'FUT', 'BOND']);
const plainGrid = buildStressGrid(
  smallState,
  smallScenarios.map((x) => x.shocks),
  params,
);
const paidGrid = buildStressGrid(
  paidState,
  smallScenarios.map((x) => x.shocks),
  params,
);
const smallReport = stressReportFromGrid(plainGrid, smallState, smallScenarios);
const smallAnchors = anchorsOf(smallReport.anchors.netLiquidation.value, smallReport.anchors.equityWithLoanValue.value, smallReport.margin.calibration.maint);
const searchPlain = timed(),
  searchPaid = timed();
for (let i = 0; i < 3 + RUNS; i++) {
  const keep = i >= 3;
  for (const [g, into] of [
    [plainGrid, searchPlain],
    [paidGrid, searchPaid],
  ] as const) {
    time(keep ? into : undefined, () => searchDistances(g, smallAnchors));
  }
}
const searchRatio = median(searchPaid.cpu) / median(searchPlain.cpu);

// 2. Incremental: one underlying ticks (its stock's mark and its options' model values), update with the touched conIds.
const incMs: number[] = [];
const scanMs: number[] = [];
let seq = state.lastSeq;
for (let i = 0; i < 60; i++) {
  const u = (i * 37) % UNDERLYINGS;
  const events = underlyingTick(book, u, ((i % 7) - 3) * 0.002, NOW + 1000 + i, ++seq);
  seq += events.length;
  for (const ev of events) state = reduce(state, ev);
  const touched = events.map((e) => ('conId' in e ? e.conId : 0));
  const t0 = performance.now();
  const r = updateStressGrid(grid, state, NOW + 1000 + i, touched);
  const dt = performance.now() - t0;
  if (r.rebuilt || r.groups !== 1) throw new Error(`expected one group recomputed, got ${JSON.stringify(r)}`);
  if (i >= 10) incMs.push(dt); // after warm-up
}
// The same without the touched hint: every position's rows compared by reference.
for (let i = 0; i < 20; i++) {
  const u = (i * 53) % UNDERLYINGS;
  const events = underlyingTick(book, u, 0.001 * (i + 1), NOW + 5000 + i, ++seq);
  seq += events.length;
  for (const ev of events) state = reduce(state, ev);
  const t0 = performance.now();
  updateStressGrid(grid, state, NOW + 5000 + i);
  if (i >= 5) scanMs.push(performance.now() - t0);
}
const inc = median(incMs);

// 3. The bare loop alone, for the option phase's ratio.
const bareMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  bare.run();
  bareMs.push(performance.now() - t0);
}
const bareRate = revaluations / (median(bareMs) / 1000);
const ourRate = revaluations / (optionPhase / 1000);
const ratio = ourRate / bareRate;

report([
  {
    name: 'risk grid',
    metric: `full grid: ${POSITIONS} positions (${OPTIONS} options on ${UNDERLYINGS} underlyings, 8 currencies) x ${scenarios.length} scenarios`,
    value: round(full),
    unit: 'ms',
    target: '< 50',
    pass: full < 50,
    extra: {
      readBookMs: round(median(readT.wall)),
      minMs: round(Math.min(...fullT.wall)),
      maxMs: round(Math.max(...fullT.wall)),
      cpuMs: round(median(fullT.cpu)),
      processCpuMs: round(median(fullT.proc)),
      workerShareOfOptionChunks: round(median(workerShare), 2),
      beforeWorkerJobMs: serialMs.length > 0 ? round(median(serialMs)) : 'no shared rebuild',
      workerCaughtUpWithReading: workerWaits.length > 0 ? median(workerWaits) : 'no shared rebuild',
      mainThreadAloneMs: round(alone),
      mainThreadAloneCpuMs: round(median(aloneT.cpu)),
      onePositionChangedMs: round(median(oneT.wall)),
      onePositionChangedCpuMs: round(median(oneT.cpu)),
      onePositionChangedBeforeWorkerJobMs: oneSerialMs.length > 0 ? round(median(oneSerialMs)) : 'no shared rebuild',
      everyRowChangedMs: round(median(everyRowT.wall)),
      everyRowChangedCpuMs: round(median(everyRowT.cpu)),
      cpuClock: hasSchedstat ? 'main thread (schedstat)' : 'process (cpuUsage)',
      freshBuildMs: round(median(freshT.wall)),
      peakRssMb: Math.round(peak5k),
    },
  },
  {
    name: 'risk grid',
    metric: `full grid vs the bare BSM loop over its ${revaluations.toLocaleString('en-US')} option revaluations, interleaved (bare ms / grid ms)`,
    value: round(fullVsBare, 2),
    unit: 'x',
    target: '>= 0.8',
    pass: fullVsBare >= 0.8,
    extra: {
      bareMs: round(median(bareT.wall)),
      gridMs: round(full),
      byCpuTime: round(fullVsBareCpu, 2),
      mainThreadAlone: round(median(bareT.wall) / alone, 2),
      mainThreadAloneByCpuTime: round(median(bareT.cpu) / median(aloneT.cpu), 2),
      byProcessCpuTime: round(median(bareT.proc) / median(fullT.proc), 2),
      freshBuildRatio: round(median(bareT.wall) / median(freshT.wall), 2),
      onePositionChanged: round(median(bareT.wall) / median(oneT.wall), 2),
      onePositionChangedByCpuTime: round(median(bareT.cpu) / median(oneT.cpu), 2),
    },
  },
  {
    name: 'risk grid',
    metric: `full grid growth exponent ${POSITIONS.toLocaleString('en-US')} -> ${(POSITIONS * 10).toLocaleString('en-US')} positions, interleaved`,
    value: round(exponent, 2),
    unit: '',
    target: '<= 1.05',
    pass: exponent <= 1.05,
    extra: {
      ms50k: round(big),
      workerShareOfOptionChunks50k: round(median(bigWorkerShare), 2),
      ms5k: round(median(smallT.wall)),
      byCpuTime: round(exponentCpu, 2),
      cpuMs50k: round(median(bigT.cpu)),
      peakRssMb: Math.round(peakRssMb()),
    },
  },
  {
    name: 'risk grid',
    metric: `Reg T strategy pairing inside the full grid (${pairGroups.length} stock groups with options x ${pairN} columns), main-thread CPU`,
    value: round(median(pairT.cpu), 2),
    unit: 'ms',
    extra: {
      wallMs: round(median(pairT.wall), 2),
      shareOfFullGridCpu: round(median(pairT.cpu) / median(fullT.cpu), 3),
      fullGridCpuMs: round(median(fullT.cpu)),
      withEveryGroupPlannedCpuMs: round(median(planT.cpu), 2),
    },
  },
  {
    name: 'risk grid',
    metric: 'incremental update after one underlying ticks (touched conIds)',
    value: Math.round(inc * 1000) / 1000,
    unit: 'ms',
    target: '< 1',
    pass: inc < 1,
    extra: { maxMs: Math.round(Math.max(...incMs) * 1000) / 1000, withoutHintMedianMs: Math.round(median(scanMs) * 1000) / 1000 },
  },
  {
    name: 'risk grid',
    metric: `option phase with a cash dividend before expiry on every underlying (lattice, ${OPTIONS} options)`,
    value: Math.round(dividendPhase * 10) / 10,
    unit: 'ms',
    extra: {
      withoutDividendsMs: Math.round(optionPhase * 10) / 10,
      perOptionUs: Math.round((dividendPhase * 1000) / OPTIONS),
      cpuMs: round(median(divT.cpu)),
      withoutDividendsInterleavedCpuMs: round(median(plainPhaseT.cpu)),
      vsWithoutDividendsByCpu: round(dividendPhaseRatioCpu, 2),
    },
  },
  {
    name: 'risk grid',
    metric: 'liquidation search, 160 options on 24 stocks: with TWS dividends on every stock (lattice) / without, main-thread CPU',
    value: round(searchRatio, 2),
    unit: 'x',
    target: '<= 1.5',
    pass: searchRatio <= 1.5,
    extra: {
      withDividendsCpuMs: round(median(searchPaid.cpu)),
      withoutCpuMs: round(median(searchPlain.cpu)),
      withDividendsWallMs: round(median(searchPaid.wall)),
      withoutWallMs: round(median(searchPlain.wall)),
    },
  },
  {
    name: 'risk grid',
    metric: 'option revaluations/s (grid option phase) vs a bare Float64Array BSM loop',
    value: Math.round(ratio * 100) / 100,
    unit: 'x',
    target: '>= 0.5',
    pass: ratio >= 0.5,
    extra: {
      ourPerSecond: Math.round(ourRate),
      barePerSecond: Math.round(bareRate),
      revaluations,
      optionPhaseMs: Math.round(optionPhase * 10) / 10,
      perSecondOverWholeGrid: Math.round(revaluations / (full / 1000)),
    },
  },
]);
