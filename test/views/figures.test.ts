// The figures line as a pure function: every figure kept at any width from 80 up, shortened, never dropped.
import { describe, expect, it } from 'vitest';
import { createStressRunner } from '../../src/session/stress-model.js';
import { parseScenario } from '../../src/risk/scenario-text.js';
import { figuresCells, statusCells } from '../../src/views/rows/status.js';
import { setAsciiText, textWidth, toAscii } from '../../src/views/format.js';
import { INITIAL_STATE } from '../../src/model/state.js';
import { T0, bookState } from '../support/book.js';
import { accountValue } from '../../src/model/account-values.js';

const text = (cells: readonly { text: string }[]) => cells.map((c) => c.text).join(' ');

function crash(label: string) {
  const r = parseScenario('px:STK=-99%', { label, baseCurrency: 'USD' });
  if (!r.ok) throw new Error('the test scenario does not parse');
  return r.scenario;
}

describe('figuresCells', () => {
  it('names each figure in full when there is room, and says no BREACH when no scenario breaches', () => {
    const state = bookState({ nlv: '500000', elv: '480000', maint: '100000' });
    const risk = createStressRunner()(state, T0);
    expect(risk.ok).toBe(true);
    const line = text(figuresCells(state, risk, 200));
    // ExcessLiquidity 380,000 = 480,000 − 100,000; Cushion 76.0% = 380,000 / 500,000 (book.ts).
    expect(line).toMatch(/^Net liq 500,000 Excess liq 380,000 Cushion 76\.0% Worst \S/);
    expect(line).not.toContain('BREACH');
  });

  it('keeps every figure and the BREACH count at 80 columns, cutting only the scenario name', () => {
    const state = bookState({ nlv: '230000', elv: '230000', maint: '220000' });
    const long = 'A scenario with a very long name that cannot fit on any narrow terminal';
    const risk = createStressRunner({ scenarios: () => [crash(long)] })(state, T0);
    const model = risk.ok ? risk.model : undefined;
    expect(model?.worst?.label).toBe(long);
    expect(model?.scenarios.filter((s) => s.breach)).toHaveLength(1);
    for (const width of [80, 100, 120]) {
      const cells = figuresCells(state, risk, width);
      const line = text(cells);
      expect(textWidth(line), line).toBeLessThanOrEqual(width);
      // Short, the worst loss comes before its scenario's name, which alone is cut.
      expect(line).toMatch(/^NLV 230k XL 10,000 Cush \d+\.\d% Worst -\d+k A scenario\S* .*…\s+BREACH 1 scenario\s*$/);
      expect(cells.find((c) => c.text.includes('BREACH'))?.slot).toBe('risk.breach');
    }
  });

  it('cuts the name between words on an ASCII terminal too: "at least 10%..." never "at least 1..."', () => {
    const state = bookState({ nlv: '230000', elv: '230000', maint: '220000' });
    const label = 'ES −30% (single-name jump: at least 10% of gross exposure)';
    const risk = createStressRunner({ scenarios: () => [crash(label)] })(state, T0);
    const words = toAscii(label).split(' ');
    setAsciiText(true);
    try {
      const cuts = new Set<string>();
      for (let width = 60; width <= 110; width++) {
        // What the terminal shows: the frame goes through toAscii (render-console.tsx), cell for cell.
        const line = toAscii(text(figuresCells(state, risk, width)));
        expect(textWidth(line), line).toBeLessThanOrEqual(width);
        const name = / Worst -\d+k (.*?)\s*BREACH/.exec(line)?.[1] ?? '';
        if (name === '' || name === toAscii(label)) continue;
        expect(name, `at ${width}: ${line}`).toMatch(/\.\.\.$/);
        // Whole words of the name, and then the cut's mark: never part of one ("1..." read as a threshold of 1).
        const kept = name.slice(0, -3).split(' ');
        expect(kept, `at ${width}: ${line}`).toEqual(words.slice(0, kept.length));
        cuts.add(name);
      }
      // The widths tried cut the name at several words, "10%" kept whole among them.
      expect(cuts).toContain('ES -30% (single-name jump: at least 10%...');
      expect(cuts.size).toBeGreaterThan(3);
    } finally {
      setAsciiText(false);
    }
  });

  it('says what it does not know instead of a number', () => {
    const state = bookState();
    // Synchronised, the first risk pass not back yet: that one really is computing.
    expect(text(figuresCells(state, undefined, 120))).toMatch(/Worst computing…$/);
    expect(text(figuresCells(state, { ok: false, error: 'no prices' }, 120))).toMatch(/Worst stress failed$/);
  });

  it('says what a fresh start waits for, never "failed" nor "computing…" while nothing can be computed', () => {
    // The real runner on the state before anything arrived: what a console shows in its first second, and for as long
    // as nothing listens on the port (`live --port` with TWS closed): it waits for TWS, it is not computing.
    const waiting = createStressRunner()(INITIAL_STATE, T0);
    expect(waiting.ok).toBe(false);
    expect(INITIAL_STATE.health).toBe('disconnected');
    expect(text(figuresCells(INITIAL_STATE, waiting, 120))).toMatch(/Worst waiting for TWS$/);
    expect(text(figuresCells(INITIAL_STATE, undefined, 120))).toMatch(/Worst waiting for TWS$/);
    expect(text(figuresCells({ ...INITIAL_STATE, health: 'connecting' }, waiting, 120))).toMatch(/Worst waiting for TWS$/);
    // Connected, the positions snapshot not in yet: it waits for the positions.
    const connected = { ...INITIAL_STATE, health: 'ready' as const };
    expect(text(figuresCells(connected, createStressRunner()(connected, T0), 120))).toMatch(/Worst waiting for positions$/);
    // Synchronised and flat (after a flatten, or a sub-account with nothing on): not waiting. The book's cash is still
    // stressed: its EUR debt of 20,000 (22,000 USD at 1.10) loses 38% of that, 8,360 USD, if the euro jumps 38%.
    const flat = { ...bookState(), health: 'ready' as const, portfolio: INITIAL_STATE.portfolio };
    const flatRisk = createStressRunner()(flat, T0);
    expect(flatRisk.ok && flatRisk.model.worst?.label).toBe('EUR peg break +38% vs USD');
    expect(flatRisk.ok && flatRisk.model.worst?.total.toString()).toBe('-8360');
    expect(text(figuresCells(flat, flatRisk, 120))).toMatch(/Worst EUR peg break \+38% vs USD/);
    // A book that lost its connection keeps its last stress result: the disconnection does not hide it.
    const book = bookState();
    const lost = { ...book, health: 'disconnected' as const };
    expect(text(figuresCells(lost, createStressRunner()(book, T0), 120))).toMatch(/Worst \S/);
    expect(text(figuresCells(lost, createStressRunner()(book, T0), 120))).not.toMatch(/waiting|computing/);
  });

  it("in a replay waits for nothing: at #0 there is no risk yet, and the bar names the recording's account", () => {
    const waiting = createStressRunner()(INITIAL_STATE, T0);
    expect(text(figuresCells(INITIAL_STATE, waiting, 120, { replay: { seq: 0 } }))).toMatch(/Worst no risk yet \(replay at its start\)$/);
    expect(text(figuresCells(INITIAL_STATE, undefined, 120, { replay: { seq: 0 } }))).not.toContain('TWS');
    expect(text(figuresCells(INITIAL_STATE, waiting, 120, { replay: { seq: 3 } }))).toMatch(/Worst no risk yet \(no positions at this point\)$/);
    // Once the book is in, a replay shows its worst loss like a live session.
    const book = bookState();
    expect(text(figuresCells(book, createStressRunner()(book, T0), 120, { replay: { seq: 40 } }))).toMatch(/Worst \S.* -[\d,]+ USD/);
    const bar = (recording?: { account?: string; baseCurrency?: string }, maskAccount = false) =>
      text(statusCells({ live: INITIAL_STATE, mode: 'replay', maskAccount, trading: 'replay', now: T0, ...(recording ? { recording } : {}) }));
    expect(bar()).toContain('account ?');
    expect(bar({ account: 'DU7654321', baseCurrency: 'EUR' })).toMatch(/^ REPLAY  DU7654321 EUR /);
    expect(bar({ account: 'DU7654321' }, true)).toContain('•••••4321');
    // The state's own account wins once its events named it.
    expect(text(statusCells({ live: bookState(), mode: 'replay', maskAccount: false, trading: 'replay', now: T0, recording: { account: 'DU0' } }))).toContain(
      'DU1234567 USD',
    );
  });

  it('marks figures that are not current STALE with their age, in words and in the stale colour, whatever the width', () => {
    const book = bookState();
    const risk = createStressRunner()(book, T0);
    // The figures arrived at T0 + 20..70 ms (book.ts); two and a half minutes later the connection has gone (a zombie dropped).
    const now = T0 + 150_000;
    const nlvAt = accountValue(book, 'NetLiquidation', 'USD')?.updatedAt;
    expect(now - nlvAt!).toBeGreaterThan(120_000);
    const down = (health: 'disconnected' | 'connecting') =>
      bookState({
        extra: [
          {
            type: 'healthChanged',
            health,
            reason: 'TWS did not answer the heartbeat within 5000 ms',
            cause: 'heartbeatTimeout',
            host: '127.0.0.1',
            port: 7497,
            clientId: 4217,
          },
        ],
      });
    for (const st of [down('disconnected'), down('connecting')]) {
      const cells = figuresCells(st, risk, 200, { now });
      expect(text(cells)).toMatch(/^STALE as of 2m ago Net liq 500,000 Excess liq 380,000 Cushion 76\.0% Worst \S/);
      expect(cells[0]).toEqual({ text: 'STALE as of 2m ago', slot: 'data.stale' });
      // The amounts take the stale colour too (a negative ExcessLiquidity would keep its breach colour).
      expect(cells.filter((c) => /^[\d,.%]+$/.test(c.text)).map((c) => c.slot)).toEqual(['data.stale', 'data.stale', 'data.stale']);
      // Short, the age stays; narrower, the word alone, and no number is ever cut.
      expect(text(figuresCells(st, risk, 80, { now }))).toMatch(/^STALE 2m NLV 500k XL 380k Cush 76\.0% Worst /);
      for (let width = 24; width <= 80; width++) {
        const line = text(figuresCells(st, risk, width, { now }));
        expect(line, `${width}`).toMatch(/^STALE /);
        expect(line.length <= width || !/\d/.test(line.slice(width)), `${width}: ${line}`).toBe(true);
      }
      expect(text(figuresCells(st, risk, 200))).toMatch(/^STALE Net liq /);
    }
    expect(text(figuresCells(down('disconnected'), risk, 200, { now: T0 + 3 * 3_600_000 + 1_000 }))).toMatch(/^STALE as of 3h ago Net liq /);
    // TWS lost IB's servers (1100): connected, but its figures are not updating.
    const lost1100 = bookState({
      extra: [
        {
          type: 'healthChanged',
          health: 'degraded',
          reason: 'TWS lost its connection to IB (1100)',
          cause: 'connectivityLost',
          host: '127.0.0.1',
          port: 7497,
          clientId: 4217,
        },
      ],
    });
    expect(text(figuresCells(lost1100, risk, 200, { now }))).toMatch(/^STALE as of 2m ago Net liq /);
    // Ready, the same figures two minutes old are TWS's latest (it sends account values on change): not stale.
    expect(text(figuresCells(book, risk, 200, { now }))).toMatch(/^Net liq 500,000 /);
    expect(figuresCells(book, risk, 200, { now }).some((c) => c.slot === 'data.stale')).toBe(false);
    // Nothing shown yet: the line says what it waits for, not STALE.
    expect(text(figuresCells(INITIAL_STATE, undefined, 120, { now }))).toMatch(/^Net liq - Excess liq - Cushion - Worst waiting for TWS$/);
  });

  it('on a very narrow terminal drops the name, then whole figures lowest first, and never cuts a number', () => {
    const state = bookState({ nlv: '230000', elv: '230000', maint: '220000' });
    const long = 'A scenario with a very long name that cannot fit on any narrow terminal';
    const risk = createStressRunner({ scenarios: () => [crash(long)] })(state, T0);
    const calm = createStressRunner()(bookState(), T0);
    for (let width = 24; width <= 80; width++) {
      for (const [st, r] of [
        [state, risk],
        [bookState(), calm],
      ] as const) {
        const line = text(figuresCells(st, r, width));
        expect(line.length <= width || !/\d/.test(line.slice(width)), `${width}: ${line}`).toBe(true);
        // The worst loss is always there, whole: after its scenario's name in full, else right after "Worst".
        expect(line, `${width}`).toMatch(/Worst (-\d[\d,.]*[kM]?(\s|$)|\S.* -[\d,]+ USD(\s|$))/);
        expect(line, `${width}`).not.toMatch(/\d…|… …/);
      }
    }
    expect(text(figuresCells(state, risk, 24))).toMatch(/^Worst -\d+k\s+BREACH 1\s*$/);
    // At 40 columns (the trial's 40x10): NLV and Cushion give way, the loss stays whole before BREACH.
    expect(text(figuresCells(state, risk, 40))).toMatch(/^XL 10,000 Worst -\d+k\s+BREACH 1\s*$/);
    expect(textWidth(text(figuresCells(state, risk, 40)))).toBeLessThanOrEqual(40);
    expect(text(figuresCells(bookState(), calm, 40))).toMatch(/^XL 380k Cush 76\.0% Worst -[\d,]+k?$/);
  });
});

