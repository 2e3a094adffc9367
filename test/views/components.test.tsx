// Components on their own: a failing pane shows its error in place, the table marks selection without colour.
import { Text } from 'ink';
import { afterEach, describe, expect, it } from 'vitest';
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
});
