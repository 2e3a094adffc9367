// replay --events prints from an event's bytes or carries its amounts as text: its output must be the Decimal path's, byte for byte.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { eventLine, replayEventsCommand } from '../../src/commands/replay-events.js';
import { bytesPrintAsDecimal, EventBytesPrinter } from '../../src/commands/replay-events-bytes.js';
import { asciiIo, type CommandIo } from '../../src/commands/io.js';
import { decodeEvent, decodeEventText, printsAsItself } from '../../src/model/codec.js';
import { dec } from '../../src/model/money.js';
import { neutraliseRecorded } from '../../src/model/text.js';
import { scanEvent, type ScannedEnvelope } from '../../src/streams/recording/event-scan.js';
import { GENESIS_HASH, sealLine } from '../../src/streams/recording/format.js';
import { readRecording, RecordingError } from '../../src/streams/recording/reader.js';
import { EventLog } from '../support/events.js';
import { SAMPLE_BODIES } from '../support/samples.js';

const root = join(import.meta.dirname, '..', '..');
const SHIPPED = [
  ...readdirSync(join(root, 'recordings'))
    .filter((f) => /\.jsonl(\.gz)?$/.test(f))
    .map((f) => join(root, 'recordings', f)),
  ...['schema-1', 'schema-2'].flatMap((d) =>
    readdirSync(join(root, 'test', 'fixtures', d))
      .filter((f) => /\.jsonl(\.gz)?$/.test(f))
      .map((f) => join(root, 'test', 'fixtures', d, f)),
  ),
];

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-events-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `replay --events` printed (stdout joined as written, stderr apart) and its exit code. */
async function runEvents(file: string, kind?: string, window: { from?: string; to?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await replayEventsCommand(file, { ...(kind === undefined ? {} : { kind }), ...window }, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The same lines from fully decoded events (Decimals, as --events printed them before), up to the first bad line. */
async function decimalPath(file: string, kinds?: ReadonlySet<string>, fromMs = -Infinity, toMs = Infinity): Promise<{ out: string; error?: RecordingError }> {
  const lines: string[] = [];
  try {
    for await (const item of readRecording(file, { skipKeyframeStates: true })) {
      if (item.kind !== 'event') continue;
      // As --to reads: up to the first event after it (recorded times can step back).
      if (item.event.receivedAt > toMs) break;
      if (item.event.receivedAt >= fromMs && (kinds === undefined || kinds.has(item.event.type))) lines.push(eventLine(item.event));
    }
  } catch (e) {
    if (e instanceof RecordingError) return { out: lines.join('\n'), error: e };
    throw e;
  }
  return { out: lines.join('\n') };
}

describe('printsAsItself', () => {
  it('is true exactly for the texts Decimal prints back unchanged', () => {
    const fixed = ['0', '-0', '0.0', '00', '01', '1', '-1', '1.5', '1.50', '-0.5', '-0.50', '.5', '5.', '+5', '1e3', '1E-3', '', '-', '-.', 'abc'];
    fixed.push('0.000001', '0.0000001', '-0.000001', '-0.0000001', '0.0000010', '9'.repeat(21), '9'.repeat(22), `-${'9'.repeat(21)}`);
    fixed.push(`${'1'.repeat(21)}.${'2'.repeat(40)}`, `${'1'.repeat(22)}.5`, `0.${'3'.repeat(60)}`, '123456789012345678901234567890.25');
    // A seeded walk over the characters decimals are made of, so every shape of sign, zeros, point and length occurs.
    let seed = 21;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = '0000111999.-';
    for (let k = 0; k < 20_000; k++) {
      let s = '';
      const len = 1 + rand(rand(4) === 0 ? 40 : 8);
      for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
      fixed.push(s);
    }
    let accepted = 0;
    for (const s of fixed) {
      let printed: string | undefined;
      try {
        printed = dec(s).toString();
      } catch {
        printed = undefined;
      }
      expect(printsAsItself(s), s).toBe(printed === s);
      const b = Buffer.from(`x${s}y`, 'latin1');
      expect(bytesPrintAsDecimal(b, 1, b.length - 1), s).toBe(printed === s);
      if (printed === s) accepted++;
    }
    expect(accepted).toBeGreaterThan(1_000);
  });
});

describe('decodeEventText', () => {
  it('keeps amounts that print as themselves as text, makes Decimals of the others, and fails a bad one as decodeEvent does', () => {
    const ev = decodeEventText({ type: 'priceTicked', seq: 1, receivedAt: 5, conId: 1, field: 'last', price: '189.85', delayed: false });
    expect(ev.price).toBe('189.85');
    const odd = decodeEventText({ type: 'priceTicked', seq: 1, receivedAt: 5, conId: 1, field: 'last', price: '189.850', delayed: false });
    expect(odd.price).toEqual(dec('189.85'));
    const bad = { type: 'priceTicked', seq: 3, receivedAt: 1, conId: 1, field: 'last', price: 'abc', delayed: false };
    expect(() => decodeEventText(structuredClone(bad))).toThrow(/priceTicked\.price is not a decimal/);
    expect(() => decodeEvent(structuredClone(bad))).toThrow(/priceTicked\.price is not a decimal/);
  });

  it('prints every event type as the Decimal decoding prints it', () => {
    const events = new EventLog().pushAll(Object.values(SAMPLE_BODIES));
    for (const ev of events) {
      const json = JSON.stringify(ev);
      expect(eventLine(decodeEventText(JSON.parse(json)))).toBe(eventLine(decodeEvent(JSON.parse(json))));
    }
  });
});

describe('replay --events output', () => {
  it.each(SHIPPED)('is the Decimal path byte for byte on %s', async (file) => {
    const r = await runEvents(file);
    expect(r.code).toBe(0);
    const before = await decimalPath(file);
    expect(before.error).toBeUndefined();
    expect(r.out).toBe(before.out);
    // The text path is the one taken: amounts reach the printer as strings.
    let texts = 0;
    for await (const item of readRecording(file, { skipKeyframeStates: true, decimalsAsText: true })) {
      if (item.kind === 'event' && item.event.type === 'portfolioUpdated' && typeof item.event.marketPrice === 'string') texts++;
    }
    expect(texts).toBeGreaterThan(0);
  });

  it('writes the same text through a sink that takes bytes, in the same order around the decoded events', async () => {
    for (const name of ['margin-spike.jsonl.gz', 'flatten-disconnect.jsonl.gz']) {
      const file = join(root, 'recordings', name);
      /** The text a sink received, with or without taking bytes, optionally behind the ASCII-only sink. */
      const run = async (bytes: boolean, ascii: boolean): Promise<{ text: string; byteWrites: number }> => {
        let text = '';
        let byteWrites = 0;
        const io: CommandIo = { out: (l) => (text += `${l}\n`), err: () => {} };
        if (bytes) {
          io.outBytes = (b) => {
            byteWrites++;
            text += `${Buffer.from(b).toString('latin1')}\n`;
          };
        }
        expect(await replayEventsCommand(file, {}, ascii ? asciiIo(io) : io)).toBe(0);
        return { text, byteWrites };
      };
      const direct = await run(true, false);
      expect(direct.byteWrites).toBeGreaterThan(0);
      expect(direct.text).toBe(`${(await decimalPath(file)).out}\n`);
      // Behind the ASCII-only sink the bytes pass as they are, and the decoded lines are spelled out as before.
      const ascii = await run(true, true);
      expect(ascii.byteWrites).toBeGreaterThan(0);
      expect(ascii.text).toBe((await run(false, true)).text);
    }
  });

  it('prints control text in a recorded event neutralised, as the decoding path does', async () => {
    const header = {
      kind: 'header',
      format: 'tws-risk-recording',
      schemaVersion: 3,
      appVersion: 'x',
      source: 'synthetic',
      account: null,
      baseCurrency: null,
      startedAt: '2026-11-23T14:30:00.000Z',
      startedAtMs: Date.UTC(2026, 10, 23, 14, 30),
    };
    const messages = ['farm OK', 'red \u001b[31m alert', 'bidi \u202e txt', 'del \u007f here', 'c1 \u0085 here', 'plain=again'];
    let prev = GENESIS_HASH;
    const lines: string[] = [];
    const seal = (body: object) => {
      const { text, hash } = sealLine(prev, body, 'tag');
      lines.push(text);
      prev = hash;
    };
    seal(header);
    messages.forEach((message, i) =>
      seal({ kind: 'event', event: { type: 'brokerMessage', id: -1, code: 2104, message, class: 'info', seq: i + 1, receivedAt: header.startedAtMs + i } }),
    );
    const file = join(dir, 'hostile.jsonl.gz');
    writeFileSync(file, gzipSync(`${lines.join('\n')}\n`), { mode: 0o600 });
    const r = await runEvents(file);
    expect(r.code).toBe(0);
    expect(r.out).toBe((await decimalPath(file)).out);
    expect(r.out.split('\n')).toHaveLength(messages.length);
    // eslint-disable-next-line no-control-regex
    expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(r.out).toContain('message="farm OK"');
    expect(r.out).toContain('message="plain=again"');
  });

  it('is the Decimal path with --from and --to', async () => {
    const file = join(root, 'recordings', 'margin-spike.jsonl.gz');
    const day = Date.UTC(2026, 10, 23);
    const r = await runEvents(file, undefined, { from: '14:33', to: '14:34' });
    expect(r.out.split('\n').length).toBeGreaterThan(100);
    expect(r.out).toBe((await decimalPath(file, undefined, day + (14 * 60 + 33) * 60_000, day + (14 * 60 + 34) * 60_000)).out);
    const k = await runEvents(file, 'portfolioUpdated', { from: '14:40' });
    expect(k.out).toContain(' portfolioUpdated ');
    expect(k.out).toBe((await decimalPath(file, new Set(['portfolioUpdated']), day + (14 * 60 + 40) * 60_000)).out);
  });

  it('is the Decimal path with --kind too', async () => {
    const file = join(root, 'recordings', 'margin-spike.jsonl.gz');
    const r = await runEvents(file, 'priceTicked,executionReceived');
    expect(r.out).toContain(' priceTicked ');
    expect(r.out).toBe((await decimalPath(file, new Set(['priceTicked', 'executionReceived']))).out);
  });

  it('prints amounts recorded in other spellings as Decimal does, and names a bad amount at its line after the good ones', async () => {
    const header = {
      kind: 'header',
      format: 'tws-risk-recording',
      schemaVersion: 3,
      appVersion: 'x',
      source: 'synthetic',
      account: null,
      baseCurrency: null,
      startedAt: '2026-11-23T14:30:00.000Z',
      startedAtMs: Date.UTC(2026, 10, 23, 14, 30),
    };
    const prices: unknown[] = ['1.50', '-0', '-0.000', '1e-8', 2.5, '0.0000001', '1'.repeat(22), '+3', '.5', '007', '189.85', 'abc', '1'];
    let prev = GENESIS_HASH;
    const lines: string[] = [];
    const seal = (body: object) => {
      const { text, hash } = sealLine(prev, body, 'tag');
      lines.push(text);
      prev = hash;
    };
    seal(header);
    prices.forEach((price, i) =>
      seal({
        kind: 'event',
        event: { type: 'priceTicked', seq: i + 1, receivedAt: header.startedAtMs + i, conId: 7, field: 'last', price, delayed: false },
      }),
    );
    const file = join(dir, 'spellings.jsonl.gz');
    writeFileSync(file, gzipSync(`${lines.join('\n')}\n`), { mode: 0o600 });
    const r = await runEvents(file);
    const before = await decimalPath(file);
    expect(r.out).toBe(before.out);
    expect(r.out.split('\n').map((l) => l.split(' price=')[1]?.split(' ')[0])).toEqual([
      '1.5',
      '0',
      '0',
      '1e-8',
      '2.5',
      '1e-7',
      '1.111111111111111111111e+21',
      '3',
      '0.5',
      '7',
      '189.85',
    ]);
    expect(r.code).toBe(1);
    expect(before.error?.line).toBe(13);
    expect(r.err).toBe(`tws-risk replay: ${before.error!.message}`);
    expect(r.err).toMatch(/spellings\.jsonl\.gz:13: bad event: priceTicked\.price is not a decimal/);
  });
});

/** A seeded generator of small integers. */
function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
}

describe('EventBytesPrinter', () => {
  const printer = new EventBytesPrinter();
  const env: ScannedEnvelope = { type: '', seq: 0, receivedAt: 0 };

  /** The printer's line for an event's JSON text, or undefined when it declines (or the reader would not offer it). */
  function printed(json: string): string | undefined {
    const buf = Buffer.from(` ${json} `, 'utf8');
    if (!scanEvent(buf, 1, buf.length - 1, env) || env.seq < 1) return undefined;
    if (!printer.print(buf, 1, buf.length - 1, env)) {
      expect(printer.lines).toBe(0);
      return undefined;
    }
    expect(printer.lines).toBe(1);
    return printer.take();
  }

  /** What the reader's decoding path prints for it (neutralised as the reader does), or the error it names. */
  function decoded(json: string): { line?: string; error?: string } {
    try {
      const text = eventLine(neutraliseRecorded(decodeEventText(JSON.parse(json))));
      // And the Decimal path (what --events printed before) agrees.
      expect(eventLine(neutraliseRecorded(decodeEvent(JSON.parse(json))))).toBe(text);
      return { line: text };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  const events = new EventLog().pushAll(Object.values(SAMPLE_BODIES));

  it('prints the common event types from their bytes, as the decoder prints them', () => {
    const taken = new Set<string>();
    for (const ev of events) {
      const json = JSON.stringify(ev);
      const line = printed(json);
      if (line === undefined) continue;
      taken.add(ev.type);
      expect(line).toBe(decoded(json).line);
    }
    for (const t of ['priceTicked', 'portfolioUpdated', 'positionUpdated', 'accountValueUpdated', 'optionComputed', 'executionReceived', 'orderStatusUpdated'])
      expect(taken).toContain(t);
    // Left to the decoder: the operator's steps, alerts, open orders (decimals inside the order), lists.
    for (const t of ['operatorActed', 'alertChanged', 'guardActed', 'openOrderUpdated', 'managedAccountsReceived']) expect(taken).not.toContain(t);
  });

  it('on 20,000 seeded mutations, prints exactly what the decoder prints or declines, and never takes an event the codec refuses', () => {
    const VALUES = [
      '""',
      '"a b"',
      '"a=b"',
      '"x\\"y"',
      '"é"',
      '"\\u001b[31m"',
      '"\u0085"',
      '"a\\\\b"',
      '"\u202e"',
      '"\u007f"',
      '"ok"',
      '"-"',
      'null',
      'true',
      'false',
      '0',
      '-0',
      '1e21',
      '1.5e-7',
      '0.30000000000000004',
      '123456789012345678',
      '0.000001',
      '0.0000001',
      '189.85',
      '1.0',
      '"1.50"',
      '"-0"',
      '"1e3"',
      '"007"',
      '"0.0000001"',
      '"189.85"',
      '"-12"',
      '"abc"',
      '{}',
      '[]',
      '[1,"a"]',
      '{"conId":1,"secType":"OPT","symbol":"X","expiry":"20270115","strike":"1.5","right":"P"}',
      '{"conId":1,"secType":"OPT","symbol":"X","strike":"1.50","right":"P"}',
      '{"conId":1,"secType":"OPT","symbol":"X","strike":2,"right":"P"}',
      '{"conId":1,"secType":"CASH","symbol":"EUR","currency":"USD"}',
      '{"conId":1,"secType":"CASH","symbol":"EUR","currency":"USD","localSymbol":"EUR.USD"}',
      '{"conId":1,"secType":"FUT","symbol":"ES","expiry":"202703"}',
      '{"conId":1,"secType":"FUT","symbol":" ES ","localSymbol":""}',
      '{"conId":1,"secType":"STK","symbol":"A B"}',
      '{"conId":1,"secType":"STK"}',
      '{"conId":1,"symbol":"NOSEC"}',
      '{"conId":null,"secType":null,"symbol":null}',
      '{"conId":1,"secType":"STK","symbol":"X","multiplier":"abc"}',
      '{"conId":1,"secType":"STK","symbol":"X","symbol":"Y"}',
      '{"conId":1,"secType":"STK","symbol":"X","nested":{"a":1}}',
      '{"conId":1,"secType":"STK","symbol":"\u00e9"}',
    ];
    const KEYS = [
      'price',
      'position',
      'marketPrice',
      'contract',
      'value',
      'conId',
      'message',
      'x y',
      'a=b',
      '1',
      '',
      'typ\\u0065',
      'price',
      'delta',
      '__proto__',
    ];
    const rand = seeded(4);
    let taken = 0;
    let declined = 0;
    for (let k = 0; k < 20_000; k++) {
      const ev = events[rand(events.length)]!;
      // The event's members as JSON texts, then one value changed, replaced, or a member added or repeated.
      const members = Object.entries(JSON.parse(JSON.stringify(ev)) as Record<string, unknown>).map(([key, v]) => [JSON.stringify(key), JSON.stringify(v)]);
      const changes = 1 + rand(3);
      for (let c = 0; c < changes; c++) {
        const v = VALUES[rand(VALUES.length)]!;
        const at = rand(members.length);
        if (rand(4) === 0) members.splice(at, 0, [`"${KEYS[rand(KEYS.length)]!}"`, v]);
        else if (!['"type"', '"seq"', '"receivedAt"'].includes(members[at]![0]!)) members[at]![1] = v;
      }
      const json = `{${members.map(([key, v]) => `${key}:${v}`).join(rand(8) === 0 ? ' , ' : ',')}}`;
      const line = printed(json);
      if (line === undefined) {
        declined++;
        continue;
      }
      taken++;
      const want = decoded(json);
      expect(want.error, json).toBeUndefined();
      expect(line, json).toBe(want.line);
    }
    expect(taken).toBeGreaterThan(2_000);
    expect(declined).toBeGreaterThan(2_000);
  });
});
