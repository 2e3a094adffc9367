// Public surface of the risk engine: scenarios, the stress grid, the report and its outputs (docs/stress-model.md).
export type { Scenario, ScenarioFamily, ScenarioShocks } from './scenario-types.js';
export { PRICE_DRIVER_CLASSES, ZERO_SHOCKS } from './scenario-types.js';
export { builtinScenarios, describeShocks, formatScenario, parseScenario, parseScenarioFile, parseShocks, riskNavigatorScenarios } from './scenario-text.js';
export {
  DEFAULT_MARGIN_RULES,
  DEFAULT_PM_RULES,
  DEFAULT_STRESS_PARAMS,
  resolveStressParams,
  stressParams,
  type MarginMethod,
  type MarginRules,
  type ParamsResult,
  type PortfolioMarginRules,
  type StressParams,
  type StressParamsInput,
} from './params.js';
export { buildStressGrid, updateStressGrid, type StressGrid, type UpdateResult } from './grid.js';
export {
  buildStressReport,
  stressReportFromGrid,
  type Anchor,
  type Reconciliation,
  type ScenarioPnl,
  type ScenarioResult,
  type StressReport,
  type UnpricedPosition,
} from './report.js';
export type { LiquidationDistance } from './liquidation.js';
export type { Calibration, CalibrationPart } from './margin.js';
export type { ReportedValues } from './boundary.js';
export { REPORT_JSON_VERSION, toReportJson } from './report-json.js';
export { formatStressReportText } from './report-text.js';
