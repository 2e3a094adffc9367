// Whole cents of a float64 amount, rounded exactly as moneyOf rounds it, so that sums of cells need no Decimal until the end.
import { Decimal, decimalFromString } from '../model/money.js';

/*
 * The report rounds each float64 cell to the cent (moneyOf: the float's shortest decimal form, half to even) and adds
 * the cells in Decimal. Integers below 2^53 add exactly in float64, so the same sums can be made in whole cents and
 * only the figures shown become Decimals: a few per scenario instead of one per cell and per addition (88 scenarios a
 * pass, each a currency-by-class matrix). Cells beyond CENTS_LIMIT are left to the Decimal path (NaN here).
 */

/** Largest |amount| taken here: its cents, and a sum of a few thousand of them, stay far below 2^53. */
export const CENTS_LIMIT = 1e11;

/**
 * `moneyOf(x)` in whole cents: the shortest decimal form of `x` rounded to two places, half to even (the money
 * Decimal's rounding). NaN when |x| ≥ CENTS_LIMIT or x is not finite.
 */
export function centsOf(x: number): number {
  const a = x < 0 ? -x : x;
  if (!(a < CENTS_LIMIT)) return NaN;
  // Below a tenth of a cent nothing rounds up (String would also switch to exponent form under 1e-6).
  if (a < 0.001) return 0;
  const s = String(a);
  const dot = s.indexOf('.');
  if (dot < 0) return x < 0 ? 0 - a * 100 : a * 100;
  let c = Number(s.slice(0, dot)) * 100;
  const d1 = s.charCodeAt(dot + 1) - 48;
  const d2 = dot + 2 < s.length ? s.charCodeAt(dot + 2) - 48 : 0;
  c += d1 * 10 + d2;
  if (dot + 3 < s.length) {
    const first = s.charCodeAt(dot + 3) - 48;
    // More digits after the first dropped one mean strictly above half; a lone 5 is a tie, to even.
    if (first > 5 || (first === 5 && (dot + 4 < s.length || c % 2 === 1))) c += 1;
  }
  // 0 - c: a cent rounded away to nothing is 0, not −0.
  return x < 0 ? 0 - c : c;
}

/**
 * A whole number of cents (below 2^53) as a Decimal, exactly: under 1e15 written out as its units and two digits and
 * read by decimalFromString (a pass makes about a thousand of these; `new Decimal(cents / 100)` took two and a half
 * times as long), above that the division is done in Decimal.
 */
export function decimalOfCents(cents: number): Decimal {
  if (cents === 0) return new Decimal(0);
  const a = cents < 0 ? -cents : cents;
  if (!(a < 1e15)) return new Decimal(cents).div(100);
  const r = a % 100;
  return decimalFromString(`${cents < 0 ? '-' : ''}${(a - r) / 100}.${r < 10 ? '0' : ''}${r}`);
}
