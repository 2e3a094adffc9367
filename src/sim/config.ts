// Simulator options and their defaults (CLI flags, scenario files and tests all end up here).
import { parseIsoTime } from '../model/iso-time.js';
import { DEFAULT_CADENCE, type Cadence } from './cadence.js';
import { frontMonthlyExpiry } from './calendar.js';
import type { LogTarget } from './log.js';
import { DEFAULT_MARKET, type MarketOptions } from './market.js';
import { DEFAULT_ORDERS, type OrderOptions } from './orders.js';
import type { Scenario, SubAccountBook } from './scenario.js';
import { MIN_SERVER_VERSION, SERVER_VERSION } from './wire.js';

export interface SimulatorOptions {
  /** Interface to bind; 127.0.0.1 unless another is named explicitly. */
  readonly host?: string;
  /** TCP port for API clients (default 7497, TWS paper); 0 picks a free port. */
  readonly port?: number;
  /** JSON-lines control channel port on 127.0.0.1; default port + 1 (0 when port is 0); null disables it. */
  readonly controlPort?: number | null;
  readonly seed?: number;
  /** Virtual ms per real ms; 0 = manual clock (tests step it with `advance`). */
  readonly speed?: number;
  /** Virtual start time (epoch ms or ISO string). */
  readonly startTime?: number | string;
  readonly account?: string;
  readonly baseCurrency?: string;
  /** Answer every order, cancel and global cancel with error 321 (TWS "Read-Only API"). */
  readonly readOnlyApi?: boolean;
  /** Other accounts the login "manages" (listed in MANAGED_ACCTS, no data): rehearses multi-account logins. */
  readonly otherAccounts?: readonly string[];
  /**
   * An advisor (FA) login: sub-accounts with books of their own, listed in MANAGED_ACCTS after `account` and answered
   * by the *Multi requests, reqPnL and an "All" account summary. Orders still go to `account` only.
   */
  readonly subAccounts?: Readonly<Record<string, SubAccountBook>>;
  /** False: the account has no live market-data subscription, so live requests get 10089 (delayed still works). */
  readonly liveMarketData?: boolean;
  /** A scenario object, a shipped scenario name (quiet-day, chf-gap, …) or a file path. */
  readonly scenario?: Scenario | string;
  readonly log?: LogTarget;
  readonly cadence?: Partial<Cadence>;
  readonly market?: Partial<MarketOptions>;
  readonly orders?: Partial<OrderOptions>;
  /** Opening cash per currency (overrides the demo's). */
  readonly cash?: Readonly<Record<string, string>>;
  /** Sessions with this client id also receive every order's status and fills (TWS "Master API client ID"). */
  readonly masterClientId?: number;
  /** Bytes queued on a socket above which streaming updates (ticks, marks, PnL) are skipped for it. */
  readonly backpressureBytes?: number;
  /**
   * Messages a client may send per second (TWS: 50) before the excess is refused with error 100; 0 turns the limit
   * off (a fuzz test that writes hundreds of frames at once).
   */
  readonly maxMessagesPerSecond?: number;
  /**
   * The highest server version this TWS offers (157..193, default 193): an older TWS, so that a client whose range
   * reaches higher (such as @stoqey/ib, which always offers v100..193) runs at a lower version.
   */
  readonly maxServerVersion?: number;
}

export type { SubAccountBook };

export const DEFAULT_ACCOUNT = 'DU1234567';
export const DEFAULT_PORT = 7497;

/** Fully resolved options (scenario merged in, defaults applied). */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly controlPort: number | null;
  readonly seed: number;
  readonly speed: number;
  readonly startTime: number;
  readonly account: string;
  readonly baseCurrency: string;
  readonly readOnlyApi: boolean;
  readonly liveMarketData: boolean;
  readonly otherAccounts: readonly string[];
  readonly subAccounts: Readonly<Record<string, SubAccountBook>>;
  readonly scenario?: Scenario;
  readonly log: LogTarget;
  readonly cadence: Cadence;
  readonly market: MarketOptions;
  readonly orders: OrderOptions;
  readonly cash?: Readonly<Record<string, string>>;
  readonly masterClientId?: number;
  readonly backpressureBytes: number;
  readonly maxMessagesPerSecond: number;
  readonly maxServerVersion: number;
}

