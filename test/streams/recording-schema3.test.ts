// Schema 3: 64-bit base64url tags on a full SHA-256 chain, gzip members that keep their dictionary; older schemas still read.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeState } from '../../src/model/codec.js';
import { PMap } from '../../src/model/pmap.js';
import type { FeedEvent } from '../../src/model/events.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { FlightRecorder, isSealedFile } from '../../src/streams/recorder.js';
import { GENESIS_HASH, indexPathOf, sealLine, type HashForm } from '../../src/streams/recording/format.js';
import { readRecording, verifyRecording } from '../../src/streams/recording/reader.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { loadIndex, seek } from '../../src/streams/replay/seek.js';
import { stateAt } from '../../src/streams/replay/state-at.js';
import { EventLog } from '../support/events.js';
import { SAMPLE_BODIES } from '../support/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-schema3-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const path = (ext = '.jsonl') => join(dir, `rec-${++n}${ext}`);

function sampleEvents(repeat = 5): FeedEvent[] {
  const log = new EventLog();
  for (let i = 0; i < repeat; i++) log.pushAll(Object.values(SAMPLE_BODIES));
  return log.events;
}

/** Writes through the real writer and recorder, a turn of the event loop every `perTurn` events. */
async function record(file: string, events: FeedEvent[], opts: { gzip?: boolean; perTurn?: number; everyEvents?: number } = {}): Promise<void> {
  const writer = new RecordingWriter({ file, gzip: opts.gzip, appVersion: 't', source: 'synthetic', startedAtMs: events[0]!.receivedAt });
  const rec = new FlightRecorder(writer, { everyEvents: opts.everyEvents ?? 7, everyMs: 1e12 });
  let s = INITIAL_STATE;
  for (const [i, ev] of events.entries()) {
    s = reduce(s, ev);
    rec.record(ev, s);
    if (opts.perTurn && (i + 1) % opts.perTurn === 0) await new Promise((r) => setImmediate(r));
  }
  await rec.close('test done', s, s.lastEventAt);
}

/** The recording's text, whether gzip or plain. */
const textOf = (file: string) => {
  const raw = readFileSync(file);
  return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
};

/** Writes `lines` back in the file's own compression. */
const rewrite = (file: string, gzip: boolean, lines: string[]) => writeFileSync(file, gzip ? gzipSync(lines.join('\n')) : lines.join('\n'));

async function fold(file: string): Promise<{ events: FeedEvent[]; state: PortfolioState }> {
  const events: FeedEvent[] = [];
  for await (const item of readRecording(file)) if (item.kind === 'event') events.push(item.event);
  return { events, state: reduceAll(events) };
}

const stateJson = (s: PortfolioState) => JSON.stringify(encodeState(s));

