// Connection health as a pure function of what the source has observed (DESIGN.md "Ready gating").
import type { Health } from '../model/events.js';

/** Everything the source knows about its connection; `deriveHealth` turns it into one state and a reason. */
export interface HealthInputs {
  readonly socket: 'disconnected' | 'connecting' | 'connected';
  /** NEXT_VALID_ID seen on this connection: before it @stoqey/ib sends nothing (tws-protocol.md §5 #2). */
  readonly nextValidIdSeen: boolean;
  /** A heartbeat (reqCurrentTime) answered on this connection. */
  readonly heartbeatAnswered: boolean;
  /** 1100 seen and not yet 1101/1102: TWS has lost IB's servers. */
  readonly connectivityLost: boolean;
  /** Market-data farms reported down (2103/2105/2157), by name. */
  readonly farmsDown: readonly string[];
  /** Subscribed streams that stopped updating past their limit (e.g. no ticks for 45 s while ready). */
  readonly staleStreams?: readonly string[];
  /** Why the socket is down or refused, when known (client id in use, heartbeat timeout, refused...). */
  readonly downReason?: string;
  /**
   * Set when this login does not manage the account being followed (a reconnect landed on another login): nothing
   * about that account can arrive, so the connection is never usable, whatever else it does.
   */
  readonly accountMismatch?: string;
  /** Set when reconnecting would be pointless (326): the loop stops and says so. */
  readonly fatal?: string;
}

export const INITIAL_HEALTH_INPUTS: HealthInputs = {
  socket: 'disconnected',
  nextValidIdSeen: false,
  heartbeatAnswered: false,
  connectivityLost: false,
  farmsDown: [],
};

/** The health state and a sentence for the operator. */
export function deriveHealth(i: HealthInputs): { health: Health; reason: string } {
  if (i.fatal) return { health: 'disconnected', reason: i.fatal };
  if (i.socket === 'disconnected') return { health: 'disconnected', reason: i.downReason ?? 'not connected' };
  if (i.socket === 'connecting') {
    // A reconnect keeps saying why the last connection went, so no later reader loses the cause.
    return { health: 'connecting', reason: i.downReason ? `opening the socket and handshake, after: ${i.downReason}` : 'opening the socket and handshake' };
  }
  if (i.accountMismatch) return { health: 'connected', reason: i.accountMismatch };
  if (!i.nextValidIdSeen) return { health: 'connected', reason: 'socket open, waiting for nextValidId' };
  if (!i.heartbeatAnswered) return { health: 'connected', reason: 'waiting for the first heartbeat answer' };
  if (i.connectivityLost) return { health: 'degraded', reason: 'TWS lost its connection to IB (1100): data is not updating' };
  if (i.farmsDown.length > 0) return { health: 'degraded', reason: `market data farm down: ${i.farmsDown.join(', ')}` };
  if (i.staleStreams && i.staleStreams.length > 0) return { health: 'degraded', reason: `stale: no ${i.staleStreams.join(', ')} update within its limit` };
  return { health: 'ready', reason: 'connected, nextValidId seen, heartbeat answered' };
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
