// IBKR's own margin for a plan: each closing order asked of TWS as a what-if (never transmitted), beside our estimate.
import type { Contract } from '../model/contract.js';
import { Decimal } from '../model/money.js';
import type { OrderRequest, WhatIfReply } from '../model/orders.js';
import { orderFor } from './execute.js';
import type { FlattenPlan } from './types.js';

/** What asks TWS (TwsSource.whatIfOrder): whatIf and transmit=false, one order at a time. */
export interface WhatIfGateway {
  whatIfOrder(contract: Contract, order: OrderRequest, timeoutMs?: number): Promise<WhatIfReply>;
}

export interface LegWhatIf {
  readonly conId: number;
  readonly label: string;
  readonly reply: WhatIfReply;
}

/** TWS's answers for a plan, and the post-plan requirement they add up to (base currency). */
export interface PlanWhatIf {
  readonly planId: string;
  readonly legs: readonly LegWhatIf[];
  /** TWS's maintenance and initial requirement now (from the first answer that has them). */
  readonly maintBefore?: Decimal;
  readonly initBefore?: Decimal;
  /**
   * Now plus the sum of every order's change. TWS evaluates each what-if order alone against the account as it is,
   * so for several orders this is a sum of one-order effects, exact where the orders do not offset each other in
   * TWS's margin (different underlyings), an estimate where they do. Present only when every order was answered.
   */
  readonly maintAfter?: Decimal;
  readonly initAfter?: Decimal;
  /** Orders TWS did not answer (refused, an error, no answer in time), with why. */
  readonly missing: readonly string[];
}

/**
 * Asks TWS for the what-if margins of every closing order of the plan, exactly as execution would send it
 * (orderFor), one after another so that the answers cannot be confused. Cancels are not asked: they free no margin
 * TWS counts (open orders carry none in the requirement).
 */
export async function planWhatIf(gateway: WhatIfGateway, plan: FlattenPlan, timeoutMs = 10_000): Promise<PlanWhatIf> {
  const legs: LegWhatIf[] = [];
  for (const leg of plan.legs) {
    const reply = await gateway.whatIfOrder(leg.contract, orderFor(leg, plan), timeoutMs);
    legs.push({ conId: leg.conId, label: `${leg.action} ${leg.quantity.toString()} ${leg.contract.localSymbol ?? leg.contract.symbol}`, reply });
  }
  const missing = legs.flatMap((l) =>
    l.reply.ok ? (l.reply.maintChange === undefined ? [`${l.label}: no margin in TWS's answer`] : []) : [`${l.label}: ${l.reply.reason}`],
  );
  const first = legs.find((l) => l.reply.ok && l.reply.maintBefore !== undefined)?.reply;
  const before = first?.ok ? first : undefined;
  const sum = (k: 'maintChange' | 'initChange') =>
    legs.reduce<Decimal | undefined>((acc, l) => {
      if (acc === undefined || !l.reply.ok || l.reply[k] === undefined) return undefined;
      return acc.add(l.reply[k]!);
    }, new Decimal(0));
  const maintSum = sum('maintChange'),
    initSum = sum('initChange');
  return {
    planId: plan.id,
    legs,
    ...(before?.maintBefore ? { maintBefore: before.maintBefore } : {}),
    ...(before?.initBefore ? { initBefore: before.initBefore } : {}),
    ...(missing.length === 0 && before?.maintBefore && maintSum ? { maintAfter: before.maintBefore.add(maintSum) } : {}),
    ...(missing.length === 0 && before?.initBefore && initSum ? { initAfter: before.initBefore.add(initSum) } : {}),
    missing,
  };
}

const whole = (d: Decimal) => Number(d.toFixed(0)).toLocaleString('en-US');

/**
 * The dialog's line: IBKR's maintenance requirement after the plan beside ours (the preview's estimate, base
 * currency), and the difference (IBKR − ours). `pending` while TWS is asked.
 */
export function whatIfLine(w: PlanWhatIf | 'pending' | undefined, oursAfter: Decimal | undefined, base: string): string {
  if (w === undefined) return '';
  if (w === 'pending') return 'IBKR what-if: asking TWS for the margin after these orders (not transmitted)…';
  if (w.maintAfter === undefined) {
    const why = w.missing[0] ?? 'TWS gave no requirement';
    return `IBKR what-if: no post-flatten requirement (${why}${w.missing.length > 1 ? `, +${w.missing.length - 1} more` : ''})`;
  }
  const ours =
    oursAfter === undefined
      ? 'ours n/a'
      : `ours ${whole(oursAfter)}, difference ${w.maintAfter.sub(oursAfter).isNegative() ? '' : '+'}${whole(w.maintAfter.sub(oursAfter))}`;
  const many = w.legs.length > 1 ? ` (sum of ${w.legs.length} one-order what-ifs)` : '';
  return `IBKR what-if: maint after ${whole(w.maintAfter)} ${base}${many}; ${ours}`;
}
