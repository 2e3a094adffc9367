// Trading types: flatten/cancel plans, scopes, and the typed denials every refusal is expressed as.
import type { Contract } from '../model/contract.js';
import type { Decimal } from '../model/money.js';
import type { Ladder } from './plan.js';

/**
 * What to flatten: everything, one currency, one asset class, one underlying (stock with its options), one conId;
 * `conids`: the positions a leverage reduction trims (planReduce).
 */
export type FlattenScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'currency'; readonly currency: string }
  | { readonly kind: 'class'; readonly secType: string }
  | { readonly kind: 'underlying'; readonly symbol: string }
  | { readonly kind: 'conid'; readonly conId: number }
  | { readonly kind: 'conids'; readonly conIds: readonly number[] };

/** Scopes that touch more than one position need a typed word to confirm (DESIGN.md "Safety"). */
export function isBulkScope(s: FlattenScope): boolean {
  return s.kind !== 'conid';
}

/**
 * One closing order: exactly the opposite of the position it closes, or (a reduction's trim, planReduce) part of it,
 * in the direction that reduces, never past zero.
 */
export interface CloseLeg {
  readonly conId: number;
  readonly contract: Contract;
  /** Signed position being closed, as the state showed it when the plan was made. */
  readonly position: Decimal;
  readonly action: 'BUY' | 'SELL';
  /** |position| (a trim: less), fractional shares allowed. */
  readonly quantity: Decimal;
  readonly orderType: 'LMT' | 'MKT';
  /** Marketable limit: the mark moved by the collar against us, rounded to the tick away from the mark. */
  readonly limitPrice?: Decimal;
  /** The mark the limit came from (contract currency). */
  readonly mark?: Decimal;
  /** When the mark arrived (ms), and how old it may get before the plan priced on it is refused (model/mark.ts). */
  readonly markAt?: number;
  readonly markLimitMs?: number;
  /**
   * The collar and price ladder the limit was set with: before each send the guard plans the limit again on the live
   * mark with them, and refuses a limit the market has moved past (MARK_MOVED).
   */
  readonly collar?: number;
  readonly ladder?: Ladder;
  /** Estimated notional in base currency (|qty| × mark × multiplier × FX), when a mark and rate are known. */
  readonly notionalBase?: Decimal;
}

/** An open order the plan cancels first, because it would work against the flatten. */
export interface CancelLeg {
  readonly orderId: number;
  readonly clientId: number;
  readonly conId: number;
  readonly description: string;
}

/** A flatten plan, with the fingerprint of the data it was built from (refused later if the data changed). */
export interface FlattenPlan {
  readonly id: string;
  readonly scope: FlattenScope;
  readonly account: string;
  readonly cancels: readonly CancelLeg[];
  /** Options before their underlyings (closing the hedge first would leave naked short options). */
  readonly legs: readonly CloseLeg[];
  readonly totalNotionalBase?: Decimal;
  readonly baseCurrency: string;
  /** Positions and open orders the plan saw; compared again right before the first send. */
  readonly fingerprint: string;
  /** Positions only; compared again before the closing orders (after the cancels have changed the orders). */
  readonly positionsPrint: string;
  /** Facts the operator should read before confirming (unknown tick sizes, missing marks...). */
  readonly notes: readonly string[];
  /** A leverage reduction (planReduce): legs may close part of a position; done means each reads `legTarget`. */
  readonly partial?: boolean;
  /**
   * A reduction was computed from the whole account, not only the positions it trims: every position, as a
   * digest, compared again before the first send (a changed hedge elsewhere changes what the trims should be).
   */
  readonly accountPrint?: string;
}

/** The position a leg leaves: zero for a flatten leg, the position minus the trim for a reduction's. */
export function legTarget(leg: CloseLeg): Decimal {
  return leg.action === 'SELL' ? leg.position.sub(leg.quantity) : leg.position.add(leg.quantity);
}

/** What a cancel command would do. */
export type CancelPlan =
  | { readonly kind: 'order'; readonly orderId: number; readonly description: string }
  | { readonly kind: 'client'; readonly orderIds: readonly number[] }
  | { readonly kind: 'global'; readonly openOrders: number; readonly otherClients: number };

