// IBKR's own margin for a plan: each closing order asked of TWS as a what-if (never transmitted), beside our estimate.
import type { Contract } from '../model/contract.js';
import type { JsonValue } from '../model/events.js';
import { Decimal, groupedQuantity } from '../model/money.js';
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
   * so for several orders this is a sum of one-order effects, not TWS's margin after the whole plan: close where the
   * orders do not offset each other in TWS's margin (different underlyings), off where they do; the line says so.
   * (A what-if on one combination (BAG) order of every leg would be judged whole, but it is not the orders the plan
   * sends, and cannot hold every mix of contracts a plan can.) Present only when every order was answered.
   */
  readonly maintAfter?: Decimal;
  readonly initAfter?: Decimal;
  /** Orders TWS did not answer (refused, an error, no answer in time), with why. */
  readonly missing: readonly string[];
}

/**
 * How long asking may take in all, on the caller's clock: a headless flatten waits for the answers before it prints
 * or sends, so a TWS that does not answer must not hold it up for ten seconds per order.
 */
export interface WhatIfBudget {
  readonly totalMs: number;
  readonly now: () => number;
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(1)).toString();

/**
 * Asks TWS for the what-if margins of every closing order of the plan, exactly as execution would send it
 * (orderFor), one after another so that the answers cannot be confused; with a budget, no longer than it in all.
 * Cancels are not asked: they free no margin TWS counts (open orders carry none in the requirement).
 */
export async function planWhatIf(gateway: WhatIfGateway, plan: FlattenPlan, timeoutMs = 10_000, budget?: WhatIfBudget): Promise<PlanWhatIf> {
  const legs: LegWhatIf[] = [];
  const end = budget ? budget.now() + budget.totalMs : Infinity;
  for (const leg of plan.legs) {
    const label = `${leg.action} ${groupedQuantity(leg.quantity)} ${leg.contract.localSymbol ?? leg.contract.symbol}`;
    // Past the budget the rest is not asked at all: a what-if placed now would only be answered after we stopped waiting.
    const left = end - (budget?.now() ?? 0);
    if (left <= 0) {
      legs.push({ conId: leg.conId, label, reply: { ok: false, reason: `not asked: TWS had not answered within ${seconds(budget!.totalMs)} s` } });
      continue;
    }
    const reply = await gateway.whatIfOrder(leg.contract, orderFor(leg, plan), Math.min(timeoutMs, left));
    legs.push({ conId: leg.conId, label, reply });
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
  if (w === 'pending') return 'IBKR what-if: asking TWS for the margin after these orders (not transmitted)...';
  if (w.maintAfter === undefined) {
    const why = w.missing[0] ?? 'TWS gave no requirement';
    return `IBKR what-if: no post-flatten requirement (${why}${w.missing.length > 1 ? `, +${w.missing.length - 1} more` : ''})`;
  }
  const ours =
    oursAfter === undefined
      ? 'ours n/a'
      : `ours ${whole(oursAfter)}, difference ${w.maintAfter.sub(oursAfter).isNegative() ? '' : '+'}${whole(w.maintAfter.sub(oursAfter))}`;
  if (w.legs.length > 1 && w.maintBefore !== undefined) {
    // Not "maint after": TWS judged each order alone against today's portfolio, so where orders offset each other in
    // its margin (a stock and its options, a spread's legs) the sum is not the requirement after the whole plan. The
    // figures come first, the caveat after (the dialog wraps the line; a log or a narrow reader meets the figures first).
    // "when asked": TWS priced it at the question, while the dialog's "now" line is its last account update (sent
    // every three minutes), so the two figures differ by what the market did in between.
    return (
      `IBKR what-if: maint when asked ${whole(w.maintBefore)} ${base} + sum of ${w.legs.length} per-order changes = ${whole(w.maintAfter)};` +
      ` ${ours.replace(/^ours/, 'ours after the plan')} (each order alone against today's portfolio, not TWS's margin after the whole plan)`
    );
  }
  return `IBKR what-if: maint after ${whole(w.maintAfter)} ${base}; ${ours}`;
}

/**
 * What the audit log and `flatten --json` keep of an answer: per order TWS's change or why none, the sums, ours and
 * IBKR − ours (decimal strings, null when absent), and the line shown.
 */
export function whatIfJson(w: PlanWhatIf, oursAfter: Decimal | undefined, base: string): { [k: string]: JsonValue } {
  return {
    planId: w.planId,
    maintBefore: w.maintBefore?.toString() ?? null,
    maintAfter: w.maintAfter?.toString() ?? null,
    // Several orders: maintAfter is now + the sum of per-order changes, each asked alone (not the plan's own margin).
    perOrderSum: w.legs.length > 1,
    initAfter: w.initAfter?.toString() ?? null,
    // Cents, as the after-flatten picture prints it: the same figure must read the same (151137.40, not 151137.4).
    oursMaintAfter: oursAfter?.toFixed(2) ?? null,
    difference: w.maintAfter && oursAfter ? w.maintAfter.sub(oursAfter).toString() : null,
    missing: [...w.missing],
    legs: w.legs.map((l) => ({
      conId: l.conId,
      label: l.label,
      ...(l.reply.ok
        ? { maintChange: l.reply.maintChange?.toString() ?? null, initChange: l.reply.initChange?.toString() ?? null }
        : { reason: l.reply.reason }),
    })),
    shown: whatIfLine(w, oursAfter, base),
  };
}