describe('schema 3 lines', () => {
  it('state an 11-character base64url tag: the first 64 bits of SHA-256(previous full hash, newline, body)', async () => {
    const file = path();
    await record(file, sampleEvents(2));
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(lines[0]).toContain('"schemaVersion":3,');
    // The chain recomputed here from the bytes on disk, with node:crypto directly.
    let prev = '0'.repeat(64);
    for (const line of lines) {
      const m = /^(.*),"hash":"([A-Za-z0-9_-]{11})"\}$/.exec(line);
      expect(m, line.slice(0, 80)).not.toBeNull();
      const full = createHash('sha256').update(`${prev}\n${m![1]}}`).digest();
      expect(m![2]).toBe(full.subarray(0, 8).toString('base64url'));
      prev = full.toString('hex');
    }
    const v = await verifyRecording(file);
    expect(v.ok && v.summary.sealed).toBe(true);
    // The final hash is the full chain, not a tag: it pins the whole file.
    expect(v.ok && v.summary.finalHash).toBe(prev);
    expect(prev).toMatch(/^[0-9a-f]{64}$/);
  });

  for (const gzip of [false, true]) {
    const kind = gzip ? 'gzip' : 'plain';
    const written = async () => {
      const file = path(gzip ? '.jsonl.gz' : '.jsonl');
      await record(file, sampleEvents(), { gzip, perTurn: 5 });
      return { file, lines: textOf(file).split('\n') };
    };
    const expectBreakAt = async (file: string, line: number) => {
      const r = await verifyRecording(file);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.problem).toBe('tampered');
      expect(r.error.line).toBe(line);
      expect(r.error.message).toContain(`${file}:${line}:`);
      expect(r.error.message).toContain(`readable up to line ${line - 1}`);
    };

    it(`${kind}: one flipped byte is named at its line`, async () => {
      const { file, lines } = await written();
      const i = lines.findIndex((l, k) => k > 10 && l.includes('"1000.25"'));
      expect(i).toBeGreaterThan(0);
      lines[i] = lines[i]!.replace('"1000.25"', '"1000.35"');
      rewrite(file, gzip, lines);
      await expectBreakAt(file, i + 1);
    });

    it(`${kind}: a flipped character of a tag is named at its line`, async () => {
      const { file, lines } = await written();
      const i = 17;
      const at = lines[i]!.length - 4;
      lines[i] = lines[i]!.slice(0, at) + (lines[i]![at] === 'A' ? 'B' : 'A') + lines[i]!.slice(at + 1);
      rewrite(file, gzip, lines);
      await expectBreakAt(file, i + 1);
    });

    it(`${kind}: a dropped line is named at the line that now stands in its place`, async () => {
      const { file, lines } = await written();
      lines.splice(20, 1);
      rewrite(file, gzip, lines);
      await expectBreakAt(file, 21);
    });

    it(`${kind}: two swapped lines are named at the first of them`, async () => {
      const { file, lines } = await written();
      [lines[12], lines[13]] = [lines[13]!, lines[12]!];
      rewrite(file, gzip, lines);
      await expectBreakAt(file, 13);
    });

    it(`${kind}: an inserted copy of an earlier line is named where it was inserted`, async () => {
      const { file, lines } = await written();
      lines.splice(25, 0, lines[5]!);
      rewrite(file, gzip, lines);
      await expectBreakAt(file, 26);
    });
  }

  it('refuses a header whose hash is not in its schema’s form, and a schema-3 line stating a full hex hash', async () => {
    const header = (schemaVersion: number) => ({
      kind: 'header',
      format: 'tws-risk-recording',
      schemaVersion,
      appVersion: 'x',
      source: 'synthetic',
      account: null,
      baseCurrency: null,
      startedAt: '2026-11-23T14:30:00.000Z',
      startedAtMs: 1_795_444_200_000,
    });
    const three = path();
    writeFileSync(three, `${sealLine(GENESIS_HASH, header(3), 'hex').text}\n`);
    const a = await verifyRecording(three);
    expect(!a.ok && [a.error.problem, a.error.line]).toEqual(['malformed', 1]);
    expect(!a.ok && a.error.message).toContain('schema 3 states hashes as 11-character tags');
    const two = path();
    writeFileSync(two, `${sealLine(GENESIS_HASH, header(2), 'tag').text}\n`);
    const b = await verifyRecording(two);
    expect(!b.ok && [b.error.problem, b.error.line]).toEqual(['malformed', 1]);
    // A chain that holds but a line sealed the schema-2 way: not what a schema-3 writer writes.
    const mixed = path();
    const h = sealLine(GENESIS_HASH, header(3), 'tag');
    const ev = sealLine(h.hash, { kind: 'event', event: sampleEvents(1)[0] }, 'hex');
    writeFileSync(mixed, `${h.text}\n${ev.text}\n`);
    const c = await verifyRecording(mixed);
    expect(!c.ok && [c.error.problem, c.error.line]).toEqual(['malformed', 2]);
  });
});

