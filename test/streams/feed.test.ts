import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeState } from '../../src/model/codec.js';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { reduce } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { Feed } from '../../src/streams/feed.js';
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
