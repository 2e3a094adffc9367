// Order engine: validation, margin check, status transitions, fills with slippage and partial fills,
// commissions, cancels; held (untransmitted), attached (bracket), OCA, IOC/FOK, stop, trailing stop and MIT orders.
// It owns orders and executions; the server turns its events into messages.
import { commissionFor as scheduleCommission } from '../model/commission.js';
import { Decimal, ZERO, dec } from '../model/money.js';
import type { VirtualClock } from './clock.js';
import { priceIncrementAt } from './contract-details.js';
import { multiplierOf, type Instrument, type SecType } from './instruments.js';
import type { Ledger } from './ledger.js';
import { roundToLadder, type Market } from './market.js';
import type { Rng } from './random.js';
import type { OrderRequest } from './requests.js';
import { valueAccount, type ValuationParams } from './valuation.js';

export interface OrderOptions {
  /** Maximum adverse slippage of a fill, in basis points (drawn uniformly in [0, max]). */
  readonly slippageBps: number;
  /** Virtual ms from acceptance (PreSubmitted) to Submitted. */
  readonly ackDelayMs: number;
  /** Virtual ms from Submitted to the first fill of a marketable order. */
  readonly fillDelayMs: number;
  /** Virtual ms between partial fills. */
  readonly partialIntervalMs: number;
  /** Largest single execution per security type; bigger orders fill in several executions. */
  readonly maxFillSize: Readonly<Partial<Record<SecType, string>>>;
}

export const DEFAULT_ORDERS: OrderOptions = {
  slippageBps: 2,
  ackDelayMs: 50,
  fillDelayMs: 150,
  partialIntervalMs: 400,
  maxFillSize: { STK: '500', OPT: '10', FOP: '5', FUT: '5', CASH: '250000', BOND: '100000' },
};

/** One account's books: where its fills land and how its margin is valued. */
export interface OrderBook {
  readonly ledger: Ledger;
  readonly valuation: ValuationParams;
}

/**
 * The accounts an order may name. An advisor (FA) login books an order in the sub-account its account field names, as
 * TWS does; an order naming no account has no allocation there (error 436), while a plain login fills it in its own.
 */
export interface OrderBooks {
  /** The login's own account. */
  readonly main: string;
  /** True for an advisor login (it has sub-accounts): every order must name its account. */
  readonly advisor: boolean;
  /** Every account MANAGED_ACCTS lists, some of them without a book (no data). */
  readonly managed: readonly string[];
  bookOf(account: string): OrderBook | undefined;
}

/** TWS's answer to an order for an advisor login that names no account (its message codes list, code 436). */
export const NO_ALLOCATION = 'You must specify an allocation (either a single account, group, or profile).';

/** TWS's answer to a limit or stop price off the contract's price grid (its message codes list, code 110). */
export const OFF_TICK = 'The price does not conform to the minimum price variation for this contract.';

/**
 * Whether `price` is a whole number of ticks. Clients send doubles, so a price a float step away from the grid
 * (228.37000000000003) still counts as on it; 100.001 on a 0.01 grid does not.
 */
export function onTick(price: number, tick: number): boolean {
  const steps = dec(String(price)).div(dec(String(tick)));
  return steps.sub(steps.round()).abs().lte('1e-6');
}

export type OrderType = 'MKT' | 'LMT' | 'STP' | 'STP LMT' | 'TRAIL' | 'MIT';
const ORDER_TYPES: readonly string[] = ['MKT', 'LMT', 'STP', 'STP LMT', 'TRAIL', 'MIT'];
/** Orders that wait for a trigger price before they work: stops, trailing stops and market-if-touched. */
const isStop = (o: SimOrder) => o.orderType === 'STP' || o.orderType === 'STP LMT' || o.orderType === 'TRAIL' || o.orderType === 'MIT';

export type OrderStatus = 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive';

