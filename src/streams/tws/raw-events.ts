// The raw @stoqey/ib events our reducer owns, as FeedEvent bodies: filtered to the followed account, each execution
// and commission once, unchanged orders not repeated (the wire shapes themselves are mapped in map.ts and orders.ts).
import { EventName, type Contract as IbContract, type IBApi, type Order } from '@stoqey/ib';
import type { FeedEventBody } from '../../model/events.js';
import {
  commissionBody,
  ContractCache,
  dividendsBody,
  executionBody,
  IB_DIVIDENDS_TICK,
  optionBody,
  orderInfo,
  portfolioBody,
  positionBody,
  priceBody,
} from './map.js';
import { hotDecoder, type HotDecoder, type HotListeners } from './hot-decode.js';
import { orderStatusBody, type OrderDesk } from './orders.js';
import type { Subscriptions } from './subscriptions.js';

/** What the raw events report to, besides the event stream. */
export interface RawEventSink {
  /** `account`: whose event it is, where the body does not say (the end of one account's *Multi snapshot). */
  emit(body: FeedEventBody, account?: string): void;
  /** The followed account, once chosen (the first one when several are followed). */
  account(): string | undefined;
  /** Whether rows of this account are followed (the one account, or one of several). */
  follows(account: string): boolean;
  readonly orders: OrderDesk;
  readonly subscriptions: Subscriptions;
  /** The connection's own messages: the handshake's NEXT_VALID_ID, the heartbeat's answer, the login's accounts, notices. */
  nextValidId(id: number): void;
  currentTime(seconds: number): void;
  managedAccounts(list: string): void;
  info(code: number, message: string): void;
}

export class RawEvents {
  /** Executions and commissions already emitted: reconciliation polls re-send them all, the recording wants each once. */
  private readonly seenExecs = new Set<string>();
  private readonly seenCommissions = new Set<string>();
  /** The last malformed IB Dividends value per line: said once, not again at every resend of the same text. */
  private readonly badDividends = new Map<number, string>();
  private readonly contracts = new ContractCache();

  constructor(private readonly sink: RawEventSink) {}

