// Built-in scenario families: exact lists, stable canonical ids, and base-currency translation.
import { describe, expect, it } from 'vitest';
import { ASSET_LADDER, CRASHES, FX_LADDER, PEG_BREAK, builtinScenarios, formatScenario, parseShocks } from '../../src/risk/scenario-text.js';
import type { Scenario } from '../../src/risk/scenario-types.js';

const ids = (list: readonly Scenario[], family?: string) => list.filter((s) => family === undefined || s.family === family).map((s) => s.id);

describe('builtinScenarios', () => {
  const usd = builtinScenarios('USD', ['BASE', 'USD', 'EUR', 'CHF', 'JPY', 'AUD'], ['STK', 'OPT', 'FUT', 'FOP']);

  it('starts with the zero scenario', () => {
    expect(usd[0]).toEqual({ id: 'base', label: 'No change', family: 'base', shocks: expect.anything() });
  });

  it('moves each price-driver class alone by ±5, 10, 20, 30%, ignoring derivative classes', () => {
    expect(ASSET_LADDER).toEqual([-0.3, -0.2, -0.1, -0.05, 0.05, 0.1, 0.2, 0.3]);
    expect(ids(usd, 'asset')).toEqual([
      'px:STK=-30%',
      'px:STK=-20%',
      'px:STK=-10%',
      'px:STK=-5%',
      'px:STK=+5%',
      'px:STK=+10%',
      'px:STK=+20%',
      'px:STK=+30%',
      'px:FUT=-30%',
      'px:FUT=-20%',
      'px:FUT=-10%',
      'px:FUT=-5%',
      'px:FUT=+5%',
      'px:FUT=+10%',
      'px:FUT=+20%',
      'px:FUT=+30%',
    ]);
    expect(usd.find((s) => s.id === 'px:STK=-10%')?.label).toBe('Equities −10%');
  });

  it('moves each non-base currency alone by ±5, 10, 20% and a peg break of +38% / −28%', () => {
    expect(FX_LADDER).toEqual([-0.2, -0.1, -0.05, 0.05, 0.1, 0.2]);
    expect(PEG_BREAK).toEqual({ up: 0.38, down: -0.28 });
    const perCurrency = (c: string) => [
      `fx:${c}=-20%`,
      `fx:${c}=-10%`,
      `fx:${c}=-5%`,
      `fx:${c}=+5%`,
      `fx:${c}=+10%`,
      `fx:${c}=+20%`,
      `fx:${c}=+38%`,
      `fx:${c}=-28%`,
    ];
    // BASE (TWS's converted row) and the base currency itself are skipped; currencies sorted.
    expect(ids(usd, 'fx')).toEqual([...perCurrency('AUD'), ...perCurrency('CHF'), ...perCurrency('EUR'), ...perCurrency('JPY')]);
    expect(usd.find((s) => s.id === 'fx:CHF=+38%')?.label).toBe('CHF peg break +38% vs USD');
    expect(usd.find((s) => s.id === 'fx:EUR=-10%')?.label).toBe('EUR −10% vs USD');
  });

  it('sizes the peg break on the 15-Jan-2015 move (risk-model.md §4.2): EUR/CHF 1.2009 → 0.8681', () => {
    const chfInEur = 1.2009 / 0.8681 - 1; // the franc's value in euros
    const eurInChf = 0.8681 / 1.2009 - 1; // the euro's value in francs
    expect(PEG_BREAK.up).toBeCloseTo(chfInEur, 2);
    expect(PEG_BREAK.down).toBeCloseTo(eurInChf, 2);
  });

  it('adds the combined crashes, with fx only for currencies the account holds', () => {
    expect(usd.filter((s) => s.family === 'crash').map((s) => [s.id, s.label])).toEqual([
      ['px:STK=-10%,px:IND=-10%,vol=+30%', 'Equity sell-off: Equities −10%, Indexes −10%, vol +30%'],
      ['px:STK=-20%,px:IND=-20%,vol=+75%', 'Equity crash: Equities −20%, Indexes −20%, vol +75%'],
      ['fx:CHF=+10%,fx:JPY=+10%', 'Flight to JPY and CHF: CHF +10% vs USD, JPY +10% vs USD'],
      ['px:FUT=-20%,px:CMDTY=-20%,fx:AUD=-10%', 'Commodities down: Futures −20%, Commodities −20%, AUD −10% vs USD'],
      [
        'px:STK=-20%,px:FUT=-20%,px:IND=-20%,px:CMDTY=-20%,fx:AUD=-10%,fx:CHF=+10%,fx:JPY=+10%,vol=+75%',
        'Risk-off: Equities −20%, Futures −20%, Indexes −20%, Commodities −20%, AUD −10% vs USD, CHF +10% vs USD, JPY +10% vs USD, vol +75%',
      ],
    ]);
    expect(CRASHES.map((c) => c.name)).toEqual(['Equity sell-off', 'Equity crash', 'Flight to JPY and CHF', 'Commodities down', 'Risk-off']);
  });

  it('moves the equity-index futures held with the indexes in every crash, and holds them in the commodity one', () => {
    const list = builtinScenarios('USD', ['USD'], ['STK', 'FUT', 'IND'], [], { equityIndex: ['NQ', 'ES', 'ES'] });
    const crashes = list.filter((s) => s.family === 'crash');
    expect(crashes.map((s) => [s.id, s.label])).toEqual([
      ['px:STK=-10%,px:IND=-10%,sym:ES=-10%,sym:NQ=-10%,vol=+30%', 'Equity sell-off: Equities −10%, Indexes −10%, ES −10%, NQ −10%, vol +30%'],
      ['px:STK=-20%,px:IND=-20%,sym:ES=-20%,sym:NQ=-20%,vol=+75%', 'Equity crash: Equities −20%, Indexes −20%, ES −20%, NQ −20%, vol +75%'],
      // "Futures −20%" moved ES and NQ by −20% in a commodity crash.
      ['px:FUT=-20%,px:CMDTY=-20%,sym:ES=+0%,sym:NQ=+0%', 'Commodities down: Futures −20%, Commodities −20%, ES unchanged, NQ unchanged'],
      [
        'px:STK=-20%,px:FUT=-20%,px:IND=-20%,px:CMDTY=-20%,sym:ES=-20%,sym:NQ=-20%,vol=+75%',
        'Risk-off: Equities −20%, Futures −20%, Indexes −20%, Commodities −20%, ES −20%, NQ −20%, vol +75%',
      ],
    ]);
    expect(list.filter((s) => s.family !== 'crash' && Object.keys(s.shocks.sym).length > 0)).toEqual([]);
    // The ids are the canonical text, which parses back to the same shocks (a held name's 0 included).
    for (const c of crashes) {
      const back = parseShocks(c.id);
      expect(back.ok && back.shocks, c.id).toEqual(c.shocks);
    }
  });

  it('translates basket moves to a safe-haven base: with JPY as base, the others fall 9.09% against it', () => {
    const jpy = builtinScenarios('JPY', ['JPY', 'USD', 'CHF'], []);
    expect(ids(jpy, 'crash')).toEqual([
      'px:STK=-10%,px:IND=-10%,vol=+30%',
      'px:STK=-20%,px:IND=-20%,vol=+75%',
      'fx:USD=-9.09%', // 1/1.10 − 1; CHF moves with JPY, so 0 against it and left out
      'px:FUT=-20%,px:CMDTY=-20%',
      'px:STK=-20%,px:FUT=-20%,px:IND=-20%,px:CMDTY=-20%,fx:USD=-9.09%,vol=+75%',
    ]);
  });

  it('drops a crash that moves nothing in this account (no JPY or CHF held)', () => {
    const plain = builtinScenarios('EUR', ['EUR', 'USD'], ['STK']);
    expect(plain.some((s) => s.label.startsWith('Flight to JPY and CHF'))).toBe(false);
  });

  it('gives every scenario a unique id equal to the canonical form of its shocks, which parses back to them', () => {
    const seen = new Set<string>();
    for (const s of usd) {
      expect(seen.has(s.id), s.id).toBe(false);
      seen.add(s.id);
      expect(s.id).toBe(formatScenario(s.shocks));
      const back = parseShocks(s.id);
      expect(back.ok && back.shocks).toEqual(s.shocks);
    }
    expect(usd).toHaveLength(1 + 16 + 32 + 5);
  });

  it('is stable: the same account gives the same list whatever the order of its currencies and classes', () => {
    const again = builtinScenarios('USD', ['AUD', 'JPY', 'CHF', 'EUR', 'USD', 'EUR'], ['FOP', 'FUT', 'STK']);
    expect(again).toEqual(usd);
  });

  it('skips currency rows that are not ISO codes', () => {
    const odd = builtinScenarios('USD', ['USD', '', 'eur', 'BASE', 'GBP'], []);
    expect(ids(odd, 'fx').every((id) => id.startsWith('fx:GBP='))).toBe(true);
  });
});
