// An advisor login followed whole over one connection: the simulator's FA sub-accounts through the real @stoqey/ib
// client, routed to one Feed per account, each matching the simulator's own book for that account.
import { afterEach, describe, expect, it } from 'vitest';
import { missingData } from '../../src/commands/state-json.js';
import type { PortfolioState } from '../../src/model/state.js';
import { snapshotValue, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { AccountRouter, markOf, parseAccounts } from '../../src/streams/tws/multi.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { dec } from '../../src/model/money.js';
import { FA_BOOKS, startAdvisorSim, T0, waitFor } from '../sim/helpers.js';
import { startFrameProxy } from '../support/hostile-peer.js';

const open: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

async function faSim(opts: SimulatorOptions = {}): Promise<Simulator> {
  // A manual clock (speed 0): every figure the test compares stays put while the client catches up.
  const s = await startAdvisorSim(opts);
  open.push(() => s.close());
  return s;
}

function followAll(s: Simulator, accounts: 'all' | readonly string[], clientId = 31): { source: TwsSource; router: AccountRouter; feeds: Map<string, Feed> } {
  const source = new TwsSource({
    host: '127.0.0.1',
    port: s.port,
    clientId,
    accounts,
    heartbeatMs: 300,
    heartbeatTimeoutMs: 10_000,
    openOrdersPollMs: 300,
    backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 },
  });
  const router = new AccountRouter(source, accounts);
  const feeds = new Map<string, Feed>();
  router.onAccounts((list) => {
    for (const a of list) {
      const feed = new Feed(router.streamOf(a));
      feeds.set(a, feed);
      open.push(() => feed.close('test over'));
    }
  });
  source.start();
  open.push(() => source.stop());
  return { source, router, feeds };
}

const positionsOf = (st: PortfolioState) => [...st.positions.values()].map((p) => [p.contract.conId, p.position!.toString()]).sort();
const nlv = (st: PortfolioState) => st.accountValues.get(`NetLiquidation|${st.baseCurrency}`)?.raw;

