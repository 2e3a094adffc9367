// Alert types: severities, rule names, findings, alerts and their lifecycle state (issue 9). Pure data, JSON-safe.
import type { JsonValue } from '../../model/events.js';
import type { ScenarioFamily } from '../scenario-types.js';

/*
 * A rule looks at the state (and the stress report) and returns findings: "this condition holds now".
 * The engine turns findings into alerts with a lifecycle: a finding must persist (debounce) before an
 * alert is raised, an alert is cleared only after its finding has been absent for a cool-down, and a
 * worse severity escalates it (and takes back an acknowledgement). Everything here is plain data, so
 * that the wiring can record it and a replay can show it (STYLE.md "Explicit state enums").
 */

/** How bad an alert is. `critical` makes `tws-risk report` exit 5. */
export type Severity = 'info' | 'warning' | 'critical';

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

/** Order of severities: info < warning < critical. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

/** The higher of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/** Every rule, by its config key (docs/alerts.md lists what each means). */
export const RULE_NAMES = [
  'excess.negative',
  'margin.warning',
  'cushion.band',
  'cushion.stressed',
  'liquidation.distance',
  'margin.jump',
  'foreign.client',
  'manual.order',
  'position.unexplained',
  'connection.lost',
  'connection.unstable',
  'stream.stale',
  'tws.code',
  'exposure.ccy',
  'concentration.und',
  'recording.stopped',
] as const;

export type RuleName = (typeof RULE_NAMES)[number];

/** Each rule in words, for the operator (a dialog's title): the config key `cushion.band` read as nothing (docs/alerts.md). */
export const RULE_TITLES: Readonly<Record<RuleName, string>> = {
  'excess.negative': 'negative ExcessLiquidity',
  'margin.warning': 'equity near maintenance margin',
  'cushion.band': 'Cushion band',
  'cushion.stressed': 'stressed Cushion',
  'liquidation.distance': 'distance to liquidation',
  'margin.jump': 'margin jump',
  'foreign.client': "another client's orders",
  'manual.order': 'manual order',
  'position.unexplained': 'unexplained position',
  'connection.lost': 'lost connection',
  'connection.unstable': 'unstable connection',
  'stream.stale': 'stale data',
  'tws.code': 'TWS message',
  'exposure.ccy': 'currency exposure',
  'recording.stopped': 'recording stopped',
  'concentration.und': 'concentration',
};

/** An alert's id in words: its rule's title, then its subject (`concentration.und:AAPL`: "concentration (AAPL)"). */
export function alertName(id: AlertId, rule?: string): string {
  const cut = id.indexOf(':');
  const subject = cut < 0 ? undefined : id.slice(cut + 1);
  const title = RULE_TITLES[(rule ?? (cut < 0 ? id : id.slice(0, cut))) as RuleName] as string | undefined;
  if (!title) return id;
  return subject ? `${title} (${subject})` : title;
}

/**
 * Stable id of an alert: the rule and its subject, e.g. `margin.jump`, `cushion.band`, `liquidation.px:STK`,
 * `foreign.client:99`, `manual.order:perm:123`, `stream.stale:marketData`, `tws.code:1100`, `exposure.ccy:EUR`,
 * `concentration.und:AAPL`, `position.unexplained:265598`. The same condition always has the same id.
 */
export type AlertId = string;

/**
 * What a leverage reduction must achieve for a breached risk rule (see reduction.ts):
 * - stressedCushion: every scenario's Cushion at least `min` (the scenarios of `families`, when given: the rule's);
 * - cushion: the account's Cushion (ExcessLiquidity / NetLiquidation) at least `min`;
 * - excessLiquidity: ExcessLiquidity at least `min` (base currency);
 * - equityToMaint: EquityWithLoanValue / MaintMarginReq at least `min` (1.1 is IBKR's warning line);
 * - liquidationDistance: the liquidation shock of `key` (`px:STK`, `fx:CHF`, `crash`) at least `min` away;
 * - concentration: the underlying's share of gross position value at most `max`.
 */
export type ReductionTarget =
  | { readonly kind: 'stressedCushion'; readonly min: number; readonly families?: readonly ScenarioFamily[] }
  | { readonly kind: 'cushion'; readonly min: number }
  | { readonly kind: 'excessLiquidity'; readonly min: number }
  | { readonly kind: 'equityToMaint'; readonly min: number }
  | { readonly kind: 'liquidationDistance'; readonly key: string; readonly min: number }
  | { readonly kind: 'concentration'; readonly underlying: string; readonly max: number };

/** A condition a rule sees now. The title is one sentence, numbers included; `detail` is JSON-safe. */
export interface Finding {
  readonly id: AlertId;
  readonly rule: RuleName;
  readonly severity: Severity;
  readonly title: string;
  readonly detail: JsonValue;
  /** For risk rules: what a leverage reduction would have to reach (reduction.ts `proposeReduction`). */
  readonly reduction?: ReductionTarget;
}

