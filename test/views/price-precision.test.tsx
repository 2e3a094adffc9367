// Prices on the simulator's book shown at their contract's decimals in every pane: EUR.USD 1.08000 beside a fill at 1.08005.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../src/model/money.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { AccountSession } from '../../src/session/session.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ConsoleStore } from '../../src/views/store.js';
import { waitFor } from '../sim/helpers.js';
import { renderApp } from '../support/render-tui.js';
import { startSimFeed, type SimFeed } from '../support/sim-feed.js';

const EURUSD = 12087792;
const UST = 563840112;

let live: SimFeed;
beforeAll(async () => {
  live = await startSimFeed({ speed: 0 });
}, 60_000);
afterAll(() => live?.close());

/** The simulator's own mark of a position, as text (its snapshot, not the feed the console reads). */
const simMark = (conId: number) => live.sim.snapshot().positions.find((p) => p.conId === conId)!.marketPrice;

describe('prices at their contract decimals', () => {
  it('EUR.USD in pips and a half in Positions and Executions, a Treasury in 1/100 bp, a stock in cents', async () => {
    const store = new ConsoleStore(live.feed, {
      throttleMs: 50,
      session: new AccountSession(live.feed, { risk: createStressRunner(), alerts: createAlertRunner() }),
    });
    const tui = renderApp(store, { columns: 160, rows: 60 });
    try {
      // Five decimals for the pair whatever its mark's own digits (1.08 reads 1.08000), four for the bond.
      const eur = dec(simMark(EURUSD)).toFixed(5);
      const ust = dec(simMark(UST)).toFixed(4);
      await tui.write('2');
      const positions = await tui.waitForFrame(
        (f) => f.includes('▶2 ') && /EUR\.USD/.test(f) && /US-T/.test(f),
        'Positions with the pair and the bond',
        20_000,
      );
      expect(positions).toMatch(new RegExp(`EUR\\.USD .*\\s${eur.replace('.', '\\.')}\\s`));
      expect(positions).toMatch(new RegExp(`US-T .*\\s${ust.replace('.', '\\.')}\\s`));
      expect(positions).toMatch(/\bAAPL\s+STK .*\s\d{3}\.\d{2}\s/);

      // A fill typed into TWS: its price in the Executions pane at the same five decimals.
      await live.sim.trigger({ incident: 'manual-order', symbol: 'EUR', secType: 'CASH', action: 'BUY', quantity: '20000', orderType: 'MKT' });
      const fill = await waitFor(
        () => {
          live.sim.advance(500);
          return [...live.feed.state.executions.values()].find((e) => e.contract.conId === EURUSD);
        },
        20_000,
        'the EUR.USD fill in the feed',
      );
      await tui.write('5');
      const px = dec(fill.price.toString()).toFixed(5);
      const executions = await tui.waitForFrame((f) => f.includes('▶5 ') && /EUR\.USD/.test(f), 'Executions with the fill', 20_000);
      expect(executions).toMatch(new RegExp(`BOT .*EUR\\.USD\\s+${px.replace('.', '\\.')}\\s`));
    } finally {
      tui.unmount();
      store.dispose();
    }
  });
});
