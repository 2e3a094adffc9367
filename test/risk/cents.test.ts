// Whole-cent sums in the report: each cell rounded as decimal.js rounds it, and every figure equal to the cell-by-cell Decimal sum.
import { describe, expect, it } from 'vitest';
import type { AssetClass } from '../../src/model/contract.js';
import { CLASS_ORDER } from '../../src/risk/params.js';
import { Decimal } from '../../src/model/money.js';
import { reduceAll } from '../../src/model/reducer.js';
import { buildStressGrid, columnAccount, columnSums, type StressGrid } from '../../src/risk/grid.js';
import { stressParams } from '../../src/risk/params.js';
import { stressReportFromGrid, type StressReport } from '../../src/risk/report.js';
import { builtinScenarios } from '../../src/risk/scenario-text.js';
import { CENTS_LIMIT, centsOf, decimalOfCents } from '../../src/risk/cents.js';
import { riskBookEvents } from '../../bench/risk-book.js';
import { option } from '../support/events.js';
import { av, contract, greeks, holding, NOW, scenario, stateOf } from './stress-fixtures.js';

/** The oracle: decimal.js itself (the money Decimal, half to even) rounding the float to the cent. */
const oracleCents = (x: number) => new Decimal(x).toDecimalPlaces(2).mul(100).toNumber();

/** A small deterministic generator (the test's own, so that its values do not depend on the run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('centsOf', () => {
  it('rounds the shortest decimal form half to even, as decimal.js does', () => {
    const ties = [0.005, 0.015, 0.025, 1.005, 2.675, 1.125, 1.135, -0.005, -0.015, -2.675, 12345.675, 99999.995, 0.125, 1e-3, 0.0049999, 0.00500001];
    const plain = [0, -0, 1, -1, 100, 0.1, 0.01, 0.001, 0.009, 123456789.12, -98765.4321, 1e10, 99999999999.99, 5e-7, 1e-7];
    const rand = lcg(42);
    const random: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const mag = 10 ** Math.floor(rand() * 14 - 3);
      random.push((rand() - 0.5) * 2 * mag);
    }
    for (const x of [...ties, ...plain, ...random]) expect(centsOf(x), String(x)).toBe(oracleCents(x) + 0);
    // Ties that are exact in the shortest form go to the even cent; just above half goes up.
    expect(centsOf(0.125)).toBe(12);
    expect(centsOf(0.135)).toBe(14);
    expect(centsOf(0.1250001)).toBe(13);
  });

  it('leaves amounts beyond its limit, and non-numbers, to the Decimal path', () => {
    for (const x of [CENTS_LIMIT, -CENTS_LIMIT, 1e15, NaN, Infinity, -Infinity]) expect(centsOf(x)).toBeNaN();
  });

  it('turns whole cents back into the exact Decimal', () => {
    const rand = lcg(7);
    for (let i = 0; i < 5_000; i++) {
      const cents = Math.round((rand() - 0.5) * 2 * 10 ** Math.floor(rand() * 16));
      expect(decimalOfCents(cents).toString(), String(cents)).toBe(new Decimal(cents).div(100).toString());
    }
    expect(decimalOfCents(2 ** 53 - 1).toString()).toBe('90071992547409.91');
  });
});

/** US Reg T: option and warrant values carry no loan value, so their P&L leaves EquityWithLoanValue alone (risk-model.md §1.2). */
const NO_LOAN: readonly AssetClass[] = ['OPT', 'WAR'];

/**
 * Every scenario's figures against the test's own Decimal sums of the grid's float cells, each rounded to the cent,
 * EquityWithLoanValue included (the anchor plus the P&L of the classes with loan value). Returns how many scenarios
 * have a non-zero total and a non-zero P&L without loan value.
 */
