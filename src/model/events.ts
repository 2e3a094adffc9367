// FeedEvent: the one event model. Every fact that can change what the operator sees is one of these.
import type { Contract } from './contract.js';
import type { ConnectionCause } from './connection.js';
import type { Decimal } from './money.js';
import type { OrderStatus } from './orders.js';

/**
 * Connection health, in order of capability (DESIGN.md "Ready gating"):
 * - disconnected: no socket;
 * - connecting: socket being opened or handshake in progress;
 * - connected: socket open and handshake done, but nextValidId or the heartbeat not yet seen, or the login does not
 *   manage the followed account (nothing is usable);
 * - ready: nextValidId seen and the heartbeat answered;
 * - degraded: ready, but a data farm is down or a stream is stale.
 */
export type Health = 'disconnected' | 'connecting' | 'connected' | 'ready' | 'degraded';

/** Which TWS stream a fact came from; freshness is tracked per stream. */
export type StreamName =
  | 'connection'
  | 'accountValues'
  | 'accountSummary'
  | 'portfolio'
  | 'positions'
  | 'marketData'
  | 'optionComputations'
  | 'pnl'
  | 'orders'
  | 'executions'
  | 'messages'
  | 'operator';

/** Which option computation TWS sent (tick types 10-13 and their delayed twins 80-83). */
export type OptionTickKind = 'bid' | 'ask' | 'last' | 'model';

/** Price fields we keep per contract from tick prices (TWS tick types 1, 2, 4, 9, 37 and delayed twins). */
export type PriceField = 'bid' | 'ask' | 'last' | 'close' | 'mark';

/** Severity class of a TWS error/info code (see src/streams/tws/error-codes.ts once it exists). */
export type MessageClass = 'info' | 'warning' | 'data' | 'order' | 'connection' | 'error';

/** The alert a guard action answered, as it was listed when the guard decided. */
export interface GuardAlertRef {
  readonly id: string;
  readonly severity: AlertSeverity;
  readonly title: string;
}

/**
 * One step of the guard daemon (src/commands/guard.ts): a policy loaded or refused (by its sha256), an action
 * decided (which rule, on which alert, held how long, in a dry run or not, and the plan), and its result. Every
 * step names the policy in force, so a review can tell which written rule acted.
 */
export type GuardActedBody =
  | { readonly step: 'policyLoaded'; readonly policyHash: string; readonly file: string; readonly rules: number; readonly reload: boolean }
  | { readonly step: 'policyRejected'; readonly policyHash: string; readonly file: string; readonly problems: readonly string[] }
  | {
      readonly step: 'decided';
      readonly policyHash: string;
      readonly actionId: string;
      readonly rule: string;
      readonly action: string;
      readonly alert: GuardAlertRef;
      readonly heldMs: number;
      readonly dryRun: boolean;
      readonly plan: readonly string[];
      /** Set when an operator's remote command asked for the action (docs/fleet.md "Remote kill switch"); `alert` is then a stand-in. */
      readonly operator?: { readonly name: string; readonly from: string; readonly requestId: string };
    }
  | {
      readonly step: 'result';
      readonly policyHash: string;
      readonly actionId: string;
      readonly outcome: 'done' | 'failed' | 'refused' | 'nothingToDo' | 'dryRun';
      readonly lines: readonly string[];
    };

/** Who armed: the console's palette, a headless command, or a script (the sample generator). */
export type ArmedBy = string;

/** One order of a plan as the dialog listed it (src/commands/plan-json.ts legs; Decimals as strings). */
export interface ShownLeg {
  readonly conId: number;
  readonly contract?: string;
  readonly action: string;
  readonly quantity: string;
  readonly orderType: string;
  readonly limitPrice?: string | null;
}

/**
 * Something the operator did or was shown, one variant per action with its own fields (schema 2,
 * docs/recording-format.md "Operator events"). Recordings of schema 1 carried the same `action` with a free JSON
 * `detail`; the reader upgrades them to these shapes (model/operator.ts). New kinds of operator or daemon events are
 * added as variants here, with their parser in model/operator.ts.
 */
