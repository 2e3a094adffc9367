// Account summary (reqAccountSummary): which tags TWS answers, $LEDGER handling, rows from the account view.
import type { AccountView } from './valuation.js';

/** Account summary tags TWS knows (other tags are ignored, as TWS does). */
const SUMMARY_TAGS = new Set([
  'AccountType',
  'NetLiquidation',
  'TotalCashValue',
  'SettledCash',
  'AccruedCash',
  'BuyingPower',
  'EquityWithLoanValue',
  'PreviousDayEquityWithLoanValue',
  'GrossPositionValue',
  'RegTEquity',
  'RegTMargin',
  'SMA',
  'InitMarginReq',
  'MaintMarginReq',
  'AvailableFunds',
  'ExcessLiquidity',
  'Cushion',
  'FullInitMarginReq',
  'FullMaintMarginReq',
  'FullAvailableFunds',
  'FullExcessLiquidity',
  'LookAheadNextChange',
  'LookAheadInitMarginReq',
  'LookAheadMaintMarginReq',
  'LookAheadAvailableFunds',
  'LookAheadExcessLiquidity',
  'HighestSeverity',
  'DayTradesRemaining',
  'Leverage',
]);

/** Summary tags without a currency. */
const DIMENSIONLESS = new Set(['AccountType', 'Cushion', 'DayTradesRemaining', 'HighestSeverity', 'LookAheadNextChange', 'Leverage']);

/** Per-currency keys returned for $LEDGER tags (and, with NetLiquidation, to a ledgerAndNLV multi subscription). */
export const LEDGER_KEYS = [
  'CashBalance',
  'TotalCashBalance',
  'AccruedCash',
  'StockMarketValue',
  'OptionMarketValue',
  'FutureOptionValue',
  'FuturesPNL',
  'NetLiquidationByCurrency',
  'UnrealizedPnL',
  'RealizedPnL',
  'ExchangeRate',
  'TBondValue',
  'CorporateBondValue',
];

/** One reqAccountSummary subscription and what was last sent per (tag, currency). */
export interface SummarySub {
  readonly tags: ReadonlySet<string>;
  /** '' none, 'BASE' for $LEDGER, 'ALL' for $LEDGER:ALL, or an ISO code for $LEDGER:CCY. */
  readonly ledger: string;
  readonly last: Map<string, string>;
}

export function summarySub(tagList: string): SummarySub {
  const tags = new Set<string>();
  let ledger = '';
  for (const raw of tagList
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    if (raw === '$LEDGER') ledger = 'BASE';
    else if (raw === '$LEDGER:ALL') ledger = 'ALL';
    else if (raw.startsWith('$LEDGER:')) ledger = raw.slice(8).toUpperCase();
    else if (SUMMARY_TAGS.has(raw)) tags.add(raw);
  }
  return { tags, ledger, last: new Map() };
}

/** The rows a subscription asks for, from the current account view. */
export function summaryRows(view: AccountView, sub: SummarySub, base: string): Array<{ tag: string; value: string; currency: string }> {
  const out: Array<{ tag: string; value: string; currency: string }> = [];
  for (const tag of sub.tags) {
    // Summary tags are totals; two of them are named differently in the account updates stream.
    const key = tag === 'Leverage' ? 'Leverage-S' : tag === 'SettledCash' ? 'TotalCashValue' : tag;
    const currency = DIMENSIONLESS.has(tag) ? '' : base;
    const value = view.byKey.get(`${key}|${currency}`) ?? view.byKey.get(`${key}|`);
    if (value !== undefined) out.push({ tag, value, currency });
  }
  if (sub.ledger) {
    const ccys = sub.ledger === 'ALL' ? ['BASE', ...view.currencies] : sub.ledger === 'BASE' ? ['BASE'] : [sub.ledger];
    for (const c of ccys) {
      for (const key of LEDGER_KEYS) {
        const value = view.byKey.get(`${key}|${c}`);
        if (value !== undefined) out.push({ tag: key, value, currency: c });
      }
    }
  }
  return out;
}
