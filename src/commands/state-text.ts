// Plain-text account summary for `report` and the pre-console demo: readable at 80 columns, no colour needed.
import { accountCurrencies, accountValue, baseValue } from '../model/account-values.js';
import { contractLabel } from '../model/contract.js';
import type { PortfolioState } from '../model/state.js';
import { money } from '../views/format.js';


const KEY_TAGS = ['NetLiquidation', 'EquityWithLoanValue', 'InitMarginReq', 'MaintMarginReq', 'ExcessLiquidity', 'AvailableFunds'] as const;

/** Lines describing the account: values in base currency, cash per currency, positions. */
export function stateText(state: PortfolioState, opts: { width?: number; maxPositions?: number } = {}): string[] {
  const width = opts.width ?? 80;
  const base = state.baseCurrency ?? '?';
  const lines: string[] = [];
  lines.push(`account ${state.account ?? '-'}  base ${base}  health ${state.health.toUpperCase()}${state.healthReason ? ` (${state.healthReason})` : ''}`.slice(0, width));
  for (const tag of KEY_TAGS) lines.push(`  ${tag.padEnd(22)}${money(baseValue(state, tag)).padStart(16)} ${base}`);
  const cushion = accountValue(state, 'Cushion', '')?.value;
  lines.push(`  ${'Cushion'.padEnd(22)}${cushion ? `${cushion.mul(100).toFixed(1)}%`.padStart(16) : '-'.padStart(16)}`);
  const ccys = accountCurrencies(state);
  if (ccys.length > 0) {
    lines.push('cash by currency');
    for (const c of ccys) {
      const cash = accountValue(state, 'CashBalance', c)?.value;
      const rate = state.fxRates.get(c);
      lines.push(`  ${c}  ${money(cash, 2).padStart(18)}   x ${rate?.toString() ?? '?'}`);
    }
  }
  const rows = [...state.portfolio.values()].sort((a, b) => contractLabel(a.contract).localeCompare(contractLabel(b.contract)));
  lines.push(`positions (${rows.length})`);
  for (const r of rows.slice(0, opts.maxPositions ?? rows.length)) {
    const label = contractLabel(r.contract).padEnd(26).slice(0, 26);
    lines.push(`  ${label} ${r.contract.secType.padEnd(5)} ${r.position.toString().padStart(10)} @ ${money(r.marketPrice, 2).padStart(11)} ${r.contract.currency}  ${money(r.marketValue).padStart(13)}`.slice(0, width));
  }
  if (opts.maxPositions !== undefined && rows.length > opts.maxPositions) lines.push(`  ... ${rows.length - opts.maxPositions} more`);
  return lines;
}