export type OperatorEvent =
  /** Trading armed for `account` until `until` (epoch ms). `until` is absent only in schema-1 files that did not say it: such an arming never counts. */
  | { readonly action: 'armed'; readonly detail: { readonly until?: number; readonly by: ArmedBy; readonly account: string } }
  | { readonly action: 'disarmed'; readonly detail: { readonly reason: string } }
  /** A plan shown in a confirmation dialog: its id, and what the operator read (title and lines). */
  | {
      readonly action: 'dialogShown';
      readonly detail: {
        readonly planId: string;
        readonly scope?: string;
        readonly account?: string;
        readonly legs?: readonly string[] | readonly ShownLeg[];
        readonly shown?: { readonly title: string; readonly lines: readonly string[] };
      };
    }
  | { readonly action: 'decision'; readonly detail: { readonly planId: string; readonly decision: 'confirm' | 'cancel'; readonly by?: string } }
  /** One order of a plan sent to TWS. */
  | {
      readonly action: 'ordersSent';
      readonly detail: {
        readonly planId: string;
        readonly orderId: number;
        readonly conId: number;
        readonly action: string;
        readonly quantity: string;
        readonly orderType: string;
        readonly limitPrice: string | null;
      };
    }
  /** Cancels sent for a cancel plan (one order, our orders, or the global cancel), and the orders they target. */
  | {
      readonly action: 'cancelsSent';
      readonly detail: { readonly planId: string; readonly cancel: 'order' | 'client' | 'global'; readonly orderIds: readonly number[] };
    }
  /** After a lost connection: what became of an order sent before it, with TWS's evidence (src/trading/reconcile.ts). */
  | {
      readonly action: 'reconciled';
      readonly detail: {
        readonly planId: string;
        readonly orderId: number;
        readonly clientId?: number;
        readonly conId?: number;
        readonly outcome: string;
        readonly filled?: string | null;
        readonly execIds?: readonly string[];
        readonly evidence?: string | null;
        readonly at?: number;
      };
    }
  /** A send or an arming refused by the guard: the denial code (src/trading/types.ts) and its sentence. */
  | {
      readonly action: 'denied';
      readonly detail: {
        readonly code: string;
        readonly message: string;
        readonly planId?: string;
        readonly conId?: number;
        readonly orderId?: number;
        readonly action?: string;
      };
    }
  | { readonly action: 'alertAcknowledged'; readonly detail: { readonly ids: readonly string[] } }
  /** The session stopped being recorded (a write failed, or the recording could not start). */
  | { readonly action: 'recorderStopped'; readonly detail: { readonly reason: string } }
  /** An alert hook that failed, timed out, could not start or was not run (docs/alerts.md "Hooks"). */
  | {
      readonly action: 'alertHook';
      readonly detail: {
        readonly hook: string;
        readonly alert: string;
        readonly kind: string;
        readonly outcome: string;
        readonly message: string;
        readonly stderr?: string;
        readonly exitCode?: number | null;
        readonly signal?: string | null;
      };
    }
  /** A sentence for the review: a flatten's outcome, the recordings budget (`recorder: 'budget'`), a sample's comment. */
  | { readonly action: 'note'; readonly detail: { readonly text: string; readonly recorder?: 'budget' } };

export type OperatorActionKind = OperatorEvent['action'];

export type OperatorEventOf<A extends OperatorActionKind> = Extract<OperatorEvent, { action: A }>;

export type OperatorDetail<A extends OperatorActionKind> = OperatorEventOf<A>['detail'];

/** What happened to an alert (src/risk/alerts/types.ts AlertTransitionKind, kept here so the model stands alone). */
export type AlertChangeKind = 'raised' | 'escalated' | 'deescalated' | 'cleared';

/** An alert's severity (src/risk/alerts/types.ts Severity). */
export type AlertSeverity = 'info' | 'warning' | 'critical';

