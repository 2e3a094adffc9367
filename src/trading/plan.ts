// Flatten and cancel planners: pure functions of the state. They decide what would be sent; they never send.
import { createHash } from 'node:crypto';
import { contractLabel, exposureCurrency, type Contract } from '../model/contract.js';
import { Decimal, groupedQuantity } from '../model/money.js';
import { contractPrice } from '../model/price-text.js';
import { liveMark } from '../model/mark.js';
import { TERMINAL_STATUSES, orderName } from '../model/orders.js';
import type { OrderRow, PortfolioState, PositionRow } from '../model/state.js';
import type { CancelLeg, CancelPlan, CloseLeg, Denial, FlattenPlan, FlattenScope } from './types.js';

export interface FlattenOptions {
  /** Our API client id: only our own orders can be cancelled one by one. */
  readonly clientId: number;
  readonly orderType: 'LMT' | 'MKT';
  /** Marketable-limit collar as a fraction of the mark (0.02: sell at mark −2%, buy at mark +2%). */
  readonly collar: number;
  /**
   * The prices TWS accepts, by conId (TradingSession.fetchTicks): a grid of market-rule ladders, or a bare minimum
   * tick; unknown contracts fall back to a class default (the plan notes it).
   */
  readonly priceGrids?: ReadonlyMap<number, number | PriceGrid>;
  /** conIds whose grid is still being fetched: a limit for them is refused (TICKS_PENDING), not rounded to a default. */
  readonly pendingGrids?: ReadonlySet<number>;
  /** For the plan id. */
  readonly now: number;
}

export const DEFAULT_COLLAR = 0.02;

/** Parses `all`, `currency:EUR`, `class:OPT`, `underlying:AAPL`, `conid:265598`. */
export function parseScope(text: string): FlattenScope | string {
  if (text === 'all') return { kind: 'all' };
  const m = /^(currency|class|underlying|conid):(.+)$/.exec(text);
  if (!m) return `unknown scope ${JSON.stringify(text)} (use all, currency:EUR, class:OPT, underlying:AAPL or conid:N)`;
  const v = m[2]!;
  switch (m[1]) {
    case 'currency':
      return /^[A-Z]{3}$/.test(v) ? { kind: 'currency', currency: v } : `currency ${JSON.stringify(v)} is not a 3-letter code`;
    case 'class':
      return /^[A-Z]+$/.test(v) ? { kind: 'class', secType: v } : `class ${JSON.stringify(v)} is not an IB secType such as STK or OPT`;
    case 'underlying':
      return { kind: 'underlying', symbol: v };
    default:
      return /^\d+$/.test(v) ? { kind: 'conid', conId: Number(v) } : `conid ${JSON.stringify(v)} is not a number`;
  }
}

export function scopeText(s: FlattenScope): string {
  switch (s.kind) {
    case 'all':
      return 'all';
    case 'currency':
      return `currency:${s.currency}`;
    case 'class':
      return `class:${s.secType}`;
    case 'underlying':
      return `underlying:${s.symbol}`;
    case 'conid':
      return `conid:${s.conId}`;
    case 'conids':
      return `conids:${s.conIds.join(',')}`;
  }
}

function inScope(c: Contract, s: FlattenScope): boolean {
  switch (s.kind) {
    case 'all':
      return true;
    case 'currency':
      // The currency the position's risk is in, as the Positions pane groups it and the fx scenarios move it: EUR.USD
      // (quoted in USD) is a EUR position. By quote currency, "flatten EUR" left 100,000 EUR long.
      return exposureCurrency(c) === s.currency;
    case 'class':
      return c.secType === s.secType;
    case 'underlying':
      return c.symbol === s.symbol;
    case 'conid':
      return c.conId === s.conId;
    case 'conids':
      return s.conIds.includes(c.conId);
  }
}

/** Derivatives close before anything else: closing a hedge first would leave the short options naked. */
const CLOSE_ORDER: Readonly<Record<string, number>> = { OPT: 0, FOP: 0, WAR: 0 };

/** Tick sizes used when contract details did not say (the plan notes it). */
function defaultTick(c: Contract): number {
  if (c.secType === 'CASH') return 0.00005;
  return 0.01;
}

