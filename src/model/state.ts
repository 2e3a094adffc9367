// PortfolioState: everything the console knows, as a pure fold of FeedEvents. Readonly in public.
import type { Contract } from './contract.js';
import type { AlertSeverity, BrokerMessageEvent, FeedEventOf, Health, JsonValue, OperatorEvent, OrderInfo, PriceField, StreamName } from './events.js';
import type { ConnectionCause } from './connection.js';
import type { Decimal } from './money.js';
import type { OrderStatus } from './orders.js';
import { PMap } from './pmap.js';

/** Account segment from a tag suffix: `-S` securities, `-C` commodities, `-P` crypto (Paxos), `-F` kept as seen. */
export type Segment = 'S' | 'C' | 'P' | 'F';

/**
 * One account value row, keyed by (raw tag, currency). `tag` is the root without suffix; `currency` is an ISO code,
 * `BASE` (a total converted to base currency) or empty (dimensionless, e.g. Cushion). Owner: ACCT_VALUE (6) for
 * `accountValues`, ACCOUNT_SUMMARY (63) for `accountSummary`.
 */
export interface AccountValue {
  readonly key: string;
  readonly tag: string;
  readonly segment?: Segment;
  readonly currency: string;
  /** Verbatim as TWS sent it. */
  readonly raw: string;
  /** Parsed when numeric; undefined for text values such as AccountType. */
  readonly value?: Decimal;
  readonly updatedAt: number;
}

/** A position with TWS's mark, from PORTFOLIO_VALUE (7). Amounts in the contract's currency. */
export type PortfolioRow = Omit<FeedEventOf<'portfolioUpdated'>, 'type' | 'seq' | 'receivedAt' | 'position' | 'unknownQuantity'> & {
  readonly position: Decimal;
  readonly updatedAt: number;
};

/**
 * A position whose quantity TWS sent as NaN, an infinity or an unset sentinel. Kept apart from `positions` and
 * `portfolio` so that no sum, risk figure or plan reads it as a number; shown with a flag, and it refuses flattening.
 */
export interface UnknownQuantityRow {
  readonly account: string;
  readonly contract: Contract;
  /** Which stream said so: each owns its own entries (POSITION 61 or PORTFOLIO_VALUE 7). */
  readonly stream: 'positions' | 'portfolio';
  /** What TWS sent instead of a quantity: 'NaN', 'Infinity', 'unset'... */
  readonly sent: string;
  readonly marketPrice?: Decimal;
  readonly updatedAt: number;
}

/** A position from POSITION (61); average cost includes the multiplier, as TWS sends it. */
export interface PositionRow {
  readonly account: string;
  readonly contract: Contract;
  readonly position: Decimal;
  readonly averageCost?: Decimal;
  readonly updatedAt: number;
}

/** Last prices per contract, from TICK_PRICE (1). */
export interface PriceRow {
  readonly conId: number;
  readonly prices: Readonly<Partial<Record<PriceField, Decimal>>>;
  readonly delayed: boolean;
  readonly updatedAt: number;
}

/** Option model values per contract, merged from TICK_OPTION_COMPUTATION (21): last defined value per field. */
export interface OptionRow {
  readonly conId: number;
  readonly impliedVol?: number;
  readonly delta?: number;
  readonly gamma?: number;
  readonly vega?: number;
  readonly theta?: number;
  readonly optionPrice?: number;
  readonly underlyingPrice?: number;
  readonly pvDividend?: number;
  /** True once a MODEL tick (13/83) supplied the greeks; bid/ask/last ticks never overwrite model greeks. */
  readonly fromModel: boolean;
  readonly delayed: boolean;
  readonly updatedAt: number;
}

/**
 * A stock's dividends as TWS last reported them, from TICK_STRING tick type 59 (IB Dividends, generic tick 456):
 * amounts per share in the stock's currency, `nextExDate` YYYY-MM-DD. The risk engine prices American options on the
 * stock with the next one where the settings do not list the symbol (docs/stress-model.md).
 */
export type DividendRow = Omit<FeedEventOf<'dividendsReceived'>, 'type' | 'seq' | 'receivedAt'> & { readonly updatedAt: number };

/** Account-level P&L from PNL (94), in base currency. */
export interface PnlRow {
  readonly dailyPnl?: Decimal;
  readonly unrealizedPnl?: Decimal;
  readonly realizedPnl?: Decimal;
  readonly updatedAt: number;
}

