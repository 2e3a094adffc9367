// The trading dialog's state machine as a pure reducer: arm, word, confirm, sending, done; the handler does the effects.
import { ageText, liveMark } from '../model/mark.js';
import { dec, type Decimal } from '../model/money.js';
import type { PortfolioState } from '../model/state.js';
import { contractPrice, price } from './format.js';
import type { Cell } from './rows/common.js';
import { FROZEN_MARK, WORSE_MARK, type ConfirmOutcome, type PreviewPlan, type ProgressRow } from './trading-actions.js';
import type { Dialog } from './ui-state.js';

/*
 * What the operator sees and may answer is a function of the dialog and what happened, nothing else, so every path
 * (a wrong word, a refusal with a new plan, a failed send) is testable without a terminal. Effects (arming,
 * declining, sending) stay in commands/trading.ts, which dispatches the outcome here.
 */

export type TradeDialog = Extract<Dialog, { kind: 'trade' }>;

export type TradeDialogAction =
  /** A plan command's key: the dialog is on screen at once, saying the plan is being built (nothing can be confirmed). */
  | { readonly type: 'planning'; readonly title: string }
  /** trade.arm without an argument: ask for the account's last four characters. */
  | { readonly type: 'arm'; readonly account: string | undefined; readonly minutes: number }
  /** A locked plan to review (a bulk scope first asks for its word); `error` says why a previous plan was replaced. */
  | { readonly type: 'plan'; readonly plan: PreviewPlan; readonly error?: string }
  /** The wiring refused the typed arming code: ask again, saying what was typed. */
  | { readonly type: 'armRefused'; readonly typed: string; readonly message: string }
  /** The plan's reading time passed (true), or the plan left the screen and its reading time starts again (false). */
  | { readonly type: 'ready'; readonly planId: string; readonly ready: boolean }
  /** A confirm before the reading time passed: said in the dialog, which stays open on the same locked plan. */
  | { readonly type: 'tooSoon'; readonly planId: string; readonly message: string }
  /** Enter in the word phase: the typed word unlocks the confirm key, or is refused with the reason. */
  | { readonly type: 'submitWord' }
  /** The operator confirmed: the phase leaves 'confirm' before anything is sent, so a repeated key finds nothing. */
  | { readonly type: 'send' }
  /** Orders followed after the send: the plan's lines, then one line per order. */
  | { readonly type: 'progress'; readonly planId: string; readonly planLines: readonly string[]; readonly rows: readonly ProgressRow[] }
  /** The send's outcome; `confirmed` is the dialog as it was confirmed. */
  | { readonly type: 'outcome'; readonly confirmed: TradeDialog; readonly outcome: ConfirmOutcome }
  | { readonly type: 'failed'; readonly confirmed: TradeDialog; readonly message: string }
  /** Cancel or Esc: closes, except while orders are on the way (closing cannot call them back). */
  | { readonly type: 'close' };

export function planDialog(p: PreviewPlan, error?: string): TradeDialog {
  return {
    kind: 'trade',
    phase: p.word ? 'word' : 'confirm',
    title: p.title,
    lines: p.lines,
    planId: p.id,
    ...(p.word ? { word: p.word, input: '' } : {}),
    ...(error ? { error } : {}),
    ...(p.marks && p.marks.length > 0 ? { marks: p.marks } : {}),
    ...(p.orderLines !== undefined ? { orderLines: p.orderLines } : {}),
    ...(p.readMs !== undefined ? { readMs: p.readMs } : {}),
  };
}

/**
 * Each leg's mark line, read again on every publish while the plan is under review: the locked mark with its age,
 * the live mark beside it when it moved, and STALE once it is older than its limit (confirming is then refused).
 */
export function markCells(d: TradeDialog, live: PortfolioState, now: number): Cell[] {
  if (!d.marks || (d.phase !== 'confirm' && d.phase !== 'word')) return [];
  return d.marks.map((m): Cell => {
    const ageMs = Math.max(0, now - m.at);
    const cur = liveMark(live, m.conId);
    // Both in the panes' price format (the contract's decimals), so 235.10 is not shown as 235.1 beside a locked 235.07.
    const contract = live.portfolio.get(m.conId)?.contract ?? live.positions.get(m.conId)?.contract;
    const fmt = (v: Decimal) => (contract ? contractPrice(v, contract) : price(v));
    const locked = fmt(dec(m.price));
    const moved = cur && cur.at > m.at && !cur.price.eq(m.price) ? ` (now ${fmt(cur.price)}, ${ageText(now - cur.at)})` : '';
    if (ageMs > m.limitMs) {
      return {
        text: `${m.label} mark ${locked}, ${ageText(ageMs)}${moved}: STALE (older than ${Math.round(m.limitMs / 1000)} s), confirming is refused and the plan offered again`,
        slot: 'dialog.danger',
      };
    }
    return { text: `${m.label} mark ${locked}, ${ageText(ageMs)}${moved}`, slot: 'muted' };
  });
}

