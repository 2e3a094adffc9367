// After a lost connection: what became of each order we sent, decided from what the reconnected TWS lists, with the evidence.
import { Decimal, groupedQuantity } from '../model/money.js';
import type { OrderSnapshot, SnapshotOrder } from '../model/orders.js';

/** An order we handed to the socket, as we know it without TWS: its API identity and what we asked for. */
export interface SentOrder {
  readonly orderId: number;
  readonly clientId: number;
  readonly conId: number;
  /** Known when TWS confirmed the order before the connection dropped. */
  readonly permId?: number;
  /** `tws-risk:<plan id>`: completed orders carry no order id, only their permId and this reference. */
  readonly orderRef?: string;
  readonly quantity?: Decimal;
}

/**
 * `neverReceived`: the reconnected TWS lists the order nowhere (not open, not completed, no execution) and every list
 * was complete. `unknown`: we cannot tell (a list did not arrive, or the connection did not come back).
 */
export type ReconciledOutcome = 'filled' | 'partiallyFilled' | 'working' | 'cancelled' | 'rejected' | 'neverReceived' | 'unknown';

export interface Reconciled {
  readonly outcome: ReconciledOutcome;
  readonly filled: Decimal;
  readonly execIds: readonly string[];
  /** One sentence naming what TWS listed (or did not). */
  readonly evidence: string;
}

const ZERO = new Decimal(0);

function sameOrder(o: SentOrder, x: { orderId?: number; clientId?: number; permId: number; orderRef: string; conId: number }): boolean {
  if (x.orderId !== undefined && x.orderId > 0) return x.orderId === o.orderId && x.clientId === o.clientId;
  if (o.permId && x.permId) return x.permId === o.permId;
  // A completed order: our plan reference and the contract (a plan has one order per contract).
  return o.orderRef !== undefined && o.orderRef !== '' && x.orderRef === o.orderRef && x.conId === o.conId;
}

function completedOutcome(c: SnapshotOrder): ReconciledOutcome | undefined {
  const text = `${c.status} ${c.completedStatus ?? ''}`;
  if (/filled/i.test(c.status)) return 'filled';
  if (/cancel/i.test(text)) return 'cancelled';
  if (/inactive|reject/i.test(text)) return 'rejected';
  return undefined;
}

/** Decides one order's outcome from a snapshot taken after the reconnect. Pure. */
export function reconcileOrder(o: SentOrder, snap: OrderSnapshot): Reconciled {
  const execs = snap.executions.filter((e) => sameOrder(o, e));
  const execIds = execs.map((e) => e.execId);
  const filled = execs.reduce((a, e) => a.add(e.shares), ZERO);
  const fills =
    execIds.length > 0
      ? `executions ${execIds.join(', ')} (${groupedQuantity(filled)}${o.quantity ? ` of ${groupedQuantity(o.quantity)}` : ''})`
      : 'no executions';
  const open = snap.open.find((x) => sameOrder(o, x));
  const completed = snap.completed.find((x) => sameOrder(o, x));
  if (o.quantity && filled.greaterThanOrEqualTo(o.quantity) && filled.greaterThan(0)) {
    return { outcome: 'filled', filled, execIds, evidence: `TWS lists ${fills}` };
  }
  if (open) {
    return {
      outcome: filled.greaterThan(0) ? 'partiallyFilled' : 'working',
      filled,
      execIds,
      evidence: `TWS lists it open (${open.status || 'no status'}, permId ${open.permId}); ${fills}`,
    };
  }
  if (completed) {
    const outcome = completedOutcome(completed) ?? 'unknown';
    const done = completed.filled ?? filled;
    const said = `TWS lists it completed (${completed.status}${completed.completedStatus ? `: ${completed.completedStatus}` : ''}${completed.completedTime ? ` at ${completed.completedTime}` : ''}, permId ${completed.permId}); ${fills}`;
    if (outcome === 'filled') return { outcome, filled: done, execIds, evidence: said };
    return { outcome: outcome === 'cancelled' && done.greaterThan(0) ? 'partiallyFilled' : outcome, filled: done, execIds, evidence: said };
  }
  if (filled.greaterThan(0)) {
    return {
      outcome: o.quantity ? 'partiallyFilled' : 'filled',
      filled,
      execIds,
      evidence: `TWS lists ${fills}; the order is neither open nor among completed orders`,
    };
  }
  const missing = (['open', 'completed', 'executions'] as const).filter((k) => !snap.complete[k]);
  if (missing.length > 0) {
    return {
      outcome: 'unknown',
      filled,
      execIds,
      evidence: `not found, but TWS did not finish listing ${missing.map((m) => (m === 'open' ? 'open orders' : m === 'completed' ? 'completed orders' : 'executions')).join(', ')}; check TWS`,
    };
  }
  return { outcome: 'neverReceived', filled, execIds, evidence: 'the reconnected TWS lists it nowhere: not open, not among completed orders, no executions' };
}
