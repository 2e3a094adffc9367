// The view model is a pure function of snapshot, UI state and size: exact rows, words for every state, only visible rows.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BINDINGS } from '../../src/keymap/bindings.js';
import { DEFAULT_ALERT_CONFIG, evaluateOnce } from '../../src/risk/alerts/index.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduceAll } from '../../src/model/reducer.js';
import type { PortfolioState } from '../../src/model/state.js';
import { marginBand } from '../../src/views/rows/account.js';
import type { ListVM } from '../../src/views/rows/common.js';
import type { ConsoleSnapshot } from '../../src/views/store.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { initialUi, reduceUi, type UiState } from '../../src/views/ui-state.js';
import { reduce } from '../../src/model/reducer.js';
import { buildViewModel, HELP_KEYS_WIDTH, type ViewModel } from '../../src/views/view-model.js';
import { ACCOUNT, MSFT, T0, bookState } from '../support/book.js';
import { EventLog, portfolio, stock } from '../support/events.js';

/** A snapshot as the store would publish it: risk from the real runner, alerts from one look of the real rules. */
function snapshot(state: PortfolioState, o: Partial<ConsoleSnapshot> = {}): ConsoleSnapshot {
  const risk = createStressRunner()(state, state.lastEventAt);
  const alerts = evaluateOnce({ state, config: DEFAULT_ALERT_CONFIG, now: state.lastEventAt, ...(risk.ok ? { stress: risk.report } : {}) });
  return { state, live: state, risk, alerts, now: state.lastEventAt, version: 1, ...o };
}

function vm(snap: ConsoleSnapshot, ui: UiState = initialUi(), size = { columns: 80, rows: 24 }, trading: 'readOnly' | 'trade' = 'readOnly'): ViewModel {
  return buildViewModel({ snapshot: snap, ui, size, mode: 'live', trading, bindings: DEFAULT_BINDINGS, problems: [] });
}

function list(v: ViewModel, pane: 'positions' | 'orders' | 'executions'): ListVM {
  const p = v.panes[pane];
  if (p?.kind !== 'list') throw new Error(`${pane} is not on screen`);
  return p.list;
}

const text = (cells: readonly { text: string }[]) => cells.map((c) => c.text).join(' ');

describe('positions', () => {
  it('groups by asset class, flags the unpriced, and keeps only the columns that fit 80 columns', () => {
    const p = list(vm(snapshot(bookState())), 'positions');
    expect(p.rows.map((r) => (r.kind === 'group' ? r.label : r.cells.label!.text))).toEqual([
      'OPT · 1 · 8,200 USD',
      'AAPL 20270219 240 C',
      'STK · 3 · 232,470 USD',
      'AAPL',
      'SAP',
      'MSFT',
      'XYZ · 1 · 500 USD · 1 UNPRICED',
      'XYZ',
    ]);
    expect(p.columns.map((c) => c.id)).toEqual(['label', 'qty', 'mark', 'base', 'pnl', 'worst', 'flag']);
    const xyz = p.rows.find((r) => r.id === '900001')!;
    expect(xyz.cells.flag).toEqual({ text: 'UNPRICED', slot: 'data.unpriced' });
    const sap = p.rows.find((r) => r.id === '14204')!;
    expect(sap.cells.base!.text).toBe('77,220'); // 300 × 234 EUR × 1.10
    expect(sap.cells.pnl!.text).toBe('+11,220');
  });

  it('keeps Worst% at the sidebar width (120x30): the mark goes before the worst-case loss, then the P&L', () => {
    const side = list(vm(snapshot(bookState()), initialUi(), { columns: 120, rows: 30 }), 'positions');
    expect(side.columns.map((c) => c.id)).toEqual(['label', 'qty', 'base', 'pnl', 'worst', 'flag']);
    // Narrower still (60 columns): the P&L goes, Worst% stays.
    const narrow = list(vm(snapshot(bookState()), initialUi(), { columns: 60, rows: 24 }), 'positions');
    expect(narrow.columns.map((c) => c.id)).toContain('worst');
    expect(narrow.columns.map((c) => c.id)).not.toContain('pnl');
  });

  it('shows local value, delta and IV at 200 columns, and groups by currency on request', () => {
    const ui = reduceUi(initialUi(), { type: 'command', command: 'positions.group' });
    const p = list(vm(snapshot(bookState()), ui, { columns: 200, rows: 50 }), 'positions');
    expect(p.columns.map((c) => c.id)).toEqual(expect.arrayContaining(['local', 'delta', 'iv', 'class', 'ccy']));
    expect(p.rows.filter((r) => r.kind === 'group').map((r) => r.label!.split(' · ')[0])).toEqual(['EUR', 'USD']);
    const call = p.rows.find((r) => r.id === '700001')!;
    expect([call.cells.delta!.text, call.cells.iv!.text]).toEqual(['0.41', '27.0%']);
  });

  it('keeps the selection on the same conId while a price change re-sorts the rows', () => {
    let ui = initialUi();
    ui = reduceUi(ui, { type: 'select', pane: 'positions', id: String(MSFT.conId) });
    const before = list(vm(snapshot(bookState()), ui), 'positions');
    expect(before.selectedId).toBe('272093');
    const order = (l: ListVM) => l.rows.filter((r) => r.kind === 'row').map((r) => r.cells.label!.text);
    expect(order(before).slice(1, 4)).toEqual(['AAPL', 'SAP', 'MSFT']);
    const after = list(vm(snapshot(bookState({ prices: { msft: '1500' } })), ui), 'positions');
    expect(order(after).slice(1, 4)).toEqual(['MSFT', 'AAPL', 'SAP']);
    expect(after.selectedId).toBe('272093');
  });

  it('renders only the visible rows of a large book, and the navigation context covers all of them', () => {
    const log = new EventLog(T0);
    log.push({ type: 'healthChanged', health: 'ready' });
    log.push({ type: 'accountValueUpdated', account: ACCOUNT, key: 'NetLiquidation', currency: 'USD', value: '1000000' });
    for (let i = 0; i < 2000; i++) log.push(portfolio(ACCOUNT, stock(10_000 + i, `S${i}`, 'USD'), String(1 + (i % 50)), String(10 + i)));
    const state = reduceAll(log.events);
    const p = list(vm({ state, live: state, now: state.lastEventAt, version: 1 }), 'positions');
    expect(p.total).toBe(2000);
    expect(p.rows.length).toBeLessThanOrEqual(24);
    expect(p.context.rows).toHaveLength(2001); // one group header
  });
});