/** A market rule's price ladder: [lowEdge, increment] pairs, lowest edge first; an increment applies from its edge up. */
export type Ladder = ReadonlyArray<readonly [lowEdge: number, increment: number]>;

/**
 * What TWS validates a contract's limit prices against: the market rule of the exchange the order routes to
 * (contract details list one rule id per valid exchange), the minTick when no rule is known.
 */
export interface PriceGrid {
  readonly minTick?: number;
  /** Each valid exchange's ladder; keys that are no exchange (`#32`) hold rules whose exchange was not said. */
  readonly ladders?: ReadonlyMap<string, Ladder>;
}

/** The increment of a ladder at `price`: the rung of the highest edge at or below it (the first rung below them all). */
export function incrementAt(ladder: Ladder, price: Decimal): Decimal {
  let inc = ladder[0]![1];
  for (const [edge, step] of ladder) if (price.greaterThanOrEqualTo(String(edge))) inc = step;
  return new Decimal(String(inc));
}

/** Least common multiple of two positive decimal increments (exact: both scaled to integers). */
function lcm(a: Decimal, b: Decimal): Decimal {
  const scale = new Decimal(10).pow(Math.max(a.decimalPlaces(), b.decimalPlaces()));
  let [x, y] = [a.mul(scale), b.mul(scale)];
  const product = x.mul(y);
  while (!y.isZero()) [x, y] = [y, x.mod(y)];
  return product.div(x).div(scale);
}

/**
 * One ladder on the grid of all of them: at every edge of any, the least common multiple of their increments there
 * (the coarsest when they nest, as exchanges' rules do). For an order whose exchange has no known rule (SMART not
 * listed): a price on it is on every exchange's grid.
 */
export function coarsestLadder(ladders: readonly Ladder[]): Ladder {
  if (ladders.length === 1) return ladders[0]!;
  const edges = [...new Set(ladders.flatMap((l) => l.map(([edge]) => edge)))].sort((a, b) => a - b);
  return edges.map((edge) => {
    const at = new Decimal(String(edge));
    const inc = ladders.map((l) => incrementAt(l, at)).reduce(lcm);
    return [edge, inc.toNumber()] as const;
  });
}

/** The ladder an order on contract `c` is validated against: its exchange's rule, else the coarsest, else minTick. */
export function ladderFor(grid: number | PriceGrid | undefined, exchange: string): Ladder | undefined {
  if (grid === undefined) return undefined;
  if (typeof grid === 'number') return [[0, grid]];
  const own = grid.ladders?.get(exchange.toUpperCase());
  if (own) return own;
  if (grid.ladders && grid.ladders.size > 0) return coarsestLadder([...grid.ladders.values()]);
  return grid.minTick ? [[0, grid.minTick]] : undefined;
}

/**
 * Rounds `price` onto a ladder, down (a SELL's limit) or up (a BUY's), and again until the result is on the grid of
 * its own rung: rounding up on the finer rung can land past an edge, on a coarser rung's price it may miss (with
 * [[0, 0.05], [1, 0.3]], 0.99 up is 1.00, then 1.20), and rounding down likewise into a finer rung.
 */
export function roundOnLadder(price: Decimal, ladder: Ladder, direction: 'down' | 'up'): Decimal {
  let p = price;
  for (let i = 0; i <= 2 * ladder.length; i++) {
    const inc = incrementAt(ladder, p);
    const steps = p.div(inc);
    const r = (direction === 'down' ? steps.floor() : steps.ceil()).mul(inc);
    if (r.equals(p)) return r;
    p = r;
  }
  return p;
}

/** Open: not final, not being cancelled, and still listed by TWS (an unlisted order ended without telling us). */
export function isOpen(o: OrderRow): boolean {
  return !TERMINAL_STATUSES.has(o.status) && o.status !== 'PendingCancel' && o.listed !== false;
}

/** An order the client can cancel itself (its own, or any order when connected as client 0, the TWS master). */
function cancellable(o: OrderRow, clientId: number): boolean {
  return o.clientId === clientId || clientId === 0;
}

/**
 * Orders that may still fill on a contract, from any client: not final and still listed, including those whose
 * cancel is pending (a pending cancel can still lose the race against a fill).
 */
