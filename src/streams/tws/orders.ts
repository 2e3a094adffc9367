// Orders at the TWS edge: the order desk (ids, sends, open-order lists), our order requests as @stoqey/ib's,
// ORDER_STATUS as events, and the order snapshot.
import { EventName, type Contract as IbContract, type IBApi, type Order } from '@stoqey/ib';
import type { Clock } from '../../model/clock.js';
import type { Contract } from '../../model/contract.js';
import type { FeedEventBody, OrderInfo } from '../../model/events.js';
import { fromIbNumber } from '../../model/money.js';
import {
  isTerminalStatus,
  orderKey,
  toOrderStatus,
  type OrderRequest,
  type OrderSnapshot,
  type SendResult,
  type SnapshotExecution,
  type SnapshotOrder,
  type WhatIfReply,
} from '../../model/orders.js';
import { neutraliseDeep } from '../../model/text.js';

/** Order ids start here at least, disjoint from every request id (§5 #7), above nextValidId, never reused (§5 #10). */
export const ORDER_ID_FLOOR = 1_000_000;

/**
 * One source's orders on the wire: local order ids, the sends themselves, and the open-order lists (which
 * OPEN_ORDER_END closes which list, which orders a list named, which updates are news). The connection decides
 * whether a send may happen at all (TwsSource refuses unless ready); the desk only does it.
 */
export class OrderDesk {
  private nextOrderId = ORDER_ID_FLOOR;
  /** Last emitted fingerprint per order, so a poll that repeats an unchanged order adds no event. */
  private readonly orderPrints = new Map<string, string>();
  /** Keys of the orders listed since the last OPEN_ORDER_END (see the openOrdersEnded event). */
  private listedOrders = new Set<string>();
  /** reqAllOpenOrders sent and OPEN_ORDER_END seen on this connection: which end closes which list. */
  private openOrderRequests = 0;
  private openOrderEnds = 0;

  /** A new connection: its open-order lists are counted from zero. */
  reset(): void {
    this.openOrderRequests = 0;
    this.openOrderEnds = 0;
  }

  /** NEXT_VALID_ID: our ids stay above it, above the floor, and never go back. */
  nextValidId(id: number): void {
    this.nextOrderId = Math.max(this.nextOrderId, id, ORDER_ID_FLOOR);
  }

  /** Places an order with a fresh local id. `transmit` is always true (§5 #11). */
  place(api: IBApi, contract: Contract, order: OrderRequest): SendResult {
    const orderId = this.nextOrderId++;
    api.placeOrder(orderId, toIbContract(contract), toIbOrder(order));
    return { ok: true, orderId };
  }

