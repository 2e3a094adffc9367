// The guard's decisions, pure: which policy rule acts on which listed alert now, and why the others wait.
import { SEVERITY_RANK, type Alert, type Severity } from '../risk/alerts/index.js';
import { isTradingAction, matchesAlert, type GuardPolicy, type PolicyRule } from './guard-policy.js';

/*
 * docs/guard.md "How the guard decides". The alert engine already debounces a finding before raising it and waits a
 * cool-down before clearing it; on top of that the guard keeps one episode per (rule, alert): it starts when the
 * alert first matches the rule, the rule acts at most once in it (whatever the result), and it ends only when the
 * alert stops matching. Between trading actions the policy's cool-down and hourly cap hold; only one trading action
 * is chosen per evaluation, and none while the previous one is followed. Notifications never wait for the
 * connection: saying what is wrong is the one thing the guard must still do when it cannot act.
 *
 * The cool-down and the cap are ranked by the severity of the alert each action answered: an earlier action holds a
 * due one only if it answered an alert at least as severe. They are there against churn, not to let a warning's
 * small action (cancelling one stray order) keep the kill switch of a critical alert waiting for minutes.
 */

type EpisodeState = 'waiting' | 'acting' | 'done' | 'failed';

interface Episode {
  readonly since: number;
  readonly state: EpisodeState;
  /** While acting a trading action: when it was counted, so that one that sends nothing can give its place back. */
  readonly countedAt?: number;
  /** Done in a dry run: planned, nothing sent (the status must not say it was done). */
  readonly dryRun?: boolean;
  /** Done with nothing to do (nothing left to cancel, nothing to trim): why, as the plan said it. Nothing was sent. */
  readonly nothingToDo?: string;
}

/** A trading action counted against the limits: when it was decided and how severe the alert it answered was. */
export interface CountedAction {
  readonly at: number;
  readonly severity: Severity;
}

/** What the guard remembers between evaluations. */
export interface GuardMemory {
  /** By `ruleIndex|alertId`. */
  readonly episodes: ReadonlyMap<string, Episode>;
  /** The trading actions counted in the last hour, or the cool-down if longer, oldest first. */
  readonly actions: readonly CountedAction[];
}

export const EMPTY_MEMORY: GuardMemory = { episodes: new Map(), actions: [] };

export interface GuardInput {
  /** The listed alerts (the session's engine), most severe first. */
  readonly alerts: readonly Alert[];
  readonly now: number;
  /** Why no trading action may run now (not connected, not ready, stale data, unknown state), if so. */
  readonly blocked?: string;
  /** A trading action is being followed: nothing else trades until its outcome. */
  readonly busy: boolean;
  /** The alert session's market is open now (for `window: market`). */
  readonly marketOpen: boolean;
}

/** One (rule, alert) pair as of this evaluation. */
export type Verdict =
  | { readonly kind: 'act'; readonly key: string; readonly rule: PolicyRule; readonly alert: Alert; readonly heldMs: number }
  | { readonly kind: 'waiting'; readonly key: string; readonly rule: PolicyRule; readonly alert: Alert; readonly dueInMs: number }
  | { readonly kind: 'held'; readonly key: string; readonly rule: PolicyRule; readonly alert: Alert; readonly why: string }
  | {
      readonly kind: 'done';
      readonly key: string;
      readonly rule: PolicyRule;
      readonly alert: Alert;
      readonly failed: boolean;
      /** Done in a dry run: nothing was sent. */
      readonly dryRun: boolean;
      /** The action found nothing to do (and sent nothing): why. */
      readonly nothingToDo?: string;
    };

export interface Decision {
  readonly memory: GuardMemory;
  /** What to do now: every due notification, and at most one trading action. Each episode is marked `acting`. */
  readonly acts: readonly Extract<Verdict, { kind: 'act' }>[];
  /** Every matching (rule, alert) pair, in policy order: what the guard would do, and why it does not yet. */
  readonly verdicts: readonly Verdict[];
}

const HOUR_MS = 3_600_000;

function atLeast(alert: Alert, rule: PolicyRule): boolean {
  return SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[rule.when.severity];
}

