// The tab bar fitted to the width: whole titles when they fit, and every pane's digit whatever the width.
import { afterEach, describe, expect, it } from 'vitest';
import { createStressRunner } from '../../src/session/stress-model.js';
import { fitTabs, type TabSource } from '../../src/views/tabs.js';
import { bookState } from '../support/book.js';
import { renderApp, TestStore, type Tui } from '../support/render-tui.js';

const SIX: TabSource[] = [
  { pane: 'account', digit: 1, title: 'Account', short: 'Acct', focused: false },
  { pane: 'positions', digit: 2, title: 'Positions', short: 'Pos', focused: true },
  { pane: 'stress', digit: 3, title: 'Stress', short: 'Stress', focused: false },
  { pane: 'orders', digit: 4, title: 'Orders', short: 'Ord', focused: false },
  { pane: 'executions', digit: 5, title: 'Executions', short: 'Exec', focused: false },
  { pane: 'alerts', digit: 6, title: 'Alerts and log', short: 'Alerts', focused: false },
];
const labels = (columns: number) => fitTabs(SIX, columns).map((t) => t.label);

describe('fitTabs', () => {
  it('keeps every title while the bar fits (76 cells for these six)', () => {
    expect(labels(76)).toEqual(['1 Account', '2 Positions', '3 Stress', '4 Orders', '5 Executions', '6 Alerts and log']);
  });

  it("then the other panes' short words, then their digits, then the focused one's short word, then digits alone", () => {
    // 8 + 13 + 10 + 7 + 8 + 10 = 56 cells.
    expect(labels(75)).toEqual(['1 Acct', '2 Positions', '3 Stress', '4 Ord', '5 Exec', '6 Alerts']);
    expect(labels(56)).toEqual(['1 Acct', '2 Positions', '3 Stress', '4 Ord', '5 Exec', '6 Alerts']);
    // 3 × 5 + 13 = 28 cells.
    expect(labels(55)).toEqual(['1', '2 Positions', '3', '4', '5', '6']);
    expect(labels(28)).toEqual(['1', '2 Positions', '3', '4', '5', '6']);
    // 3 × 5 + 7 = 22 cells.
    expect(labels(27)).toEqual(['1', '2 Pos', '3', '4', '5', '6']);
    expect(labels(21)).toEqual(['1', '2', '3', '4', '5', '6']);
    // Narrower than the digits: still the digits (Ink cuts the line; nothing wider is tried).
    expect(labels(10)).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('keeps the focus and the panes as they came', () => {
    expect(fitTabs(SIX, 40).map((t) => [t.pane, t.focused])).toEqual(SIX.map((t) => [t.pane, t.focused]));
  });
});

describe('the tab bar in the console', () => {
  let tui: Tui | undefined;
  afterEach(() => {
    tui?.unmount();
    tui = undefined;
  });

  it('shows every digit at 40 columns, the focused pane by its title', async () => {
    const state = bookState();
    tui = renderApp(new TestStore(state, createStressRunner()(state, state.lastEventAt)), { columns: 40, rows: 10 }, { initialFocus: 'positions' });
    const frame = await tui.waitForFrame((f) => f.includes('[2 Positions]'), 'the tab bar');
    const bar = frame.split('\n').find((l) => l.includes('[2 Positions]'))!;
    expect(bar.replace(/\s+$/, '')).toBe(' 1 [2 Positions] 3  4  5  6');
  });
});
