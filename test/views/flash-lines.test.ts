// A flash message wider than the terminal wraps under itself instead of ending in "…": a refusal is read whole.
import { describe, expect, it } from 'vitest';
import { AGGREGATE_REFUSAL, GLOBAL_CANCEL_REFUSAL } from '../../src/commands/accounts-console.js';
import { DEFAULT_BINDINGS } from '../../src/keymap/bindings.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { textWidth } from '../../src/views/format.js';
import type { ConsoleSnapshot } from '../../src/views/store.js';
import { initialUi, reduceUi } from '../../src/views/ui-state.js';
import { buildViewModel, FLASH_MS, type ViewModel } from '../../src/views/view-model.js';
import { bookState } from '../support/book.js';

const state = bookState();
const snapshot: ConsoleSnapshot = { state, live: state, risk: createStressRunner()(state, state.lastEventAt), now: state.lastEventAt, version: 1 };

function vm(flash: string | undefined, columns: number, at = snapshot.now): ViewModel {
  const ui = flash === undefined ? initialUi() : reduceUi(initialUi(), { type: 'flash', text: flash, at });
  return buildViewModel({ snapshot, ui, size: { columns, rows: 24 }, mode: 'live', trading: 'trade', bindings: DEFAULT_BINDINGS, problems: [] });
}

const lines = (v: ViewModel) => [v.hint, ...(v.hintMore ?? [])].map((cells) => cells.map((c) => c.text).join(''));
const words = (s: string) => s.split(/\s+/).filter(Boolean);

describe('flash messages', () => {
  it('keep one line when they fit, and give the panes their rows back', () => {
    const v = vm('Trading disarmed', 80);
    expect(v.hintMore).toBeUndefined();
    expect(v.layout.bodyHeight).toBe(vm(undefined, 80).layout.bodyHeight);
  });

  for (const [name, text] of [
    ['the refusal on the aggregate row', AGGREGATE_REFUSAL],
    ['the refusal of a global cancel with several accounts', GLOBAL_CANCEL_REFUSAL],
  ] as const) {
    for (const columns of [80, 120]) {
      it(`show ${name} whole at ${columns} columns, each line within the width, the panes one row shorter per line`, () => {
        expect(textWidth(text)).toBeGreaterThan(columns);
        const v = vm(text, columns);
        const shown = lines(v);
        expect(shown.length).toBeGreaterThan(1);
        for (const l of shown) expect(textWidth(l), l).toBeLessThanOrEqual(columns);
        // Every word, in order, none cut: what the operator is told to do is on screen.
        expect(words(shown.join(' '))).toEqual(words(text));
        expect(shown.join(' ')).not.toContain('…');
        expect(v.layout.bodyHeight).toBe(vm(undefined, columns).layout.bodyHeight - (shown.length - 1));
      });
    }
  }

  it("in a replay count their seconds in real time, not on the recording's clock, which pauses and jumps", () => {
    const wall = 1_800_000_000_000;
    const replayVm = (now: number, wallNow: number) =>
      buildViewModel({
        snapshot: { ...snapshot, now, wall: wallNow },
        ui: reduceUi(initialUi(), { type: 'flash', text: 'no later marker', at: wall }),
        size: { columns: 80, rows: 24 },
        mode: 'replay',
        trading: 'replay',
        bindings: DEFAULT_BINDINGS,
        problems: [],
      });
    const shown = (v: ViewModel) => lines(v).join(' ').includes('no later marker');
    // Paused: the recorded clock stands still; the flash goes after its seconds all the same (it stayed for good).
    expect(shown(replayVm(snapshot.now, wall + FLASH_MS - 1))).toBe(true);
    expect(shown(replayVm(snapshot.now, wall + FLASH_MS + 1))).toBe(false);
    // A seek an hour back: still gone on time (it stayed until the recording caught up).
    expect(shown(replayVm(snapshot.now - 3_600_000, wall + FLASH_MS + 1))).toBe(false);
    // Played at 60x: still readable for its seconds (it went after a tenth of one).
    expect(shown(replayVm(snapshot.now + 60 * 1000, wall + 1000))).toBe(true);
  });

  it('leave with the flash: once it has timed out the hint line is one line again', () => {
    const v = vm(AGGREGATE_REFUSAL, 80, snapshot.now - FLASH_MS - 1);
    expect(v.hintMore).toBeUndefined();
    expect(lines(v).join(' ')).not.toContain('Refused');
  });
});
