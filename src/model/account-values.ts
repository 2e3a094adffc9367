// Account value keys: split TWS tags into root and segment, and read rows by (tag, currency) without guessing.
import type { Decimal } from './money.js';
import type { AccountValue, PortfolioState, Segment } from './state.js';

const SEGMENT_SUFFIX = /^(.+)-([SCPF])$/;

/** Splits `NetLiquidation-S` into `{ tag: 'NetLiquidation', segment: 'S' }`; no suffix means the account total. */
export function splitTag(key: string): { tag: string; segment?: Segment } {
  const m = SEGMENT_SUFFIX.exec(key);
  return m ? { tag: m[1]!, segment: m[2] as Segment } : { tag: key };
}

/** Map key of an account value row: the raw tag (with suffix) and the currency, which are never merged. */
export function accountValueKey(rawTag: string, currency: string): string {
  return `${rawTag}|${currency}`;
}

/**
 * The row for (tag, currency, segment) from account updates. Never "the first NetLiquidation row": a JPY-base
 * account sends NetLiquidation in JPY and NetLiquidationByCurrency per currency (reference/risk-model.md §1.2).
 */
export function accountValue(
  state: PortfolioState,
  tag: string,
  currency: string,
  segment?: Segment,
  from: 'accountValues' | 'accountSummary' = 'accountValues',
): AccountValue | undefined {
  return state[from].get(accountValueKey(segment ? `${tag}-${segment}` : tag, currency));
}

/** The numeric value of a whole-account row in base currency (NetLiquidation, MaintMarginReq, ...). */
export function baseValue(state: PortfolioState, tag: string, segment?: Segment): Decimal | undefined {
  return state.baseCurrency ? accountValue(state, tag, state.baseCurrency, segment)?.value : undefined;
}

/** Currencies with a per-currency row (CashBalance or NetLiquidationByCurrency), excluding BASE, sorted. */
export function accountCurrencies(state: PortfolioState): string[] {
  const out = new Set<string>();
  for (const row of state.accountValues.values()) {
    if ((row.tag === 'CashBalance' || row.tag === 'NetLiquidationByCurrency') && row.currency && row.currency !== 'BASE') {
      out.add(row.currency);
    }
  }
  return [...out].sort();
}