  /**
   * Listens to one connection's IBApi (its listeners all go when the connection is torn down). Returns the fast path
   * for the busiest of those events (for the wire guard): the same listeners, called from our decoding of the tokens.
   */
  attach(api: IBApi): HotDecoder {
    const sink = this.sink;
    const { orders, subscriptions } = sink;
    const emit = (b: FeedEventBody | undefined) => b && sink.emit(b);
    api.on(EventName.nextValidId, (id: number) => sink.nextValidId(id));
    api.on(EventName.currentTime, (time: number) => sink.currentTime(time));
    api.on(EventName.managedAccounts, (list: string) => sink.managedAccounts(list));
    api.on(EventName.info, (message: string, code: number) => sink.info(code, message));
    api.on(EventName.updateAccountValue, (key: string, value: string, currency: string, account: string) => {
      if (sink.follows(account)) emit({ type: 'accountValueUpdated', account, key, value, currency: currency ?? '' });
    });
    const hot: HotListeners = {
      updatePortfolio: (c, pos, px, mv, avg, upl, rpl, account) => {
        if (account !== undefined && !sink.follows(account)) return;
        subscriptions.seen('portfolio');
        emit(portfolioBody(c, pos, px, mv, avg, upl, rpl, account ?? sink.account(), this.contracts));
        if (pos !== 0) subscriptions.subscribeMarketData(api, c);
      },
      tickPrice: (reqId, tickType, value) => {
        const conId = subscriptions.conIdOf(reqId);
        if (conId === undefined) return;
        subscriptions.seen('marketData');
        emit(priceBody(conId, tickType, value as number));
      },
      tickOptionComputation: (reqId, tickType, _attrib, iv, delta, optPrice, pvDiv, gamma, vega, theta, und) => {
        const conId = subscriptions.conIdOf(reqId);
        if (conId !== undefined) emit(optionBody(conId, tickType, iv, delta, optPrice, pvDiv, gamma, vega, theta, und));
      },
    };
    api.on(EventName.updatePortfolio, hot.updatePortfolio);
    api.on(EventName.updateAccountTime, (time: string) => emit({ type: 'accountTimeUpdated', time }));
    api.on(EventName.accountDownloadEnd, (account: string) => emit({ type: 'accountDownloadEnded', account }));
    api.on(EventName.position, (account: string, c: IbContract, pos: number, avg?: number) => {
      if (sink.follows(account)) emit(positionBody(account, c, pos, avg, this.contracts));
    });
    // Several accounts of one login (TwsSource `accounts`): each answered on its own request id (Subscriptions).
    api.on(EventName.accountUpdateMulti, (reqId: number, account: string, _model: string, key: string, value: string, currency: string) => {
      if (subscriptions.multiAccountOf(reqId) === undefined || !sink.follows(account)) return;
      subscriptions.seen('portfolio');
      emit({ type: 'accountValueUpdated', account, key, value, currency: currency ?? '' });
    });
    // @stoqey/ib decodes this request id as a string (unlike every other): compared as a number.
    api.on(EventName.accountUpdateMultiEnd, (reqId: number | string) => {
      const account = subscriptions.multiAccountOf(Number(reqId));
      if (account !== undefined) emit({ type: 'accountDownloadEnded', account });
    });
    api.on(EventName.positionMulti, (reqId: number, account: string, _model: string, c: IbContract, pos: number, avg?: number) => {
      if (subscriptions.multiAccountOf(reqId) === undefined || !sink.follows(account)) return;
      emit(positionBody(account, c, pos, avg, this.contracts));
      // No PORTFOLIO_VALUE comes for these accounts: their marks are priced from the contract's own market data.
      if (pos !== 0) subscriptions.subscribeMarketData(api, c);
    });
    api.on(EventName.positionMultiEnd, (reqId: number) => {
      const account = subscriptions.multiAccountOf(reqId);
      if (account !== undefined) sink.emit({ type: 'positionsEnded' }, account);
    });
    api.on(EventName.positionEnd, () => emit({ type: 'positionsEnded' }));
    api.on(EventName.openOrder, (orderId: number, c: IbContract, order: Order, state: Parameters<typeof orderInfo>[3]) => {
      // A what-if answer (OrderDesk.whatIf) is not an order TWS holds: it never enters the state.
      if (order.whatIf) return;
      const info = orderInfo(orderId, c, order, state);
      if (info.account && sink.account() && !sink.follows(info.account)) return;
      if (orders.openOrderSeen(info)) emit({ type: 'openOrderUpdated', order: info });
    });
    api.on(EventName.openOrderEnd, () => emit({ type: 'openOrdersEnded', listed: orders.openOrdersEnded() }));
    api.on(
      EventName.orderStatus,
      (
        orderId: number,
        status: string,
        filled: number,
        remaining: number,
        avgFillPrice: number,
        permId?: number,
        _parentId?: number,
        lastFillPrice?: number,
        clientId?: number,
        whyHeld?: string,
      ) => {
        emit(orderStatusBody(orderId, status, filled, remaining, avgFillPrice, permId, lastFillPrice, clientId, whyHeld));
      },
    );
    api.on(EventName.execDetails, (reqId: number, c: IbContract, e: Parameters<typeof executionBody>[2]) => {
      if (e.acctNumber && sink.account() && !sink.follows(e.acctNumber)) return;
      if (!e.execId || this.seenExecs.has(e.execId)) return;
      this.seenExecs.add(e.execId);
      emit(executionBody(reqId, c, e));
    });
    api.on(EventName.execDetailsEnd, (reqId: number) => emit({ type: 'executionsEnded', reqId }));
    api.on(EventName.commissionReport, (r: Parameters<typeof commissionBody>[0]) => {
      if (!r.execId || this.seenCommissions.has(r.execId)) return;
      this.seenCommissions.add(r.execId);
      emit(commissionBody(r));
    });
    api.on(EventName.tickPrice, hot.tickPrice);
    // IB Dividends (generic tick 456, requested on stock lines): the only tickString we read.
    api.on(EventName.tickString, (reqId: number, tickType: number, value: string) => {
      if (tickType !== IB_DIVIDENDS_TICK) return;
      const conId = subscriptions.conIdOf(reqId);
      if (conId === undefined) return;
      const text = String(value ?? '');
      const r = dividendsBody(conId, text);
      if ('body' in r) {
        this.badDividends.delete(reqId);
        emit(r.body);
        return;
      }
      if (this.badDividends.get(reqId) === text) return;
      this.badDividends.set(reqId, text);
      const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
      emit({
        type: 'brokerMessage',
        id: reqId,
        code: 0,
        class: 'data',
        message: `IB Dividends tick (59) for conId ${conId} ignored: ${r.problem} in ${JSON.stringify(shown)} (expected past12Months,next12Months,YYYYMMDD,amount); its options keep their previous dividends`,
      });
    });
    api.on(EventName.tickOptionComputation, hot.tickOptionComputation);
    return hotDecoder(api, hot);
  }
}