export function workingOrdersOn(state: PortfolioState, conId: number): string[] {
  return [...state.orders.values()]
    .filter((o) => o.info?.contract.conId === conId && !TERMINAL_STATUSES.has(o.status) && o.listed !== false)
    .map(describeOrder);
}

export function describeOrder(o: OrderRow): string {
  const i = o.info;
  return i
    ? // As the Orders pane names it (quantity grouped, the limit at the contract's precision, the same order id).
      `${i.action} ${groupedQuantity(i.totalQuantity)} ${contractLabel(i.contract)} ${i.orderType}${i.limitPrice ? ` @ ${contractPrice(i.limitPrice, i.contract, true)}` : ''} (order ${orderName(o.orderId, o.permId)}, client ${o.clientId})`
    : `order ${orderName(o.orderId, o.permId)} (client ${o.clientId}, ${o.status})`;
}

/** The best mark we have for a contract: TWS's portfolio mark, else our last mark/mid/last tick (model/mark.ts). */
export function markOf(state: PortfolioState, conId: number): Decimal | undefined {
  return liveMark(state, conId)?.price;
}

/**
 * A marketable limit: away from the mark by the collar, onto the price ladder in the safe direction (a SELL's floor,
 * a BUY's ceiling: never less marketable than the collar); a SELL floored to nothing sells at the ladder's first step.
 */
export function limitFor(mark: Decimal, action: 'BUY' | 'SELL', collar: number, ladder: Ladder): Decimal {
  const raw = action === 'SELL' ? mark.mul(1 - collar) : mark.mul(1 + collar);
  const rounded = roundOnLadder(raw, ladder, action === 'SELL' ? 'down' : 'up');
  return rounded.greaterThan(0) ? rounded : incrementAt(ladder, rounded);
}

function digest(parts: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([...parts].sort()))
    .digest('hex')
    .slice(0, 16);
}

/** What a dialog locks: the positions in scope and their open orders, with a fingerprint of each. */
export interface ScopeSnapshot {
  readonly positions: PositionRow[];
  readonly orders: OrderRow[];
  /** Positions only: must not change between the preview and the last closing order. */
  readonly positionsPrint: string;
  /** Positions and open orders: must not change between the preview and the first send. */
  readonly fingerprint: string;
}

export function scopeSnapshot(state: PortfolioState, scope: FlattenScope): ScopeSnapshot {
  const positions = [...state.positions.values()].filter((r) => !r.position.isZero() && inScope(r.contract, scope));
  const conIds = new Set(positions.map((r) => r.contract.conId));
  const orders = [...state.orders.values()].filter((o) => isOpen(o) && (o.info ? conIds.has(o.info.contract.conId) || inScope(o.info.contract, scope) : false));
  const p = positions.map((r) => `${r.contract.conId}:${r.position.toString()}`);
  const q = orders.map((r) => `${r.key}:${r.status}:${r.filled.toString()}`);
  return { positions, orders, positionsPrint: digest(p), fingerprint: digest([...p, ...q]) };
}

/**
 * Plans a flatten: cancel the open orders that would work against it, then close each position with exactly
 * the opposite quantity. Refuses (returns a Denial) rather than guess.
 */
export function planFlatten(state: PortfolioState, scope: FlattenScope, o: FlattenOptions): FlattenPlan | Denial {
  if (!state.account) return { code: 'SNAPSHOT_PENDING', what: 'the account' };
  if (!state.complete.positions) return { code: 'SNAPSHOT_PENDING', what: 'the positions snapshot' };
  if (!state.complete.openOrders) return { code: 'SNAPSHOT_PENDING', what: 'the open orders' };
  const unknown = unknownQuantityDenial(state);
  if (unknown) return unknown;
  const { positions, orders, fingerprint, positionsPrint } = scopeSnapshot(state, scope);
  if (positions.length === 0) return { code: 'NOTHING_TO_DO', what: `no position in scope ${scopeText(scope)}` };
  const foreign = orders.filter((x) => !cancellable(x, o.clientId));
  if (foreign.length > 0) return { code: 'FOREIGN_ORDERS_OPEN', orders: foreign.map(describeOrder) };

  const built = buildPlan(
    state,
    positions.map((row) => ({ row, quantity: row.position.abs() })),
    orders,
    o,
  );
  if (isDenial(built)) return built;
  return { id: `flat-${o.now.toString(36)}`, scope, account: state.account, ...built, fingerprint, positionsPrint };
}

