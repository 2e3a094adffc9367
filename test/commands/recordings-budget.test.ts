// Issue 16 item 17: headless dry runs record nothing unless --record asks; recordings are compressed by default,
// flushed per batch (what a kill -9 leaves equals a plain file's); the directory keeps to a size and age budget,
// never deleting this session's file, a file still being written or an unsealed one, and naming what it deletes.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { FeedEvent } from '../../src/model/events.js';
import { applyBudget, isSealedFile } from '../../src/streams/recorder.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { T0 } from '../sim/helpers.js';
import { runCli } from '../support/cli.js';
import { EventLog } from '../support/events.js';
import { SAMPLE_BODIES } from '../support/samples.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-budget-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => {
  const d = join(root, `${name}-${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const sim = simulatorsPerTest();

/** A settings file sending recordings to `dir`. */
function config(dir: string): string {
  const file = join(dir, '..', `settings-${++n}.json`);
  writeFileSync(file, JSON.stringify({ recorder: { dir } }));
  return file;
}

describe('headless dry runs', () => {
  it('report, dry-run flatten and cancel leave the recordings directory empty; --record FILE records', async () => {
    const s = await sim();
    const dir = fresh('dry');
    const cfg = config(dir);
    const port = String(s.port);
    expect((await runCli('report', '--config', cfg, '--port', port, '--client-id', '81', '--json')).code).toBe(0);
    expect((await runCli('flatten', '--config', cfg, '--port', port, '--client-id', '82', '--scope', 'all')).code).toBe(0);
    expect((await runCli('cancel', '--config', cfg, '--port', port, '--client-id', '83', '--global')).code).toBe(0);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    const asked = join(fresh('asked'), 'flatten.jsonl.gz');
    expect((await runCli('flatten', '--config', cfg, '--port', port, '--client-id', '84', '--scope', 'all', '--record', asked)).code).toBe(0);
    expect(isSealedFile(asked)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);
});

describe('compressed by default', () => {
  it('the default settings compress, and a --record FILE follows its name', async () => {
    expect(DEFAULT_SETTINGS.recorder.gzip).toBe(true);
    const dir = fresh('demo');
    const r = await runCli('demo', '--once', '--start', T0, '--config', config(dir));
    expect(r.code).toBe(0);
    const files = readdirSync(dir).filter((f) => !f.endsWith('.idx'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.jsonl\.gz$/);
    expect(isSealedFile(join(dir, files[0]!))).toBe(true);
  }, 60_000);

  it('after each batch the compressed file holds every line a plain file holds (what kill -9 leaves)', async () => {
    const dir = fresh('kill');
    const log = new EventLog(Date.parse(T0));
    const writers = [true, false].map(
      (gzip) =>
        new RecordingWriter({ file: join(dir, `r${gzip ? '.jsonl.gz' : '.jsonl'}`), gzip, appVersion: 't', source: 'synthetic', startedAtMs: Date.parse(T0) }),
    );
    const counts = async (file: string) => {
      let events = 0;
      for await (const it of readRecording(file)) if (it.kind === 'event') events++;
      return events;
    };
    let sent = 0;
    for (let batch = 0; batch < 3; batch++) {
      const events: FeedEvent[] = log.pushAll(Object.values(SAMPLE_BODIES));
      for (const w of writers) for (const ev of events) w.append(ev);
      sent += events.length;
      // The batch ends (the event-loop turn the feed delivered it in); nothing is closed: as if killed now.
      await new Promise((r) => setImmediate(r));
      expect(await counts(writers[0]!.file)).toBe(sent);
      expect(await counts(writers[1]!.file)).toBe(sent);
    }
    for (const w of writers) w.abandon();
    expect(statSync(writers[0]!.file).size).toBeLessThan(statSync(writers[1]!.file).size);
  });
});

describe('the recordings budget', () => {
  const DAY = 86_400_000;
  const now = Date.parse(T0) + 100 * DAY;

  /** A real recording named as the recorder names them, sealed or not, last written `ageMs` before `now`. */
  function recording(dir: string, stamp: string, o: { sealed: boolean; ageMs: number; gzip?: boolean; events?: number }): string {
    const file = join(dir, `tws-risk-${stamp}-live.jsonl${o.gzip === false ? '' : '.gz'}`);
    const w = new RecordingWriter({ file, gzip: o.gzip !== false, appVersion: 't', source: 'live', startedAtMs: Date.parse(T0) });
    const log = new EventLog(Date.parse(T0));
    for (let i = 0; i < (o.events ?? 2); i++) for (const ev of log.pushAll(Object.values(SAMPLE_BODIES))) w.append(ev);
    if (o.sealed) void w.close('test', Date.parse(T0));
    else w.abandon();
    const t = new Date(now - o.ageMs);
    utimesSync(file, t, t);
    return file;
  }

  it('deletes sealed recordings past keepDays and names each; keeps unsealed ones, saying so', () => {
    const dir = fresh('age');
    const old = recording(dir, '20260101-100000', { sealed: true, ageMs: 40 * DAY });
    const oldPlain = recording(dir, '20260102-100000', { sealed: true, ageMs: 39 * DAY, gzip: false });
    const crashed = recording(dir, '20260103-100000', { sealed: false, ageMs: 38 * DAY });
    const recent = recording(dir, '20260301-100000', { sealed: true, ageMs: 2 * DAY });
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    utimesSync(join(dir, 'notes.txt'), new Date(now - 400 * DAY), new Date(now - 400 * DAY));
    const notes = applyBudget(dir, { maxBytes: 1e12, keepDays: 30 }, now, new Set());
    expect(existsSync(old) || existsSync(`${old}.idx`)).toBe(false);
    expect(existsSync(oldPlain)).toBe(false);
    expect(existsSync(crashed)).toBe(true);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
    expect(notes).toContain(`recordings budget: deleted ${old} (older than 30 days)`);
    expect(notes).toContain(`recordings budget: deleted ${oldPlain} (older than 30 days)`);
    expect(notes.some((x) => x.includes('kept 1 unsealed') && x.includes('tws-risk-20260103-100000-live.jsonl.gz'))).toBe(true);
  });

  it("deletes the oldest sealed recordings until the rest fit maxBytes, never this session's file or one being written", () => {
    const dir = fresh('size');
    const a = recording(dir, '20260301-100000', { sealed: true, ageMs: 5 * DAY, events: 20 });
    const b = recording(dir, '20260302-100000', { sealed: true, ageMs: 4 * DAY, events: 20 });
    const c = recording(dir, '20260303-100000', { sealed: true, ageMs: 3 * DAY, events: 20 });
    const busy = recording(dir, '20260304-100000', { sealed: true, ageMs: 60_000, events: 20 });
    const mine = recording(dir, '20260305-100000', { sealed: false, ageMs: 0, events: 20 });
    const size = (f: string) => statSync(f).size;
    // Room for one finished file beside the two that must stay.
    const budget = size(c) + size(busy) + size(mine) + 10;
    const notes = applyBudget(dir, { maxBytes: budget, keepDays: 30 }, now, new Set([mine]));
    expect([a, b].map(existsSync)).toEqual([false, false]);
    expect([c, busy, mine].map(existsSync)).toEqual([true, true, true]);
    expect(notes).toEqual([a, b].map((f) => `recordings budget: deleted ${f} (the directory was over ${budget} bytes)`));
  });

  it('deletes nothing when the clock and the file system disagree (a skewed or faked clock), and says so', () => {
    const dir = fresh('skew');
    const old = recording(dir, '20260101-100000', { sealed: true, ageMs: 400 * DAY });
    // This session's file, just written by the file system's clock, reads as two years old by ours.
    const mine = recording(dir, '20260305-100000', { sealed: false, ageMs: 730 * DAY });
    const notes = applyBudget(dir, { maxBytes: 1, keepDays: 30 }, now, new Set([mine]));
    expect([old, mine].map(existsSync)).toEqual([true, true]);
    expect(notes).toEqual(["recordings budget not applied: the clock and the file system's times disagree by 17520 hour(s); no file was deleted"]);
  });

  it('reads the seal of plain and compressed files from their tail', () => {
    const dir = fresh('seal');
    expect(isSealedFile(recording(dir, '20260301-100000', { sealed: true, ageMs: 0, events: 200 }))).toBe(true);
    expect(isSealedFile(recording(dir, '20260302-100000', { sealed: false, ageMs: 0, events: 200 }))).toBe(false);
    expect(isSealedFile(recording(dir, '20260303-100000', { sealed: true, ageMs: 0, gzip: false }))).toBe(true);
    expect(isSealedFile(recording(dir, '20260304-100000', { sealed: false, ageMs: 0, gzip: false }))).toBe(false);
  });
});