describe('schema 3 gzip', () => {
  it('keeps one member from keyframe to keyframe, each starting where the index says, and decodes with any gzip reader', async () => {
    const file = path('.jsonl.gz');
    const events = sampleEvents(8);
    await record(file, events, { gzip: true, perTurn: 3, everyEvents: 40 });
    const raw = readFileSync(file);
    const index = await loadIndex(file);
    expect(index.length).toBeGreaterThanOrEqual(3);
    for (const e of index) {
      expect([raw[e.offset], raw[e.offset + 1]]).toEqual([0x1f, 0x8b]);
      expect(gunzipSync(raw.subarray(e.offset)).toString('utf8').startsWith(`{"kind":"keyframe","seq":${e.seq},`)).toBe(true);
    }
    const text = gunzipSync(raw).toString('utf8');
    expect(text.split('\n').filter((l) => l !== '')).toHaveLength(events.length + index.length + 2);
    // Turns of a member refer back to the lines before them: smaller than a fresh member per turn of the same lines.
    const lines = text.split('\n').filter((l) => l !== '');
    let perTurn = 0;
    for (let i = 0; i < lines.length; i += 3) perTurn += gzipSync(`${lines.slice(i, i + 3).join('\n')}\n`).length;
    expect(raw.length).toBeLessThan(perTurn * 0.75);
    const { events: got } = await fold(file);
    expect(got).toEqual(events);
    for (const seq of [39, 41, 100, events.length]) {
      expect(stateJson((await seek(file, { seq })).state)).toBe(stateJson(reduceAll(events.filter((e) => e.seq <= seq))));
    }
  });

  it('seals a gzip recording whose last member is longer than the tail the seal check reads', async () => {
    const file = path('.jsonl.gz');
    const events = sampleEvents(700);
    // Straight through the writer, with no keyframe: one member from the header to the end, turn after turn.
    const writer = new RecordingWriter({ file, gzip: true, appVersion: 't', source: 'synthetic', startedAtMs: 0 });
    for (const [i, ev] of events.entries()) {
      writer.append(ev);
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    await writer.close('test done', 1_795_000_000_000);
    const raw = readFileSync(file);
    // Far longer than the 256 KiB isSealedFile reads from the end...
    expect(raw.length).toBeGreaterThan(300 * 1024);
    // ...yet the footer is in a member of its own, which the tail holds.
    expect(isSealedFile(file)).toBe(true);
    const v = await verifyRecording(file);
    expect(v.ok && v.summary.sealed && v.summary.events).toBe(events.length);
  });

  it('reads a gzip recording cut inside a member up to the last segment written before the cut', async () => {
    const file = path('.jsonl.gz');
    const events = sampleEvents(4);
    const writer = new RecordingWriter({ file, gzip: true, appVersion: 't', source: 'synthetic', startedAtMs: 0 });
    for (const ev of events.slice(0, 30)) {
      writer.append(ev);
      await new Promise((r) => setImmediate(r));
    }
    const before = readFileSync(file).length;
    for (const ev of events.slice(30, 33)) writer.append(ev);
    writer.abandon(); // killed before the end of this turn: the last three were never compressed
    expect(readFileSync(file).length).toBe(before);
    const { events: got } = await fold(file);
    expect(got).toEqual(events.slice(0, 30));
    const v = await verifyRecording(file);
    expect(v.ok && v.summary.sealed).toBe(false);
  });
});

describe('older schemas', () => {
  const fixtures = join('test', 'fixtures');

  it('the schema-2 sample reads, verifies and folds to the same events and state as the schema-3 sample', async () => {
    const old = join(fixtures, 'schema-2', 'sample-multicurrency.jsonl');
    expect(readFileSync(old, 'utf8')).toMatch(/^\{"kind":"header","format":"tws-risk-recording","schemaVersion":2,.*"hash":"[0-9a-f]{64}"\}\n/);
    const current = join('recordings', 'sample-multicurrency.jsonl');
    expect(readFileSync(current, 'utf8')).toMatch(/^\{"kind":"header","format":"tws-risk-recording","schemaVersion":3,.*"hash":"[A-Za-z0-9_-]{11}"\}\n/);
    const v = await verifyRecording(old);
    expect(v.ok && v.summary.sealed).toBe(true);
    const a = await fold(old);
    const b = await fold(current);
    expect(a.events.length).toBeGreaterThan(50);
    expect(a.events).toEqual(b.events);
    expect(stateJson(a.state)).toBe(stateJson(b.state));
  });

  it('a schema-2 gzip recording verifies, and seeks through its index to the state of playing to that point', async () => {
    const old = join(fixtures, 'schema-2', 'flatten-disconnect.jsonl.gz');
    const v = await verifyRecording(old);
    expect(v.ok && v.summary.sealed).toBe(true);
    const { events } = await fold(old);
    expect(events.some((e) => e.type === 'operatorActed')).toBe(true);
    const index = await loadIndex(old);
    expect(index.length).toBeGreaterThan(0);
    const last = events.at(-1)!.seq;
    for (const seq of [index[0]!.seq, index[0]!.seq + 1, last]) {
      const r = await seek(old, { seq });
      expect(stateJson(r.state)).toBe(stateJson(reduceAll(events.filter((e) => e.seq <= seq))));
    }
  });

  it('a tampered schema-2 line is still named at its line', async () => {
    const old = join(fixtures, 'schema-2', 'sample-multicurrency.jsonl');
    const lines = readFileSync(old, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"price":"189.85"'));
    expect(i).toBeGreaterThan(0);
    lines[i] = lines[i]!.replace('"price":"189.85"', '"price":"189.95"');
    const bad = path();
    writeFileSync(bad, lines.join('\n'));
    const r = await verifyRecording(bad);
    expect(!r.ok && [r.error.problem, r.error.line]).toEqual(['tampered', i + 1]);
  });
});

describe('seeking from a schema-3 keyframe', () => {
  /** Header, an alert raised (seq 1), a keyframe at seq 1 whose state lists no alerts, one more event; with its index. */
  function keyframeWithoutAlerts(schemaVersion: number, form: HashForm): string {
    const [raised, after] = [SAMPLE_BODIES.alertChanged, SAMPLE_BODIES.brokerMessage].map(
      (b, i) => ({ ...b, seq: i + 1, receivedAt: 1_795_000_000_000 + i }) as FeedEvent,
    );
    const state = reduce(INITIAL_STATE, raised!);
    expect(state.alerts.size).toBe(1);
    const bodies = [
      {
        kind: 'header',
        format: 'tws-risk-recording',
        schemaVersion,
        appVersion: 'x',
        source: 'synthetic',
        account: null,
        baseCurrency: null,
        startedAt: '2026-11-23T14:30:00.000Z',
        startedAtMs: 1_795_000_000_000,
      },
      { kind: 'event', event: raised },
      { kind: 'keyframe', seq: 1, at: raised!.receivedAt, state: encodeState({ ...state, alerts: PMap.empty() }) },
      { kind: 'event', event: after },
    ];
    let prev = GENESIS_HASH;
    let text = '';
    let entry = '';
    for (const [i, b] of bodies.entries()) {
      if (b.kind === 'keyframe') entry = JSON.stringify({ seq: 1, at: raised!.receivedAt, offset: Buffer.byteLength(text), line: i + 1, prevHash: prev });
      const sealed = sealLine(prev, b, form);
      text += `${sealed.text}\n`;
      prev = sealed.hash;
    }
    const file = path();
    writeFileSync(file, text);
    writeFileSync(indexPathOf(file), `${entry}\n`);
    return file;
  }

  it('takes the keyframe as the whole state (alerts included), where an older keyframe is completed from the top', async () => {
    const three = keyframeWithoutAlerts(3, 'tag');
    const r3 = await seek(three, { seq: 2 });
    expect(r3.from?.seq).toBe(1);
    expect(r3.state.alerts.size).toBe(0);
    const two = keyframeWithoutAlerts(2, 'hex');
    const r2 = await seek(two, { seq: 2 });
    expect(r2.from?.seq).toBe(1);
    expect([...r2.state.alerts.keys()]).toEqual(['cushion.band']);
  });
});

describe('report --replay on a schema-3 file (stateAt)', () => {
  it('folds on from the last keyframe before the target to the state and event count of a fold from the top', async () => {
    const file = path('.jsonl.gz');
    const events = sampleEvents(8);
    await record(file, events, { gzip: true, perTurn: 3, everyEvents: 40 });
    const index = await loadIndex(file);
    expect(index.length).toBeGreaterThanOrEqual(3);
    const targets = [undefined, events[10]!.receivedAt, index[1]!.at, index[1]!.at + 1, events.at(-2)!.receivedAt];
    for (const atMs of targets) {
      const want = events.filter((e) => atMs === undefined || e.receivedAt <= atMs);
      const r = await stateAt(file, atMs);
      expect(r.events).toBe(want.length);
      expect(stateJson(r.state)).toBe(stateJson(reduceAll(want)));
      if (atMs === undefined) expect(r.summary?.sealed).toBe(true);
    }
  });

  it('takes the keyframe path: a value only the keyframes carry is in the state, and gone when the index is removed', async () => {
    // Both paths agree on an honest file, so agreement alone cannot show which one ran. These keyframes carry one
    // account value no event does: only a fold that starts from a keyframe can return it.
    const file = path();
    const events = sampleEvents(8);
    const mark = (s: PortfolioState, ev: FeedEvent): PortfolioState => ({
      ...s,
      accountValues: s.accountValues.set('KeyframeOnly|USD', {
        key: 'KeyframeOnly',
        tag: 'KeyframeOnly',
        currency: 'USD',
        raw: String(ev.seq),
        updatedAt: ev.receivedAt,
      }),
    });
    const writer = new RecordingWriter({ file, appVersion: 't', source: 'synthetic', startedAtMs: events[0]!.receivedAt });
    const every = 40;
    const rec = new FlightRecorder(writer, { everyEvents: every, everyMs: 1e12 });
    let s = INITIAL_STATE;
    for (const ev of events) {
      s = reduce(s, ev);
      rec.record(ev, mark(s, ev));
    }
    await rec.close('test done', mark(s, events.at(-1)!), s.lastEventAt);
    const index = await loadIndex(file);
    expect(index.length).toBeGreaterThanOrEqual(2);
    const onKeyframe = (r: { state: PortfolioState }) => [...r.state.accountValues.values()].find((v) => v.key === 'KeyframeOnly')?.raw;
    // Just after the second keyframe, written after event 2 * every.
    const atMs = events[2 * every - 1]!.receivedAt + 1;
    const fromKeyframe = await stateAt(file, atMs);
    expect(onKeyframe(fromKeyframe)).toBe(String(events[2 * every - 1]!.seq));
    expect(fromKeyframe.events).toBe(events.filter((e) => e.receivedAt <= atMs).length);
    rmSync(indexPathOf(file));
    const fromTop = await stateAt(file, atMs);
    expect(onKeyframe(fromTop)).toBeUndefined();
    expect(fromTop.events).toBe(fromKeyframe.events);
  });

  it('still folds from the top when the index names a line that is no keyframe, and still names a tampered line before the keyframe', async () => {
    const file = path();
    const events = sampleEvents(8);
    await record(file, events, { everyEvents: 40 });
    const good = readFileSync(indexPathOf(file), 'utf8');
    const entries = good.split('\n').filter((l) => l !== '');
    const last = JSON.parse(entries.at(-1)!) as { line: number };
    writeFileSync(indexPathOf(file), `${entries.slice(0, -1).join('\n')}\n${JSON.stringify({ ...JSON.parse(entries.at(-1)!), line: last.line - 3 })}\n`);
    expect(stateJson((await stateAt(file)).state)).toBe(stateJson(reduceAll(events)));
    writeFileSync(indexPathOf(file), good);
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l, k) => k > 10 && l.includes('"1000.25"'));
    lines[i] = lines[i]!.replace('"1000.25"', '"1000.35"');
    writeFileSync(file, lines.join('\n'));
    await expect(stateAt(file)).rejects.toMatchObject({ problem: 'tampered', line: i + 1 });
  });
});
