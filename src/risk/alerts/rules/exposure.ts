// exposure.ccy and concentration.und: too much of the account in one currency or one underlying.
import { accountCurrencies, accountValue, baseValue } from '../../../model/account-values.js';
import { assetClassOf } from '../../../model/contract.js';
import { Decimal, ZERO } from '../../../model/money.js';
import type { PortfolioState, PortfolioRow } from '../../../model/state.js';
import { level, money, pct } from '../format.js';
import type { Finding } from '../types.js';
import { clearLevel, levelOf, type RuleContext } from './context.js';

/*
 * Currency exposure is the net value held in a non-base currency (NetLiquidationByCurrency, else cash plus
 * the positions' market values in it), converted at ExchangeRate, as a share of NetLiquidation; long or
 * short alike (a franc loan is an exposure too, risk-model.md §0.9). CASH pairs and futures add nothing:
 * a pair's legs are already the cash balances, a future's value is its P&L, already in cash.
 * Concentration groups positions by underlying symbol (a stock with its options, a future's options),
 * each at the absolute market value TWS marks it at, in base currency, over the gross position value of the
 * same positions; futures are left out, as from IBKR's GrossPositionValue (their notional is not a value).
 */

/** Positions that carry a market value of their own (not futures, not CASH pairs). */
export function valuedRows(state: PortfolioState): PortfolioRow[] {
  return [...state.portfolio.values()].filter((r) => {
    const c = assetClassOf(r.contract.secType);
    return c !== 'FUT' && c !== 'CASH';
  });
}

export function rateOf(state: PortfolioState, currency: string): Decimal | undefined {
  return currency === state.baseCurrency ? new Decimal(1) : state.fxRates.get(currency);
}

/** Net value of each non-base currency in base currency, by currency code. */
export function currencyExposures(state: PortfolioState): Map<string, Decimal> {
  const out = new Map<string, Decimal>();
  const base = state.baseCurrency;
  const rows = valuedRows(state);
  for (const c of accountCurrencies(state)) {
    if (c === base) continue;
    const rate = rateOf(state, c);
    if (!rate) continue;
    let local = accountValue(state, 'NetLiquidationByCurrency', c)?.value;
    if (local === undefined) {
      local = accountValue(state, 'CashBalance', c)?.value ?? ZERO;
      for (const r of rows) if (r.contract.currency === c) local = local.add(r.marketValue ?? ZERO);
    }
    out.set(c, local.mul(rate));
  }
  return out;
}

/** Gross value per underlying symbol in base currency, and the total. */
export function underlyingValues(state: PortfolioState): { byUnderlying: Map<string, Decimal>; gross: Decimal } {
  const byUnderlying = new Map<string, Decimal>();
  let gross = ZERO;
  for (const r of valuedRows(state)) {
    const rate = rateOf(state, r.contract.currency);
    if (!rate || !r.marketValue) continue;
    const v = r.marketValue.abs().mul(rate);
    byUnderlying.set(r.contract.symbol, (byUnderlying.get(r.contract.symbol) ?? ZERO).add(v));
    gross = gross.add(v);
  }
  return { byUnderlying, gross };
}

export function exposureRules(ctx: RuleContext): Finding[] {
  const { state } = ctx;
  const out: Finding[] = [];
  const base = state.baseCurrency ?? 'USD';
  const ec = ctx.config.rules['exposure.ccy'];
  const nlv = baseValue(state, 'NetLiquidation');
  if (ec.enabled && nlv && nlv.gt(0)) {
    for (const [c, value] of currencyExposures(state)) {
      const share = value.div(nlv).toNumber();
      const levels = ec.perCurrency[c] ?? ec.above;
      const lv = levelOf(Math.abs(share), levels, 'above');
      if (!lv) continue;
      out.push({
        id: `exposure.ccy:${c}`,
        rule: 'exposure.ccy',
        severity: lv.severity,
        title:
          `${c} exposure is ${money(value, base)} (${value.isNegative() ? 'short' : 'long'}), ${pct(Math.abs(share))} of NetLiquidation ` +
          `${money(nlv, base)}: above the ${level(lv.threshold)} limit`,
        detail: { currency: c, value: value.toDecimalPlaces(2).toString(), share, threshold: lv.threshold, netLiquidation: nlv.toString(), base },
      });
    }
  }
  const cc = ctx.config.rules['concentration.und'];
  if (cc.enabled) {
    const { byUnderlying, gross } = underlyingValues(state);
    const target = clearLevel(cc.above, 'above');
    if (gross.gt(0)) {
      for (const [und, v] of [...byUnderlying.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const share = v.div(gross).toNumber();
        const lv = levelOf(share, cc.above, 'above');
        if (!lv) continue;
        out.push({
          id: `concentration.und:${und}`,
          rule: 'concentration.und',
          severity: lv.severity,
          title: `${und} is ${pct(share)} of gross position value (${money(v, base)} of ${money(gross, base)}): above the ${level(lv.threshold)} limit`,
          detail: { underlying: und, value: v.toDecimalPlaces(2).toString(), gross: gross.toDecimalPlaces(2).toString(), share, threshold: lv.threshold, base },
          ...(target !== undefined ? { reduction: { kind: 'concentration', underlying: und, max: target } as const } : {}),
        });
      }
    }
  }
  return out;
}
