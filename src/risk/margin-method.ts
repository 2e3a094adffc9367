// The account's margin method (Reg T or portfolio margin): from the setting, TWS's account type rows, or which estimate the reported requirement matches.
import type { PortfolioState } from '../model/state.js';
import { floatOf, readBook, type ReportedValues } from './boundary.js';
import type { MarginMethod, StressParams } from './params.js';

/*
 * TWS does not send "this is a portfolio-margin account" on the account-updates stream as a documented row, so
 * `auto` takes, in order: (1) an account-type row that names the method, where one is present (`AccountType`,
 * `MarginType`, `AccountMarginType`, e.g. "PORTFOLIO MARGIN" or "REG T"); (2) the estimate the reported
 * securities requirement matches at zero shock: the Reg T rules and the TIMS-like scan are both computed on the
 * book, and the one nearer to TWS's number (by ratio) is chosen; (3) Reg T, when there is nothing to compare.
 * The choice and its evidence go into the report (docs/stress-model.md "Margin method").
 */

export type MarginMethodSource = 'setting' | 'accountType' | 'requirement' | 'default';

export interface MarginMethodChoice {
  readonly method: MarginMethod;
  readonly source: MarginMethodSource;
  /** Why, in words: the row read, or the reported requirement against both estimates. */
  readonly evidence: string;
}

const TYPE_KEYS = new Set(['accounttype', 'margintype', 'accountmargintype']);

/** The method named by an account-type row, if any row names one. */
export function methodFromAccountRows(state: PortfolioState): MarginMethodChoice | undefined {
  for (const map of [state.accountValues, state.accountSummary]) {
    for (const r of map.values()) {
      if (!TYPE_KEYS.has(r.tag.toLowerCase())) continue;
      const text = r.raw;
      if (/portfolio|\bPM\b/i.test(text)) return { method: 'portfolio', source: 'accountType', evidence: `${r.tag} = ${JSON.stringify(text)}` };
      if (/reg\.?\s*t\b|regt/i.test(text)) return { method: 'regT', source: 'accountType', evidence: `${r.tag} = ${JSON.stringify(text)}` };
    }
  }
  return undefined;
}

/** The reported securities-segment maintenance requirement (-S row, else the total less -C, else the total). */
function reportedSecurities(r: ReportedValues): number {
  if (r.maintMarginReqS) return floatOf(r.maintMarginReqS);
  if (r.maintMarginReq && r.maintMarginReqC) return floatOf(r.maintMarginReq) - floatOf(r.maintMarginReqC);
  return r.maintMarginReq ? floatOf(r.maintMarginReq) : NaN;
}

/**
 * Resolves `params.marginMethod`. `estimate(method)` is the securities-segment maintenance estimate at zero
 * shock under that method, in base currency (the grid computes it; passed in so this module needs no grid).
 */
export function resolveMarginMethod(state: PortfolioState, params: StressParams, estimate: (method: MarginMethod) => number): MarginMethodChoice {
  if (params.marginMethod !== 'auto') return { method: params.marginMethod, source: 'setting', evidence: `risk.marginMethod = ${params.marginMethod}` };
  const fromRows = methodFromAccountRows(state);
  if (fromRows) return fromRows;
  const reported = reportedSecurities(readBook(state, { ...params, marginMethod: 'regT' }).reported);
  if (!(reported > 0)) return { method: 'regT', source: 'default', evidence: 'no reported securities requirement to compare: Reg T assumed' };
  const regT = estimate('regT');
  const pm = estimate('portfolio');
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const evidence = `reported securities requirement ${fmt(reported)}; Reg T estimate ${fmt(regT)}, portfolio-margin estimate ${fmt(pm)} at zero shock`;
  // Distance by ratio, so that a book's size does not matter; an estimate of 0 can match nothing.
  const off = (e: number) => (e > 0 ? Math.abs(Math.log(reported / e)) : Infinity);
  if (off(regT) === Infinity && off(pm) === Infinity)
    return { method: 'regT', source: 'default', evidence: `${evidence}: neither estimates a requirement, Reg T assumed` };
  return off(pm) < off(regT)
    ? { method: 'portfolio', source: 'requirement', evidence: `${evidence}: portfolio margin is nearer` }
    : { method: 'regT', source: 'requirement', evidence: `${evidence}: Reg T is nearer` };
}
