// The Account pane takes the room its column has: every cash line while the lists below keep theirs, cut only when they need it.
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEventBody } from '../../src/model/events.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { layoutFor, LIST_KEEPS } from '../../src/views/layout.js';
import { ACCOUNT, bookState } from '../support/book.js';
import { acct } from '../support/events.js';
import { renderApp, TestStore, type Tui } from '../support/render-tui.js';

/** Cash in `n` more currencies than the book's USD and EUR, each with a rate. */
function cash(currencies: readonly string[]): FeedEventBody[] {
  return currencies.flatMap((c, i) => [acct(ACCOUNT, 'ExchangeRate', `0.${i + 1}`, c), acct(ACCOUNT, 'CashBalance', String(1000 * (i + 1)), c)]);
}

/** A Cash row on screen: the currency, then its balance with cents. */
const cashRow = (ccy: string) => new RegExp(`\\s${ccy}\\s+-?[\\d,]+\\.\\d\\d\\s`);

const accountBox = (l: ReturnType<typeof layoutFor>) => l.body.flatMap((c) => c.panes).find((p) => p.pane === 'account')!.height;

describe('the Account pane height', () => {
  it('is all its lines (title included) where the lists below keep their content, in both layouts with a side column', () => {
    // Header, six figures, the cushion line, the cash header, five currencies: 14 rows and the title.
    const wants = { account: 14, orders: 2, executions: 2, alerts: 5 };
    expect(accountBox(layoutFor(200, 50, 'positions', 'positions', 1, false, wants))).toBe(15);
    expect(accountBox(layoutFor(120, 30, 'positions', 'positions', 1, false, wants))).toBe(15);
    // Without what the panes want, the fixed block it always had.
    expect(accountBox(layoutFor(200, 50, 'positions', 'positions', 1))).toBe(12);
    expect(accountBox(layoutFor(120, 30, 'positions', 'positions', 1))).toBe(12);
  });

  it('shrinks when the lists below need the rows, never below the fixed block, and the column still adds up', () => {
    const busy = { account: 30, orders: 40, executions: 40, alerts: 40 };
    const grid = layoutFor(200, 42, 'positions', 'positions', 1, false, busy);
    // 42 rows: status, figures, hint: 39 for the column; each list keeps LIST_KEEPS rows, the Account pane the rest.
    expect(accountBox(grid)).toBe(39 - 3 * LIST_KEEPS);
    expect(grid.body[1]!.panes.reduce((s, p) => s + p.height, 0)).toBe(grid.bodyHeight);
    const tall = layoutFor(200, 50, 'positions', 'positions', 1, false, busy);
    expect(accountBox(tall)).toBe(47 - 3 * LIST_KEEPS);
    // A column too short for both (the Accounts pane above takes 9 of its 37 rows): the fixed block (a third of the
    // body, at most 12), its cash cut and named.
    expect(accountBox(layoutFor(200, 40, 'positions', 'positions', 1, true, busy))).toBe(12);
    const side = layoutFor(120, 28, 'positions', 'positions', 1, false, { account: 30, alerts: 40 });
    expect(accountBox(side)).toBe(side.bodyHeight - LIST_KEEPS);
    expect(side.body[1]!.panes.reduce((s, p) => s + p.height, 0)).toBe(side.bodyHeight);
  });

  let tui: Tui | undefined;
  afterEach(() => tui?.unmount());

  for (const size of [
    { columns: 120, rows: 30 },
    { columns: 200, rows: 50 },
  ]) {
    it(`shows every cash balance at ${size.columns}x${size.rows} while the column has the room`, async () => {
      const state = bookState({ extra: cash(['CHF', 'GBP', 'JPY']) });
      tui = renderApp(new TestStore(state, createStressRunner()(state, state.lastEventAt)), size);
      const frame = await tui.waitForFrame((f) => /Cushion \d/.test(f), 'the account pane');
      for (const c of ['CHF', 'EUR', 'GBP', 'JPY', 'USD']) expect(frame, c).toMatch(cashRow(c));
      expect(frame).not.toMatch(/not shown/);
    });
  }

  it('cuts the cash list and names the rest when the column is short (120x28, eleven currencies)', async () => {
    const more = ['AUD', 'CAD', 'CHF', 'CNH', 'GBP', 'HKD', 'JPY', 'NOK', 'SEK'];
    const state = bookState({ extra: cash(more) });
    tui = renderApp(new TestStore(state, createStressRunner()(state, state.lastEventAt)), { columns: 120, rows: 28 });
    const frame = await tui.waitForFrame((f) => /Cushion \d/.test(f), 'the account pane');
    const named = /(\d+) more currencies not shown: ([A-Z, ]+)/.exec(frame);
    expect(named, frame).not.toBeNull();
    const listed = [...more, 'EUR', 'USD'].filter((c) => cashRow(c).test(frame));
    // Every currency is listed or counted in the note (whose names the narrow column may cut), and the pane used
    // its rows: more balances than the fixed block's one.
    expect(listed.length + Number(named![1])).toBe(more.length + 2);
    expect(listed.length).toBeGreaterThan(1);
  });
});
