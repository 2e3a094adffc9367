// A real simulator reached through the real live source and feed, synchronised, for view tests with live data.
import { buildUniverse, type Instrument } from '../../src/sim/instruments.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import type { Clock } from '../../src/model/clock.js';
import type { FeedEvent } from '../../src/model/events.js';
import type { PortfolioState } from '../../src/model/state.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource, type TwsSourceOptions } from '../../src/streams/tws/source.js';
import { T0, waitFor } from '../sim/helpers.js';

/** The simulated book as the simulator builds it at the pinned start: expected labels come from here, never literals. */
export function simInstrument(pick: (i: Instrument) => boolean, startTime: string = T0): Instrument {
  const found = buildUniverse(Date.parse(startTime)).find(pick);
  if (!found) throw new Error('no such instrument in the simulated universe');
  return found;
}

/** How the Positions pane labels a contract: options by symbol, expiry, strike and right; futures by local symbol. */
export function positionLabel(i: Instrument): string {
  if (i.secType === 'OPT' || i.secType === 'FOP') return `${i.symbol} ${i.lastTradeDateOrContractMonth} ${i.strike} ${i.right}`;
  return i.localSymbol;
}

/**
 * The feed is ready, its snapshots are complete (open orders too, unless `orders` is false) and every option it holds
 * has TWS's model greeks: what risk and alert tests wait for before they look.
 */
export function syncedWithGreeks(s: PortfolioState, o: { readonly orders?: boolean } = {}): boolean {
  const options = [...s.portfolio.values()].filter((r) => ['OPT', 'FOP'].includes(r.contract.secType));
  return (
    s.health === 'ready' &&
    s.complete.accountDownload &&
    s.complete.positions &&
    (o.orders === false || s.complete.openOrders) &&
    options.length > 0 &&
    options.every((r) => s.options.get(r.contract.conId)?.impliedVol !== undefined)
  );
}

/**
 * The live source's timings for tests on the simulator: a heartbeat, reconnect and order poll at a test's pace, with a
 * generous heartbeat answer, so that a busy machine does not turn a late timer into a reconnect.
 */
export const QUICK_SOURCE = {
  heartbeatMs: 500,
  heartbeatTimeoutMs: 10_000,
  backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 },
  openOrdersPollMs: 300,
} as const satisfies Partial<TwsSourceOptions>;

export interface LiveFeed {
  readonly source: TwsSource;
  readonly feed: Feed;
  /** Every event the feed published, in order. */
  readonly events: FeedEvent[];
  /** Stops the source, then closes the feed. */
  close(): Promise<void>;
}

/**
 * The live source on `port` (a simulator, or a proxy in front of one) at the test timings (QUICK_SOURCE, `timing`
 * overriding), started, with its feed (stamping events by `clock`, when given) and a log of what the feed published.
 */
export function connectFeed(port: number, clientId: number, timing: Partial<TwsSourceOptions> = {}, clock?: Clock): LiveFeed {
  const source = new TwsSource({ host: '127.0.0.1', port, clientId, ...QUICK_SOURCE, ...timing });
  const feed = new Feed(source.events$, clock ? { now: clock.now } : {});
  const events: FeedEvent[] = [];
  feed.events$.subscribe((e) => events.push(e));
  source.start();
  return {
    source,
    feed,
    events,
    close: async () => {
      source.stop();
      await feed.close('test over');
    },
  };
}

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
export async function startSimFeed(
  o: { orders?: boolean; speed?: number; readOnlyApi?: boolean; startTime?: number | string; scenario?: string } = {},
): Promise<SimFeed> {
  const sim = await startSimulator({
    port: 0,
    controlPort: null,
    seed: 3,
    speed: o.speed ?? 20,
    startTime: o.startTime ?? T0,
    log: false,
    ...(o.readOnlyApi ? { readOnlyApi: true } : {}),
    ...(o.scenario ? { scenario: o.scenario } : {}),
  });
  const source = new TwsSource({ host: '127.0.0.1', port: sim.port, clientId: 31, ...QUICK_SOURCE });
  const feed = new Feed(source.events$);
  source.start();
  const close = async () => {
    source.stop();
    await feed.close('test over');
    await sim.close();
  };
  try {
    await waitFor(() => syncedWithGreeks(feed.state), 20_000, 'a synchronised feed with greeks');
    if (o.orders) {
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
      await sim.trigger({ incident: 'manual-order', symbol: 'TSLA', secType: 'STK', action: 'BUY', quantity: '50', orderType: 'MKT' });
      await waitFor(
        () => {
          const s = feed.state;
          return [...s.orders.values()].some((r) => r.clientId === 99) && [...s.executions.values()].some((e) => e.commission !== undefined);
        },
        20_000,
        'the staged order and fill',
      );
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { sim, source, feed, close };
}

/**
 * A round trip through the client's own socket: the simulator answers requests in the order it reads them, so once
 * this returns, everything the client sent before (an order, a cancel) has reached the simulator. Tests that check
 * that nothing was sent wait on this instead of sleeping.
 */
export async function roundTrip(live: SimFeed): Promise<void> {
  const aapl = simInstrument((i) => i.symbol === 'AAPL' && i.secType === 'STK');
  const answer = await live.source.contractDetails(aapl.conId, 20_000);
  if (!answer) throw new Error('the simulator did not answer a contract-details round trip');
}

/** Resolves once the feed has published `count` more events of `type` than it had when this was called. */
export function nextEvents(live: SimFeed, type: string, count = 1): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const sub = live.feed.events$.subscribe((ev) => {
      if (ev.type === type && ++seen >= count) {
        queueMicrotask(() => sub.unsubscribe());
        resolve();
      }
    });
  });
}
