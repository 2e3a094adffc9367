// Greeks of the options our model prices on the cash-dividend lattice, for the panes to show beside TWS's own.
import { YEAR_MS, type Book, type BookPosition } from './boundary.js';
import { cashDividendAmericanGreeks, dividendsBeforeExpiry } from './pricing/dividend-lattice.js';
import { dividendsOf, rateOf } from './revalue.js';
import type { StressParams } from './params.js';

/*
 * TWS's greeks come from its own model on the escrowed dividend (pvDividend). Where we price an American stock option
 * on the lattice with its discrete dividends instead (revalue.ts), a deep in-the-money put's delta is nearer −1 than
 * TWS's, and the pane should show the one our stress figures move with. Elsewhere (the fast path) TWS's stay.
 */

/** A cash dividend the lattice prices with: ex-date YYYY-MM-DD, amount per share in the option's currency. */
export interface LatticeDividend {
  readonly exDate: string;
  readonly amount: number;
  /** Projected from TWS's next dividend at its frequency, not announced (revalue.ts `dividendsOf`). */
  readonly projected?: boolean;
}

/** Model greeks in TWS's units: delta per share, gamma per unit of price, vega per vol point, theta per calendar day. */
export interface ModelGreeks {
  readonly price: number;
  readonly delta: number;
  readonly gamma: number;
  readonly vega: number;
  readonly theta: number;
  /** The dividends between now and expiry the lattice used, and where they came from. */
  readonly dividends: readonly LatticeDividend[];
  readonly from: 'settings' | 'TWS';
}

/** The lattice greeks of one position, or undefined when it is on the fast path (no dividend before expiry, not an American stock option, unpriced). */
export function latticeGreeksOf(book: Pick<Book, 'currencies' | 'clockMs'>, p: BookPosition, params: StressParams): ModelGreeks | undefined {
  if (p.cls.kind !== 'option' || p.cls.model !== 'bsmAmerican' || p.unpriced !== undefined) return undefined;
  const T = (p.expiryMs - book.clockMs) / YEAR_MS;
  if (!(T > 0 && p.iv > 0 && p.underlying > 0)) return undefined;
  const dividends = dividendsOf(params, p, book.clockMs);
  if (!dividends || !dividendsBeforeExpiry(dividends, T)) return undefined;
  const g = cashDividendAmericanGreeks({
    right: p.isCall === 1 ? 'C' : 'P',
    S: p.underlying,
    K: p.strike,
    T,
    r: rateOf(params, book.currencies[p.currencyIndex]!),
    vol: p.iv,
    dividends,
  });
  const from = Object.hasOwn(params.dividends, p.cls.symbol) ? 'settings' : 'TWS';
  const used = dividends.flatMap((d, i) =>
    d.time > 0 && d.time < T && d.amount > 0
      ? [
          {
            exDate: new Date(Math.round(book.clockMs + d.time * YEAR_MS)).toISOString().slice(0, 10),
            amount: d.amount,
            ...(from === 'TWS' && i > 0 ? { projected: true } : {}),
          },
        ]
      : [],
  );
  return {
    price: g.price,
    delta: g.delta,
    gamma: g.gamma,
    vega: g.vega / 100,
    theta: g.theta / 365,
    dividends: used,
    from,
  };
}
