// `tws-risk replay FILE --events`: a recording as one text line per event, for grep and review scripts.
import type { TextEvent } from '../model/codec.js';
import { contractLabel, type Contract } from '../model/contract.js';
import { STREAM_OF, type FeedEvent, type FeedEventType } from '../model/events.js';
import { Decimal } from '../model/money.js';
import { readRecording, RecordingError } from '../streams/recording/reader.js';
import { parseAt } from '../streams/replay/state-at.js';
import { EXIT, type CommandIo } from './io.js';

export interface EventsFlags {
  readonly kind?: string;
  readonly from?: string;
  readonly to?: string;
}

function value(v: unknown): string {
  if (v === null || v === undefined) return '-';
  // Amounts first: they are most of an event's fields, and `in` on a Decimal walks its prototype chain.
  if (v instanceof Decimal) return v.toString();
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && 'conId' in v && 'secType' in v) return JSON.stringify(contractLabel(v as Contract));
  if (typeof (v as { toFixed?: unknown }).toFixed === 'function') return String(v);
  return JSON.stringify(v);
}

/** The ISO text of the last whole second seen: events come many to a second, and a Date per event showed in profiles. */
let isoSecond = Number.NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, from the cached second when ms is a plain non-negative integer. */
function isoOf(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return new Date(ms).toISOString();
  const sec = Math.floor(ms / 1000);
  if (sec !== isoSecond) {
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
    isoSecond = sec;
  }
  const frac = ms - sec * 1000;
  return `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

/** `2026-11-23T14:30:00.040Z #12 priceTicked conId=265598 field=last price=189.85 delayed=false` */
export function eventLine(ev: FeedEvent | TextEvent): string {
  let line = '';
  let seq: unknown;
  let at = 0;
  let type: unknown;
  for (const k in ev) {
    const v = (ev as unknown as Record<string, unknown>)[k];
    if (k === 'seq') seq = v;
    else if (k === 'receivedAt') at = v as number;
    else if (k === 'type') type = v;
    else line += ` ${k}=${value(v)}`;
  }
  return `${isoOf(at)} #${String(seq)} ${String(type)}${line}`;
}

/** Lines per write: one write per event line cost a system call each, most of `--events` on a big recording. */
const BATCH_LINES = 512;

export async function replayEventsCommand(file: string, f: EventsFlags, io: CommandIo): Promise<number> {
  const kinds = f.kind
    ? new Set(
        f.kind
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      )
    : undefined;
  for (const k of kinds ?? []) {
    if (!(k in STREAM_OF)) {
      io.err(`tws-risk replay: unknown event kind ${JSON.stringify(k)} (kinds: ${Object.keys(STREAM_OF).join(', ')})`);
      return EXIT.usage;
    }
  }
  let batch: string[] = [];
  const flush = (): void => {
    if (batch.length > 0) io.out(batch.join('\n'));
    batch = [];
  };
  try {
    let fromMs: number | undefined;
    let toMs: number | undefined;
    // With --kind, the other events are only sequence-checked and timed, never decoded. The decoded ones are only
    // printed: their amounts stay the text they were recorded as (when Decimal would print that same text), which
    // saves building a Decimal and formatting it again for every amount of every line.
    const it = readRecording(file, { skipKeyframeStates: true, decimalsAsText: true, ...(kinds ? { decodeTypes: kinds } : {}) });
    for (;;) {
      const r = await it.next();
      if (r.done) {
        flush();
        if (!r.value.sealed) io.err(`warning: ${file} is not sealed (the writer crashed or is still writing)`);
        return EXIT.ok;
      }
      const item = r.value;
      if (item.kind === 'header') {
        for (const [name, text] of [
          ['from', f.from],
          ['to', f.to],
        ] as const) {
          if (text === undefined) continue;
          const t = parseAt(text, item.header.startedAtMs);
          if (typeof t === 'string') {
            io.err(`tws-risk replay: ${t.replace('--at', `--${name}`)}`);
            return EXIT.usage;
          }
          if (name === 'from') fromMs = t;
          else toMs = t;
        }
        continue;
      }
      if (item.kind === 'seen') {
        if (toMs !== undefined && item.at > toMs) break;
        continue;
      }
      if (item.kind !== 'event') continue;
      const ev = item.event;
      if (toMs !== undefined && ev.receivedAt > toMs) break;
      if (fromMs !== undefined && ev.receivedAt < fromMs) continue;
      if (kinds && !kinds.has(ev.type as FeedEventType)) continue;
      batch.push(eventLine(ev));
      if (batch.length >= BATCH_LINES) flush();
    }
    flush();
    return EXIT.ok;
  } catch (e) {
    // Every good line before the bad one is printed first, as before.
    flush();
    if (e instanceof RecordingError) {
      io.err(`tws-risk replay: ${e.message}`);
      return EXIT.invalid;
    }
    throw e;
  }
}
