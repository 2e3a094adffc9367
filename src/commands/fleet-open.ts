// `tws-risk fleet --open ACCOUNT`: one account's full console, read-only, from its events in the stream (docs/fleet.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { loadSettings } from '../config/load.js';
import { systemClock, type Clock } from '../model/clock.js';
import type { FeedEvent } from '../model/events.js';
import { neutralise } from '../model/text.js';
import { natsUrlProblem, redactedUrl } from '../streams/nats/connect.js';
import { StreamFollower } from '../streams/nats/follow.js';
import type { RiskSummary } from '../streams/nats/summary.js';
import { colorFlag, runConsole } from './console.js';
import { connectForCommand, DEFAULT_STALE_AFTER_MS } from './fleet.js';
import { readEvents, readSummaries } from '../streams/nats/fleet.js';
import { DEFAULT_STREAM } from '../streams/nats/subjects.js';
import { RecordingWriter } from '../streams/recording/writer.js';
import { appVersion } from '../version.js';
import { drawableTerminal, EXIT, terminalNeeded, type CommandIo } from './io.js';
import { replayCommand } from './replay.js';

/*
 * Without --at, opening an account follows its latest session (or the one named) live: the console's panes fed by
 * the stream as the publisher sends (src/streams/nats/follow.ts), read-only, the status bar saying where it comes
 * from, how old its last event is, and when the publisher has gone silent. With --at it is a replay:
 * the stream holds every event a publisher sent, seq kept, encoded as a recording encodes them. Opening an account at a moment
 * copies its latest session (or the one named) into a private recording and plays it in the replay console: the
 * same panes, verification, markers and seeking as a recording, read-only by construction (a replay never trades),
 * at the stream's end or at --at. A gap in seq (events the publisher dropped while it was behind) ends the copy
 * there, and says so: the console never shows a state folded over missing events.
 */

export interface FleetOpenFlags {
  readonly nats?: string;
  readonly 'nats-creds'?: string;
  readonly 'nats-stream'?: string;
  readonly open?: string;
  readonly session?: string;
  readonly at?: string;
  readonly color?: string;
  readonly config?: string;
}

/** The events from seq 1 up to the first gap, and what is missing, if anything. */
export function contiguous(events: readonly FeedEvent[]): { events: FeedEvent[]; gap?: { after: number; next: number } } {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const out: FeedEvent[] = [];
  for (const ev of sorted) {
    const want = out.length === 0 ? sorted[0]!.seq : out[out.length - 1]!.seq + 1;
    if (ev.seq < want) continue; // a duplicate delivery
    if (ev.seq > want) return { events: out, gap: { after: want - 1, next: ev.seq } };
    out.push(ev);
  }
  return { events: out };
}

