// The alert engine: runs every rule, then debounces, raises, escalates, acknowledges and clears, as a pure fold.
import { marketNow } from '../../model/state.js';
import { isMarketOpen } from './session.js';
import { ruleTiming } from './config.js';
import { accountRules } from './rules/account.js';
import { activityRules } from './rules/activity.js';
import { connectionRule, staleRule, twsCodeRule, unstableRule } from './rules/connection.js';
import type { AlertInput, Rule, RuleContext, StatefulRule } from './rules/context.js';
import { exposureRules } from './rules/exposure.js';
import { marginJumpRule } from './rules/margin-jump.js';
import { positionsRule } from './rules/positions.js';
import { recordingRule } from './rules/recording.js';
import { stressRules } from './rules/stress.js';
import {
  SEVERITY_RANK,
  type Alert,
  type AlertId,
  type AlertState,
  type AlertTransition,
  type Finding,
  type PendingFinding,
  type RuleAnswer,
  type RuleMemory,
  type Severity,
} from './types.js';
import { sameRefs } from '../../model/same-refs.js';

/*
 * Lifecycle (issue 9 "Lifecycle"), per alert id:
 * - pending: a finding seen in fewer than `debounce.evaluations` consecutive evaluations, or for less than
 *   `debounce.ms` since it was first seen; a single evaluation without it resets the count;
 * - raised: the debounce passed; the alert is listed, with the finding's latest title and numbers;
 * - escalated: the finding is now more severe; immediate, and it takes back an acknowledgement (the
 *   operator acknowledged something milder);
 * - de-escalated: the finding has been less severe for the cool-down; the acknowledgement stays;
 * - acknowledged (`acknowledge`): the operator has seen it; it stays listed until cleared;
 * - cleared: the finding has been absent for the cool-down; the alert leaves the list.
 * No clock: every time is the `now` of the evaluation. The same inputs give the same state and transitions.
 */

/**
 * A stateless rule that reads neither the clock nor the session calendar, answered again only when something it reads
 * is another object. The session evaluates at every publish (4 a second while marks move), but the account rows and
 * portfolio marks arrive every few seconds and the stress report once a second: three evaluations in four judged the
 * very objects the last one did, and these rules were most of an evaluation (docs/performance.md). The last answer is
 * the rule's memory, kept in each engine's state: sessions that take turns in one process (several accounts, the
 * guard) each keep their own.
 */
export function unlessSame(rule: Rule, reads: (ctx: RuleContext) => readonly unknown[]): StatefulRule<RuleAnswer> {
  return (last, ctx) => {
    const inputs = reads(ctx);
    if (last && sameRefs(last.inputs, inputs)) return { memory: last, findings: last.findings };
    const findings = rule(ctx);
    return { memory: { inputs, findings }, findings };
  };
}

/** A cached rule and the name its answer is kept under in `RuleMemory.answers`. */
interface CachedRule {
  readonly name: string;
  readonly rule: StatefulRule<RuleAnswer>;
}

/** The stateless rules, in the order their findings are listed. */
const RULES: readonly (Rule | CachedRule)[] = [
  twsCodeRule,
  { name: 'account', rule: unlessSame(accountRules, (c) => [c.config, c.state.accountValues, c.state.baseCurrency]) },
  { name: 'stress', rule: unlessSame(stressRules, (c) => [c.config, c.stress]) },
  {
    name: 'exposure',
    rule: unlessSame(exposureRules, (c) => [c.config, c.state.accountValues, c.state.baseCurrency, c.state.portfolio, c.state.fxRates]),
  },
  activityRules,
  staleRule,
];

/** Runs every rule once; the stateful ones read and return their memory. */
export function runRules(memory: RuleMemory, input: AlertInput): { findings: Finding[]; memory: RuleMemory } {
  // The session is the exchange's: judged on the market's clock (TWS's), not on this machine's.
  const ctx: RuleContext = { ...input, marketOpen: isMarketOpen(marketNow(input.state, input.now), input.config.session) };
  const connection = connectionRule(memory.connection, ctx);
  const unstable = unstableRule(memory.unstable, ctx);
  const margin = marginJumpRule(memory.margin, ctx);
  const positions = positionsRule(memory.positions, ctx);
  const recording = recordingRule(memory.recording, ctx);
  const answers: Record<string, RuleAnswer> = {};
  const stateless = RULES.flatMap((r) => {
    if (typeof r === 'function') return r(ctx);
    const run = r.rule(memory.answers?.[r.name], ctx);
    if (run.memory) answers[r.name] = run.memory;
    return run.findings;
  });
  // recording.stopped last among the stateless ones, where it was listed before it kept memory.
  const findings = [...connection.findings, ...unstable.findings, ...stateless, ...recording.findings, ...margin.findings, ...positions.findings];
  const next: RuleMemory = {
    ...(margin.memory ? { margin: margin.memory } : {}),
    ...(positions.memory ? { positions: positions.memory } : {}),
    ...(connection.memory ? { connection: connection.memory } : {}),
    ...(unstable.memory ? { unstable: unstable.memory } : {}),
    ...(recording.memory ? { recording: recording.memory } : {}),
    answers,
  };
  return { findings, memory: next };
}

export interface Evaluation {
  readonly state: AlertState;
  /** What changed, in a stable order: raised/escalated/de-escalated in rule order, then cleared by id. */
  readonly transitions: readonly AlertTransition[];
  /** Every finding of this evaluation (raised or still debouncing), for diagnostics and tests. */
  readonly findings: readonly Finding[];
}

