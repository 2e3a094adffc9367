// RecordingReader: streams a recording line by line, verifying JSON, hash chain, sequence and seal as it goes.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants as zc, createGunzip } from 'node:zlib';
import { CodecError, decodeEvent, decodeState } from '../../model/codec.js';
import type { FeedEvent } from '../../model/events.js';
import type { PortfolioState } from '../../model/state.js';
import { FORMAT_NAME, GENESIS_HASH, SCHEMA_VERSION, chainHash, unsealLine, type IndexEntry, type RecordingFooter, type RecordingHeader } from './format.js';

/** What went wrong with a recording. `tampered` means the hash chain broke: the file was edited after writing. */
export type RecordingProblem = 'malformed' | 'tampered' | 'sequence' | 'structure' | 'unsupported' | 'io';

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

export type RecordingItem =
  | { readonly kind: 'header'; readonly line: 1; readonly header: RecordingHeader }
  | { readonly kind: 'event'; readonly line: number; readonly event: FeedEvent }
  | { readonly kind: 'keyframe'; readonly line: number; readonly seq: number; readonly at: number; readonly state: PortfolioState };

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
  /**
   * Start at a keyframe from the seek index instead of the top: the header (read separately), the keyframe's
   * byte offset, line number and the hash of the line before it. Everything from there on is still verified.
   */
  readonly from?: { readonly header: RecordingHeader; readonly entry: IndexEntry };
}

