// An event line's envelope (type, seq, receivedAt) read from its bytes while checking they are JSON, without parsing.
import { STREAM_OF } from '../../model/events.js';

/**
 * What `scanEvent` found. It is reused from line to line (no object per event); `type` is one of the event types'
 * own strings, never a new one.
 */
export interface ScannedEnvelope {
  type: string;
  seq: number;
  receivedAt: number;
}

/** The event types by their UTF-8 bytes, bucketed by length, so that naming a line's type allocates nothing. */
const TYPES_BY_LENGTH: [Buffer, string][][] = [];
for (const t of Object.keys(STREAM_OF)) {
  const b = Buffer.from(t, 'latin1');
  (TYPES_BY_LENGTH[b.length] ??= []).push([b, t]);
}

/** The envelope fields, as bits of what a scan has seen. */
const FIELD_OTHER = 0;
const FIELD_TYPE = 1;
const FIELD_SEQ = 2;
const FIELD_AT = 4;

/** Deepest nesting the scanner follows; deeper lines are left to JSON.parse (no event comes near it). */
const MAX_DEPTH = 64;
const OBJECT = 1;
const ARRAY = 2;
/** Containers open at each depth. */
const SCAN_STACK = new Uint8Array(MAX_DEPTH);

/**
 * A sound shortcut for `JSON.parse` of an event whose only use is its envelope: true when `buf[start, end)` is one
 * JSON object that JSON.parse would accept, whose top level has exactly one `type` (a known event type written
 * without escapes), one `seq` and one `receivedAt` (both plain non-negative integers), which are then in `out`.
 * False means only "not sure": the caller parses the line as before, which decides and names any problem exactly
 * as it always did. Invalid UTF-8 needs no check: JSON.parse sees it replaced in the text, it never rejects it.
 */
export function scanEvent(buf: Buffer, start: number, end: number, out: ScannedEnvelope): boolean {
  const stack = SCAN_STACK;
  let i = skipWs(buf, start, end);
  if (buf[i] !== 0x7b) return false;
  stack[0] = OBJECT;
  let depth = 1;
  i++;
  let seen = 0; // bits: 1 type, 2 seq, 4 receivedAt
  // Just after `{` or `[` (a close may follow), or after a value (a comma or a close must follow); else after a comma.
  let opened = true;
  let afterValue = false;
  for (;;) {
    i = skipWs(buf, i, end);
    if (i >= end) return false;
    let b = buf[i]!;
    const container = stack[depth - 1]!;
    const close = container === OBJECT ? 0x7d : 0x5d;
    if ((opened || afterValue) && b === close) {
      depth--;
      i++;
      if (depth === 0) return skipWs(buf, i, end) === end && seen === 7;
      opened = false;
      afterValue = true;
      continue;
    }
    if (afterValue) {
      if (b !== 0x2c) return false;
      i++;
      afterValue = false;
      continue;
    }
    opened = false;
    let field = FIELD_OTHER;
    if (container === OBJECT) {
      if (b !== 0x22) return false;
      const keyEnd = stringEnd(buf, i + 1, end);
      if (keyEnd < 0) return false;
      if (depth === 1) {
        field = fieldOf(buf, i + 1, keyEnd);
        if (field < 0) return false; // a top-level key with an escape could spell an envelope field
      }
      i = skipWs(buf, keyEnd + 1, end);
      if (buf[i] !== 0x3a) return false;
      i = skipWs(buf, i + 1, end);
      if (i >= end) return false;
      b = buf[i]!;
    }
    afterValue = true;
    if (field !== FIELD_OTHER) {
      if ((seen & field) !== 0) return false; // repeated: JSON.parse keeps the last one; leave it to it
      seen |= field;
      if (field === FIELD_TYPE) {
        if (b !== 0x22) return false;
        const e = stringEnd(buf, i + 1, end);
        if (e < 0) return false;
        const t = typeOf(buf, i + 1, e);
        if (t === undefined) return false;
        out.type = t;
        i = e + 1;
      } else {
        let n = 0;
        let j = i;
        while (j < end && buf[j]! >= 0x30 && buf[j]! <= 0x39) n = n * 10 + (buf[j++]! - 0x30);
        // A plain integer only (no sign, fraction, exponent or leading zero), exact as a double. What follows the
        // digits must be a comma or a close, which the next turn checks: `12.5` or `1e3` is refused there.
        if (j === i || j - i > 15 || (b === 0x30 && j - i > 1)) return false;
        if (field === FIELD_SEQ) out.seq = n;
        else out.receivedAt = n;
        i = j;
      }
      continue;
    }
    if (b === 0x7b || b === 0x5b) {
      if (depth >= MAX_DEPTH) return false;
      stack[depth++] = b === 0x7b ? OBJECT : ARRAY;
      i++;
      opened = true;
      afterValue = false;
      continue;
    }
    i = scalarEnd(buf, i, end);
    if (i < 0) return false;
  }
}

