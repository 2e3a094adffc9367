// The guard daemon's written policy: which alert, how bad and for how long, leads to which action (docs/guard.md).
import { createHash } from 'node:crypto';
import { Checker, show } from '../model/check.js';
import { SEVERITIES, type Severity } from '../risk/alerts/index.js';
import { alertPatternProblem } from '../risk/alerts/ids.js';
import { parseScope } from '../trading/plan.js';
import type { FlattenScope } from '../trading/types.js';

/*
 * The policy is validated like the settings (src/model/check.ts: every bad key or value is named), but unlike the
 * settings nothing falls back to a default: a kill switch that runs a policy other than the one written is worse
 * than one that does not start. So any problem refuses the whole file (exit 2 before connecting; a SIGHUP reload
 * keeps the policy already running).
 */

/** What a rule does. `notify` never trades; every other kind sends cancels or orders (with --trade only). */
export const GUARD_ACTIONS = ['notify', 'cancelOwn', 'cancelClient', 'cancelAll', 'globalCancel', 'reduce', 'flatten'] as const;
export type GuardActionKind = (typeof GUARD_ACTIONS)[number];

/** The trading actions: everything but notify. They wait for ready, fresh data and the policy's limits. */
export const isTradingAction = (k: GuardActionKind): boolean => k !== 'notify';

export interface PolicyRule {
  /** Position in the file's `rules` list (0-based): the order rules are tried in, and their name in logs. */
  readonly index: number;
  /** The rule's `name`, or `rules[i]`. */
  readonly name: string;
  readonly when: {
    /** An alert id (`foreign.client:42`), a rule name (`foreign.client`: every alert of that rule) or `*`. */
    readonly alert: string;
    /** The least severity that matches. */
    readonly severity: Severity;
    /** How long the alert must have been listed at that severity or worse before the rule acts. */
    readonly forMs: number;
  };
  readonly do: GuardActionKind;
  /** reduce: each trim is cut to at most this share of its position (percent, 1 to 100). */
  readonly maxReductionPct?: number;
  /** cancelClient: listed client ids, or `foreign`: every API client with open orders that is neither the guard nor expected. */
  readonly clientIds?: 'foreign' | readonly number[];
  /** flatten: which positions. */
  readonly scope?: FlattenScope;
  /** The rule as written, for the audit log. */
  readonly text: string;
}

export interface PolicyLimits {
  /** Trading actions (sent or, in a dry run, that would have been sent) in any rolling hour. */
  readonly maxActionsPerHour: number;
  /** After a trading action, no other for this long; a rule acts once per alert until the alert clears. */
  readonly coolDownMs: number;
  /** `market`: trading actions only while the alert session's market is open; `always`: at any time. */
  readonly window: 'market' | 'always';
  /** Trading actions only while account values and portfolio marks are younger than this (TWS pushes them ~3 min). */
  readonly maxDataAgeMs: number;
}

export interface GuardPolicy {
  readonly rules: readonly PolicyRule[];
  readonly limits: PolicyLimits;
  /** sha256 of the file's bytes: which policy acted is named by it in the audit log and the recording. */
  readonly hash: string;
}

export const DEFAULT_LIMITS: PolicyLimits = { maxActionsPerHour: 3, coolDownMs: 300_000, window: 'market', maxDataAgeMs: 200_000 };

const RULE_KEYS = ['name', 'when', 'do', 'maxReductionPct', 'clientIds', 'scope'];
const WHEN_KEYS = ['alert', 'severity', 'forMs'];
const LIMIT_KEYS = ['maxActionsPerHour', 'coolDownMs', 'window', 'maxDataAgeMs'];
const DAY_MS = 86_400_000;

/** Does a rule's `when.alert` match this alert? By id, by rule name, or `*`. */
export function matchesAlert(pattern: string, alert: { readonly id: string; readonly rule: string }): boolean {
  return pattern === '*' || alert.id === pattern || alert.rule === pattern;
}

/**
 * Parses and validates a policy file's text. Every problem is named as `file: error at <key path>: <message>`;
 * with any problem there is no policy.
 */
export function parsePolicy(text: string, file: string): { readonly policy?: GuardPolicy; readonly problems: readonly string[] } {
  const c = new Checker(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { problems: [`${file}: not valid JSON: ${(e as Error).message}`] };
  }
  const top = c.object('', json, ['rules', 'limits']);
  if (!top) return { problems: c.problems };
  const rules: PolicyRule[] = [];
  if (!Array.isArray(top.rules)) c.fail('rules', `expected a list of rules, got ${show(top.rules)}`);
  else if (top.rules.length === 0) c.fail('rules', 'a policy needs at least one rule');
  else if (top.rules.length > MAX_RULES) c.fail('rules', `at most ${MAX_RULES} rules, got ${top.rules.length}`);
  else
    top.rules.forEach((r, i) => {
      const rule = parseRule(c, r, i);
      if (!rule) return;
      // A command names a rule (fleet command --rule, the fleet view): two rules of one name would leave it to chance which acts.
      const twin = rules.find((o) => o.name === rule.name);
      if (twin) c.fail(`rules[${i}].name`, `${show(rule.name)} is also the name of rules[${twin.index}]; names must be unique`);
      else rules.push(rule);
    });
  const limits = parseLimits(c, top.limits);
  if (c.problems.length > 0) return { problems: c.problems };
  return { policy: { rules, limits, hash: createHash('sha256').update(text).digest('hex') }, problems: [] };
}