/**
 * Why an action was refused. Typed values with stable codes (STYLE.md "Denials are typed values"), never thrown;
 * each becomes an operator event and an audit line.
 */
export type Denial =
  | { readonly code: 'READ_ONLY' }
  | { readonly code: 'REPLAY_SOURCE' }
  | { readonly code: 'NOT_READY'; readonly health: string; readonly reason: string }
  | { readonly code: 'SNAPSHOT_PENDING'; readonly what: string }
  | { readonly code: 'DATA_STALE'; readonly stream: string; readonly ageMs: number | null }
  | { readonly code: 'NOT_ARMED' }
  /** The login does not manage the followed account (or did not for a while, and the arming is from before). */
  | { readonly code: 'ACCOUNT_CHANGED'; readonly followed: string; readonly managed: readonly string[]; readonly back: boolean }
  | { readonly code: 'ACCOUNT_MISMATCH'; readonly confirmed: string; readonly connected: string }
  | { readonly code: 'TARGET_CHANGED'; readonly conId: number; readonly shown: string; readonly now: string }
  | { readonly code: 'WOULD_INCREASE_POSITION'; readonly conId: number }
  /** TWS sent no usable quantity (NaN, infinite, unset) for these positions: no plan is made on a guess. */
  | { readonly code: 'UNKNOWN_QUANTITY'; readonly conIds: readonly number[]; readonly sent: readonly string[] }
  | { readonly code: 'FOREIGN_ORDERS_OPEN'; readonly orders: readonly string[] }
  /** A cancel of one order that another API client placed, or that was typed into TWS (client 0). */
  | { readonly code: 'FOREIGN_ORDER'; readonly orderId: number; readonly clientId: number; readonly order: string; readonly name: string }
  | { readonly code: 'NOTHING_TO_DO'; readonly what: string }
  | { readonly code: 'NO_MARK'; readonly conIds: readonly number[] }
  /** The price ladders of these contracts are still being asked of TWS: a limit rounded to a default may be refused (110). */
  | { readonly code: 'TICKS_PENDING'; readonly conIds: readonly number[] }
  /** A leg's limit was set from a mark older than its freshness limit (model/mark.ts): the plan is priced on old data. */
  | { readonly code: 'MARK_STALE'; readonly conId: number; readonly label: string; readonly ageMs: number; readonly limitMs: number }
  /**
   * The market moved past a leg's limit since it was planned, by more than the collar (a SELL's limit above the live
   * mark × (1 + collar), a BUY's below mark × (1 − collar)); `limitNow` is what planning now would give (prices as
   * decimal strings, contract currency).
   */
  | {
      readonly code: 'MARK_MOVED';
      readonly conId: number;
      readonly label: string;
      readonly action: 'BUY' | 'SELL';
      readonly limit: string;
      readonly markThen: string | null;
      readonly markNow: string;
      readonly limitNow: string;
      readonly collar: number;
    }
  | { readonly code: 'READ_ONLY_API' }
  /** An order (ours whose cancel did not complete, or anyone's) still works on a contract about to be closed. */
  | { readonly code: 'ORDERS_STILL_OPEN'; readonly conId: number; readonly orders: readonly string[] }
  /** The execution's time ran out before this order was sent: it would not be followed, so it is not sent. */
  | { readonly code: 'DEADLINE_PASSED'; readonly conId: number };

