// The root error boundary: a failure outside any pane shows what failed in words, and the quit key still quits cleanly.
import { afterEach, describe, expect, it } from 'vitest';
import type { PortfolioState } from '../../src/model/state.js';
import { bookState } from '../support/book.js';
import { TestStore, renderApp, type Tui } from '../support/render-tui.js';

const open: Tui[] = [];
afterEach(() => {
  while (open.length) open.pop()!.unmount();
});

describe('the root error boundary', () => {
  it('replaces the console with a readable error when its view fails, and q then quits once, onQuit first', async () => {
    const store = new TestStore(bookState());
    let quits = 0;
    const tui = renderApp(store, { columns: 120, rows: 40 }, { onQuit: () => quits++ });
    open.push(tui);
    await tui.waitForFrame((f) => f.includes('Positions') && f.includes('AAPL'), 'the console');
    // A snapshot the status bar cannot read: the failure is in the App's own view model, outside every pane boundary.
    store.set({ live: undefined as unknown as PortfolioState });
    const frame = await tui.waitForFrame((f) => f.includes('The console failed:'), 'the failure screen');
    expect(frame).toMatch(/^The console failed: .*undefined/m);
    expect(frame).toMatch(/Press q to quit\./);
    expect(quits).toBe(0);
    // Keys other than quit do nothing; quit exits Ink (waitUntilExit resolves) and tells the caller exactly once.
    await tui.write('j');
    expect(quits).toBe(0);
    await tui.write('q');
    await tui.write('q');
    await tui.instance.waitUntilExit();
    expect(quits).toBe(1);
  });
});
