// A quantity written for people (grouped thousands), without loading decimal.js: `--help` reaches the views' format module.
import type { Decimal } from './money.js';

/**
 * A quantity as given (fractional shares keep their places) with its thousands grouped, as every table shows it:
 * "-3", "100,000", "0.5". An order line read "SELL 100000" beside a Qty column reading 100,000.
 */
export function groupedQuantity(v: Decimal): string {
  const [int = '0', frac] = v.abs().toFixed().split('.');
  return `${v.isNegative() && !v.isZero() ? '-' : ''}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac ? `.${frac}` : ''}`;
}
