// The simulated account: margin and values recomputed here by hand from risk-model.md's rates, and the
// ledger's fill arithmetic on small worked examples.
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import { snapshotValue, type SimSnapshot, type Simulator } from '../../src/sim/index.js';
import { buildUniverse } from '../../src/sim/instruments.js';
import { Ledger } from '../../src/sim/ledger.js';
import { startTestSim } from './helpers.js';

describe('account values at the start of the demo (frozen clock, start prices)', () => {
  let sim: Simulator;
  let snap: SimSnapshot;
  const v = (key: string, ccy = 'USD') => new Decimal(snapshotValue(snap, key, ccy)!);
  const mark = (conId: number) => Number(snap.positions.find((p) => p.conId === conId)!.marketPrice);

  beforeAll(async () => {
    ({ sim } = await startTestSim({ speed: 0 }));
    snap = sim.snapshot();
  });
  afterAll(() => sim.close());

  it('values stocks per currency from the start prices', () => {
    expect(v('StockMarketValue', 'USD').toNumber()).toBe(500 * 228.5 - 200 * 251.3);
    expect(v('StockMarketValue', 'EUR').toNumber()).toBe(300 * 234.5);
    expect(v('StockMarketValue', 'CHF').toNumber()).toBe(1000 * 86.4);
    expect(v('StockMarketValue', 'JPY').toNumber()).toBe(2000 * 2890);
    expect(v('TBondValue', 'USD').toNumber()).toBe(50_000 * 97.85 * 0.01);
    expect(v('ExchangeRate', 'CHF').toNumber()).toBe(1.13);
    // Futures P&L: (6000 × 1.0045 − 5975.25) × 50 × 2 long ES, and (72.15 − 71.40) × 1000 on the short CL.
    expect(v('FuturesPNL', 'USD').toNumber()).toBeCloseTo((6027 - 5975.25) * 100 + 750, 6);
  });

  it('charges the commodities segment fixed futures margins and the SPAN-like short FOP charge', () => {
    // ES 2 × 22,000 + CL 6,000 + 3 short ES 6300 calls × max(22,000 − OTM 273 × 50, 25% × 22,000).
    expect(v('MaintMarginReq-C').toNumber()).toBe(2 * 22_000 + 6_000 + 3 * (22_000 - 273 * 50));
    expect(v('InitMarginReq-C').toNumber()).toBe(2 * 24_200 + 6_600 + 3 * (24_200 - 273 * 50));
  });

  it('charges the securities segment Reg T rates (risk-model.md §1.4) plus the FX haircut on the CHF loan', () => {
    const x = { EUR: 1.08, CHF: 1.13, JPY: Number((1 / 149.2).toFixed(8)) };
    const stocks = 0.25 * 500 * 228.5 + 0.3 * 200 * 251.3 + 0.25 * 300 * 234.5 * x.EUR + 0.25 * 1000 * 86.4 * x.CHF + 0.25 * 2000 * 2890 * x.JPY;
    // Short AAPL 210 put, naked: premium + max(20% × S − OTM, 10% × K). The short SPX 5400 put is paired with one of
    // the two long 5700 puts of its expiry: a debit vertical, which needs nothing beyond its premium (CBOE).
    const aaplPut = (mark(734559377) + Math.max(0.2 * 228.5 - (228.5 - 210), 0.1 * 210)) * 100 * 5;
    const spxPut = 0;
    const bond = 0.05 * 50_000 * 97.85 * 0.01;
    const chfNlvBase = (-250_000 + 1000 * 86.4) * x.CHF;
    const fxMaint = 0.03 * Math.abs(chfNlvBase);
    expect(v('MaintMarginReq-S').toNumber()).toBeCloseTo(stocks + aaplPut + spxPut + bond + fxMaint, 1);
    const stocksInit = 0.5 * 500 * 228.5 + 0.3 * 200 * 251.3 + 0.5 * 300 * 234.5 * x.EUR + 0.5 * 1000 * 86.4 * x.CHF + 0.5 * 2000 * 2890 * x.JPY;
    expect(v('InitMarginReq-S').toNumber()).toBeCloseTo(stocksInit + aaplPut + spxPut + bond + 0.05 * Math.abs(chfNlvBase), 1);
  });

  it('keeps US option values out of EquityWithLoanValue and the identities exact', () => {
    expect(v('EquityWithLoanValue-S').eq(v('NetLiquidation-S').sub(v('OptionMarketValue', 'BASE')))).toBe(true);
    expect(v('ExcessLiquidity').eq(v('EquityWithLoanValue').sub(v('MaintMarginReq')))).toBe(true);
    expect(v('AvailableFunds').eq(v('EquityWithLoanValue').sub(v('InitMarginReq')))).toBe(true);
    expect(
      new Decimal(snapshotValue(snap, 'Cushion', '')!)
        .sub(v('ExcessLiquidity').div(v('NetLiquidation')))
        .abs()
        .lte('5e-7'),
    ).toBe(true);
    // Cash covering the commodity requirement sits in the -C segment (IBKR's sweep), never more than there is.
    expect(v('TotalCashValue-C').gte(0)).toBe(true);
    expect(v('TotalCashValue').eq(v('TotalCashValue-S').add(v('TotalCashValue-C')))).toBe(true);
    expect(v('AvailableFunds-C').gte(0)).toBe(true);
  });
});

