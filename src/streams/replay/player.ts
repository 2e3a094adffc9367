// The replay player: plays a recording into the console on a virtual clock of recorded time; never opens a socket.
import { Subject, type Observable } from 'rxjs';
import type { FeedEvent } from '../../model/events.js';
import { reduce } from '../../model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../model/state.js';
import type { IndexEntry, RecordingHeader } from '../recording/format.js';
import { readRecording, RecordedIdentity, RecordingError, type ReadSummary, type RecordingItem, type RecordingProblem } from '../recording/reader.js';
import { MARKER_EVENT_TYPES, markerOf, newMarkerMemory, nextMarker, prevMarker, type Marker } from './markers.js';
import { keyframesKeepAlerts, loadIndex, readHeader, withRecordedAlerts, type SeekTarget } from './seek.js';

/*
 * DESIGN.md "Replay": the recording is the source; state is the same fold as live. Playing reads the file once,
 * forwards, on a clock of recorded time scaled by the speed; a seek starts from the nearest keyframe before the
 * target (the seek index) and folds forward, so it costs at most one keyframe interval whatever the file's length.
 * A background scan reads the whole file once to verify it and to find the markers; playback does not wait for it.
 */

export type Speed = number | 'max';

/** The speeds `+` and `-` step through. */
export const SPEEDS: readonly Speed[] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 'max'];

/** Parses a speed as typed (`4`, `4x`, `0.25`, `max`), or says why it is not one of SPEEDS. */
export function parseSpeed(text: string): { readonly speed: Speed } | { readonly error: string } {
  const t = text
    .trim()
    .toLowerCase()
    .replace(/(\d)\s*[x×]$/, '$1');
  if (t === 'max') return { speed: 'max' };
  const n = Number(t);
  if (t !== '' && SPEEDS.includes(n)) return { speed: n };
  return { error: `speed ${JSON.stringify(text)}: expected one of ${SPEEDS.map((s) => (s === 'max' ? 'max' : `${s}`)).join(', ')}` };
}

export function speedLabel(s: Speed): string {
  return s === 'max' ? 'max' : `${s}×`;
}

/** What the verification scan found; the player shows it from the moment the file opens. */
export type Integrity =
  | { readonly state: 'checking'; readonly events: number }
  | { readonly state: 'sealed'; readonly summary: ReadSummary }
  /** No footer: the writer crashed or is still writing. Everything read is intact. */
  | { readonly state: 'unsealed'; readonly summary: ReadSummary }
  /** The file cannot be read past `line` (a tampered hash chain, a malformed line). Playback stops before it. */
  | {
      readonly state: 'broken';
      readonly problem: RecordingProblem;
      readonly line: number;
      readonly message: string;
      readonly lastGoodSeq: number;
      readonly lastGoodAt: number;
    };

export interface ReplayStatus {
  readonly file: string;
  readonly header: RecordingHeader;
  /**
   * The account the recording is of: the header's, else the first one its events name, once the scan has read that
   * far (a header written before the login has none).
   */
  readonly account?: string;
  /** Its base currency, likewise: the header's, else the one its events name first. */
  readonly baseCurrency?: string;
  /** Recorded time on the player's clock (ms). */
  readonly at: number;
  /** The seq of the last event folded (0 before the first). */
  readonly seq: number;
  readonly firstAt: number;
  /** Known once the scan (or the index) has seen the end. */
  readonly lastSeq?: number;
  readonly lastAt?: number;
  readonly speed: Speed;
  readonly paused: boolean;
  /** Every event has been played (or playback stopped at a break). */
  readonly ended: boolean;
  readonly markers: readonly Marker[];
  readonly integrity: Integrity;
  /** A seek in progress. */
  readonly seeking: boolean;
  /** The last thing the player has to say (a seek outside the file, a stop at a break). */
  readonly message?: string;
}

