// The state a recording describes at a moment: fold its events up to a time (replay never opens a socket).
import { reduce } from '../../model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../model/state.js';
import type { IndexEntry } from '../recording/format.js';
import { DECODE_RECORDED_FACTS, readRecording, type ReadSummary } from '../recording/reader.js';
import { keyframesKeepAlerts, loadIndex, readHeader } from './seek.js';

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

/**
 * The state after the recording's events received at or before `atMs` (all of them when undefined). The whole file
 * up to there is checked line by line as always, but a schema-3 file with a seek index is folded from its last
 * keyframe before the target: the events before it are only checked, not decoded nor reduced (a keyframe is exactly
 * the state folding up to it gives; docs/recording-format.md). `events` counts every event up to the target either
 * way.
 */
export async function stateAt(file: string, atMs?: number): Promise<StateAt> {
  const from = await keyframeBefore(file, atMs);
  if (from) {
    const r = await stateFromKeyframe(file, from, atMs);
    // An index that does not match the file (another file's, or damaged) only costs the fold from the top.
    if (r) return r;
  }
  return stateFromTop(file, atMs);
}

/** The index entry to fold on from, when the file's keyframes are whole states (schema 3) and one lies before the target. */
async function keyframeBefore(file: string, atMs: number | undefined): Promise<IndexEntry | undefined> {
  const index = await loadIndex(file);
  let from: IndexEntry | undefined;
  for (const e of index) if (atMs === undefined || e.at <= atMs) from = e;
  if (!from) return undefined;
  try {
    if (!keyframesKeepAlerts(await readHeader(file))) return undefined;
  } catch {
    return undefined; // the fold from the top says what is wrong with the file
  }
  return from;
}

async function stateFromKeyframe(file: string, from: IndexEntry, atMs: number | undefined): Promise<StateAt | undefined> {
  let state = INITIAL_STATE;
  let based = false;
  let events = 0;
  const it = readRecording(file, { decodeFromLine: from.line, decodeTypes: DECODE_RECORDED_FACTS });
  for (;;) {
    const r = await it.next();
    if (r.done) return based ? { state, summary: r.value, events } : undefined;
    const item = r.value;
    if (item.kind === 'keyframe') {
      if (item.line === from.line && item.seq === from.seq) {
        state = item.state;
        based = true;
      }
      continue;
    }
    if (item.kind !== 'event' && item.kind !== 'seen') continue;
    const at = item.kind === 'event' ? item.event.receivedAt : item.at;
    if (atMs !== undefined && at > atMs) {
      await it.return(undefined as never);
      return based ? { state, events } : undefined;
    }
    events++;
    if (item.line < from.line) continue;
    if (!based) {
      await it.return(undefined as never);
      return undefined;
    }
    if (item.kind === 'event') state = reduce(state, item.event);
  }
}

async function stateFromTop(file: string, atMs: number | undefined): Promise<StateAt> {
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
