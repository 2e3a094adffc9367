// The account's session core holds its one trading session: the console with --trade and the guard hand it theirs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { FeedEventBody } from '../../src/model/events.js';
import { AccountSession } from '../../src/session/session.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { TradingSession } from '../../src/trading/session.js';

describe('AccountSession.trading', () => {
  it('is the trading session it was given, and absent for a front end that cannot trade', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tws-risk-session-trading-'));
    const feed = new Feed(new Subject<FeedEventBody>());
    // A real source, never started: nothing here may connect or send.
    const source = new TwsSource({ host: '127.0.0.1', port: 1, clientId: 5 });
    const trading = new TradingSession({
      mode: 'readOnly',
      actor: 'console',
      feed,
      gateway: source,
      clientId: 5,
      audit: { dir, name: 'test', appVersion: '0' },
    });
    try {
      expect(new AccountSession(feed, { trading }).trading).toBe(trading);
      expect(new AccountSession(feed).trading).toBeUndefined();
      // Held, not a copy: what the session core reads is the arming the trading session keeps.
      expect(new AccountSession(feed, { trading }).trading?.arming).toEqual(trading.arming);
    } finally {
      trading.close('test over');
      await feed.close('test over');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