describe('--account all on an advisor login (simulator FA sub-accounts)', () => {
  it('parses the account flag: all, a list, or one account', () => {
    expect(parseAccounts('all')).toBe('all');
    expect(parseAccounts('ALL')).toBe('all');
    expect(parseAccounts('A1, B2,A1')).toEqual(['A1', 'B2']);
    expect(parseAccounts('A1')).toBeUndefined();
    expect(markOf({ bid: dec('10'), ask: dec('11') })?.toString()).toBe('10.5');
    expect(markOf({ close: dec('9'), last: dec('9.5') })?.toString()).toBe('9.5');
    expect(markOf(undefined)).toBeUndefined();
  });

  it('the simulator lists its sub-accounts and keeps a book per account', async () => {
    const s = await faSim();
    expect(snapshotValue(s.snapshot('DU2000001'), 'NetLiquidation')).toBeDefined();
    expect(s.snapshot('DU2000001').positions.map((p) => [p.conId, p.position])).toEqual([[265598, '100']]);
    expect(s.snapshot('DU2000003').cash).toEqual({ EUR: '30000' });
    expect(s.snapshot('DU2000003').baseCurrency).toBe('EUR');
    expect(snapshotValue(s.snapshot('DU2000003'), 'NetLiquidation')).toBeDefined();
    expect(() => s.snapshot('DU9')).toThrow(/no book for account DU9/);
  });

  it('follows every managed account over one connection, each state matching its own book', async () => {
    const s = await faSim();
    const { feeds, router, source } = followAll(s, 'all');
    const all = [s.account, ...Object.keys(FA_BOOKS)];
    await waitFor(() => router.followed?.length === 4, 20_000, 'the followed accounts');
    expect(router.followed).toEqual(all);
    expect(source.followedAccounts).toEqual(all);
    await waitFor(
      () => [...feeds.values()].every((f) => missingData(f.state).length === 0 && f.state.portfolio.size === f.state.positions.size),
      30_000,
      'complete states for every account',
    );
    for (const a of all) {
      const st = feeds.get(a)!.state;
      const snap = s.snapshot(a);
      expect(st.account).toBe(a);
      // Rows of the other accounts never reached this state (the one-account rule saw none to drop).
      expect(st.otherAccountRows).toBe(0);
      expect(positionsOf(st)).toEqual(snap.positions.map((p) => [p.conId, p.position]).sort());
      expect(nlv(st)).toBe(snapshotValue(snap, 'NetLiquidation'));
      expect(st.baseCurrency).toBe(snap.baseCurrency);
      expect(st.accountSummary.get(`NetLiquidation|${snap.baseCurrency}`)?.raw).toBe(snapshotValue(snap, 'NetLiquidation'));
    }
    // PnL per account (reqPnL for each), as the simulator values that account.
    await waitFor(() => [...feeds.values()].every((f) => f.state.pnl?.unrealizedPnl !== undefined), 20_000, 'PnL for every account');
    for (const a of all) expect(feeds.get(a)!.state.pnl!.unrealizedPnl!.toNumber()).toBe(Number(s.snapshot(a).pnl.unrealized));
    // Positions are marked at the contract's own price: the simulator's mark for that account's row.
    const sap = feeds.get('DU2000003')!.state.portfolio.get(14204)!;
    expect(sap.marketValue!.toString()).toBe(s.snapshot('DU2000003').positions[0]!.marketValue);
  });

  it('after a dropped connection every account is synchronised again, each complete and matching its own book', async () => {
    const s = await faSim();
    const { feeds, source } = followAll(s, 'all', 33);
    const ready = () =>
      [...feeds.values()].every((f) => f.state.health === 'ready' && missingData(f.state).length === 0 && f.state.portfolio.size === f.state.positions.size);
    await waitFor(() => feeds.size === 4 && ready(), 30_000, 'complete states');
    const requested = (a: string) => feeds.get(a)!.state.lastSeq;
    const before = new Map([...feeds.keys()].map((a) => [a, requested(a)]));
    await s.trigger({ incident: 'drop' });
    await waitFor(() => [...feeds.values()].every((f) => f.state.health !== 'ready'), 20_000, 'the drop seen by every account');
    await waitFor(() => ready(), 30_000, 'every account synchronised again');
    expect(source.followedAccounts).toEqual([...feeds.keys()]);
    for (const [a, f] of feeds) {
      const snap = s.snapshot(a);
      expect(f.state.lastSeq).toBeGreaterThan(before.get(a)!);
      expect(positionsOf(f.state)).toEqual(snap.positions.map((p) => [p.conId, p.position]).sort());
      expect([...f.state.portfolio.keys()].sort()).toEqual(snap.positions.map((p) => p.conId).sort());
      expect(nlv(f.state)).toBe(snapshotValue(snap, 'NetLiquidation'));
    }
  });

  it('after 1101 (data lost) every account is asked for again on the same socket, each complete and ready again', async () => {
    const s = await faSim();
    const { feeds } = followAll(s, 'all', 34);
    const ready = () =>
      [...feeds.values()].every((f) => f.state.health === 'ready' && missingData(f.state).length === 0 && f.state.portfolio.size === f.state.positions.size);
    await waitFor(() => feeds.size === 4 && ready(), 30_000, 'complete states');
    const ours = () => s.snapshot().sessions.find((x) => x.clientId === 34)!;
    await waitFor(() => ours().marketData > 0 && ours().pnl === 4, 10_000, 'lines and a PnL per account');
    const before = ours();
    const seqs = new Map([...feeds].map(([a, f]) => [a, f.state.lastSeq]));
    await s.trigger({ incident: 'connectivity-lost' });
    await waitFor(() => [...feeds.values()].every((f) => f.state.health === 'degraded'), 10_000, '1100 seen by every account');
    await s.trigger({ incident: 'connectivity-restored', dataLost: true });
    // The simulator dropped every subscription (its *Multi ones included); each is counted again.
    await waitFor(() => ours().marketData === before.marketData && ours().pnl === 4 && ours().summaries === before.summaries, 10_000, 'resubscribed');
    await waitFor(() => ready(), 30_000, 'every account ready again');
    expect(ours().remote).toBe(before.remote);
    for (const [a, f] of feeds) {
      expect(f.state.lastSeq).toBeGreaterThan(seqs.get(a)!);
      expect(positionsOf(f.state)).toEqual(
        s
          .snapshot(a)
          .positions.map((p) => [p.conId, p.position])
          .sort(),
      );
      expect(nlv(f.state)).toBe(snapshotValue(s.snapshot(a), 'NetLiquidation'));
    }
  });

  it('a reconnect to a login that no longer manages one followed account says so for that account only', async () => {
    const first = await faSim();
    // The same advisor login, but DU2000002 has left it.
    const { DU2000002: _gone, ...rest } = FA_BOOKS;
    const second = await faSim({ subAccounts: rest });
    const proxy = await startFrameProxy(first.port);
    open.push(() => proxy.close());
    const source = new TwsSource({
      host: '127.0.0.1',
      port: proxy.port,
      clientId: 34,
      accounts: 'all',
      heartbeatMs: 300,
      heartbeatTimeoutMs: 10_000,
      backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 },
    });
    const router = new AccountRouter(source, 'all');
    const feeds = new Map<string, Feed>();
    router.onAccounts((list) => {
      for (const a of list) {
        const feed = new Feed(router.streamOf(a));
        feeds.set(a, feed);
        open.push(() => feed.close('test over'));
      }
    });
    source.start();
    open.push(() => source.stop());
    await waitFor(() => feeds.size === 4 && [...feeds.values()].every((f) => missingData(f.state).length === 0), 30_000, 'complete states');
    expect([...feeds.values()].every((f) => f.state.accountChange === undefined)).toBe(true);
    proxy.retarget(second.port);
    await first.trigger({ incident: 'drop' });
    await waitFor(() => feeds.get('DU2000002')!.state.accountChange !== undefined, 20_000, 'the change said for DU2000002');
    expect(feeds.get('DU2000002')!.state.accountChange?.followed).toBe('DU2000002');
    for (const a of ['DU1234567', 'DU2000001', 'DU2000003']) expect(feeds.get(a)!.state.accountChange).toBeUndefined();
    // Nothing is requested for the lost account on the new login: the connection stays up, unsynchronised, and says why.
    await waitFor(() => /DU2000002/.test(feeds.get('DU2000001')!.state.healthReason ?? ''), 20_000, 'the mismatch in the health reason');
  });

  it('a list follows only the accounts named; an account the login does not manage is refused', async () => {
    const s = await faSim();
    const { feeds } = followAll(s, ['DU2000002', 'DU2000003']);
    await waitFor(() => [...feeds.values()].every((f) => missingData(f.state).length === 0), 30_000, 'complete states');
    expect([...feeds.keys()]).toEqual(['DU2000002', 'DU2000003']);
    expect(nlv(feeds.get('DU2000002')!.state)).toBe(snapshotValue(s.snapshot('DU2000002'), 'NetLiquidation'));

    const bad = followAll(s, ['DU2000002', 'DU7777777'], 32);
    const feed = bad.feeds.get('DU2000002')!;
    await waitFor(() => feed.state.health === 'disconnected' && feed.state.healthCause === 'accountNotManaged', 20_000, 'refusal');
    expect(feed.state.healthReason).toMatch(/DU7777777 is not managed by this login/);
  });
});
