// Recording and audit files under hostile conditions (issue 14): a full disk, links, FIFOs, appended bytes, permissions.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionSummary } from '../../src/commands/console.js';
import type { FeedEvent } from '../../src/model/events.js';
import { reduce } from '../../src/model/reducer.js';
import { INITIAL_STATE } from '../../src/model/state.js';
import { Feed } from '../../src/streams/feed.js';
import { FlightRecorder, RotatingRecorder } from '../../src/streams/recorder.js';
import { indexPathOf } from '../../src/streams/recording/format.js';
import { readRecording, verifyRecording } from '../../src/streams/recording/reader.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { AuditLog } from '../../src/trading/audit.js';
import { EventLog } from '../support/events.js';
import { SAMPLE_BODIES } from '../support/samples.js';
import { fillUp, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { Subject } from 'rxjs';
import type { FeedEventBody } from '../../src/model/events.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-harden-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const path = (ext = '.jsonl') => join(dir, `rec-${++n}${ext}`);

const run = runCli;

/** Market-data-like events only: none of them forces a flush, so a gzip writer flushes at the end of the turn. */
function quietEvents(count: number): FeedEvent[] {
  const log = new EventLog();
  for (let i = 0; i < count; i++) log.push({ ...SAMPLE_BODIES.accountValueUpdated, value: String(1000 + i) });
  return log.events;
}

async function sealedRecording(gzip = false): Promise<string> {
  const file = path(gzip ? '.jsonl.gz' : '.jsonl');
  const events = quietEvents(20);
  const w = new RecordingWriter({ file, gzip, appVersion: 'test', source: 'synthetic', startedAtMs: events[0]!.receivedAt });
  const rec = new FlightRecorder(w, { everyEvents: 7, everyMs: 1e12 });
  let s = INITIAL_STATE;
  for (const ev of events) rec.record(ev, (s = reduce(s, ev)));
  await rec.close('test done', s);
  return file;
}

describe('a full disk (issue 14 item 3)', () => {
  let fs: Tmpfs | string;
  beforeAll(() => {
    fs = mountTmpfs('full', 256);
    if (typeof fs === 'string') console.warn(`recording-hardening: full-disk tests skipped: ${fs}`);
  });
  afterAll(() => {
    if (typeof fs !== 'string') fs.unmount();
  });

  it('stops a gzip recording with one reported error instead of throwing from the deferred flush', async (ctx) => {
    if (typeof fs === 'string') return ctx.skip();
    const sub = join(fs.dir, 'gzip');
    const errors: Error[] = [];
    const rec = new RotatingRecorder({
      dir: sub,
      source: 'demo',
      appVersion: 'test',
      gzip: true,
      rotateBytes: 1e9,
      policy: { everyEvents: 1e9, everyMs: 1e12 },
      onError: (e) => errors.push(e),
    });
    fillUp(fs.dir);
    const events = quietEvents(50);
    let s = INITIAL_STATE;
    for (const ev of events.slice(0, 10)) {
      const before = s;
      rec.record(ev, (s = reduce(s, ev)), before);
    }
    // The end of this turn flushes the pending gzip member, which the full disk refuses.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOSPC']);
    expect(rec.failure?.message).toMatch(/ENOSPC/);
    // Later events are dropped quietly (the operator was told once), and closing does not throw.
    for (const ev of events.slice(10)) {
      const before = s;
      rec.record(ev, (s = reduce(s, ev)), before);
    }
    await new Promise((r) => setImmediate(r));
    await rec.close('operator quit', s);
    expect(errors).toHaveLength(1);
    rmSync(join(fs.dir, 'filler'));
  });

  it('stops a plain recording, keeps the feed going, and the exit line says recording stopped', async (ctx) => {
    if (typeof fs === 'string') return ctx.skip();
    const sub = join(fs.dir, 'plain');
    const errors: Error[] = [];
    const rec = new RotatingRecorder({
      dir: sub,
      source: 'demo',
      appVersion: 'test',
      gzip: false,
      rotateBytes: 1e9,
      policy: { everyEvents: 1e9, everyMs: 1e12 },
      onError: (e) => errors.push(e),
    });
    const source = new Subject<FeedEventBody>();
    let t = Date.UTC(2026, 10, 23, 14, 30);
    const sinkErrors: Error[] = [];
    const feed = new Feed(source, { sink: rec, now: () => (t += 10), onSinkError: (e) => sinkErrors.push(e) });
    for (let i = 0; i < 5; i++) source.next({ ...SAMPLE_BODIES.accountValueUpdated, value: String(i) });
    const file = rec.file!;
    fillUp(fs.dir);
    for (let i = 0; i < 200; i++) source.next({ ...SAMPLE_BODIES.accountValueUpdated, value: String(1e6 + i) });
    expect(feed.state.lastSeq).toBe(205);
    expect([...errors, ...sinkErrors].map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOSPC']);
    expect(rec.failure?.message).toMatch(/ENOSPC/);
    await feed.close('operator quit');
    rmSync(join(fs.dir, 'filler'));
    // What reached the disk is a readable, unsealed prefix.
    const v = await verifyRecording(file);
    expect(v.ok && !v.summary.sealed && v.summary.events >= 5).toBe(true);
    const line = sessionSummary({
      command: 'demo',
      startedAt: 0,
      endedAt: 60_000,
      events: 205,
      health: 'ready',
      files: rec.files,
      ...(rec.failure ? { recordingStopped: rec.failure.message } : {}),
    });
    expect(line).not.toContain('recorded to');
    expect(line).toContain(`recording STOPPED (${rec.failure!.message}); ${file} holds the session until then, unsealed`);
  });

  it('reports a disk that fills up mid-rotation once, as recording stopped, with no unhandled rejection (issue 15 item 7)', async (ctx) => {
    if (typeof fs === 'string') return ctx.skip();
    const sub = join(fs.dir, 'rotate');
    const errors: Error[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const rec = new RotatingRecorder({
        dir: sub,
        source: 'demo',
        appVersion: 'test',
        gzip: false,
        rotateBytes: 8 * 1024,
        policy: { everyEvents: 1e9, everyMs: 1e12 },
        onError: (e) => errors.push(e),
      });
      const source = new Subject<FeedEventBody>();
      let t = Date.UTC(2026, 10, 23, 14, 30);
      const feed = new Feed(source, { sink: rec, now: () => (t += 10), onSinkError: (e) => errors.push(e) });
      // Bring the first file to exactly its rotation size, a whole number of tmpfs pages, so that once the disk is
      // full not even the footer fits: the next event rotates, and closing the old file fails.
      const size = () => statSync(first).size;
      source.next({ ...SAMPLE_BODIES.accountValueUpdated, value: '0' });
      const first = rec.file!;
      while (size() < 8 * 1024 - 1500) source.next({ ...SAMPLE_BODIES.accountValueUpdated, value: '1' });
      const was = size();
      source.next({ ...SAMPLE_BODIES.accountValueUpdated, value: '2' });
      const lineWithoutValue = size() - was - 1;
      source.next({ ...SAMPLE_BODIES.accountValueUpdated, value: '3'.repeat(8 * 1024 - size() - lineWithoutValue) });
      expect(size()).toBe(8 * 1024);
      expect(rec.files).toEqual([first]);
      fillUp(fs.dir);
      const before = feed.state.lastSeq;
      for (let k = 0; k < 20; k++) source.next({ ...SAMPLE_BODIES.accountValueUpdated, value: String(1e6 + k) });
      // The old file's close rejects on a later turn: give it every chance to surface.
      for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
      expect(feed.state.lastSeq).toBe(before + 20);
      expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOSPC']);
      expect(rec.failure?.message).toMatch(/ENOSPC/);
      await feed.close('operator quit');
      for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
      expect(errors).toHaveLength(1);
      rmSync(join(fs.dir, 'filler'));
      // The file written before the rotation is still a readable (unsealed) prefix of the session.
      const v = await verifyRecording(first);
      expect(v).toMatchObject({ ok: true, summary: { sealed: false, events: before } });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('file permissions (issue 14 item 11)', () => {
  it('creates recording and audit directories 0700 and their files 0600, whatever the umask allows', async () => {
    const old = process.umask(0o022);
    try {
      const recDir = join(dir, 'perm', 'recordings', 'deep');
      const rec = new RotatingRecorder({
        dir: recDir,
        source: 'demo',
        appVersion: 'test',
        gzip: false,
        rotateBytes: 1e9,
        policy: { everyEvents: 2, everyMs: 1e12 },
      });
      let s = INITIAL_STATE;
      for (const ev of quietEvents(5)) {
        const before = s;
        rec.record(ev, (s = reduce(s, ev)), before);
      }
      await rec.close('done', s);
      const file = rec.files[0]!;
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(indexPathOf(file)).mode & 0o777).toBe(0o600);
      expect(statSync(recDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, 'perm', 'recordings')).mode & 0o777).toBe(0o700);

      const auditFile = join(dir, 'perm', 'audit', 'a.jsonl');
      const audit = new AuditLog(auditFile, { appVersion: 'test', account: 'DU1', mode: 'test' });
      audit.close();
      expect(statSync(audit.file).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'perm', 'audit')).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(old);
    }
  });
});

describe('the seek index (issue 14 item 12)', () => {
  it('never writes through a symlink planted at FILE.idx, and still indexes the recording', async () => {
    const file = path();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, indexPathOf(file));
    const events = quietEvents(10);
    const w = new RecordingWriter({ file, appVersion: 'test', source: 'synthetic', startedAtMs: events[0]!.receivedAt });
    const rec = new FlightRecorder(w, { everyEvents: 3, everyMs: 1e12 });
    let s = INITIAL_STATE;
    for (const ev of events) rec.record(ev, (s = reduce(s, ev)));
    await rec.close('done', s);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    const idx = lstatSync(indexPathOf(file));
    expect(idx.isSymbolicLink()).toBe(false);
    expect(idx.mode & 0o777).toBe(0o600);
    const v = await verifyRecording(file);
    expect(v.ok && v.summary.keyframes).toBeGreaterThan(0);
    expect(readFileSync(indexPathOf(file), 'utf8').trim().split('\n')).toHaveLength(v.ok ? v.summary.keyframes : -1);
  });
});

describe('verify (issue 14 items 9 and 14)', () => {
  it('fails a sealed plain recording with a cut-off line appended after the footer, with or without --strict', async () => {
    const file = await sealedRecording();
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    appendFileSync(file, '{"kind":"event"');
    for (const flags of [['--strict'], []]) {
      const r = await run('verify', file, ...flags);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`INVALID ${file}:${lines + 1}: content after the sealing footer`);
    }
    const v = await verifyRecording(file);
    expect(v.ok).toBe(false);
  });

  it('fails a sealed recording with whole lines, or a bare newline, after the footer', async () => {
    const a = await sealedRecording();
    appendFileSync(a, 'hello\n');
    expect((await run('verify', a, '--strict')).err).toMatch(/content after the sealing footer/);
    const b = await sealedRecording();
    appendFileSync(b, '\n');
    expect((await run('verify', b, '--strict')).err).toMatch(/content after the sealing footer/);
  });

  it('fails a sealed gzip recording with bytes appended after its last member', async () => {
    const file = await sealedRecording(true);
    expect((await run('verify', file, '--strict')).code).toBe(0);
    appendFileSync(file, Buffer.from('trailing bytes'));
    for (const flags of [['--strict'], []]) {
      const r = await run('verify', file, ...flags);
      expect(r.code).toBe(1);
      // zlib refuses the bytes that are no gzip member and drops what it decoded in the same read.
      expect(r.err).toMatch(/^INVALID .*: cannot decompress after line \d+: incorrect header check/);
    }
  });

  it('names a file whose only line is cut short as such, not as an empty file', async () => {
    // The first bytes of a real header: the writer died before its newline (or the copy stopped there).
    const file = await sealedRecording();
    const cut = path();
    writeFileSync(cut, readFileSync(file, 'utf8').slice(0, 60));
    for (const flags of [['--strict'], []]) {
      const r = await run('verify', cut, ...flags);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`INVALID ${cut}: no complete line: the header line is cut short after 60 bytes (the writer died before finishing it)`);
    }
    expect((await run('report', '--replay', cut)).err).toMatch(/no complete line: the header line is cut short after 60 bytes/);
    const empty = path();
    writeFileSync(empty, '');
    expect((await run('verify', empty)).err).toBe(`INVALID ${empty}: file is empty: no header line`);
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = join(dir, 'pipe.jsonl');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await run('verify', fifo);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`INVALID ${fifo}: not a regular file (a FIFO)`);
    const items: unknown[] = [];
    await expect(
      (async () => {
        for await (const i of readRecording(fifo)) items.push(i);
      })(),
    ).rejects.toThrow(/not a regular file \(a FIFO\)/);
  }, 10_000);

  it('reports a symlink loop as a file that cannot be opened, not as a decompression error', async () => {
    const a = join(dir, 'loop-a.jsonl');
    const b = join(dir, 'loop-b.jsonl');
    symlinkSync(b, a);
    symlinkSync(a, b);
    const r = await run('verify', a, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j).toMatchObject({ valid: false, problem: 'io', line: 0 });
    expect(String(j.reason)).toMatch(/^cannot read: .*ELOOP/);
    expect(String(j.reason)).not.toMatch(/decompress/);
    expect(existsSync(a)).toBe(false); // existsSync follows the loop and fails: it is really a loop
  });
});
