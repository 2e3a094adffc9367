import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticEvents } from '../../bench/synthetic.js';
import { encodeState } from '../../src/model/codec.js';
import type { FeedEvent } from '../../src/model/events.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { INITIAL_STATE } from '../../src/model/state.js';
import { FlightRecorder } from '../../src/streams/recorder.js';
import { indexPathOf } from '../../src/streams/recording/format.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { loadIndex, seek } from '../../src/streams/replay/seek.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-seek-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const events: FeedEvent[] = [...syntheticEvents({ events: 6_000, positions: 300, seed: 7 })];

async function write(gzip: boolean): Promise<string> {
  const file = join(dir, `seek-${++n}${gzip ? '.jsonl.gz' : '.jsonl'}`);
  const w = new RecordingWriter({ file, gzip, appVersion: 'test', source: 'synthetic', startedAtMs: events[0]!.receivedAt });
  const rec = new FlightRecorder(w, { everyEvents: 500, everyMs: 1e12 });
  let s = INITIAL_STATE;
  for (const ev of events) {
    s = reduce(s, ev);
    rec.record(ev, s);
  }
  await rec.close('done', s, s.lastEventAt);
  return file;
}

const same = (a: unknown, b: unknown) => expect(JSON.stringify(encodeState(a as never))).toBe(JSON.stringify(encodeState(b as never)));

describe('seek', () => {
  for (const gzip of [false, true]) {
    it(`lands on the state of playing to that point (${gzip ? 'gzip' : 'plain'}), starting from a keyframe`, async () => {
      const file = await write(gzip);
      const index = await loadIndex(file);
      expect(index.length).toBeGreaterThanOrEqual(11);
      for (const seq of [1, 499, 500, 501, 2750, 5999, 6000]) {
        const r = await seek(file, { seq });
        same(r.state, reduceAll(events.filter((e) => e.seq <= seq)));
        if (seq >= 500) {
          expect(r.from).toBeDefined();
          expect(r.eventsFolded).toBeLessThan(500);
        }
      }
      const at = events[4321]!.receivedAt;
      same((await seek(file, { atMs: at })).state, reduceAll(events.filter((e) => e.receivedAt <= at)));
    });
  }

  it('still seeks correctly when the index is missing or points at the wrong place', async () => {
    const file = await write(false);
    const good = readFileSync(indexPathOf(file), 'utf8');
    const want = reduceAll(events.filter((e) => e.seq <= 3333));
    rmSync(indexPathOf(file));
    same((await seek(file, { seq: 3333 })).state, want);
    writeFileSync(
      indexPathOf(file),
      good.replace(/"offset":(\d+)/g, (_m, n: string) => `"offset":${Number(n) + 7}`),
    );
    same((await seek(file, { seq: 3333 })).state, want);
  });
});
