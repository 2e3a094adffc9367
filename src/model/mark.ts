// A contract's mark and where it came from: the price a plan's limits start from, with the time it arrived.
import type { Decimal } from './money.js';
import { STALE_AFTER_MS } from './freshness.js';
import type { PortfolioState } from './state.js';

export interface LiveMark {
  readonly price: Decimal;
  /** The stream it came from: TWS's portfolio mark, else our own market-data ticks. */
  readonly stream: 'portfolio' | 'marketData';
  /** When that row last arrived (ms): the mark's age is measured from here. */
  readonly at: number;
  /** How old it may get before a plan priced on it is refused (freshness.ts). */
  readonly limitMs: number;
}

/** The best mark we have for a contract: TWS's portfolio mark, else our last mark/mid/last tick. */
export function liveMark(state: PortfolioState, conId: number): LiveMark | undefined {
  const row = state.portfolio.get(conId);
  if (row?.marketPrice && row.marketPrice.greaterThan(0))
    return { price: row.marketPrice, stream: 'portfolio', at: row.updatedAt, limitMs: STALE_AFTER_MS.portfolio ?? 200_000 };
  const p = state.prices.get(conId);
  const t = p?.prices;
  if (!p || !t) return undefined;
  const price = t.mark ?? (t.bid && t.ask ? t.bid.plus(t.ask).div(2) : t.last);
  return price ? { price, stream: 'marketData', at: p.updatedAt, limitMs: STALE_AFTER_MS.marketData ?? 30_000 } : undefined;
}

/** A mark's age as the operator reads it: "3 s old", "2 min old". */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 120 ? `${s} s old` : `${Math.floor(s / 60)} min old`;
}