/** The ladder a limit on `c` is rounded onto: its price grid for the exchange the order routes to, else a class default. */
function planLadder(c: Contract, o: Pick<FlattenOptions, 'priceGrids'>): { ladder: Ladder; known: boolean } {
  // The exchange the order routes to, as toIbContract sends it.
  const ladder = ladderFor(o.priceGrids?.get(c.conId), c.exchange ?? 'SMART');
  return ladder ? { ladder, known: true } : { ladder: [[0, defaultTick(c)]], known: false };
}

/**
 * The limit a plan with options `o` sends for an order on `conId` at `mark`: the worst price it accepts. A leverage
 * reduction prices its trims there (src/risk/alerts/reduction.ts FillTerms), so the limit it reaches survives any fill.
 */
export function planLimit(
  state: PortfolioState,
  conId: number,
  action: 'BUY' | 'SELL',
  mark: Decimal,
  o: Pick<FlattenOptions, 'collar' | 'priceGrids'>,
): Decimal | undefined {
  const c = state.portfolio.get(conId)?.contract ?? state.positions.get(conId)?.contract;
  return c ? limitFor(mark, action, o.collar, planLadder(c, o).ladder) : undefined;
}

/** The legs (each `quantity` of its row, in the direction that reduces it), the cancels and the notes of a plan. */
function buildPlan(
  state: PortfolioState,
  closes: readonly { row: PositionRow; quantity: Decimal }[],
  orders: readonly OrderRow[],
  o: FlattenOptions,
): Pick<FlattenPlan, 'cancels' | 'legs' | 'totalNotionalBase' | 'baseCurrency' | 'notes'> | Denial {
  const notes: string[] = [];
  const base = state.baseCurrency ?? '';
  const legs: CloseLeg[] = [];
  const noMark: number[] = [];
  const pending: number[] = [];
  for (const { row, quantity } of closes) {
    const c = row.contract;
    const action = row.position.greaterThan(0) ? 'SELL' : 'BUY';
    const live = liveMark(state, c.conId);
    const mark = live?.price;
    const fx = state.fxRates.get(c.currency);
    const mult = c.multiplier ?? new Decimal(1);
    const notionalBase = mark && fx ? quantity.mul(mark).mul(mult).mul(fx) : undefined;
    if (!mark || !fx) notes.push(`${contractLabel(c)}: no ${!mark ? 'mark' : `${c.currency} rate`}, notional unknown`);
    let limitPrice: Decimal | undefined;
    let priced: Pick<CloseLeg, 'collar' | 'ladder'> = {};
    if (o.orderType === 'LMT') {
      if (!mark) {
        noMark.push(c.conId);
        continue;
      }
      const grid = o.priceGrids?.get(c.conId);
      const rules = typeof grid === 'object' && (grid.ladders?.size ?? 0) > 0;
      if (!rules && o.pendingGrids?.has(c.conId)) {
        pending.push(c.conId);
        continue;
      }
      const { ladder, known } = planLadder(c, o);
      if (!known) notes.push(`${contractLabel(c)}: tick size unknown, limit rounded to ${ladder[0]![1]}`);
      limitPrice = limitFor(mark, action, o.collar, ladder);
      priced = { collar: o.collar, ladder };
    }
    legs.push({
      conId: c.conId,
      contract: c,
      position: row.position,
      action,
      quantity,
      orderType: o.orderType,
      ...(limitPrice ? { limitPrice, ...priced } : {}),
      ...(live ? { mark: live.price, markAt: live.at, markLimitMs: live.limitMs } : {}),
      ...(notionalBase ? { notionalBase } : {}),
    });
  }
  if (noMark.length > 0) return { code: 'NO_MARK', conIds: noMark };
  if (pending.length > 0) return { code: 'TICKS_PENDING', conIds: pending };
  legs.sort((a, b) => (CLOSE_ORDER[a.contract.secType] ?? 1) - (CLOSE_ORDER[b.contract.secType] ?? 1) || a.conId - b.conId);
  const cancels: CancelLeg[] = orders.map((x) => ({ orderId: x.orderId, clientId: x.clientId, conId: x.info!.contract.conId, description: describeOrder(x) }));
  const total = legs.every((l) => l.notionalBase) ? legs.reduce((s, l) => s.plus(l.notionalBase!), new Decimal(0)) : undefined;
  return { cancels, legs, ...(total ? { totalNotionalBase: total } : {}), baseCurrency: base, notes };
}

