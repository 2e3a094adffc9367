import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeState } from '../../src/model/codec.js';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { Feed, type EventSink } from '../../src/streams/feed.js';
import { RotatingRecorder } from '../../src/streams/recorder.js';
import { readRecording, verifyRecording } from '../../src/streams/recording/reader.js';
import { SAMPLE_BODIES } from '../support/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Folds a set of files as a replay would: from each file's base keyframe, or from the previous file's state. */
async function replay(files: string[]): Promise<PortfolioState> {
  let s = INITIAL_STATE;
  for (const f of files) {
    for await (const it of readRecording(f)) {
      if (it.kind === 'keyframe' && it.seq > s.lastSeq) s = it.state;
      if (it.kind === 'event') s = reduce(s, it.event);
    }
  }
  return s;
}

describe('Feed', () => {
  it('stamps source facts and operator actions with one gap-free seq and folds them in order', () => {
    const source = new Subject<FeedEventBody>();
    let t = 1_000;
    const feed = new Feed(source, { now: () => (t += 5) });
    const seen: FeedEvent[] = [];
    feed.events$.subscribe((e) => seen.push(e));
    source.next(SAMPLE_BODIES.healthChanged);
    feed.publish(SAMPLE_BODIES.operatorActed);
    source.next(SAMPLE_BODIES.accountValueUpdated);
    expect(seen.map((e) => [e.seq, e.type, e.receivedAt])).toEqual([
      [1, 'healthChanged', 1005],
      [2, 'operatorActed', 1010],
      [3, 'accountValueUpdated', 1015],
    ]);
    expect(feed.state.lastSeq).toBe(3);
    expect(feed.state.operatorActions).toHaveLength(1);
  });

  it('stamps every type of body as a copy with seq and receivedAt after its own fields, leaving the body as it was', () => {
    const source = new Subject<FeedEventBody>();
    let t = 2_000;
    const feed = new Feed(source, { now: () => t++ });
    const recorded: string[] = [];
    feed.events$.subscribe((e) => recorded.push(JSON.stringify(e)));
    const bodies = Object.values(SAMPLE_BODIES);
    const before = bodies.map((b) => JSON.stringify(b));
    // Twice each: a body published again is a new event, not the first one restamped.
    for (const b of [...bodies, ...bodies]) source.next(b);
    const expected = [...before, ...before].map((json, i) => `${json.slice(0, -1)},"seq":${i + 1},"receivedAt":${2_000 + i}}`);
    expect(recorded).toEqual(expected);
    expect(bodies.map((b) => JSON.stringify(b))).toEqual(before);
  });

  it('listens to a source that offers a direct call instead of subscribing, and stops listening when closed', async () => {
    const subject = new Subject<FeedEventBody>();
    let listener: ((b: FeedEventBody) => void) | undefined;
    const source = Object.assign(subject.asObservable(), {
      listen: (next: (b: FeedEventBody) => void) => {
        listener = next;
        return () => (listener = undefined);
      },
    });
    const feed = new Feed(source, { now: () => 5 });
    expect(subject.observed).toBe(false);
    listener!(SAMPLE_BODIES.healthChanged);
    listener!(SAMPLE_BODIES.accountValueUpdated);
    expect(feed.state.lastSeq).toBe(2);
    expect(feed.state.health).toBe(SAMPLE_BODIES.healthChanged.health);
    await feed.close('test over');
    expect(listener).toBeUndefined();
  });

  it('keeps running without a recorder when writing fails, and says so', () => {
    const source = new Subject<FeedEventBody>();
    const errors: Error[] = [];
    const feed = new Feed(source, {
      sink: {
        record: () => {
          throw new Error('ENOSPC: no space left on device');
        },
        close: async () => {},
      },
      onSinkError: (e) => errors.push(e),
    });
    source.next(SAMPLE_BODIES.healthChanged);
    source.next(SAMPLE_BODIES.managedAccountsReceived);
    expect(errors.map((e) => e.message)).toEqual(['ENOSPC: no space left on device']);
    expect(feed.state.managedAccounts).toEqual(['DU1234567', 'DU7654321']);
  });
});

describe('RotatingRecorder', () => {
  it('rotates by size and by UTC day; every file verifies and the files replay to the live state', async () => {
    const out = join(dir, 'rotate');
    const rec = new RotatingRecorder({
      dir: out,
      source: 'demo',
      appVersion: 'test',
      gzip: false,
      rotateBytes: 8 * 1024,
      policy: { everyEvents: 10, everyMs: 1e12 },
      now: (() => {
        let n = 0;
        return () => Date.UTC(2026, 10, 23) + n++ * 1000;
      })(),
    });
    const source = new Subject<FeedEventBody>();
    // Events at 23:59:50 onwards cross midnight half-way.
    let t = Date.UTC(2026, 10, 23, 23, 59, 50);
    const feed = new Feed(source, { sink: rec, now: () => (t += 250) });
    const bodies = Object.values(SAMPLE_BODIES);
    for (let i = 0; i < 80; i++) source.next(bodies[i % bodies.length]!);
    await feed.close('test over');
    expect(rec.files.length).toBeGreaterThanOrEqual(3);
    expect(
      readdirSync(out)
        .filter((f) => !f.endsWith('.idx'))
        .sort(),
    ).toEqual(rec.files.map((f) => f.slice(out.length + 1)).sort());
    for (const f of rec.files) {
      const v = await verifyRecording(f);
      expect(v.ok && v.summary.sealed).toBe(true);
    }
    const replayed = await replay(rec.files);
    expect(JSON.stringify(encodeState(replayed))).toBe(JSON.stringify(encodeState(feed.state)));
    // A continuation file alone starts from its base keyframe and ends at the same state as the whole session.
    const last = rec.files.at(-1)!;
    const alone = await replay([last]);
    expect(alone.lastSeq).toBe(feed.state.lastSeq);
    expect(JSON.stringify(encodeState(alone))).toBe(JSON.stringify(encodeState(feed.state)));
  });
});