/**
 * Why the plan can no longer be sent because of the arming (undefined while armed): said in the footer in place of
 * the confirm key, since the guard would refuse it anyway.
 */
export function armingEnded(d: TradeDialog, live: PortfolioState, now: number): string | undefined {
  if (d.planId === undefined || (d.phase !== 'confirm' && d.phase !== 'word')) return undefined;
  const a = live.arming;
  if (a && a.until > now) return undefined;
  // The session's watch disarms an expired arming at once: the recorded reason says it expired, not the operator.
  const last = [...live.operatorActions].reverse().find((x) => x.action === 'disarmed');
  const reason = last?.action === 'disarmed' ? last.detail.reason : undefined;
  const why = a || reason === 'expired' ? 'the arming expired' : 'trading was disarmed';
  return `Trading is no longer armed (${why}) while this dialog was open: confirming is refused (NOT_ARMED). Close it, arm again and plan anew.`;
}

/**
 * A plan line as dialog rows: one "; " clause a row, so a narrow terminal keeps a refusal's code. A note is one
 * sentence and stays whole (wrapped to the width with its continuation indented): split, its second clause stood on a
 * row of its own without its "note:" and read as a line about something else.
 */
export function planCells(line: string): Cell[] {
  return (line.startsWith('note: ') ? [line] : line.split('; ')).map(planCell);
}

/**
 * Lines the after-flatten picture marks as getting worse are drawn in the warning colour, the frozen-panes line in the
 * danger colour (the words say it too).
 */
export function planCell(text: string): Cell {
  if (text.startsWith(FROZEN_MARK)) return { text, slot: 'dialog.danger' };
  return text.startsWith(WORSE_MARK) ? { text, slot: 'risk.warn' } : { text };
}

/** The dialog after `action`; undefined when it closes. Returns `d` itself when the action does not apply. */
export function tradeDialogReducer(d: TradeDialog | undefined, action: TradeDialogAction): TradeDialog | undefined {
  switch (action.type) {
    case 'planning':
      return { kind: 'trade', phase: 'planning', title: action.title, lines: [] };
    case 'arm':
      return {
        kind: 'trade',
        phase: 'arm',
        title: 'Arm trading',
        input: '',
        lines: [
          `Account ${action.account ?? '(not known yet)'}`,
          `Arming allows sending orders from this console for ${action.minutes} minute${action.minutes === 1 ? '' : 's'}.`,
        ],
      };
    case 'plan':
      return planDialog(action.plan, action.error);
    case 'armRefused':
      if (d?.phase !== 'arm') return d;
      return { ...d, input: '', error: action.typed === '' ? `Nothing typed; ${action.message}` : `You typed "${action.typed}"; ${action.message}` };
    case 'ready':
      if (d?.planId !== action.planId || (d.phase !== 'confirm' && d.phase !== 'word') || Boolean(d.ready) === action.ready) return d;
      return { ...d, ready: action.ready };
    case 'tooSoon':
      if (d?.planId !== action.planId || (d.phase !== 'confirm' && d.phase !== 'word')) return d;
      return { ...d, tooSoon: action.message };
    case 'submitWord': {
      if (d?.phase !== 'word') return d;
      const word = d.word ?? '';
      const typed = (d.input ?? '').trim();
      if (typed === word) {
        const { input: _typed, error: _error, tooSoon: _early, ...rest } = d;
        return { ...rest, phase: 'confirm' };
      }
      // Say what was wrong: a lower-case word is the usual slip, and it is refused on purpose.
      const why = typed === '' ? 'Nothing typed' : typed.toUpperCase() === word ? `"${typed}" is not in capitals` : `"${typed}" is not ${word}`;
      return { ...d, input: '', error: `${why}; type ${word} exactly, in capitals, to continue` };
    }
    case 'send':
      return d?.phase === 'confirm' && d.planId !== undefined ? { ...d, phase: 'sending' } : d;
    case 'progress':
      if (d?.phase !== 'sending' || d.planId !== action.planId) return d;
      return { ...d, lines: [...action.planLines, '', ...action.rows.map((r) => `${r.label}: ${r.status}`)] };
    case 'outcome': {
      const { confirmed: c, outcome: o } = action;
      // Refused by the reading time alone (the wiring's own check): the same plan, still locked, under review again.
      if (o.kind === 'refused' && o.tooSoon) return { ...c, phase: 'confirm', ready: false, tooSoon: o.message };
      if (o.kind === 'refused') return o.replan ? planDialog(o.replan, o.message) : { ...c, phase: 'done', error: o.message };
      return { kind: 'trade', phase: 'done', title: `${c.title.replace(/\?$/, '')}: sent`, lines: o.lines };
    }
    case 'failed':
      return { ...action.confirmed, phase: 'done', error: `Sending failed: ${action.message}` };
    case 'close':
      return d?.phase === 'sending' ? d : undefined;
  }
}
