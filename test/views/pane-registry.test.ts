// One registry entry per pane: its focus key, its sorts, its title in the tab bar and help, its place in the sidebar.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BINDINGS, PANE_IDS } from '../../src/keymap/bindings.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { layoutFor, SIDEBAR_MIN } from '../../src/views/layout.js';
import { FROZEN_AGE_STEP_MS, PANES, PANE_LIST } from '../../src/views/panes/registry.js';
import { initialUi, reduceUi } from '../../src/views/ui-state.js';
import { buildViewModel } from '../../src/views/view-model.js';
import { bookState } from '../support/book.js';

const state = bookState();
const risk = createStressRunner()(state, state.lastEventAt);
const input = (ui = initialUi(), size = { columns: 80, rows: 24 }) => ({
  snapshot: { state, live: state, risk, now: state.lastEventAt, version: 1 },
  ui,
  size,
  mode: 'demo' as const,
  trading: 'readOnly' as const,
  bindings: DEFAULT_BINDINGS,
  problems: [],
});

describe('the pane registry', () => {
  it('has exactly one entry per pane, in keymap order, each under its own id', () => {
    expect(PANE_LIST.map((p) => p.id)).toEqual([...PANE_IDS]);
    for (const id of PANE_IDS) expect(PANES[id].id).toBe(id);
  });

  it("each entry's key focuses its pane, and sort.next cycles its own sorts back to the first", () => {
    for (const entry of PANE_LIST) {
      let ui = reduceUi(initialUi({ focus: entry.id === 'orders' ? 'stress' : 'orders', accountsPane: true }), { type: 'command', command: entry.key });
      expect(ui.focus).toBe(entry.id);
      expect(ui.lists[entry.id].sort.key).toBe(entry.sorts[0]!.key);
      const seen = [];
      for (let i = 0; i < entry.sorts.length; i++) {
        ui = reduceUi(ui, { type: 'command', command: 'sort.next' });
        seen.push(ui.lists[entry.id].sort.key);
      }
      expect(seen).toEqual([...entry.sorts.slice(1), entry.sorts[0]!].map((s) => s.key));
    }
  });

  it("the tab bar, the pane titles and the help title are the entries' titles; the sidebar holds the sidebar entries", () => {
    const vm = buildViewModel(input());
    // One account: no Accounts pane, its key focuses nothing; several: its tab is the seventh.
    expect(vm.tabs.map((t) => t.label)).toEqual(PANE_LIST.filter((p) => p.id !== 'accounts').map((p, i) => `${i + 1} ${p.title}`));
    expect(reduceUi(initialUi(), { type: 'command', command: 'pane.accounts' }).focus).toBe('positions');
    const seven = (columns: number) => buildViewModel(input(initialUi({ accountsPane: true }), { columns, rows: 24 })).tabs.map((t) => t.label);
    expect(seven(100)).toEqual(PANE_LIST.map((p, i) => `${i + 1} ${p.title}`));
    // At 80 columns the seven titles take 88: the panes not focused (Accounts is) go by their short words (tabs.ts).
    expect(seven(80)).toEqual(['1 Acct', '2 Pos', '3 Stress', '4 Ord', '5 Exec', '6 Alerts', '7 Accounts']);
    expect(vm.titles.alerts).toBe(' 6 Alerts and log');
    const help = buildViewModel(input(reduceUi(initialUi({ focus: 'executions' }), { type: 'command', command: 'help.toggle' })));
    expect(help.help?.title).toMatch(/^Keys for Executions /);
    const side = layoutFor(SIDEBAR_MIN.columns, SIDEBAR_MIN.rows, 'positions', 'positions').body[1]!.panes.map((p) => p.pane);
    expect(side).toEqual(PANE_LIST.filter((p) => p.sidebar).map((p) => p.id));
    expect(side).toEqual(['account', 'alerts']);
  });

  it('each pane is built by its own entry, with the view model its component takes', () => {
    for (const entry of PANE_LIST) {
      const vm = buildViewModel(input(initialUi({ focus: entry.id, accountsPane: true }))).panes[entry.id];
      expect(vm?.pane).toBe(entry.id);
    }
  });
});

