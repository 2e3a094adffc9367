// Schema 1 recordings (free-JSON operator details) still verify, replay and fold as they did; schema 2 checks its typed operator events.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFEST, SAMPLE_FILE } from '../../scripts/make-recordings.js';
import { stateHash, type SampleEntry } from '../../scripts/sim-recordings.js';
import { decodeState, encodeState } from '../../src/model/codec.js';
import type { FeedEvent } from '../../src/model/events.js';
import { operatorEventOf } from '../../src/model/operator.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { GENESIS_HASH, sealLine } from '../../src/streams/recording/format.js';
import { readRecording, verifyRecording } from '../../src/streams/recording/reader.js';
import { EventLog } from '../support/events.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-schema1-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const T0 = Date.UTC(2026, 10, 23, 14, 30);

function writeLines(bodies: object[]): string {
  let prev = GENESIS_HASH;
  const lines: string[] = [];
  for (const b of bodies) {
    const { text, hash } = sealLine(prev, b);
    lines.push(text);
    prev = hash;
  }
  const file = join(dir, `schema-${++n}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

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

async function fold(file: string): Promise<{ state: PortfolioState; events: FeedEvent[]; keyframes: PortfolioState[] }> {
  let state = INITIAL_STATE;
  const events: FeedEvent[] = [];
  const keyframes: PortfolioState[] = [];
  for await (const item of readRecording(file)) {
    if (item.kind === 'event') {
      events.push(item.event);
      state = reduce(state, item.event);
    } else if (item.kind === 'keyframe') keyframes.push(item.state);
  }
  return { state, events, keyframes };
}

/** The first line's JSON, as written. */
const firstLine = (file: string) =>
  JSON.parse(
    readFileSync(file)
      .subarray(0, 400)
      .toString('latin1')
      .split('\n')[0]!
      .replace(/,"hash".*$/, '}')
      .replace(/,"meta".*$/, '}'),
  ) as { schemaVersion: number };

describe('the shipped schema-1 recordings', () => {
  const manifest = JSON.parse(readFileSync(join('recordings', MANIFEST), 'utf8')) as SampleEntry[];

  for (const entry of manifest) {
    it(`${entry.file}: a schema-1 file, sealed, folds to the manifest's state hash; its last keyframe agrees; every operator event is typed`, async () => {
      const file = join('recordings', entry.file);
      const { gunzipSync } = await import('node:zlib');
      const head = gunzipSync(readFileSync(file)).subarray(0, 200).toString('latin1');
      expect(head).toContain('"schemaVersion":1,');
      const v = await verifyRecording(file);
      expect(v.ok && v.summary.sealed).toBe(true);
      const { state, events, keyframes } = await fold(file);
      expect(stateHash(state)).toBe(entry.finalStateSha256);
      // The keyframe before the footer holds the final state; read through the schema-1 upgrade, it is the fold's.
      expect(stateHash(keyframes[keyframes.length - 1]!)).toBe(stateHash(state));
      for (const e of events) if (e.type === 'operatorActed') expect(operatorEventOf(e.action, e.detail)).toEqual({ action: e.action, detail: e.detail });
    });
  }

  it('flatten-disconnect: its operator log reads as the typed events, and its arming (no expiry recorded) never counts', async () => {
    const { state } = await fold(join('recordings', 'flatten-disconnect.jsonl.gz'));
    expect(state.operatorActions.map((a) => a.action)).toEqual(['armed', 'dialogShown', 'decision', 'ordersSent', 'ordersSent', 'note']);
    const shown = state.operatorActions[1]!;
    expect(shown.action === 'dialogShown' && shown.detail.shown?.title).toBe('FLATTEN underlying:AAPL?');
    expect(state.arming).toBeUndefined();
  });

  it('the synthetic sample as written by schema 1 folds to exactly the state of the same sample written by schema 2', async () => {
    const old = join('test', 'fixtures', 'schema-1', SAMPLE_FILE);
    expect(firstLine(old).schemaVersion).toBe(1);
    // The schema-2 copy is the one the schema-2 writer made (test/fixtures/schema-2); schema 3 is compared with it there.
    const two = join('test', 'fixtures', 'schema-2', SAMPLE_FILE);
    expect(firstLine(two).schemaVersion).toBe(2);
    const v = await verifyRecording(old);
    expect(v.ok && v.summary.sealed).toBe(true);
    const [a, b] = [await fold(old), await fold(two)];
    expect(a.state.lastSeq).toBeGreaterThan(0);
    expect(encodeState(a.state)).toEqual(encodeState(b.state));
  });
});

