// FlightRecorder: appends every FeedEvent to a recording and writes keyframes on a count or time cadence.
import type { FeedEvent } from '../model/events.js';
import type { PortfolioState } from '../model/state.js';
import type { RecordingWriter } from './recording/writer.js';

export interface KeyframePolicy {
  /** A keyframe after this many events since the last one. */
  readonly everyEvents: number;
  /** A keyframe when this much receive time passed since the last one (ms). */
  readonly everyMs: number;
}

/** Keyframes bound the work of a seek: at most `everyEvents` events are replayed after the nearest keyframe. */
export const DEFAULT_KEYFRAME_POLICY: KeyframePolicy = { everyEvents: 5_000, everyMs: 60_000 };

export class FlightRecorder {
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

  /** Writes a final keyframe (if anything happened since the last) and seals the file. */
  async close(reason: string, finalState?: PortfolioState, endedAtMs: number = Date.now()): Promise<void> {
    if (finalState && this.sinceKeyframe > 0) this.writer.keyframe(finalState);
    await this.writer.close(reason, endedAtMs);
  }
}
