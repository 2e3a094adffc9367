// Reads a deployment's stream: the last summary of every publisher (fleet) and one account's events by seq (gap fill).
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { nanos, nuid, type NatsConnection } from '@nats-io/transport-node';
import { decodeEvent } from '../../model/codec.js';
import type { FeedEvent } from '../../model/events.js';
import { ALL_SUMMARIES, eventsSubject, HDR_SESSION } from './subjects.js';
import { decodeSummary, type RiskSummary } from './summary.js';

/** How long a read waits for the server to deliver what it said is pending. */
const FETCH_EXPIRES_MS = 5_000;

async function readAll(
  js: JetStreamClient,
  stream: string,
  o: { filter: string; deliver: DeliverPolicy },
  each: (data: string, session: string | undefined, subject: string) => void,
): Promise<void> {
  const c = await js.consumers.get(stream, { filter_subjects: o.filter, deliver_policy: o.deliver });
  // Fetched until the server says nothing is pending (or a fetch brings nothing: an empty stream, or it stopped).
  for (;;) {
    const batch = await c.fetch({ max_messages: 1_000, expires: FETCH_EXPIRES_MS, idle_heartbeat: 1_000 });
    let got = 0;
    let pending = 0;
    for await (const m of batch) {
      got++;
      each(m.string(), m.headers?.get(HDR_SESSION) || undefined, m.subject);
      pending = m.info.pending;
      if (pending === 0) break;
    }
    if (got === 0 || pending === 0) break;
  }
  await c.delete().catch(() => undefined);
}

/** The last summary of every publisher in the stream, and the messages that were not summaries (named, skipped). */
export async function readSummaries(nc: NatsConnection, stream: string): Promise<{ summaries: RiskSummary[]; skipped: string[] }> {
  // By subject, the later one kept: the consumer goes on delivering what is published while it is read (a console
  // publishes a summary a second), so on a slow read a publisher's subject came twice and the fleet listed it twice.
  const summaries = new Map<string, RiskSummary>();
  const skipped: string[] = [];
  await readAll(jetstream(nc), stream, { filter: ALL_SUMMARIES, deliver: DeliverPolicy.LastPerSubject }, (data, _session, subject) => {
    const s = decodeSummary(data);
    if (typeof s === 'string') skipped.push(s);
    else summaries.set(subject, s);
  });
  return { summaries: [...summaries.values()], skipped };
}

/**
 * One account's events of one session from `fromSeq` on, decoded by the recording's codec: what a subscriber that saw
 * a gap in seq fetches again. Events of other sessions (a restart, another host on the same account) are left out.
 */
export async function readEvents(nc: NatsConnection, stream: string, account: string, session: string, fromSeq = 1): Promise<FeedEvent[]> {
  const out: FeedEvent[] = [];
  await readAll(jetstream(nc), stream, { filter: eventsSubject(account), deliver: DeliverPolicy.All }, (data, s) => {
    if (s !== session) return;
    const ev = decodeEvent(JSON.parse(data));
    if (ev.seq >= fromSeq) out.push(ev);
  });
  return out;
}

/** An event message as stored: its stream sequence, the session header, the encoded event (decoded by the reader). */
export interface StoredEvent {
  readonly streamSeq: number;
  readonly session: string | undefined;
  readonly data: string;
}

/**
 * At most `max` of an account's event messages (every session's) from stream sequence `from` on, and whether the stream
 * holds more after them: one bounded read of a follower filling a gap, from where the gap can be, never the session's
 * start. The consumer is created by name (the viewer's permissions allow nothing else) and says at once how many
 * messages it has, so a read that finds none returns without waiting for a fetch to expire.
 */
export async function readEventsFrom(
  nc: NatsConnection,
  stream: string,
  account: string,
  from: number,
  max: number,
): Promise<{ messages: StoredEvent[]; more: boolean }> {
  const jsm = await jetstreamManager(nc);
  const ci = await jsm.consumers.add(stream, {
    name: `tws_risk_gap_${nuid.next()}`,
    filter_subject: eventsSubject(account),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, from),
    ack_policy: AckPolicy.None,
    mem_storage: true,
    num_replicas: 1,
    // Removed by the server if this process dies before deleting it.
    inactive_threshold: nanos(60_000),
  });
  const messages: StoredEvent[] = [];
  let pending = ci.num_pending;
  try {
    const want = Math.min(max, ci.num_pending);
    if (want > 0) {
      const c = await jetstream(nc).consumers.get(stream, ci.name);
      const batch = await c.fetch({ max_messages: want, expires: FETCH_EXPIRES_MS, idle_heartbeat: 1_000 });
      for await (const m of batch) {
        messages.push({ streamSeq: m.seq, session: m.headers?.get(HDR_SESSION) || undefined, data: m.string() });
        pending = m.info.pending;
        if (pending === 0 || messages.length >= want) break;
      }
    }
  } finally {
    await jsm.consumers.delete(stream, ci.name).catch(() => undefined);
  }
  return { messages, more: pending > 0 };
}
