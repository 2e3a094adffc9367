// The incremental grid: after a tick, a fill, an FX move or a clock step it equals a full rebuild bit for bit; readBook lends only what holds.
import { describe, expect, it } from 'vitest';
import type { Contract } from '../../src/model/contract.js';
import type { FeedEvent } from '../../src/model/events.js';
import { PMap } from '../../src/model/pmap.js';
import { Decimal } from '../../src/model/money.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import type { PortfolioState } from '../../src/model/state.js';
import { readBook, type Book } from '../../src/risk/boundary.js';
import {
  baseColumn,
  buildStressGrid,
  columnAccount,
  columnAccountAt,
  columnSums,
  evaluateShocks,
  rebuildStressGrid,
  updateStressGrid,
  type ColumnAccount,
  type StressGrid,
} from '../../src/risk/grid.js';
import { stressParams } from '../../src/risk/params.js';
import { stressReportFromGrid } from '../../src/risk/report.js';
import { toReportJson } from '../../src/risk/report-json.js';
import { builtinScenarios, riskNavigatorScenarios } from '../../src/risk/scenario-text.js';
import { ZERO_SHOCKS } from '../../src/risk/scenario-types.js';
import { RISK_ACCOUNT, riskBookEvents, underlyingTick } from '../../bench/risk-book.js';
import { option } from '../support/events.js';
import { av, contract, greeks, holding, stateOf } from './stress-fixtures.js';
import { stock } from '../support/events.js';

const NOW = Date.UTC(2026, 10, 23, 15, 0);
const book = riskBookEvents({ positions: 400, options: 160, underlyings: 24, now: NOW, seed: 11 });
const scenarios = [
  ...builtinScenarios('USD', ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'HKD'], ['STK', 'FUT', 'BOND']),
  ...riskNavigatorScenarios(['STK', 'FUT', 'BOND']).filter((s) => s.id !== 'base'),
].filter((s, i, all) => all.findIndex((t) => t.id === s.id) === i);
const shocks = scenarios.map((s) => s.shocks);
const params = stressParams({ now: NOW, bondDurations: {} });

/** Every vector and sum of two grids, compared exactly (Object.is on every element). */
function expectSameGrid(a: StressGrid, b: StressGrid): void {
  for (const key of ['pnlSum', 'nlvSum', 'maintS', 'initS', 'maintC', 'initC', 'pnl'] as const) {
    const x = a[key],
      y = b[key];
    expect(x.length, key).toBe(y.length);
    let diff = -1;
    for (let i = 0; i < x.length && diff < 0; i++) if (!Object.is(x[i], y[i])) diff = i;
    expect(diff, `${key} differs at ${diff}`).toBe(-1);
  }
}

function apply(state: PortfolioState, events: readonly FeedEvent[]): PortfolioState {
  return events.reduce(reduce, state);
}

let seq = 1_000_000;
const at = (t: number) => ({ seq: ++seq, receivedAt: t });

