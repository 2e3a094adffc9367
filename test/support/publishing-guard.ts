// A guard daemon publishing one simulator's account to NATS, in a scratch directory of its own: the fleet tests' publisher.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGuard, type GuardFlags, type GuardHandle, type GuardRuntime } from '../../src/commands/guard.js';
import type { CommandIo } from '../../src/commands/io.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { connect } from '@nats-io/transport-node';
import { readSummaries } from '../../src/streams/nats/fleet.js';
import { DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { waitFor } from '../sim/helpers.js';

/** A policy that only tells: for publishers whose actions are not what a test looks at. */
export const NOTIFY_POLICY = { rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] };

export interface PublishingGuardOptions {
  /** Its own directory (policy, status, audit, data directory, recording), made here. */
  readonly dir: string;
  /** The simulator's API port. */
  readonly port: number;
  readonly clientId: number;
  /** --publish: a NATS URL, or a list of them. */
  readonly publish: string;
  readonly policy?: object;
  /** Records to `<dir>/guard.jsonl` (else --no-record). */
  readonly record?: boolean;
  /** More flags (--trade --confirm-account). */
  readonly flags?: Partial<GuardFlags>;
  /** More runtime (the source's timings, the action timeout). */
  readonly runtime?: GuardRuntime;
}

export interface PublishingGuard {
  readonly h: GuardHandle;
  /** Everything the guard printed, both streams. */
  readonly lines: string[];
  /** The recording's path, when it records. */
  readonly recording: string | undefined;
}

/** Starts the guard (it evaluates every 100 ms); throws with what it printed when it does not start. */
export async function startPublishingGuard(o: PublishingGuardOptions): Promise<PublishingGuard> {
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(join(o.dir, 'policy.json'), JSON.stringify(o.policy ?? NOTIFY_POLICY));
  const lines: string[] = [];
  const io: CommandIo = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
  const recording = o.record ? join(o.dir, 'guard.jsonl') : undefined;
  const h = await startGuard(
    {
      policy: join(o.dir, 'policy.json'),
      port: String(o.port),
      'client-id': String(o.clientId),
      ...(recording ? { record: recording } : { 'no-record': true }),
      'status-file': join(o.dir, 'status.json'),
      publish: o.publish,
      ...o.flags,
    },
    io,
    {
      evalMs: 100,
      auditDir: join(o.dir, 'audit'),
      settings: DEFAULT_SETTINGS,
      env: { ...process.env, TWS_RISK_DATA_DIR: join(o.dir, 'data') },
      ...o.runtime,
    },
  );
  if (typeof h === 'number') throw new Error(`guard did not start (exit ${h}):\n${lines.join('\n')}`);
  return { h, lines, recording };
}

/** The guard is ready and its publisher has started (its log says so). */
export function isPublishing(g: PublishingGuard): boolean {
  return g.h.status().connection.health === 'ready' && g.lines.some((l) => l.includes('event=publish.start'));
}

/** The guard is ready, not blocked, and listens for operators' commands (its log says so). */
export function isListening(g: PublishingGuard): boolean {
  return g.h.status().connection.health === 'ready' && g.h.status().blocked === null && g.lines.some((l) => l.includes('event=command.listening'));
}

/**
 * Waits until the guard's summaries in the stream list its rules: what `fleet command` reads to choose the guard it
 * asks (a summary goes out once a second, so this is up to a second after its log says it listens).
 */
export async function waitListed(g: PublishingGuard, servers: string, o: { user?: string; pass?: string } = {}): Promise<void> {
  const line = g.lines.find((l) => l.includes('event=publish.start'));
  const session = line && /\bsession=(\S+)/.exec(line)?.[1];
  const nc = await connect({ servers, ...o });
  try {
    await waitFor(
      async () => (await readSummaries(nc, DEFAULT_STREAM)).summaries.some((s) => s.session === session && (s.commands?.length ?? 0) > 0) || undefined,
      30_000,
      "the guard's summary listing its rules",
    );
  } finally {
    await nc.close();
  }
}