function expectCellSums(report: StressReport, grid: StressGrid): { nonZero: number; noLoanNonZero: number } {
  const K = CLASS_ORDER.length;
  let nonZero = 0;
  let noLoanNonZero = 0;
  report.scenarios.forEach((s, j) => {
    const cells = columnAccount(grid, columnSums(grid, j)).cells;
    let total = new Decimal(0);
    let noLoan = new Decimal(0);
    grid.book.currencies.forEach((c, ci) => {
      let sum = new Decimal(0);
      for (const cls of Object.keys(s.pnl.byAssetClass)) {
        const cell = new Decimal(cells[ci * K + CLASS_ORDER.indexOf(cls as AssetClass)]!).toDecimalPlaces(2);
        sum = sum.add(cell);
        if (NO_LOAN.includes(cls as AssetClass)) noLoan = noLoan.add(cell);
      }
      expect(s.pnl.byCurrency[c]!.toString(), `${s.id} ${c}`).toBe(sum.toString());
      total = total.add(sum);
    });
    expect(s.equityWithLoanValue.toString(), `${s.id} EquityWithLoanValue`).toBe(report.anchors.equityWithLoanValue.value.add(total).sub(noLoan).toString());
    if (!noLoan.isZero()) noLoanNonZero++;
    for (const cls of Object.keys(s.pnl.byAssetClass)) {
      const k = CLASS_ORDER.indexOf(cls as AssetClass);
      const sum = grid.book.currencies.reduce((a, _, ci) => a.add(new Decimal(cells[ci * K + k]!).toDecimalPlaces(2)), new Decimal(0));
      expect(s.pnl.byAssetClass[cls as AssetClass]!.toString(), `${s.id} ${cls}`).toBe(sum.toString());
    }
    expect(s.pnl.total.toString(), s.id).toBe(total.toString());
    if (!total.isZero()) nonZero++;
  });
  return { nonZero, noLoanNonZero };
}

describe('the report sums cells in whole cents', () => {
  it('gives every figure of a multi-currency book as the cell-by-cell Decimal sum', () => {
    const book = riskBookEvents({ positions: 80, options: 30, underlyings: 10, now: NOW, seed: 5 });
    const state = reduceAll(book.events);
    const scenarios = builtinScenarios('USD', ['USD', 'EUR', 'GBP', 'JPY'], ['STK', 'BOND']);
    const grid = buildStressGrid(
      state,
      scenarios.map((s) => s.shocks),
      stressParams({ now: NOW, bondDurations: {} }),
    );
    const report = stressReportFromGrid(grid, state, scenarios);
    const { nonZero, noLoanNonZero } = expectCellSums(report, grid);
    expect(nonZero).toBeGreaterThan(scenarios.length / 2);
    expect(noLoanNonZero).toBeGreaterThan(scenarios.length / 2);
  });

  it('gives the same figures when a cell is too large for whole cents', () => {
    const aapl = contract({ conId: 1, symbol: 'AAPL', secType: 'STK', currency: 'USD' });
    const sap = contract({ conId: 2, symbol: 'SAP', secType: 'STK', currency: 'EUR' });
    const call = option(3, 'AAPL', '20270115', '200', 'C');
    const state = stateOf([
      av('NetLiquidation', '2000000000000.00'),
      av('EquityWithLoanValue', '2000000000000.00'),
      av('MaintMarginReq', '300000000000.00'),
      av('InitMarginReq', '400000000000.00'),
      av('CashBalance', '10.00', 'USD'),
      av('CashBalance', '10.00', 'EUR'),
      av('ExchangeRate', '1.0837', 'EUR'),
      holding(aapl, '5000000000', '201.37'),
      holding(sap, '3', '187.41'),
      holding(call, '40', '12.35'),
      greeks(3, 0.3, 201.37),
    ]);
    const scenarios = [scenario('px:STK=-30%'), scenario('px:STK=+7.77%'), scenario('fx:EUR=-3.3%')];
    const grid = buildStressGrid(
      state,
      scenarios.map((s) => s.shocks),
      stressParams({ now: NOW }),
    );
    const report = stressReportFromGrid(grid, state, scenarios);
    expect(report.scenarios[0]!.pnl.total.abs().gte(CENTS_LIMIT)).toBe(true);
    // Both stock moves move the option too; the EUR move leaves a USD option alone.
    expect(expectCellSums(report, grid)).toEqual({ nonZero: 3, noLoanNonZero: 2 });
  });
});
