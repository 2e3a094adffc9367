// What a session, the transport and a snapshot need from the simulated world: the shared types, in a leaf module,
// so that the world (simulation.ts), its sessions (session.ts) and snapshot.ts do not import one another's types.
import type { VirtualClock } from './clock.js';
import type { ContractQuery, Instrument } from './instruments.js';
import type { Ledger } from './ledger.js';
import type { LogLevel } from './log.js';
import type { Market, MarketMarks } from './market.js';
import type { OrderEngine } from './orders.js';
import type { OrderRequest } from './requests.js';
import type { AccountView } from './valuation.js';

/**
 * What a Session needs from the world. `S` is the session type: the world calls its sessions back, so it passes them
 * to itself by their own type, while a session knows the world only through this interface.
 */
export interface SimulationApi<S> {
  readonly account: string;
  readonly base: string;
  readonly clock: VirtualClock;
  readonly market: Market;
  readonly ledger: Ledger;
  readonly engine: OrderEngine;
  readonly universe: readonly Instrument[];
  readonly zombie: boolean;
  readonly connectivityLost: boolean;
  readonly marketFarmDown: boolean;
  readonly backpressureBytes: number;
  /** TWS's pacing limit on client messages per second (0: none). */
  readonly maxMessagesPerSecond: number;
  /** The highest server version offered in the handshake (SERVER_VERSION unless capped). */
  readonly maxServerVersion: number;
  /** The account is entitled to live market data (else only delayed, after reqMarketDataType(3|4)). */
  readonly liveMarketData: boolean;
  /** Every account MANAGED_ACCTS lists: the simulated one first, its FA sub-accounts, then any others (no data). */
  readonly managedAccounts: readonly string[];
  /** The accounts that carry data: the simulated one first, then its FA sub-accounts. */
  readonly bookAccounts: readonly string[];
  log(level: LogLevel, message: string): void;
  view(): AccountView;
  /** The marks accounts are valued on (held still while the market data farm is down). */
  marks(): MarketMarks;
  /** One account's book and its valuation (main or FA sub-account); undefined for an account with no data. */
  ledgerOf(account: string): Ledger | undefined;
  viewOf(account: string): AccountView | undefined;
  clientIdInUse(clientId: number, except: S): boolean;
  nextValidOrderId(clientId: number): number;
  sessionClosed(s: S): void;
  placeOrder(s: S, orderId: number, q: ContractQuery, req: OrderRequest): void;
  cancelOrder(s: S, orderId: number): void;
  globalCancel(s: S): void;
  /** reqOpenOrders by client 0: the manual TWS orders open now are bound to client 0 and report to it from then on. */
  bindManualOrders(): void;
  /** Market data lines open now across every client (TWS's default allowance is 100). */
  marketDataLines(): number;
  impliedVolOf(inst: Instrument): number;
}

/** Starting and stopping the listening socket (TWS restart). */
export interface Transport {
  stop(): Promise<void>;
  start(): Promise<void>;
  readonly listening: boolean;
}

/** One connected API client as the snapshot and the control channel describe it. */
export interface SessionDescription {
  readonly clientId: number;
  readonly remote: string;
  /** The server version negotiated in the handshake. */
  readonly serverVersion: number;
  readonly positions: boolean;
  readonly account: boolean;
  readonly marketData: number;
  readonly summaries: number;
  readonly pnl: number;
}
