// RecordingWriter: append-only JSONL (optionally gzip) with a hash chain, keyframes and a sealing footer.
import { closeSync, fsyncSync, writeSync } from 'node:fs';
import { mkdirPrivate, openExclusive, replaceExclusive } from './open-unique.js';
import { dirname } from 'node:path';
import { constants as zc, crc32, deflateRawSync } from 'node:zlib';
import { encodeState } from '../../model/codec.js';
import type { FeedEvent } from '../../model/events.js';
import type { PortfolioState } from '../../model/state.js';
import {
  FORMAT_NAME,
  GENESIS_HASH,
  SCHEMA_VERSION,
  hashFormOf,
  indexPathOf,
  sealLine,
  type IndexEntry,
  type RecordingHeader,
  type RecordingSource,
} from './format.js';

export interface WriterOptions {
  readonly file: string;
  /** Compress with gzip (a segment per event-loop turn or 64 KiB, so a crash leaves a readable prefix). */
  readonly gzip?: boolean;
  readonly appVersion: string;
  readonly source: RecordingSource;
  readonly account?: string | null;
  readonly baseCurrency?: string | null;
  readonly startedAtMs: number;
  readonly meta?: RecordingHeader['meta'];
  /** Pick `name-2...` when the file exists (generated names); an explicit --record FILE never does. */
  readonly uniqueName?: boolean;
  /**
   * Called once when a write fails outside any call of ours (a gzip member flushed at the end of the event-loop
   * turn hits a full disk); a write that fails inside append, keyframe or close throws there instead.
   */
  readonly onError?: (err: Error) => void;
}

/** Pending gzip text is compressed and written once it reaches this size, or at the end of the event-loop turn. */
const GZIP_MEMBER_BYTES = 64 * 1024;
/**
 * The text a segment may refer to, given as its dictionary: deflate looks back at most 32 KiB, but zlib hashes the whole
 * dictionary into its tables for every segment (a segment per event-loop turn, several a second); with the last 16 KiB
 * the demo's recording came out 0.5% larger and its compression took a third less (docs/performance.md "Frozen, session 11").
 */
const WINDOW = 16 * 1024;
/** A gzip member's header: deflate, no name, no time, Unix (what zlib writes). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
/** An empty final deflate block (fixed Huffman): ends a member's deflate stream after a sync-flushed segment. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);
const HASH_FORM = hashFormOf(SCHEMA_VERSION);

/**
 * One gzip member written in segments as the lines come (pigz's construction): each segment is raw deflate
 * ending in a sync flush, compressed with the member's last 16 KiB of text as its dictionary (WINDOW), so it refers
 * back to the lines before it as one deflate stream would. A member per event-loop turn restarted the
 * compressor's memory every few lines; this keeps it until the member ends (at a keyframe, where a seek starts
 * decompressing, and at close). A file cut off mid-member still decompresses up to its last whole segment.
 */
class GzipMember {
  private open = false;
  private crc = 0;
  private size = 0;
  private window: Buffer = Buffer.alloc(0);

  /** The bytes to write for this text: the member's header first if it starts here, then one segment. */
  segment(text: Buffer): Buffer {
    const head = this.open ? undefined : GZIP_HEADER;
    const seg = deflateRawSync(text, { finishFlush: zc.Z_SYNC_FLUSH, ...(this.window.length > 0 ? { dictionary: this.window } : {}) });
    this.open = true;
    this.crc = crc32(text, this.crc);
    this.size = (this.size + text.length) >>> 0;
    this.window =
      text.length >= WINDOW
        ? Buffer.from(text.subarray(text.length - WINDOW))
        : Buffer.concat([this.window.subarray(Math.max(0, this.window.length + text.length - WINDOW)), text]);
    return head ? Buffer.concat([head, seg]) : seg;
  }

  /** The bytes that end the member (none if none is open): the final block, CRC-32 and size of its text. */
  end(): Buffer | undefined {
    if (!this.open) return undefined;
    const trailer = Buffer.alloc(10);
    FINAL_BLOCK.copy(trailer, 0);
    trailer.writeUInt32LE(this.crc >>> 0, 2);
    trailer.writeUInt32LE(this.size, 6);
    this.open = false;
    this.crc = 0;
    this.size = 0;
    this.window = Buffer.alloc(0);
    return trailer;
  }
}

/**
 * Writes one recording. Plain files: every line reaches the OS with a synchronous write before `append` returns,
 * so a killed process leaves every appended line. Gzip files: lines are compressed synchronously as one segment of
 * the current gzip member per event-loop turn (or per 64 KiB in a burst) and written at once, so memory stays
 * bounded whatever the event rate, and a kill loses at most the lines of the current turn. Keyframes, operator actions and close flush
 * and fsync. The file is created exclusively and private (0600): an existing recording is never overwritten.
 * After a failed write the writer is broken: every later call throws that error (a partly written line may
 * end the file, which readers treat as a cut-off tail).
 */
export class RecordingWriter {
  private readonly fd: number;
  private readonly path: string;
  private readonly gzip: boolean;
  private pending: string[] = [];
  private readonly member = new GzipMember();
  private pendingBytes = 0;
  private flushScheduled = false;
  private prevHash = GENESIS_HASH;
  private events = 0;
  private keyframes = 0;
  private lastSeq = 0;
  private closed = false;
  private broken: Error | undefined;
  /** Bytes written to the file so far (compressed size for gzip), for rotation by size. */
  bytes = 0;
  /** Lines written so far (the header is line 1). */
  private lines = 0;
  /** The seek index beside the recording (`FILE.idx`): one JSON line per keyframe; absent if it cannot be made. */
  private indexFd: number | undefined;

