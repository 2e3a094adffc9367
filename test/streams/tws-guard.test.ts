// The wire guard on a real @stoqey/ib IBApi fed raw bytes, the frame scan, and the repeat limiter.
import { EventName, IBApi } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/sim/wire.js';
import { findBadFrame, installWireGuard, MAX_FRAME_BYTES, notTwsReply } from '../../src/streams/tws/guard.js';
import { RepeatLimiter } from '../../src/streams/tws/repeat-limit.js';
import { errFrame, lengthHeader } from '../support/hostile-peer.js';

/** A real IBApi whose socket is fed bytes directly, as its TCP 'data' handler would, after the server's hello. */
function fedApi() {
  const api = new IBApi({ host: '127.0.0.1', port: 1 });
  const bad: string[] = [];
  const msgErrors: string[] = [];
  installWireGuard(api, { onBadFrame: (r) => bad.push(r), onMessageError: (r) => msgErrors.push(r) });
  const socket = (api as unknown as { controller: { socket: { onData(b: Buffer): void } } }).controller.socket;
  socket.onData(encodeFrame(['193', '20260302 14:30:00 UTC']));
  const infos: string[] = [];
  api.on(EventName.info, (m: string) => infos.push(m));
  return { api, feed: (b: Buffer) => socket.onData(b), bad, msgErrors, infos };
}

describe('findBadFrame', () => {
  it('finds the first header over the limit, reading lengths unsigned, and waits for headers still arriving', () => {
    const good = encodeFrame(['4', '2', '-1', '2104', 'ok', '']);
    expect(findBadFrame(Buffer.concat([good, good]))).toBe(-1);
    expect(findBadFrame(Buffer.concat([good, lengthHeader(0x8000_0000)]))).toBe(good.length);
    expect(findBadFrame(Buffer.concat([good, lengthHeader(0xffff_ffff)]))).toBe(good.length);
    expect(findBadFrame(lengthHeader(MAX_FRAME_BYTES))).toBe(-1);
    expect(findBadFrame(lengthHeader(MAX_FRAME_BYTES + 1))).toBe(0);
    // Three bytes of a header: not judged yet.
    expect(findBadFrame(lengthHeader(0x8000_0000).subarray(0, 3))).toBe(-1);
  });
});

describe('installWireGuard on a real IBApi', () => {
  it('refuses a negative-looking length that arrives split across chunks, after delivering the whole frames before it', () => {
    const g = fedApi();
    const header = lengthHeader(0x9000_0000);
    g.feed(Buffer.concat([errFrame(-1, 2104, 'first'), header.subarray(0, 2)]));
    g.feed(Buffer.concat([header.subarray(2), Buffer.from('xx')]));
    expect(g.infos).toEqual(['first']);
    expect(g.bad).toHaveLength(1);
    expect(g.bad[0]).toContain(String(0x9000_0000));
    // Refused for good: this connection's later bytes are not decoded.
    g.feed(errFrame(-1, 2104, 'later'));
    expect(g.infos).toEqual(['first']);
  });

  it('a throwing listener loses only its own event, named; the next message is decoded', () => {
    const g = fedApi();
    let thrown = 0;
    g.api.on(EventName.info, (m: string) => {
      if (m === 'poison') {
        thrown++;
        throw new Error('listener failed');
      }
    });
    g.feed(Buffer.concat([errFrame(-1, 2104, 'poison'), errFrame(-1, 2104, 'next')]));
    expect(thrown).toBe(1);
    expect(g.infos).toEqual(['poison', 'next']);
    expect(g.msgErrors).toEqual([expect.stringContaining('listener failed')]);
  });

  it("announces each frame's tokens as 'received' (and under 'all') to whoever listens, as the library does", () => {
    const g = fedApi();
    const received: string[][] = [];
    const all: string[] = [];
    g.feed(errFrame(-1, 2104, 'unheard'));
    g.api.on(EventName.received, (tokens: string[]) => received.push(tokens));
    g.feed(errFrame(-1, 2104, 'heard'));
    g.api.removeAllListeners(EventName.received);
    g.api.on(EventName.all, (name: string) => all.push(name));
    g.feed(errFrame(-1, 2104, 'heard by all'));
    expect(received).toEqual([['4', '2', '-1', '2104', 'heard', '']]);
    expect(all).toEqual([EventName.received, EventName.info]);
    expect(g.infos).toEqual(['unheard', 'heard', 'heard by all']);
  });

  it('an advanced order reject that is not JSON after unescaping still delivers the error, with the reject parsed', () => {
    const g = fedApi();
    const seen: Array<{ code: number; reqId: number; reject: unknown; message: string }> = [];
    g.api.on(EventName.error, (e: Error, code: number, reqId: number, reject: unknown) => seen.push({ code, reqId, reject, message: e.message }));
    g.feed(errFrame(7, 201, 'rejected', '{"rejectReason":"line1\\u000aline2"}'));
    g.feed(errFrame(8, 201, 'rejected again', '{not json'));
    expect(seen).toEqual([
      { code: 201, reqId: 7, reject: { rejectReason: 'line1\nline2' }, message: 'rejected' },
      { code: 201, reqId: 8, reject: '{not json', message: 'rejected again' },
    ]);
    expect(g.msgErrors).toEqual([]);
  });
});