function parseStart(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = typeof v === 'number' ? v : parseIsoTime(v.trim());
  if (typeof t === 'string' || !Number.isFinite(t)) throw new Error(`invalid start time ${JSON.stringify(v)}`);
  return t;
}

/** A scenario's "start N minutes before the front monthly expiry", applied to the requested start. */
function beforeExpiry(start: number, minutes: number | undefined): number {
  if (minutes === undefined) return start;
  const expiry = frontMonthlyExpiry(start).ms;
  return expiry - start <= minutes * 60_000 ? start : expiry - minutes * 60_000;
}

function serverVersionCap(v: number | undefined): number {
  if (v === undefined) return SERVER_VERSION;
  if (!Number.isInteger(v) || v < MIN_SERVER_VERSION || v > SERVER_VERSION) {
    throw new Error(`maxServerVersion must be an integer from ${MIN_SERVER_VERSION} to ${SERVER_VERSION}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Merges explicit options over the scenario's over the defaults. */
export function resolveOptions(o: SimulatorOptions, scenario: Scenario | undefined): ResolvedOptions {
  const port = o.port ?? DEFAULT_PORT;
  const s = scenario;
  return {
    host: o.host ?? '127.0.0.1',
    port,
    controlPort: o.controlPort === null ? null : (o.controlPort ?? (port === 0 ? 0 : port + 1)),
    seed: o.seed ?? s?.seed ?? 1,
    speed: o.speed ?? s?.speed ?? 1,
    // Default start: now, truncated to the second, so timestamps look live; a seed alone fixes the path.
    startTime: beforeExpiry(parseStart(o.startTime) ?? s?.startTime ?? Math.floor(Date.now() / 1000) * 1000, s?.startBeforeExpiryMinutes),
    account: o.account ?? s?.account ?? DEFAULT_ACCOUNT,
    baseCurrency: (o.baseCurrency ?? s?.baseCurrency ?? 'USD').toUpperCase(),
    readOnlyApi: o.readOnlyApi ?? s?.readOnlyApi ?? false,
    liveMarketData: o.liveMarketData ?? s?.liveMarketData ?? true,
    otherAccounts: o.otherAccounts ?? [],
    subAccounts: subAccountsOf(o.subAccounts ?? s?.subAccounts, o.account ?? s?.account ?? DEFAULT_ACCOUNT),
    scenario: s,
    log: o.log ?? false,
    cadence: { ...DEFAULT_CADENCE, ...s?.cadence, ...o.cadence },
    market: { ...DEFAULT_MARKET, ...s?.market, ...o.market },
    orders: {
      ...DEFAULT_ORDERS,
      ...s?.orders,
      ...o.orders,
      maxFillSize: { ...DEFAULT_ORDERS.maxFillSize, ...s?.orders?.maxFillSize, ...o.orders?.maxFillSize },
    },
    cash: o.cash ?? s?.cash,
    masterClientId: o.masterClientId,
    backpressureBytes: o.backpressureBytes ?? 1 << 20,
    maxMessagesPerSecond: o.maxMessagesPerSecond ?? 50,
    maxServerVersion: serverVersionCap(o.maxServerVersion),
  };
}

/** Sub-account names must be distinct from the main account and non-empty (they are wire fields). */
function subAccountsOf(v: SimulatorOptions['subAccounts'], main: string): Readonly<Record<string, SubAccountBook>> {
  for (const name of Object.keys(v ?? {})) {
    if (!/^[A-Za-z0-9]+$/.test(name) || name === main) throw new Error(`invalid sub-account name ${JSON.stringify(name)}`);
  }
  return v ?? {};
}
