// Formatting: signs and words carry meaning, widths are exact, columns drop by priority.
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/model/money.js';
import { accountVM } from '../../src/views/rows/account.js';
import { POSITION_COLUMNS } from '../../src/views/rows/positions.js';
import { ACCOUNT, bookState } from '../support/book.js';
import { acct } from '../support/events.js';
import {
  age,
  compactMoney,
  contractPrice,
  duration,
  fitColumns,
  fxRate,
  layoutLine,
  maskAccount,
  money,
  pad,
  percent,
  price,
  priceDecimals,
  quantity,
  textWidth,
  timeLeft,
  truncate,
  type ColumnSpec,
} from '../../src/views/format.js';

describe('numbers', () => {
  it('groups thousands and keeps the sign as a character', () => {
    expect(money(dec('-1234567.891'))).toBe('-1,234,568');
    expect(money(dec('1234.5'), 2)).toBe('1,234.50');
    expect(money(dec('250'), 0, true)).toBe('+250');
    expect(money(dec('-0.004'), 2, true)).toBe('0.00');
    expect(money(undefined)).toBe('-');
    expect(compactMoney(-845_300)).toBe('-845k');
    expect(compactMoney(1_234_567, true)).toBe('+1.23M');
    expect(compactMoney(12_345)).toBe('12,345');
    expect(quantity(dec('-3'))).toBe('-3');
    expect(quantity(dec('2000.5'))).toBe('2,000.5');
    expect(price(dec('228.5'))).toBe('228.50');
    expect(price(dec('0.00670241'))).toBe('0.00670241');
    expect(percent(-0.23689, 1, true)).toBe('-23.7%');
    expect(percent(0.05, 0, true)).toBe('+5%');
  });

  it("shows a contract's price at its tick's decimals, trailing zeros kept, whatever the value's own digits", () => {
    const eurusd = { secType: 'CASH', currency: 'USD', symbol: 'EUR' };
    expect([dec('1.08'), dec('1.0842'), dec('1.08425')].map((v) => contractPrice(v, eurusd))).toEqual(['1.08000', '1.08420', '1.08425']);
    expect(contractPrice(dec('151.2'), { secType: 'CASH', currency: 'JPY', symbol: 'USD' })).toBe('151.200');
    expect(contractPrice(dec('97.8458'), { secType: 'BOND', currency: 'USD' })).toBe('97.8458');
    expect(contractPrice(dec('1.0842'), { secType: 'FUT', currency: 'USD', symbol: 'EUR' })).toBe('1.08420');
    expect(contractPrice(dec('0.0066005'), { secType: 'FUT', currency: 'USD', symbol: 'JPY' })).toBe('0.0066005');
    // The zloty future (CME, 0.00002 a tick) is a currency future as the model lists them (contract.ts).
    expect(contractPrice(dec('0.25014'), { secType: 'FUT', currency: 'USD', symbol: 'PLN' })).toBe('0.25014');
    expect(contractPrice(dec('6012.25'), { secType: 'FUT', currency: 'USD', symbol: 'ES' })).toBe('6,012.25');
    const stk = { secType: 'STK', currency: 'USD', symbol: 'AAPL' };
    // A stock in cents (half to even, as every Decimal here), under 1 in its sub-penny tick.
    expect([dec('228.5'), dec('228.455'), dec('0.00670241'), dec('-3.1')].map((v) => contractPrice(v, stk))).toEqual(['228.50', '228.46', '0.0067', '-3.10']);
    expect(contractPrice(undefined, stk)).toBe('-');
    expect(priceDecimals({ secType: 'OPT', currency: 'USD' })).toBe(2);
  });

  it('shows a Treasury future at its fraction of a 32nd and fine-tick futures at their tick, never a price it cannot trade at', () => {
    // 110 + 1/64: cents would read 110.02, a price between two ticks that hides the 1/64 move.
    expect(contractPrice(dec('110.015625'), { secType: 'FUT', currency: 'USD', symbol: 'ZN' })).toBe('110.015625');
    expect(contractPrice(dec('118.03125'), { secType: 'FUT', currency: 'USD', symbol: 'ZB' })).toBe('118.03125');
    expect(contractPrice(dec('106.5078125'), { secType: 'FUT', currency: 'USD', symbol: 'ZF' })).toBe('106.5078125');
    expect(contractPrice(dec('103.12890625'), { secType: 'FUT', currency: 'USD', symbol: 'ZT' })).toBe('103.12890625');
    // A ZB option ticks in 64ths: 1 + 3/64.
    expect(contractPrice(dec('1.046875'), { secType: 'FOP', currency: 'USD', symbol: 'ZB' })).toBe('1.046875');
    expect(contractPrice(dec('2.853'), { secType: 'FUT', currency: 'USD', symbol: 'NG' })).toBe('2.853');
    expect(contractPrice(dec('2.4567'), { secType: 'FUT', currency: 'USD', symbol: 'HO' })).toBe('2.4567');
    expect(contractPrice(dec('95.6225'), { secType: 'FUT', currency: 'USD', symbol: 'SR3' })).toBe('95.6225');
    expect(contractPrice(dec('71.4'), { secType: 'FUT', currency: 'USD', symbol: 'CL' })).toBe('71.40');
  });

  it('spells ages and durations in words', () => {
    expect([0, 12_400, 180_000, 7_200_000, 2 * 86_400_000].map(age)).toEqual(['0s', '12s', '3m', '2h', '2d']);
    expect(age(undefined)).toBe('never');
    expect(duration(252_000)).toBe('4m12s');
    expect(duration(3_900_000)).toBe('1h05m');
  });

  it('rounds time left up, so a fresh 5-minute arming reads 5m and the last minute counts in seconds', () => {
    const left = [300_000, 240_001, 240_000, 60_000, 59_999, 59_000, 1, 0, -5].map(timeLeft);
    expect(left).toEqual(['5m', '5m', '4m', '1m', '1m', '59s', '1s', '0s', '0s']);
    expect([3_600_000, 3_660_000, 14_400_000].map(timeLeft)).toEqual(['1h', '1h01m', '4h']);
  });

  it('masks all but the last four characters of an account', () => {
    expect(maskAccount('DU1234567')).toBe('•••••4567');
  });
});

