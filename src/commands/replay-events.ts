// `tws-risk replay FILE --events`: a recording as one text line per event, for grep and review scripts.
import type { TextEvent } from '../model/codec.js';
import { contractLabel, type Contract } from '../model/contract.js';
import { STREAM_OF, type FeedEvent, type FeedEventType } from '../model/events.js';
import { Decimal } from '../model/money.js';
import { readRecording, RecordingError } from '../streams/recording/reader.js';
import type { ScannedEnvelope } from '../streams/recording/event-scan.js';
import { parseAt } from '../streams/replay/state-at.js';
import { EXIT, type CommandIo } from './io.js';
import { EventBytesPrinter, isoOf } from './replay-events-bytes.js';

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
  // Lines printed from their bytes collect in the printer; a decoded event's line goes after them in the batch.
  const printer = new EventBytesPrinter();
  let batch: string[] = [];
  let lines = 0;
  /** Events printed in all, and the recording's start: a --from/--to window that holds none says so. */
  let printed = 0;
  let startedAtMs: number | undefined;
  // Printed lines are printable ASCII: a sink that takes bytes gets them without a string (or its encoding) between.
  const cut = (): void => {
    if (printer.lines === 0) return;
    if (io.outBytes !== undefined && batch.length === 0) io.outBytes(printer.takeBytes());
    else batch.push(printer.take());
  };
  const flush = (): void => {
    cut();
    if (batch.length > 0) io.out(batch.join('\n'));
    batch = [];
    lines = 0;
  };
  let fromMs: number | undefined;
  let toMs: number | undefined;
  // Times are when the console received each event (UTC), not the simulator's or TWS's clock in the panes: a window
  // typed from an execution's time can hold nothing, which an empty output with no word would pass off as a quiet spell.
  const emptyWindowNote = (): void => {
    if (printed > 0 || (fromMs === undefined && toMs === undefined)) return;
    const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
    const what = kinds ? `no ${[...kinds].join('/')} event` : 'no event';
    io.err(
      `tws-risk replay: ${what} received between ${iso(fromMs)} and ${iso(toMs)} (the recording started ${iso(startedAtMs)}; times are when the console received each event, in UTC)`,
    );
  };
  /** An event the reader offers on its bytes: skipped outside --from/--to (the reader yields it as seen), else printed. */
  const takeEvent = (buf: Buffer, start: number, end: number, env: ScannedEnvelope): boolean => {
    if ((toMs !== undefined && env.receivedAt > toMs) || (fromMs !== undefined && env.receivedAt < fromMs)) return true;
    if (!printer.print(buf, start, end, env)) return false;
    printed++;
    if (++lines >= BATCH_LINES) flush();
    return true;
  };
  try {
    // With --kind, the other events are only sequence-checked and timed, never decoded. The decoded ones are only
    // printed: their amounts stay the text they were recorded as (when Decimal would print that same text), which
    // saves building a Decimal and formatting it again for every amount of every line.
    const it = readRecording(file, { skipKeyframeStates: true, decimalsAsText: true, takeEvent, ...(kinds ? { decodeTypes: kinds } : {}) });
    for (;;) {
      const r = await it.next();
      if (r.done) {
        flush();
        if (!r.value.sealed) io.err(`warning: ${file} is not sealed (the writer crashed or is still writing)`);
        emptyWindowNote();
        return EXIT.ok;
      }
      const item = r.value;
      if (item.kind === 'header') {
        for (const [name, text] of [
          ['from', f.from],
          ['to', f.to],
        ] as const) {
          if (text === undefined) continue;
          startedAtMs = item.header.startedAtMs;
          const t = parseAt(text, item.header.startedAtMs);
          if (typeof t === 'string') {
            io.err(`tws-risk replay: ${t.replace('--at', `--${name}`)}`);
            return EXIT.usage;
          }
          if (name === 'from') fromMs = t;
          else toMs = t;
        }
        // An empty window is a usage error, not an empty answer with exit 0 (a script would take it for a quiet day).
        if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
          io.err(`tws-risk replay: --from ${f.from?.trim() ?? ''} is after --to ${f.to?.trim() ?? ''}: no time is in that window`);
          return EXIT.usage;
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
      cut();
      batch.push(eventLine(ev));
      printed++;
      if (++lines >= BATCH_LINES) flush();
    }
    flush();
    emptyWindowNote();
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