export interface SimOrder {
  orderId: number;
  readonly clientId: number;
  readonly permId: number;
  readonly inst: Instrument;
  readonly action: 'BUY' | 'SELL';
  totalQty: Decimal;
  readonly orderType: OrderType;
  lmtPrice?: number;
  /** The stop price of a STP / STP LMT order, the trigger of an MIT, a TRAIL's trailing amount (IB's auxPrice). */
  auxPrice?: number;
  /** A TRAIL's trailing amount as a percentage of the price (IB's trailingPercent), used instead of auxPrice. */
  trailingPercent?: number;
  /** A TRAIL's current stop price: set at placement, ratcheted as the market moves its way (IB's trailStopPrice). */
  trailStopPrice?: number;
  readonly tif: string;
  /** The order this one is attached to (0: none); it works only once that parent has filled (IB "Attaching Orders"). */
  readonly parentId: number;
  /** One-cancels-all group ('' none) and its type: 1 cancels the others on a fill, 2 and 3 reduce them by it. */
  readonly ocaGroup: string;
  readonly ocaType: number;
  /** Kept and echoed in OPEN_ORDER only: the simulator has no session hours, GTD expiry or minimum fill size. */
  readonly outsideRth: boolean;
  readonly goodTillDate: string;
  readonly allOrNone: boolean;
  readonly minQty?: number;
  /** How a stop triggers (IB's triggerMethod, "Trigger Methods"): 2, 3 last; 1, 4 bid/ask; 7 either; 8 midpoint; 0 default. */
  readonly triggerMethod: number;
  /** A stop order whose stop price has been reached: it now works as MKT (STP) or LMT (STP LMT). */
  triggered: boolean;
  /**
   * Why a transmitted order is still PreSubmitted, as ORDER_STATUS's whyHeld says it: 'child' (waits for its parent's
   * fill), 'trigger' (a stop IB simulates, waiting for its stop price); '' otherwise.
   */
  whyHeld: '' | 'child' | 'trigger';
  /** The account whose books the order fills: the one its account field named, or the login's own when blank. */
  readonly account: string;
  /** The account field the client's order named (blank: the login's default), kept for tests of who asked for what. */
  readonly requestedAccount?: string;
  readonly orderRef: string;
  /** False while the order is held in TWS (placed with transmit false); a later transmit of its group sends it. */
  transmitted: boolean;
  /** Placed in TWS by hand (client id 0), not through the API. */
  readonly manual: boolean;
  status: OrderStatus;
  filled: Decimal;
  fillValue: Decimal;
  lastFillPrice: number;
  /** Virtual time before which the order may not fill (ack and partial-fill pacing). */
  readyAt: number;
  /** Commission charged so far (shown in the final OPEN_ORDER's orderState). */
  commission: Decimal;
}

export interface SimExecution {
  readonly execId: string;
  readonly order: SimOrder;
  readonly time: number;
  readonly side: 'BOT' | 'SLD';
  readonly shares: Decimal;
  readonly price: Decimal;
  readonly cumQty: Decimal;
  readonly avgPrice: Decimal;
  readonly commission: Decimal;
  readonly commissionCurrency: string;
  /** Net realized P&L of this execution when it closed something; undefined when it only opened. */
  readonly realizedPnl?: Decimal;
}

export interface MarginImpact {
  readonly initBefore: Decimal;
  readonly maintBefore: Decimal;
  readonly elvBefore: Decimal;
  readonly initAfter: Decimal;
  readonly maintAfter: Decimal;
  readonly elvAfter: Decimal;
  readonly availableAfter: Decimal;
  readonly availableBefore: Decimal;
  readonly commission: Decimal;
}

/** What the engine reports; the server fans these out to sessions. */
export interface OrderEvents {
  /** Status or order changed; `openOrder` asks for an OPEN_ORDER before the ORDER_STATUS. */
  orderChanged(order: SimOrder, openOrder: boolean): void;
  executed(exec: SimExecution): void;
  /** After the ORDER_STATUS of a fill: commission report, then position and account pushes. */
  settled(exec: SimExecution): void;
  /** An error for the order's owner (202 cancelled, 201 rejected, …). */
  orderError(order: SimOrder, code: number, message: string): void;
}