/** What the console calls (keys) and reads (state, events, status). */
export interface ReplayControls {
  status(): ReplayStatus;
  /** The player's clock: recorded time. */
  clock(): number;
  togglePause(): void;
  play(): void;
  pause(): void;
  /** Plays exactly the next event and pauses. */
  step(): Promise<void>;
  faster(): void;
  slower(): void;
  setSpeed(s: Speed): void;
  seekTo(target: SeekTarget): Promise<void>;
  toStart(): Promise<void>;
  toEnd(): Promise<void>;
  /** Jumps to the next (or previous) marker and pauses there; false when there is none. */
  nextMarker(): Promise<Marker | undefined>;
  prevMarker(): Promise<Marker | undefined>;
  /** Jumps to a marker picked from the list (the recording info) and pauses there, like `]` onto it. */
  toMarker(m: Marker): Promise<void>;
  /** Called after anything that changes the status ('status') or replaces the state by a seek ('replaced'). */
  onChange(listener: (kind: 'status' | 'replaced') => void): () => void;
}

export interface PlayerOptions {
  /** Real clock in ms (injected by tests). */
  readonly now?: () => number;
  /**
   * The verification and marker scan: at open (default), never (false: benchmarks that measure playback alone), or
   * 'later', when the caller calls startScan() (the console, once its first frame is out: docs/performance.md
   * "Start-up, fifth pass"). Until it has run, the status says 'checking', as it does while it runs.
   */
  readonly scan?: boolean | 'later';
  readonly speed?: Speed;
}

/**
 * Where the last seek started its fold: from the player's own position ('cursor'), a keyframe it decoded
 * ('keyframe'), the keyframe it had decoded last ('cached keyframe'), or the top of the file ('top').
 */
export interface SeekPath {
  readonly from: 'cursor' | 'keyframe' | 'cached keyframe' | 'top';
  readonly eventsFolded: number;
}

/** Where a seek's fold stopped: the cursor to play on from and the state there. */
interface Landed {
  readonly cursor: Cursor;
  readonly state: PortfolioState;
  /** Folded from an older file's keyframe that listed no alerts (withRecordedAlerts completes them). */
  readonly keyframeLackedAlerts: boolean;
  readonly message: string | undefined;
  /** The keyframe the state was folded on from and the latest receive time folded since (the player's `base`). */
  readonly base: Base;
  readonly path: SeekPath;
}

interface Base {
  readonly seq: number;
  readonly maxAt: number;
}

/** `base` after folding `ev` on top of it. */
function folded(base: Base, ev: FeedEvent): Base {
  return ev.receivedAt > base.maxAt ? { seq: base.seq, maxAt: ev.receivedAt } : base;
}

/** Whether an event lies past a seek's target. */
function isPast(ev: FeedEvent, t: SeekTarget): boolean {
  return 'atMs' in t ? ev.receivedAt > t.atMs : ev.seq > t.seq;
}

/** The player's message for a break in the file. */
function stoppedAt(e: RecordingError): string {
  return `stopped at ${e.file.split(/[\\/]/).pop()}:${e.line}: ${e.detail}`;
}

interface Cursor {
  readonly it: AsyncGenerator<RecordingItem, ReadSummary>;
  /** The next event, read but not yet played. */
  pending?: FeedEvent;
  done: boolean;
}

/** Yields to the event loop (keys, renders) between slices of a fast replay. */
const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The longest a playing player sleeps before looking at its clock again (a speed change wakes it at once). */
const TICK_MS = 100;
/** A slice of work at max speed before yielding to the terminal. */
const SLICE_MS = 12;

export class ReplayPlayer implements ReplayControls {
  private stateValue: PortfolioState = INITIAL_STATE;
  private readonly eventSubject = new Subject<FeedEvent>();
  private readonly listeners = new Set<(kind: 'status' | 'replaced') => void>();
  private readonly realNow: () => number;
  private cursor: Cursor | undefined;
  /** Bumped by every seek, pause and close: a loop from an older generation stops at its next step. */
  private gen = 0;
  private pumping = false;
  private wakeUp: (() => void) | undefined;
  private speed: Speed;
  private paused = true;
  private ended = false;
  private seeking = false;
  /** The marker a seek in flight is going to (markerBase). */
  private markerTarget: { readonly seq: number; readonly gen: number } | undefined;
  private message: string | undefined;
  /** Clock anchor: recorded time `anchorAt` was on screen at real time `anchorReal`. */
  private anchorAt: number;
  private anchorReal: number;
  private readonly markers: Marker[] = [];
  private integrity: Integrity = { state: 'checking', events: 0 };
  /** The account and base currency the recording's events name (the scan finds them). */
  private readonly named = new RecordedIdentity(MARKER_EVENT_TYPES);
  private scanStarted = false;
  private lastSeqKnown: number | undefined;
  private lastAtKnown: number | undefined;
  private closed = false;
  /** The playing loop while it runs: a seek waits for it to stop before taking over its cursor. */
  private pumpDone: Promise<void> | undefined;
  /** The keyframe the state was folded on from (0: the top) and the latest receive time folded since (canFoldOn). */
  private base: Base = { seq: 0, maxAt: Number.NEGATIVE_INFINITY };
  private lastSeekValue: SeekPath | undefined;
  /** The last keyframe a seek decoded, for the next seek that starts from it. */
  private lastKeyframe: { readonly entry: IndexEntry; readonly state: PortfolioState; readonly lackedAlerts: boolean } | undefined;

