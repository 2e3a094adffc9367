// The hot messages' fast path (hot-decode.ts) against the library's decoder: the same frames over loopback give the same bodies.
import { EventName, IBApi } from '@stoqey/ib';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { startSimulator } from '../../src/sim/index.js';
import { errorMessage, IN } from '../../src/sim/messages.js';
import { encodeFrame } from '../../src/sim/wire.js';
import { installWireGuard } from '../../src/streams/tws/guard.js';
import { HOT_MAX_SERVER_VERSION, HOT_MIN_SERVER_VERSION, hotDecoder, type HotListeners, type TokenQueue } from '../../src/streams/tws/hot-decode.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { T0, waitFor } from '../sim/helpers.js';
import { startLoopbackProxy } from '../support/proxy.js';

const CLIENT_ID = 61;
const END_TEXT = 'hot-decode test: end of the stream';
const MAX = '1.7976931348623157E308';
const HOT_EVENTS = new Set<string>([EventName.tickPrice, EventName.tickSize, EventName.tickOptionComputation, EventName.updatePortfolio]);

const open: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

/** The whole frames of a byte stream, as token lists. */
function frames(bytes: Buffer): string[][] {
  const out: string[][] = [];
  let pos = 0;
  while (pos + 4 <= bytes.length && pos + 4 + bytes.readUInt32BE(pos) <= bytes.length) {
    const len = bytes.readUInt32BE(pos);
    out.push(
      bytes
        .toString('utf8', pos + 4, pos + 4 + len)
        .split('\0')
        .slice(0, -1),
    );
    pos += 4 + len;
  }
  return out;
}

/**
 * What the simulator at server version `sv` sends one TwsSource (handshake, snapshots, a market with option
 * computations), recorded through a proxy: the next TwsSource with the same client id asks for the same request ids.
 */
async function recordSession(sv: number): Promise<string[][]> {
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 7, speed: 50, startTime: T0, log: false, maxServerVersion: sv, market: { tickMs: 20 } });
  open.push(() => sim.close());
  const chunks: Buffer[] = [];
  const proxy = await startLoopbackProxy(
    () => sim.port,
    (client, upstream) => {
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d) => {
        chunks.push(d);
        client.write(d);
      });
    },
  );
  open.push(() => proxy.close());
  const source = new TwsSource({ host: '127.0.0.1', port: proxy.port, clientId: CLIENT_ID, openOrdersPollMs: 0 });
  const seen: FeedEventBody[] = [];
  source.events$.subscribe((b) => seen.push(b));
  source.start();
  open.push(() => source.stop());
  await waitFor(
    () => seen.filter((b) => b.type === 'optionComputed').length >= 20 && seen.filter((b) => b.type === 'priceTicked').length >= 20,
    30_000,
    'option computations and prices through the proxy',
  );
  source.stop();
  return frames(Buffer.concat(chunks));
}

