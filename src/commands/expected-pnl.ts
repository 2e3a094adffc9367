// The P&L a flatten or reduction would realize: each leg's average cost against its mark and its limit, in Decimal.
import { contractLabel } from '../model/contract.js';
import { Decimal } from '../model/money.js';
import type { PortfolioState } from '../model/state.js';
import type { FlattenPlan } from '../trading/types.js';

export interface LegRealized {
  readonly conId: number;
  readonly label: string;
  readonly currency: string;
  /** In the contract's currency; undefined when TWS gave no average cost. */
  readonly atMark?: Decimal;
  readonly atLimit?: Decimal;
  /** `atLimit` (else `atMark`) in the base currency, when the rate is known. */
  readonly base?: Decimal;
}

export interface ExpectedRealized {
  readonly legs: readonly LegRealized[];
  /** Sum of the legs in base at their limits (a market order: at the mark); undefined if any leg is unknown. */
  readonly totalBase?: Decimal;
}

/** Contracts whose average cost TWS sends as price × multiplier; for the rest (stocks, bonds, FX) it is the price. */
const COST_HAS_MULTIPLIER: ReadonlySet<string> = new Set(['OPT', 'FOP', 'FUT']);

/**
 * What one unit cost, in the terms a fill is valued in (price × multiplier). TWS's own basis first: its portfolio row
 * says `unrealizedPnl = marketValue − position × cost`, whatever its average-cost convention for the contract, so the
 * basis read back from the two figures cannot be off by a multiplier (a bond's average cost is a price in percent of
 * par, multiplier 0.01: taken as the unit cost it made closing 50,000 face of a Treasury "realize" −4.87 million).
 * Without those figures, the average cost by TWS's convention.
 */
export function unitCost(state: PortfolioState, conId: number, contract: FlattenPlan['legs'][number]['contract']): Decimal | undefined {
  const row = state.portfolio.get(conId);
  if (row?.marketValue !== undefined && row.unrealizedPnl !== undefined && !row.position.isZero())
    return row.marketValue.sub(row.unrealizedPnl).div(row.position);
  const cost = state.positions.get(conId)?.averageCost ?? row?.averageCost;
  if (!cost) return undefined;
  return COST_HAS_MULTIPLIER.has(contract.secType) ? cost : cost.mul(contract.multiplier ?? 1);
}

/**
 * Closing `q` of a long realizes q × (price × multiplier − unit cost); of a short, the opposite. The limit is the worst
 * price a marketable limit accepts, so `atLimit` is the floor the operator risks and `atMark` what a fill at the mark
 * would give; commissions are not included.
 */
export function expectedRealized(state: PortfolioState, plan: FlattenPlan): ExpectedRealized {
  const legs = plan.legs.map((l): LegRealized => {
    const cost = unitCost(state, l.conId, l.contract);
    const mult = l.contract.multiplier ?? new Decimal(1);
    const one = { conId: l.conId, label: contractLabel(l.contract), currency: l.contract.currency };
    if (!cost) return one;
    const at = (px: Decimal | undefined) =>
      px === undefined ? undefined : l.quantity.mul(l.action === 'SELL' ? px.mul(mult).sub(cost) : cost.sub(px.mul(mult)));
    const atMark = at(l.mark);
    const atLimit = at(l.limitPrice);
    const fx = state.fxRates.get(l.contract.currency);
    const worst = atLimit ?? atMark;
    return { ...one, ...(atMark ? { atMark } : {}), ...(atLimit ? { atLimit } : {}), ...(worst && fx ? { base: worst.mul(fx) } : {}) };
  });
  const known = legs.every((l) => l.base !== undefined);
  return { legs, ...(known && legs.length > 0 ? { totalBase: legs.reduce((s, l) => s.plus(l.base!), new Decimal(0)) } : {}) };
}

/** Money with a sign and thousands separators, from the Decimal's own digits (no float on the way). */
export function signedMoney(d: Decimal): string {
  const fixed = d.abs().toFixed(2);
  const [int, frac] = fixed.split('.') as [string, string];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  // A loss that rounds to zero reads +0.00, not -0.00.
  return `${d.isNegative() && fixed !== '0.00' ? '-' : '+'}${grouped}.${frac}`;
}

/** One line per leg and a total, for the dialog and the recorded plan (no '; ' inside: the dialog breaks lines there). */
export function realizedLines(x: ExpectedRealized, base: string): string[] {
  const lines = x.legs.map((l) => {
    if (!l.atMark && !l.atLimit) return `realized ${l.label}: unknown (TWS gave no average cost)`;
    const mark = l.atMark ? `${signedMoney(l.atMark)} ${l.currency} at the mark` : '';
    const limit = l.atLimit ? `${signedMoney(l.atLimit)} ${l.currency} at the limit` : '';
    const inBase = l.base && l.currency !== base ? ` (${signedMoney(l.base)} ${base})` : '';
    return `realized ${l.label}: ${[mark, limit].filter(Boolean).join(', ')}${inBase}`;
  });
  lines.push(
    x.totalBase
      ? `Expected realized P&L ${signedMoney(x.totalBase)} ${base} at the planned limits (if filled, before commissions)`
      : 'Expected realized P&L: not known for every leg',
  );
  return lines;
}
