// Liquidation distances of a book of options on the cash-dividend lattice equal those of a tree per spot, within the search's tolerance.
import { describe, expect, it } from 'vitest';
import { YEAR_MS, type BookPosition } from '../../src/risk/boundary.js';
import { buildStressGrid, type StressGrid } from '../../src/risk/grid.js';
import { liquidationDistances, nameDistances, searchDistances, type Anchors, type LiquidationDistance } from '../../src/risk/liquidation.js';
import { stressParams } from '../../src/risk/params.js';
import { cashDividendAmericanPrice, dividendsBeforeExpiry } from '../../src/risk/pricing/dividend-lattice.js';
import { dividendsOf, GRID_LATTICE_STEPS, rateOf } from '../../src/risk/revalue.js';
import { builtinScenarios } from '../../src/risk/scenario-text.js';
import { option, stock } from '../support/events.js';
import { av, greeks, holding, NOW, stateOf } from './stress-fixtures.js';

/*
 * The search reads its lattice prices off layers built once per option and vol level (withLadderCache); the reference
 * here prices every option at every shock on a tree of its own (cashDividendAmericanPrice at the grid's steps) and
 * finds each root by its own scan and bisection, each option's value floored at its intrinsic value. The maintenance requirement is left out (no calibration parts) and
 * options have loan value, so EL′ = ELV + P&L and the reference needs no margin model.
 */

const DAY = 86_400_000;
const day = (d: number) => new Date(NOW + d * DAY).toISOString().slice(0, 10);
const ymd = (d: number) => day(d).replaceAll('-', '');
/** Ladder points a side of the search (liquidation.ts). */
const LADDER = 50;

/** Two payers, each held with American options that expire after an ex-date: short calls, long and short puts. */
function book() {
  const rows = [
    av('NetLiquidation', '100000'),
    av('CashBalance', '-40000', 'USD'),
    holding(stock(1, 'AAA', 'USD'), '1000', '100'),
    holding(stock(2, 'BBB', 'USD'), '-1400', '50'),
  ];
  const legs: [number, string, number, string, 'C' | 'P', string, number, number][] = [
    // conId, symbol, days to expiry, strike, right, quantity, vol, underlying
    [11, 'AAA', 200, '110', 'C', '-8', 0.3, 100],
    [12, 'AAA', 120, '90', 'P', '6', 0.35, 100],
    [13, 'AAA', 300, '100', 'P', '-4', 0.25, 100],
    [14, 'AAA', 45, '102', 'C', '-5', 0.2, 100],
    [21, 'BBB', 150, '55', 'C', '4', 0.4, 50],
    [22, 'BBB', 60, '45', 'P', '-10', 0.45, 50],
    [23, 'BBB', 400, '50', 'P', '5', 0.3, 50],
  ];
  for (const [conId, symbol, days, strike, right, qty, iv, und] of legs) {
    rows.push(holding(option(conId, symbol, ymd(days), strike, right), qty, '3'), greeks(conId, iv, und));
  }
  return stateOf(rows);
}

const params = stressParams({
  now: NOW,
  optionsHaveLoanValue: true,
  dividends: {
    AAA: [{ exDate: day(30), amount: 1 }],
    BBB: [
      { exDate: day(40), amount: 0.5 },
      { exDate: day(131), amount: 0.5 },
    ],
  },
});

/** EL′ of the book under a price move `t` of `symbol` (every symbol when undefined) and a relative vol move. */
function referenceEl(grid: StressGrid, elv: number, t: number, volMove: number, symbol?: string): number {
  const { book } = grid;
  let el = elv;
  for (const p of book.positions as readonly BookPosition[]) {
    if (symbol !== undefined && p.cls.symbol !== symbol) continue;
    if (p.cls.kind !== 'option') {
      el += p.qty * p.multiplier * p.price * t;
      continue;
    }
    const dividends = dividendsOf(params, p, book.clockMs)!;
    const T = (p.expiryMs - book.clockMs) / YEAR_MS;
    const o = { right: p.isCall === 1 ? 'C' : 'P', K: p.strike, T, r: rateOf(params, 'USD'), dividends, steps: GRID_LATTICE_STEPS } as const;
    const now = cashDividendAmericanPrice({ ...o, S: p.underlying, vol: p.iv });
    const S = p.underlying * (1 + t);
    const moved = cashDividendAmericanPrice({ ...o, S, vol: p.iv * (1 + volMove) });
    // The stressed value, mark + model change, is at least the intrinsic value (American options; docs/stress-model.md
    // "Options"): the marks of 3 are far from the model, so the floor binds at many of the moves searched.
    const intrinsic = Math.max(0, p.isCall === 1 ? S - p.strike : p.strike - S);
    el += p.qty * p.multiplier * (Math.max(intrinsic, p.price + moved - now) - p.price);
  }
  return el;
}

/**
 * What the search finds with `el` for its EL′: the first sign change on its ladder (LADDER points a side, from 0
 * towards `end`), then bisection to `tol` between its last safe point and its first breaching one, returning the
 * breaching end (risk-model.md §1.3); null when the ladder never breaches.
 */
function search(el: (t: number) => number, end: number, tol: number): number | null {
  let safe = 0;
  for (let i = 1; i <= LADDER; i++) {
    const t = (end * i) / LADDER;
    if (el(t) < 0) {
      let breach = t;
      while (Math.abs(breach - safe) > tol) {
        const mid = 0.5 * (safe + breach);
        if (el(mid) < 0) breach = mid;
        else safe = mid;
      }
      return breach;
    }
    safe = t;
  }
  return null;
}

