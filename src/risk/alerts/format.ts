// Numbers in alert titles: percentages, amounts with thousands separators, quantities. One place, one style.
import { Decimal, groupedQuantity } from '../../model/money.js';

/** "4.2%" (a fraction 0.042), sign kept: "-12.0%". */
export function pct(x: number, dp = 1): string {
  const s = (x * 100).toFixed(dp);
  return `${s === `-${(0).toFixed(dp)}` ? (0).toFixed(dp) : s}%`;
}

/**
 * A configured level as a percentage, exactly as configured: 0.618 is "61.8%", 0.1 is "10%", -0.05 is "-5%" (every
 * digit the setting has, no trailing zeros). A title that rounds it ("the 62% warning band" for 0.618) names a level
 * nobody set, and a cushion of 61.9% would read as "below 62%" without being below the band. Decimal, from the
 * number's shortest form, so 0.07 is "7%", not "7.000000000000001%".
 */
export function level(x: number): string {
  const s = new Decimal(x).times(100).toFixed();
  return `${s === '-0' ? '0' : s}%`;
}

/** "+12.3%" with an explicit sign for moves. */
export function move(x: number, dp = 1): string {
  const s = pct(x, dp);
  return x > 0 ? `+${s}` : s;
}

function group(int: string): string {
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** An amount rounded to whole units with separators and its currency: "-12,345 USD". */
export function money(v: Decimal | number, currency?: string): string {
  const d = typeof v === 'number' ? new Decimal(Number.isFinite(v) ? v : 0) : v;
  const r = d.toDecimalPlaces(0);
  const s = `${r.isNegative() && !r.isZero() ? '-' : ''}${group(r.abs().toFixed(0))}`;
  return currency ? `${s} ${currency}` : s;
}

/** A quantity grouped as the tables show it, with a sign when asked: "+300", "-1", "0.5", "100,000". */
export function qty(v: Decimal, signed = false): string {
  const s = groupedQuantity(v);
  return signed && v.gt(0) ? `+${s}` : s;
}
