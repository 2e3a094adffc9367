// verify and the seek index beside a recording: a file cut short is named as such (the index proves it was longer),
// a crash's or a live writer's end is not, and an index passed for its recording names the recording.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reduce } from '../../../src/model/reducer.js';
import { INITIAL_STATE } from '../../../src/model/state.js';
import { FlightRecorder } from '../../../src/streams/recorder.js';
import { indexPathOf, type IndexEntry } from '../../../src/streams/recording/format.js';
import { RecordingWriter } from '../../../src/streams/recording/writer.js';
import { runCli as run } from '../../support/cli.js';
import { EventLog } from '../../support/events.js';
import { SAMPLE_BODIES } from '../../support/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-verify-index-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A recording of 200 events by the real writer, a keyframe every 20 (10 in its index); sealed unless `open`. */
async function recording(gzip: boolean, open = false): Promise<{ file: string; writer: RecordingWriter }> {
  const file = join(dir, `rec-${++n}.jsonl${gzip ? '.gz' : ''}`);
  const log = new EventLog();
  for (let i = 0; i < 200; i++) log.push({ ...SAMPLE_BODIES.accountValueUpdated, value: String(1000 + i) });
  const writer = new RecordingWriter({ file, gzip, appVersion: 'test', source: 'synthetic', startedAtMs: log.events[0]!.receivedAt });
  const rec = new FlightRecorder(writer, { everyEvents: 20, everyMs: 1e12 });
  let s = INITIAL_STATE;
  for (const ev of log.events) rec.record(ev, (s = reduce(s, ev)));
  if (!open) await rec.close('done', s);
  return { file, writer };
}

const index = (file: string): IndexEntry[] =>
  readFileSync(indexPathOf(file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as IndexEntry);

const truncate = (file: string, size: number) => expect(spawnSync('truncate', ['-s', String(size), file]).status).toBe(0);

describe('verify on a recording cut short', () => {
  for (const gzip of [false, true]) {
    it(`${gzip ? 'gzip' : 'plain'}: names the cut, the last keyframe the index knows and where the file ends, and fails with or without --strict`, async () => {
      const { file } = await recording(gzip);
      expect((await run('verify', file, '--strict')).code).toBe(0);
      const keyframes = index(file);
      expect(keyframes).toHaveLength(10);
      const last = keyframes.at(-1)!;
      const size = Math.floor(statSync(file).size / 2);
      truncate(file, size);
      const missing = keyframes.filter((k) => k.offset >= size).length;
      expect(missing).toBeGreaterThan(0);
      for (const flags of [[], ['--strict']]) {
        const r = await run('verify', file, ...flags);
        expect(r.code).toBe(1);
        expect(r.out).toBe('');
        const [first, second] = r.err.split('\n');
        const m = new RegExp(`^INVALID ${file}:(\\d+): cut short: the file ends at byte ${size} after line (\\d+) \\(seq (\\d+), [^)]+\\), `).exec(first!);
        expect(m, first).not.toBeNull();
        expect(Number(m![1])).toBe(Number(m![2]) + 1);
        expect(first).toContain(
          `but its index ${indexPathOf(file)} names ${missing} keyframe(s) from there on, the last at line ${last.line} (seq 200, ${new Date(last.at).toISOString()}, byte ${last.offset}): the file was longer when written, it did not end in a crash`,
        );
        expect(second).toBe(`  lines 1-${m![2]} are intact and readable`);
      }
      const j = JSON.parse((await run('verify', file, '--json')).out) as Record<string, unknown>;
      expect(j).toMatchObject({ file, valid: false, problem: 'cut' });
      expect(j.reason).toMatch(/^cut short: /);
    });
  }

  it('a crash (no footer, every keyframe in the file) and a live writer stay VALID (UNSEALED), exit 0', async () => {
    const live = await recording(false, true);
    expect(index(live.file)).toHaveLength(10);
    const r = await run('verify', live.file);
    expect([r.code, r.out.split('\n')[0]]).toEqual([0, `VALID (UNSEALED) ${live.file}`]);
    expect(r.out).toContain('not sealed: the writer crashed or is still writing');
    live.writer.abandon();
    expect((await run('verify', live.file)).code).toBe(0);
  });

  it('a file that ends where its last keyframe was to start (a crash between the index entry and the line) is not called cut', async () => {
    // The writer puts a keyframe in the index just before writing it: a crash in between leaves exactly this.
    const { file } = await recording(false);
    truncate(file, index(file).at(-1)!.offset);
    const r = await run('verify', file);
    expect([r.code, r.out.split('\n')[0]]).toEqual([0, `VALID (UNSEALED) ${file}`]);
    // One byte less, and the index names a keyframe that started past the end: bytes that were written are gone.
    truncate(file, index(file).at(-1)!.offset - 1);
    expect((await run('verify', file)).err).toMatch(/cut short: .* names 1 keyframe\(s\) from there on/);
  });

  it('without its index, a cut file cannot be told from a crash: VALID (UNSEALED)', async () => {
    const { file } = await recording(false);
    truncate(file, Math.floor(statSync(file).size / 2));
    unlinkSync(indexPathOf(file));
    expect((await run('verify', file)).code).toBe(0);
  });
});

describe('verify on a seek index', () => {
  it('says it is an index and names the recording to verify instead', async () => {
    const { file } = await recording(true);
    const idx = indexPathOf(file);
    const r = await run('verify', idx);
    expect([r.code, r.err]).toEqual([1, `INVALID ${idx}: this is the seek index of a recording, not a recording: verify ${file} instead`]);
    const j = JSON.parse((await run('verify', idx, '--json')).out) as Record<string, unknown>;
    expect(j).toMatchObject({ valid: false, problem: 'unsupported', reason: `this is the seek index of a recording, not a recording: verify ${file} instead` });
    // An index whose recording has gone, and the empty index of a recording that had no keyframe yet.
    unlinkSync(file);
    expect((await run('verify', idx)).err).toBe(
      `INVALID ${idx}: this is the seek index of a recording, not a recording: verify ${file} instead (it is not there)`,
    );
    const empty = join(dir, 'empty.jsonl.idx');
    writeFileSync(empty, '');
    expect((await run('verify', empty)).err).toBe(
      `INVALID ${empty}: this is the seek index of a recording, not a recording: verify ${join(dir, 'empty.jsonl')} instead (it is not there)`,
    );
  });

  it('a recording that happens to be named .idx is still verified as a recording', async () => {
    const { file } = await recording(false);
    const named = join(dir, 'odd.idx');
    writeFileSync(named, readFileSync(file));
    expect((await run('verify', named)).out.split('\n')[0]).toBe(`VALID ${named}`);
  });
});
