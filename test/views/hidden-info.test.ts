// List panes say what the terminal hides: "+3 columns" dropped for width, "↓ 2 more" rows below the window.
import { describe, expect, it } from 'vitest';
import { ORDER_COLUMNS, ordersVM } from '../../src/views/rows/orders.js';
import { POSITION_COLUMNS, positionsVM } from '../../src/views/rows/positions.js';
import { initialUi } from '../../src/views/ui-state.js';
import { fitInfo } from '../../src/views/rows/common.js';
import { T0, bookState } from '../support/book.js';

const ui = initialUi();

describe('hidden columns and rows', () => {
  it('counts the columns the width dropped, and says nothing when every column fits', () => {
    const state = bookState();
    const narrow = positionsVM(state, undefined, ui.lists.positions, 'class', 60, 30);
    const headers = narrow.columns.map((c) => c.header);
    const dropped = POSITION_COLUMNS.filter((c) => !headers.some((h) => h === c.header || (c.id === 'base' && h.startsWith('Value ')))).length;
    expect(dropped).toBeGreaterThan(0);
    expect(narrow.info).toContain(`+${dropped} column`);
    const wide = positionsVM(state, undefined, ui.lists.positions, 'class', 400, 30);
    expect(wide.columns).toHaveLength(POSITION_COLUMNS.length);
    expect(wide.info).not.toMatch(/\+\d+ column/);
  });

  it('counts the rows below the window, and the rows above once scrolled', () => {
    const state = bookState();
    // The book's five positions under their class headings (book.ts): eight lines; a pane 5 rows tall shows four.
    const top = positionsVM(state, undefined, ui.lists.positions, 'class', 200, 5);
    expect(top.context.rows).toHaveLength(8);
    expect(top.rows).toHaveLength(4);
    expect(top.info).toContain('↓ 4 more');
    expect(top.info).not.toContain('above');
    const end = positionsVM(state, undefined, { ...ui.lists.positions, selectedIndex: 99 }, 'class', 200, 5);
    expect(end.info).toContain('↑ 4 above');
    expect(end.info).not.toContain('more');
    const all = positionsVM(state, undefined, ui.lists.positions, 'class', 200, 30);
    expect(all.info).not.toMatch(/more|above/);
  });

  it('holds for the Orders pane too', () => {
    const state = bookState();
    const vm = ordersVM(state, ui.lists.orders, 40, 10, T0);
    expect(vm.info).toContain(`+${ORDER_COLUMNS.length - vm.columns.length} column`);
  });
});

describe('a pane title too long for its width', () => {
  const info = '88 scenarios · 2 BREACH · by currency · sort scenario↑ · +9 columns · ↓ 81 more';
  it('drops whole facts, grouping and sort first, then from the end, never cutting one mid-number', () => {
    expect(fitInfo(info, 200)).toBe(info);
    expect(fitInfo(info, info.length - 1)).toBe('88 scenarios · 2 BREACH · by currency · +9 columns · ↓ 81 more');
    expect(fitInfo(info, 50)).toBe('88 scenarios · 2 BREACH · +9 columns · ↓ 81 more');
    expect(fitInfo(info, 40)).toBe('88 scenarios · 2 BREACH · +9 columns');
    expect(fitInfo(info, 12)).toBe('88 scenarios');
    expect(fitInfo(info, 11)).toBe('');
    for (let room = 0; room <= info.length; room++) {
      const fitted = fitInfo(info, room);
      expect(fitted.length).toBeLessThanOrEqual(room);
      // Every fact shown is one of the pane's, whole.
      for (const part of fitted ? fitted.split(' · ') : []) expect(info.split(' · ')).toContain(part);
    }
  });
});