describe('account and margin bands', () => {
  it("puts each band into words, from TWS's colour codes and IBKR's 110% warning", () => {
    const d = (elv: string) => marginBand(dec(elv), dec('100000'));
    expect(['120000', '109000', '104000', '100500', '99999'].map(d)).toEqual(['ok', 'warn', 'near', 'depleted', 'breach']);
    const v = vm(snapshot(bookState({ elv: '104000', maint: '100000' })), reduceUi(initialUi(), { type: 'command', command: 'pane.account' }));
    const acc = v.panes.account;
    expect(acc?.kind === 'account' && acc.account.bandText).toBe('WITHIN 5% of maintenance');
    expect(acc?.info).toMatch(/cushion 0\.8% · WITHIN 5%/);
  });

  it('shows the reported value beside our estimate, with ages', () => {
    const v = vm(snapshot(bookState()), reduceUi(initialUi(), { type: 'command', command: 'pane.account' }));
    const acc = v.panes.account;
    if (acc?.kind !== 'account') throw new Error('no account pane');
    const nlv = acc.account.rows.find((r) => r.id === 'NetLiquidation')!;
    expect(nlv.cells.total!.text).toBe('500,000');
    expect(nlv.cells.estimate!.text).toMatch(/^\d{3},\d{3}$/);
    expect(nlv.cells.age!.text).toBe('0s');
  });
});

describe('stress', () => {
  // Excess liquidity 22,000 at no shock; equities falling 10% or more take it below zero.
  const tight = () => bookState({ nlv: '100000', elv: '80000', maint: '58000', init: '90000' });

  it('marks scenarios that breach or warn with words, and alerts on them', () => {
    const ui = reduceUi(initialUi(), { type: 'command', command: 'pane.stress' });
    const v = vm(snapshot(tight()), ui, { columns: 120, rows: 40 });
    const s = v.panes.stress;
    if (s?.kind !== 'stress') throw new Error('no stress pane');
    const crash = s.stress.list.rows.find((r) => r.cells.label!.text === 'Equities −30%')!;
    expect(crash.cells.flag).toEqual({ text: 'BREACH', slot: 'risk.breach' });
    expect(crash.cells.total!.slot).toBe('heat.loss3');
    expect(s.info).toMatch(/\d+ BREACH/);
    const alerts = v.panes.alerts;
    expect(alerts?.kind === 'alerts' && text(alerts.alerts.alerts)).toMatch(/WARNING "Equities −30%" would liquidate this account/);
    expect(text(v.status)).toMatch(/ \d WARNING /);
  });

  it("gives the risk's age on the market's clock: TWS a year ahead of this machine does not make it a year old", () => {
    const base = tight();
    const log = new EventLog(base.lastEventAt);
    // TWS says it is a year later than this machine thinks (a simulator started elsewhere, a wrong box clock).
    const ev = log.push({ type: 'brokerTimeReceived', time: base.lastEventAt + 365 * 86_400_000 }, base.lastEventAt + 1000);
    const state = reduce({ ...base, lastSeq: 0 }, ev);
    const ui = reduceUi(initialUi(), { type: 'command', command: 'pane.stress' });
    const v = vm(snapshot(state, { now: state.lastEventAt + 5_000 }), ui, { columns: 120, rows: 40 });
    const s = v.panes.stress;
    if (s?.kind !== 'stress') throw new Error('no stress pane');
    expect(s.info).toMatch(/as of 5s ago/);
  });

  it('charts P&L against the shock for the chosen subject, with x where excess liquidity goes negative', () => {
    const ui = reduceUi(initialUi(), { type: 'command', command: 'pane.stress' });
    const v = vm(snapshot(tight()), ui, { columns: 120, rows: 40 });
    const s = v.panes.stress;
    if (s?.kind !== 'stress') throw new Error('no stress pane');
    expect(s.stress.subject).toBe('px:STK');
    expect(s.stress.chart?.title).toMatch(/P&L \(USD\) vs Equities shock, % · x = excess liquidity below 0/);
    const axis = s.stress.chart!.lines.find((l) => l[0]!.text.trim() === '0')!;
    expect(text(axis)).toMatch(/x/);
    expect(text(s.stress.distances)).toMatch(/Liquidation at: Equities -\d+\.\d%/);
  });

  it("lists the largest underlyings alone in the liquidation line, each at the report's distance for it", () => {
    const st = tight();
    const ui = reduceUi(initialUi(), { type: 'command', command: 'pane.stress' });
    const snap = snapshot(st);
    const s = vm(snap, ui, { columns: 400, rows: 40 }).panes.stress;
    if (s?.kind !== 'stress') throw new Error('no stress pane');
    const report = snap.risk?.ok ? snap.risk.report : undefined;
    if (!report) throw new Error('no risk report');
    expect(report.nameDistance.length).toBeGreaterThanOrEqual(2);
    const line = text(s.stress.distances);
    for (const d of report.nameDistance) {
      const name = d.key.slice(4);
      const shown = d.nearest === null ? 'none' : `${d.nearest > 0 ? '+' : '-'}${Math.abs(d.nearest * 100).toFixed(1)}%`;
      expect(line).toContain(`${name} alone ${shown}`);
    }
    // And a name's P&L curve can be charted like a class's.
    expect(s.stress.subjects).toContain(report.nameDistance[0]!.key);
  });

  it('a breach already on says which move would cure it', () => {
    const ui = reduceUi(initialUi(), { type: 'command', command: 'pane.stress' });
    const s = vm(snapshot(bookState({ nlv: '100000', elv: '50000', maint: '58000', init: '90000' })), ui, { columns: 400, rows: 40 }).panes.stress;
    if (s?.kind !== 'stress') throw new Error('no stress pane');
    expect(text(s.stress.distances)).toMatch(/BREACH now \(([+-]\d+\.\d% cures it|no move in range cures it)\)/);
  });
});

