// The reader checks event and skipped keyframe lines on their bytes; everything it cannot take that way must read
// exactly as the text path reads it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEvent, encodeState } from '../../src/model/codec.js';
import type { FeedEvent } from '../../src/model/events.js';
import { reduceAll } from '../../src/model/reducer.js';
import { GENESIS_HASH, sealLine } from '../../src/streams/recording/format.js';
import { readRecording, verifyRecording } from '../../src/streams/recording/reader.js';
import { EventLog, portfolio, stock } from '../support/events.js';
import { SAMPLE_BODIES } from '../support/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-bytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Seals the bodies into a recording (gzip or plain); returns the file and the last hash. */
function writeLines(bodies: object[], gzip: boolean): { file: string; finalHash: string } {
  let prev = GENESIS_HASH;
  const lines: string[] = [];
  for (const b of bodies) {
    const { text, hash } = sealLine(prev, b);
    lines.push(text);
    prev = hash;
  }
  const file = join(dir, `bytes-${++n}.jsonl${gzip ? '.gz' : ''}`);
  const text = `${lines.join('\n')}\n`;
  writeFileSync(file, gzip ? gzipSync(text) : text);
  return { file, finalHash: prev };
}

const header = {
  kind: 'header',
  format: 'tws-risk-recording',
  schemaVersion: 1,
  appVersion: 'x',
  source: 'synthetic',
  account: null,
  baseCurrency: null,
  startedAt: '2026-11-23T14:30:00.000Z',
  startedAtMs: 0,
};

function roundTrip(ev: FeedEvent): FeedEvent {
  return decodeEvent(JSON.parse(JSON.stringify(ev)));
}

