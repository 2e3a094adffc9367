// Margin under stress (calibration, segments, FX haircuts, portfolio margin), breach/warn flags and liquidation distance.
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import { toReportJson } from '../../src/risk/report-json.js';
import { stock } from '../support/events.js';
import { av, contract, holding, report, result } from './stress-fixtures.js';

/** A long-stock Reg T book: 1,000 shares at 100 bought with a 60,000 margin loan; m = 25%. */
function longStockBook(maint: string, extra: ReturnType<typeof av>[] = []) {
  return [
    av('NetLiquidation', '40000'),
    av('EquityWithLoanValue', '40000'),
    av('MaintMarginReq', maint),
    av('InitMarginReq', '50000'),
    av('CashBalance', '-60000', 'USD'),
    holding(stock(1, 'SPY', 'USD'), '1000', '100'),
    ...extra,
  ];
}

describe('maintenance margin under stress, calibrated at zero shock', () => {
  it('the calibration factor is reported / estimated at zero shock, and scales every scenario', () => {
    // Estimate: 25% of 100,000 = 25,000; reported 30,000 → factor 1.2. At −10%: 1.2 × 22,500 = 27,000.
    const r = report(longStockBook('30000'), ['px:STK=-10%']);
    const part = r.margin.calibration.maint[0]!;
    expect(part).toMatchObject({ scope: 'total', mode: 'scaled' });
    expect(part.estimated.toFixed(2)).toBe('25000.00');
    expect(part.factor?.toFixed(6)).toBe('1.200000');
    expect(result(r, 'px:STK=-10%').maintMargin.toFixed(2)).toBe('27000.00');
    expect(r.margin.estimate).toBe(true);
    expect(r.margin.description).toMatch(/^estimate/);
  });

  it('short options add the naked Reg T requirement at the stressed underlying: premium + max(20%·S − OTM, 10%·K)', () => {
    const put = contract({
      conId: 2,
      symbol: 'XYZ',
      secType: 'OPT',
      currency: 'USD',
      expiry: '20261127',
      strike: new Decimal(100),
      right: 'P',
      multiplier: new Decimal(100),
    });
    // 4 days to expiry: tiny time value; put at mark 0.50 with S = 110: 0.50 + max(22 − 10, 10) = 12.50 per share.
    const bodies = [
      av('NetLiquidation', '100000'),
      av('CashBalance', '100200', 'USD'),
      holding(put, '-4', '0.50'),
      { type: 'optionComputed' as const, conId: 2, kind: 'model' as const, delayed: false, impliedVol: 0.2, underlyingPrice: 110 },
    ];
    const r = report(bodies, ['base']);
    expect(r.margin.calibration.maint[0]?.estimated.toFixed(2)).toBe('5000.00');
  });

  it('option P&L moves EquityWithLoanValue only where options have loan value, books of either kind one after another', () => {
    const call = contract({
      conId: 3,
      symbol: 'SPY',
      secType: 'OPT',
      currency: 'USD',
      expiry: '20270115',
      strike: new Decimal(120),
      right: 'C',
      multiplier: new Decimal(100),
    });
    const bodies = longStockBook('25000', [
      holding(call, '10', '1.00'),
      { type: 'optionComputed', conId: 3, kind: 'model', delayed: false, impliedVol: 0.2, underlyingPrice: 100 },
    ]);
    const moves = (optionsHaveLoanValue: boolean) => {
      const s = result(report(bodies, ['px:STK=-10%'], { optionsHaveLoanValue }), 'px:STK=-10%');
      const options = s.pnl.byAssetClass.OPT!;
      expect(options.isNegative()).toBe(true);
      return { nlv: s.netLiquidation.sub(40000), elv: s.equityWithLoanValue.sub(40000), options };
    };
    for (let round = 0; round < 2; round++) {
      const regT = moves(false);
      expect(regT.elv.toFixed(2)).toBe(regT.nlv.sub(regT.options).toFixed(2));
      const loan = moves(true);
      expect(loan.elv.toFixed(2)).toBe(loan.nlv.toFixed(2));
    }
  });

  it('covered calls carry the stock requirement only', () => {
    const call = contract({
      conId: 3,
      symbol: 'SPY',
      secType: 'OPT',
      currency: 'USD',
      expiry: '20270115',
      strike: new Decimal(120),
      right: 'C',
      multiplier: new Decimal(100),
    });
    const r = report(
      longStockBook('25000', [
        holding(call, '-10', '1.00'),
        { type: 'optionComputed', conId: 3, kind: 'model', delayed: false, impliedVol: 0.2, underlyingPrice: 100 },
      ]),
      ['base'],
    );
    expect(r.margin.calibration.maint[0]?.estimated.toFixed(2)).toBe('25000.00');
  });

  it('futures take the reported commodity-segment requirement, held in a price move (SPAN scan range in points)', () => {
    const es = contract({ conId: 4, symbol: 'ES', secType: 'FUT', currency: 'USD', expiry: '202612', multiplier: new Decimal(50) });
    const bodies = [
      av('NetLiquidation', '100000'),
      av('EquityWithLoanValue', '100000'),
      av('CashBalance', '100000', 'USD'),
      av('MaintMarginReq', '22000'),
      av('MaintMarginReq-S', '0'),
      av('MaintMarginReq-C', '22000'),
      holding(es, '1', '6000'),
    ];
    const r = report(bodies, ['px:FUT=-10%', 'px:FUT=+10%']);
    // The securities segment reports 0 and estimates 0 (additive: held at 0); the commodity one is scaled.
    expect(r.margin.calibration.maint.map((p) => [p.scope, p.mode])).toEqual([
      ['S', 'additive'],
      ['C', 'scaled'],
    ]);
    expect(result(r, 'px:FUT=-10%').maintMargin.toFixed(2)).toBe('22000.00');
    expect(result(r, 'px:FUT=+10%').maintMargin.toFixed(2)).toBe('22000.00');
  });

  it('FX margin on a negative balance grows when that currency rises against base', () => {
    // JPY −10,000,000 at 0.0067 = −67,000 USD of JPY NLV: maintenance haircut 2.5% = 1,675 (risk-model.md §2.5).
    const bodies = [
      av('NetLiquidation', '133000'),
      av('EquityWithLoanValue', '133000'),
      av('ExchangeRate', '0.0067', 'JPY'),
      av('CashBalance', '200000', 'USD'),
      av('CashBalance', '-10000000', 'JPY'),
    ];
    const r = report(bodies, ['fx:JPY=+10%']);
    expect(r.margin.calibration.maint[0]).toMatchObject({ mode: 'uncalibrated' });
    expect(r.margin.calibration.maint[0]?.estimated.toFixed(2)).toBe('1675.00');
    expect(result(r, 'fx:JPY=+10%').maintMargin.toFixed(2)).toBe('1842.50');
    expect(result(r, 'fx:JPY=+10%').pnl.total.toFixed(2)).toBe('-6700.00');
  });

  it('portfolio-margin accounts get a TIMS-like scan per underlying, also labelled an estimate', () => {
    // Long stock alone: the worst scan point is −15%: 15% of 100,000.
    const r = report(longStockBook('15000'), ['px:STK=-10%'], { marginMethod: 'portfolio' });
    expect(r.margin.method).toBe('portfolio');
    expect(r.margin.description).toMatch(/^estimate: TIMS-like scan/);
    expect(r.margin.calibration.maint[0]?.estimated.toFixed(2)).toBe('15000.00');
    expect(result(r, 'px:STK=-10%').maintMargin.toFixed(2)).toBe('13500.00');
  });
});