describe('a handshake answered by something that is not TWS', () => {
  /** A real IBApi before the server's hello, with both hooks. */
  function unshookApi() {
    const api = new IBApi({ host: '127.0.0.1', port: 1 });
    const bad: string[] = [];
    const notTws: string[] = [];
    installWireGuard(api, { onBadFrame: (r) => bad.push(r), onMessageError: () => {}, onNotTws: (r) => notTws.push(r) });
    const socket = (api as unknown as { controller: { socket: { onData(b: Buffer): void } } }).controller.socket;
    return { feed: (b: Buffer) => socket.onData(b), bad, notTws };
  }

  it('names an HTTP reply before the server version as not TWS, not as a corrupt frame', () => {
    const a = unshookApi();
    a.feed(Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    expect(a.notTws).toEqual(['it answered like an HTTP server']);
    expect(a.bad).toEqual([]);
  });

  it('after the server version, the same bytes are a corrupt stream (onBadFrame), as before', () => {
    const a = unshookApi();
    a.feed(encodeFrame(['193', '20260302 14:30:00 UTC']));
    a.feed(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    expect(a.notTws).toEqual([]);
    expect(a.bad).toHaveLength(1);
    expect(a.bad[0]).toContain(`claiming ${Buffer.from('HTTP').readUInt32BE(0)} bytes`);
  });

  it.each([
    ['an SSH banner', Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'), 'it answered like an SSH server'],
    ['a TLS alert', Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]), 'it answered like a TLS server'],
    ['a line of text', Buffer.from('220 mail.example ESMTP ready\r\n'), 'it answered "220 mail.example ESMTP ready"'],
    ['a long line, cut', Buffer.from(`${'x'.repeat(60)}\n`), `it answered "${'x'.repeat(40)}…"`],
    ['bytes that are no text', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x1b, 0x5b]), "the handshake's reply was not TWS's"],
    ['text with a control character', Buffer.from('ab\x1b[2Jcd\n'), "the handshake's reply was not TWS's"],
  ])('describes %s', (_what, head, text) => {
    expect(notTwsReply(head)).toBe(text);
  });
});

describe('RepeatLimiter', () => {
  const body = (message: string) => ({ type: 'brokerMessage' as const, id: -1, code: 2100, class: 'info' as const, message });

  it('passes a burst per window, counts the rest, and reports the count when the window is over', () => {
    const l = new RepeatLimiter(2, 1000);
    const out = [0, 1, 2, 3, 4].flatMap((i) => l.offer(body('x'), 100 + i));
    expect(out.map((b) => b.message)).toEqual(['x', 'x']);
    // A different message has its own budget.
    expect(l.offer(body('y'), 105)).toHaveLength(1);
    expect(l.flush(500)).toEqual([]);
    const later = l.offer(body('x'), 1100);
    expect(later.map((b) => b.message)).toEqual(['x [repeated 3 more times within 1 s; the repeats were not recorded one by one]', 'x']);
    l.offer(body('x'), 1101);
    l.offer(body('x'), 1102);
    expect(l.flush(1200, true).map((b) => b.message)).toEqual([expect.stringContaining('repeated 1 more times')]);
  });
});