export type PlaceResult =
  | { readonly kind: 'accepted'; readonly order: SimOrder }
  | { readonly kind: 'whatIf'; readonly order: SimOrder; readonly impact: MarginImpact }
  | { readonly kind: 'error'; readonly code: number; readonly message: string };

export const isOpen = (o: SimOrder) => o.status === 'PreSubmitted' || o.status === 'Submitted';

/** IBKR Pro-like commissions, in the instrument's currency (model/commission.ts, shared with the reduction's budget). */
export function commissionFor(inst: Instrument, qty: Decimal, price: Decimal): Decimal {
  return scheduleCommission(inst.secType, inst.currency, qty, price, multiplierOf(inst));
}

export class OrderEngine {
  /** Every order of the run (open and done), keyed by `${clientId}:${orderId}` (manual orders: client 0, negative ids). */
  readonly orders = new Map<string, SimOrder>();
  readonly executions: SimExecution[] = [];
  private permSeq = 0;
  private execSeq = 0;
  private manualSeq = 0;
  /** TRAIL orders whose first stop the simulator set from the market (the client named no trailStopPrice). */
  private readonly trailsFromMarket = new WeakSet<SimOrder>();
  /** While true (connectivity lost), orders are accepted but nothing fills. */
  halted = false;

  constructor(
    private readonly clock: VirtualClock,
    private readonly market: Market,
    private readonly books: OrderBooks,
    private readonly rng: Rng,
    private readonly opts: OrderOptions,
    private readonly events: OrderEvents,
  ) {}

  openOrders(): SimOrder[] {
    return [...this.orders.values()].filter(isOpen);
  }

  /** Orders TWS no longer works (filled, cancelled, rejected), for reqCompletedOrders. */
  completedOrders(): SimOrder[] {
    return [...this.orders.values()].filter((o) => !isOpen(o));
  }

  find(clientId: number, orderId: number): SimOrder | undefined {
    return this.orders.get(`${clientId}:${orderId}`);
  }