describe('liquidation distance with options on the cash-dividend lattice', () => {
  const grid = buildStressGrid(book(), [], params);
  const elv = 10_000;
  const anchors: Anchors = { netLiquidation: 100_000, equityWithLoanValue: elv, maint: [] };
  const tol = params.liquidation.tolerance;
  const lattice = grid.book.positions.filter(
    (p) => p.cls.kind === 'option' && dividendsBeforeExpiry(dividendsOf(params, p, grid.book.clockMs) ?? [], (p.expiryMs - grid.book.clockMs) / YEAR_MS),
  );

  it('prices every option of the book on the lattice (the case under test)', () => {
    expect(lattice).toHaveLength(7);
  });

  /** The search's answer against the reference's roots: the same side found (or not), each within the tolerance. */
  const expectNear = (d: LiquidationDistance | undefined, down: number | null, up: number | null) => {
    expect(d).toBeDefined();
    for (const [found, root] of [
      [d!.down, down],
      [d!.up, up],
    ] as const) {
      if (root === null) expect(found).toBeNull();
      else expect(Math.abs(found! - root)).toBeLessThanOrEqual(tol);
    }
  };

  it('px:STK: down and up within the tolerance of a tree per spot', () => {
    const el = (t: number) => referenceEl(grid, elv, t, 0);
    const down = search(el, -params.liquidation.priceRange, tol);
    const up = search(el, params.liquidation.priceRange, tol);
    expectNear(
      liquidationDistances(grid, anchors).find((d) => d.key === 'px:STK'),
      down,
      up,
    );
  });

  it('the crash, whose vol rises with the fall: within the tolerance of a tree per spot and vol', () => {
    const riskOff = builtinScenarios('USD', ['USD'], ['STK']).find((s) => s.label.startsWith('Risk-off'))!.shocks;
    const fall = -riskOff.px.STK!;
    const el = (t: number) => referenceEl(grid, elv, t, (riskOff.vol * -t) / fall);
    const down = search(el, -params.liquidation.priceRange, tol);
    expect(down).not.toBeNull();
    const crash = liquidationDistances(grid, anchors).find((d) => d.key === 'crash');
    expectNear(crash, down, null);
    // The vol move matters here: at the same fall without it the root is elsewhere by far more than the tolerance.
    expect(Math.abs(search((t) => referenceEl(grid, elv, t, 0), -0.5, tol)! - down!)).toBeGreaterThan(10 * tol);
  });

  it("the crash at every depth, its vol up to 2.9 times the option's (the highest levels read): within the tolerance of a tree per spot and vol", () => {
    const riskOff = builtinScenarios('USD', ['USD'], ['STK']).find((s) => s.label.startsWith('Risk-off'))!.shocks;
    const fall = -riskOff.px.STK!;
    const volAt = (t: number) => (riskOff.vol * -t) / fall;
    // EL′ set so that the book breaches just short of each depth: its P&L there, less a tenth of a percent.
    for (const depth of [-0.12, -0.27, -0.38, -0.46, -0.49]) {
      const pnl = referenceEl(grid, 0, depth, volAt(depth));
      expect(pnl).toBeLessThan(0);
      const at = -0.999 * pnl;
      const down = search((t) => referenceEl(grid, at, t, volAt(t)), -params.liquidation.priceRange, tol);
      expect(down).toBeGreaterThan(depth - 0.01);
      const crash = liquidationDistances(grid, { ...anchors, equityWithLoanValue: at }).find((d) => d.key === 'crash');
      expectNear(crash, down, null);
    }
  });

  it("searched together (report and console), the names read the class search's layers: the same distances as each alone", () => {
    const both = searchDistances(grid, anchors);
    expect(both.liquidation).toEqual(liquidationDistances(grid, anchors));
    expect(both.names).toEqual(nameDistances(grid, anchors));
    expect(both.names).toHaveLength(2);
    // Limited to the alert levels, no names (no rule reads them).
    expect(searchDistances(grid, anchors, { px: 0.1, fx: 0.1, crash: 0.1 }).names).toEqual([]);
  });

  it("a position's dividend list is kept for its params and clock (the search asks for it per evaluation), made again for others", () => {
    const p = lattice.find((x) => x.cls.symbol === 'AAA')!;
    const clock = grid.book.clockMs;
    const list = dividendsOf(params, p, clock)!;
    expect(dividendsOf(params, p, clock)).toBe(list);
    const later = dividendsOf(params, p, clock + DAY)!;
    expect(list[0]!.time - later[0]!.time).toBeCloseTo(DAY / YEAR_MS, 12);
    const other = stressParams({ now: NOW, dividends: { AAA: [{ exDate: day(60), amount: 2 }] } });
    expect(dividendsOf(other, p, clock)).toEqual([{ time: (Date.parse(day(60)) - clock) / YEAR_MS, amount: 2 }]);
    expect(dividendsOf(params, p, clock)).toEqual(list);
  });

  it('sym: each name alone, within the tolerance of a tree per spot', () => {
    const names = nameDistances(grid, anchors);
    expect(names.map((d) => d.key).sort()).toEqual(['sym:AAA', 'sym:BBB']);
    for (const symbol of ['AAA', 'BBB']) {
      const el = (t: number) => referenceEl(grid, elv, t, 0, symbol);
      const down = search(el, -params.liquidation.priceRange, tol);
      const up = search(el, params.liquidation.priceRange, tol);
      expectNear(
        names.find((d) => d.key === `sym:${symbol}`),
        down,
        up,
      );
    }
  });
});