describe('exchange rates', () => {
  it('keep the digits FX is quoted in: a pip and a half, thousandths from 10 up, five significant digits under 1', () => {
    // TWS's ExchangeRate rows: CHF in dollars, JPY in dollars, USD in yen (a JPY-base account), the base itself.
    expect(fxRate(dec('1.1299802'))).toBe('1.12998');
    expect(fxRate(dec('1.08'))).toBe('1.08000');
    expect(fxRate(dec('0.0066988'))).toBe('0.0066988');
    expect(fxRate(dec('0.00669884'))).toBe('0.0066988');
    expect(fxRate(dec('0.79513'))).toBe('0.79513');
    expect(fxRate(dec('149.28344'))).toBe('149.283');
    expect(fxRate(dec('1'))).toBe('1');
  });

  it('in the Account pane, the rate a balance is converted at', () => {
    const state = bookState({ extra: [acct(ACCOUNT, 'ExchangeRate', '1.1299802', 'CHF'), acct(ACCOUNT, 'CashBalance', '-250000', 'CHF')] });
    const chf = accountVM(state, undefined, 60, state.lastEventAt).cash.find((r) => r.id === 'cash:CHF')!;
    expect(chf.cells.rate!.text).toBe('×1.12998');
  });
});

describe('text width', () => {
  it('counts wide characters as two cells and truncates with an ellipsis', () => {
    expect(textWidth('トヨタ')).toBe(6);
    expect(truncate('AAPL 20270219 240 C', 10)).toBe('AAPL 2027…');
    expect(pad('abc', 5, 'right')).toBe('  abc');
    expect(pad('abcdef', 4)).toBe('abc…');
  });
});

describe('fitColumns', () => {
  const specs: ColumnSpec[] = [
    { id: 'label', header: 'Label', width: 10, align: 'left', priority: 0, flex: true },
    { id: 'a', header: 'A', width: 10, align: 'right', priority: 0 },
    { id: 'b', header: 'B', width: 10, align: 'right', priority: 2 },
    { id: 'c', header: 'C', width: 10, align: 'right', priority: 1 },
  ];
  it('drops the highest priority numbers first and gives the rest to the flex column', () => {
    expect(fitColumns(specs, 80).map((c) => [c.id, c.width])).toEqual([
      ['label', 47],
      ['a', 10],
      ['b', 10],
      ['c', 10],
    ]);
    expect(fitColumns(specs, 35).map((c) => c.id)).toEqual(['label', 'a', 'c']);
    expect(fitColumns(specs, 25).map((c) => c.id)).toEqual(['label', 'a']);
  });
  it('narrows the name column when the columns that stay are too wide, so no number is cut by the edge', () => {
    // label and a (priority 0) need 21 columns; at 17 the label gives 4 and a keeps its 10.
    expect(fitColumns(specs, 17).map((c) => [c.id, c.width])).toEqual([
      ['label', 6],
      ['a', 10],
    ]);
    // Not below a name's first six letters: past that the line is as wide as it must be.
    expect(fitColumns(specs, 12).map((c) => [c.id, c.width])).toEqual([
      ['label', 6],
      ['a', 10],
    ]);
    // The Positions pane at 40 columns (the trial's 40x10): every column that stays is whole within the width.
    const cols = fitColumns(POSITION_COLUMNS, 39);
    expect(textWidth(layoutLine(cols, (c) => c.header))).toBeLessThanOrEqual(39);
    for (const c of cols) if (!c.flex) expect(c.width).toBe(POSITION_COLUMNS.find((p) => p.id === c.id)!.width);
  });
  it('returns the same array for the same specs and width (memoised rows keep their props)', () => {
    expect(fitColumns(specs, 60)).toBe(fitColumns([...specs], 60));
  });
  it('found by the specs array itself, still gives each width its own columns, and other specs their own', () => {
    const wide = fitColumns(specs, 80);
    const narrow = fitColumns(specs, 25);
    expect(fitColumns(specs, 80)).toBe(wide);
    expect(fitColumns(specs, 25)).toBe(narrow);
    expect(narrow.map((c) => c.id)).toEqual(['label', 'a']);
    // A pane that renames a header (Value CHF for Value USD) builds new specs: they are fitted as what they say.
    const renamed = specs.map((c) => (c.id === 'a' ? { ...c, header: 'Other' } : c));
    expect(fitColumns(renamed, 80).find((c) => c.id === 'a')?.header).toBe('Other');
    expect(fitColumns(specs, 80).find((c) => c.id === 'a')?.header).toBe('A');
  });
  it('lays a line out in exactly the width', () => {
    const cols = fitColumns(specs, 40);
    expect(textWidth(layoutLine(cols, (c) => c.header))).toBe(40);
  });
});
