// FlightRecorder: appends every FeedEvent to a recording and writes keyframes on a count or time cadence.
import { closeSync, openSync, readdirSync, readSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FeedEvent } from '../model/events.js';
import type { PortfolioState } from '../model/state.js';
import type { EventSink } from './feed.js';
import type { RecordingSource } from './recording/format.js';
import { PRIVATE_FILE_MODE, mkdirPrivate } from './recording/open-unique.js';
import { RecordingWriter } from './recording/writer.js';

export interface KeyframePolicy {
  /** A keyframe after this many events since the last one. */
  readonly everyEvents: number;
  /** A keyframe when this much receive time passed since the last one (ms). */
  readonly everyMs: number;
}

/** Keyframes bound the work of a seek: at most `everyEvents` events are replayed after the nearest keyframe. */
export const DEFAULT_KEYFRAME_POLICY: KeyframePolicy = { everyEvents: 5_000, everyMs: 60_000 };

export class FlightRecorder implements EventSink {
  private sinceKeyframe = 0;
  private lastKeyframeAt = 0;

  constructor(
    readonly writer: RecordingWriter,
    private readonly policy: KeyframePolicy = DEFAULT_KEYFRAME_POLICY,
  ) {}

  /** Records an event together with the state after it (the state is only serialised when a keyframe is due). */
  record(ev: FeedEvent, stateAfter: PortfolioState): void {
    this.recordRun([ev], stateAfter);
  }

  /**
   * Records a run of events folded into one state (Feed, one socket read's market data): a keyframe that falls due
   * inside the run is written after its last event, with the state after it, since no state between them was made.
   */
  recordRun(events: readonly FeedEvent[], stateAfter: PortfolioState): void {
    let due = false;
    for (const ev of events) {
      this.writer.append(ev);
      this.sinceKeyframe++;
      if (this.lastKeyframeAt === 0) this.lastKeyframeAt = ev.receivedAt;
      if (this.sinceKeyframe >= this.policy.everyEvents || ev.receivedAt - this.lastKeyframeAt >= this.policy.everyMs) due = true;
    }
    if (due) {
      this.writer.keyframe(stateAfter);
      this.sinceKeyframe = 0;
      this.lastKeyframeAt = events.at(-1)!.receivedAt;
    }
  }

  /** Writes the state a continuation file starts from, before its first event. */
  baseline(state: PortfolioState): void {
    this.writer.keyframe(state);
    this.lastKeyframeAt = state.lastEventAt;
  }

  /** Writes a final keyframe (if anything happened since the last) and seals the file. */
  async close(reason: string, finalState?: PortfolioState, endedAtMs: number = Date.now()): Promise<void> {
    if (finalState && this.sinceKeyframe > 0) this.writer.keyframe(finalState);
    await this.writer.close(reason, endedAtMs);
  }
}

export interface RotatingOptions {
  readonly dir: string;
  readonly source: RecordingSource;
  readonly appVersion: string;
  readonly gzip: boolean;
  readonly rotateBytes: number;
  readonly policy?: KeyframePolicy;
  readonly meta?: Record<string, string | number | boolean | null>;
  /** Wall clock for file names and the day boundary. */
  readonly now?: () => number;
  /** The first file's exact path (--record FILE); later rotations add -2, -3... before the extension. */
  readonly firstFile?: string;
  /**
   * Called once when recording stops because a write failed (disk full, file system gone read-only...). The
   * recorder then drops every later event quietly and `failure` says why; the session itself goes on.
   */
  readonly onError?: (err: Error) => void;
  /** The directory's size and age budget, applied when a file opens (at start and at each rotation). */
  readonly budget?: RecordingBudget;
  /** What the budget deleted or had to keep, in a sentence for the operator (the console's log, stderr). */
  readonly onNote?: (text: string) => void;
}

export interface RecordingBudget {
  /** The recordings in the directory together stay under this many bytes (the newest are kept). */
  readonly maxBytes: number;
  /** Recordings that ended more than this many days ago are deleted. */
  readonly keepDays: number;
}

/** Our own file names only: a file someone else put in the directory is never ours to delete. */
const OUR_RECORDING = /^tws-risk-\d{8}-\d{6}-[a-z]+(-\d+)?(-\d+)?\.jsonl(\.gz)?$/;

/** A file written to within this long may be another session's current file (keyframes come every minute). */
const BUSY_MS = 10 * 60_000;

