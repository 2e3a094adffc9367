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
  return decimalOfUnits(cents, 100);
}

/** A whole number of millionths as a Decimal, exactly (a Cushion, six places). */
export function decimalOfMicros(micros: number): Decimal {
  return decimalOfUnits(micros, 1e6);
}

function decimalOfUnits(n: number, per: 100 | 1e6): Decimal {
  if (n === 0) return new Decimal(0);
  const a = n < 0 ? -n : n;
  if (!(a < 1e15)) return new Decimal(n).div(per);
  const r = a % per;
  const digits = String(r).padStart(per === 100 ? 2 : 6, '0');
  return decimalFromString(`${n < 0 ? '-' : ''}${(a - r) / per}.${digits}`);
}

/**
 * `a.div(b).toDecimalPlaces(6)` (the money Decimal: 34 digits, half to even) in whole millionths, for `a` and `b`
 * known in float64 to within `aErr` and `bErr`; NaN when the float quotient cannot tell the sixth place for sure (within
 * its error of a half millionth), when b is not positive, or past 1e15 millionths: the Decimal path then.
 */
export function ratioMicros(a: number, aErr: number, b: number, bErr: number): number {
  if (!(b > 0)) return NaN;
  const q = a / b;
  const micros = q * 1e6;
  if (!(Math.abs(micros) < 1e15)) return NaN;
  // The quotient's error: a's, b's through it, and the division's and the scaling's own roundings (a few ulps).
  const err = (1e6 * (aErr + Math.abs(q) * bErr)) / b + Math.abs(micros) * 1e-14 + 1e-9;
  const below = Math.floor(micros);
  if (!(Math.abs(micros - below - 0.5) > err)) return NaN;
  const m = micros - below < 0.5 ? below : below + 1;
  return m === 0 ? 0 : m;
}
