// risk-model.md §4.1 worked example (USD base, hand arithmetic), exact decompositions, and the zero-shock identity.
import { describe, expect, it } from 'vitest';
import { Decimal, ZERO } from '../../src/model/money.js';
import { builtinScenarios } from '../../src/risk/scenario-text.js';
import { buildStressReport } from '../../src/risk/report.js';
import { stock } from '../support/events.js';
import { NOW, av, contract, greeks, holding, pnlOf, report, result, stateOf } from './stress-fixtures.js';

/*
 * §4.1: 100,000 EUR of stock at EUR = 1.10 USD, 20,000 CHF cash at 1.15, −50,000 USD cash.
 * Shock EUR −10%, CHF +20%: ΔNLV = −11,000 + 4,600 = −6,400 USD.
 * Add equities −20% on the EUR stock: EUR contributes 80,000 × 0.99 − 110,000 = −30,800, total −26,200.
 */
const WORKED = [
  av('NetLiquidation', '83000.00'),
  av('EquityWithLoanValue', '83000.00'),
  av('MaintMarginReq', '27500.00'),
  av('InitMarginReq', '55000.00'),
  av('ExchangeRate', '1.10', 'EUR'),
  av('ExchangeRate', '1.15', 'CHF'),
  av('CashBalance', '20000', 'CHF'),
  av('CashBalance', '-50000', 'USD'),
  holding(stock(14204, 'SAP', 'EUR'), '1000', '100'),
];

describe('risk-model.md §4.1 worked example (USD base)', () => {
  const r = report(WORKED, ['fx:EUR=-10%,fx:CHF=+20%', 'px:STK=-20%,fx:EUR=-10%,fx:CHF=+20%']);

  it('pure FX: −11,000 from the EUR stock, +4,600 from the CHF cash, −6,400 in all', () => {
    expect(pnlOf(result(r, 'fx:EUR=-10%,fx:CHF=+20%'))).toEqual({
      total: '-6400.00',
      byCurrency: { CHF: '4600.00', EUR: '-11000.00', USD: '0.00' },
      // The stock's FX translation stays with the stock; the cash's goes to CASH.
      byAssetClass: { STK: '-11000.00', CASH: '4600.00' },
    });
  });

  it('with equities −20% the cross term counts: EUR −30,800, total −26,200', () => {
    expect(pnlOf(result(r, 'px:STK=-20%,fx:EUR=-10%,fx:CHF=+20%'))).toEqual({
      total: '-26200.00',
      byCurrency: { CHF: '4600.00', EUR: '-30800.00', USD: '0.00' },
      byAssetClass: { STK: '-30800.00', CASH: '4600.00' },
    });
  });

  it('stresses NetLiquidation from the reported value: 83,000 − 26,200 = 56,800', () => {
    const s = result(r, 'px:STK=-20%,fx:EUR=-10%,fx:CHF=+20%');
    expect(s.netLiquidation.toFixed(2)).toBe('56800.00');
    expect(s.equityWithLoanValue.toFixed(2)).toBe('56800.00');
  });

  it('reconciles the model with the reported NetLiquidation: Σ E_c·X_c = 110,000 + 23,000 − 50,000', () => {
    expect(r.reconciliation.model.toFixed(2)).toBe('83000.00');
    expect(r.reconciliation.residual?.toFixed(2)).toBe('0.00');
    expect(r.reconciliation.withinTolerance).toBe(true);
  });
});

