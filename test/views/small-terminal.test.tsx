// The console at 40x10, the smallest size the README supports, and below it: no line drawn over another, dialogs fitted or named.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStressRunner } from '../../src/session/stress-model.js';
import { bookState } from '../support/book.js';
import { watchOverlaps } from '../support/ink-overlaps.js';
import { JumpClock } from '../support/jump-clock.js';
import { renderApp, TestStore, type Tui } from '../support/render-tui.js';
import { armConsole, startTradingConsole, ticksKnown, type TradingConsole } from '../support/trading-console.js';

const CLIENT = 47;

let watch: Awaited<ReturnType<typeof watchOverlaps>>;
beforeAll(async () => {
  watch = await watchOverlaps();
});
afterAll(() => watch.stop());

/** The frame's row that starts with `label` (after the row's leading space). */
const rowOf = (frame: string, label: string) => frame.split('\n').find((l) => l.startsWith(` ${label}`));

describe('at 40x10 on a fixed book', () => {
  let tui: Tui | undefined;
  afterEach(() => {
    tui?.unmount();
    tui = undefined;
  });

  it('draws no line over another: every pane, help, the palette and the detail view', async () => {
    const state = bookState();
    tui = renderApp(new TestStore(state, createStressRunner()(state, state.lastEventAt)), { columns: 40, rows: 10 }, { initialFocus: 'account' });
    await tui.waitForFrame((f) => /Cushion \d/.test(f), 'the Account pane');
    watch.take();
    const steps: [string, string][] = [
      ['', 'the Account pane'],
      ...['2', '3', '4', '5', '6'].map((k): [string, string] => [k, `pane ${k}`]),
      ['2', 'the Positions pane again'],
      ['?', 'help'],
      ['\u001b', 'help closed'],
      [':', 'the palette'],
      ['\u001b', 'the palette closed'],
      ['\r', 'the detail view'],
      ['\u001b', 'the detail view closed'],
      // A refusal three lines long at the bottom (read-only: X needs --trade) takes rows from the body.
      ['X', 'a three-line message'],
      ...['1', '2', '3', '4', '5', '6'].map((k): [string, string] => [k, `pane ${k} over a three-line message`]),
      ['2', 'the Positions pane again'],
      [':', 'the palette over a three-line message'],
      ['\u001b', 'the palette closed'],
      ['\r', 'the detail view over a three-line message'],
      ['\u001b', 'the detail view closed'],
    ];
    for (const [key, what] of steps) {
      const before = tui.stdout.frames.length;
      if (key !== '') await tui.write(key);
      // Esc waits for Ink's escape flush (20 ms) before it is a key.
      if (key === '\u001b') await tui.waitForFrame(() => tui!.stdout.frames.length > before, what);
      expect(watch.take(), what).toEqual([]);
    }
    expect(tui.lastFrame()).toMatch(/Needs --trade/);
    // The palette's line is on screen with suggestions under it, and the status bar kept its row.
    await tui.write(':');
    const palette = await tui.waitForFrame((f) => /^:/m.test(f), 'the palette');
    expect(palette.split('\n')).toHaveLength(10);
    expect(palette.split('\n')[0]).toMatch(/^ DEMO /);
    expect(watch.take()).toEqual([]);
  });

  it("keeps each figure on its own label's row when the Account pane is short: the cushion line shows no other row's figure", async () => {
    const state = bookState();
    // 9 rows: the Account pane's rows at 40x10 while a two-line message is at the bottom (the arming's).
    tui = renderApp(new TestStore(state, createStressRunner()(state, state.lastEventAt)), { columns: 40, rows: 9 }, { initialFocus: 'account' });
    const f = await tui.waitForFrame((x) => /Cushion \d/.test(x), 'the Account pane');
    expect(watch.take()).toEqual([]);
    // The book's cushion is 76.0%; Available funds (330,000) is not drawn on its row.
    expect(rowOf(f, 'Cushion')).toMatch(/^ Cushion 76\.0% {3}OK ?$/);
    expect(f).not.toMatch(/Cushion.*330,000/);
    // What is left out is named.
    expect(f).toMatch(/… \d not shown: /);
    expect(rowOf(f, 'Net liquidation')).toMatch(/500,000$/);
  });
});

