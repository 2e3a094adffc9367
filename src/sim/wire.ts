// TWS wire format (tws-protocol.md §3.1, §3.2): the "API\0" handshake, length-prefixed frames of
// NUL-terminated fields, and the field encodings the client's Decoder expects.
import { dec, type Decimal } from '../model/money.js';

/** Java's Double.MAX_VALUE as TWS writes it: the client decodes it as "unset" (undefined). */
export const UNSET_DOUBLE = '1.7976931348623157E308';
/** Integer.MAX_VALUE: "unset" for readIntOrUndefined fields. */
export const UNSET_INTEGER = '2147483647';
/** The client refuses frames above this size (socket.js MAX_V100_MESSAGE_LENGTH); so do we. */
export const MAX_FRAME = 0xffffff;

/** The highest server version the simulator speaks (what @stoqey/ib 1.6.10 offers as its maximum). */
export const SERVER_VERSION = 193;
/** The lowest it encodes for: ib_async and ib_insync offer v157..178. */
export const MIN_SERVER_VERSION = 157;
export const MIN_CLIENT_VERSION = 100;

/**
 * IB's MIN_SERVER_VER_* constants (ibapi/server_versions.py) for the fields that change between 157 and 193 in the
 * messages the simulator sends or reads. A field gated at N is on the wire when the negotiated version is ≥ N.
 */
export const SV = {
  DURATION: 158,
  POST_TO_ATS: 160,
  AUTO_CANCEL_PARENT: 162,
  FRACTIONAL_SIZE_SUPPORT: 163,
  SIZE_RULES: 164,
  ADVANCED_ORDER_REJECT: 166,
  MANUAL_ORDER_TIME: 169,
  PEGBEST_PEGMID_OFFSETS: 170,
  BOND_ISSUERID: 176,
  FA_PROFILE_DESUPPORT: 177,
  PENDING_PRICE_REVISION: 178,
  LAST_TRADE_DATE: 182,
  CUSTOMER_ACCOUNT: 183,
  PROFESSIONAL_CUSTOMER: 184,
  BOND_ACCRUED_INTEREST: 185,
  INELIGIBILITY_REASONS: 186,
  BOND_TRADING_HOURS: 188,
  INCLUDE_OVERNIGHT: 189,
  CME_TAGGING_FIELDS: 192,
  CME_TAGGING_FIELDS_IN_OPEN_ORDER: 193,
} as const;

/**
 * TWS's choice in the handshake: the highest version both sides support, or undefined when the ranges do not
 * overlap (the client then gets an error and the connection closes).
 */
export function negotiateVersion(clientMin: number, clientMax: number, serverMax: number = SERVER_VERSION): number | undefined {
  const v = Math.min(clientMax, serverMax);
  if (v < MIN_SERVER_VERSION || v < clientMin || clientMin < MIN_CLIENT_VERSION) return undefined;
  return v;
}

/** Integer field (truncates). */
export function fInt(n: number): string {
  return String(Math.trunc(n));
}

/** Double field; undefined/NaN/±Infinity become the unset sentinel. */
export function fDbl(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return UNSET_DOUBLE;
  return String(n === 0 ? 0 : n);
}

/** Decimal field (quantities): plain notation, never exponent; undefined becomes ''. */
export function fDec(d: Decimal | undefined): string {
  return d === undefined ? '' : d.toFixed();
}

/**
 * A size the simulator holds as a JS number (quote sizes, volume), written as fDec writes its Decimal: a whole number
 * below 2^53 is already plain digits in String(), so only other values go through a Decimal.
 */
export function fSize(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : fDec(dec(n));
}

export function fBool(b: boolean | undefined): string {
  return b ? '1' : '0';
}

/** A frame's payload as text: the fields each terminated by NUL. */
export function framePayload(fields: readonly string[]): string {
  let s = '';
  for (const f of fields) s += f + '\0';
  return s;
}

/** One frame: int32 BE payload length, then the fields each terminated by NUL. */
export function encodeFrame(fields: readonly string[]): Buffer {
  return encodeFrames([framePayload(fields)]);
}

/**
 * Frames from their payloads, in one buffer: a market step's dozens of ticks cost one allocation and one socket write
 * instead of one each (the write's stream bookkeeping, not the bytes, was most of a small frame's cost).
 */