  constructor(private readonly opts: WriterOptions) {
    mkdirPrivate(dirname(opts.file));
    const opened = openExclusive(opts.file, opts.uniqueName === true);
    this.fd = opened.fd;
    this.path = opened.file;
    this.gzip = opts.gzip === true;
    // Never opened with 'w': that follows a symlink planted at the name and truncates its target.
    this.indexFd = replaceExclusive(indexPathOf(this.path));
    const header: RecordingHeader = {
      kind: 'header',
      format: FORMAT_NAME,
      schemaVersion: SCHEMA_VERSION,
      appVersion: opts.appVersion,
      source: opts.source,
      account: opts.account ?? null,
      baseCurrency: opts.baseCurrency ?? null,
      startedAt: new Date(opts.startedAtMs).toISOString(),
      startedAtMs: opts.startedAtMs,
      ...(opts.meta ? { meta: opts.meta } : {}),
    };
    this.writeLine(header);
  }

  /** The file actually written (it differs from the one asked for only with `uniqueName`). */
  get file(): string {
    return this.path;
  }

  get eventCount(): number {
    return this.events;
  }

  /** Appends one event; events must arrive in gap-free seq order (the reader enforces it). */
  append(ev: FeedEvent): void {
    if (ev.seq !== this.lastSeq + 1 && !(this.lastSeq === 0 && this.events === 0)) {
      throw new Error(`recording ${this.path}: event seq ${ev.seq} does not follow ${this.lastSeq}`);
    }
    this.writeLine({ kind: 'event', event: ev });
    this.events++;
    this.lastSeq = ev.seq;
    // What the operator did, what they were alerted to and what the guard decided must survive a crash right after it
    // (DESIGN.md "Recording").
    if (ev.type === 'operatorActed' || ev.type === 'alertChanged' || ev.type === 'guardActed') this.sync();
  }

  /** Writes a full-state keyframe (for seeking) and fsyncs. `state.lastSeq` must be the last appended seq. */
  keyframe(state: PortfolioState): void {
    if (this.events === 0) this.lastSeq = state.lastSeq;
    // A keyframe starts a new gzip member, so a reader can start decompressing exactly there.
    this.flushGzip(true);
    const entry: IndexEntry = { seq: state.lastSeq, at: state.lastEventAt, offset: this.bytes, line: this.lines + 1, prevHash: this.prevHash };
    this.writeIndex(`${JSON.stringify(entry)}\n`);
    this.writeLine({ kind: 'keyframe', seq: state.lastSeq, at: state.lastEventAt, state: encodeState(state) });
    this.keyframes++;
    this.sync();
  }

  /** Writes the sealing footer, flushes, fsyncs and closes. Idempotent. */
  async close(reason: string, endedAtMs: number = Date.now()): Promise<void> {
    if (this.closed) return;
    if (this.broken) {
      this.abandon();
      throw this.broken;
    }
    // The footer gets a gzip member of its own: whoever checks the seal reads the file's tail (recorder.ts
    // isSealedFile), and the member it would otherwise end may have begun a keyframe interval earlier.
    try {
      this.flushGzip(true);
    } catch (e) {
      this.abandon();
      throw e;
    }
    this.writeLine({
      kind: 'footer',
      events: this.events,
      keyframes: this.keyframes,
      lastSeq: this.lastSeq,
      endedAt: new Date(endedAtMs).toISOString(),
      reason,
    });
    try {
      this.flushGzip(true);
      fsyncSync(this.fd);
    } catch (e) {
      this.abandon();
      throw e;
    }
    this.closed = true;
    closeSync(this.fd);
    this.closeIndex();
  }

  /** Closes without a footer, as a crash would (tests use this to prove crash readability). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    closeSync(this.fd);
    this.closeIndex();
  }

  private closeIndex(): void {
    if (this.indexFd !== undefined) closeSync(this.indexFd);
    this.indexFd = undefined;
  }

  /** The index only speeds up seeking: a write that fails there drops the index, never the recording. */
  private writeIndex(line: string): void {
    if (this.indexFd === undefined) return;
    try {
      writeSync(this.indexFd, line);
    } catch {
      this.closeIndex();
    }
  }

  private writeLine(body: object): void {
    if (this.closed) throw new Error(`recording ${this.path} is closed`);
    if (this.broken) throw this.broken;
    const { text, hash } = sealLine(this.prevHash, body, HASH_FORM);
    this.prevHash = hash;
    this.lines++;
    if (!this.gzip) {
      this.writeRaw(Buffer.from(`${text}\n`));
      return;
    }
    this.pending.push(text, '\n');
    this.pendingBytes += text.length + 1;
    if (this.pendingBytes >= GZIP_MEMBER_BYTES) {
      this.flushGzip();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (this.closed || this.broken) return;
        // Nobody up the stack would catch a throw here: it would end the process (a full disk must not).
        try {
          this.flushGzip();
        } catch (e) {
          this.opts.onError?.(e as Error);
        }
      });
    }
  }

  /**
   * Compresses the pending lines as the next segment of the current gzip member and writes it; `endMember` also
   * closes the member (readers decode concatenated members).
   */
  private flushGzip(endMember = false): void {
    if (this.pending.length > 0) {
      const seg = this.member.segment(Buffer.from(this.pending.join('')));
      this.pending = [];
      this.pendingBytes = 0;
      this.writeRaw(seg);
    }
    const end = endMember ? this.member.end() : undefined;
    if (end) this.writeRaw(end);
  }

  private writeRaw(buf: Buffer): void {
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off);
    } catch (e) {
      this.broken = e as Error;
      throw e;
    }
    this.bytes += buf.length;
  }

  private sync(): void {
    this.flushGzip();
    try {
      fsyncSync(this.fd);
    } catch (e) {
      this.broken = e as Error;
      throw e;
    }
  }
}
