// The guard: every send passes here first, and the checks run in a fixed order (STYLE.md "Every order passes one gateway").
import { isStale } from '../model/freshness.js';
import type { PortfolioState } from '../model/state.js';
import { isArmed, type ArmState, type TradeMode } from './arming.js';
import { movedMarkDenial, scopeSnapshot, unknownQuantityDenial, workingOrdersOn } from './plan.js';
import type { CloseLeg, Denial, FlattenPlan } from './types.js';

export interface GuardContext {
  readonly mode: TradeMode;
  readonly state: PortfolioState;
  /** The source's own readiness (handshake, nextValidId, heartbeat, no 1100): the state can lag it. */
  readonly sourceReady: boolean;
  readonly arm: ArmState;
  readonly now: number;
}

/** Checks that apply to any send: mode, connection, snapshots, freshness, arming. */
export function guardAny(ctx: GuardContext): Denial | undefined {
  const s = ctx.state;
  if (ctx.mode === 'replay') return { code: 'REPLAY_SOURCE' };
  if (ctx.mode === 'readOnly') return { code: 'READ_ONLY' };
  const change = accountChangeDenial(s, ctx.arm);
  if (change) return change;
  if (!ctx.sourceReady || s.health !== 'ready') return { code: 'NOT_READY', health: s.health, reason: s.healthReason ?? 'not ready' };
  if (!s.complete.positions) return { code: 'SNAPSHOT_PENDING', what: 'the positions snapshot' };
  if (!s.complete.openOrders) return { code: 'SNAPSHOT_PENDING', what: 'the open orders' };
  for (const stream of ['positions', 'portfolio'] as const) {
    if (isStale(s, stream, ctx.now)) {
      const at = s.lastUpdate[stream];
      return { code: 'DATA_STALE', stream, ageMs: at === undefined ? null : ctx.now - at };
    }
  }
  if (!isArmed(ctx.arm, ctx.now)) return { code: 'NOT_ARMED' };
  return undefined;
}

/**
 * A reconnect that landed on a login not managing the account shown refuses every send while it lasts; once a login
 * managing it is back, an arming from before the change (or one that does not say when it was made) still refuses:
 * the operator re-arms, typing the account again, so trading resumes by choice and not by a reconnect.
 */
function accountChangeDenial(s: PortfolioState, arm: ArmState): Denial | undefined {
  const c = s.accountChange;
  if (c === undefined) return undefined;
  if (c.until === undefined) return { code: 'ACCOUNT_CHANGED', followed: c.followed, managed: c.managed, back: false };
  if (arm.armed && (arm.at === undefined || arm.at < c.until)) return { code: 'ACCOUNT_CHANGED', followed: c.followed, managed: c.managed, back: true };
  return undefined;
}

/**
 * Checks a flatten plan against the state now. `stage` 'first' (before any send) compares positions and open
 * orders with the preview; 'close' (before each closing order, after our own cancels and earlier fills) checks
 * that the legs still to send hold exactly the positions previewed and that no new position entered the scope.
 */
export function guardFlatten(ctx: GuardContext, plan: FlattenPlan, stage: 'first' | 'close', pending: readonly CloseLeg[] = plan.legs): Denial | undefined {
  const any = guardAny(ctx);
  if (any) return any;
  const unknown = unknownQuantityDenial(ctx.state);
  if (unknown) return unknown;
  const now = scopeSnapshot(ctx.state, plan.scope);
  const current = new Map(now.positions.map((r) => [r.contract.conId, r.position.toString()]));
  const legs = stage === 'first' ? plan.legs : pending;
  for (const leg of legs) {
    const cur = current.get(leg.conId) ?? '0';
    if (cur !== leg.position.toString()) return { code: 'TARGET_CHANGED', conId: leg.conId, shown: leg.position.toString(), now: cur };
  }
  const added = now.positions.find((r) => !plan.legs.some((l) => l.conId === r.contract.conId));
  if (added) return { code: 'TARGET_CHANGED', conId: added.contract.conId, shown: '0', now: added.position.toString() };
  if (stage === 'first' && now.fingerprint !== plan.fingerprint) {
    const o = now.orders[0];
    return { code: 'TARGET_CHANGED', conId: o?.info?.contract.conId ?? 0, shown: 'orders as previewed', now: 'open orders changed' };
  }
  if (stage === 'first' && plan.accountPrint !== undefined && scopeSnapshot(ctx.state, { kind: 'all' }).positionsPrint !== plan.accountPrint) {
    return { code: 'TARGET_CHANGED', conId: 0, shown: 'the account positions the reduction was computed from', now: 'another position changed' };
  }
  if (stage === 'close') {
    // Our cancels have been followed by now; any order still working on a leg's contract (a cancel that timed
    // out or was rejected, or someone else's new order) could fill beside the closing order and flip the position.
    for (const leg of legs) {
      const working = workingOrdersOn(ctx.state, leg.conId);
      if (working.length > 0) return { code: 'ORDERS_STILL_OPEN', conId: leg.conId, orders: working };
    }
  }
  for (const leg of legs) {
    const pos = ctx.state.positions.get(leg.conId)?.position;
    const reduces =
      pos !== undefined &&
      ((leg.action === 'SELL' && pos.greaterThan(0)) || (leg.action === 'BUY' && pos.lessThan(0))) &&
      leg.quantity.lessThanOrEqualTo(pos.abs());
    if (!reduces) return { code: 'WOULD_INCREASE_POSITION', conId: leg.conId };
  }
  // Last, on the live mark: a plan the market has moved past since it was shown (or since the stage before) is not sent.
  return movedMarkDenial(ctx.state, legs);
}
