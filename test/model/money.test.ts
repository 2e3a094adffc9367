import { describe, expect, it } from 'vitest';
import {
  Decimal,
  decimalEquals,
  decimalFromString,
  fromIbNumber,
  groupedQuantity,
  groupedQuantityText,
  parseDecimal,
  sameDecimal,
} from '../../src/model/money.js';
import { mulberry32 } from '../../src/sim/random.js';

/** The simulator's seeded mulberry32 stream, as a plain function. */
function rng(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r.next();
}

/** What decimal.js itself makes of the text: its sign, exponent and digit words, or its error. */
function viaDecimalJs(text: string): unknown {
  try {
    const d = new Decimal(text);
    return { s: d.s, e: d.e, d: d.d ? [...d.d] : d.d, text: d.toString() };
  } catch (e) {
    return String(e);
  }
}

function viaFast(text: string): unknown {
  try {
    const d = decimalFromString(text);
    return { s: d.s, e: d.e, d: d.d ? [...d.d] : d.d, text: d.toString() };
  } catch (e) {
    return String(e);
  }
}

describe('decimalFromString', () => {
  it('builds exactly the Decimal that new Decimal(text) builds, for edge cases and random plain decimals', () => {
    const edges = [
      '0',
      '-0',
      '0.0',
      '00.000',
      '-0.000',
      '1',
      '10',
      '100',
      '1234567',
      '12345678',
      '0.1',
      '0.0000001',
      '0.00000001',
      '123.45',
      '-20834.32',
      '9999999.9999999',
      '000123.4500',
      '1e5',
      '1E-7',
      '.5',
      '5.',
      '+5',
      '-',
      '',
      'abc',
      '1.2.3',
      'Infinity',
      'NaN',
    ];
    const rand = rng(7);
    const texts = [...edges];
    for (let i = 0; i < 20_000; i++) {
      const int = rand() < 0.3 ? '0' : String(Math.floor(rand() * 10 ** Math.floor(rand() * 16)));
      const frac = rand() < 0.5 ? '' : `.${String(Math.floor(rand() * 10 ** (1 + Math.floor(rand() * 15)))).padStart(Math.floor(rand() * 12), '0')}`;
      texts.push(`${rand() < 0.5 ? '-' : ''}${rand() < 0.2 ? '00' : ''}${int}${frac}${frac && rand() < 0.3 ? '000' : ''}`);
    }
    for (const t of texts) expect(viaFast(t), t).toEqual(viaDecimalJs(t));
  });

  it('makes Decimals that compute and compare like any other', () => {
    const a = decimalFromString('-20834.32');
    expect(a).toBeInstanceOf(Decimal);
    expect(a.plus('0.32').times(2).toString()).toBe('-41668');
    expect(a.equals(new Decimal('-20834.320'))).toBe(true);
    expect(new Decimal('1.5').lessThan(decimalFromString('1.50001'))).toBe(true);
  });
});

describe('groupedQuantity', () => {
  it('groups thousands with an ASCII comma, keeps fractional places, never writes an exponent', () => {
    expect(groupedQuantity(new Decimal('100000'))).toBe('100,000');
    expect(groupedQuantity(new Decimal('-1000'))).toBe('-1,000');
    expect(groupedQuantity(new Decimal('999'))).toBe('999');
    expect(groupedQuantity(new Decimal('1234.5'))).toBe('1,234.5');
    expect(groupedQuantity(new Decimal('0.0000001'))).toBe('0.0000001');
    expect(groupedQuantity(new Decimal('1e21'))).toBe('1,000,000,000,000,000,000,000');
    expect(groupedQuantity(new Decimal('-0'))).toBe('0');
  });

  it('groups a quantity read back as text only when it is a plain number', () => {
    expect(groupedQuantityText('100000')).toBe('100,000');
    expect(groupedQuantityText('-2000.25')).toBe('-2,000.25');
    expect(groupedQuantityText('all')).toBe('all');
    expect(groupedQuantityText('1e5')).toBe('1e5');
  });
});

