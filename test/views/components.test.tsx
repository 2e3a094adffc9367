// Components on their own: a failing pane shows its error in place, the table marks selection without colour, a memoised Text follows its cells.
import { Text } from 'ink';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { PaneFrame } from '../../src/views/components/PaneFrame.js';
import { Table } from '../../src/views/components/Table.js';
import { fitColumns } from '../../src/views/format.js';
import type { ListVM } from '../../src/views/rows/common.js';
import { renderTui, type Tui } from '../support/render-tui.js';

const open: Tui[] = [];
afterEach(() => {
  while (open.length) open.pop()!.unmount();
});

function Boom(): never {
  throw new Error('no mark for conId 42');
}

describe('PaneFrame', () => {
  it('keeps the console up when its pane throws, and says what failed in place', async () => {
    const tui = renderTui(
      <>
        <PaneFrame title="▶2 Positions" info="14" focused width={60} height={3}>
          <Boom />
        </PaneFrame>
        <Text>the rest of the console</Text>
      </>,
      { columns: 60, rows: 10 },
    );
    open.push(tui);
    const frame = await tui.waitForFrame((f) => f.includes('the rest of the console'));
    expect(frame).toMatch(/^This pane failed: no mark for conId 42 \(the other panes/m);
    expect(frame).toMatch(/^▶2 Positions/);
  });
});

describe('Table', () => {
  it('renders the header, the rows given, and marks the selected one with ›', async () => {
    const columns = fitColumns(
      [
        { id: 'label', header: 'Name', width: 10, align: 'left', priority: 0, flex: true },
        { id: 'v', header: 'Value', width: 8, align: 'right', priority: 0 },
      ],
      30,
    );
    const list: ListVM = {
      pane: 'positions',
      info: '',
      columns,
      total: 2,
      selectedId: 'b',
      rows: [
        { id: 'a', kind: 'row', cells: { label: { text: 'AAPL' }, v: { text: '-1,200' } } },
        { id: 'b', kind: 'row', cells: { label: { text: 'SAP' }, v: { text: '+3' } } },
      ],
      context: { rows: [], height: 5, top: 0 },
    };
    const tui = renderTui(<Table list={list} focused height={5} />, { columns: 31, rows: 6 });
    open.push(tui);
    const frame = await tui.waitForFrame((f) => f.includes('SAP'));
    expect(frame.split('\n').slice(0, 3)).toEqual([' Name                     Value', ' AAPL                    -1,200', '›SAP                         +3']);
  });

  it("shows a cell's narrow form when its column is too narrow for the full text, so two strikes never read the same", async () => {
    const specs = [
      { id: 'label', header: 'Position', width: 19, align: 'left' as const, priority: 0, flex: true },
      { id: 'qty', header: 'Qty', width: 4, align: 'right' as const, priority: 0 },
    ];
    const row = (id: string, strike: string) => ({
      id,
      kind: 'row' as const,
      cells: { label: { text: `SPX 20270219 ${strike} P`, narrow: `SPX ${strike}P 270219` }, qty: { text: '2' } },
    });
    const list = (width: number): ListVM => ({
      pane: 'positions',
      info: '',
      columns: fitColumns(specs, width),
      total: 3,
      rows: [row('a', '5700'), row('b', '5400'), { id: 'c', kind: 'row', cells: { label: { text: 'AAPL', narrow: 'never shown' }, qty: { text: '5' } } }],
      context: { rows: [], height: 5, top: 0 },
    });
    const wide = renderTui(<Table list={list(30)} focused height={5} />, { columns: 31, rows: 6 });
    open.push(wide);
    const w = await wide.waitForFrame((f) => f.includes('5400'));
    expect(w.split('\n').slice(1, 4)).toEqual([' SPX 20270219 5700 P          2', ' SPX 20270219 5400 P          2', ' AAPL                         5']);
    // 14 cells for the name: the full label would be cut inside its expiry ("SPX 20270219 …"), both rows alike.
    const narrow = renderTui(<Table list={list(19)} focused height={5} />, { columns: 20, rows: 6 });
    open.push(narrow);
    const n = await narrow.waitForFrame((f) => f.includes('5400'));
    expect(n.split('\n').slice(1, 4)).toEqual([' SPX 5700P 270…    2', ' SPX 5400P 270…    2', ' AAPL              5']);
  });
});

describe('Text (memoised)', () => {
  it('draws a change of words or of style although equal lines are not rendered again', async () => {
    const { Line } = await import('../../src/views/components/Line.js');
    const { Text: MemoText } = await import('../../src/views/components/Text.js');
    const { useState } = await import('react');
    let renders = 0;
    let set: ((cells: { text: string; slot?: 'risk.breach' | 'risk.ok' }[]) => void) | undefined;
    let tick: (() => void) | undefined;
    // Rendered again on every change of the scene, with a new list of cells each time.
    function Probe({ cells }: { readonly cells: readonly { text: string; slot?: 'risk.breach' | 'risk.ok' }[] }) {
      renders++;
      return <Line cells={cells} />;
    }
    function Scene() {
      const [cells, setCells] = useState<{ text: string; slot?: 'risk.breach' | 'risk.ok' }[]>([{ text: 'P&L ' }, { text: '+100', slot: 'risk.ok' }]);
      const [n, setN] = useState(0);
      set = setCells;
      tick = () => setN((x) => x + 1);
      return (
        <>
          <Probe cells={cells.map((c) => ({ ...c }))} />
          <MemoText>{`tick ${n}`}</MemoText>
        </>
      );
    }
    // Colours on (the test's stdout is no terminal): a change of colour alone must reach the screen.
    const { default: chalk } = await import('chalk');
    const level = chalk.level;
    chalk.level = 2;
    onTestFinished(() => {
      chalk.level = level;
    });
    const tui = renderTui(<Scene />, { columns: 40, rows: 5 });
    open.push(tui);
    await tui.waitForFrame((f) => f.includes('+100') && f.includes('tick 0'), 'the first frame');
    const okFrame = tui.lastRawFrame();
    tick!();
    await tui.waitForFrame((f) => f.includes('tick 1'), 'the tick');
    // The line was rendered again with equal cells: the same bytes on screen.
    expect(tui.lastRawFrame().split('\n')[0]).toBe(okFrame.split('\n')[0]);
    set!([{ text: 'P&L ' }, { text: '+100', slot: 'risk.breach' }]);
    await tui.waitForFrame(() => tui.lastRawFrame().split('\n')[0] !== okFrame.split('\n')[0], 'the new colour');
    expect(tui.lastFrame()).toContain('+100');
    set!([{ text: 'P&L ' }, { text: '-250', slot: 'risk.breach' }]);
    await tui.waitForFrame((f) => f.includes('-250'), 'the new words');
    expect(renders).toBeGreaterThanOrEqual(4);
  });
});
