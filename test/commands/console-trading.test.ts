// Console arming on a virtual clock: it lasts exactly its time, then disarms by itself, audited and recorded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsoleTrading } from '../../src/commands/console-trading.js';
import { ManualClock } from '../../src/model/clock.js';
import type { FeedEvent } from '../../src/model/events.js';
import { AccountSession } from '../../src/session/session.js';
import { TradingSession } from '../../src/trading/session.js';
import { ConsoleStore } from '../../src/views/store.js';
import { T0 } from '../sim/helpers.js';
import { renderApp } from '../support/render-tui.js';
import { startSimFeed } from '../support/sim-feed.js';
import { auditLines, ticksKnown } from '../support/trading-console.js';

const CLIENT = 31; // sim-feed's client id
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-arming-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('console arming', () => {
  it('stays armed until its time is up, then disarms by itself (expired), in the audit log and the session', async () => {
    // The live session runs in real time (its heartbeat must be answered); only the trading wiring's time is virtual.
    const live = await startSimFeed({ speed: 0 });
    const clock = new ManualClock(Date.parse(T0));
    const armMs = 60_000;
    const trading = createConsoleTrading({
      mode: 'trade',
      feed: live.feed,
      source: live.source,
      clientId: CLIENT,
      auditDir: dir,
      clock,
      armMinutes: 1,
      watchMs: 500,
    });
    const acts: Array<{ action: string; detail: unknown }> = [];
    const sub = live.feed.events$.subscribe((e: FeedEvent) => {
      if (e.type === 'operatorActed') acts.push({ action: e.action, detail: e.detail });
    });
    try {
      const conId = [...live.feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && !r.position.isZero())!.contract.conId;
      expect(trading.preview('trade.flatten', { conId })).toMatch(/NOT_ARMED/);
      const armed = trading.arm('4567');
      expect(armed).toEqual({ ok: true, message: `Trading ARMED on ${live.feed.state.account} for 1 min` });
      expect(acts.find((a) => a.action === 'armed')?.detail).toMatchObject({ until: Date.parse(T0) + armMs, by: 'palette' });
      // Arming asks for each position's price ladder; a flatten opened before they came is refused (TICKS_PENDING).
      await ticksKnown(trading.session, live.feed.state.positions.keys());

      clock.advance(armMs - 1);
      expect(acts.filter((a) => a.action === 'disarmed')).toEqual([]);
      const plan = trading.preview('trade.flatten', { conId });
      if (typeof plan === 'string') throw new Error(`still armed one ms before the end, but: ${plan}`);
      trading.decline(plan.id);

      clock.advance(1);
      expect(acts.filter((a) => a.action === 'disarmed')).toEqual([{ action: 'disarmed', detail: { reason: 'expired' } }]);
      expect(trading.preview('trade.flatten', { conId })).toMatch(/NOT_ARMED/);
      const audit = auditLines<{ type?: string; at?: string; detail?: { reason?: string } }>(trading);
      expect(audit.filter((e) => e.type === 'disarmed').map((e) => [e.detail?.reason, e.at])).toEqual([
        ['expired', new Date(Date.parse(T0) + armMs).toISOString()],
      ]);
    } finally {
      sub.unsubscribe();
      trading.close('test over');
      await live.close();
    }
  });
});

describe('one trading session for the console and the headless commands', () => {
  it("a headless arming lasts the settings' trading.armMinutes, then expires by itself", async () => {
    const live = await startSimFeed({ speed: 0 });
    const clock = new ManualClock(Date.parse(T0));
    const t = new TradingSession({
      mode: 'trade',
      actor: 'headless',
      feed: live.feed,
      gateway: live.source,
      clientId: CLIENT,
      clock,
      armMinutes: 2,
      watchMs: 500,
      audit: { dir, name: 'flatten', appVersion: 'test', meta: { command: 'flatten' } },
    });
    try {
      expect(t.guard()).toEqual({ code: 'NOT_ARMED' });
      expect(t.armHeadless()).toMatchObject({ armed: true, by: 'headless', until: Date.parse(T0) + 2 * 60_000 });
      clock.advance(2 * 60_000 - 1);
      expect(t.guard()).toBeUndefined();
      clock.advance(1);
      expect(t.guard()).toEqual({ code: 'NOT_ARMED' });
      const audit = auditLines<{ type?: string; at?: string; detail?: { by?: string; until?: string; reason?: string } }>(t);
      expect(audit.find((e) => e.type === 'armed')?.detail).toMatchObject({
        by: 'headless --trade --confirm-account',
        until: new Date(Date.parse(T0) + 2 * 60_000).toISOString(),
      });
      expect(audit.filter((e) => e.type === 'disarmed').map((e) => [e.detail?.reason, e.at])).toEqual([
        ['expired', new Date(Date.parse(T0) + 2 * 60_000).toISOString()],
      ]);
    } finally {
      t.close('test over');
      await live.close();
    }
  });

  it('the arm dialog says the configured minutes, and so does the armed message', async () => {
    const live = await startSimFeed({ speed: 0 });
    const store = new ConsoleStore(live.feed, { throttleMs: 50, session: new AccountSession(live.feed, {}) });
    const trading = createConsoleTrading({ mode: 'trade', feed: live.feed, source: live.source, clientId: CLIENT, auditDir: dir, armMinutes: 3 });
    const tui = renderApp(store, { columns: 120, rows: 40 }, { trading: 'trade', trade: trading });
    try {
      await tui.waitForFrame((f) => f.includes('READY'), 'the console on live data');
      await tui.write(':trade.arm\r');
      await tui.waitForFrame((f) => f.includes('Type the last four characters'), 'the arming dialog');
      expect(tui.lastFrame()).toContain('Arming allows sending orders from this console for 3 minutes.');
      expect(tui.lastFrame()).not.toContain('5 minutes');
      await tui.write('4567');
      await tui.write('\r');
      await tui.waitForFrame((f) => f.includes(`Trading ARMED on ${live.feed.state.account} for 3 min`), 'the armed message');
    } finally {
      tui.unmount();
      trading.close('test over');
      store.dispose();
      await live.close();
    }
  });
});
