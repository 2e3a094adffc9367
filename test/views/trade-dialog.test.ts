// The trade dialog's state machine on its own: each phase, each refusal, one send, and no close while sending.
import { describe, expect, it } from 'vitest';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduce as reduceEvent } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { armingEnded, markCells, planCell, planDialog, tradeDialogReducer, type TradeDialog } from '../../src/views/trade-dialog.js';
import { WORSE_MARK, type PreviewPlan } from '../../src/views/trading-actions.js';

const plan: PreviewPlan = { id: 'p1', title: 'Flatten AAPL?', lines: ['SELL 100 AAPL LMT 189.50'] };
const bulk: PreviewPlan = { id: 'p2', title: 'Flatten every position?', lines: ['SELL 100 AAPL', 'BUY 5 ES'], word: 'FLATTEN' };
const typed = (d: TradeDialog | undefined, input: string): TradeDialog => ({ ...d!, input });

describe('tradeDialogReducer', () => {
  it('opens the arming dialog asking for the last four, with the arming time from the settings', () => {
    const d = tradeDialogReducer(undefined, { type: 'arm', account: 'DU***4567', minutes: 1 });
    expect(d).toEqual({
      kind: 'trade',
      phase: 'arm',
      title: 'Arm trading',
      input: '',
      lines: ['Account DU***4567', 'Arming allows sending orders from this console for 1 minute.'],
    });
    expect(tradeDialogReducer(undefined, { type: 'arm', account: undefined, minutes: 15 })!.lines).toEqual([
      'Account (not known yet)',
      'Arming allows sending orders from this console for 15 minutes.',
    ]);
  });

  it('a refused arming code clears the line and says what was typed, or that nothing was', () => {
    const d = tradeDialogReducer(undefined, { type: 'arm', account: 'DU***4567', minutes: 5 });
    const wrong = tradeDialogReducer(typed(d, '1234'), { type: 'armRefused', typed: '1234', message: 'that is not the account' });
    expect(wrong).toMatchObject({ phase: 'arm', input: '', error: 'You typed "1234"; that is not the account' });
    expect(tradeDialogReducer(d, { type: 'armRefused', typed: '', message: 'type 4 characters' })!.error).toBe('Nothing typed; type 4 characters');
  });

  it('a single plan waits for the confirm key; a bulk plan first asks for its word', () => {
    expect(tradeDialogReducer(undefined, { type: 'plan', plan })).toEqual({
      kind: 'trade',
      phase: 'confirm',
      title: plan.title,
      lines: plan.lines,
      planId: 'p1',
    });
    expect(tradeDialogReducer(undefined, { type: 'plan', plan: bulk })).toMatchObject({ phase: 'word', word: 'FLATTEN', input: '', planId: 'p2' });
  });

  it('the word unlocks the confirm key only typed exactly, and says why not otherwise', () => {
    const d = tradeDialogReducer(undefined, { type: 'plan', plan: bulk });
    const ok = tradeDialogReducer(typed(d, ' FLATTEN '), { type: 'submitWord' })!;
    expect(ok.phase).toBe('confirm');
    expect(ok).not.toHaveProperty('input');
    expect(ok).not.toHaveProperty('error');
    const errorOf = (text: string) => tradeDialogReducer(typed(d, text), { type: 'submitWord' })!;
    expect(errorOf('flatten')).toMatchObject({
      phase: 'word',
      input: '',
      error: '"flatten" is not in capitals; type FLATTEN exactly, in capitals, to continue',
    });
    expect(errorOf('FLAT').error).toBe('"FLAT" is not FLATTEN; type FLATTEN exactly, in capitals, to continue');
    expect(errorOf('').error).toBe('Nothing typed; type FLATTEN exactly, in capitals, to continue');
  });

  it('sends once: only a confirm-phase plan goes to sending, and a second send finds nothing to do', () => {
    const d = planDialog(plan);
    const sending = tradeDialogReducer(d, { type: 'send' })!;
    expect(sending.phase).toBe('sending');
    expect(tradeDialogReducer(sending, { type: 'send' })).toBe(sending);
    const word = planDialog(bulk);
    expect(tradeDialogReducer(word, { type: 'send' })).toBe(word);
  });

  it('shows progress under the plan, only for the plan being sent', () => {
    const sending = tradeDialogReducer(planDialog(plan), { type: 'send' })!;
    const rows = [{ label: 'SELL 100 AAPL', status: 'Submitted' }];
    expect(tradeDialogReducer(sending, { type: 'progress', planId: 'p1', planLines: plan.lines, rows })!.lines).toEqual([
      'SELL 100 AAPL LMT 189.50',
      '',
      'SELL 100 AAPL: Submitted',
    ]);
    expect(tradeDialogReducer(sending, { type: 'progress', planId: 'other', planLines: plan.lines, rows })).toBe(sending);
    const done = tradeDialogReducer(sending, { type: 'failed', confirmed: planDialog(plan), message: 'socket closed' })!;
    expect(tradeDialogReducer(done, { type: 'progress', planId: 'p1', planLines: plan.lines, rows })).toBe(done);
  });

  it('ends with the outcome: sent, refused with a new plan to review, refused outright, or failed', () => {
    const confirmed = planDialog(plan);
    const sending = tradeDialogReducer(confirmed, { type: 'send' });
    expect(tradeDialogReducer(sending, { type: 'outcome', confirmed, outcome: { kind: 'sent', lines: ['AAPL flat'] } })).toEqual({
      kind: 'trade',
      phase: 'done',
      title: 'Flatten AAPL: sent',
      lines: ['AAPL flat'],
    });
    const replan: PreviewPlan = { id: 'p3', title: 'Flatten AAPL?', lines: ['SELL 150 AAPL LMT 189.50'] };
    expect(tradeDialogReducer(sending, { type: 'outcome', confirmed, outcome: { kind: 'refused', message: 'TARGET_CHANGED', replan } })).toEqual({
      ...planDialog(replan),
      error: 'TARGET_CHANGED',
    });
    expect(tradeDialogReducer(sending, { type: 'outcome', confirmed, outcome: { kind: 'refused', message: 'not armed' } })).toEqual({
      ...confirmed,
      phase: 'done',
      error: 'not armed',
    });
    expect(tradeDialogReducer(sending, { type: 'failed', confirmed, message: 'socket closed' })).toEqual({
      ...confirmed,
      phase: 'done',
      error: 'Sending failed: socket closed',
    });
  });

  it('the reading time: ready only for the plan on screen, a too-early key noted on the same locked plan, a refusal by the wiring back to review', () => {
    const d = tradeDialogReducer(undefined, { type: 'plan', plan: { ...plan, readMs: 500 } })!;
    expect(d).toMatchObject({ phase: 'confirm', planId: 'p1', readMs: 500 });
    expect(d.ready).toBeUndefined();
    // Another plan's timer, or one already in that state, changes nothing.
    expect(tradeDialogReducer(d, { type: 'ready', planId: 'other', ready: true })).toBe(d);
    expect(tradeDialogReducer(d, { type: 'ready', planId: 'p1', ready: false })).toBe(d);
    const early = tradeDialogReducer(d, { type: 'tooSoon', planId: 'p1', message: 'Too soon (100 ms)' })!;
    expect(early).toMatchObject({ phase: 'confirm', planId: 'p1', tooSoon: 'Too soon (100 ms)', lines: d.lines });
    const ready = tradeDialogReducer(early, { type: 'ready', planId: 'p1', ready: true })!;
    expect(ready.ready).toBe(true);
    // Off screen (a resize cut an order): not ready again until it is read anew.
    expect(tradeDialogReducer(ready, { type: 'ready', planId: 'p1', ready: false })!.ready).toBe(false);
    // The wiring's own check refused the send: the same plan, under review, not ready.
    const sending = tradeDialogReducer(ready, { type: 'send' })!;
    const back = tradeDialogReducer(sending, { type: 'outcome', confirmed: ready, outcome: { kind: 'refused', message: 'Too soon (0 ms)', tooSoon: true } });
    expect(back).toMatchObject({ phase: 'confirm', planId: 'p1', ready: false, tooSoon: 'Too soon (0 ms)' });
    // A bulk word's Enter that came too early keeps what was typed; the word accepted later clears the note.
    const word = typed(tradeDialogReducer(undefined, { type: 'plan', plan: bulk }), 'FLATTEN');
    const wordEarly = tradeDialogReducer(word, { type: 'tooSoon', planId: 'p2', message: 'Too soon (50 ms)' })!;
    expect(wordEarly).toMatchObject({ phase: 'word', input: 'FLATTEN', tooSoon: 'Too soon (50 ms)' });
    const unlocked = tradeDialogReducer(tradeDialogReducer(wordEarly, { type: 'ready', planId: 'p2', ready: true }), { type: 'submitWord' })!;
    expect(unlocked).toMatchObject({ phase: 'confirm', ready: true });
    expect(unlocked.tooSoon).toBeUndefined();
  });

  it('closes from every phase but sending: orders on the way cannot be called back by closing', () => {
    const d = planDialog(plan);
    expect(tradeDialogReducer(d, { type: 'close' })).toBeUndefined();
    expect(tradeDialogReducer(planDialog(bulk), { type: 'close' })).toBeUndefined();
    const sending = tradeDialogReducer(d, { type: 'send' })!;
    expect(tradeDialogReducer(sending, { type: 'close' })).toBe(sending);
  });
});

