// A flatten plan as JSON: what `flatten --json` prints and what the audit log and the recording keep of a plan.
import { contractLabel } from '../model/contract.js';
import { scopeText } from '../trading/plan.js';
import { legTarget, type FlattenPlan } from '../trading/types.js';

/*
 * Its own module so that the console's trading wiring (loaded by `tws-risk replay` too) does not pull in the
 * headless commands and, through them, the TWS source: a replay must not even load socket code.
 */

/** The plan with amounts as decimal strings. */
export function planJson(p: FlattenPlan): Record<string, unknown> {
  return {
    id: p.id,
    scope: scopeText(p.scope),
    account: p.account,
    baseCurrency: p.baseCurrency,
    cancels: p.cancels,
    legs: p.legs.map((l) => ({
      conId: l.conId,
      contract: contractLabel(l.contract),
      secType: l.contract.secType,
      currency: l.contract.currency,
      position: l.position.toString(),
      action: l.action,
      quantity: l.quantity.toString(),
      // What the position reads once the leg is done: 0 for a flatten, the trimmed size for a reduction.
      target: legTarget(l).toString(),
      orderType: l.orderType,
      limitPrice: l.limitPrice?.toString() ?? null,
      mark: l.mark?.toString() ?? null,
      notionalBase: l.notionalBase?.toFixed(2) ?? null,
    })),
    totalNotionalBase: p.totalNotionalBase?.toFixed(2) ?? null,
    notes: p.notes,
    ...(p.partial ? { partial: true } : {}),
  };
}