describe('reading recordings from bytes', () => {
  const log = new EventLog();
  const [a, b, c] = log.pushAll([SAMPLE_BODIES.portfolioUpdated!, SAMPLE_BODIES.priceTicked!, SAMPLE_BODIES.accountValueUpdated!]);
  const accented = log.push({ type: 'brokerMessage', id: -1, code: 2104, message: 'Zürich ✓ 東京 farm connection is OK 🙂', class: 'info' });
  // Longer than the reader's chunks and its copy-to-hash limit, with multi-byte characters on every boundary.
  const long = log.push({ type: 'brokerMessage', id: -1, code: 2104, message: 'é'.repeat(300_000), class: 'info' });
  const [d] = log.pushAll([SAMPLE_BODIES.optionComputed!]);
  const events = [a!, b!, c!, accented, long, d!];
  const state = reduceAll(events.slice(0, 3));

  for (const gzip of [false, true]) {
    it(`reads unusual but valid lines like the text path (${gzip ? 'gzip' : 'plain'})`, async () => {
      const { file, finalHash } = writeLines(
        [
          header,
          { kind: 'event', event: a },
          // Envelope fields in another order, and an extra one: not the byte path's shape, still a good line.
          { event: b, kind: 'event' },
          { kind: 'event', event: c, note: 'extra' },
          { kind: 'keyframe', seq: 3, at: c!.receivedAt, state: encodeState(state) },
          { kind: 'event', event: accented },
          { kind: 'event', event: long },
          { kind: 'event', event: d },
          { kind: 'footer', events: 6, keyframes: 1, lastSeq: 6, endedAt: '2026-11-23T15:00:00.000Z', reason: 'test' },
        ],
        gzip,
      );
      for (const skipKeyframeStates of [true, false]) {
        const got: FeedEvent[] = [];
        let keyframes = 0;
        for await (const item of readRecording(file, { skipKeyframeStates })) {
          if (item.kind === 'event') got.push(item.event);
          if (item.kind === 'keyframe') keyframes++;
        }
        expect(got).toEqual(events.map(roundTrip));
        expect(keyframes).toBe(skipKeyframeStates ? 0 : 1);
      }
      const v = await verifyRecording(file);
      expect(v.ok && v.summary.sealed).toBe(true);
      expect(v.ok && v.summary.finalHash).toBe(finalHash);
      expect(v.ok && v.summary.lines).toBe(9);
    });
  }

  it('still reports a changed byte in a keyframe it skips as tampering', async () => {
    const { file } = writeLines(
      [header, { kind: 'event', event: a }, { kind: 'keyframe', seq: 1, at: a!.receivedAt, state: encodeState(reduceAll([a!])) }, { kind: 'event', event: b }],
      false,
    );
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.replace('"lastSeq":1', '"lastSeq":7');
    writeFileSync(file, lines.join('\n'));
    const read = async () => {
      for await (const _ of readRecording(file, { skipKeyframeStates: true }));
    };
    await expect(read()).rejects.toMatchObject({ problem: 'tampered', line: 3 });
  });

  it('still reports a changed byte in a keyframe it decodes (where a seek starts) as tampering', async () => {
    const { file } = writeLines(
      [header, { kind: 'event', event: a }, { kind: 'keyframe', seq: 1, at: a!.receivedAt, state: encodeState(reduceAll([a!])) }, { kind: 'event', event: b }],
      true,
    );
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    writeFileSync(file, text.replace('"lastSeq":1', '"lastSeq":7'));
    const read = async () => {
      for await (const _ of readRecording(file, { skipKeyframeStates: false }));
    };
    await expect(read()).rejects.toMatchObject({ problem: 'tampered', line: 3 });
  });

  it('reads a keyframe with a field after its state like the text path', async () => {
    const s1 = reduceAll([a!]);
    const { file } = writeLines(
      [header, { kind: 'event', event: a }, { kind: 'keyframe', seq: 1, at: a!.receivedAt, state: encodeState(s1), note: 'x' }],
      false,
    );
    const states: unknown[] = [];
    for await (const item of readRecording(file)) if (item.kind === 'keyframe') states.push(encodeState(item.state));
    expect(states).toEqual([encodeState(s1)]);
  });

  // Keyframes longer than the reader's native-scan threshold (4 KiB): non-ASCII text that is no control (accents) and
  // text that is one (an escape sequence, a bidi override) are told apart as in short lines.
  const HOSTILE = 'AAPL\u001b]0;pwned\u0007\u202e';
  const SHOWN = 'AAPL\\x1b]0;pwned\\x07\\u202e';
  for (const [name, odd, shown, filler] of [
    ['an escape sequence', HOSTILE, SHOWN, 'Zürich'],
    ['a bidi override alone', 'Zürich\u202e', 'Zürich\\u202e', 'Zürich'],
    // JSON leaves DEL raw: in an otherwise ASCII line only the DEL scan sees it.
    ['a raw DEL', 'DEL\u007f', 'DEL\\x7f', 'Zurich'],
  ] as const) {
    it(`neutralises ${name} in a long keyframe and leaves the other symbols alone`, async () => {
      const rows = new EventLog();
      const evs = rows.pushAll([
        ...Array.from({ length: 60 }, (_, i) => portfolio('DU1', stock(1000 + i, `${filler} ${i}`, 'CHF'), '10', '5')),
        portfolio('DU1', stock(999, odd, 'USD'), '10', '5'),
      ]);
      const s = reduceAll(evs);
      const last = evs.at(-1)!;
      const kf = { kind: 'keyframe', seq: last.seq, at: last.receivedAt, state: encodeState(s) };
      expect(JSON.stringify(kf).length).toBeGreaterThan(4096);
      const { file } = writeLines([header, ...evs.map((event) => ({ kind: 'event', event })), kf], true);
      const symbols: string[] = [];
      for await (const item of readRecording(file))
        if (item.kind === 'keyframe') for (const r of item.state.portfolio.values()) symbols.push(r.contract.symbol);
      expect(symbols).toHaveLength(61);
      expect(symbols).toContain(shown);
      expect(symbols).toContain(`${filler} 7`);
      expect(symbols.join('')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    });
  }

  it('reports a changed byte in an event as tampering, not as a decoding problem', async () => {
    const { file } = writeLines([header, { kind: 'event', event: a }, { kind: 'event', event: b }], true);
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    expect(text).toContain('"field":"mark"');
    writeFileSync(file, text.replace('"field":"mark"', '"field":"last"'));
    const v = await verifyRecording(file);
    expect(!v.ok && v.error.problem).toBe('tampered');
    expect(!v.ok && v.error.line).toBe(3);
  });
});