/** An order, joined from OPEN_ORDER (5) and ORDER_STATUS (3). `info` is absent until OPEN_ORDER arrives. */
export interface OrderRow {
  readonly key: string;
  readonly orderId: number;
  readonly clientId: number;
  readonly permId: number;
  readonly info?: OrderInfo;
  readonly status: OrderStatus;
  readonly filled: Decimal;
  readonly remaining?: Decimal;
  readonly avgFillPrice?: Decimal;
  readonly lastFillPrice?: Decimal;
  readonly whyHeld?: string;
  /**
   * False when the last open-orders snapshot did not list this order: it was cancelled or filled at TWS and this
   * client was not told (other clients' and manual orders are not streamed to us), so its status became final.
   */
  readonly listed?: boolean;
  readonly updatedAt: number;
}

/** A fill from EXECUTION_DATA (11), joined with its COMMISSION_REPORT (59) by execId. */
export type ExecutionRow = Omit<FeedEventOf<'executionReceived'>, 'type' | 'seq' | 'receivedAt' | 'reqId'> & {
  readonly commission?: Decimal;
  readonly commissionCurrency?: string;
  readonly realizedPnl?: Decimal;
  readonly updatedAt: number;
};

/** A commission report waiting for its execution (TWS may send them in either order). */
export interface PendingCommission {
  readonly commission: Decimal;
  readonly currency: string;
  readonly realizedPnl?: Decimal;
}

/** An operator action as recorded: the typed event (action and detail) with its seq and receive time. */
export type OperatorActionRow = { readonly seq: number; readonly at: number } & OperatorEvent;

/**
 * Trading armed, as the recorded armed/disarmed events say (model/reduce/session.ts): for `account`, by whom, from
 * `at` (the armed event's receive time) until `until`. Expiry is judged against a clock by its reader
 * (trading/arming.ts `isArmed`): the fold has none. Absent while disarmed.
 */
export interface Arming {
  readonly account: string;
  readonly by: string;
  readonly at: number;
  readonly until: number;
}

/**
 * An alert as the session's alert engine recorded it (alertChanged, docs/alerts.md "Recording"): listed from its
 * raise until its clear. The fields are those of src/risk/alerts `alertJson`; `changedAt` is the time of the
 * transition that last set the row. Acknowledgements (operatorActed alertAcknowledged) set `acknowledged`.
 */
export interface AlertRow {
  readonly id: string;
  readonly rule: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly detail: JsonValue;
  readonly firstSeenAt: number;
  readonly raisedAt: number;
  readonly lastSeenAt: number;
  readonly acknowledged: boolean;
  readonly acknowledgedAt?: number;
  /** What a leverage reduction would have to reach (src/risk/alerts ReductionTarget), as recorded. */
  readonly reduction?: JsonValue;
  readonly changedAt: number;
}

/** A snapshot being received (between the request and its *End message); it replaces the live map at the end. */
export interface PendingSnapshots {
  readonly positions?: PMap<number, PositionRow>;
  readonly portfolio?: PMap<number, PortfolioRow>;
  readonly accountValues?: PMap<string, AccountValue>;
}

/** A switch of login away from the followed account (PortfolioState.accountChange). */
export interface AccountChange {
  readonly followed: string;
  /** What the login that replaced it manages. */
  readonly managed: readonly string[];
  readonly since: number;
  readonly until?: number;
}

/** Bounded history kept in state (older entries drop off; the recording keeps everything). */
export const MESSAGE_HISTORY = 500;
export const ACTION_HISTORY = 200;

