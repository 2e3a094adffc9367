// RecordingReader: streams a recording line by line, verifying JSON, hash chain, sequence and seal as it goes.
import { isAscii } from 'node:buffer';
import { createHash, hash } from 'node:crypto';
import { constants as fsc, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { constants as zc, createGunzip } from 'node:zlib';
import { CodecError, decodeEvent, decodeEventText, decodeState, envelopeProblem, type TextEvent } from '../../model/codec.js';
import { neutraliseRecorded } from '../../model/text.js';
import { scanEvent, type ScannedEnvelope } from './event-scan.js';
import type { FeedEvent } from '../../model/events.js';
import type { PortfolioState } from '../../model/state.js';
import {
  FORMAT_NAME,
  GENESIS_HASH,
  LEGACY_SCHEMA_VERSION,
  READABLE_SCHEMA_VERSIONS,
  chainHash,
  hashFormOf,
  hashTail,
  statedChars,
  statedHash,
  unsealLine,
  type HashForm,
  type IndexEntry,
  type RecordingFooter,
  type RecordingHeader,
} from './format.js';

/** What went wrong with a recording. `tampered` means the hash chain broke: the file was edited after writing. */
/** `cut`: the file is valid as far as it goes, but its seek index proves it was longer (`verify`, seek.ts indexPastEnd). */
export type RecordingProblem = 'malformed' | 'tampered' | 'sequence' | 'structure' | 'unsupported' | 'io' | 'cut';

/**
 * Whether a line's bytes could hold text a terminal would act on: a JSON escape of a control character (`\u00..`,
 * `\b`, `\f`, `\n`, `\r`, `\t`), a raw DEL, or the UTF-8 of a C1 control (C2 80-9F) or a bidi mark (D8 9C, E2 80
 * 8E-8F and AA-AE, E2 81 A6-A9). Almost no line does (a minus sign or a middle dot is E2/C2 too, but not these), so
 * the deep neutralising below runs only for the few that might.
 */
function mayHoldControls(buf: Buffer, start: number, end: number): boolean {
  // A keyframe is megabytes: three native scans of the line alone (no byte above 0x7e, no backslash, no DEL) clear
  // almost every one at a fraction of the loop's cost; the subarray bounds them to the line. An event line is too
  // short for the subarray to pay for itself.
  if (end - start > LONG_LINE) {
    const line = buf.subarray(start, end);
    if (isAscii(line) && line.indexOf(0x5c) < 0 && line.indexOf(0x7f) < 0) return false;
  }
  // One pass over the line's bytes. Buffer.indexOf per byte of interest looked past the line's end to the next
  // occurrence anywhere in the chunk (256 KiB for a byte no line holds): a third of a replay's time went there.
  const interesting = INTERESTING;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    // One table load per byte: letters (above the backslash) cost two comparisons each before.
    if (interesting[b] === 0) continue;
    if (b === 0x5c) {
      if (i + 1 >= end) return false;
      const n = buf[i + 1]!;
      if (n === 0x75 || n === 0x62 || n === 0x66 || n === 0x6e || n === 0x72 || n === 0x74) return true; // u b f n r t
      i++; // the escaped character, so that an escaped backslash before a `u` is not read as an escape
      continue;
    }
    if (b === 0x7f) return true;
    if (b === 0xc2) {
      if (i + 1 < end && buf[i + 1]! >= 0x80 && buf[i + 1]! <= 0x9f) return true;
    } else if (b === 0xd8) {
      if (i + 1 < end && buf[i + 1] === 0x9c) return true;
    } else if (b === 0xe2 && i + 2 < end) {
      const b1 = buf[i + 1]!;
      const b2 = buf[i + 2]!;
      if (b1 === 0x80 && (b2 === 0x8e || b2 === 0x8f || (b2 >= 0xaa && b2 <= 0xae))) return true;
      if (b1 === 0x81 && b2 >= 0xa6 && b2 <= 0xa9) return true;
    }
  }
  return false;
}

/** The bytes mayHoldControls looks closer at: a backslash, DEL and the lead bytes of C1 controls and bidi marks. */
const INTERESTING = new Uint8Array(256);
for (const b of [0x5c, 0x7f, 0xc2, 0xd8, 0xe2]) INTERESTING[b] = 1;

/** Lines longer than this are scanned natively first (mayHoldControls). */
const LONG_LINE = 4096;

/** A recording that cannot be read past `line`; everything before it was yielded and is trustworthy. */
export class RecordingError extends Error {
  constructor(
    readonly file: string,
    /** 1-based line number of the bad line (0 when the file could not be opened). */
    readonly line: number,
    readonly problem: RecordingProblem,
    readonly detail: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = 'RecordingError';
  }
}

/** `E`: the decoded events' type, FeedEvent, or TextEvent for a reader with `decimalsAsText`. */
export type RecordingItem<E = FeedEvent> =
  | { readonly kind: 'header'; readonly line: 1; readonly header: RecordingHeader }
  | { readonly kind: 'event'; readonly line: number; readonly event: E }
  | { readonly kind: 'keyframe'; readonly line: number; readonly seq: number; readonly at: number; readonly state: PortfolioState }
  /** An event of a type the caller did not ask to decode (`decodeTypes`): hash- and sequence-checked, not decoded. */
  | { readonly kind: 'seen'; readonly line: number; readonly type: string; readonly seq: number; readonly at: number };