export async function fleetOpenCommand(
  f: FleetOpenFlags,
  io: CommandIo,
  rt: {
    readonly env?: NodeJS.ProcessEnv;
    readonly play?: typeof replayCommand;
    /** Runs the console on the follower (tests read the follower instead of a terminal). */
    readonly follow?: (follower: StreamFollower, f: FleetOpenFlags, io: CommandIo) => Promise<number>;
    readonly clock?: Clock;
    /** The fleet's --stale-after: a publisher silent this long is said silent (default 5 s). */
    readonly staleAfterMs?: number;
  } = {},
): Promise<number> {
  if (!f.nats) {
    io.err('tws-risk fleet: --nats nats://HOST:PORT is required');
    return EXIT.usage;
  }
  const problem = natsUrlProblem(f.nats);
  if (problem) {
    io.err(`tws-risk fleet: --nats ${problem}`);
    return EXIT.usage;
  }
  const account = f.open!;
  const stream = f['nats-stream'] ?? DEFAULT_STREAM;
  const nc = await connectForCommand(f, io, 'fleet', 'tws-risk fleet --open', rt.env);
  if (typeof nc === 'number') return nc;
  let copy: { file: string; dir: string; host: string; session: string; count: number; lastAt: number; gap?: { after: number; next: number } } | undefined;
  try {
    const { summaries } = await readSummaries(nc, stream);
    const mine = summaries.filter((s) => s.account === account && (f.session === undefined || s.session === f.session)).sort((a, b) => b.at - a.at);
    if (mine.length === 0) {
      const accounts = [...new Set(summaries.map((s) => s.account))].sort();
      io.err(
        `tws-risk fleet: no ${f.session ? `session ${f.session} of ` : ''}account ${account} in stream ${stream}; ${accounts.length ? `it has ${accounts.join(', ')}` : 'it has no account yet'}`,
      );
      return EXIT.invalid;
    }
    const pick = mine[0]!;
    if (f.at === undefined) return await followAccount(nc, { f, io, rt, account, stream, pick });
    const read = contiguous(await readEvents(nc, stream, account, pick.session, 1));
    if (read.events.length === 0) {
      io.err(`tws-risk fleet: the stream keeps no event of ${account}'s session ${pick.session} (retention may have removed them)`);
      return EXIT.invalid;
    }
    // Private like every recording: it names the account and every order (docs/security.md).
    const dir = mkdtempSync(join(tmpdir(), 'tws-risk-fleet-'));
    const file = join(dir, `${account}-${pick.session}.jsonl`);
    const first = read.events[0]!;
    const last = read.events[read.events.length - 1]!;
    const writer = new RecordingWriter({
      file,
      appVersion: appVersion(),
      source: 'live',
      account,
      baseCurrency: pick.baseCurrency,
      startedAtMs: first.receivedAt,
      meta: { from: 'nats', stream, session: pick.session, host: pick.host, role: pick.role },
    });
    for (const ev of read.events) writer.append(ev);
    await writer.close(
      read.gap ? `copied from the stream up to a gap (seq ${read.gap.after + 1} to ${read.gap.next - 1} missing)` : 'copied from the stream',
      last.receivedAt,
    );
    copy = { file, dir, host: pick.host, session: pick.session, count: read.events.length, lastAt: last.receivedAt, ...(read.gap ? { gap: read.gap } : {}) };
  } catch (e) {
    io.err(`tws-risk fleet: cannot read ${account}'s events from stream ${stream}: ${(e as Error).message}`);
    return EXIT.cannotConnect;
  } finally {
    await nc.close().catch(() => undefined);
  }
  try {
    io.err(`${account} from ${copy.host} (session ${copy.session}): ${copy.count.toLocaleString('en-US')} events copied from ${stream}; read-only`);
    if (copy.gap)
      io.err(
        `warning: the stream lacks seq ${copy.gap.after + 1} to ${copy.gap.next - 1} (dropped while the publisher was behind): the view ends at seq ${copy.gap.after}`,
      );
    const play = rt.play ?? replayCommand;
    // At the stream's end unless --at: what the account looks like now is why one opens it from the fleet.
    return await play(
      copy.file,
      { at: f.at ?? new Date(copy.lastAt).toISOString(), ...(f.color ? { color: f.color } : {}), ...(f.config ? { config: f.config } : {}) },
      io,
    );
  } finally {
    rmSync(copy.dir, { recursive: true, force: true });
  }
}

/** The live follow: the console on the stream until the operator quits; the connection is the caller's to close. */
async function followAccount(
  nc: NatsConnection,
  o: { f: FleetOpenFlags; io: CommandIo; rt: Parameters<typeof fleetOpenCommand>[2]; account: string; stream: string; pick: RiskSummary },
): Promise<number> {
  const { f, io, rt, account, stream, pick } = o;
  const run = rt?.follow ?? followInConsole;
  // Checked before subscribing: a script learns at once that a follow needs a terminal.
  if (!rt?.follow && (!drawableTerminal(process.stdout) || !drawableTerminal(process.stdin))) {
    io.err(`tws-risk fleet: following an account needs ${terminalNeeded()}; for scripts use \`tws-risk fleet --json\`, or --at TIME for a copy`);
    return EXIT.invalid;
  }
  const follower = await StreamFollower.start({
    nc,
    stream,
    account,
    session: pick.session,
    host: pick.host,
    server: redactedUrl(f.nats!),
    clock: rt?.clock ?? systemClock,
    staleAfterMs: rt?.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
  });
  io.err(`${account} from ${neutralise(pick.host)} (session ${neutralise(pick.session)}): following stream ${stream} live; read-only`);
  try {
    return await run(follower, f, io);
  } finally {
    await follower.close();
  }
}

async function followInConsole(follower: StreamFollower, f: FleetOpenFlags, io: CommandIo): Promise<number> {
  const color = colorFlag(f.color);
  if (color === null) {
    io.err(`tws-risk fleet: --color expects 16, 256, truecolor or auto, got ${JSON.stringify(f.color)}`);
    return EXIT.usage;
  }
  const loaded = loadSettings(f.config);
  for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
  for (const w of loaded.warnings ?? []) io.err(w);
  return runConsole({
    follow: follower,
    mode: 'follow',
    trading: 'readOnly',
    settings: loaded.settings,
    io,
    ...(color ? { color } : {}),
    problems: loaded.problems.map((p) => `Settings: ${p} (using defaults)`),
  });
}
