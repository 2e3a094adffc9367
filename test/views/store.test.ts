// The store is the one throttle: prices coalesce to the configured rate, health and alerts publish at once, freeze holds.
import { AccountSession } from '../../src/session/session.js';
import { Subject } from 'rxjs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduce } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { ConsoleStore, type FeedLike } from '../../src/views/store.js';
import type { RiskResult } from '../../src/session/stress-model.js';

/** A feed stand-in: reduces pushed events into `state` and emits them, like src/streams/feed.ts. */
class FakeFeed implements FeedLike {
  state: PortfolioState = INITIAL_STATE;
  private seq = 0;
  readonly subject = new Subject<FeedEvent>();
  readonly events$ = this.subject.asObservable();
  push(body: FeedEventBody): void {
    const ev = { ...body, seq: ++this.seq, receivedAt: clock.now() } as FeedEvent;
    this.state = reduce(this.state, ev);
    this.subject.next(ev);
  }
}

const tick = (conId: number, price: string): FeedEventBody => ({ type: 'priceTicked', conId, field: 'last', price: dec(price), delayed: false });

/** The store's time: pinned, and moved only by `advance` (the feed stamps events on it too). */
let clock: ManualClock;
beforeEach(() => {
  clock = new ManualClock(Date.parse('2026-03-02T14:30:00Z'));
});

/** Moves virtual time, running the store's due timers (immediate publishes are due at once), then lets promises settle. */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  for (let i = 0; i < 3; i++) await Promise.resolve();
}