describe('status bar', () => {
  it('says PAPER for a DU account, READY with the data age, READ-ONLY and the clock', () => {
    const st = bookState();
    expect(text(vm(snapshot(st, { now: st.lastEventAt + 3_000, alerts: [] })).status)).toMatch(
      /^ PAPER  127\.0\.0\.1:7497 DU1234567 USD READY data 3s READ-ONLY \d\d:\d\d:\d\d$/,
    );
    // The concentration rule warns on this book (AAPL over 40% of gross): counted in the status bar, tabs or not.
    expect(text(vm(snapshot(st)).status)).toMatch(/READY data 0s [1-9] WARNING READ-ONLY/);
  });

  it('says STALE with the age after 30 s without prices, and the health when not connected', () => {
    const st = bookState();
    expect(text(vm(snapshot(st, { now: st.lastEventAt + 45_000 })).status)).toMatch(/READY STALE 45s/);
    const down = bookState({ extra: [{ type: 'healthChanged', health: 'disconnected', reason: 'socket closed' } as FeedEventBody] });
    expect(text(vm(snapshot(down)).status)).toMatch(/DISCONNECTED \(socket closed\) data 0s old/);
  });

  it('marks the figures line STALE with its age while the status bar says the data is old, and not while ready', () => {
    const down = bookState({ extra: [{ type: 'healthChanged', health: 'disconnected', reason: 'socket closed' } as FeedEventBody] });
    const v = vm(snapshot(down, { now: down.lastEventAt + 125_000 }), initialUi(), { columns: 200, rows: 50 });
    expect(text(v.status)).toMatch(/DISCONNECTED \(socket closed\) data 2m old/);
    expect(text(v.figures)).toMatch(/^STALE as of 2m ago Net liq 500,000 /);
    const ready = bookState();
    expect(text(vm(snapshot(ready, { now: ready.lastEventAt + 3_000 }), initialUi(), { columns: 200, rows: 50 }).figures)).toMatch(/^Net liq 500,000 /);
  });

  it('shows ARMED with time left only in a trading session, and FROZEN with what arrived since', () => {
    const armed = bookState({ extra: [{ type: 'operatorActed', action: 'armed', detail: { until: T0 + 300_000, by: 'palette', account: ACCOUNT } }] });
    // Time left rounds up: a 5-minute arming reads 5m until a whole minute has gone, then seconds in its last minute.
    const at = (now: number) => text(vm(snapshot(armed, { now }), initialUi(), undefined, 'trade').status);
    expect(at(T0)).toMatch(/ ARMED 5m /);
    expect(at(T0 + 59_000)).toMatch(/ ARMED 5m /);
    expect(at(T0 + 60_000)).toMatch(/ ARMED 4m /);
    expect(at(T0 + 250_000)).toMatch(/ ARMED 50s /);
    expect(text(vm(snapshot(armed)).status)).toMatch(/READ-ONLY/);
    const frozen = vm(snapshot(armed, { frozen: { at: T0, seq: armed.lastSeq - 3 } }));
    expect(text(frozen.status)).toMatch(/ FROZEN \d\d:\d\d:\d\d \+3 /);
  });

  it("shows the market's clock (TWS's time), labelled with its date when it is another day than the wall clock's", () => {
    const local = (ms: number) => {
      const d = new Date(ms);
      const two = (n: number) => String(n).padStart(2, '0');
      return {
        day: `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`,
        time: `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`,
      };
    };
    // A demo pinned by --start: the simulator answers currentTime on its own calendar (here a March afternoon).
    const march = Date.UTC(2026, 2, 2, 14, 30, 5);
    const pinned = bookState({ extra: [{ type: 'brokerTimeReceived', time: march }] });
    const bar = text(vm(snapshot(pinned), initialUi(), { columns: 200, rows: 50 }).status);
    // The console's own clock (its log, arming and FROZEN times) named beside it, never unlabelled.
    expect(bar).toMatch(new RegExp(` market ${local(march).day} ${local(march).time} · console ${local(pinned.lastEventAt).time}$`));
    // On a short bar the date goes first (then the endpoint); the word "market" stays with the time.
    const short = text(vm(snapshot(pinned), initialUi(), { columns: 80, rows: 24 }).status);
    expect(short).toMatch(new RegExp(` READ-ONLY market ${local(march).time}$`));
    expect(short).not.toContain(local(march).day);
    // The same day, five minutes apart (T0 is 14:30 UTC: no time zone puts that within five minutes of midnight):
    // labelled, no date.
    const later = bookState({ extra: [{ type: 'brokerTimeReceived', time: T0 + 300_000 }] });
    expect(text(vm(snapshot(later), initialUi(), { columns: 200, rows: 50 }).status)).toMatch(
      new RegExp(` market ${local(T0 + 300_000).time} · console ${local(later.lastEventAt).time}$`),
    );
    // A skew of seconds is the same clock: TWS's time, unlabelled.
    const skew = bookState({ extra: [{ type: 'brokerTimeReceived', time: T0 + 3_000 }] });
    const plain = text(vm(snapshot(skew), initialUi(), { columns: 200, rows: 50 }).status);
    expect(plain).toMatch(new RegExp(` ${local(T0 + 3_000).time}$`));
    expect(plain).not.toContain('market');
  });

  it('drops the endpoint first when the bar does not fit', () => {
    const st = bookState();
    const narrow = text(vm(snapshot(st, { frozen: { at: T0, seq: st.lastSeq } }), initialUi(), { columns: 60, rows: 24 }).status);
    expect(narrow).not.toMatch(/127\.0\.0\.1/);
    expect(narrow).toMatch(/DU1234567 .*READY.*READ-ONLY.*FROZEN/);
  });
});

