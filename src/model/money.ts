// Money and quantities: one Decimal configuration and the single edge where TWS numbers become Decimal.
import { Decimal as DecimalJs } from 'decimal.js';

/** Decimal with enough precision for sums of account values in any currency (34 digits, IEEE decimal128). */
export const Decimal = DecimalJs.clone({ precision: 34, rounding: DecimalJs.ROUND_HALF_EVEN });
export type Decimal = InstanceType<typeof Decimal>;

export const ZERO: Decimal = new Decimal(0);

const PLAIN_DECIMAL = /^-?\d+(?:\.\d+)?$/;
/** decimal.js keeps digits in base 1e7 words (its documented `d`, `e`, `s` instance properties). */
const LOG_BASE = 7;
/** Enough words for the longest text taken (64 characters). */
const WORDS: number[] = new Array<number>(16).fill(0);

function decimalOfParts(s: number, e: number, d: number[]): Decimal {
  const x = Object.create(Decimal.prototype) as { constructor: unknown; s: number; e: number; d: number[] };
  x.constructor = Decimal;
  x.s = s;
  x.e = e;
  x.d = d;
  return x as unknown as Decimal;
}

/**
 * `new Decimal(text)` for a plain decimal string (`-?digits[.digits]`), built directly: the same sign, exponent
 * and digit words, but the word array has exactly its length. decimal.js pushes words into an empty array, which
 * reserves 16 slots: a retained Decimal then weighs about 250 bytes instead of 130, and every row of the state
 * holds several (the replay benchmark's memory). It is also about four times faster. Any other text (exponents,
 * `+`, `.5`, junk) goes to decimal.js unchanged, errors included.
 */
export function decimalFromString(text: string): Decimal {
  const n = text.length;
  if (n > 64 || !PLAIN_DECIMAL.test(text)) return new Decimal(text);
  const sign = text.charCodeAt(0) === 45 ? -1 : 1;
  const from = sign < 0 ? 1 : 0;
  let point = text.indexOf('.', from);
  if (point < 0) point = n;
  let first = from;
  while (first < n && (first === point || text.charCodeAt(first) === 48)) first++;
  if (first === n) return decimalOfParts(sign, 0, [0]);
  let last = n - 1;
  while (last === point || text.charCodeAt(last) === 48) last--;
  const e = first < point ? point - first - 1 : point - first;
  // The first word holds the digits down to the next multiple of LOG_BASE below the point, as decimal.js aligns them.
  let size = (e + 1) % LOG_BASE;
  if (e < 0) size += LOG_BASE;
  if (size === 0) size = LOG_BASE;
  // Words go to a shared scratch array first (no call can interleave), then into one array of the right length.
  let count = 0;
  let w = 0;
  let k = 0;
  for (let p = first; p <= last; p++) {
    if (p === point) continue;
    w = w * 10 + (text.charCodeAt(p) - 48);
    if (++k === size) {
      WORDS[count++] = w;
      w = 0;
      k = 0;
      size = LOG_BASE;
    }
  }
  if (k > 0) {
    for (; k < size; k++) w *= 10;
    WORDS[count++] = w;
  }
  const d = count === 1 ? [WORDS[0]!] : count === 2 ? [WORDS[0]!, WORDS[1]!] : WORDS.slice(0, count);
  return decimalOfParts(sign, e, d);
}

/**
 * Same value with the same representation (so the same text too): decimal.js keeps a finite value's digits
 * normalised, so equal sign, exponent and digit words mean equal Decimals. Unlike `a.equals(b)`, which copies `b`
 * first, this allocates nothing; it is false for 0 against -0 (equal, but written differently) and for NaN.
 */
export function sameDecimal(a: Decimal, b: Decimal): boolean {
  if (a === b) return true;
  if (a.s !== b.s || a.e !== b.e) return false;
  const ad = a.d;
  const bd = b.d;
  if (!ad || !bd || ad.length !== bd.length) return false;
  for (let i = 0; i < ad.length; i++) if (ad[i] !== bd[i]) return false;
  return true;
}

/**
 * `a.equals(b)` without its allocation (decimal.js copies `b` before comparing): the same tests its comparison
 * makes on finite values, whose digits it keeps normalised. NaN and infinities are left to decimal.js.
 */
export function decimalEquals(a: Decimal, b: Decimal): boolean {
  const ad = a.d;
  const bd = b.d;
  if (!ad || !bd) return a.equals(b);
  if (!ad[0] || !bd[0]) return !ad[0] && !bd[0];
  return sameDecimal(a, b);
}

/**
 * IB's "unset" sentinels: UNSET_DOUBLE is Number.MAX_VALUE and UNSET_DECIMAL parses to about 1.7e38
 * (reference/tws-protocol.md §2.4). Anything this large is never a real price or quantity.
 */
const UNSET_THRESHOLD = 1e30;
const UNSET_EXPONENT = 30;

/** True when a number from @stoqey/ib means "no value" (undefined, NaN, infinite or an IB sentinel). */
export function isUnset(n: number | undefined | null): n is undefined | null {
  return n === undefined || n === null || !Number.isFinite(n) || Math.abs(n) >= UNSET_THRESHOLD;
}

/** Converts a number parsed by @stoqey/ib into a Decimal once, at the edge; sentinels become undefined. */
export function fromIbNumber(n: number | undefined | null): Decimal | undefined {
  if (isUnset(n)) return undefined;
  return decimalFromString(String(n));
}

/** Parses a TWS string value (account values arrive as strings) into a Decimal, or undefined if not numeric. */
export function parseDecimal(s: string | undefined | null): Decimal | undefined {
  if (s === undefined || s === null) return undefined;
  const t = s.trim().replaceAll(',', '');
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const d = decimalFromString(t);
  // |d| >= 1e30 read off the exponent (the power of ten of its first digit): abs() and the comparison each built a
  // Decimal, for every account value folded.
  return d.e >= UNSET_EXPONENT ? undefined : d;
}

/** Exact Decimal from a string or number written by our own code (never from the wire). */
export function dec(v: string | number | Decimal): Decimal {
  return v instanceof Decimal ? v : decimalFromString(typeof v === 'number' ? String(v) : v);
}