function skipWs(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return i;
    i++;
  }
  return i;
}

function isHex(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);
}

/** Index of the closing quote of a string whose content starts at `i`, or -1 when it is not a valid JSON string. */
function stringEnd(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (b === 0x22) return i;
    if (b < 0x20) return -1;
    if (b === 0x5c) {
      const n = buf[i + 1];
      if (n === 0x75) {
        if (i + 5 >= end || !isHex(buf[i + 2]!) || !isHex(buf[i + 3]!) || !isHex(buf[i + 4]!) || !isHex(buf[i + 5]!)) return -1;
        i += 6;
        continue;
      }
      if (n !== 0x22 && n !== 0x5c && n !== 0x2f && n !== 0x62 && n !== 0x66 && n !== 0x6e && n !== 0x72 && n !== 0x74) return -1;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

/** End of a string, number or literal starting at `i`, or -1 when it is none. */
function scalarEnd(buf: Buffer, i: number, end: number): number {
  const b = buf[i]!;
  if (b === 0x22) {
    const e = stringEnd(buf, i + 1, end);
    return e < 0 ? -1 : e + 1;
  }
  if (b === 0x74) return literal(buf, i, end, TRUE);
  if (b === 0x66) return literal(buf, i, end, FALSE);
  if (b === 0x6e) return literal(buf, i, end, NULL);
  // -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
  let j = i;
  if (buf[j] === 0x2d) j++;
  if (j >= end) return -1;
  if (buf[j] === 0x30) j++;
  else if (buf[j]! >= 0x31 && buf[j]! <= 0x39) while (j < end && buf[j]! >= 0x30 && buf[j]! <= 0x39) j++;
  else return -1;
  if (buf[j] === 0x2e) {
    j++;
    const d = j;
    while (j < end && buf[j]! >= 0x30 && buf[j]! <= 0x39) j++;
    if (j === d) return -1;
  }
  if (buf[j] === 0x65 || buf[j] === 0x45) {
    j++;
    if (buf[j] === 0x2b || buf[j] === 0x2d) j++;
    const d = j;
    while (j < end && buf[j]! >= 0x30 && buf[j]! <= 0x39) j++;
    if (j === d) return -1;
  }
  return j;
}

const TRUE = Buffer.from('true', 'latin1');
const FALSE = Buffer.from('false', 'latin1');
const NULL = Buffer.from('null', 'latin1');

function literal(buf: Buffer, i: number, end: number, word: Buffer): number {
  if (end - i < word.length) return -1;
  for (let k = 0; k < word.length; k++) if (buf[i + k] !== word[k]) return -1;
  return i + word.length;
}

/** Which envelope field a top-level key names; -1 when the key holds an escape (it could spell one). */
function fieldOf(buf: Buffer, s: number, e: number): number {
  for (let k = s; k < e; k++) if (buf[k] === 0x5c) return -1;
  const n = e - s;
  if (n === 4 && buf[s] === 0x74 && buf[s + 1] === 0x79 && buf[s + 2] === 0x70 && buf[s + 3] === 0x65) return FIELD_TYPE;
  if (n === 3 && buf[s] === 0x73 && buf[s + 1] === 0x65 && buf[s + 2] === 0x71) return FIELD_SEQ;
  if (n !== 10) return FIELD_OTHER;
  // A loop, not Buffer.compare, whose native call costs more than the ten bytes.
  for (let k = 0; k < 10; k++) if (buf[s + k] !== RECEIVED_AT[k]) return FIELD_OTHER;
  return FIELD_AT;
}

const RECEIVED_AT = Buffer.from('receivedAt', 'latin1');

/** The event type these bytes spell, as the one shared string; undefined for an unknown type or one with escapes. */
function typeOf(buf: Buffer, s: number, e: number): string | undefined {
  const bucket = TYPES_BY_LENGTH[e - s];
  if (bucket === undefined) return undefined;
  next: for (const [bytes, name] of bucket) {
    for (let k = 0; k < bytes.length; k++) if (buf[s + k] !== bytes[k]) continue next;
    return name;
  }
  return undefined;
}
