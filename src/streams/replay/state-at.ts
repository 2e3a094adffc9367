// The state a recording describes at a moment: fold its events up to a time (replay never opens a socket).
import { reduce } from '../../model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../model/state.js';
import { readRecording, type ReadSummary } from '../recording/reader.js';

export interface StateAt {
  readonly state: PortfolioState;
  /** The summary when the whole file was read (no `at`, or `at` after the last event). */
  readonly summary?: ReadSummary;
  /** Events folded. */
  readonly events: number;
}

/**
 * Parses `--at`: an ISO-8601 time, or HH:MM[:SS] meaning that UTC time on the day the recording started.
 * Returns epoch ms, or an error sentence.
 */
export function parseAt(text: string, recordingStartMs: number): number | string {
  const hms = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (hms) {
    const [h, m, s] = [Number(hms[1]), Number(hms[2]), Number(hms[3] ?? 0)];
    if (h > 23 || m > 59 || s > 59) return `--at ${text}: not a time of day`;
    const d = new Date(recordingStartMs);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), h, m, s);
  }
  const t = Date.parse(text);
  return Number.isNaN(t) ? `--at ${JSON.stringify(text)}: expected an ISO-8601 time or HH:MM[:SS] (UTC)` : t;
}

/** Folds the recording's events received at or before `atMs` (all of them when undefined). */
export async function stateAt(file: string, atMs?: number): Promise<StateAt> {
  let state = INITIAL_STATE;
  let events = 0;
  const it = readRecording(file, { skipKeyframeStates: true });
  for (;;) {
    const r = await it.next();
    if (r.done) return { state, summary: r.value, events };
    if (r.value.kind !== 'event') continue;
    if (atMs !== undefined && r.value.event.receivedAt > atMs) {
      await it.return(undefined as never);
      return { state, events };
    }
    state = reduce(state, r.value.event);
    events++;
  }
}

/** The header's start time, reading only the first line. */
export async function recordingStart(file: string): Promise<number> {
  const it = readRecording(file, { skipKeyframeStates: true });
  try {
    const first = await it.next();
    if (first.done) return first.value.header.startedAtMs;
    if (first.value.kind !== 'header') throw new Error(`${file}: no header`);
    return first.value.header.startedAtMs;
  } finally {
    await it.return(undefined as never);
  }
}