/** True when the file starts with the gzip magic bytes (detected by content, never by name). */
export async function isGzipFile(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

const KEYFRAME_PREFIX = /^\{"kind":"keyframe","seq":(\d+),"at":(\d+),/;

/** The kind, seq and time of a keyframe line without parsing its state; undefined for any other line. */
function skimKeyframe(text: string): Record<string, unknown> | undefined {
  const m = KEYFRAME_PREFIX.exec(text);
  return m ? { kind: 'keyframe', seq: Number(m[1]), at: Number(m[2]) } : undefined;
}

interface TextLine {
  readonly text: string;
  /** False only for a last line that had no newline (the writer stopped mid-line). */
  readonly terminated: boolean;
}

/**
 * Raw text lines, a batch per chunk read (one await per chunk, not per line). Memory stays bounded by the chunk
 * size and the longest line.
 */
async function* textLines(file: string, start = 0): AsyncGenerator<TextLine[]> {
  const gz = await isGzipFile(file);
  const raw = createReadStream(file, { highWaterMark: 256 * 1024, start });
  // A crash can cut a gzip stream anywhere; SYNC_FLUSH finishing yields everything decodable instead of an error.
  const stream = gz ? raw.pipe(createGunzip({ finishFlush: zc.Z_SYNC_FLUSH, chunkSize: 256 * 1024 })) : raw;
  if (gz) raw.on('error', (e) => stream.destroy(e));
  stream.setEncoding('utf8');
  let rest = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const batch: TextLine[] = [];
    let start = 0;
    let nl = chunk.indexOf('\n');
    if (nl >= 0) {
      batch.push({ text: rest + chunk.slice(0, nl), terminated: true });
      rest = '';
      start = nl + 1;
      while ((nl = chunk.indexOf('\n', start)) >= 0) {
        batch.push({ text: chunk.slice(start, nl), terminated: true });
        start = nl + 1;
      }
    }
    rest += chunk.slice(start);
    if (batch.length > 0) yield batch;
  }
  if (rest.length > 0) yield [{ text: rest, terminated: false }];
}

function checkHeader(file: string, o: Record<string, unknown>): RecordingHeader {
  if (o.kind !== 'header') throw new RecordingError(file, 1, 'structure', 'first line is not a recording header');
  if (o.format !== FORMAT_NAME) {
    throw new RecordingError(file, 1, 'unsupported', `not a tws-risk recording (format ${JSON.stringify(o.format)})`);
  }
  if (o.schemaVersion !== SCHEMA_VERSION) {
    throw new RecordingError(
      file,
      1,
      'unsupported',
      `schema version ${JSON.stringify(o.schemaVersion)} is not supported (this tws-risk reads version ${SCHEMA_VERSION}); use the tws-risk version that wrote it`,
    );
  }
  if (typeof o.startedAtMs !== 'number') throw new RecordingError(file, 1, 'structure', 'header has no startedAtMs');
  return o as unknown as RecordingHeader;
}

/**
 * Reads a recording as a stream of events and keyframes. Throws RecordingError at the first bad line, after
 * yielding every good line before it. Returns the summary when the whole file was read.
 */
export async function* readRecording(file: string, opts: ReadOptions = {}): AsyncGenerator<RecordingItem, ReadSummary> {
  let lineNo = opts.from ? opts.from.entry.line - 1 : 0;
  let prev = opts.from ? opts.from.entry.prevHash : GENESIS_HASH;
  let header: RecordingHeader | undefined = opts.from?.header;
  let footer: RecordingFooter | undefined;
  let truncatedTail = false;
  let events = 0;
  let keyframes = 0;
  let firstSeq = 0;
  let lastSeq = 0;
  let firstAt = 0;
  let lastAt = 0;


  const fail = (problem: RecordingProblem, detail: string): never => {
    throw new RecordingError(file, lineNo, problem, detail);
  };

  try {
    read: for await (const batch of textLines(file, opts.from?.entry.offset ?? 0)) for (const { text, terminated } of batch) {
      lineNo++;
      const sealed = unsealLine(text);
      let parsed: unknown;
      // A keyframe is the whole state (megabytes for big books); when the caller folds from the start anyway,
      // check its hash but read only its seq instead of parsing it.
      const skim = opts.skipKeyframeStates && terminated && sealed !== undefined ? skimKeyframe(text) : undefined;
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
        lineNo--;
        break read;
      }
      if (parsed === undefined) fail('malformed', 'line is not valid JSON');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('malformed', 'line is not a JSON object');
      if (sealed === undefined) fail('malformed', 'line has no hash field at its end');
      if (chainHash(prev, sealed!.body) !== sealed!.hash) {
        fail('tampered', `line breaks the hash chain (edited, inserted or removed lines); readable up to line ${lineNo - 1}`);
      }
      prev = sealed!.hash;
      const o = parsed as Record<string, unknown>;
      if (footer) fail('structure', 'content after the sealing footer');
      if (lineNo === 1) {
        header = checkHeader(file, o);
        yield { kind: 'header', line: 1, header };
        continue;
      }
      switch (o.kind) {
        case 'event': {
          let ev: FeedEvent;
          try {
            ev = decodeEvent(o.event);
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
          yield { kind: 'event', line: lineNo, event: ev! };
          break;
        }
        case 'keyframe': {
          // A file continuing a rotated session opens with a keyframe of the state its first event builds on.
          const base = (events === 0 && keyframes === 0 && Number.isSafeInteger(o.seq)) || (opts.from !== undefined && events === 0 && keyframes === 0);
          if (base) lastSeq = o.seq as number;
          if (o.seq !== lastSeq) fail('sequence', `keyframe at seq ${JSON.stringify(o.seq)} does not follow event seq ${lastSeq}`);
          keyframes++;
          if (opts.skipKeyframeStates) break;
          let state: PortfolioState;
          try {
            state = decodeState(o.state);
          } catch (e) {
            if (e instanceof CodecError) fail('malformed', `bad keyframe: ${e.message}`);
            throw e;
          }
          yield { kind: 'keyframe', line: lineNo, seq: lastSeq, at: Number(o.at), state: state! };
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
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
      throw new RecordingError(file, 0, 'io', `cannot read: ${err.message}`);
    }
    // zlib reports corrupt (not merely cut) compressed data here.
    throw new RecordingError(file, lineNo + 1, 'malformed', `cannot decompress after line ${lineNo}: ${err.message}`);
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
    finalHash: prev,
  };
}

/** Outcome of `verifyRecording`, as `tws-risk verify` reports it. */
export type VerifyResult =
  | { readonly ok: true; readonly summary: ReadSummary }
  | { readonly ok: false; readonly error: RecordingError; readonly linesRead: number };

/** Reads the whole file, checking everything; never throws for a bad file. */
export async function verifyRecording(file: string): Promise<VerifyResult> {
  const it = readRecording(file, { skipKeyframeStates: false });
  let linesRead = 0;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return { ok: true, summary: r.value };
      linesRead = r.value.line;
    }
  } catch (e) {
    if (e instanceof RecordingError) return { ok: false, error: e, linesRead };
    throw e;
  }
}
