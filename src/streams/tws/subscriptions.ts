// What one connection asks TWS for: the snapshots and streams of a (re)synchronisation, the market-data lines with
// their delayed-data fallback, the open-orders poll, and whether those streams went stale.
import type { Contract as IbContract, IBApi, IBApiNext } from '@stoqey/ib';
import type { Subscription } from 'rxjs';
import type { Clock } from '../../model/clock.js';
import type { FeedEventBody } from '../../model/events.js';
import { STALE_AFTER_MS } from '../../model/freshness.js';
import { pnlFields } from './map.js';
import type { OrderDesk } from './orders.js';

/** Account summary tags the risk engine reads, plus the per-currency ledger. */
export const SUMMARY_TAGS =
  'NetLiquidation,TotalCashValue,EquityWithLoanValue,InitMarginReq,MaintMarginReq,AvailableFunds,ExcessLiquidity,' +
  'Cushion,GrossPositionValue,BuyingPower,SMA,LookAheadExcessLiquidity,$LEDGER:ALL';

/** Codes saying live market data is not subscribed for a line (delayed data is available). */
const NOT_SUBSCRIBED: ReadonlySet<number> = new Set([354, 10089, 10090, 10168]);

/** The streams whose silence makes health degraded. */
export type WatchedStream = 'marketData' | 'portfolio';

/** What the subscriptions need from the connection that owns them. */
export interface SubscriptionLink {
  readonly clock: Clock;
  readonly clientId: number;
  /** At most this many market-data lines. */
  readonly maxMarketDataLines: number;
  /** Poll open orders and executions this often; 0 disables. */
  readonly openOrdersPollMs: number;
  readonly staleAfterMs: Partial<Record<WatchedStream, number>>;
  readonly orders: OrderDesk;
  /** `account`: whose event it is, where the body does not say. */
  emit(body: FeedEventBody, account?: string): void;
  /** A fresh raw request id. */
  reqId(): number;
  /** Runs `fn` after `ms` on the connection's clock, unless the connection is torn down first. */
  later(ms: number, fn: () => void): void;
  /** An error of a subscription stream, handled like any error TWS sends. */
  onError(reqId: number, code: number, message: string): void;
}

/**
 * Generic ticks of a market-data line: 456 (IB Dividends, answered as tick 59) on stocks, whose next dividend prices
 * their American options (docs/stress-model.md); nothing extra elsewhere.
 */
function genericTicksFor(c: IbContract): string {
  return c.secType === 'STK' ? '456' : '';
}

export class Subscriptions {
  private readonly mktReqByConId = new Map<number, number>();
  private readonly conIdByMktReq = new Map<number, number>();
  /** Contracts of our market-data lines, to re-request them as delayed data. */
  private readonly mktContracts = new Map<number, IbContract>();
  /** Switched to delayed market data after TWS said live data is not subscribed (354/10089/10090). */
  private delayedData = false;
  /** When each watched stream last delivered (or was (re)subscribed): staleness is judged from these. */
  private readonly lastSeen: Record<WatchedStream, number | undefined> = { marketData: undefined, portfolio: undefined };
  /** Seen in the socket read under way (see `seen`). */
  private seenMarketData = false;
  private seenPortfolio = false;
  /** The *Multi requests of this connection (several accounts followed): request id → account. */
  private readonly multiReqs = new Map<number, { readonly account: string; readonly kind: 'values' | 'positions' }>();
  /** The open-orders poll runs on this connection: a resynchronisation on it (1101) must not start a second loop. */
  private polling = false;
  /** Waiting for the first data after a resubscription (1101): see `readEnded`. */
  private awaitingData = false;

  constructor(private readonly link: SubscriptionLink) {}

  /** A connection ended: its market-data lines went with it (the delayed-data choice stays). */
  reset(): void {
    this.mktReqByConId.clear();
    this.conIdByMktReq.clear();
    this.mktContracts.clear();
    this.multiReqs.clear();
    this.polling = false;
    this.awaitingData = false;
  }

  /**
   * TWS said its data was lost (1101): it dropped our market-data lines, which are otherwise asked for once per
   * conId per connection (as positions arrive), so each is requested again on its own request id (TWS no longer
   * knows it; ticks keep mapping to the same conId). Returns how many lines were requested.
   */
  resubscribeMarketData(api: IBApi): number {
    this.awaitingData = true;
    for (const [reqId, contract] of this.mktContracts) api.reqMktData(reqId, contract, genericTicksFor(contract), false, false);
    return this.mktContracts.size;
  }

  /** The account a reqAccountUpdatesMulti or reqPositionsMulti request id is for, when it is one of ours. */
  multiAccountOf(reqId: number): string | undefined {
    return this.multiReqs.get(reqId)?.account;
  }

