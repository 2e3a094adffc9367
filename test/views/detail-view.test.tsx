// Issue 16 item 8: Enter on a row opens every field in full (wrapped, scrollable, neutralised); a cut cell ends with "…".
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { fitColumns, layoutCells, textWidth, wrap } from '../../src/views/format.js';
import { POSITION_COLUMNS } from '../../src/views/rows/positions.js';
import { ACCOUNT, bookState } from '../support/book.js';
import { stock } from '../support/events.js';
import { TestStore, renderApp, type Tui } from '../support/render-tui.js';

const ENTER = '\r';
const ESC = '\u001b';
const DOWN = '\u001b[B';
const PGDN = '\u001b[6~';

const open: Tui[] = [];
afterEach(() => {
  while (open.length) open.pop()!.unmount();
});

/** A TWS message far longer than any log column, ending in a word we can look for, with an escape in the middle. */
const LONG = `Order rejected by the exchange because ${'the reason keeps going '.repeat(12)}\u001b[2Jafter-the-escape THE-END`;

function start(size = { columns: 80, rows: 24 }, extra: boolean | FeedEventBody[] = true) {
  const events: FeedEventBody[] = extra === true ? [{ type: 'brokerMessage', id: 42, code: 201, message: LONG, class: 'error' }] : extra || [];
  const state = bookState({ extra: events });
  const risk = createStressRunner()(state, state.lastEventAt);
  const tui = renderApp(new TestStore(state, risk), size);
  open.push(tui);
  return tui;
}

describe('the detail view (Enter on a row)', () => {
  it('shows every column of the selected position, also those the width dropped, and Esc brings the panes back', async () => {
    const tui = start();
    const panes = await tui.waitForFrame((f) => f.includes('›AAPL 20270219 240 C'), 'the option row selected');
    // At 80 columns the Positions pane drops columns (its title says how many): the detail must still show them.
    const dropped = POSITION_COLUMNS.filter((c) => !fitColumns(POSITION_COLUMNS, 79).some((f) => f.id === c.id));
    expect(dropped.length).toBeGreaterThan(0);
    expect(panes).toMatch(/\+\d+ columns?/);
    await tui.write(ENTER);
    const detail = await tui.waitForFrame((f) => f.includes('Positions: AAPL 20270219 240 C'), 'the detail view');
    for (const c of dropped) expect(detail, `the dropped column ${c.header}`).toContain(`${c.header.trim()}:`);
    expect(detail).not.toContain('▶2 Positions');
    await tui.write(ESC);
    await tui.waitForFrame((f) => f.includes('›AAPL 20270219 240 C') && f.includes('▶2 Positions'), 'the panes again');
  });

  it('wraps a long log line in full, neutralises its escape, and scrolls with the arrow keys and PgDn', async () => {
    const tui = start({ columns: 80, rows: 24 });
    await tui.write('6');
    await tui.waitForFrame((f) => f.includes('▶6 Alerts'), 'the Alerts pane focused');
    const pane = tui.lastFrame();
    expect(pane).not.toContain('THE-END'); // the pane's row is cut…
    expect(pane.split('\n').some((l) => /Order rejected.*…/.test(l))).toBe(true); // …and says so with "…"
    await tui.write(ENTER);
    const detail = await tui.waitForFrame((f) => f.includes('Log line and alerts'), 'the detail view');
    const text = detail
      .split('\n')
      .map((l) => l.replace(/^[│|] ?| ?[│|]$/g, '').trim())
      .join(' ');
    expect(text.replace(/\s+/g, ' ')).toContain('after-the-escape THE-END');
    expect(detail).toContain('\\x1b[2J'); // shown as an escape, never sent to the terminal
    expect(tui.lastRawFrame()).not.toContain('\u001b[2J');
    for (const l of detail.split('\n')) expect(textWidth(l)).toBeLessThanOrEqual(80);
    // A short terminal: the alerts below the log line are further down; the title says where the view is.
    const small = start({ columns: 60, rows: 14 });
    await small.write('6');
    await small.waitForFrame((f) => f.includes('▶6 Alerts'), 'Alerts focused');
    await small.write(ENTER);
    const first = await small.waitForFrame((f) => /lines 1-\d+ of \d+/.test(f), 'a scrollable detail');
    await small.write(DOWN);
    await small.waitForFrame((f) => /lines 2-\d+ of \d+/.test(f), 'one line down');
    await small.write(PGDN);
    const paged = await small.waitForFrame((f) => !/lines [12]-/.test(f) && /lines \d+-\d+ of \d+/.test(f), 'a page down');
    expect(paged).not.toBe(first);
  });

  it("names a fill's realized P&L currency (the commission report's), which the column leaves out for room", async () => {
    const toyota = stock(13_905_392, '7203', 'JPY', 'TSEJ');
    const tui = start({ columns: 80, rows: 24 }, [
      {
        type: 'executionReceived',
        reqId: -1,
        execId: 'e1',
        orderId: 1,
        clientId: 0,
        permId: 9,
        account: ACCOUNT,
        contract: toyota,
        side: 'SLD',
        shares: dec('2000'),
        price: dec('2888.5'),
        cumQty: dec('2000'),
        avgPrice: dec('2888.5'),
        time: '20261123 14:32:05 Asia/Tokyo',
      },
      { type: 'commissionReceived', execId: 'e1', commission: dec('1733.1'), currency: 'JPY', realizedPnl: dec('118527.87') },
    ]);
    await tui.write('5');
    const pane = await tui.waitForFrame((f) => f.includes('▶5 Executions') && f.includes('›'), 'the fill selected');
    expect(pane).toContain('+118,527.87');
    expect(pane).not.toContain('+118,527.87 JPY');
    await tui.write(ENTER);
    const detail = await tui.waitForFrame((f) => f.includes('Executions: '), 'the detail view');
    expect(detail).toMatch(/Realized:\s+\+118,527\.87 JPY/);
  });

  it('shows the selected scenario with its breakdown and the liquidation distances in full', async () => {
    const tui = start({ columns: 80, rows: 24 }, false);
    await tui.write('3');
    await tui.waitForFrame((f) => f.includes('▶3 Stress') && f.includes('›'), 'a scenario selected');
    await tui.write(ENTER);
    const detail = await tui.waitForFrame((f) => f.includes('Scenario '), 'the scenario detail');
    expect(detail).toContain('By currency');
    expect(detail).toContain('By asset class');
    await tui.write('G'); // the list keys scroll the view: G is its last line
    const end = await tui.waitForFrame((f) => f.includes('Combined crash'), 'the liquidation distances at the end');
    expect(end).toContain('Liquidation at');
    expect(end).toMatch(/Esc close/);
  });
});

describe('text that does not fit', () => {
  it('wrap never cuts: every cell of the text is kept, no line wider than asked', () => {
    const s = `${'Ünïcode 株式 words '.repeat(9)}averyveryverylongwordthatmustbreakinside`;
    for (const w of [7, 13, 40]) {
      const lines = wrap(s, w);
      for (const l of lines) expect(textWidth(l)).toBeLessThanOrEqual(w);
      expect(lines.join('').replace(/ /g, '')).toBe(s.replace(/ /g, ''));
    }
  });

  it('a cell cut to its column ends with "…"', () => {
    const cols = fitColumns(POSITION_COLUMNS, 60);
    const cells = layoutCells(cols, (c) => `${c.header}-${'x'.repeat(c.width + 5)}`);
    for (const { text, col } of cells) {
      expect(textWidth(text)).toBe(col.width);
      expect(text.endsWith('…')).toBe(true);
    }
  });
});