/** What the reader knows once it reached the end without an error. */
export interface ReadSummary {
  readonly header: RecordingHeader;
  /** A footer closed the file. False after a crash, or while the file is still being written. */
  readonly sealed: boolean;
  readonly footer?: RecordingFooter;
  /** The last line was cut short (no newline and not a whole line): the writer stopped mid-line. */
  readonly truncatedTail: boolean;
  /** Whole lines read, header and footer included. */
  readonly lines: number;
  readonly events: number;
  readonly keyframes: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly finalHash: string;
}

export interface ReadOptions {
  /** Skip decoding keyframe states (faster when only events are needed); they are still hash-checked. */
  readonly skipKeyframeStates?: boolean;
  /** Decode only the first keyframe's state (where a seek starts) and skip the others' like skipKeyframeStates. */
  readonly firstKeyframeStateOnly?: boolean;
  /**
   * Decode only events of these types; the others are yielded as `seen` items (type, seq and time). A scan that
   * looks for a few kinds of event (replay markers) then skips the decoding of every price tick. Looked up line by
   * line, so a caller may narrow it as it goes (`untilAccountFound`).
   */
  readonly decodeTypes?: ReadonlySet<string>;
  /**
   * The line of a keyframe (from the seek index) the caller folds on from: before it, events are decoded only if
   * `decodeTypes` lists them (none without it) and no keyframe state is decoded; that keyframe's state is; after it,
   * every event is. Everything is still checked line by line from the top.
   */
  readonly decodeFromLine?: number;
  /**
   * Start at a keyframe from the seek index instead of the top: the header (read separately), the keyframe's
   * byte offset, line number and the hash of the line before it. Everything from there on is still verified.
   */
  readonly from?: { readonly header: RecordingHeader; readonly entry: IndexEntry };
  /**
   * Decode events for printing only (`decodeEventText`): decimals that print as their recorded text stay text. The
   * events are then TextEvents, checked as strictly as FeedEvents.
   */
  readonly decimalsAsText?: boolean;
  /**
   * Offered each event line the reader can take on its bytes (scanEvent: JSON, a known type, a plain seq and time),
   * once its hash and sequence are checked and before anything is yielded for it, with the event's JSON bytes
   * `buf[start, end)` (valid during the call only) and its envelope. True: the callback took the event (printed or
   * skipped it), and it is yielded as `seen`; false: it is decoded and yielded as usual, errors included. Events
   * `decodeTypes` leaves out are never offered. A printer of events then needs no object per event.
   */
  readonly takeEvent?: (buf: Buffer, start: number, end: number, envelope: ScannedEnvelope) => boolean;
}

/** What a path that is not a regular file is, in words. */
function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a plain file';
}

/** A path that exists but is no regular file (a FIFO would block a reader forever, a device never ends). */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(readonly kind: string) {
    super(`not a regular file (${kind})`);
  }
}

/**
 * Opens a file for reading only if it is a regular file. O_NONBLOCK makes opening a FIFO return at once (instead
 * of waiting for a writer), so fstat can refuse it; it changes nothing for a regular file.
 */
