// User scenario files: good entries kept, every bad one reported with file, JSON path and token.
import { describe, expect, it } from 'vitest';
import { parseScenarioFile } from '../../src/risk/scenario-text.js';

const FILE = 'scenarios.json';

describe('parseScenarioFile', () => {
  it('reads a clean file into user scenarios with canonical ids, trimmed labels and no problems', () => {
    const r = parseScenarioFile(
      JSON.stringify([
        { label: ' Tech wreck ', shocks: 'vol=+40%,sym:NVDA=-35%,px:STK=-15%' },
        { label: 'SNB again', shocks: 'fx:CHF=+38%' },
      ]),
      FILE,
    );
    expect(r.problems).toEqual([]);
    expect(r.scenarios.map((s) => [s.id, s.label, s.family])).toEqual([
      ['px:STK=-15%,sym:NVDA=-35%,vol=+40%', 'Tech wreck', 'user'],
      ['fx:CHF=+38%', 'SNB again', 'user'],
    ]);
  });

  it('accepts an already-parsed value (as a config loader hands it over) and an empty list', () => {
    expect(parseScenarioFile([{ label: 'a', shocks: 'days=1' }], FILE).scenarios).toHaveLength(1);
    expect(parseScenarioFile('[]', FILE)).toEqual({ scenarios: [], problems: [] });
  });

  it('reports a file that is not JSON', () => {
    const r = parseScenarioFile('[{"label": "a",', FILE);
    expect(r.scenarios).toEqual([]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^scenarios\.json: not valid JSON \(.+\)$/);
  });

  it.each([
    ['{"label":"a","shocks":"base"}', 'an object'],
    ['"px:STK=-10%"', 'string "px:STK=-10%"'],
    ['null', 'null'],
  ])('reports a top level that is not an array: %s', (text, kind) => {
    expect(parseScenarioFile(text, FILE)).toEqual({
      scenarios: [],
      problems: [`scenarios.json: expected a JSON array of {"label", "shocks"} objects, got ${kind}`],
    });
  });

  it('reports each bad entry by index and keeps the good ones', () => {
    const r = parseScenarioFile(
      JSON.stringify([
        { label: 'ok', shocks: 'px:STK=-10%' },
        3,
        null,
        ['px:STK=-1%'],
        { shocks: 'px:STK=-2%' },
        { label: '  ', shocks: 'px:STK=-3%' },
        { label: 7, shocks: 'px:STK=-4%' },
        { label: 'no shocks' },
        { label: 'shocks not text', shocks: { px: { STK: -0.1 } } },
        { label: 'bad text', shocks: 'px:XYZ=-10%,vol=10' },
        { label: 'same shocks', shocks: 'px:STK=-10%' },
        { label: 'ok', shocks: 'px:STK=-11%' },
        { label: 'extra key', shocks: 'vol=+50%', note: 'kept' },
        { label: 'base ccy', shocks: 'fx:USD=-5%' },
      ]),
      FILE,
      { baseCurrency: 'USD' },
    );
    expect(r.problems).toEqual([
      'scenarios.json: [1]: expected an object with "label" and "shocks", got number 3',
      'scenarios.json: [2]: expected an object with "label" and "shocks", got null',
      'scenarios.json: [3]: expected an object with "label" and "shocks", got an array',
      'scenarios.json: [4].label: missing',
      'scenarios.json: [5].label: expected a non-empty string, got string "  "',
      'scenarios.json: [6].label: expected a non-empty string, got number 7',
      'scenarios.json: [7].shocks: missing',
      'scenarios.json: [8].shocks: expected the text form as a string, got an object',
      'scenarios.json: [9].shocks: "px:XYZ=-10%": unknown asset class "XYZ" (expected one of STK, FUT, BOND, CFD, IND, FUND, CMDTY, CRYPTO)',
      'scenarios.json: [9].shocks: "vol=10": missing %: moves are percentages, write 10%',
      'scenarios.json: [10].shocks: "px:STK=-10%" has the same shocks as [0] (px:STK=-10%); entry skipped',
      'scenarios.json: [11].label: "ok" is also the label of [0]; entry skipped',
      'scenarios.json: [12].note: unknown key, ignored (expected "label" and "shocks")',
      'scenarios.json: [13].shocks: "fx:USD=-5%": USD is the base currency: shock the other currencies against it instead',
    ]);
    expect(r.scenarios.map((s) => s.label)).toEqual(['ok', 'extra key']);
  });
});