export function encodeFrames(payloads: readonly string[], lengths?: readonly number[], total?: number): Buffer {
  const lens = lengths ?? payloads.map((p) => Buffer.byteLength(p, 'utf8'));
  const out = Buffer.allocUnsafe(total ?? lens.reduce((a, n) => a + 4 + n, 0));
  let off = 0;
  for (let i = 0; i < payloads.length; i++) {
    const n = lens[i]!;
    out.writeUInt32BE(n, off);
    out.write(payloads[i]!, off + 4, n, 'utf8');
    off += 4 + n;
  }
  return out;
}

/** Splits a frame payload into fields (the trailing NUL ends the last field; a missing one is tolerated). */
export function decodeFields(payload: Buffer): string[] {
  const fields = payload.toString('utf8').split('\0');
  if (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  return fields;
}

export class FrameError extends Error {}

/** What the first bytes of a connection say: the client's supported version range. */
export interface Handshake {
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly raw: string;
}

/**
 * Incremental reader: accepts TCP chunks split or coalesced anywhere and yields whole items.
 * The first item of a connection is the handshake ("API\0" + int32 length + "v100..193"), then frames.
 */
export type ReaderItem =
  | { kind: 'handshake'; handshake: Handshake }
  | { kind: 'frame'; fields: string[] }
  /** A pre-v100 client: it opens with its client version as a NUL-terminated decimal ("62\0"), no "API\0". */
  | { kind: 'legacy'; clientVersion: number };

export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private handshakeDone = false;

  /** Appends a chunk and returns every complete item; throws FrameError on garbage or oversize frames. */
  push(chunk: Buffer): ReaderItem[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: ReaderItem[] = [];
    let off = 0;
    if (!this.handshakeDone) {
      // IB's clients before v100 (EClientSocket's legacy connect, npm `ib` 0.2.x) send "<clientVersion>\0" first.
      const digits = /^\d{1,9}/.exec(this.buf.toString('latin1', 0, 10))?.[0];
      if (digits !== undefined) {
        if (this.buf.length <= digits.length) return out;
        if (this.buf[digits.length] !== 0) throw new FrameError('connection does not start with "API\\0"');
        this.handshakeDone = true;
        this.buf = Buffer.alloc(0); // nothing after it is read: the pre-v100 protocol is not served
        out.push({ kind: 'legacy', clientVersion: Number(digits) });
        return out;
      }
      if (this.buf.length < 4) return out;
      if (this.buf.toString('latin1', 0, 4) !== 'API\0') throw new FrameError('connection does not start with "API\\0"');
      if (this.buf.length < 8) return out;
      const len = this.buf.readUInt32BE(4);
      if (len > 1024) throw new FrameError(`handshake version string too long (${len} bytes)`);
      if (this.buf.length < 8 + len) return out;
      const raw = this.buf.toString('utf8', 8, 8 + len);
      out.push({ kind: 'handshake', handshake: parseVersionRange(raw) });
      this.handshakeDone = true;
      off = 8 + len;
    }
    while (this.buf.length - off >= 4) {
      const len = this.buf.readUInt32BE(off);
      if (len > MAX_FRAME) throw new FrameError(`frame of ${len} bytes exceeds the ${MAX_FRAME}-byte limit`);
      if (this.buf.length - off < 4 + len) break;
      out.push({ kind: 'frame', fields: decodeFields(this.buf.subarray(off + 4, off + 4 + len)) });
      off += 4 + len;
    }
    this.buf = off === 0 ? this.buf : Buffer.from(this.buf.subarray(off));
    return out;
  }

  /** Bytes waiting for the rest of their frame. */
  get buffered(): number {
    return this.buf.length;
  }
}

/** Parses "v100..193" (or "v176"); a malformed string yields an empty range the caller rejects. */
export function parseVersionRange(raw: string): Handshake {
  const m = /^v(\d+)(?:\.\.(\d+))?/.exec(raw.trim());
  if (!m) return { minVersion: 0, maxVersion: -1, raw };
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  return { minVersion: min, maxVersion: max, raw };
}

/** TWS connection-time / execution-time format: "yyyyMMdd HH:mm:ss UTC" (the simulator runs in UTC). */
export function twsTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
}

/** ACCT_UPDATE_TIME format: "HH:mm". */
export function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}