export interface PortfolioState {
  /** seq of the last event folded in; events at or below it are ignored (replay and keyframe overlap). */
  readonly lastSeq: number;
  /** receivedAt of the last event folded in (ms). */
  readonly lastEventAt: number;
  readonly health: Health;
  readonly healthReason?: string;
  /** The typed cause of the last health change, when it had one (healthChanged `cause`, or read from an old recording). */
  readonly healthCause?: ConnectionCause;
  /** When the source tries to connect again, while it waits to (healthChanged `retryAt`). */
  readonly healthRetryAt?: number;
  readonly endpoint?: { readonly host: string; readonly port: number; readonly clientId: number };
  /** Accounts this login manages (MANAGED_ACCTS). */
  readonly managedAccounts: readonly string[];
  /** The one account this state describes; rows for other accounts are ignored, never mixed. */
  readonly account?: string;
  /**
   * Set when a (re)connection landed on a login that does not manage `account` (accountChanged): from `since` the
   * account's numbers are not current and trading is refused. `until` is when a login managing it came back; an
   * arming from before then does not count (trading/guard.ts).
   */
  readonly accountChange?: AccountChange;
  /** Base currency: the currency of the whole-account NetLiquidation row. */
  readonly baseCurrency?: string;
  /** ACCT_VALUE rows keyed `tag|currency` (tag with its segment suffix). */
  readonly accountValues: PMap<string, AccountValue>;
  /** ACCOUNT_SUMMARY rows keyed `tag|currency`. */
  readonly accountSummary: PMap<string, AccountValue>;
  /** Currency → value of one unit in base currency, from ExchangeRate rows (base itself is 1). */
  readonly fxRates: PMap<string, Decimal>;
  readonly accountTime?: string;
  /** TWS's clock minus ours when its time was last received (brokerTimeReceived); see `marketNow`. */
  readonly brokerTimeOffsetMs?: number;
  /** Portfolio rows (with marks) by conId. */
  readonly portfolio: PMap<number, PortfolioRow>;
  /** Positions (reqPositions) by conId. */
  readonly positions: PMap<number, PositionRow>;
  /** Positions with no usable quantity, keyed `stream:conId`; absent from `positions` and `portfolio` meanwhile. */
  readonly unknownQuantities: PMap<string, UnknownQuantityRow>;
  readonly prices: PMap<number, PriceRow>;
  readonly options: PMap<number, OptionRow>;
  /** Dividends by stock conId, from tick 59 (see DividendRow). */
  readonly dividends: PMap<number, DividendRow>;
  readonly pnl?: PnlRow;
  /** Orders keyed `clientId:orderId`, or `perm:permId` for orders without an API order id (manual TWS orders). */
  readonly orders: PMap<string, OrderRow>;
  /** permId → order key, so a status or execution carrying only a permId finds its order. */
  readonly orderKeyByPermId: PMap<number, string>;
  readonly executions: PMap<string, ExecutionRow>;
  readonly pendingCommissions: PMap<string, PendingCommission>;
  readonly messages: readonly BrokerMessageEvent[];
  readonly operatorActions: readonly OperatorActionRow[];
  /** The arming in force, reduced from armed/disarmed events; absent while disarmed (and in states before schema 2). */
  readonly arming?: Arming;
  /**
   * The alerts the operator was shown, by id: folded from recorded alertChanged events, never re-evaluated here.
   * Old keyframes lack this field; see docs/architecture.md "Alerts in state" for how a seek rebuilds it.
   */
  readonly alerts: PMap<string, AlertRow>;
  /** Snapshot completeness (the *End message of the last request was seen). */
  readonly complete: {
    readonly positions: boolean;
    readonly accountDownload: boolean;
    readonly accountSummary: boolean;
    readonly openOrders: boolean;
  };
  readonly pending: PendingSnapshots;
  /** receivedAt of the last event per stream (ms); ages are derived from this and a clock, never stored. */
  readonly lastUpdate: Readonly<Partial<Record<StreamName, number>>>;
  /** Rows dropped because they named another account than `account`. */
  readonly otherAccountRows: number;
}

/** The state before any event. */
export const INITIAL_STATE: PortfolioState = {
  lastSeq: 0,
  lastEventAt: 0,
  health: 'disconnected',
  managedAccounts: [],
  accountValues: PMap.empty(),
  accountSummary: PMap.empty(),
  fxRates: PMap.empty(),
  portfolio: PMap.empty(),
  positions: PMap.empty(),
  unknownQuantities: PMap.empty(),
  prices: PMap.empty(),
  options: PMap.empty(),
  dividends: PMap.empty(),
  orders: PMap.empty(),
  orderKeyByPermId: PMap.empty(),
  executions: PMap.empty(),
  pendingCommissions: PMap.empty(),
  messages: [],
  operatorActions: [],
  alerts: PMap.empty(),
  complete: { positions: false, accountDownload: false, accountSummary: false, openOrders: false },
  pending: {},
  lastUpdate: {},
  otherAccountRows: 0,
};

/**
 * The market's time at local time `localNow`: the local clock corrected by TWS's last reported offset. Expiries and
 * trading sessions are judged on it; ages, throttles and durations stay on the local clock.
 */
export function marketNow(state: Pick<PortfolioState, 'brokerTimeOffsetMs'>, localNow: number): number {
  return localNow + (state.brokerTimeOffsetMs ?? 0);
}