/** A raised alert: listed until cleared, whether acknowledged or not. */
export interface Alert {
  readonly id: AlertId;
  readonly rule: RuleName;
  readonly severity: Severity;
  /** The finding's latest title and detail (numbers follow the condition while it lasts). */
  readonly title: string;
  readonly detail: JsonValue;
  /** When the finding was first seen (the start of its debounce), epoch ms. */
  readonly firstSeenAt: number;
  /** When the alert was raised (debounce passed). */
  readonly raisedAt: number;
  /** Last evaluation that saw the finding. */
  readonly lastSeenAt: number;
  readonly acknowledged: boolean;
  readonly acknowledgedAt?: number;
  readonly reduction?: ReductionTarget;
  /** Since when the finding has been below the alert's severity (a de-escalation waits for the cool-down). */
  readonly lowerSince?: number;
}

/** A finding seen but not yet raised (debouncing). */
export interface PendingFinding {
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** Consecutive evaluations that saw it. */
  readonly count: number;
  readonly severity: Severity;
}

/** What happened to an alert in one evaluation; the wiring turns each into a FeedEvent (docs/alerts.md). */
export type AlertTransitionKind = 'raised' | 'escalated' | 'deescalated' | 'cleared';

export interface AlertTransition {
  readonly kind: AlertTransitionKind;
  /** Evaluation time, epoch ms. */
  readonly at: number;
  /** The alert after the transition (for `cleared`, as it was when it cleared). */
  readonly alert: Alert;
  /** Severity before an escalation or de-escalation. */
  readonly from?: Severity;
}

// ── Rule memory (the baselines of the stateful rules), plain data ───────────────────────────────

/** margin.jump: the reported requirements and our estimate when positions last changed. */
export interface MarginMemory {
  readonly anchor?: {
    readonly at: number;
    /** Reported MaintMarginReq / InitMarginReq (base currency), as decimal strings. */
    readonly maint: string;
    readonly init?: string;
    /** Our zero-shock estimates (the stress report's calibration), when a report was available. */
    readonly estMaint?: number;
    readonly estInit?: number;
    /** LookAheadMaintMarginReq then: the requirement TWS announced for its next margin change. */
    readonly lookAhead?: string;
  };
  /** Positions fingerprint and execution count at the last evaluation. */
  readonly positionsKey: string;
  readonly executions: number;
  /** Last evaluation at which positions or executions changed. */
  readonly changedAt?: number;
  /** updatedAt of the MaintMarginReq row last seen, and our estimate when that row arrived. */
  readonly reportedAt?: number;
  readonly estMaintAtReport?: number;
  readonly estInitAtReport?: number;
  /** Since when an unexplained jump has been seen (the anchor is accepted after `holdMs`). */
  readonly since?: number;
}

/** position.unexplained: the positions last reconciled with the executions seen. */
export interface PositionsMemory {
  /** conId → position (decimal string) at the last reconciliation. */
  readonly baseline: Readonly<Record<string, string>>;
  /** Executions already accounted for, by execId. */
  readonly counted: Readonly<Record<string, true>>;
  /** conId → since when its position disagrees with baseline + new executions. */
  readonly since: Readonly<Record<string, number>>;
  /** conId → contract label, kept so that a position that vanished can still be named. */
  readonly labels: Readonly<Record<string, string>>;
}

/** connection.lost: when the connection was first seen unusable, and why it went (the first disconnect reason). */
export interface ConnectionMemory {
  readonly since: number;
  readonly cause?: string;
}

/** connection.unstable's memory: whether the last evaluation saw a usable connection, and the drops seen since. */
export interface UnstableMemory {
  readonly usable: boolean;
  /** When each loss of a usable connection was seen, oldest first (only those within the rule's window are kept). */
  readonly drops: readonly number[];
}

/** recording.stopped's memory: the first recorderStopped note seen (the operator history is capped, the stop is not). */
export interface RecordingMemory {
  readonly reason: string;
  readonly at: number;
}

/** A stateless rule's last answer (engine.ts `unlessSame`): the objects it read, compared by identity, and its findings. */
export interface RuleAnswer {
  readonly inputs: readonly unknown[];
  readonly findings: Finding[];
}

export interface RuleMemory {
  readonly margin?: MarginMemory;
  readonly positions?: PositionsMemory;
  readonly connection?: ConnectionMemory;
  readonly unstable?: UnstableMemory;
  readonly recording?: RecordingMemory;
  /** The cached stateless rules' last answers, by the engine's name for the rule. */
  readonly answers?: Readonly<Record<string, RuleAnswer>>;
}

/** The alert engine's whole state: a pure value, folded by `evaluateAlerts`. */
export interface AlertState {
  /** Raised and not yet cleared, by id. */
  readonly alerts: Readonly<Record<AlertId, Alert>>;
  readonly pending: Readonly<Record<AlertId, PendingFinding>>;
  readonly memory: RuleMemory;
  readonly evaluations: number;
  readonly lastEvaluatedAt?: number;
}

export const INITIAL_ALERT_STATE: AlertState = Object.freeze({
  alerts: Object.freeze({}),
  pending: Object.freeze({}),
  memory: Object.freeze({}),
  evaluations: 0,
});
