// Money and quantities: one Decimal configuration and the single edge where TWS numbers become Decimal.
import { Decimal as DecimalJs } from 'decimal.js';

/** Decimal with enough precision for sums of account values in any currency (34 digits, IEEE decimal128). */
export const Decimal = DecimalJs.clone({ precision: 34, rounding: DecimalJs.ROUND_HALF_EVEN });
export type Decimal = InstanceType<typeof Decimal>;

export const ZERO: Decimal = new Decimal(0);

/**
 * IB's "unset" sentinels: UNSET_DOUBLE is Number.MAX_VALUE and UNSET_DECIMAL parses to about 1.7e38
 * (reference/tws-protocol.md §2.4). Anything this large is never a real price or quantity.
 */
const UNSET_THRESHOLD = 1e30;

/** True when a number from @stoqey/ib means "no value" (undefined, NaN, infinite or an IB sentinel). */
export function isUnset(n: number | undefined | null): n is undefined | null {
  return n === undefined || n === null || !Number.isFinite(n) || Math.abs(n) >= UNSET_THRESHOLD;
}

/** Converts a number parsed by @stoqey/ib into a Decimal once, at the edge; sentinels become undefined. */
export function fromIbNumber(n: number | undefined | null): Decimal | undefined {
  if (isUnset(n)) return undefined;
  return new Decimal(String(n));
}

/** Parses a TWS string value (account values arrive as strings) into a Decimal, or undefined if not numeric. */
export function parseDecimal(s: string | undefined | null): Decimal | undefined {
  if (s === undefined || s === null) return undefined;
  const t = s.trim().replaceAll(',', '');
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const d = new Decimal(t);
  return d.abs().greaterThanOrEqualTo(UNSET_THRESHOLD) ? undefined : d;
}

/** Exact Decimal from a string or number written by our own code (never from the wire). */
export function dec(v: string | number | Decimal): Decimal {
  return v instanceof Decimal ? v : new Decimal(typeof v === 'number' ? String(v) : v);
}