describe('below the rows a pane needs', () => {
  let tui: Tui | undefined;
  afterEach(() => {
    tui?.unmount();
    tui = undefined;
  });

  it('keeps the status bar, the figures and the hint on their rows, says why, and brings the panes back when enlarged', async () => {
    const state = bookState();
    tui = renderApp(new TestStore(state, createStressRunner()(state, state.lastEventAt)), { columns: 40, rows: 10 }, { initialFocus: 'positions' });
    await tui.waitForFrame((f) => /^▶2 Positions/m.test(f), 'the Positions pane');
    watch.take();
    for (const rows of [6, 5, 4, 3, 2, 1]) {
      tui.resize(40, rows);
      const f = await tui.waitForFrame((x) => x.split('\n').length === rows && !/Positions/.test(x), `${rows} rows`);
      const lines = f.split('\n');
      expect(lines[0], `${rows} rows`).toMatch(/^ DEMO /);
      if (rows >= 2) expect(lines[1], `${rows} rows`).toMatch(/Cush 76.0%/);
      if (rows >= 3) expect(lines[2], `${rows} rows`).toMatch(/^Panes need 7 rows \(this/);
      if (rows >= 4) expect(lines[rows - 1], `${rows} rows`).toMatch(/^\? help/);
      expect(watch.take(), `${rows} rows`).toEqual([]);
    }
    tui.resize(40, 6);
    // The reason wraps where the rows allow.
    const six = await tui.waitForFrame((x) => x.split('\n').length === 6 && /this terminal has\s+6\)/.test(x), 'six rows again');
    expect(six).toMatch(/enlarge it to see them\./);
    tui.resize(40, 7);
    await tui.waitForFrame((x) => /^▶2 Positions/m.test(x) && x.split('\n').length === 7, 'the panes at 7 rows');
    expect(watch.take()).toEqual([]);
  });

  it('names the open palette it cannot show, and shows it once the rows are there', async () => {
    const state = bookState();
    tui = renderApp(new TestStore(state, createStressRunner()(state, state.lastEventAt)), { columns: 40, rows: 8 }, { initialFocus: 'positions' });
    await tui.waitForFrame((f) => /^▶2 Positions/m.test(f), 'the Positions pane');
    watch.take();
    await tui.write(':');
    // The palette's two rows on top of the seven: eight are not enough.
    const f = await tui.waitForFrame((x) => /A command line is open but not\s+shown\s+\(Esc closes it\)/.test(x), 'the palette named');
    expect(f.split('\n')).toHaveLength(8);
    expect(f).toMatch(/Panes need 9 rows/);
    tui.resize(40, 9);
    await tui.waitForFrame((x) => /^:/m.test(x) && x.split('\n').length === 9, 'the palette at 9 rows');
    expect(watch.take()).toEqual([]);
  });
});

describe('at 40x10 trading on the simulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tws-risk-small-'));
  let c: TradingConsole | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('arms through a readable prompt, then shows the Account pane with no figure on the wrong row', async () => {
    c = await startTradingConsole({ clientId: CLIENT, auditDir: dir, clock: new JumpClock(), size: { columns: 40, rows: 10 } });
    const { tui } = c;
    await tui.waitForFrame((f) => f.includes('READY'), 'the console on live data');
    await tui.write('1');
    await tui.waitForFrame((f) => /Cushion \d/.test(f), 'the Account pane');
    watch.take();
    await tui.write(':trade.arm\r');
    await tui.waitForFrame((f) => f.includes('Arm trading'), 'the arming dialog');
    await tui.write('4567');
    // The prompt, the code typed and both answer keys, each on a row of its own.
    const prompt = await tui.waitForFrame((f) => f.includes('account id: 4567▏'), 'the code typed');
    expect(prompt).toContain('Type the last four characters of the');
    expect(prompt).toMatch(/^Enter arms {4}Esc cancels \(the default\)$/m);
    expect(prompt).toContain('Account DU1234567');
    expect(watch.take()).toEqual([]);
    await tui.write('\r');
    const armed = await tui.waitForFrame((f) => / ARMED \d/.test(f.split('\n')[0]!) && /Cushion \d/.test(f), 'ARMED, the Account pane back');
    expect(rowOf(armed, 'Cushion')).toMatch(/^ Cushion [\d.]+% {3}\S+ ?$/);
    expect(watch.take()).toEqual([]);
  }, 60_000);

  it('says plainly that the flatten dialog needs a bigger terminal, refuses y, and shows the dialog once enlarged', async () => {
    c = await startTradingConsole({ clientId: CLIENT + 1, auditDir: dir, clock: new JumpClock(), size: { columns: 40, rows: 10 } });
    const { tui } = c;
    await tui.waitForFrame((f) => f.includes('READY'), 'the console on live data');
    await armConsole(tui);
    await ticksKnown(c.trading.session, c.feed.state.positions.keys());
    await tui.write('2');
    await tui.waitForFrame((f) => /^▶2 Positions/m.test(f), 'the Positions pane');
    watch.take();
    await tui.write('X');
    const small = await tui.waitForFrame((f) => f.includes('Enlarge the terminal to see this dialog'), 'the dialog named, not drawn');
    expect(small).toMatch(/\(needs 40x\d+\)/);
    expect(small).not.toMatch(/[╔╚║]/);
    expect(watch.take()).toEqual([]);
    await tui.write('y');
    await tui.waitForFrame((f) => /not\s+on screen; enlarge/.test(f), 'y refused while the plan is not shown');
    expect(c.sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT + 1)).toEqual([]);
    // Fewer rows than a pane needs: the compact screen says a trading dialog is open; y still sends nothing.
    tui.resize(40, 5);
    await tui.waitForFrame(
      (f) => /^A trading dialog is open but not\s+shown: y does nothing until it is/m.test(f) && f.split('\n').length === 5,
      'the dialog named at 40x5',
    );
    expect(watch.take()).toEqual([]);
    await tui.write('y');
    await tui.waitForFrame((f) => /not\s+on screen/.test(f), 'y refused at 40x5');
    expect(c.sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT + 1)).toEqual([]);
    const need = Number(/\(needs 40x(\d+)\)/.exec(small)![1]);
    tui.resize(40, need);
    const big = await tui.waitForFrame((f) => f.includes('╔') && /Flatten/.test(f), 'the dialog in its border once the terminal is big enough');
    expect(big).not.toMatch(/more line\(s\) not shown/);
    expect(watch.take()).toEqual([]);
    await tui.write('\u001b');
    await tui.waitForFrame((f) => !f.includes('╔'), 'cancelled');
  }, 60_000);
});