function clock(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

/** When the last counted trading action was decided, if any. */
export function lastActionAt(memory: GuardMemory): number | undefined {
  return memory.actions.reduce<number | undefined>((m, a) => (m === undefined || a.at > m ? a.at : m), undefined);
}

/** How long counted actions matter: the hourly cap's hour, or the cool-down if longer. */
function keepMs(policy: GuardPolicy): number {
  return Math.max(HOUR_MS, policy.limits.coolDownMs);
}

/**
 * Why the limits hold a trading action on an alert of `severity` now, if they do. Only actions that answered an alert
 * at least as severe count. `coolDown` false: an operator's command, which the cool-down does not hold.
 */
function limitsHold(actions: readonly CountedAction[], policy: GuardPolicy, severity: Severity, now: number, coolDown: boolean): string | undefined {
  const peers = actions.filter((a) => SEVERITY_RANK[a.severity] >= SEVERITY_RANK[severity]);
  const last = peers.reduce<CountedAction | undefined>((m, a) => (m === undefined || a.at > m.at ? a : m), undefined);
  if (coolDown && last !== undefined && now - last.at < policy.limits.coolDownMs) {
    return `cool-down: ${clock(policy.limits.coolDownMs - (now - last.at))} left of limits.coolDownMs (after an action on a ${last.severity} alert)`;
  }
  const hour = peers.filter((a) => now - a.at < HOUR_MS);
  if (hour.length >= policy.limits.maxActionsPerHour) {
    const first = Math.min(...hour.map((a) => a.at));
    return `limits.maxActionsPerHour (${policy.limits.maxActionsPerHour}) reached on ${severity} or worse alerts; the next is possible in ${clock(first + HOUR_MS - now)}`;
  }
  return undefined;
}

function withoutAction(actions: readonly CountedAction[], at: number): CountedAction[] {
  const out = [...actions];
  const i = out.findLastIndex((a) => a.at === at);
  if (i >= 0) out.splice(i, 1);
  return out;
}

/** One evaluation of the policy against the listed alerts. Pure. */
export function decide(memory: GuardMemory, policy: GuardPolicy, input: GuardInput): Decision {
  const { now } = input;
  const episodes = new Map<string, Episode>();
  const actions = memory.actions.filter((a) => now - a.at < keepMs(policy));
  const verdicts: Verdict[] = [];
  const acts: Extract<Verdict, { kind: 'act' }>[] = [];
  let trading = false;
  for (const rule of policy.rules) {
    for (const alert of input.alerts) {
      if (!matchesAlert(rule.when.alert, alert) || !atLeast(alert, rule)) continue;
      const key = `${rule.index}|${alert.id}`;
      const ep = memory.episodes.get(key) ?? { since: now, state: 'waiting' as const };
      episodes.set(key, ep);
      if (ep.state === 'done' || ep.state === 'failed' || ep.state === 'acting') {
        verdicts.push({
          kind: 'done',
          key,
          rule,
          alert,
          failed: ep.state === 'failed',
          dryRun: ep.dryRun === true,
          ...(ep.nothingToDo !== undefined ? { nothingToDo: ep.nothingToDo } : {}),
        });
        continue;
      }
      const heldMs = now - ep.since;
      if (heldMs < rule.when.forMs) {
        verdicts.push({ kind: 'waiting', key, rule, alert, dueInMs: rule.when.forMs - heldMs });
        continue;
      }
      const held = (why: string) => verdicts.push({ kind: 'held', key, rule, alert, why });
      if (isTradingAction(rule.do)) {
        if (policy.limits.window === 'market' && !input.marketOpen) {
          held('outside the market window (limits.window is "market")');
          continue;
        }
        if (input.blocked) {
          held(input.blocked);
          continue;
        }
        if (input.busy || trading) {
          held('one action at a time: another is being followed');
          continue;
        }
        const limit = limitsHold(actions, policy, alert.severity, now, true);
        if (limit) {
          held(limit);
          continue;
        }
        trading = true;
        actions.push({ at: now, severity: alert.severity });
      }
      episodes.set(key, { since: ep.since, state: 'acting', ...(isTradingAction(rule.do) ? { countedAt: now } : {}) });
      const act = { kind: 'act' as const, key, rule, alert, heldMs };
      acts.push(act);
      verdicts.push(act);
    }
  }
  return { memory: { episodes, actions }, acts, verdicts };
}

/**
 * An action's outcome: its episode is over either way (a failure is escalated, never retried blindly). `sent`:
 * whether anything went to TWS (a dry run counts as sent: it shows what the live guard would do, limits included).
 * An action that sent nothing (refused by the guard, nothing left to cancel) gives its place in the cool-down and the
 * hourly cap back, so that it does not hold back another rule's action that would. `dryRun`: planned, not sent.
 * `nothingToDo`: why the action found nothing to do, so that the status says that and not "done".
 */
export function settle(memory: GuardMemory, key: string, ok: boolean, sent = true, dryRun = false, nothingToDo?: string): GuardMemory {
  const ep = memory.episodes.get(key);
  if (!ep) return memory;
  const episodes = new Map(memory.episodes);
  episodes.set(key, { since: ep.since, state: ok ? 'done' : 'failed', ...(dryRun ? { dryRun } : {}), ...(nothingToDo !== undefined ? { nothingToDo } : {}) });
  if (sent || ep.state !== 'acting' || ep.countedAt === undefined) return { ...memory, episodes };
  return { ...memory, episodes, actions: withoutAction(memory.actions, ep.countedAt) };
}

/**
 * The memory under a reloaded policy: a rule written exactly as before (same text, same place or not) keeps its
 * episodes, so a reload does not make a rule act again on an alert it already answered; the limits carry over.
 */
export function carryOver(memory: GuardMemory, from: GuardPolicy, to: GuardPolicy): GuardMemory {
  const episodes = new Map<string, Episode>();
  for (const [key, ep] of memory.episodes) {
    const bar = key.indexOf('|');
    const old = from.rules[Number(key.slice(0, bar))];
    const now = old && to.rules.find((r) => r.text === old.text);
    if (now) episodes.set(`${now.index}|${key.slice(bar + 1)}`, ep);
  }
  return { ...memory, episodes };
}

/** Memory seeded with the trading actions of an earlier run (the status file), so a restart does not reset the limits. */
export function restored(actions: readonly CountedAction[], policy: GuardPolicy, now: number): GuardMemory {
  const recent = actions.filter((a) => Number.isFinite(a.at) && a.at <= now && now - a.at < keepMs(policy)).sort((a, b) => a.at - b.at);
  return { episodes: new Map(), actions: recent };
}

/** What an operator's command (docs/fleet.md "Remote kill switch") may do now. */
export type CommandDecision = { readonly kind: 'act'; readonly memory: GuardMemory; readonly at: number } | { readonly kind: 'held'; readonly why: string };

/**
 * An operator asking for a rule's action. There is no alert, so no episode and no `when.forMs`; and a person asked,
 * so the cool-down between actions does not hold it back. Everything that makes a send safe still holds: the market
 * window, a usable connection with fresh data (`blocked`), one action at a time, and the hourly cap (a stolen operator
 * credential cannot churn the account). A trading action counts in the limits like any other. Pure.
 */
export function decideCommand(memory: GuardMemory, policy: GuardPolicy, rule: PolicyRule, input: Omit<GuardInput, 'alerts'>): CommandDecision {
  const { now } = input;
  if (!isTradingAction(rule.do)) return { kind: 'act', memory, at: now };
  if (policy.limits.window === 'market' && !input.marketOpen) return { kind: 'held', why: 'outside the market window (limits.window is "market")' };
  if (input.blocked) return { kind: 'held', why: input.blocked };
  if (input.busy) return { kind: 'held', why: 'one action at a time: another is being followed' };
  const actions = memory.actions.filter((a) => now - a.at < keepMs(policy));
  // A person asking stands in for a critical alert: it is capped with the critical actions, and holds every rule.
  const limit = limitsHold(actions, policy, 'critical', now, false);
  if (limit) return { kind: 'held', why: limit };
  return { kind: 'act', at: now, memory: { ...memory, actions: [...actions, { at: now, severity: 'critical' }] } };
}

/** A command's action that sent nothing gives its place in the limits back (as `settle` does for an episode). */
export function refundCommand(memory: GuardMemory, d: Extract<CommandDecision, { kind: 'act' }>): GuardMemory {
  return { ...memory, actions: withoutAction(memory.actions, d.at) };
}