/** One trim of a leverage reduction (src/risk/alerts/reduction.ts Trim): a signed change of a position. */
export interface ReduceTrim {
  readonly conId: number;
  /** Signed change: the opposite sign of the position, at most its size. */
  readonly quantity: Decimal;
  /** The position the trim was computed on (signed); the plan is refused if the position is different now. */
  readonly position: Decimal;
}

/**
 * Plans a leverage reduction: for each trim, one order for part (or all) of a position, in the direction that
 * reduces it. The same checks as planFlatten (snapshots complete, other clients' orders refused, ours cancelled
 * first, marks for the limits) and the reduction's own: the position is the one the trim was computed on, the trim
 * reduces it and never goes past zero. The guard (arming, readiness, fresh data) runs at preview and before every send.
 */
export function planReduce(state: PortfolioState, trims: readonly ReduceTrim[], o: FlattenOptions): FlattenPlan | Denial {
  if (!state.account) return { code: 'SNAPSHOT_PENDING', what: 'the account' };
  if (!state.complete.positions) return { code: 'SNAPSHOT_PENDING', what: 'the positions snapshot' };
  if (!state.complete.openOrders) return { code: 'SNAPSHOT_PENDING', what: 'the open orders' };
  const unknown = unknownQuantityDenial(state);
  if (unknown) return unknown;
  const wanted = trims.filter((t) => !t.quantity.isZero());
  if (wanted.length === 0) return { code: 'NOTHING_TO_DO', what: 'the reduction trims nothing' };
  const seen = new Set<number>();
  const closes: { row: PositionRow; quantity: Decimal }[] = [];
  for (const t of wanted) {
    if (seen.has(t.conId)) return { code: 'NOTHING_TO_DO', what: `conId ${t.conId} is trimmed twice in one reduction` };
    seen.add(t.conId);
    const row = state.positions.get(t.conId);
    const now = row?.position ?? new Decimal(0);
    if (!row || !now.equals(t.position)) return { code: 'TARGET_CHANGED', conId: t.conId, shown: t.position.toString(), now: now.toString() };
    // Reduces only: the opposite sign of the position, and never more than the position (no flip to the other side).
    const reduces = (now.isPositive() && t.quantity.isNegative()) || (now.isNegative() && t.quantity.isPositive());
    if (now.isZero() || !reduces || t.quantity.abs().greaterThan(now.abs())) return { code: 'WOULD_INCREASE_POSITION', conId: t.conId };
    closes.push({ row, quantity: t.quantity.abs() });
  }
  const scope: FlattenScope = { kind: 'conids', conIds: [...seen].sort((a, b) => a - b) };
  const { orders, fingerprint, positionsPrint } = scopeSnapshot(state, scope);
  const foreign = orders.filter((x) => !cancellable(x, o.clientId));
  if (foreign.length > 0) return { code: 'FOREIGN_ORDERS_OPEN', orders: foreign.map(describeOrder) };
  const built = buildPlan(state, closes, orders, o);
  if (isDenial(built)) return built;
  const accountPrint = scopeSnapshot(state, { kind: 'all' }).positionsPrint;
  return { id: `reduce-${o.now.toString(36)}`, scope, account: state.account, ...built, fingerprint, positionsPrint, partial: true, accountPrint };
}

/**
 * A position whose quantity TWS did not give (NaN, infinite, unset) makes every plan a guess: its own close would
 * have no size, and a scope or a reduction computed without it may be the wrong one. Refused, naming them.
 */
export function unknownQuantityDenial(state: PortfolioState): Denial | undefined {
  if (state.unknownQuantities.size === 0) return undefined;
  const rows = [...state.unknownQuantities.values()];
  const conIds = [...new Set(rows.map((r) => r.contract.conId))].sort((a, b) => a - b);
  return { code: 'UNKNOWN_QUANTITY', conIds, sent: [...new Set(rows.map((r) => r.sent))].sort() };
}