  /**
   * Requests every snapshot and stream of the followed account (at start, after every reconnect, and when TWS says
   * its data was lost). Returns the library subscriptions, which the connection ends on teardown.
   */
  synchronise(ib: IBApiNext, api: IBApi, acct: string): Subscription[] {
    const { clock, orders } = this.link;
    const emit = (b: FeedEventBody) => this.link.emit(b);
    if (this.delayedData) api.reqMarketDataType(3);
    // Each (re)subscription gets a full staleness period before it can be called stale.
    this.lastSeen.portfolio = clock.now();
    this.lastSeen.marketData = clock.now();
    emit({ type: 'snapshotRequested', snapshot: 'account' });
    api.reqAccountUpdates(true, acct);
    emit({ type: 'snapshotRequested', snapshot: 'positions' });
    api.reqPositions();
    emit({ type: 'snapshotRequested', snapshot: 'openOrders' });
    orders.requestOpenOrders(api);
    // Its answer ends with an OPEN_ORDER_END too: counted, so orderSnapshot knows which end closes its own list.
    if (this.link.clientId === 0) orders.requestAutoOpenOrders(api);
    // Every execution of the day again: the reducer keeps the first copy of each execId, so none is lost or doubled.
    api.reqExecutions(this.link.reqId(), {});
    emit({ type: 'snapshotRequested', snapshot: 'accountSummary' });
    return [...this.accountSummaryAndPnl(ib, [acct]), ...this.pollOrders(api)];
  }

  /**
   * Like `synchronise`, for several accounts of one (advisor) login: account values and positions of each through
   * reqAccountUpdatesMulti and reqPositionsMulti (reqAccountUpdates follows one account per connection), PnL per
   * account, one account summary for the group All; orders and executions of the login (filtered per account by
   * RawEvents). Each account's snapshot requests and their ends carry its name (routed$).
   */
  synchroniseMulti(ib: IBApiNext, api: IBApi, accounts: readonly string[]): Subscription[] {
    const { clock, orders } = this.link;
    const emit = (b: FeedEventBody, account?: string) => this.link.emit(b, account);
    if (this.delayedData) api.reqMarketDataType(3);
    this.lastSeen.portfolio = clock.now();
    this.lastSeen.marketData = clock.now();
    for (const [reqId, r] of this.multiReqs) {
      // A resynchronisation on the same connection (data lost): the old requests end before the new ones start.
      if (r.kind === 'values') api.cancelAccountUpdatesMulti(reqId);
      else api.cancelPositionsMulti(reqId);
    }
    this.multiReqs.clear();
    for (const acct of accounts) {
      const valuesReq = this.link.reqId();
      const positionsReq = this.link.reqId();
      this.multiReqs.set(valuesReq, { account: acct, kind: 'values' });
      this.multiReqs.set(positionsReq, { account: acct, kind: 'positions' });
      // Positions before values: AccountRouter marks each listed position at once (from prices it already has), so
      // the account's fresh portfolio is complete when the values' end swaps it in, with no empty moment between.
      emit({ type: 'snapshotRequested', snapshot: 'account' }, acct);
      emit({ type: 'snapshotRequested', snapshot: 'positions' }, acct);
      api.reqPositionsMulti(positionsReq, acct, '');
      api.reqAccountUpdatesMulti(valuesReq, acct, '', false);
    }
    emit({ type: 'snapshotRequested', snapshot: 'openOrders' });
    orders.requestOpenOrders(api);
    if (this.link.clientId === 0) orders.requestAutoOpenOrders(api);
    api.reqExecutions(this.link.reqId(), {});
    emit({ type: 'snapshotRequested', snapshot: 'accountSummary' });
    return [...this.accountSummaryAndPnl(ib, accounts), ...this.pollOrders(api)];
  }

  /** The account summary (group All, rows of the followed accounts) and each followed account's PnL. */
  private accountSummaryAndPnl(ib: IBApiNext, accounts: readonly string[]): Subscription[] {
    const emit = (b: FeedEventBody) => this.link.emit(b);
    const followed = new Set(accounts);
    return [
      ib.getAccountSummary('All', SUMMARY_TAGS).subscribe({
        next: (u) => {
          for (const [account, tags] of u.changed ?? u.added ?? u.all ?? []) {
            if (!followed.has(account)) continue;
            for (const [tag, byCcy] of tags) {
              for (const [currency, v] of byCcy) emit({ type: 'accountSummaryUpdated', account, tag, currency, value: v.value });
            }
          }
          if (u.added && u.all === u.added) emit({ type: 'accountSummaryEnded' });
        },
        error: (e: { code?: number; message?: string }) => this.link.onError(-1, e.code ?? 0, `account summary: ${e.message ?? String(e)}`),
      }),
      ...accounts.map((acct) =>
        ib.getPnL(acct).subscribe({
          next: (p) => emit({ type: 'pnlUpdated', account: acct, ...pnlFields(p) }),
          error: (e: { code?: number; message?: string }) => this.link.onError(-1, e.code ?? 0, `PnL: ${e.message ?? String(e)}`),
        }),
      ),
    ];
  }

