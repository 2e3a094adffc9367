// The state part of `tws-risk report`: what is known, what is still missing, as JSON-safe values and as text.
import { contractLabel } from '../model/contract.js';
import type { PortfolioState } from '../model/state.js';

/**
 * What a complete snapshot still lacks (empty when the report can be trusted as complete). `figuresOnly`: only what
 * the stress figures are made of (the account summary, which a live report also waits for, only confirms the margin
 * method; recordings from sessions that never asked for it replay without it).
 */
export function missingData(state: PortfolioState, o: { figuresOnly?: boolean } = {}): string[] {
  const missing: string[] = [];
  if (!state.account) missing.push('the account (no managed accounts received)');
  if (!state.complete.accountDownload) missing.push('the account download (account values and portfolio)');
  if (!state.complete.positions) missing.push('the positions snapshot');
  if (!state.complete.accountSummary && !o.figuresOnly) missing.push('the account summary');
  const unpriced: string[] = [];
  for (const row of state.portfolio.values()) {
    const t = row.contract.secType;
    if (t !== 'OPT' && t !== 'FOP' && t !== 'WAR') continue;
    const o = state.options.get(row.contract.conId);
    if (o?.impliedVol === undefined || o.underlyingPrice === undefined) unpriced.push(contractLabel(row.contract));
  }
  if (unpriced.length > 0) missing.push(`option computations for ${unpriced.sort().join(', ')}`);
  return missing;
}

const s = (d: { toString(): string } | undefined) => (d === undefined ? null : d.toString());

/** The state as the `report --json` document's state fields (docs/report-json.md). */
export function stateJson(state: PortfolioState): Record<string, unknown> {
  const accountValues: Record<string, Record<string, string>> = {};
  for (const row of state.accountValues.values()) (accountValues[row.key] ??= {})[row.currency] = row.raw;
  const accountSummary: Record<string, Record<string, string>> = {};
  for (const row of state.accountSummary.values()) (accountSummary[row.key] ??= {})[row.currency] = row.raw;
  const positions = [...state.portfolio.values()]
    .sort((a, b) => a.contract.conId - b.contract.conId)
    .map((r) => {
      const c = r.contract;
      const o = state.options.get(c.conId);
      return {
        conId: c.conId,
        symbol: c.symbol,
        label: contractLabel(c),
        secType: c.secType,
        currency: c.currency,
        ...(c.expiry ? { expiry: c.expiry } : {}),
        ...(c.strike ? { strike: c.strike.toString() } : {}),
        ...(c.right ? { right: c.right } : {}),
        ...(c.multiplier ? { multiplier: c.multiplier.toString() } : {}),
        position: r.position.toString(),
        marketPrice: s(r.marketPrice),
        marketValue: s(r.marketValue),
        averageCost: s(r.averageCost),
        unrealizedPnl: s(r.unrealizedPnl),
        ...(o
          ? { option: { impliedVol: o.impliedVol ?? null, delta: o.delta ?? null, underlyingPrice: o.underlyingPrice ?? null, fromModel: o.fromModel } }
          : {}),
      };
    });
  const orders = [...state.orders.values()]
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((o) => ({
      orderId: o.orderId,
      clientId: o.clientId,
      permId: o.permId,
      status: o.status,
      filled: o.filled.toString(),
      remaining: s(o.remaining),
      ...(o.info
        ? {
            symbol: contractLabel(o.info.contract),
            action: o.info.action,
            totalQuantity: o.info.totalQuantity.toString(),
            orderType: o.info.orderType,
            limitPrice: s(o.info.limitPrice),
          }
        : {}),
    }));
  return {
    // This machine's clock; the report's `asOf` is the valuation time on TWS's (docs/report-json.md).
    receivedAt: state.lastEventAt ? new Date(state.lastEventAt).toISOString() : null,
    account: state.account ?? null,
    baseCurrency: state.baseCurrency ?? null,
    health: state.health,
    healthReason: state.healthReason ?? null,
    missing: missingData(state),
    fxRates: Object.fromEntries([...state.fxRates.entries()].sort().map(([k, v]) => [k, v.toString()])),
    accountValues,
    accountSummary,
    positions,
    orders,
    executions: state.executions.size,
  };
}
