// The console on live simulator data at 80, 120 and 200 columns: every pane, focus, help, filter, sort, freeze, resize.
import { AccountSession } from '../../src/session/session.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleStore } from '../../src/views/store.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ROWS, WIDTHS, renderApp, type Tui } from '../support/render-tui.js';
import { DEMO_POSITIONS } from '../../src/sim/instruments.js';
import { positionLabel, simInstrument, startSimFeed, type SimFeed } from '../support/sim-feed.js';

// One simulator for the file (these tests only read it); each test gets its own store and terminal, so a test that
// fails half-way (a filter line left open, a frozen pane) cannot leave keys or state behind for the next one.
let live: SimFeed;

beforeAll(async () => {
  live = await startSimFeed({ orders: true });
}, 60_000);

afterAll(async () => {
  await live?.close();
});

const newStore = () =>
  new ConsoleStore(live.feed, { throttleMs: 100, session: new AccountSession(live.feed, { risk: createStressRunner(), alerts: createAlertRunner() }) });

/** The demo book's long AAPL call (DEMO_POSITIONS), labelled as the simulator lists it at the pinned start. */
const AAPL_CALL = positionLabel(
  simInstrument((i) => i.symbol === 'AAPL' && i.secType === 'OPT' && i.right === 'C' && DEMO_POSITIONS.some((p) => p.conId === i.conId)),
);

const TAB = '\t';
const SHIFT_TAB = '\u001b[Z';

/** What each pane shows from the simulated account (DU1234567, USD base, the simulator's book). */
const PANE_CHECKS: Record<string, { key: string; expect: RegExp[] }> = {
  account: { key: '1', expect: [/Net liquidation\s+\d{3},\d{3}/, /Maintenance margin/, /Cushion \d+\.\d%/] },
  // At 80x24 the last stock rows are below the fold: the title must then say so.
  positions: { key: '2', expect: [/AAPL/, /NESN/, /7203|↓ \d+ more/, /STK · 5/] },
  stress: { key: '3', expect: [/Equities −30%/, /Liquidation at( \(searched [\d:]+\))?:/] },
  orders: { key: '4', expect: [/\b99\b/, /BUY/, /AAPL/, /Submitted|PreSubmitted/] },
  executions: { key: '5', expect: [/BOT/, /TSLA/, /\d+\.\d\d USD/] },
  alerts: { key: '6', expect: [/OK no alerts|WARNING|CRITICAL/, /data farm/] },
};

