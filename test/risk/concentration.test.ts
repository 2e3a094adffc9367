// Names, not just classes: share of gross exposure, single-name jumps, per-name liquidation distance, the move that cures a breach.
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import { bookScenarios } from '../../src/risk/alerts/scenarios.js';
import { readBook } from '../../src/risk/boundary.js';
import { exposureByName, nameJumpScenarios } from '../../src/risk/concentration.js';
import { stressParams } from '../../src/risk/params.js';
import { formatStressReportText } from '../../src/risk/report-text.js';
import { toReportJson } from '../../src/risk/report-json.js';
import { stock } from '../support/events.js';
import { NOW, av, contract, greeks, holding, report, stateOf } from './stress-fixtures.js';

/*
 * A Reg T long-stock book, NetLiquidation and ELV as given, no requirement reported (so the estimate, 25% of long
 * value, is used as it is): AAPL 60,000, MSFT 30,000, KO 5,000, XOM 5,000; gross 100,000, maintenance 25,000.
 */
function book(elv: string) {
  return [
    av('NetLiquidation', elv),
    av('EquityWithLoanValue', elv),
    av('CashBalance', String(Number(elv) - 100_000), 'USD'),
    holding(stock(1, 'AAPL', 'USD'), '300', '200'),
    holding(stock(2, 'MSFT', 'USD'), '100', '300'),
    holding(stock(3, 'KO', 'USD'), '100', '50'),
    holding(stock(4, 'XOM', 'USD'), '50', '100'),
  ];
}

describe('exposure by underlying', () => {
  it('stocks at |value|, options at their underlying notional |q·m·S|, shares of the gross', () => {
    const ko = contract({
      conId: 5,
      symbol: 'KO',
      secType: 'OPT',
      currency: 'USD',
      expiry: '20270115',
      strike: new Decimal(50),
      right: 'P',
      multiplier: new Decimal(100),
    });
    const state = stateOf([...book('30000'), holding(ko, '-4', '2'), greeks(5, 0.2, 50)]);
    const names = exposureByName(readBook(state, stressParams({ now: NOW })));
    // KO: 5,000 of stock + 4 × 100 × 50 = 20,000 of option notional = 25,000; gross 120,000.
    expect(names.map((n) => [n.symbol, n.exposure])).toEqual([
      ['AAPL', 60_000],
      ['MSFT', 30_000],
      ['KO', 25_000],
      ['XOM', 5_000],
    ]);
    expect(names[2]!.share).toBeCloseTo(25_000 / 120_000, 12);
  });
});

