// The state a recording describes at a moment: fold its events up to a time (replay never opens a socket).
import { millis, parseIsoTime } from '../../model/iso-time.js';
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

/** The forms `--at`, `--from`, `--to` and the player's goto accept, for their error sentence and the help. */
export const TIME_FORMS = "HH:MM[:SS[.mmm]] (UTC, on the recording's first day) or an ISO-8601 time such as 2026-03-02T14:32:05.250Z";

const TIME_OF_DAY = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * Parses `--at`: HH:MM[:SS[.mmm]] meaning that UTC time on the day the recording started, or an ISO-8601 date or
 * date-time (a fraction of a second to the millisecond, the recording's resolution; no offset means UTC, as for the
 * time of day, never the machine's zone). Returns epoch ms, or an error sentence. Date.parse is not the grammar: it
 * reads "1" as 2001-01-01 and "March 2" as a date in 2001.
 */
export function parseAt(raw: string, recordingStartMs: number): number | string {
  // A time pasted with the spaces around it (a quoted shell argument, a copied log field) is the same time.
  const text = raw.trim();
  const bad = `--at ${JSON.stringify(raw)}: expected ${TIME_FORMS}`;
  const hms = TIME_OF_DAY.exec(text);
  if (hms) {
    const [h, m, s] = [Number(hms[1]), Number(hms[2]), Number(hms[3] ?? 0)];
    if (h > 23 || m > 59 || s > 59) return `--at ${text}: not a time of day (hours 00-23, minutes and seconds 00-59); expected ${TIME_FORMS}`;
    const d = new Date(recordingStartMs);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), h, m, s, millis(hms[4]));
  }
  const t = parseIsoTime(text);
  if (t === 'form') return bad;
  if (t === 'calendar') return `--at ${text}: not a date and time (a day of its month, hours 00-23, minutes and seconds 00-59); expected ${TIME_FORMS}`;
  if (t === 'offset') return `--at ${text}: not a UTC offset (-23:59 to +23:59); expected ${TIME_FORMS}`;
  return t;
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
