// Connection cause vocabulary: why the source is down or not usable, typed, so no one decides on the sentence.

/**
 * Why health is what it is, when that matters to someone deciding something (the operator reads `reason`):
 * - operatorStop: the session was ended here (the operator's quit, a command done, a signal, the terminal gone: the
 *   sentence says which, see SessionEnd); not a lost connection;
 * - cannotConnect: the socket was refused or could not be opened (502, ECONNREFUSED);
 * - socketClosed: TWS or the network closed an open socket;
 * - handshakeTimeout: TWS accepted the socket but did not complete the API handshake in time (its "accept incoming
 *   connection" prompt, a busy start-up, a zombie): the socket is closed and the backoff runs;
 * - heartbeatTimeout: TWS stopped answering the heartbeat (a zombie socket, tws-protocol.md §5 #3);
 * - noNextValidId: connected, but TWS sent no nextValidId in time (§5 #2);
 * - badFrame: a frame that cannot be TWS's (streams/tws/guard.ts): the socket is dropped;
 * - connectivityLost: TWS lost IB's servers (1100) and has not said 1101/1102 yet (health degraded);
 * - accountMismatch: this login does not manage the followed account (health connected, nothing usable);
 * - notTws: what answered at host:port is not TWS (its reply to the handshake cannot be TWS's: an HTTP server on a
 *   wrong --port), fatal: reconnecting to the same place cannot work;
 * - clientIdInUse: 326, fatal: reconnecting with the same client id cannot work;
 * - accountNotManaged: the account asked for is not managed by this login, fatal.
 */
export type ConnectionCause =
  | 'operatorStop'
  | 'cannotConnect'
  | 'socketClosed'
  | 'handshakeTimeout'
  | 'heartbeatTimeout'
  | 'noNextValidId'
  | 'badFrame'
  | 'connectivityLost'
  | 'accountMismatch'
  | 'notTws'
  | 'clientIdInUse'
  | 'accountNotManaged';

/** Causes after which the source stops reconnecting: nothing will change until the operator does something. */
export type FatalCause = Extract<ConnectionCause, 'clientIdInUse' | 'accountNotManaged' | 'notTws'>;

export function isFatalCause(cause: ConnectionCause | undefined): cause is FatalCause {
  return cause === 'clientIdInUse' || cause === 'accountNotManaged' || cause === 'notTws';
}

/**
 * The cause a `healthChanged` recorded before causes were typed (issue 15) meant, read exactly as the code of that
 * time read its sentence, so an old recording replays as it did. Only for events without `cause`; nothing new
 * is decided on text.
 */
export function legacyCause(health: string, reason: string | undefined): ConnectionCause | undefined {
  if (reason === undefined) return undefined;
  if (health === 'disconnected' && /in use/.test(reason)) return 'clientIdInUse';
  if (health === 'disconnected' && /not managed/.test(reason)) return 'accountNotManaged';
  if (/cannot connect/.test(reason)) return 'cannotConnect';
  if (health === 'degraded' && /\(1100\)/.test(reason)) return 'connectivityLost';
  return undefined;
}

/** The sentence the source writes when the operator ends the session (recordings before typed causes carry only it). */
export const OPERATOR_STOP_REASON = 'stopped by the operator';

/**
 * What ended a session here, as opposed to a lost connection: the operator's quit (the quit key, a command done), a
 * signal from outside, or the terminal gone without one (its input ended or failed: a wrapper that traps SIGHUP), or
 * the pipe it writes to closed by its reader (EPIPE).
 * A hangup is not the operator's decision, and a review must not read it as one.
 */
export type SessionEnd = 'quit' | 'SIGHUP' | 'SIGTERM' | 'SIGINT' | 'terminalGone' | 'outputClosed';

const SESSION_END_TEXT: Readonly<Record<SessionEnd, string>> = {
  quit: 'operator quit',
  SIGHUP: 'terminal closed (SIGHUP)',
  SIGTERM: 'terminated (SIGTERM)',
  SIGINT: 'interrupted (SIGINT)',
  terminalGone: 'terminal closed (its input ended)',
  outputClosed: 'output closed',
};

/** The sentence for a session's end: the recording's footer reason, the exit line, the disarm's reason. */
export function sessionEndText(end: SessionEnd): string {
  return SESSION_END_TEXT[end];
}

/** The sentence of the source's last healthChanged (cause operatorStop): a quit keeps the one recordings always had. */
export function stopReasonOf(end: SessionEnd): string {
  return end === 'quit' ? OPERATOR_STOP_REASON : SESSION_END_TEXT[end];
}

/**
 * Whether the connection is down because the operator ended the session: not a lost connection. A recording made
 * before causes were typed says so only in its sentence, which the source always wrote exactly so.
 */
export function isOperatorStop(state: { readonly health: string; readonly healthCause?: ConnectionCause; readonly healthReason?: string }): boolean {
  if (state.healthCause !== undefined) return state.healthCause === 'operatorStop';
  return state.health === 'disconnected' && state.healthReason === OPERATOR_STOP_REASON;
}
