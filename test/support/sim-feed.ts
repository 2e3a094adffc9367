// A real simulator reached through the real live source and feed, synchronised, for view tests with live data.
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { waitFor } from '../sim/helpers.js';

export interface SimFeed {
  readonly sim: Simulator;
  readonly source: TwsSource;
  readonly feed: Feed;
  close(): Promise<void>;
}

/**
 * Starts the simulator, connects the live source, and waits until the feed is ready with every snapshot complete and
 * greeks for every option. With `orders`, also stages an open order from another client and a manual fill typed
 * into TWS, so the Orders and Executions panes have rows.
 */
export async function startSimFeed(o: { orders?: boolean; speed?: number; readOnlyApi?: boolean; startTime?: number | string; scenario?: string } = {}): Promise<SimFeed> {
  const sim = await startSimulator({
    port: 0, controlPort: null, seed: 3, speed: o.speed ?? 20, log: false, ...(o.readOnlyApi ? { readOnlyApi: true } : {}),
    ...(o.startTime !== undefined ? { startTime: o.startTime } : {}), ...(o.scenario ? { scenario: o.scenario } : {}),
  });
  const source = new TwsSource({
    host: '127.0.0.1', port: sim.port, clientId: 31, heartbeatMs: 500, heartbeatTimeoutMs: 1000,
    backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 }, openOrdersPollMs: 300,
  });
  const feed = new Feed(source.events$);
  source.start();
  const close = async () => {
    source.stop();
    await feed.close('test over');
    await sim.close();
  };
  try {
    await waitFor(() => {
      const s = feed.state;
      const options = [...s.portfolio.values()].filter((r) => ['OPT', 'FOP'].includes(r.contract.secType));
      return s.health === 'ready' && s.complete.accountDownload && s.complete.positions && s.complete.openOrders && options.length > 0 &&
        options.every((r) => s.options.get(r.contract.conId)?.impliedVol !== undefined);
    }, 20_000, 'a synchronised feed with greeks');
    if (o.orders) {
      await sim.trigger({ incident: 'foreign-order', clientId: 99, symbol: 'AAPL', secType: 'STK', action: 'BUY', quantity: '100', orderType: 'LMT', lmtPrice: 150 });
      await sim.trigger({ incident: 'manual-order', symbol: 'TSLA', secType: 'STK', action: 'BUY', quantity: '50', orderType: 'MKT' });
      await waitFor(() => {
        const s = feed.state;
        return [...s.orders.values()].some((r) => r.clientId === 99) && [...s.executions.values()].some((e) => e.commission !== undefined);
      }, 20_000, 'the staged order and fill');
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { sim, source, feed, close };
}