/** One sentence for the operator first, the code and its context after (STYLE.md "Errors and messages"). */
export function formatDenial(d: Denial): string {
  switch (d.code) {
    case 'READ_ONLY':
      return 'Refused: tws-risk is read-only; start it with --trade to enable trading (READ_ONLY)';
    case 'REPLAY_SOURCE':
      return 'Refused: this is a replay of a recording; a replay never trades (REPLAY_SOURCE)';
    case 'NOT_READY':
      return `Refused: the connection is not ready (${d.reason}) (NOT_READY health=${d.health})`;
    case 'SNAPSHOT_PENDING':
      return `Refused: still waiting for ${d.what} (SNAPSHOT_PENDING)`;
    case 'DATA_STALE':
      return `Refused: ${d.stream} data is stale${d.ageMs === null ? ' (never received)' : ` (${Math.round(d.ageMs / 1000)} s old)`} (DATA_STALE stream=${d.stream})`;
    case 'NOT_ARMED':
      // Said on the console's one flash line: whole at 80 columns, naming the command that arms.
      return 'Refused: trading is not armed; arm it first with :trade.arm (NOT_ARMED)';
    case 'ACCOUNT_CHANGED':
      return d.back
        ? `Refused: the login changed away from ${d.followed} and came back since trading was armed; check the account and arm again (ACCOUNT_CHANGED)`
        : `Refused: this login manages ${d.managed.join(', ') || 'no account'}, not ${d.followed}, the account shown; restart tws-risk to follow another account (ACCOUNT_CHANGED)`;
    case 'ACCOUNT_MISMATCH':
      return `Refused: --confirm-account ${d.confirmed} is not the connected account ${d.connected}; nothing was sent (ACCOUNT_MISMATCH)`;
    case 'TARGET_CHANGED':
      return `Refused: positions changed since the plan was shown (TARGET_CHANGED conId=${d.conId} shown=${d.shown} now=${d.now}); review the new plan`;
    case 'UNKNOWN_QUANTITY':
      return `Refused: TWS sent no usable quantity (${d.sent.join(', ')}) for conId ${d.conIds.join(', ')}; no plan is made while a position's size is unknown (UNKNOWN_QUANTITY)`;
    case 'WOULD_INCREASE_POSITION':
      return `Refused: an order would increase a position instead of closing it (WOULD_INCREASE_POSITION conId=${d.conId})`;
    case 'FOREIGN_ORDER':
      // Short enough to be read whole on the console's flash line: whose it is, and the only ways to cancel it.
      return `Refused: order ${d.name} is ${d.clientId === 0 ? 'a manual TWS order' : `client ${d.clientId}'s`}; use :trade.globalCancel or TWS (FOREIGN_ORDER)`;
    case 'FOREIGN_ORDERS_OPEN':
      return `Refused: orders of other clients are open on these positions (${d.orders.join('; ')}); cancel them in TWS or with a global cancel first (FOREIGN_ORDERS_OPEN)`;
    case 'NOTHING_TO_DO':
      return `Nothing to do: ${d.what} (NOTHING_TO_DO)`;
    case 'NO_MARK':
      return `Refused: no mark for ${d.conIds.join(', ')} to set a marketable limit; use --mkt to send market orders (NO_MARK)`;
    case 'TICKS_PENDING':
      return `Not yet: the price increments of conId ${d.conIds.join(', ')} are still being fetched from TWS; retry in a moment (TICKS_PENDING)`;
    case 'MARK_STALE':
      return `Refused: the mark of ${d.label} is ${Math.round(d.ageMs / 1000)} s old, older than ${Math.round(d.limitMs / 1000)} s; its limit would be set on old prices (MARK_STALE conId=${d.conId})`;
    case 'MARK_MOVED': {
      const why = `is past the market by more than the ${d.collar * 100}% collar, it would not fill`;
      return `Refused: ${d.label} moved from ${d.markThen ?? '?'} to ${d.markNow} since the plan was made; its ${d.action} LMT ${d.limit} ${why}; nothing was sent (MARK_MOVED conId=${d.conId}); review the new plan`;
    }
    case 'ORDERS_STILL_OPEN':
      return `Refused: orders still work on conId ${d.conId} (${d.orders.join('; ')}); a closing order beside them could overfill and flip the position, so it was not sent (ORDERS_STILL_OPEN)`;
    case 'DEADLINE_PASSED':
      return `Not sent: the time for this plan ran out before the order for conId ${d.conId} could go (DEADLINE_PASSED); review the positions and plan again`;
    case 'READ_ONLY_API':
      return 'TWS refused the order: its API is set to read-only (error 321). Untick "Read-Only API" in TWS to trade; trading is disarmed (READ_ONLY_API)';
  }
}