describe('Feed re-entrancy', () => {
  it('delivers an event published by a subscriber right after the one being published, to every subscriber in seq order', () => {
    const source = new Subject<FeedEventBody>();
    let t = 1_000;
    const feed = new Feed(source, { now: () => (t += 5) });
    const first: number[] = [];
    const second: number[] = [];
    const statesSeen: number[] = [];
    // The first subscriber reacts to a health change with a derived fact, as the session's alert engine does.
    feed.events$.subscribe((e) => {
      first.push(e.seq);
      if (e.type === 'healthChanged') feed.publish(SAMPLE_BODIES.operatorActed);
    });
    feed.events$.subscribe((e) => {
      second.push(e.seq);
      statesSeen.push(feed.state.lastSeq);
    });
    source.next(SAMPLE_BODIES.healthChanged);
    source.next(SAMPLE_BODIES.accountValueUpdated);
    expect(first).toEqual([1, 2, 3]);
    expect(second).toEqual([1, 2, 3]);
    // Each subscriber sees the state of the event it is handed, never one from further on.
    expect(statesSeen).toEqual([1, 2, 3]);
    expect(feed.state.operatorActions.map((a) => a.seq)).toEqual([2]);
  });
});

/** A source that signals its reads as TwsSource does (the socket's reads are driven by the test here). */
function readingSource(owned = false) {
  let next: ((b: FeedEventBody, owned?: boolean) => void) | undefined;
  let end: (() => void) | undefined;
  const source = Object.assign(new Subject<FeedEventBody>().asObservable(), {
    listen: (n: (b: FeedEventBody, owned?: boolean) => void, e?: () => void) => {
      next = n;
      end = e;
      return () => {
        next = end = undefined;
      };
    },
    signalsReads: true as const,
  });
  return {
    source,
    /** Bodies taken in by one socket read, without its end. */
    take: (...bodies: FeedEventBody[]) => bodies.forEach((b) => next!(b, owned)),
    end: () => end!(),
    read(...bodies: FeedEventBody[]) {
      this.take(...bodies);
      this.end();
    },
  };
}

const { priceTicked, optionComputed, portfolioUpdated, pnlUpdated, accountTimeUpdated, accountSummaryUpdated } = SAMPLE_BODIES;
const MARKET = [priceTicked, optionComputed, portfolioUpdated, pnlUpdated, accountTimeUpdated, accountSummaryUpdated];

