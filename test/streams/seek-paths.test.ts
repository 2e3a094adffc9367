// The player's cheaper seeks (fold on from its own position, reuse of the last keyframe) land where playing lands.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticEvents } from '../../bench/synthetic.js';
import { encodeState } from '../../src/model/codec.js';
import type { FeedEvent } from '../../src/model/events.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { FlightRecorder } from '../../src/streams/recorder.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { ReplayPlayer } from '../../src/streams/replay/player.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-seek-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const events: FeedEvent[] = [...syntheticEvents({ events: 3_000, positions: 200, seed: 11 })];
/** Keyframes at seq 500, 1000, ... (the index's entries). */
const EVERY = 500;

async function write(evs: readonly FeedEvent[] = events): Promise<string> {
  const file = join(dir, `paths-${Math.random().toString(36).slice(2)}.jsonl.gz`);
  const w = new RecordingWriter({ file, gzip: true, appVersion: 'test', source: 'synthetic', startedAtMs: evs[0]!.receivedAt });
  const rec = new FlightRecorder(w, { everyEvents: EVERY, everyMs: 1e12 });
  let s = INITIAL_STATE;
  for (const ev of evs) {
    s = reduce(s, ev);
    rec.record(ev, s);
  }
  await rec.close('done', s, s.lastEventAt);
  return file;
}

const encoded = (s: PortfolioState) => JSON.stringify(encodeState(s));
const playedTo = (seq: number) => encoded(reduceAll(events.filter((e) => e.seq <= seq)));

describe('seek paths', () => {
  it('folds on from its position, reuses the last keyframe, and decodes a keyframe only when it must, always landing where playing lands', async () => {
    const p = await ReplayPlayer.open(await write(), { scan: false, now: () => 0 });
    const steps: [number, string][] = [
      [1200, 'keyframe'], // from the keyframe at 1000
      [1300, 'cursor'], // ahead, no keyframe in between
      [1499, 'cursor'],
      [1499, 'cursor'], // where it is: nothing to fold
      [1100, 'cached keyframe'], // back within the interval: the keyframe at 1000 again, not decoded again
      [1700, 'keyframe'], // past the keyframe at 1500: decoding it saves 500 events
      [1600, 'cached keyframe'],
      [900, 'keyframe'],
      [0, 'top'],
      [450, 'cursor'],
    ];
    let prev = 0;
    for (const [seq, from] of steps) {
      await p.seekTo({ seq });
      expect({ seq, from: p.lastSeek()?.from }).toEqual({ seq, from });
      expect(p.state.lastSeq).toBe(seq);
      expect(encoded(p.state)).toBe(playedTo(seq));
      if (from === 'cursor') expect(p.lastSeek()?.eventsFolded).toBe(seq - prev);
      prev = seq;
    }
    expect(p.lastSeek()?.eventsFolded).toBe(450);
    await p.close();
  });

  it('a forward seek by time folds on from its position to the state playing to that time reaches', async () => {
    const p = await ReplayPlayer.open(await write(), { scan: false, now: () => 0 });
    await p.seekTo({ seq: 2100 });
    const at = events[2299]!.receivedAt;
    await p.seekTo({ atMs: at });
    expect(p.lastSeek()?.from).toBe('cursor');
    expect(encoded(p.state)).toBe(encoded(reduceAll(events.filter((e) => e.receivedAt <= at))));
    await p.close();
  });

  it('a seek by time does not fold on from its position when an event folded since the keyframe is later than the target', async () => {
    // Recorded times can step back (a clock corrected while recording): event 2050 is stamped after event 2300, so
    // playing to event 2300's time stops before event 2050, and a player standing at 2100 is already past that time.
    const at = events[2299]!.receivedAt;
    const stepped = events.map((e) => (e.seq === 2050 ? { ...e, receivedAt: at + 5 } : e));
    const p = await ReplayPlayer.open(await write(stepped), { scan: false, now: () => 0 });
    await p.seekTo({ seq: 2100 });
    await p.seekTo({ atMs: at });
    expect(p.lastSeek()?.from).toBe('cached keyframe');
    expect(p.state.lastSeq).toBe(2049);
    expect(encoded(p.state)).toBe(encoded(reduceAll(stepped.slice(0, 2049))));
    await p.close();
  });

  it('takes over the cursor of a playing player without losing an event, and plays on to the end from there', async () => {
    // The real clock is pinned: at 1x the player waits for the next event's time, which never comes.
    const p = await ReplayPlayer.open(await write(), { scan: false, now: () => events[0]!.receivedAt, speed: 1 });
    await p.seekTo({ seq: 2600 });
    p.play();
    const seen: number[] = [];
    p.events$.subscribe((e) => seen.push(e.seq));
    await p.seekTo({ seq: 2800 });
    // Every event from 2601 on, the one the playing loop had read but not played included.
    expect(p.lastSeek()).toEqual({ from: 'cursor', eventsFolded: 200 });
    expect(p.status().paused).toBe(false);
    expect(encoded(p.state)).toBe(playedTo(2800));
    p.setSpeed('max');
    await p.finished();
    expect(seen).toEqual(events.filter((e) => e.seq > 2800).map((e) => e.seq));
    expect(encoded(p.state)).toBe(playedTo(events.length));
    await p.close();
  });
});
