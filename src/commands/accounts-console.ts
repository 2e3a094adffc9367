// The console on several accounts: a session core per account as the login names them; trading on the selected one.
import type { CommandId } from '../keymap/bindings.js';
import type { JsonValue } from '../model/events.js';
import { ALL_ACCOUNTS, AccountSet } from '../session/accounts.js';
import type { AccountSession } from '../session/session.js';
import type { Feed } from '../streams/feed.js';
import type { TradingActions } from '../views/trading-actions.js';
import type { OrderSnapshot } from '../model/orders.js';
import type { ConsoleTrading, ConsoleTradingSource } from './console-trading.js';
import type { MultiLiveSession } from './live.js';

/*
 * Issue 20: "Trading always targets exactly one account, named in every dialog." One ConsoleTrading per account (its
 * own arming, typed against its own id, its own audit log, plans built from its own state, so every order carries that
 * account), and this router between them: a dialog opens on the account selected in the Accounts pane, and its answers
 * go back to the session that planned it, whatever is selected by then.
 */

export interface AccountsTrading extends TradingActions {
  /** Every account's trading session, by account. */
  readonly byAccount: ReadonlyMap<string, ConsoleTrading>;
  /** The audit files the accounts' trading actions opened. */
  readonly auditFiles: readonly string[];
  add(account: string, trading: ConsoleTrading): void;
  recordAlert(account: string, transition: { readonly [k: string]: JsonValue }): void;
  close(reason: string): void;
}

/**
 * The audit log's name part for one account's trading session: one log per account, so two armings in one second never
 * share a file. The id comes from TWS: anything but letters, digits, `-` and `_` is replaced, never a path.
 */