describe('what the open dialog reads again on every publish', () => {
  const T = Date.UTC(2026, 10, 23, 14, 30);
  const marked: PreviewPlan = { ...plan, marks: [{ conId: 265598, label: 'AAPL', price: '187.2', at: T, limitMs: 30_000 }] };
  const armed = { ...INITIAL_STATE, arming: { until: T + 60_000, by: 'palette', at: T - 1000 } } as PortfolioState;

  it("each leg's mark with its age, STALE past its limit, and the live mark when it moved", () => {
    const d = tradeDialogReducer(undefined, { type: 'plan', plan: marked })!;
    expect(d.marks).toEqual(marked.marks);
    expect(markCells(d, armed, T + 3_400)).toEqual([{ text: 'AAPL mark 187.20, 3 s old', slot: 'muted' }]);
    const stale = markCells(d, armed, T + 30_001)[0]!;
    expect(stale).toEqual({
      text: 'AAPL mark 187.20, 30 s old: STALE (older than 30 s), confirming is refused and the plan offered again',
      slot: 'dialog.danger',
    });
    const moved = reduce(armed, [{ type: 'priceTicked', conId: 265598, field: 'mark', price: dec('188'), delayed: false }], T + 20_000);
    expect(markCells(d, moved, T + 21_000)[0]!.text).toBe('AAPL mark 187.20, 21 s old (now 188.00, 1 s old)');
    // Once sent, the plan's marks are history: no live line.
    expect(markCells(tradeDialogReducer(d, { type: 'send' })!, armed, T + 1000)).toEqual([]);
  });

  it('says when the arming ended under the open plan, and why', () => {
    const d = tradeDialogReducer(undefined, { type: 'plan', plan: marked })!;
    expect(armingEnded(d, armed, T + 59_999)).toBeUndefined();
    expect(armingEnded(d, armed, T + 60_000)).toMatch(
      /^Trading is no longer armed \(the arming expired\) while this dialog was open: confirming is refused \(NOT_ARMED\)/,
    );
    expect(armingEnded(d, INITIAL_STATE, T)).toMatch(/\(trading was disarmed\)/);
    // The arming dialog itself has no plan to refuse.
    expect(armingEnded(tradeDialogReducer(undefined, { type: 'arm', account: 'x', minutes: 1 })!, INITIAL_STATE, T)).toBeUndefined();
  });

  it('a line marked WORSE takes the warning colour, the others none', () => {
    expect(planCell(`${WORSE_MARK}cushion falls 50.0% -> 40.0%`)).toEqual({ text: '! WORSE: cushion falls 50.0% -> 40.0%', slot: 'risk.warn' });
    expect(planCell('after: maint (est.) 1,000 USD')).toEqual({ text: 'after: maint (est.) 1,000 USD' });
  });
});

function reduce(s: PortfolioState, bodies: readonly FeedEventBody[], at: number): PortfolioState {
  return bodies.reduce((st, b, i) => reduceEvent(st, { ...b, seq: st.lastSeq + 1 + i, receivedAt: at } as FeedEvent), s);
}

describe('the arming-ended footer after the session disarmed an expired arming', () => {
  it('still says the arming expired (the recorded reason), not a plain disarm', () => {
    const T = Date.UTC(2026, 10, 23, 14, 30);
    const d = tradeDialogReducer(undefined, { type: 'plan', plan })!;
    const s = { ...INITIAL_STATE, operatorActions: [{ seq: 1, at: T, action: 'disarmed', detail: { reason: 'expired' } }] } as PortfolioState;
    expect(armingEnded(d, s, T)).toMatch(/\(the arming expired\)/);
  });
});