/** A JSON-safe value: what a recorded alert carries. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

/** An order as TWS describes it in OPEN_ORDER. Quantities and prices are Decimal. */
export interface OrderInfo {
  readonly orderId: number;
  /** API client id that placed the order; 0 is TWS itself (manual orders). */
  readonly clientId: number;
  readonly permId: number;
  readonly account: string;
  readonly contract: Contract;
  readonly action: 'BUY' | 'SELL' | 'SSHORT';
  readonly totalQuantity: Decimal;
  readonly orderType: string;
  readonly limitPrice?: Decimal;
  readonly auxPrice?: Decimal;
  readonly tif?: string;
  readonly orderRef?: string;
  /** Status as carried in OPEN_ORDER's orderState. */
  readonly status: OrderStatus;
}

/** The payloads, without the envelope (seq, receivedAt). Each variant names its owning TWS message. */
export type FeedEventBody =
  /** Health transitions, from the source's own state machine (socket, nextValidId, heartbeat, farms). */
  | {
      readonly type: 'healthChanged';
      readonly health: Health;
      /** For the operator: a sentence, never matched by code. */
      readonly reason?: string;
      /**
       * Why, for code (alert rules, the connect wait); null when nothing in particular. Absent only in recordings made
       * before issue 15, whose sentence is then read as it was then (model/connection.ts `legacyCause`).
       */
      readonly cause?: ConnectionCause | null;
      /** While disconnected and waiting: when the source tries again (ms, the session's clock). */
      readonly retryAt?: number;
      readonly host?: string;
      readonly port?: number;
      readonly clientId?: number;
    }
  /**
   * The source (re)requested a snapshot: rows arriving until its *End message form the new snapshot, which
   * replaces the old one at the end (so rows that vanished while disconnected do not linger).
   */
  | { readonly type: 'snapshotRequested'; readonly snapshot: SnapshotKind }
  /** MANAGED_ACCTS (15): the accounts this login can see. */
  | { readonly type: 'managedAccountsReceived'; readonly accounts: readonly string[] }
  /**
   * The source's verdict on a (re)connection's MANAGED_ACCTS, said only when it changes: the login no longer manages
   * the account this session follows (a reconnect landed on another login), or manages it again. `managed` is the
   * new login's list; the followed account is lost while `managed` does not include `followed`.
   */
  | { readonly type: 'accountChanged'; readonly followed: string; readonly managed: readonly string[] }
  /**
   * ACCT_VALUE (6) from reqAccountUpdates. `key` is the raw tag, which may carry a segment suffix
   * (`-S` securities, `-C` commodities, `-P` crypto); `currency` may be `BASE` or empty. Value stays a string:
   * some tags are not numeric (AccountType), and numeric ones are parsed straight into Decimal by the reducer.
   */
  | {
      readonly type: 'accountValueUpdated';
      readonly account: string;
      readonly key: string;
      readonly currency: string;
      readonly value: string;
    }
  /** ACCT_UPDATE_TIME (8): TWS's "HH:mm" stamp of the account update batch. */
  | { readonly type: 'accountTimeUpdated'; readonly time: string }
  /**
   * CURRENT_TIME (49), TWS's answer to our heartbeat: its clock, epoch ms (whole seconds). Emitted when it first arrives
   * and when it moves away from the local clock by 2 s or more: what the market's clock says matters for expiries and
   * sessions, and may differ from this machine's (a skewed clock, a simulator started at another date or running fast).
   */
  | { readonly type: 'brokerTimeReceived'; readonly time: number }
  /** ACCT_DOWNLOAD_END (54): the account-updates snapshot for `account` is complete. */
  | { readonly type: 'accountDownloadEnded'; readonly account: string }
  /**
   * ACCOUNT_SUMMARY (63) from reqAccountSummary, including `$LEDGER:ALL` per-currency rows. Kept apart from
   * account updates so that two streams never fight over one number.
   */
  | {
      readonly type: 'accountSummaryUpdated';
      readonly account: string;
      readonly tag: string;
      readonly currency: string;
      readonly value: string;
    }
  /** ACCOUNT_SUMMARY_END (64). */
  | { readonly type: 'accountSummaryEnded' }
  /**
   * PORTFOLIO_VALUE (7): a position with TWS's mark. Amounts are in the contract's currency. A zero position
   * removes the row. `position` is absent when TWS sent no usable quantity (NaN, infinite, an unset sentinel):
   * `unknownQuantity` then says what it sent, and the row is kept apart as unknown, never read as 0.
   */
  | {
      readonly type: 'portfolioUpdated';
      readonly account: string;
      readonly contract: Contract;
      readonly position?: Decimal;
      readonly unknownQuantity?: string;
      readonly marketPrice?: Decimal;
      readonly marketValue?: Decimal;
      readonly averageCost?: Decimal;
      readonly unrealizedPnl?: Decimal;
      readonly realizedPnl?: Decimal;
    }
  /** POSITION (61) from reqPositions. A zero position removes the row; an unusable one as in portfolioUpdated. */
  | {
      readonly type: 'positionUpdated';
      readonly account: string;
      readonly contract: Contract;
      readonly position?: Decimal;
      readonly unknownQuantity?: string;
      readonly averageCost?: Decimal;
    }
  /** POSITION_END (62): the positions snapshot is complete; a new snapshot replaces the previous one. */
  | { readonly type: 'positionsEnded' }
  /** TICK_PRICE (1): a price for a contract we subscribed to. Unset prices never become events. */
  | { readonly type: 'priceTicked'; readonly conId: number; readonly field: PriceField; readonly price: Decimal; readonly delayed: boolean }
  /**
   * TICK_OPTION_COMPUTATION (21). Floats: these feed pricing, not sums. Missing values (TWS -1/-2) are absent,
   * so a later tick never erases an earlier defined one (reference/tws-protocol.md §5 #9).
   */
  | {
      readonly type: 'optionComputed';
      readonly conId: number;
      readonly kind: OptionTickKind;
      readonly delayed: boolean;
      readonly impliedVol?: number;
      readonly delta?: number;
      readonly gamma?: number;
      readonly vega?: number;
      readonly theta?: number;
      readonly optionPrice?: number;
      readonly underlyingPrice?: number;
      readonly pvDividend?: number;
    }
  /**
   * TICK_STRING (46) of tick type 59, IB Dividends (generic tick 456 on a stock's market data), whose value TWS writes
   * "past12Months,next12Months,nextDividendDate,nextDividendAmount" (e.g. "0.83,0.92,20130219,0.23"). Amounts per
   * share in the stock's currency; `nextExDate` as YYYY-MM-DD (TWS sends YYYYMMDD), the first day the stock trades
   * without the dividend. No next date and amount: none announced. Only a well-formed value becomes this event
   * (src/streams/tws/map.ts `dividendsBody`); a malformed one is a brokerMessage and changes nothing.
   */
  | {
      readonly type: 'dividendsReceived';
      readonly conId: number;
      readonly past12Months?: Decimal;
      readonly next12Months?: Decimal;
      readonly nextExDate?: string;
      readonly nextAmount?: Decimal;
    }
  /** PNL (94), account level, in base currency. */
  | {
      readonly type: 'pnlUpdated';
      readonly account: string;
      readonly dailyPnl?: Decimal;
      readonly unrealizedPnl?: Decimal;
      readonly realizedPnl?: Decimal;
    }
  /** OPEN_ORDER (5). Repeated messages for one order are expected (stoqey/ib#239) and must be idempotent. */
  | { readonly type: 'openOrderUpdated'; readonly order: OrderInfo }
  /**
   * OPEN_ORDER_END (53). `listed` holds the keys of every order the snapshot listed (the source dedupes unchanged
   * orders, so the reducer cannot see them): an open order not listed is no longer open at TWS.
   */
  | { readonly type: 'openOrdersEnded'; readonly listed?: readonly string[] }
  /** ORDER_STATUS (3). Keyed by (clientId, orderId) and permId; may arrive before its OPEN_ORDER. */
  | {
      readonly type: 'orderStatusUpdated';
      readonly orderId: number;
      readonly clientId: number;
      readonly permId: number;
      readonly status: OrderStatus;
      readonly filled: Decimal;
      readonly remaining: Decimal;
      readonly avgFillPrice?: Decimal;
      readonly lastFillPrice?: Decimal;
      readonly whyHeld?: string;
    }
  /** EXECUTION_DATA (11); reqId -1 for live fills. Deduplicated by execId. */
  | {
      readonly type: 'executionReceived';
      readonly reqId: number;
      readonly execId: string;
      readonly orderId: number;
      readonly clientId: number;
      readonly permId: number;
      readonly account: string;
      readonly contract: Contract;
      readonly side: 'BOT' | 'SLD';
      readonly shares: Decimal;
      readonly price: Decimal;
      readonly cumQty: Decimal;
      readonly avgPrice: Decimal;
      /** TWS time string, e.g. "20261123 14:32:05 US/Eastern". */
      readonly time: string;
      readonly orderRef?: string;
    }
  /** EXECUTION_DATA_END (55). */
  | { readonly type: 'executionsEnded'; readonly reqId: number }
  /** COMMISSION_REPORT (59): joined to its execution by execId. */
  | {
      readonly type: 'commissionReceived';
      readonly execId: string;
      readonly commission: Decimal;
      readonly currency: string;
      readonly realizedPnl?: Decimal;
    }
  /**
   * ERR_MSG (4): TWS errors and info codes. `id` is the request or order id, -1 for system messages
   * (which @stoqey/ib routes to its `info` event, reference/tws-protocol.md §5 #4).
   */
  | { readonly type: 'brokerMessage'; readonly id: number; readonly code: number; readonly message: string; readonly class: MessageClass }
  /** What the guard daemon's written policy did (docs/guard.md "Recording"); it changes no portfolio state. */
  | ({ readonly type: 'guardActed' } & GuardActedBody)
  /** Something the operator did or was shown (arming, dialogs, decisions, sends): one typed variant per action. */
  | ({ readonly type: 'operatorActed' } & OperatorEvent)
  /**
   * One transition of the console's alert engine (src/risk/alerts, docs/alerts.md "Recording"): the body of
   * `transitionJson`, so that a replay shows what the operator was alerted to, and when. `at` is the evaluation
   * time; `from` the severity before an escalation or de-escalation; `alert` the alert as JSON (id, rule,
   * severity, title, detail, ...). It changes no portfolio state.
   */
  | {
      readonly type: 'alertChanged';
      readonly kind: AlertChangeKind;
      readonly at: number;
      readonly from?: AlertSeverity;
      readonly alert: { readonly [k: string]: JsonValue };
    };

