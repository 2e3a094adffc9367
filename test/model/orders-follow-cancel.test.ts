// A global cancel of other clients' and manual TWS orders reaches the feed's orders, end to end through the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalStatus } from '../../src/model/orders.js';
import { ordersVM } from '../../src/views/rows/orders.js';
import { initialUi } from '../../src/views/ui-state.js';
import { startSimFeed, type SimFeed } from '../support/sim-feed.js';
import { waitFor } from '../sim/helpers.js';

let live: SimFeed;

beforeAll(async () => {
  live = await startSimFeed();
}, 60_000);

afterAll(async () => {
  await live?.close();
});

describe('orders after a global cancel', () => {
  it("a foreign client's order and a manual TWS order both reach a final state in the feed", async () => {
    // Limits far from the market, so neither fills before the cancel.
    await live.sim.trigger({
      incident: 'foreign-order',
      clientId: 99,
      symbol: 'AAPL',
      secType: 'STK',
      action: 'BUY',
      quantity: '100',
      orderType: 'LMT',
      lmtPrice: 1,
    });
    await live.sim.trigger({ incident: 'manual-order', symbol: 'TSLA', secType: 'STK', action: 'BUY', quantity: '50', orderType: 'LMT', lmtPrice: 1 });
    await waitFor(
      () => {
        const rows = [...live.feed.state.orders.values()];
        return rows.length === 2 && rows.every((r) => !isTerminalStatus(r.status));
      },
      20_000,
      'both staged orders open in the feed',
    );
    expect(live.sim.snapshot().openOrders).toHaveLength(2);

    expect(live.source.globalCancel()).toEqual({ ok: true });
    await waitFor(() => live.sim.snapshot().openOrders.length === 0, 20_000, 'the simulator to cancel both');

    // Neither order is streamed to client 31: only a refreshed open-orders snapshot can tell the feed they are gone.
    await waitFor(() => [...live.feed.state.orders.values()].every((r) => isTerminalStatus(r.status)), 20_000, 'every order in the feed to be final');
    const rows = [...live.feed.state.orders.values()];
    expect(rows.map((r) => r.clientId).sort()).toEqual([0, 99]);
    expect(rows.every((r) => r.listed === false)).toBe(true);
    // The Orders pane counts them done and shows no working status for either.
    const vm = ordersVM(live.feed.state, initialUi().lists.orders, 120, 10, live.sim.now());
    expect(vm.info).toMatch(/^0 open · 2 done\b/);
    expect(vm.rows.map((r) => r.cells?.status?.text)).toEqual(['Closed', 'Closed']);
  }, 60_000);
});