/**
 * Whether a recording ends with its sealing footer, read from its tail: the last lines of a plain file, the last gzip
 * member of a compressed one (the footer is always in the last member written, see writer.ts). Anything that cannot
 * be read counts as unsealed, which keeps the file.
 */
export function isSealedFile(file: string): boolean {
  try {
    const size = statSync(file).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, len, size - len);
    } finally {
      closeSync(fd);
    }
    const footer = (text: string) => /"kind":"footer"[^\n]*\n?$/.test(text.trimEnd() + '\n');
    if (!file.endsWith('.gz')) return footer(buf.toString('utf8'));
    // The last member starts at one of the gzip magics in the tail; try them from the end.
    for (let i = len - 3; i >= 0; i--) {
      if (buf[i] !== 0x1f || buf[i + 1] !== 0x8b || buf[i + 2] !== 0x08) continue;
      try {
        return footer(gunzipSync(buf.subarray(i)).toString('utf8'));
      } catch {
        // Not a member boundary (the bytes occur inside compressed data too): an earlier one.
      }
    }
    return false;
  } catch {
    return false;
  }
}

/**
 * Keeps `dir` within the budget: our recordings older than `keepDays`, then the oldest until the rest fit in
 * `maxBytes`, are deleted with their seek index, each named in a note. Never deleted: the files in `keep` (this
 * session's), a file written to in the last minutes (another session may be writing it) and an unsealed file (a crash
 * a review will want to read); when those alone exceed the budget, the note says so instead of deleting them.
 */
/** More disagreement than this between our clock and the file system's times, and file ages are not judged. */
const CLOCK_SKEW_MS = 3_600_000;

