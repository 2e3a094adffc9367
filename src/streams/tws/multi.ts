// Several accounts of one (advisor) login over one TwsSource: each event goes to its account's stream, so that every
// account has its own Feed and PortfolioState (the one-account rule stays), and positions are marked from market data.
import { Observable, Subject, type Subscription } from 'rxjs';
import type { Contract } from '../../model/contract.js';
import type { FeedEventBody, FeedEventOf, PriceField } from '../../model/events.js';
import { Decimal } from '../../model/money.js';
import type { RoutedBody, TwsSource } from './source.js';

type Body<T extends FeedEventBody['type']> = Omit<FeedEventOf<T>, 'seq' | 'receivedAt'>;

/** One account's stream: events wait in `early` until its feed subscribes, so none is lost before it exists. */
interface AccountStream {
  readonly subject: Subject<FeedEventBody>;
  early: FeedEventBody[] | undefined;
  /** Its positions (from reqPositionsMulti), to mark them when their contract's price moves. */
  readonly held: Map<number, { contract: Contract; position: Decimal; averageCost?: Decimal }>;
}

/** Security types whose TWS average cost is per contract (price × multiplier). */
const DERIVATIVES: ReadonlySet<string> = new Set(['OPT', 'FOP', 'FUT', 'WAR']);

/** Prices of one contract as ticked, by field. */
type Quotes = Partial<Record<PriceField, Decimal>>;

/**
 * The price a position is marked at when TWS sends no PORTFOLIO_VALUE for it: the mark, else the last trade, else the
 * bid/ask midpoint, else the close. Undefined when nothing was ticked yet (the row waits, never valued at zero).
 */
export function markOf(q: Quotes | undefined): Decimal | undefined {
  if (!q) return undefined;
  if (q.mark) return q.mark;
  if (q.last) return q.last;
  if (q.bid && q.ask) return q.bid.add(q.ask).div(2);
  return q.close;
}

/** Which followed accounts an `--account` value names: 'all', or a comma-separated list (undefined: a single one). */
export function parseAccounts(v: string | undefined): 'all' | readonly string[] | undefined {
  if (v === undefined) return undefined;
  if (v.trim().toLowerCase() === 'all') return 'all';
  const list = v
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return list.length > 1 ? [...new Set(list)] : undefined;
}

export class AccountRouter {
  private readonly streams = new Map<string, AccountStream>();
  private readonly quotes = new Map<number, Quotes>();
  /** Order id → account (OPEN_ORDER names it, ORDER_STATUS does not); exec id → account for commission reports. */
  private readonly orderAccount = new Map<number, string>();
  private readonly execAccount = new Map<string, string>();
  /** Events before the accounts are known: every account's stream starts with them. */
  private readonly beforeAccounts: FeedEventBody[] = [];
  private accounts: readonly string[] | undefined;
  private readonly listeners: Array<(accounts: readonly string[]) => void> = [];
  private readonly subscription: Subscription;

  constructor(
    source: Pick<TwsSource, 'routed$'>,
    private readonly wanted: 'all' | readonly string[],
  ) {
    if (wanted !== 'all') this.open(wanted);
    this.subscription = source.routed$.subscribe({
      next: (r) => this.route(r),
      complete: () => {
        for (const s of this.streams.values()) s.subject.complete();
      },
    });
  }

  /** The followed accounts, once known (at once for a list; for 'all', when the login names its accounts). */
  get followed(): readonly string[] | undefined {
    return this.accounts;
  }

  /** Calls `f` once with the followed accounts (now, when they are known already). */
  onAccounts(f: (accounts: readonly string[]) => void): void {
    if (this.accounts) f(this.accounts);
    else this.listeners.push(f);
  }

  /** One account's events, from the first (subscribe once, before the next event: a Feed does at construction). */
  streamOf(account: string): Observable<FeedEventBody> {
    const s = this.streams.get(account);
    if (!s) throw new Error(`account ${account} is not followed`);
    return new Observable<FeedEventBody>((sub) => {
      const early = s.early ?? [];
      s.early = undefined;
      for (const b of early) sub.next(b);
      return s.subject.subscribe(sub);
    });
  }

  stop(): void {
    this.subscription.unsubscribe();
  }

  private open(accounts: readonly string[]): void {
    this.accounts = accounts;
    for (const a of accounts) this.streams.set(a, { subject: new Subject(), early: [...this.beforeAccounts], held: new Map() });
    this.beforeAccounts.length = 0;
    for (const f of this.listeners.splice(0)) f(accounts);
  }

