// Public surface of the alert engine (issue 9): rules, lifecycle, config, leverage reduction (docs/alerts.md).
export type {
  Alert,
  AlertId,
  AlertState,
  AlertTransition,
  AlertTransitionKind,
  Finding,
  PendingFinding,
  ReductionTarget,
  RuleName,
  Severity,
} from './types.js';
export { INITIAL_ALERT_STATE, RULE_NAMES, RULE_TITLES, SEVERITIES, SEVERITY_RANK, alertName, maxSeverity } from './types.js';
export {
  DEFAULT_ALERT_CONFIG,
  levelOf,
  marketSeverity,
  parseAlertConfig,
  ruleTiming,
  type AlertConfig,
  type AlertConfigResult,
  type AlertRulesConfig,
  type Debounce,
  type Levels,
  type SeverityOrMarket,
} from './config.js';
export { isMarketOpen, localTime, type SessionConfig, type Weekday } from './session.js';
export type { AlertInput } from './rules/context.js';
export { acknowledge, acknowledgeAll, activeAlerts, evaluateAlerts, evaluateOnce, hasCritical, highestSeverity, runRules, type Evaluation } from './engine.js';
export { bookScenarios, stressForAlerts, type AlertStress } from './scenarios.js';
export {
  AT_MARKS,
  applyTrims,
  proposeForAlert,
  worstFill,
  type FillTerms,
  proposeReduction,
  type ReductionInput,
  type ReductionProposal,
  type Trim,
} from './reduction.js';
export { alertChangedBody, alertJson, alertOfRow, transitionJson } from './json.js';
export { alertTitleAt } from './rules/connection.js';