describe('incremental stress grid', () => {
  it('after one underlying ticks, revalues only its group and equals a full rebuild exactly', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const tick = underlyingTick(book, 3, 0.004, NOW + 1000, ++seq);
    seq += tick.length;
    state = apply(state, tick);
    const result = updateStressGrid(
      grid,
      state,
      NOW + 1000,
      tick.map((e) => ('conId' in e ? e.conId : 0)),
    );
    expect(result).toEqual({ rebuilt: false, groups: 1 });
    const fresh = buildStressGrid(state, shocks, { ...params, now: NOW + 1000 });
    expectSameGrid(grid, fresh);
    expect(toReportJson(stressReportFromGrid(grid, state, scenarios))).toEqual(toReportJson(stressReportFromGrid(fresh, state, scenarios)));
  });

  it('finds the changed rows by reference when no touched conIds are given', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const tick = underlyingTick(book, 7, -0.01, NOW + 2000, ++seq);
    seq += tick.length;
    state = apply(state, tick);
    expect(updateStressGrid(grid, state, NOW + 2000)).toEqual({ rebuilt: false, groups: 1 });
    expectSameGrid(grid, buildStressGrid(state, shocks, params));
  });

  it('a quantity change (fill) on an existing position, an FX rate and a cash move: no rebuild, same bits', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const row = [...state.portfolio.values()].find((r) => r.contract.secType === 'STK')!;
    const events: FeedEvent[] = [
      {
        type: 'portfolioUpdated',
        account: RISK_ACCOUNT,
        contract: row.contract,
        position: row.position.add(10),
        marketPrice: row.marketPrice!,
        marketValue: row.position.add(10).mul(row.marketPrice!),
        averageCost: row.averageCost!,
        unrealizedPnl: new Decimal(0),
        realizedPnl: new Decimal(0),
        ...at(NOW + 3000),
      },
      { type: 'accountValueUpdated', account: RISK_ACCOUNT, key: 'ExchangeRate', currency: 'EUR', value: '1.0911', ...at(NOW + 3000) },
      { type: 'accountValueUpdated', account: RISK_ACCOUNT, key: 'CashBalance', currency: 'GBP', value: '-12345.67', ...at(NOW + 3000) },
    ];
    state = apply(state, events);
    const r = updateStressGrid(grid, state, NOW + 3000, [row.contract.conId]);
    expect(r.rebuilt).toBe(false);
    expectSameGrid(grid, buildStressGrid(state, shocks, params));
    expect(toReportJson(stressReportFromGrid(grid, state, scenarios))).toEqual(
      toReportJson(stressReportFromGrid(buildStressGrid(state, shocks, { ...params, now: NOW + 3000 }), state, scenarios)),
    );
  });

  it("TWS's dividends for an underlying (tick 59) revalue its option group, move its P&L, and equal a rebuild", () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const und = book.underlyings[5]!;
    const n = grid.cols.n;
    const pnlOf = (conId: number) => {
      const i = grid.book.positions.findIndex((p) => p.conId === conId);
      return Array.from(grid.pnl.slice(i * n, (i + 1) * n));
    };
    expect(und.options.length).toBeGreaterThan(0);
    const before = und.options.map(pnlOf);
    const ev = {
      type: 'dividendsReceived',
      conId: und.stock,
      next12Months: new Decimal('4'),
      nextExDate: new Date(NOW + 20 * 86_400_000).toISOString().slice(0, 10),
      nextAmount: new Decimal('1'),
      ...at(NOW + 3000),
    } as FeedEvent;
    state = apply(state, [ev]);
    expect(updateStressGrid(grid, state, NOW + 3000, [und.stock])).toEqual({ rebuilt: false, groups: 1 });
    expectSameGrid(grid, buildStressGrid(state, shocks, params));
    // Some of its options are American with expiry after the ex-date: priced on the lattice now, their P&L moves.
    expect(und.options.map(pnlOf)).not.toEqual(before);
  });

  it('an option whose quantity flips sign is paired again: the Reg T requirement equals a rebuild', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const before = Float64Array.from(grid.maintS);
    // A short option turned long (or a long one short) changes the pairing, not only the prices.
    const row = [...state.portfolio.values()].find((r) => r.contract.secType === 'OPT')!;
    const position = row.position.neg().mul(3);
    state = apply(state, [
      {
        type: 'portfolioUpdated',
        account: RISK_ACCOUNT,
        contract: row.contract,
        position,
        marketPrice: row.marketPrice!,
        marketValue: position.mul(row.marketPrice!).mul(row.contract.multiplier ?? '100'),
        averageCost: row.averageCost!,
        unrealizedPnl: new Decimal(0),
        realizedPnl: new Decimal(0),
        ...at(NOW + 3500),
      },
    ]);
    expect(updateStressGrid(grid, state, NOW, [row.contract.conId])).toEqual({ rebuilt: false, groups: 1 });
    expectSameGrid(grid, buildStressGrid(state, shocks, params));
    expect(Array.from(grid.maintS)).not.toEqual(Array.from(before));
  });

  it('a new clock step revalues every option group (time moved) and still equals a rebuild', () => {
    const state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const later = NOW + 2 * 3_600_000;
    const r = updateStressGrid(grid, state, later);
    expect(r.rebuilt).toBe(false);
    expect(r.groups).toBe(24);
    expectSameGrid(grid, buildStressGrid(state, shocks, { ...params, now: later }));
  });

  it('a new position rebuilds the structure', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const contract = { conId: 42, symbol: 'NEW', secType: 'STK', currency: 'USD' };
    state = apply(state, [
      {
        type: 'portfolioUpdated',
        account: RISK_ACCOUNT,
        contract,
        position: new Decimal(5),
        marketPrice: new Decimal(10),
        marketValue: new Decimal(50),
        ...at(NOW + 4000),
      },
    ]);
    expect(updateStressGrid(grid, state, NOW + 4000, [42]).rebuilt).toBe(true);
    expectSameGrid(grid, buildStressGrid(state, shocks, params));
  });

  it('a rebuild keeps the positions whose rows are the same objects and reads the rest again: it equals a fresh build', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const before = new Map(grid.book.positions.map((p) => [p.conId, p]));
    // One update that opens a position and ticks underlying 3 (its stock and its options' model values).
    const tick = underlyingTick(book, 3, 0.01, NOW + 4000, ++seq);
    seq += tick.length;
    const contract = { conId: 43, symbol: 'NEW2', secType: 'STK', currency: 'EUR' };
    const open: FeedEvent = {
      type: 'portfolioUpdated',
      account: RISK_ACCOUNT,
      contract,
      position: new Decimal(7),
      marketPrice: new Decimal(12),
      marketValue: new Decimal(84),
      ...at(NOW + 4000),
    };
    state = apply(state, [...tick, open]);
    expect(updateStressGrid(grid, state, NOW + 4000).rebuilt).toBe(true);
    expectSameGrid(grid, buildStressGrid(state, shocks, params));
    // The stock's own position reads its portfolio row, which a price tick leaves as it was; its options read the tick.
    const u3 = book.underlyings[3]!;
    const ticked = new Set(u3.options);
    let kept = 0;
    for (const p of grid.book.positions) {
      const old = before.get(p.conId);
      if (p.conId === 43) expect(old).toBeUndefined();
      else if (ticked.has(p.conId)) {
        // Read again: the options' model vol and underlying moved with the tick.
        expect(p).not.toBe(old);
        expect(p.underlying).not.toBe(old!.underlying);
      } else if (p !== old) throw new Error(`position ${p.conId} was read again though none of its rows changed`);
      else kept++;
    }
    expect(kept).toBe(grid.book.positions.length - 1 - u3.options.length);

    // Closing underlying 5's stock: its options lose their held underlying (their class changes), so they are read
    // again, priced on the underlying TWS sent with their model values.
    const u5 = book.underlyings[5]!;
    const stockRow = state.portfolio.get(u5.stock)!;
    const close: FeedEvent = { type: 'portfolioUpdated', account: RISK_ACCOUNT, contract: stockRow.contract, position: new Decimal(0), ...at(NOW + 5000) };
    state = apply(state, [close]);
    const classes = new Map(grid.book.positions.map((p) => [p.conId, p.cls]));
    expect(updateStressGrid(grid, state, NOW + 4000).rebuilt).toBe(true);
    expectSameGrid(grid, buildStressGrid(state, shocks, params));
    for (const id of u5.options) {
      const p = grid.book.positions.find((x) => x.conId === id)!;
      expect(classes.get(id)!.underlyingConId).toBe(u5.stock);
      expect(p.cls.underlyingConId).toBeUndefined();
    }
  });

  it('a cash row in a new currency rebuilds the layout (the currency joins every scenario)', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    state = apply(state, [
      { type: 'accountValueUpdated', account: RISK_ACCOUNT, key: 'ExchangeRate', currency: 'SEK', value: '0.095', ...at(NOW + 5000) },
      { type: 'accountValueUpdated', account: RISK_ACCOUNT, key: 'CashBalance', currency: 'SEK', value: '-250000', ...at(NOW + 5000) },
    ]);
    expect(updateStressGrid(grid, state, NOW + 5000).rebuilt).toBe(true);
    expect(grid.book.currencies).toContain('SEK');
    expectSameGrid(grid, buildStressGrid(state, shocks, params));
  });

  it('the zero-shock column is exactly zero in every P&L vector', () => {
    const grid = buildStressGrid(reduceAll(book.events), shocks, params);
    const n = grid.cols.n;
    const j = baseColumn(grid);
    for (let i = 0; i < grid.book.positions.length; i++) expect(grid.pnl[i * n + j]).toBe(0);
    const baseScenario = scenarios.findIndex((s) => s.id === 'base');
    for (let i = 0; i < grid.book.positions.length; i++) expect(grid.pnl[i * n + baseScenario]).toBe(0);
  });
});