export type FeedEventType = FeedEventBody['type'];

/** Snapshots with request/end semantics: positions (61/62), account updates (6,7/54), summary (63/64), open orders (5/53). */
export type SnapshotKind = 'positions' | 'account' | 'accountSummary' | 'openOrders';

/** Envelope every event carries: a gap-free sequence number and the wall-clock time it was received (ms). */
export interface EventEnvelope {
  readonly seq: number;
  readonly receivedAt: number;
}

export type FeedEvent = FeedEventBody & EventEnvelope;

export type FeedEventOf<T extends FeedEventType> = Extract<FeedEvent, { type: T }>;

export type BrokerMessageEvent = FeedEventOf<'brokerMessage'>;

/** The stream that owns each event type, for freshness tracking. */
export const STREAM_OF: { readonly [T in FeedEventType]: StreamName } = {
  healthChanged: 'connection',
  snapshotRequested: 'connection',
  managedAccountsReceived: 'connection',
  accountChanged: 'connection',
  accountValueUpdated: 'accountValues',
  accountTimeUpdated: 'accountValues',
  brokerTimeReceived: 'connection',
  accountDownloadEnded: 'accountValues',
  accountSummaryUpdated: 'accountSummary',
  accountSummaryEnded: 'accountSummary',
  portfolioUpdated: 'portfolio',
  positionUpdated: 'positions',
  positionsEnded: 'positions',
  priceTicked: 'marketData',
  optionComputed: 'optionComputations',
  dividendsReceived: 'marketData',
  pnlUpdated: 'pnl',
  openOrderUpdated: 'orders',
  openOrdersEnded: 'orders',
  orderStatusUpdated: 'orders',
  executionReceived: 'executions',
  executionsEnded: 'executions',
  commissionReceived: 'executions',
  brokerMessage: 'messages',
  operatorActed: 'operator',
  guardActed: 'operator',
  alertChanged: 'operator',
};
