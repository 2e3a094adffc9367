// On an ASCII-only terminal the arrows that carry meaning become words: "sort abs value desc", "3 more below", "Down".
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BINDINGS } from '../../src/keymap/bindings.js';
import type { PortfolioState } from '../../src/model/state.js';
import { createStressRunner, type StressSubject } from '../../src/session/stress-model.js';
import { setAsciiText, textWidth, toAscii } from '../../src/views/format.js';
import { distanceText } from '../../src/views/rows/stress.js';
import type { ConsoleSnapshot } from '../../src/views/store.js';
import { initialUi, reduceUi, type UiState } from '../../src/views/ui-state.js';
import { buildViewModel, type ViewModel } from '../../src/views/view-model.js';
import { bookState } from '../support/book.js';

function snapshot(state: PortfolioState): ConsoleSnapshot {
  return { state, live: state, risk: createStressRunner()(state, state.lastEventAt), now: state.lastEventAt, version: 1 };
}

function vm(ui: UiState, size: { columns: number; rows: number }): ViewModel {
  return buildViewModel({ snapshot: snapshot(bookState()), ui, size, mode: 'live', trading: 'readOnly', bindings: DEFAULT_BINDINGS, problems: [] });
}

function positionsInfo(v: ViewModel): string {
  const p = v.panes.positions;
  if (p?.kind !== 'list') throw new Error('positions is not on screen');
  return p.list.info;
}

afterEach(() => setAsciiText(false));

describe('ASCII words for arrows', () => {
  // A short terminal: the positions (8 rows with their groups) do not all fit, so the title says what is below.
  const size = { columns: 80, rows: 10 };

  it('spells the sort direction and the rows below, where the arrow would have become a letter', () => {
    const utf = positionsInfo(vm(initialUi(), size));
    const sort = /sort (\S+)([↓↑])/.exec(utf);
    expect(sort, utf).not.toBeNull();
    const below = /↓ (\d+) more/.exec(utf);
    expect(below, utf).not.toBeNull();
    // The default sort is by size whatever the side, and says so.
    expect(sort![1]).toBe('|value|');
    // What the ASCII terminal got before: the glyphs swapped cell for cell, "sort valuev".
    expect(toAscii(utf)).toContain(`sort ${sort![1]}${sort![2] === '↓' ? 'v' : '^'}`);

    setAsciiText(true);
    const ascii = positionsInfo(vm(initialUi(), size));
    // Words, not bars: in ASCII the title's separators are drawn `|` too.
    expect(ascii).toContain(`sort abs value ${sort![2] === '↓' ? 'desc' : 'asc'}`);
    expect(ascii).toContain(`${below![1]} more below`);
    expect(ascii).not.toMatch(/[↓↑]/);
    // The other direction reads too.
    const flipped = positionsInfo(vm(reduceUi(initialUi(), { type: 'command', command: 'sort.reverse' }), size));
    expect(flipped).toContain(`sort abs value ${sort![2] === '↓' ? 'asc' : 'desc'}`);
  });

  it('names the arrow keys in help instead of drawing arrows that would read as the v and ^ keys', () => {
    const open = reduceUi(initialUi(), { type: 'command', command: 'help.toggle' });
    const keys = (v: ViewModel) => (v.help?.lines ?? []).map((l) => l.keys).join(' ');
    expect(keys(vm(open, { columns: 120, rows: 50 }))).toMatch(/↓/);
    setAsciiText(true);
    const ascii = keys(vm(open, { columns: 120, rows: 50 }));
    expect(ascii).toMatch(/\bDown\b/);
    expect(ascii).not.toMatch(/[↓↑←→]/);
  });

  it('writes a distance with none in range as "+/-50%", not "~50%" (which reads "about 50%")', () => {
    const subject = {
      key: 'px:STK',
      kind: 'px',
      label: 'Equities',
      distance: { nearest: null, range: 0.5 },
      curve: [],
      charted: false,
    } as unknown as StressSubject;
    expect(distanceText(subject).text).toBe('Equities none ±50%');
    setAsciiText(true);
    const ascii = distanceText(subject).text;
    expect(ascii).toBe('Equities none +/-50%');
    // What the screen shows is what was measured: the stream's cell-for-cell swap has nothing left to change.
    expect(toAscii(ascii)).toBe(ascii);
    expect(textWidth(ascii)).toBe(ascii.length);
  });
});
