// The price-grid fetch is bounded on the session's clock: a TWS that never answers contract details holds a plan (the
// guard's, `trade`'s) for GRID_FETCH_MS, no longer, and the plan then goes on without the ladder, saying so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { GRID_FETCH_MS, TradingSession, type TradingGateway } from '../../src/trading/session.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('the price-grid fetch', () => {
  it('resolves after GRID_FETCH_MS when TWS never answers, the contract still pending and without a grid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tws-risk-grid-fetch-'));
    const feed = new Feed(new Subject<FeedEventBody>());
    // A real source, never started: nothing here connects or sends. Its contract details never come, as from a TWS
    // that dropped the connection mid-request (IBApiNext's promise then never settles).
    const source = new TwsSource({ host: '127.0.0.1', port: 1, clientId: 5 });
    const gateway: TradingGateway = {
      ready: true,
      placeOrder: (c, o) => source.placeOrder(c, o),
      cancelOrder: (id) => source.cancelOrder(id),
      globalCancel: () => source.globalCancel(),
      contractDetails: () => new Promise(() => undefined),
    };
    const clock = new ManualClock(Date.parse('2026-03-02T14:30:00Z'));
    const t = new TradingSession({ mode: 'trade', actor: 'guard', feed, gateway, clientId: 5, clock, audit: { dir, name: 'test', appVersion: '0' } });
    try {
      let done = false;
      const fetched = t.fetchTicks([265598, 265598]).then(() => (done = true));
      expect([...t.pendingGrids]).toEqual([265598]);
      // A second ask waits on the same fetch and is bounded the same way.
      const again = t.fetchTicks([265598]);
      clock.advance(GRID_FETCH_MS - 1);
      await turn();
      expect(done).toBe(false);
      clock.advance(1);
      await Promise.all([fetched, again]);
      expect(done).toBe(true);
      expect(t.priceGrids.has(265598)).toBe(false);
      expect(t.pendingGrids.has(265598)).toBe(true);
    } finally {
      t.close('test over');
      await feed.close('test over');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
