// The simulator's own truth, for tests (compare with what a client decoded) and the control channel.
import type { Decimal } from '../model/money.js';
import type { AccountValueRow, AccountView } from './valuation.js';
import type { SessionDescription, SimulationApi, Transport } from './world.js';

/** What a snapshot reads from the world (the Simulation). */
export interface SnapshotSource extends Pick<
  SimulationApi<unknown>,
  'clock' | 'market' | 'account' | 'base' | 'ledger' | 'engine' | 'zombie' | 'connectivityLost' | 'marketFarmDown'
> {
  readonly sessions: Iterable<{ readonly ready: boolean; describe(): SessionDescription }>;
  readonly transport: Transport | undefined;
  readonly opts: { readonly readOnlyApi: boolean };
}

/** The simulator's own truth, for tests and the control channel (Decimals as exact strings). */
export interface SimSnapshot {
  readonly time: number;
  /** Virtual time of the last market step: marks and account values are as of this instant. */
  readonly marketTime: number;
  readonly account: string;
  readonly baseCurrency: string;
  readonly positions: ReadonlyArray<{
    readonly conId: number;
    readonly symbol: string;
    readonly secType: string;
    readonly currency: string;
    readonly localSymbol: string;
    readonly position: string;
    readonly avgCost: string;
    readonly marketPrice: string;
    readonly marketValue: string;
    readonly unrealizedPnl: string;
    readonly realizedPnl: string;
  }>;
  readonly cash: Readonly<Record<string, string>>;
  /** Exactly the ACCT_VALUE rows a reqAccountUpdates subscriber would get now (reqAccountUpdatesMulti for a sub-account). */
  readonly accountValues: readonly AccountValueRow[];
  readonly pnl: { readonly daily: string; readonly unrealized: string; readonly realized: string };
  readonly openOrders: ReadonlyArray<{
    readonly orderId: number;
    readonly clientId: number;
    readonly permId: number;
    readonly conId: number;
    readonly action: string;
    readonly totalQuantity: string;
    readonly filled: string;
    readonly orderType: string;
    readonly lmtPrice?: number;
    readonly status: string;
    readonly account: string;
    /** The account field the order was sent with, when it named one. */
    readonly requestedAccount?: string;
  }>;
  readonly executions: ReadonlyArray<{
    readonly execId: string;
    /** The account the fill was booked in (EXECUTION_DATA's acctNumber). */
    readonly account: string;
    readonly orderId: number;
    readonly clientId: number;
    readonly conId: number;
    readonly side: string;
    readonly shares: string;
    readonly price: string;
    readonly commission: string;
  }>;
  readonly sessions: readonly SessionDescription[];
  readonly state: {
    readonly listening: boolean;
    readonly zombie: boolean;
    readonly connectivityLost: boolean;
    readonly marketFarmDown: boolean;
    readonly readOnlyApi: boolean;
  };
}

/** Looks up one account value in a snapshot (`currency` defaults to the base currency). */
export function snapshotValue(s: SimSnapshot, key: string, currency = s.baseCurrency): string | undefined {
  return s.accountValues.find((r) => r.key === key && r.currency === currency)?.value;
}

/** Builds a JSON-safe snapshot (Decimals as exact strings). */
export function buildSnapshot(sim: SnapshotSource, view: AccountView): SimSnapshot {
  const s = (d: Decimal) => d.toFixed();
  return {
    time: sim.clock.now(),
    marketTime: sim.market.time,
    account: sim.account,
    baseCurrency: sim.base,
    positions: view.portfolio.map((r) => ({
      conId: r.inst.conId,
      symbol: r.inst.symbol,
      secType: r.inst.secType,
      currency: r.inst.currency,
      localSymbol: r.inst.localSymbol,
      position: s(r.position),
      avgCost: s(r.avgCost),
      marketPrice: s(r.marketPrice),
      marketValue: s(r.marketValue),
      unrealizedPnl: s(r.unrealizedPnl),
      realizedPnl: s(r.realizedPnl),
    })),
    cash: Object.fromEntries([...sim.ledger.cash].map(([c, v]) => [c, s(v)])),
    accountValues: view.rows,
    pnl: { daily: s(view.pnl.daily), unrealized: s(view.pnl.unrealized), realized: s(view.pnl.realized) },
    // One account's truth: only the orders and fills booked in it (an advisor login's sub-accounts have their own).
    openOrders: sim.engine
      .openOrders()
      .filter((o) => o.account === sim.account)
      .map((o) => ({
        orderId: o.orderId,
        clientId: o.clientId,
        permId: o.permId,
        conId: o.inst.conId,
        action: o.action,
        totalQuantity: s(o.totalQty),
        filled: s(o.filled),
        orderType: o.orderType,
        lmtPrice: o.lmtPrice,
        status: o.status,
        account: o.account,
        ...(o.requestedAccount ? { requestedAccount: o.requestedAccount } : {}),
      })),
    executions: sim.engine.executions
      .filter((e) => e.order.account === sim.account)
      .map((e) => ({
        execId: e.execId,
        account: e.order.account,
        orderId: e.order.orderId,
        clientId: e.order.clientId,
        conId: e.order.inst.conId,
        side: e.side,
        shares: s(e.shares),
        price: s(e.price),
        commission: s(e.commission),
      })),
    sessions: [...sim.sessions].filter((x) => x.ready).map((x) => x.describe()),
    state: {
      listening: sim.transport?.listening ?? false,
      zombie: sim.zombie,
      connectivityLost: sim.connectivityLost,
      marketFarmDown: sim.marketFarmDown,
      readOnlyApi: sim.opts.readOnlyApi,
    },
  };
}