export async function openRegularFile(file: string): Promise<FileHandle> {
  const fh = await open(file, fsc.O_RDONLY | fsc.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotRegularFileError(fileKind(st));
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function startsWithGzipMagic(fh: FileHandle): Promise<boolean> {
  const buf = Buffer.alloc(2);
  const { bytesRead } = await fh.read(buf, 0, 2, 0);
  return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** True when the file starts with the gzip magic bytes (detected by content, never by name). */
export async function isGzipFile(file: string): Promise<boolean> {
  const fh = await openRegularFile(file);
  try {
    return await startsWithGzipMagic(fh);
  } finally {
    await fh.close();
  }
}

/**
 * Why `file` cannot be read as a recording or audit log before a byte of it is read (missing, unreadable, a
 * symlink loop, a FIFO, a directory...), as a RecordingError at line 0; undefined when it is a readable file.
 */
export async function unreadableFile(file: string): Promise<RecordingError | undefined> {
  try {
    await (await openRegularFile(file)).close();
    return undefined;
  } catch (e) {
    return openError(file, e as NodeJS.ErrnoException);
  }
}

function openError(file: string, err: NodeJS.ErrnoException): RecordingError {
  return new RecordingError(file, 0, 'io', err instanceof NotRegularFileError ? err.message : `cannot read: ${err.message}`);
}

const KEYFRAME_PREFIX = /^\{"kind":"keyframe","seq":(\d+),"at":(\d+),/;

/** The kind, seq and time of a keyframe line without parsing its state; undefined for any other line. */
function skimKeyframe(text: string): Record<string, unknown> | undefined {
  const m = KEYFRAME_PREFIX.exec(text);
  return m ? { kind: 'keyframe', seq: Number(m[1]), at: Number(m[2]) } : undefined;
}

/**
 * Whole lines as byte ranges, read one chunk at a time (one await per chunk, not per line). Lines are never
 * turned into strings here: a replay only needs text for what it parses, and a keyframe it skips (megabytes for
 * big books) is hashed straight from the bytes. A line split across chunks is joined in a reused buffer, so
 * memory stays bounded by the chunk size and the longest line. The current line is `buf[start, end)` until the
 * next call to `next`.
 */
class LineReader {
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** False only for a last line that had no newline (the writer stopped mid-line). */
  terminated = true;
  private chunk: Buffer | undefined = EMPTY;
  private pos = 0;
  private carry: Buffer = EMPTY;
  private carried = 0;

  /** The next chunk, or undefined at the end of the input. */
  feed(chunk: Buffer | undefined): void {
    this.chunk = chunk;
    this.pos = 0;
  }

  /** Moves to the next whole line; false when the chunk is used up (its unfinished tail is kept for the next). */
  next(): boolean {
    const chunk = this.chunk;
    if (chunk === undefined) {
      if (this.carried === 0) return false;
      this.take(this.carry, 0, this.carried, false);
      this.carried = 0;
      return true;
    }
    const nl = chunk.indexOf(0x0a, this.pos);
    if (nl < 0) {
      this.keep(chunk, this.pos, chunk.length);
      this.pos = chunk.length;
      return false;
    }
    if (this.carried > 0) {
      this.keep(chunk, this.pos, nl);
      this.take(this.carry, 0, this.carried, true);
      this.carried = 0;
    } else {
      this.take(chunk, this.pos, nl, true);
    }
    this.pos = nl + 1;
    return true;
  }

  private take(buf: Buffer, start: number, end: number, terminated: boolean): void {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.terminated = terminated;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    const need = this.carried + (to - from);
    if (need > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.carry.length * 2, 64 * 1024));
      this.carry.copy(bigger, 0, 0, this.carried);
      this.carry = bigger;
    }
    chunk.copy(this.carry, this.carried, from, to);
    this.carried = need;
  }
}

const EMPTY = Buffer.alloc(0);

/** The file's (decompressed) bytes in chunks, then one `undefined` for the end. */
async function* chunks(file: string, start = 0): AsyncGenerator<Buffer | undefined> {
  let fh: FileHandle;
  let gz: boolean;
  try {
    fh = await openRegularFile(file);
  } catch (e) {
    throw openError(file, e as NodeJS.ErrnoException);
  }
  try {
    gz = await startsWithGzipMagic(fh);
  } catch (e) {
    await fh.close();
    throw e;
  }
  // Compressed reads of 64 KiB: each read's buffer lives until zlib has inflated all of it (several of the reader's
  // turns), so it outlives a young collection and waits for a full one. At 256 KiB, once the reader stopped making a
  // string and an object per skipped event (fewer collections), 40-60 MB of them waited: verify's peak RSS went from
  // 106 to 139 MiB on the bench's 1,000,000-event file, report --replay's to 154 (88-90 and 120-127 with 64 KiB).
  const raw = fh.createReadStream({ highWaterMark: gz ? 64 * 1024 : 256 * 1024, start, autoClose: true });
  // A crash can cut a gzip stream anywhere; SYNC_FLUSH finishing yields everything decodable instead of an error.
  const stream = gz ? raw.pipe(createGunzip({ finishFlush: zc.Z_SYNC_FLUSH, chunkSize: 256 * 1024 })) : raw;
  if (gz) raw.on('error', (e) => stream.destroy(e));
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
    yield undefined;
  } finally {
    // A reader that stops early (a seek, a scan up to --at) ends only the gunzip stream; the file stream under it
    // would keep its FileHandle until garbage collection, and Node then warns on stderr, over the console.
    raw.destroy();
  }
}

/** `,"hash":"` + 64 hex digits + `"}`: the tail every sealed line ends with (format.ts). */
const HASH_FIELD = Buffer.from(',"hash":"', 'latin1');
const EVENT_PREFIX = Buffer.from('{"kind":"event","event":', 'latin1');
const KEYFRAME_SEQ = Buffer.from('{"kind":"keyframe","seq":', 'latin1');
const KEYFRAME_AT = Buffer.from(',"at":', 'latin1');
const KEYFRAME_STATE = Buffer.from(',"state":', 'latin1');
/** Lines longer than this are hashed in parts instead of being copied next to the previous hash. */
const COPY_HASH_MAX = 64 * 1024;

function startsWithAt(buf: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (end - at < prefix.length) return false;
  // A loop, not Buffer.compare: a native call's checks cost more than these few bytes, twice per line.
  for (let k = 0; k < prefix.length; k++) if (buf[at + k] !== prefix[k]) return false;
  return true;
}

/** End of a run of ASCII digits starting at `at` (at itself when there is none). */
function digitsEnd(buf: Buffer, at: number, end: number): number {
  let i = at;
  while (i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
  return i;
}

/**
 * The hash chain checked on a line's bytes: chainHash(prev, body) of format.ts, where body is the line without
 * its hash field and the UTF-8 of `${prev}\n${body}` is hashed. The bytes are hashed where they lie (a scratch
 * buffer keeps `prev\n` in front of a copy of short lines) instead of building that string for every line.
 */
class ByteChain {
  private scratch = Buffer.allocUnsafe(4096);
  private head = 0;
  /** How lines state their hash; until the header says, the header is read as text. */
  private tail: number;
  private stated: number;
  /** The previous line's full hash as text, made only when asked for: its hex digits are in `scratch` already. */
  private prevText: string | undefined;

  constructor(
    prev: string,
    public form: HashForm,
  ) {
    this.set(prev);
    this.tail = hashTail(form);
    this.stated = statedChars(form);
  }

  /** The lines after the header state their hash in this form. */
  setForm(form: HashForm): void {
    this.form = form;
    this.tail = hashTail(form);
    this.stated = statedChars(form);
  }

  /** Length of the `,"hash":"…"}` tail of this file's lines. */
  get tailLength(): number {
    return this.tail;
  }

  /** The full hash of the last line (64 hex digits). */
  get prev(): string {
    this.prevText ??= this.scratch.toString('latin1', 0, this.head - 1);
    return this.prevText;
  }

  /** The line was checked as text: continue from its hash. */
  set(prev: string): void {
    this.prevText = prev;
    const len = Buffer.byteLength(prev) + 1;
    if (len > this.scratch.length) this.scratch = Buffer.allocUnsafe(len * 2);
    this.scratch.write(prev, 0);
    this.scratch[len - 1] = 0x0a;
    this.head = len;
  }

  /**
   * True, and the chain moves on, when `buf[start, end)` ends with a hash field stating the hash of its body
   * chained to prev. False leaves everything as it was (the caller checks the line as text to say what is wrong).
   */
  advance(buf: Buffer, start: number, end: number): boolean {
    const bodyEnd = end - this.tail;
    if (bodyEnd <= start || buf[end - 1] !== 0x7d || buf[end - 2] !== 0x22 || !startsWithAt(buf, bodyEnd, end, HASH_FIELD)) {
      return false;
    }
    // The digest as a one-byte-per-character string: a Buffer per line costs an ArrayBuffer allocation each.
    let d: string;
    const n = this.head + (bodyEnd - start) + 1;
    if (bodyEnd - start <= COPY_HASH_MAX) {
      if (n > this.scratch.length) {
        const bigger = Buffer.allocUnsafe(Math.max(n, this.scratch.length * 2));
        this.scratch.copy(bigger, 0, 0, this.head);
        this.scratch = bigger;
      }
      buf.copy(this.scratch, this.head, start, bodyEnd);
      this.scratch[n - 1] = 0x7d;
      d = hash('sha256', this.scratch.subarray(0, n), 'binary');
    } else {
      d = createHash('sha256').update(this.scratch.subarray(0, this.head)).update(buf.subarray(start, bodyEnd)).update('}').digest('binary');
    }
    // Compared and written digit by digit from the digest: no hex or base64 string per line.
    const stated = end - 2 - this.stated;
    if (this.form === 'hex') {
      for (let i = 0; i < 32; i++) {
        const b = d.charCodeAt(i);
        if (buf[stated + 2 * i] !== HEX[b >> 4] || buf[stated + 2 * i + 1] !== HEX[b & 15]) return false;
      }
    } else if (!tagMatches(d, buf, stated)) {
      return false;
    }
    for (let i = 0; i < 32; i++) {
      const b = d.charCodeAt(i);
      this.scratch[2 * i] = HEX[b >> 4]!;
      this.scratch[2 * i + 1] = HEX[b & 15]!;
    }
    this.scratch[64] = 0x0a;
    this.head = 65;
    this.prevText = undefined;
    return true;
  }
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const B64URL = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 'latin1');

/** Whether `buf` at `at` holds the 11 base64url characters of the digest's first 8 bytes (format.ts statedHash). */
function tagMatches(d: string, buf: Buffer, at: number): boolean {
  // Two groups of 3 bytes (4 characters each), then 2 bytes (3 characters, unpadded).
  for (let g = 0; g < 2; g++) {
    const v = (d.charCodeAt(3 * g) << 16) | (d.charCodeAt(3 * g + 1) << 8) | d.charCodeAt(3 * g + 2);
    const o = at + 4 * g;
    if (buf[o] !== B64URL[v >> 18] || buf[o + 1] !== B64URL[(v >> 12) & 63] || buf[o + 2] !== B64URL[(v >> 6) & 63] || buf[o + 3] !== B64URL[v & 63]) {
      return false;
    }
  }
  const v = (d.charCodeAt(6) << 8) | d.charCodeAt(7);
  return buf[at + 8] === B64URL[v >> 10] && buf[at + 9] === B64URL[(v >> 4) & 63] && buf[at + 10] === B64URL[(v << 2) & 63];
}

/** What an event line read on the fast path stands for (only its kind is looked at). */
const EVENT_LINE: Record<string, unknown> = Object.freeze({ kind: 'event' });

/** What an event line whose envelope alone was read (scanEvent) stands for. */
const SEEN_LINE: Record<string, unknown> = Object.freeze({ kind: 'event' });

/** An event line whose envelope was read (scanEvent), to be offered to `takeEvent`. */
const OFFERED_LINE: Record<string, unknown> = Object.freeze({ kind: 'event' });

/** The event types to decode at a line (undefined: all of them); the others are yielded as `seen`. */
function decodeOnly(opts: ReadOptions, lineNo: number): ReadonlySet<string> | undefined {
  if (opts.decodeFromLine === undefined) return opts.decodeTypes;
  return lineNo < opts.decodeFromLine ? (opts.decodeTypes ?? NO_TYPES) : undefined;
}

/** Result of parsing a line that is not JSON. */
const NOT_JSON = Symbol('not JSON');

function parseJson(buf: Buffer, start: number, end: number): unknown {
  try {
    return JSON.parse(buf.toString('utf8', start, end));
  } catch {
    return NOT_JSON;
  }
}

/** seq and at of a keyframe line from its first bytes (what skimKeyframe reads from text), without its state. */
function skimKeyframeBytes(buf: Buffer, start: number, end: number): Record<string, unknown> | undefined {
  if (!startsWithAt(buf, start, end, KEYFRAME_SEQ)) return undefined;
  const seqAt = start + KEYFRAME_SEQ.length;
  const seqEnd = digitsEnd(buf, seqAt, end);
  if (seqEnd === seqAt || !startsWithAt(buf, seqEnd, end, KEYFRAME_AT)) return undefined;
  const atAt = seqEnd + KEYFRAME_AT.length;
  const atEnd = digitsEnd(buf, atAt, end);
  if (atEnd === atAt || atEnd >= end || buf[atEnd] !== 0x2c) return undefined;
  return { kind: 'keyframe', seq: Number(buf.toString('latin1', seqAt, seqEnd)), at: Number(buf.toString('latin1', atAt, atEnd)), stateAt: atEnd };
}

function checkHeader(file: string, o: Record<string, unknown>): RecordingHeader {
  if (o.kind !== 'header') throw new RecordingError(file, 1, 'structure', 'first line is not a recording header');
  if (o.format !== FORMAT_NAME) {
    throw new RecordingError(file, 1, 'unsupported', `not a tws-risk recording (format ${JSON.stringify(o.format)})`);
  }
  if (typeof o.schemaVersion !== 'number' || !READABLE_SCHEMA_VERSIONS.includes(o.schemaVersion)) {
    throw new RecordingError(
      file,
      1,
      'unsupported',
      `schema version ${JSON.stringify(o.schemaVersion)} is not supported (this tws-risk reads versions ${READABLE_SCHEMA_VERSIONS.join(', ')}); use the tws-risk version that wrote it`,
    );
  }
  if (typeof o.startedAtMs !== 'number') throw new RecordingError(file, 1, 'structure', 'header has no startedAtMs');
  return o as unknown as RecordingHeader;
}

/**
 * Reads a recording as a stream of events and keyframes. Throws RecordingError at the first bad line, after
 * yielding every good line before it. Returns the summary when the whole file was read.
 */
export function readRecording(file: string, opts: ReadOptions & { readonly decimalsAsText: true }): AsyncGenerator<RecordingItem<TextEvent>, ReadSummary>;
export function readRecording(file: string, opts?: ReadOptions & { readonly decimalsAsText?: false }): AsyncGenerator<RecordingItem, ReadSummary>;
export async function* readRecording(file: string, opts: ReadOptions = {}): AsyncGenerator<RecordingItem<FeedEvent | TextEvent>, ReadSummary> {
  let lineNo = opts.from ? opts.from.entry.line - 1 : 0;
  const chain = new ByteChain(opts.from ? opts.from.entry.prevHash : GENESIS_HASH, hashFormOf(opts.from ? opts.from.header.schemaVersion : 1));
  let header: RecordingHeader | undefined = opts.from?.header;
  let footer: RecordingFooter | undefined;
  let truncatedTail = false;
  /** How many bytes the cut-off last line had (named when it was the only line, the header). */
  let truncatedBytes = 0;
  /** The form the last line read as text stated its hash in (what the header is checked against). */
  let headerForm: HashForm | undefined;
  let events = 0;
  let keyframes = 0;
  let firstSeq = 0;
  let lastSeq = 0;
  let firstAt = 0;
  let lastAt = 0;
  /** The envelope of the last event line scanned: one object for the whole read, as each is used before the next. */
  const envelope: ScannedEnvelope = { type: '', seq: 0, receivedAt: 0 };
  const decode = opts.decimalsAsText === true ? decodeEventText : decodeEvent;
  const take = opts.takeEvent;

  const fail = (problem: RecordingProblem, detail: string): never => {
    throw new RecordingError(file, lineNo, problem, detail);
  };

  try {
    const lines = new LineReader();
    read: for await (const chunk of chunks(file, opts.from?.entry.offset ?? 0))
      for (lines.feed(chunk); lines.next();) {
        lineNo++;
        // Anything after the seal, even a cut-off line or a bare newline, was added after the writer finished.
        if (footer) fail('structure', 'content after the sealing footer');
        const { buf, start, end, terminated } = lines;
        // A keyframe is the whole state (megabytes for big books); when the caller folds from the start anyway,
        // check its hash but read only its seq instead of parsing it.
        const skipStates =
          opts.skipKeyframeStates === true ||
          (opts.firstKeyframeStateOnly === true && keyframes > 0) ||
          (opts.decodeFromLine !== undefined && lineNo !== opts.decodeFromLine);
        let o: Record<string, unknown> | undefined;
        let eventJson: unknown;
        // The lines a replay is made of (events, and keyframes it skips) are checked on their bytes, and an event is
        // parsed without its envelope and hash: per line, no copy of the text for hashing, no envelope object, no
        // hash string. Anything else, and any line these checks do not pass, is read as text below, which names
        // the problem exactly as it always did.
        if (terminated && lineNo > 1 && footer === undefined) {
          if (startsWithAt(buf, start, end, EVENT_PREFIX)) {
            // An event the caller does not decode needs only its envelope: its bytes are checked to be JSON and the
            // envelope read from them, without building its text or its object. Any line the scan is not sure of
            // is parsed as before.
            const only = decodeOnly(opts, lineNo);
            if (
              (only !== undefined || take !== undefined) &&
              scanEvent(buf, start + EVENT_PREFIX.length, end - chain.tailLength, envelope) &&
              envelope.seq >= 1 &&
              (take !== undefined || !only!.has(envelope.type)) &&
              chain.advance(buf, start, end)
            ) {
              o = only !== undefined && !only.has(envelope.type) ? SEEN_LINE : OFFERED_LINE;
            } else {
              const json = parseJson(buf, start + EVENT_PREFIX.length, end - chain.tailLength);
              if (json !== NOT_JSON && chain.advance(buf, start, end)) {
                o = EVENT_LINE;
                eventJson = json;
              }
            }
          } else if (skipStates) {
            const skim = skimKeyframeBytes(buf, start, end);
            if (skim && chain.advance(buf, start, end)) o = skim;
          } else {
            // A keyframe a seek starts from: its state parsed straight from the bytes and the line hashed where it
            // lies, instead of a string of the whole line (megabytes), a copy without the hash field, a second
            // string of "prev\n" + body to hash and then the parse.
            const skim = skimKeyframeBytes(buf, start, end);
            if (skim && startsWithAt(buf, skim.stateAt as number, end, KEYFRAME_STATE)) {
              const state = parseJson(buf, (skim.stateAt as number) + KEYFRAME_STATE.length, end - chain.tailLength);
              if (state !== NOT_JSON && chain.advance(buf, start, end)) o = { kind: 'keyframe', seq: skim.seq, at: skim.at, state };
            }
          }
        }
        if (o === undefined) {
          const text = buf.toString('utf8', start, end);
          // The header's hash is read in either form: its schema version, inside it, says which form the file uses.
          const sealed = unsealLine(text, lineNo === 1 && !opts.from ? 'any' : chain.form);
          let parsed: unknown;
          const skim = skipStates && terminated && sealed !== undefined ? skimKeyframe(text) : undefined;
          if (skim) {
            parsed = skim;
          } else {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
          }
          if (!terminated && (parsed === undefined || sealed === undefined)) {
            // The writer died mid-line: everything before it is good; this file is unsealed, not corrupt.
            truncatedTail = true;
            truncatedBytes = end - start;
            lineNo--;
            break read;
          }
          if (parsed === undefined) fail('malformed', 'line is not valid JSON');
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('malformed', 'line is not a JSON object');
          if (sealed === undefined) fail('malformed', 'line has no hash field at its end');
          const full = chainHash(chain.prev, sealed!.body);
          headerForm = sealed!.hash.length === 64 ? 'hex' : 'tag';
          if (statedHash(full, headerForm) !== sealed!.hash) {
            fail('tampered', `line breaks the hash chain (edited, inserted or removed lines); readable up to line ${lineNo - 1}`);
          }
          chain.set(full);
          o = parsed as Record<string, unknown>;
          eventJson = o.event;
        }
        if (lineNo === 1) {
          header = neutraliseRecorded(checkHeader(file, o));
          const form = hashFormOf(header.schemaVersion);
          // A file states every hash in its version's form; a header in the other form was not written by us.
          if (headerForm !== form) {
            fail('malformed', `schema ${header.schemaVersion} states hashes as ${form === 'hex' ? '64 hex digits' : '11-character tags'}; its header does not`);
          }
          chain.setForm(form);
          yield { kind: 'header', line: 1, header };
          continue;
        }
        switch (o.kind) {
          case 'event': {
            if (o === OFFERED_LINE) {
              const seq = envelope.seq;
              if (lastSeq !== 0 && seq !== lastSeq + 1) fail('sequence', `sequence gap: expected seq ${lastSeq + 1}, found ${seq}`);
              // Not taken: parsed (scanEvent vouched that it is JSON) and decoded below like any other event.
              if (take!(buf, start + EVENT_PREFIX.length, end - chain.tailLength, envelope)) o = SEEN_LINE;
              else {
                eventJson = parseJson(buf, start + EVENT_PREFIX.length, end - chain.tailLength);
                if (eventJson === NOT_JSON) fail('malformed', 'line is not valid JSON');
              }
            }
            if (o === SEEN_LINE) {
              const seq = envelope.seq;
              if (lastSeq !== 0 && seq !== lastSeq + 1) fail('sequence', `sequence gap: expected seq ${lastSeq + 1}, found ${seq}`);
              if (events === 0) {
                firstSeq = seq;
                firstAt = envelope.receivedAt;
              }
              lastSeq = seq;
              lastAt = envelope.receivedAt;
              events++;
              yield { kind: 'seen', line: lineNo, type: envelope.type, seq, at: lastAt };
              break;
            }
            const raw = eventJson as { type?: unknown; seq?: unknown; receivedAt?: unknown } | null;
            const only = decodeOnly(opts, lineNo);
            if (only && raw !== null && typeof raw === 'object' && typeof raw.type === 'string' && !only.has(raw.type)) {
              const problem = envelopeProblem(raw);
              if (problem) fail('malformed', `bad event: ${problem}`);
              const seq = raw.seq as number;
              if (lastSeq !== 0 && seq !== lastSeq + 1) fail('sequence', `sequence gap: expected seq ${lastSeq + 1}, found ${seq}`);
              if (events === 0) {
                firstSeq = seq;
                firstAt = raw.receivedAt as number;
              }
              lastSeq = seq;
              lastAt = raw.receivedAt as number;
              events++;
              yield { kind: 'seen', line: lineNo, type: raw.type, seq, at: lastAt };
              break;
            }
            let ev: FeedEvent | TextEvent;
            try {
              ev = decode(eventJson, header?.schemaVersion === LEGACY_SCHEMA_VERSION);
            } catch (e) {
              if (e instanceof CodecError) fail('malformed', `bad event: ${e.message}`);
              throw e;
            }
            if (lastSeq !== 0 && ev!.seq !== lastSeq + 1) fail('sequence', `sequence gap: expected seq ${lastSeq + 1}, found ${ev!.seq}`);
            if (events === 0) {
              firstSeq = ev!.seq;
              firstAt = ev!.receivedAt;
            }
            lastSeq = ev!.seq;
            lastAt = ev!.receivedAt;
            events++;
            yield { kind: 'event', line: lineNo, event: mayHoldControls(buf, start, end) ? neutraliseRecorded(ev!) : ev! };
            break;
          }
          case 'keyframe': {
            // A file continuing a rotated session opens with a keyframe of the state its first event builds on.
            const base = (events === 0 && keyframes === 0 && Number.isSafeInteger(o.seq)) || (opts.from !== undefined && events === 0 && keyframes === 0);
            if (base) lastSeq = o.seq as number;
            if (o.seq !== lastSeq) fail('sequence', `keyframe at seq ${JSON.stringify(o.seq)} does not follow event seq ${lastSeq}`);
            keyframes++;
            if (skipStates) break;
            let state: PortfolioState;
            try {
              // Neutralised as JSON, before decoding: the decoded state keeps its rows in persistent maps, which the
              // deep neutralising leaves alone as class instances (a keyframe's symbols reached the terminal so).
              state = decodeState(mayHoldControls(buf, start, end) ? neutraliseRecorded(o.state) : o.state, header?.schemaVersion === LEGACY_SCHEMA_VERSION);
            } catch (e) {
              if (e instanceof CodecError) fail('malformed', `bad keyframe: ${e.message}`);
              throw e;
            }
            yield {
              kind: 'keyframe',
              line: lineNo,
              seq: lastSeq,
              at: Number(o.at),
              state: state!,
            };
            break;
          }
          case 'footer': {
            const f = o as unknown as RecordingFooter;
            if ((!opts.from && f.events !== events) || f.lastSeq !== lastSeq) {
              fail('structure', `footer says ${f.events} events up to seq ${f.lastSeq}, file has ${events} up to seq ${lastSeq}`);
            }
            footer = f;
            break;
          }
          case 'header':
            fail('structure', 'a second header inside the recording');
            break;
          default:
            fail('malformed', `unknown line kind ${JSON.stringify(o.kind)}`);
        }
      }
  } catch (e) {
    if (e instanceof RecordingError) throw e;
    const err = e as NodeJS.ErrnoException;
    // A system call failed (zlib errors carry no syscall): an I/O problem, not a damaged recording.
    if (typeof err.syscall === 'string') {
      throw new RecordingError(file, lineNo === 0 ? 0 : lineNo + 1, 'io', `cannot read: ${err.message}`);
    }
    // Bytes appended to a sealed gzip file are not gzip data: zlib stops on them.
    if (footer) throw new RecordingError(file, lineNo + 1, 'structure', `content after the sealing footer (${err.message})`);
    // zlib reports corrupt (not merely cut) compressed data here.
    throw new RecordingError(file, lineNo + 1, 'malformed', `cannot decompress after line ${lineNo}: ${err.message}`);
  }
  if (!header && truncatedTail) {
    // Bytes without a newline are a header cut short, not an empty file: say so, so nobody deletes a crashed session's file as blank.
    throw new RecordingError(
      file,
      lineNo,
      'structure',
      `no complete line: the header line is cut short after ${truncatedBytes} bytes (the writer died before finishing it)`,
    );
  }
  if (!header) throw new RecordingError(file, lineNo, 'structure', 'file is empty: no header line');
  return {
    header,
    sealed: footer !== undefined,
    ...(footer ? { footer } : {}),
    truncatedTail,
    lines: lineNo,
    events,
    keyframes,
    firstSeq,
    lastSeq,
    firstAt,
    lastAt,
    finalHash: chain.prev,
  };
}

/**
 * The events whose `account` the reducer's one-account rule takes: the first of them that names one names the
 * state's account. A header is written before the login, so a recording's header often has none (`account: null`).
 */
export const ACCOUNT_EVENT_TYPES: ReadonlySet<string> = new Set([
  'accountValueUpdated',
  'accountSummaryUpdated',
  'accountDownloadEnded',
  'portfolioUpdated',
  'positionUpdated',
  'pnlUpdated',
]);

/** The account an event names for the one-account rule, if it names one. */
export function accountNamedBy(ev: { readonly type: string }): string | undefined {
  if (!ACCOUNT_EVENT_TYPES.has(ev.type)) return undefined;
  const a = (ev as { readonly account?: unknown }).account;
  return typeof a === 'string' && a !== '' ? a : undefined;
}

/**
 * The account and base currency a recording's events name, for a header written before the login (null in both):
 * the first account an account event names, and the currency of the first whole-account NetLiquidation (the
 * reducer's base currency). `types` is `decodeTypes` for the scan: the caller's own plus the events that can name
 * them, narrowed back as each is found, so that only events up to there are decoded for it (the reader looks the set
 * up line by line).
 */
export class RecordedIdentity {
  account: string | undefined;
  baseCurrency: string | undefined;
  private readonly wanted: Set<string>;
  constructor(private readonly base: ReadonlySet<string>) {
    this.wanted = new Set([...base, ...ACCOUNT_EVENT_TYPES]);
  }

  get types(): ReadonlySet<string> {
    return this.wanted;
  }

  /** Takes what `ev` says; true when it named the account or the base currency for the first time. */
  see(ev: FeedEvent): boolean {
    let found = false;
    if (this.account === undefined) {
      this.account = accountNamedBy(ev);
      found = this.account !== undefined;
    }
    if (this.baseCurrency === undefined && ev.type === 'accountValueUpdated' && ev.key === 'NetLiquidation' && /^[A-Z]{3}$/.test(ev.currency)) {
      this.baseCurrency = ev.currency;
      found = true;
    }
    if (found) {
      for (const t of ACCOUNT_EVENT_TYPES) {
        const stillNeeded = t === 'accountValueUpdated' && this.baseCurrency === undefined;
        if (this.account !== undefined && !stillNeeded && !this.base.has(t)) this.wanted.delete(t);
      }
    }
    return found;
  }
}

/** Outcome of `verifyRecording`, as `tws-risk verify` reports it. */
export type VerifyResult =
  | {
      readonly ok: true;
      readonly summary: ReadSummary;
      /** The account of the recording: the header's, else the first one its events name (undefined if none does). */
      readonly account?: string;
      /** Its base currency: the header's, else the one its events name first (undefined if none does). */
      readonly baseCurrency?: string;
    }
  | { readonly ok: false; readonly error: RecordingError; readonly linesRead: number };

const NO_TYPES: ReadonlySet<string> = new Set();

/**
 * What `verify` still decodes: the operator's and the guard's steps and the alert transitions. They carry no
 * Decimal and are a few per session, so checking their typed shapes costs nothing, and a recording whose operator
 * detail a replay would refuse is not called VALID.
 */
export const DECODE_RECORDED_FACTS: ReadonlySet<string> = new Set(['operatorActed', 'guardActed', 'alertChanged']);

/**
 * Reads the whole file, checking everything; never throws for a bad file. `decode: false` (what `tws-risk verify`
 * does) checks every line's JSON, hash chain, sequence and the seal, each event's envelope and the typed shape of
 * the recorded facts (operator and guard steps, alert transitions), but builds no Decimal and no keyframe state: a
 * line the writer hashed is what it wrote, so the chain vouches for its contents, and a market event that fails the
 * codec is named when a replay or report reads it. The default decodes everything too.
 */
export async function verifyRecording(file: string, opts: { readonly decode?: boolean } = {}): Promise<VerifyResult> {
  const decode = opts.decode !== false;
  const named = new RecordedIdentity(DECODE_RECORDED_FACTS);
  const it = readRecording(file, decode ? { skipKeyframeStates: false } : { skipKeyframeStates: true, decodeTypes: named.types });
  let linesRead = 0;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) {
        const account = r.value.header.account ?? named.account;
        const baseCurrency = r.value.header.baseCurrency ?? named.baseCurrency;
        return { ok: true, summary: r.value, ...(account ? { account } : {}), ...(baseCurrency ? { baseCurrency } : {}) };
      }
      linesRead = r.value.line;
      if (r.value.kind === 'event') named.see(r.value.event);
    }
  } catch (e) {
    if (e instanceof RecordingError) return { ok: false, error: e, linesRead };
    throw e;
  }
}