  /**
   * A what-if order: TWS's margin requirements before and after this order, without it being placed. Two locks keep
   * it from trading: whatIf (TWS answers with an OPEN_ORDER carrying the margins and keeps nothing) and transmit false
   * (were the what-if flag lost, TWS would hold the order without sending it to the market). It takes an order id
   * of its own. Resolves with the answer, TWS's error for that id, or a refusal after `timeoutMs`.
   */
  whatIf(api: IBApi, clock: Clock, contract: Contract, order: OrderRequest, timeoutMs: number): Promise<WhatIfReply> {
    const orderId = this.nextOrderId++;
    return new Promise((resolve) => {
      const onOpen = (id: number, _c: IbContract, o: Order, state: Partial<Record<string, number | string | undefined>>) => {
        if (id !== orderId || !o.whatIf) return;
        const d = (k: string) => {
          const v = fromIbNumber(typeof state[k] === 'number' ? (state[k] as number) : undefined);
          return v === undefined ? {} : { [k]: v };
        };
        const text = (k: string) => (typeof state[k] === 'string' && state[k] !== '' ? (state[k] as string) : undefined);
        const currency = text('commissionCurrency'),
          warning = text('warningText');
        done(
          neutraliseDeep({
            ok: true as const,
            ...rename(d('initMarginBefore'), 'initBefore'),
            ...rename(d('maintMarginBefore'), 'maintBefore'),
            ...rename(d('equityWithLoanBefore'), 'equityWithLoanBefore'),
            ...rename(d('initMarginChange'), 'initChange'),
            ...rename(d('maintMarginChange'), 'maintChange'),
            ...rename(d('equityWithLoanChange'), 'equityWithLoanChange'),
            ...rename(d('initMarginAfter'), 'initAfter'),
            ...rename(d('maintMarginAfter'), 'maintAfter'),
            ...rename(d('equityWithLoanAfter'), 'equityWithLoanAfter'),
            ...d('commission'),
            ...(currency ? { commissionCurrency: currency } : {}),
            ...(warning ? { warning } : {}),
          }),
        );
      };
      const onError = (err: Error, code: number, reqId: number) => {
        // Informational codes (2100s) for this id are not an answer.
        if (reqId !== orderId || (code >= 2100 && code < 2200)) return;
        done({ ok: false, reason: neutraliseDeep(`TWS ${code}: ${err?.message ?? ''}`) });
      };
      const timer = clock.setTimeout(() => done({ ok: false, reason: `no what-if answer from TWS within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
      function done(r: WhatIfReply): void {
        clock.clear(timer);
        api.off(EventName.openOrder, onOpen as never);
        api.off(EventName.error, onError as never);
        resolve(r);
      }
      api.on(EventName.openOrder, onOpen as never);
      api.on(EventName.error, onError as never);
      api.placeOrder(orderId, toIbContract(contract), { ...toIbOrder(order), whatIf: true, transmit: false } as Order);
    });
  }

  /** reqAllOpenOrders, counted: returns which OPEN_ORDER_END will close this list. */
  requestOpenOrders(api: IBApi): number {
    api.reqAllOpenOrders();
    return ++this.openOrderRequests;
  }

  /** reqAutoOpenOrders (client id 0 only): its answer ends with an OPEN_ORDER_END too, so it is counted. */
  requestAutoOpenOrders(api: IBApi): void {
    api.reqAutoOpenOrders(true);
    this.openOrderRequests++;
  }

  /** Collects the order snapshot (see collectOrderSnapshot) on this connection's counts. */
  snapshot(api: IBApi, clock: Clock, account: string | undefined, execReqId: number, timeoutMs: number): Promise<OrderSnapshot> {
    return collectOrderSnapshot(
      { api, clock, account, execReqId, openOrderEnds: () => this.openOrderEnds, requestOpenOrders: () => this.requestOpenOrders(api) },
      timeoutMs,
    );
  }

  /** An OPEN_ORDER of the followed account: listed, and true when it differs from what was last emitted for it. */
  openOrderSeen(info: OrderInfo): boolean {
    this.listedOrders.add(orderKey(info.clientId, info.orderId, info.permId));
    const key = `${info.clientId}:${info.orderId}:${info.permId}`;
    const print = JSON.stringify(info);
    if (this.orderPrints.get(key) === print) return false;
    this.orderPrints.set(key, print);
    return true;
  }

  /** OPEN_ORDER_END: the keys the list it closes named; the next list starts empty. */
  openOrdersEnded(): string[] {
    this.openOrderEnds++;
    const listed = [...this.listedOrders];
    this.listedOrders = new Set();
    return listed;
  }
}

/** { [from]: v } as { [to]: v } (an absent field stays absent). */
function rename(o: Record<string, unknown>, to: string): Record<string, unknown> {
  const v = Object.values(o)[0];
  return v === undefined ? {} : { [to]: v };
}

/** What collecting a snapshot needs from the connection that asks. */
export interface SnapshotContext {
  readonly api: IBApi;
  readonly clock: Clock;
  /** The followed account: other accounts' orders and executions are left out. */
  readonly account: string | undefined;
  /** A fresh raw request id for reqExecutions. */
  readonly execReqId: number;
  /** OPEN_ORDER_END messages seen on this connection so far. */
  openOrderEnds(): number;
  /** Sends reqAllOpenOrders and returns which OPEN_ORDER_END will close its list. */
  requestOpenOrders(): number;
}

/**
 * Asks TWS for its open orders, completed orders and executions now, and collects each list up to its end message
 * (or `timeoutMs`): the evidence an execution reconciles its orders with after a reconnect. Read-only.
 */
export function collectOrderSnapshot(ctx: SnapshotContext, timeoutMs: number): Promise<OrderSnapshot> {
  const api = ctx.api;
  const open = new Map<string, SnapshotOrder>();
  const completed: SnapshotOrder[] = [];
  const executions = new Map<string, SnapshotExecution>();
  const done = { open: false, completed: false, executions: false };
  const execReq = ctx.execReqId;
  const mine = (account: string | undefined) => !account || !ctx.account || account === ctx.account;
  const asOrder = (
    c: IbContract,
    order: Order,
    state: { status?: string; completedStatus?: string; completedTime?: string },
    orderId?: number,
  ): SnapshotOrder => ({
    ...(orderId !== undefined ? { orderId, clientId: order.clientId ?? 0 } : {}),
    permId: order.permId ?? 0,
    orderRef: order.orderRef ?? '',
    conId: c.conId ?? 0,
    action: String(order.action ?? ''),
    totalQuantity: fromIbNumber(order.totalQuantity),
    status: String(state.status ?? ''),
    ...(order.filledQuantity !== undefined && fromIbNumber(order.filledQuantity) ? { filled: fromIbNumber(order.filledQuantity)! } : {}),
    ...(state.completedStatus ? { completedStatus: state.completedStatus } : {}),
    ...(state.completedTime ? { completedTime: state.completedTime } : {}),
  });
  return new Promise((resolve) => {
    let target = 0;
    const onOpen = (orderId: number, c: IbContract, order: Order, state: { status?: string }) => {
      // A what-if answer is not an order TWS holds.
      if (!mine(order.account) || order.whatIf) return;
      const key = `${order.clientId ?? 0}:${orderId}:${order.permId ?? 0}`;
      // TWS also pushes an order's last state (Filled, Cancelled) as an OPEN_ORDER: that one is no longer open.
      if (isTerminalStatus(toOrderStatus(state.status))) open.delete(key);
      else open.set(key, asOrder(c, order, state, orderId));
    };
    const onOpenEnd = () => {
      // The end of a list asked for before ours (the periodic poll) also ends here: start over after it.
      if (ctx.openOrderEnds() < target) open.clear();
      else done.open = true;
      check();
    };
    const onCompleted = (c: IbContract, order: Order, state: { status?: string; completedStatus?: string; completedTime?: string }) => {
      if (mine(order.account)) completed.push(asOrder(c, order, state));
    };
    const onCompletedEnd = () => {
      done.completed = true;
      check();
    };
    const onExec = (
      reqId: number,
      c: IbContract,
      e: { execId?: string; orderId?: number; clientId?: number; permId?: number; orderRef?: string; shares?: number; acctNumber?: string },
    ) => {
      if (reqId !== execReq || !e.execId || !mine(e.acctNumber)) return;
      executions.set(e.execId, {
        execId: e.execId,
        orderId: e.orderId ?? 0,
        clientId: e.clientId ?? 0,
        permId: e.permId ?? 0,
        orderRef: e.orderRef ?? '',
        conId: c.conId ?? 0,
        shares: fromIbNumber(e.shares) ?? fromIbNumber(0)!,
      });
    };
    const onExecEnd = (reqId: number) => {
      if (reqId !== execReq) return;
      done.executions = true;
      check();
    };
    const finish = () => {
      ctx.clock.clear(timer);
      api.off(EventName.openOrder, onOpen);
      api.off(EventName.openOrderEnd, onOpenEnd);
      api.off(EventName.completedOrder, onCompleted);
      api.off(EventName.completedOrdersEnd, onCompletedEnd);
      api.off(EventName.execDetails, onExec as never);
      api.off(EventName.execDetailsEnd, onExecEnd);
      resolve(neutraliseDeep({ open: [...open.values()], completed, executions: [...executions.values()], complete: { ...done } }));
    };
    const check = () => {
      if (done.open && done.completed && done.executions) finish();
    };
    // A connection lost meanwhile removes these listeners with the rest (teardown): the timeout still answers.
    const timer = ctx.clock.setTimeout(finish, timeoutMs);
    api.on(EventName.openOrder, onOpen);
    api.on(EventName.openOrderEnd, onOpenEnd);
    api.on(EventName.completedOrder, onCompleted);
    api.on(EventName.completedOrdersEnd, onCompletedEnd);
    api.on(EventName.execDetails, onExec as never);
    api.on(EventName.execDetailsEnd, onExecEnd);
    target = ctx.requestOpenOrders();
    api.reqExecutions(execReq, {});
    api.reqCompletedOrders(false);
  });
}

/** ORDER_STATUS (3) as a FeedEvent body, quantities and prices as Decimals. */
export function orderStatusBody(
  orderId: number,
  status: string,
  filled: number,
  remaining: number,
  avgFillPrice: number,
  permId: number | undefined,
  lastFillPrice: number | undefined,
  clientId: number | undefined,
  whyHeld: string | undefined,
): FeedEventBody {
  const zero = fromIbNumber(0)!;
  const avg = fromIbNumber(avgFillPrice);
  const last = fromIbNumber(lastFillPrice);
  return {
    type: 'orderStatusUpdated',
    orderId,
    clientId: clientId ?? 0,
    permId: permId ?? 0,
    status: toOrderStatus(status),
    filled: fromIbNumber(filled) ?? zero,
    remaining: fromIbNumber(remaining) ?? zero,
    ...(avg && !avg.isZero() ? { avgFillPrice: avg } : {}),
    ...(last && !last.isZero() ? { lastFillPrice: last } : {}),
    ...(whyHeld ? { whyHeld } : {}),
  };
}

/**
 * Our order request as @stoqey/ib's Order: the one place a quantity or limit price becomes a number (the client
 * writes numbers to the socket). `transmit` is always true (tws-protocol.md §5 #11).
 */
export function toIbOrder(o: OrderRequest): Order {
  // The string unions are @stoqey/ib's enum values (OrderAction, OrderType, TimeInForce).
  return {
    action: o.action,
    totalQuantity: o.totalQuantity.toNumber(),
    orderType: o.orderType,
    ...(o.lmtPrice ? { lmtPrice: o.lmtPrice.toNumber() } : {}),
    ...(o.tif ? { tif: o.tif } : {}),
    ...(o.account ? { account: o.account } : {}),
    ...(o.orderRef ? { orderRef: o.orderRef } : {}),
    transmit: true,
  } as unknown as Order;
}

/** Our Contract as @stoqey/ib wants it for an order (numbers at the wire edge). */
export function toIbContract(c: Contract): IbContract {
  return {
    conId: c.conId,
    symbol: c.symbol,
    secType: c.secType as IbContract['secType'],
    currency: c.currency,
    exchange: c.exchange ?? 'SMART',
    ...(c.primaryExchange ? { primaryExch: c.primaryExchange } : {}),
    ...(c.localSymbol ? { localSymbol: c.localSymbol } : {}),
    ...(c.tradingClass ? { tradingClass: c.tradingClass } : {}),
    ...(c.expiry ? { lastTradeDateOrContractMonth: c.expiry } : {}),
    ...(c.strike ? { strike: c.strike.toNumber() } : {}),
    ...(c.right ? { right: c.right as IbContract['right'] } : {}),
    ...(c.multiplier ? { multiplier: c.multiplier.toNumber() } : {}),
  };
}