describe('status bar at 40 columns', () => {
  const narrow = { columns: 40, rows: 24 };
  /** The bar as a terminal 40 columns wide shows it: every cell whole, or not there. */
  const bar = (snap: ConsoleSnapshot, trading: 'readOnly' | 'trade') => {
    const cells = vm(snap, initialUi(), narrow, trading).status;
    expect(text(cells).length).toBeLessThanOrEqual(narrow.columns);
    for (const c of cells) expect(c.text).not.toContain('…');
    return text(cells);
  };

  it('shortens state words whole ("TRADE disarmed" to DISARMED) rather than letting the edge cut them', () => {
    const st = bookState();
    const b = bar(snapshot(st, { alerts: [] }), 'trade');
    expect(b).toMatch(/\bDISARMED$/);
    expect(b).not.toMatch(/TRADE di|READY d[^a]/);
    const armed = bookState({ extra: [{ type: 'operatorActed', action: 'armed', detail: { until: T0 + 300_000, by: 'palette', account: ACCOUNT } }] });
    expect(bar(snapshot(armed, { now: T0 }), 'trade')).toMatch(/\bARMED 5m\b/);
  });

  it('gives up the warning count, then the account, before a state word, and keeps the critical count', () => {
    // ExcessLiquidity below zero (critical), with the book's concentration warning beside it.
    const st = bookState({ elv: '90000', maint: '100000' });
    const s = snapshot(st);
    expect(s.alerts?.some((a) => a.severity === 'critical')).toBe(true);
    expect(s.alerts?.some((a) => a.severity === 'warning')).toBe(true);
    const b = bar(s, 'trade');
    expect(b).toMatch(/\b\d CRIT\b/);
    expect(b).toMatch(/\bDISARMED$/);
    expect(b).not.toMatch(/WARN/);
    expect(b).toContain('DU1234567');
    // Frozen and armed on top: the facts that stay are whole words still.
    const armed = bookState({
      elv: '90000',
      maint: '100000',
      extra: [{ type: 'operatorActed', action: 'armed', detail: { until: T0 + 300_000, by: 'palette', account: ACCOUNT } }],
    });
    const frozen = bar(snapshot(armed, { now: T0, frozen: { at: T0, seq: armed.lastSeq - 3 } }), 'trade');
    expect(frozen).toMatch(/\bARMED 5m\b/);
    expect(frozen).toMatch(/\bFROZEN \+3$/);
    expect(frozen).toMatch(/\bCRIT\b/);
    expect(frozen).not.toContain('DU1234567'); // the account went whole, next after the warnings
    expect(frozen).toMatch(/^PAPER READY 0s /);
  });
});