describe('single-name jumps in the built-in list', () => {
  it('every underlying at 10% or more of gross exposure gets ±30% (TIMS concentration), after the class ladder', () => {
    const s = bookScenarios(stateOf(book('30000')));
    const jumps = s.filter((x) => Object.keys(x.shocks.sym).length > 0);
    expect(jumps.map((x) => x.id)).toEqual(['sym:AAPL=-30%', 'sym:AAPL=+30%', 'sym:MSFT=-30%', 'sym:MSFT=+30%']);
    expect(jumps[0]!.label).toBe('AAPL \u221230% (single-name jump: at least 10% of gross exposure)');
    const first = s.findIndex((x) => x.id === 'sym:AAPL=-30%');
    expect(s[first - 1]!.id).toBe('px:STK=+30%');
  });

  it('the share and the jump are settings of the engine', () => {
    const s = bookScenarios(stateOf(book('30000')), { concentration: { share: 0.05, jump: 0.4 } });
    expect(s.filter((x) => Object.keys(x.shocks.sym).length > 0).map((x) => x.id)).toEqual([
      'sym:AAPL=-40%',
      'sym:AAPL=+40%',
      'sym:MSFT=-40%',
      'sym:MSFT=+40%',
      'sym:KO=-40%',
      'sym:KO=+40%',
      'sym:XOM=-40%',
      'sym:XOM=+40%',
    ]);
  });

  it('the jumps are those of the names and settings asked about, asked again after other names or settings', () => {
    const rules = { share: 0.1, jump: 0.3, names: 3 };
    const two = [
      { symbol: 'AAPL', exposure: 60, share: 0.6 },
      { symbol: 'MSFT', exposure: 40, share: 0.4 },
    ];
    const ids = (l: readonly { id: string }[]) => l.map((x) => x.id);
    const first = nameJumpScenarios(two, rules);
    expect(ids(first)).toEqual(['sym:AAPL=-30%', 'sym:AAPL=+30%', 'sym:MSFT=-30%', 'sym:MSFT=+30%']);
    // The same names at other exposures (marks moved): the same jumps.
    expect(
      nameJumpScenarios(
        [
          { ...two[0]!, exposure: 61 },
          { ...two[1]!, exposure: 39 },
        ],
        rules,
      ),
    ).toEqual(first);
    // A name falling under the share, another order, another jump or share: each its own list.
    const under = [two[0]!, { symbol: 'MSFT', exposure: 5, share: 0.05 }, { symbol: 'KO', exposure: 4, share: 0.04 }];
    expect(ids(nameJumpScenarios(under, rules))).toEqual(['sym:AAPL=-30%', 'sym:AAPL=+30%']);
    expect(ids(nameJumpScenarios([two[1]!, two[0]!], rules))).toEqual(['sym:MSFT=-30%', 'sym:MSFT=+30%', 'sym:AAPL=-30%', 'sym:AAPL=+30%']);
    expect(ids(nameJumpScenarios(two, { ...rules, jump: 0.4 }))).toEqual(['sym:AAPL=-40%', 'sym:AAPL=+40%', 'sym:MSFT=-40%', 'sym:MSFT=+40%']);
    expect(nameJumpScenarios(two, { ...rules, share: 0.5 })[0]!.label).toMatch(/at least 50% of gross exposure/);
    expect(ids(nameJumpScenarios(two, rules))).toEqual(ids(first));
  });

  it('a one-name book adds nothing (its class ladder is the same move)', () => {
    const s = bookScenarios(stateOf([av('NetLiquidation', '50000'), av('CashBalance', '30000', 'USD'), holding(stock(1, 'AAPL', 'USD'), '100', '200')]));
    expect(s.filter((x) => Object.keys(x.shocks.sym).length > 0)).toEqual([]);
  });
});

describe('liquidation distance by name, and the move that cures a breach', () => {
  it('the top names alone: s* = −EL / (MV_name × (1 − 25%))', () => {
    // EL = 30,000 − 25,000 = 5,000.
    const r = report(book('30000'), ['base']);
    expect(r.nameDistance.map((d) => d.key)).toEqual(['sym:AAPL', 'sym:MSFT', 'sym:KO']);
    const at = (k: string) => r.nameDistance.find((d) => d.key === k)!;
    expect(Math.abs(at('sym:AAPL').nearest! - -5000 / (60_000 * 0.75))).toBeLessThan(2e-4); // −11.1%
    expect(Math.abs(at('sym:MSFT').nearest! - -5000 / (30_000 * 0.75))).toBeLessThan(2e-4); // −22.2%
    expect(at('sym:KO').nearest).toBeNull(); // −5,000 / 3,750 is beyond −50%
    expect(at('sym:AAPL').cure).toBeUndefined();
    expect(formatStressReportText(r, 100)).toMatch(/AAPL alone\s+-11\.1%/);
  });

  it('in breach: the smallest move back to EL = 0, +EL/(MV × 0.75), in the text and the JSON', () => {
    // EL = 20,000 − 25,000 = −5,000: all stocks +6.67%, AAPL alone +11.1%; MSFT alone +22.2%.
    const r = report(book('20000'), ['base']);
    const cls = r.liquidationDistance.find((d) => d.key === 'px:STK')!;
    expect(cls.nearest).toBe(0);
    expect(Math.abs(cls.cure! - 5000 / 75_000)).toBeLessThan(2e-4);
    const aapl = r.nameDistance.find((d) => d.key === 'sym:AAPL')!;
    expect(Math.abs(aapl.cure! - 5000 / 45_000)).toBeLessThan(2e-4);
    // The cure is on the safe side: EL is at or above 0 there.
    expect(cls.cure! * 75_000).toBeGreaterThanOrEqual(5000);
    const text = formatStressReportText(r, 100);
    expect(text).toMatch(/prices STK\s+already below 0; \+6\.7% cures it/);
    expect(text).toMatch(/AAPL alone\s+already below 0; \+11\.1% cures it/);
    const json = toReportJson(r) as unknown as { liquidationSearch: { key: string; cure?: number }[] };
    expect(json.liquidationSearch.find((d) => d.key === 'sym:AAPL')?.cure).toBeCloseTo(5000 / 45_000, 3);
  });
});
