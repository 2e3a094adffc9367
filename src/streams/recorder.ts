// FlightRecorder: appends every FeedEvent to a recording and writes keyframes on a count or time cadence.
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
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
    this.writer.append(ev);
    this.sinceKeyframe++;
    if (this.lastKeyframeAt === 0) this.lastKeyframeAt = ev.receivedAt;
    if (this.sinceKeyframe >= this.policy.everyEvents || ev.receivedAt - this.lastKeyframeAt >= this.policy.everyMs) {
      this.writer.keyframe(stateAfter);
      this.sinceKeyframe = 0;
      this.lastKeyframeAt = ev.receivedAt;
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
    if (this.failed) return;
    try {
      const day = new Date(ev.receivedAt).toISOString().slice(0, 10);
      if (this.current && (this.current.writer.bytes >= this.opts.rotateBytes || day !== this.day)) {
        const old = this.current;
        this.current = undefined;
        // close() does its writes before it returns; the promise only carries their failure.
        old.close('rotated', undefined, ev.receivedAt).catch((e: Error) => this.fail(e));
      }
      if (!this.current) this.open(ev, stateAfter, stateBefore, day);
      this.current!.record(ev, stateAfter);
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