  /** Every event played, in order (seeks replace the state without replaying events here). */
  readonly events$: Observable<FeedEvent>;

  private constructor(
    readonly file: string,
    readonly header: RecordingHeader,
    private readonly index: readonly IndexEntry[],
    opts: PlayerOptions,
  ) {
    this.realNow = opts.now ?? Date.now;
    this.speed = opts.speed ?? 1;
    this.events$ = this.eventSubject.asObservable();
    this.anchorAt = header.startedAtMs;
    this.anchorReal = this.realNow();
    const last = index[index.length - 1];
    if (last) {
      this.lastSeqKnown = last.seq;
      this.lastAtKnown = last.at;
    }
  }

  /**
   * Opens a recording paused at its start. Throws RecordingError when the header cannot be read or is of an
   * unsupported schema (nothing can be shown then); anything wrong later in the file is reported by the scan.
   */
  static async open(file: string, opts: PlayerOptions = {}): Promise<ReplayPlayer> {
    const header = await readHeader(file);
    const index = await loadIndex(file);
    const p = new ReplayPlayer(file, header, index, opts);
    await p.toStart();
    if (opts.scan === undefined || opts.scan === true) p.startScan();
    return p;
  }

  /** Starts the verification and marker scan in the background, once (a second call, or one after close, does nothing). */
  startScan(): void {
    if (this.scanStarted || this.closed) return;
    this.scanStarted = true;
    void this.scan();
  }

  get state(): PortfolioState {
    return this.stateValue;
  }

  status(): ReplayStatus {
    return {
      file: this.file,
      header: this.header,
      ...((this.header.account ?? this.named.account) ? { account: (this.header.account ?? this.named.account)! } : {}),
      ...((this.header.baseCurrency ?? this.named.baseCurrency) ? { baseCurrency: (this.header.baseCurrency ?? this.named.baseCurrency)! } : {}),
      at: this.clock(),
      seq: this.stateValue.lastSeq,
      firstAt: this.header.startedAtMs,
      ...(this.lastSeqKnown !== undefined ? { lastSeq: this.lastSeqKnown } : {}),
      ...(this.lastAtKnown !== undefined ? { lastAt: this.lastAtKnown } : {}),
      speed: this.speed,
      paused: this.paused,
      ended: this.ended,
      markers: this.markers,
      integrity: this.integrity,
      seeking: this.seeking,
      ...(this.message !== undefined ? { message: this.message } : {}),
    };
  }

  clock(): number {
    if (this.paused || this.speed === 'max' || this.seeking) return this.anchorAt;
    const t = this.anchorAt + (this.realNow() - this.anchorReal) * this.speed;
    // Never ahead of the next unplayed event: the panes show the state at the time on the clock.
    const next = this.cursor?.pending?.receivedAt;
    return next !== undefined ? Math.min(t, next) : t;
  }