  /** Places (or modifies) an order for `clientId`; `manual` marks an order typed into TWS by hand. */
  place(clientId: number, orderId: number, inst: Instrument, req: OrderRequest, manual = false): PlaceResult {
    const action = req.action.toUpperCase() === 'SSHORT' ? 'SELL' : req.action.toUpperCase();
    const qty = safeDecimal(req.totalQuantity);
    const type = req.orderType.toUpperCase();
    if (action !== 'BUY' && action !== 'SELL') return { kind: 'error', code: 201, message: `Order rejected - reason:Invalid action ${req.action}` };
    if (!qty || qty.lte(0)) return { kind: 'error', code: 434, message: 'The order size cannot be zero.' };
    if (!ORDER_TYPES.includes(type)) {
      return { kind: 'error', code: 387, message: 'Unsupported order type for this exchange and security type.' };
    }
    const limited = type === 'LMT' || type === 'STP LMT';
    if (limited && (req.lmtPrice === undefined || !(req.lmtPrice > 0))) {
      return { kind: 'error', code: 201, message: 'Order rejected - reason:The limit price is missing or invalid.' };
    }
    if ((type === 'STP' || type === 'STP LMT' || type === 'MIT') && (req.auxPrice === undefined || !(req.auxPrice > 0))) {
      return { kind: 'error', code: 201, message: 'Order rejected - reason:The stop price is missing or invalid.' };
    }
    const trailPct = type === 'TRAIL' && req.trailingPercent !== undefined && req.trailingPercent > 0 ? req.trailingPercent : undefined;
    if (type === 'TRAIL' && trailPct === undefined && !(req.auxPrice !== undefined && req.auxPrice > 0)) {
      return { kind: 'error', code: 201, message: 'Order rejected - reason:The trailing amount or percent is missing or invalid.' };
    }
    if (inst.secType === 'IND') return { kind: 'error', code: 201, message: 'Order rejected - reason:Indices are not tradable.' };
    // TWS refuses a price off the contract's grid rather than rounding it; the grid is the market rule's ladder at that
    // price (an AAPL option at 0.01 below 3.00, 0.05 from it), coarser than the minTick the quotes use.
    const onGrid = (price: number) => onTick(price, priceIncrementAt(inst, price));
    const offTick = (limited && !onGrid(req.lmtPrice!)) || (req.auxPrice !== undefined && req.auxPrice !== 0 && !onGrid(req.auxPrice));
    if (offTick) return { kind: 'error', code: 110, message: OFF_TICK };
    // Only stocks trade in fractions: options and futures are whole contracts (sizeIncrement 1 in their details).
    if ((inst.secType === 'OPT' || inst.secType === 'FOP' || inst.secType === 'FUT') && !qty.isInteger()) {
      return { kind: 'error', code: 10243, message: 'Fractional-sized order cannot be placed for this contract.' };
    }
    const account = req.account || (this.books.advisor ? undefined : this.books.main);
    if (account === undefined) return { kind: 'error', code: 436, message: NO_ALLOCATION };
    const book = this.books.bookOf(account);
    if (!book) {
      // A listed account without a book (otherAccounts) is the simulator's limit, not TWS's: said as such.
      const cause = this.books.managed.includes(account)
        ? `the simulator keeps no book for account ${account} (it is only listed in MANAGED_ACCTS)`
        : `Invalid account code ${account}`;
      return { kind: 'error', code: 321, message: `Error validating request.-'bN' : cause - ${cause}` };
    }

    const existing = manual ? undefined : this.find(clientId, orderId);
    if (existing) {
      if (!isOpen(existing)) return { kind: 'error', code: 103, message: `Duplicate order id` };
      if (existing.inst.conId !== inst.conId || existing.action !== action || existing.orderType !== type || existing.account !== account) {
        return { kind: 'error', code: 105, message: 'Order being modified does not match original order.' };
      }
      if (qty.lt(existing.filled)) return { kind: 'error', code: 201, message: 'Order rejected - reason:Quantity below filled quantity.' };
      existing.totalQty = qty;
      existing.lmtPrice = limited ? req.lmtPrice : undefined;
      if (isStop(existing)) existing.auxPrice = trailPct === undefined ? req.auxPrice : undefined;
      if (existing.orderType === 'TRAIL') existing.trailingPercent = trailPct;
      // Re-placing a held order with transmit true sends it, with the rest of its group (IB "Attaching Orders").
      const sending = !existing.transmitted && req.transmit;
      if (sending) this.markTransmitted(existing);
      this.events.orderChanged(existing, true);
      if (sending) this.transmitGroup(existing);
      else if (existing.status === 'Submitted') this.scheduleFill(existing, this.opts.ackDelayMs);
      return { kind: 'accepted', order: existing };
    }

    const parentId = manual ? 0 : req.parentId;
    const parent = parentId ? this.find(clientId, parentId) : undefined;
    if (parentId && !(parent && (isOpen(parent) || parent.status === 'Filled'))) {
      return { kind: 'error', code: 135, message: `Can't find order with id = ${parentId}` };
    }

    const order: SimOrder = {
      orderId: manual ? -++this.manualSeq : orderId,
      clientId,
      permId: 1_000_000_000 + ++this.permSeq,
      inst,
      action,
      totalQty: qty,
      orderType: type as OrderType,
      lmtPrice: limited ? req.lmtPrice : undefined,
      auxPrice: type === 'STP' || type === 'STP LMT' || type === 'MIT' || (type === 'TRAIL' && trailPct === undefined) ? req.auxPrice : undefined,
      ...(trailPct !== undefined ? { trailingPercent: trailPct } : {}),
      tif: req.tif || 'DAY',
      parentId,
      ocaGroup: req.ocaGroup ?? '',
      ocaType: req.ocaType ?? 0,
      outsideRth: req.outsideRth ?? false,
      goodTillDate: req.goodTillDate ?? '',
      allOrNone: req.allOrNone ?? false,
      ...(req.minQty !== undefined ? { minQty: req.minQty } : {}),
      triggerMethod: req.triggerMethod ?? 0,
      triggered: false,
      whyHeld: '',
      account,
      ...(req.account ? { requestedAccount: req.account } : {}),
      orderRef: req.orderRef,
      transmitted: false,
      manual,
      status: 'PreSubmitted',
      filled: ZERO,
      fillValue: ZERO,
      lastFillPrice: 0,
      readyAt: this.clock.now() + this.opts.ackDelayMs,
      commission: ZERO,
    };

    if (type === 'TRAIL') {
      // The client may name the first stop price; otherwise it starts the trailing amount away from the watched price.
      if (req.trailStopPrice !== undefined && req.trailStopPrice > 0) order.trailStopPrice = req.trailStopPrice;
      else {
        order.trailStopPrice = this.trailFrom(order);
        this.trailsFromMarket.add(order);
      }
    }
    const impact = this.marginImpact(order);
    if (req.whatIf) return { kind: 'whatIf', order, impact };
    if (impact.availableAfter.lt(0) && impact.availableAfter.lt(impact.availableBefore)) {
      order.status = 'Inactive';
      this.orders.set(this.key(order), order);
      const msg =
        `Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE ` +
        `[${impact.elvAfter.toFixed(2)} ${book.ledger.base}] MUST EXCEED THE INITIAL MARGIN [${impact.initAfter.toFixed(2)} ${book.ledger.base}]`;
      this.events.orderChanged(order, true);
      this.events.orderError(order, 201, msg);
      return { kind: 'accepted', order };
    }

    this.orders.set(this.key(order), order);
    // Without transmit the order is held in TWS, never sent, until its group is transmitted.
    if (req.transmit) this.markTransmitted(order);
    this.events.orderChanged(order, true);
    if (req.transmit) this.transmitGroup(order);
    return { kind: 'accepted', order };
  }

