// Plain-text account summary for `report` and the text demo: no colour needed, cut only for a refreshing terminal.
import { accountCurrencies, accountValue, baseValue } from '../model/account-values.js';
import { contractLabel } from '../model/contract.js';
import type { PortfolioState } from '../model/state.js';
import { contractPrice, fxRate, money, quantity } from '../views/format.js';

const KEY_TAGS = ['NetLiquidation', 'EquityWithLoanValue', 'InitMarginReq', 'MaintMarginReq', 'ExcessLiquidity', 'AvailableFunds'] as const;

/**
 * Lines describing the account: values in base currency, cash per currency, positions (each valued in base, with its
 * own currency's value beside it). `width` cuts the lines for a terminal that refreshes in place; without it (a
 * pipe, a file, `--once`) nothing is cut. `maxPositions` is for that refreshing terminal too.
 */
export function stateText(state: PortfolioState, opts: { width?: number; maxPositions?: number } = {}): string[] {
  const cut = (line: string) => (opts.width === undefined ? line : line.slice(0, opts.width));
  const base = state.baseCurrency ?? '?';
  const lines: string[] = [];
  lines.push(cut(`account ${state.account ?? '-'}  base ${base}  health ${state.health.toUpperCase()}${state.healthReason ? ` (${state.healthReason})` : ''}`));
  for (const tag of KEY_TAGS) lines.push(`  ${tag.padEnd(22)}${money(baseValue(state, tag)).padStart(16)} ${base}`);
  const cushion = accountValue(state, 'Cushion', '')?.value;
  lines.push(`  ${'Cushion'.padEnd(22)}${cushion ? `${cushion.mul(100).toFixed(1)}%`.padStart(16) : '-'.padStart(16)}`);
  const ccys = accountCurrencies(state);
  if (ccys.length > 0) {
    lines.push('cash by currency');
    for (const c of ccys) {
      const cash = accountValue(state, 'CashBalance', c)?.value;
      const rate = state.fxRates.get(c);
      lines.push(`  ${c}  ${money(cash, 2).padStart(18)}   x ${rate ? fxRate(rate) : '?'}`);
    }
  }
  const rows = [...state.portfolio.values()].sort((a, b) => contractLabel(a.contract).localeCompare(contractLabel(b.contract)));
  lines.push(`positions (${money(rows.length)}), value in ${base}`);
  const shown = rows.slice(0, opts.maxPositions ?? rows.length);
  const labelWidth = Math.max(0, ...shown.map((r) => contractLabel(r.contract).length));
  for (const r of shown) {
    const ccy = r.contract.currency;
    const rate = ccy === base ? undefined : state.fxRates.get(ccy);
    const inBase = ccy === base ? money(r.marketValue) : rate && r.marketValue ? money(r.marketValue.mul(rate)) : '?';
    const local = ccy === base ? '' : `  (${money(r.marketValue)} ${ccy}${rate ? '' : ', no rate'})`;
    lines.push(
      cut(
        `  ${contractLabel(r.contract).padEnd(labelWidth)} ${r.contract.secType.padEnd(5)} ${quantity(r.position).padStart(10)} @ ${contractPrice(r.marketPrice, r.contract).padStart(11)} ${ccy}  ${inBase.padStart(13)} ${base}${local}`,
      ),
    );
  }
  if (shown.length < rows.length) lines.push(`  ... ${money(rows.length - shown.length)} more`);
  return lines;
}
