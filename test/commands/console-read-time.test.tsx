// A plan's reading time on the simulator, on a pinned clock: a y 100 ms after the plan showed sends nothing and is
// audited, a y after the reading time sends, a plan offered again (a stale mark) starts its reading time again, and
// a step of the wall clock (NTP) neither shortens the reading time nor holds the key: it runs on a monotonic clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSettings } from '../../src/config/settings.js';
import { Checker } from '../../src/model/check.js';
import { T0, waitFor } from '../sim/helpers.js';
import { armConsole, auditLines, startTradingConsole, ticksKnown } from '../support/trading-console.js';
import { PinnedClock } from '../support/pinned-clock.js';

const CLIENT = 33;
const TOYOTA = '7203';
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-read-time-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface AuditLine {
  readonly type?: string;
  readonly detail?: {
    readonly id?: string;
    readonly planId?: string;
    readonly decision?: string;
    readonly shownMs?: number;
    readonly readMs?: number;
    readonly reason?: string;
  };
}

/** The id of the plan shown last, by the audit log. */
const lastPlanShown = (audit: readonly AuditLine[]) =>
  audit
    .filter((l) => l.type === 'planShown')
    .map((l) => l.detail?.id)
    .at(-1);

describe("the settings' trading.confirmReadMs", () => {
  it('defaults to 500 ms, takes 200 ms to 10 s, and names anything else (0 would bring the reflexive confirm back)', () => {
    const read = (v: unknown) => {
      const c = new Checker('settings.json');
      return { ms: checkSettings({ trading: { confirmReadMs: v, armMinutes: 7 } }, c).trading, problems: c.problems };
    };
    expect(checkSettings({}, new Checker('settings.json')).trading.confirmReadMs).toBe(500);
    expect(read(200)).toEqual({ ms: { armMinutes: 7, confirmReadMs: 200 }, problems: [] });
    expect(read(10_000).ms.confirmReadMs).toBe(10_000);
    for (const bad of [0, 199, 10_001, -5, '500', null, Number.NaN]) {
      const r = read(bad);
      // The bad value keeps the default; the other trading setting is still honoured.
      expect(r.ms).toEqual({ armMinutes: 7, confirmReadMs: 500 });
      expect(r.problems).toEqual([expect.stringMatching(/^settings\.json: error at trading\.confirmReadMs: expected milliseconds from 200 to 10000/)]);
    }
  });
});