describe("the Stress pane's table and chart, kept while only its clock moves", () => {
  const stressOf = (vm: ReturnType<typeof buildViewModel>) => {
    const s = vm.panes.stress;
    if (s?.kind !== 'stress') throw new Error('no stress pane');
    return s;
  };
  // One UI state throughout, as the console keeps it while no key is pressed.
  const shown = initialUi({ focus: 'stress' });
  const at = (now: number, r = risk, ui = shown, size = { columns: 200, rows: 50 }) =>
    stressOf(buildViewModel({ ...input(ui, size), snapshot: { state, live: state, risk: r, now, version: 1 } }));

  it('a later second (a frozen screen) says the older age over the same table, distances and chart', () => {
    const first = at(state.lastEventAt + 2_000);
    const later = at(state.lastEventAt + 7_000);
    expect(first.info).toMatch(/as of 2s ago/);
    expect(later.info).toMatch(/as of 7s ago/);
    expect(later.stress).toBe(first.stress);
  });

  it('a new pass, another width or another subject builds them again, from what is now shown', () => {
    const first = at(state.lastEventAt);
    // A new pass on a book whose prices moved: the pane shows its figures, not the kept ones.
    const moved = bookState({ prices: { msft: '1500' } });
    const next = createStressRunner()(moved, moved.lastEventAt);
    const after = at(state.lastEventAt, next);
    expect(after.stress).not.toBe(first.stress);
    const cells = (s: typeof first) => s.stress.list.rows.map((r) => Object.values(r.cells).map((c) => c?.text));
    const fresh = stressOf(
      buildViewModel({ ...input(shown, { columns: 200, rows: 50 }), snapshot: { state: moved, live: moved, risk: next, now: state.lastEventAt, version: 2 } }),
    );
    expect(cells(after)).toEqual(cells(fresh));
    expect(cells(after)).not.toEqual(cells(first));
    const narrow = at(state.lastEventAt, next, shown, { columns: 120, rows: 40 });
    expect(narrow.stress).not.toBe(after.stress);
    expect(narrow.stress.list.columns).not.toEqual(after.stress.list.columns);
    const other = reduceUi(shown, { type: 'command', command: 'stress.columns' });
    expect(at(state.lastEventAt, next, other).stress).not.toBe(after.stress);
  });
});

describe('frozen, the ages of what the panes hold move in steps from the freeze', () => {
  const wide = { columns: 200, rows: 50 };
  // One UI state throughout, as the console keeps it while no key is pressed.
  const ui = initialUi();
  const vmAt = (now: number, frozenAt?: number) =>
    buildViewModel({
      ...input(ui, wide),
      snapshot: { state, live: state, risk, now, version: 1, ...(frozenAt !== undefined ? { frozen: { at: frozenAt, seq: state.lastSeq } } : {}) },
    });
  const ages = (vm: ReturnType<typeof buildViewModel>) => {
    const a = vm.panes.account;
    if (a?.kind !== 'account') throw new Error('no account pane');
    return a.account.rows.map((r) => r.cells.age?.text);
  };
  const t0 = state.lastEventAt + 12_000;

  it('live, every second; frozen, the same ages (and pane) until the next step, then the ages of that step', () => {
    expect(FROZEN_AGE_STEP_MS).toBe(10_000);
    expect(ages(vmAt(t0))).toContain('12s');
    expect(ages(vmAt(t0 + 3_000))).toContain('15s');
    const atFreeze = vmAt(t0, t0);
    expect(ages(atFreeze)).toEqual(ages(vmAt(t0)));
    // 3 and 9.9 s into the freeze: the account pane is the freeze's, object and all (nothing to draw again).
    const held = vmAt(t0 + 3_000, t0);
    expect(ages(held)).toEqual(ages(atFreeze));
    expect(held.panes.account).toBe(atFreeze.panes.account);
    expect(vmAt(t0 + 9_999, t0).panes.account).toBe(atFreeze.panes.account);
    // A step on, the ages are those of 10 s later: the held ages never hide more than a step of ageing.
    const stepped = vmAt(t0 + 10_000, t0);
    expect(ages(stepped)).toEqual(ages(vmAt(t0 + 10_000)));
    expect(ages(stepped)).toContain('22s');
    expect(ages(vmAt(t0 + 25_000, t0))).toEqual(ages(vmAt(t0 + 20_000)));
    // Thawed, the clock again.
    expect(ages(vmAt(t0 + 25_000))).toContain('37s');
  });

  it("the Stress pane's age of its pass steps with them while frozen, and moves each second live", () => {
    const info = (vm: ReturnType<typeof buildViewModel>) => (vm.panes.stress?.kind === 'stress' ? vm.panes.stress.info : '');
    const focus = initialUi({ focus: 'stress' });
    const at = (now: number, frozenAt?: number) =>
      buildViewModel({
        ...input(focus, wide),
        snapshot: { state, live: state, risk, now, version: 1, ...(frozenAt !== undefined ? { frozen: { at: frozenAt, seq: state.lastSeq } } : {}) },
      });
    expect(info(at(t0 + 4_000))).toMatch(/as of 16s ago/);
    expect(info(at(t0 + 4_000, t0))).toMatch(/as of 12s ago/);
    expect(info(at(t0 + 14_000, t0))).toMatch(/as of 22s ago/);
  });
});