  /** The open-orders and executions poll (see `openOrdersPollMs`). */
  private pollOrders(api: IBApi): Subscription[] {
    const { orders } = this.link;
    const every = this.link.openOrdersPollMs;
    if (every > 0 && !this.polling) {
      this.polling = true;
      // Other clients' and manual orders, and their fills, are not streamed to us (only to the master client):
      // poll both; the reducer keys orders by id and executions by execId, so repeats change nothing.
      const poll = () => {
        orders.requestOpenOrders(api);
        api.reqExecutions(this.link.reqId(), {});
        this.link.later(every, poll);
      };
      this.link.later(every, poll);
    }
    return [];
  }

  /** Market data for a position's contract (once per conId per connection), within the line budget. */
  subscribeMarketData(api: IBApi, c: IbContract): void {
    const conId = c.conId;
    if (!conId || this.mktReqByConId.has(conId)) return;
    if (this.mktReqByConId.size >= this.link.maxMarketDataLines) return;
    const reqId = this.link.reqId();
    this.mktReqByConId.set(conId, reqId);
    this.conIdByMktReq.set(reqId, conId);
    const contract = { ...c, exchange: c.exchange || c.primaryExch || 'SMART' };
    this.mktContracts.set(reqId, contract);
    api.reqMktData(reqId, contract, genericTicksFor(contract), false, false);
  }

  /** The conId a market-data request id is for, when it is one of our lines. */
  conIdOf(reqId: number): number | undefined {
    return this.conIdByMktReq.get(reqId);
  }

  /** A watched stream delivered, in the socket read under way (every tick and mark): stamped at the read's end. */
  seen(stream: WatchedStream): void {
    if (stream === 'marketData') this.seenMarketData = true;
    else this.seenPortfolio = true;
  }

  /**
   * The end of a socket read (TwsSource): the streams it delivered are stamped now, one clock read per read instead
   * of one per tick and mark (a read takes a millisecond or two; staleness is judged in seconds). True when this read
   * brought the first data after `resubscribeMarketData`: market data, or portfolio marks when there is no line.
   */
  readEnded(): boolean {
    if (!this.seenMarketData && !this.seenPortfolio) return false;
    const now = this.link.clock.now();
    if (this.seenMarketData) this.lastSeen.marketData = now;
    if (this.seenPortfolio) this.lastSeen.portfolio = now;
    const resumed = this.awaitingData && (this.seenMarketData || this.mktReqByConId.size === 0);
    if (resumed) this.awaitingData = false;
    this.seenMarketData = false;
    this.seenPortfolio = false;
    return resumed;
  }

  /** An error for a request: when it says one of our lines has no live subscription, fall back to delayed data. */
  onError(api: IBApi | undefined, reqId: number, code: number): void {
    if (NOT_SUBSCRIBED.has(code) && this.conIdByMktReq.has(reqId)) this.fallBackToDelayed(api, reqId);
  }

  /**
   * TWS refused live data for a line because the account has no subscription: ask for delayed data from now on
   * (reqMarketDataType 3) and request the line again. Said once, so the operator knows quotes are 15-20 min old.
   */
  private fallBackToDelayed(api: IBApi | undefined, reqId: number): void {
    const contract = this.mktContracts.get(reqId);
    if (!api || !contract) return;
    if (!this.delayedData) {
      this.delayedData = true;
      api.reqMarketDataType(3);
      this.link.emit({
        type: 'brokerMessage',
        id: -1,
        code: 0,
        class: 'warning',
        message: 'live market data is not subscribed for this account: using delayed data (marked delayed)',
      });
    }
    api.reqMktData(reqId, contract, genericTicksFor(contract), false, false);
  }

  /** The subscribed streams that stopped updating past their limit, as the operator reads them; a stream is only watched once requested. */
  staleStreams(): string[] {
    const now = this.link.clock.now();
    const stale: string[] = [];
    for (const stream of ['marketData', 'portfolio'] as const) {
      const limit = this.link.staleAfterMs[stream] ?? STALE_AFTER_MS[stream];
      const since = this.lastSeen[stream];
      if (limit === undefined || since === undefined) continue;
      if (stream === 'marketData' && this.mktReqByConId.size === 0) continue;
      if (now - since > limit) stale.push(stream === 'marketData' ? 'market data' : 'portfolio marks');
    }
    return stale;
  }
}