describe('statusCells with a long disconnect reason', () => {
  const REASON = 'TWS accepted the connection but did not complete the API handshake within 10 s (is an "accept incoming connection" prompt open in TWS?)';
  const live = { ...bookState(), health: 'disconnected' as const, healthReason: REASON, healthRetryAt: T0 + 4000 };
  const warnings = [1, 2, 3].map((i) => ({ severity: 'warning', id: String(i) })) as never;
  const bar = (width: number) =>
    text(statusCells({ live, mode: 'live', maskAccount: false, trading: 'trade', now: T0, alerts: warnings, port: 7497, host: '127.0.0.1' } as never, width));

  it('cuts the reason between words to the room the other cells leave, the countdown and clock kept', () => {
    expect(bar(250)).toBe(` PAPER  127.0.0.1:7497 DU1234567 USD DISCONNECTED (${REASON}) next try in 4s data 0s old 3 WARNING TRADE disarmed 14:30:00`);
    expect(bar(200)).toBe(
      ' PAPER  127.0.0.1:7497 DU1234567 USD DISCONNECTED (TWS accepted the connection but did not complete the API handshake within 10 s (is an…) next try in 4s data 0s old 3 WARNING TRADE disarmed 14:30:00',
    );
    expect(bar(160)).toBe(
      ' PAPER  127.0.0.1:7497 DU1234567 USD DISCONNECTED (TWS accepted the connection but did not…) next try in 4s data 0s old 3 WARNING TRADE disarmed 14:30:00',
    );
  });

  it('keeps a readable part of the reason over the endpoint and clock, and the countdown over the reason', () => {
    // The whole reason made every cell at drop levels 4 to 1 go and then shortened the rest: "PAPER DU1234567 DISCONNECTED 3 WARN DISARMED".
    expect(bar(120)).toBe(' PAPER  DU1234567 USD DISCONNECTED (TWS accepted the connection…) next try in 4s data 0s old 3 WARNING TRADE disarmed');
    expect(bar(100)).toBe('PAPER DU1234567 DISCONNECTED (TWS accepted the…) next try in 4s data 0s old 3 WARN DISARMED');
    expect(bar(80)).toBe('PAPER DU1234567 DISCONNECTED next try in 4s data 0s old 3 WARN DISARMED');
    expect(bar(60)).toBe('PAPER DU1234567 DISCONNECTED 3 WARN DISARMED');
    for (const w of [250, 200, 160, 120, 100, 80, 60, 40]) expect(textWidth(bar(w)), `${w} columns`).toBeLessThanOrEqual(w);
  });

  it('reconnecting, names how the last try ended (a TWS that never answers is CONNECTING ten seconds in eleven)', () => {
    const connecting = (reason: string) => ({ ...bookState(), health: 'connecting' as const, healthReason: reason });
    const at = (st: ReturnType<typeof connecting>, width: number) =>
      text(statusCells({ live: st, mode: 'live', maskAccount: false, trading: 'readOnly', now: T0, port: 7497, host: '127.0.0.1' } as never, width));
    const silent = connecting(`opening the socket and handshake, after: ${REASON}`);
    expect(at(silent, 120)).toBe(' PAPER  127.0.0.1:7497 DU1234567 USD CONNECTING (last try: TWS accepted the connection…) data 0s old READ-ONLY 14:30:00');
    expect(at(connecting('opening the socket and handshake, after: connection refused'), 80)).toBe(
      'PAPER DU1234567 CONNECTING (last try: connection refused) data 0s old READ-ONLY',
    );
    // The first try has no last one.
    expect(at(connecting('opening the socket and handshake'), 200)).toBe(' PAPER  127.0.0.1:7497 DU1234567 USD CONNECTING data 0s old READ-ONLY 14:30:00');
  });

  it('never cuts a short reason: whole, with other cells dropped, or gone whole', () => {
    const refused = { ...live, healthReason: 'connection refused' };
    const at = (width: number) =>
      text(
        statusCells(
          { live: refused, mode: 'live', maskAccount: false, trading: 'trade', now: T0, alerts: warnings, port: 7497, host: '127.0.0.1' } as never,
          width,
        ),
      );
    // At 130 the endpoint goes rather than the reason becoming "(connection…)" (a user trial saw that, wider than 100).
    expect(at(130)).toBe(' PAPER  DU1234567 USD DISCONNECTED (connection refused) next try in 4s data 0s old 3 WARNING TRADE disarmed 14:30:00');
    expect(at(100)).toBe('PAPER DU1234567 DISCONNECTED (connection refused) next try in 4s data 0s old 3 WARN DISARMED');
    expect(at(90)).toBe('PAPER DU1234567 DISCONNECTED next try in 4s data 0s old 3 WARN DISARMED');
  });
});

