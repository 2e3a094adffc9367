import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeState } from '../../src/model/codec.js';
import type { FeedEvent } from '../../src/model/events.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { INITIAL_STATE } from '../../src/model/state.js';
import { FlightRecorder } from '../../src/streams/recorder.js';
import { chainHash, sealLine, unsealLine } from '../../src/streams/recording/format.js';
import { readRecording, verifyRecording, type RecordingItem } from '../../src/streams/recording/reader.js';
import { numbered } from '../../src/streams/recording/open-unique.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { EventLog } from '../support/events.js';
import { SAMPLE_BODIES } from '../support/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const path = (ext = '.jsonl') => join(dir, `rec-${++n}${ext}`);

function sampleEvents(repeat = 5): FeedEvent[] {
  const log = new EventLog();
  for (let i = 0; i < repeat; i++) log.pushAll(Object.values(SAMPLE_BODIES));
  return log.events;
}

/** Writes events through the real writer and recorder (keyframe every 7 events). */
async function record(file: string, events: FeedEvent[], opts: { gzip?: boolean; seal?: boolean } = {}): Promise<void> {
  const writer = new RecordingWriter({
    file,
    gzip: opts.gzip,
    appVersion: '0.0.0-test',
    source: 'synthetic',
    account: 'DU1234567',
    baseCurrency: 'USD',
    startedAtMs: events[0]!.receivedAt,
  });
  const rec = new FlightRecorder(writer, { everyEvents: 7, everyMs: 1e12 });
  let s = INITIAL_STATE;
  for (const ev of events) {
    s = reduce(s, ev);
    rec.record(ev, s);
  }
  if (opts.seal === false) {
    writer.abandon();
    return;
  }
  await rec.close('test done', s);
}

async function readAll(file: string): Promise<{ items: RecordingItem[]; summary: Awaited<ReturnType<typeof verifyRecording>> }> {
  const items: RecordingItem[] = [];
  for await (const it of readRecording(file)) items.push(it);
  return { items, summary: await verifyRecording(file) };
}

describe('recording format', () => {
  it('seals each line with a hash chained to the previous line', () => {
    const a = sealLine('0'.repeat(64), { kind: 'x', v: 1 });
    const b = sealLine(a.hash, { kind: 'y' });
    expect(unsealLine(a.text)).toEqual({ body: '{"kind":"x","v":1}', hash: a.hash });
    expect(chainHash(a.hash, '{"kind":"y"}')).toBe(b.hash);
    expect(b.text).toBe(`{"kind":"y","hash":"${b.hash}"}`);
  });
});

describe('RecordingWriter and readRecording', () => {
  for (const gzip of [false, true]) {
    it(`reads back every event and keyframe of a sealed ${gzip ? 'gzip' : 'plain'} recording`, async () => {
      const events = sampleEvents();
      const file = path(gzip ? '.jsonl.gz' : '.jsonl');
      await record(file, events, { gzip });
      const { items, summary } = await readAll(file);
      const got = items.filter((i) => i.kind === 'event').map((i) => (i as { event: FeedEvent }).event);
      expect(got).toEqual(events);
      expect(summary.ok && summary.summary.sealed).toBe(true);
      expect(summary.ok && summary.summary.events).toBe(events.length);
      expect(summary.ok && summary.summary.header.account).toBe('DU1234567');
      // Each keyframe holds exactly the state folded up to its seq.
      const keyframes = items.filter((i) => i.kind === 'keyframe');
      expect(keyframes.length).toBeGreaterThanOrEqual(Math.floor(events.length / 7));
      for (const k of keyframes) {
        if (k.kind !== 'keyframe') continue;
        const folded = reduceAll(events.filter((e) => e.seq <= k.seq));
        expect(JSON.stringify(encodeState(k.state))).toBe(JSON.stringify(encodeState(folded)));
      }
    });
  }

  it('detects gzip by content, whatever the file is called', async () => {
    const events = sampleEvents(1);
    const file = path('.jsonl');
    await record(file, events, { gzip: true });
    expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const { summary } = await readAll(file);
    expect(summary.ok && summary.summary.events).toBe(events.length);
  });

  it('numbers generated names instead of failing when two sessions start in the same second', () => {
    const file = path();
    const a = new RecordingWriter({ file, uniqueName: true, appVersion: 'x', source: 'synthetic', startedAtMs: 0 });
    const b = new RecordingWriter({ file, uniqueName: true, appVersion: 'x', source: 'synthetic', startedAtMs: 0 });
    expect(a.file).toBe(file);
    expect(b.file).toBe(file.replace(/\.jsonl$/, '-2.jsonl'));
    a.abandon();
    b.abandon();
    expect(numbered('/x/tws-risk-1.jsonl.gz', 3)).toBe('/x/tws-risk-1-3.jsonl.gz');
  });

  it('never overwrites an existing recording', async () => {
    const file = path();
    await record(file, sampleEvents(1));
    expect(() => new RecordingWriter({ file, appVersion: 'x', source: 'synthetic', startedAtMs: 0 })).toThrow(/EEXIST/);
  });
});

