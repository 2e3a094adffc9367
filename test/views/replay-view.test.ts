// The replay chrome as pure functions: key routing in a replay, the transport bar, and recorded dialogs.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BINDINGS, keyTable } from '../../src/keymap/bindings.js';
import { reduceAll } from '../../src/model/reducer.js';
import type { RecordingHeader } from '../../src/streams/recording/format.js';
import type { ReplayStatus } from '../../src/streams/replay/player.js';
import { routeKey } from '../../src/views/dispatch.js';
import { replayBar, replayedDialog, replayInfo } from '../../src/views/rows/replay.js';
import { initialUi } from '../../src/views/ui-state.js';
import { textWidth } from '../../src/views/format.js';
import { buildViewModel } from '../../src/views/view-model.js';
import { dec } from '../../src/model/money.js';
import { EventLog } from '../support/events.js';

const table = keyTable(DEFAULT_BINDINGS);
const T0 = Date.UTC(2026, 10, 23, 14, 30);

function status(over: Partial<ReplayStatus> = {}): ReplayStatus {
  const header = {
    kind: 'header',
    format: 'tws-risk-recording',
    schemaVersion: 1,
    appVersion: 't',
    source: 'sim',
    account: 'DU1',
    baseCurrency: 'USD',
    startedAt: '',
    startedAtMs: T0,
  } as unknown as RecordingHeader;
  return {
    file: 'x.jsonl',
    header,
    at: T0 + 3_725_000,
    seq: 1234,
    firstAt: T0,
    lastSeq: 5000,
    lastAt: T0 + 7_450_000,
    speed: 4,
    paused: false,
    ended: false,
    markers: [
      { seq: 10, at: T0, kind: 'operator', label: 'a' },
      { seq: 2000, at: T0, kind: 'order', label: 'b' },
    ],
    integrity: { state: 'checking', events: 100 },
    seeking: false,
    ...over,
  };
}

describe('keys in a replay', () => {
  it('the player keys shadow freeze, first/last row and the chart keys only in a replay', () => {
    const ui = initialUi({ focus: 'stress' });
    const cmd = (key: string, replay: boolean) => {
      const r = routeKey(ui, table, key, key, replay);
      return r.kind === 'command' ? r.command : r.kind;
    };
    expect(cmd('space', true)).toBe('replay.pause');
    expect(cmd('space', false)).toBe('view.freeze');
    expect(cmd('g', true)).toBe('replay.start');
    expect(cmd('g', false)).toBe('nav.top');
    expect(cmd(']', true)).toBe('replay.nextMarker');
    expect(cmd(']', false)).toBe('stress.subjectNext');
    expect(cmd('.', true)).toBe('replay.step');
    expect(cmd('home', true)).toBe('nav.top');
  });

  it('with help open the player keys do not move the player: they scroll help or do nothing (issue 16 item 13)', () => {
    const ui = { ...initialUi({ focus: 'stress' }), overlay: { kind: 'help', top: 0 } as const };
    const cmd = (key: string) => {
      const r = routeKey(ui, table, key, key, true);
      return r.kind === 'command' ? r.command : r.kind;
    };
    const playerKeys = Object.entries(DEFAULT_BINDINGS)
      .filter(([id]) => id.startsWith('replay.'))
      .flatMap(([, keys]) => keys);
    expect(playerKeys.length).toBeGreaterThan(0);
    for (const key of playerKeys) expect(String(cmd(key)), key).not.toMatch(/^replay\./);
    expect(cmd('G')).toBe('nav.bottom');
    expect(cmd('g')).toBe('nav.top');
    expect(cmd('?')).toBe('help.close');
  });

  it('the recording info that opens with a replay routes like help: its close keys close it', () => {
    const ui = initialUi({ replayInfo: true });
    expect(ui.overlay?.kind).toBe('replayInfo');
    const r = routeKey(ui, table, 'esc', undefined, true);
    expect(r.kind === 'command' && r.command).toBe('help.close');
  });
});