describe('ConsoleStore', () => {
  it('coalesces a burst of price ticks into one publish per throttle interval, carrying the newest state', async () => {
    const feed = new FakeFeed();
    const store = new ConsoleStore(feed, { throttleMs: 250, clockMs: 60_000, clock });
    const published: number[] = [];
    store.subscribe(() => published.push(store.getSnapshot().state.lastSeq));
    for (let i = 0; i < 100; i++) feed.push(tick(1, String(100 + i)));
    expect(published).toEqual([]); // nothing before the interval
    await advance(250);
    expect(published).toEqual([100]);
    for (let i = 0; i < 10; i++) feed.push(tick(1, '1'));
    await advance(249);
    expect(published).toEqual([100]);
    await advance(1);
    expect(published).toEqual([100, 110]);
    store.dispose();
  });

  it('publishes health changes and broker messages at once', async () => {
    const feed = new FakeFeed();
    const store = new ConsoleStore(feed, { throttleMs: 1000, clockMs: 60_000, clock });
    const seen: string[] = [];
    store.subscribe(() => seen.push(store.getSnapshot().live.health));
    feed.push(tick(1, '1'));
    feed.push({ type: 'healthChanged', health: 'degraded', reason: '1100' });
    await advance(0);
    expect(seen).toEqual(['degraded']);
    store.dispose();
  });

  it('paces what the views hear of price publishes to frameMs, with the newest snapshot, and tells them of health at once', async () => {
    const feed = new FakeFeed();
    const store = new ConsoleStore(feed, { throttleMs: 250, frameMs: 500, clockMs: 60_000, clock });
    const told: number[] = [];
    store.subscribe(() => told.push(store.getSnapshot().live.lastSeq));
    feed.push(tick(1, '10'));
    await advance(250);
    expect(told).toEqual([1]); // the first frame is not held back
    feed.push(tick(1, '11'));
    await advance(250);
    // Published (commands read it) but not yet told: the last frame was 250 ms ago.
    expect(store.getSnapshot().live.lastSeq).toBe(2);
    expect(told).toEqual([1]);
    feed.push(tick(1, '12'));
    await advance(249);
    expect(told).toEqual([1]);
    await advance(1);
    expect(told).toEqual([1, 3]); // 500 ms after the last frame, the newest snapshot
    feed.push(tick(1, '13'));
    await advance(250);
    expect(told).toEqual([1, 3]);
    feed.push({ type: 'healthChanged', health: 'degraded', reason: '1100' });
    await advance(0);
    expect(told).toEqual([1, 3, 5]); // health is not paced, and carries the price that waited
    await advance(1000);
    expect(told).toEqual([1, 3, 5]); // nothing left pending
    store.dispose();
  });

  it('tells the views of price publishes once per clock tick while frozen; freezing itself at once', async () => {
    const feed = new FakeFeed();
    const store = new ConsoleStore(feed, { throttleMs: 250, frameMs: 500, clockMs: 1000, clock });
    let told = 0;
    store.subscribe(() => told++);
    store.setFrozen(true);
    expect(told).toBe(1);
    for (let ms = 0; ms < 900; ms += 100) {
      feed.push(tick(1, String(10 + ms)));
      await advance(100);
    }
    expect(told).toBe(1);
    await advance(100);
    expect(told).toBe(2); // one second after the freeze was drawn
    store.setFrozen(false);
    expect(told).toBe(3);
    store.dispose();
  });

  it("holds the panes' state while frozen, keeps the live state moving, and thaws to the newest", async () => {
    const feed = new FakeFeed();
    const store = new ConsoleStore(feed, { throttleMs: 100, clockMs: 60_000, clock });
    feed.push(tick(1, '10'));
    await advance(100);
    store.setFrozen(true);
    const held = store.getSnapshot().state;
    feed.push(tick(1, '11'));
    feed.push({ type: 'healthChanged', health: 'ready' });
    await advance(100);
    const s = store.getSnapshot();
    expect(s.state).toBe(held);
    expect(s.live.lastSeq).toBe(3);
    expect(s.frozen).toEqual({ at: expect.any(Number), seq: 1 });
    store.setFrozen(false);
    expect(store.getSnapshot().state.lastSeq).toBe(3);
    expect(store.getSnapshot().frozen).toBeUndefined();
    store.dispose();
  });

  it('freezes the picture only: an alert raised while frozen is evaluated on the live state and recorded', async () => {
    const feed = new FakeFeed();
    const recorded: FeedEventBody[] = [];
    const alerts = createAlertRunner(undefined, { publish: (b) => recorded.push(b) });
    const store = new ConsoleStore(feed, { throttleMs: 100, clockMs: 1000, clock, session: new AccountSession(feed, { alerts }) });
    feed.push({ type: 'healthChanged', health: 'ready' });
    await advance(1000);
    store.setFrozen(true);
    const held = store.getSnapshot().state;
    // TWS says the API is read-only (321): a warning the operator must get even with the panes frozen.
    feed.push({ type: 'brokerMessage', id: 7, code: 321, message: 'Error validating request: API is read-only', class: 'error' });
    for (let i = 0; i < 10 && !recorded.some((b) => b.type === 'alertChanged'); i++) await advance(1000);
    expect(recorded).toContainEqual(
      expect.objectContaining({ type: 'alertChanged', kind: 'raised', alert: expect.objectContaining({ id: expect.stringMatching(/^tws\.code/) }) }),
    );
    const s = store.getSnapshot();
    expect(s.state).toBe(held); // the panes still show the moment of the freeze
    expect(s.alerts?.map((a) => a.id)).toEqual([expect.stringMatching(/^tws\.code/)]);
    store.dispose();
  });

  it('keeps publishing prices at the throttle while a slow risk pass waits for its own, later turn', async () => {
    const feed = new FakeFeed();
    const risk = vi.fn((): RiskResult => ({ ok: false, error: 'slow' }));
    const store = new ConsoleStore(feed, { throttleMs: 250, clockMs: 60_000, session: new AccountSession(feed, { risk, riskMinIntervalMs: 2000 }), clock });
    await advance(0);
    const published: number[] = [];
    store.subscribe(() => published.push(clock.now()));
    const t0 = clock.now();
    for (let i = 0; i < 8; i++) {
      feed.push(tick(1, String(i)));
      await advance(250);
    }
    expect(published.length).toBeGreaterThanOrEqual(7); // about one a quarter second, not one per risk turn
    expect(risk).toHaveBeenCalledTimes(1 + Math.floor((clock.now() - t0) / 2000));
    store.dispose();
  });

  it('republishes on the clock so ages move without events', async () => {
    const feed = new FakeFeed();
    const store = new ConsoleStore(feed, { throttleMs: 250, clockMs: 1000, clock });
    const t0 = store.getSnapshot().now;
    await advance(3000);
    expect(store.getSnapshot().now - t0).toBe(3000);
    expect(store.getSnapshot().version).toBe(4); // the first frame, then one publish a second
    store.dispose();
  });

  it('computes risk only when its inputs changed, and reuses the result otherwise', async () => {
    const feed = new FakeFeed();
    const result: RiskResult = { ok: false, error: 'test' };
    const risk = vi.fn(() => result);
    const store = new ConsoleStore(feed, { throttleMs: 100, clockMs: 1000, session: new AccountSession(feed, { risk }), clock });
    expect(risk).not.toHaveBeenCalled(); // the first frame does not wait for risk
    expect(store.getSnapshot().risk).toBeUndefined();
    await advance(0);
    expect(risk).toHaveBeenCalledTimes(1);
    await advance(5000); // clock publishes, nothing changed
    expect(risk).toHaveBeenCalledTimes(1);
    feed.push({ type: 'brokerMessage', id: -1, code: 2104, message: 'farm ok', class: 'info' });
    await advance(0);
    expect(risk).toHaveBeenCalledTimes(1); // messages are not a risk input
    feed.push(tick(1, '5'));
    await advance(100);
    expect(risk).toHaveBeenCalledTimes(2);
    expect(store.getSnapshot().risk).toBe(result);
    store.dispose();
  });
});
