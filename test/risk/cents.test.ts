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
import { CENTS_LIMIT, centsOf, decimalOfCents, decimalOfMicros, ratioMicros } from '../../src/risk/cents.js';
import type { ReportedValues } from '../../src/risk/boundary.js';
import { calibrate, stressedRequirement, stressedRequirementCents, type CalibrationPart, type SegmentEstimate } from '../../src/risk/margin.js';
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
    // The Cushion: ExcessLiquidity over NetLiquidation in Decimal, to six places.
    if (s.netLiquidation.gt(0)) expect(s.cushion!.toString(), `${s.id} cushion`).toBe(s.excessLiquidity.div(s.netLiquidation).toDecimalPlaces(6).toString());
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

describe('stressedRequirementCents', () => {
  /** The oracle: the calibrated requirement written out in Decimal by the test (risk-model.md §1.7), to the cent. */
  function oracle(parts: readonly CalibrationPart[], est: SegmentEstimate): number {
    let total = new Decimal(0);
    for (const p of parts) {
      const x = p.scope === 'C' ? est.C : p.scope === 'S' ? est.S : est.S + est.C;
      const e = new Decimal(x);
      if (p.mode === 'scaled') total = total.add(e.eq(p.estimated) ? p.reported! : p.reported!.mul(e).div(p.estimated));
      else if (p.mode === 'additive') total = total.add(p.reported!).add(e.sub(p.estimated));
      else total = total.add(e);
    }
    return total.toDecimalPlaces(2).mul(100).toNumber() + 0;
  }

  it('gives the Decimal requirement to the cent, and leaves the ties it cannot tell to the Decimal path', () => {
    const rand = lcg(11);
    const money = (mag: number, places = 2) => (rand() * mag).toFixed(places);
    let fast = 0;
    const modes = new Set<string>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const mag = 10 ** Math.floor(rand() * 9);
      const shape = Math.floor(rand() * 4);
      // Per segment or total; reported with two places mostly, sometimes three; an estimate of zero is additive.
      const reported = (k: string) => ({ [k]: new Decimal(money(mag, rand() < 0.9 ? 2 : 3)) });
      // Shapes: 0 total, scaled; 1 per segment; 2 nothing reported (uncalibrated); 3 total with a zero estimate (additive).
      const values = (shape === 0 || shape === 3
        ? reported('maintMarginReq')
        : shape === 1
          ? { ...reported('maintMarginReqS'), ...reported('maintMarginReqC') }
          : {}) as unknown as ReportedValues;
      const est0 = shape === 3 ? { S: 0, C: 0 } : { S: rand() * mag, C: rand() < 0.5 ? 0 : rand() * mag };
      const parts = calibrate(values, est0, est0).maint;
      for (const p of parts) modes.add(p.mode);
      const at = (e: number) => (rand() < 0.1 ? e : e === 0 ? rand() * mag : e * (0.5 + rand()));
      const est = { S: at(est0.S), C: at(est0.C) };
      const cents = stressedRequirementCents(parts, est);
      const expected = oracle(parts, est);
      if (Number.isNaN(cents)) expect(stressedRequirement(parts, est).toDecimalPlaces(2).mul(100).toNumber() + 0).toBe(expected);
      else {
        fast++;
        expect(cents, JSON.stringify({ values, est0, est })).toBe(expected);
      }
    }
    // Nearly every requirement is told in float64: the Decimal path is for ties and near-ties.
    expect(fast).toBeGreaterThan(n * 0.99);
    expect([...modes].sort()).toEqual(['additive', 'scaled', 'uncalibrated']);
    // Exact half cents: 100.01 scaled by a half, and a reported 12,345.675 held as it is.
    const half = calibrate({ maintMarginReq: new Decimal('100.01') } as unknown as ReportedValues, { S: 2, C: 0 }, { S: 2, C: 0 }).maint;
    expect(stressedRequirementCents(half, { S: 1, C: 0 })).toBeNaN();
    expect(oracle(half, { S: 1, C: 0 })).toBe(5000);
    const held = calibrate({ maintMarginReq: new Decimal('12345.675') } as unknown as ReportedValues, { S: 7, C: 0 }, { S: 7, C: 0 }).maint;
    expect(stressedRequirementCents(held, { S: 7, C: 0 })).toBeNaN();
    expect(stressedRequirementCents(held, { S: 7.7, C: 0 })).toBe(oracle(held, { S: 7.7, C: 0 }));
  });

  it('leaves amounts beyond the cents limit to the Decimal path', () => {
    const parts = calibrate({ maintMarginReq: new Decimal('1000') } as unknown as ReportedValues, { S: 1000, C: 0 }, { S: 1000, C: 0 }).maint;
    expect(stressedRequirementCents(parts, { S: 1e12, C: 0 })).toBeNaN();
    expect(stressedRequirementCents(parts, { S: 2000, C: 0 })).toBe(200_000);
  });
});

describe('ratioMicros', () => {
  /** The oracle: decimal.js dividing the two amounts and rounding to six places. */
  const oracle = (a: string, b: string) => new Decimal(a).div(b).toDecimalPlaces(6).mul(1e6).toNumber() + 0;

  it('gives the Decimal quotient to six places, and leaves the ones it cannot tell to the Decimal path', () => {
    const rand = lcg(23);
    let fast = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      // Amounts to the cent, as ExcessLiquidity and NetLiquidation are: b positive, a of either sign and up to 2b.
      const b = (1 + rand() * 10 ** Math.floor(rand() * 10)).toFixed(2);
      const a = (Number(b) * (rand() * 4 - 2)).toFixed(2);
      const af = Number(a);
      const bf = Number(b);
      const m = ratioMicros(af, 1e-14 * Math.abs(af), bf, 1e-14 * bf);
      if (Number.isNaN(m)) continue;
      fast++;
      expect(m, `${a} / ${b}`).toBe(oracle(a, b));
      expect(decimalOfMicros(m).toString()).toBe(new Decimal(a).div(b).toDecimalPlaces(6).toString());
    }
    expect(fast).toBeGreaterThan(n * 0.99);
    // Exact half millionths (1 / 2,000,000 and 3 / 2,000,000) and a quotient just off one: the first two to Decimal.
    expect(ratioMicros(1, 1e-14, 2_000_000, 2e-8)).toBeNaN();
    expect(ratioMicros(3, 3e-14, 2_000_000, 2e-8)).toBeNaN();
    expect(ratioMicros(1.01, 1e-14, 2_000_000, 2e-8)).toBe(oracle('1.01', '2000000'));
    for (const [a, b] of [
      [1, 0],
      [1, -5],
      [NaN, 1],
      [1e12, 1e-3],
    ] as const)
      expect(ratioMicros(a, 0, b, 0)).toBeNaN();
  });

  it('writes millionths as the exact Decimal', () => {
    const rand = lcg(29);
    for (let i = 0; i < 5_000; i++) {
      const m = Math.round((rand() - 0.5) * 2 * 10 ** Math.floor(rand() * 16));
      expect(decimalOfMicros(m).toString(), String(m)).toBe(new Decimal(m).div(1e6).toString());
    }
  });
});