/** The first leg whose mark is older than its freshness limit at `now`: a limit set from it is priced on old data. */
export function staleMarkDenial(plan: FlattenPlan, now: number): Denial | undefined {
  for (const l of plan.legs) {
    if (l.markAt === undefined || l.markLimitMs === undefined) continue;
    const ageMs = Math.max(0, now - l.markAt);
    if (ageMs > l.markLimitMs) return { code: 'MARK_STALE', conId: l.conId, label: contractLabel(l.contract), ageMs, limitMs: l.markLimitMs };
  }
  return undefined;
}

/**
 * The first leg whose limit the market has moved past since it was planned, on the live mark now: a limit past the
 * mark by more than the leg's collar (a SELL above mark × (1 + collar), a BUY below mark × (1 − collar)) was priced on
 * a market that is gone. A SELL LMT 190.47 planned at 194.36 would otherwise be sent after a fall to 174.89:
 * it cannot fill, and it is left working. A move the other way is not refused: the limit is still marketable and fills
 * at the market's price, and a kill switch held up in a rally (a SELL) or a fall (a BUY to cover) closes nothing.
 */
export function movedMarkDenial(state: PortfolioState, legs: readonly CloseLeg[]): Denial | undefined {
  for (const l of legs) {
    if (l.orderType !== 'LMT' || !l.limitPrice || l.collar === undefined || !l.ladder) continue;
    const m = liveMark(state, l.conId)?.price;
    if (!m) continue;
    const now = limitFor(m, l.action, l.collar, l.ladder);
    const limit = l.limitPrice;
    // Past the market by more than the collar: an option's mark moves a few percent in seconds, and a limit a little
    // past it may still fill as it trades back (a timeout then says the order is still working); a kill switch that
    // stopped at every such wobble would close nothing in the markets it is for.
    const band = m.abs().mul(l.collar);
    const farPast = l.action === 'SELL' ? limit.greaterThan(m.plus(band)) : limit.lessThan(m.sub(band));
    if (farPast) {
      return {
        code: 'MARK_MOVED',
        conId: l.conId,
        label: contractLabel(l.contract),
        action: l.action,
        limit: limit.toString(),
        markThen: l.mark?.toString() ?? null,
        markNow: m.toString(),
        limitNow: now.toString(),
        collar: l.collar,
      };
    }
  }
  return undefined;
}

/** True when a value is a Denial rather than a plan. */
export function isDenial(x: object): x is Denial {
  return 'code' in x && typeof (x as { code: unknown }).code === 'string';
}

/** Plans a cancel: one order (ours), all our open orders, or the global cancel (every client, manual orders too). */
export function planCancel(
  state: PortfolioState,
  what: { kind: 'order'; orderId: number } | { kind: 'client' } | { kind: 'global' },
  clientId: number,
): CancelPlan | Denial {
  if (!state.complete.openOrders) return { code: 'SNAPSHOT_PENDING', what: 'the open orders' };
  const open = [...state.orders.values()].filter(isOpen);
  switch (what.kind) {
    case 'order': {
      const o = open.find((x) => x.orderId === what.orderId && cancellable(x, clientId));
      if (!o) {
        const other = open.find((x) => x.orderId === what.orderId);
        return other
          ? {
              code: 'FOREIGN_ORDER',
              orderId: other.orderId,
              clientId: other.clientId,
              order: describeOrder(other),
              name: orderName(other.orderId, other.permId),
            }
          : { code: 'NOTHING_TO_DO', what: `order ${what.orderId} is not open` };
      }
      return { kind: 'order', orderId: o.orderId, description: describeOrder(o) };
    }
    case 'client': {
      const mine = open.filter((x) => x.clientId === clientId).map((x) => x.orderId);
      return mine.length === 0 ? { code: 'NOTHING_TO_DO', what: `no open order of client ${clientId}` } : { kind: 'client', orderIds: mine };
    }
    case 'global':
      return open.length === 0
        ? { code: 'NOTHING_TO_DO', what: 'no open order' }
        : { kind: 'global', openOrders: open.length, otherClients: open.filter((x) => x.clientId !== clientId).length };
  }
}