  /** The open orders attached to `parent`. */
  private childrenOf(parent: SimOrder): SimOrder[] {
    return [...this.orders.values()].filter((o) => o.parentId === parent.orderId && o.clientId === parent.clientId && !o.manual && o !== parent && isOpen(o));
  }

  /** A transmitted attached order waits, PreSubmitted, until its parent has filled completely. */
  private waitsOnParent(order: SimOrder): boolean {
    if (!order.parentId) return false;
    return this.find(order.clientId, order.parentId)?.status !== 'Filled';
  }

  /**
   * Transmits `order` with its parent and every held order attached to that parent, as TWS does when the last order
   * of a group arrives with transmit true (IB "Bracket Orders": the whole bracket is sent at once, never a child alone).
   */
  private transmitGroup(order: SimOrder): void {
    const root = (order.parentId && this.find(order.clientId, order.parentId)) || order;
    for (const o of [root, ...this.childrenOf(root)]) {
      if (!isOpen(o) || (o.transmitted && o !== order)) continue;
      if (o !== order) {
        this.markTransmitted(o);
        if (o.whyHeld === 'child') this.events.orderChanged(o, true);
      }
      if (!this.waitsOnParent(o)) this.submit(o);
    }
  }

  private markTransmitted(order: SimOrder): void {
    order.transmitted = true;
    if (this.waitsOnParent(order)) order.whyHeld = 'child';
  }

  /**
   * Sends a transmitted order to the (simulated) exchange: Submitted after the ack delay, then fill attempts. A stop
   * not yet reached stays PreSubmitted (whyHeld 'trigger'), as the stops IB simulates do, until a market step reaches it.
   */
  private submit(order: SimOrder): void {
    order.whyHeld = '';
    this.clock.setTimeout(() => {
      if (order.status !== 'PreSubmitted') return;
      if (isStop(order) && !order.triggered) {
        // A bracket child's trail starts from the market of its release, not the one it was placed in.
        if (order.orderType === 'TRAIL' && order.parentId && this.trailsFromMarket.has(order)) order.trailStopPrice = this.trailFrom(order);
        else if (order.orderType === 'TRAIL') this.ratchet(order);
        if (!this.stopReached(order)) {
          order.whyHeld = 'trigger';
          this.events.orderChanged(order, true);
          return;
        }
        order.triggered = true;
      }
      this.work(order);
    }, this.opts.ackDelayMs);
  }