export function applyBudget(dir: string, budget: RecordingBudget, now: number, keep: ReadonlySet<string>): string[] {
  const notes: string[] = [];
  let files: { path: string; size: number; mtime: number }[];
  try {
    files = readdirSync(dir)
      .filter((n) => OUR_RECORDING.test(n))
      .map((n) => {
        const path = join(dir, n);
        const st = statSync(path);
        return { path, size: st.size, mtime: st.mtimeMs };
      })
      .sort((a, b) => a.mtime - b.mtime);
  } catch (e) {
    return [`recordings budget not applied: cannot list ${dir}: ${(e as Error).message}`];
  }
  let total = files.reduce((a, f) => a + f.size, 0);
  // This session's own file was written moments ago: if the file system's times and our clock disagree by more than
  // an hour (a clock being corrected, a faked or skewed clock), neither a file's age nor whether another session is
  // still writing it can be judged, so nothing is deleted.
  const ours = files.filter((f) => keep.has(f.path)).map((f) => f.mtime);
  const skew = ours.length > 0 ? now - Math.max(...ours) : 0;
  const agesTrusted = Math.abs(skew) <= CLOCK_SKEW_MS;
  if (!agesTrusted) {
    notes.push(
      `recordings budget not applied: the clock and the file system's times disagree by ${Math.round(Math.abs(skew) / 3_600_000)} hour(s); no file was deleted`,
    );
  }
  const cutoff = agesTrusted ? now - budget.keepDays * 86_400_000 : -Infinity;
  const kept: string[] = [];
  for (const f of files) {
    const old = f.mtime < cutoff;
    if (!old && total <= budget.maxBytes) break;
    // A file that must stay is left out of the sum, so it pushes no other file out either.
    if (keep.has(f.path) || (agesTrusted ? now - f.mtime < BUSY_MS : true)) {
      total -= f.size;
      continue;
    }
    if (!isSealedFile(f.path)) {
      kept.push(basename(f.path));
      total -= f.size;
      continue;
    }
    try {
      unlinkSync(f.path);
    } catch (e) {
      notes.push(`recordings budget: cannot delete ${f.path}: ${(e as Error).message}`);
      continue;
    }
    try {
      unlinkSync(`${f.path}.idx`);
    } catch {
      // No index (or already gone): nothing to do.
    }
    total -= f.size;
    notes.push(`recordings budget: deleted ${f.path} (${old ? `older than ${budget.keepDays} days` : `the directory was over ${budget.maxBytes} bytes`})`);
  }
  if (kept.length > 0) {
    notes.push(
      `recordings budget: kept ${kept.length} unsealed recording(s) over the budget, for review (crashed sessions; check them with tws-risk verify, then delete): ${kept.join(', ')}`,
    );
  }
  return notes;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/**
 * Creates `dir` (0700) if needed and proves a file can be created in it, so that a session whose recordings cannot
 * be written learns it at start (and can run without recording) instead of at its first event.
 */
function checkWritable(dir: string): void {
  mkdirPrivate(dir);
  const probe = join(dir, `.tws-risk-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  closeSync(openSync(probe, 'wx', PRIVATE_FILE_MODE));
  unlinkSync(probe);
}

/**
 * A flight recorder that starts a new file when the current one passes `rotateBytes` or a UTC day ends. Each new
 * file opens with a keyframe of the state so far, so every file can be replayed on its own. A failed write stops
 * recording for the rest of the session (issue 14): it is reported once, and never thrown into the feed.
 */
export class RotatingRecorder implements EventSink {
  private current: FlightRecorder | undefined;
  private day = '';
  private failed: Error | undefined;
  /** Every file written so far, oldest first. */
  readonly files: string[] = [];

  /** Throws (EACCES, EROFS, ENOTDIR...) when no recording can be created in `opts.dir`. */
  constructor(private readonly opts: RotatingOptions) {
    checkWritable(opts.dir);
  }

  /** Why recording stopped, once it has; the files written until then stay readable, unsealed. */
  get failure(): Error | undefined {
    return this.failed;
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    try {
      this.current?.writer.abandon();
    } catch {
      // The descriptor is what failed; nothing more to save.
    }
    this.current = undefined;
    this.opts.onError?.(err);
  }

  /** The file being written, if any. */
  get file(): string | undefined {
    return this.current?.writer.file;
  }

  record(ev: FeedEvent, stateAfter: PortfolioState, stateBefore: PortfolioState): void {
    this.recordRun([ev], stateAfter, stateBefore);
  }

  /**
   * A run of events folded into one state: one file takes the whole run (a rotation, by size or by day, falls
   * before it or after it, where a state exists for the file's base keyframe).
   */
  recordRun(events: readonly FeedEvent[], stateAfter: PortfolioState, stateBefore: PortfolioState): void {
    if (this.failed || events.length === 0) return;
    try {
      const first = events[0]!;
      const day = new Date(first.receivedAt).toISOString().slice(0, 10);
      if (this.current && (this.current.writer.bytes >= this.opts.rotateBytes || day !== this.day)) {
        const old = this.current;
        this.current = undefined;
        old.close('rotated', undefined, first.receivedAt).catch((e: Error) => this.fail(e));
      }
      if (!this.current) this.open(first, stateAfter, stateBefore, day);
      this.current!.recordRun(events, stateAfter);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private open(first: FeedEvent, stateAfter: PortfolioState, stateBefore: PortfolioState, day: string): void {
    const now = (this.opts.now ?? Date.now)();
    const suffix = this.files.length === 0 ? '' : `-${this.files.length + 1}`;
    const ext = `.jsonl${this.opts.gzip ? '.gz' : ''}`;
    const chosen = this.opts.firstFile;
    const file = chosen
      ? suffix
        ? chosen.replace(/(\.jsonl(\.gz)?)?$/, (m) => `${suffix}${m || ext}`)
        : chosen
      : join(this.opts.dir, `tws-risk-${stamp(now)}-${this.opts.source}${suffix}${ext}`);
    const writer = new RecordingWriter({
      file,
      uniqueName: !chosen,
      gzip: this.opts.gzip,
      appVersion: this.opts.appVersion,
      source: this.opts.source,
      account: stateAfter.account ?? null,
      baseCurrency: stateAfter.baseCurrency ?? null,
      startedAtMs: first.receivedAt,
      ...(this.opts.meta ? { meta: this.opts.meta } : {}),
      onError: (e) => this.fail(e),
    });
    this.files.push(writer.file);
    this.day = day;
    const budget = this.opts.budget;
    if (budget && !chosen) {
      // After the event is recorded, not inside it: deleting files is no part of recording an event.
      const keep = new Set(this.files);
      setImmediate(() => {
        for (const n of applyBudget(this.opts.dir, budget, (this.opts.now ?? Date.now)(), keep)) this.opts.onNote?.(n);
      });
    }
    this.current = new FlightRecorder(writer, this.opts.policy);
    // A continuation file starts from the state before its first event, so it replays on its own.
    if (first.seq > 1) this.current.baseline(stateBefore);
  }

  /** Seals the current file; a failure here is kept in `failure` (the exit line says it), never thrown. */
  async close(reason: string, finalState?: PortfolioState): Promise<void> {
    if (this.failed) return;
    const current = this.current;
    this.current = undefined;
    try {
      await current?.close(reason, finalState);
    } catch (e) {
      this.current = current;
      this.fail(e as Error);
    }
  }
}
