// Order vocabulary shared by the reducer, trading, risk, streams and views: statuses, terminal ones, the order key.

/**
 * The statuses TWS sends in ORDER_STATUS (3) and OPEN_ORDER's orderState (tws-protocol.md, "Order status"):
 * ApiPending/PendingSubmit/PreSubmitted/Submitted are working, PendingCancel is a cancel on its way, the rest are final.
 */
export const ORDER_STATUSES = ['ApiPending', 'PendingSubmit', 'PendingCancel', 'PreSubmitted', 'Submitted', 'ApiCancelled', 'Cancelled', 'Filled', 'Inactive'] as const;

/** An order's status; `Unknown` stands for text TWS sent that is none of the above (or none at all). */
export type OrderStatus = (typeof ORDER_STATUSES)[number] | 'Unknown';

const KNOWN: ReadonlySet<string> = new Set(ORDER_STATUSES);

/** TWS's status text as an OrderStatus, read once where it enters (the source, and events from older recordings). */
export function toOrderStatus(raw: unknown): OrderStatus {
  return typeof raw === 'string' && KNOWN.has(raw) ? (raw as OrderStatus) : 'Unknown';
}

/** Statuses after which an order never changes again (a late non-terminal status is a reordered duplicate). */
export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set<OrderStatus>(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']);

/** True once the order can no longer fill or change. */
export function isTerminalStatus(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Key of an order: its API identity, or its permId when TWS gave it no order id (manual TWS orders). */
export function orderKey(clientId: number, orderId: number, permId: number): string {
  return orderId > 0 ? `${clientId}:${orderId}` : `perm:${permId}`;
}