describe('damaged recordings', () => {
  it('reads a crashed (unsealed) plain recording to its last whole line and reports it unsealed', async () => {
    const events = sampleEvents();
    const file = path();
    await record(file, events, { seal: false });
    const whole = readFileSync(file, 'utf8');
    const lines = whole.split('\n');
    // Cut the file in the middle of line 40, as a crash during a write would.
    const cut = lines.slice(0, 39).join('\n') + '\n' + lines[39]!.slice(0, 25);
    writeFileSync(file, cut);
    const { items, summary } = await readAll(file);
    expect(summary.ok).toBe(true);
    if (!summary.ok) return;
    expect(summary.summary.sealed).toBe(false);
    expect(summary.summary.truncatedTail).toBe(true);
    expect(summary.summary.lines).toBe(39);
    expect(items.at(-1)!.line).toBe(39);
  });

  it('leaves a killed gzip recording readable up to the last turn or operator action before the kill', async () => {
    const events = sampleEvents(2);
    expect(events[21]!.type).toBe('operatorActed');
    expect(events[22]!.type).toBe('alertChanged');
    expect(events[23]!.type).toBe('guardActed');
    const file = path('.jsonl.gz');
    const writer = new RecordingWriter({ file, gzip: true, appVersion: 'x', source: 'synthetic', startedAtMs: 0 });
    for (const ev of events.slice(0, 20)) writer.append(ev);
    await new Promise((r) => setImmediate(r)); // the end of a turn flushes
    // seq 22, an operator action, seq 23, an alert transition, and seq 24, a guard's step, each flush at once
    for (const ev of events.slice(20, 27)) writer.append(ev);
    writer.abandon(); // the process dies here: seq 25-27 were never compressed
    const { items, summary } = await readAll(file);
    expect(summary.ok && summary.summary.sealed).toBe(false);
    expect(items.flatMap((i) => (i.kind === 'event' ? [i.event.seq] : []))).toEqual(events.slice(0, 24).map((e) => e.seq));
  });

  it('reads a gzip recording cut mid-stream up to its last whole line', async () => {
    const events = sampleEvents();
    const file = path('.jsonl.gz');
    await record(file, events, { gzip: true });
    const full = readFileSync(file);
    const plainLines = gunzipSync(full).toString('utf8').split('\n').length - 1;
    writeFileSync(file, full.subarray(0, Math.floor(full.length * 0.6)));
    const { items, summary } = await readAll(file);
    expect(summary.ok).toBe(true);
    if (!summary.ok) return;
    expect(summary.summary.sealed).toBe(false);
    expect(summary.summary.lines).toBeGreaterThan(5);
    expect(summary.summary.lines).toBeLessThan(plainLines);
    // What was read is a gap-free prefix of what was written.
    const got = items.filter((i) => i.kind === 'event').map((i) => (i as { event: FeedEvent }).event);
    expect(got).toEqual(events.slice(0, got.length));
  });

  it('reports one changed byte as tampering, naming its line', async () => {
    const file = path();
    await record(file, sampleEvents());
    const lines = readFileSync(file, 'utf8').split('\n');
    const target = lines.findIndex((l, i) => i > 10 && l.includes('"1000.25"'));
    expect(target).toBeGreaterThan(0);
    lines[target] = lines[target]!.replace('"1000.25"', '"1000.26"');
    writeFileSync(file, lines.join('\n'));
    const r = await verifyRecording(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.problem).toBe('tampered');
    expect(r.error.line).toBe(target + 1);
    expect(r.error.message).toContain(`${file}:${target + 1}:`);
    expect(r.error.message).toContain(`readable up to line ${target}`);
    expect(r.linesRead).toBeLessThan(target + 1);
  });

  it('reports a deleted line as a break in the chain at the line after it', async () => {
    const file = path();
    await record(file, sampleEvents());
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(20, 1);
    writeFileSync(file, lines.join('\n'));
    const r = await verifyRecording(file);
    expect(!r.ok && r.error.problem).toBe('tampered');
    expect(!r.ok && r.error.line).toBe(21);
  });

  it('reports a non-JSON line with its line number, and yields every line before it', async () => {
    const file = path();
    await record(file, sampleEvents());
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[14] = 'this is not json {';
    writeFileSync(file, lines.join('\n'));
    const items: RecordingItem[] = [];
    await expect(async () => {
      for await (const it of readRecording(file)) items.push(it);
    }).rejects.toThrow(`${file}:15: line is not valid JSON`);
    expect(items.at(-1)!.line).toBe(14);
  });

  it('refuses content after the sealing footer', async () => {
    const file = path();
    await record(file, sampleEvents(1));
    const sealed = await verifyRecording(file);
    expect(sealed.ok).toBe(true);
    if (!sealed.ok) return;
    // Even a correctly chained line may not follow the seal.
    appendFileSync(file, `${sealLine(sealed.summary.finalHash, { kind: 'event', event: {} }).text}\n`);
    const r = await verifyRecording(file);
    expect(!r.ok && r.error.problem).toBe('structure');
    expect(!r.ok && r.error.message).toContain(`:${sealed.summary.lines + 1}: content after the sealing footer`);
  });

  it('refuses a recording with an unknown schema version, saying so', async () => {
    const file = path();
    const header = sealLine('0'.repeat(64), { kind: 'header', format: 'tws-risk-recording', schemaVersion: 99, startedAtMs: 0 });
    writeFileSync(file, `${header.text}\n`);
    const r = await verifyRecording(file);
    expect(!r.ok && r.error.problem).toBe('unsupported');
    expect(!r.ok && r.error.message).toMatch(/schema version 99 is not supported/);
  });

  it('refuses a file that is not a recording', async () => {
    const file = path();
    writeFileSync(file, gzipSync('hello\nworld\n'));
    const r = await verifyRecording(file);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.line).toBe(1);
  });

  it('reports a missing file as an I/O problem without a stack', async () => {
    const r = await verifyRecording(join(dir, 'missing.jsonl'));
    expect(!r.ok && r.error.problem).toBe('io');
  });
});
