// Arming: a deliberate, expiring step between read-only and sending orders (DESIGN.md "Safety").
import type { Arming } from '../model/state.js';
import type { Denial } from './types.js';

/** Trading mode for a session: read-only unless started with --trade; replays are never tradable. */
export type TradeMode = 'readOnly' | 'trade' | 'replay';

/**
 * Armed until a time (epoch ms), or not armed. `at` is when the operator armed: an arming from before a change of
 * login (PortfolioState.accountChange) does not count (guard.ts).
 */
export type ArmState =
  { readonly armed: false } | { readonly armed: true; readonly until: number; readonly by: 'palette' | 'headless' | (string & {}); readonly at?: number };

export const DISARMED: ArmState = { armed: false };
export const DEFAULT_ARM_MS = 5 * 60_000;

/**
 * Arms when `typed` is the last four characters of the account id (case-insensitive). Refuses in read-only and
 * replay modes. Typing part of the account proves the operator looked at which account this is.
 */
export function arm(mode: TradeMode, account: string | undefined, typed: string, now: number, ttlMs = DEFAULT_ARM_MS): ArmState | Denial {
  if (mode === 'replay') return { code: 'REPLAY_SOURCE' };
  if (mode === 'readOnly') return { code: 'READ_ONLY' };
  if (!account) return { code: 'SNAPSHOT_PENDING', what: 'the account id' };
  const want = account.slice(-4).toUpperCase();
  if (typed.trim().toUpperCase() !== want) return { code: 'NOT_ARMED' };
  return { armed: true, until: now + ttlMs, by: 'palette', at: now };
}

/** The arming the state holds (reduced from the recorded armed/disarmed events), as the guard reads it. */
export function armStateOf(arming: Arming | undefined): ArmState {
  return arming ? { armed: true, until: arming.until, by: arming.by, at: arming.at } : DISARMED;
}

/** Still armed at `now`? Arming expires by itself. */
export function isArmed(s: ArmState, now: number): boolean {
  return s.armed && now < s.until;
}
