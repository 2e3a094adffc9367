// The wire guard on a real @stoqey/ib IBApi fed raw bytes, the frame scan, and the repeat limiter.
import { createHash } from 'node:crypto';
import { EventName, IBApi } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/sim/wire.js';
import { badFrameReason, findBadFrame, installWireGuard, MAX_FRAME_BYTES, notTwsReply } from '../../src/streams/tws/guard.js';
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

/**
 * A real IBApi after the server's hello, everything it emits logged (errors as their messages), fed chunks as its TCP
 * handler would. `libraryFraming`: a 'received' listener, which our framing steps aside for (the library frames).
 */
function loggedApi(libraryFraming: boolean) {
  const api = new IBApi({ host: '127.0.0.1', port: 1 });
  const bad: string[] = [];
  const msgErrors: string[] = [];
  installWireGuard(api, { onBadFrame: (r) => bad.push(r), onMessageError: (r) => msgErrors.push(r) });
  const socket = (api as unknown as { controller: { socket: { onData(b: Buffer): void; onMessage(text: string): void } } }).controller.socket;
  socket.onData(encodeFrame(['193', '20260302 14:30:00 UTC']));
  // Frames the library tokenized itself (its onMessage): all of them under its framing, only the odd ones under ours.
  let libraryFrames = 0;
  const onMessage = socket.onMessage.bind(socket);
  socket.onMessage = (text: string) => {
    libraryFrames++;
    onMessage(text);
  };
  const log: string[] = [];
  const emit = api.emit.bind(api);
  api.emit = ((name: string, ...args: unknown[]) => {
    // 'received' (and 'all', which repeats it) exists only under the library's framing: the listener that forces it.
    if (name !== EventName.received && name !== EventName.all)
      log.push(JSON.stringify([name, ...args.map((a) => (a instanceof Error ? `Error: ${a.message}` : a))]));
    return emit(name, ...args);
  }) as typeof api.emit;
  if (libraryFraming) api.on(EventName.received, () => {});
  return { feed: (chunks: readonly Buffer[]) => chunks.forEach((c) => socket.onData(c)), log, bad, msgErrors, libraryFrames: () => libraryFrames };
}

/** A frame of raw bytes (its length header added): invalid UTF-8, no final NUL. */
const rawFrame = (...parts: Array<string | number[]>) => {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
  return Buffer.concat([lengthHeader(body.length), body]);
};

/** Frames with what framing can get wrong, and how many of them the library must still tokenize under our framing. */
const ODD_STREAM = Buffer.concat([
  errFrame(-1, 2104, 'plain'),
  // Two-, three- and four-byte characters, which the chunkings below cut at every byte.
  errFrame(-1, 2104, 'Marktdaten: é € 𝄞 ok', '{"note":"ü€𝄞"}'),
  encodeFrame(['1', '6', '9001', '1', '101.5', '100', '0']),
  encodeFrame(['7', '8', '880001', 'Café€𝄞', 'STK', '', '0', '', '', 'NASDAQ', 'USD', 'CAFÉ', 'CAFÉ', '10', '1.5', '15', '1', '5', '0', 'DU1']),
  // An empty frame mid-stream (the library's underrun on a message with no id).
  lengthHeader(0),
  // A frame that is one NUL: one empty token.
  rawFrame([0]),
  // Invalid UTF-8: a cut three-byte sequence before a NUL, and a byte that never starts one.
  rawFrame('4\u00002\u0000-1\u00002104\u0000', [0xe2, 0x82, 0], [0xff], 'x', [0]),
  // A frame not ended by NUL: its last token is carried into the next frame's first (the library's dataFragment).
  rawFrame('4\u00002\u0000-1\u00002104\u0000car'),
  rawFrame('ried\u0000\u0000'),
  // A hot message cut short, and one with a field too many.
  encodeFrame(['21', '9002', '13', '1', '0.3']),
  encodeFrame(['1', '6', '9001', '2', '101.6', '100', '0', 'extra']),
  errFrame(-1, 2104, 'end'),
]);
const ODD_FRAMES = 12;
/** The empty frame, the one without a final NUL and the one after it (carrying its fragment). */
const ODD_LIBRARY_FRAMES = 3;

