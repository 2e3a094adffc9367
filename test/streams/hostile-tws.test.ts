// A hostile or corrupt TWS peer against the real TwsSource and Feed: bad frame lengths, error storms, bad messages.
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEvent } from '../../src/model/events.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import type { Feed } from '../../src/streams/feed.js';
import type { TwsSource } from '../../src/streams/tws/source.js';
import { T0, waitFor } from '../sim/helpers.js';
import { errFrame, lengthHeader, startFrameProxy, type FrameProxy } from '../support/hostile-peer.js';
import { connectFeed } from '../support/sim-feed.js';

interface Rig {
  readonly sim: Simulator;
  readonly proxy: FrameProxy;
  readonly source: TwsSource;
  readonly feed: Feed;
  readonly events: FeedEvent[];
  close(): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function startRig(): Promise<Rig> {
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 5, speed: 20, startTime: T0, log: false });
  const proxy = await startFrameProxy(sim.port);
  const { source, feed, events, close } = connectFeed(proxy.port, 41, { openOrdersPollMs: 0 });
  const rig: Rig = {
    sim,
    proxy,
    source,
    feed,
    events,
    close: async () => {
      await close();
      await proxy.close();
      await sim.close();
    },
  };
  rigs.push(rig);
  await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions, 20_000, 'a ready feed through the proxy');
  return rig;
}

const brokerMessages = (r: Rig) => r.events.flatMap((e) => (e.type === 'brokerMessage' ? [e] : []));
const saw = (r: Rig, code: number, text: string) => brokerMessages(r).some((m) => m.code === code && m.message.includes(text));

describe('a frame length the library would read as negative', () => {
  it('drops the connection with the reason, keeps the frames before it, and reconnects', async () => {
    const rig = await startRig();
    // 0x80000000: readInt32BE gives -2^31, and @stoqey/ib's read loop never advances (the event loop hangs).
    rig.proxy.links[0]!.inject(Buffer.concat([errFrame(-1, 2104, 'marker before the bad frame'), lengthHeader(0x8000_0000), Buffer.from('junk')]));
    await waitFor(() => saw(rig, 507, '2147483648 bytes'), 20_000, 'the bad frame named');
    expect(saw(rig, 2104, 'marker before the bad frame')).toBe(true);
    await waitFor(
      () => rig.events.some((e) => e.type === 'healthChanged' && e.health !== 'ready' && (e.reason ?? '').includes('2147483648')),
      20_000,
      'health saying why',
    );
    await waitFor(() => rig.proxy.links.length === 2 && rig.feed.state.health === 'ready', 20_000, 'a new connection, ready');
    // The reason names the length and the limit, so an operator can tell corruption from a network fault.
    const reason = brokerMessages(rig).find((m) => m.code === 507)!.message;
    expect(reason).toContain(String(0xffffff));
  });

  it('refuses a positive but absurd length at once, instead of buffering 16 MB first', async () => {
    const rig = await startRig();
    rig.proxy.links[0]!.inject(lengthHeader(0x7fff_fff0));
    await waitFor(() => saw(rig, 507, String(0x7fff_fff0)), 20_000, 'the absurd frame named');
    await waitFor(() => rig.proxy.links.length === 2 && rig.feed.state.health === 'ready', 20_000, 'a new connection, ready');
  });
});

describe('an error storm', () => {
  it('keeps a few copies of a repeated message and a count of the rest', async () => {
    const rig = await startRig();
    const storm = Array.from({ length: 5000 }, () => errFrame(-1, 2100, 'the same complaint'));
    rig.proxy.links[0]!.inject(Buffer.concat([...storm, errFrame(-1, 2104, 'after the storm')]));
    await waitFor(() => saw(rig, 2104, 'after the storm'), 20_000, 'the message after the storm');
    const copies = brokerMessages(rig).filter((m) => m.code === 2100 && m.message === 'the same complaint');
    expect(copies.length).toBeLessThanOrEqual(3);
    expect(copies.length).toBeGreaterThan(0);
    rig.source.stop();
    const summary = brokerMessages(rig).find((m) => m.code === 2100 && m.message.includes('repeated'));
    expect(summary?.message).toContain(`repeated ${5000 - copies.length} more times`);
  });
});

describe('a message the library cannot decode', () => {
  it('an advanced order reject with an escaped newline reaches the operator and nothing else is lost', async () => {
    const rig = await startRig();
    // TWS escapes control characters as \uXXXX; @stoqey/ib unescapes before JSON.parse, and the raw newline throws.
    const reject = '{"rejectReason":"line1\\u000aline2"}';
    rig.proxy.links[0]!.inject(Buffer.concat([errFrame(1_000_001, 201, 'Order rejected - reason:margin', reject), errFrame(-1, 2104, 'after the reject')]));
    await waitFor(() => saw(rig, 2104, 'after the reject'), 20_000, 'the message after the reject');
    expect(saw(rig, 201, 'Order rejected')).toBe(true);
    expect(rig.feed.state.health).toBe('ready');
    expect(rig.proxy.links).toHaveLength(1);
  });
});
