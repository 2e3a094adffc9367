// The Alerts pane at 200x50 with more alerts than rows: the rows a short list would leave empty go to the alerts, and
// the line for the rest says how many and the keys that list them all, whole.
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEventBody } from '../../src/model/events.js';
import type { Alert } from '../../src/risk/alerts/types.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ACCOUNT, bookState } from '../support/book.js';
import { acct } from '../support/events.js';
import { renderApp, TestStore, type Tui } from '../support/render-tui.js';

/** `n` lines of TWS's log. */
const messages = (n: number): FeedEventBody[] =>
  Array.from({ length: n }, (_, i) => ({
    type: 'brokerMessage',
    id: -1,
    code: 2104,
    message: `Market data farm connection is OK:farm${i + 1}`,
    class: 'info',
  }));

/** `n` alerts, the first two critical, as the engine lists them. */
function alerts(at: number, n: number): Alert[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `tws.code:${i}`,
    rule: 'tws.code',
    severity: i < 2 ? 'critical' : 'warning',
    title: `Alert ${i + 1} of the book`,
    detail: null,
    firstSeenAt: at,
    raisedAt: at,
    lastSeenAt: at,
    acknowledged: false,
  }));
}

/** The right column's text (the grid's side at 200 columns) from the Alerts pane's title to the log's header. */
const alertsPane = (frame: string) => {
  const lines = frame.split('\n').map((l) => l.slice(117).trimEnd());
  return lines.slice(
    lines.findIndex((l) => /^.6 Alerts and log/.test(l)),
    lines.findIndex((l) => /^ ?Time +Kind/.test(l)),
  );
};

let tui: Tui | undefined;
afterEach(() => tui?.unmount());

/** Cash in three more currencies than the book's USD and EUR (the demo's five): the Account pane above grows. */
const cash: FeedEventBody[] = ['CHF', 'GBP', 'JPY'].flatMap((c, i) => [
  acct(ACCOUNT, 'ExchangeRate', `0.${i + 1}`, c),
  acct(ACCOUNT, 'CashBalance', String(1000 * (i + 1)), c),
]);

function start(logLines: number, n = 6): Tui {
  const state = bookState({ extra: [...cash, ...messages(logLines)] });
  const store = new TestStore(state, createStressRunner()(state, state.lastEventAt));
  store.set({ alerts: alerts(state.lastEventAt, n) });
  return (tui = renderApp(store, { columns: 200, rows: 50 }));
}

const ALL = [
  'CRITICAL Alert 1 of the book · 0s',
  'CRITICAL Alert 2 of the book · 0s',
  'WARNING Alert 3 of the book · 0s',
  'WARNING Alert 4 of the book · 0s',
  'WARNING Alert 5 of the book · 0s',
  'WARNING Alert 6 of the book · 0s',
  'NOTICE 1 position UNPRICED, held at their mark in every scenario: XYZ',
];

describe('the Alerts pane at 200x50 with six alerts', () => {
  it("with the demo's three log lines: every alert, in the rows the short log and the empty lists leave", async () => {
    const frame = await start(3).waitForFrame((f) => /6 Alerts and log/.test(f), 'the alerts pane');
    expect(alertsPane(frame)).toEqual([' 6 Alerts and log  6 alerts, 6 new · 1 notice · 3 log lines', ...ALL.map((l) => ` ${l}`)]);
  });

  it('with twenty alerts and a long log: the line for the rest says how many and the keys that list them all, whole; they do', async () => {
    const t = start(30, 20);
    const frame = await t.waitForFrame((f) => /6 Alerts and log/.test(f), 'the alerts pane');
    const shown = Array.from({ length: 11 }, (_, k) => ` ${k < 2 ? 'CRITICAL' : 'WARNING'} Alert ${k + 1} of the book · 0s`);
    expect(alertsPane(frame)).toEqual([
      ' 6 Alerts and log  20 alerts, 20 new · 1 notice · 30 log lines · ↓ 18 more',
      ...shown,
      ' … 10 more (21 in all): 6 then Enter lists them all',
    ]);
    await t.write('6');
    // Focused, the pane's own key is the one left to press.
    const focused = await t.waitForFrame((f) => f.includes('▶6 Alerts and log'), 'the pane focused');
    expect(alertsPane(focused).at(-1)).toBe(' … 10 more (21 in all): Enter lists them all');
    await t.write('\r');
    const detail = await t.waitForFrame((f) => /Alert 20 of the book/.test(f), 'every alert in the detail view');
    for (let k = 1; k <= 20; k++) expect(detail).toContain(`Alert ${k} of the book`);
  });
});
