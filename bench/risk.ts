// Benchmark: the stress grid (5,000 positions, 2,000 options on 300 underlyings, 8 currencies × 175 scenarios),
// an incremental update after one underlying ticks, and option revaluations/s against a bare Black-Scholes loop.
import { performance } from 'node:perf_hooks';
import { reduce, reduceAll } from '../src/model/reducer.js';
import { readBook } from '../src/risk/boundary.js';
import { buildStressGrid, updateStressGrid } from '../src/risk/grid.js';
import { stressParams } from '../src/risk/params.js';
import { revalueGroup } from '../src/risk/revalue.js';
import { bareBsmLoop } from '../src/risk/pricing/batch.js';
import { riskNavigatorScenarios } from '../src/risk/scenario-text.js';
import { peakRssMb, report } from './measure.js';
import { riskBookEvents, underlyingTick } from './risk-book.js';

const NOW = Date.UTC(2026, 10, 23, 15, 0);
const POSITIONS = 5000;
const OPTIONS = 2000;
const UNDERLYINGS = 300;
const RUNS = Number(process.env.BENCH_RISK_RUNS ?? 15);
const WARMUP = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const book = riskBookEvents({ positions: POSITIONS, options: OPTIONS, underlyings: UNDERLYINGS, now: NOW });
let state = reduceAll(book.events);
const scenarios = riskNavigatorScenarios(['STK', 'FUT', 'BOND']);
const shocks = scenarios.map((s) => s.shocks);
const params = stressParams({ now: NOW });

// 1. Full grid: read the book from state and revalue everything (after warm-up runs, the median).
for (let i = 0; i < WARMUP; i++) buildStressGrid(state, shocks, params);
const fullMs: number[] = [];
const readMs: number[] = [];
let grid = buildStressGrid(state, shocks, params);
for (let i = 0; i < RUNS; i++) {
  let t0 = performance.now();
  readBook(state, params);
  readMs.push(performance.now() - t0);
  t0 = performance.now();
  grid = buildStressGrid(state, shocks, params);
  fullMs.push(performance.now() - t0);
}
const full = median(fullMs);
const optionPositions = grid.book.positions.filter((p) => p.cls.kind === 'option' && p.unpriced === undefined).length;
const revaluations = optionPositions * scenarios.filter((s) => s.id !== 'base').length;

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
// cash-dividend lattice (nearly every option then expires after its ex-date and leaves the BAW fast path).
const exDate = new Date(NOW + 30 * 86_400_000).toISOString().slice(0, 10);
const divParams = stressParams({ now: NOW, dividends: Object.fromEntries(book.underlyings.map((u) => [u.symbol, [{ exDate, amount: u.price * 0.01 }]])) });
const divMs: number[] = [];
for (let i = 0; i < Math.ceil(RUNS / 3) + 2; i++) {
  const t0 = performance.now();
  for (const gi of optionGroups) {
    const dst = { pnl: grid.pnl, byOrdinal: false, maint: grid.groupMaint, init: grid.groupInit, at: gi * n };
    revalueGroup(grid.book, grid.groups[gi]!, grid.shockOf, grid.cols, divParams, dst, grid.scratch);
  }
  if (i >= 2) divMs.push(performance.now() - t0);
}
const dividendPhase = median(divMs);

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

// 3. A bare Float64Array Black-Scholes loop over as many elements as the grid's option revaluations.
const N = revaluations;
const S = new Float64Array(N), K = new Float64Array(N), T = new Float64Array(N), r = new Float64Array(N);
const q = new Float64Array(N), vol = new Float64Array(N), isCall = new Uint8Array(N), out = new Float64Array(N);
for (let i = 0; i < N; i++) {
  S[i] = 100 * (0.7 + (i % 7) * 0.1);
  K[i] = 80 + (i % 41);
  T[i] = 0.05 + (i % 13) * 0.08;
  r[i] = 0.04;
  q[i] = 0;
  vol[i] = 0.15 + (i % 9) * 0.05;
  isCall[i] = i & 1;
}
for (let i = 0; i < WARMUP; i++) bareBsmLoop(out, S, K, T, r, q, vol, isCall, N);
const bareMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  bareBsmLoop(out, S, K, T, r, q, vol, isCall, N);
  bareMs.push(performance.now() - t0);
}
const bareRate = N / (median(bareMs) / 1000);
const ourRate = revaluations / (optionPhase / 1000);
const ratio = ourRate / bareRate;

report([
  {
    name: 'risk grid',
    metric: `full grid: ${POSITIONS} positions (${OPTIONS} options on ${UNDERLYINGS} underlyings, 8 currencies) x ${scenarios.length} scenarios`,
    value: Math.round(full * 10) / 10,
    unit: 'ms',
    target: '< 50',
    pass: full < 50,
    extra: { readBookMs: Math.round(median(readMs) * 10) / 10, minMs: Math.round(Math.min(...fullMs) * 10) / 10, maxMs: Math.round(Math.max(...fullMs) * 10) / 10, peakRssMb: Math.round(peakRssMb()) },
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
    extra: { withoutDividendsMs: Math.round(optionPhase * 10) / 10, perOptionUs: Math.round((dividendPhase * 1000) / OPTIONS) },
  },
  {
    name: 'risk grid',
    metric: 'option revaluations/s (grid option phase) vs a bare Float64Array BSM loop',
    value: Math.round(ratio * 100) / 100,
    unit: 'x',
    target: '>= 0.5',
    pass: ratio >= 0.5,
    extra: {
      ourPerSecond: Math.round(ourRate), barePerSecond: Math.round(bareRate), revaluations,
      optionPhaseMs: Math.round(optionPhase * 10) / 10, perSecondOverWholeGrid: Math.round(revaluations / (full / 1000)),
    },
  },
]);