describe('evaluateShocks', () => {
  /** An account against the grid's stored column, as the full build computed it (another path: every group revalued). */
  function expectColumn(grid: StressGrid, acc: ColumnAccount, j: number, what: string): void {
    const stored = columnAccount(grid, columnSums(grid, j));
    const close = (a: number, b: number, field: string) =>
      expect(Math.abs(a - b), `${what}: ${field} ${a} vs ${b}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(b)));
    close(acc.pnl, stored.pnl, 'pnl');
    close(acc.pnlNoLoan, stored.pnlNoLoan, 'pnlNoLoan');
    close(acc.maint.S + acc.maint.C, stored.maint.S + stored.maint.C, 'maint');
    close(acc.init.S + acc.init.C, stored.init.S + stored.init.C, 'init');
    expect(acc.cells.length).toBe(stored.cells.length);
    for (let i = 0; i < acc.cells.length; i++) close(acc.cells[i]!, stored.cells[i]!, `cell ${i}`);
  }

  it("equals the grid's own columns whatever it evaluated before: its working sums and zero columns are reused, never read stale", () => {
    const grid = buildStressGrid(reduceAll(book.events), shocks, params);
    // Scenarios that move prices of a class (a zero column of the others), currencies, and vol or time.
    const picked = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => Math.floor((k * (shocks.length - 1)) / 7));
    expect(new Set(picked.map((j) => Object.keys(shocks[j]!.px).join()))).not.toEqual(new Set(['']));
    const check = (label: string) =>
      evaluateShocks(
        grid,
        picked.map((j) => shocks[j]!),
      ).forEach((acc, i) => expectColumn(grid, acc, picked[i]!, `${label} #${picked[i]}`));
    check('first');
    // A smaller book in one currency (sums of another size), then one shock at a time in reverse order, then all again.
    const small = buildStressGrid(
      stateOf([av('NetLiquidation', '50000'), av('CashBalance', '30000', 'USD'), holding(stock(1, 'AAPL', 'USD'), '100', '200')]),
      [{ ...ZERO_SHOCKS, px: { STK: -0.1 } }],
      params,
    );
    expect(small.book.currencies.length).toBeLessThan(grid.book.currencies.length);
    // 100 AAPL at 200 down 10%: −2,000, against the small grid's own column.
    expect(evaluateShocks(small, [{ ...ZERO_SHOCKS, px: { STK: -0.1 } }])[0]!.pnl).toBeCloseTo(-2000, 6);
    for (const j of [...picked].reverse()) expectColumn(grid, evaluateShocks(grid, [shocks[j]!])[0]!, j, `alone #${j}`);
    check('again');
    // The report's read of a stored column through its reused sums, across the two grids: the same account exactly.
    for (const g of [grid, small, grid])
      for (let j = 0; j < g.cols.n; j += Math.max(1, Math.floor(g.cols.n / 9))) expect(columnAccountAt(g, j)).toEqual(columnAccount(g, columnSums(g, j)));
    // No shock after shocks that moved classes: nothing moves (the shared zero columns were not written).
    const still = evaluateShocks(grid, [ZERO_SHOCKS, ZERO_SHOCKS]);
    for (const acc of still) {
      expect(acc.pnl).toBe(0);
      expectColumn(grid, acc, baseColumn(grid), 'no shock');
    }
  });
});