export function accountAuditName(account: string): string {
  return `console-${account.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Why nothing can trade while the aggregate row is selected: the refusal the console shows. */
export const AGGREGATE_REFUSAL =
  'Refused: the aggregate row "all" is selected, and trading always targets exactly one account. Select that account in the Accounts pane (7, then Enter) first';

/** reqGlobalCancel is the login's, not one account's: with several accounts it would cancel every account's orders. */
export const GLOBAL_CANCEL_REFUSAL =
  "Refused: a global cancel (reqGlobalCancel) cancels the open orders of every account of this login, not only the selected one; cancel this account's orders with trade.cancelAll instead";

export function createAccountsTrading(set: Pick<AccountSet, 'selected'>): AccountsTrading {
  const byAccount = new Map<string, ConsoleTrading>();
  /** Which session planned each plan on show: its confirm, what-if and decline go back there. */
  const planOwner = new Map<string, ConsoleTrading>();
  const selected = (): ConsoleTrading | undefined => {
    const id = set.selected;
    return id === undefined || id === ALL_ACCOUNTS ? undefined : byAccount.get(id);
  };
  const notTargeted = () =>
    set.selected === ALL_ACCOUNTS ? AGGREGATE_REFUSAL : 'Refused: no account is known yet; trading waits for the login to name its accounts';
  return {
    byAccount,
    get auditFiles() {
      return [...byAccount.values()].flatMap((t) => (t.auditFile ? [t.auditFile] : []));
    },
    add(account, trading) {
      byAccount.set(account, trading);
    },
    refuse(command: CommandId) {
      // Disarming is always allowed: it disarms every account.
      if (command === 'trade.disarm') return undefined;
      if (!selected()) return notTargeted();
      if (command === 'trade.globalCancel') return GLOBAL_CANCEL_REFUSAL;
      return undefined;
    },
    account: () => (set.selected === ALL_ACCOUNTS ? undefined : set.selected),
    armMinutes: () => [...byAccount.values()][0]?.armMinutes() ?? 5,
    arm(typed) {
      const t = selected();
      return t ? t.arm(typed) : { ok: false, message: notTargeted() };
    },
    disarm() {
      for (const t of byAccount.values()) t.disarm();
    },
    preview(command, target) {
      const t = selected();
      if (!t) return notTargeted();
      if (command === 'trade.globalCancel') return GLOBAL_CANCEL_REFUSAL;
      const plan = t.preview(command, target);
      if (typeof plan !== 'string') planOwner.set(plan.id, t);
      return plan;
    },
    pending(command) {
      return selected()?.pending?.(command);
    },
    onScreen(planId, ready) {
      const t = planOwner.get(planId);
      return t ? t.onScreen(planId, ready) : () => undefined;
    },
    readyIn: (planId) => planOwner.get(planId)?.readyIn(planId) ?? Infinity,
    tooSoon(planId, what) {
      const t = planOwner.get(planId);
      return t ? t.tooSoon(planId, what) : 'This plan was already confirmed or closed; nothing sent';
    },
    async confirm(planId, progress) {
      const t = planOwner.get(planId);
      if (!t) return { kind: 'refused', message: 'This plan was already confirmed or closed; nothing sent' };
      const outcome = await t.confirm(planId, progress);
      if (outcome.kind === 'refused' && outcome.replan) planOwner.set(outcome.replan.id, t);
      return outcome;
    },
    whatIf(planId) {
      return planOwner.get(planId)?.whatIf?.(planId);
    },
    decline(planId) {
      planOwner.get(planId)?.decline(planId);
      planOwner.delete(planId);
    },
    recordAlert(account, transition) {
      byAccount.get(account)?.recordAlert(transition);
    },
    close(reason) {
      for (const t of byAccount.values()) t.close(reason);
    },
  };
}

/** What one account's trading session sends through: the shared connection, narrowed to that account. */
export type AccountGatewaySource = ConsoleTradingSource & { orderSnapshot?(timeoutMs: number, account?: string): Promise<OrderSnapshot | undefined> };

/**
 * The connection as one account's trading gateway: orders go out as they are planned (each names its account), a
 * reconciliation reads this account's orders, and a global cancel, which is the whole login's, is refused.
 */
export function accountGateway(source: AccountGatewaySource, account: string): ConsoleTradingSource {
  return {
    get ready() {
      return source.ready;
    },
    get connectionEpoch() {
      return source.connectionEpoch;
    },
    placeOrder: (contract, order) => source.placeOrder(contract, order),
    cancelOrder: (orderId) => source.cancelOrder(orderId),
    globalCancel: () => ({ ok: false, reason: GLOBAL_CANCEL_REFUSAL }),
    ...(source.contractDetails ? { contractDetails: (conId: number) => source.contractDetails!(conId) } : {}),
    ...(source.marketRule ? { marketRule: (ruleId: number) => source.marketRule!(ruleId) } : {}),
    ...(source.orderSnapshot ? { orderSnapshot: (ms: number) => source.orderSnapshot!(ms, account) } : {}),
    ...(source.whatIfOrder ? { whatIfOrder: (c, o, ms) => source.whatIfOrder!(c, o, ms) } : {}),
  };
}

/**
 * Follows every account of a multi-account session: as the login names them (at once for a list), each account's feed
 * gets its core from `core` (an AccountSession with its risk runner, alert engine and, with `trade`, its trading
 * session on `accountGateway`) and joins the set the console's store reads. `recordingOff`: why nothing is recorded,
 * said in every account's log (the status bar and the Alerts pane read it there).
 */
export function followAccounts(o: {
  readonly multi: Pick<MultiLiveSession, 'router' | 'accounts'>;
  readonly connection: Feed;
  readonly core: (feed: Feed, account: string) => { readonly session: AccountSession; readonly trading?: ConsoleTrading | undefined };
  readonly trade: boolean;
  readonly recordingOff?: string;
}): { readonly set: AccountSet; readonly trading?: AccountsTrading } {
  const set = new AccountSet(o.connection);
  const trading = o.trade ? createAccountsTrading(set) : undefined;
  o.multi.router.onAccounts((list) => {
    for (const account of list) {
      const feed = o.multi.accounts.get(account)?.feed;
      if (!feed) continue;
      // The same note as console.ts noteRecordingStopped, which the status bar's REC cell and the Alerts pane read.
      if (o.recordingOff) feed.publish({ type: 'operatorActed', action: 'recorderStopped', detail: { reason: `not started: ${o.recordingOff}` } });
      const core = o.core(feed, account);
      if (core.trading) trading?.add(account, core.trading);
      set.add({ account, feed, session: core.session });
    }
  });
  return { set, ...(trading ? { trading } : {}) };
}
