// A follow starts at the lowest seq the stream holds for the session, blames retention only for what it lost, and fills a gap from where it is.
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/model/clock.js';
import { encodeEvent } from '../../src/model/codec.js';
import type { FeedEvent } from '../../src/model/events.js';
import { StreamFollower, type FollowOptions } from '../../src/streams/nats/follow.js';
import {
  ALL_SUMMARIES,
  DEFAULT_LIMITS,
  ensureStream,
  eventsSubject,
  HDR_HOST,
  HDR_SESSION,
  SUBJECT_ROOT,
  summarySubject,
} from '../../src/streams/nats/subjects.js';
import type { RiskSummary } from '../../src/streams/nats/summary.js';
import { followCells } from '../../src/views/rows/status.js';
import { acct, EventLog } from '../support/events.js';
import { startNatsServer } from '../support/nats-server.js';

const ACCOUNT = 'DU7777777';
const SESSION = 'hostA-1';
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** Polls a condition with a generous deadline; never a fixed sleep. */
async function until<T>(what: string, f: () => T | undefined | false, context: () => string = () => '', ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `n` events of one account, seq 1..n, NLV 100, 101, ... (the last folded NLV says which seq the state is at). */
function session(n: number): FeedEvent[] {
  const log = new EventLog(Date.UTC(2026, 10, 23, 14, 30));
  return log.pushAll(Array.from({ length: n }, (_, i) => acct(ACCOUNT, 'NetLiquidation', String(100 + i), 'USD')));
}

async function rig(stream?: { name: string; maxMsgs: number }): Promise<{ nc: NatsConnection; js: JetStreamClient; name: string }> {
  const nats = await startNatsServer();
  stops.push(() => nats.stop());
  const nc = await connect({ servers: nats.url });
  stops.push(() => nc.close());
  const jsm = await jetstreamManager(nc);
  if (stream)
    // A stream that keeps only its newest messages: retention removes a session's start while it is followed.
    await jsm.streams.add({
      name: stream.name,
      subjects: [`${SUBJECT_ROOT}.*.events`, ALL_SUMMARIES],
      max_msgs: stream.maxMsgs,
      duplicate_window: nanos(120_000),
    });
  else await ensureStream(jsm, DEFAULT_LIMITS);
  return { nc, js: jetstream(nc), name: stream?.name ?? DEFAULT_LIMITS.name };
}

/** Stores one event as the publisher does (session and host headers, msg id), and returns its stream sequence. */
async function send(js: JetStreamClient, ev: FeedEvent, s = SESSION, host = 'hostA', account = ACCOUNT): Promise<number> {
  const h = headers();
  h.set(HDR_SESSION, s);
  h.set(HDR_HOST, host);
  return (await js.publish(eventsSubject(account), encodeEvent(ev), { headers: h, msgID: `${s}:${ev.seq}` })).seq;
}

/** Stores a console's summary of `s` at `at` (its clock), on its host and role's subject, as the publisher does. */
async function sendSummary(js: JetStreamClient, s: string, at: number, host = 'hostA'): Promise<void> {
  const h = headers();
  h.set(HDR_SESSION, s);
  h.set(HDR_HOST, host);
  const summary: RiskSummary = {
    format: 'tws-risk-summary',
    account: ACCOUNT,
    host,
    session: s,
    role: 'console',
    at,
    lastSeq: 0,
    lastEventAt: null,
    health: 'ready',
    baseCurrency: 'USD',
    netLiquidation: null,
    excessLiquidity: null,
    cushion: null,
    worstStress: null,
    alerts: { critical: 0, warning: 0, info: 0 },
    armed: false,
    mode: 'readOnly',
    publishing: { behind: 0, dropped: 0 },
  };
  await js.publish(summarySubject(ACCOUNT, host, 'console'), JSON.stringify(summary), { headers: h, msgID: `${s}:summary:${at}` });
}

async function follow(nc: NatsConnection, stream: string, o: Partial<FollowOptions> = {}): Promise<{ f: StreamFollower; seqs: number[] }> {
  const f = await StreamFollower.start({
    nc,
    stream,
    account: ACCOUNT,
    session: SESSION,
    host: 'hostA',
    server: 'nats://127.0.0.1',
    clock: systemClock,
    staleAfterMs: 60_000,
    refetchMs: 50,
    ...o,
  });
  stops.push(() => f.close());
  const seqs: number[] = [];
  const sub = f.events$.subscribe((ev) => seqs.push(ev.seq));
  stops.push(async () => sub.unsubscribe());
  return { f, seqs };
}

const nlv = (f: StreamFollower) => f.state.accountValues.get('NetLiquidation|USD')?.value?.toString();
const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

describe('where a follow starts', () => {
  it('follows a session whose stream holds seq 2 before seq 1 whole, from seq 1, and blames no retention', async () => {
    const { nc, js, name } = await rig();
    const evs = session(3);
    // A resend after a lost acknowledgement: seq 1 stored after seq 2.
    await send(js, evs[1]!);
    await send(js, evs[0]!);
    await send(js, evs[2]!);
    const { f, seqs } = await follow(nc, name);
    await until(
      'seq 3 folded',
      () => f.state.lastSeq === 3,
      () => JSON.stringify({ status: f.status(), seqs }),
    );
    expect(seqs).toEqual([1, 2, 3]);
    expect(nlv(f)).toBe('102');
    expect(f.status().firstSeq).toBeUndefined();
    expect(f.status().gap).toBeUndefined();
  }, 60_000);

  it('holds a session whose seq 1 is not stored yet as a gap from seq 1 (the stream lost nothing), and folds it when it comes', async () => {
    const { nc, js, name } = await rig();
    const evs = session(3);
    await send(js, evs[1]!);
    await send(js, evs[2]!);
    const { f, seqs } = await follow(nc, name);
    await until(
      'the gap before seq 2 seen',
      () => f.status().gap,
      () => JSON.stringify(f.status()),
    );
    expect(f.status().gap).toEqual({ after: 0, next: 2, held: 2 });
    expect(f.status().firstSeq).toBeUndefined();
    expect(seqs).toEqual([]);
    await send(js, evs[0]!);
    await until(
      'seq 3 folded',
      () => f.state.lastSeq === 3,
      () => JSON.stringify({ status: f.status(), seqs }),
    );
    expect(seqs).toEqual([1, 2, 3]);
    expect(f.status().gap).toBeUndefined();
  }, 60_000);

  it('starts at the lowest seq the stream still holds when retention has removed the session start, and says so', async () => {
    const { nc, js, name } = await rig({ name: 'KEEP_THREE', maxMsgs: 3 });
    const evs = session(5);
    // Stored out of order (4 before 3), then retention keeps the newest three: 4, 3, 5.
    for (const i of [0, 1, 3, 2, 4]) await send(js, evs[i]!);
    const { f, seqs } = await follow(nc, name);
    await until(
      'seq 5 folded',
      () => f.state.lastSeq === 5,
      () => JSON.stringify({ status: f.status(), seqs }),
    );
    expect(seqs).toEqual([3, 4, 5]);
    expect(f.status().firstSeq).toBe(3);
    expect(f.status().gap).toBeUndefined();
    expect(nlv(f)).toBe('104');
  }, 60_000);
});

describe('a gap is read again from where it is', () => {
  it('fills a gap past the held events by fetches that start at the gap, never at the session start', async () => {
    const { nc, js, name } = await rig();
    const evs = session(300);
    // Seq 251 is missing (its first publish failed); 252..300 are stored after 250.
    const at = new Map<number, number>();
    for (const ev of evs) if (ev.seq !== 251) at.set(ev.seq, await send(js, ev));
    // Another session's events on the account are read past, never folded.
    await send(js, evs[250]!, 'hostA-0');
    // Ten held at most: 252..261 are held, 262..300 are not kept and must be read again from the stream.
    const { f, seqs } = await follow(nc, name, { maxHeld: 10, refetchBatch: 20 });
    const ctx = () => JSON.stringify({ status: f.status(), refetches: f.refetchLog, last: seqs.slice(-3) });
    await until('the gap at 251 seen', () => f.status().gap, ctx);
    expect(f.status().gap).toEqual({ after: 250, next: 252, held: 10 });
    await until('the gap read again', () => f.refetches >= 2, ctx);
    expect(f.state.lastSeq).toBe(250);

    // The resend lands: folded, then the held ones, then what was not kept, read from the stream.
    at.set(251, await send(js, evs[250]!));
    await until('seq 300 folded', () => f.state.lastSeq === 300, ctx);
    expect(seqs).toEqual(range(1, 300));
    expect(nlv(f)).toBe('399');
    expect(f.status().gap).toBeUndefined();
    // Every fetch started where unkept events are (262's stream sequence) or past them, and read a bounded batch:
    // never the session from its start.
    expect(f.refetchLog.length).toBeGreaterThan(0);
    for (const r of f.refetchLog) {
      expect(r.from).toBeGreaterThanOrEqual(at.get(262)!);
      expect(r.read).toBeLessThanOrEqual(20);
    }
    // The last fetches read 262..300 in bounded batches after the fill: together they covered them.
    expect(f.refetchLog.some((r) => r.from === at.get(262) && r.read === 20)).toBe(true);
  }, 60_000);

  it("works with the shipped configuration's viewer permissions (the fetch's consumer is named)", async () => {
    const conf = readFileSync(join(import.meta.dirname, '../../deploy/nats/nats-server.conf'), 'utf8').replace(/^listen:.*$/m, '');
    const nats = await startNatsServer({ config: conf.replace(/store_dir: .*/, 'store_dir: STORE') });
    stops.push(() => nats.stop());
    const agent = await connect({ servers: `127.0.0.1:${nats.port}`, user: 'agent-DU1234567', pass: 'change-me-agent' });
    stops.push(() => agent.close());
    await ensureStream(await jetstreamManager(agent), DEFAULT_LIMITS);
    const js = jetstream(agent);
    const log = new EventLog(Date.UTC(2026, 10, 23, 14, 30));
    const evs = log.pushAll(Array.from({ length: 6 }, (_, i) => acct('DU1234567', 'NetLiquidation', String(100 + i), 'USD')));
    const at = new Map<number, number>();
    for (const ev of evs) if (ev.seq !== 3) at.set(ev.seq, await send(js, ev, SESSION, 'hostA', 'DU1234567'));
    const viewer = await connect({ servers: `127.0.0.1:${nats.port}`, user: 'viewer', pass: 'change-me-viewer' });
    stops.push(() => viewer.close());
    // Two held at most: 4 and 5 are held past the gap, 6 is not kept and is read again from the stream.
    const { f, seqs } = await follow(viewer, DEFAULT_LIMITS.name, { account: 'DU1234567', maxHeld: 2 });
    const ctx = () => JSON.stringify({ status: f.status(), refetches: f.refetchLog, seqs });
    await until('the gap at 3 seen', () => f.status().gap, ctx);
    await send(js, evs[2]!, SESSION, 'hostA', 'DU1234567');
    await until('seq 6 folded', () => f.state.lastSeq === 6, ctx);
    expect(seqs).toEqual(range(1, 6));
    expect(f.refetchLog.some((r) => r.from === at.get(6) && r.read > 0)).toBe(true);
    expect(f.status().error).toBeUndefined();
  }, 60_000);

  it('reads nothing again while the missing event is simply not in the stream yet', async () => {
    const { nc, js, name } = await rig();
    const evs = session(4);
    await send(js, evs[0]!);
    await send(js, evs[1]!);
    const last = await send(js, evs[3]!);
    const { f, seqs } = await follow(nc, name);
    await until(
      'the gap read again twice',
      () => f.refetches >= 2,
      () => JSON.stringify(f.status()),
    );
    // Everything up to the live consumer's position was delivered: the fetches start past it and find nothing.
    for (const r of f.refetchLog) expect(r).toEqual({ from: last + 1, read: 0 });
    await send(js, evs[2]!);
    await until(
      'seq 4 folded',
      () => f.state.lastSeq === 4,
      () => JSON.stringify(f.status()),
    );
    expect(seqs).toEqual([1, 2, 3, 4]);
  }, 60_000);
});

describe('a restarted publisher', () => {
  it('is followed into its new session once the old one is silent: folded from its own seq 1, and said in the status bar', async () => {
    const { nc, js, name } = await rig();
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 14, 30));
    const old = new EventLog(clock.now());
    const oldEvs = old.pushAll([acct(ACCOUNT, 'NetLiquidation', '100', 'USD'), acct(ACCOUNT, 'GrossPositionValue', '50', 'USD')]);
    for (const ev of oldEvs) await send(js, ev);
    await sendSummary(js, SESSION, clock.now());
    const { f, seqs } = await follow(nc, name, { clock, staleAfterMs: 5_000 });
    const ctx = () => JSON.stringify({ status: f.status(), seqs });
    await until('the old session folded', () => f.state.lastSeq === 2, ctx);

    // The publisher restarts on the same host: a new session, seq from 1. Another host's session on the account is
    // never taken for it.
    const fresh = new EventLog(clock.now());
    const newEvs = fresh.pushAll([acct(ACCOUNT, 'NetLiquidation', '200', 'USD'), acct(ACCOUNT, 'NetLiquidation', '201', 'USD')]);
    await send(js, newEvs[0]!, 'hostA-2');
    await send(js, newEvs[0]!, 'hostB-1', 'hostB');
    await send(js, newEvs[1]!, 'hostA-2');
    // Nothing from the old session for longer than stale-after: it is silent; the new one's summary is fresh.
    clock.advance(6_000);
    await until('the old session silent', () => f.status().silentMs, ctx);
    await sendSummary(js, 'hostB-1', clock.now(), 'hostB');
    await sendSummary(js, 'hostA-2', clock.now());
    // The panes keep the old state until the new session's first event is folded: wait for its last.
    await until('the new session followed', () => f.status().session === 'hostA-2' && nlv(f) === '201', ctx);
    expect(f.status().restartedFrom).toBe(SESSION);
    expect(f.status().silentMs).toBeUndefined();
    // Folded from an empty state: nothing of the old session is left (its GrossPositionValue).
    expect(f.state.lastSeq).toBe(2);
    expect(f.state.accountValues.has('GrossPositionValue|USD')).toBe(false);
    expect(seqs).toEqual([1, 2, 1, 2]);
    expect(
      followCells(f.status(), clock.now())
        .map((c) => c.text)
        .join(' '),
    ).toContain('publisher restarted: following its new session');

    // It goes on live in the new session.
    await send(js, fresh.push(acct(ACCOUNT, 'NetLiquidation', '202', 'USD')), 'hostA-2');
    await until('the new session goes on', () => f.state.lastSeq === 3, ctx);
    expect(nlv(f)).toBe('202');
  }, 60_000);

  it('stays on a session still heard while another publisher speaks on its subject', async () => {
    const { nc, js, name } = await rig();
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 14, 30));
    const log = new EventLog(clock.now());
    await send(js, log.push(acct(ACCOUNT, 'NetLiquidation', '100', 'USD')));
    await sendSummary(js, SESSION, clock.now());
    const { f } = await follow(nc, name, { clock, staleAfterMs: 5_000 });
    await until('followed', () => f.state.lastSeq === 1);
    // A second publisher on the same host and role while the first is heard: no switching back and forth.
    await send(js, new EventLog(clock.now()).push(acct(ACCOUNT, 'NetLiquidation', '300', 'USD')), 'hostA-2');
    await sendSummary(js, 'hostA-2', clock.now());
    // The followed session speaks after it: once that is read, the other's summary was read before it (stream order).
    clock.advance(1);
    await sendSummary(js, SESSION, clock.now());
    await until('the later summary of the followed session read', () => f.status().lastHeardAt === clock.now());
    expect(f.status().session).toBe(SESSION);
    expect(f.status().restartedFrom).toBeUndefined();
    expect(nlv(f)).toBe('100');
    // Then it goes silent and the other is heard: the follow moves on, and does not go back while the new one is heard.
    clock.advance(6_000);
    await sendSummary(js, 'hostA-2', clock.now());
    await until('moved on', () => f.status().session === 'hostA-2' && nlv(f) === '300');
    expect(f.state.lastSeq).toBe(1);
    clock.advance(1);
    await sendSummary(js, SESSION, clock.now());
    await sendSummary(js, 'hostA-2', clock.now());
    await until('the new session heard again', () => f.status().lastHeardAt === clock.now());
    expect(f.status().session).toBe('hostA-2');
    expect(f.status().restartedFrom).toBe(SESSION);
  }, 60_000);
});
