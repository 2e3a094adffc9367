// The subject layout and the JetStream stream of a deployment (docs/fleet.md "Subjects").
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

export const SUBJECT_ROOT = 'tws-risk';
export const DEFAULT_STREAM = 'TWS_RISK';
/** Retention defaults: a week of events, at most 1 GiB; the oldest go first (docs/fleet.md "Retention"). */
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600_000;
export const DEFAULT_MAX_BYTES = 1024 ** 3;

/**
 * An account id as one subject token: IBKR ids are letters and digits, but a token must never carry `.`, `*`, `>` or
 * white space, which would publish somewhere else (or be refused), so anything else becomes `_`.
 */
export function accountToken(account: string): string {
  return account.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

export const eventsSubject = (account: string) => `${SUBJECT_ROOT}.${accountToken(account)}.events`;
/**
 * One summary subject per account and source (host, role and instance), so that the stream's last message per subject
 * is the last word of each publisher: a console and a guard on the same account, two hosts, or two guards (two consoles)
 * of one host (each its own TWS client id: the instance) never hide each other. The instance is stable across a restart, so a
 * restarted guard replaces its own row rather than leaving a stale one beside it.
 */
export const summarySubject = (account: string, host: string, role: string, instance?: string) =>
  `${SUBJECT_ROOT}.${accountToken(account)}.summary.${accountToken(`${host}-${role}${instance ? `-${instance}` : ''}`)}`;
export const commandSubject = (account: string) => `${SUBJECT_ROOT}.${accountToken(account)}.command`;
/** Every account's summary: what `fleet` reads, last message per subject. */
export const ALL_SUMMARIES = `${SUBJECT_ROOT}.*.summary.*`;

/** Headers every event and summary carries: who published it, in which session (a restart starts seq at 1 again). */
export const HDR_SESSION = 'Tws-Risk-Session';
export const HDR_HOST = 'Tws-Risk-Host';

export interface StreamLimits {
  readonly name: string;
  readonly maxAgeMs: number;
  readonly maxBytes: number;
}

export const DEFAULT_LIMITS: StreamLimits = { name: DEFAULT_STREAM, maxAgeMs: DEFAULT_MAX_AGE_MS, maxBytes: DEFAULT_MAX_BYTES };

/**
 * Creates the stream when it is missing; an existing one is left as its operator configured it. Events and summaries
 * share it: summaries keep only the last few per subject (the fleet needs the last), events are kept by age and size.
 */
export async function ensureStream(jsm: JetStreamManager, l: StreamLimits): Promise<void> {
  try {
    await jsm.streams.info(l.name);
    return;
  } catch (e) {
    if (!/not found/i.test((e as Error).message)) throw e;
  }
  const config: Partial<StreamConfig> & { name: string } = {
    name: l.name,
    subjects: [`${SUBJECT_ROOT}.*.events`, ALL_SUMMARIES],
    max_age: nanos(l.maxAgeMs),
    max_bytes: l.maxBytes,
    max_msgs_per_subject: -1,
    duplicate_window: nanos(120_000),
  };
  await jsm.streams.add(config);
}
