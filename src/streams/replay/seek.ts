// Seeking in a recording: start from the nearest keyframe before the target (via the seek index), then fold.
import { readFile, stat } from 'node:fs/promises';
import type { FeedEvent } from '../../model/events.js';
import { PMap } from '../../model/pmap.js';
import { foldAlerts } from '../../model/reduce/alerts.js';
import { reduce } from '../../model/reducer.js';
import { INITIAL_STATE, type AlertRow, type PortfolioState } from '../../model/state.js';
import { indexPathOf, type IndexEntry, type RecordingHeader } from '../recording/format.js';
import { readRecording, RecordingError } from '../recording/reader.js';

/** The recording's header (first line only). */
export async function readHeader(file: string): Promise<RecordingHeader> {
  const it = readRecording(file, { skipKeyframeStates: true });
  try {
    const first = await it.next();
    if (!first.done && first.value.kind === 'header') return first.value.header;
    if (first.done) return first.value.header;
    throw new RecordingError(file, 1, 'structure', 'no header');
  } finally {
    await it.return(undefined as never);
  }
}

/** The seek index, or [] when it is missing or unreadable (seeking then reads from the top). */
export async function loadIndex(file: string): Promise<IndexEntry[]> {
  let text: string;
  try {
    text = await readFile(indexPathOf(file), 'utf8');
  } catch {
    return [];
  }
  const out: IndexEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as IndexEntry;
      if (Number.isSafeInteger(e.seq) && Number.isSafeInteger(e.offset) && Number.isSafeInteger(e.line) && typeof e.prevHash === 'string') out.push(e);
    } catch {
      // A torn last line after a crash: the entries before it are still good.
    }
  }
  return out;
}

/** What the seek index says of a file that ends before the keyframes it names (indexPastEnd). */
export interface IndexPastEnd {
  /** The file's size in bytes, read after its index. */
  readonly size: number;
  /** Keyframes the index names at or past that size. */
  readonly missing: number;
  /** The last keyframe the index names. */
  readonly last: IndexEntry;
}

/**
 * Whether the seek index proves the file was longer than it is: a keyframe whose line starts past the file's end.
 * The writer puts an entry in the index just before writing its keyframe at the file's end, so a crash (or a live
 * writer) can leave one entry at the file's size exactly, never beyond it; past it, bytes that were written are
 * gone: the file was truncated or copied short. The size is read after the index, so a writer still appending only
 * makes the file longer than the index knows, never shorter.
 */
export async function indexPastEnd(file: string): Promise<IndexPastEnd | undefined> {
  const entries = await loadIndex(file);
  if (entries.length === 0) return undefined;
  const size = (await stat(file)).size;
  if (!entries.some((e) => e.offset > size)) return undefined;
  return { size, missing: entries.filter((e) => e.offset >= size).length, last: entries[entries.length - 1]! };
}

/**
 * The recorded alerts after event `seq`, folded from the top of the file (alertChanged events and acknowledgements
 * only). Keyframes written before alerts were kept in the state lack them, and a keyframe with no alerts cannot tell
 * "none" from "not kept": a seek that starts from such a keyframe rebuilds them here, so seeking and playing agree
 * (docs/architecture.md "Alerts in state"). A rotated file starts from its base keyframe: alerts raised in an
 * earlier file and not re-raised are not known to it.
 */
export async function recordedAlertsUpTo(file: string, seq: number): Promise<PMap<string, AlertRow>> {
  let alerts = PMap.empty<string, AlertRow>();
  for (const ev of await alertEventsOf(file)) {
    if (ev.seq > seq) break;
    alerts = foldAlerts(alerts, ev);
  }
  return alerts;
}

/** Only these events change the alerts (foldAlerts); every other line is skimmed, not decoded. */
const ALERT_EVENT_TYPES: ReadonlySet<string> = new Set(['alertChanged', 'operatorActed']);
/** Per file (and its size and mtime, so a growing file is read again): the events that change its alerts. */
const alertEventCache = new Map<string, { readonly key: string; readonly events: Promise<readonly FeedEvent[]> }>();

/**
 * The alert-changing events of a file, read once per file version: a player seeks many times, and reading the whole
 * file for each seek (what the first version did) cost seconds per seek on a long recording.
 */