describe('breach and warning flags', () => {
  it('breach when ExcessLiquidity < 0; warn when EquityWithLoanValue ≤ 110% of maintenance', () => {
    // EL(s) = 15,000 + 100,000·s·0.75: −10% → 7,500 (ELV 30,000 vs 1.1 × 22,500 = 24,750: no warning);
    // −17% → 2,250 (ELV 23,000 ≤ 1.1 × 20,750 = 22,825? no); −18% → 1,500 (ELV 22,000 ≤ 22,550: warn); −25% → −3,750 (breach).
    const r = report(longStockBook('25000'), ['px:STK=-10%', 'px:STK=-18%', 'px:STK=-25%']);
    const flags = (t: string) => [result(r, t).excessLiquidity.toFixed(2), result(r, t).warn, result(r, t).breach];
    expect(flags('px:STK=-10%')).toEqual(['7500.00', false, false]);
    expect(flags('px:STK=-18%')).toEqual(['1500.00', true, false]);
    expect(flags('px:STK=-25%')).toEqual(['-3750.00', true, true]);
    expect(result(r, 'px:STK=-25%').cushion?.toFixed(6)).toBe((-3750 / 15000).toFixed(6));
  });
});

describe('liquidation distance', () => {
  it('long stock under Reg T: s* = −EL / (MV × (1 − m)) within 0.1 percentage point', () => {
    const r = report(longStockBook('25000'), ['base']);
    const closedForm = -15000 / (100000 * (1 - 0.25)); // −20%
    const d = r.liquidationDistance.find((x) => x.key === 'px:STK')!;
    expect(Math.abs(d.nearest! - closedForm)).toBeLessThan(0.001);
    expect(d.up).toBeNull();
    expect(toReportJson(r)).toMatchObject({ liquidationDistance: { 'px:STK': expect.closeTo(-0.2, 3) } });
  });

  it('with an effective rate of 30% (reported 30,000 on an estimate of 25,000) the closed form still holds', () => {
    // EL = 40,000 − 30,000 = 10,000; s* = −10,000 / (100,000 × 0.7) = −14.29%.
    const r = report(longStockBook('30000'), ['base']);
    const d = r.liquidationDistance.find((x) => x.key === 'px:STK')!;
    expect(Math.abs(d.nearest! - -10000 / 70000)).toBeLessThan(0.001);
  });

  it('an account already below the line is at distance 0', () => {
    const r = report(longStockBook('41000'), ['base']);
    expect(r.liquidationDistance.find((x) => x.key === 'px:STK')?.nearest).toBe(0);
    expect(r.scenarios[0]?.breach).toBe(true);
  });

  it('currencies: none within ±30% when nothing in the account is exposed enough', () => {
    const bodies = longStockBook('25000', [av('ExchangeRate', '1.1', 'EUR'), av('CashBalance', '1000', 'EUR')]);
    const r = report(bodies, ['base']);
    expect(r.liquidationDistance.find((x) => x.key === 'fx:EUR')).toMatchObject({ down: null, up: null, nearest: null, range: 0.3 });
  });

  it('a short currency position liquidates when that currency rises', () => {
    // 100,000 USD cash and −1,000,000 JPY·… : EL falls as JPY rises. NLV = 200,000 − 0.0067·20,000,000 = 66,000.
    const bodies = [
      av('NetLiquidation', '66000'),
      av('EquityWithLoanValue', '66000'),
      av('MaintMarginReq', '3350'),
      av('ExchangeRate', '0.0067', 'JPY'),
      av('CashBalance', '200000', 'USD'),
      av('CashBalance', '-20000000', 'JPY'),
    ];
    const r = report(bodies, ['base']);
    // EL(s) = 66,000 − 134,000·s − 0.025·134,000·(1 + s) = 62,650 − 137,350·s → s* = +45.6%: beyond ±30%.
    expect(r.liquidationDistance.find((x) => x.key === 'fx:JPY')?.nearest).toBeNull();
    const tighter = report(
      bodies
        .map((b) => (b.type === 'accountValueUpdated' && b.key === 'NetLiquidation' ? { ...b, value: '40000' } : b))
        .map((b) => (b.type === 'accountValueUpdated' && b.key === 'EquityWithLoanValue' ? { ...b, value: '40000' } : b)),
      ['base'],
    );
    // EL(s) = 40,000 − 3,350 − 137,350·s → s* = 36,650 / 137,350 = +26.68%.
    expect(tighter.liquidationDistance.find((x) => x.key === 'fx:JPY')?.nearest).toBeCloseTo(36650 / 137350, 3);
  });

  it('the whole book along the combined crash', () => {
    const r = report(longStockBook('25000'), ['base']);
    const crash = r.liquidationDistance.find((x) => x.key === 'crash')!;
    // The Risk-off crash moves STK with the same t: here the same −20% as the class distance.
    expect(Math.abs(crash.nearest! + 0.2)).toBeLessThan(0.001);
    expect(crash.up).toBeNull();
  });

  it('holds rate and currency futures still along the crash, as the Risk-off scenario does', () => {
    // 1 ZN at 110 (110,000) and 1 6E at 1.08 (135,000) on a USD account with 18,000 of excess: the Futures class alone
    // reaches the line near −7%; Risk-off moves neither (no rates, and the euro stays against the dollar), so the
    // crash has no distance, where before it moved both with the class.
    const future = (conId: number, symbol: string, multiplier: number) =>
      contract({ conId, symbol, secType: 'FUT', currency: 'USD', expiry: '20270319', multiplier: new Decimal(multiplier) });
    const bodies = [
      av('NetLiquidation', '20000'),
      av('EquityWithLoanValue', '20000'),
      av('MaintMarginReq', '2000'),
      av('InitMarginReq', '2500'),
      av('CashBalance', '20000', 'USD'),
      holding(future(41, 'ZN', 1000), '1', '110'),
      holding(future(42, 'EUR', 125_000), '1', '1.08'),
    ];
    const r = report(bodies, ['base']);
    const fut = r.liquidationDistance.find((x) => x.key === 'px:FUT')!;
    expect(fut.nearest!).toBeLessThan(-0.05);
    expect(fut.nearest!).toBeGreaterThan(-0.08);
    expect(r.liquidationDistance.find((x) => x.key === 'crash')?.nearest).toBeNull();
  });

  it('the crash follows the currencies of each book, one book after another', () => {
    // Risk-off takes commodity currencies down 10% with equities 20%: AUD held brings the crash nearer than −20%.
    const aud = longStockBook('25000', [av('ExchangeRate', '0.65', 'AUD'), av('CashBalance', '20000', 'AUD')]);
    const crashOf = (bodies: Parameters<typeof report>[0]) => report(bodies, ['base']).liquidationDistance.find((x) => x.key === 'crash')!;
    const plain = crashOf(longStockBook('25000'));
    const first = crashOf(aud);
    expect(Math.abs(plain.nearest! + 0.2)).toBeLessThan(0.001);
    expect(first.nearest!).toBeGreaterThan(-0.199);
    expect(crashOf(aud)).toEqual(first);
    expect(crashOf(longStockBook('25000'))).toEqual(plain);
  });
});
