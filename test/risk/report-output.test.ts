// Report outputs: the JSON of docs/report-json.md (checked against the document itself) and the text form at 80 columns.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import { buildStressReport } from '../../src/risk/report.js';
import { toReportJson } from '../../src/risk/report-json.js';
import { formatStressReportText } from '../../src/risk/report-text.js';
import { parseScenario } from '../../src/risk/scenario-text.js';
import { option, stock } from '../support/events.js';
import { NOW, av, contract, holding, report, stateOf } from './stress-fixtures.js';

const WORKED = [
  av('NetLiquidation', '83000.00'),
  av('EquityWithLoanValue', '83000.00'),
  av('MaintMarginReq', '27500.00'),
  av('InitMarginReq', '55000.00'),
  av('ExcessLiquidity', '55500.00'),
  av('Cushion', '0.668675', ''),
  av('ExchangeRate', '1.10', 'EUR'),
  av('ExchangeRate', '1.15', 'CHF'),
  av('CashBalance', '20000', 'CHF'),
  av('CashBalance', '-50000', 'USD'),
  holding(stock(14204, 'SAP', 'EUR'), '1000', '100'),
];

describe('toReportJson', () => {
  it('writes exactly the example of docs/report-json.md for risk-model.md §4.1', () => {
    const doc = readFileSync(new URL('../../docs/report-json.md', import.meta.url), 'utf8');
    const example = /## Document\s+```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const r = report(WORKED, ['px:STK=-20%,fx:EUR=-10%,fx:CHF=+20%']);
    expect(toReportJson(r)).toEqual(JSON.parse(example!));
  });

  it('gives an ad-hoc --shock scenario its text form as id, and amounts as two-place decimal strings', () => {
    const parsed = parseScenario('fx:EUR=-10%, px:STK=-20%', { baseCurrency: 'USD' });
    if (!parsed.ok) throw new Error(parsed.problems.join());
    const json = toReportJson(buildStressReport(stateOf(WORKED), [parsed.scenario], { now: NOW })) as { scenarios: Record<string, unknown>[] };
    const s = json.scenarios[0]!;
    expect(s.id).toBe('px:STK=-20%,fx:EUR=-10%');
    for (const k of ['netLiquidation', 'equityWithLoanValue', 'maintMargin', 'initMargin', 'excessLiquidity', 'availableFunds']) {
      expect(s[k]).toMatch(/^-?\d+\.\d{2}$/);
    }
    expect(JSON.parse(JSON.stringify(json))).toEqual(json); // plain JSON, nothing lost in a round trip
  });

  it('uses null for values that do not exist', () => {
    const json = toReportJson(report([holding(stock(1, 'X', 'USD'), '1', '10')], ['px:STK=-10%'])) as Record<string, unknown>;
    expect(json.reconciliation).toMatchObject({ reported: null, residual: null, residualRatio: null, withinTolerance: null });
    expect(json.account).toBe('DU1234567');
  });
});

describe('formatStressReportText', () => {
  const bodies = [
    av('NetLiquidation', '40000'),
    av('EquityWithLoanValue', '40000'),
    av('MaintMarginReq', '25000'),
    av('CashBalance', '-60000', 'USD'),
    holding(stock(1, 'SPY', 'USD'), '1000', '100'),
    holding(option(2, 'QQQ', '20261218', '500', 'C'), '1', '4.00'),
    holding(contract({ conId: 3, symbol: 'SPREAD', secType: 'BAG', currency: 'USD' }), '1', '0'),
  ];
  const r = report(bodies, ['base', 'px:STK=-10%', 'px:STK=-18%', 'px:STK=-25%']);

  it('fits 80 columns and says in words what colour would: ESTIMATE, BREACH, warn, UNPRICED', () => {
    const text = formatStressReportText(r, 80);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(text).toMatch(/ESTIMATE/);
    expect(text).toMatch(/Equities −25%.*BREACH/);
    expect(text).toMatch(/Equities −18%.*warn/);
    expect(text).toMatch(/UNPRICED: 2 positions/);
    expect(text).toMatch(/QQQ 20261218 500 C \(OPT, USD\): no implied vol, no underlying price/);
    expect(text).toMatch(/prices STK\s+-20\.0%/);
  });

  it('adds the maintenance column on wide terminals', () => {
    const wide = formatStressReportText(r, 120);
    expect(wide).toMatch(/Maint \(est\.\)/);
    for (const line of wide.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
    expect(formatStressReportText(r, 80)).not.toMatch(/Maint \(est\.\)/);
  });

  it('formats amounts with separators and a minus sign', () => {
    expect(formatStressReportText(r, 80)).toMatch(/-3,750\.00/);
    expect(new Decimal('-3750').toFixed(2)).toBe('-3750.00');
  });
});
