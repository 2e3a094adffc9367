// The UI reducer: focus by commands, selection by row id while rows re-sort, overlays, filters and sorts.
import { describe, expect, it } from 'vitest';
import type { CommandId } from '../../src/keymap/bindings.js';
import { initialUi, reduceUi, type ListContext, type UiState } from '../../src/views/ui-state.js';

const cmd = (ui: UiState, command: CommandId, list?: ListContext, arg?: string) =>
  reduceUi(ui, { type: 'command', command, ...(list ? { list } : {}), ...(arg !== undefined ? { arg } : {}) });

/** A list of rows: "g:" ids are group headers. */
function list(ids: string[], o: { height?: number; top?: number; selected?: string } = {}): ListContext {
  return {
    rows: ids.map((id) => ({ id, selectable: !id.startsWith('g:') })),
    height: o.height ?? 10,
    top: o.top ?? 0,
    ...(o.selected ? { selected: o.selected } : {}),
  };
}

describe('focus', () => {
  it('cycles panes with pane.next/prev and jumps with pane.<id>; the sidebar keeps its last big pane', () => {
    let ui = initialUi();
    expect(ui.focus).toBe('positions');
    ui = cmd(ui, 'pane.next');
    expect(ui.focus).toBe('stress');
    ui = cmd(ui, 'pane.account');
    expect([ui.focus, ui.main]).toEqual(['account', 'stress']);
    ui = cmd(ui, 'pane.prev');
    expect(ui.focus).toBe('alerts');
  });
});

describe('selection', () => {
  it('follows the row id when rows re-sort, skipping group headers', () => {
    let ui = initialUi();
    ui = cmd(ui, 'nav.down', list(['g:STK', '1', '2', '3'], { selected: '1' }));
    expect(ui.lists.positions.selectedId).toBe('2');
    // Rows re-sort: "2" is now last; moving down from it stays on it, up goes to its new neighbour.
    ui = cmd(ui, 'nav.up', list(['g:STK', '3', '1', 'g:OPT', '2']));
    expect(ui.lists.positions.selectedId).toBe('1');
  });

  it('lands where the row was when the selected row vanished', () => {
    let ui = cmd(initialUi(), 'nav.bottom', list(['1', '2', '3']));
    expect(ui.lists.positions).toMatchObject({ selectedId: '3', selectedIndex: 2 });
    ui = cmd(ui, 'nav.up', list(['1', '2'])); // "3" closed
    expect(ui.lists.positions.selectedId).toBe('1');
  });

  it('pages by half the visible rows and scrolls only as far as needed', () => {
    const ids = Array.from({ length: 50 }, (_, i) => String(i));
    let ui = cmd(initialUi(), 'nav.pageDown', list(ids, { height: 10, selected: '0' }));
    expect(ui.lists.positions).toMatchObject({ selectedId: '5', top: 0 });
    ui = cmd(ui, 'nav.pageDown', list(ids, { height: 10, top: 0 }));
    ui = cmd(ui, 'nav.down', list(ids, { height: 10, top: ui.lists.positions.top }));
    expect(ui.lists.positions).toMatchObject({ selectedId: '11', top: 2 });
    ui = cmd(ui, 'nav.top', list(ids, { height: 10, top: 2 }));
    expect(ui.lists.positions).toMatchObject({ selectedId: '0', top: 0 });
  });
});

describe('filter, sort and overlays', () => {
  it('filters live while typing; cancel restores the previous filter, submit keeps it', () => {
    let ui = cmd(initialUi(), 'filter.open');
    ui = reduceUi(ui, { type: 'text', text: 'aa' });
    ui = reduceUi(ui, { type: 'text', text: 'pl' });
    expect(ui.lists.positions.filter).toBe('aapl');
    ui = cmd(ui, 'input.backspace');
    expect(ui.lists.positions.filter).toBe('aap');
    ui = cmd(ui, 'input.submit');
    expect([ui.overlay, ui.lists.positions.filter]).toEqual([undefined, 'aap']);
    ui = cmd(ui, 'filter.open');
    ui = reduceUi(ui, { type: 'text', text: 'x' });
    ui = cmd(ui, 'input.cancel');
    expect(ui.lists.positions.filter).toBe('aap');
    ui = cmd(ui, 'filter.clear');
    expect(ui.lists.positions.filter).toBe('');
  });

  it('keeps a filter per pane', () => {
    let ui = cmd(initialUi(), 'filter.open', undefined, 'eur');
    ui = cmd(cmd(ui, 'pane.stress'), 'filter.open', undefined, 'crash');
    expect([ui.lists.positions.filter, ui.lists.stress.filter]).toEqual(['eur', 'crash']);
  });

  it('cycles sort keys with their natural direction and reverses', () => {
    let ui = initialUi();
    expect(ui.lists.positions.sort).toEqual({ key: 'value', desc: true });
    ui = cmd(ui, 'sort.next');
    expect(ui.lists.positions.sort).toEqual({ key: 'pnl', desc: false });
    ui = cmd(ui, 'sort.reverse');
    expect(ui.lists.positions.sort).toEqual({ key: 'pnl', desc: true });
  });

  it('toggles help and scrolls it with the navigation commands', () => {
    let ui = cmd(initialUi(), 'help.toggle');
    ui = cmd(ui, 'nav.down', { rows: [], height: 20, top: 0 });
    expect(ui.overlay).toEqual({ kind: 'help', top: 1 });
    expect(cmd(ui, 'help.close').overlay).toBeUndefined();
  });

  it('switches theme by name or in turn, and the chart subject in turn', () => {
    expect(cmd(initialUi(), 'view.theme', undefined, 'light').theme).toBe('light');
    expect(cmd(initialUi({ theme: 'light' }), 'view.theme').theme).toBe('mono');
    // The chart shows the first subject until one is chosen: "next" goes to the second.
    const shown = { rows: [], height: 1, top: 0, subjects: ['px:STK', 'px:FUT', 'fx:EUR'], subject: 'px:STK' };
    const a = cmd(initialUi(), 'stress.subjectNext', shown);
    expect(a.stressSubject).toBe('px:FUT');
    expect(cmd(a, 'stress.subjectNext', { ...shown, subject: 'px:FUT' }).stressSubject).toBe('fx:EUR');
    expect(cmd(initialUi(), 'stress.subjectPrev', shown).stressSubject).toBe('fx:EUR');
  });
});