/** Chunk sizes from a fixed seed (a small LCG): the same cuts on every run. */
function seededCuts(length: number, seed: number, maxChunk: number): Buffer[] {
  const out: Buffer[] = [];
  let x = seed;
  for (let pos = 0; pos < length;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % maxChunk);
    out.push(ODD_STREAM.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

describe("our framing against the library's (the onData fast path)", () => {
  const chunkings: Array<[string, Buffer[]]> = [
    ['the whole stream', [ODD_STREAM]],
    ['1-byte chunks', Array.from(ODD_STREAM, (_b, i) => ODD_STREAM.subarray(i, i + 1))],
    ...[1, 2, 3].map((seed): [string, Buffer[]] => [`random chunks (seed ${seed})`, seededCuts(ODD_STREAM.length, seed, 40)]),
    ...Array.from({ length: ODD_STREAM.length - 1 }, (_x, k): [string, Buffer[]] => [
      `cut at byte ${k + 1}`,
      [ODD_STREAM.subarray(0, k + 1), ODD_STREAM.subarray(k + 1)],
    ]),
  ];

  it("gives the library's events and errors, in order, however the bytes are cut (frames, lengths, characters)", () => {
    const reference = loggedApi(true);
    reference.feed([ODD_STREAM]);
    expect(reference.libraryFrames()).toBe(ODD_FRAMES);
    const text = reference.log.join('\n');
    // The stream reached the events it was built for (not all dropped as unknown).
    expect(text).toContain('Marktdaten: é € 𝄞 ok');
    expect(text).toContain('Café€𝄞');
    // The cut sequence is one replacement character, as the library's whole-frame decoding makes it.
    expect(text).toContain('["info","\ufffd",2104]');
    expect(text).toContain('Underrun error on TICK_OPTION_COMPUTATION');
    expect(text).toContain('unprocessed data left on queue');
    expect(text).toContain('"end"');
    for (const [name, chunks] of chunkings) {
      const ours = loggedApi(false);
      const library = loggedApi(true);
      ours.feed(chunks);
      library.feed(chunks);
      expect(ours.log, name).toEqual(library.log);
      expect(ours.log, name).toEqual(reference.log);
      expect(ours.msgErrors, name).toEqual(library.msgErrors);
      expect([ours.bad, library.bad], name).toEqual([[], []]);
      // The comparison is between the two framings: ours tokenized all but the odd frames itself.
      expect([ours.libraryFrames(), library.libraryFrames()], name).toEqual([ODD_LIBRARY_FRAMES, ODD_FRAMES]);
    }
  });

  it.each([
    ['2^31 (negative under readInt32BE)', 0x8000_0000],
    ['2^32 - 1 (-1)', 0xffff_ffff],
    ['a claimed 1 GB', 0x4000_0000],
    ['one byte over the limit', MAX_FRAME_BYTES + 1],
  ])('refuses a header claiming %s wherever the chunks cut it, after the same good frames', (_what, length) => {
    const stream = Buffer.concat([errFrame(-1, 2104, 'first'), errFrame(-1, 2104, 'second €'), lengthHeader(length), Buffer.from('junk')]);
    const later = errFrame(-1, 2104, 'later');
    for (let k = 1; k < stream.length; k++) {
      const chunks = [stream.subarray(0, k), stream.subarray(k), later];
      const ours = loggedApi(false);
      const library = loggedApi(true);
      ours.feed(chunks);
      library.feed(chunks);
      expect(ours.log, `cut at ${k}`).toEqual(library.log);
      expect(ours.log.filter((l) => l.startsWith('["info"'))).toEqual(['["info","first",2104]', '["info","second €",2104]']);
      expect(ours.bad, `cut at ${k}`).toEqual([badFrameReason(length)]);
      expect(library.bad).toEqual(ours.bad);
    }
  });

  it('refuses a bad header the moment its four bytes are in, when the peer sends nothing after it', () => {
    // A hostile peer that stops after the header must not hold the connection open until the heartbeat notices.
    for (const length of [0x8000_0000, MAX_FRAME_BYTES + 1]) {
      const stream = Buffer.concat([errFrame(-1, 2104, 'first'), lengthHeader(length)]);
      for (const chunks of [[stream], [stream.subarray(0, stream.length - 4), stream.subarray(stream.length - 4)]]) {
        const ours = loggedApi(false);
        const library = loggedApi(true);
        ours.feed(chunks);
        library.feed(chunks);
        expect(ours.bad).toEqual([badFrameReason(length)]);
        expect(library.bad).toEqual(ours.bad);
        expect(ours.log).toEqual(library.log);
      }
    }
  });

  // A frame longer than many reads: an error message of 300,000 characters, then two short frames after it.
  const LONG = Buffer.concat([errFrame(-1, 2104, 'long €'.repeat(50_000)), errFrame(-1, 2104, 'after'), errFrame(-1, 2104, 'last')]);
  /** Long log lines as their start, length and digest: a failure then prints lines, not megabytes. */
  const short = (log: readonly string[]) =>
    log.map((l) => (l.length > 200 ? `${l.slice(0, 40)}… ${l.length} chars ${createHash('sha256').update(l).digest('hex').slice(0, 16)}` : l));
  const cutsOf = (stream: Buffer, size: number) =>
    Array.from({ length: Math.ceil(stream.length / size) }, (_x, i) => stream.subarray(i * size, (i + 1) * size));

  it.each([
    ['1,000-byte reads', cutsOf(LONG, 1000)],
    ['4,096-byte reads', cutsOf(LONG, 4096)],
    // The first read holds the header alone, then reads that cross the room's doublings (64 KiB, 128, 256) unevenly.
    ['uneven reads', [LONG.subarray(0, 4), ...cutsOf(LONG.subarray(4), 65_537)]],
    ['one read', [LONG]],
  ])("gives the library's events for a frame trickled over many reads (%s)", (_what, chunks) => {
    const ours = loggedApi(false);
    const library = loggedApi(true);
    ours.feed(chunks);
    library.feed(chunks);
    expect(short(ours.log)).toEqual(short(library.log));
    expect(short(ours.log.filter((l) => l.startsWith('["info"')))).toEqual(
      short([JSON.stringify(['info', 'long €'.repeat(50_000), 2104]), '["info","after",2104]', '["info","last",2104]']),
    );
    expect([ours.bad, ours.msgErrors]).toEqual([[], []]);
  });

  it("copies a trickled frame's bytes a bounded number of times, not once per read", () => {
    // 1 MB in 1,000-byte reads: joining what is held to each read, as socket.js does, allocates about 500 MB.
    const frame = errFrame(-1, 2104, 'x'.repeat(1_000_000));
    const chunks = cutsOf(frame, 1000);
    const ours = loggedApi(false);
    let allocated = 0;
    const concat = Buffer.concat;
    const allocUnsafeSlow = Buffer.allocUnsafeSlow;
    Buffer.concat = (list: readonly Uint8Array[], total?: number) => {
      const b = concat(list, total);
      allocated += b.length;
      return b;
    };
    Buffer.allocUnsafeSlow = (size: number) => {
      allocated += size;
      return allocUnsafeSlow(size);
    };
    try {
      ours.feed(chunks);
    } finally {
      Buffer.concat = concat;
      Buffer.allocUnsafeSlow = allocUnsafeSlow;
    }
    expect(short(ours.log.filter((l) => l.startsWith('["info"')))).toEqual(short([JSON.stringify(['info', 'x'.repeat(1_000_000), 2104])]));
    // The room doubles from 64 KiB up to the frame's size: under twice the frame in all.
    expect(allocated).toBeGreaterThan(frame.length);
    expect(allocated).toBeLessThan(2 * frame.length);
  });

  it("leaves a read beyond the library's whole-buffer limit to the library, which reports it and drops the connection", () => {
    const frame = errFrame(-1, 2104, 'x'.repeat(1000));
    const big = Buffer.concat(Array.from({ length: Math.ceil((MAX_FRAME_BYTES + 1) / frame.length) }, () => frame));
    const ours = loggedApi(false);
    const library = loggedApi(true);
    ours.feed([big]);
    library.feed([big]);
    expect(ours.log).toEqual(library.log);
    expect(ours.log).toEqual([expect.stringContaining(`exceeded max message length ${MAX_FRAME_BYTES}`)]);
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
