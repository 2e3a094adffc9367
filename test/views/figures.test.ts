// The figures line as a pure function: every figure kept at any width from 80 up, shortened, never dropped.
import { describe, expect, it } from 'vitest';
import { createStressRunner } from '../../src/session/stress-model.js';
import { parseScenario } from '../../src/risk/scenario-text.js';
import { figuresCells } from '../../src/views/rows/status.js';
import { textWidth } from '../../src/views/format.js';
import { INITIAL_STATE } from '../../src/model/state.js';
import { T0, bookState } from '../support/book.js';

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
      expect(line).toMatch(/^NLV 230k XL 10,000 Cush \d+\.\d% Worst A scenario\S* .*… -\S+\s+BREACH 1 scenario\s*$/);
      expect(cells.find((c) => c.text.includes('BREACH'))?.slot).toBe('risk.breach');
    }
  });

  it('says what it does not know instead of a number', () => {
    const state = bookState();
    expect(text(figuresCells(state, undefined, 120))).toMatch(/Worst computing…$/);
    expect(text(figuresCells(state, { ok: false, error: 'no prices' }, 120))).toMatch(/Worst stress failed$/);
  });

  it('reads "computing…", not "failed", while the engine waits for the account and its positions (a fresh start)', () => {
    // The real runner on the state before anything arrived: what a console shows in its first second.
    const waiting = createStressRunner()(INITIAL_STATE, T0);
    expect(waiting.ok).toBe(false);
    expect(text(figuresCells(bookState(), waiting, 120))).toMatch(/Worst computing…$/);
    // Synchronised and flat (after a flatten, or a sub-account with nothing on): nothing to stress, and it says so.
    const flat = { ...bookState(), health: 'ready' as const, portfolio: INITIAL_STATE.portfolio };
    expect(text(figuresCells(flat, createStressRunner()(flat, T0), 120))).toMatch(/Worst no positions$/);
  });
});
