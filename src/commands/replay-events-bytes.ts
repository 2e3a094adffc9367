// replay --events lines written straight from an event's JSON bytes, for the events whose line that gives exactly.
import { eventDecimalPaths } from '../model/codec.js';
import { contractLabel, type Contract } from '../model/contract.js';
import { STREAM_OF, type FeedEventType } from '../model/events.js';
import type { ScannedEnvelope } from '../streams/recording/event-scan.js';

/** The ISO text of the last whole second seen: events come many to a second, and a Date per event showed in profiles. */
let isoSecond = Number.NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, from the cached second when ms is a plain non-negative integer. */
export function isoOf(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return new Date(ms).toISOString();
  const sec = Math.floor(ms / 1000);
  if (sec !== isoSecond) {
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
    isoSecond = sec;
  }
  const frac = ms - sec * 1000;
  return `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

/** What the printer needs of an event type: its top-level decimal fields, and whether its `contract` is revived. */
interface TypeInfo {
  /** ` ` and the type's name, as the line writes it after the seq. */
  readonly name: Buffer;
  readonly decimals: readonly Buffer[];
  readonly contract: boolean;
}

/**
 * The types printed from bytes. The operator's and the guard's steps and the alert transitions are left to the
 * decoder: it checks and (schema 1) rewrites their details, and they are a few per session. So are the types with
 * decimals inside another object than a contract (an open order), which the codec checks.
 */
const TYPES = new Map<string, TypeInfo>();
for (const t of Object.keys(STREAM_OF) as FeedEventType[]) {
  if (t === 'operatorActed' || t === 'guardActed' || t === 'alertChanged') continue;
  const paths = eventDecimalPaths(t);
  if (paths.some((p) => p.includes('.'))) continue;
  TYPES.set(t, {
    name: Buffer.from(` ${t}`, 'latin1'),
    decimals: paths.filter((p) => p !== 'contract').map((p) => Buffer.from(p, 'latin1')),
    contract: paths.includes('contract'),
  });
}

const KEY_TYPE = Buffer.from('type', 'latin1');
const KEY_SEQ = Buffer.from('seq', 'latin1');
const KEY_AT = Buffer.from('receivedAt', 'latin1');
const KEY_CONTRACT = Buffer.from('contract', 'latin1');

/** The contract fields contractLabel reads, or the codec checks (multiplier), or value() tests (conId). */
const CONTRACT_NAMES = ['conId', 'secType', 'symbol', 'expiry', 'strike', 'right', 'localSymbol', 'currency', 'multiplier'];
const CONTRACT_KEYS = CONTRACT_NAMES.map((k) => Buffer.from(k, 'latin1'));
const C_CONID = 0;
const C_STRIKE = 4;
const C_MULTIPLIER = 8;

/** Most members a line may have for the printer (keys are checked against each other for repeats). */
const MAX_KEYS = 64;
const keyStarts = new Int32Array(MAX_KEYS);
const keyEnds = new Int32Array(MAX_KEYS);

function sameBytes(buf: Buffer, s: number, e: number, word: Buffer): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (buf[s + k] !== word[k]) return false;
  return true;
}

/** Contracts whose labels are kept; past it the cache starts over (a book has a few thousand). */
const MAX_LABELS = 16_384;

/** Whether buf[as, ae) and buf[bs, be) hold the same bytes. */
function sameRange(buf: Buffer, as: number, ae: number, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let k = 0; k < ae - as; k++) if (buf[as + k] !== buf[bs + k]) return false;
  return true;
}

function skipWs(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return i;
    i++;
  }
  return i;
}

/**
 * Index of the closing quote of a string whose content starts at `i`, or -1 unless the content is printable ASCII
 * without a backslash: then the bytes are the parsed string itself, and nothing in it can reach a terminal as a
 * control (no escape, no DEL, no C1 control or bidi mark, all of which need other bytes).
 */
function plainStringEnd(buf: Buffer, i: number, end: number): number {
  for (; i < end; i++) {
    const b = buf[i]!;
    if (b === 0x22) return i;
    if (b < 0x20 || b > 0x7e || b === 0x5c) return -1;
  }
  return -1;
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

/** `printsAsItself` (codec.ts) on bytes: the text is how Decimal prints its own value. */
export function bytesPrintAsDecimal(buf: Buffer, s: number, e: number): boolean {
  let i = buf[s] === 0x2d ? s + 1 : s;
  if (i >= e) return false;
  if (buf[i] === 0x30) {
    if (++i === e) return e - s === 1;
    if (buf[i] !== 0x2e) return false;
    const zerosFrom = ++i;
    while (i < e && buf[i] === 0x30) i++;
    if (i - zerosFrom > 5) return false;
  } else {
    const from = i;
    while (i < e && isDigit(buf[i])) i++;
    if (i === from || i - from > 21) return false;
    if (i === e) return true;
    if (buf[i++] !== 0x2e) return false;
  }
  const fraction = i;
  for (; i < e; i++) if (!isDigit(buf[i])) return false;
  return e > fraction && buf[e - 1] !== 0x30;
}

/**
 * True when a JSON number's text is what String() writes for its value: the same canonical shape as a decimal
 * that prints as itself, at most 15 digits (a 15-digit decimal is the only one of so few digits that reads back as
 * its double, so it is the shortest, which String writes) and not below 1e-6 (written with an exponent).
 */
function numberPrintsAsItself(buf: Buffer, s: number, e: number): boolean {
  if (!bytesPrintAsDecimal(buf, s, e)) return false;
  let digits = 0;
  for (let i = s; i < e; i++) if (isDigit(buf[i])) digits++;
  return digits <= 15;
}

/** End of the JSON number starting at `i` (scanEvent has checked its grammar). */
function numberEnd(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (isDigit(b) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45) i++;
    else return i;
  }
  return i;
}

/** Contract fields by CONTRACT_KEYS index, as the parsed values (string or null), for contractLabel. */
const contractValues: (string | null | undefined)[] = new Array<string | null | undefined>(CONTRACT_KEYS.length);

/**
 * Writes `replay --events` lines (eventLine's text, byte for byte) from events' JSON bytes into one buffer.
 * `print` declines (false, nothing written) any event whose line it cannot be sure of: a type or a value it does
 * not handle (arrays, objects other than a revived contract, numbers in decimal fields, decimals Decimal would print
 * differently, strings with escapes or non-ASCII, repeated keys, keys that could be array indices); the caller
 * then decodes it, which prints it or names its problem as before.
 */
export class EventBytesPrinter {
  private out: Buffer = Buffer.allocUnsafe(128 * 1024);
  private pos = 0;
  private second = Number.NaN;
  /** Contract labels by a hash of the contract's bytes (cachedContract). */
  private readonly labels = new Map<number, { readonly bytes: Buffer; readonly label: Buffer }>();
  private readonly secondText = Buffer.alloc(20);
  /** Lines written since the last `take`. */
  lines = 0;

  /** The lines written so far, joined by newlines, as bytes valid until the next print; the buffer starts over. */
  takeBytes(): Buffer {
    const bytes = this.out.subarray(0, this.pos);
    this.pos = 0;
    this.lines = 0;
    return bytes;
  }

  /** The lines written so far, joined by newlines, as text; the buffer starts over. */
  take(): string {
    const text = this.out.toString('latin1', 0, this.pos);
    this.pos = 0;
    this.lines = 0;
    return text;
  }

  print(buf: Buffer, start: number, end: number, env: ScannedEnvelope): boolean {
    const info = TYPES.get(env.type);
    if (info === undefined) return false;
    // Room for the line: its fields take no more bytes than they did in the event, and its time, seq and type fewer
    // than the envelope's members there, with room to spare; what can be longer (a number String() writes, a label)
    // reserves its own.
    this.reserve(end - start + 128);
    const lineStart = this.pos;
    if (this.lines > 0) this.out[this.pos++] = 0x0a;
    this.time(env.receivedAt);
    this.out[this.pos++] = 0x20;
    this.out[this.pos++] = 0x23;
    this.digits(env.seq);
    this.copy(info.name, 0, info.name.length);
    if (this.members(buf, start, end, info)) {
      this.lines++;
      return true;
    }
    this.pos = lineStart;
    return false;
  }

  private members(buf: Buffer, start: number, end: number, info: TypeInfo): boolean {
    let i = skipWs(buf, start, end) + 1; // scanEvent checked it is an object
    let keys = 0;
    for (;;) {
      i = skipWs(buf, i, end);
      if (buf[i] === 0x7d) return true;
      if (buf[i] === 0x2c) i = skipWs(buf, i + 1, end);
      const ks = i + 1;
      const ke = plainStringEnd(buf, ks, end);
      // A key of digits would be listed first by for...in (an array index); a repeated one keeps its first place
      // with its last value.
      if (ke < 0 || isDigit(buf[ks]) || keys === MAX_KEYS) return false;
      for (let k = 0; k < keys; k++) if (sameRange(buf, keyStarts[k]!, keyEnds[k]!, ks, ke)) return false;
      keyStarts[keys] = ks;
      keyEnds[keys++] = ke;
      i = skipWs(buf, skipWs(buf, ke + 1, end) + 1, end); // past the colon
      const b = buf[i];
      if (sameBytes(buf, ks, ke, KEY_TYPE) || sameBytes(buf, ks, ke, KEY_SEQ) || sameBytes(buf, ks, ke, KEY_AT)) {
        // The envelope, which scanEvent read (a plain string or integer): printed before the fields.
        i = b === 0x22 ? plainStringEnd(buf, i + 1, end) + 1 : numberEnd(buf, i, end);
        continue;
      }
      let decimal = false;
      for (const d of info.decimals) if (sameBytes(buf, ks, ke, d)) decimal = true;
      const contract = info.contract && sameBytes(buf, ks, ke, KEY_CONTRACT);
      // The codec refuses a contract that is not an object (or null); it names that error.
      if (contract && b !== 0x7b && b !== 0x6e) return false;
      this.reserve(ke - ks + 2);
      this.out[this.pos++] = 0x20;
      this.copy(buf, ks, ke);
      this.out[this.pos++] = 0x3d;
      if (b === 0x22) {
        const vs = i + 1;
        const ve = plainStringEnd(buf, vs, end);
        if (ve < 0) return false;
        if (decimal) {
          if (!bytesPrintAsDecimal(buf, vs, ve)) return false;
          this.copy(buf, vs, ve);
        } else {
          // value(): quoted (JSON.stringify, which adds nothing to such a string but the quotes) when empty or
          // holding a space or an `=`; a `"` needs an escape, so is not here.
          let quote = ve === vs;
          for (let k = vs; k < ve && !quote; k++) quote = buf[k] === 0x20 || buf[k] === 0x3d;
          if (quote) this.copy(buf, vs - 1, ve + 1);
          else this.copy(buf, vs, ve);
        }
        i = ve + 1;
      } else if (b === 0x6e) {
        this.out[this.pos++] = 0x2d; // null: '-'
        i += 4;
      } else if (b === 0x74 || b === 0x66) {
        if (decimal) return false;
        const n = b === 0x74 ? 4 : 5;
        this.copy(buf, i, i + n);
        i += n;
      } else if (b === 0x7b) {
        if (!contract) return false;
        i = this.cachedContract(buf, i, end);
        if (i < 0) return false;
      } else if (b === 0x5b) {
        return false;
      } else {
        if (decimal) return false;
        const ne = numberEnd(buf, i, end);
        if (numberPrintsAsItself(buf, i, ne)) {
          this.reserve(ne - i);
          this.copy(buf, i, ne);
        } else {
          this.ascii(String(Number(buf.toString('latin1', i, ne))));
        }
        i = ne;
      }
    }
  }

  /**
   * contract() for the object at `i`, from a cache of the labels of objects with the same bytes (the same bytes give
   * the same label: contract() reads nothing else), since a book's contracts repeat line after line. An object is
   * looked up when a first pass finds its end without meeting an escape or a nested value (a flat object of plain
   * strings, where the first `}` outside a string is its end); any other goes to contract() alone.
   */
  private cachedContract(buf: Buffer, at: number, end: number): number {
    let hash = 0x811c9dc5;
    let inString = false;
    let close = -1;
    for (let k = at + 1; k < end; k++) {
      const b = buf[k]!;
      hash = Math.imul(hash ^ b, 0x01000193);
      if (b === 0x22) inString = !inString;
      else if (b === 0x5c) break;
      else if (!inString && (b === 0x7b || b === 0x5b)) break;
      else if (!inString && b === 0x7d) {
        close = k;
        break;
      }
    }
    if (close < 0) return this.contract(buf, at + 1, end);
    const hit = this.labels.get(hash);
    if (hit !== undefined && sameBytes(buf, at, close + 1, hit.bytes)) {
      this.reserve(hit.label.length);
      this.copy(hit.label, 0, hit.label.length);
      return close + 1;
    }
    const from = this.pos;
    const next = this.contract(buf, at + 1, end);
    if (next !== close + 1) return next;
    if (this.labels.size >= MAX_LABELS) this.labels.clear();
    this.labels.set(hash, { bytes: Buffer.from(buf.subarray(at, next)), label: Buffer.from(this.out.subarray(from, this.pos)) });
    return next;
  }

  /**
   * Writes the label value() prints for a contract whose members start at `i` (JSON.stringify of contractLabel),
   * from its fields; the index after the object, or -1 when it is not one this can print exactly.
   */
  private contract(buf: Buffer, i: number, end: number): number {
    const values = contractValues;
    values.fill(undefined);
    for (;;) {
      i = skipWs(buf, i, end);
      if (buf[i] === 0x7d) break;
      if (buf[i] === 0x2c) i = skipWs(buf, i + 1, end);
      const ks = i + 1;
      const ke = plainStringEnd(buf, ks, end);
      if (ke < 0) return -1;
      let field = -1;
      for (let k = 0; k < CONTRACT_KEYS.length; k++) if (sameBytes(buf, ks, ke, CONTRACT_KEYS[k]!)) field = k;
      i = skipWs(buf, skipWs(buf, ke + 1, end) + 1, end);
      const b = buf[i];
      if (field >= 0 && values[field] !== undefined) return -1; // repeated
      if (b === 0x7b || b === 0x5b) return -1;
      if (b === 0x22) {
        const ve = plainStringEnd(buf, i + 1, end);
        if (ve < 0) return -1;
        if ((field === C_STRIKE || field === C_MULTIPLIER) && !bytesPrintAsDecimal(buf, i + 1, ve)) return -1;
        if (field >= 0) values[field] = buf.toString('latin1', i + 1, ve);
        i = ve + 1;
      } else if (b === 0x6e) {
        if (field >= 0) values[field] = null;
        i += 4;
      } else {
        // A number or a boolean: only the conId may be one (its presence is all value() asks of it).
        if (field > C_CONID) return -1;
        if (field === C_CONID) values[field] = '';
        i = b === 0x74 ? i + 4 : b === 0x66 ? i + 5 : numberEnd(buf, i, end);
      }
    }
    // value() labels an object with both a conId and a secType; any other it prints as JSON, which is left to it.
    if (values[C_CONID] === undefined || values[1] === undefined) return -1;
    const c: Record<string, string | null> = {};
    for (let k = 1; k < CONTRACT_KEYS.length; k++) if (values[k] !== undefined) c[CONTRACT_NAMES[k]!] = values[k]!;
    this.ascii(String(JSON.stringify(contractLabel(c as unknown as Contract))));
    return i + 1;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + n));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }

  /** isoOf(ms), the second's text from a cache of its bytes (as isoOf caches its string). */
  private time(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      this.ascii(isoOf(ms));
      return;
    }
    const sec = Math.floor(ms / 1000);
    if (sec !== this.second) {
      this.secondText.write(isoOf(sec * 1000).slice(0, 20), 0, 'latin1');
      this.second = sec;
    }
    this.copy(this.secondText, 0, 20);
    const frac = ms - sec * 1000;
    const out = this.out;
    out[this.pos++] = 0x30 + Math.floor(frac / 100);
    out[this.pos++] = 0x30 + (Math.floor(frac / 10) % 10);
    out[this.pos++] = 0x30 + (frac % 10);
    out[this.pos++] = 0x5a;
  }

  /** A non-negative safe integer's decimal digits (the seq, which scanEvent read as one). */
  private digits(n: number): void {
    const out = this.out;
    const from = this.pos;
    do {
      out[this.pos++] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    for (let a = from, b = this.pos - 1; a < b; a++, b--) {
      const t = out[a]!;
      out[a] = out[b]!;
      out[b] = t;
    }
  }

  /**
   * Copies a few bytes (room reserved by the caller). A loop: Buffer.copy and Buffer.write are native calls whose
   * checks cost more than the handful of bytes a key or a value is (a third of this printer's time in a profile).
   */
  private copy(buf: Buffer, s: number, e: number): void {
    const out = this.out;
    let p = this.pos;
    for (let k = s; k < e; k++) out[p++] = buf[k]!;
    this.pos = p;
  }

  /** Text known to be ASCII (times, numbers, labels of plain-ASCII fields). */
  private ascii(text: string): void {
    this.reserve(text.length);
    const out = this.out;
    let p = this.pos;
    for (let k = 0; k < text.length; k++) out[p++] = text.charCodeAt(k);
    this.pos = p;
  }
}