describe('replay bar', () => {
  it('shows play state, speed, recorded UTC time, position and markers passed', () => {
    const text = replayBar(status(), 200)
      .map((c) => c.text)
      .join(' ');
    expect(text).toContain('▶ 4×');
    expect(text).toContain('15:32:05 UTC');
    expect(text).toContain('#1,234/5,000 50%');
    expect(text).toContain('◆ 1/2+');
    expect(text).toContain('verifying…');
  });

  it('a recording still being written: events played past the verified end are flagged unverified, in the bar and on the info page', () => {
    const summary = {
      header: status().header,
      sealed: false,
      truncatedTail: false,
      lines: 900,
      events: 880,
      keyframes: 1,
      firstSeq: 1,
      lastSeq: 880,
      firstAt: T0,
      lastAt: T0,
      finalHash: 'h',
    };
    const unsealed = { state: 'unsealed' as const, summary };
    const bar = (seq: number) =>
      replayBar(status({ seq, lastSeq: 5000, integrity: unsealed }), 200)
        .map((c) => c.text)
        .join(' ');
    expect(bar(800)).toContain('⚠ UNSEALED after line 900');
    expect(bar(800)).not.toContain('unverified');
    expect(bar(1234)).toContain('⚠ UNSEALED · past the check (seq 880): unverified');
    const keys = { close: 'Esc', play: 'Space', markers: 'm', pick: 'Enter', jump: 'g' };
    const page = (lastSeq: number) =>
      replayInfo(status({ lastSeq, integrity: unsealed }), keys, { room: 30, columns: 200 })
        .lines.map((c) => c.text)
        .join('\n');
    expect(page(5000)).toContain('Still being written: events after seq 880 (4,120 so far) arrived after the check and are played unverified');
    expect(page(880)).not.toContain('Still being written');
  });

  it('keeps play state, time and a tampered warning at 40 columns, dropping the rest', () => {
    const text = replayBar(
      status({ paused: true, integrity: { state: 'broken', problem: 'tampered', line: 77, message: 'm', lastGoodSeq: 75, lastGoodAt: T0 } }),
      40,
    )
      .map((c) => c.text)
      .join(' ');
    expect(text).toContain('‖ paused 4×');
    expect(text).toContain('15:32:05 UTC');
    expect(text).toContain('TAMPERED at line 77');
    expect(text).not.toContain('#1,234');
  });
});

