// The envelope scan that stands in for JSON.parse of events a reader does not decode: never says yes where JSON.parse would not.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../src/model/codec.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { scanEvent, type ScannedEnvelope } from '../../src/streams/recording/event-scan.js';
import { chainHash, GENESIS_HASH, statedHash } from '../../src/streams/recording/format.js';
import { readRecording, verifyRecording, type RecordingItem } from '../../src/streams/recording/reader.js';
import { EventLog } from '../support/events.js';
import { SAMPLE_BODIES } from '../support/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const log = new EventLog();
/** Every event type's sample, as the writer encodes it. */
const samples = Object.values(SAMPLE_BODIES).map((b) => encodeEvent(log.push(b as FeedEventBody)));

function scan(text: string): ScannedEnvelope | undefined {
  const out: ScannedEnvelope = { type: '', seq: 0, receivedAt: 0 };
  return scanEvent(Buffer.from(text, 'utf8'), 0, Buffer.byteLength(text), out) ? out : undefined;
}

/** What JSON.parse makes of the text's envelope, or undefined when it is no JSON object. */
function parsed(text: string): { type: unknown; seq: unknown; receivedAt: unknown } | undefined {
  try {
    const o = JSON.parse(text) as unknown;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
    const { type, seq, receivedAt } = o as Record<string, unknown>;
    return { type, seq, receivedAt };
  } catch {
    return undefined;
  }
}

/** A deterministic PRNG (mulberry32), so that every run tries the same mutations. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes a mutation puts in: JSON's own punctuation and the characters its grammar turns on. */
const ALPHABET = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  ' ',
  '\n',
  '\t',
  '0',
  '1',
  '9',
  '-',
  '+',
  '.',
  'e',
  'E',
  'u',
  'a',
  'n',
  't',
  'f',
  'l',
  '\u0001',
  'é',
];

describe('scanEvent', () => {
  it('reads the envelope of every event type as JSON.parse does', () => {
    expect(samples.length).toBeGreaterThan(20);
    for (const text of samples) {
      const o = JSON.parse(text) as { type: string; seq: number; receivedAt: number };
      expect(scan(text), text).toEqual({ type: o.type, seq: o.seq, receivedAt: o.receivedAt });
    }
  });

  it('reads what JSON allows around and inside values', () => {
    const t = '{ "type" : "priceTicked" ,\t"x":[ ], "y":{ },"z":[1,-0.5e+3,true,false,null,"\\u00e9\\"\\\\",[{}]] ,"seq":7,\n"receivedAt":0 } ';
    expect(scan(t)).toEqual({ type: 'priceTicked', seq: 7, receivedAt: 0 });
  });

  it.each([
    ['a trailing comma in an object', '{"type":"priceTicked","seq":1,"receivedAt":2,}'],
    ['a trailing comma in an array', '{"type":"priceTicked","a":[1,],"seq":1,"receivedAt":2}'],
    ['a missing comma', '{"type":"priceTicked" "seq":1,"receivedAt":2}'],
    ['a bare word', '{"type":"priceTicked","a":nul,"seq":1,"receivedAt":2}'],
    ['a leading zero', '{"type":"priceTicked","a":01,"seq":1,"receivedAt":2}'],
    ['a bad escape', '{"type":"priceTicked","a":"\\x41","seq":1,"receivedAt":2}'],
    ['a raw control character in a string', '{"type":"priceTicked","a":"\u0007","seq":1,"receivedAt":2}'],
    ['an unclosed object', '{"type":"priceTicked","seq":1,"receivedAt":2'],
    ['a mismatched close', '{"type":"priceTicked","a":[1},"seq":1,"receivedAt":2}'],
    ['text after the object', '{"type":"priceTicked","seq":1,"receivedAt":2}x'],
    ['an unknown type', '{"type":"priceTickled","seq":1,"receivedAt":2}'],
    ['no seq', '{"type":"priceTicked","receivedAt":2}'],
    ['a fractional seq', '{"type":"priceTicked","seq":1.5,"receivedAt":2}'],
    ['a negative receivedAt', '{"type":"priceTicked","seq":1,"receivedAt":-2}'],
    ['a seq given twice', '{"type":"priceTicked","seq":1,"seq":3,"receivedAt":2}'],
    ['a key spelled with an escape', '{"type":"priceTicked","s\\u0065q":1,"seq":2,"receivedAt":2}'],
    ['a type spelled with an escape', '{"type":"price\\u0054icked","seq":1,"receivedAt":2}'],
  ])('leaves %s to JSON.parse', (_name, text) => {
    expect(scan(text)).toBeUndefined();
  });

  it('never accepts what JSON.parse refuses, nor reads an envelope JSON.parse would not (10,000 mutations)', () => {
    const random = rng(21);
    let accepted = 0;
    for (let k = 0; k < 10_000; k++) {
      let text = samples[k % samples.length]!;
      for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
        const at = Math.floor(random() * (text.length + 1));
        const op = random();
        const ch = ALPHABET[Math.floor(random() * ALPHABET.length)]!;
        if (op < 0.4) text = text.slice(0, at) + text.slice(at + 1);
        else if (op < 0.7) text = text.slice(0, at) + ch + text.slice(at);
        else text = text.slice(0, at) + ch + text.slice(at + 1);
      }
      const s = scan(text);
      if (s === undefined) continue;
      accepted++;
      expect(parsed(text), text).toEqual({ type: s.type, seq: s.seq, receivedAt: s.receivedAt });
    }
    // Mutations inside strings and numbers keep many lines valid: the scan must still say yes to those.
    expect(accepted).toBeGreaterThan(1000);
  });
});