/** One evaluation: the rules over `input`, folded into the previous alert state. */
export function evaluateAlerts(prev: AlertState, input: AlertInput): Evaluation {
  const { now, config } = input;
  const run = runRules(prev.memory, input);
  // One finding per id: the most severe (rules never repeat an id, but a config could make two agree).
  const byId = new Map<AlertId, Finding>();
  for (const f of run.findings) {
    const old = byId.get(f.id);
    if (!old || SEVERITY_RANK[f.severity] > SEVERITY_RANK[old.severity]) byId.set(f.id, f);
  }
  const alerts: Record<AlertId, Alert> = {};
  const pending: Record<AlertId, PendingFinding> = {};
  const transitions: AlertTransition[] = [];
  for (const f of byId.values()) {
    const { debounce, coolDownMs } = ruleTiming(config, f.rule);
    const active = prev.alerts[f.id];
    if (active) {
      const seen = { ...active, title: f.title, detail: f.detail, lastSeenAt: now, ...reductionOf(f) };
      if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[active.severity]) {
        const { lowerSince: _l, acknowledgedAt: _a, ...rest } = seen;
        const alert: Alert = { ...rest, severity: f.severity, acknowledged: false };
        alerts[f.id] = alert;
        transitions.push({ kind: 'escalated', at: now, alert, from: active.severity });
      } else if (SEVERITY_RANK[f.severity] < SEVERITY_RANK[active.severity]) {
        const lowerSince = active.lowerSince ?? now;
        if (now - lowerSince >= coolDownMs) {
          const { lowerSince: _l, ...rest } = seen;
          const alert: Alert = { ...rest, severity: f.severity };
          alerts[f.id] = alert;
          transitions.push({ kind: 'deescalated', at: now, alert, from: active.severity });
        } else alerts[f.id] = { ...seen, lowerSince };
      } else {
        const { lowerSince: _l, ...rest } = seen;
        alerts[f.id] = rest;
      }
      continue;
    }
    const p = prev.pending[f.id];
    const count = (p?.count ?? 0) + 1;
    const firstSeenAt = p?.firstSeenAt ?? now;
    if (count >= debounce.evaluations && now - firstSeenAt >= debounce.ms) {
      const alert: Alert = {
        id: f.id,
        rule: f.rule,
        severity: f.severity,
        title: f.title,
        detail: f.detail,
        firstSeenAt,
        raisedAt: now,
        lastSeenAt: now,
        acknowledged: false,
        ...reductionOf(f),
      };
      alerts[f.id] = alert;
      transitions.push({ kind: 'raised', at: now, alert });
    } else {
      pending[f.id] = { firstSeenAt, lastSeenAt: now, count, severity: f.severity };
    }
  }
  for (const id of Object.keys(prev.alerts).sort()) {
    if (byId.has(id)) continue;
    const a = prev.alerts[id]!;
    const { coolDownMs } = ruleTiming(config, a.rule);
    if (now - a.lastSeenAt >= coolDownMs) transitions.push({ kind: 'cleared', at: now, alert: a });
    else alerts[id] = a;
  }
  const state: AlertState = { alerts, pending, memory: run.memory, evaluations: prev.evaluations + 1, lastEvaluatedAt: now };
  return { state, transitions, findings: [...byId.values()] };
}

function reductionOf(f: Finding): Pick<Alert, 'reduction'> {
  return f.reduction ? { reduction: f.reduction } : {};
}

/**
 * The operator acknowledged an alert (a key in the Alerts pane): it stays listed until cleared. Returns the same
 * state when there is no such alert or it is already acknowledged.
 */
export function acknowledge(state: AlertState, id: AlertId, now: number): AlertState {
  const a = state.alerts[id];
  if (!a || a.acknowledged) return state;
  return { ...state, alerts: { ...state.alerts, [id]: { ...a, acknowledged: true, acknowledgedAt: now } } };
}

/** Acknowledges every listed alert (same state when none was unacknowledged). */
export function acknowledgeAll(state: AlertState, now: number): AlertState {
  let s = state;
  for (const id of Object.keys(state.alerts)) s = acknowledge(s, id, now);
  return s;
}

/** Listed alerts, most severe first, then oldest raised, then by id. */
export function activeAlerts(state: AlertState, minSeverity: Severity = 'info'): Alert[] {
  return Object.values(state.alerts)
    .filter((a) => SEVERITY_RANK[a.severity] >= SEVERITY_RANK[minSeverity])
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.raisedAt - b.raisedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Is any critical alert listed (acknowledged or not)? `tws-risk report` exits 5 when so. */
export function hasCritical(state: AlertState | readonly Alert[]): boolean {
  const list = Array.isArray(state) ? (state as readonly Alert[]) : Object.values((state as AlertState).alerts);
  return list.some((a) => a.severity === 'critical');
}

/** The most severe listed alert's severity, or undefined when none is listed. */
export function highestSeverity(state: AlertState): Severity | undefined {
  return activeAlerts(state)[0]?.severity;
}

/**
 * One look, without a lifecycle: every finding of a single evaluation as an alert, as if raised now (for
 * `tws-risk report`, which connects, reads the account once and exits). Rules that need a baseline
 * (margin.jump, position.unexplained) have none on a first look and stay silent.
 */
export function evaluateOnce(input: AlertInput): Alert[] {
  const { findings } = runRules({}, input);
  const state: AlertState = {
    alerts: Object.fromEntries(
      findings.map((f) => [
        f.id,
        {
          id: f.id,
          rule: f.rule,
          severity: f.severity,
          title: f.title,
          detail: f.detail,
          firstSeenAt: input.now,
          raisedAt: input.now,
          lastSeenAt: input.now,
          acknowledged: false,
          ...reductionOf(f),
        } satisfies Alert,
      ]),
    ),
    pending: {},
    memory: {},
    evaluations: 1,
    lastEvaluatedAt: input.now,
  };
  return activeAlerts(state);
}