/** Bounds that keep a policy's rules listable in a guard's summary (src/streams/nats/summary.ts reads at most 50, of 200 characters). */
const MAX_RULES = 50;
const MAX_NAME = 100;

function parseRule(c: Checker, v: unknown, i: number): PolicyRule | undefined {
  const at = `rules[${i}]`;
  const r = c.object(at, v, RULE_KEYS);
  if (!r) return undefined;
  const before = c.problems.length;
  const name = r.name === undefined ? at : c.string(`${at}.name`, r.name, at, true);
  if (name.length > MAX_NAME) c.fail(`${at}.name`, `at most ${MAX_NAME} characters, got ${name.length}`);
  const w = c.object(`${at}.when`, r.when, WHEN_KEYS);
  let alert = '';
  let severity: Severity = 'info';
  let forMs = 0;
  if (w) {
    alert = c.string(`${at}.when.alert`, w.alert, '', true);
    // Exactly the ids the engine raises: a pattern no alert can have is a rule that silently never fires.
    const problem = alert ? alertPatternProblem(alert) : undefined;
    if (problem) c.fail(`${at}.when.alert`, problem);
    if (w.severity !== undefined) severity = c.oneOf(`${at}.when.severity`, w.severity, SEVERITIES, 'info');
    if (w.forMs !== undefined) forMs = c.number(`${at}.when.forMs`, w.forMs, 0, 0, DAY_MS, true);
  }
  const kind = c.oneOf(`${at}.do`, r.do, GUARD_ACTIONS, 'notify');
  const only = (key: string, allowedFor: GuardActionKind) => {
    if (r[key] !== undefined && kind !== allowedFor) c.fail(`${at}.${key}`, `only a "${allowedFor}" rule takes ${key}`);
  };
  only('maxReductionPct', 'reduce');
  only('clientIds', 'cancelClient');
  only('scope', 'flatten');
  let maxReductionPct: number | undefined;
  let clientIds: PolicyRule['clientIds'];
  let scope: FlattenScope | undefined;
  if (kind === 'reduce') maxReductionPct = r.maxReductionPct === undefined ? 100 : c.number(`${at}.maxReductionPct`, r.maxReductionPct, 100, 1, 100);
  if (kind === 'cancelClient') {
    if (r.clientIds === 'foreign') clientIds = 'foreign';
    else if (
      Array.isArray(r.clientIds) &&
      r.clientIds.length > 0 &&
      r.clientIds.every((x) => Number.isInteger(x) && (x as number) > 0 && (x as number) <= 2147483647)
    ) {
      clientIds = r.clientIds as number[];
    } else {
      c.fail(
        `${at}.clientIds`,
        `expected "foreign" or a list of API client ids (whole numbers from 1; client 0 is TWS's own window, cancelled only by globalCancel), got ${show(r.clientIds)}`,
      );
    }
  }
  if (kind === 'flatten') {
    if (typeof r.scope !== 'string')
      c.fail(`${at}.scope`, `a flatten rule needs a scope (all, currency:EUR, class:OPT, underlying:AAPL, conid:N), got ${show(r.scope)}`);
    else {
      const s = parseScope(r.scope);
      if (typeof s === 'string') c.fail(`${at}.scope`, s);
      else scope = s;
    }
  }
  if (c.problems.length > before) return undefined;
  return {
    index: i,
    name,
    when: { alert, severity, forMs },
    do: kind,
    ...(maxReductionPct !== undefined ? { maxReductionPct } : {}),
    ...(clientIds !== undefined ? { clientIds } : {}),
    ...(scope ? { scope } : {}),
    text: JSON.stringify(v),
  };
}

function parseLimits(c: Checker, v: unknown): PolicyLimits {
  if (v === undefined) return DEFAULT_LIMITS;
  const l = c.object('limits', v, LIMIT_KEYS);
  if (!l) return DEFAULT_LIMITS;
  return {
    maxActionsPerHour:
      l.maxActionsPerHour === undefined ? DEFAULT_LIMITS.maxActionsPerHour : c.number('limits.maxActionsPerHour', l.maxActionsPerHour, 3, 1, 60, true),
    coolDownMs: l.coolDownMs === undefined ? DEFAULT_LIMITS.coolDownMs : c.number('limits.coolDownMs', l.coolDownMs, 300_000, 0, DAY_MS, true),
    window: l.window === undefined ? DEFAULT_LIMITS.window : c.oneOf('limits.window', l.window, ['market', 'always'] as const, 'market'),
    maxDataAgeMs: l.maxDataAgeMs === undefined ? DEFAULT_LIMITS.maxDataAgeMs : c.number('limits.maxDataAgeMs', l.maxDataAgeMs, 200_000, 1_000, DAY_MS, true),
  };
}

/** One line per rule, as the daemon prints it at start and on reload. */
export function policyLines(p: GuardPolicy): string[] {
  return p.rules.map((r) => {
    const extra =
      r.do === 'reduce'
        ? ` maxReductionPct=${r.maxReductionPct}`
        : r.do === 'cancelClient'
          ? ` clientIds=${r.clientIds === 'foreign' ? 'foreign' : (r.clientIds ?? []).join(',')}`
          : '';
    return `${r.name}: when ${r.when.alert} is ${r.when.severity} or worse for ${r.when.forMs} ms do ${r.do}${extra}${r.scope ? ` scope=${JSON.stringify(r.scope)}` : ''}`;
  });
}