describe.each(WIDTHS)('at %i columns', (columns) => {
  const rows = ROWS[columns]!;
  let tui: Tui;
  let store: ConsoleStore;
  beforeEach(() => {
    store = newStore();
    tui = renderApp(store, { columns, rows });
  });
  afterEach(() => {
    tui.unmount();
    store.dispose();
  });

  it('fills exactly the terminal, with the status bar on top and key hints at the bottom', async () => {
    const frame = await tui.waitForFrame((f) => f.includes('READY'), 'the ready status');
    const lines = frame.split('\n');
    expect(lines).toHaveLength(rows);
    expect(lines[0]).toMatch(/^ DEMO .*127\.0\.0\.1:\d+ DU1234567 USD READY data \d+s READ-ONLY/);
    expect(lines[rows - 1]).toMatch(/\? help +: commands/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(columns);
  });

  for (const [pane, check] of Object.entries(PANE_CHECKS)) {
    it(`shows ${pane} with simulator data when focused by its digit`, async () => {
      await tui.write(check.key);
      const frame = await tui.waitForFrame((f) => f.includes(`▶${check.key} `) && check.expect.every((re) => re.test(f)), `${pane} focused, with data`);
      expect(frame.split('\n')).toHaveLength(rows);
    });
  }

  it('moves focus with Tab and Shift-Tab (the focused pane is marked ▶)', async () => {
    await tui.write('2');
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write(TAB);
    await tui.waitForFrame((f) => f.includes('▶3 Stress'), 'Stress focused after Tab');
    await tui.write(SHIFT_TAB);
    await tui.waitForFrame((f) => f.includes('▶2 Positions'), 'Positions focused after Shift-Tab');
  });

  it('opens the help overlay for the focused pane and closes it again', async () => {
    await tui.write('2');
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write('?');
    const help = await tui.waitForFrame((f) => f.includes('Keys for Positions'));
    expect(help).toMatch(/Quit \(asks first while trading is armed\)/);
    await tui.write('G'); // scroll the overlay to its end: the trading commands, dimmed without --trade
    const end = await tui.waitForFrame((f) => /\(needs --trade\) Flatten the selected position/.test(f), 'the end of the help');
    expect(end).not.toMatch(/Cancel the selected order/); // an Orders key, not offered in Positions
    // The Positions key sits above the trading section, whose descriptions wrap: half a page up (Ctrl-u) shows it.
    await tui.write('\u0015');
    await tui.waitForFrame((f) => /Group by asset class or by currency/.test(f), "the Positions pane's own key");
    await tui.write('?');
    await tui.waitForFrame((f) => !f.includes('Keys for Positions') && f.includes('▶2 Positions'));
  });

  it('filters positions as you type, keeps the filter on Enter and clears it with Esc', async () => {
    await tui.write('2');
    await tui.write('/');
    await tui.waitForFrame((f) => f.includes('Filter Positions:'));
    await tui.write('aapl');
    const filtered = await tui.waitForFrame((f) => /filter aapl/.test(f) && !/NESN/.test(f), 'only AAPL rows');
    expect(filtered).toContain(AAPL_CALL);
    await tui.write('\r');
    await tui.waitForFrame((f) => !f.includes('Filter Positions:') && /filter aapl/.test(f));
    await tui.writeSplit(['\u001b']); // a lone Esc, flushed by Ink after 20 ms: filter.clear
    await tui.waitForFrame((f) => !/filter aapl/.test(f) && /NESN/.test(f), 'the filter cleared');
  });

  it('sorts positions by the next column and reverses the order', async () => {
    await tui.write('2');
    await tui.write('o');
    await tui.waitForFrame((f) => /sort P&L↑/.test(f));
    await tui.write('r');
    await tui.waitForFrame((f) => /sort P&L↓/.test(f));
    await tui.write('oooo'); // back round to |value| (one chunk: typed faster than a read)
    await tui.waitForFrame((f) => /sort \|value\|↓/.test(f));
  });

  it('freezes the panes (FROZEN in the status bar) and thaws them', async () => {
    await tui.write(' ');
    await tui.waitForFrame((f) => /FROZEN \d\d:\d\d:\d\d \+\d+/.test(f));
    await tui.write(' ');
    await tui.waitForFrame((f) => !f.includes('FROZEN'));
  });
});

describe('layout follows the terminal', () => {
  it('turns tabs into side-by-side panes when the terminal grows, and back', async () => {
    const store = newStore();
    const tui = renderApp(store, { columns: 80, rows: 24 });
    try {
      await tui.waitForFrame((f) => f.includes('[2 Positions]'), 'tabs at 80x24');
      tui.resize(200, 50);
      const wide = await tui.waitForFrame(
        (f) => f.includes('1 Account') && f.includes('3 Stress') && f.includes('4 Orders') && !f.includes('[2 Positions]'),
        'every pane at 200x50',
      );
      expect(wide.split('\n')).toHaveLength(50);
      tui.resize(80, 24);
      const narrow = await tui.waitForFrame((f) => f.includes('[2 Positions]'), 'tabs again');
      expect(narrow.split('\n')).toHaveLength(24);
    } finally {
      tui.unmount();
      store.dispose();
    }
  });
});

describe('positions by currency', () => {
  it('puts an IDEALPRO pair under the currency it is exposed to (EUR.USD under EUR), as the fx scenarios see it', async () => {
    const store = newStore();
    const tui = renderApp(store, { columns: 200, rows: 50 });
    try {
      const pair = simInstrument((i) => i.secType === 'CASH' && DEMO_POSITIONS.some((p) => p.conId === i.conId));
      // The other way round would group it under the currency it is quoted in.
      expect(pair.symbol).not.toBe(pair.currency);
      await tui.waitForFrame((f) => f.includes('READY') && f.includes('by class'), 'the positions by class');
      await tui.write('2');
      await tui.write('c');
      const frame = await tui.waitForFrame((f) => f.includes('by currency') && f.includes(positionLabel(pair)), 'the positions by currency');
      // The group heading above the pair's row names the group it is in.
      const lines = frame.split('\n');
      const at = lines.findIndex((l) => l.includes(positionLabel(pair)));
      const heading = lines
        .slice(0, at)
        .reverse()
        .map((l) => /\b([A-Z]{3}) · \d+ · /.exec(l)?.[1])
        .find(Boolean);
      expect(heading).toBe(pair.symbol);
    } finally {
      tui.unmount();
      store.dispose();
    }
  });
});
