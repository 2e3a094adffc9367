// Scenario text form: the issue's example, canonical formatting, round trips, and every parse error.
import { describe, expect, it } from 'vitest';
import { describeShocks, formatScenario, parseScenario, parseShocks, riskNavigatorScenarios, type ShocksResult } from '../../src/risk/scenario-text.js';
import { PRICE_DRIVER_CLASSES, ZERO_SHOCKS, type ScenarioShocks } from '../../src/risk/scenario-types.js';

const ISSUE_EXAMPLE = 'px:STK=-10%,px:FUT=-5%,sym:AAPL=-25%,fx:EUR=-8%,vol=+30%,days=1';

function shocksOf(text: string): ScenarioShocks {
  const r = parseShocks(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${r.problems.join('; ')}`);
  return r.shocks;
}

function problemsOf(r: ShocksResult): readonly string[] {
  if (r.ok) throw new Error('expected problems, got a scenario');
  return r.problems;
}

const shocks = (patch: Partial<ScenarioShocks>): ScenarioShocks => ({ ...ZERO_SHOCKS, ...patch });

describe('parseShocks', () => {
  it("reads the issue's example as fractions", () => {
    expect(shocksOf(ISSUE_EXAMPLE)).toEqual({
      px: { STK: -0.1, FUT: -0.05 },
      sym: { AAPL: -0.25 },
      fx: { EUR: -0.08 },
      vol: 0.3,
      days: 1,
    });
  });

  it('reads "", blanks and "base" as the zero scenario', () => {
    for (const text of ['', '   ', 'base', ' base ']) expect(shocksOf(text)).toEqual(ZERO_SHOCKS);
  });

  it('accepts unsigned, decimal and leading-dot percentages, spaces around tokens, and the "−" of labels', () => {
    expect(shocksOf(' px:STK = 10% , sym:BRK B=-2.5%, fx:CHF=+.5%, vol=\u221215%')).toEqual(
      shocks({ px: { STK: 0.1 }, sym: { 'BRK B': -0.025 }, fx: { CHF: 0.005 }, vol: -0.15 }),
    );
  });

  it('reads -0% as 0, and accepts the floors -100% for prices, currencies and vol', () => {
    expect(Object.is(shocksOf('px:STK=-0%').px.STK, 0)).toBe(true);
    expect(shocksOf('px:STK=-100%,fx:RUB=-100%,vol=-100%,days=0')).toEqual(shocks({ px: { STK: -1 }, fx: { RUB: -1 }, vol: -1 }));
  });

  it('accepts every price-driver class and IB symbol spellings', () => {
    for (const c of PRICE_DRIVER_CLASSES) expect(shocksOf(`px:${c}=-1%`).px[c]).toBe(-0.01);
    for (const s of ['BF.B', 'BRK B', '9984', 'M6E', 'EUR.USD', 'ABC-D', 'X/Y']) expect(shocksOf(`sym:${s}=+1%`).sym[s]).toBe(0.01);
  });
});

describe('formatScenario', () => {
  it('writes the canonical order: px by class order, sym and fx sorted, then vol, then days', () => {
    const scrambled = 'days=1,vol=+30%,fx:EUR=-8%,sym:AAPL=-25%,px:FUT=-5%,px:STK=-10%';
    expect(formatScenario(shocksOf(scrambled))).toBe(ISSUE_EXAMPLE);
    expect(formatScenario(shocksOf('sym:MSFT=1%,sym:9984=2%,sym:AAPL=3%,fx:JPY=1%,fx:CHF=1%'))).toBe(
      'sym:9984=+2%,sym:AAPL=+3%,sym:MSFT=+1%,fx:CHF=+1%,fx:JPY=+1%',
    );
  });

  it('signs every percentage, keeps explicit zero moves and drops zero vol and days', () => {
    expect(formatScenario(shocksOf('px:STK=0%,vol=0%,days=0'))).toBe('px:STK=+0%');
    expect(formatScenario(ZERO_SHOCKS)).toBe('base');
  });

  it('round-trips: parse(format(x)) equals x, for any finite fraction', () => {
    const values = [-1, -0.28, -0.0909, 0.025, 1 / 3, 0.07, 1e-9, 2 / 7, 99.99, 0.1 + 0.2];
    for (const x of values) {
      const s = shocks({ px: { FUT: x }, sym: { AAPL: x }, fx: { EUR: x }, vol: x, days: 3 });
      expect(shocksOf(formatScenario(s))).toEqual(s);
    }
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 48271) % 2147483647;
      const x = (seed / 2147483647) * 10 - 1;
      expect(shocksOf(formatScenario(shocks({ vol: x }))).vol).toBe(x);
    }
  });

  it('is idempotent on canonical text: format(parse(t)) = t', () => {
    for (const t of [ISSUE_EXAMPLE, 'base', 'fx:CHF=+38%', 'px:STK=-20%,px:IND=-20%,vol=+75%', 'sym:BRK B=-2.5%']) {
      expect(formatScenario(shocksOf(t))).toBe(t);
    }
  });

  it('writes small and large moves without exponents, so they stay parseable', () => {
    expect(formatScenario(shocks({ vol: 1e-9 }))).toBe('vol=+0.0000001%');
    expect(formatScenario(shocks({ vol: 50 }))).toBe('vol=+5000%');
  });

  it('keeps a px key outside the price drivers visible rather than dropping it', () => {
    expect(formatScenario(shocks({ px: { OPT: -0.1, STK: -0.1 } }))).toBe('px:STK=-10%,px:OPT=-10%');
  });
});

describe('parse errors: every problem at once, each naming its token', () => {
  const cases: readonly [string, string, RegExp][] = [
    ['a token without "="', 'pxSTK-10%', /^"pxSTK-10%": expected kind=value/],
    ['an unknown kind', 'foo:X=1%', /^"foo:X=1%": unknown shock kind "foo"/],
    ['an upper-case kind', 'PX:STK=1%', /^"PX:STK=1%": unknown shock kind "PX"/],
    ['px without a class', 'px=-10%', /^"px=-10%": px needs a name, e.g. px:STK=-10%/],
    ['sym without a symbol', 'sym:=-10%', /^"sym:=-10%": sym needs a name/],
    ['fx without a currency', 'fx=-10%', /^"fx=-10%": fx needs a name/],
    ['an unknown asset class', 'px:XYZ=-10%', /^"px:XYZ=-10%": unknown asset class "XYZ" \(expected one of STK, FUT, BOND, CFD, IND, FUND, CMDTY, CRYPTO\)/],
    ['a lower-case asset class', 'px:stk=-10%', /^"px:stk=-10%": asset class "stk" must be upper case: STK/],
    ['an option class', 'px:OPT=-10%', /^"px:OPT=-10%": OPT is not a price driver: options move with their underlying/],
    ['a warrant class', 'px:WAR=-10%', /^"px:WAR=-10%": WAR is not a price driver/],
    ['a futures-option class', 'px:FOP=-10%', /^"px:FOP=-10%": FOP is not a price driver: futures options move with their future \(px:FUT\)/],
    ['the CASH class', 'px:CASH=-10%', /^"px:CASH=-10%": CASH is not a price driver: currency pairs move with fx shocks/],
    ['the UNKNOWN class', 'px:UNKNOWN=-10%', /^"px:UNKNOWN=-10%": unknown asset class "UNKNOWN"/],
    ['a lower-case symbol', 'sym:aapl=-25%', /^"sym:aapl=-25%": symbol "aapl" must be upper case, as IB spells it: AAPL/],
    ['a symbol with bad characters', 'sym:A$B=-25%', /^"sym:A\$B=-25%": symbol "A\$B" may contain only/],
    ['a symbol with a double space', 'sym:BRK  B=-25%', /^"sym:BRK {2}B=-25%": symbol "BRK {2}B" may contain only/],
    ['a lower-case currency', 'fx:eur=-8%', /^"fx:eur=-8%": currency "eur" must be upper case: EUR/],
    ['a currency that is not an ISO code', 'fx:EURO=-8%', /^"fx:EURO=-8%": currency "EURO" is not a 3-letter ISO code/],
    ["TWS's BASE row as a currency", 'fx:BASE=-8%', /^"fx:BASE=-8%": "BASE" is TWS's converted-total row/],
    ['a missing %', 'px:STK=-10', /^"px:STK=-10": missing %: moves are percentages, write -10%/],
    ['a missing % on vol', 'vol=30', /^"vol=30": missing %/],
    ['a malformed number', 'px:STK=-1o%', /^"px:STK=-1o%": "-1o%" is not a percentage like -10% or \+2\.5%/],
    ['an exponent', 'px:STK=1e2%', /^"px:STK=1e2%": "1e2%" is not a percentage/],
    ['a doubled %', 'px:STK=10%%', /^"px:STK=10%%": "10%%" is not a percentage/],
    ['a missing value', 'vol=', /^"vol=": missing value after "="/],
    ['a price below -100%', 'px:STK=-120%', /^"px:STK=-120%": a price cannot fall more than 100%/],
    ['a symbol below -100%', 'sym:AAPL=-101%', /^"sym:AAPL=-101%": a price cannot fall more than 100%/],
    ['a currency below -100%', 'fx:EUR=-150%', /^"fx:EUR=-150%": a currency cannot fall more than 100%/],
    ['vol below -100%', 'vol=-150%', /^"vol=-150%": vol cannot fall below -100%/],
    ['an implausibly large move', 'px:STK=+20000%', /^"px:STK=\+20000%": \+20000% is beyond \+10000%/],
    ['vol with a name', 'vol:STK=+10%', /^"vol:STK=\+10%": vol takes no name: write vol=\+10%/],
    ['days with a name', 'days:X=1', /^"days:X=1": days takes no name/],
    ['days with %', 'days=1%', /^"days=1%": days is a whole number of calendar days, without %/],
    ['negative days', 'days=-1', /^"days=-1": days cannot be negative/],
    ['fractional days', 'days=1.5', /^"days=1.5": days must be a whole number/],
    ['malformed days', 'days=one', /^"days=one": "one" is not a whole number of days/],
    ['missing days', 'days=', /^"days=": missing value after "="/],
    ['too many days', 'days=99999999999999999999', /^"days=99999999999999999999": 99999999999999999999 days is too large/],
  ];

  it.each(cases)('reports %s', (_what, text, want) => {
    const problems = problemsOf(parseShocks(text));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(want);
  });

  it('reports an fx shock on the base currency when the base is known, and only then', () => {
    expect(problemsOf(parseShocks('fx:USD=-8%', { baseCurrency: 'USD' }))).toEqual([
      '"fx:USD=-8%": USD is the base currency: shock the other currencies against it instead',
    ]);
    expect(parseShocks('fx:USD=-8%').ok).toBe(true);
  });

  it('reports empty items (doubled and trailing commas) by position', () => {
    expect(problemsOf(parseShocks('px:STK=-10%,,vol=+5%'))).toEqual(['shock 2 of 3 is empty: remove the extra comma']);
    expect(problemsOf(parseShocks('px:STK=-10%,'))).toEqual(['shock 2 of 2 is empty: remove the extra comma']);
  });

  it('reports "base" combined with other shocks', () => {
    expect(problemsOf(parseShocks('base,vol=+10%'))).toEqual(['"base" is the zero scenario and stands alone: drop it or the other shocks']);
  });

  it.each([
    ['px:STK=-10%,px:STK=-5%', '"px:STK=-5%": px:STK is already set by "px:STK=-10%"'],
    ['sym:AAPL=-1%,sym:AAPL=-2%', '"sym:AAPL=-2%": sym:AAPL is already set by "sym:AAPL=-1%"'],
    ['fx:EUR=-1%,fx:EUR=-2%', '"fx:EUR=-2%": fx:EUR is already set by "fx:EUR=-1%"'],
    ['vol=+1%,vol=+2%', '"vol=+2%": vol is already set by "vol=+1%"'],
    ['days=1,days=2', '"days=2": days is already set by "days=1"'],
  ])('reports a duplicate key: %s', (text, want) => {
    expect(problemsOf(parseShocks(text))).toEqual([want]);
  });

  it('collects every problem of a bad line in order, two for a token with two faults', () => {
    const problems = problemsOf(parseShocks('px:opt=-10,,foo=1,vol=-150%,fx:eur=3%,days=2.5,px:STK=-5%'));
    expect(problems).toEqual([
      '"px:opt=-10": OPT is not a price driver: options move with their underlying (px:STK or px:IND)',
      '"px:opt=-10": missing %: moves are percentages, write -10%',
      'shock 2 of 7 is empty: remove the extra comma',
      '"foo=1": unknown shock kind "foo" (expected px:, sym:, fx:, rates, vol, volterm or days)',
      '"vol=-150%": vol cannot fall below -100% (the vol would be negative)',
      '"fx:eur=3%": currency "eur" must be upper case: EUR',
      '"days=2.5": days must be a whole number',
    ]);
  });
});

describe('parseScenario', () => {
  it('makes a user scenario whose id is the canonical text and whose default label describes it', () => {
    const r = parseScenario('vol=+30%,px:STK=-10%', { baseCurrency: 'USD' });
    expect(r).toEqual({
      ok: true,
      scenario: {
        id: 'px:STK=-10%,vol=+30%',
        label: 'Equities −10%, vol +30%',
        family: 'user',
        shocks: shocks({ px: { STK: -0.1 }, vol: 0.3 }),
      },
    });
  });

  it('keeps a given label and family', () => {
    const r = parseScenario('fx:CHF=+38%', { label: 'SNB again', family: 'fx' });
    expect(r.ok && r.scenario).toMatchObject({ id: 'fx:CHF=+38%', label: 'SNB again', family: 'fx' });
  });

  it('passes the problems through', () => {
    expect(parseScenario('px:XYZ=1%')).toEqual({
      ok: false,
      problems: ['"px:XYZ=1%": unknown asset class "XYZ" (expected one of STK, FUT, BOND, CFD, IND, FUND, CMDTY, CRYPTO)'],
    });
  });
});

describe('describeShocks', () => {
  it('names classes, uses the typographic minus and says against what a currency moves', () => {
    expect(describeShocks(shocksOf(ISSUE_EXAMPLE), 'USD')).toBe('Equities −10%, Futures −5%, AAPL −25%, EUR −8% vs USD, vol +30%, 1 day forward');
    expect(describeShocks(shocksOf('fx:EUR=-8%,days=3'))).toBe('EUR −8%, 3 days forward');
    expect(describeShocks(ZERO_SHOCKS)).toBe('No change');
  });
});

describe('rates shocks (basis points)', () => {
  it('reads rates=+50bp as 0.005 and writes it back after fx, before vol', () => {
    const s = shocksOf('vol=+15%,rates=-100bp,px:BOND=-2%');
    expect(s.rates).toBe(-0.01);
    expect(formatScenario(s)).toBe('px:BOND=-2%,rates=-100bp,vol=+15%');
    expect(describeShocks(shocksOf('rates=+12.5bp'))).toBe('rates +12.5bp');
    expect(shocksOf(formatScenario(shocksOf('rates=+12.5bp'))).rates).toBe(0.00125);
  });

  it('drops a zero rates move and rejects percentages, bare numbers and moves beyond ±1000bp', () => {
    expect(shocksOf('rates=+0bp')).toEqual(ZERO_SHOCKS);
    expect(problemsOf(parseShocks('rates=+50%,rates=50'))).toEqual([
      '"rates=+50%": rates moves are basis points, not %: write +50bp for +0.5%',
      '"rates=50": rates is already set by "rates=+50%"',
      '"rates=50": missing bp: rates moves are basis points, write 50bp',
    ]);
    expect(problemsOf(parseShocks('rates=50'))).toEqual(['"rates=50": missing bp: rates moves are basis points, write 50bp']);
    expect(problemsOf(parseShocks('rates=+1500bp'))).toEqual(['"rates=+1500bp": +1500bp is beyond ±1000bp']);
    expect(problemsOf(parseShocks('rates:US=+5bp'))).toEqual(['"rates:US=+5bp": rates takes no name: write rates=+5bp']);
  });
});

describe('riskNavigatorScenarios', () => {
  it("is Risk Navigator's 7 × 5 × 5 grid (risk-model.md §1.6), price innermost, with the all-zero cell as base", () => {
    const grid = riskNavigatorScenarios(['STK', 'OPT', 'FUT']);
    expect(grid).toHaveLength(175);
    expect(new Set(grid.map((s) => s.id)).size).toBe(175);
    expect(grid.filter((s) => s.family === 'base').map((s) => s.id)).toEqual(['base']);
    expect(grid[0]?.id).toBe('px:STK=-30%,px:FUT=-30%,rates=-100bp,vol=-30%');
    expect(grid[1]?.id).toBe('px:STK=-20%,px:FUT=-20%,rates=-100bp,vol=-30%');
    expect(grid[174]?.label).toBe('Equities +30%, Futures +30%, rates +100bp, vol +30%');
  });

  it('keeps each id once when no price class is held', () => {
    expect(riskNavigatorScenarios([])).toHaveLength(25);
  });
});
