// Reads a deployment's stream: the last summary of every publisher (fleet) and one account's events by seq (gap fill).
import { DeliverPolicy, jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
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
  each: (data: string, session: string | undefined) => void,
): Promise<void> {
  const c = await js.consumers.get(stream, { filter_subjects: o.filter, deliver_policy: o.deliver });
  // Fetched until the server says nothing is pending (or a fetch brings nothing: an empty stream, or it stopped).
  for (;;) {
    const batch = await c.fetch({ max_messages: 1_000, expires: FETCH_EXPIRES_MS, idle_heartbeat: 1_000 });
    let got = 0;
    let pending = 0;
    for await (const m of batch) {
      got++;
      each(m.string(), m.headers?.get(HDR_SESSION) || undefined);
      pending = m.info.pending;
      if (pending === 0) break;
    }
    if (got === 0 || pending === 0) break;
  }
  await c.delete().catch(() => undefined);
}

/** The last summary of every publisher in the stream, and the messages that were not summaries (named, skipped). */
export async function readSummaries(nc: NatsConnection, stream: string): Promise<{ summaries: RiskSummary[]; skipped: string[] }> {
  const summaries: RiskSummary[] = [];
  const skipped: string[] = [];
  await readAll(jetstream(nc), stream, { filter: ALL_SUMMARIES, deliver: DeliverPolicy.LastPerSubject }, (data) => {
    const s = decodeSummary(data);
    if (typeof s === 'string') skipped.push(s);
    else summaries.push(s);
  });
  return { summaries, skipped };
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
