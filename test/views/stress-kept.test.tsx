// The Stress pane kept while only its age moves: a later second shows the new age, a new pass shows its own figures.
import { describe, expect, it } from 'vitest';
import { createStressRunner } from '../../src/session/stress-model.js';
import { bookState } from '../support/book.js';
import { renderApp, TestStore, type Tui } from '../support/render-tui.js';

const SIZE = { columns: 200, rows: 50 };
const asOf = (frame: string) => /as of (\S+) ago/.exec(frame)?.[1];
/** The frame below the status bar and the figures line: the panes. */
const panes = (frame: string) => frame.split('\n').slice(2).join('\n');

describe('the Stress pane on a screen whose risk does not change', () => {
  it('shows the older age each second over the same table and chart, and a new pass as a fresh console draws it', async () => {
    const state = bookState();
    const t0 = state.lastEventAt;
    const first = createStressRunner()(state, t0);
    const store = new TestStore(state, first, t0 + 2_000);
    const tui: Tui = renderApp(store, SIZE, { initialFocus: 'stress' });
    const fresh: Tui[] = [];
    try {
      const before = await tui.waitForFrame((f) => asOf(f) === '2s', 'the stress pane, 2 s after its pass');
      store.set({ now: t0 + 7_000 });
      const later = await tui.waitForFrame((f) => asOf(f) === '7s', 'the same pass 5 s later');
      // Only the ages moved: the table, the distances and the chart are the lines drawn before.
      const chartAndTable = (f: string): string =>
        panes(f)
          .replace(/as of \S+ ago/g, '')
          .replace(/\d+s\b/g, '');
      expect(chartAndTable(later)).toBe(chartAndTable(before));

      // A new pass on a book whose prices moved: the kept pane gives way to the pass's own figures.
      const moved = bookState({ prices: { msft: '1500' } });
      const next = createStressRunner()(moved, moved.lastEventAt);
      store.set({ state: moved, live: moved, risk: next, now: t0 + 8_000 });
      const redrawn = await tui.waitForFrame((f) => asOf(f) !== '7s', 'the new pass');
      const other = renderApp(new TestStore(moved, next, t0 + 8_000), SIZE, { initialFocus: 'stress' });
      fresh.push(other);
      const expected = await other.waitForFrame((f) => asOf(f) !== undefined, 'a fresh console on the new pass');
      expect(panes(redrawn)).toBe(panes(expected));
      // And the figures did move, so a kept table would have shown.
      expect(chartAndTable(redrawn)).not.toBe(chartAndTable(later));
    } finally {
      tui.unmount();
      for (const f of fresh) f.unmount();
    }
  });
});