describe('ledger fills', () => {
  const universe = buildUniverse(Date.parse('2026-03-02T14:30:00Z'));
  const inst = (conId: number) => universe.find((i) => i.conId === conId)!;
  const d = (s: string | number) => new Decimal(String(s));

  it('books realized P&L on reductions and flips, and moves cash by notional and commission', () => {
    const l = new Ledger('DU1', 'USD', { positions: [], cash: { USD: '10000' } }, universe);
    const msft = inst(272093);
    l.applyFill(msft, d(10), d(100), d(1));
    expect(l.cashIn('USD').toNumber()).toBe(10_000 - 1_000 - 1);
    const r1 = l.applyFill(msft, d(-4), d(110), d(1));
    expect(r1).toMatchObject({ closing: true });
    expect(r1.realized.toNumber()).toBe(40);
    const r2 = l.applyFill(msft, d(-10), d(90), d(1));
    expect(r2.realized.toNumber()).toBe(-60); // 6 closed at 90 against 100
    const p = l.positions.get(272093)!;
    expect(p.qty.toNumber()).toBe(-4);
    expect(p.avgPrice.toNumber()).toBe(90); // the flipped remainder opened at the fill price
    expect(p.realized.toNumber()).toBe(40 - 60 - 3); // net of all three commissions
    expect(l.cashIn('USD').toNumber()).toBe(10_000 - 1_001 + 439 + 899);
  });

  it('futures move cash only by realized P&L; FX pairs move both currency legs', () => {
    const l = new Ledger('DU1', 'USD', { positions: [], cash: { USD: '0', EUR: '0' } }, universe);
    const es = inst(637533641);
    l.applyFill(es, d(1), d(6000), d('0.85'));
    expect(l.cashIn('USD').toNumber()).toBe(-0.85);
    l.applyFill(es, d(-1), d(6010), d('0.85'));
    expect(l.cashIn('USD').toNumber()).toBe(-1.7 + 500);
    const eurusd = inst(12087792);
    l.applyFill(eurusd, d(10_000), d('1.08'), d(2));
    expect(l.cashIn('EUR').toNumber()).toBe(10_000);
    expect(l.cashIn('USD').toNumber()).toBeCloseTo(498.3 - 10_800 - 2, 9);
  });

  it("books an FX pair's realized P&L in the quote currency for a short, a partial close and a flip, moving only the legs' cash", () => {
    const l = new Ledger('DU1', 'USD', { positions: [], cash: { USD: '0', EUR: '0' } }, universe);
    const eurusd = inst(12087792);
    // Short 100k at 1.10; buy back 40k at 1.08: 40,000 × (1.10 − 1.08) = +800 USD.
    l.applyFill(eurusd, d(-100_000), d('1.10'), d(0));
    expect(l.applyFill(eurusd, d(40_000), d('1.08'), d(0))).toEqual({ realized: d(800), closing: true });
    // Buy 100k at 1.11: closes the 60k short (60,000 × −0.01 = −600) and opens 40k long at 1.11.
    expect(l.applyFill(eurusd, d(100_000), d('1.11'), d(0))).toEqual({ realized: d(-600), closing: true });
    // Sell the 40k long at 1.12: +400.
    expect(l.applyFill(eurusd, d(-40_000), d('1.12'), d(0)).realized).toEqual(d(400));
    // Flat: the EUR leg is back to zero and the USD leg holds exactly the realized total, nothing booked twice.
    expect(l.cashIn('EUR').toNumber()).toBe(0);
    expect(l.cashIn('USD').toNumber()).toBeCloseTo(800 - 600 + 400, 9);
  });
});

describe('another base currency', () => {
  it('reports everything in EUR when the base is EUR, the same account as in USD', async () => {
    const usd = await startTestSim({ speed: 0 });
    const eur = await startTestSim({ speed: 0, baseCurrency: 'EUR' });
    try {
      const su = usd.sim.snapshot();
      const se = eur.sim.snapshot();
      expect(snapshotValue(se, 'ExchangeRate', 'EUR')).toBe('1.00000000');
      expect(snapshotValue(se, 'ExchangeRate', 'USD')).toBe((1 / 1.08).toFixed(8));
      expect(se.accountValues.find((r) => r.key === 'NetLiquidation')!.currency).toBe('EUR');
      const n = (s: SimSnapshot, k: string) => Number(snapshotValue(s, k, s.baseCurrency));
      // Same positions and prices: the EUR figures are the USD ones divided by EUR.USD 1.08 (cents of rounding).
      for (const k of ['NetLiquidation', 'MaintMarginReq', 'InitMarginReq', 'EquityWithLoanValue']) {
        expect(Math.abs(n(se, k) * 1.08 - n(su, k)), k).toBeLessThan(1);
      }
      expect(Number(snapshotValue(se, 'NetLiquidationByCurrency', 'BASE'))).toBe(n(se, 'NetLiquidation'));
    } finally {
      await Promise.all([usd.sim.close(), eur.sim.close()]);
    }
  });
});