describe('readBook lends the previous book only what still holds', () => {
  const aapl = contract({ conId: 1, symbol: 'AAPL', secType: 'STK', currency: 'USD' });
  const sap = contract({ conId: 2, symbol: 'SAP', secType: 'STK', currency: 'EUR' });
  // Expires today at 16:00 New York (21:00 UTC), an hour-and-more step of the valuation clock after NOW.
  const call = option(3, 'AAPL', '20261123', '200', 'C');
  const bodies = [
    av('NetLiquidation', '500000.00'),
    av('CashBalance', '1000.00', 'USD'),
    av('ExchangeRate', '1.0837', 'EUR'),
    holding(aapl, '100', '201.37'),
    holding(sap, '30', '187.41'),
    holding(call, '2', '3.40'),
    // No implied vol: priced only once expired, at intrinsic value.
    greeks(3, undefined, 201.37),
  ];

  it('reads a position again when the valuation clock stepped', () => {
    const state = stateOf(bodies);
    const before = readBook(state, stressParams({ now: NOW }));
    const option = (b: Book) => b.positions.find((p) => p.conId === 3)!;
    expect(option(before).unpriced).toBe('no implied vol');
    // Within the same clock step the positions are lent (the same objects), so the guard is what the step meets.
    expect(option(readBook(state, stressParams({ now: NOW + 60_000 }), before))).toBe(option(before));
    const after = readBook(state, stressParams({ now: Date.UTC(2026, 10, 23, 22, 0) }), before);
    expect(option(after).unpriced).toBeUndefined();
  });

  it('reads a position again when a new currency moved its currency index', () => {
    const state = stateOf(bodies);
    const before = readBook(state, stressParams({ now: NOW }));
    expect(before.currencies).toEqual(['EUR', 'USD']);
    // Folded on from the same state, so the rows are the same objects a lending book would take.
    const wider = apply(state, [
      { ...av('CashBalance', '500.00', 'CHF'), ...at(NOW) },
      { ...av('ExchangeRate', '1.1312', 'CHF'), ...at(NOW) },
    ] as FeedEvent[]);
    expect(wider.portfolio).toBe(state.portfolio);
    const after = readBook(wider, stressParams({ now: NOW }), before);
    expect(after.currencies).toEqual(['CHF', 'EUR', 'USD']);
    expect(after.positions.map((p) => [p.conId, after.currencies[p.currencyIndex]])).toEqual([
      [1, 'USD'],
      [2, 'EUR'],
      [3, 'USD'],
    ]);
  });

  it('reads a position again when the exchange rate it lacked arrived', () => {
    const state = stateOf(bodies.filter((b) => !(b.type === 'accountValueUpdated' && b.key === 'ExchangeRate')));
    const before = readBook(state, stressParams({ now: NOW }));
    const sapOf = (b: Book) => b.positions.find((p) => p.conId === 2)!;
    expect(sapOf(before).unpriced).toBe('no ExchangeRate for EUR');
    const rated = apply(state, [{ ...av('ExchangeRate', '1.0837', 'EUR'), ...at(NOW) }] as FeedEvent[]);
    const after = readBook(rated, stressParams({ now: NOW }), before);
    expect(after.currencies).toEqual(before.currencies);
    expect(sapOf(after).unpriced).toBeUndefined();
  });
});

