// The product's own live source over the real @stoqey/ib client at server versions below 193 (issue 18 "Done when"):
// the simulator is capped like an older TWS, so the client (which always offers v100..193) negotiates 178 or 157, and
// the TwsSource still syncs positions, account values and open orders, and a market order fills.
import { describe, it, expect, afterEach } from 'vitest';
import { accountValue } from '../../src/model/account-values.js';
import { dec } from '../../src/model/money.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import type { Feed } from '../../src/streams/feed.js';
import type { TwsSource } from '../../src/streams/tws/source.js';
import type { FeedEvent } from '../../src/model/events.js';
import { T0, waitFor } from './helpers.js';
import { RawClient, handshake } from './raw-client.js';
import { connectFeed } from '../support/sim-feed.js';

const open: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

async function rig(maxServerVersion: number): Promise<{ sim: Simulator; source: TwsSource; feed: Feed; logs: string[]; events: FeedEvent[] }> {
  const logs: string[] = [];
  const sim = await startSimulator({
    port: 0,
    controlPort: null,
    seed: 3,
    speed: 20,
    startTime: T0,
    maxServerVersion,
    log: (level, m) => logs.push(`${level} ${m}`),
  });
  open.push(() => sim.close());
  const { source, feed, events, close } = connectFeed(sim.port, 41, { heartbeatMs: 300 });
  open.push(close);
  return { sim, source, feed, logs, events };
}

describe('the live source at a lower server version', () => {
  it.each([178, 157])('at %i: positions, account values and open orders sync, and a market order fills', async (sv) => {
    const { sim, source, feed, logs, events } = await rig(sv);
    await waitFor(
      () => {
        const st = feed.state;
        return st.health === 'ready' && st.complete.accountDownload && st.complete.positions && st.complete.accountSummary && st.complete.openOrders;
      },
      20_000,
      `sync at ${sv}`,
    );
    expect(sim.snapshot().sessions.map((s) => s.serverVersion)).toEqual([sv]);

    const st = feed.state;
    const truth = sim.snapshot();
    expect([...st.positions.keys()].sort()).toEqual(truth.positions.map((p) => p.conId).sort());
    for (const p of truth.positions) expect(st.positions.get(p.conId)?.position.toString(), String(p.conId)).toBe(dec(p.position).toString());
    for (const c of ['USD', 'EUR', 'CHF']) {
      await waitFor(() => accountValue(feed.state, 'CashBalance', c)?.value?.equals(dec(sim.snapshot().cash[c]!)), 20_000, `${c} cash`);
    }
    expect(accountValue(feed.state, 'NetLiquidation', 'USD')?.value?.gt(0)).toBe(true);

    // An open order from another client is listed; then our market order fills and moves the position.
    await sim.trigger({
      incident: 'foreign-order',
      clientId: 99,
      symbol: 'AAPL',
      secType: 'STK',
      action: 'BUY',
      quantity: '100',
      orderType: 'LMT',
      lmtPrice: 150,
    });
    await waitFor(() => [...feed.state.orders.values()].some((o) => o.clientId === 99 && o.status === 'Submitted'), 20_000, 'the foreign open order');
    const aapl = [...feed.state.portfolio.values()].find((r) => r.contract.symbol === 'AAPL' && r.contract.secType === 'STK')!;
    // Contract details (version field and mdSizeMultiplier below 164) decode to the contract's tick.
    expect(await source.contractDetails(aapl.contract.conId, 20_000)).toMatchObject({ minTick: 0.01 });
    const before = feed.state.positions.get(aapl.contract.conId)!.position;
    const r = source.placeOrder(aapl.contract, { action: 'BUY', totalQuantity: dec('10'), orderType: 'MKT', tif: 'DAY', orderRef: `v${sv}` });
    expect(r.ok).toBe(true);
    const orderId = r.ok ? r.orderId : 0;
    await waitFor(
      () => [...feed.state.executions.values()].some((e) => e.orderId === orderId && e.commission !== undefined),
      20_000,
      'the fill and its commission',
    );
    await waitFor(() => feed.state.positions.get(aapl.contract.conId)?.position.equals(before.plus(10)), 20_000, 'the position update');
    await waitFor(() => [...feed.state.orders.values()].find((o) => o.orderId === orderId)?.status === 'Filled', 20_000, 'the Filled status');
    expect(sim.snapshot().positions.find((p) => p.conId === aapl.contract.conId)?.position).toBe(before.plus(10).toString());
    expect(feed.state.health).toBe('ready');
    // Nothing the simulator sent at this version failed to decode (the client reports that as 505) or was refused.
    const problems = events.filter((e) => e.type === 'brokerMessage' && (e.code === 505 || e.class === 'error'));
    expect(problems).toEqual([]);
    expect(logs.filter((l) => l.startsWith('error') || l.includes('malformed request'))).toEqual([]);
  });

  it('the cap is an older TWS: a client that needs more is told the TWS is out of date; a cap outside 157..193 is refused', async () => {
    const { sim } = await rig(178);
    const c = new RawClient(sim.port);
    open.push(() => c.close());
    await c.start(42, 'v100..193');
    expect(c.frames[0]![0]).toBe('178');
    const late = new RawClient(sim.port);
    open.push(() => late.close());
    late.write(handshake('v180..193'));
    await waitFor(() => late.closed, 20_000, 'the close');
    expect(late.frames.find((f) => f[0] === '4')?.[3]).toBe('503');
    await expect(startSimulator({ port: 0, controlPort: null, startTime: T0, maxServerVersion: 194, log: false })).rejects.toThrow(/157 to 193/);
    await expect(startSimulator({ port: 0, controlPort: null, startTime: T0, maxServerVersion: 156, log: false })).rejects.toThrow(/157 to 193/);
  });
});