describe('layout', () => {
  it('uses tabs at 80x24, a sidebar at 120x40 and every pane at 200x50', () => {
    const s = snapshot(bookState());
    expect(Object.keys(vm(s).panes)).toEqual(['positions']);
    // At 120x40 Positions fills its rows and Stress takes the rest of the main column; at 120x30 Positions is alone.
    expect(Object.keys(vm(s, initialUi(), { columns: 120, rows: 40 }).panes).sort()).toEqual(['account', 'alerts', 'positions', 'stress']);
    expect(Object.keys(vm(s, initialUi(), { columns: 120, rows: 30 }).panes).sort()).toEqual(['account', 'alerts', 'positions']);
    expect(Object.keys(vm(s, initialUi(), { columns: 200, rows: 50 }).panes).sort()).toEqual([
      'account',
      'alerts',
      'executions',
      'orders',
      'positions',
      'stress',
    ]);
  });

  it('sidebar: Positions as tall as its rows, Stress under it (at least 12 rows, at most 45%), in that order whichever has the focus', () => {
    const s = snapshot(bookState());
    const rows = s.state.portfolio.size;
    const groups = new Set([...s.state.portfolio.values()].map((r) => r.contract.secType)).size;
    const main = (ui: ReturnType<typeof initialUi>, size = { columns: 120, rows: 40 }) => vm(s, ui, size).layout.body[0]!.panes.map((p) => [p.pane, p.height]);
    const body = vm(s, initialUi(), { columns: 120, rows: 40 }).layout.bodyHeight;
    // Positions' title, header, a row per position and per class group; Stress the rest, within its bounds.
    const want = 1 + 1 + rows + groups;
    const stress = Math.max(12, Math.min(Math.floor((body * 45) / 100), body - want));
    expect(main(initialUi())).toEqual([
      ['positions', body - stress],
      ['stress', stress],
    ]);
    expect(main(initialUi({ focus: 'stress' }))).toEqual(main(initialUi()));
    // Another main pane (Orders) has the column to itself.
    expect(main(initialUi({ focus: 'orders' }))).toEqual([['orders', body]]);
    // A longer book: Positions keeps the rows it fills and Stress gets less than its 45% (the book's rows decide).
    const more = Array.from({ length: 14 }, (_, i) => portfolio(ACCOUNT, stock(990_000 + i, `X${i}`, 'USD'), '10', '100'));
    const long = snapshot(bookState({ extra: more }));
    const longWant = 1 + 1 + long.state.portfolio.size + new Set([...long.state.portfolio.values()].map((r) => r.contract.secType)).size;
    const longStress = Math.max(12, body - longWant);
    expect(longStress).toBeLessThan(Math.floor((body * 45) / 100));
    expect(vm(long, initialUi(), { columns: 120, rows: 40 }).layout.body[0]!.panes.map((b) => [b.pane, b.height])).toEqual([
      ['positions', body - longStress],
      ['stress', longStress],
    ]);
  });

  it("hides the panes behind help, which lists the focused pane's keys", () => {
    const v = vm(snapshot(bookState()), reduceUi(initialUi(), { type: 'command', command: 'help.toggle' }));
    expect(v.panes).toEqual({});
    expect(v.help?.title).toBe('Keys for Positions (? closes)');
  });

  it('wraps a long description in help at 80 columns instead of cutting it: trade.arm says what to type', () => {
    const v = vm(snapshot(bookState()), reduceUi(initialUi(), { type: 'command', command: 'help.toggle' }), { columns: 80, rows: 24 }, 'trade');
    const lines = v.help!.lines;
    for (const l of lines) expect(HELP_KEYS_WIDTH + l.text.length + (l.disabled && !l.continued ? l.disabled.length + 3 : 0)).toBeLessThanOrEqual(80);
    const at = lines.findIndex((l) => l.keys === ':trade.arm');
    const described = [
      lines[at]!.text,
      ...lines
        .slice(at + 1)
        .filter((l, i, rest) => rest.slice(0, i + 1).every((x) => x.continued))
        .map((l) => l.text),
    ];
    expect(described.join(' ')).toContain('(type the last four characters of the account)');
  });

  it('offers palette matches for every typed word, with the disabled ones saying why', () => {
    const ui = reduceUi(reduceUi(initialUi(), { type: 'command', command: 'palette.open' }), { type: 'text', text: 'cancel' });
    const v = vm(snapshot(bookState()), ui);
    expect(v.palette?.items.map((i) => [i.command, i.disabled ?? ''])).toEqual([
      ['trade.cancel', 'needs --trade'],
      ['trade.cancelAll', 'needs --trade'],
      ['trade.globalCancel', 'needs --trade'],
    ]);
  });
});