  /** The order is working at the exchange: Submitted, its first fill attempt `fillDelayMs` later. */
  private work(order: SimOrder): void {
    order.status = 'Submitted';
    order.whyHeld = '';
    this.events.orderChanged(order, true);
    this.scheduleFill(order, this.opts.fillDelayMs);
  }

  /** Cancels one order on behalf of `clientId` (its owner). Returns an error code/message or undefined. */
  cancel(clientId: number, orderId: number): { code: number; message: string } | undefined {
    const order = this.find(clientId, orderId);
    if (!order) return { code: 10147, message: `OrderId ${orderId} that needs to be cancelled is not found.` };
    if (!isOpen(order)) {
      return { code: 10148, message: `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${order.status}.` };
    }
    this.cancelOrder(order);
    return undefined;
  }

  /** reqGlobalCancel: every open order, whoever placed it (TWS semantics). Returns how many. */
  cancelAll(): number {
    const open = this.openOrders();
    for (const o of open) this.cancelOrder(o);
    return open.length;
  }

  /** Cancels an open order and, as TWS does, every order attached to it (a bracket's children go with their parent). */
  private cancelOrder(order: SimOrder): void {
    if (!isOpen(order)) return;
    order.status = 'Cancelled';
    order.whyHeld = '';
    this.events.orderChanged(order, true);
    this.events.orderError(order, 202, 'Order Canceled - reason:');
    for (const c of this.childrenOf(order)) this.cancelOrder(c);
  }

  /**
   * After `order` filled `qty`: the other children of its parent (a bracket's profit taker and stop loss, which TWS
   * makes one OCA group) and the other members of its OCA group are reduced by `qty`, or, for OCA type 1, cancelled.
   * An order reduced to nothing left is cancelled.
   */
  private onFill(order: SimOrder, qty: Decimal): void {
    const peers = new Map<SimOrder, 'cancel' | 'reduce'>();
    if (order.parentId) {
      const parent = this.find(order.clientId, order.parentId);
      if (parent) for (const o of this.childrenOf(parent)) if (o !== order) peers.set(o, 'reduce');
    }
    if (order.ocaGroup) {
      for (const o of this.orders.values()) {
        if (o === order || !isOpen(o) || o.ocaGroup !== order.ocaGroup || o.account !== order.account) continue;
        peers.set(o, order.ocaType === 2 || order.ocaType === 3 ? 'reduce' : 'cancel');
      }
    }
    for (const [o, how] of peers) {
      if (!isOpen(o)) continue;
      const left = o.totalQty.sub(qty);
      if (how === 'cancel' || left.lte(o.filled)) this.cancelOrder(o);
      else {
        o.totalQty = left;
        this.events.orderChanged(o, true);
      }
    }
  }

  /**
   * Whether a stop order's stop price has been reached, on the price its trigger method names (IB "Trigger Methods"):
   * the default is the last price, but double bid/ask for US options and bid/ask for FX. A "double" method (two
   * consecutive prices through the stop) is taken as one: the simulator's quotes move only on market steps.
   */
  private stopReached(order: SimOrder): boolean {
    const buy = order.action === 'BUY';
    // An MIT is touched from the other side: a buy below the market when the price falls to it, a sell above it.
    const rising = order.orderType === 'MIT' ? !buy : buy;
    const stop = order.orderType === 'TRAIL' ? order.trailStopPrice! : order.auxPrice!;
    return this.watchedPrices(order).some((px) => (rising ? px >= stop : px <= stop));
  }

  /**
   * The prices a triggered order watches, by its trigger method (IB "Trigger Methods"): 2, 3 the last; 1, 4 the ask
   * for a buy, the bid for a sell; 7 either (last first); 8 the midpoint; 0 the last, but bid/ask for US options and FX.
   */
  private watchedPrices(order: SimOrder): number[] {
    const q = this.market.quote(order.inst);
    const inst = order.inst;
    const method = order.triggerMethod || (inst.secType === 'CASH' ? 4 : inst.secType === 'OPT' && inst.currency === 'USD' ? 1 : 2);
    const touch = order.action === 'BUY' ? q.ask : q.bid;
    if (method === 1 || method === 4) return [touch ?? q.last];
    if (method === 7) return touch === undefined ? [q.last] : [q.last, touch];
    if (method === 8) return [q.bid !== undefined && q.ask !== undefined ? (q.bid + q.ask) / 2 : q.last];
    return [q.last];
  }