describe("the plan's reading time", () => {
  it('refuses and audits a y 100 ms after the plan showed, sends on a y after 500 ms, and restarts the time after a resize cut it and for a plan offered again', async () => {
    const clock = new PinnedClock(Date.parse(T0));
    const c = await startTradingConsole({ clientId: CLIENT, auditDir: dir, clock, size: { columns: 140, rows: 50 }, trading: { readClock: clock } });
    const { sim, feed, trading, tui } = c;
    const ours = () => sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT);
    const ourFills = () => sim.snapshot().executions.filter((e) => (e as { clientId?: number }).clientId === CLIENT);
    const audit = () => auditLines<AuditLine>(trading);
    const decisions = () => audit().filter((l) => l.type === 'decision');
    try {
      await tui.waitForFrame((f) => f.includes('READY') && f.includes(TOYOTA), 'the console on live data', 20_000);
      await armConsole(tui);
      await ticksKnown(trading.session, feed.state.positions.keys());
      await tui.write(`/${TOYOTA}\r`);
      await tui.waitForFrame((f) => /^›7203/m.test(f), 'Toyota selected');

      // The plan shows; the footer does not offer y yet, and says when it will (the clock has not moved).
      await tui.write('X');
      const opened = await tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('y works after 0.5 s on screen'), 'the plan, not read yet');
      expect(opened).not.toContain('y sends');
      // The reading time starts once the plan's frame is written (the App's effect): wait for the wiring to know it.
      const planId = audit().find((l) => l.type === 'planShown')?.detail?.id;
      expect(planId).toBeDefined();
      await waitFor(() => trading.readyIn(planId!) === 500, 10_000, 'the plan counted as on screen');

      // (a) y at +100 ms: refused in the dialog, which stays open on the same plan; audited; nothing reaches TWS.
      clock.t += 100;
      await tui.write('y');
      const early = await tui.waitForFrame((f) => f.includes('Too soon (100 ms)'), 'the refusal');
      expect(early).toContain('Flatten 7203');
      expect(early).toContain('nothing was sent');
      expect(decisions()).toEqual([expect.objectContaining({ detail: expect.objectContaining({ planId, decision: 'tooSoon', shownMs: 100, readMs: 500 }) })]);
      expect(audit().some((l) => l.type === 'orderSent')).toBe(false);
      expect(ours()).toEqual([]);
      expect(ourFills()).toEqual([]);

      // (b) At +500 ms the footer offers y (the reading-time timer saw the clock); the plan is still unsent.
      clock.t += 400;
      await tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('y sends'), 'y offered after the reading time');
      expect(ours()).toEqual([]);

      // (b2) A resize that cuts an order takes the plan off screen; whole again, its reading time starts again.
      tui.resize(80, 11);
      await tui.waitForFrame((f) => /more line\(s\) not shown/.test(f) && !f.includes('y sends'), 'an order cut, y no longer offered');
      tui.resize(140, 50);
      await tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('y works after'), 'the plan whole again, not read');
      await waitFor(() => trading.readyIn(planId!) === 500, 10_000, 'the plan counted as on screen again');
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('Too soon (0 ms)'), 'a y at once refused');
      clock.t += 500;
      await tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('y sends'), 'y offered again');
      expect(ours()).toEqual([]);

      // (c) A plan offered again starts its reading time again: the marks go stale (a jump past their 200 s limit),
      // y is refused with MARK_STALE and the new plan shows; a y at once, then one 100 ms later, are too soon.
      clock.t += 250_000;
      const jumpedAt = clock.now();
      const toyota = [...feed.state.positions.values()].find((r) => r.contract.symbol === TOYOTA)!.contract.conId;
      await waitFor(() => (feed.state.portfolio.get(toyota)?.updatedAt ?? 0) >= jumpedAt, 20_000, 'a fresh Toyota mark from the simulator');
      await tui.write('y');
      const replanned = await tui.waitForFrame((f) => f.includes('MARK_STALE') && f.includes('y works after'), 'the new plan, not read yet');
      expect(replanned).not.toContain('y sends');
      const second = lastPlanShown(audit());
      expect(second).toBeDefined();
      expect(second).not.toBe(planId);
      await waitFor(() => trading.readyIn(second!) === 500, 10_000, 'the new plan counted as on screen');
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('Too soon (0 ms)'), 'a y at once refused');
      clock.t += 100;
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('Too soon (100 ms)'), 'a y at +100 ms refused');
      const refused = decisions().filter((l) => l.detail?.planId === second);
      expect(refused.map((l) => [l.detail?.decision, l.detail?.shownMs])).toEqual([
        ['tooSoon', 0],
        ['tooSoon', 100],
      ]);
      expect(ours()).toEqual([]);
      expect(ourFills()).toEqual([]);

      // (d) After its reading time the new plan sends, once.
      clock.t += 400;
      await tui.waitForFrame((f) => f.includes('y sends') && f.includes('MARK_STALE'), 'y offered for the new plan');
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('FLAT: every position in scope reads zero'), 'the result', 30_000);
      expect(ourFills().length).toBeGreaterThan(0);
      // Confirmed: the first plan once it was read (then refused for its stale mark), the second once it was read.
      expect(decisions().map((l) => [l.detail?.planId, l.detail?.decision])).toEqual([
        [planId, 'tooSoon'],
        [planId, 'tooSoon'],
        [planId, 'confirm'],
        [second, 'tooSoon'],
        [second, 'tooSoon'],
        [second, 'confirm'],
      ]);
    } finally {
      await c.close();
    }
  }, 120_000);
  it('a word typed over a cut plan, then enlarged to show every order, waits a reading time again: FLATTEN and y at once send nothing', async () => {
    const clock = new PinnedClock(Date.parse(T0));
    const c = await startTradingConsole({ clientId: CLIENT, auditDir: dir, clock, size: { columns: 80, rows: 24 }, trading: { readClock: clock } });
    const { sim, feed, trading, tui } = c;
    const ours = () => sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT);
    const audit = () => auditLines<AuditLine>(trading);
    try {
      await tui.waitForFrame((f) => f.includes('READY'), 'the console on live data', 20_000);
      await armConsole(tui);
      await ticksKnown(trading.session, feed.state.positions.keys());

      // At 80x24 the bulk plan is cut; the word's reading time runs over it (the word sends nothing) and passes.
      await tui.write(':trade.flattenScope all\r');
      await tui.waitForFrame((f) => f.includes('FLATTEN all?') && /more line\(s\) not shown:/.test(f), 'the bulk plan, cut');
      const planId = lastPlanShown(audit());
      expect(planId).toBeDefined();
      await waitFor(() => trading.readyIn(planId!) === 500, 10_000, 'the cut plan counted for the word');
      clock.t += 500;
      await tui.waitForFrame((f) => f.includes('Enter continues'), 'the word offered');
      await tui.write('FLATTEN');
      await tui.waitForFrame((f) => f.includes('FLATTEN▏'), 'the word typed');

      // Enlarged, every order shows for the first time: not one millisecond of it has passed on the pinned clock, so
      // neither the word's Enter nor a y may act on it.
      tui.resize(200, 60);
      await tui.waitForFrame((f) => f.includes('FLATTEN all?') && !/more line\(s\) not shown:/.test(f), 'the plan whole');
      await tui.write('\r');
      await tui.write('y');
      await tui.waitForFrame((f) => /Too soon \(0 ms\)|Not yet: the plan is not on screen whole/.test(f), 'the early Enter refused');
      expect(ours()).toEqual([]);
      expect(audit().some((l) => l.type === 'orderSent')).toBe(false);
      // The refused Enter left the word line open: the y went into it.
      await tui.waitForFrame((f) => f.includes('FLATTENy▏'), 'the y typed into the word line');
      await tui.write('\x7f');
      await tui.waitForFrame((f) => f.includes('FLATTEN▏'), 'the y erased');

      // Once the whole plan has been on screen for its reading time, the word and then y are offered.
      await waitFor(() => trading.readyIn(planId!) === 500, 10_000, 'the whole plan counted as on screen');
      clock.t += 500;
      await tui.waitForFrame((f) => f.includes('Enter continues'), 'the word offered again');
      await tui.write('\r');
      await tui.waitForFrame((f) => f.includes('FLATTEN all?') && f.includes('y sends'), 'the confirm step, read');
      await tui.write('n');
      await tui.waitForFrame((f) => !f.includes('FLATTEN all?'), 'declined');
      expect(ours()).toEqual([]);
    } finally {
      await c.close();
    }
  }, 120_000);

  it('runs on the monotonic clock: a wall clock stepped an hour forward does not shorten it, one stepped back does not hold y', async () => {
    // Two clocks the test moves: the wall clock (arming, mark ages, the feed's stamps) and the reading time's own.
    const clock = new PinnedClock(Date.parse(T0));
    const reading = new PinnedClock(1_000);
    // Armed for two hours, so the hour's step leaves the arming standing and only the reading time is in question.
    const c = await startTradingConsole({
      clientId: CLIENT,
      auditDir: dir,
      clock,
      size: { columns: 140, rows: 50 },
      trading: { readClock: reading, armMinutes: 120 },
    });
    const { sim, feed, trading, tui } = c;
    const ours = () => sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT);
    const ourFills = () => sim.snapshot().executions.filter((e) => (e as { clientId?: number }).clientId === CLIENT);
    const audit = () => auditLines<AuditLine>(trading);
    const lastPlan = () =>
      audit()
        .filter((l) => l.type === 'planShown')
        .map((l) => l.detail?.id)
        .at(-1);
    const toyota = () => [...feed.state.positions.values()].find((r) => r.contract.symbol === TOYOTA)!.contract.conId;
    try {
      await tui.waitForFrame((f) => f.includes('READY') && f.includes(TOYOTA), 'the console on live data', 20_000);
      await armConsole(tui);
      await ticksKnown(trading.session, feed.state.positions.keys());
      await tui.write(`/${TOYOTA}\r`);
      await tui.waitForFrame((f) => /^›7203/m.test(f), 'Toyota selected');
      await tui.write('X');
      await tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('y works after 0.5 s on screen'), 'the plan, not read yet');
      const first = lastPlan();
      expect(first).toBeDefined();
      await waitFor(() => trading.readyIn(first!) === 500, 10_000, 'the plan counted as on screen');

      // (a) The wall clock steps an hour forward right after the plan showed: on the wall clock the plan would have
      // been on screen an hour; it has been on screen no time at all, so y is refused and nothing reaches TWS.
      clock.t += 3_600_000;
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('Too soon (0 ms)'), 'the y refused, the step notwithstanding');
      expect(audit().filter((l) => l.type === 'decision' && l.detail?.planId === first)).toEqual([
        expect.objectContaining({ detail: expect.objectContaining({ decision: 'tooSoon', shownMs: 0, readMs: 500 }) }),
      ]);
      expect(trading.readyIn(first!)).toBe(500);
      expect(ours()).toEqual([]);

      // Once the monotonic time has passed, y is offered and confirms; the hour made the plan's marks stale (their age
      // is the wall clock's, as it should be), so the plan is offered again on fresh marks, with a reading time of its own.
      const jumpedAt = clock.now();
      await waitFor(() => (feed.state.portfolio.get(toyota())?.updatedAt ?? 0) >= jumpedAt, 20_000, 'a fresh Toyota mark from the simulator');
      reading.t += 500;
      await tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('y sends'), 'y offered after the monotonic reading time');
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('MARK_STALE') && f.includes('y works after'), 'the plan offered again, not read yet');
      const second = lastPlan();
      expect(second).not.toBe(first);
      await waitFor(() => trading.readyIn(second!) === 500, 10_000, 'the new plan counted as on screen');

      // (b) The wall clock steps an hour back: on the wall clock the new plan would be shown an hour from now, and y
      // locked for that hour; after its reading time on the monotonic clock y is offered, and sends.
      clock.t -= 3_600_000;
      reading.t += 100;
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('Too soon (100 ms)'), 'a y at +100 ms refused');
      expect(ours()).toEqual([]);
      reading.t += 400;
      await tui.waitForFrame((f) => f.includes('y sends') && f.includes('MARK_STALE'), 'y offered for the new plan');
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('FLAT: every position in scope reads zero'), 'the result', 30_000);
      expect(ourFills().length).toBeGreaterThan(0);
      expect(
        audit()
          .filter((l) => l.type === 'decision')
          .map((l) => [l.detail?.planId, l.detail?.decision, l.detail?.shownMs]),
      ).toEqual([
        [first, 'tooSoon', 0],
        [first, 'confirm', undefined],
        [second, 'tooSoon', 100],
        [second, 'confirm', undefined],
      ]);
    } finally {
      await c.close();
    }
  }, 120_000);
});
