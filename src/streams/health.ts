// Connection health as a pure function of what the source has observed (DESIGN.md "Ready gating").
import type { ConnectionCause, FatalCause } from '../model/connection.js';
import type { Health } from '../model/events.js';

/** A typed cause for code, and the sentence the operator reads. */
export interface Why<C extends ConnectionCause = ConnectionCause> {
  readonly cause: C;
  readonly reason: string;
}

/** Everything the source knows about its connection; `deriveHealth` turns it into one state and a reason. */
export interface HealthInputs {
  readonly socket: 'disconnected' | 'connecting' | 'connected';
  /** NEXT_VALID_ID seen on this connection: before it @stoqey/ib sends nothing (tws-protocol.md §5 #2). */
  readonly nextValidIdSeen: boolean;
  /** A heartbeat (reqCurrentTime) answered on this connection. */
  readonly heartbeatAnswered: boolean;
  /** 1100 seen and not yet 1101/1102: TWS has lost IB's servers. */
  readonly connectivityLost: boolean;
  /**
   * 1101 seen and its data not back yet: TWS dropped our subscriptions, which were asked for again; set until a
   * socket read delivers market data (or portfolio marks, with no market-data line).
   */
  readonly dataLost?: boolean;
  /** Market-data farms reported down (2103/2105/2157), by name. */
  readonly farmsDown: readonly string[];
  /** Subscribed streams that stopped updating past their limit (e.g. no ticks for 45 s while ready). */
  readonly staleStreams?: readonly string[];
  /** Why the socket is down or refused, when known (heartbeat timeout, refused, stopped by the operator...). */
  readonly down?: Why;
  /**
   * Set when this login does not manage the account being followed (a reconnect landed on another login): nothing
   * about that account can arrive, so the connection is never usable, whatever else it does.
   */
  readonly accountMismatch?: string;
  /** Set when reconnecting would be pointless (326, account not managed): the loop stops and says so. */
  readonly fatal?: Why<FatalCause>;
}

export const INITIAL_HEALTH_INPUTS: HealthInputs = {
  socket: 'disconnected',
  nextValidIdSeen: false,
  heartbeatAnswered: false,
  connectivityLost: false,
  farmsDown: [],
};

/** The health state, a sentence for the operator and, when there is one, the typed cause code decides on. */
export interface DerivedHealth {
  readonly health: Health;
  readonly reason: string;
  readonly cause: ConnectionCause | null;
}

/** How a reconnect's reason names how the connection before it ended ("opening the socket and handshake, after: …"). */
export const AFTER_PREVIOUS = ', after: ';

/** How a market data farm outage (2103) reads in the health reason: the guard says what would lift it. */
export const FARM_DOWN_REASON = 'market data farm down: ';

export function deriveHealth(i: HealthInputs): DerivedHealth {
  if (i.fatal) return { health: 'disconnected', ...i.fatal };
  if (i.socket === 'disconnected') return i.down ? { health: 'disconnected', ...i.down } : { health: 'disconnected', reason: 'not connected', cause: null };
  if (i.socket === 'connecting') {
    // A reconnect keeps saying why the last connection went, so no later reader loses the cause.
    return i.down
      ? { health: 'connecting', reason: `opening the socket and handshake${AFTER_PREVIOUS}${i.down.reason}`, cause: i.down.cause }
      : { health: 'connecting', reason: 'opening the socket and handshake', cause: null };
  }
  if (i.accountMismatch) return { health: 'connected', reason: i.accountMismatch, cause: 'accountMismatch' };
  if (!i.nextValidIdSeen) return { health: 'connected', reason: 'socket open, waiting for nextValidId', cause: null };
  if (!i.heartbeatAnswered) return { health: 'connected', reason: 'waiting for the first heartbeat answer', cause: null };
  if (i.connectivityLost) return { health: 'degraded', reason: 'TWS lost its connection to IB (1100): data is not updating', cause: 'connectivityLost' };
  if (i.dataLost) return { health: 'degraded', reason: 'data lost: resubscribing after 1101', cause: null };
  if (i.farmsDown.length > 0) return { health: 'degraded', reason: `${FARM_DOWN_REASON}${i.farmsDown.join(', ')}`, cause: null };
  if (i.staleStreams && i.staleStreams.length > 0)
    return { health: 'degraded', reason: `stale: no ${i.staleStreams.join(', ')} update within its limit`, cause: null };
  return { health: 'ready', reason: 'connected, nextValidId seen, heartbeat answered', cause: null };
}

/** Only 'ready' and 'degraded' have a usable, synchronised connection; trading needs 'ready' (DESIGN.md). */
export function isConnectedAndSynced(h: Health): boolean {
  return h === 'ready' || h === 'degraded';
}

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential from `initialMs`, capped at `maxMs`, with
 * +/- `jitter` spread so many consoles do not hammer a restarting TWS in step. `random` is injected for tests.
 */
export function backoffDelay(attempt: number, opts: { initialMs: number; maxMs: number; jitter: number }, random: () => number = Math.random): number {
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  const spread = base * opts.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}
