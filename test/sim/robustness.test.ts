// Nothing a client sends can crash the server: raw sockets with split, coalesced, oversized, malformed and
// fuzzed input. Frames are parsed here independently of src/sim/wire.ts.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName } from '@stoqey/ib';
import type { Simulator } from '../../src/sim/index.js';
import { mulberry32 } from '../../src/sim/random.js';
import { connectApi, startTestSim, waitFor } from './helpers.js';
import { RawClient, frame, handshake } from './raw-client.js';

describe('server robustness', () => {
  let sim: Simulator;
  let logs: string[];

  beforeAll(async () => {
    // No pacing limit: the fuzz writes hundreds of frames at once (the limit has its own test, limits.test.ts).
    ({ sim, logs } = await startTestSim({ maxMessagesPerSecond: 0 }));
  });

  afterAll(async () => {
    await sim.close();
  });

  /** The server still serves a real client. */
  async function stillAlive(clientId: number): Promise<void> {
    const { api, rec } = await connectApi(sim.port, clientId);
    api.reqCurrentTime();
    await waitFor(() => rec.of(EventName.currentTime).length > 0, 5_000, 'currentTime from a fresh client');
    api.disconnect();
  }

  it('answers the handshake with "193" and a connection time, as one frame', async () => {
    const c = new RawClient(sim.port);
    c.write(handshake());
    await waitFor(() => c.frames.length >= 1);
    expect(c.frames[0]![0]).toBe('193');
    expect(c.frames[0]![1]).toMatch(/^20260302 14:30:\d\d UTC$/);
    c.close();
  });

  it('handles a handshake and requests split into single bytes', async () => {
    const c = new RawClient(sim.port);
    await c.trickle(Buffer.concat([handshake(), frame([71, 2, 101, '']), frame([49, 1])]));
    await waitFor(() => c.count(49) === 1, 5_000, 'currentTime');
    expect(c.count(9)).toBe(1);
    c.close();
  });

  it('handles coalesced requests in one write', async () => {
    const c = new RawClient(sim.port);
    c.write(Buffer.concat([handshake(), frame([71, 2, 102, '']), frame([49, 1]), frame([49, 1]), frame([8, 1, 1]), frame([49, 1])]));
    await waitFor(() => c.count(49) === 3, 5_000, 'three currentTime answers');
    expect(c.count(9)).toBe(2);
    c.close();
  });

  it('closes only the client that sends a frame above 0xFFFFFF bytes, or garbage instead of "API\\0"', async () => {
    const big = new RawClient(sim.port);
    await big.start(103);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(0x1000000);
    big.write(Buffer.concat([len, Buffer.from('49\0')]));
    await waitFor(() => big.closed, 5_000, 'oversized client closed');

    const junk = new RawClient(sim.port);
    junk.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await waitFor(() => junk.closed, 5_000, 'garbage client closed');

    const old = new RawClient(sim.port);
    old.write(handshake('v60..99'));
    await waitFor(() => old.closed, 5_000, 'unsupported version closed');
    // No overlap with 157..193: the lowest version this server has, then an error saying why, then the close.
    expect(old.frames[0]?.[0]).toBe('157');
    expect(old.frames[1]?.slice(0, 4)).toEqual(['4', '2', '-1', '506']);
    await stillAlive(104);
    expect(logs.some((l) => l.includes('exceeds the 16777215-byte limit'))).toBe(true);
  });

  it('ignores requests before START_API, malformed and unknown requests, and keeps answering', async () => {
    const c = new RawClient(sim.port);
    c.write(handshake());
    await waitFor(() => c.frames.length >= 1);
    c.write(frame([49, 1])); // before START_API: ignored
    c.write(frame([71, 2, 105, '']));
    await waitFor(() => c.count(9) === 1);
    c.write(frame([94, 1])); // REQ_PNL_SINGLE missing fields
    c.write(frame([999, 1, 2, 3])); // unknown id
    c.write(frame(['abc', 'def'])); // non-numeric id
    c.write(frame([1, 11, 'x'])); // REQ_MKT_DATA, non-numeric reqId
    c.write(Buffer.from([0, 0, 0, 0])); // empty frame
    c.write(frame([3, 7, '', '', '', '', '', '', '', '', '', '', '', '', '', 'BUY', '1', 'MKT'])); // truncated order: malformed
    // A complete order header (28 fields) with no contract fields at all: TWS answers 200.
    c.write(frame([3, 8, ...Array<string>(14).fill(''), 'BUY', '1', 'MKT', '', '', 'DAY', '', '', '', '0', '', '1', '0']));
    c.write(frame([49, 1]));
    await waitFor(() => c.count(49) === 1, 5_000, 'currentTime after junk');
    expect(c.closed).toBe(false);
    // The order without a contract got a 200 error.
    expect(c.frames.filter((f) => f[0] === '4').map((f) => f[3])).toContain('200');
    expect(logs.some((l) => l.includes('malformed request'))).toBe(true);
    expect(logs.some((l) => l.includes('unknown request id 999'))).toBe(true);
    // An id TWS does not know is answered with a validation error, never silence.
    expect(c.frames.filter((f) => f[0] === '4').map((f) => f[3])).toContain('321');
    c.close();
  });

  it('survives a seeded fuzz of 400 random frames with real message ids, then serves a client', async () => {
    const rnd = mulberry32(20260302);
    const pool = [
      '',
      '0',
      '1',
      '-1',
      '2147483647',
      '1.7976931348623157E308',
      'abc',
      'BUY',
      'SELL',
      'MKT',
      'LMT',
      'STK',
      'OPT',
      'AAPL',
      'USD',
      '265598',
      '1e309',
      'NaN',
      '99999999999999999999',
      'DU1234567',
      '$LEDGER:ALL',
      'Zürich',
      '\u0000x',
    ];
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 15, 16, 17, 49, 58, 59, 61, 62, 63, 64, 71, 92, 93, 94, 95, 12, 20, 100];
    const c = new RawClient(sim.port);
    await c.start(106);
    for (let i = 0; i < 400; i++) {
      const n = Math.floor(rnd.next() * 40);
      const fields: string[] = [String(ids[Math.floor(rnd.next() * ids.length)])];
      for (let k = 0; k < n; k++) fields.push(rnd.next() < 0.7 ? pool[Math.floor(rnd.next() * pool.length)]! : String(Math.floor(rnd.next() * 1e6)));
      c.write(frame(fields));
    }
    c.write(frame([49, 1]));
    await waitFor(() => c.count(49) >= 1 || c.closed, 10_000, 'answer after fuzz');
    c.close();
    await stillAlive(107);
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('survives clients vanishing mid-stream', async () => {
    for (let i = 0; i < 5; i++) {
      const c = new RawClient(sim.port);
      await c.start(110 + i);
      c.write(frame([6, 2, 1, 'DU1234567']));
      c.write(frame([61, 1]));
      c.socket.destroy();
    }
    await stillAlive(120);
  });
});