/** A schema-1 recording (full hex hashes) sealed from raw bodies, so that a body can be what no writer writes. */
function rawRecording(name: string, bodies: readonly string[]): string {
  let prev = GENESIS_HASH;
  const lines = bodies.map((body) => {
    const h = chainHash(prev, body);
    prev = h;
    return `${body.slice(0, -1)},"hash":"${statedHash(h, 'hex')}"}`;
  });
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const HEADER = JSON.stringify({
  kind: 'header',
  format: 'tws-risk-recording',
  schemaVersion: 1,
  appVersion: 'x',
  source: 'synthetic',
  account: null,
  baseCurrency: null,
  startedAt: '2026-11-23T14:30:00.000Z',
  startedAtMs: 0,
});
const event = (body: string) => `{"kind":"event","event":${body}}`;

describe('a reader that skips decoding events', () => {
  const tick = (seq: number, extra = '') =>
    `{"type":"priceTicked","conId":1,"field":"last","price":"1.5"${extra},"delayed":false,"seq":${seq},"receivedAt":${1000 + seq}}`;

  it('still names an event line that is not JSON, under a hash chain recomputed over it', async () => {
    const file = rawRecording('broken.jsonl', [HEADER, event(tick(1)), event(tick(2, ',"x":[1,]')), event(tick(3))]);
    const v = await verifyRecording(file, { decode: false });
    expect(!v.ok && [v.error.problem, v.error.line, v.error.detail]).toEqual(['malformed', 3, 'line is not valid JSON']);
    expect(!v.ok && v.linesRead).toBe(2);
  });

  it('still names a bad envelope as the decoding reader does', async () => {
    const file = rawRecording('seq0.jsonl', [HEADER, event(tick(0))]);
    const lax = await verifyRecording(file, { decode: false });
    const strict = await verifyRecording(file);
    expect(!lax.ok && [lax.error.problem, lax.error.line, lax.error.detail]).toEqual(['malformed', 2, 'bad event: event seq 0 is not a positive integer']);
    expect(!strict.ok && strict.error.message).toBe(!lax.ok && lax.error.message);
  });

  it('reads lines the scan leaves to JSON.parse (an escaped type, a repeated seq) as JSON.parse reads them', async () => {
    const escaped = '{"type":"price\\u0054icked","conId":1,"field":"last","price":"1.5","delayed":false,"seq":1,"receivedAt":1001}';
    const repeated = '{"type":"priceTicked","seq":99,"conId":1,"field":"last","price":"1.5","delayed":false,"seq":2,"receivedAt":1002}';
    const file = rawRecording('unusual.jsonl', [HEADER, event(escaped), event(repeated), event(tick(3))]);
    const items: RecordingItem[] = [];
    const it = readRecording(file, { decodeTypes: new Set(['alertChanged']) });
    for (;;) {
      const r = await it.next();
      if (r.done) {
        expect([r.value.events, r.value.lastSeq, r.value.lastAt]).toEqual([3, 3, 1003]);
        break;
      }
      items.push(r.value);
    }
    expect(items.filter((i) => i.kind === 'seen').map((i) => i.kind === 'seen' && [i.type, i.seq, i.at])).toEqual([
      ['priceTicked', 1, 1001],
      ['priceTicked', 2, 1002],
      ['priceTicked', 3, 1003],
    ]);
  });
});