describe('statusCells while degraded', () => {
  const live = { ...bookState(), health: 'degraded' as const, healthReason: 'data lost: resubscribing after 1101' };
  const warnings = [1, 2, 3].map((i) => ({ severity: 'warning', id: String(i) })) as never;
  const bar = (width: number) =>
    text(statusCells({ live, mode: 'live', maskAccount: false, trading: 'trade', now: T0, alerts: warnings, port: 7497, host: '127.0.0.1' } as never, width));

  it('names why, as a disconnection does, whole (a short reason) and gone before the state itself', () => {
    expect(bar(250)).toBe(' PAPER  127.0.0.1:7497 DU1234567 USD DEGRADED (data lost: resubscribing after 1101) data 0s 3 WARNING TRADE disarmed 14:30:00');
    // A short reason is never cut (the endpoint goes first).
    expect(bar(120)).toBe(' PAPER  DU1234567 USD DEGRADED (data lost: resubscribing after 1101) data 0s 3 WARNING TRADE disarmed 14:30:00');
    expect(bar(90)).toBe('PAPER DU1234567 DEGRADED (data lost: resubscribing after 1101) data 0s 3 WARN DISARMED');
    expect(bar(80)).toBe('PAPER DU1234567 DEGRADED data 0s 3 WARN DISARMED');
    expect(bar(60)).toBe('PAPER DU1234567 DEGRADED data 0s 3 WARN DISARMED');
    for (const w of [250, 120, 100, 90, 80, 60, 40]) expect(textWidth(bar(w)), `${w} columns`).toBeLessThanOrEqual(w);
    // Ready says nothing more.
    expect(text(statusCells({ live: { ...live, health: 'ready' }, mode: 'live', maskAccount: false, trading: 'trade', now: T0 } as never, 250))).toMatch(
      / USD READY data 0s TRADE disarmed/,
    );
  });
});

describe('statusCells with the recording stopped', () => {
  it('says REC STOPPED while recording.stopped is listed, after its note has left the capped operator history', () => {
    const bar = (alerts: readonly unknown[]) =>
      text(statusCells({ live: bookState(), mode: 'live', maskAccount: false, trading: 'trade', now: T0, alerts } as never));
    expect(bar([])).not.toContain('REC STOPPED');
    expect(bar([{ id: 'recording.stopped', rule: 'recording.stopped', severity: 'warning' }])).toContain('REC STOPPED');
  });
});