describe('Feed on a source that signals its reads', () => {
  it("folds a read's market data into one state at the read's end, then hands over each of its events in seq order", () => {
    const src = readingSource();
    let t = 3_000;
    const feed = new Feed(src.source, { now: () => t++ });
    const states: PortfolioState[] = [];
    feed.state$.subscribe((s) => states.push(s));
    const seen: [number, number][] = [];
    feed.events$.subscribe((e) => seen.push([e.seq, feed.state.lastSeq]));
    src.take(...MARKET);
    // Taken in, not yet delivered: the state is the one before the read.
    expect([feed.state.lastSeq, seen.length, states.length]).toEqual([0, 0, 1]);
    src.end();
    expect(states.map((s) => s.lastSeq)).toEqual([0, MARKET.length]);
    expect(seen).toEqual(MARKET.map((_, i) => [i + 1, MARKET.length]));
    const events = MARKET.map((b, i) => ({ ...b, seq: i + 1, receivedAt: 3_000 + i }) as FeedEvent);
    expect(JSON.stringify(encodeState(feed.state))).toBe(JSON.stringify(encodeState(reduceAll(events))));
  });

  it('stamps a body the source hands over as its own in place, with the same text as a copy; any other body is copied', () => {
    const ownBodies = MARKET.map((b) => ({ ...b }));
    const src = readingSource(true);
    let t = 3_000;
    const feed = new Feed(src.source, { now: () => t++ });
    const seen: FeedEvent[] = [];
    feed.events$.subscribe((e) => seen.push(e));
    // A health change is no market data: it is published, and copied, even when handed over as the feed's own.
    const health = { ...SAMPLE_BODIES.healthChanged };
    src.read(...ownBodies, health);
    expect(seen.slice(0, MARKET.length).every((e, i) => e === ownBodies[i])).toBe(true);
    expect(seen.at(-1)).not.toBe(health);
    expect(health).toEqual(SAMPLE_BODIES.healthChanged);
    const copies = [...MARKET, SAMPLE_BODIES.healthChanged].map((b, i) => JSON.stringify({ ...b, seq: i + 1, receivedAt: 3_000 + i }));
    expect(seen.map((e) => JSON.stringify(e))).toEqual(copies);
    // Not handed over as its own: left as it was.
    const other = readingSource();
    const feed2 = new Feed(other.source, { now: () => 1 });
    const kept = { ...priceTicked };
    other.read(kept);
    expect(kept).toEqual(priceTicked);
    expect(feed2.state.lastSeq).toBe(1);
  });

  it('delivers the run before any other event, which gets a state of its own, as does the rest of the read', () => {
    const src = readingSource();
    const feed = new Feed(src.source, { now: () => 1 });
    const states: [number, string][] = [];
    feed.state$.subscribe((s) => states.push([s.lastSeq, s.health]));
    const down: FeedEventBody = { type: 'healthChanged', health: 'disconnected', reason: 'socket closed' };
    src.read(priceTicked, optionComputed, SAMPLE_BODIES.healthChanged, portfolioUpdated, down, pnlUpdated, pnlUpdated);
    expect(states).toEqual([
      [0, 'disconnected'],
      [2, 'disconnected'],
      [3, 'ready'],
      [4, 'ready'],
      [5, 'disconnected'],
      [7, 'disconnected'],
    ]);
  });

  it('delivers what a read took in before an event published in the middle of it (seq order is delivery order)', () => {
    const src = readingSource();
    const feed = new Feed(src.source, { now: () => 1 });
    const seen: string[] = [];
    feed.events$.subscribe((e) => seen.push(`${e.seq}:${e.type}`));
    src.take(priceTicked, optionComputed);
    feed.publish(SAMPLE_BODIES.operatorActed);
    src.read(pnlUpdated);
    expect(seen).toEqual(['1:priceTicked', '2:optionComputed', '3:operatorActed', '4:pnlUpdated']);
    expect(feed.state.lastSeq).toBe(4);
  });

  it('records every event in order; a keyframe due inside a run follows the run, and the file replays to the live state', async () => {
    const out = join(dir, 'runs');
    const rec = new RotatingRecorder({
      dir: out,
      source: 'demo',
      appVersion: 'test',
      gzip: false,
      rotateBytes: 1 << 30,
      policy: { everyEvents: 4, everyMs: 1e12 },
    });
    const src = readingSource();
    let t = Date.UTC(2026, 10, 23, 12);
    const feed = new Feed(src.source, { sink: rec, now: () => (t += 7) });
    src.read(SAMPLE_BODIES.healthChanged, SAMPLE_BODIES.managedAccountsReceived);
    for (let i = 0; i < 5; i++) src.read(...MARKET, SAMPLE_BODIES.accountValueUpdated, ...MARKET.slice(0, 3));
    // Left in the middle of a read: closing delivers and records what it took in.
    src.take(...MARKET);
    await feed.close('test over');
    expect(feed.state.lastSeq).toBe(2 + 5 * 10 + MARKET.length);
    const seqs: number[] = [];
    const keyframes: number[] = [];
    for await (const it of readRecording(rec.files[0]!)) {
      if (it.kind === 'event') seqs.push(it.event.seq);
      if (it.kind === 'keyframe') {
        // Each keyframe holds the state after the event just before it, never a state from further on.
        expect(it.state.lastSeq).toBe(seqs.at(-1));
        keyframes.push(it.state.lastSeq);
      }
    }
    expect(seqs).toEqual(Array.from({ length: feed.state.lastSeq }, (_, i) => i + 1));
    // Due after the 4th event: in the first market run, which ends at seq 8; after that, at each run's end past 4 more.
    expect(keyframes.slice(0, 3)).toEqual([8, 12, 18]);
    const v = await verifyRecording(rec.files[0]!);
    expect(v.ok && v.summary.sealed).toBe(true);
    expect(JSON.stringify(encodeState(await replay(rec.files)))).toBe(JSON.stringify(encodeState(feed.state)));
  });

  it('hands a sink that takes no runs each event with the states before and after it', () => {
    const src = readingSource();
    let t = 9_000;
    const got: [number, number, number][] = [];
    const afters: string[] = [];
    const sink: EventSink = {
      record: (ev, after, before) => {
        got.push([ev.seq, before.lastSeq, after.lastSeq]);
        afters.push(JSON.stringify(encodeState(after)));
      },
      close: async () => {},
    };
    const feed = new Feed(src.source, { sink, now: () => t++ });
    src.read(...MARKET);
    expect(got).toEqual(MARKET.map((_, i) => [i + 1, i, i + 1]));
    const events = MARKET.map((b, i) => ({ ...b, seq: i + 1, receivedAt: 9_000 + i }) as FeedEvent);
    expect(afters).toEqual(events.map((_, i) => JSON.stringify(encodeState(reduceAll(events.slice(0, i + 1))))));
    expect(feed.state.lastSeq).toBe(MARKET.length);
  });
});