describe('the alerts and log pane', () => {
  it('shows operator actions in words with local times, never JSON or epoch milliseconds, and counts what it lists (issue 16)', () => {
    const until = T0 + 5 * 60_000;
    const state = bookState({
      extra: [
        { type: 'brokerMessage', id: -1, code: 2104, message: 'Market data farm connection is OK:usfarm', class: 'info' },
        { type: 'operatorActed', action: 'armed', detail: { until, by: 'palette', account: ACCOUNT } },
        { type: 'operatorActed', action: 'alertAcknowledged', detail: { ids: ['concentration.und:AAPL'] } },
        { type: 'operatorActed', action: 'cancelsSent', detail: { planId: 'p1', cancel: 'client', orderIds: [11, 12] } },
        { type: 'operatorActed', action: 'reconciled', detail: { planId: 'p1', orderId: 11, outcome: 'filled', at: until } },
      ],
    });
    const ui = initialUi({ focus: 'alerts' });
    const p = vm(snapshot(state), ui, { columns: 200, rows: 50 }).panes.alerts;
    if (p?.kind !== 'alerts') throw new Error('alerts pane not on screen');
    const texts = p.alerts.list.rows.map((r) => (r.kind === 'row' ? (r.cells.text?.text ?? '') : ''));
    // The local time of `until`, worked out here rather than by the console's formatter.
    const d = new Date(until);
    const local = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    expect(texts).toContain(`armed until ${local} (palette)`);
    expect(texts).toContain('acknowledged concentration.und:AAPL');
    expect(texts).toContain('orders sent for plan p1 (cancel client): order 11, 12');
    expect(texts).toContain('reconciled order 11 of plan p1: filled');
    for (const t of texts) {
      expect(t).not.toMatch(/[{}"]/);
      expect(t).not.toMatch(/\d{12,}/);
    }
    // Five log lines listed (one message, four actions), and the title says five, not "1 message".
    expect(p.alerts.list.total).toBe(5);
    expect(p.info).toContain('5 log lines');
    expect(p.info).not.toMatch(/\bmessages?\b/);
  });
});

describe('quantities in the log', () => {
  it("groups an order line's quantity as the Qty column does (SELL 100,000, not 100000)", () => {
    const detail = { planId: 'p1', orderId: 11, conId: 12087792, action: 'SELL', quantity: '100000', orderType: 'LMT', limitPrice: '1.0584' };
    const state = bookState({ extra: [{ type: 'operatorActed', action: 'ordersSent', detail }] });
    const p = vm(snapshot(state), initialUi({ focus: 'alerts' }), { columns: 200, rows: 50 }).panes.alerts;
    if (p?.kind !== 'alerts') throw new Error('alerts pane not on screen');
    const texts = p.alerts.list.rows.map((r) => (r.kind === 'row' ? (r.cells.text?.text ?? '') : ''));
    // The book holds no position in conId 12087792: the conId stands in for the contract it cannot name.
    expect(texts).toContain('orders sent for plan p1: order 11 SELL 100,000 conid:12087792 LMT 1.0584');
  });
});

describe('operator lines in the log (user trial)', () => {
  const texts = (extra: FeedEventBody[]) => {
    const p = vm(snapshot(bookState({ extra })), initialUi({ focus: 'alerts' }), { columns: 200, rows: 50 }).panes.alerts;
    if (p?.kind !== 'alerts') throw new Error('alerts pane not on screen');
    return p.alerts.list.rows.map((r) => (r.kind === 'row' ? (r.cells.text?.text ?? '') : ''));
  };

  it("names each order's contract as the dialog listed it, even once the position is gone", () => {
    const leg = { conId: 742168315, contract: 'CLJ6', action: 'BUY', quantity: '1', orderType: 'LMT', limitPrice: '72.61' };
    const t = texts([
      { type: 'operatorActed', action: 'dialogShown', detail: { planId: 'flat-1', scope: 'conid:742168315', legs: [leg] } },
      { type: 'operatorActed', action: 'ordersSent', detail: { planId: 'flat-1', orderId: 1000001, ...leg } },
    ]);
    expect(t).toContain('dialog shown: plan flat-1 (conid:742168315 CLJ6), 1 order');
    expect(t).toContain('orders sent for plan flat-1: order 1000001 BUY 1 CLJ6 LMT 72.61');
  });

  it("names a held position's contract from the book when no dialog listed it", () => {
    const t = texts([
      { type: 'operatorActed', action: 'dialogShown', detail: { planId: 'flat-2', scope: `conid:${MSFT.conId}` } },
      {
        type: 'operatorActed',
        action: 'ordersSent',
        detail: { planId: 'flat-2', orderId: 7, conId: MSFT.conId, action: 'SELL', quantity: '100', orderType: 'LMT', limitPrice: '400.10' },
      },
    ]);
    expect(t).toContain(`dialog shown: plan flat-2 (conid:${MSFT.conId} MSFT)`);
    expect(t).toContain('orders sent for plan flat-2: order 7 SELL 100 MSFT LMT 400.10');
  });

  it('says a declined plan was declined, not "cancel plan" as if orders had been cancelled', () => {
    const t = texts([
      { type: 'operatorActed', action: 'decision', detail: { planId: 'cancel-1', decision: 'cancel', by: 'console' } },
      { type: 'operatorActed', action: 'decision', detail: { planId: 'flat-3', decision: 'confirm', by: 'console' } },
    ]);
    expect(t).toContain('declined plan cancel-1 (console)');
    expect(t).toContain('confirmed plan flat-3 (console)');
    expect(t.join('\n')).not.toMatch(/^cancel plan/m);
  });
});

describe('the footer', () => {
  const footer = (v: ViewModel) => v.hint.map((c) => c.text).join('');

  it("shows the focused pane's own keys, and changes with the focus (issue 16)", () => {
    const snap = snapshot(bookState());
    expect(footer(vm(snap, initialUi({ focus: 'alerts' })))).toContain('a ack');
    expect(footer(vm(snap, initialUi({ focus: 'positions' })))).toContain('c group');
    expect(footer(vm(snap, initialUi({ focus: 'positions' })))).not.toContain('a ack');
    expect(footer(vm(snap, initialUi({ focus: 'stress' })))).toContain('] next chart');
    // Trading keys only where they work.
    expect(footer(vm(snap, initialUi({ focus: 'positions' })))).not.toContain('flatten');
    expect(footer(vm(snap, initialUi({ focus: 'positions' }), undefined, 'trade'))).toContain('X flatten');
  });

  it('keeps whole hints at 80 columns: one that does not fit is left out, never cut mid-word', () => {
    const v = vm(snapshot(bookState()), initialUi({ focus: 'positions' }), { columns: 80, rows: 24 }, 'trade');
    // Untrimmed: a trailing gap past the 80th column is cut by Ink with "…" over the last hint's last letter.
    expect(footer(v).length).toBeLessThanOrEqual(80);
    const text = footer(v).trimEnd();
    // Every key on the line is followed by its whole word, as in the full list at 200 columns.
    const wide = footer(vm(snapshot(bookState()), initialUi({ focus: 'positions' }), { columns: 200, rows: 50 }, 'trade')).trimEnd();
    expect(wide.startsWith(text)).toBe(true);
    expect(wide.slice(text.length)).toMatch(/^ {2}\S/);
  });

  it('says the state the keys are in: help open, a filter on the pane, frozen, armed', () => {
    const plain = snapshot(bookState());
    expect(footer(vm(plain))).not.toMatch(/HELP|FILTER|FROZEN|ARMED/);
    const help = vm(plain, reduceUi(initialUi(), { type: 'command', command: 'help.toggle' }));
    expect(footer(help)).toMatch(/^ HELP .*Esc close help/);
    const filtered = vm(plain, reduceUi(initialUi(), { type: 'command', command: 'filter.open', arg: 'msft' }));
    expect(footer(filtered)).toMatch(/^ FILTER msft .*Esc clear filter/);
    const frozen = vm({ ...plain, frozen: { at: plain.now, seq: plain.state.lastSeq } });
    expect(footer(frozen)).toMatch(/^ FROZEN .*Space thaw/);
    const armedState = bookState({ extra: [{ type: 'operatorActed', action: 'armed', detail: { until: T0 + 10 * 60_000, by: 'palette', account: ACCOUNT } }] });
    expect(footer(vm(snapshot(armedState), initialUi(), undefined, 'trade'))).toMatch(/^ ARMED /);
    expect(footer(vm(snapshot(armedState), initialUi(), undefined, 'readOnly'))).not.toContain('ARMED');
  });

  it("lists none of the panes' keys while a trade or quit dialog takes every key, only how to cancel it", () => {
    const snap = snapshot(bookState());
    for (const dialog of [
      { kind: 'trade' as const, phase: 'confirm' as const, title: 'Flatten ESH6?', lines: ['SELL 2 ESH6'], planId: 'p1' },
      { kind: 'confirmQuit' as const },
    ]) {
      const text = footer(vm(snap, reduceUi(initialUi({ focus: 'positions' }), { type: 'openDialog', dialog }), { columns: 200, rows: 50 }, 'trade'));
      expect(text).toContain('Esc cancel (the default)');
      expect(text).not.toMatch(/help|commands|c group|X flatten|freeze|quit/);
    }
  });

  it("says the cancel key closes a sent plan's result, and offers nothing to cancel while orders are on the way (user trial)", () => {
    const snap = snapshot(bookState());
    const at = (phase: 'sending' | 'done') =>
      footer(
        vm(
          snap,
          reduceUi(initialUi({ focus: 'positions' }), {
            type: 'openDialog',
            dialog: { kind: 'trade', phase, title: 'Flatten CLJ6', lines: ['BUY 1 CLJ6'], planId: 'p1' },
          }),
          { columns: 200, rows: 50 },
          'trade',
        ),
      );
    expect(at('done')).toContain('Esc close');
    expect(at('done')).not.toMatch(/cancel/);
    expect(at('sending')).not.toMatch(/Esc|cancel/);
  });
});

describe('a trade dialog on a short terminal', () => {
  const dialogOf = (lines: readonly string[], orderLines: number | undefined, rows: number) => {
    const ui = reduceUi(initialUi(), {
      type: 'openDialog',
      dialog: { kind: 'trade', phase: 'confirm', title: 'Flatten ESH6?', lines, planId: 'p1', ...(orderLines !== undefined ? { orderLines } : {}) },
    });
    return vm(snapshot(bookState()), ui, { columns: 80, rows }, 'trade').dialog!;
  };
  const orders = ['Account DU1234567 · scope conid:1 · 0 cancel(s), 1 order(s)', 'SELL 2 ESH6 LMT 5,908.25 ~602,898 USD'];
  const about = Array.from({ length: 14 }, (_, i) => `! WORSE: scenario ${i} loses more`);

  it('keeps every order on screen and confirmable when only the lines about the plan do not fit', () => {
    const d = dialogOf([...orders, ...about], orders.length, 24);
    expect(d.hidden).toBeUndefined();
    const shown = d.lines.map((c) => c.text);
    expect(shown.slice(0, 2)).toEqual(orders);
    expect(shown.some((t) => /^… \d+ more line\(s\) about the plan not shown \(every order is above\)/.test(t))).toBe(true);
    expect(shown.some((t) => /does nothing until then/.test(t))).toBe(false);
  });

  it('keeps the figures now and after, with their worst losses, before the other lines about the plan', () => {
    const now = "now:   maint 196,291 USD (TWS's account update, 1 s old), excess 345,391, cushion 61.9%; worst -179,931 in ES −30%";
    const after = 'after: maint 5,545 USD (our estimate, -190,746), excess 553,606, cushion 99.0%; worst -70,253 in CHF peg break +38% vs USD';
    const d = dialogOf([...orders, ...about, now, after], orders.length, 24);
    expect(d.hidden).toBeUndefined();
    const shown = d.lines.map((c) => c.text);
    // Every order, then the figures (wrapped within the dialog's 74 columns), then what room is left of the rest, then the cut.
    expect(shown.slice(0, 8)).toEqual([
      ...orders,
      "now:   maint 196,291 USD (TWS's account update, 1 s old), excess",
      '  345,391, cushion 61.9%',
      'worst -179,931 in ES −30%',
      'after: maint 5,545 USD (our estimate, -190,746), excess 553,606, cushion',
      '  99.0%',
      'worst -70,253 in CHF peg break +38% vs USD',
    ]);
    expect(shown[8]).toBe(about[0]);
    expect(shown.find((t) => t.includes('about the plan not shown'))).toMatch(/^… \d+ more line\(s\)/);
  });

  it('keeps a note whole: wrapped to the width with its continuation indented, never its "; " clause on a row of its own', () => {
    // The reduce dialog of a user trial showed "note: Trims are at TWS's marks" and, on the next row, an unlabelled
    // "commissions, spreads and market impact are not counted. (+4 more in the audit log)".
    const note = "note: Trims are at TWS's marks; commissions, spreads and market impact are not counted. (+4 more in the audit log)";
    const refusal = 'Reduction refused: positions changed; TARGET_CHANGED conId=1 shown=2 now=1';
    const shown = dialogOf([...orders, note, refusal], orders.length, 40).lines.map((c) => c.text);
    expect(shown.slice(2, 7)).toEqual([
      "note: Trims are at TWS's marks; commissions, spreads and market impact",
      '  are not counted. (+4 more in the audit log)',
      // Any other line still goes one clause a row, so a narrow terminal keeps a refusal's code.
      'Reduction refused: positions changed',
      'TARGET_CHANGED conId=1 shown=2 now=1',
      '',
    ]);
  });

  it('cuts whole lines only, and never shows the "after" figures without the note that qualifies them (user trial, EUR.USD at 80x24)', () => {
    const fx = ['Account DU1234567 · scope conid:12087792 · 0 cancel(s), 1 order(s)', 'SELL 100,000 EUR.USD LMT 1.08000 ~108,000 USD'];
    const realized = 'realized EUR.USD: -1,400.00 USD at the mark, -1,410.00 USD at the limit';
    const total = 'Expected realized P&L -1,410.00 USD at the planned limits (if filled, before commissions)';
    const now = "now:   maint 196,431 USD (TWS's account update, 1 s old), excess 345,391, cushion 61.9%";
    const after = "after: maint 196,431 USD (TWS's now +0, our estimate), excess 345,391, cushion 61.9%";
    const caveat =
      "our estimate cannot see closing EUR.USD: our FX margin charges a currency only while its net value is negative (TWS's what-if, when asked, has its figure)";
    const about = [realized, total, now, after, caveat];
    // Rows joined as read: a wrapped line's rows and its continuation indent are one line again.
    const squeeze = (t: string) => t.replace(/\s+/g, ' ');
    // Every height from where the orders alone fit to where everything does: each cut is checked.
    for (let rows = 14; rows <= 30; rows++) {
      const d = dialogOf([...fx, ...about], fx.length, rows);
      const text = squeeze(d.lines.map((c) => c.text).join(' '));
      const shown = about.filter((l) => text.includes(squeeze(l)));
      // A line is on screen whole or not at all: no word of a line left out is on screen.
      for (const l of about) if (!shown.includes(l)) expect(text, `${rows} rows: ${l}`).not.toContain(squeeze(l).slice(0, 30));
      if (shown.includes(after)) expect(shown, `${rows} rows`).toContain(caveat);
    }
    // At 24 rows the figures and the caveat fit: the realized total gives way to them.
    const shown24 = squeeze(
      dialogOf([...fx, ...about], fx.length, 24)
        .lines.map((c) => c.text)
        .join(' '),
    );
    expect(shown24).toContain(squeeze(after));
    expect(shown24).toContain(squeeze(caveat));
  });

  it('locks the confirm key when an order itself does not fit, and when the plan says nothing of its orders', () => {
    const many = [orders[0]!, ...Array.from({ length: 30 }, (_, i) => `SELL ${i + 1} X${i} LMT 1.00 ~1 USD`)];
    expect(dialogOf([...many, ...about], many.length, 24).hidden).toBeGreaterThan(0);
    // Without orderLines every line counts as an order (a dialog that does not say which are).
    expect(dialogOf([...orders, ...about], undefined, 24).hidden).toBeGreaterThan(0);
  });
});
