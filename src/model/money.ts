// Money and quantities: one Decimal configuration and the single edge where TWS numbers become Decimal.
import { Decimal as DecimalJs } from 'decimal.js';
import { groupedQuantity } from './quantity-text.js';

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
  return decimalOfShortNumber(n) ?? decimalFromString(String(n));
}

/** Exact powers of ten (every one up to 1e22 is a double). */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
/** Fraction digits tried before giving the number to String(): wire prices and amounts have a few. */
const MAX_FRACTION_DIGITS = 10;

/**
 * `decimalFromString(String(n))` without String(n), whose shortest round-trip formatting was the costliest step of
 * live ingest (TWS sends text, @stoqey/ib parses it into a double, and we want the text's value back). For the
 * fewest fraction digits k such that m = n * 10^k is an integer of at most 15 digits and m / 10^k gives n back
 * (a correctly rounded division of two exact doubles, i.e. what parsing the text "m e-k" gives), m * 10^-k is the
 * value String(n) writes: two different decimals of at most 15 significant digits are further apart than the
 * doubles that read back as one number, so at most one of them reads back as n, and String(n) writes the one
 * with the fewest digits. Words are laid out as decimal.js does (base 1e7, aligned on exponents that are multiples
 * of 7, no zero word at the end). Anything else (0, more digits, more fraction digits) is undefined: the caller
 * formats it.
 */
function decimalOfShortNumber(n: number): Decimal | undefined {
  if (n === 0) return undefined;
  let k = 0;
  let m = n;
  while (!Number.isInteger(m) || m / POW10[k]! !== n) {
    if (++k > MAX_FRACTION_DIGITS) return undefined;
    m = n * POW10[k]!;
  }
  const sign = m < 0 ? -1 : 1;
  let rest = sign < 0 ? -m : m;
  if (rest >= 1e15) return undefined;
  // The lowest word holds the digits from 10^(-k) up to the next multiple of 7, shifted left to fill the word.
  let width = k % LOG_BASE || LOG_BASE;
  let exponentOfLowWord = -k - (LOG_BASE - width);
  let count = 0;
  let top = 0;
  while (rest > 0) {
    const r = rest % POW10[width]!;
    // (rest - r) is a multiple of 10^width, so the quotient is exact.
    rest = (rest - r) / POW10[width]!;
    const w = r * POW10[LOG_BASE - width]!;
    if (count === 0 && w === 0) {
      // A zero word at the low end is not kept: decimal.js drops trailing zero words.
      exponentOfLowWord += LOG_BASE;
    } else {
      WORDS[count++] = w;
      top = w;
    }
    width = LOG_BASE;
  }
  const d = new Array<number>(count);
  for (let i = 0; i < count; i++) d[i] = WORDS[count - 1 - i]!;
  const topDigits = top < 10 ? 1 : top < 100 ? 2 : top < 1e3 ? 3 : top < 1e4 ? 4 : top < 1e5 ? 5 : top < 1e6 ? 6 : 7;
  // The top word's exponent of its lowest digit, plus its digits: the exponent of the first digit.
  const e = exponentOfLowWord + (count - 1) * LOG_BASE + topDigits - 1;
  return decimalOfParts(sign, e, d);
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

// In its own module so that the views' format module (which `--help` loads) does not load decimal.js for it.
export { groupedQuantity } from './quantity-text.js';

/** A quantity that arrived as text (an audit entry, a recording): grouped when it is a plain number, else as it is. */
export function groupedQuantityText(s: string): string {
  const d = /^-?\d+(\.\d+)?$/.test(s) ? parseDecimal(s) : undefined;
  return d ? groupedQuantity(d) : s;
}