describe('recorded trading dialogs', () => {
  const log = new EventLog(T0);
  log.push({ type: 'operatorActed', action: 'armed', detail: { until: T0 + 300_000, by: 'palette', account: 'DU1234567' } });
  const shown = log.push({
    type: 'operatorActed',
    action: 'dialogShown',
    detail: { planId: 'flat-1', shown: { title: 'Flatten AAPL?', lines: ['SELL 500 AAPL LMT 228.40', 'After: ExcessLiquidity 41,200 USD'] } },
  });
  // Price events while the operator reads: the dialog stays up however long (recorded time) they take.
  const tick = log.push({ type: 'accountValueUpdated', account: 'DU1234567', key: 'NetLiquidation', value: '100000', currency: 'USD' }, T0 + 600_000);
  const decided = log.push({ type: 'operatorActed', action: 'decision', detail: { planId: 'flat-1', decision: 'confirm', by: 'console' } });
  log.push({
    type: 'operatorActed',
    action: 'ordersSent',
    detail: { planId: 'flat-1', orderId: 17, conId: 265598, action: 'SELL', quantity: '500', orderType: 'LMT', limitPrice: '228.40' },
  });
  log.push({
    type: 'orderStatusUpdated',
    orderId: 17,
    clientId: 9,
    permId: 4017,
    status: 'Filled',
    filled: dec(500),
    remaining: dec(0),
    avgFillPrice: dec('228.41'),
  });
  const upTo = (seq: number) => reduceAll(log.events.filter((e) => e.seq <= seq));

  it('shows the plan exactly as the operator read it, waiting for the decision', () => {
    const d = replayedDialog(upTo(shown.seq))!;
    expect(d.title).toBe('REPLAY · Flatten AAPL?');
    const text = d.lines.map((c) => c.text);
    expect(text).toContain('SELL 500 AAPL LMT 228.40');
    expect(text).toContain('After: ExcessLiquidity 41,200 USD');
    expect(text.some((t) => /had not decided yet/.test(t))).toBe(true);
  });

  it('stays open until the recorded decision, however long it took, and closes exactly at it', () => {
    expect(tick.receivedAt - shown.receivedAt).toBeGreaterThan(60_000);
    expect(replayedDialog(upTo(tick.seq))?.title).toBe('REPLAY · Flatten AAPL?');
    expect(replayedDialog(upTo(decided.seq - 1))).toBeDefined();
    expect(replayedDialog(upTo(decided.seq))).toBeUndefined();
    expect(replayedDialog(reduceAll(log.events))).toBeUndefined();
  });

  it('lays a recorded line out one clause a row, as the live dialog did: the worst loss is not cut off at 120 columns', () => {
    // The lines as a recording of the demo holds them (the dialog text before the worst loss came first).
    const now = "now:   maint 196,291 USD (TWS's), excess 345,391, cushion 61.9%; worst ES −30% (single-name jump: at least 10% of gross exposure) -179,931";
    const after = "after: maint 5,545 USD (TWS's now -159,174 by our estimate), excess 553,606, cushion 99.0%; worst CHF peg break +38% vs USD -70,253";
    const l = new EventLog(T0);
    l.push({
      type: 'operatorActed',
      action: 'dialogShown',
      detail: { planId: 'p-1', shown: { title: 'FLATTEN all?', lines: ['SELL 500 AAPL LMT 223.99', now, after] } },
    });
    const state = reduceAll(l.events);
    const v = buildViewModel({
      snapshot: { state, live: state, now: T0 + 1_000, version: 1, replay: status({ at: T0 + 1_000 }) },
      ui: initialUi(),
      size: { columns: 120, rows: 35 },
      mode: 'replay',
      trading: 'replay',
      bindings: DEFAULT_BINDINGS,
      problems: [],
    });
    const rows = v.replayStrip!.lines.map((c) => c.text);
    // The strip's rows are 116 columns inside its border and padding: each worst row fits whole, with its figure.
    for (const figure of ['-179,931', '-70,253']) {
      const row = rows.find((r) => r.startsWith('worst ') && r.endsWith(figure));
      expect(row, rows.join('\n')).toBeDefined();
      expect(textWidth(row!)).toBeLessThanOrEqual(116);
    }
    expect(rows).toContain("now:   maint 196,291 USD (TWS's), excess 345,391, cushion 61.9%");
  });

  it('reads a plan opened on frozen panes as the live dialog did: the frozen line kept with the figures, then heading and orders', () => {
    const frozen = 'Panes FROZEN since 14:31:05. This plan is on the live positions: NESN 1,500 now (1,000 on the frozen screen)';
    const l = new EventLog(T0);
    l.push({
      type: 'operatorActed',
      action: 'dialogShown',
      detail: {
        planId: 'p-1',
        legs: ['SELL 1,500 NESN LMT 84.73'],
        shown: {
          title: 'Flatten NESN?',
          lines: [frozen, 'Account DU1 · scope conid:38709539 · 0 cancel(s), 1 order(s)', 'SELL 1,500 NESN LMT 84.73', 'note: x'],
        },
      },
    });
    const d = replayedDialog(reduceAll(l.events))!;
    const role = (text: string) => d.roles[d.lines.findIndex((c) => c.text === text)];
    expect(role(frozen)).toBe('figures');
    expect(d.lines.find((c) => c.text === frozen)?.slot).toBe('dialog.danger');
    expect(role('Account DU1 · scope conid:38709539 · 0 cancel(s), 1 order(s)')).toBe('head');
    expect(role('SELL 1,500 NESN LMT 84.73')).toBe('order');
    expect(role('note: x')).toBe('info');
  });

  it("closes at a disarm, and the next dialogShown replaces it; another plan's decision does not close it", () => {
    const l = new EventLog(T0);
    const a = l.push({ type: 'operatorActed', action: 'dialogShown', detail: { planId: 'p-1', shown: { title: 'First?', lines: ['one'] } } });
    const other = l.push({ type: 'operatorActed', action: 'decision', detail: { planId: 'p-0', decision: 'cancel' } });
    const b = l.push({ type: 'operatorActed', action: 'dialogShown', detail: { planId: 'p-2', shown: { title: 'Second?', lines: ['two'] } } });
    const off = l.push({ type: 'operatorActed', action: 'disarmed', detail: { reason: 'expired' } });
    const at = (seq: number) => replayedDialog(reduceAll(l.events.filter((e) => e.seq <= seq)));
    expect(at(a.seq)?.title).toBe('REPLAY · First?');
    expect(at(other.seq)?.title).toBe('REPLAY · First?');
    expect(at(b.seq)?.title).toBe('REPLAY · Second?');
    expect(at(off.seq)).toBeUndefined();
  });
});