/** Frames of every hot type with the values that have tripped decoders: sentinels, empty fields, odd numbers and contracts. */
function edgeFrames(sv: number, account: string, stockReq: string, optionReq: string): string[][] {
  const px = (reqId: string, ...rest: string[]) => [String(IN.TICK_PRICE), ...rest.slice(0, 1), reqId, ...rest.slice(1)];
  const opt = (tickType: string, attrib: string, ...values: string[]) => [String(IN.TICK_OPTION_COMPUTATION), optionReq, tickType, attrib, ...values];
  const pv = (version: string, fields: string[]) => [String(IN.PORTFOLIO_VALUE), version, ...fields];
  return [
    // TICK_PRICE: version, reqId, tick type, price[, size[, attribute mask]].
    px(stockReq, '6', '1', '101.10', '100', '0'),
    px(stockReq, '6', '2', '1.0E2', '', '1'),
    px(stockReq, '6', '4', '-0', '5', '7'),
    px(stockReq, '6', '9', '', '0', '2'),
    px(stockReq, '6', '37', MAX, '1', '0'),
    px(stockReq, '6', '1', '-1', '0', '0'),
    px(stockReq, '6', '66', '0.1000000000000000055511151231257827', '10', '4'),
    px(stockReq, '6', '68', '123456789.123456789', '', ''),
    px(stockReq, '6', '7', '99', '1', '0'),
    px(stockReq, '3', '1', '101.5', '100', '1'),
    px(stockReq, '2', '4', '102.25', '3'),
    px(stockReq, '1', '2', '102.5'),
    px('99999', '6', '1', '5', '1', '0'),
    px('abc', '6', '1', '5', '1', '0'),
    // TICK_SIZE: nothing in the product reads it; its tokens must still be consumed exactly.
    [String(IN.TICK_SIZE), '6', stockReq, '0', ''],
    [String(IN.TICK_SIZE), '6', stockReq, '8', '1,000'],
    // TICK_OPTION_COMPUTATION (no version field from 156): attrib, iv, delta, optPrice, pvDiv, gamma, vega, theta, und.
    opt('13', '1', '-1', '-2', '-1', '-1', '-2', '-2', '-2', '-1'),
    opt('13', '', '', '', '', '', '', '', '', ''),
    opt('10', '0', MAX, MAX, MAX, MAX, MAX, MAX, MAX, MAX),
    opt('11', '1', '0.250', '-1', '1.10', '0', '0.0012', '-0', '-0.05', '101.10'),
    opt('12', '2', '1e-5', '-0.999999999999999999', '3.5E+2', '0.125', '1E2', '12.5', '-1', '-2'),
    opt('83', '1', '0.3', '0.5', '2', '-1', '0.01', '0.2', '-0.03', '100'),
    opt('13.9', '1e1', '0.29', '0.5', '2', '0', '0.01', '0.2', '-0.03', '100'),
    opt('53', '1', '0.3', '0.5', '2', '0', '0.01', '0.2', '-0.03', '100'),
    // PORTFOLIO_VALUE v8: conId, symbol, secType, expiry, strike, right, multiplier, primaryExch, currency, localSymbol,
    // tradingClass, position, price, value, average cost, unrealized, realized, account.
    pv('8', ['880001', 'ODD', 'OPT', '20260320', '', 'X', '', '', 'USD', 'ODD  260320X', '', '0', '1.10', '0', '', '', '', account]),
    pv('8', ['880002', 'ODD', 'OPT', '20260320', '0.5', 'C', '100', 'CBOE', 'USD', 'ODD', 'ODD', '', MAX, '-0', '1.0E2', '-1', '0.10', account]),
    pv('8', ['880003', 'A\u001b[2JB', 'STK', '', '0', '', '', 'NASDAQ\u0007', 'USD', 'AB', 'AB', 'NaN', '1', '2', '3', '4', '5', account]),
    pv('8', ['880003', 'A\u001b[2JB', 'STK', '', '0', '', '', 'NASDAQ\u0007', 'USD', 'AB', 'AB', '1,5', '1', '2', '3', '4', '5', account]),
    pv('8', ['0', 'NOID', 'CASH', '', '', '', '', '', 'EUR', 'EUR.USD', '', '0', '1.08', '0', '1.07', '0', '0', account]),
    pv('8', ['880004', 'OTHER', 'STK', '', '', '', '', '', 'USD', 'OTHER', '', '0', '1', '1', '1', '0', '0', 'DU_NOT_FOLLOWED']),
    pv('7', ['880005', 'SEVEN', 'FUT', '202606', '', '', '50', 'CME', 'USD', 'ESM6', '0', '5000.25', '0', '5000', '0', '0', account]),
    pv('6', ['880006', 'SIX', 'STK', '', '', '', 'USD', 'SIX', '0', '10', '0', '9', '0', '0', account]),
    // Two-, three- and four-byte characters (raw UTF-8, as TWS may send names), which chunkings cut at every byte class.
    pv('8', ['880007', 'Café€𝄞', 'STK', '', '0', '', '', 'SBF', 'EUR', 'CAFÉ', 'CAFÉ', '3', '1', '3', '1', '0', '0', account]),
    [String(IN.ERR_MSG), '2', '-1', '2104', 'Marktdatenverbindung für €𝄞 ist OK', ...(sv >= 166 ? [''] : [])],
    // A hot message cut short: the library's underrun report in both cases, and the next message decoded.
    opt('13', '1', '0.3'),
    px(stockReq, '6'),
    opt('13', '1', '0.31', '0.51', '2.1', '0', '0.011', '0.21', '-0.031', '100.5'),
    errorMessage(sv, -1, 2119, END_TEXT),
  ];
}