  private send(account: string, body: FeedEventBody): void {
    const s = this.streams.get(account);
    if (!s) return;
    if (s.early) s.early.push(body);
    else s.subject.next(body);
  }

  private broadcast(body: FeedEventBody): void {
    if (!this.accounts) {
      this.beforeAccounts.push(body);
      return;
    }
    for (const a of this.accounts) this.send(a, body);
  }

  private route({ body, account }: RoutedBody): void {
    if (body.type === 'managedAccountsReceived' && !this.accounts && this.wanted === 'all') {
      this.beforeAccounts.push(body);
      this.open([...body.accounts]);
      return;
    }
    if (body.type === 'accountChanged' && this.accounts) {
      // Said per account: each feed's reducer judges whether the login still manages its own account.
      for (const a of this.accounts) this.send(a, { ...body, followed: a });
      return;
    }
    const owner = account ?? this.ownerOf(body);
    if (owner === undefined) this.broadcast(body);
    else this.send(owner, body);
    // A fresh positions snapshot lists again every position still held: one it no longer lists is marked no more.
    if (owner !== undefined && body.type === 'snapshotRequested' && body.snapshot === 'positions') this.streams.get(owner)?.held.clear();
    if (owner !== undefined && body.type === 'positionUpdated') this.hold(owner, body);
    if (body.type === 'priceTicked') this.ticked(body);
  }

  /** The account an event belongs to, or undefined for the connection's own (health, ticks, notices): everyone's. */
  private ownerOf(body: FeedEventBody): string | undefined {
    switch (body.type) {
      case 'accountValueUpdated':
      case 'portfolioUpdated':
      case 'positionUpdated':
      case 'accountSummaryUpdated':
      case 'pnlUpdated':
      case 'accountDownloadEnded':
        return body.account || undefined;
      case 'openOrderUpdated':
        if (body.order.account) this.orderAccount.set(body.order.orderId, body.order.account);
        return body.order.account || undefined;
      case 'orderStatusUpdated':
        return this.orderAccount.get(body.orderId);
      case 'executionReceived':
        if (body.account) this.execAccount.set(body.execId, body.account);
        if (body.account) this.orderAccount.set(body.orderId, body.account);
        return body.account || undefined;
      case 'commissionReceived':
        return this.execAccount.get(body.execId);
      default:
        return undefined;
    }
  }

  private hold(account: string, body: Body<'positionUpdated'>): void {
    const held = this.streams.get(account)?.held;
    if (!held || body.position === undefined) return;
    const conId = body.contract.conId;
    if (body.position.isZero()) held.delete(conId);
    else held.set(conId, { contract: body.contract, position: body.position, ...(body.averageCost ? { averageCost: body.averageCost } : {}) });
    this.mark(account, conId, body.contract, body.position, body.averageCost);
  }

  private ticked(body: Body<'priceTicked'>): void {
    const q = { ...this.quotes.get(body.conId), [body.field]: body.price };
    const before = markOf(this.quotes.get(body.conId));
    this.quotes.set(body.conId, q);
    const now = markOf(q);
    if (!now || (before && before.eq(now))) return;
    for (const [account, s] of this.streams) {
      const h = s.held.get(body.conId);
      if (h) this.mark(account, body.conId, h.contract, h.position, h.averageCost);
    }
  }

  /**
   * The PORTFOLIO_VALUE row TWS would send for a position of one of several followed accounts, from its quantity,
   * average cost and the contract's price (reqAccountUpdates, which sends those rows, follows one account only).
   */
  private mark(account: string, conId: number, contract: Contract, position: Decimal, averageCost: Decimal | undefined): void {
    const price = markOf(this.quotes.get(conId));
    if (!position.isZero() && price === undefined) return;
    const mult = contract.multiplier && !contract.multiplier.isZero() ? contract.multiplier : new Decimal(1);
    const marketValue = price === undefined ? new Decimal(0) : position.mul(price).mul(mult).toDecimalPlaces(2);
    // TWS's average cost carries the multiplier for derivatives only; a bond's (price in percent of face) does not.
    const costPerUnit = averageCost && (DERIVATIVES.has(contract.secType) ? averageCost : averageCost.mul(mult));
    const body: Body<'portfolioUpdated'> = {
      type: 'portfolioUpdated',
      account,
      contract,
      position,
      ...(price !== undefined ? { marketPrice: price, marketValue } : {}),
      ...(averageCost
        ? { averageCost, ...(price !== undefined && costPerUnit ? { unrealizedPnl: marketValue.sub(position.mul(costPerUnit)).toDecimalPlaces(2) } : {}) }
        : {}),
    };
    this.send(account, body as FeedEventBody);
  }
}
