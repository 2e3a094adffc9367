// Several accounts of one login seen as one: NetLiquidation and ExcessLiquidity summed in one base currency, the
// worst cushion and the worst stress scenario across the accounts (each account's own figures stay its own).
import { accountValue, baseValue } from '../model/account-values.js';
import { Decimal } from '../model/money.js';
import type { PortfolioState } from '../model/state.js';
import type { StressReport } from './report.js';

/** The aggregate row's id among account ids (TWS account ids are never this word); views may name it without the session core. */
export const ALL_ACCOUNTS = 'all';

export interface AccountFigures {
  readonly account: string;
  readonly state: PortfolioState;
  /** `flat`: a synchronised account with no positions, which has nothing to stress (not a problem to report). */
  readonly stress: StressReport | { readonly error: string; readonly flat?: true };
}

export interface Aggregate {
  /** The first account's base currency: every sum is in it. */
  readonly baseCurrency: string | undefined;
  readonly accounts: readonly string[];
  /** Undefined when an account's figure is missing or cannot be converted (`problems` says which). */
  readonly netLiquidation?: Decimal;
  readonly excessLiquidity?: Decimal;
  readonly worstCushion?: { readonly account: string; readonly cushion: Decimal };
  /** The scenario losing most, in the aggregate's base currency, across every account's report. */
  readonly worstStress?: { readonly account: string; readonly scenario: string; readonly label: string; readonly pnl: Decimal };
  readonly problems: readonly string[];
}

/**
 * Units of `to` per one `from`, from TWS's own ExchangeRate rows (each account's rows give its currencies in its base):
 * a row of an account based in `to`, else the inverse of a row of an account based in `from`.
 */
export function exchangeRate(states: readonly PortfolioState[], from: string, to: string): Decimal | undefined {
  if (from === to) return new Decimal(1);
  for (const s of states) {
    const v = s.baseCurrency === to ? accountValue(s, 'ExchangeRate', from)?.value : undefined;
    if (v && v.gt(0)) return v;
  }
  for (const s of states) {
    const v = s.baseCurrency === from ? accountValue(s, 'ExchangeRate', to)?.value : undefined;
    if (v && v.gt(0)) return new Decimal(1).div(v);
  }
  return undefined;
}

export function aggregateAccounts(list: readonly AccountFigures[]): Aggregate {
  const states = list.map((a) => a.state);
  const base = list[0]?.state.baseCurrency;
  const problems: string[] = [];
  const inBase = (a: AccountFigures, v: Decimal): Decimal | undefined => {
    const from = a.state.baseCurrency;
    if (!base || !from) return undefined;
    const x = exchangeRate(states, from, base);
    if (!x) problems.push(`${a.account}: no ${from}/${base} exchange rate from TWS`);
    return x ? v.mul(x) : undefined;
  };
  const sum = (tag: string): Decimal | undefined => {
    let total: Decimal | undefined = new Decimal(0);
    for (const a of list) {
      const v = baseValue(a.state, tag);
      if (v === undefined) problems.push(`${a.account}: no ${tag}`);
      const b = v === undefined ? undefined : inBase(a, v);
      total = total && b ? total.add(b) : undefined;
    }
    return total?.toDecimalPlaces(2);
  };
  const netLiquidation = sum('NetLiquidation');
  const excessLiquidity = sum('ExcessLiquidity');
  let worstCushion: Aggregate['worstCushion'];
  for (const a of list) {
    const c = accountValue(a.state, 'Cushion', '')?.value;
    if (c !== undefined && (!worstCushion || c.lt(worstCushion.cushion))) worstCushion = { account: a.account, cushion: c };
  }
  let worstStress: Aggregate['worstStress'];
  for (const a of list) {
    if ('error' in a.stress) {
      if (!a.stress.flat) problems.push(`${a.account}: stress not available (${a.stress.error})`);
      continue;
    }
    for (const s of a.stress.scenarios) {
      const pnl = inBase(a, s.pnl.total);
      if (pnl !== undefined && (!worstStress || pnl.lt(worstStress.pnl)))
        worstStress = { account: a.account, scenario: s.id, label: s.label, pnl: pnl.toDecimalPlaces(2) };
    }
  }
  return {
    baseCurrency: base,
    accounts: list.map((a) => a.account),
    ...(netLiquidation ? { netLiquidation } : {}),
    ...(excessLiquidity ? { excessLiquidity } : {}),
    ...(worstCushion ? { worstCushion } : {}),
    ...(worstStress ? { worstStress } : {}),
    problems: [...new Set(problems)],
  };
}

/** The aggregate as the `report --json` document's `aggregate` (Decimals as exact strings). */
export function aggregateJson(a: Aggregate): Record<string, unknown> {
  const s = (d: Decimal | undefined) => (d === undefined ? null : d.toString());
  return {
    baseCurrency: a.baseCurrency ?? null,
    accounts: a.accounts,
    netLiquidation: s(a.netLiquidation),
    excessLiquidity: s(a.excessLiquidity),
    worstCushion: a.worstCushion ? { account: a.worstCushion.account, cushion: s(a.worstCushion.cushion) } : null,
    worstStress: a.worstStress ? { ...a.worstStress, pnl: s(a.worstStress.pnl) } : null,
    problems: a.problems,
  };
}

/** The aggregate as report lines. */
export function aggregateText(a: Aggregate): string[] {
  const ccy = a.baseCurrency ?? '';
  const money = (d: Decimal | undefined) => (d === undefined ? 'n/a' : `${d.toFixed(2)} ${ccy}`);
  const lines = [
    `all accounts (${a.accounts.join(', ')}), in ${ccy || 'n/a'}:`,
    `  NetLiquidation   ${money(a.netLiquidation)}`,
    `  ExcessLiquidity  ${money(a.excessLiquidity)}`,
    `  worst cushion    ${a.worstCushion ? `${a.worstCushion.cushion.mul(100).toFixed(1)}% (${a.worstCushion.account})` : 'n/a'}`,
    `  worst stress     ${a.worstStress ? `${money(a.worstStress.pnl)} ${a.worstStress.label} (${a.worstStress.account})` : 'n/a'}`,
  ];
  for (const p of a.problems) lines.push(`  note: ${p}`);
  return lines;
}
