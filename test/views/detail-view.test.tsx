// Issue 16 item 8: Enter on a row opens every field in full (wrapped, scrollable, neutralised); a cut cell ends with "…".
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { DEFAULT_ALERT_CONFIG, evaluateOnce, type Alert } from '../../src/risk/alerts/index.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { clock, fitColumns, layoutCells, textWidth, wrap } from '../../src/views/format.js';
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

  it("shows an alert's detail as the operator reads it: shares and moves in percent, ratios as multiples, times of day", async () => {
    // EquityWithLoanValue 104,000 on a 100,000 requirement: margin.warning (1.04×) and cushion.band (0.8%), from the rules.
    const state = bookState({ elv: '104000', maint: '100000' });
    const alerts = evaluateOnce({ state, config: DEFAULT_ALERT_CONFIG, now: state.lastEventAt });
    expect(alerts.map((a) => a.rule)).toEqual(expect.arrayContaining(['margin.warning', 'cushion.band']));
    // And margin.jump's detail as the rule writes it (src/risk/alerts/rules/margin-jump.ts), whose raw numbers users saw.
    const anchorAt = state.lastEventAt - 125_000;
    const jump: Alert = {
      id: 'margin.jump',
      rule: 'margin.jump',
      severity: 'warning',
      title: 'Maintenance margin rose +57.8% (100,000 USD → 157,846 USD) with no trade or position change',
      detail: {
        maint: { from: '100000', to: '157845.79', reported: 0.5784578503700708, estimate: null, unexplained: 0.5784578503700708 },
        init: null,
        withEstimate: false,
        threshold: 0.3,
        anchorAt,
        currency: 'USD',
      },
      firstSeenAt: state.lastEventAt,
      raisedAt: state.lastEventAt,
      lastSeenAt: state.lastEventAt,
      acknowledged: false,
    };
    const store = new TestStore(state, createStressRunner()(state, state.lastEventAt));
    store.set({ alerts: [...alerts, jump] });
    const tui = renderApp(store, { columns: 120, rows: 80 });
    open.push(tui);
    await tui.write('6');
    await tui.waitForFrame((f) => f.includes('▶6 Alerts'), 'the Alerts pane focused');
    await tui.write(ENTER);
    const detail = await tui.waitForFrame((f) => f.includes('maint.reported'), 'the alerts in the detail view');
    const field = (label: string) => new RegExp(`${label.replace(/[.[\]]/g, '\\$&')}:\\s+(\\S+)`).exec(detail)?.[1];
    expect(field('maint.reported')).toBe('+57.8%');
    expect(field('maint.to')).toBe('157,845.79');
    // Every rule's limit reads as a share: cushion.band's 5% band and margin.jump's 30% among them.
    const thresholds = [...detail.matchAll(/\bthreshold:\s+(\S+)/g)].map((m) => m[1]);
    expect(thresholds).toEqual(expect.arrayContaining(['5.0%', '30.0%']));
    for (const t of thresholds) expect(t).toMatch(/^\d+\.\d%$/);
    expect(field('anchorAt')).toBe(clock(anchorAt));
    expect(field('ratio')).toBe('1.04×');
    expect(field('limit')).toBe('1.1×');
    expect(field('cushion')).toBe('0.8%');
    expect(field('reduction')).toBe('Cushion'); // "Cushion back to 10.0% or more", not its JSON
    expect(detail).toContain('Cushion back to 10.0% or more');
    expect(detail).not.toMatch(/0\.578457|\b\d{13}\b|\{"kind"/);
  });

  it("names margin.jump's calibration fields and their coded values in words: no factor.scope: C (user trial)", async () => {
    const state = bookState();
    // The one-look finding as the rule writes it (src/risk/alerts/rules/margin-jump.ts factorFinding).
    const factor = { kind: 'Initial', scope: 'C', reported: '380800', estimated: '100000', factor: 3.808, threshold: 2 };
    const jump: Alert = {
      id: 'margin.jump',
      rule: 'margin.jump',
      severity: 'warning',
      title: 'Initial margin (commodities) 380,800 USD is 3.81× our rules-based estimate 100,000 USD (limit 2×)',
      detail: { jump: null, factor },
      firstSeenAt: state.lastEventAt,
      raisedAt: state.lastEventAt,
      lastSeenAt: state.lastEventAt,
      acknowledged: false,
    };
    const store = new TestStore(state, createStressRunner()(state, state.lastEventAt));
    store.set({ alerts: [jump] });
    const tui = renderApp(store, { columns: 120, rows: 60 });
    open.push(tui);
    await tui.write('6');
    await tui.waitForFrame((f) => f.includes('▶6 Alerts'), 'the Alerts pane focused');
    await tui.write(ENTER);
    const detail = await tui.waitForFrame((f) => f.includes('segment'), 'the calibration in the detail view');
    expect(detail).toMatch(/requirement:\s+initial margin/);
    expect(detail).toMatch(/segment:\s+commodities/);
    expect(detail).toMatch(/reported by TWS:\s+380,800/);
    expect(detail).toMatch(/our estimate:\s+100,000/);
    expect(detail).toMatch(/reported \/ our estimate:\s+3\.808×/);
    expect(detail).toMatch(/limit:\s+2×/);
    expect(detail).not.toMatch(/factor\.(kind|scope|factor)|:\s+C$/m);
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