/** A multi-currency, multi-asset book: stocks, a stock option, an index option, a future, a bond, a CASH pair, cash. */
const RICH = [
  av('NetLiquidation', '512345.67'),
  av('EquityWithLoanValue', '498000.00'),
  av('MaintMarginReq', '91000.00'),
  av('InitMarginReq', '140000.00'),
  av('MaintMarginReq-S', '80000.00'),
  av('MaintMarginReq-C', '11000.00'),
  av('ExchangeRate', '1.0825', 'EUR'),
  av('ExchangeRate', '0.0067', 'JPY'),
  av('ExchangeRate', '1.13', 'CHF'),
  av('CashBalance', '250000', 'USD'),
  av('CashBalance', '40000', 'EUR'),
  av('CashBalance', '-3000000', 'JPY'),
  av('CashBalance', '-20000', 'CHF'),
  holding(stock(1, 'AAPL', 'USD'), '500', '190.25'),
  holding(
    contract({
      conId: 2,
      symbol: 'AAPL',
      secType: 'OPT',
      currency: 'USD',
      expiry: '20270115',
      strike: new Decimal(200),
      right: 'P',
      multiplier: new Decimal(100),
    }),
    '-5',
    '14.10',
  ),
  holding(
    contract({
      conId: 3,
      symbol: 'SPX',
      secType: 'OPT',
      currency: 'USD',
      expiry: '20261218',
      strike: new Decimal(6000),
      right: 'P',
      multiplier: new Decimal(100),
    }),
    '2',
    '38.50',
  ),
  holding(stock(4, 'SAP', 'EUR'), '300', '181.20'),
  holding(stock(5, '7203', 'JPY'), '2000', '2650'),
  holding(contract({ conId: 6, symbol: 'ES', secType: 'FUT', currency: 'USD', expiry: '202612', multiplier: new Decimal(50) }), '2', '6050', '1500'),
  holding(contract({ conId: 7, symbol: 'US-T', secType: 'BOND', currency: 'USD', multiplier: new Decimal('0.01') }), '50000', '98.40'),
  holding(contract({ conId: 8, symbol: 'EUR', secType: 'CASH', currency: 'USD', localSymbol: 'EUR.USD' }), '40000', '1.0825'),
  greeks(2, 0.31, 190.25, 0.24),
  greeks(3, 0.19, 6100, 18),
];

describe('decompositions and the zero-shock identity', () => {
  const state = stateOf(RICH);
  const scenarios = builtinScenarios('USD', ['USD', 'EUR', 'JPY', 'CHF'], ['STK', 'IND', 'FUT', 'BOND']);
  const r = buildStressReport(state, scenarios, { now: NOW });

  it('every scenario: Σ by currency = Σ by asset class = total, exactly', () => {
    expect(r.scenarios.length).toBeGreaterThan(40);
    for (const s of r.scenarios) {
      const byCcy = Object.values(s.pnl.byCurrency).reduce((a, b) => a.add(b), ZERO);
      const byClass = Object.values(s.pnl.byAssetClass).reduce((a, b) => a!.add(b!), ZERO)!;
      expect(byCcy.equals(s.pnl.total), `${s.id} by currency`).toBe(true);
      expect(byClass.equals(s.pnl.total), `${s.id} by class`).toBe(true);
    }
  });

  it('the zero scenario has P&L exactly 0 in every cell and shows the account exactly as reported', () => {
    const base = r.scenarios.find((s) => s.id === 'base')!;
    expect(base.pnl.total.isZero()).toBe(true);
    for (const v of [...Object.values(base.pnl.byCurrency), ...Object.values(base.pnl.byAssetClass)]) expect(v!.isZero()).toBe(true);
    expect(base.netLiquidation.toFixed(2)).toBe('512345.67');
    expect(base.equityWithLoanValue.toFixed(2)).toBe('498000.00');
    expect(base.maintMargin.toFixed(2)).toBe('91000.00');
    expect(base.initMargin.toFixed(2)).toBe('140000.00');
    expect(base.excessLiquidity.toFixed(2)).toBe('407000.00');
  });

  it('an explicit zero move (vol=+0%, px:STK=+0%) is exactly zero too', () => {
    const z = buildStressReport(state, [scenarioOf('px:STK=+0%')], { now: NOW }).scenarios[0]!;
    expect(z.pnl.total.isZero()).toBe(true);
  });

  it('reports the model NetLiquidation and the residual against the reported one', () => {
    // cash 250,000 + 40,000·1.0825 − 3,000,000·0.0067 − 20,000·1.13 = 250,000 + 43,300 − 20,100 − 22,600
    // AAPL 95,125 − 7,050 (short put) + 7,700 (SPX puts) + 50,000·98.40·0.01 = 49,200; futures P&L 1,500
    // SAP 54,360·1.0825 = 58,844.70; Toyota 5,300,000·0.0067 = 35,510; the CASH pair adds nothing.
    const model = 250_000 + 43_300 - 20_100 - 22_600 + 95_125 - 7_050 + 7_700 + 49_200 + 1_500 + 58_844.7 + 35_510;
    expect(r.reconciliation.model.toFixed(2)).toBe(model.toFixed(2));
    expect(r.reconciliation.residual?.toFixed(2)).toBe((512_345.67 - model).toFixed(2));
  });
});

function scenarioOf(text: string) {
  return { id: text, label: text, family: 'user' as const, shocks: { px: { STK: 0 }, sym: {}, fx: {}, vol: 0, days: 0 } };
}