async function alertEventsOf(file: string): Promise<readonly FeedEvent[]> {
  const st = await stat(file);
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = alertEventCache.get(file);
  if (hit?.key === key) return hit.events;
  const events = (async () => {
    const out: FeedEvent[] = [];
    try {
      for await (const item of readRecording(file, { skipKeyframeStates: true, decodeTypes: ALERT_EVENT_TYPES })) {
        if (item.kind === 'event') out.push(item.event);
      }
    } catch (e) {
      // Every line before a bad one is trustworthy (reader.ts); a seek before it must still work.
      if (!(e instanceof RecordingError)) throw e;
    }
    return out;
  })();
  alertEventCache.set(file, { key, events });
  events.catch(() => alertEventCache.delete(file));
  return events;
}

/**
 * Whether a keyframe of this file that lists no alerts means "none": schema-3 writers always keep them, so its
 * keyframes are the whole state and a seek from one never reads the file from the top (a cold seek in a long
 * recording cost seconds). Older keyframes may predate alerts in the state.
 */
export function keyframesKeepAlerts(header: RecordingHeader | undefined): boolean {
  return header !== undefined && header.schemaVersion >= 3;
}

/**
 * `state` with its alerts rebuilt from the top of the file, when it was folded on from a keyframe that listed none
 * (the events after the keyframe then only added to an empty list).
 */
export async function withRecordedAlerts(file: string, state: PortfolioState, keyframeLackedAlerts: boolean): Promise<PortfolioState> {
  if (!keyframeLackedAlerts) return state;
  const alerts = await recordedAlertsUpTo(file, state.lastSeq);
  return alerts.size === 0 && state.alerts.size === 0 ? state : { ...state, alerts };
}

/** Where to stop: at a receive time (inclusive), or after a sequence number. */
export type SeekTarget = { readonly atMs: number } | { readonly seq: number };

export interface SeekResult {
  readonly state: PortfolioState;
  /** The keyframe the fold started from, if the index had one before the target. */
  readonly from?: IndexEntry;
  /** Events folded after it. */
  readonly eventsFolded: number;
}

function before(e: IndexEntry, t: SeekTarget): boolean {
  return 'atMs' in t ? e.at <= t.atMs : e.seq <= t.seq;
}

function past(seq: number, at: number, t: SeekTarget): boolean {
  return 'atMs' in t ? at > t.atMs : seq > t.seq;
}

/**
 * The state at a target: starts at the last indexed keyframe at or before it and folds the events up to it.
 * A keyframe holds exactly the state folded up to its seq, so this equals playing from the start (tested).
 */
export async function seek(file: string, target: SeekTarget, index?: readonly IndexEntry[]): Promise<SeekResult> {
  const entries = index ?? (await loadIndex(file));
  try {
    return await seekFrom(file, target, entries);
  } catch (e) {
    // A damaged index (wrong offset or hash) must not make a good recording unreadable: read from the top.
    if (e instanceof RecordingError && entries.length > 0) return seekFrom(file, target, []);
    throw e;
  }
}

async function seekFrom(file: string, target: SeekTarget, entries: readonly IndexEntry[]): Promise<SeekResult> {
  let from: IndexEntry | undefined;
  for (const e of entries) if (before(e, target)) from = e;
  const header = from ? await readHeader(file) : undefined;
  const it = readRecording(file, from && header ? { from: { header, entry: from } } : { skipKeyframeStates: true });
  let state: PortfolioState = INITIAL_STATE;
  let eventsFolded = 0;
  let keyframeLackedAlerts = false;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      const item = r.value;
      if (item.kind === 'keyframe') {
        if (item.seq > state.lastSeq && !past(item.seq, item.at, target)) {
          state = item.state;
          keyframeLackedAlerts = item.state.alerts.size === 0 && !keyframesKeepAlerts(header);
        }
        continue;
      }
      if (item.kind !== 'event') continue;
      if (past(item.event.seq, item.event.receivedAt, target)) break;
      state = reduce(state, item.event);
      eventsFolded++;
    }
  } finally {
    await it.return(undefined as never);
  }
  state = await withRecordedAlerts(file, state, keyframeLackedAlerts);
  return { state, ...(from ? { from } : {}), eventsFolded };
}