  onChange(listener: (kind: 'status' | 'replaced') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  togglePause(): void {
    if (this.paused) this.play();
    else this.pause();
  }

  play(): void {
    if (this.closed || !this.paused) return;
    if (this.ended) {
      this.say('at the end of the recording (g goes back to the start)');
      return;
    }
    this.paused = false;
    this.message = undefined;
    this.anchorReal = this.realNow();
    this.changed();
    this.startPump();
  }

  pause(): void {
    if (this.paused) return;
    this.anchorAt = this.clock();
    this.paused = true;
    this.gen++;
    this.wake();
    this.changed();
  }

  faster(): void {
    const i = SPEEDS.indexOf(this.speed);
    this.setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, i + 1)]!);
  }

  slower(): void {
    const i = SPEEDS.indexOf(this.speed);
    this.setSpeed(SPEEDS[Math.max(0, i - 1)]!);
  }

  setSpeed(s: Speed): void {
    if (s === this.speed) return;
    // Re-anchor so the clock continues from where it is, at the new rate.
    this.anchorAt = this.clock();
    this.anchorReal = this.realNow();
    this.speed = s;
    this.wake();
    this.changed();
  }

  async step(): Promise<void> {
    if (this.seeking) return;
    this.pause();
    const c = this.cursor;
    if (!c) return;
    const ev = await this.peek(c);
    if (c !== this.cursor) return;
    if (!ev) {
      this.finish(c);
      return;
    }
    this.apply(c, ev);
    this.anchorAt = ev.receivedAt;
    this.changed();
  }

  toStart(): Promise<void> {
    return this.seekTo({ seq: 0 });
  }

  toEnd(): Promise<void> {
    return this.seekTo({ seq: Number.MAX_SAFE_INTEGER });
  }

  /**
   * Where the state is, or will be once the seek in flight lands: `]` pressed twice quickly goes two markers on, not
   * twice to the same one (the second press comes before the first seek has moved the state).
   */
  private get markerBase(): number {
    const t = this.markerTarget;
    // Only while that very seek is running: anything else that moved the player since (a step, another seek) owns it.
    return t !== undefined && t.gen === this.gen && this.seeking ? t.seq : this.stateValue.lastSeq;
  }

  private seekToMarker(m: Marker): Promise<void> {
    const done = this.seekTo({ seq: m.seq });
    this.markerTarget = { seq: m.seq, gen: this.gen };
    return done;
  }

  async nextMarker(): Promise<Marker | undefined> {
    const m = nextMarker(this.markers, this.markerBase);
    if (!m) {
      this.say(this.integrity.state === 'checking' ? 'no later marker found yet (still reading the file)' : 'no later marker');
      return undefined;
    }
    await this.toMarker(m);
    return m;
  }

  async prevMarker(): Promise<Marker | undefined> {
    const m = prevMarker(this.markers, this.markerBase);
    if (!m) {
      this.say('no earlier marker');
      return undefined;
    }
    await this.toMarker(m);
    return m;
  }

  /** Lands just after the marked event (it is folded), so the panes show what the marker names. */
  async toMarker(m: Marker): Promise<void> {
    this.pause();
    await this.seekToMarker(m);
    this.say(m.label);
  }

  /**
   * The state at a target, then playback continues from there if it was playing. Targets past a break in the
   * file stop at the last good event. Everything here is verified as it is read, like playing.
   */
  async seekTo(target: SeekTarget): Promise<void> {
    if (this.closed) return;
    const gen = ++this.gen;
    this.wake();
    const wasPlaying = !this.paused;
    this.seeking = true;
    this.changed();
    const broken = this.integrity.state === 'broken' ? this.integrity : undefined;
    let t: SeekTarget = target;
    if (broken && ('seq' in t ? t.seq > broken.lastGoodSeq : t.atMs > broken.lastGoodAt)) t = { seq: broken.lastGoodSeq };
    let from: IndexEntry | undefined;
    for (const e of this.index) if ('atMs' in t ? e.at <= t.atMs : e.seq <= t.seq) from = e;
    // The playing loop reads the cursor this seek may take over: it must have stopped (it does at its next step).
    if (this.pumpDone) await this.pumpDone;
    if (gen !== this.gen) return;
    const landed = this.canFoldOn(t, from) ? await this.foldOn(gen, t) : await this.foldFromKeyframe(gen, t, from);
    if (!landed) return;
    const { cursor, message } = landed;
    let { state } = landed;
    // A keyframe of an older file without alerts (none, or not kept) is completed from the top of the file (seek.ts).
    const plain = state;
    state = await withRecordedAlerts(this.file, state, landed.keyframeLackedAlerts).catch(() => plain);
    if (gen !== this.gen) {
      await cursor.it.return(undefined as never).catch(() => undefined);
      return;
    }
    this.cursor = cursor;
    this.stateValue = state;
    this.base = landed.base;
    this.lastSeekValue = landed.path;
    this.seeking = false;
    this.ended = cursor.done && cursor.pending === undefined;
    const first = this.header.startedAtMs;
    this.anchorAt = 'atMs' in t ? Math.max(t.atMs, first) : state.lastSeq > 0 ? this.atOf(state) : first;
    this.anchorReal = this.realNow();
    this.message = message;
    if (this.ended) {
      this.paused = true;
      if (this.lastAtKnown !== undefined) this.anchorAt = Math.min(this.anchorAt, this.lastAtKnown);
    }
    this.changed('replaced');
    if (wasPlaying && !this.ended) {
      this.paused = false;
      this.startPump();
    }
  }

  /**
   * Whether a seek can fold on from where the player is instead of from a keyframe: the target is ahead of the
   * state, no keyframe lies between them (decoding one costs more than the events it saves), and the cursor has not
   * stopped at the end or at a break. A target in time also needs every event folded since the state's keyframe to be
   * no later than it, so that the fold from that keyframe would not have stopped earlier (recorded times can step back).
   */
  private canFoldOn(t: SeekTarget, from: IndexEntry | undefined): boolean {
    const c = this.cursor;
    const state = this.stateValue;
    if (!c || (c.done && c.pending === undefined)) return false;
    if ((from?.seq ?? 0) > state.lastSeq) return false;
    if ('seq' in t) return t.seq >= state.lastSeq;
    return (from?.seq ?? 0) >= this.base.seq && this.base.maxAt <= t.atMs;
  }

  /** The fold on from the player's own cursor and state (canFoldOn); undefined when a newer seek took over. */
  private async foldOn(gen: number, t: SeekTarget): Promise<Landed | undefined> {
    const c = this.cursor!;
    // Detached while it is read: a seek that comes meanwhile starts from a keyframe instead of reading it too.
    this.cursor = undefined;
    let state = this.stateValue;
    let base = this.base;
    let eventsFolded = 0;
    let message: string | undefined;
    let ev = c.pending;
    c.pending = undefined;
    for (;;) {
      if (ev === undefined) {
        if (c.done) break;
        try {
          const r = await c.it.next();
          if (gen !== this.gen) {
            await c.it.return(undefined as never).catch(() => undefined);
            return undefined;
          }
          if (r.done) {
            c.done = true;
            this.noteEnd(r.value);
            break;
          }
          if (r.value.kind !== 'event') continue;
          ev = r.value.event;
        } catch (e) {
          if (!(e instanceof RecordingError)) throw e;
          c.done = true;
          message = stoppedAt(e);
          break;
        }
      }
      if (isPast(ev, t)) {
        c.pending = ev;
        break;
      }
      state = reduce(state, ev);
      base = folded(base, ev);
      eventsFolded++;
      ev = undefined;
    }
    return { cursor: c, state, keyframeLackedAlerts: false, message, base, path: { from: 'cursor', eventsFolded } };
  }

  /** The state at `t` folded from the last keyframe before it (or the top); undefined when a newer seek took over. */
  private async foldFromKeyframe(gen: number, t: SeekTarget, from: IndexEntry | undefined): Promise<Landed | undefined> {
    await this.closeCursor();
    if (gen !== this.gen) return undefined;
    // The keyframe decoded last, when it is the one to start from again (a seek back within the same interval, the
    // same marker twice): states are immutable, so it is reused and its line only hash-checked.
    const cached = from && this.lastKeyframe?.entry === from ? this.lastKeyframe : undefined;
    // Let go of another keyframe's state before decoding this one: two of them alive at once cost the collector.
    if (!cached) this.lastKeyframe = undefined;
    // From the top, only a rotated file's base keyframe (line 2) is needed; any later one is skipped undecoded
    // (megabytes on big books). Without an index we cannot tell, so the first keyframe is decoded to be safe.
    const baseOnly = this.index.length === 0 || this.index[0]!.line === 2;
    const it = readRecording(
      this.file,
      from
        ? { from: { header: this.header, entry: from }, ...(cached ? { skipKeyframeStates: true } : { firstKeyframeStateOnly: true }) }
        : baseOnly
          ? { firstKeyframeStateOnly: true }
          : { skipKeyframeStates: true },
    );
    const cursor: Cursor = { it, done: false };
    let state: PortfolioState = cached ? cached.state : INITIAL_STATE;
    let keyframeLackedAlerts = cached ? cached.lackedAlerts : false;
    let message: string | undefined;
    let base: Base = { seq: cached ? from!.seq : 0, maxAt: Number.NEGATIVE_INFINITY };
    let eventsFolded = 0;
    try {
      for (;;) {
        const r = await it.next();
        if (gen !== this.gen) {
          await it.return(undefined as never).catch(() => undefined);
          return undefined;
        }
        if (r.done) {
          cursor.done = true;
          this.noteEnd(r.value);
          break;
        }
        const item = r.value;
        if (item.kind === 'keyframe') {
          // The keyframe we started from, or the base keyframe a rotated file opens with.
          if (item.seq > state.lastSeq && (state === INITIAL_STATE || !('seq' in t) || item.seq <= t.seq)) {
            state = item.state;
            keyframeLackedAlerts = item.state.alerts.size === 0 && !keyframesKeepAlerts(this.header);
            base = { seq: item.seq, maxAt: Number.NEGATIVE_INFINITY };
            if (from && item.seq === from.seq && item.line === from.line) this.lastKeyframe = { entry: from, state, lackedAlerts: keyframeLackedAlerts };
          }
          continue;
        }
        if (item.kind !== 'event') continue;
        if (isPast(item.event, t)) {
          cursor.pending = item.event;
          break;
        }
        state = reduce(state, item.event);
        base = folded(base, item.event);
        eventsFolded++;
      }
    } catch (e) {
      if (!(e instanceof RecordingError)) throw e;
      cursor.done = true;
      message = stoppedAt(e);
    }
    const path: SeekPath = { from: cached ? 'cached keyframe' : from ? 'keyframe' : 'top', eventsFolded };
    return { cursor, state, keyframeLackedAlerts, message, base, path };
  }

  /** Stops playing and the scan; the player cannot be used after. */
  async close(): Promise<void> {
    this.closed = true;
    this.paused = true;
    this.gen++;
    this.wake();
    await this.closeCursor();
    this.eventSubject.complete();
    this.listeners.clear();
  }

  /** How the last seek that landed was done (tests, benchmarks). */
  lastSeek(): SeekPath | undefined {
    return this.lastSeekValue;
  }

  /** Resolves once the verification scan has finished, starting it if it was left for later (tests, benchmarks). */
  async scanned(): Promise<Integrity> {
    this.startScan();
    while (this.integrity.state === 'checking' && !this.closed) await new Promise((r) => setTimeout(r, 20));
    return this.integrity;
  }

  /** Resolves when playback reaches the end (or stops at a break). */
  async finished(): Promise<void> {
    while (!this.ended && !this.closed) await new Promise((r) => setTimeout(r, 10));
  }

  // --- internals -------------------------------------------------------------------------------------------

  /** The recorded time of the state's last event (the clock after a seek by seq). */
  private atOf(state: PortfolioState): number {
    return Math.max(this.header.startedAtMs, state.lastEventAt);
  }

  private say(text: string): void {
    this.message = text;
    this.changed();
  }

  private changed(kind: 'status' | 'replaced' = 'status'): void {
    for (const l of [...this.listeners]) l(kind);
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async closeCursor(): Promise<void> {
    const c = this.cursor;
    this.cursor = undefined;
    if (c && !c.done) await c.it.return(undefined as never).catch(() => undefined);
  }

  private noteEnd(summary: ReadSummary): void {
    this.lastSeqKnown = summary.lastSeq;
    // A read begun at the closing keyframe sees no event, so its lastAt is 0 (G showed 00:00:00): keep what we know.
    if (summary.events > 0) this.lastAtKnown = summary.lastAt;
  }

  /** The next unplayed event, reading it if needed; undefined at the end (or a break, which sets the message). */
  private async peek(c: Cursor): Promise<FeedEvent | undefined> {
    while (c.pending === undefined && !c.done) {
      try {
        const r = await c.it.next();
        if (r.done) {
          c.done = true;
          this.noteEnd(r.value);
        } else if (r.value.kind === 'event') c.pending = r.value.event;
      } catch (e) {
        if (!(e instanceof RecordingError)) throw e;
        c.done = true;
        this.message = stoppedAt(e);
      }
    }
    return c.pending;
  }

  private apply(c: Cursor, ev: FeedEvent): void {
    c.pending = undefined;
    this.stateValue = reduce(this.stateValue, ev);
    this.base = folded(this.base, ev);
    this.eventSubject.next(ev);
  }

  private finish(c: Cursor): void {
    if (c !== this.cursor) return;
    this.anchorAt = this.speed === 'max' || this.paused ? this.anchorAt : this.clock();
    if (this.lastAtKnown !== undefined && this.lastSeqKnown === this.stateValue.lastSeq) this.anchorAt = this.lastAtKnown;
    this.ended = true;
    this.paused = true;
    this.gen++;
    this.changed();
  }

  private startPump(): void {
    if (this.pumping) {
      this.wake();
      return;
    }
    const done = this.pump();
    this.pumpDone = done;
    void done.finally(() => {
      if (this.pumpDone === done) this.pumpDone = undefined;
    });
  }

  /** Plays while not paused: events whose recorded time has come on the clock, or as fast as possible at max. */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (;;) {
        const gen = this.gen;
        const c = this.cursor;
        if (this.paused || this.closed || !c || this.seeking) return;
        let sliceEnd = performance.now() + SLICE_MS;
        let ev = await this.peek(c);
        if (gen !== this.gen || c !== this.cursor) continue;
        if (!ev) {
          this.finish(c);
          return;
        }
        if (this.speed === 'max') {
          // As fast as the fold goes, yielding to the terminal every slice so keys and frames still get through.
          while (ev && gen === this.gen) {
            this.apply(c, ev);
            this.anchorAt = ev.receivedAt;
            if (performance.now() >= sliceEnd) {
              await macrotask();
              sliceEnd = performance.now() + SLICE_MS;
            }
            if (gen !== this.gen || this.speed !== 'max') break;
            ev = await this.peek(c);
          }
          if (gen === this.gen && this.speed === 'max' && !ev) this.finish(c);
          if (gen === this.gen && this.speed !== 'max') this.anchorReal = this.realNow();
          continue;
        }
        const now = this.realNow();
        const due = this.anchorReal + (ev.receivedAt - this.anchorAt) / this.speed;
        if (due <= now) {
          this.apply(c, ev);
          if (performance.now() >= sliceEnd) await macrotask();
          continue;
        }
        await this.sleep(Math.min(TICK_MS, due - now));
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Reads the whole file once: verifies it and collects the markers, yielding to the terminal as it goes. */
  private async scan(): Promise<void> {
    const named = this.named;
    const it = readRecording(this.file, { skipKeyframeStates: true, decodeTypes: named.types });
    const mem = newMarkerMemory();
    let events = 0;
    let lastSeq = 0;
    let lastAt = this.header.startedAtMs;
    let sliceEnd = performance.now() + SLICE_MS;
    let reported = this.realNow();
    try {
      for (;;) {
        if (this.closed) {
          await it.return(undefined as never);
          return;
        }
        const r = await it.next();
        if (r.done) {
          this.noteEnd(r.value);
          this.integrity = r.value.sealed ? { state: 'sealed', summary: r.value } : { state: 'unsealed', summary: r.value };
          this.changed();
          return;
        }
        const item = r.value;
        if (item.kind === 'seen') {
          lastSeq = item.seq;
          lastAt = item.at;
        } else if (item.kind === 'event') {
          lastSeq = item.event.seq;
          lastAt = item.event.receivedAt;
          const m = markerOf(item.event, mem, this.header.baseCurrency ?? undefined);
          if (m) this.markers.push(m);
          if (named.see(item.event)) this.changed();
        } else continue;
        events++;
        if (performance.now() >= sliceEnd) {
          await macrotask();
          sliceEnd = performance.now() + SLICE_MS;
          if (this.realNow() - reported > 500) {
            reported = this.realNow();
            this.integrity = { state: 'checking', events };
            this.changed();
          }
        }
      }
    } catch (e) {
      if (!(e instanceof RecordingError)) throw e;
      this.integrity = { state: 'broken', problem: e.problem, line: e.line, message: e.message, lastGoodSeq: lastSeq, lastGoodAt: lastAt };
      this.lastSeqKnown = lastSeq;
      this.lastAtKnown = lastAt;
      this.changed();
    }
  }
}
