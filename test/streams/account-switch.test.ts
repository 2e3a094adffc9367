// A reconnect that lands on a login managing another account (issue 14 item 8), end to end against two simulators.
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEvent } from '../../src/model/events.js';
import { isStale } from '../../src/model/freshness.js';
import { dec } from '../../src/model/money.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { guardAny, type GuardContext } from '../../src/trading/guard.js';
import { statusCells } from '../../src/views/rows/status.js';
import { T0, waitFor } from '../sim/helpers.js';
import { startFrameProxy, type FrameProxy } from '../support/hostile-peer.js';

const OLD = 'DU1234567';
const NEW = 'DU7654321';

interface Rig {
  readonly first: Simulator;
  readonly second: Simulator;
  readonly proxy: FrameProxy;
  readonly source: TwsSource;
  readonly feed: Feed;
  readonly events: FeedEvent[];
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/**
 * Two simulators behind one proxy: the first logged in to OLD, the second to NEW with another book (another seed), so
 * a mix-up would show as positions that changed. The source follows whatever the first login manages, as the console
 * does without --account.
 */
async function startRig(account?: string): Promise<Rig> {
  const first = await startSimulator({ port: 0, controlPort: null, seed: 3, speed: 20, startTime: T0, log: false, account: OLD });
  cleanup.push(() => first.close());
  const second = await startSimulator({ port: 0, controlPort: null, seed: 11, speed: 20, startTime: T0, log: false, account: NEW });
  cleanup.push(() => second.close());
  const proxy = await startFrameProxy(first.port);
  cleanup.push(() => proxy.close());
  const source = new TwsSource({
    host: '127.0.0.1',
    port: proxy.port,
    clientId: 51,
    heartbeatMs: 300,
    heartbeatTimeoutMs: 10_000,
    backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 },
    openOrdersPollMs: 300,
    ...(account ? { account } : {}),
  });
  const feed = new Feed(source.events$);
  const events: FeedEvent[] = [];
  feed.events$.subscribe((e) => events.push(e));
  source.start();
  cleanup.push(() => feed.close('test over'));
  cleanup.push(() => source.stop());
  return { first, second, proxy, source, feed, events };
}

const synced = (r: Rig) => () => {
  const s = r.feed.state;
  return s.health === 'ready' && s.complete.accountDownload && s.complete.positions && s.complete.accountSummary && s.complete.openOrders;
};

const positionsOf = (r: Rig) => JSON.stringify([...r.feed.state.positions.values()].map((p) => [p.account, p.contract.conId, p.position.toString()]).sort());

/** Armed, ready by the source's word: only the account check can refuse. */
function tradeContext(r: Rig, armedAt: number): GuardContext {
  const now = Date.now();
  return { mode: 'trade', state: r.feed.state, sourceReady: r.source.ready, arm: { armed: true, until: now + 60_000, by: 'palette', at: armedAt }, now };
}

describe('a reconnect that lands on a login managing another account', () => {
  // Without --account the source follows the first login's account; with it, the same holds after a reconnect.
  it.each([
    ['without --account', undefined],
    ['with --account', OLD],
  ])('%s: says so at once, shows the old numbers as not current, leaves the old book alone and refuses trading', async (_label, account) => {
    const r = await startRig(account);
    await waitFor(synced(r), 20_000, 'the first login synchronised');
    expect(r.feed.state.account).toBe(OLD);
    const before = positionsOf(r);
    const armedAt = Date.now();
    expect(guardAny(tradeContext(r, armedAt))).toBeUndefined();

    r.proxy.retarget(r.second.port);
    await r.first.trigger({ incident: 'drop' });
    const changed = await waitFor(() => r.events.find((e) => e.type === 'accountChanged'), 20_000, 'the accountChanged fact');
    expect(changed).toMatchObject({ followed: OLD, managed: [NEW] });

    // The fact is in the state; health names both accounts and never returns to ready on this login.
    await waitFor(() => r.feed.state.accountChange !== undefined && r.feed.state.health !== 'connecting', 20_000, 'the state to carry it');
    const s = r.feed.state;
    expect(s.accountChange).toMatchObject({ followed: OLD, managed: [NEW] });
    expect(s.account).toBe(OLD);
    expect(['ready', 'degraded']).not.toContain(s.health);
    expect(s.healthReason).toContain(OLD);
    expect(s.healthReason).toContain(NEW);
    // Several heartbeats later the source is still answering, still not ready, and never synchronised the new login.
    const beats = r.source.lastHeartbeatAt;
    await waitFor(() => r.source.lastHeartbeatAt !== beats, 20_000, 'a heartbeat on the new login');
    expect(r.feed.state.health).toBe(s.health);
    expect(r.source.ready).toBe(false);
    const reconnectAt = r.events.indexOf(changed);
    expect(r.events.slice(reconnectAt).filter((e) => e.type === 'snapshotRequested')).toEqual([]);
    // The old account's book is neither emptied nor mixed with the new one's; its values are stale.
    expect(positionsOf(r)).toBe(before);
    for (const stream of ['accountValues', 'portfolio', 'positions', 'marketData'] as const) {
      expect(isStale(r.feed.state, stream, Date.now())).toBe(true);
    }
    // The status bar says it in words, naming both accounts.
    const bar = statusCells({ live: r.feed.state, mode: 'paper', maskAccount: false, trading: 'trade', now: Date.now() })
      .map((c) => c.text)
      .join(' ');
    expect(bar).toContain(`ACCOUNT CHANGED`);
    expect(bar).toContain(NEW);
    // Every send is refused, by the guard with its own code and by the source itself.
    expect(guardAny(tradeContext(r, Date.now()))).toMatchObject({ code: 'ACCOUNT_CHANGED', followed: OLD, managed: [NEW] });
    const aapl = [...r.feed.state.positions.values()].find((p) => p.contract.secType === 'STK')!;
    expect(r.source.placeOrder(aapl.contract, { action: 'SELL', totalQuantity: dec('1'), orderType: 'MKT' }).ok).toBe(false);
    expect(r.second.snapshot().openOrders.filter((o) => o.clientId === 51)).toEqual([]);
    expect(r.second.snapshot().executions.filter((e) => e.clientId === 51)).toEqual([]);
  });

  it('when the followed account comes back, data is current again but an arm from before must be renewed', async () => {
    const r = await startRig();
    await waitFor(synced(r), 20_000, 'the first login synchronised');
    const armedBefore = Date.now();
    r.proxy.retarget(r.second.port);
    await r.first.trigger({ incident: 'drop' });
    await waitFor(() => r.feed.state.accountChange?.until === undefined && r.feed.state.accountChange !== undefined, 20_000, 'the switch');

    r.proxy.retarget(r.first.port);
    await r.second.trigger({ incident: 'drop' });
    await waitFor(() => r.feed.state.accountChange?.until !== undefined && synced(r)(), 20_000, 'the followed account back and synchronised');
    const back = r.events.filter((e) => e.type === 'accountChanged');
    expect(back).toHaveLength(2);
    expect(back[1]).toMatchObject({ followed: OLD, managed: [OLD] });
    expect(isStale(r.feed.state, 'portfolio', Date.now())).toBe(false);
    expect(guardAny(tradeContext(r, armedBefore))).toMatchObject({ code: 'ACCOUNT_CHANGED' });
    expect(guardAny(tradeContext(r, Date.now()))).toBeUndefined();
  });
});