/** Chunk sizes 1..`max` from a fixed seed (a small LCG): the same cuts on every run. */
function seededSizes(seed: number, max: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 1 + (x % max);
  };
}

/**
 * Serves `bytes` to each client once its handshake arrives, the nth client in writes of `sizes[n]()` bytes (whole when
 * there is none; loopback may still join or cut them); ignores its requests (but waits for the first). One port: the
 * bodies name it.
 */
async function serve(bytes: Buffer, sizes: ReadonlyArray<() => number> = []): Promise<number> {
  const sockets = new Set<Socket>();
  let clients = 0;
  const server = createServer((s) => {
    sockets.add(s);
    s.setNoDelay(true);
    const size = sizes[clients++] ?? (() => bytes.length);
    // The server's hello alone, then the rest once the client answers it (START_API): everything after the hello
    // arrives after the handshake, in reads of its own, where our framing (guard.ts) takes the stream.
    const hello = 4 + bytes.readUInt32BE(0);
    s.once('data', () => {
      s.write(bytes.subarray(0, hello));
      s.once('data', async () => {
        for (let pos = hello; pos < bytes.length && !s.destroyed;) {
          const n = size();
          if (!s.write(bytes.subarray(pos, pos + n))) await new Promise((r) => s.once('drain', r));
          pos += n;
        }
      });
    });
    s.on('data', () => {});
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as AddressInfo).port;
}

interface Run {
  readonly bodies: string[];
  /** Hot events the library's emitter carried (the event itself, as it emits it). */
  readonly libraryEmits: number;
  /** Frames the library tokenized itself (socket.js onMessage), not our framing. */
  readonly libraryFrames: number;
}

/**
 * One TwsSource reading the served stream to its end, its bodies as the recording writes them. `library`: a listener
 * on 'all' (which both fast paths step aside for) makes the library frame and decode every message, as before them;
 * 'framing': a listener on 'received' makes the library frame every message (guard.ts), our hot path decoding.
 */
async function run(port: number, library: boolean | 'framing'): Promise<Run> {
  const source = new TwsSource({ host: '127.0.0.1', port, clientId: CLIENT_ID, openOrdersPollMs: 0, clock: new ManualClock(Date.parse(T0)) });
  const bodies: string[] = [];
  let ended = false;
  source.events$.subscribe((b) => {
    bodies.push(JSON.stringify(b));
    if (b.type === 'brokerMessage' && b.message === END_TEXT) ended = true;
  });
  source.start();
  open.push(() => source.stop());
  const api = (source as unknown as { api: IBApi }).api;
  let libraryEmits = 0;
  const emit = api.emit.bind(api);
  api.emit = ((name: string, ...args: unknown[]) => {
    if (HOT_EVENTS.has(name)) libraryEmits++;
    return emit(name, ...args);
  }) as typeof api.emit;
  const socket = (api as unknown as { controller: { socket: { onMessage(text: string): void } } }).controller.socket;
  let libraryFrames = 0;
  const onMessage = socket.onMessage.bind(socket);
  socket.onMessage = (text: string) => {
    libraryFrames++;
    onMessage(text);
  };
  if (library === 'framing') api.on(EventName.received, () => {});
  else if (library) api.on(EventName.all, () => {});
  await waitFor(() => ended, 30_000, 'the end of the served stream');
  source.stop();
  return { bodies, libraryEmits, libraryFrames };
}

describe('hot messages decoded from the library queue', () => {
  for (const sv of [157, 176, HOT_MAX_SERVER_VERSION]) {
    it(`gives the library's bodies, byte for byte, at server version ${sv}`, async () => {
      const recorded = await recordSession(sv);
      const account = recorded.find((f) => f[0] === String(IN.MANAGED_ACCTS))![2]!.split(',')[0]!;
      const stockReq = recorded.find((f) => f[0] === String(IN.TICK_PRICE) && f[3] === '1')![2]!;
      const optionReq = recorded.find((f) => f[0] === String(IN.TICK_OPTION_COMPUTATION))![1]!;
      const stream = Buffer.concat([...recorded, ...edgeFrames(sv, account, stockReq, optionReq)].map((f) => encodeFrame(f)));
      // Our framing (guard.ts) against the library's on the same bytes cut into small writes, after the two whole
      // runs: 1 to 7 bytes (frames, length headers and characters cut everywhere), then 1 to 300; the library's framing
      // forced by a 'received' listener.
      const cuts = [seededSizes(1, 7), seededSizes(2, 300)];
      const port = await serve(stream, [() => stream.length, () => stream.length, ...cuts.flatMap((c) => [c, c])]);
      const ours = await run(port, false);
      const library = await run(port, true);
      expect(ours.bodies).toEqual(library.bodies);
      // The comparison is between the two paths: ours took every hot message, the other none.
      expect(ours.libraryEmits).toBe(0);
      expect(library.libraryEmits).toBeGreaterThan(recorded.length / 2);
      // The edge frames reached the bodies (not all dropped as unknown), and the short ones were named.
      const tail = ours.bodies.slice(-40).join('\n');
      expect(tail).toContain('"price":"101.1"');
      expect(tail).toContain('"unknownQuantity":"NaN"');
      expect(tail).toContain('A\\\\x1b[2JB');
      expect(tail).toMatch(/Underrun error on TICK_OPTION_COMPUTATION/);
      expect(tail).toMatch(/Underrun error on TICK_PRICE/);
      expect(tail).toContain('Café€𝄞');
      expect(tail).toContain('Marktdatenverbindung für €𝄞 ist OK');
      const end = ours.bodies.findIndex((b) => b.includes(END_TEXT));
      expect(ours.bodies[end - 1]).toContain('"impliedVol":0.31');
      const frameCount = recorded.length + edgeFrames(sv, account, stockReq, optionReq).length;
      expect([ours.libraryFrames, library.libraryFrames]).toEqual([1, frameCount]);
      for (const max of [7, 300]) {
        const cut = await run(port, false);
        expect(cut.bodies, `ours, writes of 1..${max}`).toEqual(library.bodies);
        // Only the server's hello, before the handshake, is the library's to frame.
        expect(cut.libraryFrames).toBe(1);
        const framedByLibrary = await run(port, 'framing');
        expect(framedByLibrary.bodies, `the library's framing, writes of 1..${max}`).toEqual(library.bodies);
        expect([framedByLibrary.libraryEmits, framedByLibrary.libraryFrames]).toEqual([0, frameCount]);
      }
    }, 120_000);
  }
});

/** A real IBApi fed bytes directly after a server hello at `sv`, with the hot path over `listeners`. */
function fedApi(sv: number, listeners: HotListeners) {
  const api = new IBApi({ host: '127.0.0.1', port: 1 });
  const msgErrors: string[] = [];
  const errors: string[] = [];
  api.on(EventName.tickPrice, listeners.tickPrice);
  api.on(EventName.tickOptionComputation, listeners.tickOptionComputation);
  api.on(EventName.updatePortfolio, listeners.updatePortfolio);
  api.on(EventName.error, (e: Error) => errors.push(e.message));
  installWireGuard(api, { onBadFrame: () => {}, onMessageError: (r) => msgErrors.push(r), hot: hotDecoder(api, listeners) });
  const socket = (api as unknown as { controller: { socket: { onData(b: Buffer): void } } }).controller.socket;
  socket.onData(encodeFrame([String(sv), '20260302 14:30:00 UTC']));
  return { api, feed: (...fs: string[][]) => socket.onData(Buffer.concat(fs.map((f) => encodeFrame(f)))), msgErrors, errors };
}

const optFrame = (reqId: number, iv: string) => [
  String(IN.TICK_OPTION_COMPUTATION),
  String(reqId),
  '13',
  '1',
  iv,
  '0.5',
  '2',
  '0',
  '0.01',
  '0.2',
  '-0.03',
  '100',
];

describe('the fast path under the wire guard', () => {
  function recorder(poison?: number) {
    const ivs: Array<[number, number | undefined]> = [];
    const listeners: HotListeners = {
      tickPrice: () => {},
      updatePortfolio: () => {},
      tickOptionComputation: (reqId, _t, _a, iv) => {
        if (reqId === poison) throw new Error('listener failed on purpose');
        ivs.push([reqId, iv]);
      },
    };
    return { ivs, listeners };
  }

  it('a listener that throws on a hot message loses that event only, named; the next message is decoded', () => {
    const r = recorder(2);
    const g = fedApi(193, r.listeners);
    g.feed(optFrame(1, '0.1'), optFrame(2, '0.2'), optFrame(3, '0.3'));
    expect(r.ivs).toEqual([
      [1, 0.1],
      [3, 0.3],
    ]);
    expect(g.msgErrors).toEqual([expect.stringMatching(/^handling the tickOptionComputation event failed: listener failed on purpose/)]);
  });

  it('a short hot message is dropped and named by the library; the next one is decoded', () => {
    const r = recorder();
    const g = fedApi(193, r.listeners);
    g.feed(optFrame(1, '0.1').slice(0, 6), optFrame(3, '0.3'));
    expect(r.ivs).toEqual([[3, 0.3]]);
    expect(g.errors).toEqual([expect.stringContaining('Underrun error on TICK_OPTION_COMPUTATION')]);
    expect(g.msgErrors).toEqual([]);
  });

  it('a hot message with extra fields is delivered and the leftover named, as the library does', () => {
    const r = recorder();
    const g = fedApi(193, r.listeners);
    g.feed([...optFrame(1, '0.1'), 'extra'], optFrame(3, '0.3'));
    expect(r.ivs).toEqual([
      [1, 0.1],
      [3, 0.3],
    ]);
    expect(g.errors).toEqual([expect.stringContaining('unprocessed data left on queue')]);
  });

  it('steps aside for the library when another listener, or a result/all listener, would miss the event', () => {
    const r = recorder();
    const g = fedApi(193, r.listeners);
    const heard: string[] = [];
    g.api.on(EventName.tickOptionComputation, () => heard.push('second listener'));
    g.feed(optFrame(1, '0.1'));
    g.api.removeAllListeners(EventName.tickOptionComputation);
    g.api.on(EventName.tickOptionComputation, r.listeners.tickOptionComputation);
    g.api.on(EventName.result, (name: string) => heard.push(`result ${name}`));
    g.feed(optFrame(2, '0.2'));
    expect(heard).toEqual(['second listener', `result ${EventName.tickOptionComputation}`]);
    expect(r.ivs).toEqual([
      [1, 0.1],
      [2, 0.2],
    ]);
  });
});

describe('the arguments our listeners get', () => {
  for (const sv of [HOT_MIN_SERVER_VERSION, HOT_MAX_SERVER_VERSION]) {
    it(`are the library's for every edge frame at server version ${sv}`, () => {
      const heard = (library: boolean) => {
        const got: unknown[][] = [];
        const g = fedApi(sv, {
          tickPrice: (...a) => got.push(['tickPrice', ...a.slice(0, 3)]),
          tickOptionComputation: (...a) => got.push(['tickOptionComputation', ...a]),
          updatePortfolio: (...a) => got.push(['updatePortfolio', ...a]),
        });
        if (library) g.api.on(EventName.result, () => {});
        g.feed(...edgeFrames(sv, 'DU1', '9001', '9002'));
        return { got, errors: g.errors };
      };
      const ours = heard(false);
      const library = heard(true);
      expect(ours.got.length).toBeGreaterThan(25);
      expect(ours.got).toEqual(library.got);
      expect(ours.errors).toEqual(library.errors);
    });
  }
});

describe('hotDecoder outside its server versions', () => {
  it('reads nothing below PRICE_BASED_VOLATILITY or above what the library negotiates', () => {
    const quiet = { listenerCount: (e: string) => (e === EventName.result || e === EventName.all ? 0 : 1) };
    const never = () => {
      throw new Error('not to be called');
    };
    const decode = hotDecoder(quiet, { tickPrice: never, tickOptionComputation: never, updatePortfolio: never });
    for (const sv of [HOT_MIN_SERVER_VERSION - 1, HOT_MAX_SERVER_VERSION + 1]) {
      // Enough tokens for any of the four messages: only the server version keeps them from being read.
      const tokens = [...Array.from({ length: 24 }, () => '8'), undefined];
      const queue: TokenQueue = { serverVersion: sv, dataQueue: [...tokens] };
      for (const id of [IN.TICK_PRICE, IN.TICK_SIZE, IN.TICK_OPTION_COMPUTATION, IN.PORTFOLIO_VALUE]) expect(decode(id, queue)).toBe(false);
      expect(queue.dataQueue).toEqual(tokens);
    }
  });
});
