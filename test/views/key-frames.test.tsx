// A key's effect is drawn in the frame right after it, whatever the store's data pacing: data frames wait, keys do not.
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import type { FeedEvent } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import type { PortfolioState } from '../../src/model/state.js';
import { ConsoleStore, type FeedLike } from '../../src/views/store.js';
import { AAPL, T0, bookState } from '../support/book.js';
import { renderApp, type Tui } from '../support/render-tui.js';

/** A feed stand-in whose state is replaced by the test, announced by one price tick (a paced event for the store). */
class BookFeed implements FeedLike {
  private seq = 0;
  readonly subject = new Subject<FeedEvent>();
  readonly events$ = this.subject.asObservable();
  constructor(
    public state: PortfolioState,
    private readonly clock: ManualClock,
  ) {}
  move(state: PortfolioState): void {
    this.state = state;
    this.subject.next({
      type: 'priceTicked',
      conId: AAPL.conId,
      field: 'last',
      price: dec('1'),
      delayed: false,
      seq: ++this.seq,
      receivedAt: this.clock.now(),
    });
  }
}

const open: { tui: Tui; store: ConsoleStore }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    o.tui.unmount();
    o.store.dispose();
  }
});

/** Lets the store's listeners and React run; nothing here waits on the wall clock for the store (its clock is manual). */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('key frames', () => {
  it('draws a pane switch at once while the data pacing holds a moved mark back, and the key frame carries that mark', async () => {
    const clock = new ManualClock(T0);
    const feed = new BookFeed(bookState(), clock);
    // Data frames at most once an hour: only a key can draw anything new in this test.
    const store = new ConsoleStore(feed, { throttleMs: 50, frameMs: 3_600_000, clockMs: 3_600_000, clock });
    const tui = renderApp(store, { columns: 200, rows: 50 });
    open.push({ tui, store });
    await tui.waitForFrame((f) => f.includes('AAPL') && f.includes('228.50') && f.includes('▶2'), 'the console, Positions focused');
    // The first paced publish is told at once (nothing was told before); the next one waits for the frame pace.
    const first = bookState({ prices: { aapl: '229.75' } });
    feed.move(first);
    clock.advance(50);
    await tui.waitForFrame((f) => f.includes('229.75'), 'the first moved mark');
    const moved = bookState({ prices: { aapl: '231.25' } });
    feed.move(moved);
    clock.advance(50);
    expect(store.getSnapshot().state).toBe(moved); // built: commands read it
    await settle();
    expect(tui.lastFrame()).not.toContain('231.25'); // but not drawn: the data pace holds it
    const before = tui.stdout.frames.length;

    await tui.write('3');
    await tui.waitForFrame((f) => f.includes('▶3'), 'Stress focused');
    const next = tui.stdout.frames[before]!;
    expect(next).toContain('▶3');
    expect(next).toContain('231.25');
  });

  it('a burst of keys (typed ahead, pasted) asks for one key frame, at its last key, not one per key', async () => {
    const clock = new ManualClock(T0);
    const feed = new BookFeed(bookState(), clock);
    const store = new ConsoleStore(feed, { throttleMs: 50, frameMs: 3_600_000, clockMs: 3_600_000, clock });
    // Each key frame starts with publishUrgent (App's settle): counted here.
    let keyFrames = 0;
    const urgent = store.publishUrgent.bind(store);
    store.publishUrgent = () => {
      keyFrames++;
      urgent();
    };
    const tui = renderApp(store, { columns: 200, rows: 50 });
    open.push({ tui, store });
    await tui.waitForFrame((f) => f.includes('AAPL') && f.includes('▶2'), 'the console, Positions focused');
    await tui.write('3');
    await tui.waitForFrame((f) => f.includes('▶3'), 'Stress focused');
    expect(keyFrames).toBe(1);
    // Six keys in one read: each is handled in order (the focus ends on Alerts after passing the others), one frame asked.
    keyFrames = 0;
    await tui.write('452146');
    await tui.waitForFrame((f) => f.includes('▶6'), 'Alerts focused after the burst');
    await settle();
    expect(keyFrames).toBe(1);
  });
});