  /** Where a TRAIL's stop stands the trailing amount (or percent) from the price it watches, on the contract's grid. */
  private trailFrom(order: SimOrder): number {
    const px = this.watchedPrices(order)[0]!;
    const buy = order.action === 'BUY';
    const amount = order.trailingPercent !== undefined ? (px * order.trailingPercent) / 100 : order.auxPrice!;
    // Rounded away from the market, so the stop is never closer than the trail the client asked for.
    return buy ? roundToLadder(order.inst, px + amount, 'up') : roundToLadder(order.inst, px - amount, 'down');
  }

  /** A TRAIL's stop follows the market its way (down for a buy, up for a sell) and never back (IB "Trailing Stop"). */
  private ratchet(order: SimOrder): void {
    const next = this.trailFrom(order);
    const stop = order.trailStopPrice!;
    if (order.action === 'BUY' ? next < stop : next > stop) order.trailStopPrice = next;
  }

  /** Called on every market step: resting limit orders may have become marketable. */
  onMarketStep(): void {
    if (this.halted) return;
    for (const o of this.orders.values()) {
      if (o.status === 'PreSubmitted' && o.whyHeld === 'trigger' && this.stopReached(o)) {
        o.triggered = true;
        this.work(o);
      } else if (o.orderType === 'TRAIL' && o.status === 'PreSubmitted' && o.whyHeld === 'trigger') this.ratchet(o);
      else if (o.status === 'Submitted' && o.readyAt <= this.clock.now()) this.tryFill(o);
    }
  }

  /** Connectivity restored: fill what waited. */
  resume(): void {
    this.halted = false;
    this.onMarketStep();
  }

  /** The books an accepted order fills (its account had one when it was placed; sub-accounts are never removed). */
  private bookOf(order: SimOrder): OrderBook {
    const book = this.books.bookOf(order.account);
    if (!book) throw new Error(`order ${order.clientId}/${order.orderId} names account ${order.account}, which has no book`);
    return book;
  }

  /** Margin of the order's account before and after a hypothetical complete fill at the current price. */
  marginImpact(order: SimOrder): MarginImpact {
    const { ledger, valuation } = this.bookOf(order);
    const before = valueAccount(ledger, this.market, valuation).byKey;
    const remaining = order.totalQty.sub(order.filled);
    const price = this.executablePrice(order) ?? dec(String(this.market.quote(order.inst).mark));
    const commission = commissionFor(order.inst, remaining, price);
    const copy = ledger.clone();
    copy.applyFill(order.inst, order.action === 'BUY' ? remaining : remaining.neg(), price, commission);
    const after = valueAccount(copy, this.market, valuation).byKey;
    const base = ledger.base;
    const g = (m: ReadonlyMap<string, string>, k: string) => dec(m.get(`${k}|${base}`) ?? '0');
    return {
      initBefore: g(before, 'InitMarginReq'),
      maintBefore: g(before, 'MaintMarginReq'),
      elvBefore: g(before, 'EquityWithLoanValue'),
      availableBefore: g(before, 'AvailableFunds'),
      initAfter: g(after, 'InitMarginReq'),
      maintAfter: g(after, 'MaintMarginReq'),
      elvAfter: g(after, 'EquityWithLoanValue'),
      availableAfter: g(after, 'AvailableFunds'),
      commission,
    };
  }

  private key(o: SimOrder): string {
    return `${o.clientId}:${o.orderId}`;
  }

  private scheduleFill(order: SimOrder, delay: number): void {
    order.readyAt = this.clock.now() + delay;
    this.clock.setTimeout(() => {
      if (order.status === 'Submitted' && !this.halted) this.tryFill(order);
    }, delay);
  }

