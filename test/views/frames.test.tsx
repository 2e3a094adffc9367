// Frames only for what changed: a publish that would draw the same screen draws nothing (issue 21 item 1).
import { afterEach, describe, expect, it } from 'vitest';
import { bookState } from '../support/book.js';
import { TestStore, renderApp, type Tui } from '../support/render-tui.js';

const open: Tui[] = [];
afterEach(() => {
  while (open.length) open.pop()!.unmount();
});

/** Lets the store's listeners, React and Ink run (renders are synchronous in debug mode). */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('frames', () => {
  it('draws no frame for publishes that change nothing visible, and exactly one when a mark or the clock moves', async () => {
    const state = bookState();
    const store = new TestStore(state);
    const tui = renderApp(store, { columns: 200, rows: 50 });
    open.push(tui);
    await tui.waitForFrame((f) => f.includes('Positions') && f.includes('AAPL'), 'the console');
    await settle();
    const before = tui.stdout.frames.length;
    const frame = tui.lastFrame();
    // Twenty publishes of the same data (what the store's clock tick or an invisible event amounts to on screen).
    for (let i = 0; i < 20; i++) store.set({ state: bookState(), live: bookState() });
    await settle();
    expect(tui.stdout.frames.length).toBe(before);
    expect(tui.lastFrame()).toBe(frame);

    // A mark that moves is drawn, once.
    const moved = bookState({ prices: { aapl: '231.25' } });
    store.set({ state: moved, live: moved });
    await tui.waitForFrame((f) => f.includes('231.25'), 'the new AAPL mark');
    await settle();
    expect(tui.stdout.frames.length).toBe(before + 1);

    // The clock's second moves: drawn once; the same second again is not.
    const now = store.getSnapshot().now;
    store.set({ now: now + 1000 });
    await settle();
    expect(tui.stdout.frames.length).toBe(before + 2);
    store.set({ now: now + 1000 });
    await settle();
    expect(tui.stdout.frames.length).toBe(before + 2);
  });
});
