// The leverage reduction in the console (Ink, the real simulator through the real source): after a crash the Alerts
// pane lists cushion.stressed; `:trade.reduce` opens its plan, which asks for the word REDUCE, is never confirmed by
// typing, and sends nothing when closed.
import { AccountSession } from '../../src/session/session.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsoleTrading } from '../../src/commands/console-trading.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { ConsoleStore } from '../../src/views/store.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { renderApp } from '../support/render-tui.js';
import { roundTrip, startSimFeed } from '../support/sim-feed.js';
import { armConsole } from '../support/trading-console.js';

const CLIENT = 31;
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-reduce-dialog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the reduction dialog', () => {
  it("opens the listed alert's reduction as a REDUCE plan, needs the word, and closing it sends nothing", async () => {
    const live = await startSimFeed({ speed: 20 });
    const store = new ConsoleStore(live.feed, {
      throttleMs: 50,
      session: new AccountSession(live.feed, { risk: createStressRunner(), alerts: createAlertRunner() }),
    });
    const trading = createConsoleTrading({ mode: 'trade', feed: live.feed, source: live.source, clientId: CLIENT, auditDir: dir, timeoutMs: 20_000 });
    const tui = renderApp(store, { columns: 120, rows: 40 }, { trading: 'trade', trade: trading });
    const ours = () => live.sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT);
    try {
      await tui.waitForFrame((f) => f.includes('READY') && f.includes('AAPL'), 'the console on live data');
      await armConsole(tui);

      await tui.write(':trade.reduce\r');
      await tui.waitForFrame((f) => f.includes('No listed alert proposes a leverage reduction'), 'nothing to reduce before the crash');

      // −24%: the simulator pairs the SPX puts as a debit vertical (CBOE), so the stressed Cushion falls under 5% only
      // past about −22%.
      await live.sim.trigger({ incident: 'crash', pct: -24, volJump: 0.8 });
      await waitUntil(() => store.getSnapshot().alerts?.some((a) => a.id === 'cushion.stressed') === true, 20_000);
      // Named: a crash that deep also lists the SPX concentration, whose reduction may rank first.
      await tui.write(':trade.reduce cushion.stressed\r');
      const d = await tui.waitForFrame(
        (f) => f.includes('REDUCE leverage for the stressed Cushion alert?') && f.includes('Type REDUCE'),
        'the reduction dialog',
      );
      expect(d).toMatch(/(SELL|BUY) [\d,]+ /);
      // y only types into the word field; nothing is sent.
      await tui.write('y');
      await tui.waitForFrame((f) => /Type REDUCE to unlock the confirm key: y▏/.test(f), 'y typed, not confirming');
      expect(ours()).toEqual([]);
      await tui.write('\u001b');
      await tui.waitForFrame((f) => !f.includes('REDUCE leverage for'), 'closed');
      await roundTrip(live);
      expect(ours()).toEqual([]);
    } finally {
      tui.unmount();
      trading.close('test over');
      store.dispose();
      await live.close();
    }
  }, 90_000);
});

async function waitUntil(p: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