describe('upgrading schema-1 operator events', () => {
  const until = T0 + 300_000;
  const v1 = [
    { type: 'operatorActed', action: 'armed', detail: { until, by: 'palette', account: 'DU1234567' } },
    { type: 'operatorActed', action: 'note', detail: { recorder: 'stopped', reason: 'ENOSPC' } },
    { type: 'operatorActed', action: 'ordersSent', detail: { planId: 'cancel-1', cancel: 'client', orderIds: [11, 12] } },
    {
      type: 'operatorActed',
      action: 'dialogShown',
      detail: {
        id: 'flat-1',
        scope: 'underlying:AAPL',
        account: 'DU1234567',
        cancels: [],
        legs: [
          {
            conId: 265598,
            contract: 'AAPL',
            secType: 'STK',
            currency: 'USD',
            position: '500',
            action: 'SELL',
            quantity: '500',
            target: '0',
            orderType: 'LMT',
            limitPrice: '228.4',
            mark: null,
            notionalBase: null,
          },
        ],
        totalNotionalBase: null,
        notes: [],
        afterFlatten: null,
        shown: { title: 'FLATTEN AAPL?', lines: ['SELL 500 AAPL LMT 228.4'] },
      },
    },
    {
      type: 'operatorActed',
      action: 'note',
      detail: {
        hook: '/bin/false',
        alert: 'a1',
        kind: 'raised',
        outcome: 'failed',
        message: 'alert hook /bin/false exited with code 1 for a1 raised',
        exitCode: 1,
        signal: null,
      },
    },
    { type: 'operatorActed', action: 'armed', detail: { account: 'DU1234567' } },
    { type: 'operatorActed', action: 'mystery', detail: [1, 2] },
  ].map((b, i) => ({ ...b, seq: i + 1, receivedAt: T0 + i * 1000 }));

  it('reads each as the typed event it meant; a detail that fits nothing becomes a note that keeps its text', async () => {
    const file = writeLines([
      header(1),
      ...v1.map((event) => ({ kind: 'event', event })),
      {
        kind: 'keyframe',
        seq: v1.length,
        at: T0,
        state: {
          ...(encodeState(INITIAL_STATE) as object),
          lastSeq: v1.length,
          operatorActions: v1.map((e) => ({ seq: e.seq, at: e.receivedAt, action: e.action, detail: e.detail })),
        },
      },
    ]);
    const { state, events, keyframes } = await fold(file);
    const ops = events.map((e) => (e.type === 'operatorActed' ? { action: e.action, detail: e.detail } : undefined));
    expect(ops).toEqual([
      { action: 'armed', detail: { until, by: 'palette', account: 'DU1234567' } },
      { action: 'recorderStopped', detail: { reason: 'ENOSPC' } },
      { action: 'cancelsSent', detail: { planId: 'cancel-1', cancel: 'client', orderIds: [11, 12] } },
      {
        action: 'dialogShown',
        detail: {
          planId: 'flat-1',
          scope: 'underlying:AAPL',
          account: 'DU1234567',
          legs: [{ conId: 265598, contract: 'AAPL', action: 'SELL', quantity: '500', orderType: 'LMT', limitPrice: '228.4' }],
          shown: { title: 'FLATTEN AAPL?', lines: ['SELL 500 AAPL LMT 228.4'] },
        },
      },
      {
        action: 'alertHook',
        detail: {
          hook: '/bin/false',
          alert: 'a1',
          kind: 'raised',
          outcome: 'failed',
          message: 'alert hook /bin/false exited with code 1 for a1 raised',
          exitCode: 1,
          signal: null,
        },
      },
      // `armed` without `by` fits no variant: a note keeps what it said, and it arms nothing.
      { action: 'note', detail: { text: 'armed: {"account":"DU1234567"}' } },
      { action: 'note', detail: { text: 'mystery: [1,2]' } },
    ]);
    // The first arming (with its expiry) is in force.
    expect(state.arming).toEqual({ account: 'DU1234567', by: 'palette', at: T0, until });
    // A schema-1 keyframe predates `arming`: it is folded from its operator log, and its rows are upgraded too.
    expect(keyframes[0]!.arming).toEqual(state.arming);
    expect(keyframes[0]!.operatorActions.map((a) => a.action)).toEqual(state.operatorActions.map((a) => a.action));
  });
});

describe('schema 2', () => {
  const log = new EventLog();
  it('refuses an operator event whose detail does not fit its action, naming the line', async () => {
    const [ok] = log.pushAll([{ type: 'operatorActed', action: 'disarmed', detail: { reason: 'expired' } }]);
    const bad = { type: 'operatorActed', action: 'disarmed', detail: { why: 'expired' }, seq: 2, receivedAt: ok!.receivedAt };
    const file = writeLines([header(2), { kind: 'event', event: ok }, { kind: 'event', event: bad }]);
    // `tws-risk verify` decodes no market event, but still the recorded facts: it names the same line.
    const quick = await verifyRecording(file, { decode: false });
    expect(!quick.ok && [quick.error.line, quick.error.problem]).toEqual([3, 'malformed']);
    const v = await verifyRecording(file);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.error.line).toBe(3);
      expect(v.error.problem).toBe('malformed');
      expect(v.error.message).toMatch(/operator action disarmed has a detail that does not fit it/);
    }
  });

  it('folds arming from armed and disarmed events: the guard reads this, not a flag of its own', () => {
    const until = T0 + 60_000;
    const [armed, disarmed] = log.pushAll([
      { type: 'operatorActed', action: 'armed', detail: { until, by: 'headless', account: 'DU1234567' } },
      { type: 'operatorActed', action: 'disarmed', detail: { reason: 'expired' } },
    ]);
    const s1 = reduceAll([armed!]);
    expect(s1.arming).toEqual({ account: 'DU1234567', by: 'headless', at: armed!.receivedAt, until });
    const s2 = reduce(s1, disarmed!);
    expect('arming' in s2).toBe(false);
    // A keyframe of an armed state reads back armed.
    expect(decodeState(JSON.parse(JSON.stringify(encodeState(s1)))).arming).toEqual(s1.arming);
  });

  it('refuses a schema it does not know, naming those it reads', async () => {
    const file = writeLines([header(4)]);
    const v = await verifyRecording(file);
    expect(!v.ok && v.error.message).toMatch(/schema version 4 is not supported \(this tws-risk reads versions 1, 2, 3\)/);
  });
});