describe('sameDecimal and decimalEquals', () => {
  it('agree with equals() on values, and sameDecimal also tells 0 from -0', () => {
    const pairs: [string, string][] = [
      ['1.50', '1.5'],
      ['1.5', '1.51'],
      ['-2', '2'],
      ['0', '-0'],
      ['0', '0.000'],
      ['100', '1e2'],
      ['12345678.9', '12345678.90'],
    ];
    for (const [x, y] of pairs) {
      const a = new Decimal(x);
      const b = new Decimal(y);
      expect(decimalEquals(a, b), `${x} ${y}`).toBe(a.equals(b));
    }
    expect(sameDecimal(new Decimal('0'), new Decimal('-0'))).toBe(false);
    expect(sameDecimal(new Decimal('1.50'), decimalFromString('1.5'))).toBe(true);
    const nan = new Decimal(NaN);
    expect(decimalEquals(nan, nan)).toBe(false);
    expect(decimalEquals(new Decimal(Infinity), new Decimal(Infinity))).toBe(true);
  });

  it('parseDecimal treats magnitudes from 1e30 up as IB unset sentinels, and keeps everything below', () => {
    const below = ['0', '-0.0000001', '999999999999999999999999999999', '-999999999999999999999999999999.99', '9.99e29', '1,234.5'];
    for (const t of below) expect(parseDecimal(t)?.toString()).toBe(new Decimal(t.replaceAll(',', '')).toString());
    for (const t of ['1e30', '-1e30', '1000000000000000000000000000000', '1.7014118346046923e38', '1.7976931348623157e308']) {
      expect(parseDecimal(t)).toBeUndefined();
    }
  });
});

describe('fromIbNumber', () => {
  /** decimal.js's own Decimal of the number's shortest text, as String(n) writes it: the value the wire sent. */
  const expected = (n: number) => viaDecimalJs(String(n));
  const actual = (n: number) => {
    const d = fromIbNumber(n)!;
    return { s: d.s, e: d.e, d: d.d ? [...d.d] : d.d, text: d.toString() };
  };

  it('builds the Decimal of the text String(n) writes, for prices, amounts and quantities as TWS sends them', () => {
    const edges = [
      1,
      -1,
      10,
      100,
      1e6,
      1e7,
      9999999,
      10000001,
      123.45,
      -123.45,
      0.1,
      0.29,
      0.3,
      1.1,
      100.01,
      99.99,
      0.0001,
      0.00001234,
      1e-7,
      1e-8,
      1.5e-10,
      123456789012.34,
      999999999999999,
      1e15,
      1e15 + 2,
      123456789012345.6,
      0.1 + 0.2,
      1 / 3,
      2 / 3,
      Math.PI,
      1e29,
      -1e-10,
      5e-324,
      1234567.1234567,
      12345678.9,
      0.00000001,
      170.05,
      4.97,
      0.015,
      2 ** 53,
      2 ** 53 + 2,
      1e21,
      1e22,
    ];
    for (const n of edges) expect(actual(n), String(n)).toEqual(expected(n));
    const r = rng(21);
    for (let i = 0; i < 20_000; i++) {
      // Plain decimals of up to 15 digits with 0-10 of them after the point, parsed as the library parses the wire.
      const digits = 1 + Math.floor(r() * 15);
      const frac = Math.min(digits, Math.floor(r() * 11));
      let text = '';
      for (let j = 0; j < digits; j++) text += String(Math.floor(r() * 10));
      if (frac > 0) text = `${text.slice(0, digits - frac) || '0'}.${text.slice(digits - frac)}`;
      const n = (r() < 0.3 ? -1 : 1) * parseFloat(text);
      if (n === 0) continue;
      expect(actual(n), text).toEqual(expected(n));
      // And doubles that are no short decimal (computed values): the text path's answer, whichever path is taken.
      const x = (r() - 0.5) * 10 ** Math.floor(r() * 24 - 8);
      if (x !== 0) expect(actual(x), String(x)).toEqual(expected(x));
    }
  });

  it('reads zero, NaN, infinities and IB unset sentinels as before: 0 is a Decimal, the others are missing', () => {
    expect(actual(0)).toEqual(expected(0));
    expect(actual(-0)).toEqual(expected(0));
    for (const n of [NaN, Infinity, -Infinity, Number.MAX_VALUE, 1.7976931348623157e308, 1e30, -1e31]) expect(fromIbNumber(n), String(n)).toBeUndefined();
  });
});
