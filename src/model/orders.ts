// Order vocabulary shared by the reducer, trading, risk, streams and views: statuses, the order key, requests, snapshots.
import type { Decimal } from './money.js';

/**
 * The statuses TWS sends in ORDER_STATUS (3) and OPEN_ORDER's orderState (tws-protocol.md, "Order status"):
 * ApiPending/PendingSubmit/PreSubmitted/Submitted are working, PendingCancel is a cancel on its way, the rest are final.
 */
export const ORDER_STATUSES = [
  'ApiPending',
  'PendingSubmit',
  'PendingCancel',
  'PreSubmitted',
  'Submitted',
  'ApiCancelled',
  'Cancelled',
  'Filled',
  'Inactive',
] as const;

/**
 * An order's status; `Unknown` stands for text TWS sent that is none of the above (or none at all). `Closed` is the
 * console's own: TWS's open orders stopped listing the order without a final status reaching us (other clients' and
 * manual orders are not streamed to us, so a cancel or fill of one shows only as its absence). TWS never sends it.
 */
export type OrderStatus = (typeof ORDER_STATUSES)[number] | 'Unknown' | 'Closed';

const KNOWN: ReadonlySet<string> = new Set(ORDER_STATUSES);

/** TWS's status text as an OrderStatus, read once where it enters (the source, and events from older recordings). */
export function toOrderStatus(raw: unknown): OrderStatus {
  return typeof raw === 'string' && KNOWN.has(raw) ? (raw as OrderStatus) : 'Unknown';
}

/** Statuses after which an order never changes again (a late non-terminal status is a reordered duplicate). */
export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set<OrderStatus>(['Filled', 'Cancelled', 'ApiCancelled', 'Inactive', 'Closed']);

/** True once the order can no longer fill or change. */
export function isTerminalStatus(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Key of an order: its API identity, or its permId when TWS gave it no order id (manual TWS orders). */
export function orderKey(clientId: number, orderId: number, permId: number): string {
  return orderId > 0 ? `${clientId}:${orderId}` : `perm:${permId}`;
}

/** How an order is named on screen and in messages: its API order id, or `p` and its permId when it has none (manual TWS orders). */
export function orderName(orderId: number, permId: number): string {
  return orderId > 0 ? String(orderId) : `p${permId}`;
}

/**
 * An order as the trading layer asks for it, quantity and limit as Decimals (fractional shares stay exact); only
 * src/streams/tws/orders.ts (toIbOrder) turns it into @stoqey/ib's Order, with numbers, at the wire.
 */
export interface OrderRequest {
  readonly action: 'BUY' | 'SELL';
  readonly totalQuantity: Decimal;
  readonly orderType: 'MKT' | 'LMT';
  readonly lmtPrice?: Decimal;
  readonly tif?: 'DAY' | 'GTC' | 'IOC';
  readonly account?: string;
  /** Marks our orders in TWS (tws-risk:<plan id>). */
  readonly orderRef?: string;
}

/** Why an order or cancel was not sent. The source never queues one for later (§5 #1). */
export type SendRefusal = { readonly ok: false; readonly reason: string };
export type SendResult = { readonly ok: true; readonly orderId: number } | SendRefusal;

/**
 * TWS's answer to a what-if order (an OPEN_ORDER with whatIf set, its OrderState's margin fields): the account's
 * requirements and equity with loan value before and after that one order, in the base currency; a field TWS left
 * unset is absent. Or why there is no answer (refused, an error from TWS, no answer in time).
 */
export type WhatIfReply =
  | {
      readonly ok: true;
      readonly initBefore?: Decimal;
      readonly maintBefore?: Decimal;
      readonly equityWithLoanBefore?: Decimal;
      readonly initChange?: Decimal;
      readonly maintChange?: Decimal;
      readonly equityWithLoanChange?: Decimal;
      readonly initAfter?: Decimal;
      readonly maintAfter?: Decimal;
      readonly equityWithLoanAfter?: Decimal;
      readonly commission?: Decimal;
      readonly commissionCurrency?: string;
      readonly warning?: string;
    }
  | SendRefusal;

/** One order as TWS lists it when asked after the fact (open, or completed: completed orders carry no order id). */
export interface SnapshotOrder {
  readonly orderId?: number;
  readonly clientId?: number;
  readonly permId: number;
  readonly orderRef: string;
  readonly conId: number;
  readonly action: string;
  readonly totalQuantity: Decimal | undefined;
  readonly status: string;
  readonly filled?: Decimal;
  readonly completedStatus?: string;
  readonly completedTime?: string;
}

export interface SnapshotExecution {
  readonly execId: string;
  readonly orderId: number;
  readonly clientId: number;
  readonly permId: number;
  readonly orderRef: string;
  readonly conId: number;
  readonly shares: Decimal;
}

/**
 * What TWS says about orders right now, each list asked for afresh and collected up to its end message: open orders
 * (all clients), completed orders and the day's executions. `complete` says which lists ended before the timeout;
 * only a complete answer can prove that an order never reached TWS.
 */
export interface OrderSnapshot {
  readonly open: readonly SnapshotOrder[];
  readonly completed: readonly SnapshotOrder[];
  readonly executions: readonly SnapshotExecution[];
  readonly complete: { readonly open: boolean; readonly completed: boolean; readonly executions: boolean };
}