  /** The price a fill would get now, or undefined when a limit order is not marketable. */
  private executablePrice(order: SimOrder): Decimal | undefined {
    if (isStop(order) && !order.triggered) return undefined;
    const q = this.market.quote(order.inst);
    const buy = order.action === 'BUY';
    const touch = buy ? (q.ask ?? q.last) : (q.bid ?? q.last);
    const slip = (this.rng.next() * this.opts.slippageBps) / 10_000;
    // The quote is on the ladder; the slipped price is rounded back towards it onto the ladder, so a fill is a price TWS
    // would accept as a limit and slips by whole rungs of at most slippageBps: an option, whose rung is far coarser
    // than 2 bp, fills at the quote.
    let px = buy ? roundToLadder(order.inst, touch * (1 + slip), 'down') : roundToLadder(order.inst, touch * (1 - slip), 'up');
    if ((order.orderType === 'LMT' || order.orderType === 'STP LMT') && order.lmtPrice !== undefined) {
      if (buy ? touch > order.lmtPrice : touch < order.lmtPrice) return undefined;
      px = buy ? Math.min(px, order.lmtPrice) : Math.max(px, order.lmtPrice);
    }
    return dec(String(px));
  }

  private tryFill(order: SimOrder): void {
    if (order.status !== 'Submitted' || this.halted || order.readyAt > this.clock.now()) return;
    const price = this.executablePrice(order);
    const remaining = order.totalQty.sub(order.filled);
    const cap = safeDecimal(this.opts.maxFillSize[order.inst.secType] ?? '') ?? remaining;
    const qty = Decimal.min(remaining, cap.gt(0) ? cap : remaining);
    // IOC takes this one attempt and cancels what it could not fill; FOK fills whole in it or not at all. The attempt's
    // size is capped by maxFillSize (the simulated liquidity), so a FOK above the cap is cancelled.
    const tif = order.tif.toUpperCase();
    if ((tif === 'IOC' && !price) || (tif === 'FOK' && (!price || qty.lt(remaining)))) {
      this.cancelOrder(order);
      return;
    }
    if (!price) return; // resting limit order, or a stop not reached
    const commission = commissionFor(order.inst, qty, price);
    const signed = order.action === 'BUY' ? qty : qty.neg();
    const result = this.bookOf(order).ledger.applyFill(order.inst, signed, price, commission);
    order.filled = order.filled.add(qty);
    order.fillValue = order.fillValue.add(qty.mul(price));
    order.lastFillPrice = price.toNumber();
    order.commission = order.commission.add(commission);
    const done = order.filled.gte(order.totalQty);
    if (done) order.status = 'Filled';
    const exec: SimExecution = {
      execId: `0000${(order.permId % 0xffffffff).toString(16).padStart(8, '0')}.${(++this.execSeq).toString(16).padStart(8, '0')}.01.01`,
      order,
      time: this.clock.now(),
      side: order.action === 'BUY' ? 'BOT' : 'SLD',
      shares: qty,
      price,
      cumQty: order.filled,
      avgPrice: order.fillValue.div(order.filled),
      commission,
      commissionCurrency: order.inst.currency,
      realizedPnl: result.closing ? result.realized.sub(commission) : undefined,
    };
    this.executions.push(exec);
    this.events.executed(exec);
    this.events.orderChanged(order, done);
    this.events.settled(exec);
    this.onFill(order, qty);
    if (done) {
      // A filled parent releases its attached orders (IB "Attaching Orders": they work once the parent executes).
      for (const c of this.childrenOf(order)) if (c.transmitted && c.status === 'PreSubmitted') this.submit(c);
    } else if (tif === 'IOC') this.cancelOrder(order);
    else this.scheduleFill(order, this.opts.partialIntervalMs);
  }
}

function safeDecimal(s: string): Decimal | undefined {
  try {
    const t = s.trim().replaceAll(',', '');
    if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
    return new Decimal(t);
  } catch {
    return undefined;
  }
}