describe('a rebuild takes the rows and classes of the book it replaces', () => {
  /**
   * The reference: the state with every row's contract a new object (nothing remembered for it, no previous book), built
   * from scratch on the main thread.
   */
  function fresh(state: PortfolioState, p = params): StressGrid {
    const copied = PMap.from([...state.portfolio.entries()].map(([k, r]) => [k, { ...r, contract: { ...r.contract } }] as const));
    return buildStressGrid({ ...state, portfolio: copied }, shocks, { ...p, pricingWorkerMinOptions: 0 });
  }
  /** The grid rebuilt from its previous book equals the fresh one, every element and every class. */
  function expectFresh(grid: StressGrid, state: PortfolioState, p = params): void {
    const ref = fresh(state, p);
    expectSameGrid(grid, ref);
    expect(grid.book.positions.map((x) => x.cls)).toEqual(ref.book.positions.map((x) => x.cls));
    expect(grid.book.currencies).toEqual(ref.book.currencies);
    expect(grid.groups.map((g) => g.key)).toEqual(ref.groups.map((g) => g.key));
  }
  const row = (c: Contract, qty: number, price: number): FeedEvent => ({
    type: 'portfolioUpdated',
    account: RISK_ACCOUNT,
    contract: c,
    position: new Decimal(qty),
    marketPrice: new Decimal(price),
    marketValue: new Decimal(qty * price * (c.multiplier?.toNumber() ?? 1)),
    ...at(NOW + 4000),
  });
  const clsOf = (grid: StressGrid, conId: number) => grid.book.positions.find((p) => p.conId === conId)!.cls;

  it('the held stock under covered calls closing, opening again and a second listing: the options follow it', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const u5 = book.underlyings[5]!;
    const stock = state.portfolio.get(u5.stock)!.contract;
    const rebuilt = () => expect(updateStressGrid(grid, state, NOW + 4000).rebuilt).toBe(true);
    // Closed: its options have no held underlying.
    state = apply(state, [row(stock, 0, 1)]);
    rebuilt();
    for (const id of u5.options) expect(clsOf(grid, id).underlyingConId).toBeUndefined();
    expectFresh(grid, state);
    // Opened again (the same contract object): the options are covered again.
    state = apply(state, [row(stock, 300, u5.price)]);
    rebuilt();
    for (const id of u5.options) expect(clsOf(grid, id).underlyingConId).toBe(u5.stock);
    expectFresh(grid, state);
    // A second listing with a lower conId takes the options over, and closing it gives them back.
    const listing: Contract = { conId: 7, symbol: u5.symbol, secType: 'STK', currency: stock.currency, exchange: 'SMART' };
    state = apply(state, [row(listing, 50, u5.price)]);
    rebuilt();
    for (const id of u5.options) expect(clsOf(grid, id).underlyingConId).toBe(7);
    expectFresh(grid, state);
    state = apply(state, [row(listing, 0, u5.price)]);
    rebuilt();
    for (const id of u5.options) expect(clsOf(grid, id).underlyingConId).toBe(u5.stock);
    expectFresh(grid, state);
    // Both listings closed, and one option closed with them: the rest are on their own, in one rebuild.
    state = apply(state, [row(stock, 0, 1), row(state.portfolio.get(u5.options[0]!)!.contract, 0, 1)]);
    rebuilt();
    for (const id of u5.options.slice(1)) expect(clsOf(grid, id).underlyingConId).toBeUndefined();
    expectFresh(grid, state);
  });

  it('a derivative opened on a stock held alone gives it a group of its own, and closing it returns it to the bucket', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const plain = [...state.portfolio.values()].find((r) => r.contract.secType === 'STK' && r.contract.symbol.startsWith('S'))!.contract;
    const bucket = `STK|*|${plain.currency}`;
    expect(clsOf(grid, plain.conId).groupKey).toBe(bucket);
    const call: Contract = {
      conId: 9,
      symbol: plain.symbol,
      secType: 'OPT',
      currency: plain.currency,
      expiry: '20270115',
      strike: new Decimal(50),
      right: 'C',
      multiplier: new Decimal(100),
    };
    state = apply(state, [
      row(call, -1, 2),
      { type: 'optionComputed', conId: 9, kind: 'model', delayed: false, impliedVol: 0.3, underlyingPrice: 50, ...at(NOW + 4000) },
    ]);
    expect(updateStressGrid(grid, state, NOW + 4000).rebuilt).toBe(true);
    expect(clsOf(grid, plain.conId).groupKey).toBe(`STK|${plain.symbol}|${plain.currency}`);
    expect(clsOf(grid, 9).underlyingConId).toBe(plain.conId);
    expectFresh(grid, state);
    state = apply(state, [row(call, 0, 2)]);
    expect(updateStressGrid(grid, state, NOW + 4000).rebuilt).toBe(true);
    expect(clsOf(grid, plain.conId).groupKey).toBe(bucket);
    expectFresh(grid, state);
  });

  it('a changed setting (index symbols, margin method) classifies again though no row changed', () => {
    let state = reduceAll(book.events);
    const u7 = book.underlyings[7]!;
    state = apply(state, [row(state.portfolio.get(u7.stock)!.contract, 0, 1)]);
    const grid = buildStressGrid(state, shocks, params);
    for (const id of u7.options) expect(clsOf(grid, id).driver).toBe('STK');
    // The options of a symbol named an index with no stock held are index options.
    grid.params = { ...grid.params, indexSymbols: [...grid.params.indexSymbols, u7.symbol] };
    rebuildStressGrid(grid, state);
    for (const id of u7.options) expect(clsOf(grid, id)).toMatchObject({ driver: 'IND', model: 'bsmEuropean' });
    expectFresh(grid, state, grid.params);
    // Portfolio margin gives every stock a group of its own.
    const plain = [...state.portfolio.values()].find((r) => r.contract.secType === 'STK' && r.contract.symbol.startsWith('S'))!.contract;
    grid.params = { ...grid.params, marginMethod: 'portfolio' };
    rebuildStressGrid(grid, state);
    expect(clsOf(grid, plain.conId).groupKey).toBe(`STK|${plain.symbol}|${plain.currency}`);
    expectFresh(grid, state, grid.params);
  });

  it('every row marked again (a new row, the same contract object) with a position opened: the new rows are read', () => {
    let state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const first = [...state.portfolio.values()][0]!;
    const marks = [...state.portfolio.values()].map((r) => {
      const price = r.marketPrice!.mul('1.01');
      return { ...row(r.contract, r.position.toNumber(), price.toNumber()), marketValue: r.position.mul(price).mul(r.contract.multiplier ?? 1) };
    });
    const opened: Contract = { conId: 11, symbol: 'OPENED', secType: 'STK', currency: 'USD', exchange: 'SMART' };
    state = apply(state, [...marks, row(opened, 10, 5)]);
    expect(updateStressGrid(grid, state, NOW + 4000).rebuilt).toBe(true);
    for (const r of grid.book.layout!.rows) expect(r).toBe(state.portfolio.get(r.contract.conId));
    expect(grid.book.positions.find((p) => p.conId === first.contract.conId)!.price).toBe(first.marketPrice!.mul('1.01').toNumber());
    expectFresh(grid, state);
  });

  it('every row a new object (more than the diff is worth) and a contract replaced under its conId: read again in full', () => {
    const state = reduceAll(book.events);
    const grid = buildStressGrid(state, shocks, params);
    const copied = reduceAll(book.events.map((e) => ('contract' in e ? ({ ...e, contract: { ...e.contract } } as FeedEvent) : e)));
    rebuildStressGrid(grid, copied);
    expectFresh(grid, copied);
    // The same conId with another contract (a symbol renamed): its class is made from the new one.
    const old = [...copied.portfolio.values()].find((r) => r.contract.secType === 'STK' && r.contract.symbol.startsWith('S'))!;
    const renamed = copied.portfolio.set(old.contract.conId, { ...old, contract: { ...old.contract, symbol: 'RENAMED', currency: 'CHF' } });
    const next = { ...copied, portfolio: renamed };
    rebuildStressGrid(grid, next);
    expect(clsOf(grid, old.contract.conId)).toMatchObject({ symbol: 'RENAMED', currency: 'CHF' });
    expect(grid.book.currencies).toContain('CHF');
    expectFresh(grid, next);
  });
});
