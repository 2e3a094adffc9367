// The fill terms a leverage reduction is priced at: the collar and exact limits of the plan it becomes (planReduce).
import type { PortfolioState } from '../model/state.js';
import type { FillTerms } from '../risk/alerts/index.js';
import { planLimit, type FlattenOptions } from '../trading/plan.js';

/**
 * The risk folder may not import trading (docs/architecture.md): the proposal is handed the plan's collar and a
 * function giving each trim's limit on its price ladder, so the metric it reaches holds if every order fills at its
 * limit, commissions paid.
 */
export function reductionFills(state: PortfolioState, o: Pick<FlattenOptions, 'collar' | 'priceGrids' | 'orderType'>): FillTerms {
  // A market order has no worst price: it is priced at the collar, the band the console's limits use.
  if (o.orderType === 'MKT') return { collar: o.collar, commissions: true };
  return { collar: o.collar, commissions: true, limitPrice: (conId, action, mark) => planLimit(state, conId, action, mark, o) };
}
