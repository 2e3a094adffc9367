// The console with trading on, on the simulator through the real source, in a fake terminal: what trade-dialog tests drive.
import { readFileSync } from 'node:fs';
import { createConsoleTrading, type ConsoleTrading, type ConsoleTradingOptions } from '../../src/commands/console-trading.js';
import type { Clock } from '../../src/model/clock.js';
import { AccountSession } from '../../src/session/session.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { ConsoleStore } from '../../src/views/store.js';
import { T0, waitFor } from '../sim/helpers.js';
import { renderApp, type Tui } from './render-tui.js';
import { connectFeed, type LiveFeed } from './sim-feed.js';

export interface TradingConsole extends LiveFeed {
  readonly sim: Simulator;
  readonly store: ConsoleStore;
  readonly trading: ConsoleTrading;
  readonly tui: Tui;
  /** Ends the terminal, trading, the store, the source and feed, then the simulator (after a test, whatever happened). */
  close(): Promise<void>;
}

/**
 * The simulator (seed 3, at 20×, from T0) and a console trading on it as `clientId`, all on `clock` (the feed's
 * stamps, the store's ages, arming and reading times), its audit log in `auditDir`; `trading` overrides the
 * test timings (20 s to follow a send, expiry and the connection checked every 200 ms).
 */
export async function startTradingConsole(o: {
  readonly clientId: number;
  readonly auditDir: string;
  readonly clock: Clock;
  readonly size: { readonly columns: number; readonly rows: number };
  readonly trading?: Partial<ConsoleTradingOptions>;
}): Promise<TradingConsole> {
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 3, speed: 20, startTime: T0, log: false });
  const live = connectFeed(sim.port, o.clientId, {}, o.clock);
  const { feed, source } = live;
  const store = new ConsoleStore(feed, { throttleMs: 50, clock: o.clock, clockMs: 200, session: new AccountSession(feed, {}) });
  const trading = createConsoleTrading({
    mode: 'trade',
    feed,
    source,
    clientId: o.clientId,
    auditDir: o.auditDir,
    clock: o.clock,
    timeoutMs: 20_000,
    watchMs: 200,
    ...o.trading,
  });
  const tui = renderApp(store, o.size, { trading: 'trade', trade: trading });
  return {
    ...live,
    sim,
    store,
    trading,
    tui,
    async close() {
      tui.unmount();
      trading.close('test over');
      store.dispose();
      await live.close();
      await sim.close();
    },
  };
}

/** Arms trading from the palette with the account's last four characters, and waits for ARMED in the status bar. */
export async function armConsole(tui: Tui, code = '4567'): Promise<void> {
  await tui.write(':trade.arm\r');
  await tui.waitForFrame((f) => f.includes('Type the last four characters'), 'the arming dialog');
  await tui.write(code);
  await tui.write('\r');
  await tui.waitForFrame((f) => / ARMED \d/.test(f.split('\n')[0]!), 'ARMED in the status bar');
}

/**
 * Waits until the price grids arming asked TWS for have come (TradingSession.fetchTicks): a flatten opened before a
 * contract's arrived is refused (TICKS_PENDING) rather than rounded to the default. An operator takes longer than the
 * round trip; a test does not.
 */
export async function ticksKnown(
  session: { readonly priceGrids: ReadonlyMap<number, unknown>; readonly pendingGrids: ReadonlySet<number> },
  conIds: Iterable<number>,
): Promise<void> {
  const wanted = [...conIds];
  await waitFor(() => wanted.every((c) => session.priceGrids.has(c) && !session.pendingGrids.has(c)), 20_000, 'the price grids arming asked for');
}

/** The audit log's lines so far, each parsed (the console's trading or a headless session's). */
export function auditLines<T>(log: { readonly auditFile: string | undefined }): T[] {
  return readFileSync(log.auditFile!, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}
